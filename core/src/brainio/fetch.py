"""The BrainIO 1.x fetching API, kept so code written for 1.x keeps working.

These functions are thin wrappers around :mod:`brainio.cache`; new code should use
``brainio.cache.get_cache().fetch(source)`` or simply ``brainio.get_assembly(identifier)``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from brainio.cache import HOME_ENV, get_cache, home
from brainio.errors import IntegrityError
from brainio.hashing import normalize_sha1, sha1_hash
from brainio.records import Source

BRAINIO_HOME = HOME_ENV  # "BRAINIO_HOME", the environment variable naming the cache root


def get_local_data_path() -> Path:
    """The cache root: ``$BRAINIO_HOME``, or ``~/.brainio`` (read on every call)."""
    return home()


def fetch_file(
    location_type: str, location: str, sha1: str | None = None, version_id: str | None = None
) -> Path:
    """Fetch one file into the cache, verify it against ``sha1`` and return its local path."""
    source = Source(
        location_type=location_type, location=location, sha1=sha1, version_id=version_id
    )
    return get_cache().fetch(source)


def verify_sha1(filepath: str | os.PathLike[str], sha1: str) -> None:
    """Raise :class:`IntegrityError` unless the file at ``filepath`` hashes to ``sha1``."""
    actual = sha1_hash(filepath)
    expected = normalize_sha1(sha1)
    if actual != expected:
        raise IntegrityError(
            f"File '{filepath}': invalid SHA-1 hash {actual} (expected {expected}). The file is "
            f"corrupt or not the one the catalog describes; delete it and fetch it again."
        )


def unzip(zip_path: str | os.PathLike[str]) -> Path:
    """Safely extract ``zip_path`` (once) and return the folder holding its contents."""
    return get_cache().extract(Path(zip_path))


def filename_from_link(location: str) -> str:
    """The file name at the end of a URL or path, without its extension (1.x helper)."""
    return Path(location.rstrip("/").rsplit("/", 1)[-1]).stem


def fullname(obj: Any) -> str:
    """``module.QualifiedName`` of an object's class (1.x helper)."""
    cls = obj if isinstance(obj, type) else type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def resolve_assembly_class(class_name: str) -> type:
    """The assembly class a catalog's ``class`` cell names (core or plugin-provided)."""
    from brainio.classes import resolve

    return resolve(class_name)


def resolve_stimulus_set_class(class_name: str) -> type:
    """The stimulus-set class a catalog's ``class`` cell names (core or plugin-provided)."""
    from brainio.classes import resolve

    return resolve(class_name)


def get_assembly(identifier: str, *args: Any, **kwargs: Any) -> Any:
    """Same as :func:`brainio.get_assembly` (1.x exposed it here too)."""
    from brainio.loading import get_assembly as load

    return load(identifier, *args, **kwargs)


def get_stimulus_set(identifier: str, *args: Any, **kwargs: Any) -> Any:
    """Same as :func:`brainio.get_stimulus_set` (1.x exposed it here too)."""
    from brainio.loading import get_stimulus_set as load

    return load(identifier, *args, **kwargs)


__all__ = [
    "BRAINIO_HOME",
    "fetch_file",
    "filename_from_link",
    "fullname",
    "get_assembly",
    "get_local_data_path",
    "get_stimulus_set",
    "resolve_assembly_class",
    "resolve_stimulus_set_class",
    "unzip",
    "verify_sha1",
]
