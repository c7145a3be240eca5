"""One subject's downloaded data: trials, single-trial betas, ROIs, noise ceilings, stimuli.

Everything here reads the local data directory (see :func:`laion_fmri.download.download`).
Volumes live on the subject's T1w grid; a *voxel mask* is flat in C order over that grid
(``array.ravel()`` of nibabel's ``(x, y, z)`` array). The brain is where the subject's R2mean
map is positive; ROI masks, ``mask=`` arguments and the columns of ``get_betas`` are over brain
voxels, in grid order.

ROI queries use the multi-level grammar: a ROI name (``"FFA1"``), a category (``"face"``),
``"all"``, or a list of these; the masks of everything named are OR-ed.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np
import pandas as pd

from brainio.errors import FormatError
from laion_fmri import _paths, io
from laion_fmri.config import get_data_dir
from laion_fmri.errors import (
    DataNotDownloadedError,
    InvalidArgumentError,
    RoiNotFoundError,
    SubjectNotFoundError,
)
from laion_fmri.stimuli import check_stimuli

logger = logging.getLogger(__name__)

RoiQuery = str | Sequence[str]
_SURFACE_READERS = {"func.gii": io.load_gifti_mask, "label": io.load_freesurfer_label}
FORMATS = ("all", "volume", "nii.gz", "gii", "func.gii", "label")
HEMIS = {"all": ("L", "R"), "L": ("L",), "R": ("R",), "hemi-L": ("L",), "hemi-R": ("R",)}


def load_subject(subject: str | int) -> Subject:
    """The subject's local data; :class:`DataNotDownloadedError` if none is downloaded."""
    from laion_fmri.discovery import normalize_subject

    data_dir = get_data_dir()
    subject_id = normalize_subject(subject)
    if not _paths.glm_dir(data_dir, subject_id).is_dir():
        local = sorted(p.name for p in (Path(data_dir) / _paths.GLM_PREFIX).glob("sub-*"))
        raise DataNotDownloadedError(
            f"No data of {subject_id} in {data_dir} (downloaded subjects: "
            f"{', '.join(local) or 'none'}). Run "
            f"laion_fmri.download.download(subject={subject_id!r}, ses='ses-01') first."
        )
    return Subject(subject_id, data_dir)


class Subject:
    """Access to one subject's downloaded files."""

    def __init__(self, subject_id: str, data_dir: str | os.PathLike[str] | None = None):
        self._subject_id = subject_id
        self.data_dir = Path(data_dir or get_data_dir())

    def __repr__(self) -> str:
        return f"Subject({self._subject_id!r}, data_dir={str(self.data_dir)!r})"

    @property
    def subject_id(self) -> str:
        return self._subject_id

    # --- what is on disk ------------------------------------------------------------------------

    def get_sessions(self) -> list[str]:
        """Sessions with downloaded files (``ses-*`` folders that hold files)."""
        glm = _paths.glm_dir(self.data_dir, self._subject_id)
        return sorted(p.name for p in glm.glob("ses-*") if p.is_dir() and any(p.rglob("*.*")))

    @cached_property
    def _roi_index(self) -> dict[str, dict[str, Any]]:
        """``{roi: {"category", "volume", "surface": {(hemi, ext): path}}}`` from local files."""
        index: dict[str, dict[str, Any]] = {}
        root = _paths.roi_dir(self.data_dir, self._subject_id)
        for path in sorted(root.glob("*/*")):
            category = path.parent.name
            name = _paths.roi_name(path.name)
            surface = _paths.surface_roi(path.name)
            roi = name or (surface[0] if surface else None)
            if roi is None:
                continue
            entry = index.setdefault(roi, {"category": category, "volume": None, "surface": {}})
            if name:
                entry["volume"] = path
            else:
                entry["surface"][(surface[1], surface[2])] = path
        return index

    def get_available_categories(self) -> list[str]:
        """ROI categories with downloaded ROIs."""
        return sorted({entry["category"] for entry in self._roi_index.values()})

    def get_available_rois(self, category: str | None = None) -> list[str]:
        """Downloaded ROIs (with a volumetric mask), optionally of one category."""
        if category is not None and category not in self.get_available_categories():
            raise RoiNotFoundError(
                f"ROI category '{category}' is not downloaded for {self._subject_id}. "
                f"Categories: {', '.join(self.get_available_categories()) or '(none)'}."
            )
        return sorted(
            roi
            for roi, entry in self._roi_index.items()
            if entry["volume"] is not None and category in (None, entry["category"])
        )

    # --- brain and ROI masks --------------------------------------------------------------------

    @cached_property
    def _brain(self) -> tuple[np.ndarray, tuple[int, int, int], np.ndarray]:
        """(full-grid flat bool brain mask, grid shape, affine)."""
        path = _paths.r2mean_file(self.data_dir, self._subject_id)
        image = self._load(path, what="the R2mean map that defines the brain mask")
        brain = _read_map(image, positive=True)  # NaN compares False: not brain
        return brain.ravel(), tuple(image.shape[:3]), image.affine

    def get_brain_mask(self) -> np.ndarray:
        """Flat boolean mask over the full grid: voxels with a positive mean R²."""
        return self._brain[0].copy()

    def get_n_voxels(self) -> int:
        return int(self._brain[0].sum())

    def _resolve_rois(self, query: RoiQuery) -> list[str]:
        """ROI names a query means: ROI, category, ``"all"``, or a list of these."""
        items = [query] if isinstance(query, str) else list(query)
        available = self.get_available_rois()
        categories = self.get_available_categories()
        resolved: list[str] = []
        for item in items:
            if item == "all":
                names = available
            elif item in categories:
                names = self.get_available_rois(item)
            elif item in available:
                names = [item]
            else:
                raise RoiNotFoundError(
                    f"'{item}' is neither a ROI nor a ROI category of {self._subject_id} in "
                    f"{self.data_dir}. ROIs: {', '.join(available) or '(none downloaded)'}. "
                    f"Categories: {', '.join(categories) or '(none)'}; or 'all'."
                )
            resolved += [name for name in names if name not in resolved]
        return resolved

    def _roi_full(self, roi: str) -> np.ndarray:
        """Full-grid flat boolean mask of one ROI."""
        path = self._roi_index[roi]["volume"]
        image = self._load(path, what=f"the volume mask of ROI {roi}")
        grid = self._brain[1]
        if tuple(image.shape[:3]) != grid:
            raise FormatError(
                f"ROI mask {path} has grid {image.shape[:3]}, but the subject's data use "
                f"{grid}. Re-download the ROIs of {self._subject_id}."
            )
        return _read_map(image, positive=True).ravel()

    def get_roi_mask(self, query: RoiQuery) -> np.ndarray:
        """Boolean mask over brain voxels of the union of the ROIs ``query`` names."""
        brain = self._brain[0]
        union = np.zeros(brain.shape, dtype=bool)
        for roi in self._resolve_rois(query):
            union |= self._roi_full(roi)
        return union[brain]

    def get_roi_masks(self, queries: Iterable[str]) -> dict[str, np.ndarray]:
        return {query: self.get_roi_mask(query) for query in queries}

    def get_roi_data(
        self, query: RoiQuery, format: str = "all", hemi: str = "all"
    ) -> dict[str, dict[str, Any]]:
        """Each ROI's data in the requested formats.

        ``{roi: {"volume": bool over brain voxels, "gii": {"hemi-L": {"func.gii": bool per
        vertex, "label": vertex ids}, "hemi-R": {...}}}}``. ``format``: ``"all"``,
        ``"volume"``/``"nii.gz"``, ``"gii"`` (both surface formats), ``"func.gii"``,
        ``"label"``; ``hemi``: ``"all"``, ``"L"``, ``"R"``.
        """
        if format not in FORMATS:
            raise InvalidArgumentError(f"format={format!r}; use one of {', '.join(FORMATS)}.")
        if hemi not in HEMIS:
            raise InvalidArgumentError(f"hemi={hemi!r}; use 'all', 'L' or 'R'.")
        want_volume = format in ("all", "volume", "nii.gz")
        surface_exts = {
            "all": ("func.gii", "label"),
            "gii": ("func.gii", "label"),
            "func.gii": ("func.gii",),
            "label": ("label",),
        }.get(format, ())
        brain = self._brain[0] if want_volume else None
        result: dict[str, dict[str, Any]] = {}
        for roi in self._resolve_rois(query):
            entry: dict[str, Any] = {}
            if want_volume:
                entry["volume"] = self._roi_full(roi)[brain]
            if surface_exts:
                surfaces: dict[str, dict[str, np.ndarray]] = {}
                for side in HEMIS[hemi]:
                    for ext in surface_exts:
                        path = self._roi_index[roi]["surface"].get((side, ext))
                        if path is None:
                            continue
                        surfaces.setdefault(f"hemi-{side}", {})[ext] = _SURFACE_READERS[ext](path)
                entry["gii"] = surfaces
            result[roi] = entry
        return result

    def _selection(
        self,
        roi: RoiQuery | None,
        mask: np.ndarray | None,
        nc: np.ndarray | None = None,
        nc_threshold: float | None = None,
    ) -> np.ndarray:
        """Full-grid flat boolean selection: brain ∩ ROI ∩ mask ∩ (noise ceiling >= threshold)."""
        if roi is not None and mask is not None:
            raise InvalidArgumentError(
                "Pass either roi= or mask=, not both: combine them yourself, e.g. "
                "mask=sub.get_roi_mask(roi) & my_mask."
            )
        brain = self._brain[0]
        selected = brain.copy()
        if roi is not None:
            selected[brain] = self.get_roi_mask(roi)
        elif mask is not None:
            mask = np.asarray(mask, dtype=bool)
            if mask.size == brain.sum():
                selected[brain] = mask.ravel()
            elif mask.size == brain.size:
                selected &= mask.ravel()
            else:
                raise InvalidArgumentError(
                    f"mask has {mask.size} values; it must cover the {int(brain.sum())} brain "
                    f"voxels (as get_roi_mask returns) or the full grid of {brain.size} voxels "
                    f"{self._brain[1]}."
                )
        if nc_threshold is not None:
            selected &= np.nan_to_num(nc, nan=-np.inf) >= nc_threshold
        return selected

    # --- trials and betas -----------------------------------------------------------------------

    def get_trial_info(self, session: str | Sequence[str]) -> pd.DataFrame | dict:
        """The session's trial table (``session, run, beta_index, label``); a dict for a list."""
        if _several(session):
            return {s: self.get_trial_info(s) for s in session}
        path = self._session_file(_paths.trials_file, session, "trial table")
        trials = pd.read_csv(path, sep="\t")
        if "label" not in trials.columns and "stimulus_id" in trials.columns:
            trials["label"] = trials["stimulus_id"]
        if "beta_index" not in trials.columns and "trial_idx" in trials.columns:
            trials["beta_index"] = trials["trial_idx"]
        missing = {"beta_index", "label"} - set(trials.columns)
        if missing:
            raise FormatError(
                f"Trial table {path} lacks the columns {sorted(missing)} (it has "
                f"{list(trials.columns)}). Re-download session {session}."
            )
        return trials

    def get_betas(
        self,
        session: str | Sequence[str],
        roi: RoiQuery | None = None,
        mask: np.ndarray | None = None,
        nc_threshold: float | None = None,
        stimuli: str | None = None,
        streaming: bool = False,
    ) -> np.ndarray | dict[str, np.ndarray]:
        """Single-trial betas, float32 ``(n_trials, n_voxels)``; a dict for a list of sessions.

        Voxels: brain ∩ ``roi`` (or ``mask``) ∩ per-session noise ceiling >= ``nc_threshold``.
        ``stimuli="shared"`` or ``"unique"`` keeps those trials only. ``streaming=True`` reads
        one volume at a time (memory: about two volumes plus the result) instead of the whole
        4-D file.
        """
        if _several(session):
            return {
                s: self.get_betas(s, roi, mask, nc_threshold, stimuli, streaming) for s in session
            }
        return self._betas(session, roi, mask, nc_threshold, stimuli, streaming)[0]

    def _betas(self, session, roi, mask, nc_threshold, stimuli, streaming):
        """(betas, the rows of the trial table they belong to)."""
        path = self._session_file(_paths.betas_file, session, "single-trial betas")
        trials = self.get_trial_info(session)
        if stimuli is not None:
            wanted = check_stimuli(stimuli) == "shared"
            trials = trials[self._shared_trials(trials, session) == wanted]
        nc = None
        if nc_threshold is not None:
            nc = self._noise_ceiling_full(session=session)
        selected = self._selection(roi, mask, nc, nc_threshold)
        del nc
        image = nib.load(path, keep_file_open=True)  # one gzip stream, read front to back
        shape = image.shape
        if len(shape) != 4 or tuple(shape[:3]) != self._brain[1]:
            raise FormatError(
                f"Betas {path} have shape {shape}; expected a 4-D series on the subject's grid "
                f"{self._brain[1]}. Re-download session {session}."
            )
        volumes = trials["beta_index"].to_numpy(dtype=np.int64)
        if volumes.size and (volumes.min() < 0 or volumes.max() >= shape[3]):
            raise FormatError(
                f"Trial table of {session} refers to volume {int(volumes.max())}, but {path} "
                f"has {shape[3]} volumes. Re-download session {session}."
            )
        i, j, k = np.unravel_index(np.flatnonzero(selected), shape[:3])
        del selected
        if streaming:
            betas = _stream(image, volumes, i, j, k)
        else:
            data = np.asanyarray(image.dataobj)
            betas = np.ascontiguousarray(data[i, j, k][:, volumes].T, dtype=np.float32)
            del data
        return betas, trials.reset_index(drop=True)

    def get_noise_ceiling(
        self,
        session: str | Sequence[str] | None = None,
        desc: str | Sequence[str] | None = None,
        roi: RoiQuery | None = None,
        mask: np.ndarray | None = None,
    ) -> np.ndarray | dict[str, np.ndarray]:
        """Noise ceiling (%, float32) over the selected brain voxels.

        Exactly one of ``session`` (per-session map) or ``desc`` (a cross-session map:
        ``"Noiseceiling4rep"``, ``"12rep"``, ``"Allrep"`` ...); lists give a dict.
        """
        if (session is None) == (desc is None):
            raise InvalidArgumentError(
                "Pass exactly one of session= (per-session noise ceiling) or desc= "
                "(cross-session map such as 'Noiseceiling4rep')."
            )
        key = session if session is not None else desc
        if not isinstance(key, str):
            return {
                k: self.get_noise_ceiling(
                    **({"session": k} if session is not None else {"desc": k}), roi=roi, mask=mask
                )
                for k in key
            }
        selected = self._selection(roi, mask)
        full = self._noise_ceiling_full(session=session, desc=desc)
        return full[selected].astype(np.float32)

    def _noise_ceiling_full(self, session: str | None = None, desc: str | None = None):
        if session is not None:
            path = self._session_file(_paths.session_noise_ceiling_file, session, "noise ceiling")
        else:
            name = desc if desc.startswith("Noiseceiling") else f"Noiseceiling{desc}"
            path = _paths.noise_ceiling_file(self.data_dir, self._subject_id, name)
        image = self._load(path, what="the noise-ceiling map")
        return _read_map(image).ravel()

    # --- coordinates, assemblies ----------------------------------------------------------------

    def get_voxel_coordinates(
        self, roi: RoiQuery | None = None, mask: np.ndarray | None = None, space: str = "grid"
    ) -> np.ndarray:
        """``(n_voxels, 3)`` coordinates of the selected voxels: grid indices (i, j, k), or
        with ``space="mm"`` scanner coordinates through the affine (what the LAION-fMRI
        package returns)."""
        selected = self._selection(roi, mask)
        ijk = np.column_stack(np.unravel_index(np.flatnonzero(selected), self._brain[1]))
        if space == "grid":
            return ijk
        if space == "mm":
            return nib.affines.apply_affine(self._brain[2], ijk)
        raise InvalidArgumentError(f"space={space!r}; use 'grid' (voxel indices) or 'mm'.")

    def get_assembly(
        self,
        session: str | Sequence[str],
        roi: RoiQuery | None = None,
        mask: np.ndarray | None = None,
        nc_threshold: float | None = None,
        stimuli: str | None = None,
        streaming: bool = True,
    ):
        """Single-trial betas as a :class:`brainio.assemblies.NeuroidAssembly`.

        ``presentation``: ``stimulus_id`` (the trial label), ``session``, ``run``,
        ``beta_index``, ``repetition``. ``neuroid``: ``neuroid_id``, ``voxel_index`` (flat
        grid index), ``x``/``y``/``z`` (grid indices), ``x_mm``/``y_mm``/``z_mm`` (scanner
        coordinates), ``subject``, and with ``roi`` a boolean ``roi_<NAME>`` per ROI plus
        ``roi`` (names of the ROIs holding the voxel, ``|``-joined). Several sessions are
        concatenated along ``presentation``; with ``nc_threshold`` each session uses its own
        noise ceiling, so the voxels kept are those passing it in every session.
        """
        from brainio.assemblies import NeuroidAssembly

        sessions = [session] if isinstance(session, str) else list(session)
        if not sessions:
            raise InvalidArgumentError("get_assembly needs at least one session.")
        selected = self._selection(roi, mask)
        if nc_threshold is not None:
            for name in sessions:
                nc = self._noise_ceiling_full(session=name)
                selected &= np.nan_to_num(nc, nan=-np.inf) >= nc_threshold
        chunks, tables = [], []
        for name in sessions:
            betas, trials = self._betas(name, None, selected, None, stimuli, streaming)
            chunks.append(betas)
            trials = trials.copy()
            if "session" not in trials.columns:
                trials["session"] = name
            tables.append(trials)
        values = np.concatenate(chunks, axis=0)
        trials = pd.concat(tables, ignore_index=True)
        labels = trials["label"].astype(str).to_numpy()
        repetition = trials.groupby("label").cumcount().to_numpy()
        index = np.flatnonzero(selected)
        ijk = np.unravel_index(index, self._brain[1])
        mm = nib.affines.apply_affine(self._brain[2], np.column_stack(ijk))
        coords: dict[str, tuple[str, Any]] = {
            "stimulus_id": ("presentation", labels),
            "session": ("presentation", trials["session"].astype(str).to_numpy()),
            "run": ("presentation", _column(trials, "run")),
            "beta_index": ("presentation", trials["beta_index"].to_numpy(dtype=np.int64)),
            "repetition": ("presentation", repetition),
            "neuroid_id": ("neuroid", np.array([f"{self._subject_id}_v{v}" for v in index])),
            "voxel_index": ("neuroid", index),
            "x": ("neuroid", ijk[0]),
            "y": ("neuroid", ijk[1]),
            "z": ("neuroid", ijk[2]),
            "x_mm": ("neuroid", mm[:, 0]),
            "y_mm": ("neuroid", mm[:, 1]),
            "z_mm": ("neuroid", mm[:, 2]),
            "subject": ("neuroid", np.full(index.size, self._subject_id)),
        }
        if roi is not None:
            names = self._resolve_rois(roi)
            membership = {name: self._roi_full(name)[index] for name in names}
            for name, member in membership.items():
                coords[f"roi_{name}"] = ("neuroid", member)
            joined = ["|".join(n for n in names if membership[n][v]) for v in range(index.size)]
            coords["roi"] = ("neuroid", np.array(joined, dtype=object).astype(str))
        assembly = NeuroidAssembly(values, coords=coords, dims=["presentation", "neuroid"])
        assembly.attrs.update(
            {
                "subject": self._subject_id,
                "sessions": ",".join(sessions),
                "roi": "" if roi is None else (roi if isinstance(roi, str) else ",".join(roi)),
                "nc_threshold": "" if nc_threshold is None else float(nc_threshold),
                "source": "s3://laion-fmri/derivatives/glmsingle-tedana",
            }
        )
        return assembly

    # --- stimuli ----------------------------------------------------------------------------------

    @cached_property
    def stimuli(self):
        """The stimulus set (:class:`laion_fmri.stimuli.Stimuli`) of this data directory."""
        from laion_fmri.stimuli import Stimuli

        return Stimuli(self.data_dir)

    def has_stimuli(self) -> bool:
        """Whether the stimulus metadata table has been downloaded."""
        return self.stimuli.is_downloaded()

    def get_stimulus_metadata(self) -> pd.DataFrame:
        """One row per stimulus: ``stimulus_id``, ``filename``, ``shared``, ..."""
        return self.stimuli.metadata

    def get_n_stimuli(self, stimuli: str | None = None) -> int:
        """How many stimuli the metadata lists (only ``"shared"`` or ``"unique"`` ones)."""
        shared = self.get_stimulus_metadata()["shared"].to_numpy()
        if stimuli is None:
            return len(shared)
        return int(np.sum(shared == (check_stimuli(stimuli) == "shared")))

    def get_trial_stimulus_indices(self, session: str | Sequence[str]):
        """Each trial's row in :meth:`get_stimulus_metadata`; a dict for a list of sessions."""
        if _several(session):
            return {s: self.get_trial_stimulus_indices(s) for s in session}
        return self._stimulus_rows(self.get_trial_info(session), session)

    def _stimulus_rows(self, trials: pd.DataFrame, session: str) -> np.ndarray:
        labels = trials["label"].astype(str)
        rows = {name: row for row, name in enumerate(self.get_stimulus_metadata()["stimulus_id"])}
        unknown = sorted(set(labels) - set(rows))
        if unknown:
            raise FormatError(
                f"{len(unknown)} stimuli of {self._subject_id} {session} are not in the stimulus "
                f"metadata (e.g. {unknown[0]}). Fetch the metadata again (download(..., "
                "include_stimuli=True))."
            )
        return labels.map(rows).to_numpy(dtype=np.int64)

    def get_images(self, stimuli: str | None = None, format: str = "pil"):
        """Stimulus images in metadata order (see :meth:`laion_fmri.stimuli.Stimuli.images`)."""
        return self.stimuli.images(stimuli=stimuli, format=format)

    def get_image(self, idx: int | str):
        """One stimulus image (PIL) by metadata row or stimulus id."""
        return self.stimuli.image(idx)

    def _shared_trials(self, trials: pd.DataFrame, session: str) -> np.ndarray:
        """Boolean per trial: a shared image? From the ``shared_``/``unique_`` prefix of the
        labels (the bucket's trial tables), else from the stimulus metadata's ``shared`` flag
        (trial tables with opaque ``stimulus_id`` values)."""
        labels = trials["label"].astype(str)
        shared = labels.str.startswith("shared_")
        if (shared | labels.str.startswith("unique_")).all():
            return shared.to_numpy()
        rows = self._stimulus_rows(trials, session)
        return self.get_stimulus_metadata()["shared"].to_numpy(dtype=bool)[rows]

    # --- brain space and torch --------------------------------------------------------------------

    def to_nifti(
        self,
        values: np.ndarray,
        output_path: str | os.PathLike[str],
        roi: RoiQuery | None = None,
        mask: np.ndarray | None = None,
    ) -> Path:
        """Write per-voxel ``values`` (over the selected voxels) as a 3-D NIfTI on the
        subject's grid; voxels not selected are 0."""
        selected = self._selection(roi, mask)
        values = np.asarray(values)
        if values.shape != (int(selected.sum()),):
            raise InvalidArgumentError(
                f"values has shape {values.shape}, but {int(selected.sum())} voxels are selected "
                "(pass the same roi=/mask= as for get_betas)."
            )
        from laion_fmri.brain import write_volume

        return write_volume(values, selected, self._brain[1], self._brain[2], output_path)

    def to_torch_dataset(self, **kwargs: Any):
        """This subject as a torch ``Dataset`` (:class:`laion_fmri.torch_data.LaionFMRIDataset`)."""
        from laion_fmri.torch_data import LaionFMRIDataset

        return LaionFMRIDataset(self, **kwargs)

    # --- helpers ----------------------------------------------------------------------------------

    def _session_file(self, template, session: str, what: str) -> Path:
        if session is None or session == "":
            raise InvalidArgumentError(
                f"session is required: trials and betas are stored per session. Pass one of "
                f"{', '.join(self.get_sessions()) or 'the downloaded sessions'} (or a list)."
            )
        if not isinstance(session, str) or not session.startswith("ses-"):
            raise InvalidArgumentError(f"A session is named like 'ses-01', not {session!r}.")
        path = template(self.data_dir, self._subject_id, session)
        if not path.is_file():
            downloaded = self.get_sessions()
            raise DataNotDownloadedError(
                f"Session {session} of {self._subject_id} is not downloaded: the {what} file "
                f"{path} is missing. Downloaded sessions: {', '.join(downloaded) or 'none'}. "
                f"Run laion_fmri.download.download(subject={self._subject_id!r}, "
                f"ses={session!r})."
            )
        return path

    def _load(self, path: Path, what: str):
        if not path.is_file():
            raise DataNotDownloadedError(
                f"{what[0].upper()}{what[1:]} of {self._subject_id} is missing ({path}). Run "
                f"laion_fmri.download.download(subject={self._subject_id!r}, ses='ses-01'), "
                "which also fetches the subject-level maps."
            )
        try:
            return nib.load(path)
        except Exception as error:  # nibabel raises many kinds for a damaged file
            raise FormatError(
                f"Cannot read {what} {path}: {error}. Delete it and download again."
            ) from error


SLABS = 8
"""Volumes are read in this many z-slabs: each is contiguous in a NIfTI file (Fortran order),
so a slab is one read of the gzip stream, and memory holds about 1/8 of a volume at a time."""


def _slabs(depth: int) -> list[tuple[int, int]]:
    step = max(1, -(-depth // SLABS))
    return [(start, min(depth, start + step)) for start in range(0, depth, step)]


def _read_map(image, positive: bool = False) -> np.ndarray:
    """A 3-D map slab by slab: float32 values, or a boolean ``> 0`` (NaN is not positive)."""
    shape = tuple(image.shape[:3])
    out = np.empty(shape, dtype=bool if positive else np.float32)
    for start, stop in _slabs(shape[2]):
        slab = np.asarray(image.dataobj[:, :, start:stop])
        out[:, :, start:stop] = slab > 0 if positive else slab
    return out


def _stream(image, volumes: np.ndarray, i: np.ndarray, j: np.ndarray, k: np.ndarray):
    """``(len(volumes), len(i))`` float32: voxels (i, j, k) of each volume, slab by slab.

    Volumes are visited in file order (the gzip stream only moves forward); a volume listed
    twice is read once.
    """
    betas = np.empty((len(volumes), i.size), dtype=np.float32)
    pieces = []
    for start, stop in _slabs(image.shape[2]):
        columns = np.flatnonzero((k >= start) & (k < stop))
        pieces.append((start, stop, columns, i[columns], j[columns], k[columns] - start))
    previous, last = None, -1
    for row in np.argsort(volumes, kind="stable"):
        volume = int(volumes[row])
        if volume == previous:
            betas[row] = betas[last]
            continue
        for start, stop, columns, ii, jj, kk in pieces:
            slab = np.asarray(image.dataobj[:, :, start:stop, volume])
            betas[row, columns] = slab[ii, jj, kk]
        previous, last = volume, row
    return betas


def _several(session: Any) -> bool:
    """A list (or tuple ...) of sessions rather than one session or ``None``."""
    return session is not None and not isinstance(session, str)


def _column(trials: pd.DataFrame, name: str) -> np.ndarray:
    if name in trials.columns:
        return trials[name].to_numpy()
    return np.full(len(trials), -1)


__all__ = ["Subject", "SubjectNotFoundError", "load_subject"]
