"""Rules for the identifiers a submission registers (model names, benchmark identifiers)."""

from __future__ import annotations

from collections.abc import Iterator

from brainio_submission.problems import Problem
from brainio_submission.tree import SubmissionTree

HYPHEN_WEBSITE_MESSAGE = (
    "Identifiers must not contain hyphens (they break scoring); use underscores."
)


def check_identifier(
    tree: SubmissionTree,
    relative: str,
    name: str,
    line: int,
    names_seen: dict[str, tuple[str, int]],
    website: bool = False,
) -> Iterator[Problem]:
    """Hyphens, and the same identifier registered twice (Brain-Score then finds neither)."""
    if "-" in name:
        yield Problem(
            "hyphen-in-identifier",
            f"Identifier {name!r} contains a hyphen, which Brain-Score rejects; use "
            f"{name.replace('-', '_')!r}.",
            tree.display(relative),
            line,
            website=website,
            website_message=HYPHEN_WEBSITE_MESSAGE if website else None,
        )
    if name in names_seen:
        first_file, first_line = names_seen[name]
        yield Problem(
            "duplicate-model-name",
            f"Identifier {name!r} is registered twice (first in {first_file}:{first_line}); "
            "every model needs its own name.",
            tree.display(relative),
            line,
        )
    else:
        names_seen[name] = (tree.display(relative), line)
