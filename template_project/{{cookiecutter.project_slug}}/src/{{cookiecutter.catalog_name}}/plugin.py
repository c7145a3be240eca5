"""Registers this package's ``lookup.csv`` with BrainIO as the catalog ``{{ cookiecutter.catalog_name }}``.

BrainIO calls :func:`brainio_catalogs` through the entry point declared in pyproject.toml
(``[project.entry-points.brainio]``). Packaging appends rows to ``lookup.csv``; commit it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import brainio
from brainio.catalogs import Catalog

CATALOG_NAME = "{{ cookiecutter.catalog_name }}"
CATALOG_PATH = Path(__file__).parent / "lookup.csv"


@brainio.hookimpl
def brainio_catalogs(register: Callable[[Catalog], None]) -> None:
    register(Catalog.from_files(CATALOG_NAME, CATALOG_PATH))
