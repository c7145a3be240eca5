"""brainio.hashing.HashingWriter: the SHA-1 of a file computed while it is written, in any order."""

from __future__ import annotations

import hashlib
import os
import random
from pathlib import Path

import pytest

from brainio.hashing import HashingWriter, sha1_hash

DATA = random.Random(14).randbytes(3 * 2**20 + 123)


def write_parts(path: Path, parts: list[tuple[int, int]]) -> str | None:
    with HashingWriter(path) as file:
        for start, stop in parts:
            file.seek(start)
            assert file.write(DATA[start:stop]) == stop - start
        return file.hexdigest()


def parts_of(size: int) -> list[tuple[int, int]]:
    return [(start, min(start + size, len(DATA))) for start in range(0, len(DATA), size)]


def test_in_order_writes() -> None:
    path = Path(os.environ["BRAINIO_HOME"]) / "in-order"
    assert write_parts(path, parts_of(256 * 1024)) == hashlib.sha1(DATA).hexdigest()
    assert path.read_bytes() == DATA


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_parts_in_any_order_as_parallel_ranged_downloads_write_them(tmp_path, seed) -> None:
    parts = parts_of(100_000)
    random.Random(seed).shuffle(parts)
    path = tmp_path / "shuffled"
    assert write_parts(path, parts) == hashlib.sha1(DATA).hexdigest() == sha1_hash(path)


def test_a_range_written_twice_gives_no_digest(tmp_path) -> None:
    parts = parts_of(500_000)
    assert write_parts(tmp_path / "retried", parts + [parts[1]]) is None


def test_a_hole_gives_no_digest(tmp_path) -> None:
    parts = parts_of(500_000)
    del parts[2]
    assert write_parts(tmp_path / "hole", parts) is None


def test_digest_before_the_end_is_none_and_after_close_still_known(tmp_path) -> None:
    path = tmp_path / "partial"
    with HashingWriter(path) as file:
        file.seek(1000)
        file.write(DATA[1000:2000])
        assert file.hexdigest() is None  # bytes 0-999 never written
        file.seek(0)
        file.write(DATA[:1000])
    assert file.hexdigest() == hashlib.sha1(DATA[:2000]).hexdigest()
