"""Loaders for the rows of the ``brainscore_vision`` catalog (see the ``brainio_loader`` hook).

They use the core's loaders and add what vision needs: stimulus sets are images
(:class:`~brainio_vision.stimuli.ImageStimulusSet`, which must come with their ZIP), and every
loaded object records, besides its storage identifier, the registry key Brain-Score users
know it by, its access (``public``/``private``), its catalog and, for an assembly, the registry
key of its stimulus set.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from brainio.errors import BrainIOError, FormatError
from brainio.records import LookupRow
from brainio_vision.stimuli import ImageStimulusSet


def record(row: LookupRow) -> dict[str, str]:
    """The names of a catalog row worth keeping on the loaded object (``attrs``)."""
    found = {
        "registry_key": row.extra.get("registry_key"),
        "storage_identifier": row.identifier,
        "access": row.extra.get("access"),
        "catalog": row.catalog,
    }
    return {name: value for name, value in found.items() if value}


def load_stimulus_set(
    csv_path: Path, stimuli_dir: Path | None, *, cls: type, row: LookupRow
) -> ImageStimulusSet:
    """Load a vision stimulus set: its CSV, and its images from the extracted ZIP."""
    from brainio.stimuli import StimulusSet
    from brainio.stimuli import load_stimulus_set as load_csv

    if stimuli_dir is None:
        raise FormatError(
            f"Vision stimulus set '{row.identifier}' ({row.where()}) has no ZIP row, so its "
            "images cannot be fetched. Add the ZIP row (empty class) to the catalog."
        )
    if cls is StimulusSet:  # the catalog keeps 1.x's class name; images get the richer class
        cls = ImageStimulusSet
    stimulus_set = load_csv(csv_path, stimuli_dir, cls=cls, row=row)
    stimulus_set.attrs.update(record(row))
    return stimulus_set


def load_assembly(
    path: Path, *, cls: type, row: LookupRow, stimulus_set: Any = None, chunks: Any = None
) -> Any:
    """Load a vision assembly with the core's loader and record its names in ``attrs``."""
    from brainio.assemblies import load_assembly as load_netcdf

    assembly = load_netcdf(path, cls=cls, row=row, stimulus_set=stimulus_set, chunks=chunks)
    assembly.attrs.update(record(row))
    stimulus_set_key = _stimulus_set_registry_key(row, stimulus_set)
    if stimulus_set_key:
        assembly.attrs["stimulus_set_registry_key"] = stimulus_set_key
    return assembly


def _stimulus_set_registry_key(row: LookupRow, stimulus_set: Any) -> str | None:
    if not row.stimulus_set_identifier:
        return None
    if stimulus_set is not None and stimulus_set.attrs.get("registry_key"):
        return stimulus_set.attrs["registry_key"]
    from brainio import lookup

    try:
        csv_row, _ = lookup.lookup_stimulus_set(row.stimulus_set_identifier)
    except BrainIOError:
        return None
    return csv_row.extra.get("registry_key")
