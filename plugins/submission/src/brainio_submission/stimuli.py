"""The stimuli a mock run shows the submitted models.

The demo stimulus set of ``brainio-local`` (``demo.shapes``) is used when it can be loaded, so
the mock run exercises the same loading path as real data. Without it (``brainio-local`` not
installed), four small images shipped with this package stand in.
"""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path

from brainio.errors import BrainIOError

logger = logging.getLogger(__name__)

DEMO_STIMULUS_SET = "demo.shapes"


def mock_run_stimuli() -> tuple[str, list[Path]]:
    """``(name, paths)`` of the stimuli for a mock run: the demo set, else the bundled images."""
    try:
        import brainio

        stimulus_set = brainio.get_stimulus_set(DEMO_STIMULUS_SET)
        paths = [stimulus_set.get_stimulus(sid) for sid in stimulus_set["stimulus_id"]]
    except (BrainIOError, ImportError) as error:
        logger.info(
            "demo stimulus set %s unavailable (%s); using bundled images", DEMO_STIMULUS_SET, error
        )
        return "bundled", bundled_stimuli()
    return DEMO_STIMULUS_SET, [Path(path) for path in paths]


def bundled_stimuli() -> list[Path]:
    folder = resources.files("brainio_submission") / "stimuli"
    return sorted(Path(str(entry)) for entry in folder.iterdir() if entry.name.endswith(".png"))
