"""The ``laion-fmri`` command (and ``brainio laion-fmri``), run as subprocesses."""

from __future__ import annotations

import json
import subprocess
import sys


def test_config_then_splits_add_and_list(laion_env, tmp_path, mini):
    data = tmp_path / "data"
    configured = mini.run_cli(["config", "--data-dir", str(data)], laion_env)
    assert configured.returncode == 0, configured.stderr
    assert f"data directory: {data.resolve()}" in configured.stdout
    files = mini.make_split_files(tmp_path / "published")
    added = mini.run_cli(["splits", "add", *map(str, files)], laion_env)
    assert added.returncode == 0, added.stderr
    assert added.stdout.count("installed ") == len(files)
    assert (data / "splits" / "shared" / "ood.json").is_file()
    listed = mini.run_cli(["splits", "list"], laion_env)
    assert "Pools: shared, sub-01" in listed.stdout
    assert "OOD types: gabor, illusion-classic, shape" in listed.stdout
    shown = mini.run_cli(["splits", "show", "tau"], laion_env)
    assert "tau (shared): family tau" in shown.stdout and "n_train 8, n_test 2" in shown.stdout


def test_splits_add_refuses_a_bad_file(laion_env, tmp_path, mini):
    mini.run_cli(["config", "--data-dir", str(tmp_path / "data")], laion_env)
    bad = tmp_path / "shared" / "tau.json"
    bad.parent.mkdir()
    bad.write_text(json.dumps({"name": "tau", "n_train": 1, "n_test": 1, "variants": []}))
    result = mini.run_cli(["splits", "add", str(bad)], laion_env)
    assert result.returncode == 1
    assert "SplitFormatError" in result.stderr
    assert "'variants' must be a non-empty list" in result.stderr
    assert not (tmp_path / "data" / "splits").exists()


def test_download_json_summary(laion_env, tmp_path, mini):
    mini.run_cli(["config", "--data-dir", str(tmp_path / "data")], laion_env)
    result = mini.run_cli(
        [
            "download",
            "--subject",
            "sub-03",
            "--ses",
            "ses-02",
            "--suffix",
            "trials",
            "--n-jobs",
            "2",
            "--json",
        ],
        laion_env,
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert {"matched", "downloaded", "skipped", "denied", "held_out"} <= set(summary)
    assert any(key.endswith("_trials.tsv") for key in summary["downloaded"])


def test_data_dir_not_set_is_one_line_error(laion_env):
    result = subprocess.run(
        [sys.executable, "-m", "laion_fmri.cli", "download", "--subject", "sub-01"],
        env=laion_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("Error: DataDirNotSetError: No LAION-fMRI data directory")
    assert "Traceback" not in result.stderr


def test_brainio_laion_fmri_info(laion_env):
    result = subprocess.run(
        [sys.executable, "-m", "brainio.cli", "laion-fmri", "info", "--subject", "sub-05"],
        env=laion_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["face: FFA1", "retinotopy: V1v, V2v"]


# --- the LAION-fMRI package's command line (its tests/test_cli.py), and one-line errors ------


def test_no_arguments_prints_help(laion_env, mini):
    result = mini.run_cli([], laion_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: laion-fmri")
    assert "download" in result.stdout and "config" in result.stdout


def test_download_takes_several_values_after_one_flag(laion_env, tmp_path, mini):
    """The documented form ``--ses ses-01 averages`` (it exited 2 before)."""
    mini.run_cli(["config", "--data-dir", str(tmp_path / "data")], laion_env)
    result = mini.run_cli(
        [
            "download",
            "--subject",
            "sub-03",
            "--ses",
            "ses-02",
            "averages",
            "--desc",
            "Noiseceiling12rep",
            "SingletrialBetas",
            "--extension",
            "tsv",
            "nii.gz",
            "--json",
        ],
        laion_env,
    )
    assert result.returncode == 0, result.stderr
    names = sorted(
        key.rsplit("/", 1)[1]
        for key in json.loads(result.stdout)["downloaded"]
        if key.startswith("derivatives/glmsingle-tedana/")
    )
    assert names == [
        "sub-03_ses-02_task-images_desc-SingletrialBetas_trials.tsv",
        "sub-03_ses-02_task-images_space-T1w_stat-effect_desc-SingletrialBetas_statmap.nii.gz",
        "sub-03_task-images_space-T1w_desc-Noiseceiling12rep_statmap.nii.gz",
        "sub-03_task-images_space-T1w_stat-rsquare_desc-R2mean_statmap.nii.gz",
    ]


def test_several_values_and_repeated_flags_mean_the_same(laion_env, tmp_path, mini):
    mini.run_cli(["config", "--data-dir", str(tmp_path / "data")], laion_env)
    both = [
        ["--ses", "ses-01", "ses-02"],
        ["--ses", "ses-01", "--ses", "ses-02"],
        ["--ses=ses-01", "ses-02"],
    ]
    matched = []
    for form in both:
        result = mini.run_cli(
            [
                "download",
                "--subject",
                "sub-03",
                *form,
                "--suffix",
                "trials",
                "--extension",
                "tsv",
                "--json",
            ],
            laion_env,
        )
        assert result.returncode == 0, result.stderr
        matched.append(sorted(json.loads(result.stdout)["matched"]))
    assert matched[0] == matched[1] == matched[2]
    assert sum("_trials.tsv" in key for key in matched[0]) == 2
    stray = mini.run_cli(["download", "--subject", "sub-03", "--n-jobs", "2", "extra"], laion_env)
    assert stray.returncode == 2 and "extra" in stray.stderr


def test_n_jobs_defaults_to_one(laion_env, mini):
    result = mini.run_cli(["download", "--help"], laion_env)
    assert "--n-jobs INTEGER" in result.stdout and "[default: 1]" in result.stdout


def test_info_of_an_unknown_subject_is_an_error(laion_env, mini):
    """It printed nothing and exited 0 before."""
    result = mini.run_cli(["info", "--subject", "sub-42"], laion_env)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "Error: SubjectNotFoundError: Subject 'sub-42' is not in "
        "s3://laion-fmri. Subjects: sub-01, sub-03, sub-05."
    )
    assert result.stdout == ""


def test_config_with_a_directory_that_cannot_be_created(laion_env, tmp_path, mini):
    occupied = tmp_path / "occupied"
    occupied.write_text("a file")
    result = mini.run_cli(["config", "--data-dir", str(occupied / "data")], laion_env)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith("Error: DataDirNotFoundError: Cannot create the data directory")
    assert "Choose a folder you can write to" in lines[0]


def test_splits_add_with_deeply_nested_json(laion_env, tmp_path, mini):
    mini.run_cli(["config", "--data-dir", str(tmp_path / "data")], laion_env)
    deep = tmp_path / "shared" / "tau.json"
    deep.parent.mkdir()
    deep.write_text("[" * 100_000 + "]" * 100_000)
    result = mini.run_cli(["splits", "add", str(deep)], laion_env)
    assert result.returncode == 1
    assert "RecursionError" not in result.stderr and "Traceback" not in result.stderr
    assert "SplitFormatError" in result.stderr and "nests its JSON too deeply" in result.stderr
    assert not (tmp_path / "data" / "splits").exists()
