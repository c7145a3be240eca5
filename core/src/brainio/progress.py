"""Progress bars for long transfers, shown wherever a person is watching.

Bars are on by default in a terminal (on stderr, so stdout stays clean for ``--json`` output)
and in Jupyter (as notebook widgets, through ``tqdm.auto``), and off in logs and pipes.
``BRAINIO_PROGRESS=0`` turns them off everywhere, ``BRAINIO_PROGRESS=1`` on everywhere (e.g.
to see them in a CI log); ``with progress.enabled(False):`` turns them off for a block (which
``Cache.fetch(..., progress=False)`` uses around a fetcher).
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import sys
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tqdm import tqdm

PROGRESS_ENV = "BRAINIO_PROGRESS"

_enabled: contextvars.ContextVar[bool] = contextvars.ContextVar("brainio_progress", default=True)


def progress_wanted() -> bool:
    """Whether a progress bar would be shown right now."""
    setting = os.environ.get(PROGRESS_ENV, "").strip()
    if setting == "0" or not _enabled.get():
        return False
    if setting == "1":
        return True
    stream = sys.stderr
    in_terminal = stream is not None and hasattr(stream, "isatty") and stream.isatty()
    return in_terminal or in_notebook()


def in_notebook() -> bool:
    """Whether this process is a Jupyter kernel (JupyterLab, VS Code, Colab, ...)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


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
    from tqdm.auto import tqdm

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


@contextlib.contextmanager
def stage(description: str) -> Iterator[None]:
    """Show ``description`` and the time elapsed while the block runs (work that cannot count
    its progress, e.g. writing a netCDF file): a person sees at once that something happens."""
    bar = progress_bar(None, description, unit="step")
    if bar.disable:
        with bar:
            yield
        return
    bar.bar_format = "{desc}: {elapsed}"
    stop = threading.Event()

    def tick() -> None:
        while not stop.wait(0.5):
            bar.refresh()

    ticker = threading.Thread(target=tick, name="brainio-progress", daemon=True)
    with bar:
        bar.refresh()
        ticker.start()
        try:
            yield
        finally:
            stop.set()
            ticker.join()


__all__ = ["PROGRESS_ENV", "enabled", "in_notebook", "progress_bar", "progress_wanted", "stage"]
