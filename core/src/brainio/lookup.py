"""Finding identifiers in the installed catalogs.

Catalogs come from plugins (hook ``brainio_catalogs``) and from packages written for
BrainIO 1.x (entry-point group ``brainio_lookups``: a callable returning a ``Catalog``). They
are read once per process into an index by identifier; :func:`refresh` forgets them.
"""

from __future__ import annotations

import difflib
import functools
import importlib.metadata
import logging
import warnings
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import TypeVar

import pandas as pd

from brainio.catalogs import COLUMNS, SOURCE_CATALOG, Catalog
from brainio.errors import (
    AssemblyLookupError,
    CatalogConflictError,
    CatalogError,
    FetchError,
    IdentifierLookupError,
    IntegrityError,
    PluginMissingError,
    StimulusSetLookupError,
)
from brainio.hashing import sha1_hash
from brainio.plugins import PluginLoadWarning, get_plugin_manager, warn_clash
from brainio.records import TYPE_ASSEMBLY, TYPE_STIMULUS_SET, LookupRow

logger = logging.getLogger(__name__)

T = TypeVar("T")

ENTRYPOINT = "brainio_lookups"
"""Entry-point group of BrainIO 1.x catalog packages; still read."""

__all__ = [
    "ENTRYPOINT",
    "SOURCE_CATALOG",
    "TYPE_ASSEMBLY",
    "TYPE_STIMULUS_SET",
    "AssemblyLookupError",
    "StimulusSetLookupError",
    "combined_catalog",
    "get_catalog",
    "get_catalogs",
    "list_assemblies",
    "list_catalogs",
    "list_stimulus_sets",
    "lookup_assembly",
    "lookup_stimulus_set",
    "refresh",
    "sha1_hash",
]


@functools.cache
def get_catalogs() -> dict[str, Catalog]:
    """Every installed catalog by name, read once per process."""
    catalogs: dict[str, Catalog] = {}

    def register(catalog: Catalog) -> None:
        if not isinstance(catalog, Catalog):
            raise CatalogError(
                f"A plugin registered {type(catalog).__name__} as a catalog; "
                "register brainio.catalogs.Catalog objects (Catalog.from_files(name, csv_path))."
            )
        name = catalog.identifier
        if name in catalogs:
            warn_clash("a catalog named", name, str(catalogs[name].source_path), [
                str(catalog.source_path)
            ])
            return
        catalogs[name] = catalog

    get_plugin_manager().hook.brainio_catalogs(register=register)
    for catalog in _legacy_catalogs():
        register(catalog)
    logger.debug("catalogs loaded: %s", sorted(catalogs))
    return catalogs


def _legacy_catalogs() -> list[Catalog]:
    """Catalogs of the BrainIO 1.x entry-point group, each loaded in its own ``try``."""
    found = []
    for entry_point in sorted(importlib.metadata.entry_points(group=ENTRYPOINT)):
        try:
            catalog = entry_point.load()()
            if not isinstance(catalog, Catalog):  # pre-2022 packages returned a DataFrame
                frame = pd.DataFrame(catalog)
                catalog = Catalog(frame)
                catalog.attrs.update(frame.attrs)
            catalog.identifier = entry_point.name
            catalog.validate()
        except Exception as error:
            warnings.warn(
                f"Catalog '{entry_point.name}' ({entry_point.value}) failed to load and was "
                f"skipped: {type(error).__name__}: {error}",
                PluginLoadWarning,
                stacklevel=3,
            )
            continue
        found.append(catalog)
    return found


@functools.cache
def _index() -> dict[str, list[LookupRow]]:
    """Rows of all catalogs by identifier, duplicates across catalogs collapsed."""
    index: dict[str, list[LookupRow]] = defaultdict(list)
    for catalog in get_catalogs().values():
        for row in catalog.rows():
            index[row.identifier].append(row)
    return dict(index)


def refresh() -> None:
    """Forget catalogs read so far; the next lookup reads them again."""
    get_catalogs.cache_clear()
    _index.cache_clear()


def list_catalogs() -> list[str]:
    """Names of the installed catalogs, sorted."""
    return sorted(get_catalogs())


def get_catalog(identifier: str) -> Catalog:
    """The installed catalog named ``identifier``."""
    catalogs = get_catalogs()
    try:
        return catalogs[identifier]
    except KeyError:
        raise CatalogError(
            f"No installed catalog is named '{identifier}'{_suggest(identifier, catalogs)}. "
            f"Installed catalogs: {', '.join(sorted(catalogs)) or 'none'}."
        ) from None


def combined_catalog() -> pd.DataFrame:
    """All catalogs in one table, with a ``source_catalog`` column (a copy; never written)."""
    frames = [
        pd.DataFrame(catalog).assign(**{SOURCE_CATALOG: name})
        for name, catalog in get_catalogs().items()
    ]
    if not frames:
        return pd.DataFrame(columns=[*COLUMNS, SOURCE_CATALOG])
    return pd.concat(frames, ignore_index=True)


def _identifiers(lookup_type: str) -> list[str]:
    return sorted(
        identifier
        for identifier, rows in _index().items()
        if any(row.lookup_type == lookup_type for row in rows)
    )


def list_assemblies() -> list[str]:
    """Identifiers of every assembly in the installed catalogs, sorted (empty if none)."""
    return _identifiers(TYPE_ASSEMBLY)


def list_stimulus_sets() -> list[str]:
    """Identifiers of every stimulus set in the installed catalogs, sorted (empty if none)."""
    return _identifiers(TYPE_STIMULUS_SET)


def _suggest(identifier: str, known: object) -> str:
    matches = difflib.get_close_matches(identifier, list(known), n=3, cutoff=0.6)
    return f" (did you mean {', '.join(repr(m) for m in matches)}?)" if matches else ""


def _rows(identifier: str, lookup_type: str, error: type[IdentifierLookupError]) -> list:
    rows = [row for row in _index().get(identifier, []) if row.lookup_type == lookup_type]
    if not rows:
        known = _identifiers(lookup_type)
        kind = lookup_type.replace("_", " ")
        hint = _suggest(identifier, known)
        if not get_catalogs():
            advice = "No catalog is installed: install a catalog package (e.g. brainio-vision)."
        else:
            advice = (
                f"Run `brainio list` to see the {len(known)} known {kind}s, or install the "
                "catalog package that provides it."
            )
        raise error(f"No {kind} '{identifier}' in the installed catalogs{hint}. {advice}")
    return rows


def _unique(rows: list[LookupRow], what: str) -> LookupRow:
    """One row from rows that may repeat across catalogs; contradictions are an error.

    Of mirrors, the row of the catalog whose name sorts first wins, whatever the order in
    which plugins were installed.
    """
    rows = sorted(rows, key=_catalog_order)
    first = rows[0]
    for other in rows[1:]:
        if _content(other) != _content(first):
            raise CatalogConflictError(
                f"Catalogs disagree about {what}: {first.where()} says "
                f"{first.location} (sha1 {first.sha1}), {other.where()} says "
                f"{other.location} (sha1 {other.sha1}). Uninstall or fix one of these catalogs."
            )
    return first


def _content(row: LookupRow) -> tuple:
    """Which file a row names; rows that agree on it are mirrors of one another.

    The same sha1 means the same bytes, so location, class and stimulus set (which catalogs
    name differently, e.g. ``hvm-public`` and ``dicarlo.hvm-public``) may differ, and the
    first catalog's row is used; without a sha1 only the same location is the same file.
    """
    return (row.lookup_type, row.is_zip, row.sha1 or (row.location_type, row.location))


def lookup_assembly(identifier: str) -> LookupRow:
    """The catalog row of assembly ``identifier``."""
    rows = _rows(identifier, TYPE_ASSEMBLY, AssemblyLookupError)
    return _unique(rows, f"assembly '{identifier}'")


def lookup_stimulus_set(identifier: str) -> tuple[LookupRow, LookupRow | None]:
    """The CSV row and the ZIP row (``None`` if the set has no files) of a stimulus set."""
    rows = _rows(identifier, TYPE_STIMULUS_SET, StimulusSetLookupError)
    csv_rows = [row for row in rows if row.is_csv]
    zip_rows = [row for row in rows if row.is_zip]
    if not csv_rows:
        raise StimulusSetLookupError(
            f"Stimulus set '{identifier}' has no CSV row (a row with class StimulusSet) in "
            f"{rows[0].where()}. Add the CSV row to the catalog."
        )
    csv_row = _unique(csv_rows, f"the CSV of stimulus set '{identifier}'")
    zip_row = _unique(zip_rows, f"the ZIP of stimulus set '{identifier}'") if zip_rows else None
    return csv_row, zip_row


def __getattr__(name: str) -> object:
    # ``append`` (1.x ``lookup.append``) lives with the rest of catalog writing; imported on
    # use because that module imports this one.
    if name == "append":
        from brainio.packaging.catalog_append import append

        return append
    raise AttributeError(f"module 'brainio.lookup' has no attribute '{name}'")


# --- mirrors: one file (same sha1) listed at several locations -------------------------------


def mirrors(row: LookupRow) -> list[LookupRow]:
    """``row`` first, then the rows of other locations for the same file, in catalog order."""
    found, seen = [row], {(row.location_type, row.location)}
    for other in sorted(_index().get(row.identifier, []), key=_catalog_order):
        where = (other.location_type, other.location)
        if where not in seen and _content(other) == _content(row):
            found.append(other)
            seen.add(where)
    return found


def _catalog_order(row: LookupRow) -> tuple:
    return (row.catalog or "", row.line or 0)


def from_mirrors(row: LookupRow, action: Callable[[LookupRow], T]) -> T:
    """``action(row)``; if fetching fails there, ``action`` on each mirror of ``row`` in turn.

    :raises: the first location's error, noting the other locations' errors, if all fail.
    """
    candidates = mirrors(row)
    errors: list[Exception] = []
    for candidate in candidates:
        try:
            return action(candidate)
        except (FetchError, IntegrityError, PluginMissingError) as error:
            errors.append(error)
            if len(errors) < len(candidates):
                logger.warning(
                    "%s: %s failed (%s); trying the next location.",
                    row.identifier,
                    candidate.location,
                    error,
                )
    first = errors[0]
    for candidate, error in zip(candidates[1:], errors[1:], strict=True):
        first.add_note(f"Mirror {candidate.location} ({candidate.where()}) failed too: {error}")
    raise first


# --- names BrainIO 1.x code and tests use ---------------------------------------------------


def _load_installed_catalogs() -> dict[str, Catalog]:
    """Read the installed catalogs again (1.x name); returns them by name."""
    refresh()
    return get_catalogs()


def _is_csv_lookup(data_row: Mapping) -> bool:
    """Whether a row of :func:`combined_catalog` is the CSV of a stimulus set (1.x helper)."""
    return (
        data_row["lookup_type"] == TYPE_STIMULUS_SET
        and str(data_row["location"]).endswith(".csv")
        and not pd.isna(data_row["class"])
    )


def _is_zip_lookup(data_row: Mapping) -> bool:
    """Whether a row of :func:`combined_catalog` is the ZIP of a stimulus set (1.x helper)."""
    return (
        data_row["lookup_type"] == TYPE_STIMULUS_SET
        and str(data_row["location"]).endswith(".zip")
        and pd.isna(data_row["class"])
    )
