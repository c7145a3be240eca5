"""Hostile buckets and interrupted downloads: nothing lands outside the data directory, and no
unfinished ``.part`` file outlives the next download."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from laion_fmri.download import accept_licenses, download, part_path, remove_stale_parts

GLM = "derivatives/glmsingle-tedana"
BETAS = (
    f"{GLM}/sub-01/ses-01/func/sub-01_ses-01_task-images_space-T1w_stat-effect_"
    "desc-SingletrialBetas_statmap.nii.gz"
)


def files_outside(root, data_dir):
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and not p.is_relative_to(data_dir) and "config" not in p.parts
    )


def test_keys_leading_outside_the_data_directory_are_refused(data_dir, crafted_keys, tmp_path):
    """A bucket (or AWS_ENDPOINT_URL mirror) listing keys with '..' wrote outside before."""
    escapes = [
        f"{GLM}/sub-01/../../../../evil_trials.tsv",
        "stimuli/images/../../../../../evil_stimulus_trials.tsv",
    ]
    for key in escapes:
        crafted_keys(key, b"written by a hostile mirror")
    accept_licenses(include_stimuli=True, agree=True)
    before = files_outside(tmp_path, data_dir)
    with pytest.warns(
        UserWarning, match=r"Skipped a key listed by http://127\.0\.0\.1:\d+: Bucket key "
    ) as warned:
        summary = download("sub-01", suffix="trials", include_stimuli=True)
    for name in ("evil_trials.tsv", "evil_stimulus_trials.tsv"):
        assert any(f"{name}' contains '..'" in str(w.message) for w in warned), name
    assert sorted(summary.unsafe) == sorted(escapes)
    assert "2 unsafe keys refused" in str(summary)
    assert files_outside(tmp_path, data_dir) == before
    assert not list(tmp_path.rglob("evil*"))
    # the rest of the download went through
    assert (
        data_dir / f"{GLM}/sub-01/ses-02/func/sub-01_ses-02_task-images_desc-"
        "SingletrialBetas_trials.tsv"
    ).is_file()


CHILD = textwrap.dedent("""
    import resource, signal, sys
    from laion_fmri.download import download
    limit = int(sys.argv[1])
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)  # Python ignores it; die as C programs do
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    download("sub-01", ses="ses-01", desc="SingletrialBetas", suffix="statmap",
             extension="nii.gz")
""")


def test_part_left_by_a_killed_download_is_removed_by_the_next(data_dir, laion_env, laion_bucket):
    size = len(laion_bucket.objects[BETAS])
    env = {**laion_env, "LAION_FMRI_DATA_DIR": str(data_dir)}
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(size // 2)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == -signal.SIGXFSZ, child.stderr  # killed mid-write
    target = data_dir / BETAS
    part = part_path(target)
    assert part.is_file() and 0 < part.stat().st_size <= size // 2
    assert not target.exists()
    summary = download(
        "sub-01", ses="ses-01", desc="SingletrialBetas", suffix="statmap", extension="nii.gz"
    )
    assert BETAS in summary.downloaded
    assert target.read_bytes() == laion_bucket.objects[BETAS]
    assert not part.exists()
    assert not list(data_dir.rglob("*.part"))


def test_parts_of_other_files_are_removed_too(data_dir, laion_bucket):
    folder = data_dir / f"{GLM}/sub-01/ses-01/func"
    folder.mkdir(parents=True)
    stale = folder / ".sub-01_ses-01_task-images_desc-GLMsingle_summary.json.part"
    stale.write_bytes(b"30 MB once")
    download("sub-01", ses="ses-01", suffix="trials", extension="tsv")
    assert not stale.exists()


def test_a_part_being_written_is_left_alone(tmp_path):
    part = tmp_path / ".betas.nii.gz.part"
    part.write_bytes(b"in progress")
    descriptor = os.open(part, os.O_RDWR)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)  # as a running download holds it
        assert remove_stale_parts(tmp_path) == [] and part.exists()
    finally:
        os.close(descriptor)
    assert remove_stale_parts(tmp_path) == [part] and not part.exists()


def test_concurrent_downloads_of_the_same_files(data_dir, laion_env, laion_bucket):
    """Four processes into one data directory: each file is written by one at a time (the
    others wait on its part's lock), every file ends complete, and no part is left."""
    script = (
        "from laion_fmri.download import download\n"
        "download('sub-01', ses='ses-01', desc='SingletrialBetas', n_jobs=2)\n"
    )
    env = {**laion_env, "LAION_FMRI_DATA_DIR": str(data_dir)}
    children = [
        subprocess.Popen([sys.executable, "-c", script], env=env, text=True, stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    for child in children:
        _, err = child.communicate(timeout=180)
        assert child.returncode == 0, err
    assert (data_dir / BETAS).read_bytes() == laion_bucket.objects[BETAS]
    trials = BETAS.replace(
        "_space-T1w_stat-effect_desc-SingletrialBetas_statmap.nii.gz",
        "_desc-SingletrialBetas_trials.tsv",
    )
    assert (data_dir / trials).read_bytes() == laion_bucket.objects[trials]
    assert not list(data_dir.rglob("*.part"))
