"""The seed's example script runs unchanged against the miniature bucket and prints its shape."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).parent / "example_querying.py"


@pytest.mark.slow
def test_example_runs_end_to_end(laion_env, tmp_path, mini):
    run_cli, clean, ROIS = mini.run_cli, mini.clean, mini.ROIS
    work = tmp_path / "work"
    work.mkdir()
    data = work / "laion_fmri_quickstart"
    # what a user does once: choose the data directory, install the published split files,
    # accept the stimulus terms (the example's stimulus download asks for them)
    assert run_cli(["config", "--data-dir", str(data)], laion_env).returncode == 0
    files = mini.make_split_files(tmp_path / "published")
    added = run_cli(["splits", "add", *map(str, files)], laion_env)
    assert added.returncode == 0, added.stderr
    accepted = run_cli(["accept-terms", "--stimuli", "--yes"], laion_env)
    assert accepted.returncode == 0, accepted.stderr

    result = subprocess.run(
        [sys.executable, str(EXAMPLE)],
        cwd=work,
        env=laion_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    lines = out.splitlines()

    sub01 = sorted(clean(r) for names in ROIS["sub-01"].values() for r in names)
    assert lines[0] == "LAION-fMRI Dataset"
    assert re.fullmatch(r"\s+Bucket:\s+s3://laion-fmri", lines[1])
    assert re.fullmatch(r"\s+Subjects:\s+3 \(sub-01, sub-03, sub-05\)", lines[2])
    assert re.fullmatch(r"\s+ROIs:\s+" + re.escape(", ".join(sub01)), lines[3])
    assert "All subjects: ['sub-01', 'sub-03', 'sub-05']" in lines
    assert "Querying subject: sub-01" in lines
    assert f"All ROIs ({len(sub01)}):" in lines
    assert str(sub01) in lines
    assert "face: ['FFA1', 'FFA2', 'OFA']" in lines  # hyphens of FFA-1 removed
    for category in ("body", "character", "laion", "motion", "object", "place", "retinotopy"):
        assert any(line.startswith(f"{category}: [") for line in lines), category
    assert "Top-level prefixes (2):" in lines
    assert "derivatives/glmsingle-tedana/: 2 entries, 2 sub-* entries" in lines
    assert "derivatives/rois/: 3 entries, 3 sub-* entries" in lines
    assert "Pools: ['shared', 'sub-01']" in lines
    assert (
        "Splits: ['random_0', 'random_1', 'random_2', 'random_3', 'random_4', "
        "'cluster_k5_0', 'cluster_k5_1', 'cluster_k5_2', 'cluster_k5_3', 'cluster_k5_4', "
        "'tau', 'ood']"
    ) in lines
    assert "OOD types: ['gabor', 'illusion-classic', 'shape']" in lines
    for expected in (
        "Split: random_0",
        "Pool: shared",
        "Family: random",
        "n_train: 8",
        "n_test: 2",
        "Loaded: 8 train / 2 test ids",
        "OOD shape only: test ids = 3",
    ):
        assert expected in lines
    assert "['ses-01']" in lines
    assert "['session', 'run', 'beta_index', 'label']" in lines
    assert "[1 2 3 4]" in lines
    assert "40" in lines
    assert "sub-01: 11 ROIs total, 3 face" in lines
    assert "sub-03: 12 ROIs total, 4 face" in lines
    assert "sub-05: 3 ROIs total, 1 face" in lines
    assert "Total stimuli: 50" in lines and "Shared: 10" in lines
    # the uncommented stimulus download fetched every non-held-out session of sub-01
    func = data / "derivatives/glmsingle-tedana/sub-01"
    assert sorted(p.name for p in func.glob("ses-*")) == ["ses-01", "ses-02"]
