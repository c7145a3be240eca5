"""``brainio.registry``: registry keys -> rows and loaded objects, for any catalog with the
``registry_key`` and ``access`` columns.

The catalog is written to ``tmp_path`` and registered by an in-test plugin; its files load
through a second in-test plugin (location type ``labstore``, files beside the catalog), so these
tests need brainio-core only. Held-out rows use the location type ``vault``, whose fetcher
refuses every download, as a storage service refuses private data.
"""

from __future__ import annotations

import csv
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import brainio
from brainio.catalogs import COLUMNS, Catalog
from brainio.errors import AccessDeniedError, AssemblyLookupError, StimulusSetLookupError
from brainio.hashing import sha1_hash
from brainio.records import TYPE_ASSEMBLY, LookupRow
from brainio.registry import ACCESS_LEVELS, LoaderMapping, Registry, record

CATALOG = "test_registry"
STIMULI = ["s0", "s1", "s2"]


def write_files(folder: Path) -> dict[str, Path]:
    """A stimulus set (CSV + ZIP) and an assembly recorded on it."""
    from brainio.assemblies import NeuronRecordingAssembly
    from brainio.netcdf import write_netcdf

    folder.mkdir()
    csv_path = folder / "stimulus_lab_images-public.csv"
    pd.DataFrame(
        {
            "stimulus_id": STIMULI,
            "filename": [f"{s}.png" for s in STIMULI],
            "category": ["face", "car", "dog"],
        }
    ).to_csv(csv_path, index=False)
    zip_path = folder / "stimulus_lab_images-public.zip"
    with zipfile.ZipFile(zip_path, "w") as archive:
        for i, stimulus in enumerate(STIMULI):
            archive.writestr(f"{stimulus}.png", b"\x89PNG\r\n\x1a\n" + bytes([i]) * 16)
    nc_path = folder / "assy_lab_Lab2026_public.nc"
    assembly = NeuronRecordingAssembly(
        np.arange(len(STIMULI) * 2, dtype=float).reshape(len(STIMULI), 2, 1),
        coords={
            "stimulus_id": ("presentation", STIMULI),
            "neuroid_id": ("neuroid", ["n0", "n1"]),
            "region": ("neuroid", ["V4", "IT"]),
            "time_bin_start": ("time_bin", [70]),
            "time_bin_end": ("time_bin", [170]),
        },
        dims=["presentation", "neuroid", "time_bin"],
    )
    write_netcdf(assembly, nc_path)
    return {"csv": csv_path, "zip": zip_path, "nc": nc_path}


def catalog_rows(files: dict[str, Path]) -> list[dict[str, str]]:
    def row(identifier, lookup_type, cls, location_type, location, sha1, stimuli, key, access):
        return {
            "identifier": identifier,
            "lookup_type": lookup_type,
            "class": cls,
            "location_type": location_type,
            "location": location,
            "sha1": sha1,
            "stimulus_set_identifier": stimuli,
            "registry_key": key,
            "access": access,
        }

    stimuli, sha = "lab.images-public", {name: sha1_hash(path) for name, path in files.items()}
    vault_sha1 = "0" * 40
    return [
        row(
            stimuli,
            "stimulus_set",
            "StimulusSet",
            "labstore",
            files["csv"].name,
            sha["csv"],
            "",
            "images-public",
            "public",
        ),
        row(
            stimuli,
            "stimulus_set",
            "",
            "labstore",
            files["zip"].name,
            sha["zip"],
            "",
            "images-public",
            "public",
        ),
        row(
            "lab.Lab2026.public",
            "assembly",
            "NeuronRecordingAssembly",
            "labstore",
            files["nc"].name,
            sha["nc"],
            stimuli,
            "Lab2026.public",
            "public",
        ),
        row(
            "lab.Lab2026.private",
            "assembly",
            "NeuronRecordingAssembly",
            "vault",
            "vault://lab/assy_lab_Lab2026_private.nc",
            vault_sha1,
            "",
            "Lab2026.private",
            "private",
        ),
        row(
            "lab.Other2026",
            "assembly",
            "NeuronRecordingAssembly",
            "vault",
            "vault://lab/assy_lab_Other2026.nc",
            vault_sha1,
            "",
            "Other2026.heldout",
            "private",
        ),
        row(
            "lab.Shared2026",
            "assembly",
            "NeuronRecordingAssembly",
            "vault",
            "vault://lab/assy_lab_Shared2026.nc",
            vault_sha1,
            "",
            "Shared2026",
            "public",
        ),
    ]


def write_catalog(rows: list[dict[str, str]], path: Path) -> Catalog:
    with open(path, "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=[*COLUMNS, "registry_key", "access"])
        writer.writeheader()
        writer.writerows(rows)
    return Catalog.from_files(CATALOG, path)


class RegistryCatalogPlugin:
    """Registers the catalog and loads its rows recording their names, as catalog plugins do."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    @brainio.hookimpl
    def brainio_catalogs(self, register) -> None:
        register(self.catalog)

    @brainio.hookimpl
    def brainio_assembly_loader(self, row):
        return load_assembly if row.catalog == CATALOG else None

    @brainio.hookimpl
    def brainio_stimulus_set_loader(self, row):
        return load_stimulus_set if row.catalog == CATALOG else None


def load_assembly(path, *, cls, row, stimulus_set=None, chunks=None):
    from brainio.assemblies import load_assembly as load_netcdf

    assembly = load_netcdf(path, cls=cls, row=row, stimulus_set=stimulus_set, chunks=chunks)
    return record(assembly, row, stimulus_set)


def load_stimulus_set(csv_path, stimuli_dir, *, cls, row):
    from brainio.stimuli import load_stimulus_set as load_csv

    return record(load_csv(csv_path, stimuli_dir, cls=cls, row=row), row)


def copy_from_store(source, destination):
    """The lab's store: files beside the catalog (location type ``labstore``)."""
    shutil.copyfile(source.base_dir / source.location, destination)


class LabStoragePlugin:
    """The lab's storage services: its store, and a vault that refuses every download."""

    @brainio.hookimpl
    def brainio_fetcher(self, location_type, location):
        if location_type == "labstore":
            return copy_from_store
        if location_type != "vault":
            return None

        def refuse(source, destination):
            raise AccessDeniedError(f"the vault refused {source.location}: no key given")

        return refuse


@pytest.fixture
def catalog_plugin(tmp_path: Path, register_plugin) -> RegistryCatalogPlugin:
    files = write_files(tmp_path / "store")
    catalog = write_catalog(catalog_rows(files), files["csv"].parent / "lookup.csv")
    register_plugin(LabStoragePlugin())
    return register_plugin(RegistryCatalogPlugin(catalog))


@pytest.fixture
def registry(catalog_plugin) -> Registry:
    return Registry(CATALOG, "Test Lab")


def test_listing_by_registry_key_and_access(registry: Registry):
    assert registry.list_datasets() == [
        "Lab2026.private",
        "Lab2026.public",
        "Other2026.heldout",
        "Shared2026",
    ]
    assert registry.list_datasets(access="public") == ["Lab2026.public", "Shared2026"]
    assert registry.list_datasets(access="private") == ["Lab2026.private", "Other2026.heldout"]
    assert registry.list_stimulus_sets() == ["images-public"]  # one key for the CSV + ZIP rows
    assert registry.list_stimulus_sets(access="private") == []
    assert ACCESS_LEVELS == ("public", "private")
    with pytest.raises(ValueError, match="access='open' is not an access level"):
        registry.list_datasets(access="open")


def test_lookup_gives_the_catalog_rows(registry: Registry):
    row = registry.lookup_dataset("Lab2026.public")
    assert row.identifier == "lab.Lab2026.public"
    assert row.stimulus_set_identifier == "lab.images-public"
    assert row.extra["access"] == "public"
    csv_row = registry.lookup_stimulus_set("images-public")
    assert csv_row.is_csv and csv_row.identifier == "lab.images-public"


def test_unknown_keys_name_the_likely_reason(registry: Registry):
    with pytest.raises(
        AssemblyLookupError,
        match=r"No data set 'lab.Lab2026.public' is registered in Test Lab \(catalog "
        r"test_registry\): 'lab.Lab2026.public' is the storage identifier of 'Lab2026.public'",
    ):
        registry.load_dataset("lab.Lab2026.public")
    with pytest.raises(
        AssemblyLookupError, match=r"'images-public' is a stimulus set; load it with load_stim"
    ):
        registry.lookup_dataset("images-public")
    with pytest.raises(
        StimulusSetLookupError, match=r"'Lab2026.public' is a data set; load it with load_dataset"
    ):
        registry.load_stimulus_set("Lab2026.public")
    with pytest.raises(AssemblyLookupError, match=r"did you mean 'Lab2026.public'"):
        registry.lookup_dataset("Lab2026.publik")
    with pytest.raises(
        AssemblyLookupError,
        match=r"^No data set 'Nothing' is registered in Test Lab \(catalog test_registry\)\. "
        r"list_datasets\(\) lists the 4 registered data sets\.$",
    ):
        registry.lookup_dataset("Nothing")


def test_load_by_registry_key_records_every_name(registry: Registry):
    assembly = registry.load_dataset("Lab2026.public")
    np.testing.assert_array_equal(assembly.values[:, :, 0], [[0, 1], [2, 3], [4, 5]])
    assert {
        name: assembly.attrs[name]
        for name in (
            "registry_key",
            "identifier",
            "storage_identifier",
            "access",
            "catalog",
            "stimulus_set_identifier",
            "stimulus_set_registry_key",
        )
    } == {
        "registry_key": "Lab2026.public",
        "identifier": "lab.Lab2026.public",
        "storage_identifier": "lab.Lab2026.public",
        "access": "public",
        "catalog": CATALOG,
        "stimulus_set_identifier": "lab.images-public",
        "stimulus_set_registry_key": "images-public",
    }
    assert list(assembly["category"].values) == ["face", "car", "dog"]  # stimulus set merged
    stimuli = registry.load_stimulus_set("images-public")
    assert stimuli.attrs["registry_key"] == "images-public"
    assert stimuli.attrs["storage_identifier"] == "lab.images-public"
    assert stimuli.get_stimulus("s1").read_bytes().endswith(bytes([1]) * 16)


def test_storage_identifier_and_registry_dictionaries_load_the_same(registry: Registry):
    by_identifier = brainio.get_assembly("lab.Lab2026.public")
    assert by_identifier.attrs["registry_key"] == "Lab2026.public"  # recorded by the loader
    from_dictionary = registry.data_registry["Lab2026.public"]()
    np.testing.assert_array_equal(from_dictionary.values, by_identifier.values)
    stimuli = registry.stimulus_set_registry["images-public"]()
    assert list(stimuli["stimulus_id"]) == STIMULI
    assert len(registry.data_registry) == 4
    assert list(registry.data_registry)[:2] == ["Lab2026.private", "Lab2026.public"]
    assert "Shared2026" in registry.data_registry and "images-public" not in registry.data_registry
    assert repr(registry.data_registry) == "<data set registry of test_registry: 4 keys>"
    assert repr(registry.stimulus_set_registry) == (
        "<stimulus set registry of test_registry: 1 keys>"
    )
    with pytest.raises(AssemblyLookupError, match=r"did you mean 'Shared2026'"):
        registry.data_registry["Shared2062"]


def test_without_the_stimulus_set_its_key_is_looked_up(registry: Registry, brainio_home: Path):
    assembly = registry.load_dataset("Lab2026.public", load_stimulus_set=False, chunks={})
    assert assembly.chunks is not None
    assert "category" not in assembly.coords
    assert assembly.attrs["stimulus_set_registry_key"] == "images-public"
    assert list((brainio_home / "objects").glob("*/*.zip")) == []  # not fetched


def test_a_loader_mapping_may_load_with_other_arguments(registry: Registry):
    mapping = LoaderMapping(
        registry, TYPE_ASSEMBLY, lambda key: registry.load_dataset(key, load_stimulus_set=False)
    )
    assert "category" not in mapping["Lab2026.public"]().coords


def test_the_registry_follows_a_changed_catalog(registry: Registry, catalog_plugin, tmp_path):
    assert "Lab2026.public" in registry.list_datasets()
    rows = [dict(row) for row in catalog_rows(write_files(tmp_path / "other"))]
    rows[2]["registry_key"] = "Lab2026.renamed"
    catalog_plugin.catalog = write_catalog(rows, tmp_path / "other" / "lookup.csv")
    brainio.lookup.refresh()
    assert "Lab2026.renamed" in registry.list_datasets()
    assert "Lab2026.public" not in registry.list_datasets()


def test_refused_private_data_names_the_public_part(registry: Registry):
    with pytest.raises(AccessDeniedError) as info:
        registry.load_dataset("Lab2026.private")
    message = str(info.value)
    assert message.startswith(
        "Test Lab data set 'Lab2026.private' (storage identifier 'lab.Lab2026.private', "
        "catalog test_registry) is private: it is held-out Test Lab data, and vault serves "
        "its files (such as vault://lab/assy_lab_Lab2026_private.nc) only to accounts given "
        "read access."
    )
    assert "or load its public part 'Lab2026.public' instead" in message
    assert message.endswith(
        "vault said: the vault refused vault://lab/assy_lab_Lab2026_private.nc: no key given"
    )
    assert isinstance(info.value.__cause__, AccessDeniedError)


def test_refused_private_data_without_public_part(registry: Registry):
    with pytest.raises(
        AccessDeniedError,
        match=r"'Other2026.heldout' .* is private: .* or choose public data: "
        r"list_datasets\(access='public'\)\. vault said",
    ):
        registry.data_registry["Other2026.heldout"]()


def test_refused_public_data_says_it_is_public(registry: Registry):
    with pytest.raises(
        AccessDeniedError,
        match=r"data set 'Shared2026' .* is public, but vault refused one of its files: the "
        r"vault refused .* Public data need no credentials; if you set credentials for vault",
    ):
        registry.load_dataset("Shared2026")


def test_record_keeps_only_the_names_a_row_has():
    class Loaded:
        attrs: dict = {}

    row = LookupRow(
        identifier="lab.Plain",
        lookup_type="assembly",
        class_name="DataAssembly",
        location_type="local",
        location="plain.nc",
        sha1="0" * 40,
    )
    loaded = Loaded()
    loaded.attrs = {"identifier": "lab.Plain"}
    assert record(loaded, row) is loaded
    assert loaded.attrs == {"identifier": "lab.Plain", "storage_identifier": "lab.Plain"}
