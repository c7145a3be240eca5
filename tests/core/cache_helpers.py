"""Fetchers, process workers and zip builders for the cache tests.

A plain module (not a conftest) so that ``multiprocessing`` "spawn" children can import the
worker functions by name: the tests put this folder on ``sys.path`` before starting them.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import time
import zipfile
from pathlib import Path

from brainio.cache import get_cache
from brainio.records import Source

LOCATION_TYPE = "testcopy"


def sha1_of(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def make_source(path: Path, data: bytes | None = None, sha1: str | None = None) -> Source:
    """A source whose location is a local file the test fetchers copy."""
    if data is not None:
        path.write_bytes(data)
    if sha1 is None:
        sha1 = sha1_of(path.read_bytes())
    return Source(location_type=LOCATION_TYPE, location=str(path), sha1=sha1)


def copy_fetcher(source: Source, destination: Path) -> None:
    """Copy the file at ``source.location``; record the download in ``<location>.downloads``."""
    with open(source.location + ".downloads", "a") as log:
        log.write(f"{os.getpid()}\n")
    shutil.copyfile(source.location, destination)


def slow_copy_fetcher(source: Source, destination: Path) -> None:
    """Like :func:`copy_fetcher`, but slow, so concurrent callers really overlap."""
    with open(source.location + ".downloads", "a") as log:
        log.write(f"{os.getpid()}\n")
    data = Path(source.location).read_bytes()
    half = len(data) // 2
    with open(destination, "wb") as output:
        output.write(data[:half])
        output.flush()
        time.sleep(0.5)
        output.write(data[half:])


def hanging_fetcher(source: Source, destination: Path) -> None:
    """Write half the file, say so through ``<location>.started``, then hang (to be killed)."""
    data = Path(source.location).read_bytes()
    with open(destination, "wb") as output:
        output.write(data[: len(data) // 2])
        output.flush()
    Path(source.location + ".started").touch()
    time.sleep(600)


def downloads(source: Source) -> int:
    """How many times a test fetcher downloaded ``source``."""
    log = Path(source.location + ".downloads")
    return len(log.read_text().splitlines()) if log.exists() else 0


# --- process workers (run in spawned children; BRAINIO_HOME comes from the environment) ------


def fetch_worker(source: Source, start, results) -> None:
    """Wait until every worker is ready, fetch, and put the path in ``results``."""
    start.wait(60)
    results.put(str(get_cache().fetch(source, fetcher=slow_copy_fetcher, progress=False)))


def hanging_fetch_worker(source: Source) -> None:
    get_cache().fetch(source, fetcher=hanging_fetcher, progress=False)


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def extract_worker(zip_path: str) -> tuple[str, int]:
    """Extract through the cache; return the folder and how many extractions this process ran."""
    handler = _Records()
    logger = logging.getLogger("brainio.cache")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    folder = get_cache().extract(zip_path)
    extracted = sum(message.startswith("extracting ") for message in handler.messages)
    return str(folder), extracted


# --- zip builders ------------------------------------------------------------------------------


def write_zip(
    path: Path, members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED
) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def write_zip_infos(path: Path, members: list[tuple[zipfile.ZipInfo, bytes]]) -> Path:
    """A zip whose entries carry hand-made headers (symlinks, flags, raw names)."""
    with zipfile.ZipFile(path, "w") as archive:
        for info, data in members:
            archive.writestr(info, data)
    return path
