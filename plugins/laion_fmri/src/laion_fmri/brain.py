"""Between voxel vectors and brain volumes, as in the LAION-fMRI package's ``laion_fmri.brain``.

A *vector* holds one value per selected voxel; the selection is a brain mask (a NIfTI file or a
flat boolean array over the grid) narrowed by an optional ``roi_mask`` or ``custom_mask`` over
the brain voxels (what :meth:`Subject.get_roi_mask` returns).
"""

from __future__ import annotations

import os
from pathlib import Path

import nibabel as nib
import numpy as np

from laion_fmri.errors import InvalidArgumentError
from laion_fmri.io import load_nifti_mask

BrainMask = str | os.PathLike[str] | np.ndarray


def selected_voxels(
    brain_mask: np.ndarray,
    roi_mask: np.ndarray | None = None,
    custom_mask: np.ndarray | None = None,
) -> np.ndarray:
    """Flat boolean over the grid: the brain, narrowed by a mask over the brain voxels."""
    selected = np.asarray(brain_mask, dtype=bool).ravel().copy()
    narrow = roi_mask if roi_mask is not None else custom_mask
    if narrow is not None:
        narrow = np.asarray(narrow, dtype=bool).ravel()
        if narrow.size != selected.sum():
            raise InvalidArgumentError(
                f"The mask has {narrow.size} values but the brain has {int(selected.sum())} "
                "voxels; give a mask over brain voxels (as Subject.get_roi_mask returns)."
            )
        selected[selected] = narrow
    return selected


def write_volume(
    values: np.ndarray,
    selected: np.ndarray,
    shape: tuple[int, int, int],
    affine: np.ndarray,
    output_path: str | os.PathLike[str],
) -> Path:
    """A float32 NIfTI of ``shape`` holding ``values`` at the ``selected`` voxels, 0 elsewhere."""
    volume = np.zeros(int(np.prod(shape)), dtype=np.float32)
    volume[selected] = values
    image = nib.Nifti1Image(volume.reshape(shape), affine)
    image.header.set_data_dtype(np.float32)
    nib.save(image, os.fspath(output_path))
    return Path(output_path)


def _brain(brain_mask: BrainMask) -> tuple[np.ndarray, tuple[int, int, int] | None]:
    if isinstance(brain_mask, np.ndarray):
        return brain_mask.ravel().astype(bool), (brain_mask.shape if brain_mask.ndim == 3 else None)
    return load_nifti_mask(brain_mask), tuple(nib.load(os.fspath(brain_mask)).shape[:3])  # type: ignore[attr-defined]


def to_nifti(
    values: np.ndarray,
    output_path: str | os.PathLike[str],
    brain_mask_path: BrainMask,
    affine: np.ndarray,
    roi_mask: np.ndarray | None = None,
    custom_mask: np.ndarray | None = None,
) -> Path:
    """Write a vector over the selected voxels as a 3-D NIfTI on the brain mask's grid.

    Raises :class:`InvalidArgumentError` (a ValueError) when the lengths do not match.
    """
    brain, shape = _brain(brain_mask_path)
    if shape is None:
        raise InvalidArgumentError(
            "Give the brain mask as a NIfTI path or a 3-D boolean array, "
            "so the grid's shape is known."
        )
    selected = selected_voxels(brain, roi_mask, custom_mask)
    values = np.asarray(values).ravel()
    if values.size != selected.sum():
        raise InvalidArgumentError(
            f"Values length mismatch: got {values.size} values for {int(selected.sum())} "
            "selected voxels."
        )
    return write_volume(values, selected, shape, affine, output_path)


def get_voxel_coordinates(
    brain_mask_path: BrainMask,
    affine: np.ndarray,
    roi_mask: np.ndarray | None = None,
    custom_mask: np.ndarray | None = None,
) -> np.ndarray:
    """``(n_voxels, 3)`` scanner coordinates (mm, through ``affine``) of the selected voxels."""
    brain, shape = _brain(brain_mask_path)
    if shape is None:
        raise InvalidArgumentError("Give the brain mask as a NIfTI path or a 3-D boolean array.")
    selected = selected_voxels(brain, roi_mask, custom_mask)
    ijk = np.column_stack(np.unravel_index(np.flatnonzero(selected), shape))
    return nib.affines.apply_affine(np.asarray(affine), ijk)


__all__ = ["get_voxel_coordinates", "selected_voxels", "to_nifti", "write_volume"]
