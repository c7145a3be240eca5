"""brainio.netcdf: the 1.x on-disk convention, chunking/compression, atomic writes, bad files."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import netCDF4
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from brainio import netcdf
from brainio.errors import FormatError, PackagingError
from brainio.netcdf import chunk_shape, list_groups, read_dataarray, write_netcdf


def recording(presentations: int = 12, neuroids: int = 6) -> xr.DataArray:
    """A presentation x neuroid x time_bin array with MultiIndexes, as an assembly would be."""
    rng = np.random.default_rng(0)
    plain = xr.DataArray(
        rng.normal(size=(presentations, neuroids, 2)).astype(np.float32),
        coords={
            "stimulus_id": ("presentation", [f"s{i % 4}" for i in range(presentations)]),
            "repetition": ("presentation", np.arange(presentations) // 4),
            "shown_at": (
                "presentation",
                pd.date_range("2021-02-03 10:00", periods=presentations, freq="90s"),
            ),
            "neuroid_id": ("neuroid", [f"n{i}" for i in range(neuroids)]),
            "region": ("neuroid", ["V4", "IT"] * (neuroids // 2)),
            "x_mm": ("neuroid", np.linspace(0, 1, neuroids)),
            "time_bin_start": ("time_bin", [70, 170]),
            "time_bin_end": ("time_bin", [170, 270]),
        },
        dims=["presentation", "neuroid", "time_bin"],
        attrs={
            "identifier": "test.Recording",
            "stimulus_set_identifier": "test.stimuli",
            "n_sessions": 3,
            "rate_hz": 1000.0,
            "grid": np.array([10, 10]),
            "channels": ["a", "b"],
        },
    )
    return plain.set_index(
        presentation=["stimulus_id", "repetition", "shown_at"],
        neuroid=["neuroid_id", "region", "x_mm"],
        time_bin=["time_bin_start", "time_bin_end"],
    )


def plain_coords(array: xr.DataArray) -> dict[str, tuple[tuple[str, ...], np.ndarray]]:
    array = array.reset_index(list(array.xindexes)) if array.xindexes else array
    return {name: (coord.dims, coord.values) for name, coord in array.coords.items()}


def assert_same(read: xr.DataArray, written: xr.DataArray) -> None:
    np.testing.assert_array_equal(read.values, written.values)
    assert read.dims == written.dims
    expected = plain_coords(written)
    actual = plain_coords(read)
    assert sorted(actual) == sorted(expected)
    for name, (dims, values) in expected.items():
        assert actual[name][0] == dims, name
        np.testing.assert_array_equal(actual[name][1], values, err_msg=name)


# --- round trips ------------------------------------------------------------------------------


def test_round_trip_resets_multiindexes_to_plain_coordinates(tmp_path: Path) -> None:
    assembly = recording()
    path = tmp_path / "assy.nc"
    sha1 = write_netcdf(assembly, path)

    assert sha1 == hashlib.sha1(path.read_bytes()).hexdigest()
    read = read_dataarray(path)
    assert read.name == "data"
    assert not read.xindexes  # raw: every level a plain coordinate
    assert_same(read, assembly)
    assert read["shown_at"].dtype == np.dtype("datetime64[ns]")
    assert read.attrs["identifier"] == "test.Recording"
    assert read.attrs["n_sessions"] == 3
    np.testing.assert_array_equal(read.attrs["grid"], [10, 10])
    assert list(read.attrs["channels"]) == ["a", "b"]


def test_file_follows_the_1x_layout(tmp_path: Path) -> None:
    path = tmp_path / "assy.nc"
    write_netcdf(recording(), path)
    with netCDF4.Dataset(path) as nc:
        assert set(nc.variables) == {
            "data",
            "stimulus_id",
            "repetition",
            "shown_at",
            "neuroid_id",
            "region",
            "x_mm",
            "time_bin_start",
            "time_bin_end",
        }  # no variable for a MultiIndex itself
        assert nc.data_model == "NETCDF4"
        assert nc.getncattr("identifier") == "test.Recording"
        # 1.x reads attributes from the data variable: they are there too
        assert nc["data"].getncattr("stimulus_set_identifier") == "test.stimuli"
        assert set(nc["data"].getncattr("coordinates").split()) == {
            "stimulus_id",
            "repetition",
            "shown_at",
            "neuroid_id",
            "region",
            "x_mm",
            "time_bin_start",
            "time_bin_end",
        }
        assert nc["stimulus_id"].dtype is str  # variable-length strings, as 1.x wrote them


def test_single_coordinate_dimension_keeps_the_coordinate_name(tmp_path: Path) -> None:
    plain = xr.DataArray(
        np.arange(6.0).reshape(2, 3),
        coords={
            "stimulus_id": ("presentation", ["a", "b"]),
            "neuroid_id": ("neuroid", ["n0", "n1", "n2"]),
        },
        dims=["presentation", "neuroid"],
    )
    # a 1-level MultiIndex and an index on a non-dimension coordinate: both keep their names
    one_level = xr.Coordinates.from_pandas_multiindex(
        pd.MultiIndex.from_arrays([["n0", "n1", "n2"]], names=["neuroid_id"]), "neuroid"
    )
    variants = [
        plain.drop_vars("neuroid_id").assign_coords(one_level),
        plain.set_xindex("stimulus_id"),
    ]
    for number, assembly in enumerate(variants):
        path = tmp_path / f"single{number}.nc"
        write_netcdf(assembly, path)
        read = read_dataarray(path)
        assert list(read["neuroid_id"].values) == ["n0", "n1", "n2"]
        assert read["neuroid_id"].dims == ("neuroid",)
        assert "neuroid_" not in read.coords and "neuroid" not in read.coords
        assert list(read["stimulus_id"].values) == ["a", "b"]


def test_scalar_and_two_dimensional_coordinates_round_trip(tmp_path: Path) -> None:
    assembly = recording().sel(region="IT")  # leaves a scalar coordinate 'region'
    assembly = assembly.assign_coords(weight=(("neuroid", "time_bin"), np.ones((3, 2))))
    path = tmp_path / "assy.nc"
    write_netcdf(assembly, path)
    read = read_dataarray(path)
    assert read["region"].item() == "IT"
    assert read["weight"].dims == ("neuroid", "time_bin")
    np.testing.assert_array_equal(read.values, assembly.values)


def test_pandas_and_numpy_string_dtypes_are_written_as_strings(tmp_path: Path) -> None:
    stimulus_ids = pd.array(["a", "b", "c"], dtype="string")
    assembly = xr.DataArray(
        np.arange(3.0),
        dims=["presentation"],
        coords={
            "stimulus_id": ("presentation", np.asarray(stimulus_ids, dtype=object)),
            "label": ("presentation", np.array(["x", "yy", "zzz"], dtype=np.dtypes.StringDType())),
        },
    )
    path = tmp_path / "strings.nc"
    write_netcdf(assembly, path)
    read = read_dataarray(path)
    assert list(read["stimulus_id"].values) == ["a", "b", "c"]
    assert list(read["label"].values) == ["x", "yy", "zzz"]


def test_rewriting_a_read_assembly_ignores_its_old_encoding(tmp_path: Path) -> None:
    first = tmp_path / "first.nc"
    write_netcdf(recording(presentations=40), first)
    subset = read_dataarray(first, chunks={}).isel(presentation=slice(0, 5))
    second = tmp_path / "second.nc"
    write_netcdf(subset, second)
    np.testing.assert_array_equal(read_dataarray(second).values, subset.values)


@pytest.mark.filterwarnings("ignore:The specified chunks separate the stored chunks")
def test_dask_chunks_give_a_lazy_array_with_coordinates_in_memory(tmp_path: Path) -> None:
    dask = pytest.importorskip("dask.array")
    path = tmp_path / "assy.nc"
    write_netcdf(recording(presentations=40), path)
    lazy = read_dataarray(path, chunks={"presentation": 10})
    assert isinstance(lazy.data, dask.Array)
    assert lazy.data.chunks[0] == (10, 10, 10, 10)
    assert all(isinstance(coord.data, np.ndarray) for coord in lazy.coords.values())
    np.testing.assert_array_equal(lazy.compute().values, read_dataarray(path).values)


@pytest.mark.filterwarnings("ignore:The specified chunks separate the stored chunks")
@pytest.mark.parametrize("chunks", [{}, "auto", {"presentation": 700}, {"neuroid": -1}, -1, 900])
def test_dask_chunks_are_those_xarray_gives(tmp_path: Path, chunks) -> None:
    """Only the values are chunked (the coordinates are read at once), as xarray would."""
    pytest.importorskip("dask.array")
    path = tmp_path / "assy.nc"
    write_netcdf(recording(presentations=8192, neuroids=256), path)  # chunked in the file
    with xr.open_dataset(path, engine="netcdf4", chunks=chunks) as expected:
        assert read_dataarray(path, chunks=chunks).chunks == expected["data"].chunks


# --- chunking and compression -----------------------------------------------------------------


def test_chunk_shape_cuts_large_dimensions_evenly() -> None:
    assert chunk_shape((148_480, 256, 1), 4) == (18_560, 32, 1)
    assert chunk_shape((12, 6, 2), 4) == (12, 6, 2)  # small: one chunk
    assert chunk_shape((10_000_000,), 8) == (312_500,)
    for shape in [(148_480, 256, 1), (5, 3_000_000), (1, 1, 1)]:
        chunks = chunk_shape(shape, 4)
        assert np.prod(chunks) * 4 <= 4 * 2**20
        assert all(1 <= c <= s for c, s in zip(chunks, shape, strict=True))


def test_numeric_variables_are_chunked_with_shuffle_and_fast_deflate(tmp_path: Path) -> None:
    path = tmp_path / "big.nc"
    write_netcdf(recording(presentations=8192, neuroids=256), path)  # 16 MiB of data
    with netCDF4.Dataset(path) as nc:
        data = nc["data"]
        filters = data.filters()
        assert filters["zlib"] and filters["shuffle"] and filters["complevel"] == 1
        chunks = data.chunking()
        assert chunks != "contiguous" and chunks[1] < 256  # neuroid selections read a part
        assert np.prod(chunks) * 4 <= 4 * 2**20
        assert nc["repetition"].filters()["zlib"]
        for name in ("stimulus_id", "neuroid_id", "region"):  # vlen strings: no filters
            assert not any(nc[name].filters()[key] for key in ("zlib", "shuffle")), name


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int16, np.uint8])
def test_chunks_compressed_on_all_cores_are_what_hdf5_reads(tmp_path, monkeypatch, dtype) -> None:
    """The data variable's chunks are shuffled and deflated by brainio.chunked_write, written
    as they are; HDF5 itself (through netCDF4) inflates them, edge chunks included, in the root
    group and in an appended one."""
    monkeypatch.setattr(netcdf, "CHUNK_TARGET_BYTES", 400)  # many chunks, partial at the ends
    values = (np.arange(303 * 17 * 2).reshape(303, 17, 2) % 250).astype(dtype)
    assembly = xr.DataArray(values, dims=["presentation", "neuroid", "time_bin"])
    path = tmp_path / "chunks.nc"
    write_netcdf(assembly, path)
    write_netcdf(assembly[::-1], path, append=True, group="reversed")
    with netCDF4.Dataset(path) as nc:
        for data, expected in ((nc["data"], values), (nc["reversed"]["data"], values[::-1])):
            assert data.filters()["zlib"] and data.filters()["shuffle"]
            chunks = data.chunking()
            assert 303 % chunks[0] and 17 % chunks[1]  # partial chunks at the ends
            np.testing.assert_array_equal(data[...], expected)


def test_compress_false_stores_contiguous_uncompressed_variables(tmp_path: Path) -> None:
    compressed, plain = tmp_path / "c.nc", tmp_path / "p.nc"
    assembly = recording(presentations=2048, neuroids=64)
    assembly = assembly.copy(data=np.round(assembly.values, 1))  # compressible
    write_netcdf(assembly, compressed)
    write_netcdf(assembly, plain, compress=False)
    with netCDF4.Dataset(plain) as nc:
        assert nc["data"].chunking() == "contiguous"
        assert not nc["data"].filters()["zlib"]
    assert compressed.stat().st_size < plain.stat().st_size
    assert_same(read_dataarray(plain), assembly)


# --- groups and appending ---------------------------------------------------------------------


def test_append_adds_groups_atomically_and_returns_the_final_sha1(tmp_path: Path) -> None:
    path = tmp_path / "spikes.nc"
    events = xr.DataArray(
        np.linspace(0, 1, 50), dims=["event"], coords={"neuroid_id": ("event", ["a", "b"] * 25)}
    )
    meta = xr.DataArray(
        np.arange(5), dims=["event"], coords={"condition": ("event", list("vwxyz"))}
    )
    write_netcdf(events, path)
    sha1 = write_netcdf(meta, path, append=True, group="test")
    write_netcdf(meta * 2, path, append=True, group="other")
    assert list_groups(path) == ["test", "other"]
    assert sha1 != hashlib.sha1(path.read_bytes()).hexdigest()  # changed again by "other"
    np.testing.assert_array_equal(read_dataarray(path).values, events.values)
    group = read_dataarray(path, group="test")
    np.testing.assert_array_equal(group.values, np.arange(5))
    assert list(group["condition"].values) == list("vwxyz")
    assert [p.name for p in tmp_path.iterdir()] == ["spikes.nc"]  # no temp files left


def test_append_to_an_existing_group_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.nc"
    write_netcdf(recording(), path)
    write_netcdf(recording(), path, append=True, group="extra")
    before = path.read_bytes()
    with pytest.raises(PackagingError, match=r"already has a group 'extra'.*another group"):
        write_netcdf(recording(), path, append=True, group="extra")
    with pytest.raises(PackagingError, match=r"Appending to '.*a\.nc' needs a group name"):
        write_netcdf(recording(), path, append=True)
    assert path.read_bytes() == before


def test_unknown_group_is_a_format_error_listing_the_groups(tmp_path: Path) -> None:
    path = tmp_path / "a.nc"
    write_netcdf(recording(), path)
    write_netcdf(recording(), path, append=True, group="extra")
    with pytest.raises(
        FormatError, match=r"a\.nc.* has no group 'missing'; its groups are \['extra'\]"
    ):
        read_dataarray(path, group="missing")


# --- attributes -------------------------------------------------------------------------------


def test_attributes_1x_dropped_are_dropped(tmp_path: Path) -> None:
    assembly = recording()
    assembly.attrs.update(
        stimulus_set=pd.DataFrame({"a": [1]}), nothing=None, extra=xr.DataArray([1, 2])
    )
    path = tmp_path / "a.nc"
    write_netcdf(assembly, path)
    assert not {"stimulus_set", "nothing", "extra"} & set(read_dataarray(path).attrs)
    assert "stimulus_set" in assembly.attrs  # the caller's assembly is untouched


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (True, "a bool"),
        ({"a": 1}, "a dict"),
        (np.ones((2, 2)), "a 2-D array"),
        ([{"a": 1}], "a list of object"),
        (1j, "a complex number"),
    ],
)
def test_attributes_netcdf_cannot_store_are_named(tmp_path: Path, value, problem) -> None:
    assembly = recording()
    assembly.attrs["bad_attr"] = value
    path = tmp_path / "a.nc"
    with pytest.raises(PackagingError, match=rf"'bad_attr' \({problem}.*Convert them"):
        write_netcdf(assembly, path)
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_every_bad_attribute_is_reported_at_once(tmp_path: Path) -> None:
    assembly = recording()
    assembly.attrs.update(flag=False, mapping={"x": 1})
    with pytest.raises(PackagingError, match=r"'flag' \(a bool\), 'mapping' \(a dict\)"):
        write_netcdf(assembly, tmp_path / "a.nc")


# --- atomic writes ----------------------------------------------------------------------------


def test_a_failed_write_leaves_the_previous_file_intact(tmp_path: Path) -> None:
    path = tmp_path / "a.nc"
    write_netcdf(recording(), path)
    before = path.read_bytes()
    broken = recording().assign_coords(odd=("presentation", [object()] * 12))
    with pytest.raises(Exception):  # noqa: B017 -- whatever xarray raises for an object coord
        write_netcdf(broken, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["a.nc"]


def test_written_file_is_readable_by_others(tmp_path: Path) -> None:
    path = tmp_path / "a.nc"
    write_netcdf(recording(), path)
    assert path.stat().st_mode & 0o044 == 0o044
    assert os.access(path, os.R_OK)


# --- reading bad files ------------------------------------------------------------------------


def test_empty_file_is_a_format_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.nc"
    path.touch()
    with pytest.raises(FormatError, match=r"empty\.nc' is empty\. Delete it and fetch it again"):
        read_dataarray(path)


def test_non_netcdf_file_is_a_format_error(tmp_path: Path) -> None:
    path = tmp_path / "table.nc"
    path.write_text("stimulus_id,filename\na,a.png\n")
    with pytest.raises(
        FormatError, match=r"Cannot read the netCDF file '.*table\.nc'.*not a netCDF-4"
    ):
        read_dataarray(path)
    with pytest.raises(FormatError, match=r"table\.nc"):
        list_groups(path)


@pytest.mark.parametrize("keep", [0.3, 0.95])
def test_truncated_file_is_a_format_error(tmp_path: Path, keep: float) -> None:
    whole = tmp_path / "whole.nc"
    write_netcdf(recording(presentations=3000, neuroids=64), whole)
    truncated = tmp_path / "truncated.nc"
    content = whole.read_bytes()
    truncated.write_bytes(content[: int(len(content) * keep)])
    with pytest.raises(FormatError, match=r"truncated\.nc'.*truncated, corrupt"):
        read_dataarray(truncated)


def test_missing_file_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"No netCDF file at '.*nothing\.nc'"):
        read_dataarray(tmp_path / "nothing.nc")


def test_file_with_two_data_variables_is_a_format_error(tmp_path: Path) -> None:
    path = tmp_path / "two.nc"
    xr.Dataset({"data": ("x", [1, 2]), "other": ("x", [3, 4])}).to_netcdf(path)
    with pytest.raises(FormatError, match=r"two\.nc' has 2 data variables \['data', 'other'\]"):
        read_dataarray(path)


def test_file_without_data_variable_is_a_format_error(tmp_path: Path) -> None:
    path = tmp_path / "coords.nc"
    xr.Dataset(coords={"x": [1, 2]}).to_netcdf(path)
    with pytest.raises(FormatError, match=r"coords\.nc' has no data variable"):
        read_dataarray(path)


def test_single_variable_of_any_name_is_the_data(tmp_path: Path) -> None:
    path = tmp_path / "named.nc"
    xr.DataArray([1.0, 2.0], dims=["x"], name="responses", attrs={"unit": "Hz"}).to_netcdf(path)
    read = read_dataarray(path)
    assert read.name == "data"
    assert read.attrs == {"unit": "Hz"}
    np.testing.assert_array_equal(read.values, [1.0, 2.0])


def test_compression_only_where_it_saves_space(tmp_path):
    """Values deflate shrinks are compressed; random bits, which it cannot shrink, are stored
    chunked but uncompressed (writing and reading them is then many times faster)."""
    import netCDF4

    rng = np.random.default_rng(0)
    shape = (4000, 64)
    coords = {
        "stimulus_id": ("presentation", [f"s{i}" for i in range(shape[0])]),
        "neuroid_id": ("neuroid", [f"n{i}" for i in range(shape[1])]),
    }
    for name, values, compressed in [
        ("random bits", rng.integers(0, 2**32, size=shape, dtype="uint32"), False),
        ("float noise", rng.normal(size=shape).astype("float32"), True),
        ("counts", rng.poisson(2, size=shape).astype("float32"), True),
    ]:
        array = xr.DataArray(values, coords=coords, dims=["presentation", "neuroid"])
        path = tmp_path / f"{name.replace(' ', '_')}.nc"
        write_netcdf(array, path)
        with netCDF4.Dataset(path) as dataset:
            filters = dataset["data"].filters()
            assert filters["zlib"] is compressed and filters["shuffle"] is compressed, name
            assert dataset["data"].chunking() != "contiguous"
        np.testing.assert_array_equal(read_dataarray(path).values, values)
