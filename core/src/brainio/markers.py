"""The JSON files a cache entry keeps beside its files, and the names of its hidden files.

A cached file ``<name>`` is trusted while its verified marker ``.<name>.verified.json``
records the file's size and mtime as they are now (:mod:`brainio.cache` writes it after
checking the sha1). Readers of cached files (:mod:`brainio.decoded`) check markers through this
module, so that loading a file that is not in the cache imports none of the cache's machinery
(locks, fetchers, plugins).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from brainio.atomic import atomic_path

MARKER_SUFFIX = ".verified.json"
PART_SUFFIX = ".part"  # a file being written (a download, a decoded copy): never trusted
DECODED_INFIX = ".decoded-"  # in the names of decoded copies (brainio.decoded)


def marker_path(path: Path) -> Path:
    """Where the verified marker of the cached file ``path`` is."""
    return path.with_name(f".{path.name}{MARKER_SUFFIX}")


def read_json(path: Path) -> dict[str, Any] | None:
    """A marker or manifest; ``None`` when missing, unreadable or not a JSON object."""
    try:
        with open(path, encoding="utf-8") as file:
            data = json.load(file)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write a marker or manifest atomically (a reader sees the old one or the new one)."""
    with atomic_path(path) as temp:
        temp.write_text(json.dumps(data), encoding="utf-8")


def read(path: Path) -> dict[str, Any] | None:
    """The verified marker of ``path``, whether or not it still vouches for the file."""
    return read_json(marker_path(path))


def verified(path: Path, expected_sha1: str | None = None) -> dict[str, Any] | None:
    """The marker of ``path`` if it vouches for the file as it is now (same size and mtime;
    same sha1, if one is expected), without hashing; else ``None``."""
    marker = read(path)
    if marker is None:
        return None
    try:
        stat = path.stat()
    except OSError:
        return None
    if expected_sha1 is not None and marker.get("sha1") != expected_sha1:
        return None
    if marker.get("size") != stat.st_size or marker.get("mtime_ns") != stat.st_mtime_ns:
        return None
    return marker
