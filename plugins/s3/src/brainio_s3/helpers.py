"""The Brain-Score S3 helpers, with their signatures and conventions, on BrainIO's cache.

Brain-Score's data and model plugins call these with hard-coded S3 coordinates:

* bucket strings may carry folders, split on the first ``/``
  (``"brainscore-storage/brainio-brainscore"`` -> bucket ``brainscore-storage``, folder
  ``brainio-brainscore``);
* remote file names are ``{prefix}{identifier with '.' -> '_'}.{ext}``, prefix ``stimulus_``
  for csv/zip, ``assy_`` for nc, or a legacy one such as ``image_``;
* ``version_id`` may be ``"null"`` (objects written before versioning was enabled);
* model weights live at ``{folder}/{relative_path}`` (folder ``$BRAINSCORE_S3_WEIGHT_FOLDER``
  or ``models``) and are placed under ``$BRAINSCORE_HOME`` (``~/.brain-score``).

Every download goes through :func:`brainio.cache.get_cache`, so a file is fetched once,
verified by sha1 when one is given (a file fetched without one triggers one warning per file),
and shared with ``get_assembly``. Files that must live at a given path (weights,
``load_file_from_s3``) are hard-linked there from the cache, or copied across file systems.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import warnings
from collections.abc import Callable
from pathlib import Path

from brainio.atomic import atomic_path
from brainio.cache import UnverifiedFileWarning, get_cache
from brainio.errors import IntegrityError
from brainio.hashing import normalize_sha1
from brainio.hashing import sha1_hash as _sha1_hash
from brainio.records import Source
from brainio_s3.locations import join_key, split_bucket

BRAINSCORE_HOME_ENV = "BRAINSCORE_HOME"
WEIGHT_FOLDER_ENV = "BRAINSCORE_S3_WEIGHT_FOLDER"
DEFAULT_WEIGHT_FOLDER = "models"

_warned: set[str] = set()


def remote_filename(identifier: str, file_type: str, filename_prefix: str | None = None) -> str:
    """``stimulus_<id>.csv``/``.zip`` or ``assy_<id>.nc``, dots in the identifier made ``_``."""
    if filename_prefix is None:
        filename_prefix = "stimulus_" if file_type in ("csv", "zip") else "assy_"
    return f"{filename_prefix}{identifier.replace('.', '_')}.{file_type}"


def _source(bucket: str, key: str, sha1: str | None, version_id: str | None) -> Source:
    name, folder = split_bucket(bucket)
    return Source("S3", f"s3://{name}/{join_key(folder, key)}", sha1=sha1, version_id=version_id)


def _fetch(source: Source) -> Path:
    """Fetch through the cache; a file without sha1 gets one warning naming the helper's fix."""
    if source.sha1 is not None:
        return get_cache().fetch(source)
    if source.location not in _warned:
        _warned.add(source.location)
        warnings.warn(
            f"{source.location} is downloaded without a sha1, so its content cannot be "
            "verified. Pass sha1= (compute it with brainio_s3.sha1_hash(path)) to check it.",
            UnverifiedFileWarning,
            stacklevel=3,
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnverifiedFileWarning)
        return get_cache().fetch(source)


def get_path(
    identifier: str,
    file_type: str,
    bucket: str,
    version_id: str | None,
    sha1: str | None,
    filename_prefix: str | None = None,
    folder_name: str | None = None,
) -> str:
    """Local path of the verified file of ``identifier`` (``csv``, ``zip`` or ``nc``)."""
    key = join_key(folder_name or "", remote_filename(identifier, file_type, filename_prefix))
    return str(_fetch(_source(bucket, key, sha1, version_id)))


def load_stimulus_set_from_s3(
    identifier: str,
    bucket: str,
    csv_sha1: str,
    zip_sha1: str,
    csv_version_id: str | None,
    zip_version_id: str | None,
    filename_prefix: str | None = None,
):
    """The stimulus set ``identifier`` from its CSV and ZIP in ``bucket`` (may name a folder)."""
    from brainio.stimuli import StimulusSet

    csv_path = get_path(
        identifier, "csv", bucket, csv_version_id, csv_sha1, filename_prefix=filename_prefix
    )
    zip_path = get_path(
        identifier, "zip", bucket, zip_version_id, zip_sha1, filename_prefix=filename_prefix
    )
    stimuli_directory = get_cache().extract(zip_path)
    loader = StimulusSet.get_loader_class()(
        cls=StimulusSet,
        csv_path=csv_path,
        stimuli_directory=stimuli_directory,
        identifier=identifier,
    )
    stimulus_set = loader.load()
    stimulus_set.identifier = identifier
    return stimulus_set


def load_assembly_from_s3(
    identifier: str,
    version_id: str | None,
    sha1: str,
    bucket: str,
    cls: type,
    stimulus_set_loader: Callable[[], object] | None = None,
    merge_stimulus_set_meta: bool = True,
):
    """The assembly ``identifier`` of class ``cls`` from ``bucket`` (may name a folder).

    With ``stimulus_set_loader``, its stimulus set is loaded and its columns merged onto
    ``presentation`` (or only referenced in ``attrs`` if ``merge_stimulus_set_meta=False``).
    """
    from brainio.assemblies import (
        AssemblyLoader,
        StimulusMergeAssemblyLoader,
        StimulusReferenceAssemblyLoader,
    )

    path = get_path(identifier, "nc", bucket, version_id, sha1)
    if stimulus_set_loader is not None:
        stimulus_set = stimulus_set_loader()
        loader_class = (
            StimulusMergeAssemblyLoader
            if merge_stimulus_set_meta
            else StimulusReferenceAssemblyLoader
        )
        loader = loader_class(
            cls=cls,
            file_path=path,
            stimulus_set_identifier=getattr(stimulus_set, "identifier", None),
            stimulus_set=stimulus_set,
        )
    else:
        loader = AssemblyLoader(cls=cls, file_path=path)
    assembly = loader.load()
    assembly.attrs["identifier"] = identifier
    return assembly


def load_file_from_s3(
    bucket: str,
    path: str,
    local_filepath: str | os.PathLike,
    sha1: str | None = None,
    version_id: str | None = None,
) -> None:
    """Place the object ``path`` of ``bucket`` at ``local_filepath``, verified by ``sha1``.

    A file already at ``local_filepath`` is kept when it is the cached copy or matches ``sha1``;
    otherwise it is replaced (so a changed ``version_id`` is never served stale).
    """
    source = _source(bucket, path, sha1, version_id)
    target = Path(local_filepath)
    if target.is_file() and _is_current(target, source):
        return
    _place(_fetch(source), target)


def load_folder_from_s3(
    bucket: str,
    folder_path: str,
    filename_version_sha: list[tuple[str, str | None, str | None]],
    save_directory: str | os.PathLike,
) -> None:
    """Place every ``(filename, version_id, sha1)`` of ``folder_path`` in ``save_directory``."""
    for filename, version_id, sha1 in filename_version_sha:
        load_file_from_s3(
            bucket=bucket,
            path=join_key(folder_path, filename),
            local_filepath=Path(save_directory) / filename,
            sha1=sha1,
            version_id=version_id,
        )


def load_file(
    bucket: str, relative_path: str, version_id: str | None, folder_name: str | None = None
) -> Path:
    """A file below the weight folder, placed at ``$BRAINSCORE_HOME/<folder>/<relative_path>``."""
    return load_weight_file(bucket, relative_path, version_id, None, folder_name=folder_name)


def load_weight_file(
    bucket: str,
    relative_path: str,
    version_id: str | None,
    sha1: str | None,
    folder_name: str | None = None,
) -> Path:
    """Model weights at ``<folder>/<relative_path>``, verified by ``sha1`` (warned if none)."""
    folder = (
        folder_name
        if folder_name is not None
        else os.environ.get(WEIGHT_FOLDER_ENV, DEFAULT_WEIGHT_FOLDER)
    )
    home = Path(os.environ.get(BRAINSCORE_HOME_ENV) or "~/.brain-score").expanduser()
    local_path = home / join_key(folder) / join_key(relative_path)
    key = join_key(folder, relative_path)
    try:
        load_file_from_s3(bucket, key, local_path, sha1=sha1, version_id=version_id)
    except IntegrityError:
        if sha1 is None or version_id in (None, "", "null"):
            raise  # nothing but the sha1 pins the content
        # the version id pins the content; Brain-Score core ignores this (deprecated) sha1
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnverifiedFileWarning)
            load_file_from_s3(bucket, key, local_path, version_id=version_id)
        warnings.warn(
            f"Model weights {bucket}/{key} (version_id {version_id}) have sha1 "
            f"{_sha1_hash(local_path)}, not the sha1 {normalize_sha1(sha1)} passed to "
            "load_weight_file; using the file the version_id pins. Update the sha1 in the "
            "model's code.",
            stacklevel=2,
        )
    return local_path


def download_file_if_not_exists(
    local_path: str | os.PathLike, bucket: str, remote_filepath: str, version_id: str | None = None
) -> None:
    """Download ``remote_filepath`` to ``local_path`` unless a file is already there."""
    local_path = Path(local_path)
    if local_path.is_file():
        return
    load_file_from_s3(
        bucket=bucket, path=remote_filepath, local_filepath=local_path, version_id=version_id
    )


def sha1_hash(file_path: str | os.PathLike) -> str:
    """Hex SHA-1 of a file (to write into a catalog row or a helper call)."""
    return _sha1_hash(file_path)


# --- placing cached files at the paths callers expect -----------------------------------------


def _is_current(target: Path, source: Source) -> bool:
    cache = get_cache()
    if cache.is_cached(source):
        with contextlib.suppress(OSError):
            if os.path.samefile(target, cache.path_for(source)):
                return True
    return source.sha1 is not None and _sha1_hash(target) == normalize_sha1(source.sha1)


def _place(cached: Path, target: Path) -> None:
    """Put ``cached`` at ``target`` atomically: a hard link, or a copy across file systems."""
    with atomic_path(target, mode=None) as temp:
        temp.unlink()
        try:
            os.link(cached, temp)
        except OSError:
            shutil.copyfile(cached, temp)
