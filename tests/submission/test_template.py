"""`brainio submission new` writes a project that `validate` and `check --run` accept."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib

import pytest

from brainio_submission.errors import SubmissionError
from brainio_submission.template import write_template

EXPECTED = {
    "base": ("models/base_models.py", ["layer1", "layer2", "layer3"]),
    "brain": ("models/brain_models.py", ["V1", "V2", "V4", "IT"]),
}


@pytest.mark.parametrize("kind", ["base", "brain"])
def test_new_template_passes_validate_and_mock_run(kind, tmp_path, sub):
    project = tmp_path / f"my_{kind}_model"
    created = sub.run_cli("new", project, "--kind", kind)
    assert created.returncode == 0, created.stderr
    module, layers = EXPECTED[kind]
    assert sorted(p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file()) \
        == sorted(["README.md", "pyproject.toml", "models/__init__.py", module])
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["name"] == f"my_{kind}_model"
    assert any(dep.startswith("numpy") for dep in pyproject["project"]["dependencies"])

    status, data = sub.report("validate", project)
    assert (status, data["ok"], data["problems"]) == (0, True, [])

    status, data = sub.report("check", project, "--run", "--timeout", "60")
    assert status == 0, data["problems"]
    assert data["run"]["stimulus_set"] == "demo.shapes"
    n_stimuli = data["run"]["stimuli"]
    assert n_stimuli > 1
    assert [result["layer"] for result in data["run"]["passed"]] == layers
    assert all(result["shape"][0] == n_stimuli for result in data["run"]["passed"])
    # the mock run worked on a copy: nothing was written into the project
    assert not list(project.rglob("__pycache__"))


def test_zipped_template_passes_validate_and_mock_run(new_project, tmp_path, sub):
    project = new_project("base", "zipped_model")
    archive = sub.zip_folder(project, tmp_path / "submission.zip")
    status, data = sub.report("validate", archive)
    assert (status, data["problems"]) == (0, [])
    status, data = sub.report("check", archive, "--run", "--timeout", "60")
    assert status == 0, data["problems"]
    assert len(data["run"]["passed"]) == 3


def test_text_report_and_exit_status(new_project, sub):
    project = new_project()
    result = sub.run_cli("validate", project)
    assert result.returncode == 0
    assert "No problems found" in result.stdout
    (project / "models" / "__init__.py").unlink()
    result = sub.run_cli("validate", project)
    assert result.returncode == 1
    assert "models/__init__.py: missing-init: " in result.stdout
    assert "1 problem(s) found" in result.stdout


def test_template_module_runs_its_own_checks(new_project):
    project = new_project()
    result = subprocess.run([sys.executable, "-m", "models.base_models"], cwd=project,
                            capture_output=True, text=True, timeout=60, check=False)
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
        write_template(tmp_path / "my model", "base")
    assert list(tmp_path.iterdir()) == []


def test_new_refuses_an_unknown_kind(tmp_path):
    with pytest.raises(SubmissionError, match="Unknown submission kind 'robot'"):
        write_template(tmp_path / "model", "robot")


def test_new_into_an_existing_empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    files = write_template(tmp_path / "empty", "brain")
    assert (tmp_path / "empty" / "models" / "brain_models.py") in files


def test_bundled_stimuli_stand_in_when_the_demo_set_is_missing(new_project, sub):
    project = new_project()
    # only this plugin loads: no brainio-local, so no demo catalog
    env = dict(os.environ, BRAINIO_LOAD_PLUGINS="submission")
    status, data = sub.report("check", project, "--run", "--timeout", "60", env=env)
    assert status == 0, data["problems"]
    assert (data["run"]["stimulus_set"], data["run"]["stimuli"]) == ("bundled", 4)
    assert all(result["shape"][0] == 4 for result in data["run"]["passed"])
