"""``brainio submission zip DIR``: the upload zip, as the Brain-Score website reads it.

One root folder (``DIR``'s name), an entry for every folder (the website finds plugin folders
by their own entries; ``zip -rD`` and some tools leave them out), and nothing a submitter's
tools leave behind: caches, version control, hidden files. Written to a temporary file beside
the destination and renamed into place.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path

from brainio_submission.errors import SubmissionError

SKIPPED_NAMES = frozenset({"__pycache__", "__MACOSX", "node_modules", "Thumbs.db"})
SKIPPED_SUFFIXES = (".pyc", ".pyo")


def _skipped(name: str) -> bool:
    return name.startswith(".") or name in SKIPPED_NAMES or name.endswith(SKIPPED_SUFFIXES)


def zip_submission(folder: Path, destination: Path | None = None, overwrite: bool = False) -> Path:
    """Zip ``folder`` as the single root folder of ``destination`` (default ``<folder>.zip``)."""
    folder = Path(folder).absolute()
    if not folder.is_dir():
        raise SubmissionError(f"{folder} is not a folder; pass the submission's root folder.")
    destination = Path(destination or folder.with_name(f"{folder.name}.zip")).absolute()
    if destination.is_relative_to(folder):
        raise SubmissionError(
            f"{destination} is inside the folder being zipped; write the zip elsewhere (-o)."
        )
    if destination.exists() and not overwrite:
        raise SubmissionError(f"{destination} already exists; remove it or pass --force.")
    entries = _entries(folder)
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{destination.name}.", suffix=".partial", dir=destination.parent
    )
    os.close(descriptor)
    try:
        with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(zipfile.ZipInfo(f"{folder.name}/"), b"")
            for path in entries:
                name = f"{folder.name}/{path.relative_to(folder).as_posix()}"
                archive.write(path, name + "/" if path.is_dir() else name)
        os.replace(temporary, destination)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return destination


def _entries(folder: Path) -> list[Path]:
    found = []
    for current, dirnames, filenames in os.walk(folder):
        base = Path(current)
        dirnames[:] = sorted(name for name in dirnames if not _skipped(name))
        for name in [*dirnames, *sorted(filenames)]:
            path = base / name
            if path.is_symlink():
                raise SubmissionError(
                    f"{path} is a symbolic link, which a submission may not contain; replace "
                    "it with the file itself."
                )
            if not _skipped(name):
                found.append(path)
    return sorted(found)
