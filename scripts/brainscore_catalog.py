"""Brain-Score catalog facts -> a BrainIO ``lookup.csv``, by Brain-Score's S3 conventions.

Build-time code shared by ``plugins/vision/scripts/make_vision_catalog.py`` and
``plugins/language/scripts/make_language_catalog.py`` (it ships in no distribution: the
catalogs it writes do).

The Brain-Score data plugins register each data set with literal S3 coordinates. Written down
as a *facts* CSV (columns :data:`FACT_COLUMNS`, one row per S3 file), they become a catalog with
:class:`CatalogMaker`, which a domain's ``make_catalog`` script configures with what differs
(which lookup types it has, plugins to leave out, extra checks). Every fact becomes one row:

=============================  ===============================================================
``identifier``                 the storage identifier (``dicarlo.MajajHong2015.public``)
``lookup_type``, ``class``     as in the facts (``StimulusSet`` on a stimulus set's CSV row,
                               empty on its ZIP row)
``location_type``              ``S3``
``location``                   ``https://<bucket>.s3.amazonaws.com/<key>`` (:func:`location_url`)
``sha1``                       the fact's sha1 (lower case)
``stimulus_set_identifier``    the *storage* identifier of an assembly's stimulus set (the
                               facts name it by registry key)
``version_id``                 as in the facts (``null`` is a real S3 version id)
``registry_key``               the name Brain-Score users load it by (``MajajHong2015.public``)
``access``                     ``public`` or ``private``, decided as below
=============================  ===============================================================

**Access.** Brain-Score marks held-out data only by test marks and 403 answers, so it is
decided from the names, in this order (:func:`decide_access`):

1. a data set whose registry key or identifier contains the word ``private``
   (``MajajHong2015.private``, ``hvm-private``, ``objectome.private``) is held out: private;
2. a data set with a ``.private``/``-private``/``_private`` sibling in the same registry is the
   union of the public and the held-out part, so it is private too (``MajajHong2015``);
3. an assembly whose stimulus set is private is private: loading it loads that stimulus set.

Everything else is public.

**Facts handled explicitly** (logged, and listed in :attr:`Report.notes`): rows of inactive
plugins are left out; an assembly whose stimulus set is not in the facts keeps an empty
``stimulus_set_identifier``; a row repeated with the same content is written once; a sha1 shared
by files with different keys is kept and reported (each file is cached under its own name and
verified when fetched, so a copy-paste error shows up as an ``IntegrityError``, never as wrong
data); an upper-case sha1 is written in lower case.

Anything else that cannot become a correct catalog row (a sha1 that is not 40 hexadecimal
digits, a key that breaks the naming rule ``{prefix}{identifier with '.' -> '_'}.{ext}`` of
:func:`brainio_s3.helpers.remote_filename`, two rows that disagree about the same file, a
registry key naming two data sets, a stimulus set without its CSV or ZIP, ...) raises one
:class:`brainio.errors.CatalogError` listing every such line, and nothing is written. The
output is sorted (stimulus sets, then assemblies, by identifier) and written to a temporary
file that replaces the catalog only when complete, so the same facts always give the same bytes.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import logging
import os
import re
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from brainio.catalogs import COLUMNS
from brainio.errors import CatalogError
from brainio.hashing import is_sha1, normalize_sha1
from brainio.records import TYPE_ASSEMBLY, TYPE_STIMULUS_SET
from brainio_s3.helpers import remote_filename  # the naming rule Brain-Score fetches by

__all__ = [
    "ASSEMBLY",
    "CATALOG_COLUMNS",
    "FACT_COLUMNS",
    "PRIVATE",
    "PUBLIC",
    "STIMULUS_SET",
    "CatalogMaker",
    "Fact",
    "Report",
    "decide_access",
    "location_url",
    "read_facts",
    "write_catalog",
    "write_facts",
]

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
CATALOG_COLUMNS = (*COLUMNS, "version_id", "registry_key", "access")
"""BrainIO's header plus the registry columns (read by :class:`brainio.registry.Registry`)."""

ASSEMBLY, STIMULUS_SET = TYPE_ASSEMBLY, TYPE_STIMULUS_SET
PUBLIC, PRIVATE = "public", "private"
EXTENSIONS = {ASSEMBLY: ("nc",), STIMULUS_SET: ("csv", "zip")}
STIMULUS_SET_CLASS = "StimulusSet"

_PRIVATE_WORD = re.compile(r"(?:^|[._-])private(?:$|[._-])", re.IGNORECASE)
_SIBLING_SEPARATORS = (".", "-", "_")


@dataclass(frozen=True)
class Fact:
    """One row of a facts file (values stripped of surrounding spaces)."""

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
    def label(self) -> str:
        """How error messages name the fact."""
        return f"'{self.registry_key or self.identifier or '?'}'"

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
            normalize_sha1(self.sha1),
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


def write_facts(facts: Iterable[Mapping[str, str]], path: str | os.PathLike[str]) -> Path:
    """Write fact rows (dictionaries with the :data:`FACT_COLUMNS`) as a facts CSV file."""
    path = Path(path)
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=FACT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(facts)
    return path


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


def decide_access(facts: Sequence[Fact]) -> dict[tuple[str, str], str]:
    """``public``/``private`` by (lookup_type, registry key), by the rules in the module doc."""
    keys = {kind: {f.registry_key for f in facts if f.lookup_type == kind} for kind in EXTENSIONS}

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


def _no_checks(fact: Fact) -> Iterable[str]:
    return ()


@dataclass(frozen=True)
class CatalogMaker:
    """How one Brain-Score domain turns its facts into its catalog.

    ``script`` is the domain's script (``plugins/vision/scripts/make_vision_catalog.py``): its
    logger reports, and errors point at it. ``lookup_types`` are the kinds of data the domain
    has, ``lookup_types_note`` says why when a fact has another; ``class_hint`` helps when an
    assembly has no class; ``inactive_plugins`` maps plugins whose rows are left out to the
    reason; ``check`` yields the domain's own problems with a fact.
    """

    script: str
    title: str
    output: Path
    lookup_types: tuple[str, ...] = (STIMULUS_SET, ASSEMBLY)
    lookup_types_note: str = ""
    class_hint: str = "e.g. NeuronRecordingAssembly"
    inactive_plugins: Mapping[str, str] = field(default_factory=dict)
    check: Callable[[Fact], Iterable[str]] = _no_checks

    @property
    def logger(self) -> logging.Logger:
        return logging.getLogger(Path(self.script).stem)

    def build(self, facts: Iterable[Fact], source: str = "the facts") -> Report:
        """Catalog rows for ``facts``; raises :class:`CatalogError` naming every unusable line."""
        notes: list[str] = []
        active = self._drop_inactive(list(facts), notes)
        problems = [
            f"line {fact.line}: {problem}" for fact in active for problem in self._problems(fact)
        ]
        unique = _drop_repeats(active, notes, problems)
        problems.extend(_registry_problems(unique))
        problems.extend(_pair_problems(unique))
        if problems:
            raise CatalogError(
                f"The facts in {source} cannot become a catalog:\n  "
                + "\n  ".join(problems)
                + f"\nFix these rows, or handle the case in {self.script}."
            )
        stimulus_sets = {
            fact.registry_key: fact.identifier
            for fact in unique
            if fact.lookup_type == STIMULUS_SET
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
                "sha1": normalize_sha1(fact.sha1),
                "stimulus_set_identifier": stimulus_sets.get(fact.stimulus_set_registry_key, ""),
                "version_id": fact.version_id,
                "registry_key": fact.registry_key,
                "access": access[fact.lookup_type, fact.registry_key],
            }
            for fact in sorted(unique, key=_order)
        ]
        return Report(rows=rows, notes=notes)

    def make(
        self, facts_path: str | os.PathLike[str], output: str | os.PathLike[str] | None = None
    ) -> Report:
        """Read the facts, build the catalog, write it to ``output`` (default: the domain's
        ``lookup.csv``); log and return the report."""
        report = self.build(read_facts(facts_path), source=str(facts_path))
        write_catalog(report.rows, self.output if output is None else output)
        for note in report.notes:
            self.logger.info("note: %s", note)
        return report

    def main(self, argv: Sequence[str] | None = None) -> int:
        """``python <script> FACTS [--output LOOKUP_CSV]``; 0 on success, 1 on bad facts."""
        parser = argparse.ArgumentParser(
            prog=f"python {self.script}",
            description=f"Generate the {self.title} catalog (lookup.csv) from the facts CSV.",
        )
        parser.add_argument("facts", type=Path, help="the facts CSV file")
        parser.add_argument(
            "-o",
            "--output",
            type=Path,
            default=self.output,
            help=f"the catalog to write (default: {self.output})",
        )
        args = parser.parse_args(argv)
        logging.basicConfig(level=logging.INFO, format="%(message)s")
        try:
            report = self.make(args.facts, args.output)
        except (CatalogError, OSError) as error:
            self.logger.error("%s", error)
            return 1
        kinds: dict[str, dict[str, int]] = defaultdict(lambda: {PUBLIC: 0, PRIVATE: 0})
        for row in report.rows:
            kinds[row["lookup_type"]][row["access"]] += 1
        summary = "; ".join(
            f"{sum(count.values())} {kind} rows ({count[PUBLIC]} public, {count[PRIVATE]} private)"
            for kind, count in sorted(kinds.items())
        )
        self.logger.info("wrote %d rows to %s: %s", len(report.rows), args.output, summary)
        return 0

    # --- checks -------------------------------------------------------------------------------

    def _drop_inactive(self, facts: list[Fact], notes: list[str]) -> list[Fact]:
        left_out: dict[str, list[Fact]] = defaultdict(list)
        active = []
        for fact in facts:
            if fact.plugin in self.inactive_plugins:
                left_out[fact.plugin].append(fact)
            else:
                active.append(fact)
        for plugin, dropped in left_out.items():
            keys = ", ".join(sorted({f"{f.registry_key} ({f.lookup_type})" for f in dropped}))
            notes.append(
                f"left out {len(dropped)} row(s) of plugin {plugin} ({keys}): "
                f"{self.inactive_plugins[plugin]}"
            )
        return active

    def _problems(self, fact: Fact) -> Iterator[str]:
        label = fact.label
        if not fact.registry_key:
            yield "empty registry_key"
        if not fact.identifier:
            yield f"{label} has an empty identifier"
        if fact.lookup_type not in self.lookup_types:
            expected = " or ".join(sorted(self.lookup_types))
            note = f": {self.lookup_types_note}" if self.lookup_types_note else ""
            yield f"{label} has lookup_type '{fact.lookup_type}'; expected {expected}{note}"
            return
        yield from self.check(fact)
        if not fact.bucket or "/" in fact.bucket:
            yield f"{label} has bucket '{fact.bucket}'; expected a bucket name without folders"
        if not is_sha1(normalize_sha1(fact.sha1)):
            yield f"{label} has sha1 '{fact.sha1}'; expected 40 hexadecimal digits"
        if fact.extension not in EXTENSIONS[fact.lookup_type]:
            expected = " or ".join(f".{e}" for e in EXTENSIONS[fact.lookup_type])
            yield f"{label} has key '{fact.key}'; a {fact.lookup_type} file ends in {expected}"
        elif fact.identifier and fact.filename != remote_filename(fact.identifier, fact.extension):
            expected = remote_filename(fact.identifier, fact.extension)
            yield (
                f"{label} has key '{fact.key}', which breaks the naming rule: the file of "
                f"'{fact.identifier}' must be named '{expected}'"
            )
        if fact.key.startswith("/") or "//" in fact.key:
            yield f"{label} has key '{fact.key}' with an empty folder name"
        if fact.lookup_type == ASSEMBLY and not fact.class_name:
            yield f"{label} is an assembly without a class ({self.class_hint})"
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


def _registry_problems(facts: list[Fact]) -> Iterator[str]:
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


def _pair_problems(facts: list[Fact]) -> Iterator[str]:
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
        keys[normalize_sha1(fact.sha1)].add(fact.key)
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
