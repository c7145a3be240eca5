"""Errors of the submission tools, in BrainIO's hierarchy (the `brainio` CLI shows one line)."""

from __future__ import annotations

from brainio.errors import BrainIOError


class SubmissionError(BrainIOError, ValueError):
    """A submission cannot be created or checked as asked (e.g. the target folder is taken)."""
