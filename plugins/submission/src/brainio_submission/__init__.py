"""Model submissions for Brain-Score: the template, static validation and a time-limited mock run.

``brainio submission new DIR`` writes the template, ``brainio submission validate PATH`` reads
a zip or folder without running it, ``brainio submission check PATH --run`` also runs the
models in a separate process. The same functions are importable for scripts.
"""

from __future__ import annotations

from brainio_submission.problems import Problem
from brainio_submission.template import write_template
from brainio_submission.validate import validate

__all__ = ["Problem", "validate", "write_template"]
