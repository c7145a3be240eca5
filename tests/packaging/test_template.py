"""The catalog project template: rendering, shipping in the wheel, and a lab's whole workflow."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

import brainio
from brainio.catalogs import COLUMNS
from brainio.errors import PackagingError
from brainio.packaging.template import render_catalog_project, template_dir

REPO = Path(__file__).resolve().parents[2]
_LOAD = """
import sys
from brainio import get_assembly, get_stimulus_set, list_catalogs
assert "e2e_lab" in list_catalogs(), list_catalogs()
stimuli = get_stimulus_set("e2e_lab.Example2024")
assembly = get_assembly("e2e_lab.Example2024")
print(len(stimuli), type(assembly).__name__, dict(assembly.sizes),
      stimuli.get_stimulus("image_3").is_file())
"""


def test_render(tmp_path, run_cli):
    result = run_cli("new-catalog", "vision_lab", "--output-dir", str(tmp_path), "--storage", "s3")
    project = tmp_path / "brainio-vision-lab"
    assert f"Created catalog project {project}" in result.stdout
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["name"] == "brainio-vision-lab"
    assert pyproject["project"]["dependencies"] == ["brainio-core", "brainio-s3"]
    assert pyproject["project"]["entry-points"]["brainio"] == {"vision_lab": "vision_lab.plugin"}
    package = project / "src" / "vision_lab"
    assert (package / "lookup.csv").read_text() == ",".join(COLUMNS) + "\n"
    assert 'CATALOG_NAME = "vision_lab"' in (package / "plugin.py").read_text()
    assert "s3://my-bucket/" in (project / "scripts" / "package_example.py").read_text()
    for path in project.rglob("*"):
        if path.is_file():
            assert "{{" not in path.read_text() and "{%" not in path.read_text(), path
    compile_all = subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(project)], capture_output=True, text=True
    )
    assert compile_all.returncode == 0, compile_all.stdout


def test_existing_project_is_not_overwritten(tmp_path):
    render_catalog_project("lab", tmp_path)
    with pytest.raises(PackagingError, match="brainio-lab already exists"):
        render_catalog_project("lab", tmp_path)


def test_template_is_the_repository_folder():
    """Editable installs use the repository's folder; a wheel its copy of it."""
    found = template_dir()
    assert found in (REPO / "template_project", Path(brainio.__file__).parent / "template_project")
    assert (found / "cookiecutter.json").read_text() == (
        REPO / "template_project" / "cookiecutter.json"
    ).read_text()


@pytest.mark.slow
def test_wheel_ships_the_template(tmp_path):
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(REPO / "core"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = tmp_path.glob("brainio_core-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "site")
    assert "brainio/template_project/cookiecutter.json" in names
    # installed from the wheel, the renderer finds the template inside the package
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "from brainio.packaging.template import template_dir as t; "
            "from brainio.packaging.template import render_catalog_project as r;"
            f"print(t()); r('wheel_lab', {str(tmp_path / 'out')!r})",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(tmp_path / "site")},
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == str(tmp_path / "site" / "brainio" / "template_project")
    assert (tmp_path / "out" / "brainio-wheel-lab" / "src" / "wheel_lab" / "lookup.csv").is_file()


@pytest.mark.slow
def test_lab_workflow_end_to_end(tmp_path, run_cli, install_project):
    """Render a project, install it, package through it, load by identifier in a new process."""
    run_cli("new-catalog", "e2e_lab", "--output-dir", str(tmp_path))
    project = tmp_path / "brainio-e2e-lab"
    site = tmp_path / "site"  # installed here, never into the shared environment
    install_project(project, site)
    # --target does not process the editable install's .pth: put src/ on the path ourselves
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), str(project / "src")]),
        "BRAINIO_HOME": str(tmp_path / "home"),
    }
    store = tmp_path / "store"
    script = subprocess.run(
        [sys.executable, str(project / "scripts" / "package_example.py"), "--target", str(store)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert script.returncode == 0, script.stderr
    assert "assembly e2e_lab.Example2024: sha1" in script.stdout
    lookup = (project / "src" / "e2e_lab" / "lookup.csv").read_text().splitlines()
    assert len(lookup) == 4  # header, CSV row, ZIP row, assembly row

    env["BRAINIO_HOME"] = str(tmp_path / "fresh_home")
    load = subprocess.run(
        [sys.executable, "-c", _LOAD], capture_output=True, text=True, timeout=120, env=env
    )
    assert load.returncode == 0, load.stderr
    assert load.stdout.split() == [
        "8",
        "NeuronRecordingAssembly",
        "{'presentation':",
        "16,",
        "'neuroid':",
        "4}",
        "True",
    ]
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(project / "tests")],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=project,
    )
    assert tests.returncode == 0, tests.stdout
    assert "3 passed" in tests.stdout
