"""The DataAssembly family: xarray DataArrays whose metadata stay attached to their dimensions.

Subclasses follow xarray's rules (``__slots__ = ()`` and an ``__init__`` that accepts xarray's
internal ``fastpath`` call), so xarray's own operations return the subclass. The MultiIndex work
lives in :mod:`brainio.assemblies.indexes`, reading files in :mod:`brainio.assemblies.loaders`.
"""

from __future__ import annotations

import functools
import itertools
import logging
import os
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr
from xarray.indexes import PandasMultiIndex

from brainio.assemblies.indexes import (
    _drop_level,
    _is_list_like,
    _positions_of,
    _scalar,
    gather_indexes,
    walk_coords,
)
from brainio.assemblies.views import AssemblyCoordinates, legacy_indexes
from brainio.errors import BrainIOError, FormatError

if TYPE_CHECKING:
    from brainio.assemblies.loaders import AssemblyLoader

logger = logging.getLogger(__name__)

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


class DataPoint:
    """One value with its neuroid and presentation (a 1.x record, kept for its importers)."""

    def __init__(self, value: Any, neuroid: Any, presentation: Any) -> None:
        self.value = value
        self.neuroid = neuroid
        self.presentation = presentation


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

    # -- listing coordinates and indexes as 1.x did (see brainio.assemblies.views)

    @property
    def coords(self) -> AssemblyCoordinates:
        """The coordinates; iterating them skips MultiIndex levels, as in BrainIO 1.x."""
        return AssemblyCoordinates(self)

    @property
    def indexes(self) -> Any:
        """One pandas index per dimension (no MultiIndex levels), as in BrainIO 1.x."""
        return legacy_indexes(self, xr.DataArray.indexes.fget(self))

    # -- loading

    @classmethod
    def get_loader_class(cls) -> type[AssemblyLoader]:
        """The loader that reads files of this class (1.x API; catalogs rely on it)."""
        from brainio.assemblies.loaders import StimulusMergeAssemblyLoader

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
        from brainio.assemblies.loaders import StimulusReferenceAssemblyLoader

        return StimulusReferenceAssemblyLoader


class SpikeTimesAssembly(NeuronRecordingAssembly):
    """Spike times along one ``event`` dimension; metadata assemblies come in netCDF groups."""

    __slots__ = ()

    @classmethod
    def get_loader_class(cls) -> type[AssemblyLoader]:
        from brainio.assemblies.loaders import GroupAppendAssemblyLoader

        return GroupAppendAssemblyLoader

    def validate(self) -> None:
        self._check_dims({"event"})


class MetadataAssembly(DataAssembly):
    """Metadata of another assembly whose dimensions differ from it (stored as a netCDF group)."""

    __slots__ = ()

    @classmethod
    def get_loader_class(cls) -> type[AssemblyLoader]:
        from brainio.assemblies.loaders import StimulusReferenceAssemblyLoader

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


def merge_data_arrays(data_arrays: Sequence[xr.DataArray]) -> xr.DataArray:
    """Merge assemblies that cover different parts of the same coordinates into one.

    A scalar coordinate whose value differs between the parts (``region`` after splitting
    with ``sel(region="IT")`` and ``sel(region="V4")``) describes no part of the merged
    whole, so it is dropped, as it never existed in BrainIO 1.x's selections.
    """
    data_arrays = list(data_arrays)
    differing = _differing_scalars(data_arrays)
    if differing:
        logger.debug("merge_data_arrays: dropping scalar coordinates %s", sorted(differing))
        data_arrays = [array.drop_vars(differing, errors="ignore") for array in data_arrays]
    merged = xr.merge(
        [data_array.rename("z") for data_array in data_arrays],
        compat="no_conflicts",
        join="outer",
        combine_attrs="override",
    )["z"].rename(None)
    return type(data_arrays[0])(merged)


def _differing_scalars(data_arrays: Sequence[xr.DataArray]) -> list[Hashable]:
    """Names of scalar coordinates that do not hold one value in every array that has them."""
    values: dict[Hashable, list[xr.Variable]] = {}
    for array in data_arrays:
        for name, variable in array.coords.variables.items():
            if variable.ndim == 0:
                values.setdefault(name, []).append(variable)
    return [
        name
        for name, variables in values.items()
        if not all(variables[0].equals(other) for other in variables[1:])
    ]


def _simplify(value: np.ndarray) -> Any:
    value = np.asarray(value)
    return value.item() if value.size == 1 else value
