"""The language catalog script (``make_language_catalog.py``): facts to catalog, unusual facts
handled on purpose."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import make_language_catalog as make_catalog
import pytest
from brainscore_catalog import write_facts as write

from brainio.catalogs import Catalog
from brainio.errors import CatalogError


def fact(registry_key: str, **changes: str) -> dict[str, str]:
    name = f"assy_{registry_key.replace('.', '_')}.nc"
    return {
        "registry_key": registry_key,
        "lookup_type": "assembly",
        "identifier": registry_key,
        "class": "NeuroidAssembly",
        "bucket": "brainscore-storage",
        "key": f"brainscore-language/{name}",
        "version_id": "",
        "sha1": hashlib.sha1(name.encode()).hexdigest(),
        "stimulus_set_registry_key": "",
        "plugin": "lab2026",
        **changes,
    }


def test_rows_access_and_repeats(tmp_path: Path):
    facts = [fact("Lab2026.public"), fact("Lab2026.private"), fact("Lab2026"), fact("Story2026")]
    facts.append(dict(facts[-1], plugin="copy"))
    report = make_catalog.make_catalog(write(facts, tmp_path / "f.csv"), tmp_path / "lookup.csv")
    access = {row["registry_key"]: row["access"] for row in report.rows}
    assert access == {
        "Lab2026": "private",  # has a held-out part
        "Lab2026.private": "private",
        "Lab2026.public": "public",
        "Story2026": "public",
    }
    assert [row["registry_key"] for row in report.rows] == sorted(access)
    assert report.notes == ["line 6 repeats line 5 ('Story2026'); kept once"]
    catalog = Catalog.from_files("test", tmp_path / "lookup.csv")
    assert set(catalog["stimulus_set_identifier"].fillna("")) == {""}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"lookup_type": "stimulus_set"}, r"language data are assemblies only"),
        ({"stimulus_set_registry_key": "sentences"}, r"names stimulus set 'sentences'"),
        ({"sha1": "f8434b40"}, r"line 2: 'Lab2026' has sha1 'f8434b40'; expected 40"),
        ({"key": "brainscore-language/Lab2026.nc"}, r"breaks the naming rule"),
        (
            {"class": ""},
            r"'Lab2026' is an assembly without a class \(Brain-Score language's default is "
            r"NeuroidAssembly\)",
        ),
    ],
)
def test_unusable_facts_are_refused_by_line(tmp_path: Path, changes, message):
    output = tmp_path / "lookup.csv"
    with pytest.raises(CatalogError, match=message):
        make_catalog.make_catalog(write([fact("Lab2026", **changes)], tmp_path / "f.csv"), output)
    assert not output.exists()


def test_contradicting_rows_and_registry_keys(tmp_path: Path):
    rows = [fact("Lab2026"), fact("Lab2026", sha1="0" * 40), fact("Lab2026", identifier="b.Lab")]
    rows[2]["key"] = "brainscore-language/assy_b_Lab.nc"
    with pytest.raises(CatalogError) as info:
        make_catalog.build_catalog(make_catalog.read_facts(write(rows, tmp_path / "f.csv")))
    assert "lines 2 and 3 both describe the .nc file of assembly 'Lab2026' but differ" in str(
        info.value
    )
    assert "registry key 'Lab2026' names several identifiers" in str(info.value)


def test_main(tmp_path: Path, caplog):
    caplog.set_level(logging.INFO, logger="make_language_catalog")
    facts = write([fact("Story2026"), fact("Lab2026.private")], tmp_path / "f.csv")
    assert make_catalog.main([str(facts), "-o", str(tmp_path / "lookup.csv")]) == 0
    assert "wrote 2 rows to " in caplog.text
    assert ": 2 assembly rows (1 public, 1 private)" in caplog.text
    assert make_catalog.main([str(tmp_path / "missing.csv"), "-o", str(tmp_path / "x")]) == 1
    assert "does not exist" in caplog.text
