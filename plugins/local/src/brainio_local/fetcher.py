"""Fetching files that are already on disk: plain paths and ``file://`` URLs.

A catalog row with ``location_type`` ``local`` names a file by an absolute path, a
``file://`` URL, or a path relative to the catalog's own folder (``Source.base_dir``), so a
catalog package can ship its data next to its ``lookup.csv``. The fetcher only copies bytes
into the temporary file the core hands it; the core verifies the sha1 and renames the file
into the cache, so a local file that changed after cataloguing is caught like a bad download.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from brainio.errors import AccessDeniedError, FetchError
from brainio.records import Source

logger = logging.getLogger(__name__)

LOCATION_TYPE = "local"
FILE_SCHEME = "file"


def is_file_url(location: str) -> bool:
    """Whether ``location`` is a ``file:`` URL (case-insensitive scheme)."""
    return location[: len(FILE_SCHEME) + 1].lower() == FILE_SCHEME + ":"


def file_url_to_path(url: str) -> Path:
    """The path a ``file:`` URL names, percent-decoded (``file:///a%20b`` -> ``/a b``).

    Only local URLs are accepted: the host must be empty or ``localhost``. A URL without a
    leading slash (``file:data/x.nc``) gives a relative path.

    :raises ValueError: for a URL naming another host.
    """
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise ValueError(
            f"'{url}' names the host '{parts.netloc}'; only local file URLs "
            f"(file:///absolute/path) are supported"
        )
    return Path(url2pathname(parts.path))


def resolve_location(source: Source) -> Path:
    """The file on disk that ``source`` points at.

    Absolute paths and ``file://`` URLs are used as they are (``~`` is expanded); relative
    ones are resolved against ``source.base_dir`` (the catalog's folder), or against the
    current folder when the source comes from no catalog.
    """
    path = _location_path(source.location)
    if not path.is_absolute():
        base = source.base_dir if source.base_dir is not None else Path.cwd()
        path = Path(base) / path
    return path


def _location_path(location: str) -> Path:
    """The path in a location cell, before relative paths are resolved."""
    location = location.strip()
    if not is_file_url(location):
        return Path(location).expanduser()
    try:
        return file_url_to_path(location)
    except ValueError as error:
        raise FetchError(f"Cannot fetch {error}. Copy the file to this machine.") from error


def fetch_local(source: Source, destination: Path) -> None:
    """Copy the local file ``source`` names to ``destination`` (a temp file the core owns).

    :raises FetchError: when the file does not exist or is not a regular file.
    :raises AccessDeniedError: when the file cannot be read.
    """
    path = resolve_location(source)
    relative_hint = ""
    if source.base_dir is not None and not _location_path(source.location).is_absolute():
        relative_hint = f" (resolved against the catalog's folder {source.base_dir})"
    if not path.exists():
        raise FetchError(
            f"Local file for location '{source.location}' not found: {path} does not exist"
            f"{relative_hint}. Restore the file, or fix the 'location' cell of the catalog "
            f"that lists it."
        )
    if not path.is_file():
        raise FetchError(
            f"Location '{source.location}' resolves to {path}, which is not a regular file. "
            f"Point the catalog's 'location' cell at a file, not a folder."
        )
    logger.debug("copying %s to %s", path, destination)
    try:
        shutil.copyfile(path, destination)
    except PermissionError as error:
        raise AccessDeniedError(
            f"Cannot read local file {path} (location '{source.location}'): {error.strerror}. "
            f"Check the file's permissions."
        ) from error
    except OSError as error:
        raise FetchError(
            f"Copying local file {path} (location '{source.location}') to {destination} "
            f"failed: {error}. Check free space and permissions of BRAINIO_HOME."
        ) from error
