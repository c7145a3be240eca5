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
import threading
from collections.abc import Callable
from typing import TypeGuard

logger = logging.getLogger(__name__)

DEFAULT_BUFFER_SIZE = 1 << 20  # 1 MiB
_SHA1_PATTERN = re.compile(r"^[0-9a-f]{40}$")


def sha1_text(text: str) -> str:
    """Hex SHA-1 of ``text`` (UTF-8): short stable names for keys."""
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()


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


class HashingWriter:
    """A file opened for writing, at any offsets, whose SHA-1 is computed as the bytes arrive.

    For fetchers (one pass over the bytes instead of a second one after the download): bytes
    written right after the hashed prefix are hashed from the caller's buffer; bytes written
    ahead of it (parallel ranged downloads) are hashed once the gap before them is filled, read
    back from the file (the page cache). :meth:`hexdigest` is ``None`` when the writes did not
    tile the file exactly (a range rewritten, e.g. by a retry): then hash the file instead.
    Seekable, so boto3's transfer manager writes its parts straight into it.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._file = open(path, "w+b", buffering=0)  # noqa: SIM115 - closed by close()
        self._digest = hashlib.sha1(usedforsecurity=False)
        self._hashed = 0  # bytes [0, _hashed) are in the digest
        self._ahead: dict[int, int] = {}  # offset -> length of ranges written past the prefix
        self._position = 0
        self._broken = False
        self._lock = threading.Lock()

    def __enter__(self) -> HashingWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def seekable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        with self._lock:
            self._position = self._file.seek(offset, whence)
            return self._position

    def tell(self) -> int:
        return self._position

    def write(self, data) -> int:
        view = memoryview(data).cast("B")
        with self._lock:
            start = self._position
            written = 0
            while written < len(view):  # a raw file may write less than asked
                written += self._file.write(view[written:])
            self._position += written
            if start == self._hashed:
                self._digest.update(view)
                self._hashed += written
                self._catch_up()
            elif start > self._hashed:
                self._ahead[start] = written
            else:
                self._broken = True  # bytes already hashed were written again
        return written

    def _catch_up(self) -> None:
        descriptor = self._file.fileno()
        while (length := self._ahead.pop(self._hashed, None)) is not None:
            end = self._hashed + length
            while self._hashed < end:
                block = os.pread(
                    descriptor, min(DEFAULT_BUFFER_SIZE, end - self._hashed), self._hashed
                )
                if not block:
                    self._broken = True
                    return
                self._digest.update(block)
                self._hashed += len(block)

    def flush(self) -> None:
        self._file.flush()

    def complete_prefix(self) -> int:
        """How many bytes from the start of the file were all written."""
        with self._lock:
            return self._hashed

    def truncate(self, size: int) -> int:
        """Cut the file to ``size`` bytes (what an interrupted download keeps)."""
        with self._lock:
            return self._file.truncate(size)

    def close(self) -> None:
        self._file.close()

    @property
    def closed(self) -> bool:
        return self._file.closed

    def hexdigest(self) -> str | None:
        """The SHA-1 of the whole file, if every byte was written exactly once; else ``None``."""
        with self._lock:
            size = os.fstat(self._file.fileno()).st_size if not self._file.closed else None
            if size is None:
                size = os.stat(self._file.name).st_size
            if self._broken or self._ahead or self._hashed != size:
                return None
            return self._digest.hexdigest()


def is_sha1(value: object) -> TypeGuard[str]:
    """Whether ``value`` is a 40-digit lowercase hex string."""
    return isinstance(value, str) and _SHA1_PATTERN.match(value) is not None


def normalize_sha1(value: str) -> str:
    """Lower-case and strip a SHA-1 as written in a catalog (hex digits may be upper case)."""
    return value.strip().lower()


__all__ = ["DEFAULT_BUFFER_SIZE", "HashingWriter", "is_sha1", "normalize_sha1", "sha1_hash"]
