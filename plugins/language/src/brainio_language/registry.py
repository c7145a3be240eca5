"""Brain-Score's registry-style access to the language data sets.

Brain-Score language registers each data set under a key (``Pereira2018.language``) that is
also its storage identifier; the catalog ``brainscore_language`` keeps both (columns
``registry_key`` and ``identifier``) and whether the data are public (``access``). Language has
no stimulus sets: the stimuli are coordinates of the assembly's ``presentation`` dimension.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from brainio.errors import AccessDeniedError, AssemblyLookupError, StimulusSetLookupError
from brainio.records import TYPE_ASSEMBLY, LookupRow
from brainio_language.plugin import CATALOG_NAME

if TYPE_CHECKING:
    from brainio.assemblies import DataAssembly

__all__ = [
    "ACCESS_LEVELS",
    "data_registry",
    "list_datasets",
    "list_stimulus_sets",
    "load_dataset",
    "load_stimulus_set",
    "lookup_dataset",
]

ACCESS_LEVELS = ("public", "private")
_NO_STIMULUS_SETS = (
    "Brain-Score language has no stimulus sets: the sentences and words of a data set are "
    "coordinates of its 'presentation' dimension (e.g. assembly['stimulus'])"
)


def list_datasets(access: str | None = None) -> list[str]:
    """Registry keys of the data sets, sorted; ``access`` keeps only ``"public"`` or
    ``"private"`` ones."""
    if access is not None and access not in ACCESS_LEVELS:
        raise ValueError(
            f"access={access!r} is not an access level; use None (all), 'public' or 'private'."
        )
    return sorted(
        key
        for key, row in _entries().items()
        if access is None or row.extra.get("access") == access
    )


def list_stimulus_sets(access: str | None = None) -> list[str]:
    """Always empty: language data carry their stimuli as coordinates (same signature as in
    ``brainio_vision``, so code written for both domains works)."""
    if access is not None and access not in ACCESS_LEVELS:
        raise ValueError(
            f"access={access!r} is not an access level; use None (all), 'public' or 'private'."
        )
    return []


def load_stimulus_set(identifier: str) -> Any:
    """Raises :class:`~brainio.errors.StimulusSetLookupError`: language has no stimulus sets."""
    raise StimulusSetLookupError(
        f"No stimulus set '{identifier}': {_NO_STIMULUS_SETS}. Load the data set with "
        "load_dataset(key); list_datasets() lists the keys."
    )


def lookup_dataset(identifier: str) -> LookupRow:
    """The catalog row of the data set registered as ``identifier``."""
    entries = _entries()
    try:
        return entries[identifier]
    except KeyError:
        pass
    matches = difflib.get_close_matches(identifier, list(entries), n=3, cutoff=0.6)
    hint = f" (did you mean {', '.join(repr(m) for m in matches)}?)" if matches else ""
    raise AssemblyLookupError(
        f"No data set '{identifier}' is registered in Brain-Score language (catalog "
        f"{CATALOG_NAME}){hint}. list_datasets() lists the {len(entries)} registered data sets."
    )


_index: tuple[Any, dict[str, LookupRow]] | None = None
"""The catalog last indexed and its index; rebuilt when brainio reads the catalogs again."""


def _entries() -> dict[str, LookupRow]:
    """Assembly rows of the catalog by registry key."""
    global _index
    from brainio.lookup import get_catalog

    catalog = get_catalog(CATALOG_NAME)
    if _index is None or _index[0] is not catalog:
        rows = {
            row.extra["registry_key"]: row
            for row in catalog.rows()
            if row.lookup_type == TYPE_ASSEMBLY and "registry_key" in row.extra
        }
        _index = (catalog, rows)
    return _index[1]


def load_dataset(identifier: str, *, chunks: Mapping[str, int] | str | None = None) -> DataAssembly:
    """Load the data set registered as ``identifier``, e.g. ``"Pereira2018.language"``.

    Only its netCDF file is fetched: sentences and words are ``presentation`` coordinates.
    ``chunks`` gives a lazily loaded, dask-backed assembly (see :func:`brainio.get_assembly`).
    ``attrs`` records ``registry_key``, ``identifier`` (the storage identifier) and ``access``.
    """
    from brainio.loading import get_assembly

    row = lookup_dataset(identifier)
    with _explaining_access(row, identifier):
        assembly = get_assembly(row.identifier, chunks=chunks, load_stimulus_set=False)
    assembly.attrs["registry_key"] = identifier
    return assembly


@contextlib.contextmanager
def _explaining_access(row: LookupRow, key: str) -> Iterator[None]:
    """Turn S3's refusal into an error naming the data set, its access and what it needs."""
    try:
        yield
    except AccessDeniedError as error:
        raise AccessDeniedError(access_message(row, key, error)) from error


def access_message(row: LookupRow, key: str, error: Exception) -> str:
    """The message for a refused download of the data set ``key`` (catalog row ``row``)."""
    name = (
        f"Brain-Score language data set '{key}' (storage identifier '{row.identifier}', "
        f"catalog {CATALOG_NAME})"
    )
    if row.extra.get("access") == "private":
        return (
            f"{name} is private: it is held-out Brain-Score data, and S3 serves it only to AWS "
            f"credentials allowed to read {row.location}. Configure credentials of an account "
            "the Brain-Score team has given read access (aws configure, AWS_PROFILE, or "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), or choose public data: "
            f"list_datasets(access='public'). S3 said: {error}"
        )
    return (
        f"{name} is public, but S3 refused its file {row.location}: {error} Public data need "
        "no credentials; if you set AWS credentials, check that they are valid or unset them."
    )


class _Registry(Mapping[str, Callable[[], Any]]):
    """A read-only view of the catalog like Brain-Score's ``data_registry`` dictionary:
    registry key -> function of no arguments that loads it."""

    def __getitem__(self, key: str) -> Callable[[], Any]:
        lookup_dataset(key)  # raises with close matches when unknown
        return functools.partial(load_dataset, key)

    def __contains__(self, key: object) -> bool:
        return key in _entries()

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(_entries()))

    def __len__(self) -> int:
        return len(_entries())

    def __repr__(self) -> str:
        return f"<data set registry of {CATALOG_NAME}: {len(self)} keys>"


data_registry: Mapping[str, Callable[[], Any]] = _Registry()
"""Brain-Score's ``data_registry``: ``data_registry["Pereira2018.language"]()`` loads it."""
