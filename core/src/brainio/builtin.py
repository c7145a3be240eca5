"""The core's own plugin: its classes and default loaders, registered like any other plugin.

Registered first, so every installed plugin is asked before it and can take over.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from brainio.hookspecs import hookimpl
from brainio.records import TYPE_ASSEMBLY, LookupRow


@hookimpl
def brainio_classes(register: Callable[[type], None]) -> None:
    from brainio import assemblies, stimuli

    for cls in (
        assemblies.DataAssembly,
        assemblies.NeuroidAssembly,
        assemblies.NeuronRecordingAssembly,
        assemblies.ModelFeaturesAssembly,
        assemblies.BehavioralAssembly,
        assemblies.PropertyAssembly,
        assemblies.SpikeTimesAssembly,
        assemblies.MetadataAssembly,
        stimuli.StimulusSet,
    ):
        register(cls)


@hookimpl
def brainio_loader(row: LookupRow) -> Callable[..., Any] | None:
    if row.lookup_type == TYPE_ASSEMBLY:
        from brainio.assemblies import load_assembly

        return load_assembly
    if row.is_csv:
        from brainio.stimuli import load_stimulus_set

        return load_stimulus_set
    return None
