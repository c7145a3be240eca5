"""File readers for the data set's formats, as in the LAION-fMRI package's ``laion_fmri.io``.

Masks and maps are flat in C order over nibabel's ``(x, y, z)`` array; a mask is where a map
is non-zero (NaN counts as outside). Damaged files raise :class:`brainio.errors.FormatError`
naming the file.
"""

from __future__ import annotations

import os

import nibabel as nib
import numpy as np
import pandas as pd

from brainio.errors import FormatError

PathLike = str | os.PathLike[str]


def _load(path: PathLike):
    try:
        return nib.load(os.fspath(path))
    except FileNotFoundError:
        raise
    except Exception as error:  # nibabel raises many kinds for a damaged file
        raise FormatError(
            f"Cannot read {path}: {error}. Delete it and download it again."
        ) from None


def _values(path: PathLike) -> np.ndarray:
    return np.asarray(_load(path).dataobj)


def load_nifti_mask(path: PathLike) -> np.ndarray:
    """Flat boolean mask over the whole grid: where the volume is non-zero (NaN is not)."""
    return np.nan_to_num(_values(path), nan=0).ravel() != 0


def load_nifti_data(path: PathLike, mask_path: PathLike) -> np.ndarray:
    """A 3-D map's values (float32) at the voxels of the mask in ``mask_path``."""
    data = np.asarray(_values(path), dtype=np.float32).ravel()
    return data[load_nifti_mask(mask_path)]


def load_nifti_4d(path: PathLike, mask_path: PathLike) -> np.ndarray:
    """A 4-D series as ``(n_volumes, n_mask_voxels)`` float32, one volume at a time.

    Raises :class:`ValueError` (a :class:`FormatError`) when the file is not 4-D.
    """
    image = _load(path)
    if len(image.shape) != 4:
        raise FormatError(f"Expected a 4-D NIfTI at {path}, got shape {image.shape}.")
    mask = load_nifti_mask(mask_path).reshape(image.shape[:3])
    out = np.empty((image.shape[3], int(mask.sum())), dtype=np.float32)
    for volume in range(image.shape[3]):
        out[volume] = np.asarray(image.dataobj[..., volume])[mask]
    return out


def load_nifti_with_affine(path: PathLike) -> tuple[np.ndarray, np.ndarray]:
    """A volume's values and its 4x4 affine."""
    image = _load(path)
    return np.asarray(image.dataobj), np.array(image.affine)


def load_tsv(path: PathLike) -> pd.DataFrame:
    """A tab-separated table (trial tables, ``participants.tsv``)."""
    try:
        return pd.read_csv(os.fspath(path), sep="\t")
    except (ValueError, UnicodeDecodeError) as error:
        raise FormatError(f"Cannot read the table {path}: {error}.") from None


def load_gifti_mask(path: PathLike) -> np.ndarray:
    """Boolean per vertex from a surface ROI mask (``*.func.gii``, first data array > 0)."""
    return np.asarray(_load(path).darrays[0].data) > 0


def load_freesurfer_label(path: PathLike) -> np.ndarray:
    """Vertex ids of a FreeSurfer ASCII label file (``*.label``)."""
    try:
        return np.asarray(nib.freesurfer.io.read_label(os.fspath(path)), dtype=np.int64)
    except (ValueError, IndexError) as error:
        raise FormatError(f"Cannot read the FreeSurfer label {path}: {error}.") from None


__all__ = [
    "load_freesurfer_label",
    "load_gifti_mask",
    "load_nifti_4d",
    "load_nifti_data",
    "load_nifti_mask",
    "load_nifti_with_affine",
    "load_tsv",
]
