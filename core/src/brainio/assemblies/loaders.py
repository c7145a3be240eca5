"""Reading assemblies from netCDF files, with the stimulus-set merge on ``presentation``."""

from __future__ import annotations

import logging
import os
from collections.abc import Hashable, Mapping
from typing import Any

import pandas as pd
import xarray as xr
from xarray.indexes import PandasMultiIndex

from brainio.assemblies.indexes import (
    _compact,
    _factorize,
    _gather,
    _Level,
    _with_missing,
    get_metadata,
)
from brainio.assemblies.model import DataAssembly, MetadataAssembly
from brainio.errors import FormatError
from brainio.factorized import factorized

logger = logging.getLogger(__name__)

#: Name of the environment variable BrainIO 1.x read dask chunks from (kept for imports).
BRAINIO_CHUNKS = "BRAINIO_CHUNKS"

#: The dimension and coordinate a stimulus set is merged on.
PRESENTATION_DIM = "presentation"
STIMULUS_ID = "stimulus_id"


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
    """The core's built-in assembly loader (hook ``brainio_assembly_loader``).

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
    held = factorized(assembly_ids)
    if held is not None:  # look each distinct id up once
        indexer = set_ids.get_indexer(held.uniques)[held.codes]
    else:
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
        known[STIMULUS_ID] = _Level(_compact(indexer, set_ids), set_ids, assembly_ids.dtype)
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
