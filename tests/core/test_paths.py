"""The confinement gate every name from data passes before it becomes a path."""

from __future__ import annotations

import os

import pytest

from brainio.errors import BrainIOError, UnsafePathError
from brainio.paths import confined, confined_all, confined_files


def confined_one_of_many(root, name, **kwargs):
    """The many-names gate (folders listed once) asked about ``name`` among others."""
    return confined_all(root, ["other.png", name, "sub/other.png"], **kwargs)[1]


#: Both gates: symbolic links are judged from ``lstat`` (one name) or from folder listings.
GATES = pytest.mark.parametrize("gate", [confined, confined_one_of_many], ids=["one", "many"])


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


@GATES
def test_symlinked_folder_leading_out_is_refused(tmp_path, gate):
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "root"
    root.mkdir()
    os.symlink(outside, root / "link")
    with pytest.raises(UnsafePathError, match="symbolic link"):
        gate(root, "link/file.txt")


@GATES
def test_symlinked_file_leading_out_is_refused(tmp_path, gate):
    (tmp_path / "secret").write_text("x")
    root = tmp_path / "root"
    root.mkdir()
    os.symlink(tmp_path / "secret", root / "file.txt")
    with pytest.raises(UnsafePathError, match="symbolic link"):
        gate(root, "file.txt")


@GATES
def test_symlinks_staying_inside_are_fine(tmp_path, gate):
    (tmp_path / "real").mkdir()
    os.symlink(tmp_path / "real", tmp_path / "alias")
    os.symlink(tmp_path / "real" / "f", tmp_path / "f-link")
    assert gate(tmp_path, "alias/x") == tmp_path / "alias" / "x"
    assert gate(tmp_path, "f-link") == tmp_path / "f-link"


@GATES
def test_root_behind_a_symlink_is_fine(tmp_path, gate):
    (tmp_path / "real").mkdir()
    os.symlink(tmp_path / "real", tmp_path / "root")
    assert gate(tmp_path / "root", "a/b") == tmp_path / "root" / "a" / "b"


def test_many_names_are_checked_each(tmp_path):
    assert confined_all(tmp_path, ["a", "b/c"]) == [tmp_path / "a", tmp_path / "b" / "c"]
    with pytest.raises(UnsafePathError, match="'../x'"):
        confined_all(tmp_path, ["a", "../x"])


def test_missing_files_are_told_apart_from_the_listings(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.png").write_bytes(b"a")
    (tmp_path / "sub" / "b.png").write_bytes(b"b")
    (tmp_path / "folder.png").mkdir()  # a folder is not a stimulus file
    os.symlink(tmp_path / "a.png", tmp_path / "link.png")  # a link to a file inside is one
    names = ["a.png", "sub/b.png", "gone.png", "folder.png", "nosuch/c.png", "link.png"]
    paths, missing = confined_files(tmp_path, names)
    assert paths == [tmp_path / name for name in names]
    assert missing == [2, 3, 4]
