"""The shipped catalog ``brainscore_vision``: integrity, agreement with the facts, access."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import make_vision_catalog as make_catalog
import pytest

import brainio_vision
from brainio import classes
from brainio.catalogs import COLUMNS, Catalog
from brainio.lookup import get_catalog
from brainio_vision.plugin import CATALOG_NAME, CATALOG_PATH

SHA1 = re.compile(r"^[0-9a-f]{40}$")
EXCLUDED_PLUGINS = {"zhang2018"}  # registrations inactive in Brain-Score (see make_catalog)


def rows() -> list[dict[str, str]]:
    with open(CATALOG_PATH, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def key_of(row: dict[str, str]) -> str:
    prefix = "https://brainscore-storage.s3.amazonaws.com/"
    assert row["location"].startswith(prefix), row["location"]
    return row["location"][len(prefix) :]


def test_header_is_the_brainio_header_plus_the_registry_columns():
    header = CATALOG_PATH.read_text().splitlines()[0].split(",")
    assert header == [*COLUMNS, "version_id", "registry_key", "access"]


def test_catalog_validates_and_is_installed():
    catalog = Catalog.from_files(CATALOG_NAME, CATALOG_PATH)
    catalog.validate()
    assert len(catalog) == len(rows())
    installed = get_catalog(CATALOG_NAME)
    assert installed.source_path == CATALOG_PATH
    assert all(row.catalog == CATALOG_NAME for row in installed.rows())


def test_every_row_is_well_formed():
    for row in rows():
        where = f"{row['identifier']} ({row['lookup_type']})"
        assert SHA1.match(row["sha1"]), where
        assert row["location_type"] == "S3", where
        assert row["access"] in ("public", "private"), where
        assert row["registry_key"], where
        assert row["version_id"] == "null" or re.fullmatch(r"[\w.]{32}", row["version_id"]), where
        if row["class"]:
            assert classes.resolve(row["class"]) is not None, where
        if row["lookup_type"] == "assembly":
            assert row["class"], where


def test_keys_follow_the_naming_rule():
    for row in rows():
        filename = key_of(row).rsplit("/", 1)[-1]
        extension = filename.rsplit(".", 1)[-1]
        prefix = "assy_" if row["lookup_type"] == "assembly" else "stimulus_"
        assert filename == f"{prefix}{row['identifier'].replace('.', '_')}.{extension}"
        expected = {"assembly": {"nc"}, "stimulus_set": {"csv", "zip"}}[row["lookup_type"]]
        assert extension in expected


def test_no_duplicates():
    files = Counter((r["lookup_type"], r["identifier"], key_of(r)[-3:]) for r in rows())
    assert max(files.values()) == 1
    assert len({key_of(r) for r in rows()}) == len(rows())
    for kind in ("assembly", "stimulus_set"):
        csv_rows = [r for r in rows() if r["lookup_type"] == kind and r["class"]]
        keys = Counter(r["registry_key"] for r in csv_rows)
        identifiers = Counter(r["identifier"] for r in csv_rows)
        assert max(keys.values()) == 1 and max(identifiers.values()) == 1


def test_every_stimulus_set_has_csv_and_zip_and_every_reference_resolves():
    files: dict[str, set[str]] = {}
    for row in rows():
        if row["lookup_type"] == "stimulus_set":
            files.setdefault(row["identifier"], set()).add(key_of(row)[-3:])
    assert all(found == {"csv", "zip"} for found in files.values())
    for row in rows():
        if row["lookup_type"] == "assembly" and row["stimulus_set_identifier"]:
            assert row["stimulus_set_identifier"] in files, row["identifier"]


def test_catalog_is_generated_from_the_facts(tmp_path: Path, facts_path: Path):
    output = tmp_path / "lookup.csv"
    make_catalog.make_catalog(facts_path, output)
    assert output.read_bytes() == CATALOG_PATH.read_bytes(), (
        "lookup.csv is out of date: run `python plugins/vision/scripts/make_vision_catalog.py "
        "plugins/vision/facts/vision.csv`"
    )


def test_every_fact_is_in_the_catalog_with_its_names_and_hashes(facts):
    by_file = {(r["lookup_type"], key_of(r)): r for r in rows()}
    kept = [f for f in facts if f["plugin"] not in EXCLUDED_PLUGINS]
    assert len(kept) == len(by_file) == len(facts) - 3
    stimulus_identifiers = {
        f["registry_key"]: f["identifier"] for f in facts if f["lookup_type"] == "stimulus_set"
    }
    for fact in kept:
        row = by_file[fact["lookup_type"], fact["key"]]
        assert row["identifier"] == fact["identifier"]
        assert row["registry_key"] == fact["registry_key"]
        assert row["sha1"] == fact["sha1"]
        assert row["version_id"] == fact["version_id"]
        assert row["class"] == fact["class"]
        reference = fact["stimulus_set_registry_key"]
        assert row["stimulus_set_identifier"] == stimulus_identifiers.get(reference, "")


def test_public_and_private_data_sets():
    public = set(brainio_vision.list_datasets(access="public"))
    private = set(brainio_vision.list_datasets(access="private"))
    assert public | private == set(brainio_vision.list_datasets()) and not public & private
    assert {
        "MajajHong2015.public",
        "Rajalingham2018.public",
        "FreemanZiemba2013.public",
        "Allen2022_fmri_train",
        "Zerbe2026_fmri_full_sub-01",
    } <= public
    # held out; the union of the held-out and the public part; recorded on held-out stimuli
    assert {
        "MajajHong2015.private",
        "Rajalingham2018.private",
        "MajajHong2015",
        "MajajHong2015.temporal",
        "FreemanZiemba2013",
        "Kar2018hvm",
    } <= private
    stimuli_public = set(brainio_vision.list_stimulus_sets(access="public"))
    stimuli_private = set(brainio_vision.list_stimulus_sets(access="private"))
    assert {"hvm-public", "objectome.public"} <= stimuli_public
    assert {"hvm", "hvm-private", "objectome.private"} <= stimuli_private
    assert len(public) == 130 and len(private) == 13
    for key in public:  # a public data set never needs private stimuli
        row = brainio_vision.lookup_dataset(key)
        if row.stimulus_set_identifier:
            stimulus_key = row.stimulus_set_identifier
            csv_row = next(r for r in rows() if r["identifier"] == stimulus_key and r["class"])
            assert csv_row["access"] == "public", key


def test_list_functions_use_registry_keys():
    datasets = brainio_vision.list_datasets()
    assert datasets == sorted(datasets)
    assert "MajajHong2015.public" in datasets
    assert "dicarlo.MajajHong2015.public" not in datasets
    assert "hvm-public" in brainio_vision.list_stimulus_sets()
    assert len(brainio_vision.data_registry) == len(datasets) == 143
    assert "MajajHong2015.public" in brainio_vision.data_registry
    assert len(brainio_vision.stimulus_set_registry) == 152
    row = brainio_vision.lookup_dataset("MajajHong2015.public")
    assert row.identifier == "dicarlo.MajajHong2015.public"
    assert row.stimulus_set_identifier == "hvm-public"


def test_bad_access_level_is_refused():
    with pytest.raises(ValueError, match="access='secret' is not an access level"):
        brainio_vision.list_datasets(access="secret")
