"""PyTorch data sets of LAION-fMRI, as in the LAION-fMRI package's ``laion_fmri.torch_data``.

* :class:`LaionFMRIDataset`: one session of one subject, item ``i`` = trial ``i``'s betas with
  its stimulus image (from the local copy, fetched once through :mod:`laion_fmri.stimuli`).
* :func:`stimulus_dataset`: the stimulus images streamed straight from the bucket, built on
  the S3 plugin's ``S3MapDataset`` / ``S3IterableDataset`` (DataLoader workers, sharding
  across ranks), for training on images without a local copy.

Both need torch (``pip install 'brainio-laion-fmri[torch]'``).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from laion_fmri import _bucket
from laion_fmri.stimuli import IMAGES_PREFIX, Stimuli, decode

try:
    from torch.utils.data import Dataset as _Dataset
except ImportError:  # the class still imports; constructing it explains what to install
    _Dataset = object  # type: ignore[assignment,misc]


def _check_torch_available() -> None:
    if importlib.util.find_spec("torch") is None:
        raise ImportError(
            "PyTorch is needed for laion_fmri.torch_data: pip install 'brainio-laion-fmri[torch]'."
        )


def repetition_index(labels: Sequence[str]) -> np.ndarray:
    """How often each trial's stimulus was shown before it (0 for the first showing)."""
    seen: dict[str, int] = {}
    out = np.empty(len(labels), dtype=np.int64)
    for row, label in enumerate(labels):
        out[row] = seen.get(label, 0)
        seen[label] = out[row] + 1
    return out


def image_tensor(image) -> Any:
    """A PIL image as a float32 ``(3, H, W)`` tensor in [0, 1]."""
    import torch

    array = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
    return torch.from_numpy(np.ascontiguousarray(array.transpose(2, 0, 1)))


class LaionFMRIDataset(_Dataset):
    """One session of a subject: ``{"betas", "image", "stimulus_id", "session", "rep_index"}``.

    Betas (``roi``/``mask``/``nc_threshold`` as in :meth:`Subject.get_betas`) are read once
    into memory; the session's images are made local when the data set is built, so
    DataLoader workers only read files.
    """

    def __init__(
        self,
        subject,
        session: str,
        roi=None,
        mask=None,
        nc_threshold=None,
        image_transform: Callable | None = None,
        stimuli: str | None = None,
    ):
        _check_torch_available()
        self._session = session
        self._image_transform = image_transform
        betas, trials = subject._betas(session, roi, mask, nc_threshold, stimuli, False)
        self._betas = betas
        self._labels = trials["label"].astype(str).tolist()
        if "rep_index" in trials.columns:
            self._repetitions = trials["rep_index"].to_numpy()
        else:
            self._repetitions = repetition_index(self._labels)
        self._stimuli = subject.stimuli
        self._rows = self._stimuli.prepare(self._labels)

    def __len__(self) -> int:
        return len(self._betas)

    def __getitem__(self, index: int) -> dict[str, Any]:
        import torch

        image = image_tensor(decode(self._stimuli.read(self._rows[index])))
        if self._image_transform is not None:
            image = self._image_transform(image)
        return {
            "betas": torch.from_numpy(self._betas[index].copy()),
            "image": image,
            "stimulus_id": self._labels[index],
            "session": self._session,
            "rep_index": int(self._repetitions[index]),
        }


def stimulus_dataset(
    stimulus_ids: Sequence[str] | None = None,
    *,
    transform: Callable | None = None,
    iterable: bool = False,
    enable_sharding: bool = False,
    data_dir=None,
) -> Any:
    """The stimulus images streamed from the bucket's ``stimuli/images/`` folder.

    Items are ``transform(stimulus_id, PIL image)`` (default: ``(stimulus_id, (3, H, W)
    tensor)``). ``stimulus_ids`` default to every stimulus of the metadata table (which is
    read from the data directory, or fetched once the stimulus terms are accepted).
    ``iterable=True`` gives an ``S3IterableDataset`` (``enable_sharding`` deals the images
    over ranks and DataLoader workers), else an ``S3MapDataset``.
    """
    _check_torch_available()
    stimuli = Stimuli(data_dir)
    metadata = stimuli.metadata
    rows = (
        range(len(metadata))
        if stimulus_ids is None
        else [stimuli.index_of(s) for s in stimulus_ids]
    )
    filenames = metadata["filename"].astype(str).to_numpy()[list(rows)]
    ids = dict(zip(filenames, metadata["stimulus_id"].to_numpy()[list(rows)], strict=True))
    return _bucket.dataset(
        [IMAGES_PREFIX + name for name in filenames],
        _Decode(ids, transform),
        iterable=iterable,
        enable_sharding=enable_sharding,
    )


class _Decode:
    """The transform of :func:`stimulus_dataset` (a class, so spawned workers can pickle it)."""

    def __init__(self, ids: dict[str, str], transform: Callable | None):
        self.ids = ids
        self.transform = transform

    def __call__(self, reader) -> Any:
        name = reader.key[len(IMAGES_PREFIX) :]
        image = decode(reader.read())
        stimulus_id = self.ids[name]
        if self.transform is not None:
            return self.transform(stimulus_id, image)
        return stimulus_id, image_tensor(image)


__all__ = ["LaionFMRIDataset", "image_tensor", "repetition_index", "stimulus_dataset"]
