"""Submissions to Brain-Score: templates, the upload zip, validation and a sandboxed mock run.

``brainio submission new DIR`` writes a model plugin (``--kind benchmark``, or the 2021 layout
with ``--kind legacy-base|legacy-brain``), ``brainio submission zip DIR`` writes the upload zip,
``brainio submission validate PATH`` applies the Brain-Score website's checks and more without
running anything, ``brainio submission check PATH --run`` also runs the models in a sandbox.
The same functions are importable for scripts.
"""

from __future__ import annotations

from brainio_submission.problems import Problem
from brainio_submission.template import write_template
from brainio_submission.validate import validate
from brainio_submission.zipping import zip_submission

__all__ = ["Problem", "validate", "write_template", "zip_submission"]
