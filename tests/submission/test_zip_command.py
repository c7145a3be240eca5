"""`brainio submission zip DIR`: the upload zip with folder entries, without caches, validated."""

from __future__ import annotations

import os
import zipfile


def test_zip_has_folder_entries_and_no_caches(tmp_path, sub):
    project = tmp_path / "my_model"
    assert sub.run_cli("new", project).returncode == 0
    plugin = project / "models" / "my_model"
    (plugin / "__pycache__").mkdir()
    (plugin / "__pycache__" / "model.cpython-311.pyc").write_bytes(b"\x00")
    (plugin / "model.pyc").write_bytes(b"\x00")
    (project / ".git").mkdir()
    (project / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (project / ".DS_Store").write_bytes(b"\x00")
    (plugin / ".ipynb_checkpoints").mkdir()
    (plugin / ".ipynb_checkpoints" / "model-checkpoint.py").write_text("x = 1\n")

    result = sub.run_cli("zip", project)
    assert result.returncode == 0, result.stdout + result.stderr
    archive = tmp_path / "my_model.zip"
    assert f"Wrote {archive}." in result.stdout and "No problems found" in result.stdout
    with zipfile.ZipFile(archive) as handle:
        names = handle.namelist()
    assert names[0] == "my_model/"
    assert sorted(names) == sorted(
        [
            "my_model/",
            "my_model/README.md",
            "my_model/models/",
            "my_model/models/my_model/",
            "my_model/models/my_model/__init__.py",
            "my_model/models/my_model/model.py",
            "my_model/models/my_model/requirements.txt",
            "my_model/models/my_model/test.py",
        ]
    )
    assert sub.website_verdict(archive) is None
    assert not list(tmp_path.glob(".*partial"))


def test_zip_reports_problems_with_exit_status(tmp_path, sub):
    project = tmp_path / "my_model"
    assert sub.run_cli("new", project).returncode == 0
    (project / "models" / "my_model" / "test.py").unlink()
    status, data = sub.report("zip", project, "-o", tmp_path / "out.zip")
    assert status == 1
    assert sub.codes(data) == ["missing-plugin-file"]
    assert data["path"] == str(tmp_path / "out.zip")
    assert (tmp_path / "out.zip").exists()  # written: the report says what to fix


def test_zip_refuses_to_overwrite_and_symlinks(tmp_path, sub):
    project = tmp_path / "my_model"
    assert sub.run_cli("new", project).returncode == 0
    (tmp_path / "my_model.zip").write_text("mine")
    result = sub.run_cli("zip", project)
    assert result.returncode == 1 and "already exists; remove it or pass --force" in result.stderr
    assert (tmp_path / "my_model.zip").read_text() == "mine"
    assert sub.run_cli("zip", project, "--force").returncode == 0

    os.symlink("/etc/hostname", project / "models" / "my_model" / "host.txt")
    result = sub.run_cli("zip", project, "-o", tmp_path / "linked.zip")
    assert result.returncode == 1 and "is a symbolic link" in result.stderr
    assert not (tmp_path / "linked.zip").exists()


def test_zip_refuses_a_destination_inside_the_folder(tmp_path, sub):
    project = tmp_path / "my_model"
    assert sub.run_cli("new", project).returncode == 0
    result = sub.run_cli("zip", project, "-o", project / "upload.zip")
    assert result.returncode == 1 and "inside the folder being zipped" in result.stderr
