"""Named points where a test may kill the process, to prove a crash there leaves no damage.

The fault-injection tests (``tests/faults``) start a child process with the environment
variable ``BRAINIO_KILL_AT`` naming one point; when the child reaches it, it sends itself
``SIGKILL`` (as ``kill -9`` would, or a power cut: no cleanup runs). ``name@N`` dies the
N-th time the point is reached. The next process must find the cache, the catalog or the
store consistent. Unset (always, outside these tests), a point costs one dictionary lookup.

Points: ``fetch:downloaded`` (file written, not yet verified and renamed),
``fetch:renamed`` (file in place, no marker yet), ``extract:written`` (files extracted into
the temporary folder, no manifest yet), ``extract:manifest`` (manifest written, folder not yet
renamed), ``atomic:before-rename`` (any atomically written file, e.g. a packaged netCDF or a
catalog, complete under its temporary name).
"""

from __future__ import annotations

import os
import signal

KILL_AT_ENV = "BRAINIO_KILL_AT"

__all__ = ["KILL_AT_ENV", "point"]


_reached: dict[str, int] = {}


def point(name: str) -> None:
    """Die here, at once and without cleanup, if ``BRAINIO_KILL_AT`` names this point."""
    wanted = os.environ.get(KILL_AT_ENV)
    if not wanted:
        return
    target, _, nth = wanted.partition("@")
    if target != name:
        return
    _reached[name] = _reached.get(name, 0) + 1
    if _reached[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
