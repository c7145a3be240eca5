"""Every entry of this catalog loads: run ``pytest`` after packaging and before publishing.

The first run downloads each data set into the BrainIO cache (``BRAINIO_HOME``, default
``~/.brainio``) and verifies its sha1; later runs use the cache.
"""

from __future__ import annotations

import importlib

import pytest
from brainio import get_assembly, get_stimulus_set, list_catalogs
from brainio.catalogs import Catalog

CATALOG_NAME = "{{ cookiecutter.catalog_name }}"
CATALOG_PATH = importlib.import_module(CATALOG_NAME).CATALOG_PATH


def identifiers(lookup_type: str) -> list[str]:
    catalog = Catalog.from_files(CATALOG_NAME, CATALOG_PATH)
    return sorted(set(catalog.loc[catalog["lookup_type"] == lookup_type, "identifier"]))


def test_catalog_is_registered() -> None:
    assert CATALOG_NAME in list_catalogs(), "reinstall this project: pip install -e ."


@pytest.mark.parametrize("identifier", identifiers("stimulus_set"))
def test_stimulus_set_loads(identifier: str) -> None:
    stimulus_set = get_stimulus_set(identifier)
    assert len(stimulus_set) > 0
    for stimulus_id in stimulus_set["stimulus_id"]:
        assert stimulus_set.get_stimulus(stimulus_id).is_file()


@pytest.mark.parametrize("identifier", identifiers("assembly"))
def test_assembly_loads(identifier: str) -> None:
    assembly = get_assembly(identifier)
    assert assembly.size > 0
    assert assembly.attrs["identifier"] == identifier
