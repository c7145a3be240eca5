"""A folder on disk (or a mounted share) as a storage target for packaging.

``FolderStore(root)`` is an uploader (see :class:`brainio.protocols.Uploader`): it copies a
packaged file to ``root/<key>`` and returns the ``file://`` URL a catalog row should point
at. A copy lands under a temporary name in the target folder first and only then takes its
final name, so an interrupted upload never leaves a truncated file under a real key.
"""

from __future__ import annotations

import logging
import posixpath
import shutil
from pathlib import Path

import attrs

from brainio.atomic import atomic_path
from brainio.errors import PackagingError
from brainio.paths import UnsafePathError, confined
from brainio.records import StoredObject
from brainio_local.fetcher import LOCATION_TYPE

logger = logging.getLogger(__name__)


@attrs.frozen
class FolderStore:
    """Copies files into ``root`` under posix-style keys such as ``"assy_lab_Name2024.nc"``."""

    root: Path = attrs.field(converter=lambda value: Path(value).expanduser().absolute())

    def path_for(self, key: str) -> Path:
        """Where ``key`` is stored; keys use ``/`` and may not leave ``root``.

        :raises PackagingError: for an empty or absolute key, or one escaping ``root``.
        """
        if "\\" in key:
            reason = "contains a backslash"
        else:
            try:
                # a key is the packager's own name: 'a/../b' means 'b' (posix rules)
                return confined(self.root, posixpath.normpath(key), what="Storage key")
            except UnsafePathError as error:
                reason = error.reason
        raise PackagingError(
            f"Storage key '{key}' is not allowed in the folder store {self.root}: it {reason}; "
            f"keys are relative paths with '/' separators that stay inside the store "
            f"(e.g. 'assy_lab_Name2024.nc' or 'lab/stimulus_lab_name.zip')."
        )

    def __call__(self, local_path: Path, key: str, *, overwrite: bool = False) -> StoredObject:
        """Copy ``local_path`` to the store under ``key``.

        :param overwrite: replace an object already stored under ``key``.
        :raises PackagingError: when ``key`` exists and ``overwrite`` is false, or ``key``
            is not allowed, or ``local_path`` is not a file.
        """
        local_path = Path(local_path)
        target = self.path_for(key)
        if not overwrite and target.exists():
            raise self._exists_error(key, target)
        if not local_path.is_file():
            raise PackagingError(
                f"Cannot store {local_path} under key '{key}': it is not an existing file. "
                f"Write the file first, or fix its path."
            )
        try:
            with atomic_path(target, exclusive=not overwrite) as temp:
                shutil.copyfile(local_path, temp)
        except FileExistsError:  # another writer stored this key meanwhile
            raise self._exists_error(key, target) from None
        logger.info("stored %s as %s", local_path, target)
        return StoredObject(location_type=LOCATION_TYPE, location=target.as_uri())

    def _exists_error(self, key: str, target: Path) -> PackagingError:
        return PackagingError(
            f"Storage key '{key}' already exists in the folder store {self.root} ({target}). "
            f"Choose another key, or pass overwrite=True to replace it."
        )
