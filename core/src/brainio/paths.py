"""Confinement: a name taken from data becomes a path only inside the folder it belongs to.

Stimulus filenames in a CSV, archive members, bucket keys and stored paths all come from files
someone else wrote. :func:`confined` is the one gate they pass before they become paths: it
refuses empty names, NUL bytes, absolute paths (``/x``, ``\\\\x``, ``C:x``), ``..`` components
and symbolic links that lead out of the root, raising :class:`~brainio.errors.UnsafePathError`.
Both ``/`` and ``\\`` separate components, so a name written on Windows is judged the same.

>>> confined("/data/stimuli", "images/cat.png")  # doctest: +SKIP
PosixPath('/data/stimuli/images/cat.png')
>>> confined("/data/stimuli", "../../etc/passwd")  # doctest: +SKIP
Traceback (most recent call last):
brainio.errors.UnsafePathError: ...
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable
from pathlib import Path

from brainio.errors import UnsafePathError

__all__ = ["UnsafePathError", "confined", "confined_all", "confined_files", "unsafe_reason"]

_DRIVE = re.compile(r"^[A-Za-z]:")


def _parts(name: str) -> list[str]:
    return [part for part in name.replace("\\", "/").split("/") if part not in ("", ".")]


def unsafe_reason(name: str) -> str | None:
    """Why ``name`` cannot be a relative path inside a folder, judged from the text alone.

    ``None`` when it is fine. Symbolic links are not looked at (see :func:`confined`).
    """
    if not isinstance(name, str):
        return f"is a {type(name).__name__}, not a file name"
    if "\x00" in name:
        return "contains a NUL byte"
    normalized = name.replace("\\", "/")
    if normalized.startswith("/"):
        return "is an absolute path"
    if _DRIVE.match(normalized):
        return "starts with a drive letter"
    if ".." in normalized.split("/"):
        return "contains '..'"
    if not _parts(name):
        return "is empty"
    return None


def confined(
    root: str | os.PathLike[str], name: str | os.PathLike[str], *, what: str = "Name"
) -> Path:
    """``root / name``, refusing any ``name`` that would lead outside ``root``.

    ``name`` is relative, with ``/`` or ``\\`` separators; ``what`` says where it came from
    for the error message (e.g. ``"Stimulus filename in 'dicarlo.hvm'"``). Symbolic links
    along the way (existing ones; the path need not exist) must resolve inside ``root``.
    Raises :class:`UnsafePathError` naming the name, the root and the fix; its ``name``,
    ``reason`` and ``root`` attributes let a caller word its own message.
    """
    return _Root(root, what, listed=False).locate(name)[0]


def confined_all(
    root: str | os.PathLike[str], names: Iterable[str | os.PathLike[str]], *, what: str = "Name"
) -> list[Path]:
    """:func:`confined` for many names under one root (a stimulus CSV of 100 000 rows).

    Each distinct folder is resolved and listed once (``scandir``); no name costs a system call.
    """
    return confined_files(root, names, what=what)[0]


def confined_files(
    root: str | os.PathLike[str], names: Iterable[str | os.PathLike[str]], *, what: str = "Name"
) -> tuple[list[Path], list[int]]:
    """:func:`confined_all`, and the positions of the names that are not existing files
    (from the same folder listings)."""
    checked = _Root(root, what, listed=True)
    paths, missing = [], []
    for position, name in enumerate(names):
        path, entry = checked.locate(name)
        if entry is None or not entry.is_file():
            missing.append(position)
        paths.append(path)
    return paths, missing


class _Root:
    """One root and what is known of the folders below it: each is resolved once, and listed
    once when ``listed`` (many names), else its entries are looked at one by one."""

    def __init__(self, root: str | os.PathLike[str], what: str, listed: bool) -> None:
        self.root, self.what, self.listed = Path(root), what, listed
        self.real = os.path.realpath(self.root)
        self.folders: dict[tuple[str, ...], dict[str, os.DirEntry] | None] = {}

    def locate(self, name: str | os.PathLike[str]) -> tuple[Path, os.DirEntry | None]:
        """The path of ``name`` and, when listed, its folder entry (``None``: no such entry)."""
        text = os.fspath(name) if isinstance(name, os.PathLike) else name
        reason = unsafe_reason(text)
        entry = None
        if reason is None:
            parts = _parts(text)
            path = self.root.joinpath(*parts)
            listing = self._listing(tuple(parts[:-1]))
            if listing is not None:
                entry = listing.get(parts[-1])
            if listing is None or not self._link_inside(path, entry):
                reason = "leads outside through a symbolic link"
        if reason is not None:
            error = UnsafePathError(
                f"{self.what} {text!r} {reason}; it must stay inside {self.root}. The data are "
                "malformed or hostile: fix the name, or report it to whoever publishes the data."
            )
            error.name, error.reason, error.root = text, reason, self.root
            raise error
        return path, entry

    def _listing(self, parts: tuple[str, ...]) -> dict[str, os.DirEntry] | None:
        """``None`` if the folder resolves outside the root, else its entries by name (none if
        it is not listed or does not exist yet); worked out once per folder."""
        if parts not in self.folders:
            folder = self.root.joinpath(*parts)
            listing: dict[str, os.DirEntry] | None = None
            if self._resolves_inside(folder):
                listing = {}
                with contextlib.suppress(FileNotFoundError, NotADirectoryError):
                    if self.listed:
                        with os.scandir(folder) as entries:
                            listing = {entry.name: entry for entry in entries}
            self.folders[parts] = listing
        return self.folders[parts]

    def _link_inside(self, path: Path, entry: os.DirEntry | None) -> bool:
        """A final component that is a symbolic link must resolve inside the root. Listed, a
        name without an entry is nothing yet (an archive's new files): no ``lstat`` for it."""
        if self.listed:
            is_link = entry is not None and entry.is_symlink()
        else:
            is_link = os.path.islink(path)
        return not is_link or self._resolves_inside(path)

    def _resolves_inside(self, path: Path) -> bool:
        real = os.path.realpath(path)
        return real == self.real or real.startswith(self.real.rstrip(os.sep) + os.sep)
