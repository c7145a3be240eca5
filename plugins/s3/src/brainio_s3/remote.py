"""Assemblies read in place on S3: only the bytes a selection needs are downloaded.

A netCDF-4 file is an HDF5 file; h5netcdf reads it through any seekable file object, here an
:class:`~brainio_s3.reader.S3Reader` in range mode. Opening reads the file's metadata and
coordinates (a small part of an assembly file); values are read when used, chunk by chunk, so
``assembly.sel(neuroid_id=...)`` of 1/8 of the neuroids downloads about 1/8 of the values
(files written by :func:`brainio.netcdf.write_netcdf` are chunked across both large
dimensions for this). With ``chunks=`` the values are dask arrays; the reader pickles as "the
same object", so Dask worker processes read their chunks from S3 themselves.

``brainio.get_assembly(identifier, lazy=True)`` reaches :func:`open_object` through the
``brainio_opener`` hook; :func:`open_assembly` does the same for a bare S3 URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from brainio.records import Source
from brainio_s3.config import S3ClientConfig
from brainio_s3.reader import S3Reader


def open_object(source: Source) -> S3Reader:
    """The ``brainio_opener`` for S3: the object of a catalog row, in range mode, opened.

    Pins the row's ``version_id`` when it has one. Raises a :class:`brainio.errors.FetchError`
    subclass now (one HEAD request) if the object cannot be read.
    """
    reader = S3Reader.from_uri(source.location, mode="range", version_id=source.version_id)
    reader.prefetch()
    return reader


def open_assembly(
    location: str | S3Reader,
    *,
    cls: type | str | None = None,
    stimulus_set: pd.DataFrame | None = None,
    chunks: Mapping[str, int] | str | int | None = None,
    region: str | None = None,
    endpoint: str | None = None,
    s3client_config: S3ClientConfig | None = None,
    version_id: str | None = None,
) -> Any:
    """Open the netCDF assembly at an S3 URL in place (see the module docstring).

    :param location: ``s3://bucket/key.nc``, a virtual-hosted or path-style ``https://`` URL,
        or an :class:`S3Reader` already made (e.g. to read its ``bytes_received`` later).
    :param cls: the assembly class (or its registered name, e.g. ``"NeuroidAssembly"``);
        default :class:`~brainio.assemblies.DataAssembly`.
    :param stimulus_set: merged onto ``presentation`` by ``stimulus_id``, as ``get_assembly``
        does.
    :param chunks: dask chunks (``{}`` for the file's own) for a dask-backed assembly; ``None``
        leaves the values on S3 until they are used.
    :raises FetchError: the object cannot be read (missing, denied, wrong region ...).
    :raises FormatError: the object is not a netCDF-4 assembly file.
    """
    from brainio import classes
    from brainio.assemblies import DataAssembly, load_assembly

    if isinstance(location, S3Reader):
        reader = location
    else:
        reader = S3Reader.from_uri(
            location,
            region=region,
            endpoint=endpoint,
            s3client_config=s3client_config,
            mode="range",
            version_id=version_id,
        )
    reader.prefetch()  # a missing object or a refusal is reported as such, not as a bad file
    if cls is None:
        cls = DataAssembly
    elif isinstance(cls, str):
        cls = classes.resolve(cls, where=f"open_assembly({reader.uri!r})")
    return load_assembly(reader, cls=cls, stimulus_set=stimulus_set, chunks=chunks)
