"""String coordinates held as pandas factorizes them: codes into the sorted unique values.

A netCDF file stores a string coordinate (the 148,480 ``stimulus_id`` of MajajHong2015, 5,760
of them distinct) as one variable-length string per element. xarray reads those and turns
them into a fixed-width numpy array (``<U40``: 160 bytes a value); building the assembly's
MultiIndex then converts that back to Python strings to factorize it, and merging a stimulus
set looks every element up again. Factorizing once, as the strings are read, skips the
fixed-width copy, the second factorization and the element-wise lookups, and holds the
column in 8 bytes a value. xarray sees a lazily indexed array of the dtype it would have
decoded, so ``.values`` and selections give exactly what xarray gives.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from xarray.backends import BackendArray
from xarray.core import indexing

__all__ = ["FactorizedArray", "factorized"]


class FactorizedArray(BackendArray):
    """A 1-D column of strings as ``codes`` into ``uniques`` (sorted), read-only."""

    def __init__(self, codes: np.ndarray, uniques: pd.Index) -> None:
        self.codes, self.uniques = codes, uniques
        self.shape = codes.shape
        #: what xarray decodes variable-length strings to: fixed width, the longest value's
        self.dtype = np.asarray(uniques, dtype=object).astype(str).dtype

    @classmethod
    def from_blocks(cls, blocks: Iterable[np.ndarray]) -> FactorizedArray:
        """The column given as consecutive blocks of strings, factorized block by block: only
        one block's string objects exist at a time (netCDF4 makes one per element), which
        keeps the memory they take, and the heap they leave behind, to a block's."""
        uniques = pd.Index([], dtype=object)
        parts = []
        for block in blocks:
            codes, found = pd.factorize(np.asarray(block, dtype=object))
            found = pd.Index(found, dtype=object)
            new = found[~found.isin(uniques)]
            if len(new):
                uniques = uniques.append(new)
            parts.append(uniques.get_indexer(found)[codes])
        order = np.argsort(np.asarray(uniques, dtype=object), kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        codes = rank[np.concatenate(parts)] if parts else np.empty(0, np.intp)
        return cls(codes, uniques[order])

    def __getitem__(self, key: Any) -> np.ndarray:
        return indexing.explicit_indexing_adapter(
            key, self.shape, indexing.IndexingSupport.OUTER, self._getitem
        )

    def _getitem(self, key: tuple) -> np.ndarray:
        return np.asarray(self.uniques, dtype=self.dtype)[self.codes[key]]


def factorized(variable: xr.Variable) -> FactorizedArray | None:
    """The :class:`FactorizedArray` holding all of ``variable``, if that is what it holds
    (not after a selection, a change of its values or a load into memory)."""
    data = variable._data
    while isinstance(data, indexing.MemoryCachedArray | indexing.CopyOnWriteArray):
        data = data.array
    if not isinstance(data, indexing.LazilyIndexedArray):
        return None
    array = data.array
    if not isinstance(array, FactorizedArray) or data.shape != array.shape:
        return None
    whole = all(isinstance(part, slice) and part.step in (None, 1) for part in data.key.tuple)
    return array if whole else None
