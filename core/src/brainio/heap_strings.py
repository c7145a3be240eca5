"""String variables read straight from the file's global heap, factorized, without HDF5.

netCDF-4 keeps every string of a string variable as one object in the HDF5 file's global heap,
and the variable as a reference to it per element (16 bytes: length, address of the heap
collection, index in the collection). netCDF-C resolves the references one at a time and
netCDF4 makes a Python string of each: about 0.1 s for the 148,480 ``stimulus_id`` of
MajajHong2015, on every load. Reading the few heap collections whole and finding the objects
with numpy takes a fraction of that, and gives the column as :mod:`brainio.factorized` holds
it (codes into the sorted distinct values) without a Python string per element.

The references are only trusted as far as they are checked: every object must carry the index
and length its reference promises, inside its collection, and equal strings must be equal byte
for byte. Anything this module does not expect (chunked or filtered storage, a user block,
other address sizes, a heap that does not match) makes :func:`read` return ``None``, and
netCDF4 reads the variable as before.
"""

from __future__ import annotations

import logging
import mmap
import os

import numpy as np
import pandas as pd

from brainio.factorized import FactorizedArray

logger = logging.getLogger(__name__)

__all__ = ["read"]

#: A reference to a heap object, as a variable-length string element is stored.
REFERENCE = np.dtype([("length", "<u4"), ("collection", "<u8"), ("index", "<u4")])
_COLLECTION_HEADER = 16  # "GCOL", version 1, 3 reserved bytes, the collection's size (8 bytes)
_OBJECT_HEADER = 16  # index (2 bytes), reference count (2), reserved (4), size (8)
_SIGNATURE = int.from_bytes(b"GCOL\x01", "little")
_HASH_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)


class _Unexpected(Exception):
    """The file is not laid out as this module reads it."""


def read(
    path: str | os.PathLike, variable: str, group: str | None = None
) -> FactorizedArray | None:
    """The 1-D string ``variable`` factorized, or ``None`` when this module does not read it
    (netCDF4 does then)."""
    try:
        offset, count = _storage(path, variable, group)
        with open(path, "rb") as file:  # mapped: the heap is read where it lies, not copied
            mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        # the 8 bytes from every byte of the file on, as one number
        words = np.ndarray((len(mapped) - 7,), "<u8", buffer=mapped, strides=(1,))
        references = np.frombuffer(mapped, REFERENCE, count, offset)
        addresses, ends = _collections(words, references)
        data = _objects(words, addresses, ends, references)
        return _factorized(words, data, references["length"].astype(np.int64))
    except (_Unexpected, OSError, LookupError, ValueError, TypeError) as error:
        logger.debug("reading %s:%s through netCDF4: %s", path, variable, error)
        return None


def _storage(path: str | os.PathLike, variable: str, group: str | None) -> tuple[int, int]:
    """Where the references of ``variable`` are, and how many there are."""
    import h5py

    with h5py.File(path, "r") as file:
        dataset = (file[group] if group else file)[variable]
        string = h5py.check_string_dtype(dataset.dtype)
        if string is None or string.length is not None or dataset.ndim != 1:
            raise _Unexpected("not a 1-D variable-length string")
        plist = dataset.id.get_create_plist()
        if plist.get_layout() != h5py.h5d.CONTIGUOUS or plist.get_nfilters():
            raise _Unexpected("not stored contiguous and unfiltered")
        offset = dataset.id.get_offset()
        count = dataset.shape[0]
        if file.userblock_size or offset is None or count == 0:
            raise _Unexpected("no references at the file's start of addresses")
        if dataset.id.get_storage_size() != count * REFERENCE.itemsize:
            raise _Unexpected("references of another size")
    return offset, count


def _collections(words: np.ndarray, references: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where the heap collections the references point into start (sorted) and end."""
    addresses = np.unique(references["collection"][references["length"] > 0])
    if len(addresses) and addresses[-1] + _COLLECTION_HEADER > len(words) + 7:
        raise _Unexpected("references past the end of the file")
    addresses = addresses.astype(np.int64)
    sizes = words[addresses + 8]
    if (sizes < _COLLECTION_HEADER).any() or (sizes > len(words) + 7 - addresses).any():
        raise _Unexpected("heap collections of impossible sizes")
    ends = addresses + sizes.astype(np.int64)
    signed = words[addresses] & 0xFF_FFFF_FFFF == _SIGNATURE  # "GCOL", version 1
    if not (signed.all() and (ends[:-1] <= addresses[1:]).all()):
        raise _Unexpected("references to no heap collection")
    return addresses, ends


def _objects(
    words: np.ndarray, addresses: np.ndarray, ends: np.ndarray, references: np.ndarray
) -> np.ndarray:
    """Where in the file the data of each referenced object start (0 for empty strings).

    netCDF writes a variable's strings one after the other, so each object is guessed to
    follow the previous reference's object in its collection; collections where a guess is
    wrong (they also hold other variables' strings) are walked object by object."""
    used = np.flatnonzero(references["length"])
    collection = np.searchsorted(addresses, references["collection"][used])
    index = references["index"][used].astype(np.int64)
    key = collection << 32 | index
    if not (key[1:] >= key[:-1]).all():  # as netCDF writes them, they need no sorting
        order = np.argsort(key, kind="stable")
        used, collection, index = used[order], collection[order], index[order]
    del key
    length = references["length"][used].astype(np.int64)
    header = np.cumsum(_OBJECT_HEADER + (length + 7) // 8 * 8)  # the next object's
    header = np.r_[0, header[:-1]]
    first = np.flatnonzero(np.r_[True, collection[1:] != collection[:-1]])
    header -= np.repeat(header[first], np.diff(np.r_[first, len(collection)]))
    header += addresses[collection] + _COLLECTION_HEADER
    wrong = ~_is_object(words, header, index, length, ends[collection])
    for number in np.unique(collection[wrong]).tolist():
        found = _walk(words, int(addresses[number]), int(ends[number]))
        mine = np.flatnonzero(collection == number)
        header[mine] = [found.get(key, -1) for key in index[mine].tolist()]
        if not _is_object(words, header[mine], index[mine], length[mine], ends[number]).all():
            raise _Unexpected("a reference to an object its collection does not hold")
    data = np.zeros(len(references), np.int64)
    data[used] = header + _OBJECT_HEADER
    return data


def _is_object(words, header, index, length, end) -> np.ndarray:
    """Whether an object of ``index`` and ``length`` (data padded to 8 bytes, inside its
    collection) starts at each ``header``."""
    inside = (header >= 0) & (header + _OBJECT_HEADER + (length + 7) // 8 * 8 <= end)
    at = np.where(inside, header, 0)
    return inside & (words[at] & 0xFFFF == index) & (words[at + 8] == length)


def _walk(words: np.ndarray, start: int, end: int) -> dict[int, int]:
    """Index -> header position of every object of one collection, read one by one."""
    found, position = {}, start + _COLLECTION_HEADER
    while position + _OBJECT_HEADER <= end:
        index, size = int(words[position]) & 0xFFFF, int(words[position + 8])
        if index == 0:  # the collection's free space: no objects after it
            break
        found[index] = position
        position += _OBJECT_HEADER + (size + 7) // 8 * 8
    return found


def _factorized(words: np.ndarray, at: np.ndarray, lengths: np.ndarray) -> FactorizedArray:
    """Factorize the strings of ``lengths`` bytes at byte ``at`` of the file, 8 bytes at a
    time: a hash of each string, then a check that equal hashes are equal strings."""
    width = int(lengths.max() + 7) // 8
    if len(at) * width > 2 * (lengths.sum() // 8 + 2 * len(at)) + 2**17:
        raise _Unexpected("strings of very different lengths")  # each would take the longest's room

    def column(number: int, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """The ``number``-th 8 bytes of the strings in ``rows`` (zeros past their end)."""
        found = words[np.minimum(at[rows] + 8 * number, len(words) - 1)]
        valid = np.clip(lengths[rows] - 8 * number, 0, 8).astype(np.uint64)
        short = np.flatnonzero(valid < 8)
        found[short] &= (np.uint64(1) << np.uint64(8) * valid[short]) - np.uint64(1)
        return found

    digest = lengths.astype(np.uint64)
    for number in range(width):
        digest *= _HASH_MULTIPLIER
        digest ^= column(number)
    codes, _ = pd.factorize(digest)
    del digest
    running = np.maximum.accumulate(codes)
    first = np.flatnonzero(np.r_[True, running[1:] > running[:-1]])  # codes come in order
    del running
    same = lengths == lengths[first][codes]
    for number in range(width):
        same &= column(number) == column(number, first)[codes]
    if not same.all():
        raise _Unexpected("two strings with the same hash")
    # netCDF-C ends a string at its first NUL, as netCDF4 reads it
    fixed = np.stack([column(number, first) for number in range(width)], axis=1)
    texts = np.ascontiguousarray(fixed, "<u8").view(f"S{8 * width}").ravel().tolist()
    distinct = [text.partition(b"\0")[0].decode("utf-8") for text in texts]
    if len(set(distinct)) != len(distinct):
        raise _Unexpected("strings that differ only after a NUL")
    order = np.argsort(np.asarray(distinct, dtype=object), kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    uniques = pd.Index([distinct[position] for position in order.tolist()], dtype=object)
    return FactorizedArray(rank[codes].astype(np.intp), uniques)
