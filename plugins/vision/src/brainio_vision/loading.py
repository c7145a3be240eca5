"""Loaders for the rows of the ``brainscore_vision`` catalog (the ``brainio_*_loader`` hooks).

They use the core's loaders and add what vision needs: stimulus sets are images
(:class:`~brainio_vision.stimuli.ImageStimulusSet`, which must come with their ZIP), and every
loaded object records, besides its storage identifier, the registry key Brain-Score users
know it by, its access (``public``/``private``), its catalog and, for an assembly, the registry
key of its stimulus set (:func:`brainio.registry.record`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from brainio.errors import FormatError
from brainio.records import LookupRow
from brainio.registry import record
from brainio_vision.stimuli import ImageStimulusSet


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
    return record(load_csv(csv_path, stimuli_dir, cls=cls, row=row), row)


def load_assembly(
    path: Path, *, cls: type, row: LookupRow, stimulus_set: Any = None, chunks: Any = None
) -> Any:
    """Load a vision assembly with the core's loader and record its names in ``attrs``."""
    from brainio.assemblies import load_assembly as load_netcdf

    assembly = load_netcdf(path, cls=cls, row=row, stimulus_set=stimulus_set, chunks=chunks)
    return record(assembly, row, stimulus_set)
