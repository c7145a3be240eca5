"""Safe extraction of zip archives: stimulus zips from catalogs, model submissions.

An archive is checked as a whole before anything is written (:func:`check_archive` reports
every problem at once), and the extraction then counts the bytes it really writes instead of
trusting the sizes the archive declares. Refused: entries that would land outside the target
folder (``..``, absolute paths, drive letters), symlinks and device files, encrypted entries,
duplicate names, too many entries, zip bombs (declared size or compression ratio past the
limits) and archives nested deeper than allowed. Sub-folders and files a catalog does not
mention are fine; ``__MACOSX/`` entries (resource forks added by macOS) are skipped.

Python's :mod:`zipfile` already refuses to write outside the target, but silently: it rewrites
``../x`` to ``x``. Refusing loudly tells the user the archive is wrong.
"""

from __future__ import annotations

import hashlib
import lzma
import os
import re
import stat
import zipfile
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NamedTuple

import attrs

from brainio.errors import FormatError, UnsafeArchiveError, UnsafePathError
from brainio.paths import confined_all

SKIPPED_FOLDERS = frozenset({"__MACOSX"})
ARCHIVE_SUFFIXES = (
    ".zip", ".tar", ".tgz", ".tar.gz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz",
    ".gz", ".bz2", ".xz", ".7z", ".rar",
)  # fmt: skip
SUPPORTED_COMPRESSION = frozenset(
    {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
)
_DRIVE = re.compile(r"^[A-Za-z]:")
_COPY_BLOCK = 1 << 20
_CREATE_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | getattr(os, "O_BINARY", 0)


@attrs.frozen
class ArchiveLimits:
    """What an archive may contain before it is refused.

    ``max_ratio`` (uncompressed / compressed size) applies to each entry and to the whole
    archive once they are larger than ``ratio_min_size`` (tiny files compress absurdly well
    without being bombs). ``max_nesting_depth`` counts archives inside the archive: 0 allows
    none, 1 allows archives that contain no further archives.
    """

    max_entries: int = 100_000
    max_total_size: int = 50 * 2**30  # 50 GiB uncompressed
    max_ratio: float = 200.0
    max_nesting_depth: int = 1
    ratio_min_size: int = 2**20


@attrs.frozen
class ArchiveProblem:
    """One reason an archive is refused. ``entry`` is ``None`` for archive-wide problems."""

    code: str
    entry: str | None
    message: str

    def __str__(self) -> str:
        where = f"'{self.entry}'" if self.entry is not None else "archive"
        return f"[{self.code}] {where}: {self.message}"


def _parts(name: str) -> list[str]:
    """Path components of an entry name, with both separators and no empty or '.' parts."""
    return [part for part in name.replace("\\", "/").split("/") if part not in ("", ".")]


def _is_skipped(name: str) -> bool:
    parts = _parts(name)
    return bool(parts) and parts[0] in SKIPPED_FOLDERS


def _is_archive_name(name: str) -> bool:
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def _path_problems(info: zipfile.ZipInfo) -> list[ArchiveProblem]:
    name = info.filename
    normalized = name.replace("\\", "/")
    problems = []
    if not name.strip() or "\x00" in name:
        problems.append(ArchiveProblem("bad-name", name, "the entry name is empty or contains NUL"))
    if normalized.startswith("/"):
        problems.append(
            ArchiveProblem("absolute-path", name, "absolute path; entries must be relative")
        )
    if _DRIVE.match(normalized):
        problems.append(
            ArchiveProblem("drive-letter", name, "starts with a drive letter; must be relative")
        )
    if ".." in normalized.split("/"):
        problems.append(
            ArchiveProblem("path-traversal", name, "contains '..' and would land outside")
        )
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        problems.append(ArchiveProblem("symlink", name, "is a symbolic link"))
    elif mode and stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
        problems.append(ArchiveProblem("special-file", name, "is a device, FIFO or socket"))
    return problems


def _check(
    archive: zipfile.ZipFile, archive_size: int, limits: ArchiveLimits, depth: int, prefix: str
) -> list[ArchiveProblem]:
    infos = archive.infolist()
    problems: list[ArchiveProblem] = []
    label = prefix.rstrip("!") or None
    if len(infos) > limits.max_entries:
        problems.append(
            ArchiveProblem(
                "too-many-entries",
                label,
                f"{len(infos)} entries, more than the limit of {limits.max_entries}",
            )
        )
    seen: dict[str, str] = {}
    seen_folded: dict[str, str] = {}
    files: set[str] = set()
    folders: set[str] = set()
    total = 0
    for info in infos:
        name = prefix + info.filename
        problems += [attrs.evolve(p, entry=prefix + p.entry) for p in _path_problems(info)]
        if _is_skipped(info.filename):
            continue
        if info.flag_bits & 0x1:
            problems.append(ArchiveProblem("encrypted", name, "is encrypted"))
        if info.compress_type not in SUPPORTED_COMPRESSION:
            problems.append(
                ArchiveProblem(
                    "unsupported-compression",
                    name,
                    f"uses compression method {info.compress_type}, which cannot be read",
                )
            )
        if info.is_dir():
            folders.add("/".join(_parts(info.filename)))
            continue
        total += info.file_size
        key = "/".join(_parts(info.filename))
        if key in seen:
            problems.append(
                ArchiveProblem("duplicate-name", name, f"appears twice (also as '{seen[key]}')")
            )
        elif key.casefold() in seen_folded:
            other = seen_folded[key.casefold()]
            problems.append(
                ArchiveProblem(
                    "duplicate-name",
                    name,
                    f"differs only in letter case from '{other}' (they collide on macOS/Windows)",
                )
            )
        seen.setdefault(key, info.filename)
        seen_folded.setdefault(key.casefold(), info.filename)
        files.add(key)
        if info.file_size >= limits.ratio_min_size:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_ratio:
                problems.append(
                    ArchiveProblem(
                        "compression-ratio",
                        name,
                        f"declares {info.file_size} bytes from {info.compress_size} compressed "
                        f"(ratio {ratio:.0f}, limit {limits.max_ratio:g}): a zip bomb?",
                    )
                )
        if _is_archive_name(info.filename):
            if depth + 1 > limits.max_nesting_depth:
                problems.append(
                    ArchiveProblem(
                        "nested-archive",
                        name,
                        f"is an archive nested {depth + 1} deep (limit {limits.max_nesting_depth})",
                    )
                )
            elif info.filename.lower().endswith(".zip") and not (info.flag_bits & 0x1):
                problems += _check_nested(archive, info, limits, depth + 1, name + "!")
    for key in sorted(files):
        parents = {"/".join(key.split("/")[:i]) for i in range(1, key.count("/") + 1)}
        for parent in sorted(parents & files):
            problems.append(
                ArchiveProblem(
                    "path-conflict", prefix + key, f"needs a folder '{parent}' that is also a file"
                )
            )
        if key in folders:
            problems.append(
                ArchiveProblem("path-conflict", prefix + key, "is both a file and a folder")
            )
    if total > limits.max_total_size:
        problems.append(
            ArchiveProblem(
                "too-large",
                label,
                f"declares {total} bytes uncompressed, more than the limit of "
                f"{limits.max_total_size}",
            )
        )
    if total >= limits.ratio_min_size and total / max(archive_size, 1) > limits.max_ratio:
        problems.append(
            ArchiveProblem(
                "compression-ratio",
                label,
                f"declares {total} bytes uncompressed from a {archive_size}-byte archive "
                f"(ratio {total / max(archive_size, 1):.0f}, limit {limits.max_ratio:g})",
            )
        )
    return problems


def _check_nested(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: ArchiveLimits, depth: int, prefix: str
) -> list[ArchiveProblem]:
    """Check a zip inside the zip; an unreadable one is ignored (it is never extracted)."""
    try:
        with archive.open(info) as member, zipfile.ZipFile(member) as nested:
            return _check(nested, info.compress_size, limits, depth, prefix)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError):
        return []


def _open_zip(zip_path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(zip_path)
    except zipfile.BadZipFile as error:
        raise FormatError(
            f"{zip_path} is not a readable zip archive ({error}). It may be truncated or not a "
            f"zip at all; fetch it again or get a clean copy from its source."
        ) from error
    except FileNotFoundError as error:
        raise FormatError(f"Archive {zip_path} does not exist.") from error


def check_archive(
    zip_path: str | os.PathLike[str], limits: ArchiveLimits | None = None
) -> list[ArchiveProblem]:
    """Every reason to refuse the zip at ``zip_path`` (empty when it is safe to extract).

    Reads only the archive's directory (and the directories of zips nested inside it), so it
    is cheap even for large archives. Raises :class:`FormatError` if the file is not a zip.
    """
    zip_path = Path(zip_path)
    limits = limits or ArchiveLimits()
    with _open_zip(zip_path) as archive:
        return _check(archive, zip_path.stat().st_size, limits, depth=0, prefix="")


def _refuse(zip_path: Path, problems: Iterable[ArchiveProblem], written: bool = False) -> None:
    problems = list(problems)
    lines = "\n".join(f"  - {problem}" for problem in problems)
    outcome = "What was extracted has been removed." if written else "Nothing was extracted."
    error = UnsafeArchiveError(
        f"Refusing to extract {zip_path}: {len(problems)} problem(s) found.\n{lines}\n"
        f"{outcome} Get a clean copy of the archive from its source (or re-create it without "
        f"these entries), and extract it into an empty folder."
    )
    error.problems = problems  # type: ignore[attr-defined]
    raise error


class Written(NamedTuple):
    """What :func:`safe_extract` wrote for one file, for a manifest that later detects changes."""

    size: int
    sha1: str
    mtime_ns: int


def safe_extract(
    zip_path: str | os.PathLike[str],
    destination: str | os.PathLike[str],
    limits: ArchiveLimits | None = None,
    *,
    callback: Callable[[int], object] | None = None,
    manifest: dict[str, Written] | None = None,
) -> Path:
    """Extract ``zip_path`` into ``destination`` (created if missing) and return it.

    Raises :class:`UnsafeArchiveError` listing every problem before anything is written; if
    an entry turns out to hold other than it declared while extracting, the extraction stops, what
    was written is removed, and the same error is raised. Existing files in ``destination``
    are never overwritten. ``callback(n)`` is called with the number of bytes written.
    ``manifest``, when given, is filled with each written file's name (relative, ``/``
    separated) and what was written (:class:`Written`), computed while writing.
    """
    zip_path = Path(zip_path)
    destination = Path(destination)
    limits = limits or ArchiveLimits()
    with _open_zip(zip_path) as archive:
        problems = _check(archive, zip_path.stat().st_size, limits, depth=0, prefix="")
        if problems:
            _refuse(zip_path, problems)
        destination.mkdir(parents=True, exist_ok=True)
        root = destination.resolve()
        entries = [
            (info, "/".join(parts))
            for info in archive.infolist()
            if not _is_skipped(info.filename) and (parts := _parts(info.filename))  # not "./"
        ]
        try:  # names were checked above; this also refuses symlinked folders in destination
            targets = confined_all(root, [info.filename for info, _ in entries])
        except UnsafePathError as error:
            _refuse(zip_path, [ArchiveProblem("path-traversal", error.name, error.reason)])
        created: list[Path] = []
        ready = {""}  # folders (by name) known to exist inside root, checked once, not per file
        try:
            total = 0
            for (info, name), target in zip(entries, targets, strict=True):
                folder = name if info.is_dir() else name.rpartition("/")[0]
                if folder not in ready:
                    _make_folders(root, target if info.is_dir() else target.parent, created)
                    ready.add(folder)
                if info.is_dir():
                    continue
                # files are opened with O_EXCL: an existing file or symlink there is refused
                written = _copy_member(archive, info, target, created, total, limits, zip_path)
                total += written.size
                if manifest is not None:
                    manifest[name] = written
                if callback is not None:
                    callback(info.file_size)
        except BaseException:
            _remove(created)
            raise
    return destination


def _make_folders(root: Path, folder: Path, created: list[Path]) -> None:
    missing = []
    while folder != root and not folder.is_dir():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        path.mkdir()
        created.append(path)


def _copy_member(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    target: Path,
    created: list[Path],
    total: int,
    limits: ArchiveLimits,
    zip_path: Path,
) -> Written:
    """Copy one entry, counting real bytes (``total`` is the count before it)."""
    try:
        return _copy_checked(archive, info, target, created, total, limits, zip_path)
    except (zipfile.BadZipFile, EOFError, zlib.error, lzma.LZMAError) as error:
        _refuse(
            zip_path,
            [ArchiveProblem("bad-data", info.filename, f"cannot be decompressed ({error})")],
            written=True,
        )
        raise  # not reached: _refuse raises


def _copy_checked(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    target: Path,
    created: list[Path],
    total: int,
    limits: ArchiveLimits,
    zip_path: Path,
) -> Written:
    written = 0
    digest = hashlib.sha1(usedforsecurity=False)
    with archive.open(info) as source:
        try:  # a bare descriptor: for small files a buffered file object costs more than writing
            output = os.open(target, _CREATE_NEW, 0o666)
        except FileExistsError:
            _refuse(
                zip_path,
                [ArchiveProblem("exists", info.filename, f"would overwrite existing {target}")],
                written=True,
            )
        created.append(target)  # registered for cleanup before writing
        try:
            while block := source.read(_COPY_BLOCK):
                written += len(block)
                if total + written > limits.max_total_size:
                    _refuse(
                        zip_path,
                        [
                            ArchiveProblem(
                                "too-large",
                                None,
                                f"extracts to more than {limits.max_total_size} bytes",
                            )
                        ],
                        written=True,
                    )
                view = memoryview(block)
                while view:  # os.write may write less than asked
                    view = view[os.write(output, view) :]
                digest.update(block)
            mtime_ns = os.fstat(output).st_mtime_ns
        finally:
            os.close(output)
    # zipfile stops at the declared size, so an entry holding more fails its CRC (bad-data);
    # one holding fewer bytes (with the right CRC) ends early and is caught here
    if written != info.file_size:
        _refuse(
            zip_path,
            [
                ArchiveProblem(
                    "size-mismatch",
                    info.filename,
                    f"holds {written} bytes but declares {info.file_size}",
                )
            ],
            written=True,
        )
    return Written(written, digest.hexdigest(), mtime_ns)


def _remove(created: list[Path]) -> None:
    for path in reversed(created):
        try:
            if path.is_dir() and not path.is_symlink():
                path.rmdir()
            else:
                path.unlink()
        except OSError:
            pass


__all__ = ["ArchiveLimits", "ArchiveProblem", "Written", "check_archive", "safe_extract"]
