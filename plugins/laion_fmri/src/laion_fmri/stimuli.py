"""The stimulus images, read from the data directory and fetched from the bucket on demand.

The bucket's stimulus folder holds a metadata table (``stimuli/stimuli.tsv``; the newer
``stimuli/task-images_metadata.csv`` is read too) and the images (``stimuli/images/<filename>``).
:class:`Stimuli` reads both from the local mirror; what is missing there is downloaded once,
through the same verified, atomic path as :func:`laion_fmri.download.download`, when the
stimulus terms of use have been accepted (``accept_licenses(include_stimuli=True)``). A local
HDF5 archive ``stimuli/task-images_stimuli.h5`` (dataset ``images``: one JPEG per metadata
row, as the LAION-fMRI access service hands it out) is read instead of single files when
present (needs ``h5py``).

>>> stimuli = Stimuli()                      # doctest: +SKIP
>>> stimuli.metadata.head()                  # stimulus_id, filename, shared, ...
>>> jpeg = stimuli["shared_12rep_LAION_cluster_1003_i0.jpg"]   # raw bytes
>>> image = stimuli.image(0)                 # PIL.Image (needs Pillow)
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from brainio.errors import FetchError, FormatError
from brainio.paths import confined_files
from laion_fmri._paths import STIMULI_PREFIX
from laion_fmri.config import get_data_dir
from laion_fmri.errors import (
    InvalidArgumentError,
    InvalidArgumentTypeError,
    LaionFMRIError,
    StimuliNotDownloadedError,
)

METADATA_FILES = ("stimuli.tsv", "task-images_metadata.csv")
ARCHIVE = "task-images_stimuli.h5"
IMAGES_PREFIX = f"{STIMULI_PREFIX}images/"
FORMATS = ("pil", "numpy", "torch")


class StimulusNotFoundError(LaionFMRIError, KeyError):
    """A stimulus name the metadata table does not list."""

    def __str__(self) -> str:  # KeyError would print the repr of the message
        return str(self.args[0]) if self.args else ""


class Stimuli:
    """The stimulus set: metadata plus images, by row index or stimulus id.

    :param data_dir: the data directory (default: the configured one).
    :param fetch: download what is missing from the bucket; default: once the stimulus terms
        are accepted.
    """

    def __init__(self, data_dir: str | os.PathLike[str] | None = None, fetch: bool | None = None):
        from laion_fmri.download import stimuli_terms_accepted

        self.data_dir = Path(data_dir or get_data_dir())
        self.fetch = stimuli_terms_accepted(self.data_dir) if fetch is None else fetch
        self._metadata: pd.DataFrame | None = None
        self._index: dict[str, int] = {}
        self._h5: Any = None  # the archive's open file, per process
        self._h5_pid = 0

    def __repr__(self) -> str:
        return f"Stimuli(data_dir={str(self.data_dir)!r})"

    def __enter__(self) -> Stimuli:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HDF5 archive if it was opened (files are never kept open)."""
        if self._h5 is not None:
            self._h5.close()
            self._h5 = None

    def __getstate__(self) -> dict:  # DataLoader workers open the archive themselves
        return {**self.__dict__, "_h5": None, "_h5_pid": 0}

    # --- metadata -------------------------------------------------------------------------------

    @property
    def metadata(self) -> pd.DataFrame:
        """One row per stimulus: ``stimulus_id``, ``filename``, ``shared`` and the table's own
        columns, in the table's order (row ``i`` is stimulus ``i``)."""
        if self._metadata is None:
            table = _normalize(_read_table(self._metadata_file()))
            self._index = {name: row for row, name in enumerate(table["stimulus_id"])}
            self._metadata = table
        return self._metadata

    def is_downloaded(self) -> bool:
        """Whether the metadata table is in the data directory."""
        return self._local_metadata() is not None

    def _local_metadata(self) -> Path | None:
        folder = self.data_dir / STIMULI_PREFIX
        return next((folder / name for name in METADATA_FILES if (folder / name).is_file()), None)

    def _metadata_file(self) -> Path:
        local = self._local_metadata()
        if local is not None:
            return local
        if self.fetch:
            for name in METADATA_FILES:
                try:
                    _fetch(self.data_dir, [STIMULI_PREFIX + name])
                except FetchError:
                    continue
                return self.data_dir / STIMULI_PREFIX / name
        raise StimuliNotDownloadedError(
            f"No stimulus metadata in {self.data_dir / STIMULI_PREFIX} (looked for "
            f"{', '.join(METADATA_FILES)}). Accept the stimulus terms with "
            "laion_fmri.download.accept_licenses(include_stimuli=True); then the stimuli are "
            "fetched on first use, or all at once with download(subject, include_stimuli=True)."
        )

    def __len__(self) -> int:
        return len(self.metadata)

    def names(self) -> list[str]:
        """Every stimulus id, in metadata order."""
        return self.metadata["stimulus_id"].tolist()

    def index_of(self, name: str) -> int:
        """The metadata row of stimulus ``name``."""
        _ = self.metadata
        try:
            return self._index[name]
        except KeyError:
            raise StimulusNotFoundError(
                f"Unknown stimulus {name!r}: the metadata table lists {len(self._index)} "
                "stimuli (see Stimuli().names())."
            ) from None

    def __contains__(self, key: object) -> bool:
        _ = self.metadata
        if isinstance(key, str):
            return key in self._index
        return bool(isinstance(key, int | np.integer) and 0 <= key < len(self._index))

    # --- images ---------------------------------------------------------------------------------

    def _row(self, key: int | str) -> int:
        if isinstance(key, str):
            return self.index_of(key)
        if isinstance(key, int | np.integer) and not isinstance(key, bool):
            if not -len(self) <= key < len(self):
                raise IndexError(f"Stimulus index {key} is out of range for {len(self)} stimuli.")
            return int(key) % len(self)
        raise InvalidArgumentTypeError(
            f"A stimulus is an index or a stimulus id, not {type(key).__name__} {key!r}."
        )

    @property
    def archive(self) -> Path | None:
        """The local HDF5 archive of the images, if there is one."""
        path = self.data_dir / STIMULI_PREFIX / ARCHIVE
        return path if path.is_file() else None

    def prepare(self, keys: Sequence[int | str] | None = None) -> list[int]:
        """Rows of the stimuli ``keys`` (default: all), each readable locally afterwards:
        missing image files are downloaded in one batch."""
        rows = list(range(len(self))) if keys is None else [self._row(key) for key in keys]
        if self.archive is None:
            self.paths(rows)
        return rows

    def paths(self, keys: Sequence[int | str] | None = None) -> list[Path]:
        """Local files of the stimuli ``keys`` (default: all), downloaded first if missing."""
        rows = range(len(self)) if keys is None else [self._row(key) for key in keys]
        filenames = self.metadata["filename"].astype(str).to_numpy()[list(rows)]
        folder = self.data_dir / IMAGES_PREFIX
        paths, absent = confined_files(folder, filenames, what="Stimulus filename")
        missing = [filenames[position] for position in absent]
        if missing:
            if not self.fetch:
                raise StimuliNotDownloadedError(
                    f"{len(missing)} stimulus images are not in {folder} (e.g. {missing[0]}). "
                    "Accept the stimulus terms with laion_fmri.download.accept_licenses("
                    "include_stimuli=True) to fetch them on first use, or run "
                    "download(subject, include_stimuli=True)."
                )
            _fetch(self.data_dir, [IMAGES_PREFIX + name for name in dict.fromkeys(missing)])
        return paths

    def path(self, key: int | str) -> Path:
        return self.paths([key])[0]

    def read(self, row: int) -> bytes:
        """The raw image of metadata row ``row`` (after :meth:`prepare`)."""
        if self.archive is None:
            return self.paths([row])[0].read_bytes()
        if self._h5 is None or self._h5_pid != os.getpid():
            import h5py

            self._h5, self._h5_pid = h5py.File(self.archive, "r"), os.getpid()
        images = self._h5["images"]
        if len(images) != len(self):
            raise FormatError(
                f"{self.archive} holds {len(images)} images but the metadata lists {len(self)}; "
                "fetch both again so that row i of one is image i of the other."
            )
        return bytes(images[row])

    def __getitem__(self, key: int | str) -> bytes:
        """The raw file (JPEG or PNG bytes) of one stimulus, by index or stimulus id."""
        return self.read(self.prepare([key])[0])

    def __iter__(self) -> Iterator[tuple[str, bytes]]:
        """``(stimulus_id, raw bytes)`` in metadata order."""
        names = self.names()
        for row in self.prepare():
            yield names[row], self.read(row)

    def image(self, key: int | str):
        """One stimulus as a :class:`PIL.Image.Image` (needs Pillow)."""
        return decode(self[key])

    def images(self, stimuli: str | None = None, format: str = "pil") -> Any:
        """Every stimulus (or the ``"shared"`` / ``"unique"`` ones) in metadata order.

        ``format``: ``"pil"`` (a list of images), ``"numpy"`` (uint8 ``(n, H, W, 3)``) or
        ``"torch"`` (float32 ``(n, 3, H, W)`` in [0, 1]).
        """
        if format not in FORMATS:
            raise InvalidArgumentError(f"format={format!r}; use one of {', '.join(FORMATS)}.")
        table = self.metadata
        if stimuli is not None:
            table = table[table["shared"] == (check_stimuli(stimuli) == "shared")]
        images = [decode(self.read(row)) for row in self.prepare(table.index.tolist())]
        if format == "pil":
            return images
        arrays = [np.asarray(image.convert("RGB")) for image in images]
        if len({array.shape for array in arrays}) > 1:
            raise InvalidArgumentError(
                f"The images have different sizes ({sorted({a.shape for a in arrays})[:3]} ...), "
                "so they cannot be stacked; use format='pil' and resize them."
            )
        stacked = np.stack(arrays) if arrays else np.empty((0, 0, 0, 3), np.uint8)
        if format == "numpy":
            return stacked.astype(np.uint8)
        warnings.warn(
            "format='torch' gives a float32 (n, 3, H, W) array; for a DataLoader use "
            "Subject.to_torch_dataset().",
            UserWarning,
            stacklevel=2,
        )
        return (stacked.astype(np.float32) / 255.0).transpose(0, 3, 1, 2)


def check_stimuli(stimuli: str) -> str:
    if stimuli not in ("shared", "unique"):
        raise InvalidArgumentError(f"stimuli={stimuli!r}; use 'shared', 'unique' or None.")
    return stimuli


def load_stimulus_metadata(data_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """The stimulus metadata table (see :attr:`Stimuli.metadata`)."""
    return Stimuli(data_dir).metadata


def load_stimulus(
    key: int | str, data_dir: str | os.PathLike[str] | None = None, *, decode: bool = False
) -> Any:
    """One stimulus by index or stimulus id: raw bytes, or a PIL image with ``decode=True``."""
    stimuli = Stimuli(data_dir)
    return stimuli.image(key) if decode else stimuli[key]


def _read_table(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, sep="\t" if path.suffix == ".tsv" else ",")
    except (ValueError, UnicodeDecodeError, OSError) as error:
        raise FormatError(
            f"Cannot read the stimulus metadata {path}: {error}. Delete it and fetch it again."
        ) from None


def _normalize(table: pd.DataFrame) -> pd.DataFrame:
    """``stimulus_id``, ``filename`` and boolean ``shared`` columns, whatever the table's era."""
    table = table.copy()
    if "stimulus_id" not in table.columns:
        if "image_name" not in table.columns:
            raise FormatError(
                f"The stimulus metadata has neither a stimulus_id nor an image_name "
                f"column (it has {list(table.columns)}). Fetch it again."
            )
        table.insert(0, "stimulus_id", table["image_name"])
    table["stimulus_id"] = table["stimulus_id"].astype(str)
    if "filename" not in table.columns:
        table["filename"] = table["stimulus_id"]
    if "shared" in table.columns:
        table["shared"] = table["shared"].astype(bool)
    elif "unique_or_shared" in table.columns:
        table["shared"] = table["unique_or_shared"].astype(str).str.lower().eq("shared")
    else:
        table["shared"] = table["stimulus_id"].str.startswith("shared_")
    return table


def decode(raw: bytes):
    """A stimulus file's bytes as a :class:`PIL.Image.Image` (needs Pillow)."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(
            "Decoding stimulus images needs Pillow: pip install 'brainio-laion-fmri[images]'."
        ) from None
    image = Image.open(io.BytesIO(raw))
    image.load()
    return image


def _fetch(data_dir: Path, keys: list[str]) -> None:
    from laion_fmri.download import fetch_keys

    fetch_keys(keys, data_dir)


__all__ = [
    "Stimuli",
    "StimulusNotFoundError",
    "load_stimulus",
    "load_stimulus_metadata",
]
