"""Catalog projects are shareable as generated: clone one elsewhere and its data sets load.

Also the format rules of docs/format.md that packaging enforces, and the one-line error of a
bad name given straight to cookiecutter.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from brainio.errors import PackagingError
from brainio.packaging import package_stimulus_set
from brainio.packaging.portable import portable_row, project_root
from brainio.records import LookupRow

REPO = Path(__file__).resolve().parents[2]
_LOAD = """
from brainio import get_assembly, get_stimulus_set
stimuli = get_stimulus_set("share_lab.Example2024")
assembly = get_assembly("share_lab.Example2024")
print(len(stimuli), dict(assembly.sizes), stimuli.get_stimulus("image_3").is_file())
"""


def _git(*args: str, cwd: Path) -> None:
    who = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@x",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@x",
    }
    env = {**os.environ, **who}
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git to clone the project")
def test_a_cloned_catalog_project_loads_its_data(tmp_path, run_cli, install_project):
    run_cli("new-catalog", "share_lab", "--output-dir", str(tmp_path / "author"))
    project = tmp_path / "author" / "brainio-share-lab"
    env = {
        **os.environ,
        "BRAINIO_HOME": str(tmp_path / "h1"),
        "PYTHONPATH": os.pathsep.join(
            [install_project(project, tmp_path / "site1"), str(project / "src")]
        ),
    }
    script = subprocess.run(  # packages into the project's own store/ (the default target)
        [sys.executable, str(project / "scripts" / "package_example.py")],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert script.returncode == 0, script.stderr
    lookup = (project / "src" / "share_lab" / "lookup.csv").read_text()
    assert "file://" not in lookup and str(tmp_path) not in lookup
    assert ",local,../../store/" in lookup
    _git("init", "-q", cwd=project)
    _git("add", "-A", cwd=project)
    _git("commit", "-q", "-m", "catalog", cwd=project)
    assert (
        "store/"
        in subprocess.run(["git", "ls-files"], cwd=project, capture_output=True, text=True).stdout
    )  # the template does not ignore it

    clone = tmp_path / "reader" / "brainio-share-lab"
    _git("clone", "-q", str(project), str(clone), cwd=tmp_path)
    shutil.rmtree(tmp_path / "author")  # nothing may point back at the author's folder
    env = {
        **os.environ,
        "BRAINIO_HOME": str(tmp_path / "h2"),
        "PYTHONPATH": os.pathsep.join(
            [install_project(clone, tmp_path / "site2"), str(clone / "src")]
        ),
    }
    load = subprocess.run(
        [sys.executable, "-c", _LOAD], capture_output=True, text=True, timeout=120, env=env
    )
    assert load.returncode == 0, load.stderr
    assert load.stdout.split() == ["8", "{'presentation':", "16,", "'neuroid':", "4}", "True"]


def test_local_locations_inside_the_project_become_relative(tmp_path):
    project = tmp_path / "proj"
    (project / "src" / "lab").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[project]\nname='x'\n")
    catalog = project / "src" / "lab" / "lookup.csv"
    assert project_root(catalog) == project

    def row(location: str, location_type: str = "local") -> LookupRow:
        return LookupRow("lab.X", "assembly", "DataAssembly", location_type, location, "a" * 40)

    inside = (project / "store" / "assy_lab_X.nc").as_uri()
    assert portable_row(row(inside), catalog).location == "../../store/assy_lab_X.nc"
    outside = (tmp_path / "shared" / "assy_lab_X.nc").as_uri()
    assert portable_row(row(outside), catalog).location == outside
    s3 = "s3://bucket/assy_lab_X.nc"
    assert portable_row(row(s3, "S3"), catalog).location == s3


def test_packaging_refuses_column_names_the_format_forbids(stimuli, catalog_path, store):
    stimuli["Object Name"] = "x"
    stimuli["2nd"] = 1
    with pytest.raises(PackagingError) as error:
        package_stimulus_set(None, stimuli, "lab.cols", target=store, catalog_path=catalog_path)
    message = str(error.value)
    assert "lowercase letters, digits and underscores" in message
    assert "'Object Name'" in message and "'2nd'" in message
    assert not store.exists() or not any(store.iterdir())  # nothing was stored


@pytest.mark.parametrize("name", ["My Lab", 'my"lab'])
def test_cookiecutter_with_a_bad_name_is_one_line(tmp_path, name):
    """The template's own check answers in one line on stderr (cookiecutter then logs its
    own "hook failed" report with a traceback to stdout, which a template cannot silence)."""
    cookiecutter = Path(sys.executable).with_name("cookiecutter")
    result = subprocess.run(
        [
            str(cookiecutter),
            "--no-input",
            "-o",
            str(tmp_path),
            str(REPO / "template_project"),
            f"catalog_name={name}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        f"ERROR: catalog_name '{name}' cannot be the name of a catalog package: use lower-case "
        "letters, digits and underscores, starting with a letter, and not a Python keyword or "
        "module name (e.g. 'mylab')."
    ]
    assert not any(tmp_path.iterdir())


_PACKAGE = """
import sys
import numpy as np, xarray as xr
from brainio.packaging import package_data_assembly
assembly = xr.DataArray(np.zeros((4, 2)), dims=["presentation", "neuroid"], coords={
    "stimulus_id": ("presentation", list("abcd")), "neuroid_id": ("neuroid", ["n0", "n1"])})
package_data_assembly(None, assembly, "lab.Progress2026", target=sys.argv[1],
                      assembly_class_name="NeuroidAssembly", stimulus_set_identifier=None)
"""


@pytest.mark.parametrize(("setting", "shown"), [("1", True), ("0", False)])
def test_packaging_shows_what_it_is_doing_before_the_upload(tmp_path, setting, shown):
    (tmp_path / "store").mkdir()
    result = subprocess.run(
        [sys.executable, "-c", _PACKAGE, str(tmp_path / "store")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "BRAINIO_PROGRESS": setting},
    )
    assert result.returncode == 0, result.stderr
    assert ("Writing and hashing assy_lab_Progress2026.nc: 00:0" in result.stderr) is shown
    assert (tmp_path / "store" / "assy_lab_Progress2026.nc").is_file()


def test_new_catalog_without_cookiecutter_names_the_extra(tmp_path):
    code = (  # an environment without cookiecutter (brainio-core without its extra)
        "import sys; sys.modules['cookiecutter'] = None\n"
        "from brainio.cli import main\n"
        f"sys.argv = ['brainio', 'new-catalog', 'x_lab', '--output-dir', {str(tmp_path)!r}]\n"
        "main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "pip install 'brainio-core[new-catalog]'" in result.stderr
    assert not any(tmp_path.iterdir())
