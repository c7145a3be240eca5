"""package_stimulus_set / package_data_assembly into a local folder store and a catalog file."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest
import xarray as xr

import brainio
from brainio.catalogs import Catalog
from brainio.errors import PackagingError, PluginMissingError
from brainio.netcdf import list_groups, read_dataarray
from brainio.packaging import (
    Packaged,
    assembly_key,
    package_data_assembly,
    package_stimulus_set,
    resolve_target,
    stimulus_set_key,
)
from brainio.records import StoredObject


def test_stimulus_set_round_trip(stimuli, catalog_path, store, register_catalogs):
    result = package_stimulus_set(
        "lab", stimuli, "lab.Test2024", target=store, catalog_path=catalog_path
    )
    assert isinstance(result, Packaged)
    csv_row, zip_row = result.rows
    assert (csv_row.class_name, zip_row.class_name) == ("StimulusSet", None)
    assert csv_row.location == (store / "stimulus_lab_Test2024.csv").as_uri()
    assert zip_row.location == (store / "stimulus_lab_Test2024.zip").as_uri()
    assert (csv_row.line, zip_row.line) == (2, 3)
    assert result["csv_sha1"] == csv_row.sha1 and result["zip_sha1"] == zip_row.sha1
    assert result["bucket"] == store.as_uri()
    assert set(result.keys()) == {
        "identifier",
        "bucket",
        "csv_sha1",
        "zip_sha1",
        "csv_version_id",
        "zip_version_id",
    }
    assert "filename" not in stimuli.columns  # the proto is not modified

    register_catalogs(("lab", catalog_path))
    loaded = brainio.get_stimulus_set("lab.Test2024")
    assert list(loaded["stimulus_id"]) == list(stimuli["stimulus_id"])
    assert list(loaded["filename"]) == [f"{sid}.png" for sid in stimuli["stimulus_id"]]
    assert list(loaded.columns) == ["stimulus_id", "category", "size", "filename"]
    for sid in stimuli["stimulus_id"]:
        assert loaded.get_stimulus(sid).read_bytes() == stimuli.get_stimulus(sid).read_bytes()


def test_stimulus_path_within_store_names_zip_members(stimuli, store):
    stimuli["stimulus_path_within_store"] = [f"sub/{sid}_x" for sid in stimuli["stimulus_id"]]
    package_stimulus_set(None, stimuli, "lab.Test2024", target=store)
    with zipfile.ZipFile(store / stimulus_set_key("lab.Test2024", "zip")) as archive:
        assert archive.namelist() == sorted(f"sub/{sid}_x.png" for sid in stimuli["stimulus_id"])
    table = pd.read_csv(store / stimulus_set_key("lab.Test2024", "csv"))
    assert "stimulus_path_within_store" not in table.columns
    assert list(table["filename"]) == [f"sub/{sid}_x.png" for sid in stimuli["stimulus_id"]]


def test_legacy_image_id_and_local_path_column(tmp_path, store, make_stimuli):
    stimuli = make_stimuli(tmp_path / "s")
    legacy = pd.DataFrame(
        {
            "image_id": list(stimuli["stimulus_id"]),
            "stimulus_current_local_file_path": [str(p) for p in stimuli.stimulus_paths.values()],
        }
    )
    result = package_stimulus_set(None, legacy, "lab.Legacy2019", target=store)
    table = pd.read_csv(store / stimulus_set_key("lab.Legacy2019", "csv"))
    assert list(table.columns) == ["stimulus_id", "image_id", "filename"]
    assert result.rows[0].catalog is None  # no catalog: nothing appended


def test_assembly_round_trip(stimuli, catalog_path, store, register_catalogs, make_assembly):
    package_stimulus_set("lab", stimuli, "lab.Test2024", target=store, catalog_path=catalog_path)
    proto = make_assembly(list(stimuli["stimulus_id"]))
    proto.attrs["lab_note"] = "recorded in 2024"
    extra = xr.DataArray([1.0, 2.0], dims=["event"], coords={"event_id": ("event", [1, 2])})
    result = package_data_assembly(
        "lab",
        proto,
        "lab.Test2024",
        "lab.Test2024",
        extras={"events": extra},
        target=store,
        catalog_path=catalog_path,
    )
    (row,) = result.rows
    assert (row.class_name, row.stimulus_set_identifier, row.line) == (
        "NeuronRecordingAssembly",
        "lab.Test2024",
        4,
    )
    assert result["cls"] == "NeuronRecordingAssembly" and result["sha1"] == row.sha1
    path = store / assembly_key("lab.Test2024")
    assert list_groups(path) == ["events"]
    raw = read_dataarray(path)
    assert raw.attrs["identifier"] == "lab.Test2024"  # the spec's global attribute
    assert raw.attrs["stimulus_set_identifier"] == "lab.Test2024"
    assert "identifier" not in proto.attrs  # the proto is not modified

    register_catalogs(("lab", catalog_path))
    assembly = brainio.get_assembly("lab.Test2024")
    assert type(assembly).__name__ == "NeuronRecordingAssembly"
    assert assembly.attrs["lab_note"] == "recorded in 2024"
    assert sorted(assembly["category"].values) == sorted(["a", "b", "a", "b"] * 2)
    assert float(assembly.sum()) == float(proto.sum())


def test_work_dir_keeps_files(stimuli, store, tmp_path):
    work = tmp_path / "work"
    package_stimulus_set(None, stimuli, "lab.Test2024", target=store, work_dir=work)
    assert sorted(p.name for p in work.iterdir()) == [
        "stimulus_lab_Test2024.csv",
        "stimulus_lab_Test2024.zip",
    ]


def test_version_id_from_uploader_fills_catalog_column(
    stimuli, catalog_path, register_plugin, tmp_path
):
    uploaded = {}

    class VersionedStore:
        @brainio.hookimpl
        def brainio_uploader(self, target):
            if not target.startswith("versioned://"):
                return None

            def upload(local_path, key, *, overwrite=False):
                uploaded[key] = Path(local_path).read_bytes()
                return StoredObject("local", (tmp_path / key).as_uri(), version_id=f"v-{key}")

            return upload

    register_plugin(VersionedStore())
    catalog_path.write_text(catalog_path.read_text().strip() + ",access\n")
    result = package_stimulus_set(
        "lab", stimuli, "lab.Test2024", target="versioned://x", catalog_path=catalog_path
    )
    assert result["csv_version_id"] == "v-stimulus_lab_Test2024.csv"
    assert set(uploaded) == {"stimulus_lab_Test2024.csv", "stimulus_lab_Test2024.zip"}
    table = pd.read_csv(catalog_path, dtype=str, keep_default_na=False)
    assert list(table.columns)[-2:] == ["access", "version_id"]
    assert list(table["version_id"]) == [
        "v-stimulus_lab_Test2024.csv",
        "v-stimulus_lab_Test2024.zip",
    ]
    assert result.rows[0].version_id == "v-stimulus_lab_Test2024.csv"


def test_replace(stimuli, catalog_path, store):
    first = package_stimulus_set(
        "lab", stimuli, "lab.Test2024", target=store, catalog_path=catalog_path
    )
    with pytest.raises(PackagingError, match=r"already has stimulus set 'lab.Test2024'.*replace"):
        package_stimulus_set(
            "lab", stimuli, "lab.Test2024", target=store, catalog_path=catalog_path
        )
    changed = stimuli.copy()
    changed["size"] = changed["size"] + 1
    second = package_stimulus_set(
        "lab", changed, "lab.Test2024", target=store, catalog_path=catalog_path, replace=True
    )
    assert second["csv_sha1"] != first["csv_sha1"]
    catalog = Catalog.from_files("lab", catalog_path)
    assert len(catalog) == 2 and set(catalog["sha1"]) == {second["csv_sha1"], second["zip_sha1"]}


def test_target_resolution(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert resolve_target(None, None) == "s3://brainio-temp"  # 1.x default bucket
    assert resolve_target(None, "brainscore-storage/brainio-brainscore") == (
        "s3://brainscore-storage/brainio-brainscore"
    )
    assert resolve_target("store", None) == (tmp_path / "store").as_uri()
    assert resolve_target(tmp_path / "x", None) == (tmp_path / "x").as_uri()
    assert resolve_target("s3://b/p", None) == "s3://b/p"
    with pytest.raises(PackagingError, match="Both target=.* and bucket_name="):
        resolve_target("s3://a", "b")


def test_no_plugin_for_target(stimuli):
    with pytest.raises(
        PluginMissingError, match="No installed plugin can store files at 'gs://bucket'"
    ):
        package_stimulus_set(None, stimuli, "lab.Test2024", target="gs://bucket")


@pytest.mark.parametrize(
    ("target", "plugin"), [("s3://bucket/x", "brainio-s3"), ("file:///tmp/x", "brainio-local")]
)
def test_missing_plugin_is_named(stimuli, monkeypatch, target, plugin):
    from brainio.plugins import refresh_plugins

    monkeypatch.setenv("BRAINIO_LOAD_PLUGINS", "")  # no installed plugin
    refresh_plugins()
    try:
        with pytest.raises(PluginMissingError, match=f"pip install {plugin}"):
            package_stimulus_set(None, stimuli, "lab.Test2024", target=target)
    finally:
        monkeypatch.delenv("BRAINIO_LOAD_PLUGINS")
        refresh_plugins()


def test_installed_catalog_by_name(stimuli, catalog_path, store, register_catalogs):
    register_catalogs(("lab", catalog_path))
    result = package_stimulus_set("lab", stimuli, "lab.Test2024", target=store)
    assert result.catalog_path == catalog_path
    assert "lab.Test2024" in brainio.list_stimulus_sets()  # this process sees the new rows
