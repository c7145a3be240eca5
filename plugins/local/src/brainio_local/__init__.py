"""BrainIO plugin for files on disk.

* a fetcher for ``location_type`` ``local`` and ``file://`` URLs, with paths relative to the
  catalog's folder (:func:`brainio_local.fetcher.fetch_local`);
* a folder store that packaging can upload into (:class:`brainio_local.store.FolderStore`);
* the embedded demo catalog ``brainio_demo`` and the ``brainio demo`` command
  (:mod:`brainio_local.demo`).

The hooks are in :mod:`brainio_local.plugin` (entry point ``local`` in group ``brainio``).
"""

from brainio_local.fetcher import fetch_local
from brainio_local.store import FolderStore

__all__ = ["FolderStore", "fetch_local"]
