"""From identifier to object through a real catalog, cache and loaders, and how it can fail."""

from __future__ import annotations

import numpy as np
import pytest

import brainio
from brainio import decoded
from brainio.assemblies.loaders import load_assembly
from brainio.errors import (
    CatalogError,
    FormatError,
    IntegrityError,
    PluginMissingError,
    UnsafeArchiveError,
)
from brainio.netcdf import read_dataarray, write_netcdf
from brainio.plugins import get_plugin_manager


def _cache_files(home):
    """Regular files in the cache other than locks and markers."""
    return [
        p for p in home.rglob("*") if p.is_file() and not p.name.endswith((".lock", ".verified"))
    ]


def test_get_stimulus_set(local_package):
    stimuli = brainio.get_stimulus_set("test.twelve")
    assert type(stimuli).__name__ == "StimulusSet"
    assert stimuli.identifier == "test.twelve"
    assert len(stimuli) == 12
    path = stimuli.get_stimulus("s03")
    assert path.is_file() and path.read_bytes().startswith(b"\x89PNG")
    assert path.parent.name == "images"  # zips with subfolders work


def test_get_assembly_merges_stimulus_set(local_package):
    assembly = brainio.get_assembly("test.Twelve2026")
    assert type(assembly).__name__ == "NeuronRecordingAssembly"
    assert assembly.sizes == {"presentation": 24, "neuroid": 4, "time_bin": 2}
    assert assembly.attrs["identifier"] == "test.Twelve2026"
    assert assembly.attrs["stimulus_set_identifier"] == "test.twelve"
    assert assembly.attrs["stimulus_set"].identifier == "test.twelve"
    faces = assembly.sel(category="face")
    assert set(faces["stimulus_id"].values) == {"s00", "s03", "s06", "s09"}
    it = assembly.sel(region="IT")
    assert list(it["neuroid_id"].values) == ["n2", "n3"]


def test_warm_load_equals_cold_load(local_package):
    cold = brainio.get_assembly("test.Twelve2026")
    warm = brainio.get_assembly("test.Twelve2026")
    np.testing.assert_array_equal(cold.values, warm.values)


class _CopiesWatcher:
    """An assembly loader plugin that notes, when it is called, whether the file still wants
    its decoded copies, then loads with the core's loader."""

    def __init__(self) -> None:
        self.wanted: list[bool] = []

    @brainio.hookimpl
    def brainio_assembly_loader(self, row):
        def load(path, **kwargs):
            self.wanted.append(decoded.wanted(path))
            return load_assembly(path, **kwargs)

        return load


@pytest.mark.parametrize("chunks, decoded_before_loading", [(None, True), ({}, False)])
def test_values_decoded_while_the_stimulus_set_loads(
    local_package, chunks, decoded_before_loading
) -> None:
    """The assembly's file is decoded into its copies in the thread that fetched it, before
    the loader runs; not when the values go to dask (chunks=)."""
    files, install, rows = local_package
    plain = read_dataarray(files["nc"]).load()  # values that compress (noise is stored raw)
    write_netcdf(plain.copy(data=np.arange(plain.size).reshape(plain.shape) % 7.0), files["nc"])
    install(rows())
    watcher = _CopiesWatcher()
    get_plugin_manager().register(watcher)
    try:
        assembly = brainio.get_assembly("test.Twelve2026", chunks=chunks)
    finally:
        get_plugin_manager().unregister(watcher)
    assert watcher.wanted == [not decoded_before_loading]
    assert assembly.sizes == {"presentation": 24, "neuroid": 4, "time_bin": 2}


def test_sha1_mismatch_leaves_nothing_in_cache(local_package, brainio_home):
    files, _, _ = local_package
    files["nc"].write_bytes(files["nc"].read_bytes() + b"tampered")
    with pytest.raises(IntegrityError, match=r"assy_test_Twelve2026.nc"):
        brainio.get_assembly("test.Twelve2026")
    assert not [p for p in _cache_files(brainio_home) if p.suffix == ".nc"]


def test_unknown_location_type_says_which_plugin_to_install(local_package):
    files, install, rows_now = local_package
    install([row.replace(",local,", ",S4,") for row in rows_now()])
    with pytest.raises(PluginMissingError, match="S4"):
        brainio.get_stimulus_set("test.twelve")


def test_unknown_class(local_package):
    files, install, rows_now = local_package
    install(
        [row.replace("NeuronRecordingAssembly", "NeuronRecordingAssemblyy") for row in rows_now()]
    )
    with pytest.raises(
        CatalogError, match=r"Unknown class 'NeuronRecordingAssemblyy'.*test_local.*line 4"
    ):
        brainio.get_assembly("test.Twelve2026")


def test_missing_stimulus_file(local_package):
    import zipfile

    from brainio.hashing import sha1_hash

    files, install, rows_now = local_package
    with zipfile.ZipFile(files["zip"], "w") as archive:  # one image fewer than the CSV lists
        for i in range(11):
            archive.writestr(f"images/s{i:02d}.png", b"\x89PNG")
    rows = rows_now()
    install(rows)
    assert sha1_hash(files["zip"]) in rows[1]
    with pytest.raises(
        FormatError, match=r"'test.twelve'.*1 of 12 stimulus files are missing.*s11"
    ):
        brainio.get_stimulus_set("test.twelve")


@pytest.mark.parametrize("content", [b"", b"this is not netCDF at all", "truncated"])
def test_truncated_or_non_netcdf_file(local_package, content):
    files, install, rows_now = local_package
    data = files["nc"].read_bytes()
    files["nc"].write_bytes(data[: len(data) // 2] if content == "truncated" else content)
    install(rows_now())
    with pytest.raises(FormatError, match="assy_test_Twelve2026.nc"):
        brainio.get_assembly("test.Twelve2026")


@pytest.mark.parametrize("entry", ["../escape.png", "/abs/olute.png"])
def test_unsafe_zip_entries_refused(local_package, entry, tmp_path):
    import zipfile

    files, install, rows_now = local_package
    with zipfile.ZipFile(files["zip"], "a") as archive:
        archive.writestr(zipfile.ZipInfo(entry), b"evil")
    install(rows_now())
    with pytest.raises(UnsafeArchiveError, match="escape.png|abs/olute.png"):
        brainio.get_stimulus_set("test.twelve")
    assert not (tmp_path / "escape.png").exists()
    assert not list(tmp_path.rglob("escape.png"))
