"""`check --run`: models imported and run in a time-limited subprocess, failures located."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time

import pytest

from brainio_submission.template import write_template

BASE = "models/base_models.py"

# Two models, "good" and "bad"; each test redefines what "bad" does.
HEADER = '''\
import numpy as np


def get_model_list():
    return ["good", "bad"]


def get_layers(name):
    return ["conv", "fc"]


def get_bibtex(name):
    return ""


class Net:
    def __call__(self, stimuli, layers):
        return {layer: np.ones((len(stimuli), 30)) for layer in layers}


def get_model(name):
    return Net() if name == "good" else BadNet()
'''


def write_models(project, bad_net: str, extra: str = "") -> None:
    source = HEADER + "\n\n" + textwrap.dedent(bad_net) + textwrap.dedent(extra)
    (project / BASE).write_text(source)


def run_check(sub, project, timeout="30", **kwargs):
    return sub.report("check", project, "--run", "--timeout", timeout, **kwargs)


def passed(data):
    return [(r["model"], r["layer"]) for r in data["run"]["passed"]]


# One project whose models each fail in their own way, run once for the tests below.
MANY_MODELS = '''\
import numpy as np


def get_model_list():
    return ["good", "raises", "activations_raise", "wrong_shape", "missing_layer", "non_finite",
            "assembly"]


def get_layers(name):
    return ["conv", "fc"]


def get_bibtex(name):
    return ""


class Net:
    def __call__(self, stimuli, layers):
        return {layer: np.ones((len(stimuli), 30)) for layer in layers}


class Raises:
    def __init__(self):
        raise FileNotFoundError("weights.pt is missing")


class ActivationsRaise:
    def __call__(self, stimuli, layers):
        return {"conv": np.ones((len(stimuli), 2))} | {"fc": 1 / 0}


class WrongShape(Net):
    def __call__(self, stimuli, layers):
        activations = super().__call__(stimuli, layers)
        activations["fc"] = activations["fc"][:-1]
        return activations


class MissingLayer(Net):
    def __call__(self, stimuli, layers):
        return {"conv": super().__call__(stimuli, layers)["conv"]}


class NonFinite(Net):
    def __call__(self, stimuli, layers):
        return {layer: np.full((len(stimuli), 30), np.nan) for layer in layers}


class Assembly:  # what model-tools' activations wrappers return: one DataArray for all layers
    def __call__(self, stimuli, layers):
        import xarray as xr

        widths = {"conv": 3, "fc": 2}
        return xr.DataArray(
            np.zeros((len(stimuli), sum(widths[layer] for layer in layers))),
            dims=("presentation", "neuroid"),
            coords={"layer": ("neuroid", [l for l in layers for _ in range(widths[l])])},
        )


MODELS = {"assembly": Assembly, "good": Net, "raises": Raises,
          "activations_raise": ActivationsRaise,
          "wrong_shape": WrongShape, "missing_layer": MissingLayer, "non_finite": NonFinite}


def get_model(name):
    return MODELS[name]()
'''


@pytest.fixture(scope="module")
def many_models(tmp_path_factory):
    """(status, report, module path) of one `check --run` over MANY_MODELS."""
    project = tmp_path_factory.mktemp("many") / "many_models"
    write_template(project, "base")
    (project / BASE).write_text(MANY_MODELS)
    # module scope: the autouse BRAINIO_HOME fixture does not apply, so give the CLI its own
    env = dict(os.environ, BRAINIO_HOME=str(tmp_path_factory.mktemp("brainio_home")))
    result = subprocess.run(
        [sys.executable, "-m", "brainio", "submission", "check", str(project), "--run",
         "--timeout", "60", "--json"],
        capture_output=True, text=True, env=env, timeout=120, check=False)
    return result.returncode, json.loads(result.stdout), project / BASE


def problems_of(data, model):
    return [p for p in data["problems"] if p["model"] == model]


def test_working_model_passes(many_models):
    status, data, _ = many_models
    assert status == 1  # the other models fail
    assert problems_of(data, "good") == []
    assert ("good", "conv") in passed(data) and ("good", "fc") in passed(data)


def test_model_tools_style_assembly_passes(many_models):
    _, data, _ = many_models
    assert problems_of(data, "assembly") == []
    shapes = {r["layer"]: r["shape"] for r in data["run"]["passed"] if r["model"] == "assembly"}
    n = data["run"]["stimuli"]
    assert shapes == {"conv": [n, 3], "fc": [n, 2]}


def test_model_that_raises(many_models, sub):
    _, data, module = many_models
    [problem] = problems_of(data, "raises")
    assert (problem["code"], problem["layer"]) == ("get-model-failed", None)
    assert (problem["file"], problem["line"]) == (
        BASE, sub.line_of(module, "raise FileNotFoundError"))
    assert "FileNotFoundError: weights.pt is missing" in problem["message"]


def test_activations_that_raise(many_models, sub):
    _, data, module = many_models
    [problem] = problems_of(data, "activations_raise")
    assert (problem["code"], problem["file"], problem["line"]) == (
        "activations-failed", BASE, sub.line_of(module, "1 / 0"))
    assert "ZeroDivisionError" in problem["message"]


def test_activations_with_the_wrong_shape(many_models):
    _, data, _ = many_models
    [problem] = problems_of(data, "wrong_shape")
    n = data["run"]["stimuli"]
    assert (problem["code"], problem["layer"]) == ("wrong-shape", "fc")
    assert f"({n - 1}, 30)" in problem["message"] and f"({n}, n_features)" in problem["message"]
    assert ("wrong_shape", "conv") in passed(data)


def test_layer_named_by_get_layers_but_not_returned(many_models):
    _, data, _ = many_models
    [problem] = problems_of(data, "missing_layer")
    assert (problem["code"], problem["layer"]) == ("missing-layer", "fc")


def test_non_finite_activations(many_models):
    _, data, _ = many_models
    assert sorted((p["code"], p["layer"]) for p in problems_of(data, "non_finite")) == [
        ("non-finite-activations", "conv"), ("non-finite-activations", "fc")]


def test_model_that_hangs_is_stopped_at_the_time_limit(new_project, isolated_env, sub):
    env, work, temporary = isolated_env
    project = new_project()
    write_models(project, """
        import subprocess
        import sys
        import time


        class BadNet:
            def __call__(self, stimuli, layers):
                subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
                time.sleep(60)
        """)
    start = time.monotonic()
    status, data = run_check(sub, project, timeout="3", cwd=work, env=env)
    elapsed = time.monotonic() - start
    assert status == 1
    assert elapsed < 20
    problem = sub.only_problem(data, "timeout")
    assert (problem["model"], problem["file"]) == ("bad", BASE)
    assert "within 3 s" in problem["message"]
    assert "computing activations" in problem["message"]
    assert list(temporary.iterdir()) == []  # the run's temporary folder is gone


def test_missing_dependency_is_named(new_project, sub):
    project = new_project()
    write_models(project, "BadNet = Net\n", "import brainio_no_such_package_xyz\n")
    status, data = run_check(sub, project)
    problem = sub.only_problem(data, "import-failed")
    assert (status, problem["file"], problem["line"]) == (
        1, BASE, sub.line_of(project / BASE, "import brainio_no_such_package_xyz"))
    assert "'brainio_no_such_package_xyz' is not installed" in problem["message"]


def test_model_list_that_raises(new_project, sub):
    project = new_project()
    write_models(project, "BadNet = Net\n",
                 "def get_model_list():\n    raise RuntimeError('no models today')\n")
    status, data = run_check(sub, project)
    problem = sub.only_problem(data, "model-list-failed")
    assert (status, problem["line"]) == (1, sub.line_of(project / BASE, "no models today"))


def test_process_killed_by_the_model_is_reported(new_project, sub):
    project = new_project()
    write_models(project, """
        import os


        class BadNet:
            def __call__(self, stimuli, layers):
                os._exit(3)
        """)
    status, data = run_check(sub, project)
    problem = sub.only_problem(data, "run-crashed")
    assert (status, problem["model"]) == (1, "bad")
    assert "exit status 3" in problem["message"]


def test_brain_model_failing_in_one_region(new_project, sub):
    project = new_project("brain")
    module = project / "models" / "brain_models.py"
    sub.replace_in(module, '        self.region = recording_target\n',
                   '        self.region = recording_target\n'
                   '        if recording_target == "V4":\n'
                   '            raise ValueError("no V4 commitment yet")\n')
    status, data = run_check(sub, project)
    problem = sub.only_problem(data, "activations-failed")
    assert (status, problem["model"], problem["layer"]) == (1, "example_brain_model", "V4")
    assert problem["line"] == sub.line_of(module, "no V4 commitment yet")
    assert [layer for _, layer in passed(data)] == ["V1", "V2", "IT"]


def test_side_effects_stay_in_the_runs_temporary_folder(new_project, isolated_env, tmp_path, sub):
    env, work, temporary = isolated_env
    project = new_project()
    write_models(project, "BadNet = Net\n",
                 "open('side_effect.txt', 'w').write('x')\n"
                 "import tempfile\n"
                 "tempfile.NamedTemporaryFile(delete=False).write(b'x')\n")
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    status, data = run_check(sub, project, cwd=work, env=env)
    assert (status, data["problems"]) == (0, [])
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before
    assert list(work.iterdir()) == [] and list(temporary.iterdir()) == []


@pytest.mark.parametrize("zipped", [False, True], ids=["folder", "zip"])
def test_brainscore_plugin_layout_runs_model_py(zipped, tmp_path, sub):
    root = tmp_path / "plugin_submission"
    folder = root / "models" / "my_net"
    folder.mkdir(parents=True)
    # __init__.py needs brainscore_vision, which is not installed: the run must not import it
    (folder / "__init__.py").write_text(
        "from brainscore_vision import model_registry\n"
        "from .model import get_model\n"
        "model_registry['my_net'] = lambda: get_model('my_net')\n")
    (folder / "test.py").write_text("def test_nothing():\n    pass\n")
    (folder / "helpers.py").write_text("WIDTH = 40\n")
    (folder / "model.py").write_text(textwrap.dedent("""
        import numpy as np

        from .helpers import WIDTH


        def get_model(name):
            return lambda stimuli, layers: {l: np.zeros((len(stimuli), WIDTH)) for l in layers}


        def get_layers(name):
            return ["block1", "block2"]
        """))
    path = sub.zip_folder(root, tmp_path / "plugin.zip") if zipped else root
    status, data = run_check(sub, path)
    assert (status, data["problems"]) == (0, [])
    assert passed(data) == [("my_net", "block1"), ("my_net", "block2")]


def test_a_timeout_must_be_positive(new_project, sub):
    result = sub.run_cli("check", new_project(), "--run", "--timeout", "0")
    assert result.returncode == 2
    assert "--timeout" in result.stderr
