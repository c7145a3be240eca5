"""Download a subject's data from ``s3://laion-fmri`` into the data directory.

``download(subject, ses=..., ...)`` mirrors the matching keys of the subject's GLMsingle tree
(``derivatives/glmsingle-tedana/sub-XX/``) and ROI tree (``derivatives/rois/sub-XX/``), plus
the dataset-level files, under the data directory:

- BIDS-entity filters (``ses``, ``task``, ``space``, ``desc``, ``stat``) take a bare value or
  the full token (``"01"`` or ``"ses-01"``), one or a list. They are permissive (a file without
  the entity passes) except ``ses``, which keeps only files of the named sessions (add
  ``"averages"`` to keep the subject-level maps too). With ``ses``, the R2mean map that
  defines the brain mask always comes along, whatever the other filters say. ROIs are per
  subject, so ``ses`` does not filter them.
  ``suffix`` is the last ``_`` token of a file name (``statmap``, ``trials``), ``extension``
  what follows its first dot (``nii.gz``, ``tsv``, ``json``).
- Held-out sessions (ses-31 .. ses-34) are skipped unless asked for by name; the bucket
  refuses them anyway, and any refused key (403) becomes a warning naming it.
- A file already present with the bucket's size and ETag is not downloaded again; others are
  downloaded ``n_jobs`` at a time into a locked ``.<name>.part`` file renamed into place, so an
  interrupted run never leaves a half file under the final name, and the part a killed run
  leaves is removed by the next download into that folder.
- Keys become paths only inside the data directory: a listed key with ``..`` or an absolute
  path (a hostile mirror) is skipped with a warning and reported in ``summary.unsafe``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import sys
import tempfile
import threading
import warnings
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import attrs

from brainio.errors import AccessDeniedError, FetchError, UnsafePathError
from laion_fmri import _bucket
from laion_fmri._bucket import RemoteObject
from laion_fmri._paths import (
    DATASET_KEYS,
    GLM_PREFIX,
    HELD_OUT_SESSIONS,
    ROI_PREFIX,
    STIMULI_PREFIX,
    local_path,
)
from laion_fmri.config import get_data_dir, state_dir
from laion_fmri.errors import (
    InvalidArgumentError,
    LicenseNotAcceptedError,
    NoMatchingDataError,
    SubjectNotFoundError,
)

logger = logging.getLogger(__name__)

MANIFEST = "downloads.json"
STIMULI_TERMS_MARKER = "stimuli_terms_accepted"
ENTITIES = ("ses", "task", "space", "desc", "stat")
MiB = 1024 * 1024
BRAIN_MASK_SUFFIX = "_desc-R2mean_statmap.nii.gz"  # pinned: Subject derives the brain mask from it


@attrs.define
class DownloadSummary:
    """What one :func:`download` call did, key by key."""

    matched: list[str] = attrs.field(factory=list)
    downloaded: list[str] = attrs.field(factory=list)
    skipped: list[str] = attrs.field(factory=list)
    denied: list[str] = attrs.field(factory=list)
    held_out: list[str] = attrs.field(factory=list)
    unsafe: list[str] = attrs.field(factory=list)
    bytes_downloaded: int = 0

    def __str__(self) -> str:
        return (
            f"{len(self.matched)} files matched: {len(self.downloaded)} downloaded "
            f"({self.bytes_downloaded / MiB:.1f} MiB), {len(self.skipped)} already present, "
            f"{len(self.denied)} access denied; {len(self.held_out)} held-out files not requested"
            + (f"; {len(self.unsafe)} unsafe keys refused" if self.unsafe else "")
        )


def download(
    subject: str | Sequence[str],
    ses: str | Sequence[str] | None = None,
    task: str | Sequence[str] | None = None,
    space: str | Sequence[str] | None = None,
    desc: str | Sequence[str] | None = None,
    stat: str | Sequence[str] | None = None,
    suffix: str | Sequence[str] | None = None,
    extension: str | Sequence[str] | None = None,
    include_stimuli: bool = False,
    n_jobs: int = 1,
) -> DownloadSummary:
    """Download the files of ``subject`` (``"sub-01"``, ``"01"``, a list, or ``"all"``).

    Returns a :class:`DownloadSummary`. Raises :class:`NoMatchingDataError` when the filters
    match no file of a subject, :class:`SubjectNotFoundError` for a subject the bucket lacks.
    """
    from laion_fmri.discovery import get_subjects, normalize_subject

    data_dir = get_data_dir()
    workers = _check_n_jobs(n_jobs)
    if include_stimuli and not stimuli_terms_accepted(data_dir):
        raise LicenseNotAcceptedError(
            "The LAION-fMRI stimulus images are shared under a data use agreement. Accept it "
            "once with laion_fmri.download.accept_licenses(include_stimuli=True) (or `laion-fmri "
            "accept-terms --stimuli`), then download again."
        )
    available = get_subjects()
    requested = [subject] if isinstance(subject, str | int) else list(subject)
    if requested == ["all"]:
        subjects = available
    else:
        subjects = [normalize_subject(s) for s in requested]
        missing = [s for s in subjects if s not in available]
        if missing:
            raise SubjectNotFoundError(
                f"Subject {', '.join(missing)} is not in s3://{_bucket.BUCKET}. "
                f"Subjects: {', '.join(available) or '(none)'}."
            )
    filters = {
        name: _tokens(name, value)
        for name, value in (
            ("ses", ses),
            ("task", task),
            ("space", space),
            ("desc", desc),
            ("stat", stat),
        )
    }
    suffixes = _plain(suffix)
    extensions = [e.lstrip(".") for e in _plain(extension)] if extension is not None else None

    summary = DownloadSummary()
    wanted: list[RemoteObject] = [
        obj for obj in _bucket.list_objects("", recursive=False) if obj.key in DATASET_KEYS
    ]
    for sub in subjects:
        matched_before = len(wanted)
        glm = list(_bucket.list_objects(f"{GLM_PREFIX}{sub}/"))
        sessions = sorted({s for o in glm if (s := _entities(o.key).get("ses"))})
        named = [s for s in filters["ses"] or () if s != "averages"]
        if named and not set(named) & set(sessions):
            raise NoMatchingDataError(
                f"{sub} has no session {', '.join(named)} in s3://{_bucket.BUCKET}. "
                f"Sessions of {sub}: {', '.join(sessions) or '(none)'}."
            )
        for obj in glm:
            session = _entities(obj.key).get("ses")
            if session in HELD_OUT_SESSIONS and session not in (filters["ses"] or ()):
                summary.held_out.append(obj.key)
            elif _matches(obj.key, filters, suffixes, extensions, strict_ses=True) or (
                filters["ses"] and obj.key.endswith(BRAIN_MASK_SUFFIX)
            ):
                wanted.append(obj)
        roi_filters = {**filters, "ses": None}
        for obj in _bucket.list_objects(f"{ROI_PREFIX}{sub}/"):
            if _matches(obj.key, roi_filters, suffixes, extensions, strict_ses=False):
                wanted.append(obj)
        if len(wanted) == matched_before:
            raise NoMatchingDataError(
                f"No file of {sub} in s3://{_bucket.BUCKET} matches the filters "
                f"{_describe_filters(filters, suffixes, extensions)}. Sessions of {sub}: "
                f"{', '.join(sessions) or '(none)'}."
            )
    if include_stimuli:
        wanted += [
            obj
            for obj in _bucket.list_objects(STIMULI_PREFIX)
            if _matches(obj.key, {**filters, "ses": None}, suffixes, extensions, False)
        ]
    summary.matched = [obj.key for obj in wanted]
    _transfer(wanted, Path(data_dir), workers, summary)
    logger.info("LAION-fMRI download: %s", summary)
    return summary


def fetch_keys(
    keys: Sequence[str], data_dir: str | os.PathLike[str] | None = None, n_jobs: int = 8
) -> DownloadSummary:
    """Download exactly ``keys`` of the bucket (those missing or changed) into the data dir.

    A few keys are looked up one by one (HEAD); many share one listing of their folder.
    """
    data_dir = Path(data_dir or get_data_dir())
    if len(keys) <= 32:
        objects = [_bucket.head(key) for key in keys]
    else:
        prefix = os.path.commonprefix(list(keys)).rpartition("/")[0] + "/"
        wanted = set(keys)
        objects = [obj for obj in _bucket.list_objects(prefix) if obj.key in wanted]
        missing = wanted - {obj.key for obj in objects}
        if missing:
            raise NoMatchingDataError(
                f"{len(missing)} keys are not in s3://{_bucket.BUCKET} (e.g. {min(missing)}); "
                "the metadata may be newer than the bucket's files, or the mirror incomplete."
            )
    summary = DownloadSummary(matched=[obj.key for obj in objects])
    _transfer(objects, data_dir, _check_n_jobs(n_jobs), summary)
    if summary.denied or summary.unsafe:
        raise NoMatchingDataError(
            f"s3://{_bucket.BUCKET} refused {len(summary.denied) + len(summary.unsafe)} of the "
            f"keys asked for (e.g. {(summary.denied + summary.unsafe)[0]})."
        )
    return summary


def accept_licenses(include_stimuli: bool = False, agree: bool | None = None) -> None:
    """Record acceptance of the stimulus terms of use in the data directory.

    The fMRI data are CC0 and need no acceptance. The stimulus images are shared under a data
    use agreement: with ``agree=None`` the terms are shown and the answer asked on a terminal.
    """
    if not include_stimuli:
        logger.info("LAION-fMRI data are released under CC0 1.0; nothing to accept.")
        return
    if agree is None:
        if not sys.stdin or not sys.stdin.isatty():
            raise LicenseNotAcceptedError(
                "Accepting the stimulus terms needs a terminal; call "
                "accept_licenses(include_stimuli=True, agree=True) to accept them explicitly."
            )
        answer = input(
            "The LAION-fMRI stimulus images may only be used for non-commercial research under "
            "the data use agreement of the LAION-fMRI release. Type 'I AGREE' to accept: "
        )
        agree = answer.strip().upper() == "I AGREE"
    if not agree:
        raise LicenseNotAcceptedError(
            "The stimulus terms were not accepted; no stimuli will be downloaded."
        )
    (state_dir() / STIMULI_TERMS_MARKER).write_text("accepted\n")


def stimuli_terms_accepted(data_dir: str | os.PathLike[str] | None = None) -> bool:
    return (state_dir(data_dir) / STIMULI_TERMS_MARKER).exists()


# --- filters ------------------------------------------------------------------------------------


def _plain(value: str | Iterable[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _tokens(entity: str, value: str | Iterable[str] | None) -> list[str] | None:
    """Filter values as full tokens: ``"01"`` and ``"ses-01"`` both give ``"ses-01"``."""
    if value is None:
        return None
    tokens = []
    for item in _plain(value):
        item = item.strip()
        if entity == "ses" and item == "averages":
            tokens.append(item)
        elif item.startswith(f"{entity}-"):
            tokens.append(item)
        else:
            tokens.append(f"{entity}-{item}")
    return tokens


def _entities(key: str) -> dict[str, str]:
    """BIDS entities of a key's file name, as full tokens: ``{"ses": "ses-01", ...}``."""
    stem = key.rsplit("/", 1)[-1].split(".", 1)[0]
    found = {}
    for part in stem.split("_"):
        name, dash, _ = part.partition("-")
        if dash:
            found[name] = part
    return found


def _matches(
    key: str,
    filters: dict[str, list[str] | None],
    suffixes: list[str],
    extensions: list[str] | None,
    strict_ses: bool,
) -> bool:
    name = key.rsplit("/", 1)[-1]
    if not name or key.endswith("/"):
        return False
    entities = _entities(key)
    stem, _, ext = name.partition(".")
    for entity, wanted in filters.items():
        if wanted is None:
            continue
        value = entities.get(entity)
        if entity == "ses" and strict_ses:
            if value is None:
                if "averages" in wanted:
                    continue
                return False
        if value is not None and value not in wanted:
            return False
    if suffixes and stem.rsplit("_", 1)[-1] not in suffixes:
        return False
    return not (extensions is not None and ext not in extensions)


def _describe_filters(filters: dict, suffixes: list[str], extensions: list[str] | None) -> str:
    parts = [f"{k}={v}" for k, v in filters.items() if v is not None]
    parts += [f"suffix={suffixes}"] if suffixes else []
    parts += [f"extension={extensions}"] if extensions is not None else []
    return ", ".join(parts) or "(none)"


def _check_n_jobs(n_jobs: int) -> int:
    if not isinstance(n_jobs, int) or isinstance(n_jobs, bool) or n_jobs < 1:
        raise InvalidArgumentError(f"n_jobs must be a positive integer, not {n_jobs!r}.")
    limit = max(32, 2 * (os.cpu_count() or 1))
    if n_jobs > limit:
        logger.warning("n_jobs=%d is more than useful; using %d parallel downloads", n_jobs, limit)
    return min(n_jobs, limit)


# --- transfers ---------------------------------------------------------------------------------


def _transfer(
    objects: list[RemoteObject], data_dir: Path, workers: int, summary: DownloadSummary
) -> None:
    from brainio.progress import progress_bar

    records = _Records(data_dir)
    todo = []
    for obj in objects:
        try:
            target = local_path(data_dir, obj.key)
        except UnsafePathError as error:
            summary.unsafe.append(obj.key)
            warnings.warn(
                f"Skipped a key listed by {_bucket.endpoint()}: {error}", UserWarning, stacklevel=3
            )
            continue
        if records.is_current(target, obj):
            summary.skipped.append(obj.key)
        else:
            todo.append((obj, target))
    for folder in {target.parent for _, target in todo}:
        remove_stale_parts(folder)
    failures: list[tuple[str, Exception]] = []
    try:
        with (
            progress_bar(sum(obj.size for obj, _ in todo), "laion-fmri") as bar,
            ThreadPoolExecutor(max_workers=workers) as pool,
        ):
            futures = {
                pool.submit(_fetch_one, obj, target, records): (obj, target) for obj, target in todo
            }
            for future in as_completed(futures):
                obj, target = futures[future]
                try:
                    fetched = future.result()
                except AccessDeniedError:
                    summary.denied.append(obj.key)
                    warnings.warn(
                        f"Access denied to s3://{_bucket.BUCKET}/{obj.key} (held-out or "
                        "restricted data); skipped.",
                        UserWarning,
                        stacklevel=3,
                    )
                    continue
                except (FetchError, OSError) as error:
                    failures.append((obj.key, error))
                    continue
                records.add(target, obj)
                if fetched:
                    summary.downloaded.append(obj.key)
                    summary.bytes_downloaded += obj.size
                else:
                    summary.skipped.append(obj.key)
                bar.update(obj.size)
    finally:
        records.save()
    if failures:
        listing = "\n".join(f"  {key}: {error}" for key, error in failures)
        raise FetchError(
            f"{len(failures)} of {len(todo)} files could not be downloaded (the others are in "
            f"place; run download again to retry):\n{listing}"
        )


PART_SUFFIX = ".part"


def part_path(target: Path) -> Path:
    """Where ``target`` is written before it is complete: ``.<name>.part`` beside it."""
    return target.with_name(f".{target.name}{PART_SUFFIX}")


def _fetch_one(obj: RemoteObject, target: Path, records: _Records) -> bool:
    """Download ``obj`` to ``target`` through its locked ``.part`` file.

    Returns ``False`` when another process completed the same file while this one waited for
    the lock. A part left by a killed run is started over (a part written by parallel ranged
    GETs has holes, so it cannot be resumed); :func:`remove_stale_parts` removes the others.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    part = part_path(target)
    while True:
        descriptor = os.open(part, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            _lock(descriptor)
            if not _names(part, descriptor):  # completed or swept while we waited
                if records.is_current(target, obj):
                    return False
                continue
            with os.fdopen(descriptor, "r+b", closefd=False) as file:
                file.truncate(0)
                _bucket.download(obj, file)
            size = os.fstat(descriptor).st_size
            if size != obj.size:
                raise FetchError(
                    f"s3://{_bucket.BUCKET}/{obj.key} arrived with {size} bytes instead of "
                    f"{obj.size}; it may have changed during the download. Run download again."
                )
            os.replace(part, target)
            return True
        except BaseException:
            if _names(part, descriptor):
                part.unlink(missing_ok=True)
            raise
        finally:
            os.close(descriptor)  # also releases the lock


def remove_stale_parts(folder: Path) -> list[Path]:
    """Remove the ``.part`` files in ``folder`` that no running download holds.

    A download killed (``kill -9``, power loss) leaves its part behind; the next download
    into the folder removes it.
    """
    removed = []
    for part in folder.glob(f".*{PART_SUFFIX}"):
        try:
            descriptor = os.open(part, os.O_RDWR)
        except OSError:
            continue
        try:
            if _lock(descriptor, wait=False) and _names(part, descriptor):
                part.unlink(missing_ok=True)
                removed.append(part)
        except OSError:  # in use where files cannot be locked, only not removed (Windows)
            continue
        finally:
            os.close(descriptor)
    if removed:
        logger.info("Removed %d unfinished download(s) in %s", len(removed), folder)
    return removed


def _names(path: Path, descriptor: int) -> bool:
    """Whether ``path`` still names the open file ``descriptor``."""
    try:
        return os.stat(path).st_ino == os.fstat(descriptor).st_ino
    except FileNotFoundError:
        return False


def _lock(descriptor: int, wait: bool = True) -> bool:
    """An exclusive lock on an open file, released when it is closed (POSIX ``flock``).

    Without ``fcntl`` (Windows) there is no lock: an open file cannot be removed there.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return True
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    return True


class _Records:
    """Size, mtime and ETag of every file this plugin downloaded, so re-runs skip them cheaply.

    A file without a record (copied in by hand, or from another tool) is checked by computing
    its ETag (the MD5 of its content, or of its parts for multipart uploads).
    """

    def __init__(self, data_dir: Path):
        self.path = state_dir(data_dir) / MANIFEST
        self.data_dir = data_dir
        self.lock = threading.Lock()
        try:
            self.entries: dict[str, dict] = json.loads(self.path.read_text())
        except (FileNotFoundError, ValueError):
            self.entries = {}
        self.changed = False

    def _name(self, target: Path) -> str:
        return target.relative_to(self.data_dir).as_posix()

    def is_current(self, target: Path, obj: RemoteObject) -> bool:
        try:
            stat = target.stat()
        except FileNotFoundError:
            return False
        if stat.st_size != obj.size:
            return False
        entry = self.entries.get(self._name(target))
        if entry and entry.get("mtime_ns") == stat.st_mtime_ns and entry.get("size") == obj.size:
            return entry.get("etag") == obj.etag
        if etag_matches(target, obj.etag):
            self.add(target, obj)
            return True
        return False

    def add(self, target: Path, obj: RemoteObject) -> None:
        stat = target.stat()
        with self.lock:
            self.entries[self._name(target)] = {
                "key": obj.key,
                "size": stat.st_size,
                "mtime_ns": stat.st_mtime_ns,
                "etag": obj.etag,
            }
            self.changed = True

    def save(self) -> None:
        if not self.changed:
            return
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
        with os.fdopen(handle, "w") as file:
            json.dump(self.entries, file)
        os.replace(temporary, self.path)


def etag_matches(path: Path, etag: str) -> bool:
    """Whether ``path`` has S3 ETag ``etag`` (single-part MD5 or multipart MD5-of-MD5s)."""
    etag = etag.strip('"')
    if "-" not in etag:
        digest = hashlib.md5(usedforsecurity=False)
        with open(path, "rb") as file:
            while chunk := file.read(8 * MiB):
                digest.update(chunk)
        return digest.hexdigest() == etag
    try:
        parts = int(etag.rsplit("-", 1)[1])
    except ValueError:
        return False
    size = path.stat().st_size
    candidates = [8 * MiB, 16 * MiB, 5 * MiB, 32 * MiB, 64 * MiB, 100 * MiB, 128 * MiB]
    candidates.append(math.ceil(size / parts / MiB) * MiB)
    for chunk_size in dict.fromkeys(candidates):
        if math.ceil(size / chunk_size) != parts:
            continue
        digests = hashlib.md5(usedforsecurity=False)
        with open(path, "rb") as file:
            while chunk := file.read(chunk_size):
                digests.update(hashlib.md5(chunk, usedforsecurity=False).digest())
        if f"{digests.hexdigest()}-{parts}" == etag:
            return True
    return False


__all__ = [
    "DownloadSummary",
    "accept_licenses",
    "download",
    "etag_matches",
    "fetch_keys",
    "remove_stale_parts",
]
