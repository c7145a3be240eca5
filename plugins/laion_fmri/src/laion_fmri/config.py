"""Where the local copy of LAION-fMRI lives.

``dataset_initialize(path)`` records the data directory in a small JSON file in the user's
configuration folder (``platformdirs``: ``$XDG_CONFIG_HOME/laion_fmri/config.json`` on Linux),
so every later session finds it. ``LAION_FMRI_DATA_DIR`` overrides the file, which is handy on
clusters and in tests. The data directory holds a mirror of the bucket's keys plus a
``.laion_fmri/`` folder with the plugin's own bookkeeping (download records, accepted terms).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import platformdirs

from laion_fmri.errors import DataDirNotFoundError, DataDirNotSetError, InvalidArgumentTypeError

ENV_DATA_DIR = "LAION_FMRI_DATA_DIR"
STATE_DIR = ".laion_fmri"


def config_path() -> Path:
    """The configuration file that remembers the data directory."""
    return Path(platformdirs.user_config_dir("laion_fmri", appauthor=False)) / "config.json"


def dataset_initialize(path: str | os.PathLike[str], create: bool = False) -> None:
    """Use the existing directory ``path`` as the data directory from now on.

    With ``create=True`` a missing directory is created first (as ``laion-fmri config`` does).
    """
    if not isinstance(path, str | os.PathLike):
        raise InvalidArgumentTypeError(
            f"dataset_initialize expects a path (str), got {type(path).__name__} {path!r}."
        )
    folder = Path(path).expanduser().resolve()
    if create:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise DataDirNotFoundError(
                f"Cannot create the data directory {folder}: {error.strerror or error}. Choose "
                "a folder you can write to (or create it yourself) and run again."
            ) from None
    if not folder.is_dir():
        raise DataDirNotFoundError(
            f"Data directory {folder} does not exist. Create it first "
            f"(os.makedirs({str(folder)!r}, exist_ok=True)), then call dataset_initialize again."
        )
    target = config_path()
    try:
        (folder / STATE_DIR).mkdir(exist_ok=True)
    except OSError as error:
        raise DataDirNotFoundError(
            f"The data directory {folder} is not writable ({error.strerror or error}). Choose "
            "a folder you can write to, or fix its permissions."
        ) from None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_atomic(target, json.dumps({"data_dir": str(folder)}, indent=2) + "\n")
    except OSError as error:
        raise DataDirNotSetError(
            f"Cannot write the LAION-fMRI configuration file {target} ({error.strerror or error})."
            f" Set {ENV_DATA_DIR}={folder} instead, or make {target.parent} writable."
        ) from None


def get_data_dir() -> str:
    """The configured data directory (``LAION_FMRI_DATA_DIR`` wins over the config file)."""
    override = os.environ.get(ENV_DATA_DIR, "").strip()
    if override:
        return str(Path(override).expanduser().resolve())
    target = config_path()
    try:
        data_dir = json.loads(target.read_text())["data_dir"]
    except FileNotFoundError:
        raise DataDirNotSetError(
            "No LAION-fMRI data directory is set. Call "
            "laion_fmri.config.dataset_initialize('/path/to/data') (or run "
            f"`laion-fmri config --data-dir PATH`), or set {ENV_DATA_DIR}."
        ) from None
    except (ValueError, KeyError, TypeError) as error:
        raise DataDirNotSetError(
            f"The LAION-fMRI configuration file {target} is unreadable ({error}). Run "
            "dataset_initialize(path) again to rewrite it."
        ) from None
    return str(data_dir)


def state_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """The plugin's bookkeeping folder inside the data directory (created on demand)."""
    folder = Path(data_dir or get_data_dir()) / STATE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _write_atomic(target: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``target`` and rename it into place."""
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(handle, "w") as file:
            file.write(text)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
