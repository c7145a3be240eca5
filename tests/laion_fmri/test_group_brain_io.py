"""``laion_fmri.group``, ``.brain`` and ``.io``: the LAION-fMRI package's tests of these modules,
rewritten against the miniature (two downloaded subjects, real NIfTI/GIFTI/label files)."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest

from brainio.errors import FormatError
from laion_fmri.brain import get_voxel_coordinates, to_nifti
from laion_fmri.download import accept_licenses, download
from laion_fmri.group import load_subjects
from laion_fmri.io import (
    load_freesurfer_label,
    load_gifti_mask,
    load_nifti_4d,
    load_nifti_data,
    load_nifti_mask,
    load_nifti_with_affine,
    load_tsv,
)
from laion_fmri.subject import Subject

GLM = "derivatives/glmsingle-tedana"


@pytest.fixture(scope="module")
def two_subjects(laion_bucket, tmp_path_factory):
    """sub-01 and sub-03, session ses-01, with the stimulus terms accepted."""
    from brainio_s3.testing import aws_environment

    folder = tmp_path_factory.mktemp("laion_group")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in aws_environment(
            laion_bucket.endpoint, tmp_path_factory.mktemp("aws")
        ).items():
            patch.setenv(name, value)
        patch.setenv("LAION_FMRI_DATA_DIR", str(folder))
        download(["sub-01", "sub-03"], ses="ses-01", n_jobs=4)
        accept_licenses(include_stimuli=True, agree=True)
    return folder


@pytest.fixture
def group(two_subjects, laion_env, monkeypatch):
    monkeypatch.setenv("LAION_FMRI_DATA_DIR", str(two_subjects))
    return load_subjects(["sub-03", 1])


def test_group_indexing_and_iteration(group):
    assert len(group) == 2 and group.subject_ids == ["sub-01", "sub-03"]
    assert group[0].subject_id == "sub-01" and group["sub-03"].subject_id == "sub-03"
    assert [(sid, type(s)) for sid, s in group] == [("sub-01", Subject), ("sub-03", Subject)]
    with pytest.raises(KeyError, match="sub-99"):
        group["sub-99"]
    with pytest.raises(TypeError, match="not float"):
        group[0.5]


def test_load_all_subjects_of_the_bucket(two_subjects, laion_env, monkeypatch):
    from laion_fmri.errors import DataNotDownloadedError

    monkeypatch.setenv("LAION_FMRI_DATA_DIR", str(two_subjects))
    with pytest.raises(DataNotDownloadedError, match="sub-05"):  # in the bucket, not downloaded
        load_subjects("all")


def test_shared_betas_of_every_subject(group, mini):
    with pytest.raises(TypeError):
        group.get_shared_betas()  # session is required
    betas = group.get_shared_betas("ses-01", roi="MT")
    shared = [t for t, label in enumerate(mini.labels_of("ses-01")) if label.startswith("shared_")]
    for subject_id in ("sub-01", "sub-03"):
        selected = np.flatnonzero(mini.roi_mask(subject_id, "MT").ravel())
        expected = np.stack([mini.beta_value("ses-01", t, selected) for t in shared])
        assert np.array_equal(betas[subject_id], expected)


def test_shared_images_and_metadata(group, mini):
    metadata = group.get_shared_stimulus_metadata()
    assert len(metadata) == 10 and metadata["shared"].all()
    assert metadata["stimulus_id"].tolist() == mini.stimulus_ids()[:10]
    images = group.get_shared_images()
    assert len(images) == 10 and images[0].size == (16, 12)


def r2mean(folder, subject="sub-01"):
    name = f"{subject}_task-images_space-T1w_stat-rsquare_desc-R2mean_statmap.nii.gz"
    return folder / GLM / subject / name


def test_io_readers(two_subjects, mini):
    brain = mini.brain_mask().ravel()
    mask = load_nifti_mask(r2mean(two_subjects))
    assert mask.dtype == bool and np.array_equal(mask, brain)  # NaN in the map is not brain
    func = two_subjects / GLM / "sub-01/ses-01/func"
    nc = load_nifti_data(
        func / "sub-01_ses-01_task-images_space-T1w_desc-Noiseceiling_statmap.nii.gz",
        r2mean(two_subjects),
    )
    assert nc.dtype == np.float32 and np.array_equal(nc, (np.arange(brain.size) % 100)[brain])
    betas_file = func / (
        "sub-01_ses-01_task-images_space-T1w_stat-effect_desc-SingletrialBetas_statmap.nii.gz"
    )
    betas = load_nifti_4d(betas_file, r2mean(two_subjects))
    assert betas.shape == (40, brain.sum()) and betas.dtype == np.float32
    assert np.array_equal(betas[7], mini.beta_value("ses-01", 7, np.flatnonzero(brain)))
    with pytest.raises(ValueError, match="4-D") as caught:
        load_nifti_4d(r2mean(two_subjects), r2mean(two_subjects))
    assert isinstance(caught.value, FormatError)
    data, affine = load_nifti_with_affine(r2mean(two_subjects))
    assert data.shape == mini.GRID and np.allclose(affine, mini.AFFINE)
    trials = load_tsv(func / "sub-01_ses-01_task-images_desc-SingletrialBetas_trials.tsv")
    assert trials["label"].tolist() == mini.labels_of("ses-01")
    assert load_tsv(two_subjects / "participants.tsv")["participant_id"].tolist() == [
        "sub-01",
        "sub-03",
        "sub-05",
    ]
    surface = (
        two_subjects / "derivatives/rois/sub-01/face/sub-01_hemi-L_space-fsnative_label-FFA1_mask"
    )
    vertices = mini.roi_vertices("sub-01", "FFA-1", "L")
    assert np.array_equal(np.flatnonzero(load_gifti_mask(f"{surface}.func.gii")), vertices)
    assert np.array_equal(load_freesurfer_label(f"{surface}.label"), vertices)


def test_damaged_file_names_the_file(tmp_path):
    broken = tmp_path / "broken.nii.gz"
    broken.write_bytes(b"\x1f\x8b not really gzip")
    with pytest.raises(FormatError, match=r"broken\.nii\.gz.*download it again"):
        load_nifti_mask(broken)


def test_to_nifti_and_coordinates(two_subjects, mini, tmp_path):
    brain = mini.brain_mask()
    path = to_nifti(
        np.ones(brain.sum()), tmp_path / "out.nii.gz", r2mean(two_subjects), mini.AFFINE
    )
    assert np.array_equal(np.asarray(nib.load(path).dataobj) == 1, brain)
    mt = mini.roi_mask("sub-01", "MT")[brain]
    to_nifti(
        np.full(mt.sum(), 5.0),
        tmp_path / "mt.nii.gz",
        r2mean(two_subjects),
        mini.AFFINE,
        roi_mask=mt,
    )
    volume = np.asarray(nib.load(tmp_path / "mt.nii.gz").dataobj)
    assert volume.shape == mini.GRID and np.array_equal(volume == 5, mini.roi_mask("sub-01", "MT"))
    with pytest.raises(ValueError, match="mismatch: got 10 values"):
        to_nifti(np.ones(10), tmp_path / "bad.nii.gz", r2mean(two_subjects), mini.AFFINE)
    coords = get_voxel_coordinates(r2mean(two_subjects), mini.AFFINE, roi_mask=mt)
    expected = nib.affines.apply_affine(mini.AFFINE, np.argwhere(mini.roi_mask("sub-01", "MT")))
    assert coords.shape == (mt.sum(), 3) and np.allclose(coords, expected)
    assert get_voxel_coordinates(brain, mini.AFFINE).shape == (brain.sum(), 3)
