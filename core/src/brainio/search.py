"""Finding data sets: match a pattern against identifiers and registry names.

``find("Majaj")`` matches a substring, ``find("*hvm*")`` a glob (``*``, ``?``, ``[...]``);
both ignore case and look at the storage identifier and the registry key (e.g.
``MajajHong2015.public``) of every stimulus set and assembly of the installed catalogs.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable

import attrs

from brainio.records import TYPE_ASSEMBLY, TYPE_STIMULUS_SET

__all__ = ["KINDS", "Entry", "find", "matches"]

KINDS = (TYPE_ASSEMBLY, TYPE_STIMULUS_SET)
_GLOB_CHARACTERS = set("*?[")


@attrs.frozen
class Entry:
    """One stimulus set or assembly of one catalog."""

    identifier: str
    kind: str
    catalog: str | None
    class_name: str | None
    registry_key: str | None = None
    access: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return attrs.asdict(self)


def matches(pattern: str, names: Iterable[str | None]) -> bool:
    """Whether ``pattern`` (glob if it has ``*?[``, else substring; any case) matches a name."""
    pattern = pattern.lower()
    glob = bool(_GLOB_CHARACTERS & set(pattern))
    for name in names:
        if name is None:
            continue
        name = name.lower()
        if fnmatch.fnmatchcase(name, pattern) if glob else pattern in name:
            return True
    return False


def find(
    pattern: str | None = None,
    *,
    catalog: str | None = None,
    kinds: Iterable[str] = KINDS,
) -> list[Entry]:
    """Stimulus sets and assemblies whose identifier or registry key matches ``pattern``
    (everything if ``None``), of one ``catalog`` or all, sorted by identifier."""
    from brainio import lookup

    kinds = set(kinds)
    unknown = kinds - set(KINDS)
    if unknown:
        raise ValueError(f"Unknown kind(s) {sorted(unknown)}; use {' or '.join(KINDS)}.")
    catalogs = {catalog: lookup.get_catalog(catalog)} if catalog else lookup.get_catalogs()
    found: dict[tuple[str, str, str | None], Entry] = {}
    for catalog_object in catalogs.values():
        for row in catalog_object.rows():
            if row.lookup_type not in kinds or row.class_name is None:  # one row per data set
                continue
            entry = Entry(
                identifier=row.identifier,
                kind=row.lookup_type,
                catalog=row.catalog,
                class_name=row.class_name,
                registry_key=row.extra.get("registry_key"),
                access=row.extra.get("access"),
            )
            if pattern is None or matches(pattern, (entry.identifier, entry.registry_key)):
                found.setdefault((entry.identifier, entry.kind, entry.catalog), entry)
    return sorted(found.values(), key=lambda entry: (entry.identifier.lower(), entry.kind))
