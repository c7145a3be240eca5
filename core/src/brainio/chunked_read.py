"""Reading a netCDF-4 variable's values at the pace of the hardware, not of the codec.

HDF5 (under netCDF4 and h5py) inflates a variable's chunks one after another on one core and
copies them through its own buffers. Here the chunk index is read once (with h5py), then the
raw chunks are read with ``pread`` and inflated on a thread pool, with a codec that releases
the GIL (:mod:`isal` when installed, about twice as fast, else :mod:`zlib`) 512 KiB at a
time, each piece straight into its place in the final array (HDF5's shuffle is undone in the
same strided copy), or, for a small chunk whose rows are short there, into a buffer of the
chunk's size first (see ``CHUNK_BUFFER_BYTES``).

Handled: chunked or contiguous storage, the deflate and shuffle filters (what BrainIO 1.x and
this project write), native-endian numbers. :func:`inspect` returns ``None`` for anything else
(other filters, checksums, compact storage), which netCDF4 then reads as before.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import functools
import itertools
import logging
import math
import os
import queue
import zlib
from pathlib import Path

import numpy as np

from brainio.errors import CorruptFileError

logger = logging.getLogger(__name__)

__all__ = ["THREADS_ENV", "Layout", "inspect", "parallel", "read_all", "read_box", "threads"]

#: Environment variable: how many threads inflate chunks (default: the CPUs this process may use).
THREADS_ENV = "BRAINIO_DECODE_THREADS"
DEFLATE, SHUFFLE = 1, 2  # HDF5 filter ids
#: Contiguous (unfiltered) values are read in blocks of this size, in parallel.
BLOCK_BYTES = 16 * 2**20

try:  # python-isal: zlib-compatible, inflates about twice as fast, releases the GIL
    from isal.isal_zlib import decompressobj as _inflater
    from isal.isal_zlib import error as _InflateError
except ImportError:  # pragma: no cover - isal is an optional speed-up
    _inflater, _InflateError = zlib.decompressobj, zlib.error  # type: ignore[assignment]


@dataclasses.dataclass(frozen=True)  # not attrs: a load from local files does not import it
class Layout:
    """Where a variable's values are in its file: enough to read them without HDF5.

    ``index`` maps a chunk's grid position to ``(byte offset, stored size, filter mask)``;
    chunks never written are absent (they hold ``fill_value``). Contiguous storage is one
    chunk of the whole shape, unfiltered.
    """

    path: str
    shape: tuple[int, ...]
    dtype: str
    chunks: tuple[int, ...]
    filters: tuple[int, ...]  # HDF5 filter ids in the order they were applied on writing
    index: dict = dataclasses.field(repr=False)
    fill_value: object = 0
    contiguous: bool = False

    @property
    def filtered(self) -> bool:
        return bool(self.filters)


def inspect(path: str | os.PathLike, variable: str, group: str | None = None) -> Layout | None:
    """The layout of ``variable`` (in ``group``) of the netCDF-4 file ``path``, or ``None`` if
    it uses something this module does not decode (netCDF4 reads it then)."""
    import h5py

    try:
        with h5py.File(path, "r") as file:
            node = file[group] if group else file
            dataset = node[variable]
            return _layout(str(path), dataset)
    except (OSError, KeyError, ValueError, TypeError) as error:
        logger.debug("not reading %s:%s in parallel: %s", path, variable, error)
        return None


def _layout(path: str, dataset) -> Layout | None:
    import h5py

    dtype = dataset.dtype
    if dtype.kind not in "iuf" or not dtype.isnative or dataset.ndim == 0 or dataset.size == 0:
        return None
    plist = dataset.id.get_create_plist()
    filters = tuple(plist.get_filter(i)[0] for i in range(plist.get_nfilters()))
    if any(code not in (DEFLATE, SHUFFLE) for code in filters):
        return None
    fill_value = dataset.fillvalue
    layout = plist.get_layout()
    if layout == h5py.h5d.CONTIGUOUS:
        offset = dataset.id.get_offset()
        if offset is None:  # never written
            return None
        index = {(0,) * dataset.ndim: (offset, dataset.id.get_storage_size(), 0)}
        return Layout(path, dataset.shape, dtype.str, dataset.shape, (), index, fill_value, True)
    if layout != h5py.h5d.CHUNKED:
        return None
    chunks = dataset.chunks
    index = {}

    def add(info) -> None:
        position = tuple(
            start // size for start, size in zip(info.chunk_offset, chunks, strict=True)
        )
        index[position] = (info.byte_offset, info.size, info.filter_mask)

    try:
        dataset.id.chunk_iter(add)
    except (AttributeError, NotImplementedError):  # HDF5 < 1.12.3
        for number in range(dataset.id.get_num_chunks()):
            add(dataset.id.get_chunk_info(number))
    return Layout(path, dataset.shape, dtype.str, chunks, filters, index, fill_value)


# --- reading -----------------------------------------------------------------------------------


@functools.cache
def _pool() -> concurrent.futures.ThreadPoolExecutor:
    return concurrent.futures.ThreadPoolExecutor(threads(), thread_name_prefix="brainio-decode")


# a forked child (multiprocessing, DataLoader workers) has no pool threads: it starts its own
os.register_at_fork(after_in_child=_pool.cache_clear)


def threads() -> int:
    """Threads that inflate chunks: ``$BRAINIO_DECODE_THREADS``, else the usable CPUs."""
    configured = os.environ.get(THREADS_ENV, "").strip()
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def parallel(task, items: list) -> None:
    """``task(item)`` for every item, on the pool when there is more than one."""
    if len(items) <= 1:
        for item in items:
            task(item)
        return
    for future in [_pool().submit(task, item) for item in items]:
        future.result()


def read_all(layout: Layout) -> np.ndarray:
    """Every value of the variable, in a new array."""
    if layout.contiguous:
        return _read_contiguous(layout)
    return read_box(layout, (0,) * len(layout.shape), layout.shape)


def _read_contiguous(layout: Layout) -> np.ndarray:
    out = np.empty(layout.shape, dtype=layout.dtype)
    target = out.reshape(-1).view(np.uint8).data
    ((offset, size, _),) = layout.index.values()
    if size != out.nbytes:
        raise _corrupt(layout, f"{size} bytes stored for {out.nbytes} bytes of values")
    starts = list(range(0, size, BLOCK_BYTES))
    with _opened(layout) as descriptor:

        def read(start: int) -> None:
            block = target[start : start + BLOCK_BYTES]
            if os.preadv(descriptor, [block], offset + start) != len(block):
                raise _corrupt(layout, "the file ends early")

        parallel(read, starts)
    return out


def read_box(layout: Layout, starts: tuple[int, ...], stops: tuple[int, ...]) -> np.ndarray:
    """The values in ``[starts, stops)`` (per dimension), reading only the chunks they touch."""
    out = np.empty(
        [stop - start for start, stop in zip(starts, stops, strict=True)], dtype=layout.dtype
    )
    grid = [
        range(start // size, math.ceil(stop / size))
        for start, stop, size in zip(starts, stops, layout.chunks, strict=True)
    ]
    spare: queue.SimpleQueue[np.ndarray] = queue.SimpleQueue()  # chunk buffers of this read
    with _opened(layout) as descriptor:

        def read(position: tuple[int, ...]) -> None:
            _read_chunk(layout, descriptor, position, starts, stops, out, spare)

        parallel(read, list(itertools.product(*grid)))
    return out


#: A chunk whose part in the array is not contiguous there (rows of a few values) is inflated
#: into a buffer of its size, which stays in the CPU cache, then copied, if it is no larger
#: than this; a larger one is written straight into the array, in slower strided copies, so
#: that a read never holds more than this per thread beside the values (BrainIO 1.x wrote
#: chunks of 16-17 MiB: one per core would add up to more than the values on a large machine).
CHUNK_BUFFER_BYTES = 4 * 2**20


def _read_chunk(layout: Layout, descriptor: int, position, starts, stops, out, spare) -> None:
    """Inflate one chunk and write the part of it inside the box into ``out``: straight into
    its place, or through a chunk buffer from ``spare`` (see ``CHUNK_BUFFER_BYTES``)."""
    origins = [index * size for index, size in zip(position, layout.chunks, strict=True)]
    inner = tuple(  # the part of the chunk inside the box, in chunk coordinates
        slice(max(start, origin) - origin, min(stop, origin + size) - origin)
        for start, stop, origin, size in zip(starts, stops, origins, layout.chunks, strict=True)
    )
    destination = out[
        tuple(
            slice(part.start + origin - start, part.stop + origin - start)
            for part, origin, start in zip(inner, origins, starts, strict=True)
        )
    ]
    entry = layout.index.get(position)
    if entry is None:  # never written: HDF5's fill value
        destination[...] = layout.fill_value
        return
    whole = destination.shape == tuple(layout.chunks) and destination.flags.c_contiguous
    chunk_bytes = math.prod(layout.chunks) * np.dtype(layout.dtype).itemsize
    if whole or chunk_bytes > CHUNK_BUFFER_BYTES:
        _inflate_into(layout, descriptor, entry, destination, inner)
        return
    buffer = _chunk_buffer(spare, layout.chunks, layout.dtype)
    _inflate_into(layout, descriptor, entry, buffer, tuple(slice(0, n) for n in layout.chunks))
    destination[...] = buffer[inner]
    spare.put(buffer)


def _inflate_into(layout: Layout, descriptor: int, entry, destination, inner) -> None:
    """Inflate the chunk stored at ``entry`` and write its part ``inner`` (in chunk
    coordinates) into ``destination``, piece by piece: no copy of the compressed or the
    inflated chunk is kept. HDF5's shuffle is undone on the way."""
    offset, size, mask = entry
    applied = [code for number, code in enumerate(layout.filters) if not mask & (1 << number)]
    itemsize = np.dtype(layout.dtype).itemsize
    # the destination's bytes, one more axis for the bytes of a value (a view of it); axes
    # one value long are dropped (numpy copies fewer, longer rows)
    kept = [axis for axis, extent in enumerate(layout.chunks) if extent > 1] or [len(inner) - 1]
    squeeze = tuple(slice(None) if axis in kept else 0 for axis in range(len(inner)))
    target = destination[..., None].view(np.uint8)[squeeze]
    shape, inner = tuple(layout.chunks[axis] for axis in kept), tuple(inner[a] for a in kept)
    if SHUFFLE in applied:  # the chunk's bytes are planes: all first bytes, all second, ...
        planes = [target[..., byte] for byte in range(itemsize)]
    else:  # the chunk's bytes are its values' bytes, in order
        shape, planes, inner = (*shape, itemsize), [target], (*inner, slice(0, itemsize))
    length = math.prod(shape)  # bytes of a plane
    expected = length * len(planes)
    pieces = (
        _inflated(layout, descriptor, offset, size)
        if DEFLATE in applied
        else _stored(layout, descriptor, offset, size)
    )
    written = 0
    for piece in pieces:
        if written + len(piece) > expected:
            raise _corrupt(layout, f"a chunk holds more than its {expected} bytes")
        data = np.frombuffer(piece, np.uint8)
        while len(data):
            plane, element = divmod(written, length)
            count = min(len(data), length - element)
            _scatter(planes[plane], shape, inner, element, data[:count])
            data, written = data[count:], written + count
    if written != expected:
        raise _corrupt(layout, f"a chunk holds {written} bytes instead of {expected}")


def _scatter(
    target: np.ndarray,
    shape: tuple[int, ...],
    inner: tuple[slice, ...],
    start: int,
    data: np.ndarray,
) -> None:
    """Write ``data``, the elements ``start, start + 1, ...`` (in C order) of a block of
    ``shape``, into ``target``: the part ``inner`` of that block. Elements outside ``inner``
    (a chunk's part beyond the array's edge or outside a selection) are skipped. Whole rows go
    in one strided copy; a piece's partial first and last rows recurse one dimension down."""
    first, rest = inner[0], inner[1:]
    if len(shape) == 1:
        low, high = max(start, first.start), min(start + len(data), first.stop)
        if low < high:
            target[low - first.start : high - first.start] = data[low - start : high - start]
        return
    row = math.prod(shape[1:])
    end = start + len(data)
    full_from, full_to = -(-start // row), end // row  # the rows this piece holds whole
    if full_from > full_to:  # inside one row
        _scatter_row(target, shape, inner, start // row, start % row, data)
        return
    head = full_from * row - start
    if head:
        _scatter_row(target, shape, inner, full_from - 1, row - head, data[:head])
    low, high = max(full_from, first.start), min(full_to, first.stop)
    if low < high:
        rows = data[(low - full_from) * row + head : (high - full_from) * row + head]
        target[low - first.start : high - first.start] = rows.reshape(-1, *shape[1:])[
            (slice(None), *rest)
        ]
    if end > full_to * row:
        _scatter_row(target, shape, inner, full_to, 0, data[full_to * row - start :])


def _scatter_row(target, shape, inner, index: int, start: int, data: np.ndarray) -> None:
    """Part of row ``index`` of the block (see :func:`_scatter`), if the row is inside."""
    if inner[0].start <= index < inner[0].stop:
        _scatter(target[index - inner[0].start], shape[1:], inner[1:], start, data)


#: Bytes read and inflated at a time: small enough to stay in the CPU cache, large enough
#: that the GIL-free codec does almost all of the work. What a decoding thread's allocator
#: keeps after a read grows with it: about 3 MiB a thread with 256 KiB, 7 MiB with 512 KiB.
PIECE_BYTES = 2**18


def _stored(layout: Layout, descriptor: int, offset: int, size: int):
    """The stored bytes of a chunk in pieces (``pread``)."""
    for start in range(0, size, PIECE_BYTES):
        piece = os.pread(descriptor, min(PIECE_BYTES, size - start), offset + start)
        if not piece:
            raise _corrupt(layout, "the file ends early")
        yield piece


def _inflated(layout: Layout, descriptor: int, offset: int, size: int):
    """The inflated bytes of a deflated chunk in pieces of at most ``PIECE_BYTES``."""
    inflater = _inflater()
    try:
        for stored in _stored(layout, descriptor, offset, size):
            while stored:
                piece = inflater.decompress(stored, PIECE_BYTES)
                stored = inflater.unconsumed_tail
                yield piece
        rest = inflater.flush()
    except (zlib.error, _InflateError) as error:  # type: ignore[misc]
        raise _corrupt(layout, f"a chunk does not inflate ({error})") from error
    if not inflater.eof:
        raise _corrupt(layout, "a chunk ends before its compressed stream does")
    if rest:
        yield rest


def _chunk_buffer(spare: queue.SimpleQueue, chunks: tuple[int, ...], dtype) -> np.ndarray:
    """A chunk-sized array: one a thread of this read is done with, else a new one. One read
    makes at most as many as it runs threads, and frees them when it ends."""
    try:
        return spare.get_nowait()
    except queue.Empty:
        return np.empty(chunks, dtype)


class _opened:
    """A read-only file descriptor for ``pread`` (shared by the threads of one read)."""

    def __init__(self, layout: Layout) -> None:
        self.path = layout.path

    def __enter__(self) -> int:
        self.descriptor = os.open(self.path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        return self.descriptor

    def __exit__(self, *exc) -> None:
        os.close(self.descriptor)


def _corrupt(layout: Layout, problem: str) -> CorruptFileError:
    return CorruptFileError(
        f"Cannot read the values of the netCDF file '{Path(layout.path)}': {problem}; it is "
        "truncated or corrupt. Delete it and fetch it again (`brainio cache verify` finds and "
        "removes broken cache entries)."
    )
