"""The confinement gate every name from data passes before it becomes a path."""

from __future__ import annotations

import os

import pytest

from brainio.errors import BrainIOError, UnsafePathError
from brainio.paths import confined, confined_all


def test_relative_names_join_the_root(tmp_path):
    assert confined(tmp_path, "a/b.png") == tmp_path / "a" / "b.png"
    assert confined(tmp_path, "a\\b.png") == tmp_path / "a" / "b.png"
    assert confined(tmp_path, "./a//b.png") == tmp_path / "a" / "b.png"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("/etc/passwd", "absolute path"),
        ("\\\\server\\share", "absolute path"),
        ("C:/Windows/win.ini", "drive letter"),
        ("../secret", "'..'"),
        ("images/../../secret", "'..'"),
        ("images\\..\\..\\secret", "'..'"),
        ("", "empty"),
        ("./", "empty"),
        ("a\x00b", "NUL"),
    ],
)
def test_names_leading_outside_are_refused(tmp_path, name, reason):
    with pytest.raises(UnsafePathError, match=reason) as caught:
        confined(tmp_path, name, what="Stimulus filename in 'x'")
    message = str(caught.value)
    assert "Stimulus filename in 'x'" in message
    assert str(tmp_path) in message
    assert "\n" not in message
    assert isinstance(caught.value, BrainIOError) and isinstance(caught.value, ValueError)


def test_symlinked_folder_leading_out_is_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "root"
    root.mkdir()
    os.symlink(outside, root / "link")
    with pytest.raises(UnsafePathError, match="symbolic link"):
        confined(root, "link/file.txt")


def test_symlinked_file_leading_out_is_refused(tmp_path):
    (tmp_path / "secret").write_text("x")
    root = tmp_path / "root"
    root.mkdir()
    os.symlink(tmp_path / "secret", root / "file.txt")
    with pytest.raises(UnsafePathError, match="symbolic link"):
        confined(root, "file.txt")


def test_symlinks_staying_inside_are_fine(tmp_path):
    (tmp_path / "real").mkdir()
    os.symlink(tmp_path / "real", tmp_path / "alias")
    os.symlink(tmp_path / "real" / "f", tmp_path / "f-link")
    assert confined(tmp_path, "alias/x") == tmp_path / "alias" / "x"
    assert confined(tmp_path, "f-link") == tmp_path / "f-link"


def test_root_behind_a_symlink_is_fine(tmp_path):
    (tmp_path / "real").mkdir()
    os.symlink(tmp_path / "real", tmp_path / "root")
    assert confined(tmp_path / "root", "a/b") == tmp_path / "root" / "a" / "b"


def test_many_names_are_checked_each(tmp_path):
    assert confined_all(tmp_path, ["a", "b/c"]) == [tmp_path / "a", tmp_path / "b" / "c"]
    with pytest.raises(UnsafePathError, match="'../x'"):
        confined_all(tmp_path, ["a", "../x"])
