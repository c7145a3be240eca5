"""Validating a submission zip or folder as a whole, without extracting or running it.

Order of work: the size limit, then :func:`brainio.archive.check_archive` (the one
implementation of the unsafe-archive rules, shared with the core's stimulus zips), then the
single root folder, then the file rules of :mod:`brainio_submission.rules`. An unsafe archive
stops validation there: its entries are never read.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from brainio.archive import ArchiveLimits, check_archive
from brainio_submission.problems import Problem
from brainio_submission.rules import check_tree
from brainio_submission.tree import SubmissionTree, read_folder, read_zip, top_level_entries
from brainio_submission.website import MAX_SIZE_MB, SIZE_MESSAGE

DEFAULT_MAX_SIZE_MB = float(MAX_SIZE_MB)
# A zip of at most ~50 MB that declares more than 1 GiB, 10,000 files or a zip inside a zip
# inside the submission is not a model submission.
SUBMISSION_LIMITS = ArchiveLimits(max_entries=10_000, max_total_size=2**30, max_nesting_depth=1)


def validate(path: Path, max_size_mb: float = DEFAULT_MAX_SIZE_MB) -> list[Problem]:
    """Every problem of the submission at ``path`` (a ``.zip`` file or a project folder)."""
    problems, _ = read_submission(path, max_size_mb)
    return problems


def read_submission(
    path: Path, max_size_mb: float = DEFAULT_MAX_SIZE_MB
) -> tuple[list[Problem], SubmissionTree | None]:
    """Problems, and the readable file tree (None when the submission cannot be read safely)."""
    path = Path(path)
    limit = int(max_size_mb * 2**20)
    if path.is_dir():
        tree = read_folder(path)
        problems = _size_problem(path, tree.total_size(), limit, "The folder's files total")
        return problems + check_tree(tree), tree
    if not zipfile.is_zipfile(path):
        return [
            Problem(
                "invalid-archive",
                "Not a zip archive or a folder. Zip the project's root folder (a single folder "
                "at the top of the zip) and try again.",
                str(path),
            )
        ], None
    problems = _size_problem(path, path.stat().st_size, limit, "The zip is")
    unsafe = [
        Problem(
            f"archive-{item.code}",
            _sentence(f"Unsafe archive: {item.message}"),
            item.entry if item.entry is not None else str(path),
        )
        for item in check_archive(path, SUBMISSION_LIMITS)
    ]
    if unsafe:
        return problems + unsafe, None
    with zipfile.ZipFile(path) as archive:
        roots = top_level_entries(archive)
        names = set(archive.namelist())
        folders = {name.split("/", 1)[0] for name in names if "/" in name}
    if len(roots) != 1 or roots[0] not in folders:
        found = ", ".join(repr(name) for name in roots) or "nothing"
        problems.append(
            Problem(
                "root-folder",
                "The zip must hold exactly one folder, the project's root (hidden entries and "
                f"__MACOSX are ignored); found {found}. Zip the folder itself, not its contents.",
                str(path),
            )
        )
        return problems, None
    tree = read_zip(path, roots[0])
    return problems + check_tree(tree), tree


def _sentence(text: str) -> str:
    return text if text.endswith((".", "?", "!")) else f"{text}."


def _size_problem(path: Path, size: int, limit: int, what: str) -> list[Problem]:
    if size <= limit:
        return []
    return [
        Problem(
            "too-large",
            f"{what} {size / 2**20:.1f} MB, more than the {limit / 2**20:g} MB limit. Host large "
            "files such as weights elsewhere and download them at run time (the Brain-Score "
            "website takes weight uploads separately).",
            str(path),
            website=True,
            website_message=SIZE_MESSAGE,
        )
    ]
