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

The package has three modules, all re-exported here (``brainio.assemblies`` is the import path
1.x code uses): :mod:`~brainio.assemblies.model` (the classes), :mod:`~brainio.assemblies.indexes`
(the MultiIndex engine and metadata helpers) and :mod:`~brainio.assemblies.loaders` (netCDF files
and the stimulus-set merge).
"""

from brainio.assemblies.indexes import (
    array_is_element,
    coords_for_dim,
    gather_indexes,
    get_levels,
    get_metadata,
    get_metadata_after_2022_06,
    get_metadata_before_2022_06,
    walk_coords,
)
from brainio.assemblies.loaders import (
    BRAINIO_CHUNKS,
    AssemblyLoader,
    GroupAppendAssemblyLoader,
    StimulusMergeAssemblyLoader,
    StimulusReferenceAssemblyLoader,
    load_assembly,
)
from brainio.assemblies.model import (
    BehavioralAssembly,
    DataAssembly,
    DataPoint,
    GroupbyBridge,
    GroupbyError,
    MetadataAssembly,
    ModelFeaturesAssembly,
    NeuroidAssembly,
    NeuronRecordingAssembly,
    PropertyAssembly,
    SpikeTimesAssembly,
    is_fastpath,
    merge_data_arrays,
)

__all__ = [
    "BRAINIO_CHUNKS",
    "AssemblyLoader",
    "BehavioralAssembly",
    "DataAssembly",
    "DataPoint",
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
    "get_metadata_after_2022_06",
    "get_metadata_before_2022_06",
    "is_fastpath",
    "load_assembly",
    "merge_data_arrays",
    "walk_coords",
]
