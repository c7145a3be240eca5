"""BrainIO: stimuli and recordings of neuroscience experiments, loadable by name.

>>> from brainio import get_assembly, get_stimulus_set, list_assemblies  # doctest: +SKIP
>>> assembly = get_assembly("dicarlo.MajajHong2015.public")  # doctest: +SKIP

The functions are imported on first use, so ``import brainio`` (and ``brainio --help``)
stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from brainio.errors import BrainIOError
from brainio.hookspecs import hookimpl

__version__ = "2.0.0.dev0"

_LAZY = {
    "get_assembly": "brainio.loading",
    "get_stimulus_set": "brainio.loading",
    "get_catalog": "brainio.lookup",
    "list_assemblies": "brainio.lookup",
    "list_catalogs": "brainio.lookup",
    "list_stimulus_sets": "brainio.lookup",
    "refresh_plugins": "brainio.plugins",
}

__all__ = [
    "BrainIOError",
    "__version__",
    "get_assembly",
    "get_catalog",
    "get_stimulus_set",
    "hookimpl",
    "list_assemblies",
    "list_catalogs",
    "list_stimulus_sets",
    "refresh_plugins",
]

if TYPE_CHECKING:
    from brainio.loading import get_assembly, get_stimulus_set
    from brainio.lookup import get_catalog, list_assemblies, list_catalogs, list_stimulus_sets
    from brainio.plugins import refresh_plugins


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'brainio' has no attribute '{name}'")
