"""The files of a submission, read from a folder or from a zip without extracting it.

Validation works on this read-only view so that checking a submission never writes to disk
and never runs its code. A zip is only opened this way after :mod:`brainio.archive` found it
safe, so every entry read here has a bounded size.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path, PurePosixPath

import attrs

# Folders a submitter's tools create next to the code; they are not part of a submission.
IGNORED_FOLDERS = frozenset({"__pycache__", "__MACOSX"})
# Text files validation reads; everything else is only listed.
TEXT_SUFFIXES = frozenset({".py", ".toml", ".cfg", ".txt", ".yml", ".yaml", ".json"})
MAX_TEXT_BYTES = 5 * 1024 * 1024


def is_ignored(name: str) -> bool:
    """Top-level zip entries Brain-Score skips: ``__MACOSX``, hidden names and ``_``-names."""
    return name.startswith((".", "_"))


@attrs.frozen
class SubmissionTree:
    """Paths of a submission relative to its project root, and a way to read them.

    ``prefix`` is what is put in front of those paths when reporting them: the root folder
    inside a zip (``"my_model/"``), or ``""`` for a folder given directly. ``folder_entries``
    are the folders that have an entry of their own (``"models/"``): in a zip only those its
    tool wrote, in a folder all of them.
    """

    prefix: str
    files: dict[str, int]  # path relative to the project root -> size in bytes
    contents: dict[str, bytes]  # the text files (by suffix) small enough to read
    symlinks: tuple[str, ...] = ()
    folder_entries: frozenset[str] = frozenset()
    too_large_to_read: tuple[str, ...] = ()

    def display(self, relative: str) -> str:
        return f"{self.prefix}{relative}"

    def exists(self, relative: str) -> bool:
        return relative in self.files

    def read_bytes(self, relative: str) -> bytes | None:
        return self.contents.get(relative)

    def read_text(self, relative: str) -> str | None:
        data = self.contents.get(relative)
        return None if data is None else data.decode("utf-8", errors="replace")

    def subfolders(self, relative: str) -> list[str]:
        """Names of the folders directly inside ``relative`` (a path like ``"models"``)."""
        start = relative.rstrip("/") + "/"
        names = {
            name[len(start) :].split("/", 1)[0]
            for name in [*self.files, *self.folder_entries]
            if name.startswith(start) and "/" in name[len(start) :]
        }
        return sorted(names)

    def total_size(self) -> int:
        return sum(self.files.values())


def _wanted(relative: str, size: int) -> bool:
    return PurePosixPath(relative).suffix in TEXT_SUFFIXES and size <= MAX_TEXT_BYTES


def _too_large(relative: str, size: int) -> bool:
    return PurePosixPath(relative).suffix in TEXT_SUFFIXES and size > MAX_TEXT_BYTES


def read_folder(folder: Path) -> SubmissionTree:
    """List a project folder (the folder itself is the project root), not following links.

    Hidden folders (``.git``, ``.venv``) and ``__pycache__`` are skipped: they are not what a
    submitter zips. Symbolic links are listed separately, to be reported.
    """
    files: dict[str, int] = {}
    contents: dict[str, bytes] = {}
    symlinks: list[str] = []
    folders: set[str] = set()
    for current, dirnames, filenames in os.walk(folder, followlinks=False):
        base = Path(current)
        for dirname in list(dirnames):
            if dirname in IGNORED_FOLDERS or dirname.startswith("."):
                dirnames.remove(dirname)
            elif (base / dirname).is_symlink():
                dirnames.remove(dirname)
                symlinks.append((base / dirname).relative_to(folder).as_posix())
            else:
                folders.add((base / dirname).relative_to(folder).as_posix() + "/")
        for filename in filenames:
            path = base / filename
            relative = path.relative_to(folder).as_posix()
            if path.is_symlink():
                symlinks.append(relative)
                continue
            size = path.stat().st_size
            files[relative] = size
            if _wanted(relative, size):
                contents[relative] = path.read_bytes()
    return SubmissionTree(
        "",
        files,
        contents,
        tuple(sorted(symlinks)),
        frozenset(folders),
        tuple(sorted(name for name, size in files.items() if _too_large(name, size))),
    )


def top_level_entries(archive: zipfile.ZipFile) -> list[str]:
    """Top-level names of a zip that count as submission content (``__MACOSX`` etc. ignored)."""
    names = {info.filename.split("/", 1)[0] for info in archive.infolist()}
    return sorted(name for name in names if name and not is_ignored(name))


def read_zip(zip_path: Path, root: str) -> SubmissionTree:
    """The files under ``root/`` of a zip that :func:`brainio.archive.check_archive` passed."""
    files: dict[str, int] = {}
    contents: dict[str, bytes] = {}
    folders: set[str] = set()
    start = f"{root}/"
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            if not info.filename.startswith(start):
                continue
            relative = info.filename[len(start) :]
            if any(part in IGNORED_FOLDERS for part in relative.split("/")[:-1]):
                continue
            if info.is_dir():
                if relative:
                    folders.add(relative)
                continue
            files[relative] = info.file_size
            if _wanted(relative, info.file_size):
                contents[relative] = archive.read(info)
    return SubmissionTree(
        start,
        files,
        contents,
        (),
        frozenset(folders),
        tuple(sorted(name for name, size in files.items() if _too_large(name, size))),
    )
