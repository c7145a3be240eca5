"""The index engine: every 1-D coordinate of a dimension as a level of one pandas MultiIndex.

netCDF cannot store a MultiIndex, so files hold the levels as plain coordinates and
:func:`gather_indexes` rebuilds the indexes on load, each built once from codes. The metadata
helpers (:func:`get_metadata`, :func:`walk_coords`, ...) list coordinates by the kind of index
they belong to.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import xarray as xr
from xarray.indexes import PandasMultiIndex

from brainio.factorized import factorized

# --- metadata helpers -------------------------------------------------------------------------


def _index_kind(name: Hashable, indexes: Mapping[Hashable, Any]) -> str:
    """``coord``, ``index``, ``multi_index`` (the dimension coordinate) or ``level``.

    The lone coordinate of a dimension is a one-level MultiIndex here, so that it keeps its
    name; 1.x made it the dimension's plain index. It is reported as 1.x reported it: as an
    ``index`` (under its own name), and its dimension coordinate (``lone_dim``) not at all.
    """
    index = indexes.get(name)
    if index is None:
        return "coord"
    if isinstance(index, PandasMultiIndex):
        if index.index.nlevels == 1:
            return "lone_dim" if name == index.dim else "index"
        return "multi_index" if name == index.dim else "level"
    return "index"


def get_metadata(
    assembly: xr.DataArray,
    dims: Iterable[Hashable | None] | None = None,
    names_only: bool = False,
    include_coords: bool = True,
    include_indexes: bool = True,
    include_multi_indexes: bool = False,
    include_levels: bool = True,
) -> Iterator[Any]:
    """Yield coordinates, indexes, MultiIndexes and/or levels, as ``(name, dims, values)``.

    With ``names_only``, yield only the names.

    :param dims: only metadata whose dimensions all lie in ``dims``; include ``None`` for
        dimensionless (scalar) coordinates. Default: every dimension and scalars.
    """
    dims = set(assembly.dims) | {None} if dims is None else set(dims)
    included = {
        "coord": include_coords,
        "index": include_indexes,
        "multi_index": include_multi_indexes,
        "level": include_levels,
        "lone_dim": False,
    }
    indexes = assembly.xindexes
    for name, variable in assembly.coords.variables.items():
        if variable.dims:
            if not set(variable.dims) <= dims:
                continue
        elif None not in dims:
            continue
        if not included[_index_kind(name, indexes)]:
            continue
        yield name if names_only else (name, variable.dims, variable.values)


#: 1.x chose between two implementations by xarray version; only current xarray is supported.
get_metadata_after_2022_06 = get_metadata
get_metadata_before_2022_06 = get_metadata


def coords_for_dim(assembly: xr.DataArray, dim: Hashable) -> OrderedDict:
    """Name -> values of the coordinates on ``dim`` alone that are neither index nor level."""
    metadata = get_metadata(assembly, dims=(dim,), include_indexes=False, include_levels=False)
    return OrderedDict((name, values) for name, _, values in metadata)


def walk_coords(assembly: xr.DataArray) -> Iterator[tuple[Hashable, tuple, np.ndarray]]:
    """Yield ``(name, dims, values)`` of every coordinate and level (not the MultiIndexes)."""
    yield from get_metadata(assembly)


def get_levels(assembly: xr.DataArray) -> list[Hashable]:
    """Names of all MultiIndex levels (a dimension's lone coordinate is its index, as in 1.x)."""
    return list(
        get_metadata(assembly, names_only=True, include_coords=False, include_indexes=False)
    )


def array_is_element(arr: Sequence, element: Any) -> bool:
    """Whether ``arr`` holds exactly ``element`` (e.g. ``dims == ("presentation",)``)."""
    return len(arr) == 1 and arr[0] == element


def gather_indexes(assembly: xr.DataArray) -> xr.DataArray:
    """Fold every non-index 1-D coordinate of each dimension into that dimension's MultiIndex.

    Existing index levels come first. A dimension coordinate that already has a plain index
    becomes the level ``<dim>_level_0`` (as in 1.x). A lone coordinate makes a one-level
    MultiIndex, so it keeps its name. Each MultiIndex is built once; data are not copied.
    """
    return _gather(assembly)


class _Level(NamedTuple):
    """A MultiIndex level as pandas stores it: ``codes`` into ``uniques`` (-1: missing)."""

    codes: np.ndarray
    uniques: pd.Index
    dtype: np.dtype  # of the coordinate xarray shows for the level


def _compact(codes: np.ndarray, uniques: Sequence) -> np.ndarray:
    """``codes`` in the smallest integer type that holds them, as a MultiIndex keeps them
    (one byte a value for most levels, not eight): a load holds a dozen levels at once."""
    for dtype in (np.int8, np.int16, np.int32):
        if len(uniques) < np.iinfo(dtype).max:
            return codes.astype(dtype, copy=False)
    return codes


def _factorize(values: np.ndarray, dtype: np.dtype | None = None) -> _Level:
    try:
        codes, uniques = pd.factorize(values, sort=True)
    except TypeError:  # values of mixed types cannot be sorted
        codes, uniques = pd.factorize(values)
    dtype = np.asarray(values).dtype if dtype is None else dtype
    if isinstance(uniques, np.ndarray):  # keep numpy's dtype (pandas 3 would infer "str")
        uniques = pd.Index(uniques, dtype=uniques.dtype, copy=False)
    codes = _compact(codes, uniques)
    return _Level(codes, pd.Index(uniques), _with_missing(dtype, codes))


def _level_of(variable: xr.Variable) -> _Level:
    """The level of a 1-D coordinate: as the file reader factorized it, or factorized now."""
    held = factorized(variable)
    if held is not None:
        return _Level(_compact(held.codes, held.uniques), held.uniques, held.dtype)
    return _factorize(variable.values, variable.dtype)


def _with_missing(dtype: np.dtype, codes: np.ndarray) -> np.dtype:
    """The dtype that can show the level's values, NaN included if some are missing."""
    if dtype.kind in "iu" and (codes < 0).any():
        return np.dtype(np.float64)
    if dtype.kind in "bUS" and (codes < 0).any():
        return np.dtype(object)
    return dtype


def _multiindex_coords(dim: Hashable, levels: Mapping[Hashable, _Level]) -> xr.Coordinates:
    """The coordinates (``dim`` and its levels) of one MultiIndex built from codes, no copying."""
    mindex = pd.MultiIndex(
        levels=[level.uniques for level in levels.values()],
        codes=[level.codes for level in levels.values()],
        names=list(levels),
        verify_integrity=False,
    )
    dtypes = {name: level.dtype for name, level in levels.items()}
    return xr.Coordinates.from_xindex(PandasMultiIndex(mindex, dim, level_coords_dtype=dtypes))


def _gather(
    assembly: xr.DataArray,
    known: Mapping[Hashable, _Level] | None = None,
    extra: Mapping[Hashable, Mapping[Hashable, _Level]] | None = None,
) -> xr.DataArray:
    """:func:`gather_indexes`, with levels already factorized: ``known`` for coordinates of
    ``assembly``, ``extra[dim]`` for new levels appended to ``dim`` (the stimulus-set merge)."""
    known, extra = known or {}, extra or {}
    variables = assembly.coords.variables
    indexes = assembly.xindexes
    groups: dict[Hashable, dict[Hashable, _Level]] = {}
    replaced: dict[Hashable, Hashable] = {}  # old coordinate name -> dim of its new index
    for dim in dict.fromkeys(assembly.dims):
        unindexed = [
            name
            for name, variable in variables.items()
            if variable.dims == (dim,) and name not in indexes
        ]
        if not unindexed and not extra.get(dim):
            continue
        levels: dict[Hashable, _Level] = {}
        index = indexes.get(dim)
        if isinstance(index, PandasMultiIndex):  # append to it, reusing its codes
            for position, name in enumerate(index.index.names):
                levels[name] = _Level(
                    index.index.codes[position],
                    index.index.levels[position],
                    index.level_coords_dtype[name],
                )
                replaced[name] = dim
        elif index is not None and dim in variables:
            levels[f"{dim}_level_0"] = _factorize(variables[dim].values, variables[dim].dtype)
        if dim in variables:
            replaced[dim] = dim
        for name in unindexed:
            levels[name] = known[name] if name in known else _level_of(variables[name])
            replaced[name] = dim
        levels.update(extra.get(dim, {}))
        groups[dim] = levels
    if not groups:
        return assembly
    new_coords = {dim: _multiindex_coords(dim, levels) for dim, levels in groups.items()}
    coords: dict[Hashable, xr.Variable] = {}
    new_indexes = {name: index for name, index in indexes.items() if name not in replaced}
    for name, variable in variables.items():
        if name not in replaced:
            coords[name] = variable
            continue
        dim = replaced[name]
        if dim in new_coords:  # first coordinate of this group: put the whole index here
            gathered = new_coords.pop(dim)
            coords.update(gathered.variables)
            new_indexes.update(gathered.xindexes)
    for gathered in new_coords.values():  # dims that had only new levels
        coords.update(gathered.variables)
        new_indexes.update(gathered.xindexes)
    return type(assembly)(
        assembly.variable, coords, name=assembly.name, indexes=new_indexes, fastpath=True
    )


# --- selection helpers ------------------------------------------------------------------------


def _is_list_like(value: Any) -> bool:
    return isinstance(value, list | np.ndarray | pd.Index | pd.Series | set | frozenset) and (
        not isinstance(value, np.ndarray) or value.ndim == 1
    )


def _positions_of(codes: np.ndarray, uniques: pd.Index, wanted: list, key: Hashable) -> np.ndarray:
    """Positions whose value is in ``wanted``, grouped in ``wanted``'s order; KeyError if absent."""
    wanted_codes = uniques.get_indexer(pd.Index(wanted, dtype=object if not wanted else None))
    if (wanted_codes < 0).any():
        missing = [value for value, code in zip(wanted, wanted_codes, strict=True) if code < 0]
        raise KeyError(
            f"{missing[0] if len(missing) == 1 else missing!r} not found in coordinate {key!r}"
        )
    if len(set(wanted_codes.tolist())) < len(wanted_codes):  # repeated values: repeat positions
        return np.concatenate([np.flatnonzero(codes == code) for code in wanted_codes])
    rank = np.full(len(uniques), -1)
    rank[wanted_codes] = np.arange(len(wanted_codes))
    element_rank = rank[codes]
    element_rank[codes < 0] = -1  # missing values (NaN) are never selected
    positions = np.flatnonzero(element_rank >= 0)
    return positions[np.argsort(element_rank[positions], kind="stable")]


def _scalar(uniques: pd.Index, value: Any) -> Any:
    """The stored value that matched ``value`` (keeps the coordinate's type, e.g. datetime)."""
    return uniques[uniques.get_indexer([value])[0]]


def _drop_level(assembly: xr.DataArray, dim: Hashable, level: Hashable) -> xr.DataArray:
    """Remove ``level`` from the MultiIndex of ``dim``, keeping the rest as a MultiIndex."""
    index = assembly.xindexes[dim]
    kept = [i for i, name in enumerate(index.index.names) if name != level]
    mindex = pd.MultiIndex(  # from the existing codes: no re-factorizing, even for one level
        levels=[index.index.levels[i] for i in kept],
        codes=[index.index.codes[i] for i in kept],
        names=[index.index.names[i] for i in kept],
        verify_integrity=False,
    )
    dtypes = {name: index.level_coords_dtype[name] for name in mindex.names}
    new_index = PandasMultiIndex(mindex, dim, level_coords_dtype=dtypes)
    gathered = xr.Coordinates.from_xindex(new_index)
    old = [dim, *index.index.names]
    coords, indexes = {}, {}
    for name, variable in assembly.coords.variables.items():
        if name == dim:
            coords.update(gathered.variables)
        elif name not in old:
            coords[name] = variable
    indexes = {name: idx for name, idx in assembly.xindexes.items() if name not in old}
    indexes.update(gathered.xindexes)
    return type(assembly)(
        assembly.variable, coords, name=assembly.name, indexes=indexes, fastpath=True
    )
