"""Selecting the part of one assembly that matches another (as Brain-Score benchmarks do).

``subset(source, target)`` keeps the elements of ``source`` whose coordinate values occur in
``target``, e.g. the model's responses to exactly the stimuli a benchmark's recordings cover.
Same behaviour as BrainIO 1.x; membership is computed with pandas hash tables instead of a
Python loop over every element.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

import numpy as np
import pandas as pd
import xarray as xr
from xarray.indexes import PandasMultiIndex

from brainio.assemblies import walk_coords
from brainio.errors import BrainIOError

__all__ = ["SubsetError", "index_efficient", "subset"]


class SubsetError(BrainIOError, ValueError):
    """The target asks for elements the source does not have."""


def subset(
    source_assembly: xr.DataArray,
    target_assembly: xr.DataArray,
    subset_dims: Iterable[Hashable] | None = None,
    dims_must_match: bool = True,
    repeat: bool = False,
) -> xr.DataArray:
    """The part of ``source_assembly`` whose coordinates occur in ``target_assembly``.

    Ordering is not guaranteed to follow the target.

    :param subset_dims: dimensions (all their levels are matched) or coordinates to match on;
        default: every dimension of the target.
    :param dims_must_match: raise :class:`SubsetError` unless each subset dimension ends up as
        long as the target's.
    :param repeat: keep one source element per target element, so values the target repeats
        are repeated (see :func:`index_efficient`); otherwise each source element at most once.
    """
    subset_dims = list(subset_dims or target_assembly.dims)
    for dim in subset_dims:
        for name, assembly in (("target", target_assembly), ("source", source_assembly)):
            if dim not in assembly.dims and dim not in assembly.coords:
                raise SubsetError(
                    f"Cannot subset on '{dim}': the {name} assembly has no such dimension or "
                    f"coordinate (dims {list(assembly.dims)})."
                )
        # all levels of the target need not be in the source, as long as one of them is
        levels = _levels(target_assembly, dim)
        if not any(level in source_assembly.coords for level in levels):
            raise SubsetError(
                f"Cannot subset on '{dim}': the source assembly has none of the target's "
                f"coordinates {levels}."
            )
        for level in levels:
            if level not in source_assembly.coords:
                continue
            target_values = np.asarray(target_assembly[level].values)
            source_values = np.asarray(source_assembly[level].values)
            if repeat:
                indexer = np.asarray(index_efficient(source_values, target_values), dtype=int)
            else:
                indexer = np.flatnonzero(pd.Index(source_values).isin(target_values))
            if dim not in target_assembly.dims:  # a coordinate: filter along its dimension
                coord_dims = target_assembly[dim].dims
                if len(coord_dims) != 1:
                    raise SubsetError(
                        f"Cannot subset on coordinate '{dim}' with dims {list(coord_dims)}: "
                        "it must lie on exactly one dimension."
                    )
                dim = coord_dims[0]
            source_assembly = _select(source_assembly, dim, indexer)
        if dims_must_match and len(target_assembly[dim]) != len(source_assembly[dim]):
            # cannot compare exact equality: the source may lack some levels
            raise SubsetError(
                f"After subsetting, dimension '{dim}' has {len(source_assembly[dim])} elements "
                f"in the source but {len(target_assembly[dim])} in the target: the source lacks "
                "elements the target asks for. Pass dims_must_match=False to allow this."
            )
    return source_assembly


def _levels(assembly: xr.DataArray, dim: Hashable) -> list[Hashable]:
    """The MultiIndex levels of ``dim`` in ``assembly``, or ``[dim]`` itself."""
    index = assembly.xindexes.get(dim)
    if isinstance(index, PandasMultiIndex) and index.dim == dim:
        return list(index.index.names)
    return [dim]


def _select(assembly: xr.DataArray, dim: Hashable, indexer: np.ndarray) -> xr.DataArray:
    """``assembly.isel({dim: indexer})`` that also works when ``dim`` is repeated, as in a
    (presentation, presentation) similarity matrix (``isel`` would index only the first)."""
    if len(set(assembly.dims)) == len(assembly.dims):
        return assembly.isel({dim: indexer})
    dim_indexes = {d: (indexer if d == dim else slice(None)) for d in assembly.dims}
    positional = [_as_positions(dim_indexes[d], assembly.sizes[d]) for d in assembly.dims]
    coords = {}
    for coord, dims, values in walk_coords(assembly):
        if len(dims) == 0:
            coords[coord] = (dims, values)
        elif len(set(dims)) == 1:
            selection = [_as_positions(dim_indexes[d], len(values)) for d in dims]
            coords[coord] = (
                dims,
                values[np.ix_(*selection)] if len(dims) > 1 else values[selection[0]],
            )
        else:
            raise NotImplementedError(
                f"Cannot subset coordinate '{coord}' with dims {list(dims)}: coordinates across "
                "several dimensions are not supported when a dimension is repeated."
            )
    return type(assembly)(
        assembly.values[np.ix_(*positional)],
        coords=coords,
        dims=assembly.dims,
        attrs=assembly.attrs,
    )


def _as_positions(index: np.ndarray | slice, size: int) -> np.ndarray:
    return np.arange(size)[index] if isinstance(index, slice) else np.asarray(index)


def index_efficient(source_values: np.ndarray, target_values: np.ndarray) -> list:
    """Positions in ``source_values`` of each value of ``target_values``, by a sorted merge.

    Every occurrence in the target gets a source position (so repeated targets repeat
    positions); values missing from the source are skipped. Positions come ordered by the
    sorted target values.
    """
    source_values, target_values = np.asarray(source_values), np.asarray(target_values)
    source_order, target_order = np.argsort(source_values), np.argsort(target_values)
    source_sorted, target_sorted = source_values[source_order], target_values[target_order]
    indexer = []
    source_index, target_index = 0, 0
    n_source, n_target = len(source_sorted), len(target_sorted)
    while target_index < n_target and source_index < n_source:
        source_value, target_value = source_sorted[source_index], target_sorted[target_index]
        if source_value == target_value:
            indexer.append(source_order[source_index])
            # the next target repeats this value, or the next source is already larger:
            # move on in the target; otherwise in the source
            next_target_same = (
                target_index + 1 < n_target and target_sorted[target_index + 1] == target_value
            )
            next_source_larger = (
                source_index + 1 < n_source and source_sorted[source_index + 1] > target_value
            )
            if next_target_same or next_source_larger:
                target_index += 1
            else:
                source_index += 1
        elif source_value < target_value:
            source_index += 1
        else:
            target_index += 1
    return indexer
