"""Key names of the bucket and where each lands in the local data directory.

Local paths mirror the bucket's keys, except that hyphens inside ``label-`` values are dropped
(``label-FFA-1`` -> ``label-FFA1``), as the reference package does: the names users pass to
``get_betas(roi=...)`` are the BIDS-clean ones, whatever the bucket spells.
"""

from __future__ import annotations

import re
from pathlib import Path

from brainio.paths import confined

GLM_PREFIX = "derivatives/glmsingle-tedana/"
ROI_PREFIX = "derivatives/rois/"
STIMULI_PREFIX = "stimuli/"
SUBJECT_PREFIXES = (GLM_PREFIX, ROI_PREFIX)
DATASET_KEYS = ("dataset_description.json", "participants.tsv", "participants.json", "README")
HELD_OUT_SESSIONS = ("ses-31", "ses-32", "ses-33", "ses-34")

_LABEL = re.compile(r"label-([A-Za-z0-9-]+)(?=[_./]|$)")
_ROI_FILE = re.compile(
    r"^(?P<sub>sub-[^_]+)_space-T1w_res-1pt8_label-(?P<label>[A-Za-z0-9-]+)_mask\.nii\.gz$"
)
_SURFACE_FILE = re.compile(
    r"^(?P<sub>sub-[^_]+)_hemi-(?P<hemi>[LR])_space-fsnative_label-(?P<label>[A-Za-z0-9-]+)"
    r"_mask\.(?P<ext>func\.gii|label)$"
)


def bidsify(key: str) -> str:
    """Drop hyphens from ``label-`` values (idempotent).

    >>> bidsify("derivatives/rois/sub-01/face/sub-01_space-T1w_res-1pt8_label-FFA-1_mask.nii.gz")
    'derivatives/rois/sub-01/face/sub-01_space-T1w_res-1pt8_label-FFA1_mask.nii.gz'
    """
    return _LABEL.sub(lambda match: "label-" + match.group(1).replace("-", ""), key)


def local_path(data_dir: str | Path, key: str) -> Path:
    """Where bucket key ``key`` lands under ``data_dir``.

    Keys come from a listing (the bucket's, or a mirror's named by ``AWS_ENDPOINT_URL``), so
    one holding ``..`` or an absolute path raises :class:`brainio.errors.UnsafePathError`
    instead of leading outside ``data_dir``.
    """
    return confined(data_dir, bidsify(key), what="Bucket key (as a local name)")


def roi_name(filename: str) -> str | None:
    """The ROI name of a volumetric ROI file name, or ``None`` for other files."""
    match = _ROI_FILE.match(bidsify(filename))
    return match.group("label") if match else None


def surface_roi(filename: str) -> tuple[str, str, str] | None:
    """``(roi, hemi, ext)`` of a surface ROI file name (``func.gii`` or ``label``)."""
    match = _SURFACE_FILE.match(bidsify(filename))
    return (match.group("label"), match.group("hemi"), match.group("ext")) if match else None


# --- files of one subject ----------------------------------------------------------------------


def glm_dir(data_dir: str | Path, subject: str) -> Path:
    return Path(data_dir) / GLM_PREFIX / subject


def roi_dir(data_dir: str | Path, subject: str) -> Path:
    return Path(data_dir) / ROI_PREFIX / subject


def session_func(data_dir: str | Path, subject: str, session: str) -> Path:
    return glm_dir(data_dir, subject) / session / "func"


def betas_file(data_dir: str | Path, subject: str, session: str) -> Path:
    return session_func(data_dir, subject, session) / (
        f"{subject}_{session}_task-images_space-T1w_stat-effect_desc-SingletrialBetas_statmap.nii.gz"
    )


def trials_file(data_dir: str | Path, subject: str, session: str) -> Path:
    return session_func(data_dir, subject, session) / (
        f"{subject}_{session}_task-images_desc-SingletrialBetas_trials.tsv"
    )


def session_noise_ceiling_file(data_dir: str | Path, subject: str, session: str) -> Path:
    return session_func(data_dir, subject, session) / (
        f"{subject}_{session}_task-images_space-T1w_desc-Noiseceiling_statmap.nii.gz"
    )


def noise_ceiling_file(data_dir: str | Path, subject: str, desc: str) -> Path:
    return glm_dir(data_dir, subject) / (
        f"{subject}_task-images_space-T1w_desc-{desc}_statmap.nii.gz"
    )


def r2mean_file(data_dir: str | Path, subject: str) -> Path:
    return glm_dir(data_dir, subject) / (
        f"{subject}_task-images_space-T1w_stat-rsquare_desc-R2mean_statmap.nii.gz"
    )


def stimuli_metadata_file(data_dir: str | Path) -> Path:
    return Path(data_dir) / STIMULI_PREFIX / "stimuli.tsv"


def stimuli_images_dir(data_dir: str | Path) -> Path:
    return Path(data_dir) / STIMULI_PREFIX / "images"
