"""Stimulus images from the bucket's stimulus folder, through the data directory.

Ported in spirit from the LAION-fMRI package's tests of ``Subject.get_images``/``get_image``,
``get_n_stimuli`` and its ``stimuli`` module, against the miniature bucket (50 JPEGs).
"""

from __future__ import annotations

import numpy as np
import pytest

from brainio.errors import FormatError, UnsafePathError
from laion_fmri import Stimuli, load_stimulus, load_stimulus_metadata
from laion_fmri.download import accept_licenses
from laion_fmri.errors import InvalidArgumentError, StimuliNotDownloadedError
from laion_fmri.stimuli import StimulusNotFoundError
from laion_fmri.subject import Subject


def close_to(image, color):
    pixels = np.asarray(image.convert("RGB"), dtype=int)
    return np.abs(pixels - np.array(color)).max() <= 4


@pytest.fixture
def accepted(data_dir):
    accept_licenses(include_stimuli=True, agree=True)
    return data_dir


def test_images_are_fetched_once_through_the_data_directory(accepted, mini, laion_bucket):
    stimuli = Stimuli()
    assert stimuli.names() == mini.stimulus_ids()
    assert stimuli.metadata["shared"].sum() == 10 and len(stimuli) == 50
    name = mini.stimulus_ids()[12]
    local = accepted / "stimuli" / "images" / name
    assert not local.exists()
    assert stimuli[name] == laion_bucket.objects[f"stimuli/images/{name}"]
    assert local.is_file()
    mtime = local.stat().st_mtime_ns
    assert close_to(stimuli.image(12), mini.stimulus_color(12))
    assert local.stat().st_mtime_ns == mtime  # served from the local copy
    assert not list(local.parent.glob(".*.part"))
    assert name in stimuli and 12 in stimuli and "nope.jpg" not in stimuli and 50 not in stimuli


def test_subject_images_by_group_and_format(accepted, subject, mini):
    """Subject.get_images/get_image read the subject's data directory (here, the session's)."""
    sub = Subject("sub-01", accepted)
    images = sub.get_images()
    assert len(images) == sub.get_n_stimuli() == 50
    assert all(close_to(img, mini.stimulus_color(i)) for i, img in enumerate(images))
    assert len(sub.get_images(stimuli="shared")) == sub.get_n_stimuli("shared") == 10
    assert sub.get_n_stimuli("unique") == 40
    array = sub.get_images(stimuli="shared", format="numpy")
    assert array.shape == (10, 12, 16, 3) and array.dtype == np.uint8
    with pytest.warns(UserWarning, match="float32"):
        chw = sub.get_images(stimuli="shared", format="torch")
    assert chw.shape == (10, 3, 12, 16) and chw.dtype == np.float32 and chw.max() <= 1.0
    assert close_to(sub.get_image(mini.stimulus_ids()[3]), mini.stimulus_color(3))
    with pytest.raises(InvalidArgumentError, match="format='jpeg'"):
        sub.get_images(format="jpeg")
    with pytest.raises(InvalidArgumentError, match="stimuli='all'"):
        sub.get_images(stimuli="all")


def test_trial_stimulus_indices(subject, accepted, mini):
    sub = Subject("sub-01", subject.data_dir)
    sub.stimuli = Stimuli(accepted)  # keep the shared downloaded folder free of stimuli
    indices = sub.get_trial_stimulus_indices(["ses-01", "ses-02"])
    names = np.array(mini.stimulus_ids())
    assert names[indices["ses-01"]].tolist() == mini.labels_of("ses-01")
    assert names[indices["ses-02"]].tolist() == mini.labels_of("ses-02")


def test_without_accepted_terms_nothing_is_fetched(data_dir):
    stimuli = Stimuli()
    assert not stimuli.is_downloaded()
    with pytest.raises(StimuliNotDownloadedError, match=r"accept_licenses\(include_stimuli=True\)"):
        _ = stimuli.metadata
    assert not (data_dir / "stimuli").exists()
    assert not Subject("sub-01", data_dir).has_stimuli()


def test_missing_images_without_terms(data_dir, laion_bucket):
    (data_dir / "stimuli").mkdir()
    (data_dir / "stimuli" / "stimuli.tsv").write_bytes(laion_bucket.objects["stimuli/stimuli.tsv"])
    with pytest.raises(StimuliNotDownloadedError, match=r"50 stimulus images are not in .*images"):
        Stimuli().images()


def test_unknown_stimulus(accepted):
    stimuli = Stimuli()
    with pytest.raises(StimulusNotFoundError, match=r"Unknown stimulus 'cat.jpg'.*50 stimuli"):
        stimuli["cat.jpg"]
    with pytest.raises(IndexError, match="index 50 is out of range for 50"):
        stimuli[50]
    with pytest.raises(TypeError, match="not float"):
        stimuli[1.0]


def test_filenames_from_the_metadata_stay_inside_the_images_folder(accepted, tmp_path):
    (accepted / "stimuli").mkdir()
    (accepted / "stimuli" / "stimuli.tsv").write_text(
        "stimulus_id\tfilename\tshared\nevil\t../../../outside.jpg\tTrue\n"
    )
    with pytest.raises(UnsafePathError, match=r"'../../../outside.jpg' contains '..'"):
        Stimuli().image("evil")
    assert not (tmp_path / "outside.jpg").exists()


def test_newer_metadata_layout(accepted, laion_bucket):
    """``task-images_metadata.csv`` (image_name, unique_or_shared) reads as the same table."""
    (accepted / "stimuli").mkdir()
    (accepted / "stimuli" / "task-images_metadata.csv").write_text(
        "image_name,dataset,participant,unique_or_shared,n_reps\n"
        "shared_12rep_LAION_cluster_0_i0.jpg,laion,all,shared,12\n"
        "unique_LAION_new_cluster_0100_i0_p01.jpg,laion,sub-01,unique,1\n"
    )
    metadata = load_stimulus_metadata()
    assert metadata["stimulus_id"].tolist() == metadata["image_name"].tolist()
    assert metadata["shared"].tolist() == [True, False]
    raw = load_stimulus("unique_LAION_new_cluster_0100_i0_p01.jpg")
    assert raw == laion_bucket.objects["stimuli/images/unique_LAION_new_cluster_0100_i0_p01.jpg"]
    assert load_stimulus(0, decode=True).size == (16, 12)


def test_iteration_yields_ids_and_bytes(accepted, laion_bucket, mini):
    pairs = list(Stimuli())
    assert [name for name, _ in pairs] == mini.stimulus_ids()
    assert all(raw == laion_bucket.objects[f"stimuli/images/{name}"] for name, raw in pairs)


def test_hdf5_archive_is_read_instead_of_files(data_dir, mini):
    """The access service's archive: dataset ``images`` of JPEG bytes, row i = metadata row i."""
    h5py = pytest.importorskip("h5py")
    folder = data_dir / "stimuli"
    folder.mkdir()
    names = mini.stimulus_ids()[:4]
    (folder / "task-images_metadata.csv").write_text(
        "image_name,dataset,participant,unique_or_shared,n_reps\n"
        + "".join(f"{name},laion,all,{name.split('_')[0]},1\n" for name in names)
    )
    with h5py.File(folder / "task-images_stimuli.h5", "w") as archive:
        images = archive.create_dataset("images", (4,), dtype=h5py.vlen_dtype(np.uint8))
        for row in range(4):
            images[row] = np.frombuffer(mini.jpeg_bytes(mini.stimulus_color(row)), np.uint8)
    with Stimuli(fetch=False) as stimuli:  # nothing to fetch: all is local
        assert stimuli[names[2]] == mini.jpeg_bytes(mini.stimulus_color(2))
        assert close_to(stimuli.image(3), mini.stimulus_color(3))
        assert [name for name, _ in stimuli] == names
        assert len(stimuli.images(stimuli="shared")) == sum(n.startswith("shared_") for n in names)
    with open(folder / "task-images_metadata.csv", "a") as table:
        table.write("unique_extra.jpg,laion,sub-01,unique,1\n")  # the metadata grew
    with pytest.raises(FormatError, match="holds 4 images but the metadata lists 5"):
        Stimuli(fetch=False)[0]
