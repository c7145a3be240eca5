"""Files appear whole or not at all."""

from __future__ import annotations

import pytest

from brainio.atomic import atomic_path


def test_success_renames_into_place(tmp_path):
    target = tmp_path / "sub" / "file.bin"
    with atomic_path(target) as temp:
        assert temp.parent == target.parent and temp.name.startswith(".file.bin.")
        temp.write_bytes(b"whole")
        assert not target.exists()  # nobody sees it before the block ends
    assert target.read_bytes() == b"whole"
    assert [p.name for p in target.parent.iterdir()] == ["file.bin"]


def test_failure_leaves_nothing_and_keeps_the_old_file(tmp_path):
    target = tmp_path / "file.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_path(target) as temp:
        temp.write_bytes(b"half")
        raise RuntimeError("interrupted")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["file.bin"]


def test_exclusive_never_replaces(tmp_path):
    target = tmp_path / "file.bin"
    with pytest.raises(FileExistsError), atomic_path(target, exclusive=True) as temp:
        temp.write_bytes(b"mine")
        target.write_bytes(b"another writer was first")
    assert target.read_bytes() == b"another writer was first"
    assert [p.name for p in tmp_path.iterdir()] == ["file.bin"]
