"""The loader for assemblies of the ``brainscore_language`` catalog (``brainio_assembly_loader``).

Brain-Score language keeps each data set in one netCDF file: the stimuli (sentences, words,
story fragments) are coordinates of ``presentation`` (``stimulus``, ``sentence``, ``word``,
``story`` ...), so there is no stimulus set to merge and no archive to fetch. This loader reads
the file as Brain-Score language's ``load_from_s3`` does (plain ``AssemblyLoader``) and records
the registry key, storage identifier, access and catalog in ``attrs``
(:func:`brainio.registry.record`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from brainio.errors import FormatError
from brainio.records import LookupRow
from brainio.registry import record

PRESENTATION = "presentation"


def load_assembly(
    path: Path, *, cls: type, row: LookupRow, stimulus_set: Any = None, chunks: Any = None
) -> Any:
    """Load a language assembly; its stimuli are already on ``presentation``."""
    from brainio.assemblies import AssemblyLoader

    assembly = AssemblyLoader(cls, path, chunks=chunks).load()
    if PRESENTATION not in assembly.dims:
        raise FormatError(
            f"Language assembly '{row.identifier}' ({row.where()}) in {path} has dimensions "
            f"{', '.join(map(str, assembly.dims))} but no '{PRESENTATION}': its sentences or "
            "words must be coordinates of a presentation dimension. Run `brainio cache verify`, "
            "and report the file to the catalog's maintainers if it persists."
        )
    return record(assembly, row)
