"""Values read ahead: in the background while the coordinates are read, in memory afterwards.

Whether the values were read ahead is seen from outside: the file's chunks are damaged after
it was opened, and the values either still come (they were read before) or the damage is
reported (they are read on first use).
"""

from __future__ import annotations

from pathlib import Path

import netCDF4
import numpy as np
import pytest

from brainio import chunked_read, netcdf
from brainio.errors import CorruptFileError
from brainio.netcdf import read_dataarray

VALUES = (np.arange(120 * 7).reshape(120, 7) % 97 * 0.5).astype(np.float32)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    """Shuffled and deflated values in several chunks, with a coordinate, as 1.x wrote."""
    path = tmp_path / "assembly.nc"
    with netCDF4.Dataset(path, "w") as root:
        root.createDimension("presentation", VALUES.shape[0])
        root.createDimension("neuroid", VALUES.shape[1])
        data = root.createVariable(
            "data", "f4", ("presentation", "neuroid"), zlib=True, shuffle=True,
            chunksizes=(50, 4),
        )  # fmt: skip
        data[...] = VALUES
        data.coordinates = "stimulus_id"
        ids = np.array([f"image-{number % 30}" for number in range(VALUES.shape[0])], object)
        root.createVariable("stimulus_id", str, ("presentation",))[:] = ids
    return path


def damage_chunks(path: Path) -> None:
    layout = chunked_read.inspect(path, "data")
    with open(path, "r+b") as file:
        for offset, size, _ in layout.index.values():
            file.seek(offset)
            file.write(bytes(size))


def wait_for_reading_ahead() -> None:
    netcdf._read_ahead_pool().submit(lambda: None).result()  # one thread: after the others


def test_values_read_ahead_come_from_memory(path) -> None:
    array = read_dataarray(path)
    wait_for_reading_ahead()
    damage_chunks(path)
    np.testing.assert_array_equal(array[10:60:3, [0, 6]].values, VALUES[10:60:3][:, [0, 6]])
    np.testing.assert_array_equal(array.values, VALUES)


@pytest.mark.parametrize(
    "settings",
    [{"env": "0"}, {"env": "off"}, {"fraction": 0.0}, {"chunks": {}}],
    ids=["off", "off-word", "larger-than-memory-share", "dask"],
)
def test_without_reading_ahead_values_are_read_on_first_use(path, monkeypatch, settings) -> None:
    if "env" in settings:
        monkeypatch.setenv(netcdf.READ_AHEAD_ENV, settings["env"])
    if "fraction" in settings:
        monkeypatch.setattr(netcdf, "READ_AHEAD_MEMORY_FRACTION", settings["fraction"])
    if "chunks" in settings:
        pytest.importorskip("dask")
    array = read_dataarray(path, chunks=settings.get("chunks"))
    wait_for_reading_ahead()
    damage_chunks(path)
    with pytest.raises(CorruptFileError, match=r"assembly\.nc"):
        array.values  # noqa: B018


def test_damage_found_while_reading_ahead_is_reported_when_values_are_used(path) -> None:
    damage_chunks(path)
    array = read_dataarray(path)  # the coordinates are fine; the call succeeds
    assert list(array["stimulus_id"].values[:2]) == ["image-0", "image-1"]
    with pytest.raises(CorruptFileError, match=r"assembly\.nc.*fetch it again"):
        array.values  # noqa: B018
