"""A name taken from data never becomes a path outside its folder."""

from __future__ import annotations

import os
import zipfile

import pytest
from fault_tools import (
    brainio,
    cache_leftovers,
    cache_report,
    one_line_error,
    stimulus_catalog,
    zip_bytes,
)

from brainio.errors import UnsafeArchiveError, UnsafePathError
from brainio.stimuli import StimulusSet

IMAGES = {"a.png": b"A" * 10, "b.png": b"B" * 10}


@pytest.mark.parametrize(
    ("filename", "reason"),
    [("/etc/passwd", "is an absolute path"), ("../../../../etc/passwd", "contains '..'")],
)
def test_stimulus_filename_leaving_its_folder_is_refused(
    filename, reason, install_catalog, brainio_home
):
    csv = f"stimulus_id,filename\na,a.png\nb,{filename}\n".encode()
    lookup, files = stimulus_catalog("lab.stim", csv, zip_bytes(IMAGES))
    env, _ = install_catalog("lab", lookup, files)

    got = brainio("get", "lab.stim", env=env)

    message = one_line_error(got, "UnsafePathError")
    assert f"Stimulus filename in 'lab.stim' (stimulus_lab.stim.csv) '{filename}' {reason}" in (
        message
    )
    assert "report it to whoever publishes the data" in message
    assert cache_leftovers(brainio_home) == []
    assert cache_report(brainio_home)["ok"]


def test_symlink_in_stimulus_folder_leading_out_is_refused(tmp_path):
    (tmp_path / "secret.txt").write_text("secret")
    folder = tmp_path / "stimuli"
    folder.mkdir()
    (folder / "a.png").write_bytes(b"A")
    os.symlink(tmp_path / "secret.txt", folder / "b.png")
    csv = tmp_path / "stimuli.csv"
    csv.write_text("stimulus_id,filename\na,a.png\nb,b.png\n")

    with pytest.raises(UnsafePathError, match="'b.png' leads outside through a symbolic link"):
        StimulusSet.from_files(csv, folder)


def test_archive_member_leaving_its_folder_is_refused(install_catalog, brainio_home):
    crafted = zip_bytes({"a.png": b"A", "../../escaped.png": b"X"})
    lookup, files = stimulus_catalog("lab.stim", b"stimulus_id,filename\na,a.png\n", crafted)
    env, _ = install_catalog("lab", lookup, files)

    got = brainio("get", "lab.stim", env=env)

    message = one_line_error(got, "UnsafeArchiveError")
    assert "[path-traversal] '../../escaped.png'" in got.stderr and "Nothing was extracted" in (
        got.stderr
    )
    assert "Refusing to extract" in message
    assert not list(brainio_home.rglob("escaped.png"))
    assert not [path for path in brainio_home.rglob("*") if path.name == "stimulus_lab.stim"]
    assert cache_leftovers(brainio_home) == []


def test_extraction_into_a_folder_with_a_symlink_leading_out_is_refused(tmp_path):
    from brainio.archive import safe_extract

    outside = tmp_path / "outside"
    outside.mkdir()
    destination = tmp_path / "destination"
    destination.mkdir()
    os.symlink(outside, destination / "images")
    archive = tmp_path / "stimuli.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("images/a.png", b"A")

    with pytest.raises(UnsafeArchiveError, match="'images/a.png': leads outside"):
        safe_extract(archive, destination)
    assert list(outside.iterdir()) == []
