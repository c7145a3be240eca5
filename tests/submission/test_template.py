"""`brainio submission new` writes a submission that the website, `validate` and (for the 2021
layout here, for plugins where Brain-Score is installed) `check --run` accept."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib

import pytest

from brainio_submission.errors import SubmissionError
from brainio_submission.template import write_template

EXPECTED = {
    "legacy-base": ("models/base_models.py", ["layer1", "layer2", "layer3"]),
    "legacy-brain": ("models/brain_models.py", ["V1", "V2", "V4", "IT"]),
}
PLUGIN_FILES = {
    "model": [
        "README.md",
        "models/my_net/__init__.py",
        "models/my_net/model.py",
        "models/my_net/requirements.txt",
        "models/my_net/test.py",
    ],
    "benchmark": [
        "README.md",
        "benchmarks/my_net/__init__.py",
        "benchmarks/my_net/benchmark.py",
        "benchmarks/my_net/test.py",
    ],
}


@pytest.mark.parametrize("kind", ["model", "benchmark"])
def test_new_plugin_zipped_as_its_readme_says_is_accepted(kind, tmp_path, sub):
    project = tmp_path / "my_net"
    arguments = ("new", project) if kind == "model" else ("new", project, "--kind", kind)
    created = sub.run_cli(*arguments)
    assert created.returncode == 0, created.stderr
    assert (
        sorted(p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file())
        == PLUGIN_FILES[kind]
    )
    readme = (project / "README.md").read_text()
    assert "zip -r my_net.zip my_net -x '*/__pycache__/*' '*/.*'" in readme
    init = (project / PLUGIN_FILES[kind][1]).read_text()
    assert f"{kind}_registry['my_net']" in init

    by_hand = sub.zip_with_zip_tool(project, tmp_path / "my_net.zip")
    assert sub.website_verdict(by_hand) is None
    status, data = sub.report("validate", by_hand)
    assert (status, data["layout"], data["problems"]) == (0, "plugin", [])

    assert sub.run_cli("zip", project, "-o", tmp_path / "tool.zip").returncode == 0
    assert sub.website_verdict(tmp_path / "tool.zip") is None
    for relative in PLUGIN_FILES[kind]:
        if relative.endswith(".py"):  # the examples compile (validate checked that too)
            compile((project / relative).read_bytes(), relative, "exec")


def test_new_takes_an_identifier_and_refuses_hyphens(tmp_path, sub):
    result = sub.run_cli("new", tmp_path / "my-net")
    assert result.returncode == 1
    assert "'my-net' contains a hyphen" in result.stderr and "'my_net'" in result.stderr
    assert list(tmp_path.iterdir()) == []
    result = sub.run_cli("new", tmp_path / "my-net", "--identifier", "my_net.v2")
    assert result.returncode == 0, result.stderr
    init = (tmp_path / "my-net" / "models" / "my_net_v2" / "__init__.py").read_text()
    assert "model_registry['my_net.v2']" in init
    assert sub.validate(tmp_path / "my-net")[0] == 0


@pytest.mark.parametrize("kind", ["legacy-base", "legacy-brain"])
def test_new_legacy_template_passes_validate_and_mock_run(kind, tmp_path, sub):
    project = tmp_path / f"my_{kind.removeprefix('legacy-')}_model"
    created = sub.run_cli("new", project, "--kind", kind)
    assert created.returncode == 0, created.stderr
    module, layers = EXPECTED[kind]
    assert sorted(
        p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file()
    ) == sorted(["README.md", "pyproject.toml", "models/__init__.py", module])
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["name"] == project.name
    assert any(dep.startswith("numpy") for dep in pyproject["project"]["dependencies"])

    status, data = sub.report("validate", project)
    assert (status, data["ok"], data["layout"], data["problems"]) == (0, True, "legacy", [])
    archive = sub.zip_with_zip_tool(project, tmp_path / "legacy.zip")
    assert sub.website_verdict(archive) == "Your models folder is empty."  # 2021 layout

    status, data = sub.report("check", project, *sub.RUN, "--timeout", "60")
    assert status == 0, data["problems"]
    assert data["run"]["stimulus_set"] == "demo.shapes"
    n_stimuli = data["run"]["stimuli"]
    assert n_stimuli > 1
    assert [result["layer"] for result in data["run"]["passed"]] == layers
    assert all(result["shape"][0] == n_stimuli for result in data["run"]["passed"])
    # the mock run worked on a copy: nothing was written into the project
    assert not list(project.rglob("__pycache__"))


def test_zipped_template_passes_validate_and_mock_run(new_project, tmp_path, sub):
    project = new_project("legacy-base", "zipped_model")
    archive = sub.zip_folder(project, tmp_path / "submission.zip")
    status, data = sub.report("validate", archive)
    assert (status, data["problems"]) == (0, [])
    status, data = sub.report("check", archive, *sub.RUN, "--timeout", "60")
    assert status == 0, data["problems"]
    assert len(data["run"]["passed"]) == 3


def test_text_report_and_exit_status(new_project, sub):
    project = new_project()
    result = sub.run_cli("validate", project)
    assert result.returncode == 0
    assert "2021 layout (models/base_models.py); the Brain-Score website no longer" in result.stdout
    assert "No problems found" in result.stdout
    (project / "models" / "__init__.py").unlink()
    result = sub.run_cli("validate", project)
    assert result.returncode == 1
    assert "models/__init__.py: missing-init: " in result.stdout
    assert "1 problem(s) found" in result.stdout


def test_template_module_runs_its_own_checks(new_project):
    project = new_project()
    result = subprocess.run(
        [sys.executable, "-m", "models.base_models"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "layer3: activations of shape" in result.stdout


def test_new_refuses_a_folder_that_is_not_empty(tmp_path, sub):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    result = sub.run_cli("new", tmp_path / "taken")
    assert result.returncode == 1
    assert "already exists and is not an empty folder" in result.stderr
    assert [p.name for p in (tmp_path / "taken").iterdir()] == ["notes.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]  # no staging folder left


def test_new_refuses_spaces_in_the_folder_name(tmp_path):
    with pytest.raises(SubmissionError, match="contains spaces"):
        write_template(tmp_path / "my model", "legacy-base")
    assert list(tmp_path.iterdir()) == []


def test_new_refuses_an_unknown_kind(tmp_path):
    with pytest.raises(SubmissionError, match="Unknown submission kind 'robot'"):
        write_template(tmp_path / "model", "robot")


def test_new_into_an_existing_empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    files = write_template(tmp_path / "empty", "legacy-brain")
    assert (tmp_path / "empty" / "models" / "brain_models.py") in files


def test_bundled_stimuli_stand_in_when_the_demo_set_is_missing(new_project, sub):
    project = new_project()
    # only this plugin loads: no brainio-local, so no demo catalog
    env = dict(os.environ, BRAINIO_LOAD_PLUGINS="submission")
    status, data = sub.report("check", project, *sub.RUN, "--timeout", "60", env=env)
    assert status == 0, data["problems"]
    assert (data["run"]["stimulus_set"], data["run"]["stimuli"]) == ("bundled", 4)
    assert all(result["shape"][0] == 4 for result in data["run"]["passed"])
