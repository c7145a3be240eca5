"""Catalogs: the ``lookup.csv`` tables that say where each stimulus set and assembly lives.

A catalog is a CSV file with the exact header
``identifier,lookup_type,class,location_type,location,sha1,stimulus_set_identifier``
(extra columns such as ``version_id`` or ``access`` are kept). A stimulus set takes two rows
(its CSV, with class ``StimulusSet``, and its ZIP, with an empty class); an assembly one row.
Catalogs are validated when loaded, so a bad row is reported with file and line up front
instead of failing obscurely at fetch time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from brainio.errors import CatalogError
from brainio.records import TYPE_ASSEMBLY, TYPE_STIMULUS_SET, LookupRow

if TYPE_CHECKING:
    from brainio.cards import Card

SOURCE_CATALOG = "source_catalog"
"""Column added in memory to a combined catalog; never written to disk."""

COLUMNS = (
    "identifier",
    "lookup_type",
    "class",
    "location_type",
    "location",
    "sha1",
    "stimulus_set_identifier",
)
LOOKUP_TYPES = (TYPE_ASSEMBLY, TYPE_STIMULUS_SET)
_SHA1 = re.compile(r"^[0-9a-f]{40}$")
_IN_MEMORY_COLUMNS = (SOURCE_CATALOG, "lookup_source")
_PARSER_LINE = re.compile(r"\bline (\d+)")


# pandas ships no type hints here, so mypy sees DataFrame as Any
class Catalog(pd.DataFrame):  # type: ignore[misc,unused-ignore]
    """A catalog as a pandas DataFrame (as in BrainIO 1.x), with its ``identifier``."""

    _metadata = ["identifier", "url"]

    @property
    def _constructor(self) -> type[Catalog]:
        return Catalog

    @classmethod
    def from_files(cls, identifier: str, csv_path: str | Path, url: str | None = None) -> Catalog:
        """Read and validate a ``lookup.csv``; a :class:`CatalogError` lists every bad row."""
        csv_path = Path(csv_path)
        where: dict[str, Any] = dict(catalog=identifier, path=csv_path)
        try:
            # only empty cells are missing: "null" is a valid S3 version id, "NA" a valid name
            frame = pd.read_csv(csv_path, dtype=str, keep_default_na=False, na_values=[""])
        except FileNotFoundError:
            raise CatalogError(
                f"Catalog '{identifier}': file {csv_path} does not exist. "
                "Reinstall the package that provides this catalog.",
                **where,
            ) from None
        except pd.errors.EmptyDataError:
            raise CatalogError(
                f"Catalog '{identifier}': {csv_path} line 1: the file is empty. "
                f"It must start with the header {','.join(COLUMNS)}.",
                **where,
                line=1,
            ) from None
        except UnicodeDecodeError:
            line, error = _undecodable(csv_path)
            raise CatalogError(
                f"Catalog '{identifier}': {csv_path} line {line} is not UTF-8 text "
                f"({error.reason} at byte {error.start} of the file). Save the file as UTF-8.",
                **where,
                line=line,
            ) from None
        except pd.errors.ParserError as error:
            found = _PARSER_LINE.search(str(error))
            at = int(found.group(1)) if found else None
            detail = " ".join(str(error).split())
            raise CatalogError(
                f"Catalog '{identifier}': {csv_path}"
                + (f" line {at}" if at else "")
                + f" is not valid CSV ({detail}). Every line needs the {len(COLUMNS)}+ cells of "
                f"the header {','.join(COLUMNS)}; quote cells that contain commas.",
                **where,
                line=at,
            ) from None
        catalog = cls(frame)
        catalog.identifier = identifier
        catalog.url = url
        catalog.attrs["source_path"] = csv_path
        catalog.validate()
        return catalog

    @property
    def source_path(self) -> Path | None:
        path: Path | None = self.attrs.get("source_path")
        return path

    def card(self, identifier: str) -> Card:
        """The data-set card of ``identifier`` (sizes, description, citation, cache status)."""
        from brainio.cards import card

        return card(identifier, catalog=self.rows())

    def _repr_html_(self) -> str:
        from brainio.notebook import catalog_html

        return catalog_html(self)

    def validate(self) -> None:
        """Check the header and every row; raise one :class:`CatalogError` naming all problems."""
        name = getattr(self, "identifier", None) or "unnamed"
        where = f"Catalog '{name}'" + (f" ({self.source_path})" if self.source_path else "")
        location: dict[str, Any] = dict(catalog=name, path=self.source_path)
        missing = [column for column in COLUMNS if column not in self.columns]
        if missing:
            raise CatalogError(
                f"{where} line 1 lacks the column(s) {', '.join(missing)}. A catalog needs the "
                f"header {','.join(COLUMNS)} (extra columns are allowed).",
                **location,
                line=1,
            )
        problems = [
            (line, f"line {line}: {problem}")
            for line, row in zip(self._lines(), self.to_dict("records"), strict=True)
            for problem in _row_problems(row)
        ]
        if problems:
            shown = "; ".join(text for _, text in problems[:20])
            more = f"; ... and {len(problems) - 20} more" if len(problems) > 20 else ""
            raise CatalogError(
                f"{where} has {len(problems)} invalid cell(s): {shown}{more}. Fix these rows.",
                **location,
                line=problems[0][0],
            )

    def _lines(self) -> range:
        """File line numbers of the rows (the header is line 1)."""
        return range(2, len(self) + 2)

    def rows(self) -> Iterator[LookupRow]:
        """The rows as :class:`LookupRow` records, with their catalog, file and line."""
        extra_columns = [
            column
            for column in self.columns
            if column not in COLUMNS and column not in _IN_MEMORY_COLUMNS
        ]
        for line, row in zip(self._lines(), self.to_dict("records"), strict=True):
            yield LookupRow(
                identifier=row["identifier"],
                lookup_type=row["lookup_type"],
                class_name=row["class"],
                location_type=row["location_type"],
                location=row["location"],
                sha1=_normalize_sha1(row["sha1"]),
                stimulus_set_identifier=row["stimulus_set_identifier"],
                catalog=getattr(self, "identifier", None),
                catalog_path=self.source_path,
                line=line,
                extra={column: row[column] for column in extra_columns if not _empty(row[column])},
            )


def _undecodable(path: Path) -> tuple[int, UnicodeDecodeError]:
    """The 1-based line of the first byte of ``path`` that is not UTF-8, and the error."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        return data[: error.start].count(b"\n") + 1, error
    raise AssertionError(f"{path} decodes as UTF-8")  # pandas said it does not


def _empty(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value) or value == ""


def _normalize_sha1(value: object) -> str | None:
    return None if _empty(value) else str(value).strip().lower()


def _row_problems(row: dict[str, Any]) -> Iterator[str]:
    identifier = row["identifier"]
    label = f"'{identifier}'" if not _empty(identifier) else "row"
    if _empty(identifier):
        yield "empty identifier"
    if row["lookup_type"] not in LOOKUP_TYPES:
        yield (
            f"{label} has lookup_type '{row['lookup_type']}'; "
            f"expected one of {', '.join(LOOKUP_TYPES)}"
        )
    elif row["lookup_type"] == TYPE_ASSEMBLY and _empty(row["class"]):
        yield f"{label} is an assembly without a class (e.g. NeuronRecordingAssembly)"
    if _empty(row["location_type"]):
        yield f"{label} has an empty location_type (e.g. S3 or local)"
    if _empty(row["location"]):
        yield f"{label} has an empty location"
    sha1 = _normalize_sha1(row["sha1"])
    if sha1 is None or not _SHA1.match(sha1):
        yield f"{label} has sha1 '{row['sha1'] or ''}'; expected 40 hexadecimal digits"
