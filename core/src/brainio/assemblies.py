"""The DataAssembly family: xarray DataArrays whose metadata stay attached to their dimensions.

An assembly keeps every 1-D coordinate of a dimension in one pandas MultiIndex named after the
dimension (``presentation`` with levels ``stimulus_id``, ``repetition``, ...), so that
``assembly.sel(region="IT")`` works on any of them. netCDF cannot store a MultiIndex, so files
hold the levels as plain coordinates and :func:`gather_indexes` rebuilds the indexes on load.

Differences from BrainIO 1.x, all on purpose:

- a dimension with a single coordinate gets a one-level MultiIndex, so the coordinate keeps its
  name (``neuroid_id``) instead of being renamed to the dimension (1.x, pydata/xarray#2537);
- each MultiIndex is built once (``pd.MultiIndex.from_arrays``), not level by level;
- :meth:`DataAssembly.sel` also takes lists for MultiIndex levels and never renames a
  dimension when a selection leaves a single level;
- the stimulus-set merge is a vectorized lookup on ``stimulus_id``, and duplicate ids in the
  stimulus set raise :class:`~brainio.errors.FormatError` instead of corrupting the merge.

Subclasses follow xarray's rules (``__slots__ = ()`` and an ``__init__`` that accepts xarray's
internal ``fastpath`` call), so xarray's own operations return the subclass.
"""

from __future__ import annotations

import functools
import itertools
import logging
import os
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import xarray as xr
from xarray.indexes import PandasMultiIndex

from brainio.errors import BrainIOError, FormatError

logger = logging.getLogger(__name__)

__all__ = [
    "BRAINIO_CHUNKS",
    "AssemblyLoader",
    "BehavioralAssembly",
    "DataAssembly",
    "GroupAppendAssemblyLoader",
    "GroupbyBridge",
    "GroupbyError",
    "MetadataAssembly",
    "ModelFeaturesAssembly",
    "NeuroidAssembly",
    "NeuronRecordingAssembly",
    "PropertyAssembly",
    "SpikeTimesAssembly",
    "StimulusMergeAssemblyLoader",
    "StimulusReferenceAssemblyLoader",
    "array_is_element",
    "coords_for_dim",
    "gather_indexes",
    "get_levels",
    "get_metadata",
    "is_fastpath",
    "load_assembly",
    "merge_data_arrays",
    "walk_coords",
]

#: Name of the environment variable BrainIO 1.x read dask chunks from (kept for imports).
BRAINIO_CHUNKS = "BRAINIO_CHUNKS"

#: The dimension and coordinate a stimulus set is merged on.
PRESENTATION_DIM = "presentation"
STIMULUS_ID = "stimulus_id"

_FASTPATH_POSITION = 6  # DataArray.__init__(data, coords, dims, name, attrs, indexes, fastpath)


def is_fastpath(*args: Any, **kwargs: Any) -> bool:
    """Whether ``DataArray.__init__(*args, **kwargs)`` would take xarray's internal fast path."""
    if kwargs.get("fastpath"):
        return True
    return len(args) > _FASTPATH_POSITION and bool(args[_FASTPATH_POSITION])


class GroupbyError(BrainIOError, ValueError):
    """Coordinates to group by do not share one dimension."""


def _rewrap(cls: type, result: Any) -> Any:
    """``result`` (or each DataArray in a tuple of results) as an instance of ``cls``."""
    if isinstance(result, tuple):
        return tuple(_rewrap(cls, item) for item in result)
    if type(result) is xr.DataArray:
        return cls(
            result.variable,
            dict(result.coords.variables),
            name=result.name,
            indexes=dict(result.xindexes),
            fastpath=True,
        )
    return result


def _keeps_class(method: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a DataArray method that xarray builds through ``apply_ufunc`` (which returns a
    plain DataArray) so that it returns the assembly's class, like xarray's other methods."""

    @functools.wraps(method)
    def wrapper(self: xr.DataArray, *args: Any, **kwargs: Any) -> Any:
        return _rewrap(type(self), method(self, *args, **kwargs))

    return wrapper


# --- the assembly classes ---------------------------------------------------------------------


class DataAssembly(xr.DataArray):
    """Data of an experiment (or a model) with every coordinate indexed on its dimension.

    Construct it like a ``DataArray``; coordinates that share a dimension are gathered into
    one MultiIndex for that dimension (see :func:`gather_indexes`).
    """

    __slots__ = ()

    def _repr_html_(self) -> str:
        """Notebook view: the data set's card, then xarray's view (:mod:`brainio.notebook`)."""
        from brainio.notebook import assembly_html

        return assembly_html(self)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if is_fastpath(*args, **kwargs):  # xarray rebuilding a result: indexes are already set
            super().__init__(*args, **kwargs)
            return
        if len(args) == 1 and not kwargs and isinstance(args[0], xr.DataArray):
            temp = args[0]  # re-wrapping: no need to copy every coordinate as DataArray() does
        elif not args and set(kwargs) == {"data"} and isinstance(kwargs["data"], xr.DataArray):
            temp = kwargs["data"]
        else:
            temp = xr.DataArray(*args, **kwargs)
        temp = gather_indexes(temp)
        super().__init__(
            temp.variable.copy(deep=False),
            {name: variable.copy(deep=False) for name, variable in temp.coords.variables.items()},
            name=temp.name,
            indexes=dict(temp.xindexes),
            fastpath=True,
        )

    # methods xarray implements with apply_ufunc, which would return a plain DataArray
    where = _keeps_class(xr.DataArray.where)
    fillna = _keeps_class(xr.DataArray.fillna)
    astype = _keeps_class(xr.DataArray.astype)
    clip = _keeps_class(xr.DataArray.clip)
    isin = _keeps_class(xr.DataArray.isin)
    isnull = _keeps_class(xr.DataArray.isnull)
    notnull = _keeps_class(xr.DataArray.notnull)
    dot = _keeps_class(xr.DataArray.dot)
    __array_ufunc__ = _keeps_class(xr.DataArray.__array_ufunc__)

    # -- loading

    @classmethod
    def get_loader_class(cls) -> type[AssemblyLoader]:
        """The loader that reads files of this class (1.x API; catalogs rely on it)."""
        return StimulusMergeAssemblyLoader

    @classmethod
    def from_files(
        cls,
        file_path: str | os.PathLike,
        stimulus_set_identifier: str | None = None,
        stimulus_set: pd.DataFrame | None = None,
        **kwargs: Any,
    ) -> DataAssembly:
        """Load an assembly of this class from a netCDF file.

        :param stimulus_set: merged onto ``presentation`` by ``stimulus_id`` (for classes
            whose loader merges) and kept in ``attrs["stimulus_set"]``.
        :param kwargs: ``group`` (a netCDF group) and ``chunks`` (dask chunks; ``None`` loads
            the values into memory).
        """
        loader = cls.get_loader_class()(
            cls=cls,
            file_path=file_path,
            stimulus_set_identifier=stimulus_set_identifier,
            stimulus_set=stimulus_set,
            **kwargs,
        )
        return loader.load()

    def validate(self) -> None:
        """Raise :class:`~brainio.errors.FormatError` if this assembly breaks its class's rules."""

    def _check_dims(self, *allowed: set[str]) -> None:
        if set(self.dims) in allowed:
            return
        identifier = self.attrs.get("identifier")
        name = f"{type(self).__name__}" + (f" '{identifier}'" if identifier else "")
        expected = " or ".join(str(sorted(dims)) for dims in allowed)
        raise FormatError(
            f"{name} has dims {list(self.dims)}, but a {type(self).__name__} needs exactly the "
            f"dims {expected}. Transpose, rename or stack the dimensions, or use DataAssembly."
        )

    # -- selection

    def sel(
        self,
        indexers: Mapping[Any, Any] | None = None,
        method: str | None = None,
        tolerance: Any = None,
        drop: bool = False,
        **indexers_kwargs: Any,
    ) -> DataAssembly:
        """``DataArray.sel`` that also selects on any MultiIndex level or plain coordinate.

        A scalar on a level keeps the dimension, removes the level and keeps the value as a
        scalar coordinate (as xarray does), but never renames the dimension when one level is
        left. A list on a level keeps the matching elements in the list's order (xarray
        refuses lists on levels). A 1-D coordinate without an index is filtered on.
        """
        indexers = {**(indexers or {}), **indexers_kwargs}
        own = {
            key: value
            for key, value in indexers.items()
            if method is None and self._selects_by_coordinate(key, value)
        }
        result = self
        for key, value in own.items():
            result = result._select_on_coordinate(key, value, drop=drop)
        rest = {key: value for key, value in indexers.items() if key not in own}
        if rest or not own:
            result = xr.DataArray.sel(result, rest, method=method, tolerance=tolerance, drop=drop)
        return result

    def _selects_by_coordinate(self, key: Hashable, value: Any) -> bool:
        """Whether ``sel(key=value)`` is ours: a level or unindexed 1-D coordinate, no slice."""
        if key in self.dims or key not in self.coords or isinstance(value, slice | xr.DataArray):
            return False
        variable = self.coords.variables[key]
        if variable.ndim != 1:
            return False
        index = self.xindexes.get(key)
        if index is None:
            return True
        if not isinstance(index, PandasMultiIndex) or key == index.dim:
            return False
        if _is_list_like(value):
            return True
        return len(index.index.names) > 1  # a scalar on a lone level: xarray drops the dim

    def _select_on_coordinate(self, key: Hashable, value: Any, drop: bool) -> DataAssembly:
        dim = self.coords.variables[key].dims[0]
        index = self.xindexes.get(key)
        if isinstance(index, PandasMultiIndex):
            mindex = index.index
            level = mindex.names.index(key)
            codes, uniques = np.asarray(mindex.codes[level]), mindex.levels[level]
        else:
            codes, uniques = pd.factorize(self.coords.variables[key].values)
            uniques = pd.Index(uniques)
        list_like = _is_list_like(value)
        positions = _positions_of(codes, uniques, list(value) if list_like else [value], key)
        result = self.isel({dim: positions})
        if list_like or index is None:  # filtered: the coordinate keeps its selected values
            return result
        result = _drop_level(result, dim, key)
        if not drop:
            result = result.assign_coords({key: ((), _scalar(uniques, value))})
        return result

    def multisel(
        self, method: str | None = None, tolerance: Any = None, drop: bool = False, **indexers: Any
    ) -> DataAssembly:
        """Select on coordinates while keeping every dimension, MultiIndex and level.

        Levels and coordinates are filtered (their selected values stay in the index);
        indexers on dimensions go to :meth:`sel`.
        """
        result = self
        rest = {}
        for key, value in indexers.items():
            dims = self.coords[key].dims if key in self.coords else ()
            if key in self.dims or len(dims) != 1:
                rest[key] = value
                continue
            values = result.coords[key].values
            wanted = value if _is_list_like(value) else [value]
            codes, uniques = pd.factorize(values)
            positions = _positions_of(codes, pd.Index(uniques), list(wanted), key)
            result = result.isel({dims[0]: positions})
        if rest:
            result = result.sel(rest, method=method, tolerance=tolerance, drop=drop)
        return result

    # -- grouping

    def multi_groupby(self, group_coord_names: Sequence[Hashable], *args: Any, **kwargs: Any):
        """Group by the combinations of several coordinates of one dimension.

        ``assembly.multi_groupby(["category_name", "object_name"]).mean("presentation")``
        returns one element per combination that occurs, on the original dimension, with the
        grouping coordinates as levels of its MultiIndex.
        """
        group_coord_names = list(group_coord_names)
        if len(group_coord_names) < 2:
            return self.groupby(group_coord_names[0], *args, **kwargs)
        multi_group_name = "multi_group"
        dim = self._dim_of_group_coords(group_coord_names)
        combinations = pd.MultiIndex.from_arrays(
            [self.coords[name].values for name in group_coord_names], names=group_coord_names
        )
        try:
            codes, uniques = combinations.factorize(sort=True)
        except TypeError:  # values of mixed types cannot be sorted: keep first-seen order
            codes, uniques = combinations.factorize()
        grouped = self.assign_coords({multi_group_name: (dim, codes)})
        groupby = grouped.groupby(multi_group_name, *args, **kwargs)
        return GroupbyBridge(
            groupby, self, dim, group_coord_names, multi_group_name, combinations=uniques
        )

    def _dim_of_group_coords(self, group_coord_names: Sequence[Hashable]) -> Hashable:
        dims = {name: self.coords[name].dims for name in group_coord_names}
        all_dims = {dim for coord_dims in dims.values() for dim in coord_dims}
        if len(all_dims) == 1 and all(len(coord_dims) == 1 for coord_dims in dims.values()):
            return all_dims.pop()
        raise GroupbyError(
            "All coordinates for grouping must be associated with the same single dimension; "
            f"got {', '.join(f'{name!r} on {list(d)}' for name, d in dims.items())}."
        )

    def multi_dim_apply(
        self, groups: Sequence[Hashable], apply: Callable[..., Any]
    ) -> DataAssembly:
        """Apply ``apply(cells, **coords)`` to every combination of values of ``groups``.

        ``groups`` holds one coordinate per dimension; ``cells`` are the values where each
        group coordinate has one of its values (a scalar for a single cell), ``coords`` the
        matching coordinate values. The result has this assembly's shape and coordinates.
        """
        groups = sorted(groups, key=lambda group: self.dims.index(self[group].dims[0]))
        group_dims = [self[group].dims for group in groups]
        if [dims[0] for dims in group_dims] != list(self.dims) or any(
            len(dims) != 1 for dims in group_dims
        ):
            raise GroupbyError(
                f"multi_dim_apply needs exactly one 1-D group coordinate per dimension "
                f"{list(self.dims)}; got {dict(zip(groups, map(list, group_dims), strict=True))}."
            )
        positions = []  # per group: {value: positions}
        for group in groups:
            codes, uniques = pd.factorize(self[group].values, sort=True)
            order = np.argsort(codes, kind="stable")
            bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
            positions.append(
                {value: order[bounds[i] : bounds[i + 1]] for i, value in enumerate(uniques)}
            )
        coords = [(name, dims, values) for name, dims, values in walk_coords(self)]
        values = self.values
        result = np.zeros(self.shape)
        for combination in itertools.product(*(group.items() for group in positions)):
            indices = [index for _, index in combination]
            block = np.ix_(*indices)
            cells = _simplify(np.squeeze(values[block]))
            cell_coords = {}
            for name, dims, coord_values in coords:
                if dims:
                    selected = coord_values[np.ix_(*(indices[self.dims.index(d)] for d in dims))]
                    cell_coords[name] = _simplify(selected)
                else:
                    cell_coords[name] = coord_values
            applied = np.asarray(apply(cells, **cell_coords))
            block_shape = tuple(len(index) for index in indices)
            if applied.size == np.prod(block_shape):
                applied = applied.reshape(block_shape)
            result[block] = applied
        return type(self)(
            result, coords={name: (dims, values) for name, dims, values in coords}, dims=self.dims
        )


class BehavioralAssembly(DataAssembly):
    """Behavioral data, such as choices or reaction times."""

    __slots__ = ()


class NeuroidAssembly(DataAssembly):
    """Responses of neurons or neuron analogs: dims presentation x neuroid (x time_bin)."""

    __slots__ = ()

    def validate(self) -> None:
        self._check_dims({"presentation", "neuroid"}, {"presentation", "neuroid", "time_bin"})


class NeuronRecordingAssembly(NeuroidAssembly):
    """Responses recorded from neurons."""

    __slots__ = ()


class ModelFeaturesAssembly(NeuroidAssembly):
    """Activations of a machine-learning model's units."""

    __slots__ = ()


class PropertyAssembly(DataAssembly):
    """Properties of single neurons; refers to its stimulus set without merging it."""

    __slots__ = ()

    @classmethod
    def get_loader_class(cls) -> type[AssemblyLoader]:
        return StimulusReferenceAssemblyLoader


class SpikeTimesAssembly(NeuronRecordingAssembly):
    """Spike times along one ``event`` dimension; metadata assemblies come in netCDF groups."""

    __slots__ = ()

    @classmethod
    def get_loader_class(cls) -> type[AssemblyLoader]:
        return GroupAppendAssemblyLoader

    def validate(self) -> None:
        self._check_dims({"event"})


class MetadataAssembly(DataAssembly):
    """Metadata of another assembly whose dimensions differ from it (stored as a netCDF group)."""

    __slots__ = ()

    @classmethod
    def get_loader_class(cls) -> type[AssemblyLoader]:
        return StimulusReferenceAssemblyLoader


# --- grouping on several coordinates ----------------------------------------------------------


class GroupbyBridge:
    """Wraps the xarray GroupBy of :meth:`DataAssembly.multi_groupby`.

    Results of its methods get the grouping coordinates back as levels of the original
    dimension instead of the temporary ``multi_group`` dimension.
    """

    def __init__(
        self,
        groupby: Any,
        assembly: xr.DataArray,
        dim: Hashable,
        group_coord_names: Sequence[Hashable],
        multi_group_name: Hashable,
        combinations: pd.MultiIndex | None = None,
    ) -> None:
        self.groupby = groupby
        self.assembly = assembly
        self.dim = dim
        self.group_coord_names = list(group_coord_names)
        self.multi_group_name = multi_group_name
        self.combinations = combinations

    def __getattr__(self, attr: str) -> Any:
        result = getattr(self.groupby, attr)
        if callable(result):
            result = self.wrap_groupby(result)
        return result

    def __iter__(self) -> Iterator:
        return iter(self.groupby)

    def wrap_groupby(self, func: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            result = func(*args, **kwargs)
            if isinstance(result, xr.DataArray) and self.multi_group_name in result.coords:
                result = self.split_group_coords(result)
            return result

        return wrapper

    def split_group_coords(self, result: xr.DataArray) -> xr.DataArray:
        """Replace ``multi_group`` by the grouping coordinates, as levels of ``dim``."""
        codes = np.asarray(result.coords[self.multi_group_name].values)
        group_dims = result.coords[self.multi_group_name].dims
        if group_dims != (self.multi_group_name,):  # not reduced (e.g. map): levels still there
            return type(self.assembly)(result.drop_vars(self.multi_group_name))
        if self.combinations is not None:
            split = [
                self.combinations.get_level_values(i)[codes]
                for i in range(len(self.group_coord_names))
            ]
            split = [np.asarray(values) for values in split]
        else:  # multi_group holds tuples of values
            split = [np.asarray(values) for values in zip(*codes, strict=True)]
        result = result.drop_vars(self.multi_group_name).rename({self.multi_group_name: self.dim})
        result = result.assign_coords(
            {
                name: (self.dim, values)
                for name, values in zip(self.group_coord_names, split, strict=True)
            }
        )
        return type(self.assembly)(result)


# --- metadata helpers -------------------------------------------------------------------------


def _index_kind(name: Hashable, indexes: Mapping[Hashable, Any]) -> str:
    """``coord``, ``index``, ``multi_index`` (the dimension coordinate) or ``level``."""
    index = indexes.get(name)
    if index is None:
        return "coord"
    if isinstance(index, PandasMultiIndex):
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


def coords_for_dim(assembly: xr.DataArray, dim: Hashable) -> OrderedDict:
    """Name -> values of the coordinates on ``dim`` alone that are neither index nor level."""
    metadata = get_metadata(assembly, dims=(dim,), include_indexes=False, include_levels=False)
    return OrderedDict((name, values) for name, _, values in metadata)


def walk_coords(assembly: xr.DataArray) -> Iterator[tuple[Hashable, tuple, np.ndarray]]:
    """Yield ``(name, dims, values)`` of every coordinate and level (not the MultiIndexes)."""
    yield from get_metadata(assembly)


def get_levels(assembly: xr.DataArray) -> list[Hashable]:
    """Names of all MultiIndex levels."""
    return list(
        get_metadata(assembly, names_only=True, include_coords=False, include_indexes=False)
    )


def array_is_element(arr: Sequence, element: Any) -> bool:
    """Whether ``arr`` holds exactly ``element`` (e.g. ``dims == ("presentation",)``)."""
    return len(arr) == 1 and arr[0] == element


def merge_data_arrays(data_arrays: Sequence[xr.DataArray]) -> xr.DataArray:
    """Merge assemblies that cover different parts of the same coordinates into one."""
    data_arrays = list(data_arrays)
    merged = xr.merge(
        [data_array.rename("z") for data_array in data_arrays],
        compat="no_conflicts",
        join="outer",
        combine_attrs="override",
    )["z"].rename(None)
    return type(data_arrays[0])(merged)


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


def _factorize(values: np.ndarray, dtype: np.dtype | None = None) -> _Level:
    try:
        codes, uniques = pd.factorize(values, sort=True)
    except TypeError:  # values of mixed types cannot be sorted
        codes, uniques = pd.factorize(values)
    dtype = np.asarray(values).dtype if dtype is None else dtype
    if isinstance(uniques, np.ndarray):  # keep numpy's dtype (pandas 3 would infer "str")
        uniques = pd.Index(uniques, dtype=uniques.dtype, copy=False)
    return _Level(codes, pd.Index(uniques), _with_missing(dtype, codes))


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
            variable = variables[name]
            levels[name] = (
                known[name] if name in known else _factorize(variable.values, variable.dtype)
            )
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


def _simplify(value: np.ndarray) -> Any:
    value = np.asarray(value)
    return value.item() if value.size == 1 else value


# --- loading ----------------------------------------------------------------------------------


class AssemblyLoader:
    """Loads an assembly of class ``cls`` from a netCDF file (or one of its groups)."""

    def __init__(
        self,
        cls: type[DataAssembly],
        file_path: str | os.PathLike,
        group: str | None = None,
        chunks: Mapping[str, int] | str | int | None = None,
        **kwargs: Any,
    ) -> None:
        self.assembly_class = cls
        self.file_path = file_path
        self.group = group
        self.chunks = chunks

    def load(self) -> DataAssembly:
        return self._build(self._read())

    def _read(self) -> xr.DataArray:
        """The stored array: levels as plain coordinates, dask-backed if ``chunks`` is set."""
        from brainio.netcdf import read_dataarray

        result = read_dataarray(self.file_path, group=self.group, chunks=self.chunks)
        result = self.correct_dimension_coordinate_names(result)
        return self.correct_stimulus_id_name(result)

    def _build(
        self,
        raw: xr.DataArray,
        known: Mapping[Hashable, _Level] | None = None,
        extra: Mapping[Hashable, Mapping[Hashable, _Level]] | None = None,
    ) -> DataAssembly:
        """Build the indexes of the plain array (once) and make it an ``assembly_class``."""
        gathered = _gather(raw, known=known, extra=extra)
        return self.assembly_class(
            gathered.variable,
            dict(gathered.coords.variables),
            name=gathered.name,
            indexes=dict(gathered.xindexes),
            fastpath=True,
        )

    @classmethod
    def correct_dimension_coordinate_names(cls, assembly: xr.DataArray) -> xr.DataArray:
        """Files 1.x wrote store the sole coordinate of a dimension ``neuroid`` as ``neuroid_``
        (its xarray renamed it); load it as the dimension coordinate ``neuroid``, as 1.x did."""
        for dim in assembly.dims:
            legacy = f"{dim}_"
            on_dim = [name for name, var in assembly.coords.variables.items() if dim in var.dims]
            if on_dim == [legacy] and dim not in assembly.coords:
                variable = assembly.coords.variables[legacy]
                if variable.dims == (dim,):
                    assembly = assembly.drop_vars(legacy).assign_coords(
                        {dim: (dim, variable.values, variable.attrs)}
                    )
        return assembly

    @classmethod
    def correct_stimulus_id_name(cls, assembly: xr.DataArray) -> xr.DataArray:
        """Files from before 2022 call the id coordinate ``image_id``; add ``stimulus_id`` too."""
        names = set(get_metadata(assembly, dims=(PRESENTATION_DIM,), names_only=True))
        if "image_id" in names and STIMULUS_ID not in names:
            image_id = assembly.coords["image_id"]
            assembly = assembly.assign_coords({STIMULUS_ID: (image_id.dims, image_id.values)})
        return assembly


class StimulusReferenceAssemblyLoader(AssemblyLoader):
    """Loads an assembly and records its stimulus set in ``attrs`` (without merging)."""

    def __init__(
        self,
        cls: type[DataAssembly],
        file_path: str | os.PathLike,
        stimulus_set_identifier: str | None = None,
        stimulus_set: pd.DataFrame | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(cls, file_path, **kwargs)
        self.stimulus_set_identifier = stimulus_set_identifier
        self.stimulus_set = stimulus_set

    def load(self) -> DataAssembly:
        result = super().load()
        identifier = self.stimulus_set_identifier or result.attrs.get("stimulus_set_identifier")
        if identifier is None and self.stimulus_set is not None:
            identifier = getattr(self.stimulus_set, "identifier", None)
        result.attrs["stimulus_set_identifier"] = identifier
        result.attrs["stimulus_set"] = self.stimulus_set
        return result


class StimulusMergeAssemblyLoader(StimulusReferenceAssemblyLoader):
    """Loads an assembly and adds its stimulus set's columns as ``presentation`` levels."""

    def _build(self, raw: xr.DataArray, known=None, extra=None) -> DataAssembly:
        if self.stimulus_set is None:
            return super()._build(raw, known=known, extra=extra)
        return self._merge(raw, self.stimulus_set)

    def merge_stimulus_set_meta(
        self, assy: xr.DataArray, stimulus_set: pd.DataFrame
    ) -> DataAssembly:
        """Add every column of ``stimulus_set`` as a ``presentation`` level, by ``stimulus_id``.

        Columns the assembly already has keep the assembly's values; presentations whose
        stimulus is not in the set get NaN. Duplicate ids in the set raise FormatError.
        """
        return self._merge(_reset_dim(assy, PRESENTATION_DIM), stimulus_set)

    def _merge(self, plain: xr.DataArray, stimulus_set: pd.DataFrame) -> DataAssembly:
        known, new_levels = _stimulus_set_levels(plain, stimulus_set, where=f"'{self.file_path}'")
        return super()._build(plain, known=known, extra={PRESENTATION_DIM: new_levels})


class GroupAppendAssemblyLoader(StimulusReferenceAssemblyLoader):
    """Loads an assembly plus each netCDF group as a :class:`MetadataAssembly` in ``attrs``."""

    def load(self) -> DataAssembly:
        from brainio.netcdf import list_groups

        result = super().load()
        for group in list_groups(self.file_path):
            try:
                loader = MetadataAssembly.get_loader_class()(
                    cls=MetadataAssembly,
                    file_path=self.file_path,
                    stimulus_set_identifier=self.stimulus_set_identifier,
                    stimulus_set=self.stimulus_set,
                    group=group,
                    chunks=self.chunks,
                )
                result.attrs[group] = loader.load()
            except (FormatError, ValueError, KeyError, OSError):
                logger.warning(
                    "netCDF file %s has a group '%s' that does not load as a MetadataAssembly; "
                    "skipping it.",
                    self.file_path,
                    group,
                    exc_info=True,
                )
        return result


def load_assembly(
    path: str | os.PathLike,
    *,
    cls: type[DataAssembly],
    row: Any = None,
    stimulus_set: pd.DataFrame | None = None,
    chunks: Mapping[str, int] | str | int | None = None,
) -> DataAssembly:
    """The core's built-in assembly loader (see ``brainio_loader`` in :mod:`brainio.hookspecs`).

    Dispatches on ``cls.get_loader_class()``, as 1.x did, so a class with its own loader keeps it.
    """
    get_loader_class = getattr(cls, "get_loader_class", None)
    loader_class = get_loader_class() if get_loader_class else StimulusMergeAssemblyLoader
    stimulus_set_identifier = getattr(row, "stimulus_set_identifier", None)
    loader = loader_class(
        cls=cls,
        file_path=path,
        stimulus_set_identifier=stimulus_set_identifier,
        stimulus_set=stimulus_set,
        chunks=chunks,
    )
    assembly = loader.load()
    identifier = getattr(row, "identifier", None)
    if identifier is not None:
        assembly.attrs["identifier"] = identifier
    return assembly


def _reset_dim(assembly: xr.DataArray, dim: Hashable) -> xr.DataArray:
    """``assembly`` as a plain DataArray, its MultiIndex on ``dim`` split into plain coordinates."""
    plain = xr.DataArray(
        assembly.variable,
        dict(assembly.coords.variables),
        name=assembly.name,
        indexes=dict(assembly.xindexes),
        fastpath=True,
    )
    if isinstance(assembly.xindexes.get(dim), PandasMultiIndex):
        plain = plain.reset_index(dim)
    return plain


def _stimulus_set_levels(
    assembly: xr.DataArray, stimulus_set: pd.DataFrame, where: str
) -> tuple[dict[Hashable, _Level], dict[Hashable, _Level]]:
    """The stimulus set's columns as new ``presentation`` levels, matched on ``stimulus_id``.

    One hash lookup of the presentations' ``stimulus_id`` in the set's ids gives, for every
    column, the level codes (the column factorized over its few rows, taken at the matches),
    so no presentation-long column is materialized or factorized. Columns the assembly already
    has are skipped (its values win); unmatched presentations get missing values (NaN).

    :returns: ``(known, new)``: the factorized ``stimulus_id`` level (when every presentation
        matched) and the new levels, both by name.
    """
    set_name = getattr(stimulus_set, "identifier", None)
    set_name = f"stimulus set '{set_name}'" if set_name else "the stimulus set"
    if STIMULUS_ID not in stimulus_set.columns:
        raise FormatError(
            f"Cannot merge {set_name} onto the assembly {where}: it has no '{STIMULUS_ID}' "
            f"column (columns: {list(stimulus_set.columns)})."
        )
    if (
        PRESENTATION_DIM not in assembly.dims
        or STIMULUS_ID not in assembly.coords
        or (assembly.coords[STIMULUS_ID].dims != (PRESENTATION_DIM,))
    ):
        raise FormatError(
            f"Cannot merge {set_name} onto the assembly {where}: it has no '{STIMULUS_ID}' "
            f"coordinate on a '{PRESENTATION_DIM}' dimension (dims {list(assembly.dims)}). "
            "Load it without its stimulus set, or use a class that does not merge "
            "(PropertyAssembly, MetadataAssembly)."
        )
    ids = stimulus_set[STIMULUS_ID]
    duplicated = ids[ids.duplicated()]
    if len(duplicated):
        shown = list(dict.fromkeys(duplicated.tolist()))
        raise FormatError(
            f"{set_name[0].upper()}{set_name[1:]} lists the stimulus_id(s) {shown[:10]}"
            f"{' and more' if len(shown) > 10 else ''} more than once, so the assembly {where} "
            "cannot be matched to it. Each stimulus_id must be unique; fix the stimulus set's CSV."
        )
    set_ids = pd.Index(ids.to_numpy())
    assembly_ids = assembly.coords[STIMULUS_ID].variable
    indexer = set_ids.get_indexer(assembly_ids.values)
    missing = indexer < 0
    if missing.any():
        logger.info(
            "%d presentations of %s have no row in %s; their metadata are NaN.",
            int(missing.sum()),
            where,
            set_name,
        )
    known = {}
    if not missing.any() and not set_ids.hasnans:  # the lookup is a factorization already
        known[STIMULUS_ID] = _Level(indexer, set_ids, assembly_ids.dtype)
    new = {}
    for column in stimulus_set.columns:
        if column in assembly.coords or column in assembly.dims:
            if column in assembly.coords and assembly.coords[column].dims != (PRESENTATION_DIM,):
                logger.warning(
                    "Stimulus-set column '%s' is also a coordinate on %s of the assembly %s; "
                    "keeping the assembly's.",
                    column,
                    assembly.coords[column].dims,
                    where,
                )
            continue  # the assembly's own values win
        level = _factorize(stimulus_set[column].to_numpy())
        codes = level.codes[indexer]
        codes[missing] = -1
        new[column] = _Level(codes, level.uniques, _with_missing(level.dtype, codes))
    return known, new
