"""The public Brain-Score vision data sets as a BrainIO catalog, loadable the Brain-Score way.

>>> import brainio_vision
>>> "MajajHong2015.public" in brainio_vision.list_datasets(access="public")
True
>>> assembly = brainio_vision.load_dataset("MajajHong2015.public")  # doctest: +SKIP
>>> stimuli = brainio_vision.load_stimulus_set("hvm-public")  # doctest: +SKIP

Brain-Score names a data set three ways: the registry key users load it by
(``MajajHong2015.public``), the storage identifier its files are named after
(``dicarlo.MajajHong2015.public``) and, for an assembly, the stimulus set it was recorded on
(``hvm-public``). The catalog ``brainscore_vision`` keeps all three (columns ``registry_key``,
``identifier``, ``stimulus_set_identifier``) and whether the data are public (``access``);
:class:`brainio.registry.Registry` goes from a registry key to the loaded object, which records
all of them. ``load_stimulus_set`` gives an :class:`~brainio_vision.stimuli.ImageStimulusSet`
(``get_stimulus(id)`` a path, ``load_image(id)`` a picture).

The catalog is registered through the ``brainio`` entry point, so
``brainio.get_assembly("dicarlo.MajajHong2015.public")`` works too. The image classes (and
pandas with them) are imported on first use, so loading the plugin stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from brainio.registry import ACCESS_LEVELS, Registry
from brainio_vision.plugin import CATALOG_NAME

__version__ = "2.0.0.dev0"

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
    "registry",
    "stimulus_set_registry",
    "__version__",
]

registry = Registry(CATALOG_NAME, "Brain-Score vision")

list_datasets = registry.list_datasets
list_stimulus_sets = registry.list_stimulus_sets
lookup_dataset = registry.lookup_dataset
lookup_stimulus_set = registry.lookup_stimulus_set
load_dataset = registry.load_dataset
load_stimulus_set = registry.load_stimulus_set
data_registry = registry.data_registry
"""Brain-Score's ``data_registry``: ``data_registry["MajajHong2015.public"]()`` loads it."""
stimulus_set_registry = registry.stimulus_set_registry
"""Brain-Score's ``stimulus_set_registry``: ``stimulus_set_registry["hvm-public"]()``."""

if TYPE_CHECKING:
    from brainio_vision.stimuli import ImageStimulusSet, MissingDependencyError


def __getattr__(name: str) -> Any:
    if name in ("ImageStimulusSet", "MissingDependencyError"):
        from brainio_vision import stimuli

        return getattr(stimuli, name)
    raise AttributeError(f"module 'brainio_vision' has no attribute {name!r}")
