"""``get_assembly`` and ``get_stimulus_set``: from an identifier to a Python object.

Look the identifier up in the installed catalogs, fetch its files into the cache (verified by
sha1), and hand them to the loader a plugin (or the core) provides for that row.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from brainio import classes, lookup, plugins
from brainio.cache import get_cache
from brainio.errors import PluginMissingError
from brainio.records import LookupRow

logger = logging.getLogger(__name__)

__all__ = ["get_assembly", "get_stimulus_set"]


def get_stimulus_set(identifier: str) -> Any:
    """Load stimulus set ``identifier`` (a :class:`brainio.stimuli.StimulusSet`)."""
    csv_row, zip_row = lookup.lookup_stimulus_set(identifier)
    cache = get_cache()
    fetch = functools.partial(lookup.from_mirrors, action=lambda row: cache.fetch(row.source))
    csv_path = fetch(csv_row)
    stimuli_dir = cache.extract(fetch(zip_row)) if zip_row is not None else None
    cls = classes.resolve(str(csv_row.class_name), where=csv_row.where())
    load = plugins.find_stimulus_set_loader(csv_row)
    stimulus_set = load(csv_path, stimuli_dir, cls=cls, row=csv_row)
    stimulus_set.identifier = identifier
    return stimulus_set


def _open_in_place(row: LookupRow) -> Any:
    """The assembly's file opened where it lives, by the plugin that can (``brainio_opener``)."""
    opener = plugins.find_opener(row.location_type, row.location)
    if opener is None:
        raise PluginMissingError(
            f"No installed plugin can open '{row.identifier}' in place (location type "
            f"'{row.location_type}', {row.where()}): lazy=True needs a plugin implementing the "
            "brainio_opener hook for this location type (brainio-s3 does for S3). Install it, "
            "or load without lazy=True to fetch the file into the cache."
        )
    return opener(row.source)


def _fetch(fetch: Callable[[LookupRow], Any], row: LookupRow, decode: bool) -> tuple[Any, Any]:
    """``fetch(row)``, and with ``decode``, a netCDF file fetched into the cache starts
    decoding (:func:`brainio.netcdf.decode_ahead`): the file, and the values read ahead (or
    ``None``) for the load to take over."""
    path = fetch(row)
    if decode and isinstance(path, Path) and path.suffix == ".nc":
        from brainio.netcdf import decode_ahead  # xarray: not for `import brainio`

        return path, decode_ahead(path)
    return path, None


def _handed_to_the_load(ahead: Any) -> contextlib.AbstractContextManager[None]:
    """Where ``ahead`` (values read ahead, see :func:`_fetch`) is taken by the load."""
    if ahead is None:
        return contextlib.nullcontext()
    from brainio.netcdf import values_read_ahead

    return values_read_ahead(ahead)


def get_assembly(
    identifier: str,
    *,
    chunks: Mapping[str, int] | str | None = None,
    load_stimulus_set: bool = True,
    lazy: bool = False,
) -> Any:
    """Load assembly ``identifier`` (a :class:`brainio.assemblies.DataAssembly` subclass).

    :param chunks: dask chunks (e.g. ``{"presentation": 10_000}``, ``"auto"``, or ``{}`` for
        the file's own) for a dask-backed assembly; ``None`` reads the values into memory, in
        the background while the call builds the coordinates (``BRAINIO_READ_AHEAD``); a file
        just fetched into the cache is decoded while the stimulus set extracts.
    :param load_stimulus_set: merge the metadata of the assembly's stimulus set onto its
        ``presentation`` dimension (as BrainIO 1.x always did).
    :param lazy: read the assembly's file where it lives (e.g. on S3) instead of fetching it
        into the cache: coordinates are read at once, values only when used, and a selection
        downloads only the chunks it touches. Needs a plugin that opens the location type in
        place (``brainio_opener``); the file is not verified by sha1 (that needs every byte).
        The stimulus set is still fetched into the cache.
    """
    row = lookup.lookup_assembly(identifier)
    cls = classes.resolve(str(row.class_name), where=row.where())
    stimulus_set = None
    open_or_fetch = _open_in_place if lazy else (lambda row: get_cache().fetch(row.source))
    fetch = functools.partial(lookup.from_mirrors, action=open_or_fetch)  # mirrors in turn
    if load_stimulus_set and row.stimulus_set_identifier:
        # fetch (or open) the assembly file while the stimulus set downloads and extracts,
        # and decode it there too when its values will be read
        with ThreadPoolExecutor(max_workers=1) as pool:
            fetching = pool.submit(_fetch, fetch, row, decode=chunks is None)
            stimulus_set = get_stimulus_set(row.stimulus_set_identifier)
            path, ahead = fetching.result()
    else:
        path, ahead = fetch(row), None
    load = plugins.find_assembly_loader(row)
    with _handed_to_the_load(ahead):
        assembly = load(path, cls=cls, row=row, stimulus_set=stimulus_set, chunks=chunks)
    assembly.attrs["identifier"] = identifier
    if row.stimulus_set_identifier:
        assembly.attrs["stimulus_set_identifier"] = row.stimulus_set_identifier
    if stimulus_set is not None:
        assembly.attrs["stimulus_set"] = stimulus_set
    return assembly
