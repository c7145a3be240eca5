"""The model-submission template: what ``brainio submission new DIR --kind base|brain`` writes.

The template files live in ``template/`` next to this module (``common/`` for both kinds,
then ``base/`` or ``brain/``); files ending in ``.tmpl`` have ``${name}`` placeholders filled
in. The project is written into a temporary sibling folder and renamed into place, so a
failed run leaves no half-written project behind.
"""

from __future__ import annotations

import os
import re
import shutil
import string
import tempfile
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from brainio_submission.errors import SubmissionError

KINDS = {"base": "base_models", "brain": "brain_models"}


def project_name(folder: Path) -> str:
    """A distribution name for the project, from its folder name."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", folder.name).strip("-._").lower()
    return name or "brainscore-submission"


def write_template(destination: Path, kind: str) -> list[Path]:
    """Write a new submission project of ``kind`` into ``destination``; return its files."""
    destination = Path(destination).absolute()
    if kind not in KINDS:
        raise SubmissionError(f"Unknown submission kind {kind!r}; use one of {sorted(KINDS)}.")
    if " " in destination.name:
        raise SubmissionError(
            f"Folder name {destination.name!r} contains spaces, which Brain-Score rejects in "
            "submissions; choose a name without spaces."
        )
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise SubmissionError(
            f"{destination} already exists and is not an empty folder; choose a new folder "
            "for the submission project."
        )
    destination.parent.mkdir(parents=True, exist_ok=True)
    values = {
        "project_name": project_name(destination),
        "folder_name": destination.name,
        "kind": kind,
        "module": KINDS[kind],
    }
    templates = resources.files("brainio_submission") / "template"
    staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}.", dir=destination.parent))
    try:
        staging.chmod(0o777 & ~_umask())  # mkdtemp makes it private; a project folder is not
        for part in ("common", kind):
            _copy(templates / part, staging, values)
        if destination.exists():
            destination.rmdir()
        os.replace(staging, destination)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return sorted(path for path in destination.rglob("*") if path.is_file())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _copy(source: Traversable, target: Path, values: dict[str, str]) -> None:
    for entry in source.iterdir():
        if entry.name == "__pycache__":
            continue
        if entry.is_dir():
            (target / entry.name).mkdir(exist_ok=True)
            _copy(entry, target / entry.name, values)
        elif entry.name.endswith(".tmpl"):
            text = string.Template(entry.read_text(encoding="utf-8")).substitute(values)
            (target / entry.name.removesuffix(".tmpl")).write_text(text, encoding="utf-8")
        else:
            (target / entry.name).write_bytes(entry.read_bytes())
