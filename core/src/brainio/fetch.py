"""The BrainIO 1.x fetching API, kept so code written for 1.x keeps working.

These functions are thin wrappers around :mod:`brainio.cache`; new code should use
``brainio.cache.get_cache().fetch(source)`` or simply ``brainio.get_assembly(identifier)``.
Paths come back as ``str``, as in 1.x.

:class:`Fetcher` and :class:`BotoFetcher` keep 1.x's file layout (``<BRAINIO_HOME>/
<local_filename>/<file name>``) and attributes (``output_filename``, ``bucketname``, ...), which
Brain-Score's weight helpers set and read; the bytes come through the fetcher an installed
plugin offers for the location type (brainio-s3 for ``S3``), written atomically.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from brainio.atomic import atomic_path
from brainio.cache import HOME_ENV, find_fetcher, get_cache, home
from brainio.errors import IntegrityError
from brainio.hashing import normalize_sha1, sha1_hash
from brainio.lookup import lookup_assembly, lookup_stimulus_set
from brainio.records import Source
from brainio.stimuli import StimulusSetLoader

logger = logging.getLogger(__name__)

BRAINIO_HOME = HOME_ENV  # "BRAINIO_HOME", the environment variable naming the cache root

#: Set (e.g. by ``monkeypatch.setattr(brainio.fetch, "_local_data_path", path)``, as Brain-Score's
#: test fixtures do) to move the cache root; ``None`` means ``$BRAINIO_HOME`` or ``~/.brainio``.
_local_data_path: str | None = None


def get_local_data_path() -> str:
    """The cache root: ``$BRAINIO_HOME``, or ``~/.brainio`` (read on every call)."""
    return str(home())


class Fetcher:
    """Obtains the file at ``location`` into ``<BRAINIO_HOME>/<local_filename>/`` (1.x API).

    Subclasses name the catalog ``location_type`` they fetch; :meth:`fetch` downloads only
    when ``output_filename`` does not exist yet and returns that path.
    """

    location_type: str | None = None

    def __init__(self, location: str, local_filename: str | os.PathLike[str]) -> None:
        self.location = location
        self.local_filename = local_filename
        self.local_dir_path = os.path.join(get_local_data_path(), local_filename)
        os.makedirs(self.local_dir_path, exist_ok=True)
        self.version_id: str | None = None
        name = os.path.basename(urlparse(location).path) or "file"
        self.output_filename = os.path.join(self.local_dir_path, name)

    def fetch(self) -> str:
        """The local path of the file, downloaded first if it is not there."""
        if self.location_type is None:
            raise NotImplementedError(
                "The base Fetcher class does not fetch; use BotoFetcher or get_fetcher(type=...)."
            )
        if not os.path.exists(self.output_filename):
            self.download()
        return self.output_filename

    def download(self) -> None:
        """Write the file to ``output_filename`` (atomically) with the plugin's fetcher."""
        source = Source(
            location_type=self.location_type, location=self.location, version_id=self.version_id
        )
        fetch = find_fetcher(source)
        logger.debug("fetching %s to %s", self.location, self.output_filename)
        with atomic_path(self.output_filename) as temp:
            fetch(source, temp)


class BotoFetcher(Fetcher):
    """Fetches an object of Amazon S3 (1.x API; needs the brainio-s3 plugin)."""

    location_type = "S3"

    def __init__(
        self, location: str, local_filename: str | os.PathLike[str], version_id: str | None = None
    ) -> None:
        super().__init__(location, local_filename)
        self.version_id = version_id
        parsed = urlparse(location)
        parts = [part for part in parsed.path.split("/") if part]
        if "s3." in (parsed.hostname or ""):  # virtual-hosted style: bucket.s3.amazonaws.com/key
            self.bucketname = parsed.hostname.split(".s3.")[0]
            self.relative_path = "/".join(parts)
        else:  # path style: s3.amazonaws.com/bucket/key
            self.bucketname = parts[0] if parts else ""
            self.relative_path = "/".join(parts[1:])
        self.extra_args = {"VersionId": version_id} if version_id else None

    def download_boto(self) -> None:
        """1.x name of :meth:`download` (signed, then unsigned: the s3 plugin's fallback)."""
        self.download()


_fetcher_types: dict[str, type[Fetcher]] = {"S3": BotoFetcher}


def get_fetcher(
    type: str = "S3",  # noqa: A002 - 1.x's keyword
    location: str | None = None,
    local_filename: str | os.PathLike[str] | None = None,
    version_id: str | None = None,
) -> Fetcher:
    """A 1.x fetcher for ``location`` of location type ``type`` (``"S3"``)."""
    if type not in _fetcher_types:
        raise KeyError(
            f"No 1.x fetcher for location type '{type}' (known: {sorted(_fetcher_types)}). "
            "Use brainio.fetch.fetch_file(location_type, location, sha1), which works for every "
            "location type an installed plugin fetches."
        )
    return _fetcher_types[type](location, local_filename, version_id=version_id)


def fetch_file(
    location_type: str, location: str, sha1: str | None = None, version_id: str | None = None
) -> str:
    """Fetch one file into the cache, verify it against ``sha1`` and return its local path."""
    source = Source(
        location_type=location_type, location=location, sha1=sha1, version_id=version_id
    )
    return str(get_cache().fetch(source))


def verify_sha1(filepath: str | os.PathLike[str], sha1: str) -> None:
    """Raise :class:`IntegrityError` unless the file at ``filepath`` hashes to ``sha1``."""
    actual = sha1_hash(filepath)
    expected = normalize_sha1(sha1)
    if actual != expected:
        raise IntegrityError(
            f"File '{filepath}': invalid SHA-1 hash {actual} (expected {expected}). The file is "
            f"corrupt or not the one the catalog describes; delete it and fetch it again."
        )


def unzip(zip_path: str | os.PathLike[str]) -> str:
    """Safely extract ``zip_path`` (once) and return the folder holding its contents."""
    return str(get_cache().extract(Path(zip_path)))


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
    "BotoFetcher",
    "Fetcher",
    "StimulusSetLoader",
    "fetch_file",
    "filename_from_link",
    "fullname",
    "get_assembly",
    "get_fetcher",
    "get_local_data_path",
    "get_stimulus_set",
    "lookup_assembly",
    "lookup_stimulus_set",
    "resolve_assembly_class",
    "resolve_stimulus_set_class",
    "sha1_hash",
    "unzip",
    "verify_sha1",
]
