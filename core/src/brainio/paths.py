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

import os
import re
from collections.abc import Iterable
from pathlib import Path

from brainio.errors import UnsafePathError

__all__ = ["UnsafePathError", "confined", "confined_all", "unsafe_reason"]

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
    return confined_all(root, [name], what=what)[0]


def confined_all(
    root: str | os.PathLike[str], names: Iterable[str | os.PathLike[str]], *, what: str = "Name"
) -> list[Path]:
    """:func:`confined` for many names under one root; folders are resolved once each.

    Use it for tables of names (a stimulus CSV of 100 000 rows): the cost is one ``lstat``
    per name plus one resolution per distinct folder.
    """
    root = Path(root)
    real_root = Path(os.path.realpath(root))
    inside: dict[Path, bool] = {root: True}
    paths = []
    for name in names:
        text = os.fspath(name) if isinstance(name, os.PathLike) else name
        reason = unsafe_reason(text)
        if reason is None:
            path = root.joinpath(*_parts(text))
            if not _folder_inside(path.parent, real_root, inside) or not _link_inside(
                path, real_root
            ):
                reason = "leads outside through a symbolic link"
        if reason is not None:
            error = UnsafePathError(
                f"{what} {text!r} {reason}; it must stay inside {root}. The data are malformed "
                "or hostile: fix the name, or report it to whoever publishes the data."
            )
            error.name, error.reason, error.root = text, reason, root
            raise error
        paths.append(path)
    return paths


def _folder_inside(folder: Path, real_root: Path, inside: dict[Path, bool]) -> bool:
    known = inside.get(folder)
    if known is None:
        known = inside[folder] = Path(os.path.realpath(folder)).is_relative_to(real_root)
    return known


def _link_inside(path: Path, real_root: Path) -> bool:
    """A final component that is a symbolic link must point inside the root."""
    if not os.path.islink(path):
        return True
    return Path(os.path.realpath(path)).is_relative_to(real_root)
