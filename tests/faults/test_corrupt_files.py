"""A damaged netCDF file is reported with its name and the fix, never as a raw HDF error."""

from __future__ import annotations

import os

import numpy as np
import pytest
import xarray as xr
from fault_tools import HEADER, brainio, python, sha1_of

from brainio.netcdf import write_netcdf

READ_VALUES = """
    import brainio
    assembly = brainio.get_assembly("lab.Assy2026", load_stimulus_set=False)
    try:
        print(float(assembly.values.sum()))
    except brainio.BrainIOError as error:
        print(type(error).__name__, error)
"""


def _assembly_file(path) -> bytes:
    values = np.random.default_rng(1).integers(0, 50, size=(400, 300)).astype("float32")
    assembly = xr.DataArray(
        values,
        dims=("presentation", "neuroid"),
        coords={
            "stimulus_id": ("presentation", [f"s{i}" for i in range(400)]),
            "neuroid_id": ("neuroid", [f"n{i}" for i in range(300)]),
        },
    )
    write_netcdf(assembly, path)
    return path.read_bytes()


def _damage(data: bytes) -> bytes:
    """The same bytes with a stretch in the middle of the values flipped (same size)."""
    damaged = bytearray(data)
    start = len(data) * 2 // 3
    damaged[start : start + 4096] = bytes(b ^ 0xFF for b in damaged[start : start + 4096])
    return bytes(damaged)


def _catalog(data: bytes) -> bytes:
    row = f"lab.Assy2026,assembly,NeuroidAssembly,local,assy.nc,{sha1_of(data)},"
    return f"{HEADER}\n{row}\n".encode()


@pytest.fixture
def good_file(tmp_path) -> bytes:
    return _assembly_file(tmp_path / "made.nc")


def test_corrupt_chunk_names_the_file_and_the_fix(good_file, install_catalog, brainio_home):
    damaged = _damage(good_file)
    env, _ = install_catalog("lab", _catalog(damaged), {"assy.nc": damaged})

    got = python(READ_VALUES, env=env)

    assert got.returncode == 0, got.stderr
    assert got.stdout.startswith("CorruptFileError Cannot read the values of the netCDF file")
    assert "assy.nc" in got.stdout and "brainio cache verify" in got.stdout
    assert "corrupt" in got.stdout  # the reason: a chunk that does not inflate or read


def test_cached_file_damaged_behind_the_markers_back(good_file, install_catalog, brainio_home):
    env, _ = install_catalog("lab", _catalog(good_file), {"assy.nc": good_file})
    # a decoded copy (brainio.decoded) would serve the values checked when it was made, and
    # the damaged file would never be read: this is about reading the file itself
    env = {**env, "BRAINIO_DECODED_COPIES": "0"}
    expected = python(READ_VALUES, env=env).stdout
    [cached] = brainio_home.rglob("assy.nc")
    stat = cached.stat()
    cached.write_bytes(_damage(good_file))
    os.utime(cached, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # size and mtime as verified

    damaged = python(READ_VALUES, env=env)

    assert damaged.stdout.startswith("CorruptFileError"), damaged.stdout + damaged.stderr
    assert str(cached) in damaged.stdout and "brainio cache verify" in damaged.stdout
    verify = brainio("cache", "verify", env=env)
    assert verify.returncode == 1 and f"{cached}: sha1 is" in verify.stdout
    assert python(READ_VALUES, env=env).stdout == expected  # fetched again, whole
