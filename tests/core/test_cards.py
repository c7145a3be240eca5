"""Data-set cards (``brainio.cards``) and finding data (``brainio.search``) on real catalogs."""

from __future__ import annotations

import pytest

from brainio import lookup
from brainio.cards import card, format_size
from brainio.errors import CatalogError, IdentifierLookupError
from brainio.search import find, matches

SHA = "a" * 40
ROWS = [
    f"lab.Majaj2015,assembly,NeuronRecordingAssembly,local,assy.nc,{SHA},lab.hvm",
    f"lab.hvm,stimulus_set,StimulusSet,local,hvm.csv,{'b' * 40},",
    f"lab.hvm,stimulus_set,,local,hvm.zip,{'c' * 40},",
    f"other.Rust2012,assembly,NeuronRecordingAssembly,local,rust.nc,{'d' * 40},",
]


def test_card_reads_catalog_columns_and_card_file(install_catalog, tmp_path):
    header = (
        "identifier,lookup_type,class,location_type,location,sha1,stimulus_set_identifier,"
        "size,license"
    )
    rows = [
        f"lab.Majaj2015,assembly,NeuronRecordingAssembly,local,assy.nc,{SHA},lab.hvm,84000000,"
        "CC-BY-4.0",
        f"lab.hvm,stimulus_set,StimulusSet,local,hvm.csv,{'b' * 40},,1000,",
        f"lab.hvm,stimulus_set,,local,hvm.zip,{'c' * 40},,,",
    ]
    catalog = install_catalog("lab", rows, header=header)
    (catalog.source_path.parent / "cards.toml").write_text(
        '[[card]]\nidentifiers = ["lab.Majaj2015", "lab.hvm"]\n'
        'description = "Responses of V4 and IT."\n'
        "citation = '''@article{majaj2015,\n  year={2015}\n}'''\n"
        'url = "https://doi.org/10.1/x"\n'
    )
    found = catalog.card("lab.Majaj2015")
    assert found.kind == "assembly" and found.class_name == "NeuronRecordingAssembly"
    assert found.description == "Responses of V4 and IT."
    assert found.license == "CC-BY-4.0"  # a catalog column
    assert found.citation.startswith("@article{majaj2015")
    assert found.size == 84_000_000 and not found.cached
    assert found.stimulus_set_identifier == "lab.hvm"
    stimuli = card("lab.hvm")  # the installed catalogs
    assert [file.role for file in stimuli.files] == ["csv", "zip"]
    assert stimuli.size is None  # the ZIP's size is unknown
    text = found.to_text()
    assert "84.0 MB" in text and "@article{majaj2015" in text and "not cached" in text


def test_card_of_cached_files_reads_sizes_dims_and_stimuli():
    from brainio.loading import get_assembly

    get_assembly("demo.Shapes2026")  # fetches the assembly and its stimulus set
    assembly_card = card("demo.Shapes2026")
    assert assembly_card.cached
    assert set(assembly_card.dims) == {"presentation", "neuroid", "time_bin"}
    assert assembly_card.size == sum(file.size for file in assembly_card.files) > 0
    stimuli_card = card("demo.shapes")
    assert stimuli_card.num_stimuli == 48 and stimuli_card.cached
    assert stimuli_card.to_dict()["files"][0]["path"]


def test_unknown_identifier_suggests_a_close_one():
    with pytest.raises(IdentifierLookupError, match="did you mean 'demo.Shapes2026'"):
        card("demo.Shapes2025")


def test_card_file_with_unknown_key_is_a_catalog_error(install_catalog):
    catalog = install_catalog("lab", ROWS[:1])
    card_file = catalog.source_path.parent / "cards.toml"
    card_file.write_text('[[card]]\nidentifiers = ["lab.Majaj2015"]\nlicence = "MIT"\n')
    with pytest.raises(CatalogError, match=r"cards\.toml.*licence.*docs/format.md"):
        catalog.card("lab.Majaj2015")


def test_broken_card_file_is_a_catalog_error_naming_the_file(install_catalog):
    catalog = install_catalog("lab", ROWS[:1])
    (catalog.source_path.parent / "cards.toml").write_text("[[card]\n")
    with pytest.raises(CatalogError, match="cards.toml cannot be read"):
        catalog.card("lab.Majaj2015")


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("majaj", {"lab.Majaj2015"}),  # substring, any case
        ("*hvm*", {"lab.hvm"}),  # glob
        ("lab.?ajaj*", {"lab.Majaj2015"}),
        ("Rust", {"other.Rust2012"}),
        ("nothing", set()),
    ],
)
def test_find_matches_substrings_and_globs(install_catalog, pattern, expected):
    install_catalog("lab", ROWS)
    assert {entry.identifier for entry in find(pattern, catalog="lab")} == expected


def test_find_filters_by_kind_and_matches_registry_keys(install_catalog):
    header = (
        "identifier,lookup_type,class,location_type,location,sha1,stimulus_set_identifier,"
        "registry_key,access"
    )
    install_catalog(
        "reg",
        [
            f"storage.Name2020,assembly,NeuronRecordingAssembly,local,a.nc,{SHA},,Name2020.IT,"
            "private",
        ],
        header=header,
    )
    entries = find("name2020.it")
    assert [(e.identifier, e.registry_key, e.access) for e in entries] == [
        ("storage.Name2020", "Name2020.IT", "private")
    ]
    assert find("Name2020", kinds=["stimulus_set"]) == []
    assert card("Name2020.IT").identifier == "storage.Name2020"  # a registry key works too
    with pytest.raises(ValueError, match="Unknown kind"):
        find(kinds=["assemblies"])


def test_matches_and_format_size():
    assert matches("HVM", ["dicarlo.hvm-public"]) and not matches("x*", ["dicarlo.x"])
    assert format_size(None) == "?" and format_size(999) == "999 B"
    assert format_size(84_000_000) == "84.0 MB"


def test_lookup_rows_of_covers_every_kind():
    kinds = {row.lookup_type for row in lookup.rows_of("demo.shapes")}
    assert kinds == {"stimulus_set"}
