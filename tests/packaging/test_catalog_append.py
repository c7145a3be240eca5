"""Appending rows to lookup.csv: atomic, locked, no duplicates, columns kept."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest

import brainio
from brainio.catalogs import Catalog
from brainio.errors import CatalogError
from brainio.packaging.catalog_append import append, append_rows, lock_for
from brainio.records import LookupRow

SHA1 = "0123456789abcdef0123456789abcdef01234567"

_APPENDER = """
import sys
from brainio.packaging.catalog_append import append_rows
from brainio.records import LookupRow
path, prefix, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
for index in range(count):
    append_rows(path, [LookupRow(identifier=f"{prefix}.Set{index}", lookup_type="assembly",
                                 class_name="NeuroidAssembly", location_type="local",
                                 location=f"file:///x/{prefix}{index}.nc", sha1="a" * 40)])
"""


def row(identifier="lab.A2024", lookup_type="assembly", class_name="NeuroidAssembly", **extra):
    return LookupRow(
        identifier=identifier,
        lookup_type=lookup_type,
        class_name=class_name,
        location_type="local",
        location=f"file:///data/{identifier}.nc",
        sha1=SHA1,
        stimulus_set_identifier=None,
        extra=extra,
    )


def test_creates_catalog_and_tags_rows(tmp_path):
    path = tmp_path / "lookup.csv"
    (written,) = append_rows(path, [row()], catalog_name="lab")
    assert (written.catalog, written.catalog_path, written.line) == ("lab", path, 2)
    assert path.read_text() == (
        "identifier,lookup_type,class,location_type,location,sha1,stimulus_set_identifier\n"
        f"lab.A2024,assembly,NeuroidAssembly,local,file:///data/lab.A2024.nc,{SHA1},\n"
    )


def test_duplicate_refused_then_replaced(catalog_path):
    append_rows(catalog_path, [row(), row("lab.B2024")])
    before = catalog_path.read_bytes()
    with pytest.raises(CatalogError, match=r"already has assembly 'lab.A2024'.*replace=True"):
        append_rows(catalog_path, [row()])
    assert catalog_path.read_bytes() == before
    moved = LookupRow(
        identifier="lab.A2024",
        lookup_type="assembly",
        class_name="DataAssembly",
        location_type="local",
        location="file:///new.nc",
        sha1="b" * 40,
    )
    append_rows(catalog_path, [moved], replace=True)
    catalog = Catalog.from_files("lab", catalog_path)
    assert list(catalog["identifier"]) == ["lab.B2024", "lab.A2024"]
    assert catalog.iloc[1]["location"] == "file:///new.nc"


def test_same_identifier_other_lookup_type_is_fine(catalog_path):
    append_rows(catalog_path, [row("lab.X"), row("lab.X", "stimulus_set", "StimulusSet")])
    assert len(Catalog.from_files("lab", catalog_path)) == 2


def test_extra_columns_kept_in_memory_columns_dropped(catalog_path):
    catalog_path.write_text(
        "identifier,lookup_type,class,location_type,location,sha1,stimulus_set_identifier,"
        "access,source_catalog,lookup_source\n"
        f"lab.Old,assembly,NeuroidAssembly,S3,https://b.s3.amazonaws.com/k,{SHA1},,private,x,y\n"
    )
    append_rows(catalog_path, [row(version_id="null")])
    table = pd.read_csv(catalog_path, dtype=str, keep_default_na=False)
    assert list(table.columns) == [
        "identifier",
        "lookup_type",
        "class",
        "location_type",
        "location",
        "sha1",
        "stimulus_set_identifier",
        "access",
        "version_id",
    ]
    assert list(table["access"]) == ["private", ""]
    assert list(table["version_id"]) == ["", "null"]


def test_invalid_row_refused_and_file_unchanged(catalog_path):
    append_rows(catalog_path, [row()])
    before = catalog_path.read_bytes()
    bad = LookupRow(
        identifier="lab.Bad",
        lookup_type="assembly",
        class_name=None,
        location_type="local",
        location="x",
        sha1="nothex",
    )
    with pytest.raises(CatalogError, match=r"line 3: 'lab.Bad' is an assembly without a class"):
        append_rows(catalog_path, [bad])
    assert catalog_path.read_bytes() == before
    assert sorted(p.name for p in catalog_path.parent.iterdir()) == [
        ".lookup.csv.lock",
        "lookup.csv",
    ]  # no temporary file left


def test_bad_header_refused(catalog_path):
    catalog_path.write_text("identifier,location\n")
    with pytest.raises(CatalogError, match="lacks the column.*lookup_type"):
        append_rows(catalog_path, [row()])


def test_missing_folder(tmp_path):
    with pytest.raises(CatalogError, match="folder .* does not exist"):
        append_rows(tmp_path / "no" / "lookup.csv", [row()])


def test_lock_is_held_while_writing(catalog_path):
    """append_rows waits for the catalog's lock: while another writer holds it, nothing lands."""
    import threading

    before = catalog_path.read_text()
    with lock_for(catalog_path):
        writer = threading.Thread(target=append_rows, args=(catalog_path, [row()]))
        writer.start()
        writer.join(timeout=1)
        assert writer.is_alive(), "append_rows wrote without waiting for the lock"
        assert catalog_path.read_text() == before
    writer.join(timeout=60)
    assert not writer.is_alive()
    assert "lab.A2024" in catalog_path.read_text()


def test_two_processes_appending_concurrently_both_land(catalog_path):
    count = 15
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _APPENDER, str(catalog_path), prefix, str(count)],
            stderr=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
        )
        for prefix in ("one", "two")
    ]
    for process in processes:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
    catalog = Catalog.from_files("lab", catalog_path)
    assert sorted(catalog["identifier"]) == sorted(
        f"{prefix}.Set{index}" for prefix in ("one", "two") for index in range(count)
    )


def test_1x_append_allows_the_second_half_of_a_stimulus_set(catalog_path, register_catalogs):
    register_catalogs(("lab", catalog_path))
    append("lab", "lab.S2024", "StimulusSet", "stimulus_set", "bucket", SHA1, "stimulus_s.csv")
    catalog = append("lab", "lab.S2024", None, "stimulus_set", "bucket", SHA1, "stimulus_s.zip")
    assert list(catalog["location"]) == [
        "https://bucket.s3.amazonaws.com/stimulus_s.csv",
        "https://bucket.s3.amazonaws.com/stimulus_s.zip",
    ]
    with pytest.raises(CatalogError, match="already has stimulus set 'lab.S2024'"):
        append("lab", "lab.S2024", None, "stimulus_set", "bucket", SHA1, "again.zip")
    assert brainio.list_stimulus_sets().count("lab.S2024") == 1
