"""Values read by brainio.chunked_read (raw chunks inflated in parallel) equal netCDF4's reading.

Every test compares against xarray's own netCDF4 backend on the same real file, for whole
reads and selections, so the fast path cannot change a value.
"""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path

import netCDF4
import numpy as np
import pytest
import xarray as xr

from brainio import chunked_read
from brainio.errors import FormatError
from brainio.netcdf import read_dataarray, write_netcdf

FIXTURES = Path(__file__).parents[1] / "compat" / "fixtures"


def reference(path: Path, group: str | None = None) -> np.ndarray:
    with xr.open_dataset(path, engine="netcdf4", group=group) as dataset:
        return dataset[list(dataset.data_vars)[0]].values


def smooth(shape: tuple[int, ...], dtype=np.float32) -> np.ndarray:
    """Values deflate shrinks (so write_netcdf compresses them), with no two alike."""
    return (np.arange(np.prod(shape)).reshape(shape) % 1000 * 0.25).astype(dtype)


def raw_netcdf(path: Path, values: np.ndarray, dims=None, **options) -> Path:
    """A netCDF file with one variable ``data`` written by netCDF4 with ``options``."""
    dims = dims or [f"d{axis}" for axis in range(values.ndim)]
    with netCDF4.Dataset(path, "w") as root:
        for dim, size in zip(dims, values.shape, strict=True):
            root.createDimension(dim, size)
        variable = root.createVariable("data", values.dtype, dims, **options)
        variable[...] = values
    return path


SELECTIONS = [
    {},
    {"presentation": slice(3, 190)},
    {"presentation": slice(None, None, 7), "neuroid": slice(2, 9)},
    {"neuroid": [0, 5, 11]},
    {"presentation": 17},
    {"presentation": -1, "neuroid": -2},
    {"presentation": [150, 3, 77], "neuroid": slice(1, 2)},
    {"presentation": [5, 3, 4, 7], "neuroid": [0, 2, 1], "time_bin": 1},  # outer, not zipped
]


@pytest.fixture
def assembly_file(tmp_path: Path) -> tuple[Path, np.ndarray]:
    """Shuffle + deflate in many chunks (read on the thread pool), the last ones partial."""
    values = smooth((201, 13, 2))
    dims = ["presentation", "neuroid", "time_bin"]
    options = {"zlib": True, "complevel": 1, "shuffle": True, "chunksizes": (37, 5, 1)}
    return raw_netcdf(tmp_path / "assy.nc", values, dims, **options), values


def test_write_netcdf_layout_is_read_in_parallel(tmp_path) -> None:
    values = smooth((300, 20, 1))
    path = tmp_path / "ours.nc"
    write_netcdf(xr.DataArray(values, dims=["presentation", "neuroid", "time_bin"]), path)
    layout = chunked_read.inspect(path, "data")
    assert layout.filters == (chunked_read.SHUFFLE, chunked_read.DEFLATE)
    np.testing.assert_array_equal(read_dataarray(path).values, values)


def test_whole_file_and_selections_equal_netcdf4(assembly_file) -> None:
    path, values = assembly_file
    layout = chunked_read.inspect(path, "data")
    assert layout.filters == (chunked_read.SHUFFLE, chunked_read.DEFLATE)
    assert len(layout.index) == 6 * 3 * 2
    read = read_dataarray(path)
    with xr.open_dataset(path, engine="netcdf4") as expected:
        for selection in SELECTIONS:
            np.testing.assert_array_equal(
                read.isel(selection).values, expected["data"].isel(selection).values
            )
    np.testing.assert_array_equal(read.values, values)


@pytest.mark.parametrize("threads", ["1", "3"])
def test_thread_count_does_not_change_values(assembly_file, monkeypatch, threads) -> None:
    path, values = assembly_file
    monkeypatch.setenv(chunked_read.THREADS_ENV, threads)
    chunked_read._pool.cache_clear()
    try:
        assert chunked_read.threads() == int(threads)
        np.testing.assert_array_equal(
            chunked_read.read_all(chunked_read.inspect(path, "data")), values
        )
    finally:
        chunked_read._pool.cache_clear()


def traced_read(tmp_path: Path, shape: tuple[int, ...], chunks: tuple[int, ...]):
    """Values in chunks of ``chunks`` read by ``read_all``, and the memory the read held at its
    peak and after it, beyond the values (tracemalloc)."""
    options = {"zlib": True, "shuffle": True, "chunksizes": chunks}
    path = raw_netcdf(tmp_path / "grid.nc", smooth(shape), **options)
    layout = chunked_read.inspect(path, "data")
    tracemalloc.start()
    try:
        values = chunked_read.read_all(layout)
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    np.testing.assert_array_equal(values, reference(path))
    return peak - values.nbytes, held - values.nbytes


def test_large_chunks_need_no_chunk_sized_buffer(tmp_path) -> None:
    """Chunks 50 values wide in rows of 120, partial at the edges, larger than
    CHUNK_BUFFER_BYTES, are inflated piece by piece straight into the array: a read needs about
    the values' own memory, not a chunk more per thread (17 MiB each for a BrainIO 1.x file)."""
    chunk_bytes = 40000 * 50 * 4  # 8 MB; a read's pieces in flight take about 3 MB
    assert chunk_bytes > chunked_read.CHUNK_BUFFER_BYTES
    peak, held = traced_read(tmp_path, (60000, 120, 1), (40000, 50, 1))
    assert peak < chunk_bytes // 2
    assert held < chunk_bytes // 4


def test_small_chunk_buffers_are_freed_when_the_read_ends(tmp_path) -> None:
    """Chunks of 4 MB, 50 values wide in rows of 120, go through chunk buffers (faster than
    strided copies); none outlives the read."""
    chunk_bytes = 20000 * 50 * 4
    assert chunk_bytes <= chunked_read.CHUNK_BUFFER_BYTES
    peak, held = traced_read(tmp_path, (40000, 120, 1), (20000, 50, 1))
    assert peak >= chunk_bytes  # a buffer was used (pieces alone: ~2.6 MB)
    assert held < chunk_bytes // 4


@pytest.mark.parametrize("buffer_bytes", [0, 2**20], ids=["strided", "buffered"])
@pytest.mark.parametrize("shuffle", [True, False], ids=["shuffle", "no-shuffle"])
@pytest.mark.parametrize(
    ("shape", "chunks"),
    [
        ((23,), (5,)),
        ((31, 9, 2), (7, 4, 2)),
        ((12, 7, 5, 3), (5, 3, 2, 3)),
        ((40, 9, 1), (15, 4, 1)),  # BrainIO 1.x's layout: one time bin
        ((20, 3, 7), (6, 1, 4)),  # a chunk one value long in the middle
        ((4, 3), (1, 1)),
    ],
    ids=["1-d", "3-d", "4-d", "time-bin", "thin-middle", "single-values"],
)
@pytest.mark.parametrize("piece_bytes", [3, 17, 2**19])
def test_boxes_across_partial_chunks(
    tmp_path, monkeypatch, shuffle, shape, chunks, piece_bytes, buffer_bytes
) -> None:
    """Any box, over chunks cut by the array's edge or by the box, in pieces that end
    anywhere in a row or a value, written straight into the array or through a chunk
    buffer, reads the values netCDF4 wrote."""
    monkeypatch.setattr(chunked_read, "PIECE_BYTES", piece_bytes)
    monkeypatch.setattr(chunked_read, "CHUNK_BUFFER_BYTES", buffer_bytes)
    values = smooth(shape, np.int32)
    options = {"zlib": True, "shuffle": shuffle, "chunksizes": chunks}
    layout = chunked_read.inspect(raw_netcdf(tmp_path / "box.nc", values, **options), "data")
    random = np.random.default_rng(len(shape) * 100 + piece_bytes)
    np.testing.assert_array_equal(chunked_read.read_all(layout), values)
    for _ in range(12):
        starts = tuple(int(random.integers(0, size)) for size in shape)
        stops = tuple(
            int(random.integers(start + 1, size + 1))
            for start, size in zip(starts, shape, strict=True)
        )
        box = tuple(slice(start, stop) for start, stop in zip(starts, stops, strict=True))
        np.testing.assert_array_equal(chunked_read.read_box(layout, starts, stops), values[box])


def test_dask_chunks_read_the_same_values(assembly_file) -> None:
    pytest.importorskip("dask")
    path, values = assembly_file
    lazy = read_dataarray(path, chunks={})
    assert lazy.chunks is not None
    np.testing.assert_array_equal(lazy.compute().values, values)
    np.testing.assert_array_equal(lazy.isel(neuroid=[1, 12]).values, values[:, [1, 12]])


@pytest.mark.parametrize(
    "options",
    [
        {"zlib": True, "complevel": 9, "shuffle": False},  # what BrainIO 1.x wrote, no shuffle
        {"zlib": True, "complevel": 4, "shuffle": True, "chunksizes": (64, 5)},
        {"contiguous": True},
        {"zlib": False, "chunksizes": (50, 7)},
    ],
    ids=["deflate", "shuffle-deflate", "contiguous", "chunked-raw"],
)
@pytest.mark.parametrize("dtype", [np.float64, np.int16, np.uint8])
@pytest.mark.parametrize("piece_bytes", [13, 2**19], ids=["pieces-straddle-planes", "one-piece"])
def test_layouts_and_types(tmp_path, monkeypatch, options, dtype, piece_bytes) -> None:
    """Chunks are read and inflated in pieces; where the pieces end changes no value."""
    monkeypatch.setattr(chunked_read, "PIECE_BYTES", piece_bytes)
    values = smooth((130, 11), dtype)
    path = raw_netcdf(tmp_path / "raw.nc", values, **options)
    layout = chunked_read.inspect(path, "data")
    assert layout is not None
    assert layout.contiguous == bool(options.get("contiguous"))
    np.testing.assert_array_equal(chunked_read.read_all(layout), values)
    read = read_dataarray(path)
    np.testing.assert_array_equal(read.values, values)
    np.testing.assert_array_equal(read[5:60:3, [0, 10]].values, values[5:60:3][:, [0, 10]])


def test_chunks_never_written_hold_the_fill_value(tmp_path) -> None:
    path = tmp_path / "sparse.nc"
    with netCDF4.Dataset(path, "w") as root:
        root.createDimension("x", 100)
        root.createDimension("y", 10)
        variable = root.createVariable(
            "data", "f4", ("x", "y"), zlib=True, chunksizes=(10, 10), fill_value=-7.5
        )
        variable[20:30, :] = np.ones((10, 10), dtype=np.float32)
    layout = chunked_read.inspect(path, "data")
    assert len(layout.index) == 1  # only one chunk was ever written
    expected = np.full((100, 10), -7.5, dtype=np.float32)
    expected[20:30] = 1
    np.testing.assert_array_equal(chunked_read.read_all(layout), expected)


@pytest.mark.parametrize(
    "options",
    [{"zlib": True, "fletcher32": True}, {"zlib": True, "endian": "big"}],
    ids=["fletcher32", "big-endian"],
)
@pytest.mark.filterwarnings("ignore:endian-ness")
def test_what_it_does_not_decode_is_read_by_netcdf4(tmp_path, options) -> None:
    values = smooth((40, 6))
    path = raw_netcdf(tmp_path / "other.nc", values, **options)
    assert chunked_read.inspect(path, "data") is None
    np.testing.assert_array_equal(read_dataarray(path).values, values)


def test_scaled_values_are_decoded_as_xarray_does(tmp_path) -> None:
    path = tmp_path / "scaled.nc"
    with netCDF4.Dataset(path, "w") as root:
        root.createDimension("x", 50)
        variable = root.createVariable("data", "i2", ("x",), zlib=True)
        variable.scale_factor = 0.5
        variable[:] = np.arange(50) * 0.5
    np.testing.assert_array_equal(read_dataarray(path).values, reference(path))
    assert read_dataarray(path).dtype.kind == "f"


@pytest.mark.parametrize(
    "name", sorted(path.name for path in FIXTURES.glob("*.nc")) if FIXTURES.is_dir() else []
)
def test_files_written_by_brainio1_read_the_same(name) -> None:
    path = FIXTURES / name
    np.testing.assert_array_equal(read_dataarray(path).values, reference(path))


def test_coordinates_and_attributes_unchanged(assembly_file) -> None:
    path, _ = assembly_file
    ours = read_dataarray(path)
    with xr.open_dataset(path, engine="netcdf4") as dataset:
        expected = dataset["data"].load()
    expected.attrs = {**expected.attrs, **dataset.attrs}
    xr.testing.assert_identical(ours.load(), expected)


def test_corrupt_chunk_raises_format_error_naming_the_file(assembly_file) -> None:
    path, _ = assembly_file
    layout = chunked_read.inspect(path, "data")
    offset, size, _ = next(iter(layout.index.values()))
    with open(path, "r+b") as file:
        file.seek(offset + size // 2)
        file.write(bytes(64))
    with pytest.raises(FormatError, match=r"assy\.nc.*(truncated or corrupt).*fetch it again"):
        chunked_read.read_all(layout)


def test_truncated_file_raises_format_error(assembly_file) -> None:
    path, _ = assembly_file
    layout = chunked_read.inspect(path, "data")
    last = max(offset + size for offset, size, _ in layout.index.values())
    os.truncate(path, last - 10)
    with pytest.raises(FormatError, match="assy.nc"):
        chunked_read.read_all(layout)


@pytest.mark.slow
def test_dask_cluster_of_processes_reads_chunks_in_parallel(assembly_file) -> None:
    """The values array travels to worker processes (pickled) and reads there."""
    distributed = pytest.importorskip("dask.distributed")
    path, values = assembly_file
    lazy = read_dataarray(path, chunks={"presentation": 74})  # 2 stored chunks
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
        ) as cluster,
        distributed.Client(cluster),
    ):
        total = lazy.sum("presentation").compute()
    np.testing.assert_allclose(total.values, values.sum(axis=0), rtol=1e-6)


def test_forked_child_reads_after_the_parent_did(assembly_file) -> None:
    """A child forked after the parent used the thread pool gets a pool of its own."""
    import multiprocessing

    path, values = assembly_file
    np.testing.assert_array_equal(read_dataarray(path).values, values)
    context = multiprocessing.get_context("fork")
    with context.Pool(1) as pool:
        total = pool.apply_async(_sum_of_values, (str(path),)).get(timeout=60)
    assert total == pytest.approx(float(values.sum(dtype=np.float64)))


def _sum_of_values(path: str) -> float:
    return float(read_dataarray(path).values.sum(dtype=np.float64))
