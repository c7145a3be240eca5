"""Interrupted downloads are kept and handed to the next fetch, which may resume them."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from brainio.cache import get_cache, partial_info_path, partial_path
from brainio.errors import FetchError, IntegrityError
from brainio.records import Source

DATA = bytes(range(256)) * 400  # 100 kB
HALF = len(DATA) // 2


@pytest.fixture
def source(tmp_path: Path) -> Source:
    return Source("test", str(tmp_path / "remote.nc"), sha1=hashlib.sha1(DATA).hexdigest())


def interrupted(error: BaseException):
    def fetch(source: Source, destination: Path) -> None:
        destination.write_bytes(DATA[:HALF])
        partial_info_path(destination).write_text('{"etag": "v1"}')
        raise error

    return fetch


def resuming(seen: list[int]):
    def fetch(source: Source, destination: Path) -> None:
        offset = destination.stat().st_size
        seen.append(offset)
        with open(destination, "ab") as file:
            file.write(DATA[offset:])

    return fetch


@pytest.mark.parametrize("error", [KeyboardInterrupt(), FetchError("connection reset")])
def test_an_interrupted_download_is_kept_and_resumed(source, error):
    cache = get_cache()
    with pytest.raises(type(error)):
        cache.fetch(source, fetcher=interrupted(error))
    partial = partial_path(cache.path_for(source))
    assert partial.stat().st_size == HALF and partial_info_path(partial).exists()
    assert not cache.is_cached(source)
    seen: list[int] = []
    path = cache.fetch(source, fetcher=resuming(seen))
    assert seen == [HALF]  # the second fetch continued where the first stopped
    assert path.read_bytes() == DATA and cache.is_cached(source)
    assert not partial.exists() and not partial_info_path(partial).exists()


def test_bytes_that_fail_verification_are_never_resumed(source):
    cache = get_cache()
    with pytest.raises(KeyboardInterrupt):
        cache.fetch(source, fetcher=interrupted(KeyboardInterrupt()))

    def corrupting(source: Source, destination: Path) -> None:
        with open(destination, "ab") as file:
            file.write(b"x" * (len(DATA) - HALF))

    with pytest.raises(IntegrityError):
        cache.fetch(source, fetcher=corrupting)
    assert not partial_path(cache.path_for(source)).exists()
    seen: list[int] = []
    assert cache.fetch(source, fetcher=resuming(seen)).read_bytes() == DATA
    assert seen == [0]  # started over


def test_a_fetcher_that_cannot_resume_overwrites_the_partial_file(source):
    cache = get_cache()
    with pytest.raises(KeyboardInterrupt):
        cache.fetch(source, fetcher=interrupted(KeyboardInterrupt()))

    def whole(source: Source, destination: Path) -> None:
        destination.write_bytes(DATA)

    assert cache.fetch(source, fetcher=whole).read_bytes() == DATA


def test_cache_verify_removes_abandoned_partial_downloads(source):
    cache = get_cache()
    with pytest.raises(KeyboardInterrupt):
        cache.fetch(source, fetcher=interrupted(KeyboardInterrupt()))
    report = cache.verify()
    assert any("interrupted" in problem.message for problem in report.problems)
    assert not partial_path(cache.path_for(source)).exists()
