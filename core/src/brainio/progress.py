"""Progress bars for long transfers, shown only to a person watching a terminal.

Bars go to stderr (stdout stays clean for ``--json`` output) and are disabled when stderr is
not a terminal, when ``BRAINIO_PROGRESS=0``, or inside ``with progress.enabled(False):``
(which ``Cache.fetch(..., progress=False)`` uses around a fetcher).
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tqdm import tqdm

PROGRESS_ENV = "BRAINIO_PROGRESS"

_enabled: contextvars.ContextVar[bool] = contextvars.ContextVar("brainio_progress", default=True)


def progress_wanted() -> bool:
    """Whether a progress bar would be shown right now."""
    if os.environ.get(PROGRESS_ENV, "").strip() == "0" or not _enabled.get():
        return False
    stream = sys.stderr
    return stream is not None and hasattr(stream, "isatty") and stream.isatty()


@contextlib.contextmanager
def enabled(flag: bool) -> Iterator[None]:
    """Turn progress bars on or off for the code inside the ``with`` block (this thread/task)."""
    token = _enabled.set(flag and _enabled.get())
    try:
        yield
    finally:
        _enabled.reset(token)


def progress_bar(total: int | None, description: str, unit: str = "B") -> tqdm:
    """A tqdm bar for ``total`` units (bytes by default; ``None`` if unknown), on stderr.

    Use as a context manager and call ``bar.update(n)``; a disabled bar accepts the same calls.
    """
    from tqdm import tqdm

    byte_units = unit == "B"
    return tqdm(
        total=total,
        desc=description,
        unit=unit,
        unit_scale=byte_units,
        unit_divisor=1024 if byte_units else 1000,
        file=sys.stderr,
        disable=not progress_wanted(),
        leave=False,
        dynamic_ncols=True,
    )


__all__ = ["PROGRESS_ENV", "enabled", "progress_bar", "progress_wanted"]
