"""Helpers for core tests: writing catalogs and registering them as in-test plugins."""

from __future__ import annotations

from pathlib import Path

import pytest

from brainio.catalogs import COLUMNS, Catalog

HEADER = ",".join(COLUMNS)


def _write_catalog(path: Path, rows: list[str], header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


@pytest.fixture
def write_catalog():
    """``write_catalog(path, rows, header=HEADER)`` writes a lookup.csv and returns its path."""
    return _write_catalog


@pytest.fixture
def install_catalog(register_catalogs, tmp_path):
    """``install_catalog(name, rows)`` writes a lookup.csv and registers it as a catalog."""

    def install(name: str, rows: list[str], header: str = HEADER) -> Catalog:
        folder = tmp_path / name
        folder.mkdir(exist_ok=True)
        catalog = Catalog.from_files(name, _write_catalog(folder / "lookup.csv", rows, header))
        register_catalogs(catalog)
        return catalog

    return install
