"""Writing a netCDF-4 variable's values with its chunks compressed on all cores.

HDF5 (under netCDF4) shuffles and deflates a variable's chunks one after another on one core,
with zlib: about 4 s for MajajHong2015's 145 MiB at level 1. Here the variable is created by
netCDF4 as usual (chunk shape, filters, attributes), its values left unwritten; then each chunk
is shuffled and deflated on the thread pool of :mod:`brainio.chunked_read` (with ISA-L when
installed, about ten times faster than zlib at level 1, same format) and written as it is with
h5py's ``write_direct_chunk``. The file is the one HDF5 would have written, byte for byte in
each chunk's decoded values; any netCDF-4 reader reads it.
"""

from __future__ import annotations

import itertools
import os
import zlib

import numpy as np

from brainio.chunked_read import DEFLATE, SHUFFLE, _pool, threads

__all__ = ["write_all"]

try:  # python-isal: the zlib format, many times faster at low levels, releases the GIL
    from isal.isal_zlib import ISAL_BEST_COMPRESSION
    from isal.isal_zlib import compress as _isal_compress

    def _deflate(data: bytes | memoryview, level: int) -> bytes:
        return _isal_compress(data, min(level, ISAL_BEST_COMPRESSION))

except ImportError:  # pragma: no cover - isal is an optional speed-up

    def _deflate(data: bytes | memoryview, level: int) -> bytes:
        return zlib.compress(data, level)


def write_all(
    path: str | os.PathLike, variable: str, group: str | None, values: np.ndarray
) -> None:
    """Write ``values`` as every chunk of ``variable`` (in ``group``) of the netCDF-4 file
    ``path``, which netCDF4 created chunked, with shuffle and/or deflate, and left unwritten."""
    import h5py

    with h5py.File(path, "r+") as file:
        dataset = (file[group] if group else file)[variable]
        plist = dataset.id.get_create_plist()
        pipeline = [plist.get_filter(number) for number in range(plist.get_nfilters())]
        if any(code not in (SHUFFLE, DEFLATE) for code, *_ in pipeline):
            raise ValueError(f"{variable} has filters other than shuffle and deflate")
        values = np.ascontiguousarray(values, dtype=dataset.dtype)
        if values.shape != dataset.shape:
            raise ValueError(f"{variable} is {dataset.shape}, the values {values.shape}")
        chunks = dataset.chunks

        def encode(origin: tuple[int, ...]) -> np.ndarray:
            block = np.zeros(chunks, values.dtype)  # edge chunks are stored whole, padded
            part = values[
                tuple(
                    slice(start, start + size) for start, size in zip(origin, chunks, strict=True)
                )
            ]
            block[tuple(slice(0, length) for length in part.shape)] = part
            data = block.reshape(-1).view(np.uint8)
            for code, _, options, _ in pipeline:  # in the order HDF5 applies them on writing
                if code == SHUFFLE:
                    data = data.reshape(-1, values.dtype.itemsize).T.copy().reshape(-1)
                else:
                    deflated = _deflate(data.data, options[0] if options else 6)
                    data = np.frombuffer(deflated, np.uint8)
            return data

        origins = list(
            itertools.product(
                *(range(0, length, size) for length, size in zip(values.shape, chunks, strict=True))
            )
        )
        window = 2 * threads()  # chunks encoded ahead of the one being written, at most
        for start in range(0, len(origins), window):
            batch = origins[start : start + window]
            for origin, data in zip(batch, _pool().map(encode, batch), strict=True):
                dataset.id.write_direct_chunk(origin, data)
