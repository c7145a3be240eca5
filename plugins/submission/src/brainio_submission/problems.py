"""One finding about a submission: what rule it breaks, where, and what to do about it.

Validation and the mock run both report lists of :class:`Problem` rather than raising at the
first one, so a submitter fixes everything in one round instead of one error per upload.
"""

from __future__ import annotations

from typing import Any

import attrs


@attrs.frozen
class Problem:
    """A broken rule, located by file (relative to the submission) and line where known."""

    code: str
    message: str
    file: str | None = None
    line: int | None = None
    model: str | None = None
    layer: str | None = None
    website: bool = False  # a rule the Brain-Score website applies to uploads
    website_message: str | None = None  # how the website words it, where it says something

    def location(self) -> str:
        """``file:line`` (or just ``file``), for one-line reports."""
        if self.file is None:
            return "<submission>"
        return f"{self.file}:{self.line}" if self.line is not None else self.file

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)

    def format(self) -> str:
        subject = ""
        if self.model is not None:
            subject = f" [model {self.model!r}" + (
                f", layer {self.layer!r}]" if self.layer is not None else "]"
            )
        text = f"{self.location()}: {self.code}{subject}: {self.message}"
        if self.website_message is not None:
            text += f"\n    Brain-Score website: {self.website_message}"
        return text
