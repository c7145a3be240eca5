"""Generate the Brain-Score vision catalog, ``lookup.csv``, from the catalog facts.

Run it whenever the facts change, and commit both files::

    python -m brainio_vision.make_catalog plugins/vision/facts/vision.csv
    python -m brainio_vision.make_catalog FACTS.csv --output somewhere/lookup.csv

Every fact (one S3 file of a Brain-Score data plugin, see ``plugins/vision/facts/README.md``)
becomes one catalog row:

=============================  ===============================================================
``identifier``                 the storage identifier (``dicarlo.MajajHong2015.public``)
``lookup_type``, ``class``     as in the facts (``StimulusSet`` on a stimulus set's CSV row,
                               empty on its ZIP row)
``location_type``              ``S3``
``location``                   ``https://<bucket>.s3.amazonaws.com/<key>``
``sha1``                       the fact's sha1 (lower case)
``stimulus_set_identifier``    the *storage* identifier of an assembly's stimulus set (the
                               facts name it by registry key)
``version_id``                 as in the facts (``null`` is a real S3 version id)
``registry_key``               the name Brain-Score users load it by (``MajajHong2015.public``)
``access``                     ``public`` or ``private``, decided as below
=============================  ===============================================================

**Access.** Brain-Score marks held-out data only by test marks and 403 answers, so it is
decided here from the names, in this order:

1. a data set whose registry key or identifier contains the word ``private``
   (``MajajHong2015.private``, ``hvm-private``, ``objectome.private``) is held out: private;
2. a data set with a ``.private``/``-private``/``_private`` sibling in the same registry is the
   union of the public and the held-out part, so it is private too (``MajajHong2015`` and
   ``MajajHong2015.temporal``, the stimulus sets ``hvm`` and ``FreemanZiemba2013``);
3. an assembly whose stimulus set is private is private: loading it loads that stimulus set
   (``Kar2018hvm``, ``Sanghavi2020`` and ``Seibert2019`` use ``hvm``).

Everything else is public.

**Facts handled explicitly** (logged, and listed in :attr:`Report.notes`):

* rows of plugins whose registrations Brain-Score does not run (:data:`INACTIVE_PLUGINS`) are
  left out;
* an assembly whose stimulus set is not in the facts keeps an empty ``stimulus_set_identifier``
  (LAION-fMRI's stimuli are behind a data-use agreement and have no catalog files);
* a row repeated with the same content is written once;
* a sha1 shared by files with different keys is kept and reported: the cache keeps each file
  under its own name and verifies it when fetched, so a copy-paste error in the facts shows up
  as an ``IntegrityError``, never as wrong data;
* an upper-case sha1 is written in lower case.

Anything else that cannot become a correct catalog row (a sha1 that is not 40 hexadecimal
digits, a key that breaks the naming rule ``{prefix}{identifier with '.' -> '_'}.{ext}``, two
rows that disagree about the same file, a registry key naming two data sets, a stimulus set
without its CSV or ZIP, ...) raises one :class:`brainio.errors.CatalogError` listing every
such line, and nothing is written. The output is sorted (stimulus sets, then assemblies, by
identifier) and written to a temporary file that replaces the catalog only when complete, so
the same facts always give the same bytes.
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

INACTIVE_PLUGINS = {
    "zhang2018": (
        "its registrations sit under `if PACKAGING_FIXED:` with PACKAGING_FIXED = False, "
        "so Brain-Score does not register them"
    ),
}
"""Plugins whose facts are left out, with the reason."""

ASSEMBLY, STIMULUS_SET = "assembly", "stimulus_set"
PUBLIC, PRIVATE = "public", "private"
PREFIXES = {ASSEMBLY: "assy_", STIMULUS_SET: "stimulus_"}
EXTENSIONS = {ASSEMBLY: ("nc",), STIMULUS_SET: ("csv", "zip")}
STIMULUS_SET_CLASS = "StimulusSet"

_SHA1 = re.compile(r"^[0-9a-f]{40}$")
_PRIVATE_WORD = re.compile(r"(?:^|[._-])private(?:$|[._-])", re.IGNORECASE)
_SIBLING_SEPARATORS = (".", "-", "_")


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

    @property
    def filename(self) -> str:
        return self.key.rsplit("/", 1)[-1]

    @property
    def extension(self) -> str:
        name = self.filename
        return name.rsplit(".", 1)[-1] if "." in name else ""

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
            self.stimulus_set_registry_key,
        )


@dataclass
class Report:
    """The catalog rows, in file order, and what was done about unusual facts."""

    rows: list[dict[str, str]]
    notes: list[str] = field(default_factory=list)


def location_url(bucket: str, key: str) -> str:
    """The virtual-hosted URL Brain-Score builds for an object (no region, as in 1.x)."""
    return f"https://{bucket}.s3.amazonaws.com/{quote(key, safe='/-_.~')}"


def expected_filename(lookup_type: str, identifier: str, extension: str) -> str:
    """Brain-Score's file name rule: ``{prefix}{identifier with '.' -> '_'}.{ext}``."""
    return f"{PREFIXES[lookup_type]}{identifier.replace('.', '_')}.{extension}"


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
    active = _drop_inactive(list(facts), notes)
    problems = [f"line {fact.line}: {problem}" for fact in active for problem in _problems(fact)]
    unique = _drop_repeats(active, notes, problems)
    problems.extend(_registry_problems(unique))
    problems.extend(_pair_problems(unique))
    if problems:
        raise CatalogError(
            f"The facts in {source} cannot become a catalog:\n  "
            + "\n  ".join(problems)
            + "\nFix these rows, or handle the case in brainio_vision/make_catalog.py."
        )
    stimulus_sets = {
        fact.registry_key: fact.identifier for fact in unique if fact.lookup_type == STIMULUS_SET
    }
    _note_unresolved(unique, stimulus_sets, notes)
    _note_shared_sha1s(unique, notes)
    notes.extend(
        f"line {fact.line}: sha1 of '{fact.identifier}' written in lower case"
        for fact in unique
        if fact.sha1 != fact.sha1.lower()
    )
    access = decide_access(unique)
    rows = [
        {
            "identifier": fact.identifier,
            "lookup_type": fact.lookup_type,
            "class": fact.class_name,
            "location_type": "S3",
            "location": location_url(fact.bucket, fact.key),
            "sha1": fact.sha1.lower(),
            "stimulus_set_identifier": stimulus_sets.get(fact.stimulus_set_registry_key, ""),
            "version_id": fact.version_id,
            "registry_key": fact.registry_key,
            "access": access[fact.lookup_type, fact.registry_key],
        }
        for fact in sorted(unique, key=_order)
    ]
    return Report(rows=rows, notes=notes)


def decide_access(facts: Sequence[Fact]) -> dict[tuple[str, str], str]:
    """``public``/``private`` by (lookup_type, registry key), by the rules in the module doc."""
    keys = {kind: {f.registry_key for f in facts if f.lookup_type == kind} for kind in PREFIXES}

    def held_out(fact: Fact) -> bool:
        if _PRIVATE_WORD.search(fact.registry_key) or _PRIVATE_WORD.search(fact.identifier):
            return True
        siblings = keys[fact.lookup_type]
        return any(f"{fact.registry_key}{sep}private" in siblings for sep in _SIBLING_SEPARATORS)

    access = {}
    for fact in facts:
        if fact.lookup_type == STIMULUS_SET:
            access[STIMULUS_SET, fact.registry_key] = PRIVATE if held_out(fact) else PUBLIC
    for fact in facts:
        if fact.lookup_type == ASSEMBLY:
            stimuli = access.get((STIMULUS_SET, fact.stimulus_set_registry_key))
            private = held_out(fact) or stimuli == PRIVATE
            access[ASSEMBLY, fact.registry_key] = PRIVATE if private else PUBLIC
    return access


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


# --- checks -----------------------------------------------------------------------------------


def _drop_inactive(facts: list[Fact], notes: list[str]) -> list[Fact]:
    left_out: dict[str, list[Fact]] = defaultdict(list)
    active = []
    for fact in facts:
        if fact.plugin in INACTIVE_PLUGINS:
            left_out[fact.plugin].append(fact)
        else:
            active.append(fact)
    for plugin, dropped in left_out.items():
        keys = ", ".join(sorted({f"{f.registry_key} ({f.lookup_type})" for f in dropped}))
        notes.append(
            f"left out {len(dropped)} row(s) of plugin {plugin} ({keys}): "
            f"{INACTIVE_PLUGINS[plugin]}"
        )
    return active


def _problems(fact: Fact) -> Iterable[str]:
    label = f"'{fact.registry_key or fact.identifier or '?'}'"
    if not fact.registry_key:
        yield "empty registry_key"
    if not fact.identifier:
        yield f"{label} has an empty identifier"
    if fact.lookup_type not in PREFIXES:
        yield f"{label} has lookup_type '{fact.lookup_type}'; expected assembly or stimulus_set"
        return
    if not fact.bucket or "/" in fact.bucket:
        yield f"{label} has bucket '{fact.bucket}'; expected a bucket name without folders"
    if not _SHA1.match(fact.sha1.lower()):
        yield f"{label} has sha1 '{fact.sha1}'; expected 40 hexadecimal digits"
    if fact.extension not in EXTENSIONS[fact.lookup_type]:
        expected = " or ".join(f".{e}" for e in EXTENSIONS[fact.lookup_type])
        yield f"{label} has key '{fact.key}'; a {fact.lookup_type} file ends in {expected}"
    elif fact.identifier and fact.filename != expected_filename(
        fact.lookup_type, fact.identifier, fact.extension
    ):
        expected = expected_filename(fact.lookup_type, fact.identifier, fact.extension)
        yield (
            f"{label} has key '{fact.key}', which breaks the naming rule: the file of "
            f"'{fact.identifier}' must be named '{expected}'"
        )
    if fact.key.startswith("/") or "//" in fact.key:
        yield f"{label} has key '{fact.key}' with an empty folder name"
    if fact.lookup_type == ASSEMBLY and not fact.class_name:
        yield f"{label} is an assembly without a class (e.g. NeuronRecordingAssembly)"
    if fact.lookup_type == STIMULUS_SET:
        if fact.extension == "csv" and fact.class_name != STIMULUS_SET_CLASS:
            yield f"{label} has class '{fact.class_name}' on its CSV row; expected StimulusSet"
        if fact.extension == "zip" and fact.class_name:
            yield f"{label} has class '{fact.class_name}' on its ZIP row; expected it empty"
        if fact.stimulus_set_registry_key:
            yield f"{label} is a stimulus set but names a stimulus set; only assemblies do"


def _drop_repeats(facts: list[Fact], notes: list[str], problems: list[str]) -> list[Fact]:
    """One fact per file of a data set: identical repeats dropped, contradictions reported."""
    first: dict[tuple[str, str, str], Fact] = {}
    for fact in facts:
        slot = (fact.lookup_type, fact.identifier, fact.extension)
        seen = first.get(slot)
        if seen is None:
            first[slot] = fact
        elif seen.content() == fact.content():
            notes.append(
                f"line {fact.line} repeats line {seen.line} ('{fact.identifier}'); kept once"
            )
        else:
            problems.append(
                f"lines {seen.line} and {fact.line} both describe the .{fact.extension} file of "
                f"{fact.lookup_type} '{fact.identifier}' but differ; keep the right one"
            )
    return list(first.values())


def _registry_problems(facts: list[Fact]) -> Iterable[str]:
    """A registry key names one data set, and a data set has one registry key."""
    identifiers: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    keys: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for fact in facts:
        identifiers[fact.lookup_type, fact.registry_key].setdefault(fact.identifier, fact.line)
        keys[fact.lookup_type, fact.identifier].setdefault(fact.registry_key, fact.line)
    for (kind, key), found in identifiers.items():
        if len(found) > 1:
            where = ", ".join(f"'{i}' (line {line})" for i, line in found.items())
            yield f"{kind} registry key '{key}' names several identifiers: {where}"
    for (kind, identifier), found in keys.items():
        if len(found) > 1:
            where = ", ".join(f"'{k}' (line {line})" for k, line in found.items())
            yield f"{kind} '{identifier}' has several registry keys: {where}"


def _pair_problems(facts: list[Fact]) -> Iterable[str]:
    """A stimulus set is a CSV file and a ZIP file."""
    files: dict[str, dict[str, int]] = defaultdict(dict)
    for fact in facts:
        if fact.lookup_type == STIMULUS_SET:
            files[fact.identifier][fact.extension] = fact.line
    for identifier, found in files.items():
        missing = [ext for ext in EXTENSIONS[STIMULUS_SET] if ext not in found]
        if missing:
            line = min(found.values())
            yield f"line {line}: stimulus set '{identifier}' has no .{' or .'.join(missing)} row"


def _note_unresolved(facts: list[Fact], stimulus_sets: dict[str, str], notes: list[str]) -> None:
    unresolved: dict[str, list[str]] = defaultdict(list)
    for fact in facts:
        if fact.stimulus_set_registry_key and fact.stimulus_set_registry_key not in stimulus_sets:
            unresolved[fact.stimulus_set_registry_key].append(fact.registry_key)
    for key, assemblies in unresolved.items():
        notes.append(
            f"stimulus set '{key}' of {len(assemblies)} assemblies ({', '.join(assemblies)}) is "
            "not in the facts; their stimulus_set_identifier is left empty"
        )


def _note_shared_sha1s(facts: list[Fact], notes: list[str]) -> None:
    keys: dict[str, set[str]] = defaultdict(set)
    for fact in facts:
        keys[fact.sha1.lower()].add(fact.key)
    for sha1, shared in sorted(keys.items()):
        if len(shared) > 1:
            notes.append(
                f"sha1 {sha1} is promised by {len(shared)} different files "
                f"({', '.join(sorted(shared)[:3])}{', ...' if len(shared) > 3 else ''}); kept: "
                "each is cached under its own name and verified when fetched"
            )


def _order(fact: Fact) -> tuple:
    kind = 0 if fact.lookup_type == STIMULUS_SET else 1
    return (kind, fact.identifier.casefold(), fact.identifier, fact.extension)


# --- command line -----------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m brainio_vision.make_catalog FACTS [--output LOOKUP_CSV]``."""
    parser = argparse.ArgumentParser(
        prog="python -m brainio_vision.make_catalog",
        description="Generate the Brain-Score vision catalog (lookup.csv) from the facts CSV.",
    )
    parser.add_argument("facts", type=Path, help="the facts CSV file (plugins/vision/facts)")
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
    kinds = defaultdict(int)
    for row in report.rows:
        kinds[row["lookup_type"], row["access"]] += 1
    summary = ", ".join(
        f"{count} {kind} rows {access}" for (kind, access), count in sorted(kinds.items())
    )
    logger.info("wrote %d rows (%s) to %s", len(report.rows), summary, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
