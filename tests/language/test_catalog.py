"""The shipped catalog ``brainscore_language``: integrity, agreement with the facts, listing."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import make_language_catalog as make_catalog
import pytest

import brainio_language
from brainio import classes
from brainio.catalogs import COLUMNS, Catalog
from brainio.lookup import get_catalog
from brainio_language.plugin import CATALOG_NAME, CATALOG_PATH

PREFIX = "https://brainscore-storage.s3.amazonaws.com/brainscore-language/"


def rows() -> list[dict[str, str]]:
    with open(CATALOG_PATH, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def test_catalog_validates_and_is_installed():
    header = CATALOG_PATH.read_text().splitlines()[0].split(",")
    assert header == [*COLUMNS, "version_id", "registry_key", "access"]
    Catalog.from_files(CATALOG_NAME, CATALOG_PATH).validate()
    assert get_catalog(CATALOG_NAME).source_path == CATALOG_PATH


def test_every_row_is_a_well_formed_assembly_without_stimulus_set():
    identifiers = [row["identifier"] for row in rows()]
    assert len(identifiers) == len(set(identifiers)) == 6
    for row in rows():
        assert row["lookup_type"] == "assembly"
        assert classes.resolve(row["class"]) is not None
        assert row["stimulus_set_identifier"] == ""  # sentences are coordinates: no zip
        assert re.fullmatch(r"[0-9a-f]{40}", row["sha1"])
        assert row["location_type"] == "S3"
        assert row["location"] == PREFIX + f"assy_{row['identifier'].replace('.', '_')}.nc"
        assert row["version_id"] == ""
        assert row["access"] == "public"
        assert row["registry_key"] == row["identifier"]


def test_catalog_is_generated_from_the_facts(tmp_path: Path, facts_path: Path, facts):
    output = tmp_path / "lookup.csv"
    make_catalog.make_catalog(facts_path, output)
    assert output.read_bytes() == CATALOG_PATH.read_bytes(), (
        "lookup.csv is out of date: run `python plugins/language/scripts/make_language_catalog.py "
        "plugins/language/facts/language.csv`"
    )
    by_key = {row["registry_key"]: row for row in rows()}
    assert set(by_key) == {fact["registry_key"] for fact in facts}
    for fact in facts:
        assert by_key[fact["registry_key"]]["sha1"] == fact["sha1"]
        assert by_key[fact["registry_key"]]["location"].endswith(fact["key"])


def test_list_datasets():
    assert brainio_language.list_datasets() == [
        "Blank2014.fROI",
        "Fedorenko2016.language",
        "Futrell2018",
        "Pereira2018.auditory",
        "Pereira2018.language",
        "Tuckute2024.language",
    ]
    assert brainio_language.list_datasets(access="public") == brainio_language.list_datasets()
    assert brainio_language.list_datasets(access="private") == []
    assert len(brainio_language.data_registry) == 6
    with pytest.raises(ValueError, match="not an access level"):
        brainio_language.list_datasets(access="open")


def test_brainio_list_shows_every_language_and_vision_data_set():
    env = {k: v for k, v in os.environ.items() if k != "BRAINIO_LOAD_PLUGINS"}
    result = subprocess.run(
        [sys.executable, "-m", "brainio.cli", "list", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert {row["identifier"] for row in rows()} <= set(listed["assemblies"])
    assert {"dicarlo.MajajHong2015.public", "Pereira2018.language"} <= set(listed["assemblies"])


def test_the_plugin_loads_assemblies_of_its_catalog_only():
    from brainio.plugins import get_plugin_manager
    from brainio.records import LookupRow
    from brainio_language.loading import load_assembly

    row = get_catalog(CATALOG_NAME).rows().__next__()
    hook = get_plugin_manager().hook.brainio_loader
    assert hook(row=row) is load_assembly
    other = LookupRow(
        identifier="x",
        lookup_type="assembly",
        class_name="NeuroidAssembly",
        location_type="local",
        location="x.nc",
        sha1="0" * 40,
        catalog="someone_else",
    )
    assert hook(row=other) is not load_assembly

