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
import os
import traceback
import warnings
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import TypeVar

import attrs
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
from brainio.plugins import PluginLoadWarning, each_result, get_plugin_manager, warn_clash
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
    "BrokenCatalog",
    "CatalogLoadWarning",
    "StimulusSetLookupError",
    "broken_catalogs",
    "combined_catalog",
    "get_catalog",
    "get_catalogs",
    "list_assemblies",
    "list_catalogs",
    "list_stimulus_sets",
    "lookup_assembly",
    "lookup_stimulus_set",
    "refresh",
    "rows_of",
    "sha1_hash",
    "suggest",
]


STRICT_CATALOGS_ENV = "BRAINIO_STRICT_CATALOGS"
"""Set to ``1`` to make a broken catalog an error instead of a warning (for authors and CI)."""


class CatalogLoadWarning(PluginLoadWarning):
    """An installed catalog is broken and was disabled; the other catalogs still load."""


@attrs.frozen
class BrokenCatalog:
    """A catalog (or a plugin's ``brainio_catalogs`` hook) that failed to load, and why."""

    name: str
    reason: str
    plugin: str | None = None
    path: str | None = None
    line: int | None = None

    def to_dict(self) -> dict[str, object]:
        return attrs.asdict(self)


@attrs.define
class _Installed:
    """What the installed plugins provide, read once per plugin manager."""

    catalogs: dict[str, Catalog]
    broken: list[BrokenCatalog]
    index: dict[str, list[LookupRow]] | None = None


def get_catalogs() -> dict[str, Catalog]:
    """Every installed catalog that loaded, by name, read once per process.

    A broken catalog is left out with a :class:`CatalogLoadWarning` (see
    :func:`broken_catalogs`), unless ``BRAINIO_STRICT_CATALOGS=1`` makes it an error.
    """
    return _installed(get_plugin_manager()).catalogs


def broken_catalogs() -> list[BrokenCatalog]:
    """The catalogs that failed to load, with the reason (``brainio catalogs`` lists them)."""
    return list(_installed(get_plugin_manager()).broken)


@functools.lru_cache(maxsize=1)
def _installed(manager: object) -> _Installed:
    installed = _Installed(catalogs={}, broken=[])
    catalogs = installed.catalogs

    def register(catalog: Catalog) -> None:
        if not isinstance(catalog, Catalog):
            raise CatalogError(
                f"A plugin registered {type(catalog).__name__} as a catalog; "
                "register brainio.catalogs.Catalog objects (Catalog.from_files(name, csv_path))."
            )
        name = catalog.identifier
        if name in catalogs:
            warn_clash(
                "a catalog named", name, str(catalogs[name].source_path), [str(catalog.source_path)]
            )
            return
        catalogs[name] = catalog

    def disable(plugin: str, error: Exception) -> None:
        installed.broken.append(
            _disable(error, name=plugin, plugin=plugin, source=f"BrainIO plugin '{plugin}'")
        )

    for _ in each_result(manager.hook.brainio_catalogs, disable, register=register):
        pass
    for entry_point in sorted(importlib.metadata.entry_points(group=ENTRYPOINT)):
        try:
            register(_legacy_catalog(entry_point))
        except Exception as error:
            source = f"Catalog '{entry_point.name}' ({ENTRYPOINT} entry point {entry_point.value})"
            installed.broken.append(
                _disable(error, name=entry_point.name, plugin=entry_point.value, source=source)
            )
    logger.debug("catalogs loaded: %s", sorted(catalogs))
    return installed


def _legacy_catalog(entry_point: importlib.metadata.EntryPoint) -> Catalog:
    """A catalog of the BrainIO 1.x entry-point group ``brainio_lookups``."""
    catalog = entry_point.load()()
    if not isinstance(catalog, Catalog):  # pre-2022 packages returned a DataFrame
        frame = pd.DataFrame(catalog)
        catalog = Catalog(frame)
        catalog.attrs.update(frame.attrs)
    catalog.identifier = entry_point.name
    try:
        catalog.validate()
    except CatalogError as error:
        error.catalog = entry_point.name
        raise
    return catalog


def _disable(error: Exception, *, name: str, plugin: str, source: str) -> BrokenCatalog:
    """Warn about (or, in strict mode, raise) a catalog that failed; describe it.

    ``name`` is the catalog's name as far as known, ``plugin`` what provided it, ``source``
    a description of both for the message.
    """
    strict = os.environ.get(STRICT_CATALOGS_ENV, "") not in ("", "0")
    advice = f"The other catalogs still load; set {STRICT_CATALOGS_ENV}=1 to make this an error."
    if isinstance(error, CatalogError):
        name, path, line = error.catalog or name, error.path, error.line
        reason = str(error)
        message = f"{reason} Catalog '{name}' (from {plugin}) was disabled. {advice}"
    else:
        frame = traceback.extract_tb(error.__traceback__)[-1]
        path, line = frame.filename, frame.lineno
        reason = f"{type(error).__name__}: {error}"
        message = (
            f"{source} raised {reason} ({path}, line {line}) while loading its catalogs, "
            f"which were disabled. Update or uninstall the package that provides it, or "
            f"report it to its maintainers. {advice}"
        )
    if strict:
        raise CatalogError(message, catalog=name, path=path, line=line) from error
    warnings.warn(message, CatalogLoadWarning, stacklevel=4)
    return BrokenCatalog(
        name=name,
        reason=" ".join(reason.split()),
        plugin=plugin,
        path=str(path) if path is not None else None,
        line=line,
    )


def _index() -> dict[str, list[LookupRow]]:
    """Rows of all catalogs by identifier, duplicates across catalogs collapsed."""
    installed = _installed(get_plugin_manager())
    if installed.index is None:
        index: dict[str, list[LookupRow]] = defaultdict(list)
        for catalog in installed.catalogs.values():
            for row in catalog.rows():
                index[row.identifier].append(row)
        installed.index = dict(index)
    return installed.index


def refresh() -> None:
    """Forget catalogs read so far; the next lookup reads them again.

    Also happens by itself after :func:`brainio.plugins.refresh_plugins` (catalogs are read
    once per plugin manager).
    """
    _installed.cache_clear()


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


def rows_of(identifier: str) -> list[LookupRow]:
    """Every catalog row of ``identifier`` (assembly and stimulus set), from all catalogs."""
    return list(_index().get(identifier, []))


def suggest(identifier: str) -> str:
    """`` (did you mean 'x'?)`` for an unknown identifier, or ``""``."""
    return _suggest(identifier, _index())


def _suggest(identifier: str, known: object) -> str:
    matches = difflib.get_close_matches(identifier, list(known), n=3, cutoff=0.6)
    return f" (did you mean {', '.join(repr(m) for m in matches)}?)" if matches else ""


_PLURALS = {TYPE_ASSEMBLY: "assemblies", TYPE_STIMULUS_SET: "stimulus sets"}


def _rows(identifier: str, lookup_type: str, error: type[IdentifierLookupError]) -> list:
    rows = [row for row in _index().get(identifier, []) if row.lookup_type == lookup_type]
    if not rows:
        known = _identifiers(lookup_type)
        kind = lookup_type.replace("_", " ")
        kinds = _PLURALS[lookup_type]
        hint = _suggest(identifier, known)
        if not get_catalogs():
            advice = "No catalog is installed: install a catalog package (e.g. brainio-vision)."
        else:
            advice = (
                f"Run `brainio list` to see the {len(known)} known {kinds}, or install the "
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
    # BrainIO 1.x's ``lookup.append`` lives with the rest of catalog writing, a layer above
    # this one (it imports this module); the old name is only forwarded, on use.
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
