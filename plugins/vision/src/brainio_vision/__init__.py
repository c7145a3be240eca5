"""The public Brain-Score vision data sets as a BrainIO catalog, loadable the Brain-Score way.

>>> import brainio_vision
>>> "MajajHong2015.public" in brainio_vision.list_datasets(access="public")
True
>>> assembly = brainio_vision.load_dataset("MajajHong2015.public")  # doctest: +SKIP
>>> stimuli = brainio_vision.load_stimulus_set("hvm-public")  # doctest: +SKIP

The catalog (``brainscore_vision``) is registered through the ``brainio`` entry point, so
``brainio.get_assembly("dicarlo.MajajHong2015.public")`` works too. Names are imported on
first use, so loading the plugin stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "2.0.0.dev0"

_LAZY = {
    "ACCESS_LEVELS": "brainio_vision.registry",
    "data_registry": "brainio_vision.registry",
    "list_datasets": "brainio_vision.registry",
    "list_stimulus_sets": "brainio_vision.registry",
    "load_dataset": "brainio_vision.registry",
    "load_stimulus_set": "brainio_vision.registry",
    "lookup_dataset": "brainio_vision.registry",
    "lookup_stimulus_set": "brainio_vision.registry",
    "stimulus_set_registry": "brainio_vision.registry",
    "ImageStimulusSet": "brainio_vision.stimuli",
    "MissingDependencyError": "brainio_vision.stimuli",
    "CATALOG_NAME": "brainio_vision.plugin",
}

__all__ = [
    "ACCESS_LEVELS",
    "CATALOG_NAME",
    "ImageStimulusSet",
    "MissingDependencyError",
    "data_registry",
    "list_datasets",
    "list_stimulus_sets",
    "load_dataset",
    "load_stimulus_set",
    "lookup_dataset",
    "lookup_stimulus_set",
    "stimulus_set_registry",
    "__version__",
]

if TYPE_CHECKING:
    from brainio_vision.plugin import CATALOG_NAME
    from brainio_vision.registry import (
        ACCESS_LEVELS,
        data_registry,
        list_datasets,
        list_stimulus_sets,
        load_dataset,
        load_stimulus_set,
        lookup_dataset,
        lookup_stimulus_set,
        stimulus_set_registry,
    )
    from brainio_vision.stimuli import ImageStimulusSet, MissingDependencyError


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'brainio_vision' has no attribute {name!r}")
