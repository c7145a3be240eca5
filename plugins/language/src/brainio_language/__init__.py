"""The Brain-Score language data sets as a BrainIO catalog, loadable the Brain-Score way.

>>> import brainio_language
>>> "Pereira2018.language" in brainio_language.list_datasets(access="public")
True
>>> assembly = brainio_language.load_dataset("Pereira2018.language")  # doctest: +SKIP
>>> sentences = assembly["stimulus"].values  # doctest: +SKIP

Brain-Score language registers each data set under a key (``Pereira2018.language``) that is
also its storage identifier; the catalog ``brainscore_language`` keeps both (columns
``registry_key`` and ``identifier``) and whether the data are public (``access``), and
:class:`brainio.registry.Registry` loads by key. Language data have no stimulus sets: sentences
and words are coordinates of the ``presentation`` dimension, and only the data set's netCDF
file is fetched. The catalog is registered through the ``brainio`` entry point, so
``brainio.get_assembly("Pereira2018.language")`` works too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from brainio.errors import StimulusSetLookupError
from brainio.records import TYPE_ASSEMBLY
from brainio.registry import ACCESS_LEVELS, LoaderMapping, Registry
from brainio_language.plugin import CATALOG_NAME

if TYPE_CHECKING:
    from brainio.assemblies import DataAssembly

__version__ = "2.0.0.dev0"

__all__ = [
    "ACCESS_LEVELS",
    "CATALOG_NAME",
    "data_registry",
    "list_datasets",
    "list_stimulus_sets",
    "load_dataset",
    "load_stimulus_set",
    "lookup_dataset",
    "registry",
    "__version__",
]

registry = Registry(CATALOG_NAME, "Brain-Score language")

list_datasets = registry.list_datasets
lookup_dataset = registry.lookup_dataset
list_stimulus_sets = registry.list_stimulus_sets
"""Always empty (the catalog has no stimulus sets); the same signature as in ``brainio_vision``,
so code written for both domains works."""


def load_dataset(identifier: str, *, chunks: Mapping[str, int] | str | None = None) -> DataAssembly:
    """Load the data set registered as ``identifier``, e.g. ``"Pereira2018.language"``.

    Only its netCDF file is fetched: sentences and words are ``presentation`` coordinates.
    ``chunks`` gives a lazily loaded, dask-backed assembly (see :func:`brainio.get_assembly`).
    ``attrs`` records ``registry_key``, ``identifier`` (the storage identifier) and ``access``.
    """
    return registry.load_dataset(identifier, chunks=chunks, load_stimulus_set=False)


def load_stimulus_set(identifier: str) -> Any:
    """Raises :class:`~brainio.errors.StimulusSetLookupError`: language has no stimulus sets."""
    raise StimulusSetLookupError(
        f"No stimulus set '{identifier}': Brain-Score language has no stimulus sets: the "
        "sentences and words of a data set are coordinates of its 'presentation' dimension "
        "(e.g. assembly['stimulus']). Load the data set with load_dataset(key); "
        "list_datasets() lists the keys."
    )


data_registry = LoaderMapping(registry, TYPE_ASSEMBLY, load_dataset)
"""Brain-Score's ``data_registry``: ``data_registry["Pereira2018.language"]()`` loads it."""
