"""``assembly.coords`` and ``assembly.indexes`` listed as BrainIO 1.x code expects.

Since xarray 2022.06 a MultiIndex's levels are coordinates of their own, so ``.coords`` lists
``presentation`` *and* ``stimulus_id``, ``repetition``, ... BrainIO 1.x ran on the xarray before
that change, where ``.coords`` listed only ``presentation``, and Brain-Score rebuilds assemblies
from that listing::

    coords = {name: coord for name, coord in source.coords.items() if name != "time_bin"}
    DataAssembly(values, dims=source.dims,
                 coords={"time_bin_start": ("time_bin", new_starts), **coords})

With the levels listed, the stale ``time_bin_start`` level overrides the new one without any
error. No constructor can repair that (the new values are gone before it runs), so the listing
itself must be 1.x's: iterating an assembly's coordinates (``keys``, ``items``, ``values``,
``len``, ``dict(...)``) yields dimension coordinates, plain and scalar coordinates, but no
MultiIndex levels; ``assembly.indexes`` lists one index per dimension. Lookups are unchanged:
``"stimulus_id" in assembly.coords``, ``assembly.coords["stimulus_id"]`` and
``assembly.coords.variables`` see every coordinate.

xarray's own methods iterate ``self.coords`` to rebuild arrays (``transpose``, ``to_dict``,
``coarsen``, ...) and need every coordinate, so a caller inside xarray gets xarray's listing.
The caller is found by walking the stack as pandas' ``find_stack_level`` does.
"""

from __future__ import annotations

import sys
from collections.abc import Hashable, Iterator
from typing import Any

import pandas as pd
import xarray as xr
from xarray.core.coordinates import DataArrayCoordinates
from xarray.core.indexes import Indexes
from xarray.indexes import PandasMultiIndex

#: Modules whose frames are skipped when looking for the caller: mapping views, this module and
#: the assembly class whose properties call it.
_PASS_THROUGH = frozenset(
    {"_collections_abc", "collections.abc", __name__, "brainio.assemblies.model"}
)


def asked_by_xarray() -> bool:
    """Whether the code that asked for a listing is xarray itself (not user code)."""
    frame = sys._getframe(2)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module not in _PASS_THROUGH:
            return module == "xarray" or module.startswith("xarray.")
        frame = frame.f_back
    return False


def level_names(assembly: xr.DataArray) -> set[Hashable]:
    """Names of the coordinates that are levels of a MultiIndex (not its dimension)."""
    return {
        name
        for name, index in assembly.xindexes.items()
        if isinstance(index, PandasMultiIndex) and name != index.dim
    }


class AssemblyCoordinates(DataArrayCoordinates):
    """The coordinates of an assembly, iterated as in BrainIO 1.x (no MultiIndex levels)."""

    __slots__ = ()

    def _listed(self) -> list[Hashable]:
        levels = level_names(self._data)
        return [name for name in self._data._coords if name not in levels]

    def __iter__(self) -> Iterator[Hashable]:
        if asked_by_xarray():
            return super().__iter__()
        return iter(self._listed())

    def __len__(self) -> int:
        if asked_by_xarray():
            return super().__len__()
        return len(self._listed())


def legacy_indexes(assembly: xr.DataArray, indexes: Indexes) -> Indexes | Any:
    """``indexes`` without the MultiIndex levels, unless xarray asked."""
    if asked_by_xarray():
        return indexes
    levels = level_names(assembly)
    kept = {name: index for name, index in indexes.items() if name not in levels}
    return Indexes(kept, {name: assembly._coords[name] for name in kept}, index_type=pd.Index)
