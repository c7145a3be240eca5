"""Generate the Brain-Score vision catalog, ``lookup.csv``, from the catalog facts.

Run it whenever the facts change, and commit both files::

    python plugins/vision/scripts/make_vision_catalog.py plugins/vision/facts/vision.csv
    python plugins/vision/scripts/make_vision_catalog.py FACTS.csv --output somewhere/lookup.csv

Every fact (one S3 file of a Brain-Score data plugin, see ``plugins/vision/facts/README.md``)
becomes one catalog row by the Brain-Score conventions of ``scripts/brainscore_catalog.py``
(columns, naming rule, access, validation, deterministic atomic writing). What is particular
to vision:

* vision has stimulus sets (a CSV row with class ``StimulusSet`` and a ZIP row each) and
  assemblies recorded on them; an assembly on a private stimulus set is private
  (``Kar2018hvm``, ``Sanghavi2020`` and ``Seibert2019`` use ``hvm``);
* rows of plugins whose registrations Brain-Score does not run (:data:`INACTIVE_PLUGINS`) are
  left out;
* the LAION-fMRI assemblies keep an empty ``stimulus_set_identifier``: their stimuli are behind
  a data-use agreement and have no catalog files;
* the shared sha1s of the facts (Ferguson2024 CSVs, ``Geirhos2021_edge``/``_silhouette``) are
  kept and reported.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "scripts"))  # build helpers

from brainscore_catalog import FACT_COLUMNS, CatalogMaker, Report, read_facts  # noqa: E402

__all__ = [
    "FACT_COLUMNS",
    "INACTIVE_PLUGINS",
    "Report",
    "build_catalog",
    "main",
    "make_catalog",
    "read_facts",
]

DEFAULT_OUTPUT = Path(__file__).resolve().parents[1] / "src" / "brainio_vision" / "lookup.csv"

INACTIVE_PLUGINS = {
    "zhang2018": (
        "its registrations sit under `if PACKAGING_FIXED:` with PACKAGING_FIXED = False, "
        "so Brain-Score does not register them"
    ),
}
"""Plugins whose facts are left out, with the reason."""

MAKER = CatalogMaker(
    script="plugins/vision/scripts/make_vision_catalog.py",
    title="Brain-Score vision",
    output=DEFAULT_OUTPUT,
    inactive_plugins=INACTIVE_PLUGINS,
)

build_catalog, make_catalog, main = MAKER.build, MAKER.make, MAKER.main

if __name__ == "__main__":
    sys.exit(main())
