"""Generate the Brain-Score language catalog, ``lookup.csv``, from the catalog facts.

Run it whenever the facts change, and commit both files::

    python plugins/language/scripts/make_language_catalog.py plugins/language/facts/language.csv
    python plugins/language/scripts/make_language_catalog.py FACTS.csv --output somewhere/lookup.csv

Every fact (one netCDF file on S3, see ``plugins/language/facts/README.md``) becomes one
assembly row by the Brain-Score conventions of ``scripts/brainscore_catalog.py`` (columns,
naming rule ``assy_{identifier with '.' -> '_'}.nc``, access, validation, deterministic atomic
writing). What is particular to language: there are assemblies only, with an empty
``stimulus_set_identifier`` (sentences and words are coordinates, so a stimulus-set row or a
fact naming a stimulus set is refused); ``class`` is as in the facts (Brain-Score language
loads everything with its default ``NeuroidAssembly``); ``version_id`` stays empty (the 2026
move to ``brainscore-storage`` dropped them, the sha1 alone pins the content).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "scripts"))  # build helpers

from brainscore_catalog import (  # noqa: E402
    ASSEMBLY,
    FACT_COLUMNS,
    CatalogMaker,
    Fact,
    Report,
    read_facts,
)

__all__ = ["FACT_COLUMNS", "Report", "build_catalog", "main", "make_catalog", "read_facts"]

DEFAULT_OUTPUT = Path(__file__).resolve().parents[1] / "src" / "brainio_language" / "lookup.csv"


def _no_stimulus_sets(fact: Fact) -> Iterator[str]:
    if fact.stimulus_set_registry_key:
        yield (
            f"{fact.label} names stimulus set '{fact.stimulus_set_registry_key}'; "
            "language data have none"
        )


MAKER = CatalogMaker(
    script="plugins/language/scripts/make_language_catalog.py",
    title="Brain-Score language",
    output=DEFAULT_OUTPUT,
    lookup_types=(ASSEMBLY,),
    lookup_types_note=(
        "language data are assemblies only (their sentences and words are presentation "
        "coordinates, not stimulus sets)"
    ),
    class_hint="Brain-Score language's default is NeuroidAssembly",
    check=_no_stimulus_sets,
)

build_catalog, make_catalog, main = MAKER.build, MAKER.make, MAKER.main

if __name__ == "__main__":
    sys.exit(main())
