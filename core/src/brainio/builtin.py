"""The core's own plugin: its classes and default loaders, registered like any other plugin.

Registered first, so every installed plugin is asked before it and can take over.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import brainio

if TYPE_CHECKING:
    from brainio.protocols import AssemblyLoader, StimulusSetLoader
    from brainio.records import LookupRow


@brainio.hookimpl
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


@brainio.hookimpl(trylast=True)
def brainio_assembly_loader(row: LookupRow) -> AssemblyLoader:
    from brainio.assemblies import load_assembly

    return load_assembly


@brainio.hookimpl(trylast=True)
def brainio_stimulus_set_loader(row: LookupRow) -> StimulusSetLoader:
    from brainio.stimuli import load_stimulus_set

    return load_stimulus_set
