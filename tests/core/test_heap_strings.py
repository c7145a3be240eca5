"""String variables read from the global heap of real netCDF-4 files, against netCDF4's reading."""

from __future__ import annotations

from pathlib import Path

import h5py
import netCDF4
import numpy as np
import pytest

from brainio import heap_strings
from brainio.assemblies import NeuronRecordingAssembly

SIZE = 20_000


def write_strings(path: Path, columns: dict[str, list[str]], *, steps: int = 1, **options) -> Path:
    """A netCDF-4 file with one string variable per column, written in ``steps`` rounds that
    take turns between the variables (so they share heap collections)."""
    with netCDF4.Dataset(path, "w") as root:
        root.createDimension("presentation", len(next(iter(columns.values()))))
        variables = {
            name: root.createVariable(name, str, ("presentation",), **options) for name in columns
        }
        for bounds in np.array_split(np.arange(len(next(iter(columns.values())))), steps):
            for name, values in columns.items():
                chunk = np.array(values[bounds[0] : bounds[-1] + 1], dtype=object)
                variables[name][bounds[0] : bounds[-1] + 1] = chunk
    return path


def as_netcdf4_reads(path: Path, name: str, group: str | None = None) -> list[str]:
    with netCDF4.Dataset(path) as root:
        return list((root[group] if group else root)[name][:])


def values_of(strings) -> list[str]:
    return list(np.asarray(strings.uniques, dtype=object)[strings.codes])


def assert_reads_as_netcdf4(path: Path, name: str, group: str | None = None) -> None:
    strings = heap_strings.read(path, name, group)
    assert strings is not None
    assert values_of(strings) == as_netcdf4_reads(path, name, group)
    uniques = list(strings.uniques)
    assert uniques == sorted(set(uniques))
    assert strings.codes.dtype == np.intp


rng = np.random.default_rng(3)
COLUMNS = {
    "ids": [f"{value:040x}" for value in rng.integers(0, 2**62, 500)[rng.integers(0, 500, SIZE)]],
    "lengths": ["x" * int(n) + "é" * int(n % 3) for n in rng.integers(0, 70, SIZE)],
    "unicode": [["漢字", "ünïcödé", "🧠 brain", "", "a"][n] for n in rng.integers(0, 5, SIZE)],
    "edges": [["", "a" * 7, "b" * 8, "c" * 9, "d" * 16, "e" * 17][n % 6] for n in range(SIZE)],
}


@pytest.mark.parametrize("name", list(COLUMNS))
def test_strings_read_as_netcdf4_reads_them(tmp_path: Path, name: str) -> None:
    path = write_strings(tmp_path / "one.nc", {name: COLUMNS[name]})
    assert_reads_as_netcdf4(path, name)


def test_variables_sharing_heap_collections_read_as_netcdf4_reads_them(tmp_path: Path) -> None:
    """Written in turns, each variable's strings are spread over collections holding the
    other's: where guessing the next object's place fails, the collection is walked."""
    path = write_strings(tmp_path / "shared.nc", COLUMNS, steps=7)
    for name in COLUMNS:
        assert_reads_as_netcdf4(path, name)


def test_strings_in_a_group(tmp_path: Path) -> None:
    path = tmp_path / "group.nc"
    with netCDF4.Dataset(path, "w") as root:
        group = root.createGroup("assembly")
        group.createDimension("presentation", SIZE)
        group.createVariable("ids", str, ("presentation",))[:] = np.array(
            COLUMNS["ids"], dtype=object
        )
    assert_reads_as_netcdf4(path, "ids", "assembly")


def test_long_string_coordinates_load_as_netcdf4_reads_them(tmp_path: Path) -> None:
    path = tmp_path / "assembly.nc"
    with netCDF4.Dataset(path, "w") as root:
        root.createDimension("presentation", SIZE)
        root.createVariable("data", "f4", ("presentation",))[:] = np.arange(SIZE)
        root["data"].coordinates = "stimulus_id session"
        for name, column in (("stimulus_id", "ids"), ("session", "unicode")):
            root.createVariable(name, str, ("presentation",))[:] = np.array(
                COLUMNS[column], dtype=object
            )
    assembly = NeuronRecordingAssembly.from_files(path)
    assert list(assembly["stimulus_id"].values) == COLUMNS["ids"]
    assert list(assembly["session"].values) == COLUMNS["unicode"]
    assert assembly["session"].dtype == np.asarray(COLUMNS["unicode"]).dtype


def test_variables_it_does_not_read_are_left_to_netcdf4(tmp_path: Path) -> None:
    path = tmp_path / "others.nc"
    with netCDF4.Dataset(path, "w") as root:
        root.createDimension("presentation", SIZE)
        root.createVariable("numbers", "i8", ("presentation",))[:] = np.arange(SIZE)
        root.createDimension("chars", 4)
        root.createVariable("fixed", "S1", ("presentation", "chars"))[:] = b"a"
        chunked = root.createVariable("chunked", str, ("presentation",), chunksizes=(1000,))
        chunked[:] = np.array(COLUMNS["ids"], dtype=object)
        root.createVariable("unwritten", str, ("presentation",))
    for name in ("numbers", "fixed", "chunked", "unwritten", "absent"):
        assert heap_strings.read(path, name) is None, name


def test_one_long_string_among_short_ones_is_left_to_netcdf4(tmp_path: Path) -> None:
    """Held 8 bytes at a time in rows as wide as the longest string, 20,000 short strings and
    one of 100 kB would take 2 GB: netCDF4 reads them instead."""
    values = ["a"] * (SIZE - 1) + ["long" * 25_000]
    path = write_strings(tmp_path / "long.nc", {"ids": values})
    assert heap_strings.read(path, "ids") is None
    assert as_netcdf4_reads(path, "ids") == values


def heap_object_of_first_string(path: Path, name: str) -> int:
    """The file offset of the heap object holding the first string of ``name``."""
    with h5py.File(path, "r") as root:
        offset = root[name].id.get_offset()
    with open(path, "rb") as file:
        file.seek(offset)
        reference = np.frombuffer(file.read(16), heap_strings.REFERENCE)[0]
        collection, index = int(reference["collection"]), int(reference["index"])
        position = collection + 16
        while True:  # walk the collection to the object
            file.seek(position)
            header = np.frombuffer(file.read(16), [("index", "<u2"), ("x", "V6"), ("size", "<u8")])
            if int(header["index"][0]) == index:
                return position
            position += 16 + (int(header["size"][0]) + 7) // 8 * 8


@pytest.mark.parametrize(
    "tamper",
    ["collection signature", "collection size", "object index", "object size"],
)
def test_a_heap_that_does_not_match_its_references_is_not_trusted(tmp_path, tamper) -> None:
    path = write_strings(tmp_path / "bad.nc", {"ids": COLUMNS["ids"]})
    with h5py.File(path, "r") as root:
        offset = root["ids"].id.get_offset()
    with open(path, "rb") as file:
        file.seek(offset + 4)
        collection = int.from_bytes(file.read(8), "little")
    position = {
        "collection signature": collection,
        "collection size": collection + 14,  # larger than the file
        "object index": heap_object_of_first_string(path, "ids"),
        "object size": heap_object_of_first_string(path, "ids") + 8,
    }[tamper]
    with open(path, "r+b") as file:
        file.seek(position)
        file.write(b"\x77")
    assert heap_strings.read(path, "ids") is None


def test_strings_with_the_same_hash_are_not_merged(tmp_path, monkeypatch) -> None:
    """With a hash that only sees a string's last 8 bytes, different strings collide: the
    byte-for-byte check refuses to merge them."""
    path = write_strings(tmp_path / "collide.nc", {"ids": ["a-suffix!", "b-suffix!"] * SIZE})
    assert_reads_as_netcdf4(path, "ids")
    monkeypatch.setattr(heap_strings, "_HASH_MULTIPLIER", np.uint64(0))
    assert heap_strings.read(path, "ids") is None
