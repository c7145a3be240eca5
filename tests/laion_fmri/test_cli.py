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
    result = mini.run_cli(["download", "--subject", "sub-03", "--ses", "ses-02", "--suffix",
                           "trials", "--n-jobs", "2", "--json"], laion_env)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert {"matched", "downloaded", "skipped", "denied", "held_out"} <= set(summary)
    assert any(key.endswith("_trials.tsv") for key in summary["downloaded"])


def test_data_dir_not_set_is_one_line_error(laion_env):
    result = subprocess.run(
        [sys.executable, "-m", "laion_fmri.cli", "download", "--subject", "sub-01"],
        env=laion_env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.startswith("Error: DataDirNotSetError: No LAION-fMRI data directory")
    assert "Traceback" not in result.stderr


def test_brainio_laion_fmri_info(laion_env):
    result = subprocess.run([sys.executable, "-m", "brainio.cli", "laion-fmri", "info",
                             "--subject", "sub-05"], env=laion_env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["face: FFA1", "retinotopy: V1v, V2v"]
