"""Reading a downloaded subject: ROI grammar, betas (streaming and not), assemblies, errors."""

from __future__ import annotations

import tracemalloc

import nibabel as nib
import numpy as np
import pytest

from brainio.assemblies import NeuroidAssembly
from laion_fmri.errors import (
    DataNotDownloadedError,
    InvalidArgumentError,
    RoiNotFoundError,
    StimuliNotDownloadedError,
    SubjectNotFoundError,
)
from laion_fmri.subject import Subject, load_subject


def expected_betas(mini, session, volumes, selected):
    """What the miniature stores for these volumes at these full-grid voxels."""
    index = np.flatnonzero(selected)
    return np.stack([mini.beta_value(session, int(t), index) for t in volumes])


def test_what_is_on_disk(subject):
    assert subject.subject_id == "sub-01"
    assert subject.get_sessions() == ["ses-01", "ses-02"]
    assert subject.get_available_categories() == [
        "body",
        "character",
        "face",
        "laion",
        "motion",
        "object",
        "place",
        "retinotopy",
    ]
    assert subject.get_available_rois("face") == ["FFA1", "FFA2", "OFA"]
    assert "lobjects" in subject.get_available_rois()


def test_brain_mask(subject, mini):
    brain = subject.get_brain_mask()
    assert brain.shape == (12**3,) and brain.dtype == bool
    assert np.array_equal(brain, mini.brain_mask().ravel())  # NaN in the R2mean map is not brain
    assert subject.get_n_voxels() == brain.sum()


@pytest.mark.parametrize("streaming", [False, True])
def test_betas_of_a_roi_are_the_stored_values(subject, mini, streaming):
    betas = subject.get_betas("ses-01", roi="FFA1", streaming=streaming)
    selected = mini.roi_mask("sub-01", "FFA-1").ravel()
    assert betas.dtype == np.float32 and betas.shape == (40, selected.sum())
    assert np.array_equal(betas, expected_betas(mini, "ses-01", range(40), selected))


def test_roi_grammar(subject, mini):
    face = subject.get_roi_mask("face")
    union = subject.get_roi_mask(["FFA1", "FFA2", "OFA"])
    assert np.array_equal(face, union)
    assert np.array_equal(subject.get_roi_mask(["face", "FFA1"]), face)  # deduplicated
    everything = subject.get_roi_mask("all")
    brain = mini.brain_mask().ravel()
    expected = np.zeros_like(brain)
    for names in mini.ROIS["sub-01"].values():
        for name in names:
            expected |= mini.roi_mask("sub-01", name).ravel()
    assert np.array_equal(everything, expected[brain])
    assert subject.get_betas("ses-01", roi="all").shape == (40, everything.sum())
    assert set(subject.get_roi_masks(["face", "MT"])) == {"face", "MT"}


def test_unknown_roi_lists_rois_and_categories(subject):
    with pytest.raises(
        RoiNotFoundError,
        match=r"'FFA3'.*ROIs: EBA, FFA1, FFA2.*Categories: body, "
        r"character, face.*'all'",
    ):
        subject.get_betas("ses-01", roi=["FFA1", "FFA3"])
    with pytest.raises(RoiNotFoundError, match=r"category 'faces'.*Categories: body"):
        subject.get_available_rois("faces")


def test_roi_and_mask_together(subject):
    with pytest.raises(InvalidArgumentError, match="either roi= or mask=, not both"):
        subject.get_betas("ses-01", roi="FFA1", mask=subject.get_roi_mask("FFA1"))


def test_masks_over_brain_or_grid(subject, mini):
    brain = mini.brain_mask().ravel()
    over_brain = np.zeros(brain.sum(), dtype=bool)
    over_brain[::7] = True
    betas = subject.get_betas("ses-02", mask=over_brain)
    selected = brain.copy()
    selected[brain] = over_brain
    assert np.array_equal(betas, expected_betas(mini, "ses-02", range(40), selected))
    grid = np.zeros(mini.GRID, dtype=bool)
    grid[0, 0, 0] = grid[6, 6, 6] = True  # the first is outside the brain
    assert subject.get_betas("ses-02", mask=grid).shape == (40, 1)
    with pytest.raises(InvalidArgumentError, match=r"mask has 5 values.*brain voxels.*full grid"):
        subject.get_betas("ses-01", mask=np.ones(5, dtype=bool))


def test_noise_ceiling_threshold_and_stimuli_filter(subject, mini):
    brain = mini.brain_mask().ravel()
    nc = np.arange(brain.size) % 100
    betas = subject.get_betas(
        "ses-01", roi="face", nc_threshold=50, stimuli="shared", streaming=True
    )
    selected = brain & (nc >= 50)
    selected[brain] &= subject.get_roi_mask("face")
    shared_volumes = [
        t for t, label in enumerate(mini.labels_of("ses-01")) if label.startswith("shared_")
    ]
    assert np.array_equal(betas, expected_betas(mini, "ses-01", shared_volumes, selected))
    with pytest.raises(InvalidArgumentError, match="stimuli='all'"):
        subject.get_betas("ses-01", stimuli="all")


def test_several_sessions_give_a_dict(subject):
    betas = subject.get_betas(["ses-01", "ses-02"], roi="MT")
    assert set(betas) == {"ses-01", "ses-02"} and betas["ses-01"].shape == betas["ses-02"].shape
    trials = subject.get_trial_info(["ses-01", "ses-02"])
    assert list(trials) == ["ses-01", "ses-02"]


def test_trial_info(subject, mini):
    trials = subject.get_trial_info("ses-01")
    assert trials.columns.tolist() == ["session", "run", "beta_index", "label"]
    assert trials["label"].tolist() == mini.labels_of("ses-01")
    assert trials["run"].unique().tolist() == [1, 2, 3, 4]


def test_session_not_downloaded(subject):
    with pytest.raises(
        DataNotDownloadedError,
        match=r"Session ses-03 of sub-01 is not downloaded.*"
        r"Downloaded sessions: ses-01, ses-02.*"
        r"download\(subject='sub-01', ses='ses-03'\)",
    ):
        subject.get_betas("ses-03", roi="FFA1")
    with pytest.raises(InvalidArgumentError, match="named like 'ses-01', not 'first'"):
        subject.get_trial_info("first")


def test_subject_not_downloaded(subject):
    with pytest.raises(
        DataNotDownloadedError,
        match=r"No data of sub-03.*downloaded subjects: "
        r"sub-01.*download\(subject='sub-03'",
    ):
        load_subject("sub-03")
    assert load_subject(1).subject_id == "sub-01"


def test_roi_data_in_every_format(subject, mini):
    data = subject.get_roi_data("FFA1", format="all", hemi="all")
    entry = data["FFA1"]
    brain = mini.brain_mask().ravel()
    assert np.array_equal(entry["volume"], mini.roi_mask("sub-01", "FFA-1").ravel()[brain])
    assert set(entry["gii"]) == {"hemi-L", "hemi-R"}
    for hemi in "LR":
        vertices = mini.roi_vertices("sub-01", "FFA-1", hemi)
        surface = entry["gii"][f"hemi-{hemi}"]
        assert np.array_equal(surface["label"], vertices)
        assert np.array_equal(np.flatnonzero(surface["func.gii"]), vertices)
    only_left_labels = subject.get_roi_data("face", format="label", hemi="L")
    assert set(only_left_labels) == {"FFA1", "FFA2", "OFA"}
    assert only_left_labels["OFA"] == {
        "gii": {"hemi-L": {"label": pytest.approx(mini.roi_vertices("sub-01", "OFA", "L"))}}
    }
    assert set(subject.get_roi_data("MT", format="volume")["MT"]) == {"volume"}
    with pytest.raises(InvalidArgumentError, match="format='mgz'"):
        subject.get_roi_data("MT", format="mgz")
    with pytest.raises(InvalidArgumentError, match="hemi='left'"):
        subject.get_roi_data("MT", hemi="left")


def test_noise_ceiling(subject, mini):
    brain = mini.brain_mask().ravel()
    flat = np.arange(brain.size)
    session = subject.get_noise_ceiling(session="ses-01", roi="MT")
    selected = mini.roi_mask("sub-01", "MT").ravel()
    assert np.array_equal(session, (flat % 100)[selected].astype(np.float32))
    with pytest.raises(DataNotDownloadedError, match="noise-ceiling map of sub-01 is missing"):
        subject.get_noise_ceiling(desc="4rep")  # only the session maps were downloaded
    with pytest.raises(InvalidArgumentError, match="exactly one of session= .* or desc="):
        subject.get_noise_ceiling(session="ses-01", desc="4rep")


def test_stimuli_not_downloaded(subject):
    assert not subject.has_stimuli()
    with pytest.raises(StimuliNotDownloadedError, match="include_stimuli=True"):
        subject.get_stimulus_metadata()


def test_voxel_coordinates(subject, mini):
    coords = subject.get_voxel_coordinates(roi="MT")
    selected = mini.roi_mask("sub-01", "MT")
    assert np.array_equal(coords, np.argwhere(selected))
    mm = subject.get_voxel_coordinates(roi="MT", space="mm")
    assert np.allclose(mm, nib.affines.apply_affine(mini.AFFINE, np.argwhere(selected)))
    with pytest.raises(InvalidArgumentError, match="space='mni'"):
        subject.get_voxel_coordinates(space="mni")


def test_assembly(subject, mini):
    assembly = subject.get_assembly(["ses-01", "ses-02"], roi="face")
    assert isinstance(assembly, NeuroidAssembly)
    assert assembly.dims == ("presentation", "neuroid") and assembly.shape[0] == 80
    labels = mini.labels_of("ses-01") + mini.labels_of("ses-02")
    assert assembly["stimulus_id"].values.tolist() == labels
    assert assembly["session"].values.tolist() == ["ses-01"] * 40 + ["ses-02"] * 40
    assert assembly["beta_index"].values.tolist() == list(range(40)) * 2
    assert set(assembly["run"].values.tolist()) == {1, 2, 3, 4}
    # shared images are shown twice per session: repetitions 0..3 across the two sessions
    first = assembly.sel(stimulus_id="shared_12rep_LAION_cluster_0_i0.jpg")
    assert sorted(first["repetition"].values.tolist()) == [0, 1, 2, 3]
    ijk = np.stack([assembly[c].values for c in ("x", "y", "z")], axis=1)
    assert np.array_equal(np.ravel_multi_index(ijk.T, mini.GRID), assembly["voxel_index"].values)
    ffa1 = mini.roi_mask("sub-01", "FFA-1")[tuple(ijk.T)]
    assert np.array_equal(assembly["roi_FFA1"].values, ffa1)
    assert set(assembly["roi"].values) == {"FFA1", "FFA2", "OFA"}
    expected = expected_betas(
        mini, "ses-02", range(40), np.isin(np.arange(12**3), assembly["voxel_index"].values)
    )
    assert np.array_equal(assembly.sel(session="ses-02").values, expected)
    mm = nib.affines.apply_affine(mini.AFFINE, ijk)
    assert np.allclose(assembly["x_mm"].values, mm[:, 0])
    only_ffa1 = assembly.sel(roi_FFA1=True)
    assert only_ffa1.sizes["neuroid"] == ffa1.sum()


def test_streaming_reads_one_volume_at_a_time(tmp_path):
    """Peak memory: streaming stays near one volume (+ result), the full read holds the file."""
    shape = (48, 48, 48)
    n_volumes = 24
    folder = tmp_path / "derivatives/glmsingle-tedana/sub-09"
    func = folder / "ses-01" / "func"
    func.mkdir(parents=True)
    rng = np.random.default_rng(0)
    data = rng.standard_normal((*shape, n_volumes)).astype(np.float32)
    nib.save(
        nib.Nifti1Image(data, np.eye(4)),
        func / "sub-09_ses-01_task-images_space-T1w_stat-effect_desc-SingletrialBetas_"
        "statmap.nii.gz",
    )
    nib.save(
        nib.Nifti1Image(np.ones(shape, np.float32), np.eye(4)),
        folder / "sub-09_task-images_space-T1w_stat-rsquare_desc-R2mean_statmap.nii.gz",
    )
    rows = ["session\trun\tbeta_index\tlabel"] + [
        f"ses-01\t1\t{t}\tunique_{t}.jpg" for t in range(n_volumes)
    ]
    (func / "sub-09_ses-01_task-images_desc-SingletrialBetas_trials.tsv").write_text(
        "\n".join(rows) + "\n"
    )
    subject = Subject("sub-09", tmp_path)
    mask = np.zeros(int(np.prod(shape)), dtype=bool)
    mask[::50] = True
    subject.get_brain_mask()  # read the brain mask before measuring
    volume = int(np.prod(shape)) * 4

    def peak(streaming):
        tracemalloc.start()
        betas = subject.get_betas("ses-01", mask=mask, streaming=streaming)
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return betas, top

    streamed, streamed_peak = peak(True)
    loaded, loaded_peak = peak(False)
    assert np.array_equal(streamed, loaded)
    assert np.array_equal(streamed, data.reshape(-1, n_volumes)[mask].T)
    assert streamed_peak <= 2 * volume + streamed.nbytes, streamed_peak / volume
    assert loaded_peak >= n_volumes * volume


# --- the LAION-fMRI package's behaviour (its tests/test_subject.py, in this data's terms) ------


@pytest.mark.parametrize("method", ["get_betas", "get_trial_info"])
def test_session_is_required(subject, method):
    """As in the LAION-fMRI package: a ValueError, not a TypeError, naming what to pass."""
    with pytest.raises(ValueError, match=r"session is required.*ses-01, ses-02") as caught:
        getattr(subject, method)(session=None)
    assert isinstance(caught.value, InvalidArgumentError)
    with pytest.raises(InvalidArgumentError, match="session is required"):
        getattr(subject, method)("")


@pytest.mark.parametrize("bad", ["", "sub-"])
def test_malformed_subject_id(subject, bad):
    with pytest.raises(SubjectNotFoundError, match="not a subject id"):
        load_subject(bad)


def test_unknown_but_well_formed_subject_is_not_downloaded(subject):
    with pytest.raises(DataNotDownloadedError):
        load_subject("sub-99")


def test_stimuli_filter_when_trials_name_opaque_stimulus_ids(downloaded, tmp_path, mini):
    """Trial tables whose stimulus column is ``stimulus_id`` (no shared_/unique_ prefix): the
    shared flag comes from the stimulus metadata. This gave 0 trials before."""
    data = tmp_path / "data"
    glm = f"{mini.GLM}/sub-01"
    for source in (downloaded / "derivatives").rglob("*.nii.gz"):
        target = data / source.relative_to(downloaded)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(source)
    labels = mini.labels_of("ses-01")
    ids = {label: f"stim_{n:04d}" for n, label in enumerate(dict.fromkeys(labels))}
    func = data / glm / "ses-01" / "func"
    rows = ["session\trun\tbeta_index\tstimulus_id\trep_index"] + [
        f"ses-01\t1\t{t}\t{ids[label]}\t0" for t, label in enumerate(labels)
    ]
    (func / "sub-01_ses-01_task-images_desc-SingletrialBetas_trials.tsv").write_text(
        "\n".join(rows) + "\n"
    )
    (data / "stimuli").mkdir()
    (data / "stimuli" / "stimuli.tsv").write_text(
        "stimulus_id\tfilename\tshared\n"
        + "".join(
            f"{sid}\t{sid}.jpg\t{label.startswith('shared_')}\n" for label, sid in ids.items()
        )
    )
    subject = Subject("sub-01", data)
    shared = subject.get_betas("ses-01", roi="MT", stimuli="shared")
    unique = subject.get_betas("ses-01", roi="MT", stimuli="unique")
    shared_volumes = [t for t, label in enumerate(labels) if label.startswith("shared_")]
    unique_volumes = [t for t, label in enumerate(labels) if label.startswith("unique_")]
    selected = mini.roi_mask("sub-01", "MT").ravel()
    assert np.array_equal(shared, expected_betas(mini, "ses-01", shared_volumes, selected))
    assert np.array_equal(unique, expected_betas(mini, "ses-01", unique_volumes, selected))
    assert "stimulus_id" in subject.get_trial_info("ses-01").columns
    assert subject.get_n_stimuli() == 30 and subject.get_n_stimuli("shared") == 10
    indices = subject.get_trial_stimulus_indices("ses-01")
    assert subject.get_stimulus_metadata()["stimulus_id"].to_numpy()[indices].tolist() == [
        ids[label] for label in labels
    ]


def test_to_nifti_puts_values_back_on_the_grid(subject, mini, tmp_path):
    values = np.arange(subject.get_roi_mask("MT").sum(), dtype=np.float32) + 1
    path = subject.to_nifti(values, tmp_path / "mt.nii.gz", roi="MT")
    volume = np.asarray(nib.load(path).dataobj)
    selected = mini.roi_mask("sub-01", "MT")
    assert volume.shape == mini.GRID and np.array_equal(volume[selected], values)
    assert np.count_nonzero(volume) == values.size
    assert np.allclose(nib.load(path).affine, mini.AFFINE)
    with pytest.raises(InvalidArgumentError, match=r"values has shape \(3,\).*voxels are selected"):
        subject.to_nifti(np.ones(3), tmp_path / "bad.nii.gz", roi="MT")
    assert not (tmp_path / "bad.nii.gz").exists()
