"""Downloads from the miniature bucket: filters, held-out sessions, 403s, skips, atomicity."""

from __future__ import annotations

import hashlib
import json
import warnings

import pytest

from brainio.errors import FetchError
from laion_fmri.download import accept_licenses, download, etag_matches
from laion_fmri.errors import (
    DataDirNotSetError,
    InvalidArgumentError,
    LicenseNotAcceptedError,
    NoMatchingDataError,
    SubjectNotFoundError,
)

GLM = "derivatives/glmsingle-tedana"


def files_under(folder):
    return sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and ".laion_fmri" not in p.parts
    )


def test_session_download_with_pinned_brain_mask_and_rois(data_dir, mini):
    summary = download("sub-01", ses="01", n_jobs=4)
    files = files_under(data_dir)
    assert "dataset_description.json" in files and "README" in files
    sessions = {p.split("/")[3] for p in files if p.startswith(f"{GLM}/sub-01/ses-")}
    assert sessions == {"ses-01"}
    # subject-level R2mean (the brain mask) comes along; other subject-level maps do not
    assert any(p.endswith("desc-R2mean_statmap.nii.gz") for p in files)
    assert not any("Noiseceiling4rep" in p for p in files)
    # ROIs are per subject (not filtered by session), with BIDS-clean local names
    assert "derivatives/rois/sub-01/face/sub-01_space-T1w_res-1pt8_label-FFA1_mask.nii.gz" in files
    face = "derivatives/rois/sub-01/face"
    assert f"{face}/sub-01_hemi-L_space-fsnative_label-FFA1_mask.label" in files
    assert not any("FFA-1" in p for p in files)
    assert len(summary.downloaded) == len(summary.matched) == len(files)
    assert summary.denied == [] and len(summary.held_out) > 0
    assert all("/ses-31/" in key for key in summary.held_out)


def test_content_matches_the_bucket(data_dir, laion_bucket):
    download("sub-03", ses="ses-02", suffix="trials", extension="tsv")
    key = f"{GLM}/sub-03/ses-02/func/sub-03_ses-02_task-images_desc-SingletrialBetas_trials.tsv"
    assert (data_dir / key).read_bytes() == laion_bucket.objects[key]


def test_filters(data_dir):
    summary = download(
        ["sub-01", "03"], ses=["ses-02", "averages"], desc="Noiseceiling12rep", extension=".nii.gz"
    )
    glm = [k for k in summary.matched if k.startswith(GLM)]
    assert sorted(k.rsplit("/", 1)[1] for k in glm) == [
        "sub-01_task-images_space-T1w_desc-Noiseceiling12rep_statmap.nii.gz",
        "sub-01_task-images_space-T1w_stat-rsquare_desc-R2mean_statmap.nii.gz",
        "sub-03_task-images_space-T1w_desc-Noiseceiling12rep_statmap.nii.gz",
        "sub-03_task-images_space-T1w_stat-rsquare_desc-R2mean_statmap.nii.gz",
    ]
    # the sub-03 listing crossed 1,000 keys of figures and still found the subject-level maps
    rois = [k for k in summary.matched if k.startswith("derivatives/rois/")]
    assert rois and all(k.endswith("_mask.nii.gz") for k in rois)


def test_second_run_skips_present_files(data_dir):
    first = download("sub-01", ses="ses-02", suffix="trials")
    assert first.downloaded
    target = data_dir / first.downloaded[0]
    mtime = target.stat().st_mtime_ns
    second = download("sub-01", ses="ses-02", suffix="trials")
    assert second.downloaded == [] and sorted(second.skipped) == sorted(first.matched)
    assert target.stat().st_mtime_ns == mtime


def test_changed_file_of_the_same_size_is_downloaded_again(data_dir, laion_bucket):
    key = f"{GLM}/sub-01/ses-02/func/sub-01_ses-02_task-images_desc-SingletrialBetas_trials.tsv"
    download("sub-01", ses="ses-02", suffix="trials", extension="tsv")
    path = data_dir / key
    original = path.read_bytes()
    path.write_bytes(original.replace(b"ses-02", b"ses-09"))  # same size, other content
    summary = download("sub-01", ses="ses-02", suffix="trials", extension="tsv")
    assert key in summary.downloaded
    assert path.read_bytes() == original == laion_bucket.objects[key]


def test_file_without_a_record_is_checked_by_etag(data_dir, laion_bucket):
    key = f"{GLM}/sub-03/ses-01/func/sub-03_ses-01_task-images_desc-SingletrialBetas_trials.tsv"
    path = data_dir / key
    path.parent.mkdir(parents=True)
    path.write_bytes(laion_bucket.objects[key])  # placed by another tool
    summary = download("sub-03", ses="ses-01", suffix="trials", extension="tsv")
    assert summary.skipped == [key] and key not in summary.downloaded


def test_held_out_session_asked_for_is_a_warning_naming_the_key(data_dir):
    with pytest.warns(
        UserWarning,
        match=r"Access denied to s3://laion-fmri/derivatives/"
        r"glmsingle-tedana/sub-01/ses-31/func/sub-01_ses-31",
    ):
        summary = download("sub-01", ses="ses-31", n_jobs=3)
    assert summary.denied and all("/ses-31/" in key for key in summary.denied)
    assert not (data_dir / GLM / "sub-01" / "ses-31").exists() or not any(
        (data_dir / GLM / "sub-01" / "ses-31").rglob("*.*")
    )
    assert not list(data_dir.rglob("*.part"))
    # the R2mean map pinned by the session filter was still fetched
    assert any("R2mean" in key for key in summary.downloaded)


def test_default_download_never_asks_for_held_out_sessions(data_dir):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        summary = download("sub-01", suffix="trials", extension="tsv")
    assert summary.denied == []
    assert sorted({k.split("/")[3] for k in summary.matched if k.startswith(GLM)}) == [
        "ses-01",
        "ses-02",
    ]


def test_record_file_is_written(data_dir):
    download("sub-01", ses="ses-01", suffix="trials", extension="tsv")
    records = json.loads((data_dir / ".laion_fmri" / "downloads.json").read_text())
    assert any(entry["key"].endswith("_trials.tsv") and entry["etag"] for entry in records.values())


def test_unknown_subject(data_dir):
    with pytest.raises(SubjectNotFoundError, match=r"sub-02.*Subjects: sub-01, sub-03, sub-05"):
        download("sub-02")


def test_no_match_lists_the_sessions(data_dir):
    with pytest.raises(
        NoMatchingDataError,
        match=r"sub-03 has no session ses-07.*Sessions of sub-03: ses-01, ses-02",
    ):
        download("sub-03", ses="ses-07", suffix="statmap", extension="json")


def test_bad_n_jobs(data_dir):
    with pytest.raises(InvalidArgumentError, match="n_jobs must be a positive integer, not 0"):
        download("sub-01", n_jobs=0)


def test_data_dir_not_set(laion_env):
    with pytest.raises(DataDirNotSetError, match="dataset_initialize"):
        download("sub-01", ses="ses-01")


def test_stimuli_need_the_terms(data_dir):
    with pytest.raises(LicenseNotAcceptedError, match="accept_licenses\\(include_stimuli=True\\)"):
        download("sub-01", ses="ses-01", include_stimuli=True)
    accept_licenses(include_stimuli=True, agree=True)
    summary = download("sub-01", ses="ses-01", suffix="trials", include_stimuli=True)
    assert summary.matched


def test_unreachable_server_is_a_fetch_error(data_dir, monkeypatch):
    from brainio_s3.testing import free_port

    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("BRAINIO_S3_MAX_ATTEMPTS", "1")
    with pytest.raises(FetchError, match="127.0.0.1"):
        download("sub-01", ses="ses-01")


def test_etag_of_single_and_multipart_files(tmp_path):
    path = tmp_path / "blob"
    content = bytes(range(256)) * 50_000  # 12.8 MB: two parts of 8 MiB
    path.write_bytes(content)
    assert etag_matches(path, hashlib.md5(content).hexdigest())
    parts = [content[: 8 * 1024 * 1024], content[8 * 1024 * 1024 :]]
    digest = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    assert etag_matches(path, f'"{digest}-2"')
    assert not etag_matches(path, f"{digest[:-1]}0-2")
    assert not etag_matches(path, hashlib.md5(b"other").hexdigest())


def test_filters_matching_nothing(data_dir):
    with pytest.raises(NoMatchingDataError, match=r"No file of sub-05 .*suffix=\['bold'\]"):
        download("sub-05", suffix="bold")
