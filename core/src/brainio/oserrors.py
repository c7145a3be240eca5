"""The operating system's complaints about files, as one-line BrainIO errors with a fix.

``OSError: [Errno 28] No space left on device`` says neither which file nor what to do.
:func:`explained` turns the errors a user can cause (full disk, read-only folder, file size
limit) into :class:`~brainio.errors.DiskFullError` / :class:`~brainio.errors.ReadOnlyCacheError`
naming the folder, how much space was needed and, for the cache, ``BRAINIO_HOME``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

from brainio.errors import BrainIOError, DiskFullError, ReadOnlyCacheError

__all__ = ["disk_error_in", "explained", "translated"]

HOME_ENV = "BRAINIO_HOME"
_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_READ_ONLY = {errno.EROFS, errno.EACCES, errno.EPERM}


def _megabytes(n: int) -> str:
    return f"{n / 2**20:.1f} MB"


def disk_error_in(error: BaseException) -> OSError | None:
    """The full-disk or read-only ``OSError`` behind ``error`` (its causes followed), if any."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in _FULL | _READ_ONLY:
            return current
        current = current.__cause__ or current.__context__
    return None


def explained(
    error: BaseException,
    folder: Path,
    what: str,
    *,
    needed: int | None = None,
    written: int | None = None,
) -> BrainIOError | None:
    """A one-line error for a full disk or read-only ``folder`` behind ``error``, else ``None``.

    A permission error counts only for a file inside ``folder`` (reading someone else's
    file is not the cache's problem).

    :param what: what was being written, e.g. ``"extracting stimuli.zip"``.
    :param needed: bytes the write needed in all, when known.
    :param written: bytes written before the disk ran out, when ``needed`` is not known.
    """
    cause = disk_error_in(error)
    if cause is None or (cause.errno in _READ_ONLY and not _inside(cause.filename, folder)):
        return None  # e.g. a source file the user may not read: not the cache's problem
    home = os.environ.get(HOME_ENV) or "not set, so ~/.brainio"
    if cause.errno in _FULL:
        free = None
        with contextlib.suppress(OSError):
            free = shutil.disk_usage(_existing(folder)).free
        if cause.errno == errno.EFBIG:
            problem = "a file size limit (ulimit -f) was reached"
        else:
            problem = "the disk (or your quota) is full"
        if needed is not None:
            amount = f"it needs {_megabytes(needed)}"
        elif written is not None:
            amount = f"it needs more than the {_megabytes(written)} written so far"
        else:
            amount = "it needs more space"
        available = f", {_megabytes(free)} are free there" if free is not None else ""
        return DiskFullError(
            f"Out of space while {what} in {folder}: {problem} ({cause.strerror}); "
            f"{amount}{available}. Free some space, or set {HOME_ENV} (now {home}) to a "
            f"folder on a larger disk."
        )
    reason = cause.strerror or "permission denied"
    return ReadOnlyCacheError(
        f"Cannot write to {cause.filename or folder} while {what}: {reason}. "
        f"Set {HOME_ENV} (now {home}) to a folder you can write to, or make this one "
        f"writable (a read-only cache works only for files already fetched and extracted)."
    )


@contextlib.contextmanager
def translated(
    folder: Path, what: str, *, needed: int | Callable[[], int | None] | None = None
) -> Iterator[None]:
    """Re-raise a full-disk or read-only error in the block as :func:`explained` says
    (``needed`` may be a function, called only if the block fails)."""
    try:
        yield
    except BrainIOError as error:
        better = explained(error, folder, what, needed=needed() if callable(needed) else needed)
        if better is None or isinstance(error, type(better)):
            raise
        raise better from error
    except OSError as error:
        better = explained(error, folder, what, needed=needed() if callable(needed) else needed)
        if better is None:
            raise
        raise better from error


def _inside(filename: str | bytes | os.PathLike[str] | None, folder: Path) -> bool:
    if not filename:
        return True
    return Path(os.path.abspath(os.fsdecode(filename))).is_relative_to(os.path.abspath(folder))


def _existing(folder: Path) -> Path:
    while not folder.exists() and folder.parent != folder:
        folder = folder.parent
    return folder
