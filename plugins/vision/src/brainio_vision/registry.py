"""Brain-Score's registry-style access: data sets by the keys Brain-Score users know.

Brain-Score names a data set three ways: the registry key users load it by
(``MajajHong2015.public``), the storage identifier its files are named after
(``dicarlo.MajajHong2015.public``) and, for an assembly, the stimulus set it was recorded on
(``hvm-public``). The catalog ``brainscore_vision`` keeps all three (columns ``registry_key``,
``identifier``, ``stimulus_set_identifier``) and whether the data are public (``access``).
These functions go from a registry key to the loaded object, which records all of them.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from brainio.errors import (
    AccessDeniedError,
    AssemblyLookupError,
    FetchError,
    IdentifierLookupError,
    StimulusSetLookupError,
)
from brainio.records import TYPE_ASSEMBLY, TYPE_STIMULUS_SET, LookupRow
from brainio_vision.plugin import CATALOG_NAME

if TYPE_CHECKING:
    from brainio.assemblies import DataAssembly
    from brainio_vision.stimuli import ImageStimulusSet

__all__ = [
    "ACCESS_LEVELS",
    "data_registry",
    "list_datasets",
    "list_stimulus_sets",
    "load_dataset",
    "load_stimulus_set",
    "lookup_dataset",
    "lookup_stimulus_set",
    "stimulus_set_registry",
]

ACCESS_LEVELS = ("public", "private")
_KINDS = {TYPE_ASSEMBLY: "data set", TYPE_STIMULUS_SET: "stimulus set"}
_LISTERS = {TYPE_ASSEMBLY: "list_datasets", TYPE_STIMULUS_SET: "list_stimulus_sets"}
_ERRORS: dict[str, type[IdentifierLookupError]] = {
    TYPE_ASSEMBLY: AssemblyLookupError,
    TYPE_STIMULUS_SET: StimulusSetLookupError,
}


# --- listing ----------------------------------------------------------------------------------


def list_datasets(access: str | None = None) -> list[str]:
    """Registry keys of the data sets (assemblies), sorted; ``access`` keeps only
    ``"public"`` or ``"private"`` ones."""
    return _list(TYPE_ASSEMBLY, access)


def list_stimulus_sets(access: str | None = None) -> list[str]:
    """Registry keys of the stimulus sets, sorted; ``access`` filters as for data sets."""
    return _list(TYPE_STIMULUS_SET, access)


def _list(lookup_type: str, access: str | None) -> list[str]:
    if access is not None and access not in ACCESS_LEVELS:
        raise ValueError(
            f"access={access!r} is not an access level; use None (all), 'public' or 'private'."
        )
    return sorted(
        key
        for key, row in _entries(lookup_type).items()
        if access is None or row.extra.get("access") == access
    )


# --- lookup -----------------------------------------------------------------------------------


def lookup_dataset(identifier: str) -> LookupRow:
    """The catalog row of the data set registered as ``identifier``."""
    return _lookup(identifier, TYPE_ASSEMBLY)


def lookup_stimulus_set(identifier: str) -> LookupRow:
    """The catalog row (the CSV row) of the stimulus set registered as ``identifier``."""
    return _lookup(identifier, TYPE_STIMULUS_SET)


_index: tuple[Any, dict[str, dict[str, LookupRow]]] | None = None
"""The catalog last indexed and its index; rebuilt when brainio reads the catalogs again."""


def _entries(lookup_type: str) -> dict[str, LookupRow]:
    """Rows of the catalog by registry key: assembly rows, or the CSV rows of stimulus sets."""
    global _index
    from brainio.lookup import get_catalog

    catalog = get_catalog(CATALOG_NAME)
    if _index is None or _index[0] is not catalog:
        index: dict[str, dict[str, LookupRow]] = {TYPE_ASSEMBLY: {}, TYPE_STIMULUS_SET: {}}
        for row in catalog.rows():
            if row.class_name is not None and "registry_key" in row.extra:
                index.setdefault(row.lookup_type, {})[row.extra["registry_key"]] = row
        _index = (catalog, index)
    return _index[1].get(lookup_type, {})


def _lookup(key: str, lookup_type: str) -> LookupRow:
    entries = _entries(lookup_type)
    try:
        return entries[key]
    except KeyError:
        pass
    kind = _KINDS[lookup_type]
    raise _ERRORS[lookup_type](
        f"No {kind} '{key}' is registered in Brain-Score vision (catalog {CATALOG_NAME})"
        f"{_hint(key, lookup_type, entries)} {_LISTERS[lookup_type]}() lists the "
        f"{len(entries)} registered {kind}s."
    )


def _hint(key: str, lookup_type: str, entries: dict[str, LookupRow]) -> str:
    """Why ``key`` was not found, when a likely reason exists."""
    by_identifier = {row.identifier: name for name, row in entries.items()}
    if key in by_identifier:
        return (
            f": '{key}' is the storage identifier of '{by_identifier[key]}'. Load it by that "
            f"registry key (or by storage identifier with brainio's get_* functions)."
        )
    other = TYPE_STIMULUS_SET if lookup_type == TYPE_ASSEMBLY else TYPE_ASSEMBLY
    if key in _entries(other):
        loader = "load_stimulus_set" if other == TYPE_STIMULUS_SET else "load_dataset"
        return f": '{key}' is a {_KINDS[other]}; load it with {loader}('{key}')."
    matches = difflib.get_close_matches(key, list(entries), n=3, cutoff=0.6)
    if matches:
        return f" (did you mean {', '.join(repr(m) for m in matches)}?)."
    return "."


# --- loading ----------------------------------------------------------------------------------


def load_dataset(
    identifier: str,
    *,
    chunks: Mapping[str, int] | str | None = None,
    load_stimulus_set: bool = True,
) -> DataAssembly:
    """Load the data set (assembly) registered as ``identifier``, e.g. ``"MajajHong2015.public"``.

    As in Brain-Score, the metadata of its stimulus set are merged onto ``presentation``
    (``load_stimulus_set=False`` skips the stimulus set and its images); ``chunks`` gives a
    lazily loaded, dask-backed assembly (see :func:`brainio.get_assembly`). ``attrs`` records
    ``registry_key``, ``identifier`` (the storage identifier), ``stimulus_set_identifier``,
    ``stimulus_set_registry_key`` and ``access``.
    """
    from brainio.loading import get_assembly

    row = lookup_dataset(identifier)
    with _explaining_access(row, identifier, TYPE_ASSEMBLY):
        assembly = get_assembly(row.identifier, chunks=chunks, load_stimulus_set=load_stimulus_set)
    assembly.attrs["registry_key"] = identifier
    return assembly


def load_stimulus_set(identifier: str) -> ImageStimulusSet:
    """Load the stimulus set registered as ``identifier``, e.g. ``"hvm-public"``: its
    metadata and its images (``get_stimulus(id)`` gives a path, ``load_image(id)`` a picture)."""
    from brainio.loading import get_stimulus_set

    row = lookup_stimulus_set(identifier)
    with _explaining_access(row, identifier, TYPE_STIMULUS_SET):
        stimulus_set = get_stimulus_set(row.identifier)
    stimulus_set.attrs["registry_key"] = identifier
    return stimulus_set


@contextlib.contextmanager
def _explaining_access(row: LookupRow, key: str, lookup_type: str) -> Iterator[None]:
    """Turn S3's refusal into an error saying the data set is private and what it needs."""
    try:
        yield
    except AccessDeniedError as error:
        raise AccessDeniedError(access_message(row, key, lookup_type, error)) from error


def access_message(row: LookupRow, key: str, lookup_type: str, error: Exception) -> str:
    """The message for a refused download of the data set ``key`` (catalog row ``row``)."""
    kind = _KINDS[lookup_type]
    name = (
        f"Brain-Score vision {kind} '{key}' (storage identifier '{row.identifier}', "
        f"catalog {CATALOG_NAME})"
    )
    if row.extra.get("access") != "private":
        return (
            f"{name} is public, but S3 refused one of its files: {error} Public data need no "
            "credentials; if you set AWS credentials, check that they are valid or unset them."
        )
    bucket, folder = _storage(row.location)
    return (
        f"{name} is private: it is held-out Brain-Score data, and S3 serves it only to AWS "
        f"credentials allowed to read {folder} in bucket '{bucket}'. Configure credentials of an "
        "account the Brain-Score team has given read access to that bucket (aws configure, "
        f"AWS_PROFILE, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), "
        f"{_public_alternative(key, lookup_type)}. S3 said: {error}"
    )


def _storage(location: str) -> tuple[str, str]:
    """The bucket and the folder (as an s3:// URL) of a catalog location."""
    from brainio_s3.locations import parse_location

    try:
        parsed = parse_location(location)
    except FetchError:
        return "(unknown)", location
    folder = parsed.key.rsplit("/", 1)[0] + "/" if "/" in parsed.key else ""
    return parsed.bucket, f"s3://{parsed.bucket}/{folder}"


def _public_alternative(key: str, lookup_type: str) -> str:
    public = {
        name for name, row in _entries(lookup_type).items() if row.extra.get("access") == "public"
    }
    for candidate in (key.replace("private", "public"), f"{key}.public", f"{key}-public"):
        if candidate != key and candidate in public:
            return f"or load its public part '{candidate}' instead"
    return f"or choose public data: {_LISTERS[lookup_type]}(access='public')"


# --- Brain-Score's registry dictionaries ------------------------------------------------------


class _Registry(Mapping[str, Callable[[], Any]]):
    """A read-only view of the catalog like Brain-Score's ``data_registry`` dictionaries:
    registry key -> function of no arguments that loads it."""

    def __init__(self, lookup_type: str, load: Callable[[str], Any]) -> None:
        self._lookup_type = lookup_type
        self._load = load

    def __getitem__(self, key: str) -> Callable[[], Any]:
        _lookup(key, self._lookup_type)  # raises with a hint when unknown
        return functools.partial(self._load, key)

    def __contains__(self, key: object) -> bool:
        return key in _entries(self._lookup_type)

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(_entries(self._lookup_type)))

    def __len__(self) -> int:
        return len(_entries(self._lookup_type))

    def __repr__(self) -> str:
        return f"<{_KINDS[self._lookup_type]} registry of {CATALOG_NAME}: {len(self)} keys>"


data_registry: Mapping[str, Callable[[], Any]] = _Registry(TYPE_ASSEMBLY, load_dataset)
"""Brain-Score's ``data_registry``: ``data_registry["MajajHong2015.public"]()`` loads it."""

stimulus_set_registry: Mapping[str, Callable[[], Any]] = _Registry(
    TYPE_STIMULUS_SET, load_stimulus_set
)
"""Brain-Score's ``stimulus_set_registry``: ``stimulus_set_registry["hvm-public"]()``."""
