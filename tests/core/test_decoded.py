"""Decoded copies in the cache: built on the first full read, used on warm loads, never trusted.

Real files in a real cache (fetched by copying), real tampering of the copy on disk; the CLI
runs as a subprocess.
"""

from __future__ import annotations

import concurrent.futures
import json
import logging
import os
import sys
import threading
from pathlib import Path

import netCDF4
import numpy as np
import pytest
import xarray as xr

sys.path.insert(0, str(Path(__file__).parent))
import cache_helpers as helpers  # noqa: E402
from test_cache_cli import brainio_cache  # noqa: E402  (`brainio cache` as a subprocess)

from brainio import chunked_read, decoded, markers, netcdf  # noqa: E402
from brainio.assemblies import NeuronRecordingAssembly  # noqa: E402
from brainio.cache import get_cache  # noqa: E402
from brainio.errors import FormatError  # noqa: E402
from brainio.netcdf import read_dataarray  # noqa: E402

VALUES = (np.arange(400 * 12 * 2).reshape(400, 12, 2) % 997 * 0.5).astype(np.float32)


def write_recording(path: Path, values: np.ndarray = VALUES) -> Path:
    """A compressed (shuffle + deflate), chunked assembly file with coordinates, as 1.x wrote."""
    with netCDF4.Dataset(path, "w") as root:
        for dim, size in zip(("presentation", "neuroid", "time_bin"), values.shape, strict=True):
            root.createDimension(dim, size)
        data = root.createVariable(
            "data",
            "f4",
            ("presentation", "neuroid", "time_bin"),
            zlib=True,
            shuffle=True,
            chunksizes=(64, 5, 1),
        )
        data[...] = values
        data.coordinates = "stimulus_id neuroid_id time_bin_start"
        stimulus = root.createVariable("stimulus_id", str, ("presentation",))
        stimulus[:] = np.array([f"s{i % 7}" for i in range(values.shape[0])], dtype=object)
        root.createVariable("neuroid_id", "i8", ("neuroid",))[:] = np.arange(values.shape[1])
        root.createVariable("time_bin_start", "i8", ("time_bin",))[:] = [70, 170][: values.shape[2]]
        root.setncattr("identifier", "test.decoded")
    return path


@pytest.fixture
def cached(tmp_path: Path) -> Path:
    """A verified netCDF file in the cache at BRAINIO_HOME."""
    remote = write_recording(tmp_path / "remote.nc")
    return get_cache().fetch(helpers.make_source(remote), fetcher=helpers.copy_fetcher)


def copies(path: Path) -> list[Path]:
    """The decoded copies of ``path`` on disk, once those being written are in place."""
    decoded.settle(path)
    return sorted(path.parent.glob(f".{path.name}{decoded.COPY_INFIX}*.npy"))


def marker(path: Path) -> dict | None:
    """The file's marker, once the copies being written are recorded in it."""
    decoded.settle(path)
    return markers.read(path)


def record(path: Path) -> dict | None:
    return (marker(path) or {}).get(decoded.MARKER_FIELD, {}).get("/data")


def break_original_keeping_its_marker(path: Path) -> None:
    """Overwrite a compressed chunk in place, same size and mtime: the marker still vouches for
    the file, so only reading its values can tell (a load that does is an error)."""
    stat = path.stat()
    offset, size, _ = next(iter(chunked_read.inspect(path, "data").index.values()))
    with open(path, "r+b") as file:
        file.seek(offset + size // 2)
        file.write(bytes(32))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert markers.verified(path) is not None


def test_first_full_read_keeps_a_copy_recorded_in_the_marker(cached: Path) -> None:
    assert copies(cached) == []
    np.testing.assert_array_equal(read_dataarray(cached).values, VALUES)
    [copy] = copies(cached)
    entry = record(cached)
    assert entry["file"] == copy.name
    assert entry["shape"] == list(VALUES.shape) and entry["dtype"] == VALUES.dtype.str
    np.testing.assert_array_equal(np.load(copy), VALUES)
    assert not list(cached.parent.glob("*.part"))  # written to a temporary file, renamed


def test_warm_loads_read_the_copy(cached: Path) -> None:
    read_dataarray(cached).load()
    break_original_keeping_its_marker(cached)
    np.testing.assert_array_equal(read_dataarray(cached).values, VALUES)


def test_selections_do_not_build_a_copy(cached: Path, monkeypatch) -> None:
    """Without reading ahead (which reads all values, and so builds the copy)."""
    monkeypatch.setenv(netcdf.READ_AHEAD_ENV, "0")
    np.testing.assert_array_equal(read_dataarray(cached)[:10, 2].values, VALUES[:10, 2])
    assert copies(cached) == []


def test_values_read_ahead_build_the_copy(cached: Path) -> None:
    np.testing.assert_array_equal(read_dataarray(cached)[:10, 2].values, VALUES[:10, 2])
    assert len(copies(cached)) == 1


@pytest.mark.parametrize("string_block", [netcdf.STRING_BLOCK, 64], ids=["values", "+strings"])
def test_assembly_identical_with_and_without_copies(
    cached: Path, monkeypatch, string_block
) -> None:
    """With blocks of 64 strings, the 400 stimulus ids are kept as copies too."""
    monkeypatch.setattr(netcdf, "STRING_BLOCK", string_block)
    monkeypatch.setenv(decoded.ENABLED_ENV, "0")
    without = NeuronRecordingAssembly.from_files(cached).load()
    assert copies(cached) == []
    monkeypatch.delenv(decoded.ENABLED_ENV)
    building = NeuronRecordingAssembly.from_files(cached).load()
    from_copy = NeuronRecordingAssembly.from_files(cached).load()
    assert len(copies(cached)) == (3 if string_block == 64 else 1)
    for assembly in (building, from_copy):
        xr.testing.assert_identical(assembly, without)
        assert assembly.attrs == without.attrs


@pytest.mark.parametrize("tamper", ["flip-byte", "truncate", "other-values", "drop-record"])
def test_tampered_copy_is_detected_and_rebuilt(cached: Path, tmp_path, caplog, tamper) -> None:
    read_dataarray(cached).load()
    [copy] = copies(cached)
    if tamper == "flip-byte":
        with open(copy, "r+b") as file:
            file.seek(copy.stat().st_size - 100)
            byte = file.read(1)
            file.seek(-1, os.SEEK_CUR)
            file.write(bytes([byte[0] ^ 0xFF]))
    elif tamper == "truncate":
        os.truncate(copy, copy.stat().st_size - 8)
    elif tamper == "other-values":  # a well-formed copy of the same shape, other values
        np.save(copy, VALUES + 1)
    else:  # a copy the marker does not vouch for is not used
        written = marker(cached)
        del written[decoded.MARKER_FIELD]
        markers.marker_path(cached).write_text(json.dumps(written))
        np.save(copy, VALUES + 1)
    with caplog.at_level(logging.WARNING, logger="brainio.decoded"):
        np.testing.assert_array_equal(read_dataarray(cached).values, VALUES)
    if tamper != "drop-record":
        assert "does not match its record" in caplog.text and copy.name in caplog.text
    # rebuilt from the original, and trusted again only because it matches
    decoded.settle(cached)
    np.testing.assert_array_equal(np.load(copy), VALUES)
    assert record(cached)["file"] == copy.name
    break_original_keeping_its_marker(cached)
    np.testing.assert_array_equal(read_dataarray(cached).values, VALUES)


# --- string coordinates: kept as codes and unique values --------------------------------------

STIMULUS_IDS = [f"s{i % 7}" for i in range(VALUES.shape[0])]  # as write_recording writes them


@pytest.fixture
def long_strings(monkeypatch) -> None:
    """Strings are copied when they fill a block: make the 400 stimulus ids do."""
    monkeypatch.setattr(netcdf, "STRING_BLOCK", 64)


def string_copy(path: Path, part: str) -> Path:
    records = (marker(path) or {})[decoded.MARKER_FIELD]
    return path.with_name(records[f"/stimulus_id/{part}"]["file"])


def test_long_string_coordinates_are_kept_as_codes_and_unique_values(
    cached: Path, long_strings
) -> None:
    read_dataarray(cached).load()
    records = marker(cached)[decoded.MARKER_FIELD]
    assert set(records) == {"/data", "/stimulus_id/codes", "/stimulus_id/uniques"}
    uniques = np.load(string_copy(cached, "uniques"))
    codes = np.load(string_copy(cached, "codes"))
    assert uniques.tolist() == sorted(set(STIMULUS_IDS))
    assert uniques[codes].tolist() == STIMULUS_IDS


def test_short_string_coordinates_are_read_from_the_file(cached: Path) -> None:
    read_dataarray(cached).load()
    assert set(marker(cached)[decoded.MARKER_FIELD]) == {"/data"}


def test_warm_loads_take_string_coordinates_from_their_copies(cached: Path, long_strings) -> None:
    read_dataarray(cached).load()
    others = np.array([f"t{i}" for i in range(7)])
    decoded.store(cached, None, "stimulus_id", others, "uniques")  # recorded: trusted as it is
    assert set(read_dataarray(cached)["stimulus_id"].values) == set(others)


@pytest.mark.parametrize(
    "tamper", ["flip-byte", "truncate", "codes-out-of-range", "codes-of-another-length"]
)
def test_tampered_string_copies_are_detected_and_rebuilt(
    cached: Path, long_strings, caplog, tamper
) -> None:
    read_dataarray(cached).load()
    codes_copy = string_copy(cached, "codes")
    codes = np.load(codes_copy)
    if tamper == "flip-byte":
        with open(codes_copy, "r+b") as file:
            file.seek(-8, os.SEEK_END)
            file.write(b"\xff" * 8)
    elif tamper == "truncate":
        os.truncate(string_copy(cached, "uniques"), 200)
    elif tamper == "codes-out-of-range":  # recorded, so only their values can tell
        decoded.store(cached, None, "stimulus_id", codes + 7, "codes")
    else:
        decoded.store(cached, None, "stimulus_id", codes[:-1], "codes")
    with caplog.at_level(logging.WARNING, logger="brainio.decoded"):
        assert read_dataarray(cached)["stimulus_id"].values.tolist() == STIMULUS_IDS
    if tamper in ("flip-byte", "truncate"):
        assert "does not match its record" in caplog.text
    np.testing.assert_array_equal(np.load(string_copy(cached, "codes")), codes)  # rebuilt
    assert np.load(string_copy(cached, "uniques")).tolist() == sorted(set(STIMULUS_IDS))


@pytest.fixture
def writer_held():
    """The background writer of copies, held until the test lets it go (``.set()``)."""
    go = threading.Event()
    decoded._writer().submit(go.wait, 30)
    yield go
    go.set()


def test_reads_wait_for_a_copy_written_in_the_background(cached: Path, writer_held) -> None:
    decoded.store(cached, None, "data", VALUES, background=True)
    assert markers.read(cached).get(decoded.MARKER_FIELD) is None  # not written yet
    threading.Timer(0.2, writer_held.set).start()
    np.testing.assert_array_equal(decoded.load(cached, None, "data"), VALUES)  # waited


def test_values_changed_while_their_copy_is_written_make_no_copy(cached: Path, writer_held) -> None:
    values = VALUES.copy()
    decoded.store(cached, None, "data", values, background=True)
    values[0, 0, 0] += 1  # the caller changes them in place before the copy is written
    writer_held.set()
    assert copies(cached) == [] and record(cached) is None
    assert decoded.load(cached, None, "data") is None


def test_copies_stored_by_threads_at_once_are_all_recorded(cached: Path) -> None:
    """Values read ahead and strings are stored from two threads: neither may give up."""
    parts = [f"part{number}" for number in range(8)]
    with concurrent.futures.ThreadPoolExecutor(len(parts)) as pool:
        for part in parts:
            pool.submit(decoded.store, cached, None, "stimulus_id", np.arange(1000), part)
    records = marker(cached)[decoded.MARKER_FIELD]
    assert set(records) == {f"/stimulus_id/{part}" for part in parts}
    for part in parts:
        np.testing.assert_array_equal(decoded.load(cached, None, "stimulus_id", part), range(1000))


# --- decoded ahead of the load (what get_assembly does while the stimulus set extracts) ----------


def decoded_ahead(path: Path):
    """``decode_ahead(path)`` run to its end: the values read in the background are in."""
    ahead = netcdf.decode_ahead(path)
    if ahead is not None:
        ahead.values()
    return ahead


def test_copies_kept_ahead_make_the_load_a_warm_one(cached: Path, long_strings) -> None:
    decoded_ahead(cached)
    records = marker(cached)[decoded.MARKER_FIELD]
    assert set(records) == {"/data", "/stimulus_id/codes", "/stimulus_id/uniques"}
    break_original_keeping_its_marker(cached)
    assert not decoded.wanted(cached)
    np.testing.assert_array_equal(read_dataarray(cached).values, VALUES)


def test_the_load_takes_over_the_values_decoded_ahead(cached: Path) -> None:
    ahead = decoded_ahead(cached)
    with netcdf.values_read_ahead(ahead):
        first = read_dataarray(cached).values
        second = read_dataarray(cached).values  # not the first one's array: read again
    third = read_dataarray(cached).values
    np.testing.assert_array_equal(first, VALUES)
    assert np.shares_memory(first, ahead.values())
    assert not np.shares_memory(second, first) and not np.shares_memory(third, first)
    np.testing.assert_array_equal(second, VALUES)


def test_values_decoded_ahead_are_only_taken_by_a_load_of_their_file(
    cached: Path, tmp_path: Path
) -> None:
    ahead = decoded_ahead(cached)
    other = write_recording(tmp_path / "other.nc", VALUES + 1)
    with netcdf.values_read_ahead(ahead):
        np.testing.assert_array_equal(read_dataarray(other).values, VALUES + 1)
        assert np.shares_memory(read_dataarray(cached).values, ahead.values())


@pytest.mark.parametrize("setting", [decoded.ENABLED_ENV, netcdf.READ_AHEAD_ENV])
def test_no_copies_kept_ahead_when_the_load_would_not_read_them(
    cached: Path, monkeypatch, setting
) -> None:
    monkeypatch.setenv(setting, "0")
    assert decoded_ahead(cached) is None
    assert copies(cached) == [] and record(cached) is None


def test_no_copies_kept_ahead_for_files_outside_the_cache(tmp_path: Path) -> None:
    path = write_recording(tmp_path / "mine.nc")
    assert not decoded.wanted(path)
    assert decoded_ahead(path) is None
    assert copies(path) == []


def test_decoding_ahead_leaves_errors_to_the_load(cached: Path) -> None:
    break_original_keeping_its_marker(cached)
    ahead = netcdf.decode_ahead(cached)  # does not raise
    with pytest.raises(FormatError, match="remote.nc"), netcdf.values_read_ahead(ahead):
        read_dataarray(cached).load()
    assert copies(cached) == []


def test_a_child_forked_while_a_copy_is_recorded_records_its_own(cached: Path) -> None:
    """A thread of the parent holding the marker turn at the fork does not block the child."""
    import multiprocessing

    turn = decoded._marker_turn()
    with turn:  # as a thread recording a copy would at that moment
        child = multiprocessing.get_context("fork").Process(
            target=decoded.store, args=(cached, None, "stimulus_id", np.arange(3), "forked")
        )
        child.start()
        child.join(timeout=30)
        if child.exitcode is None:
            child.kill()
    assert child.exitcode == 0
    np.testing.assert_array_equal(decoded.load(cached, None, "stimulus_id", "forked"), range(3))


def test_setting_turns_copies_off(cached: Path, monkeypatch) -> None:
    read_dataarray(cached).load()
    monkeypatch.setenv(decoded.ENABLED_ENV, "off")
    break_original_keeping_its_marker(cached)
    with pytest.raises(FormatError, match="remote.nc"):  # the copy is not read
        read_dataarray(cached).load()


def test_setting_off_writes_no_copy(cached: Path, monkeypatch) -> None:
    monkeypatch.setenv(decoded.ENABLED_ENV, "false")
    read_dataarray(cached).load()
    assert copies(cached) == [] and record(cached) is None


def test_files_outside_the_cache_get_no_copy(tmp_path: Path) -> None:
    path = write_recording(tmp_path / "mine.nc")
    np.testing.assert_array_equal(read_dataarray(path).values, VALUES)
    assert copies(path) == []


def test_files_outside_the_cache_load_without_importing_the_cache(tmp_path, run_python) -> None:
    """Looking for a decoded copy reads a marker, nothing more: a load of local files does not
    pay for importing the cache's locks, fetchers and plugins (nor attrs)."""
    path = write_recording(tmp_path / "mine.nc")
    result = run_python(f"""
        import sys
        from brainio.assemblies import NeuronRecordingAssembly
        assembly = NeuronRecordingAssembly.from_files({str(path)!r})
        print(float(assembly.values.sum()))
        machinery = {{"brainio.cache", "brainio.plugins", "filelock", "attrs"}}
        print(sorted(machinery & set(sys.modules)))
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == [str(float(VALUES.sum())), "[]"]


def test_uncompressed_files_get_no_copy(tmp_path: Path) -> None:
    remote = tmp_path / "plain.nc"
    xr.DataArray(VALUES, dims=["presentation", "neuroid", "time_bin"], name="data").to_netcdf(
        remote, engine="netcdf4"
    )
    path = get_cache().fetch(helpers.make_source(remote), fetcher=helpers.copy_fetcher)
    np.testing.assert_array_equal(read_dataarray(path).values, VALUES)
    assert copies(path) == []


def test_a_refetched_original_does_not_use_the_old_copy(cached: Path) -> None:
    """Replacing the original (new size/mtime) voids its marker, and with it the copy."""
    read_dataarray(cached).load()
    write_recording(cached, VALUES * 2)  # someone rewrote the cached file
    assert decoded.load(cached, None, "data") is None


def test_cache_info_shows_the_space_copies_take(cached: Path) -> None:
    read_dataarray(cached).load()
    [copy] = copies(cached)
    report = json.loads(brainio_cache("info", "--json").stdout)
    [entry] = report["entries"]
    assert entry["decoded_size"] == copy.stat().st_size == report["decoded_size"]
    assert entry["size"] == cached.stat().st_size + copy.stat().st_size
    text = brainio_cache("info").stdout
    assert "decoded cop" in text and decoded.ENABLED_ENV in text


def test_cache_verify_removes_a_tampered_copy(cached: Path) -> None:
    read_dataarray(cached).load()
    [copy] = copies(cached)
    np.save(copy, VALUES + 1)
    result = brainio_cache("verify", "--json")
    report = json.loads(result.stdout)
    assert result.returncode == 1
    assert [problem["path"] for problem in report["problems"]] == [str(copy)]
    assert "does not match its record" in report["problems"][0]["message"]
    assert not copy.exists() and record(cached) is None
    assert cached.exists()  # the original is fine and stays
    assert brainio_cache("verify").returncode == 0


def test_cache_verify_keeps_good_copies_and_removes_orphans(cached: Path) -> None:
    read_dataarray(cached).load()
    [copy] = copies(cached)
    orphan = cached.with_name(f".{cached.name}{decoded.COPY_INFIX}000000000000.npy")
    np.save(orphan, VALUES)
    report = json.loads(brainio_cache("verify", "--json").stdout)
    assert [problem["path"] for problem in report["problems"]] == [str(orphan)]
    assert copy.exists() and record(cached) is not None and not orphan.exists()
