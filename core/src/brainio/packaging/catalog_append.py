"""Adding rows to a catalog's ``lookup.csv``: atomically, under a file lock, never duplicated.

Packaging ends by appending the rows of what it uploaded to a catalog file. The file is read,
checked and rewritten as a whole to a temporary file beside it that then replaces it, all while
holding a lock file next to it (``.lookup.csv.lock``), so two processes appending at once both
land and a reader never sees half a catalog. Existing rows are written back cell for cell; the
columns only an in-memory combined catalog has (``source_catalog``, ``lookup_source``) are
never written (BrainIO 1.x wrote them, brainio#21). Extra columns such as ``version_id`` are
kept, and filled for new rows when the row has a value for them.
"""

from __future__ import annotations

import contextlib
import csv
import io
import logging
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import attrs
import filelock
import pandas as pd

from brainio import lookup
from brainio.catalogs import COLUMNS, SOURCE_CATALOG, Catalog
from brainio.errors import CatalogError
from brainio.packaging.portable import portable_row
from brainio.records import TYPE_ASSEMBLY, TYPE_STIMULUS_SET, LookupRow

logger = logging.getLogger(__name__)

#: Columns only an in-memory combined catalog has; never written to a file.
_IN_MEMORY_COLUMNS = (SOURCE_CATALOG, "lookup_source")

__all__ = ["append", "append_rows", "catalog_file", "lock_for", "present_identifiers"]

#: Seconds to wait for another process appending to the same catalog.
LOCK_TIMEOUT = 120


def lock_for(catalog_path: Path) -> filelock.FileLock:
    """The lock every writer of ``catalog_path`` takes (a hidden file beside it)."""
    catalog_path = Path(catalog_path)
    return filelock.FileLock(
        catalog_path.with_name(f".{catalog_path.name}.lock"), timeout=LOCK_TIMEOUT
    )


def catalog_file(catalog_name: str) -> Path:
    """The ``lookup.csv`` of the installed catalog ``catalog_name``, for appending to it."""
    path = lookup.get_catalog(catalog_name).source_path
    if path is None:
        raise CatalogError(
            f"The installed catalog '{catalog_name}' was not read from a file, so rows cannot "
            "be appended to it. Pass catalog_path= (or --catalog-path) with its lookup.csv."
        )
    return Path(path)


def _read(catalog_path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of a catalog file as strings (an absent or empty file has none)."""
    try:
        text = catalog_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return list(COLUMNS), []
    if not text.strip():
        return list(COLUMNS), []
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = list(reader.fieldnames or [])
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        raise CatalogError(
            f"Catalog file {catalog_path} lacks the column(s) {', '.join(missing)}; a catalog "
            f"starts with the header {','.join(COLUMNS)}. Fix the header before appending."
        )
    return header, [{key: value or "" for key, value in row.items()} for row in reader]


def present_identifiers(catalog_path: str | os.PathLike) -> set[tuple[str, str]]:
    """``(identifier, lookup_type)`` of every row already in the catalog file."""
    _, rows = _read(Path(catalog_path))
    return {(row["identifier"], row["lookup_type"]) for row in rows}


def _cells(row: LookupRow) -> dict[str, str]:
    cells = {
        "identifier": row.identifier,
        "lookup_type": row.lookup_type,
        "class": row.class_name or "",
        "location_type": row.location_type,
        "location": row.location,
        "sha1": row.sha1 or "",
        "stimulus_set_identifier": row.stimulus_set_identifier or "",
    }
    cells.update({key: "" if value is None else str(value) for key, value in row.extra.items()})
    return cells


def append_rows(
    catalog_path: str | os.PathLike,
    rows: Iterable[LookupRow],
    *,
    replace: bool = False,
    catalog_name: str | None = None,
) -> list[LookupRow]:
    """Append ``rows`` to the catalog file at ``catalog_path`` in one atomic rewrite.

    An ``(identifier, lookup_type)`` already in the catalog is refused, unless ``replace`` is
    true: then its old rows are dropped. The rows passed together (the CSV and ZIP rows of one
    stimulus set) are added together or not at all. The file is created (with the header) if
    it does not exist. Extra cells of the rows (``row.extra``, e.g. ``version_id``) fill the
    catalog's extra columns; a missing column is added at the end.

    :returns: the rows as written, tagged with the catalog's name, file and line.
    :raises CatalogError: an identifier is already present, or the result would be invalid.
    """
    catalog_path = Path(catalog_path)
    name = catalog_name or catalog_path.parent.name
    if not catalog_path.parent.is_dir():
        raise CatalogError(
            f"Cannot write catalog '{name}' to {catalog_path}: the folder "
            f"{catalog_path.parent} does not exist. Create it or fix the catalog path."
        )
    rows = [portable_row(row, catalog_path) for row in rows]
    with lock_for(catalog_path):
        written = _append_locked(catalog_path, rows, name, replace=replace)
    _forget_loaded_catalogs()
    return written


def _append_locked(
    catalog_path: Path,
    rows: list[LookupRow],
    name: str,
    *,
    replace: bool,
    tolerated: frozenset[tuple[str, str]] = frozenset(),
) -> list[LookupRow]:
    """The body of :func:`append_rows`; the caller holds the catalog's lock."""
    header, existing = _read(catalog_path)
    new_keys = {(row.identifier, row.lookup_type) for row in rows}
    present = {(r["identifier"], r["lookup_type"]) for r in existing}
    clashes = sorted((present & new_keys) - tolerated)
    if clashes and not replace:
        listed = ", ".join(f"{kind.replace('_', ' ')} '{ident}'" for ident, kind in clashes)
        raise CatalogError(
            f"Catalog '{name}' ({catalog_path}) already has {listed}. Choose another "
            "identifier, or pass replace=True (--replace) to replace its rows."
        )
    if clashes:
        logger.info("replacing %s in catalog %s", clashes, catalog_path)
        existing = [r for r in existing if (r["identifier"], r["lookup_type"]) not in new_keys]
    header = [column for column in header if column not in _IN_MEMORY_COLUMNS]
    new_cells = [_cells(row) for row in rows]
    for cells in new_cells:
        header += [key for key, value in cells.items() if key not in header and value]
    table = existing + new_cells
    _check(table, header, name, catalog_path)
    _write_atomically(catalog_path, header, table)
    first_line = len(existing) + 2  # the header is line 1
    written = [
        attrs.evolve(
            row,
            catalog=name,
            catalog_path=catalog_path,
            line=first_line + index,
            extra={k: v for k, v in cells.items() if k not in COLUMNS and v},
        )
        for index, (row, cells) in enumerate(zip(rows, new_cells, strict=True))
    ]
    logger.info("appended %d row(s) to catalog %s (%s)", len(written), name, catalog_path)
    return written


def _check(table: list[dict[str, str]], header: list[str], name: str, path: Path) -> None:
    """Never write a catalog that would not load: validate the result first."""
    frame = pd.DataFrame(
        [[row.get(column, "") for column in header] for row in table], columns=header, dtype=str
    )
    catalog = Catalog(frame)
    catalog.identifier = name
    catalog.attrs["source_path"] = path
    catalog.validate()


def _write_atomically(path: Path, header: list[str], table: list[dict[str, str]]) -> None:
    descriptor, temp_name = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    temp = Path(temp_name)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as file:
            writer = csv.writer(file, lineterminator="\n")
            writer.writerow(header)
            writer.writerows([row.get(column, "") for column in header] for row in table)
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
        temp.chmod(mode)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise


def _forget_loaded_catalogs() -> None:
    """This process must see the new rows on its next lookup."""
    lookup.refresh()


def append(
    catalog_identifier: str,
    object_identifier: str,
    cls: str | None,
    lookup_type: str,
    bucket_name: str,
    sha1: str,
    s3_key: str,
    stimulus_set_identifier: str | None = None,
    *,
    version_id: str | None = None,
) -> Catalog:
    """BrainIO 1.x's ``lookup.append``: add one S3 row to an installed catalog.

    As in 1.x, the second row of a stimulus set (CSV after ZIP or ZIP after CSV) is accepted;
    any other repeated identifier is refused. Returns the catalog as now on disk.
    """
    if lookup_type not in (TYPE_ASSEMBLY, TYPE_STIMULUS_SET):
        raise CatalogError(
            f"Cannot append '{object_identifier}' with lookup_type '{lookup_type}'; use "
            f"'{TYPE_ASSEMBLY}' or '{TYPE_STIMULUS_SET}'."
        )
    path = catalog_file(catalog_identifier)
    row = LookupRow(
        identifier=object_identifier,
        lookup_type=lookup_type,
        class_name=cls,
        location_type="S3",
        location=f"https://{bucket_name}.s3.amazonaws.com/{s3_key}",
        sha1=sha1,
        stimulus_set_identifier=stimulus_set_identifier,
        extra={"version_id": version_id} if version_id else {},
    )
    with lock_for(path):
        _, existing = _read(path)
        same = [
            r
            for r in existing
            if r["identifier"] == object_identifier and r["lookup_type"] == lookup_type
        ]
        complementary = (
            lookup_type == TYPE_STIMULUS_SET
            and len(same) == 1
            and bool(same[0]["class"]) != bool(cls)
        )
        tolerated = frozenset({(object_identifier, lookup_type)}) if complementary else frozenset()
        _append_locked(path, [row], catalog_identifier, replace=False, tolerated=tolerated)
    _forget_loaded_catalogs()
    return Catalog.from_files(catalog_identifier, path)


def as_mapping(row: LookupRow) -> Mapping[str, str]:
    """A row as the cells it has in a catalog file (for ``--json`` output and reports)."""
    return _cells(row)
