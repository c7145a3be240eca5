"""``xr.open_dataarray(path, engine="brainio")`` rebuilds an assembly file's indexes."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from brainio.assemblies import NeuroidAssembly
from brainio.netcdf import write_netcdf


@pytest.fixture
def assembly_file(tmp_path):
    assembly = NeuroidAssembly(
        np.arange(12, dtype=float).reshape(4, 3),
        coords={
            "stimulus_id": ("presentation", ["a", "b", "a", "b"]),
            "repetition": ("presentation", [0, 0, 1, 1]),
            "neuroid_id": ("neuroid", ["n0", "n1", "n2"]),
            "region": ("neuroid", ["V4", "IT", "IT"]),
        },
        dims=["presentation", "neuroid"],
    )
    assembly.attrs["identifier"] = "lab.Test2026"
    path = tmp_path / "assy_lab_Test2026.nc"
    write_netcdf(assembly, path)
    return path


def test_plain_xarray_gives_no_index(assembly_file):
    with xr.open_dataarray(assembly_file) as plain:
        assert "presentation" not in plain.indexes and "neuroid" not in plain.indexes


def test_brainio_engine_rebuilds_the_indexes(assembly_file):
    with xr.open_dataarray(assembly_file, engine="brainio") as opened:
        selected = opened.sel(region="IT")
        assert selected.shape == (4, 2)
        assert list(opened.indexes["presentation"].names) == ["stimulus_id", "repetition"]
        assert list(opened.indexes["neuroid"].names) == ["neuroid_id", "region"]
        assert opened.attrs["identifier"] == "lab.Test2026"
        np.testing.assert_array_equal(selected.values[:, 0], [1, 4, 7, 10])


def test_brainio_engine_is_never_guessed(assembly_file):
    from brainio.xarray_backend import BrainIOBackendEntrypoint

    assert not BrainIOBackendEntrypoint().guess_can_open(assembly_file)
    assert "brainio" in xr.backends.list_engines()
