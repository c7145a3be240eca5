"""The Brain-Score language data sets as a BrainIO catalog, loadable the Brain-Score way.

>>> import brainio_language
>>> "Pereira2018.language" in brainio_language.list_datasets(access="public")
True
>>> assembly = brainio_language.load_dataset("Pereira2018.language")  # doctest: +SKIP
>>> sentences = assembly["stimulus"].values  # doctest: +SKIP

Language data have no stimulus sets: sentences and words are coordinates of the
``presentation`` dimension, and only the data set's netCDF file is fetched. The catalog
(``brainscore_language``) is registered through the ``brainio`` entry point, so
``brainio.get_assembly("Pereira2018.language")`` works too. Names are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "2.0.0.dev0"

_LAZY = {
    "ACCESS_LEVELS": "brainio_language.registry",
    "data_registry": "brainio_language.registry",
    "list_datasets": "brainio_language.registry",
    "list_stimulus_sets": "brainio_language.registry",
    "load_dataset": "brainio_language.registry",
    "load_stimulus_set": "brainio_language.registry",
    "lookup_dataset": "brainio_language.registry",
    "CATALOG_NAME": "brainio_language.plugin",
}

__all__ = [
    "ACCESS_LEVELS",
    "CATALOG_NAME",
    "data_registry",
    "list_datasets",
    "list_stimulus_sets",
    "load_dataset",
    "load_stimulus_set",
    "lookup_dataset",
    "__version__",
]

if TYPE_CHECKING:
    from brainio_language.plugin import CATALOG_NAME
    from brainio_language.registry import (
        ACCESS_LEVELS,
        data_registry,
        list_datasets,
        list_stimulus_sets,
        load_dataset,
        load_stimulus_set,
        lookup_dataset,
    )


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'brainio_language' has no attribute {name!r}")
