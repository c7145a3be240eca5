"""`check --run`: models loaded and run in a sandboxed, time-limited child, failures located.

2021-layout models run on numpy alone. Plugins are loaded through Brain-Score's registry, so
their tests give the child a small stand-in ``brainscore_vision`` (registries and a plugin
package, which is all the loading path touches) on ``PYTHONPATH``.
"""

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
HEADER = """\
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
"""


def write_models(project, bad_net: str, extra: str = "") -> None:
    source = HEADER + "\n\n" + textwrap.dedent(bad_net) + textwrap.dedent(extra)
    (project / BASE).write_text(source)


def run_check(sub, project, timeout="30", **kwargs):
    return sub.report("check", project, *sub.RUN, "--timeout", timeout, **kwargs)


def passed(data):
    return [(r["model"], r["layer"]) for r in data["run"]["passed"]]


# One project whose models each fail in their own way, run once for the tests below.
MANY_MODELS = """\
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
"""


@pytest.fixture(scope="module")
def many_models(tmp_path_factory, sub):
    """(status, report, module path) of one `check --run` over MANY_MODELS."""
    project = tmp_path_factory.mktemp("many") / "many_models"
    write_template(project, "legacy-base")
    (project / BASE).write_text(MANY_MODELS)
    # module scope: the autouse BRAINIO_HOME fixture does not apply, so give the CLI its own
    env = dict(os.environ, BRAINIO_HOME=str(tmp_path_factory.mktemp("brainio_home")))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "brainio",
            "submission",
            "check",
            str(project),
            *sub.RUN,
            "--timeout",
            "60",
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
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
        BASE,
        sub.line_of(module, "raise FileNotFoundError"),
    )
    assert "FileNotFoundError: weights.pt is missing" in problem["message"]


def test_activations_that_raise(many_models, sub):
    _, data, module = many_models
    [problem] = problems_of(data, "activations_raise")
    assert (problem["code"], problem["file"], problem["line"]) == (
        "activations-failed",
        BASE,
        sub.line_of(module, "1 / 0"),
    )
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
        ("non-finite-activations", "conv"),
        ("non-finite-activations", "fc"),
    ]


def test_model_that_hangs_is_stopped_at_the_time_limit(new_project, isolated_env, sub):
    env, work, temporary = isolated_env
    project = new_project()
    write_models(
        project,
        """
        import subprocess
        import sys
        import time


        class BadNet:
            def __call__(self, stimuli, layers):
                subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
                time.sleep(60)
        """,
    )
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


def test_missing_dependency_is_named_and_the_run_did_not_happen(new_project, sub):
    project = new_project()
    write_models(project, "BadNet = Net\n", "import brainio_no_such_package_xyz\n")
    status, data = run_check(sub, project)
    problem = sub.only_problem(data, "missing-package")
    assert (status, problem["file"], problem["line"]) == (
        3,
        BASE,
        sub.line_of(project / BASE, "import brainio_no_such_package_xyz"),
    )
    assert "'brainio_no_such_package_xyz' is not installed" in problem["message"]
    assert "did not happen" in problem["message"]
    assert data["run"] is None and "not installed" in data["not_run"]


def test_model_list_that_raises(new_project, sub):
    project = new_project()
    write_models(
        project,
        "BadNet = Net\n",
        "def get_model_list():\n    raise RuntimeError('no models today')\n",
    )
    status, data = run_check(sub, project)
    problem = sub.only_problem(data, "model-list-failed")
    assert (status, problem["line"]) == (1, sub.line_of(project / BASE, "no models today"))


def test_process_killed_by_the_model_is_reported(new_project, sub):
    project = new_project()
    write_models(
        project,
        """
        import os


        class BadNet:
            def __call__(self, stimuli, layers):
                os._exit(3)
        """,
    )
    status, data = run_check(sub, project)
    problem = sub.only_problem(data, "run-crashed")
    assert (status, problem["model"]) == (1, "bad")
    assert "exit status 3" in problem["message"]


def test_brain_model_failing_in_one_region(new_project, sub):
    project = new_project("legacy-brain")
    module = project / "models" / "brain_models.py"
    sub.replace_in(
        module,
        "        self.region = recording_target\n",
        "        self.region = recording_target\n"
        '        if recording_target == "V4":\n'
        '            raise ValueError("no V4 commitment yet")\n',
    )
    status, data = run_check(sub, project)
    problem = sub.only_problem(data, "activations-failed")
    assert (status, problem["model"], problem["layer"]) == (1, "example_brain_model", "V4")
    assert problem["line"] == sub.line_of(module, "no V4 commitment yet")
    assert [layer for _, layer in passed(data)] == ["V1", "V2", "IT"]


def test_side_effects_stay_in_the_runs_temporary_folder(new_project, isolated_env, tmp_path, sub):
    env, work, temporary = isolated_env
    project = new_project()
    write_models(
        project,
        "BadNet = Net\n",
        "open('side_effect.txt', 'w').write('x')\n"
        "import tempfile\n"
        "tempfile.NamedTemporaryFile(delete=False).write(b'x')\n",
    )
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    status, data = run_check(sub, project, cwd=work, env=env)
    assert (status, data["problems"]) == (0, [])
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before
    assert list(work.iterdir()) == [] and list(temporary.iterdir()) == []


STAND_IN = {  # the parts of brainscore_vision that loading a model plugin touches
    "brainscore_vision/__init__.py": "model_registry = {}\nbenchmark_registry = {}\n",
    "brainscore_vision/models/__init__.py": "",
}
PIXELS = """\
import numpy as np


def pixels(stimuli, width=40):
    return np.stack([np.frombuffer(open(path, "rb").read()[:width].ljust(width, b"\\0"),
                                   dtype=np.uint8).astype(float) for path in stimuli])


class PixelModel:  # a BrainModel built directly
    def visual_degrees(self):
        return 8

    def start_recording(self, region, time_bins):
        self.region = region

    def look_at(self, stimuli, number_of_trials=1):
        return pixels(stimuli)


class PixelActivations:  # what brainscore_vision's activation wrappers are called like
    def __call__(self, stimuli, layers):
        return {layer: pixels(stimuli, 30) for layer in layers}


class Commitment:  # the shape of ModelCommitment: activations_model and layers
    layers = ["conv1", "fc"]

    def __init__(self):
        self.activations_model = PixelActivations()

    def visual_degrees(self):
        return 8
"""


def plugin_submission(root, registration, requirements="numpy\n"):
    folder = root / "models" / "pixel_model"
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text(
        "from brainscore_vision import model_registry\n"
        "from .model import Commitment, PixelModel\n\n"
        f"model_registry['pixel_model'] = {registration}\n"
    )
    (folder / "model.py").write_text(PIXELS)
    (folder / "test.py").write_text(
        "import brainscore_vision\n\n\ndef test_load():\n"
        "    assert brainscore_vision.load_model('pixel_model')\n"
    )
    (folder / "requirements.txt").write_text(requirements)
    return root


@pytest.fixture
def stand_in(tmp_path):
    """Environment for the CLI with a stand-in brainscore_vision importable."""
    site = tmp_path / "site"
    for relative, text in STAND_IN.items():
        (site / relative).parent.mkdir(parents=True, exist_ok=True)
        (site / relative).write_text(text)
    return dict(os.environ, PYTHONPATH=str(site))


@pytest.mark.parametrize("zipped", [False, True], ids=["folder", "zip"])
def test_plugin_brain_model_is_loaded_from_the_registry(zipped, tmp_path, stand_in, sub):
    root = plugin_submission(tmp_path / "plugin_submission", "lambda: PixelModel()")
    path = sub.zip_folder(root, tmp_path / "plugin.zip") if zipped else root
    status, data = run_check(sub, path, env=stand_in)
    assert (status, data["problems"], data["not_run"]) == (0, [], None)
    assert passed(data) == [("pixel_model", region) for region in ("V1", "V2", "V4", "IT")]
    assert all(result["shape"][1] == 40 for result in data["run"]["passed"])


def test_plugin_model_commitment_runs_its_layers_without_get_layers(tmp_path, stand_in, sub):
    root = plugin_submission(tmp_path / "plugin_submission", "lambda: Commitment()")
    status, data = run_check(sub, root, env=stand_in)
    assert (status, data["problems"]) == (0, [])
    assert passed(data) == [("pixel_model", "conv1"), ("pixel_model", "fc")]


def test_plugin_whose_registry_entry_fails(tmp_path, stand_in, sub):
    root = plugin_submission(tmp_path / "plugin_submission", "lambda: PixelModel(1)")
    status, data = run_check(sub, root, env=stand_in)
    problem = sub.only_problem(data, "load-model-failed")
    assert (status, problem["model"], problem["file"]) == (
        1,
        "pixel_model",
        "models/pixel_model/__init__.py",
    )
    assert "model_registry['pixel_model']() raised TypeError" in problem["message"]


def test_plugin_without_brainscore_vision_says_the_run_did_not_happen(tmp_path, sub):
    root = plugin_submission(
        tmp_path / "plugin_submission",
        "lambda: PixelModel()",
        requirements="numpy\nbrainio-no-such-package-xyz>=1\n",
    )
    result = sub.run_cli("check", root, *sub.RUN)
    assert result.returncode == 3, result.stdout + result.stderr
    assert (
        "Mock run did not happen: not installed in this environment: "
        "brainio-no-such-package-xyz, brainscore_vision." in result.stdout
    )
    assert "Mock run on" not in result.stdout
    assert "models/pixel_model/requirements.txt: missing-package" in result.stdout
    assert "`pip install brainscore-vision`" in result.stdout


def test_benchmark_plugins_are_not_mock_run(tmp_path, stand_in, sub):
    root = tmp_path / "bench"
    (root / "benchmarks" / "my_bench").mkdir(parents=True)
    (root / "benchmarks" / "my_bench" / "__init__.py").write_text(
        "from brainscore_vision import benchmark_registry\n"
        "benchmark_registry['my_bench'] = lambda: None\n"
    )
    (root / "benchmarks" / "my_bench" / "test.py").write_text("def test():\n    pass\n")
    status, data = run_check(sub, root, env=stand_in)
    assert (status, data["problems"], data["run"]) == (3, [], None)
    assert "checked by validate only" in data["not_run"]


def test_a_timeout_must_be_positive(new_project, sub):
    result = sub.run_cli("check", new_project(), "--run", "--timeout", "0")
    assert result.returncode == 2
    assert "--timeout" in result.stderr
