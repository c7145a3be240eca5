"""Catalog locations that keep working when a catalog project is cloned or installed elsewhere.

A file packaged into a folder inside the catalog's project (the nearest folder above
``lookup.csv`` holding a ``pyproject.toml``, e.g. the ``store/`` of a ``brainio new-catalog``
project) is recorded relative to the catalog file (``../../store/assy_x.nc``) instead of as an
absolute ``file:///home/me/...`` URL, which would point nowhere on a reader's machine. Files
outside the project keep their absolute location: the catalog cannot carry them along.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import attrs

from brainio.records import LookupRow

__all__ = ["portable_row", "project_root"]

LOCAL = "local"


def project_root(catalog_path: Path) -> Path:
    """The catalog's project: the nearest folder above it with a ``pyproject.toml``, else the
    catalog's own folder."""
    folder = catalog_path.absolute().parent
    for candidate in (folder, *folder.parents):
        if (candidate / "pyproject.toml").is_file():
            return candidate
    return folder


def portable_row(row: LookupRow, catalog_path: Path) -> LookupRow:
    """``row`` with a local location inside the catalog's project made relative to the catalog."""
    if row.location_type.strip().lower() != LOCAL:
        return row
    path = _absolute_path(row.location)
    if path is None:
        return row
    catalog_path = Path(catalog_path).absolute()
    root = project_root(catalog_path)
    if not path.is_relative_to(root):
        return row
    relative = os.path.relpath(path, catalog_path.parent)
    return attrs.evolve(row, location=Path(relative).as_posix())


def _absolute_path(location: str) -> Path | None:
    """The absolute path of a ``file:`` URL or an absolute path; ``None`` for anything else."""
    location = location.strip()
    if location[:5].lower() == "file:":
        parts = urlsplit(location)
        if parts.netloc not in ("", "localhost"):
            return None
        path = Path(url2pathname(parts.path))
    else:
        path = Path(location)
    return path if path.is_absolute() else None
