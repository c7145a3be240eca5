"""Files that appear whole or not at all.

Every file BrainIO writes for others to read (cache entries, netCDF files, packaged archives,
catalog rows, stored objects) is written under a temporary name in the target's own folder and
renamed into place only once complete, so a reader, a crash or a concurrent writer never sees a
half-written file. Temporary names start with ``.<target name>.`` so leftovers are easy to spot.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from brainio import faultpoints


@contextlib.contextmanager
def atomic_path(
    target: str | os.PathLike[str], *, exclusive: bool = False, mode: int | None = 0o644
) -> Iterator[Path]:
    """A temporary path beside ``target`` that becomes ``target`` if the block succeeds.

    The block writes the temporary file (it exists, empty; it may also be replaced). On success
    it gets permissions ``mode`` (``None`` keeps them) and is renamed to ``target``; on failure
    it is removed. With ``exclusive=True`` an existing ``target`` is never replaced:
    :class:`FileExistsError` is raised instead, also when another writer created ``target``
    while the block ran.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(descriptor)
    temp = Path(name)
    try:
        yield temp
        if mode is not None:
            temp.chmod(mode)
        faultpoints.point("atomic:before-rename")
        if exclusive:
            _link_new(temp, target)
        else:
            os.replace(temp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


def _link_new(temp: Path, target: Path) -> None:
    try:
        os.link(temp, target)  # atomic, and fails if the target exists
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links: check, then rename
        if target.exists():
            raise FileExistsError(target) from None
        os.replace(temp, target)
