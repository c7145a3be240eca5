"""Reading and writing assemblies as netCDF-4 files, in the convention BrainIO 1.x established.

The convention (see docs and the BrainIO 1.x specification): one data variable, ``data``; every
coordinate stored as a plain 1-D variable on its dimension (MultiIndexes are reset on write and
rebuilt by the assembly classes on load; no index metadata is stored); the assembly's attributes
as global attributes (and, as 1.x did, also on ``data``, which is where 1.x reads them); extra
assemblies in netCDF groups. Files written here therefore load in BrainIO 1.1.0 and vice versa.

What differs from 1.x's writer:

- a dimension with a single coordinate keeps that coordinate's name (1.x wrote ``neuroid_``);
- explicit chunks of a few MiB along the largest dimensions, so that a selection (say 1/8 of the
  neuroids) reads only part of the file, with shuffle + deflate level 1 (fast, and smaller than
  1.x's zlib level 9 without shuffle) where a trial on the first chunk shows it saves space, and
  no filter on noise-like values that deflate cannot shrink; variable-length strings are never
  compressed (netCDF4 >= 1.6 refuses filters on them);
- attributes netCDF cannot store raise :class:`~brainio.errors.PackagingError` naming them;
- the file appears atomically (temp file in the same folder, then rename), also when appending.

This module only knows ``xarray.DataArray``; the assembly classes live in :mod:`brainio.assemblies`.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import contextlib
import contextvars
import dataclasses
import functools
import logging
import math
import numbers
import os
import shutil
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

import netCDF4
import numpy as np
import pandas as pd
import xarray as xr
from xarray.backends import BackendArray, NetCDF4BackendEntrypoint, NetCDF4DataStore
from xarray.backends.common import ArrayWriter
from xarray.backends.netCDF4_ import NetCDF4ArrayWrapper
from xarray.backends.store import StoreBackendEntrypoint
from xarray.core import indexing
from xarray.core.utils import close_on_error

from brainio import chunked_read, chunked_write, decoded, heap_strings
from brainio.atomic import atomic_path
from brainio.errors import BrainIOError, CorruptFileError, FormatError, PackagingError
from brainio.factorized import FactorizedArray, factorized
from brainio.hashing import sha1_hash

logger = logging.getLogger(__name__)

__all__ = [
    "DATA_VARIABLE",
    "decode_ahead",
    "list_groups",
    "read_dataarray",
    "values_read_ahead",
    "write_netcdf",
]

#: Name of the one data variable in files written here (and by BrainIO 1.x with compress=True).
DATA_VARIABLE = "data"
#: What xarray names an unnamed DataArray on disk (BrainIO 1.x with compress=False).
LEGACY_DATA_VARIABLE = "__xarray_dataarray_variable__"

#: Upper bound for the size of one chunk of a written variable.
CHUNK_TARGET_BYTES = 4 * 2**20
#: Compress a variable only if its first chunk shrinks by at least this fraction: values that
#: deflate cannot shrink (random bits, already-compressed bytes) are stored as they are, which
#: writes and reads many times faster. Even full-mantissa float32 noise saves ~12-17%.
MIN_SAVING = 0.1

#: Deflate level: 1 compresses nearly as well as 9 once shuffled, at a fraction of the time.
DEFLATE_LEVEL = 1

#: Read errors that mean "this file is not (entirely) netCDF-4". netCDF4 reports
#: unknown formats and HDF5 errors as OSError/RuntimeError; xarray as ValueError.
_READ_ERRORS = (OSError, RuntimeError, ValueError, KeyError, IndexError)


# --- reading ----------------------------------------------------------------------------------


def read_dataarray(
    path: str | os.PathLike | BinaryIO,
    group: str | None = None,
    chunks: Mapping[str, int] | str | int | None = None,
) -> xr.DataArray:
    """Read the single data variable of a netCDF file (or of one of its groups) as it is stored.

    Every stored coordinate comes back as a plain coordinate (no MultiIndex; the assembly
    classes rebuild those), the data variable is named ``data`` whatever its name on disk
    (``data``, the legacy ``__xarray_dataarray_variable__``, or any single data variable), and
    the global (or group) attributes are in ``attrs``.

    :param path: a local file, or an open, seekable binary file object (e.g. a remote file a
        plugin opened in place, see ``brainio_opener``), read through h5netcdf: only the
        bytes a selection needs are read from it.
    :param group: a netCDF group (see :func:`list_groups`), or ``None`` for the root group.
    :param chunks: dask chunks (e.g. ``{"presentation": 10_000}``, ``"auto"`` or ``{}`` for the
        file's own chunks) for a dask-backed array; ``None`` (as BrainIO 1.x) gives values read
        in the background while the coordinates are read (see :data:`READ_AHEAD_ENV`), in
        memory when first used. Coordinates are always in memory.
    :raises FormatError: the file is empty, truncated or not netCDF, the group does not exist,
        or the file holds more or fewer than one data variable.
    """
    if _is_file_object(path):
        return _read_file_object(path, group, chunks)
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No netCDF file at '{path}'.")
    where = f"'{path}'" + (f" (group '{group}')" if group else "")
    if path.stat().st_size == 0:
        raise FormatError(
            f"The netCDF file {where} is empty. Delete it and fetch it again "
            "(`brainio cache verify` finds and removes broken cache entries)."
        )
    if group is not None:
        groups = list_groups(path)
        if group not in groups:
            raise FormatError(
                f"The netCDF file {where} has no group '{group}'; its groups are "
                f"{groups or 'none'}. Check the group name."
            )
    try:  # coordinates in memory, values lazy: dask chunks only the values (below)
        dataset = xr.open_dataset(
            path,
            group=group,
            engine=_ParallelNetCDF4Backend,
            decode_timedelta=True,
            read_ahead=chunks is None,
        )
    except _READ_ERRORS as error:
        raise _unreadable(where, error) from error
    array = _single_variable(dataset, where)
    if chunks is None:
        return array
    return array.copy(deep=False, data=_dask_values(array.variable, chunks))


def _dask_values(variable: xr.Variable, chunks: Mapping[str, int] | str | int):
    """The variable's values as a dask array, chunked as ``xarray.open_dataset(chunks=...)``
    would: dimensions ``chunks`` does not name (all, for ``{}``) follow the file's chunks."""
    from dask.array.core import normalize_chunks

    stored = variable.encoding.get("preferred_chunks", {})
    if isinstance(chunks, Mapping):
        wanted = tuple(chunks.get(dim, stored.get(dim, -1)) for dim in variable.dims)
    else:
        wanted = chunks
    previous = tuple(
        stored.get(dim, size) for dim, size in zip(variable.dims, variable.shape, strict=True)
    )
    spec = normalize_chunks(wanted, variable.shape, dtype=variable.dtype, previous_chunks=previous)
    return variable.chunk(dict(zip(variable.dims, spec, strict=True))).data


class _ParallelNetCDF4Backend(NetCDF4BackendEntrypoint):
    """xarray's netCDF4 backend (the reference netCDF-C library, as BrainIO 1.x used; faster
    than h5netcdf on MajajHong2015-sized files), with the data variables' values read by
    :mod:`brainio.chunked_read` (chunks inflated in parallel) and, for files in the cache,
    from their decoded copies (:mod:`brainio.decoded`); with ``read_ahead``, that starts in
    the background before the coordinates are read. Coordinates are read by netCDF4,
    strings factorized as they are read (:mod:`brainio.factorized`)."""

    open_dataset_parameters = (
        "filename_or_obj", "mask_and_scale", "decode_times", "concat_characters",
        "decode_coords", "drop_variables", "use_cftime", "decode_timedelta", "group",
        "read_ahead",
    )  # fmt: skip

    def open_dataset(
        self,
        filename_or_obj,
        *,
        mask_and_scale=True,
        decode_times=True,
        concat_characters=True,
        decode_coords=True,
        drop_variables=None,
        use_cftime=None,
        decode_timedelta=None,
        group=None,
        read_ahead=False,
    ) -> xr.Dataset:
        path = os.fspath(filename_or_obj)
        store = _FactorizingStore.open(path, mode="r", group=group)
        with close_on_error(store), store._manager.acquire_context():  # as xarray's backend
            ahead = _start_reading_ahead(store, path, group) if read_ahead else None
            dataset = StoreBackendEntrypoint().open_dataset(
                store,
                mask_and_scale=mask_and_scale,
                decode_times=decode_times,
                concat_characters=concat_characters,
                decode_coords=decode_coords,
                drop_variables=drop_variables,
                use_cftime=use_cftime,
                decode_timedelta=decode_timedelta,
            )
        for name in dataset.data_vars:
            variable = dataset.variables[name]
            stored = _stored_array(variable)
            if stored is None:  # decoded by xarray (scaled, masked, times): netCDF4 reads it
                continue
            values = _ValuesArray(path, group, str(name), stored)
            if ahead is not None and ahead.name == name:
                values.ahead = ahead
            variable.data = indexing.LazilyIndexedArray(values)
        return dataset


#: String variables are read this many elements at a time (see FactorizedArray.from_blocks).
STRING_BLOCK = 2**14


class _FactorizingStore(NetCDF4DataStore):
    """xarray's netCDF4 store, with 1-D variable-length string variables read at once and
    factorized (:mod:`brainio.factorized`), instead of decoded to fixed-width arrays; for a
    file in the cache, from the decoded copies of their codes and unique values."""

    def open_store_variable(self, name: str, var: netCDF4.Variable) -> xr.Variable:
        variable = super().open_store_variable(name, var)
        masked = {"_FillValue", "missing_value"} & set(var.ncattrs())
        if var.dtype is str and var.ndim == 1 and not masked:
            variable.data = indexing.LazilyIndexedArray(self._strings(name, var))
        return variable

    def _strings(self, name: str, var: netCDF4.Variable) -> FactorizedArray:
        """The strings of ``var`` factorized. When they fill a block: from their decoded
        copies when the file is in the cache, else from the file's heap; shorter ones (and any
        the heap reader does not read) through netCDF4, which is faster for them."""
        long = len(var) >= STRING_BLOCK
        strings = _copied_strings(self._filename, self._group, name, len(var)) if long else None
        if strings is not None:
            return strings
        with self.lock:
            strings = heap_strings.read(self._filename, name, self._group) if long else None
            if strings is None:
                starts = range(0, len(var), STRING_BLOCK)
                strings = FactorizedArray.from_blocks(
                    var[start : start + STRING_BLOCK] for start in starts
                )
        if long:
            _copy_strings(self._filename, self._group, name, strings)
        return strings


def _copied_strings(path: str, group: str | None, name: str, size: int) -> FactorizedArray | None:
    """String variable ``name`` from the decoded copies of its codes and unique values."""
    codes = decoded.load(path, group, name, "codes")
    uniques = decoded.load(path, group, name, "uniques") if codes is not None else None
    if uniques is None or codes.shape != (size,) or codes.dtype != np.intp:
        return None
    if size and not 0 <= codes.min() <= codes.max() < len(uniques):
        return None
    return FactorizedArray(codes, pd.Index(uniques.astype(object), dtype=object))


def _copy_strings(path: str, group: str | None, name: str, strings: FactorizedArray) -> None:
    """Keep the codes and unique values of a string variable as decoded copies (netCDF strings
    end at their first NUL, so a fixed-width array holds them unchanged)."""
    decoded.store(path, group, name, strings.codes, "codes")
    decoded.store(path, group, name, np.asarray(strings.uniques, dtype=str), "uniques")


def _stored_array(variable: xr.Variable) -> NetCDF4ArrayWrapper | None:
    """The netCDF4 array behind ``variable`` if xarray reads it as stored (no CF decoding)."""
    data = variable._data
    if not isinstance(data, indexing.LazilyIndexedArray):
        return None
    stored = data.array
    if not isinstance(stored, NetCDF4ArrayWrapper) or stored.shape != variable.shape:
        return None
    if stored.dtype != variable.dtype or stored.dtype.kind not in "iuf":
        return None
    return stored


class _ValuesArray(BackendArray):
    """The values of one variable: a full read comes from the decoded copy or from all chunks
    inflated in parallel; a selection inflates only the chunks it touches."""

    def __init__(self, path, group, name, stored: NetCDF4ArrayWrapper) -> None:
        self.path, self.group, self.name = path, group, name
        self.stored = stored
        self.shape = stored.shape
        self.dtype = stored.dtype
        self.ahead: _ReadAhead | None = None

    @functools.cached_property
    def layout(self) -> chunked_read.Layout | None:
        """Where the chunks are; looked up on first read (a decoded copy does not need it)."""
        if self.ahead is not None and self.ahead.layout is not None:
            return self.ahead.layout
        return chunked_read.inspect(self.path, self.name, self.group)

    def __getitem__(self, key):
        return indexing.explicit_indexing_adapter(
            key, self.shape, indexing.IndexingSupport.OUTER, self._getitem
        )

    def _getitem(self, key: tuple):
        values = self.ahead.values() if self.ahead is not None else None
        if values is not None:  # read ahead: every selection comes from memory
            return _outer_index(values, key)
        if all(isinstance(part, slice) and part == slice(None) for part in key):
            return self._read_all()
        box = _bounding_box(key, self.shape)
        if box is None or self.layout is None:
            return self.stored[indexing.OuterIndexer(key)]
        starts, stops, relative = box
        if list(starts) == [0] * len(self.shape) and list(stops) == list(self.shape):
            return _outer_index(self._read_all(), relative)
        return _outer_index(chunked_read.read_box(self.layout, starts, stops), relative)

    def _read_all(self) -> np.ndarray:
        values = _read_values(self.path, self.group, self.name, self.layout)
        if values is None:  # a layout chunked_read does not decode
            return self.stored[indexing.BasicIndexer((slice(None),) * len(self.shape))]
        return values


def _read_values(path: str, group: str | None, name: str, layout) -> np.ndarray | None:
    """All values of variable ``name``: from its decoded copy, else inflated from the file's
    chunks (and kept as the decoded copy); ``None`` if ``layout`` is ``None`` (not decodable
    here) and there is no copy."""
    values = decoded.load(path, group, name)
    if values is not None or layout is None:
        return values
    values = chunked_read.read_all(layout)
    if layout.filtered:  # written in the background: the values are handed over first
        decoded.store(path, group, name, values, background=True)
    return values


def decode_ahead(path: str | os.PathLike) -> _ReadAhead | None:
    """Start decoding a netCDF file just fetched into the cache, before it is loaded: its
    values are read in the background (and kept as their decoded copy, see
    :mod:`brainio.decoded`) while the decoded copies of its long string coordinates are kept
    here. ``get_assembly`` does this while the stimulus set extracts, and hands the values to
    the load (:func:`values_read_ahead`), which then needs neither to inflate nor to read them.

    ``None`` (and nothing done) if the file has copies already, is not in the cache or copies
    are off, or if its values would not be read ahead (see :data:`READ_AHEAD_ENV`). Never
    raises: a file that cannot be read here raises its error when it is loaded.
    """
    path = os.fspath(path)
    if not decoded.wanted(path):
        return None
    try:
        store = _FactorizingStore.open(path, mode="r")
        with contextlib.closing(store), store._manager.acquire_context():
            plan = _values_to_read_ahead(store, path, None)
            ahead = _submit(path, None, *plan) if plan and plan[1] is not None else None
            store.get_variables()  # string coordinates factorized, their copies kept
        return ahead
    except (*_READ_ERRORS, BrainIOError) as error:
        logger.debug("no decoding ahead of loading %s: %s", path, error)
        return None


#: Values read ahead that the next load of their file in this context takes over (a list, so
#: that the first load empties it: a second load must not share the first one's array).
_handed_over: contextvars.ContextVar[list[_ReadAhead] | None] = contextvars.ContextVar(
    "brainio_values_handed_over", default=None
)


@contextlib.contextmanager
def values_read_ahead(ahead: _ReadAhead | None) -> Iterator[None]:
    """The first load of ``ahead``'s file in the block takes its values from ``ahead`` (see
    :func:`decode_ahead`); after the block nothing holds them but the loaded assembly."""
    token = _handed_over.set([ahead] if ahead is not None else [])
    try:
        yield
    finally:
        _handed_over.reset(token)


#: Environment variable; ``0``, ``false``, ``no`` or ``off`` turns reading the values ahead off.
READ_AHEAD_ENV = "BRAINIO_READ_AHEAD"
#: Values larger than this fraction of the machine's memory are not read ahead.
READ_AHEAD_MEMORY_FRACTION = 0.25


@dataclasses.dataclass(frozen=True)
class _ReadAhead:
    """Values being read in the background: the file, the variable, its layout and the
    result."""

    path: str
    group: str | None
    name: str
    layout: chunked_read.Layout | None
    future: concurrent.futures.Future

    def values(self) -> np.ndarray | None:
        return self.future.result()


@functools.cache
def _read_ahead_pool() -> concurrent.futures.ThreadPoolExecutor:
    # not chunked_read's pool: its threads wait here for the chunks they would inflate
    return concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="brainio-read-ahead")


os.register_at_fork(after_in_child=_read_ahead_pool.cache_clear)


def _start_reading_ahead(
    store: NetCDF4DataStore, path: str, group: str | None
) -> _ReadAhead | None:
    """Start reading the values of the file's data variable in the background, so they are
    in memory (or nearly) when the coordinates are: the reading is GIL-free I/O and inflating
    on other cores, the coordinates are Python work."""
    handed_over = _handed_over.get()
    if handed_over and (handed_over[0].path, handed_over[0].group) == (path, group):
        return handed_over.pop()  # decoded ahead of this load (decode_ahead)
    plan = _values_to_read_ahead(store, path, group)
    return _submit(path, group, *plan) if plan is not None else None


def _submit(path: str, group: str | None, name: str, layout) -> _ReadAhead:
    future = _read_ahead_pool().submit(_read_values, path, group, name, layout)
    return _ReadAhead(path, group, name, layout, future)


def _values_to_read_ahead(
    store: NetCDF4DataStore, path: str, group: str | None
) -> tuple[str, chunked_read.Layout | None] | None:
    """The data variable whose values to read ahead, and its layout (``None`` where there is a
    decoded copy). None are for values larger than a quarter of the machine's memory, with
    ``$BRAINIO_READ_AHEAD=0``, and for files chunked_read cannot decode (read on first use)."""
    if os.environ.get(READ_AHEAD_ENV, "").strip().lower() in ("0", "false", "no", "off"):
        return None
    names = [name for name in (DATA_VARIABLE, LEGACY_DATA_VARIABLE) if name in store.ds.variables]
    if not names:
        return None
    name = names[0]
    variable = store.ds.variables[name]
    nbytes = math.prod(variable.shape) * np.dtype(variable.dtype).itemsize
    if nbytes > READ_AHEAD_MEMORY_FRACTION * _physical_memory():
        return None
    layout = None
    if not decoded.has_copy(path, group, name):  # HDF5 is read here, never beside netCDF4
        layout = chunked_read.inspect(path, name, group)
        if layout is None:
            return None
    return name, layout


def _physical_memory() -> int:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not on POSIX
        return 2**34


def _outer_index(values: np.ndarray, key: tuple) -> np.ndarray:
    """``values[key]`` with each array indexing its own axis (numpy would broadcast arrays)."""
    basic = tuple(
        part if isinstance(part, slice) else slice(None) if isinstance(part, np.ndarray)
        else slice(part, part + 1)
        for part in key
    )  # fmt: skip
    values = values[basic]
    for axis, part in enumerate(key):
        if isinstance(part, np.ndarray):
            values = values.take(part, axis=axis)
    integers = tuple(axis for axis, part in enumerate(key) if isinstance(part, numbers.Integral))
    return values.squeeze(axis=integers) if integers else values


def _bounding_box(key: tuple, shape: tuple[int, ...]):
    """``(starts, stops, key relative to the box)`` of an outer key; ``None`` for keys better
    left to HDF5 (a few elements scattered across a dimension, reversed or empty slices)."""
    starts, stops, relative = [], [], []
    for part, size in zip(key, shape, strict=True):
        if isinstance(part, slice):
            start, stop, step = part.indices(size)
            if step < 0 or stop <= start:
                return None
            starts.append(start), stops.append(stop)
            relative.append(slice(0, stop - start, step))
        elif isinstance(part, np.ndarray) and part.ndim == 1 and part.size:
            positions = np.where(part < 0, part + size, part)
            low, high = int(positions.min()), int(positions.max()) + 1
            if high - low > 4 * part.size:
                return None
            starts.append(low), stops.append(high)
            relative.append(positions - low)
        elif isinstance(part, numbers.Integral):
            index = int(part) + size if part < 0 else int(part)
            starts.append(index), stops.append(index + 1)
            relative.append(0)
        else:
            return None
    return tuple(starts), tuple(stops), tuple(relative)


def _is_file_object(path: object) -> bool:
    return hasattr(path, "read") and hasattr(path, "seek")


def _read_file_object(
    file: BinaryIO, group: str | None, chunks: Mapping[str, int] | str | int | None
) -> xr.DataArray:
    """:func:`read_dataarray` for an open file object (netCDF4-python reads only paths)."""
    where = f"'{getattr(file, 'name', file)}'" + (f" (group '{group}')" if group else "")
    if group is not None:
        groups = list_groups(file)
        if group not in groups:
            raise FormatError(
                f"The netCDF file {where} has no group '{group}'; its groups are "
                f"{groups or 'none'}. Check the group name."
            )
    _close_file_object_files_at_exit()
    try:
        file.seek(0)
        dataset = xr.open_dataset(
            file, group=group, engine="h5netcdf", chunks=chunks, decode_timedelta=True
        )
    except BrainIOError:  # the file's own errors (e.g. a remote file that cannot be reached)
        raise
    except _READ_ERRORS as error:
        raise _unreadable(where, error) from error
    return _single_variable(dataset, where)


@functools.cache
def _close_file_object_files_at_exit() -> None:
    """Close HDF5 files read through Python file objects before Python shuts down.

    HDF5 closes files still open when the process exits, after the interpreter is gone; for a
    file read through a Python object (h5py's file-object driver, e.g. an ``S3Reader``) that
    close calls back into Python and crashes the process. An ``atexit`` handler runs first.
    """

    def close_all() -> None:
        import h5py

        for file_id in h5py.h5f.get_obj_ids(types=h5py.h5f.OBJ_FILE):
            with contextlib.suppress(Exception):
                h5py.File(file_id).close()

    atexit.register(close_all)


def _single_variable(dataset: xr.Dataset, where: str) -> xr.DataArray:
    try:
        name = _data_variable_name(dataset, where)
        # lazy data, but coordinates (metadata, and what indexes are built from) in memory,
        # read here (with chunks=, not by a cluster's workers, which would send them back)
        held = [key for key in dataset.coords if factorized(dataset.variables[key])]
        loaded = dataset.drop_vars([*dataset.data_vars, *held]).compute(scheduler="synchronous")
        coords = {key: loaded.variables.get(key, dataset.variables[key]) for key in dataset.coords}
        array = dataset[name].assign_coords(coords)
    except _READ_ERRORS as error:
        dataset.close()
        if isinstance(error, BrainIOError):  # FormatError, or a remote file's FetchError
            raise
        raise _unreadable(where, error) from error
    # 1.x put the attributes on the variable, and (with compress=True) also in the file's global
    # attributes; files written with compress=False have them on the variable only.
    array.attrs = {**array.attrs, **dataset.attrs}
    array.name = DATA_VARIABLE
    _report_read_errors(array.variable, where)
    return array


class _ReadReporting(BackendArray):
    """A file's values, read on first use; a read that fails (a corrupt chunk) says so."""

    __slots__ = ("array", "dtype", "shape", "where")

    def __init__(self, array: BackendArray, where: str) -> None:
        self.array, self.where = array, where
        self.shape, self.dtype = array.shape, array.dtype

    def __getitem__(self, key: Any) -> Any:
        try:
            return self.array[key]
        except (OSError, RuntimeError) as error:
            raise CorruptFileError(
                f"Cannot read the values of the netCDF file {self.where}: part of it is "
                f"corrupt ({type(error).__name__}: {error}). Run `brainio cache verify` "
                "(it removes damaged files; they are fetched again on next use), or fetch "
                "the file again from its source."
            ) from error


def _report_read_errors(variable: xr.Variable, where: str) -> None:
    """Wrap the file's lazily read values so a failed read names the file and the fix.

    Only values read without dask are wrapped; dask reports a failed chunk itself.
    """
    data = getattr(variable, "_data", None)
    while data is not None and not isinstance(getattr(data, "array", None), BackendArray):
        data = getattr(data, "array", None)
    if data is not None:
        data.array = _ReadReporting(data.array, where)


def _data_variable_name(dataset: xr.Dataset, where: str) -> str:
    names = list(dataset.data_vars)
    for preferred in (DATA_VARIABLE, LEGACY_DATA_VARIABLE):
        if preferred in names and len(names) == 1:
            return preferred
    if len(names) == 1:
        return names[0]
    if not names:
        raise FormatError(
            f"The netCDF file {where} has no data variable (only coordinates "
            f"{sorted(dataset.coords) or 'and no variables at all'}). An assembly file holds "
            "exactly one data variable; re-package the assembly with "
            "brainio.packaging.write_netcdf."
        )
    raise FormatError(
        f"The netCDF file {where} has {len(names)} data variables {sorted(names)}, but an "
        "assembly file holds exactly one (named 'data'); the others must be coordinates "
        "(listed in the 'coordinates' attribute of 'data') or live in netCDF groups. "
        "Re-package the assembly with brainio.packaging.write_netcdf."
    )


def _unreadable(where: str, error: Exception) -> FormatError:
    return FormatError(
        f"Cannot read the netCDF file {where}: it is truncated, corrupt or not a netCDF-4 file "
        f"({type(error).__name__}: {error}). Delete it and fetch it again (`brainio cache "
        "verify` finds and removes broken cache entries), or check where the file came from."
    )


def list_groups(path: str | os.PathLike | BinaryIO) -> list[str]:
    """Names of the netCDF groups in a file (nested groups as ``parent/child``), in file order."""
    if _is_file_object(path):
        import h5netcdf

        try:
            path.seek(0)
            with h5netcdf.File(path, "r") as root:
                return list(_walk_groups(root, prefix=""))
        except BrainIOError:
            raise
        except _READ_ERRORS as error:
            raise _unreadable(f"'{getattr(path, 'name', path)}'", error) from error
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No netCDF file at '{path}'.")
    try:
        with netCDF4.Dataset(path, "r") as root:
            return list(_walk_groups(root, prefix=""))
    except OSError as error:
        raise _unreadable(f"'{path}'", error) from error


def _walk_groups(group: netCDF4.Group, prefix: str):
    for name, child in group.groups.items():
        yield prefix + name
        yield from _walk_groups(child, prefix=f"{prefix}{name}/")


# --- writing ----------------------------------------------------------------------------------


def write_netcdf(
    assembly: xr.DataArray,
    path: str | os.PathLike,
    append: bool = False,
    group: str | None = None,
    compress: bool = True,
) -> str:
    """Write an assembly to a netCDF-4 file that BrainIO 1.x and this project both read.

    :param append: add ``assembly`` as netCDF group ``group`` of the existing file ``path``
        (how extra assemblies such as a SpikeTimesAssembly's metadata travel with it).
    :param group: the netCDF group to write to; ``None`` for the root group.
    :param compress: chunk and compress numeric variables (shuffle + deflate level 1);
        ``False`` stores them contiguously and uncompressed.
    :return: the sha1 of the final file.
    :raises PackagingError: an attribute cannot be stored in netCDF, or ``append`` would
        overwrite or has no group.
    """
    path = Path(path)
    if append and group is None:
        raise PackagingError(
            f"Appending to '{path}' needs a group name: extra assemblies are stored in netCDF "
            "groups. Pass group='<name>'."
        )
    if append and path.exists() and group in list_groups(path):
        raise PackagingError(
            f"The netCDF file '{path}' already has a group '{group}'. Choose another group "
            "name or write a new file."
        )
    dataset = _to_dataset(assembly, where=f"'{path}'" + (f" group '{group}'" if group else ""))
    encoding = {name: _encoding(variable, compress) for name, variable in dataset.variables.items()}
    with atomic_path(path) as temp:
        mode = "w"
        if append and path.exists():
            shutil.copyfile(path, temp)
            mode = "a"
        # as dataset.to_netcdf(...), but the compressed data variable's chunks are compressed
        # on all cores and written afterwards (brainio.chunked_write)
        store = _DeferringStore.open(str(temp), mode=mode, format="NETCDF4", group=group)
        if encoding[DATA_VARIABLE].get("zlib") and dataset[DATA_VARIABLE].chunks is None:
            store.deferred[DATA_VARIABLE] = None  # not dask's: it writes chunk by chunk
        try:
            writer = ArrayWriter()
            dataset.dump_to_store(store, writer=writer, encoding=encoding)
            writer.sync()  # what dask holds
        finally:
            store.close()
        for name, values in store.deferred.items():
            chunked_write.write_all(temp, name, group, values)
        sha1 = sha1_hash(temp)
    logger.debug("Wrote %s (group %s, sha1 %s)", path, group, sha1)
    return sha1


class _DeferringStore(NetCDF4DataStore):
    """xarray's netCDF4 store for writing, except that the variables named in ``deferred`` are
    created but not written: their values (as xarray encoded them) are kept there instead."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deferred: dict[str, np.ndarray | None] = {}

    def prepare_variable(self, name, variable, *args, **kwargs):
        target, source = super().prepare_variable(name, variable, *args, **kwargs)
        if name in self.deferred:
            target = _Keep(self.deferred, name)
        return target, source


class _Keep:
    """A write target that keeps what xarray writes to it (``target[...] = values``)."""

    def __init__(self, kept: dict, name: str) -> None:
        self.kept, self.name = kept, name

    def __setitem__(self, key: Any, values: Any) -> None:
        if key not in (Ellipsis, slice(None)):
            raise ValueError(f"{self.name} is written whole, not at {key!r}")
        self.kept[self.name] = np.asarray(values)


def _to_dataset(assembly: xr.DataArray, where: str) -> xr.Dataset:
    """The 1.x on-disk layout: indexes reset to plain coordinates, attrs promoted, name ``data``."""
    array = xr.DataArray(assembly)  # a plain DataArray: no subclass behaviour while writing
    array = array.reset_index(list(array.xindexes)) if array.xindexes else array.copy(deep=False)
    array.attrs = _storable_attrs(array.attrs, where)
    coords = {}
    for name, coord in array.coords.items():
        variable = coord.variable.copy(deep=False)
        variable.encoding = {}
        variable.attrs = dict(variable.attrs)
        coords[name] = _plain_values(variable)
    data = xr.Variable(array.dims, array.variable.data, attrs=dict(array.attrs))
    dataset = xr.Dataset({DATA_VARIABLE: data}, coords=coords, attrs=dict(array.attrs))
    return dataset


def _plain_values(variable: xr.Variable) -> xr.Variable:
    """Variables netCDF can take: pandas extension arrays and numpy StringDType as plain objects."""
    values = variable.data
    if (
        isinstance(values, pd.api.extensions.ExtensionArray)
        or getattr(values, "dtype", None) is None
    ):
        values = np.asarray(values, dtype=object)
    elif values.dtype.kind == "T":  # numpy 2 variable-width strings
        values = values.astype(object)
    return xr.Variable(variable.dims, values, attrs=variable.attrs)


def _storable_attrs(attrs: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Drop what 1.x dropped (None, DataFrames, DataArrays); refuse what netCDF cannot store."""
    storable, problems = {}, []
    for name, value in attrs.items():
        if value is None or isinstance(value, pd.DataFrame | xr.DataArray):
            continue
        problem = _attr_problem(value)
        if problem:
            problems.append(f"'{name}' ({problem})")
        else:
            storable[name] = value
    if problems:
        raise PackagingError(
            f"Cannot write the attributes {', '.join(problems)} of the assembly to {where}: "
            "netCDF attributes must be strings, numbers, or lists/1-D arrays of numbers or of "
            "strings. Convert them (e.g. a bool to 0/1 or 'true', a dict to a JSON string) or "
            "delete them before writing."
        )
    return storable


def _attr_problem(value: Any) -> str | None:
    kind = type(value).__name__
    if isinstance(value, bool | np.bool_):
        return "a bool"
    if isinstance(value, complex | np.complexfloating):
        return "a complex number"
    if isinstance(value, str | bytes | numbers.Number | np.number):
        return None
    if isinstance(value, list | tuple):
        value = np.asarray(value) if value else np.array([], dtype=float)
        kind = f"a {kind} of {value.dtype}"
    if isinstance(value, np.ndarray):
        if value.ndim > 1:
            return f"a {value.ndim}-D array"
        if value.dtype.kind in "iuf" or value.dtype.kind == "U":
            return None
        return f"{kind} with values of type {value.dtype}"
    return f"a {kind}"


def _encoding(variable: xr.Variable, compress: bool) -> dict[str, Any]:
    """Chunks and filters for one variable; none for strings (variable-length) and scalars."""
    if variable.dtype.kind in "OUSTb" or variable.ndim == 0 or variable.size == 0 or not compress:
        return {}
    itemsize = 8 if variable.dtype.kind == "M" else variable.dtype.itemsize
    chunks = chunk_shape(variable.shape, itemsize, CHUNK_TARGET_BYTES)
    encoding: dict[str, Any] = {"chunksizes": chunks}
    if _compresses(variable, chunks):
        encoding.update(zlib=True, complevel=DEFLATE_LEVEL, shuffle=True)
    return encoding


def _compresses(variable: xr.Variable, chunks: tuple[int, ...]) -> bool:
    """Whether shuffle + deflate shrinks the first chunk by at least :data:`MIN_SAVING`.

    Noise-like values (e.g. float32 firing rates with full mantissas) do not shrink, and
    deflating them only costs time on every write and read: they are stored uncompressed.
    """
    sample = np.ascontiguousarray(variable[tuple(slice(0, size) for size in chunks)].values)
    planes = sample.reshape(-1).view(np.uint8).reshape(-1, sample.dtype.itemsize)
    shuffled = planes.T.tobytes()  # what HDF5's shuffle filter does before deflate
    compressed = zlib.compress(shuffled, DEFLATE_LEVEL)
    return len(compressed) <= (1 - MIN_SAVING) * len(shuffled)


def chunk_shape(shape: tuple[int, ...], itemsize: int, target: int = CHUNK_TARGET_BYTES) -> tuple:
    """Chunks of at most ``target`` bytes, cut evenly across the large dimensions.

    Repeatedly halve the dimension whose chunk still spans the largest fraction of its length
    (ties: the longer chunk), so a (148480, 256, 1) float32 array gets (18560, 32, 1) chunks:
    selecting 1/8 of either the presentations or the neuroids reads 1/8 of the file.
    """
    chunks = list(shape)
    while math.prod(chunks) * itemsize > target:
        candidates = [axis for axis, size in enumerate(chunks) if size > 1]
        if not candidates:
            break
        axis = max(candidates, key=lambda a: (chunks[a] / shape[a], chunks[a]))
        chunks[axis] = math.ceil(chunks[axis] / 2)
    return tuple(chunks)
