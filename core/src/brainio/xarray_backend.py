"""An xarray backend, ``engine="brainio"``: open an assembly file with its indexes rebuilt.

A plain ``xr.open_dataarray(path)`` gives the coordinates as stored (flat, one per metadata
column), so ``sel(region="IT")`` fails. With the BrainIO engine, every dimension's coordinates
are gathered into one MultiIndex, as :func:`brainio.get_assembly` does::

    import xarray as xr
    assembly = xr.open_dataarray("assy_dicarlo_MajajHong2015_public.nc", engine="brainio")
    assembly.sel(region="IT")

Files of BrainIO 1.x (``__xarray_dataarray_variable__``) and of this version both open; the
data variable is always named ``data``. Registered through the entry-point group
``xarray.backends`` of ``brainio-core``; xarray never picks it unless asked by name.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

import xarray as xr
from xarray.backends import BackendEntrypoint

__all__ = ["BrainIOBackendEntrypoint"]


class BrainIOBackendEntrypoint(BackendEntrypoint):
    """``xr.open_dataset(path, engine="brainio")`` / ``xr.open_dataarray(...)``."""

    description = "BrainIO assemblies (netCDF) with their MultiIndexes rebuilt"
    url = "https://github.com/brain-score/brainio"
    open_dataset_parameters = ("filename_or_obj", "drop_variables", "group")

    def open_dataset(
        self,
        filename_or_obj: str | os.PathLike[Any] | Any,
        *,
        drop_variables: str | Iterable[str] | None = None,
        group: str | None = None,
    ) -> xr.Dataset:
        from brainio.assemblies import gather_indexes
        from brainio.netcdf import read_dataarray

        array = read_dataarray(filename_or_obj, group=group)
        if drop_variables is not None:
            names = [drop_variables] if isinstance(drop_variables, str) else list(drop_variables)
            array = array.drop_vars([name for name in names if name in array.coords])
        return gather_indexes(array).to_dataset(name="data", promote_attrs=True)

    def guess_can_open(self, filename_or_obj: Any) -> bool:
        return False  # only when asked for by name: plain netCDF files stay netCDF4's
