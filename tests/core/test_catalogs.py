"""Reading and validating catalogs (lookup.csv)."""

from __future__ import annotations

import re

import pytest

from brainio.catalogs import COLUMNS, Catalog
from brainio.errors import CatalogError

SHA = "a" * 40
HEADER = ",".join(COLUMNS)
STIM_CSV = (
    f"lab.stim,stimulus_set,StimulusSet,S3,https://b.s3.amazonaws.com/stimulus_lab_stim.csv,{SHA},"
)
STIM_ZIP = f"lab.stim,stimulus_set,,S3,https://b.s3.amazonaws.com/stimulus_lab_stim.zip,{'b' * 40},"
ASSY = (
    "lab.Assy2020,assembly,NeuronRecordingAssembly,S3,https://b.s3.amazonaws.com/assy.nc,"
    f"{'c' * 40},lab.stim"
)


def test_reads_rows_with_catalog_file_and_line(tmp_path, write_catalog):
    catalog = Catalog.from_files(
        "lab", write_catalog(tmp_path / "lookup.csv", [STIM_CSV, STIM_ZIP, ASSY])
    )
    rows = list(catalog.rows())
    assert catalog.identifier == "lab"
    assert catalog.attrs["source_path"] == tmp_path / "lookup.csv"
    assert [row.line for row in rows] == [2, 3, 4]
    assert rows[0].is_csv and rows[1].is_zip and not rows[2].is_csv
    assert rows[1].class_name is None
    assert rows[2].stimulus_set_identifier == "lab.stim"
    assert rows[2]["class"] == "NeuronRecordingAssembly"  # 1.x code indexed rows like Series
    assert rows[0].source.base_dir == tmp_path


def test_extra_columns_are_kept_and_null_version_survives(tmp_path, write_catalog):
    header = ",".join([*COLUMNS, "version_id", "access"])
    catalog = Catalog.from_files(
        "lab", write_catalog(tmp_path / "lookup.csv", [ASSY + ",null,public"], header=header)
    )
    (row,) = catalog.rows()
    assert row.version_id == "null"
    assert row.extra["access"] == "public"
    assert row.source.version_id == "null"


def test_missing_column_names_it(tmp_path, write_catalog):
    header = "identifier,lookup_type,class,location_type,location,stimulus_set_identifier"
    path = write_catalog(
        tmp_path / "lookup.csv", ["lab.x,assembly,DataAssembly,S3,https://x/y.nc,"], header
    )
    with pytest.raises(
        CatalogError, match=r"Catalog 'lab' .*lookup.csv.* lacks the column\(s\) sha1"
    ):
        Catalog.from_files("lab", path)


def test_bad_sha1_names_identifier_and_line(tmp_path, write_catalog):
    bad = ASSY.replace("c" * 40, "not-a-hash")
    path = write_catalog(tmp_path / "lookup.csv", [STIM_CSV, bad])
    with pytest.raises(
        CatalogError, match=r"line 3: 'lab.Assy2020' has sha1 'not-a-hash'; expected 40 hex"
    ):
        Catalog.from_files("lab", path)


def test_every_bad_row_is_reported_at_once(tmp_path, write_catalog):
    rows = [
        f"lab.a,assemblyy,DataAssembly,S3,https://x/a.nc,{SHA},",
        f"lab.b,assembly,,S3,https://x/b.nc,{SHA},",
        f",assembly,DataAssembly,,,{SHA},",
    ]
    with pytest.raises(CatalogError) as error:
        Catalog.from_files("lab", write_catalog(tmp_path / "lookup.csv", rows))
    message = str(error.value)
    assert "line 2: 'lab.a' has lookup_type 'assemblyy'" in message
    assert "line 3: 'lab.b' is an assembly without a class" in message
    assert "line 4: empty identifier" in message
    assert "empty location_type" in message and "empty location" in message


def test_missing_file_and_garbage_file(tmp_path, write_catalog):
    with pytest.raises(CatalogError, match="does not exist. Reinstall"):
        Catalog.from_files("lab", tmp_path / "nope.csv")
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(b"\xff\xfe\x00\x01binary")
    with pytest.raises(CatalogError, match="garbage.csv"):
        Catalog.from_files("lab", garbage)


def test_uppercase_sha1_is_normalized(tmp_path, write_catalog):
    catalog = Catalog.from_files(
        "lab", write_catalog(tmp_path / "l.csv", [ASSY.replace("c" * 40, "C" * 40)])
    )
    (row,) = catalog.rows()
    assert row.sha1 == "c" * 40


def test_slicing_keeps_catalog_type(tmp_path, write_catalog):
    catalog = Catalog.from_files(
        "lab", write_catalog(tmp_path / "l.csv", [STIM_CSV, STIM_ZIP, ASSY])
    )
    part = catalog[catalog["lookup_type"] == "assembly"]
    assert isinstance(part, Catalog)
    assert part.identifier == "lab"


@pytest.mark.parametrize(
    ("content", "line", "words"),
    [
        (b"", 1, "the file is empty"),
        (f"{HEADER}\n{ASSY}\n{ASSY},x,y\n".encode(), 3, "is not valid CSV"),
        (f"{HEADER}\n{ASSY}\n".encode() + b"lab.\xe9,assembly\n", 3, "is not UTF-8 text"),
        (b"identifier,location\n", 1, "lacks the column(s)"),
        (f"{HEADER}\n{ASSY}\n{ASSY.replace('c' * 40, 'nothex')}\n".encode(), 3, "sha1 'nothex'"),
    ],
)
def test_unreadable_catalog_names_file_and_line(tmp_path, content, line, words):
    path = tmp_path / "lookup.csv"
    path.write_bytes(content)
    with pytest.raises(CatalogError, match=re.escape(words)) as caught:
        Catalog.from_files("lab", path)
    error = caught.value
    assert (error.catalog, error.path, error.line) == ("lab", path, line)
    assert f"line {line}" in str(error) and str(path) in str(error)
    assert "\n" not in str(error)
