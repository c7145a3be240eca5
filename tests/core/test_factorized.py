"""String coordinates factorized as they are read equal what xarray reads, everywhere they go.

Each test writes a real netCDF-4 file with variable-length strings (as BrainIO 1.x's files
hold them) and compares against xarray's own netCDF4 backend on the same file.
"""

from __future__ import annotations

from pathlib import Path

import netCDF4
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from brainio import netcdf
from brainio.assemblies import NeuronRecordingAssembly, gather_indexes
from brainio.assemblies.loaders import StimulusMergeAssemblyLoader
from brainio.factorized import factorized
from brainio.netcdf import read_dataarray
from brainio.stimuli import StimulusSet

IDS = np.array(["b-img", "a-img", "café", "", "日本-img"], dtype=object)


def strings_file(path: Path, *, fill_value: str | None = None) -> Path:
    """presentation x neuroid float32 values with string and number coordinates, each id
    repeated (as repetitions of a stimulus are)."""
    ids = np.tile(IDS, 4)
    with netCDF4.Dataset(path, "w") as root:
        root.createDimension("presentation", len(ids))
        root.createDimension("neuroid", 3)
        data = root.createVariable("data", "f4", ("presentation", "neuroid"))
        data[...] = np.arange(len(ids) * 3, dtype="f4").reshape(-1, 3)
        data.coordinates = "stimulus_id repetition session region"
        options = {} if fill_value is None else {"fill_value": fill_value}
        stimulus_id = root.createVariable("stimulus_id", str, ("presentation",), **options)
        stimulus_id[:] = ids
        session = root.createVariable("session", str, ("presentation",))
        session[:] = np.array(["s1", "s2"] * (len(ids) // 2), dtype=object)
        root.createVariable("repetition", "i8", ("presentation",))[:] = np.arange(len(ids)) // 5
        root.createVariable("region", str, ("neuroid",))[:] = np.array(["V4", "IT", "IT"], object)
    return path


def xarray_reading(path: Path) -> xr.DataArray:
    with xr.open_dataset(path, engine="netcdf4") as dataset:
        return dataset["data"].load()


@pytest.mark.parametrize("block", [3, 7, netcdf.STRING_BLOCK], ids=lambda block: f"block{block}")
def test_string_coordinates_read_as_xarray_reads_them(tmp_path, monkeypatch, block) -> None:
    """Read in blocks (new strings in later blocks, repeats across blocks), sorted at the end."""
    monkeypatch.setattr(netcdf, "STRING_BLOCK", block)
    path = strings_file(tmp_path / "strings.nc")
    ours, expected = read_dataarray(path), xarray_reading(path)
    assert factorized(ours.coords["stimulus_id"].variable) is not None  # the fast path was taken
    held = factorized(ours.coords["stimulus_id"].variable)
    assert list(held.uniques) == sorted(set(IDS))  # as pandas factorizes the whole column
    for name in ("stimulus_id", "session", "region", "repetition"):
        assert ours[name].dtype == expected[name].dtype, name
        np.testing.assert_array_equal(ours[name].values, expected[name].values)
    for selection in [{"presentation": slice(3, 11)}, {"presentation": [7, 0, 7]}]:
        selected = ours.isel(selection).coords["stimulus_id"].variable
        assert factorized(selected) is None  # a part is not the whole column
        np.testing.assert_array_equal(
            selected.values, expected.isel(selection)["stimulus_id"].values
        )


def test_strings_with_a_fill_value_are_left_to_xarray(tmp_path) -> None:
    path = strings_file(tmp_path / "masked.nc", fill_value="missing")
    ours, expected = read_dataarray(path), xarray_reading(path)
    assert factorized(ours.coords["stimulus_id"].variable) is None
    assert ours["stimulus_id"].dtype == expected["stimulus_id"].dtype
    np.testing.assert_array_equal(ours["stimulus_id"].values, expected["stimulus_id"].values)


def test_assembly_indexes_equal_those_built_from_the_values(tmp_path) -> None:
    path = strings_file(tmp_path / "assembly.nc")
    assembly = NeuronRecordingAssembly.from_files(path)
    from_values = NeuronRecordingAssembly(gather_indexes(xarray_reading(path)))
    xr.testing.assert_identical(assembly, from_values.assign_attrs(assembly.attrs))
    assert list(assembly.sel(stimulus_id="café")["repetition"].values) == [0, 1, 2, 3]


def test_stimulus_set_merge_equals_the_merge_of_plain_values(tmp_path) -> None:
    """Ids are matched once per distinct id; one id has no row (its metadata become NaN)."""
    path = strings_file(tmp_path / "assembly.nc")
    stimulus_set = StimulusSet(
        pd.DataFrame({"stimulus_id": IDS[:-1], "category": ["x", "y", "x", "z"]})
    )
    merged = NeuronRecordingAssembly.from_files(path, stimulus_set=stimulus_set)
    loader = StimulusMergeAssemblyLoader(NeuronRecordingAssembly, path)
    plain = NeuronRecordingAssembly(gather_indexes(xarray_reading(path)))
    expected = loader.merge_stimulus_set_meta(plain, stimulus_set)
    for name in ("category", "stimulus_id", "session"):  # NaN where no row, as the plain merge
        assert pd.Series(merged[name].values).equals(pd.Series(expected[name].values)), name
    assert merged.sel(stimulus_id="café")["category"].values.tolist() == ["x"] * 4
    assert pd.isna(merged.sel(stimulus_id="日本-img")["category"].values).all()


@pytest.mark.parametrize("chunks", [None, {}])
def test_values_and_selections_of_a_factorized_coordinate(tmp_path, chunks) -> None:
    pytest.importorskip("dask") if chunks is not None else None
    path = strings_file(tmp_path / "strings.nc")
    ours = read_dataarray(path, chunks=chunks)
    expected = xarray_reading(path)
    xr.testing.assert_identical(
        ours.isel(presentation=slice(None, None, 3)).load().drop_attrs(),
        expected.isel(presentation=slice(None, None, 3)).drop_attrs(),
    )
