"""Decoded copies: a cached netCDF file's values kept uncompressed beside it, for warm loads.

Inflating a compressed data variable costs CPU time on every load (about a second for
MajajHong2015 written by BrainIO 1.x with zlib level 9). The first full read of the values of
a verified file in the cache therefore also writes them, as they are in memory, to an ``.npy``
file in the file's cache entry (``.<file>.decoded-<key>.npy``, written to a temporary file and
renamed into place), on a background thread once the values are handed to the load; later
loads (which wait for a copy still being written) read it at disk or page-cache speed. A long
string coordinate (148,480 ``stimulus_id``, read through netCDF-C one Python string at a time)
is kept the same way, as two copies: its codes and its distinct values
(:mod:`brainio.factorized`).

The original file stays the thing that is verified by sha1 and shared; the copy is only ever a
cheaper way to get the same values, and is never trusted: the file's verified marker records
it (file name, dtype, shape and a CRC-32 for every block of its values), and every read checks
every block. A copy that does not match its record (changed, truncated, swapped, or left over
from an earlier version of the file) is deleted and rebuilt from the original. ``brainio cache
info`` counts the space copies take; ``brainio cache verify`` checks them.

``BRAINIO_DECODED_COPIES=0`` turns them off: none is written or read.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import logging
import os
import tempfile
import threading
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from brainio import markers
from brainio.chunked_read import parallel
from brainio.hashing import sha1_text

if TYPE_CHECKING:
    from brainio.cache import Cache, CacheProblem

logger = logging.getLogger(__name__)

__all__ = [
    "ENABLED_ENV",
    "check",
    "enabled",
    "has_copy",
    "load",
    "settle",
    "store",
    "verify",
    "wanted",
]

#: Environment variable; ``0``, ``false``, ``no`` or ``off`` turns decoded copies off.
ENABLED_ENV = "BRAINIO_DECODED_COPIES"
#: Marker field holding the records of a file's decoded copies (by variable key).
MARKER_FIELD = "decoded"
#: Each block of this many bytes of values has its own CRC-32 (checked in parallel).
BLOCK_BYTES = 8 * 2**20
COPY_INFIX = markers.DECODED_INFIX

try:  # python-isal computes the same CRC-32 several times faster
    from isal.isal_zlib import crc32 as _crc32
except ImportError:  # pragma: no cover
    _crc32 = zlib.crc32


def enabled() -> bool:
    """Whether decoded copies are used (``$BRAINIO_DECODED_COPIES``, on by default)."""
    value = os.environ.get(ENABLED_ENV, "").strip().lower()
    return value not in ("0", "false", "no", "off")


def _key(group: str | None, variable: str, part: str | None = None) -> str:
    key = f"{group or ''}/{variable}"  # "/" is in no netCDF name: keys cannot collide
    return f"{key}/{part}" if part else key


def _copy_name(path: Path, key: str) -> str:
    return f".{path.name}{COPY_INFIX}{sha1_text(key)[:12]}.npy"


def is_copy(path: Path) -> bool:
    """Whether ``path`` names a decoded copy (or a temporary file of one)."""
    return path.name.startswith(".") and COPY_INFIX in path.name


def _checksums(values: np.ndarray) -> list[int]:
    flat = values.reshape(-1).view(np.uint8).data
    starts = list(range(0, len(flat), BLOCK_BYTES))
    sums = [0] * len(starts)

    def checksum(number: int) -> None:
        sums[number] = _crc32(flat[starts[number] : starts[number] + BLOCK_BYTES])

    parallel(checksum, list(range(len(starts))))
    return sums


# --- reading -----------------------------------------------------------------------------------


def _record(path: Path, key: str) -> dict | None:
    """The record of the decoded copy ``key``, if copies are on and there is one."""
    if not enabled():
        return None
    settle(path)
    marker = markers.verified(path)
    record = ((marker or {}).get(MARKER_FIELD) or {}).get(key)
    return record if isinstance(record, dict) else None


def has_copy(path: str | os.PathLike, group: str | None, variable: str) -> bool:
    """Whether ``variable`` of ``path`` has a decoded copy on record (not checked yet)."""
    return _record(Path(path), _key(group, variable)) is not None


def wanted(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a verified file in the cache without decoded copies yet (its first
    full read keeps them all), and copies are on."""
    if not enabled():
        return False
    settle(path)
    marker = markers.verified(Path(path))
    return marker is not None and not marker.get(MARKER_FIELD)


def load(
    path: str | os.PathLike, group: str | None, variable: str, part: str | None = None
) -> np.ndarray | None:
    """The values of ``variable`` (or of its ``part``, see :func:`store`) from the decoded copy
    of ``path``, or ``None`` when there is no copy that matches its record (a mismatching copy
    is deleted, so it gets rebuilt)."""
    path = Path(path)
    key = _key(group, variable, part)
    record = _record(path, key)
    if record is None:
        return None
    copy = path.with_name(_copy_name(path, key))
    try:
        return _read_copy(copy, record)
    except (OSError, ValueError, KeyError, TypeError) as error:
        logger.warning(
            "The decoded copy %s of %s does not match its record (%s); deleting it, the values "
            "are read from the original file and the copy is rebuilt.",
            copy,
            path,
            error,
        )
        _forget(path, key, copy)
        return None


_HEADER_READERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}


def _read_copy(copy: Path, record: dict) -> np.ndarray:
    descriptor = os.open(copy, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        with os.fdopen(os.dup(descriptor), "rb") as file:
            version = np.lib.format.read_magic(file)
            read_header = _HEADER_READERS.get(version)
            if read_header is None:
                raise ValueError(f"it is an .npy file of version {version}")
            shape, fortran, dtype = read_header(file)
            offset = file.tell()
        if fortran or list(shape) != record["shape"] or dtype.str != record["dtype"]:
            raise ValueError(f"holds {dtype.str} {list(shape)}, the record says otherwise")
        values = np.empty(shape, dtype=dtype)
        target = values.reshape(-1).view(np.uint8).data
        if os.fstat(descriptor).st_size != offset + len(target):
            raise ValueError("its size differs from the record's")
        expected = record["crc32"]
        starts = list(range(0, len(target), BLOCK_BYTES))
        if len(expected) != len(starts) or record.get("block_bytes") != BLOCK_BYTES:
            raise ValueError("the record has another block layout")

        def read(number: int) -> None:
            block = target[starts[number] : starts[number] + BLOCK_BYTES]
            if os.preadv(descriptor, [block], offset + starts[number]) != len(block):
                raise ValueError("it ends early")
            if _crc32(block) != expected[number]:
                raise ValueError(f"block {number} has another checksum")

        parallel(read, list(range(len(starts))))
        return values
    finally:
        os.close(descriptor)


# --- writing -----------------------------------------------------------------------------------


def store(
    path: str | os.PathLike,
    group: str | None,
    variable: str,
    values: np.ndarray,
    part: str | None = None,
    *,
    background: bool = False,
) -> None:
    """Keep ``values`` (just read from ``path``) as the decoded copy of ``variable``, or of one
    ``part`` of it (a string coordinate is kept as its ``codes`` and ``uniques``), if ``path``
    is a verified file in the cache and copies are on; never fails the load (a read-only cache
    is fine).

    With ``background``, the copy is written on a background thread and the caller gets on
    with ``values`` at once (writing hundreds of MiB can cost the kernel as long as inflating
    them). Reads of the file's copies in this process wait for it (:func:`settle`); values
    changed in place meanwhile make no copy (their checksums, taken first, are taken again
    after writing).
    """
    path = Path(path)
    if not enabled() or markers.verified(path) is None:
        return
    key = _key(group, variable, part)
    copy = path.with_name(_copy_name(path, key))
    values = np.ascontiguousarray(values)
    record = {
        "file": copy.name,
        "dtype": values.dtype.str,
        "shape": list(values.shape),
        "block_bytes": BLOCK_BYTES,
        "crc32": _checksums(values),
    }
    if not background:
        _write(path, key, copy, values, record)
        return
    with _pending_turn:
        _pending.setdefault(path, []).append(
            _writer().submit(_write, path, key, copy, values, record, recheck=True)
        )


def settle(path: str | os.PathLike | None = None) -> None:
    """Wait until the copies this process writes in the background (of ``path``, or all) are
    in place."""
    with _pending_turn:
        if path is None:
            writes = [future for futures in _pending.values() for future in futures]
            _pending.clear()
        else:
            writes = _pending.pop(Path(path), [])
    concurrent.futures.wait(writes)


def _write(
    path: Path, key: str, copy: Path, values: np.ndarray, record: dict, recheck: bool = False
) -> None:
    def put_in_place(marker: dict) -> dict:  # under the entry's lock: copy and record together
        os.replace(str(temp), copy)
        return _with_record(marker, key, record)

    temp: str | None = None
    try:
        descriptor, temp = tempfile.mkstemp(
            dir=path.parent, prefix=copy.name + ".", suffix=markers.PART_SUFFIX
        )
        with os.fdopen(descriptor, "wb") as file:
            np.lib.format.write_array(file, values, allow_pickle=False)
        if recheck and _checksums(values) != record["crc32"]:
            logger.debug("not keeping a decoded copy of %s: its values changed meanwhile", path)
            return
        if not _update_marker(path, put_in_place):
            return  # the entry is busy or its file changed: next time
    except OSError as error:
        logger.info("not keeping a decoded copy of %s: %s", path, error)
        return
    finally:
        if temp is not None:
            Path(temp).unlink(missing_ok=True)
    logger.debug("kept a decoded copy of %s (%s) in %s", path, key, copy)


#: Copies being written in the background, by the original file (see :func:`store`).
_pending: dict[Path, list[concurrent.futures.Future]] = {}
_pending_turn = threading.Lock()


@functools.cache
def _writer() -> concurrent.futures.ThreadPoolExecutor:
    return concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="brainio-decoded-copy")


def _forget_pending_writes() -> None:
    """A forked child has no writer thread, and nothing of the parent's to wait for."""
    global _pending_turn
    _writer.cache_clear()
    _pending.clear()
    _pending_turn = threading.Lock()


os.register_at_fork(after_in_child=_forget_pending_writes)


@functools.cache
def _marker_turn() -> threading.Lock:
    """Threads of this process take turns at markers: the entry's file lock is taken without
    waiting (another process may hold it for a whole download), so two threads recording
    copies at once (values read ahead, strings read) would otherwise make one of them give up.
    A forked child gets a new one (a thread of the parent may have held it)."""
    return threading.Lock()


os.register_at_fork(after_in_child=_marker_turn.cache_clear)


def _update_marker(path: Path, change: Callable[[dict], dict]) -> bool:
    from brainio.cache import update_marker  # only for files in the cache: imported then

    with _marker_turn():
        return update_marker(path, change)


def _with_record(marker: dict, key: str, record: dict | None) -> dict:
    records = dict(marker.get(MARKER_FIELD) or {})
    if record is None:
        records.pop(key, None)
    else:
        records[key] = record
    return {**marker, MARKER_FIELD: records}


def _forget(path: Path, key: str, copy: Path) -> None:
    with contextlib.suppress(OSError):
        copy.unlink(missing_ok=True)
        _update_marker(path, lambda marker: _with_record(marker, key, None))


# --- cache verify ------------------------------------------------------------------------------


def verify(cache: Cache) -> list[CacheProblem]:
    """Check the decoded copies of every cached file (``brainio cache verify``); delete those
    that do not match their records, and copies without one. Entries another process is
    fetching right now are skipped."""
    import filelock

    from brainio.cache import CacheProblem

    settle()
    problems = []
    for folder, _ in cache._entry_dirs():
        try:
            with cache._holding(cache._lock(folder), timeout=0):
                for child in sorted(folder.iterdir()):
                    if not child.name.startswith(".") and child.is_file():
                        problems += [
                            CacheProblem(copy, f"{message}; removed (rebuilt when needed)")
                            for copy, message in check(child)
                        ]
        except filelock.Timeout:
            continue
    return problems


def check(path: Path) -> list[tuple[Path, str]]:
    """Check every decoded copy of the cached file ``path`` (caller holds the entry's lock);
    delete those that do not match their records, and copies without one. Returns what was
    deleted and why."""
    marker = markers.verified(path) or {}
    records = marker.get(MARKER_FIELD) or {}
    problems, kept = [], set()
    for key, record in dict(records).items():
        copy = path.with_name(_copy_name(path, key))
        try:
            _read_copy(copy, record)
            kept.add(copy.name)
        except (OSError, ValueError, KeyError, TypeError) as error:
            problems.append((copy, f"decoded copy does not match its record ({error})"))
            copy.unlink(missing_ok=True)
            records = _with_record({MARKER_FIELD: records}, key, None)[MARKER_FIELD]
    if len(records) != len(marker.get(MARKER_FIELD) or {}):
        from brainio.cache import update_marker

        update_marker(path, lambda m: {**m, MARKER_FIELD: records}, locked=True)
    for child in path.parent.glob(f".{path.name}{COPY_INFIX}*.npy"):
        if child.name not in kept:
            problems.append((child, "decoded copy without a record"))
            child.unlink(missing_ok=True)
    return problems
