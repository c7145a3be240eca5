"""SHA-1 of files, the hash BrainIO catalogs use to name and verify every object.

SHA-1 is kept for compatibility with BrainIO 1.x catalogs; it identifies content here and is
not a security boundary, so it is computed with ``usedforsecurity=False`` (works on FIPS
systems). Files are read in large blocks into one reused buffer, which keeps hashing of
multi-gigabyte files close to disk speed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Callable

logger = logging.getLogger(__name__)

DEFAULT_BUFFER_SIZE = 1 << 20  # 1 MiB
_SHA1_PATTERN = re.compile(r"^[0-9a-f]{40}$")


def sha1_hash(
    path: str | os.PathLike[str],
    buffer_size: int = DEFAULT_BUFFER_SIZE,
    callback: Callable[[int], object] | None = None,
) -> str:
    """Hex SHA-1 of the file at ``path``.

    ``callback(n)`` is called after each block with the number of bytes just read (used for
    progress bars on large files).
    """
    logger.debug("hashing %s", path)
    digest = hashlib.sha1(usedforsecurity=False)
    buffer = bytearray(buffer_size)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as file:
        while count := file.readinto(buffer):
            digest.update(view[:count])
            if callback is not None:
                callback(count)
    return digest.hexdigest()


def is_sha1(value: object) -> bool:
    """Whether ``value`` is a 40-digit lowercase hex string."""
    return isinstance(value, str) and _SHA1_PATTERN.match(value) is not None


def normalize_sha1(value: str) -> str:
    """Lower-case and strip a SHA-1 as written in a catalog (hex digits may be upper case)."""
    return value.strip().lower()


__all__ = ["DEFAULT_BUFFER_SIZE", "is_sha1", "normalize_sha1", "sha1_hash"]
