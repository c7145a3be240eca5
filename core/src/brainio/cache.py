"""The local cache of fetched files: content-addressed, verified, safe under concurrency.

Layout under the cache root (``$BRAINIO_HOME``, default ``~/.brainio``)::

    objects/
        <sha1>/                          one object, named by the sha1 its catalog promises
            <filename>                   the file, complete and verified
            .<filename>.verified.json    marker: size, mtime_ns and sha1 at verification
            .<filename>.decoded-<key>.npy  a decoded copy of a netCDF file's values, recorded in
                                         the marker (see brainio.decoded; never trusted)
            <zip stem>/                  a zip's contents, renamed into place when complete
            .<zip name>.extracted.json   manifest: size, mtime_ns and sha1 of each extracted file
            .<filename>.part             a download in progress or interrupted (never
                                         trusted; a fetcher may resume it), with its
                                         fetcher's note .<filename>.part.json
            .<stem>.<random>.extracting/ an extraction in progress (never trusted)
        <sha1>.lock                      per-object lock (held while downloading/extracting)
    unverified/
        <key>/ and <key>.lock            the same for sources without a sha1; <key> is the
                                         sha1 of location type, location, version and base dir

Only ``objects/`` and ``unverified/`` belong to the cache; anything else under the root (e.g.
BrainIO 1.x's ``assy_*`` folders) is left alone by ``info``, ``verify`` and ``clean``.

Rules: a download goes to a temporary file in the entry folder, its sha1 is checked, then it
is renamed into place (``os.replace``) and the marker is written (also atomically). A warm
fetch compares the file's size and mtime with the marker and does not re-hash. A file whose
marker is missing or stale is re-hashed once. Extraction happens in a temporary folder that is
renamed into place after its manifest is written, so an entry is either complete or absent;
a warm extraction compares sizes and mtimes with the manifest, and ``verify`` re-hashes every
extracted file. Warm fetches only read, so a read-only, pre-filled cache works; writing to
one raises :class:`ReadOnlyCacheError`, a full disk :class:`DiskFullError`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
import tempfile
import time
import warnings
import zipfile
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs
import filelock

from brainio import faultpoints, markers, progress
from brainio.archive import ArchiveLimits, Written, safe_extract
from brainio.errors import (
    BrainIOError,
    CacheError,
    FetchError,
    IntegrityError,
    ReadOnlyCacheError,
)
from brainio.hashing import is_sha1, normalize_sha1, sha1_hash, sha1_text
from brainio.markers import DECODED_INFIX, MARKER_SUFFIX, PART_SUFFIX
from brainio.oserrors import HOME_ENV, explained, translated
from brainio.plugins import find_fetcher
from brainio.protocols import Fetcher
from brainio.records import Source

logger = logging.getLogger(__name__)

DEFAULT_HOME = "~/.brainio"
OBJECTS = "objects"
UNVERIFIED = "unverified"
MANIFEST_SUFFIX = ".extracted.json"
PARTIAL_INFO_SUFFIX = ".json"
EXTRACTING_SUFFIX = ".extracting"
LOCK_SUFFIX = ".lock"
HASH_PROGRESS_MIN_SIZE = 256 * 2**20
_ORIGIN_KEYS = ("location_type", "location", "version_id")

_warned_unverified: set[str] = set()


class UnverifiedFileWarning(UserWarning):
    """A file was fetched without a sha1 to check it against."""


def home() -> Path:
    """The cache root: ``$BRAINIO_HOME`` (read on every call), default ``~/.brainio``.

    Tests written for BrainIO 1.x point the cache elsewhere by patching
    ``brainio.fetch._local_data_path``; that value wins when set. Raises
    :class:`CacheError` when there is no home directory for the default, or when the root
    exists but is not a folder.
    """
    patched = getattr(sys.modules.get("brainio.fetch"), "_local_data_path", None)
    value = patched or os.environ.get(HOME_ENV) or DEFAULT_HOME
    try:
        root = Path(value).expanduser()
    except RuntimeError:  # no $HOME and no password-database entry (e.g. a bare container)
        raise CacheError(
            f"There is no home directory for the default cache folder {DEFAULT_HOME}. Set "
            f"{HOME_ENV} to a folder for the cache, e.g. `export {HOME_ENV}=/tmp/brainio`."
        ) from None
    if root.exists() and not root.is_dir():
        raise CacheError(
            f"{HOME_ENV} is {root}, which is a file, not a folder. Set {HOME_ENV} to a folder "
            "for the cache (it is created if missing), or move the file away."
        )
    return root


def get_cache() -> Cache:
    """The cache at the current ``BRAINIO_HOME``."""
    return Cache(home())


# --- records returned by info / verify / clean -----------------------------------------------


@attrs.frozen
class CacheEntry:
    """One object folder: its files, extracted folders, size and when it was last used."""

    key: str
    verified: bool
    path: Path
    files: tuple[str, ...]
    extracted: tuple[str, ...]
    size: int
    last_used: float
    locations: tuple[str, ...]
    decoded_size: int = 0  # of the decoded copies (brainio.decoded), included in ``size``

    def to_dict(self) -> dict[str, object]:
        return {**attrs.asdict(self), "path": str(self.path)}


@attrs.frozen
class CacheInfo:
    root: Path
    entries: tuple[CacheEntry, ...]

    @property
    def total_size(self) -> int:
        return sum(entry.size for entry in self.entries)

    def to_dict(self) -> dict[str, object]:
        return {
            "root": str(self.root),
            "count": len(self.entries),
            "total_size": self.total_size,
            "decoded_size": sum(entry.decoded_size for entry in self.entries),
            "entries": [entry.to_dict() for entry in self.entries],
        }


@attrs.frozen
class CacheProblem:
    """Something ``verify`` found wrong, and what it did about it."""

    path: Path
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"path": str(self.path), "message": self.message}


@attrs.frozen
class VerifyReport:
    checked: int
    problems: tuple[CacheProblem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, object]:
        return {
            "checked": self.checked,
            "ok": self.ok,
            "problems": [problem.to_dict() for problem in self.problems],
        }


@attrs.frozen
class CleanReport:
    removed: tuple[CacheEntry, ...]
    in_use: tuple[CacheEntry, ...]

    @property
    def freed(self) -> int:
        return sum(entry.size for entry in self.removed)

    def to_dict(self) -> dict[str, object]:
        return {
            "removed": [entry.to_dict() for entry in self.removed],
            "in_use": [entry.to_dict() for entry in self.in_use],
            "freed": self.freed,
        }


# --- the cache ---------------------------------------------------------------------------------


def _safe_filename(name: str) -> str:
    """A file's name in its entry folder: no separators, never hidden (dot names are ours)."""
    name = name.replace("\\", "_").replace("\x00", "_").strip()
    if name in ("", ".", ".."):
        return "file"
    return "_" + name if name.startswith(".") else name


def _extract_name(zip_name: str) -> str:
    stem = Path(zip_name).stem
    return stem if stem and stem != zip_name else zip_name + ".d"


def _unverified_key(source: Source) -> str:
    parts = [source.location_type.lower(), source.location, source.version_id or ""]
    if source.base_dir is not None and not os.path.isabs(source.location):
        parts.append(str(source.base_dir))
    return sha1_text("\n".join(parts))


def _describe(source: Source) -> str:
    version = f" (version {source.version_id})" if source.version_id else ""
    return f"{source.location}{version}"


def _expanded(value: str | os.PathLike[str]) -> Path:
    return Path(value).expanduser()


@attrs.define
class Cache:
    """The cache at ``root``; see the module docstring for the layout."""

    root: Path = attrs.field(converter=_expanded)
    archive_limits: ArchiveLimits = attrs.field(factory=ArchiveLimits)

    @property
    def objects(self) -> Path:
        return self.root / OBJECTS

    @property
    def unverified(self) -> Path:
        return self.root / UNVERIFIED

    # --- paths -------------------------------------------------------------------------------

    def entry_dir(self, source: Source) -> Path:
        """The folder a source's file lives in (whether or not it is cached yet)."""
        if source.sha1 is None:
            return self.unverified / _unverified_key(source)
        sha1 = normalize_sha1(source.sha1)
        if not is_sha1(sha1):
            raise IntegrityError(
                f"'{source.sha1}' (for {_describe(source)}) is not a sha1: it must be 40 "
                f"hexadecimal digits. Fix the sha1 cell of the catalog row."
            )
        return self.objects / sha1

    def path_for(self, source: Source) -> Path:
        """Where the verified file for ``source`` is (or will be) in the cache."""
        return self.entry_dir(source) / _safe_filename(source.filename)

    def is_cached(self, source: Source) -> bool:
        """Whether a verified copy of ``source`` is in the cache (checks markers, never hashes)."""
        try:
            path = self.path_for(source)
        except IntegrityError:
            return False
        expected = normalize_sha1(source.sha1) if source.sha1 is not None else None
        return markers.verified(path, expected) is not None

    @staticmethod
    def _lock(entry_dir: Path) -> filelock.FileLock:
        return filelock.FileLock(entry_dir.with_name(entry_dir.name + LOCK_SUFFIX))

    @staticmethod
    @contextlib.contextmanager
    def _holding(lock: filelock.FileLock, timeout: float = -1) -> Iterator[None]:
        """Hold ``lock``; remove its file before releasing so no lock files pile up.

        Safe with filelock: a waiter that locks the unlinked file sees it has no name left
        and starts over on a fresh one.
        """
        with lock.acquire(timeout=timeout):
            try:
                yield
            finally:
                with contextlib.suppress(OSError):
                    os.unlink(lock.lock_file)

    # --- fetching ----------------------------------------------------------------------------

    def fetch(self, source: Source, fetcher: Fetcher | None = None, progress: bool = True) -> Path:
        """A complete, verified local copy of ``source``; downloads it on first use.

        ``fetcher(source, temp_path)`` writes the file; when ``None``, the ``brainio_fetcher``
        hook chooses one by ``source.location_type``. Concurrent calls (threads or processes)
        for one object download it once. Raises :class:`IntegrityError` if the download does
        not match ``source.sha1`` (nothing is cached then), :class:`PluginMissingError` if no
        plugin can fetch the location, :class:`FetchError` if the cache is not writable.
        """
        path = self.path_for(source)
        expected = normalize_sha1(source.sha1) if source.sha1 is not None else None
        if expected is None:
            self._warn_unverified(source)
        if markers.verified(path, expected) is not None:
            self._touch(path)
            return path
        self._ensure_writable(path.parent)
        with (
            translated(self.root, f"downloading {_describe(source)}"),
            self._holding(self._lock(path.parent)),
        ):
            if markers.verified(path, expected) is not None:  # another process finished meanwhile
                return path
            path.parent.mkdir(parents=True, exist_ok=True)  # a failed fetch may have removed it
            self._remove_leftovers(path.parent, keep=partial_path(path))
            if path.is_file():
                if self._recheck(path, expected, source):
                    return path
            try:
                chosen = fetcher if fetcher is not None else find_fetcher(source)
                self._download(source, path, expected, chosen, progress)
            except BaseException:
                with contextlib.suppress(OSError):  # leave no empty entry behind
                    path.parent.rmdir()
                raise
        return path

    def _download(
        self, source: Source, path: Path, expected: str | None, fetcher: Fetcher, show: bool
    ) -> None:
        temp = partial_path(path)  # may hold an interrupted download: fetchers can resume it
        if temp.exists():
            logger.info("%s has %d bytes of an earlier download", temp, temp.stat().st_size)
        else:
            temp.touch()
        try:
            logger.info("downloading %s to %s", _describe(source), path)
            with progress.enabled(show):
                try:
                    reported = fetcher(source, temp)
                except Exception as error:
                    better = explained(  # a full or read-only disk, not a network problem
                        error,
                        path.parent,
                        f"downloading {_describe(source)}",
                        written=temp.stat().st_size if temp.exists() else None,
                    )
                    if better is not None:
                        raise better from error
                    if isinstance(error, BrainIOError):
                        raise
                    raise FetchError(
                        f"Could not fetch {_describe(source)} (location_type "
                        f"'{source.location_type}'): {type(error).__name__}: {error}. Check the "
                        f"location and your connection, then try again."
                    ) from error
                faultpoints.point("fetch:downloaded")
                # the sha1 a fetcher computed while writing (HashingWriter) spares a second pass
                actual = reported if is_sha1(reported) else self._hash(temp, show)
            if expected is not None and actual != expected:
                raise IntegrityError(
                    f"File '{path.name}' fetched from {_describe(source)} has sha1 {actual}, "
                    f"but its catalog expects {expected}. The download was deleted and nothing "
                    f"was cached. Try again; if it happens again, the stored file or the "
                    f"catalog row is wrong: tell the catalog's maintainers."
                )
            os.replace(temp, path)
        except (KeyboardInterrupt, FetchError) as error:
            # keep received bytes for the next fetch to resume; never bytes that proved wrong,
            # nor a partial file on a full or read-only disk (CacheError)
            if isinstance(error, IntegrityError | CacheError) or _size(temp) == 0:
                _discard_partial(temp)
            raise
        except BaseException:
            _discard_partial(temp)
            raise
        partial_info_path(temp).unlink(missing_ok=True)
        faultpoints.point("fetch:renamed")
        self._write_marker(path, actual, source)

    def _recheck(self, path: Path, expected: str | None, source: Source) -> bool:
        """A present file without a valid marker: trust it only after hashing it once."""
        actual = self._hash(path, show=True)
        if expected is None:
            marker = markers.read(path)
            expected = marker.get("sha1") if marker else actual
        if actual == expected:
            self._write_marker(path, actual, source)
            return True
        logger.warning(
            "cached %s has sha1 %s instead of %s; fetching it again", path, actual, expected
        )
        path.unlink()
        return False

    def _hash(self, path: Path, show: bool) -> str:
        size = path.stat().st_size
        logger.debug("verifying sha1 of %s", path)
        if not show or size < HASH_PROGRESS_MIN_SIZE:
            return sha1_hash(path)
        with progress.progress_bar(size, f"Verifying {path.name}") as bar:
            return sha1_hash(path, callback=bar.update)

    # --- markers -----------------------------------------------------------------------------

    def _write_marker(self, path: Path, sha1: str, source: Source | None) -> None:
        stat = path.stat()
        marker = {
            "sha1": sha1,
            "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns,
            "verified_at": time.time(),
        }
        if source is not None:
            marker.update(
                location_type=source.location_type,
                location=source.location,
                version_id=source.version_id,
            )
        else:  # re-verified: keep where it came from
            previous = markers.read(path) or {}
            marker.update({key: previous[key] for key in _ORIGIN_KEYS if key in previous})
        markers.write_json(markers.marker_path(path), marker)

    def _touch(self, path: Path) -> None:
        """Record a use (``clean --older-than`` goes by it); a read-only cache is fine."""
        with contextlib.suppress(OSError):
            os.utime(markers.marker_path(path))

    # --- extraction --------------------------------------------------------------------------

    def extract(self, zip_path: str | os.PathLike[str]) -> Path:
        """The folder holding the contents of ``zip_path`` (``<folder of zip>/<zip stem>/``).

        Extracts once, safely (:func:`brainio.archive.safe_extract`), into a temporary folder
        renamed into place, recording each file's size, mtime and sha1 in a manifest beside
        the zip. Later calls compare sizes and mtimes with the manifest (no hashing) and
        extract again if a file changed or went missing. Concurrent callers wait for the
        first; an interrupted extraction is never used: the next call starts over.
        """
        zip_path = Path(zip_path)
        target = zip_path.parent / _extract_name(zip_path.name)
        if self._extraction_problem(zip_path, target) is None:
            return target
        # the lock lives beside the entry folder (in the cache) or beside the zip (elsewhere)
        where = zip_path.parent.parent
        with (
            translated(
                where, f"extracting {zip_path.name}", needed=lambda: _declared_size(zip_path)
            ),
            self._holding(self._extract_lock(zip_path)),
        ):
            problem = self._extraction_problem(zip_path, target)
            if problem is not None:
                self._extract_locked(zip_path, target, problem)
        return target

    def _extract_locked(self, zip_path: Path, target: Path, problem: str) -> None:
        """(Re-)extract ``zip_path`` into ``target`` (the caller holds the lock)."""
        if target.exists():
            logger.warning("%s; extracting %s again", problem, zip_path)
            shutil.rmtree(target)
        self._remove_leftovers(zip_path.parent, only=f".{target.name}.")
        temp = Path(
            tempfile.mkdtemp(
                dir=zip_path.parent, prefix=f".{target.name}.", suffix=EXTRACTING_SUFFIX
            )
        )
        try:
            logger.info("extracting %s to %s", zip_path, target)
            files: dict[str, Written] = {}
            # the declared size is a second pass over the zip's directory: only for a bar
            size = _declared_size(zip_path) if progress.progress_wanted() else None
            with progress.progress_bar(size, f"Extracting {zip_path.name}") as bar:
                safe_extract(
                    zip_path, temp, self.archive_limits, callback=bar.update, manifest=files
                )
            faultpoints.point("extract:written")
            manifest = {name: written._asdict() for name, written in files.items()}
            markers.write_json(_manifest_path(zip_path), {"folder": target.name, "files": manifest})
            faultpoints.point("extract:manifest")
            os.rename(temp, target)  # the manifest is in place before the folder appears
        except BaseException:
            shutil.rmtree(temp, ignore_errors=True)
            raise

    def _extraction_problem(self, zip_path: Path, target: Path) -> str | None:
        """Why ``target`` cannot be trusted as ``zip_path``'s contents (sizes and mtimes only)."""
        if not target.is_dir():
            return f"{target} is not extracted yet"
        manifest = markers.read_json(_manifest_path(zip_path))
        if manifest is None or manifest.get("folder") != target.name:
            return f"{target} has no manifest of its files (extracted by an older BrainIO?)"
        folder = os.fspath(target)  # names joined as text: a Path per file costs more than its stat
        for name, expected in manifest.get("files", {}).items():
            try:
                stat = os.stat(os.path.join(folder, name))
            except OSError:
                return f"extracted file {target / name} is missing"
            if (stat.st_size, stat.st_mtime_ns) != (expected["size"], expected["mtime_ns"]):
                return f"extracted file {target / name} was changed after extraction"
        return None

    def _extract_lock(self, zip_path: Path) -> filelock.FileLock:
        """The object's lock for a zip in the cache; a lock beside the zip for one elsewhere."""
        entry_dir = zip_path.parent
        with contextlib.suppress(OSError):
            if entry_dir.parent.resolve() in (self.objects.resolve(), self.unverified.resolve()):
                return self._lock(entry_dir)
        return filelock.FileLock(zip_path.with_name(f".{zip_path.name}{LOCK_SUFFIX}"))

    # --- housekeeping ------------------------------------------------------------------------

    def _remove_leftovers(self, folder: Path, only: str = ".", keep: Path | None = None) -> None:
        """Delete temporary files and folders of interrupted runs (caller holds the lock),
        except the partial download ``keep`` that is about to be resumed."""
        for child in folder.iterdir():
            name = child.name
            if not name.startswith(only):
                continue
            if keep is not None and child in (keep, partial_info_path(keep)):
                continue  # an interrupted download, resumed by this fetch
            if name.endswith(PART_SUFFIX) or (name.endswith(EXTRACTING_SUFFIX) and child.is_dir()):
                logger.info("removing leftover of an interrupted run: %s", child)
                if child.is_dir():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    child.unlink(missing_ok=True)
            elif f"{MARKER_SUFFIX}." in name or f"{MANIFEST_SUFFIX}." in name:  # unfinished write
                child.unlink(missing_ok=True)

    def _ensure_writable(self, entry_dir: Path) -> None:
        """Create ``entry_dir`` and prove it writable before any download (pooch's check)."""
        try:
            entry_dir.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=entry_dir):
                pass
        except OSError as error:
            reason = error.strerror or type(error).__name__
            raise ReadOnlyCacheError(
                f"The BrainIO cache folder {self.root} is not writable ({reason} for "
                f"{entry_dir}), so nothing can be downloaded. Set the environment variable "
                f"{HOME_ENV} to a folder you can write to (e.g. `export "
                f"{HOME_ENV}=$HOME/brainio-cache`), or fix the folder's permissions."
            ) from error

    def _warn_unverified(self, source: Source) -> None:
        key = _unverified_key(source)
        if key in _warned_unverified:
            return
        _warned_unverified.add(key)
        warnings.warn(
            f"{_describe(source)} has no sha1, so its content cannot be verified. It is cached "
            f"under '{UNVERIFIED}/' and re-checked only against itself; add the file's sha1 to "
            f"its catalog row to verify it.",
            UnverifiedFileWarning,
            stacklevel=3,
        )

    def _entry_dirs(self) -> Iterator[tuple[Path, bool]]:
        for area, verified in ((self.objects, True), (self.unverified, False)):
            if not area.is_dir():
                continue
            for child in sorted(area.iterdir()):
                if child.is_dir() and not child.name.startswith("."):
                    yield child, verified

    def _entry(self, folder: Path, verified: bool) -> CacheEntry:
        files, extracted, locations = [], [], []
        size, last_used, decoded_size = 0, 0.0, 0
        for child in sorted(folder.iterdir()):
            if child.name.startswith("."):
                if child.name.endswith(MARKER_SUFFIX):
                    with contextlib.suppress(OSError):
                        last_used = max(last_used, child.stat().st_mtime)
                decoded_size += _decoded_copy_size(child)
                continue
            if child.is_dir():
                extracted.append(child.name)
                size += _tree_size(child)
            elif child.is_file():
                files.append(child.name)
                stat = child.stat()
                size += stat.st_size
                last_used = max(last_used, stat.st_mtime)
                marker = markers.read(child)
                if marker and marker.get("location"):
                    locations.append(str(marker["location"]))
        return CacheEntry(
            key=folder.name,
            verified=verified,
            path=folder,
            files=tuple(files),
            extracted=tuple(extracted),
            size=size + decoded_size,
            last_used=last_used,
            locations=tuple(locations),
            decoded_size=decoded_size,
        )

    def info(self) -> CacheInfo:
        """What the cache holds: one :class:`CacheEntry` per object, with sizes."""
        entries = tuple(self._entry(folder, verified) for folder, verified in self._entry_dirs())
        return CacheInfo(root=self.root, entries=entries)

    def verify(self) -> VerifyReport:
        """Re-hash every cached and every extracted file; repair what does not match.

        A file whose sha1 differs from its object's name is removed with everything extracted
        from it (it is fetched again when needed); an extracted folder that no longer matches
        its manifest (a file changed, missing or added) is extracted again; leftovers of
        interrupted runs are removed. Raises :class:`ReadOnlyCacheError` on a read-only cache.
        """
        checked = 0
        problems: list[CacheProblem] = []
        for folder, verified in self._entry_dirs():
            try:
                with (
                    translated(self.root, "verifying the cache"),
                    self._holding(self._lock(folder), timeout=0),
                ):
                    count, found = self._verify_entry(folder, verified)
            except filelock.Timeout:
                logger.info("skipping %s: another process is fetching or extracting it", folder)
                continue
            checked += count
            problems += found
        return VerifyReport(checked=checked, problems=tuple(problems))

    def _verify_entry(self, folder: Path, verified: bool) -> tuple[int, list[CacheProblem]]:
        """Verify one entry folder (the caller holds its lock)."""
        checked = 0
        problems: list[CacheProblem] = []
        for child in sorted(folder.iterdir()):
            if child.name.startswith(".") and (
                child.name.endswith(PART_SUFFIX) or child.name.endswith(EXTRACTING_SUFFIX)
            ):
                problems.append(CacheProblem(child, "leftover of an interrupted run"))
        self._remove_leftovers(folder)
        bad = False
        for child in sorted(folder.iterdir()):
            if child.name.startswith(".") or not child.is_file():
                continue
            checked += 1
            actual = self._hash(child, show=True)
            marker = markers.read(child)
            expected = folder.name if verified else (marker or {}).get("sha1", actual)
            if actual != expected:
                problems.append(
                    CacheProblem(
                        child,
                        f"sha1 is {actual}, expected {expected}; removed (it will be "
                        f"fetched again when needed)",
                    )
                )
                bad = True
            elif markers.verified(child, expected) is None:
                self._write_marker(child, actual, None)
        if bad:
            shutil.rmtree(folder)
            return checked, problems
        for child in sorted(folder.iterdir()):
            if child.name.startswith(".") or not child.is_dir():
                continue
            zips = [
                item
                for item in folder.iterdir()
                if item.is_file() and _extract_name(item.name) == child.name
            ]
            if not zips:
                problems.append(
                    CacheProblem(child, "no zip in the cache produced this folder; removed")
                )
                shutil.rmtree(child)
                continue
            count, mismatch = _extraction_mismatch(zips[0], child)
            checked += count
            if mismatch:
                self._extract_locked(zips[0], child, mismatch)
                problems.append(CacheProblem(child, f"{mismatch}; extracted again"))
        return checked, problems

    def clean(self, older_than: timedelta | float | None = None) -> CleanReport:
        """Remove all cached objects, or those unused for ``older_than`` (days if a number).

        Objects being downloaded or extracted by another process right now are left alone and
        reported as in use.
        """
        if isinstance(older_than, int | float):
            older_than = timedelta(days=older_than)
        cutoff = time.time() - older_than.total_seconds() if older_than is not None else None
        removed, in_use = [], []
        for folder, verified in self._entry_dirs():
            entry = self._entry(folder, verified)
            if cutoff is not None and entry.last_used >= cutoff:
                continue
            try:
                with (
                    translated(self.root, "cleaning the cache"),
                    self._holding(self._lock(folder), timeout=0),
                ):
                    shutil.rmtree(folder)
            except filelock.Timeout:
                in_use.append(entry)
                continue
            logger.info("removed %s (%d bytes)", folder, entry.size)
            removed.append(entry)
        return CleanReport(removed=tuple(removed), in_use=tuple(in_use))


def _decoded_copy_size(path: Path) -> int:
    """The size of ``path`` if it is a decoded copy (see :mod:`brainio.decoded`), else 0."""
    if DECODED_INFIX not in path.name or path.name.endswith(PART_SUFFIX):
        return 0
    with contextlib.suppress(OSError):
        return path.stat().st_size
    return 0


def _manifest_path(zip_path: Path) -> Path:
    """The manifest of the files extracted from ``zip_path`` (beside its verified marker)."""
    return zip_path.with_name(f".{zip_path.name}{MANIFEST_SUFFIX}")


# --- changing a marker under the entry's lock (brainio.decoded) -------------------------------


def update_marker(
    path: Path, change: Callable[[dict[str, Any]], dict[str, Any]], locked: bool = False
) -> bool:
    """Replace the marker of the cached file ``path`` by ``change(marker)``, if the marker still
    vouches for the file; ``False`` if it does not, or another process holds the entry's lock
    (unless the caller holds it: ``locked``)."""
    holding = contextlib.nullcontext() if locked else Cache._holding(Cache._lock(path.parent), 0)
    try:
        with holding:
            marker = markers.verified(path)
            if marker is None:
                return False
            markers.write_json(markers.marker_path(path), change(marker))
            return True
    except filelock.Timeout:
        return False


def _tree_size(folder: Path) -> int:
    total = 0
    for base, _, names in os.walk(folder):
        for name in names:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(base, name)).st_size
    return total


def _declared_size(zip_path: Path) -> int | None:
    try:
        with zipfile.ZipFile(zip_path) as archive:
            return sum(info.file_size for info in archive.infolist())
    except (OSError, zipfile.BadZipFile):
        return None  # safe_extract reports it


def _extraction_mismatch(zip_path: Path, extracted: Path) -> tuple[int, str | None]:
    """Files re-hashed, and why ``extracted`` differs from its manifest (``None``: it matches).

    Files the manifest does not list count too: nothing but the zip's contents belongs there.
    """
    manifest = markers.read_json(_manifest_path(zip_path))
    if manifest is None or manifest.get("folder") != extracted.name:
        return 0, f"no manifest records what {zip_path.name} extracted to"
    files = manifest.get("files", {})
    for count, (name, expected) in enumerate(files.items(), start=1):
        path = extracted.joinpath(*name.split("/"))
        if not path.is_file():
            return count, f"'{name}' of {zip_path.name} is missing"
        if path.stat().st_size != expected["size"] or sha1_hash(path) != expected["sha1"]:
            return count, f"'{name}' differs from the copy in {zip_path.name}"
    for base, _, names in os.walk(extracted):
        for name in names:
            relative = Path(base, name).relative_to(extracted).as_posix()
            if relative not in files:
                return len(files), f"'{relative}' is not part of {zip_path.name}"
    return len(files), None


def partial_path(path: Path) -> Path:
    """Where the download of the cache file ``path`` is written until verified (the fetcher's
    ``destination``); after an interruption it keeps the bytes received so far."""
    return path.with_name(f".{path.name}{PART_SUFFIX}")


def partial_info_path(partial: Path) -> Path:
    """A resuming fetcher's note beside a partial download: what object the bytes belong to
    (e.g. the S3 ETag and version id), checked before resuming. Removed with the download."""
    return partial.with_name(partial.name + PARTIAL_INFO_SUFFIX)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _discard_partial(partial: Path) -> None:
    partial.unlink(missing_ok=True)
    partial_info_path(partial).unlink(missing_ok=True)


__all__ = [
    "Cache",
    "CacheEntry",
    "CacheInfo",
    "CacheProblem",
    "CleanReport",
    "Fetcher",
    "HOME_ENV",
    "UnverifiedFileWarning",
    "VerifyReport",
    "get_cache",
    "home",
    "partial_info_path",
    "partial_path",
]
