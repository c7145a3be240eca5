"""Data-set cards: what a stimulus set or assembly is, how big it is, how to cite it, and
whether it is in the cache.

A card is put together from three places, none of which is required:

* optional catalog columns ``description``, ``license``, ``citation``, ``url`` (per
  identifier) and ``size`` (bytes, per file);
* a card file ``cards.toml`` next to ``lookup.csv`` (see docs/format.md), one ``[[card]]``
  table per data set or group of data sets that share a paper::

      [[card]]
      identifiers = ["dicarlo.MajajHong2015.public", "dicarlo.MajajHong2015.private"]
      description = "Multi-unit responses of macaque V4 and IT to 5760 object images."
      license = "CC-BY-4.0"
      citation = '''@article{majaj2015simple, ...}'''

* the cache: sizes of fetched files, the dimensions of a fetched assembly and the number of
  stimuli of a fetched stimulus set (read from the file headers, never from the network).
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from brainio.errors import CatalogError, IdentifierLookupError
from brainio.records import TYPE_ASSEMBLY, TYPE_STIMULUS_SET, LookupRow

__all__ = ["CARD_FIELDS", "CARD_FILE", "Card", "FileStatus", "card", "format_size"]

CARD_FILE = "cards.toml"
"""The card file's name, next to a catalog's ``lookup.csv``."""

CARD_FIELDS = ("description", "license", "citation", "url")
"""What a card file (or the catalog column of the same name) may say about a data set."""

SIZE_COLUMN = "size"
"""Optional catalog column: the size of the row's file in bytes."""


def format_size(size: int | None) -> str:
    """``84.0 MB``-style size (decimal units, as download tools show them); ``?`` if unknown."""
    if size is None:
        return "?"
    value = float(size)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


@attrs.frozen
class FileStatus:
    """One file of a data set: where it lives, how big it is and whether it is cached."""

    role: str  # "assembly", "csv" or "zip"
    location_type: str
    location: str
    sha1: str | None
    size: int | None
    cached: bool
    path: str | None = None  # the cached copy, when there is one

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.frozen
class Card:
    """Everything known about one stimulus set or assembly without downloading it."""

    identifier: str
    kind: str  # "assembly" or "stimulus_set"
    class_name: str | None
    catalog: str | None
    files: tuple[FileStatus, ...]
    registry_key: str | None = None
    access: str | None = None
    stimulus_set_identifier: str | None = None
    description: str | None = None
    license: str | None = None
    citation: str | None = None
    url: str | None = None
    dims: Mapping[str, int] | None = None
    num_stimuli: int | None = None

    @property
    def size(self) -> int | None:
        """Total size of the files in bytes; ``None`` when one of them is unknown."""
        sizes = [file.size for file in self.files]
        return None if None in sizes else sum(sizes)  # type: ignore[arg-type]

    @property
    def cached(self) -> bool:
        """Whether every file is in the cache, verified."""
        return all(file.cached for file in self.files)

    def to_dict(self) -> dict[str, Any]:
        data = attrs.asdict(self, recurse=True)
        data["dims"] = dict(self.dims) if self.dims is not None else None
        return {"size": self.size, "cached": self.cached, **data}

    def to_text(self) -> str:
        """The card as plain text, as ``brainio info`` prints it."""
        kind = self.kind.replace("_", " ")
        lines = [f"{self.identifier}  ({kind}, {self.class_name or 'StimulusSet'})"]

        def add(label: str, value: object) -> None:
            if value not in (None, ""):
                lines.append(f"  {label + ':':<14}{value}")

        add("catalog", self.catalog)
        if self.registry_key:
            add("registry key", self.registry_key + (f" ({self.access})" if self.access else ""))
        add("description", self.description)
        add("license", self.license)
        add("url", self.url)
        add("stimulus set", self.stimulus_set_identifier)
        if self.dims is not None:
            add("dims", " x ".join(f"{dim} {size}" for dim, size in self.dims.items()))
        add("stimuli", self.num_stimuli)
        add("size", format_size(self.size) if self.size is not None else "unknown until fetched")
        add("cached", "yes" if self.cached else "no")
        lines.append("  files:")
        for file in self.files:
            status = "cached" if file.cached else "not cached"
            lines.append(
                f"    {file.role:<8} {format_size(file.size):>9}  {status:<10}  "
                f"{file.location_type}:{file.location}"
            )
        if self.citation:
            lines.append("  citation:")
            lines.extend(f"    {line}" for line in self.citation.strip().splitlines())
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from brainio.notebook import card_html

        return card_html(self)

    def __str__(self) -> str:
        return self.to_text()


def card(
    identifier: str, catalog: Iterable[LookupRow] | None = None, *, ask_storage: bool = False
) -> Card:
    """The card of stimulus set or assembly ``identifier``, from the installed catalogs or
    from the rows of ``catalog`` (e.g. a :class:`brainio.catalogs.Catalog`'s ``rows()``).

    Sizes come from the cache and the catalog's ``size`` column; ``ask_storage=True`` also asks
    the storage for the size of files neither knows (hook ``brainio_file_size``: a HEAD
    request for S3), as ``brainio get`` does before downloading.

    An identifier that names both an assembly and a stimulus set gives the assembly's card.
    Raises :class:`brainio.errors.IdentifierLookupError` for an unknown identifier.
    """
    from brainio import lookup

    if catalog is None:
        rows = lookup.rows_of(identifier) or _rows_by_registry_key(identifier)
        where, hint = "the installed catalogs", lookup.suggest(identifier)
    else:
        rows = [row for row in catalog if row.identifier == identifier]
        where, hint = "this catalog", ""
    if not rows:
        raise IdentifierLookupError(
            f"No assembly or stimulus set '{identifier}' in {where}{hint}. "
            "Run `brainio list` to see what is there."
        )
    kind = (
        TYPE_ASSEMBLY
        if any(row.lookup_type == TYPE_ASSEMBLY for row in rows)
        else (TYPE_STIMULUS_SET)
    )
    rows = _distinct([row for row in rows if row.lookup_type == kind])
    main = next((row for row in rows if row.class_name is not None), rows[0])
    files = tuple(_file_status(row, ask_storage) for row in rows)
    known = _known(rows)
    return Card(
        identifier=main.identifier,
        kind=kind,
        class_name=main.class_name,
        catalog=main.catalog,
        files=files,
        registry_key=main.extra.get("registry_key"),
        access=main.extra.get("access"),
        stimulus_set_identifier=main.stimulus_set_identifier,
        dims=_dims(files) if kind == TYPE_ASSEMBLY else None,
        num_stimuli=_num_stimuli(files) if kind == TYPE_STIMULUS_SET else None,
        **{name: known.get(name) for name in CARD_FIELDS},
    )


def _rows_by_registry_key(key: str) -> list[LookupRow]:
    """The rows of the data set registered as ``key`` (e.g. ``MajajHong2015.public``)."""
    from brainio import lookup
    from brainio.search import find

    found = [entry for entry in find(key) if entry.registry_key == key]
    return lookup.rows_of(found[0].identifier) if found else []


def _distinct(rows: list[LookupRow]) -> list[LookupRow]:
    """One row per file: mirrors in other catalogs (same sha1) are the same file."""
    seen: dict[tuple, LookupRow] = {}
    for row in rows:
        seen.setdefault((row.class_name is None, row.sha1), row)
    return sorted(seen.values(), key=lambda row: row.class_name is None)


def _role(row: LookupRow) -> str:
    if row.lookup_type == TYPE_ASSEMBLY:
        return "assembly"
    return "zip" if row.is_zip else "csv"


def _file_status(row: LookupRow, ask_storage: bool) -> FileStatus:
    from brainio.cache import get_cache

    cache = get_cache()
    cached = cache.is_cached(row.source)
    path = cache.path_for(row.source) if cached else None
    size: int | None = path.stat().st_size if path is not None else None
    if size is None:
        size = _int(row.extra.get(SIZE_COLUMN))
    if size is None and ask_storage:
        from brainio.plugins import get_plugin_manager

        size = get_plugin_manager().hook.brainio_file_size(source=row.source)
    return FileStatus(
        role=_role(row),
        location_type=row.location_type,
        location=row.location,
        sha1=row.sha1,
        size=size,
        cached=cached,
        path=str(path) if path is not None else None,
    )


def _int(value: object) -> int | None:
    try:
        return int(str(value)) if value not in (None, "") else None
    except ValueError:
        return None


def _known(rows: list[LookupRow]) -> dict[str, str]:
    """Card fields from the card files of the rows' catalogs, then their catalog columns."""
    known: dict[str, str] = {}
    for row in rows:
        if row.catalog_path is not None:
            fields = read_card_file(row.catalog_path.with_name(CARD_FILE)).get(row.identifier, {})
            for name, value in fields.items():
                known.setdefault(name, value)
        for name in CARD_FIELDS:
            if row.extra.get(name):
                known[name] = str(row.extra[name])
    return known


def read_card_file(path: Path) -> dict[str, dict[str, str]]:
    """Card fields by identifier from a card file (``{}`` if there is none)."""
    try:
        stat = path.stat()
    except OSError:
        return {}
    return _read_card_file(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=32)
def _read_card_file(path: Path, _mtime: int, _size: int) -> dict[str, dict[str, str]]:
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise CatalogError(
            f"Card file {path} cannot be read ({error}). Fix it (TOML, see docs/format.md)."
        ) from None
    unknown_tables = set(document) - {"card"}
    if unknown_tables:
        raise CatalogError(
            f"Card file {path} has the table(s) {', '.join(sorted(unknown_tables))}; "
            "a card file holds only [[card]] tables (see docs/format.md)."
        )
    cards: dict[str, dict[str, str]] = {}
    for number, entry in enumerate(document.get("card", []), start=1):
        identifiers = entry.get("identifiers")
        unknown = set(entry) - {"identifiers", *CARD_FIELDS}
        if not isinstance(identifiers, list) or not identifiers or unknown:
            problem = (
                f"the key(s) {', '.join(sorted(unknown))}" if unknown else "no list of identifiers"
            )
            raise CatalogError(
                f"Card file {path}, card {number}, has {problem}. A card has `identifiers = "
                f"[...]` and any of {', '.join(CARD_FIELDS)} (see docs/format.md)."
            )
        fields = {name: str(value).strip() for name, value in entry.items() if name in CARD_FIELDS}
        for identifier in identifiers:
            cards.setdefault(str(identifier), {}).update(fields)
    return cards


def _dims(files: tuple[FileStatus, ...]) -> dict[str, int] | None:
    """Dimensions of a cached assembly file, read from its header."""
    path = next((file.path for file in files if file.path), None)
    if path is None:
        return None
    import xarray as xr

    try:
        with xr.open_dataset(path, decode_times=False) as dataset:
            variables = list(dataset.data_vars.values())
            if len(variables) != 1:
                return None
            return {str(dim): int(size) for dim, size in variables[0].sizes.items()}
    except (OSError, ValueError, RuntimeError):
        return None


def _num_stimuli(files: tuple[FileStatus, ...]) -> int | None:
    """Rows of a cached stimulus-set CSV."""
    path = next((file.path for file in files if file.role == "csv" and file.path), None)
    if path is None:
        return None
    import pandas as pd

    try:
        return len(pd.read_csv(path, usecols=[0]))
    except (OSError, ValueError):
        return None
