"""Generate the card file (``cards.toml``) of a Brain-Score catalog from its facts.

Each Brain-Score data plugin publishes the BibTeX of its paper; ``facts/citations.toml`` keeps
them by plugin. Every data set of a plugin gets a card with that citation, a link to the paper
(its DOI, else its URL) and a description naming the paper and the plugin::

    python scripts/brainscore_cards.py plugins/vision/facts/vision.csv \\
        plugins/vision/facts/citations.toml plugins/vision/src/brainio_vision/cards.toml

Only identifiers present in the catalog next to the output (``lookup.csv``) are carded. The
file is written atomically and deterministically (sorted), so regenerating it changes nothing.
Build-time code, like ``brainscore_catalog.py`` beside it: it ships in no distribution, the
card files it writes do.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import tomllib
from collections import defaultdict
from pathlib import Path

from brainio.atomic import atomic_path

__all__ = ["bibtex_field", "build_cards", "main", "make_cards"]

_FIELD_START = r"(?<![\w-]){name}\s*=\s*"


def bibtex_field(bibtex: str, name: str) -> str | None:
    """The value of field ``name`` (any case) of a BibTeX entry, braces and quotes removed."""
    match = re.search(_FIELD_START.format(name=re.escape(name)), bibtex, re.IGNORECASE)
    if match is None:
        return None
    rest = bibtex[match.end() :]
    if rest.startswith("{"):
        depth = 0
        for index, character in enumerate(rest):
            depth += {"{": 1, "}": -1}.get(character, 0)
            if depth == 0:
                value = rest[1:index]
                break
        else:
            return None
    elif rest.startswith('"'):
        end = rest.find('"', 1)
        value = rest[1:end] if end > 0 else ""
    else:
        value = re.split(r"[,}\n]", rest, maxsplit=1)[0]
    value = " ".join(value.replace("{", "").replace("}", "").replace('"', "").split())
    return value or None


def _link(bibtex: str) -> str | None:
    doi = bibtex_field(bibtex, "doi")
    if doi:
        return "https://doi.org/" + re.sub(r"^https?://(dx\.)?doi\.org/", "", doi)
    return bibtex_field(bibtex, "url")


def build_cards(
    facts_csv: Path, citations_toml: Path, catalog_csv: Path, title: str
) -> list[dict[str, object]]:
    """The cards, one per data plugin, of the identifiers of ``catalog_csv``."""
    with open(catalog_csv, newline="", encoding="utf-8") as file:
        in_catalog = {row["identifier"] for row in csv.DictReader(file)}
    by_plugin: dict[str, set[str]] = defaultdict(set)
    with open(facts_csv, newline="", encoding="utf-8") as file:
        for fact in csv.DictReader(file):
            if fact["identifier"] in in_catalog:
                by_plugin[fact["plugin"]].add(fact["identifier"])
    citations = tomllib.loads(citations_toml.read_text(encoding="utf-8"))
    unknown = sorted(set(citations) - set(by_plugin))
    if unknown:
        raise ValueError(
            f"{citations_toml} cites plugin(s) {', '.join(unknown)} that have no data set in "
            f"{catalog_csv}; fix the plugin names (they are the facts' `plugin` column)."
        )
    cards = []
    for plugin in sorted(by_plugin):
        citation = citations.get(plugin, {}).get("citation", "").strip()
        card: dict[str, object] = {"identifiers": sorted(by_plugin[plugin])}
        paper = bibtex_field(citation, "title") if citation else None
        year = bibtex_field(citation, "year") if citation else None
        source = f"the {title} data plugin '{plugin}'"
        card["description"] = (
            f"Data of “{paper}” ({year}), from {source}." if paper else f"From {source}."
        )
        if citation:
            card["citation"] = citation
            link = _link(citation)
            if link:
                card["url"] = link
        cards.append(card)
    return cards


def _toml_string(value: str) -> str:
    if "\n" in value and "'''" not in value:
        return f"'''{value}'''"
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def render(cards: list[dict[str, object]], header: str) -> str:
    """The card file's text: ``[[card]]`` tables in the order given."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    for card in cards:
        lines += ["", "[[card]]"]
        for key, value in card.items():
            if isinstance(value, list):
                items = ",\n".join(f"    {_toml_string(str(item))}" for item in value)
                lines.append(f"{key} = [\n{items},\n]")
            else:
                lines.append(f"{key} = {_toml_string(str(value))}")
    return "\n".join(lines) + "\n"


def make_cards(facts_csv: Path, citations_toml: Path, output: Path, title: str) -> int:
    """Write the card file ``output`` (next to its catalog); returns the number of cards."""
    cards = build_cards(facts_csv, citations_toml, output.with_name("lookup.csv"), title)
    header = (
        f"Data-set cards of the {title} catalog (see docs/format.md, 'Card file').\n"
        f"Generated from {facts_csv.name} and {citations_toml.name} by "
        "`python scripts/brainscore_cards.py`; never edit by hand."
    )
    with atomic_path(output) as temp:
        temp.write_text(render(cards, header), encoding="utf-8")
    return len(cards)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("facts", type=Path, help="the catalog facts (vision.csv, language.csv)")
    parser.add_argument("citations", type=Path, help="citations.toml: BibTeX by data plugin")
    parser.add_argument("output", type=Path, help="cards.toml next to the catalog's lookup.csv")
    parser.add_argument("--title", default=None, help="e.g. 'Brain-Score vision'")
    args = parser.parse_args(argv)
    title = args.title or f"Brain-Score {args.facts.stem}"
    count = make_cards(args.facts, args.citations, args.output, title)
    print(f"{args.output}: {count} cards")
    return 0


if __name__ == "__main__":
    sys.exit(main())
