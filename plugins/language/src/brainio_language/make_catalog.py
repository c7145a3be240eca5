"""Generate the Brain-Score language catalog, ``lookup.csv``, from the catalog facts.

Run it whenever the facts change, and commit both files::

    python -m brainio_language.make_catalog plugins/language/facts/language.csv
    python -m brainio_language.make_catalog FACTS.csv --output somewhere/lookup.csv

Every fact (one netCDF file on S3, see ``plugins/language/facts/README.md``) becomes one
assembly row: ``identifier`` the storage identifier, ``class`` as in the facts (Brain-Score
language loads everything with its default ``NeuroidAssembly``), ``location_type`` ``S3``,
``location`` ``https://<bucket>.s3.amazonaws.com/<key>``, ``sha1`` in lower case, an empty
``stimulus_set_identifier`` (language data have no stimulus sets: sentences and words are
coordinates), ``version_id`` as in the facts (empty: the 2026 move to ``brainscore-storage``
dropped them, the sha1 alone pins the content), ``registry_key`` the key users load it by, and
``access``: ``private`` when the registry key or identifier contains the word ``private`` or a
``.private``/``-private``/``_private`` sibling exists (the part is held out), else ``public``.

A row repeated with the same content is written once (and reported). Anything that cannot
become a correct row (a stimulus-set row, a sha1 that is not 40 hexadecimal digits, a key that
breaks the naming rule ``assy_{identifier with '.' -> '_'}.nc``, rows disagreeing about one
file, a registry key naming two data sets) raises one :class:`brainio.errors.CatalogError`
listing every such line, and nothing is written. The output is sorted by identifier and
written atomically, so the same facts always give the same bytes.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import logging
import os
import re
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from brainio.errors import CatalogError

logger = logging.getLogger(__name__)

FACT_COLUMNS = (
    "registry_key",
    "lookup_type",
    "identifier",
    "class",
    "bucket",
    "key",
    "version_id",
    "sha1",
    "stimulus_set_registry_key",
    "plugin",
)
CATALOG_COLUMNS = (
    "identifier",
    "lookup_type",
    "class",
    "location_type",
    "location",
    "sha1",
    "stimulus_set_identifier",
    "version_id",
    "registry_key",
    "access",
)
DEFAULT_OUTPUT = Path(__file__).with_name("lookup.csv")
ASSEMBLY = "assembly"
PUBLIC, PRIVATE = "public", "private"

_SHA1 = re.compile(r"^[0-9a-f]{40}$")
_PRIVATE_WORD = re.compile(r"(?:^|[._-])private(?:$|[._-])", re.IGNORECASE)


@dataclass(frozen=True)
class Fact:
    """One row of the facts file (values stripped of surrounding spaces)."""

    line: int
    registry_key: str
    lookup_type: str
    identifier: str
    class_name: str
    bucket: str
    key: str
    version_id: str
    sha1: str
    stimulus_set_registry_key: str
    plugin: str

    def content(self) -> tuple:
        """What the catalog row depends on (not the line, not the plugin)."""
        return (
            self.registry_key,
            self.lookup_type,
            self.identifier,
            self.class_name,
            self.bucket,
            self.key,
            self.version_id,
            self.sha1.lower(),
        )


@dataclass
class Report:
    """The catalog rows, in file order, and what was done about unusual facts."""

    rows: list[dict[str, str]]
    notes: list[str] = field(default_factory=list)


def location_url(bucket: str, key: str) -> str:
    """The virtual-hosted URL of an object (no region, as Brain-Score builds it)."""
    return f"https://{bucket}.s3.amazonaws.com/{quote(key, safe='/-_.~')}"


def expected_filename(identifier: str) -> str:
    """Brain-Score language's file name rule (``load_from_s3``)."""
    return f"assy_{identifier.replace('.', '_')}.nc"


def read_facts(path: str | os.PathLike[str]) -> list[Fact]:
    """The rows of a facts CSV file; raises :class:`CatalogError` if it lacks a column."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8") as file:
            reader = csv.DictReader(file)
            missing = [column for column in FACT_COLUMNS if column not in (reader.fieldnames or ())]
            if missing:
                raise CatalogError(
                    f"Facts file {path} lacks the column(s) {', '.join(missing)}; its header "
                    f"must contain {','.join(FACT_COLUMNS)}."
                )
            facts = []
            for record in reader:
                values = {column: (record.get(column) or "").strip() for column in FACT_COLUMNS}
                values["class_name"] = values.pop("class")
                facts.append(Fact(line=reader.line_num, **values))
            return facts
    except FileNotFoundError:
        raise CatalogError(f"Facts file {path} does not exist.") from None
    except (UnicodeDecodeError, csv.Error) as error:
        raise CatalogError(f"Facts file {path} is not a readable CSV file ({error}).") from None


def build_catalog(facts: Iterable[Fact], source: str = "the facts") -> Report:
    """Catalog rows for ``facts``; raises :class:`CatalogError` naming every unusable line."""
    notes: list[str] = []
    facts = list(facts)
    problems = [f"line {fact.line}: {problem}" for fact in facts for problem in _problems(fact)]
    unique: dict[str, Fact] = {}
    for fact in facts:
        seen = unique.setdefault(fact.identifier, fact)
        if seen is fact:
            continue
        if seen.content() == fact.content():
            notes.append(
                f"line {fact.line} repeats line {seen.line} ('{fact.identifier}'); kept once"
            )
        else:
            problems.append(
                f"lines {seen.line} and {fact.line} both describe assembly '{fact.identifier}' "
                "but differ; keep the right one"
            )
    owners: dict[str, dict[str, int]] = defaultdict(dict)
    for fact in unique.values():
        owners[fact.registry_key].setdefault(fact.identifier, fact.line)
    for key, found in owners.items():
        if len(found) > 1:
            where = ", ".join(f"'{i}' (line {line})" for i, line in found.items())
            problems.append(f"registry key '{key}' names several identifiers: {where}")
    if problems:
        raise CatalogError(
            f"The facts in {source} cannot become a catalog:\n  "
            + "\n  ".join(problems)
            + "\nFix these rows, or handle the case in brainio_language/make_catalog.py."
        )
    keys = {fact.registry_key for fact in unique.values()}
    rows = []
    for fact in sorted(unique.values(), key=lambda f: (f.identifier.casefold(), f.identifier)):
        if fact.sha1 != fact.sha1.lower():
            notes.append(f"line {fact.line}: sha1 of '{fact.identifier}' written in lower case")
        rows.append(
            {
                "identifier": fact.identifier,
                "lookup_type": ASSEMBLY,
                "class": fact.class_name,
                "location_type": "S3",
                "location": location_url(fact.bucket, fact.key),
                "sha1": fact.sha1.lower(),
                "stimulus_set_identifier": "",
                "version_id": fact.version_id,
                "registry_key": fact.registry_key,
                "access": PRIVATE if _held_out(fact, keys) else PUBLIC,
            }
        )
    return Report(rows=rows, notes=notes)


def _held_out(fact: Fact, keys: set[str]) -> bool:
    if _PRIVATE_WORD.search(fact.registry_key) or _PRIVATE_WORD.search(fact.identifier):
        return True
    return any(f"{fact.registry_key}{sep}private" in keys for sep in ".-_")


def _problems(fact: Fact) -> Iterable[str]:
    label = f"'{fact.registry_key or fact.identifier or '?'}'"
    if not fact.registry_key:
        yield "empty registry_key"
    if not fact.identifier:
        yield f"{label} has an empty identifier"
    if fact.lookup_type != ASSEMBLY:
        yield (
            f"{label} has lookup_type '{fact.lookup_type}'; language data are assemblies only "
            "(their sentences and words are presentation coordinates, not stimulus sets)"
        )
        return
    if fact.stimulus_set_registry_key:
        yield (
            f"{label} names stimulus set '{fact.stimulus_set_registry_key}'; "
            "language data have none"
        )
    if not fact.class_name:
        yield f"{label} has no class (Brain-Score language's default is NeuroidAssembly)"
    if not fact.bucket or "/" in fact.bucket:
        yield f"{label} has bucket '{fact.bucket}'; expected a bucket name without folders"
    if not _SHA1.match(fact.sha1.lower()):
        yield f"{label} has sha1 '{fact.sha1}'; expected 40 hexadecimal digits"
    filename = fact.key.rsplit("/", 1)[-1]
    if fact.identifier and filename != expected_filename(fact.identifier):
        yield (
            f"{label} has key '{fact.key}', which breaks the naming rule: the file of "
            f"'{fact.identifier}' must be named '{expected_filename(fact.identifier)}'"
        )


def write_catalog(rows: Iterable[dict[str, str]], path: str | os.PathLike[str]) -> None:
    """Write ``rows`` as a catalog CSV at ``path``, atomically (temporary file, then rename)."""
    path = Path(path)
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "w", newline="", encoding="utf-8") as file:
            writer = csv.DictWriter(file, fieldnames=CATALOG_COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        os.chmod(temporary, 0o644)  # a package file, readable by everyone like its neighbours
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def make_catalog(
    facts_path: str | os.PathLike[str], output: str | os.PathLike[str] = DEFAULT_OUTPUT
) -> Report:
    """Read the facts, build the catalog, write it to ``output``; log and return the report."""
    report = build_catalog(read_facts(facts_path), source=str(facts_path))
    write_catalog(report.rows, output)
    for note in report.notes:
        logger.info("note: %s", note)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m brainio_language.make_catalog FACTS [--output LOOKUP_CSV]``."""
    parser = argparse.ArgumentParser(
        prog="python -m brainio_language.make_catalog",
        description="Generate the Brain-Score language catalog (lookup.csv) from the facts CSV.",
    )
    parser.add_argument("facts", type=Path, help="the facts CSV file (plugins/language/facts)")
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help=f"the catalog to write (default: {DEFAULT_OUTPUT})",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        report = make_catalog(args.facts, args.output)
    except (CatalogError, OSError) as error:
        logger.error("%s", error)
        return 1
    private = sum(row["access"] == PRIVATE for row in report.rows)
    logger.info(
        "wrote %d assembly rows (%d public, %d private) to %s",
        len(report.rows),
        len(report.rows) - private,
        private,
        args.output,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
