"""A full disk (or a file size limit) stops a fetch or extraction with a one-line error that
says how much space was needed and where, and leaves the cache consistent."""

from __future__ import annotations

import json

import numpy as np
import pytest
from fault_tools import brainio, cache_leftovers, cache_report, python, stimulus_catalog, zip_bytes

MB = 2**20
# compresses about 4:1 (four byte values), so the zip is small and its contents are large
BIG = np.random.default_rng(0).integers(0, 4, size=3 * MB, dtype=np.uint8).tobytes()
CSV = b"stimulus_id,filename\nbig,big.bin\n"

LOAD_AND_REPORT = """
    import json, os, sys
    import brainio
    home = os.environ["BRAINIO_HOME"]
    try:
        brainio.get_stimulus_set("lab.stim")
        outcome = {"error": None}
    except brainio.BrainIOError as error:
        outcome = {"error": type(error).__name__, "message": str(error)}
    outcome["files"] = sorted(
        os.path.relpath(os.path.join(base, name), home)
        for base, folders, files in os.walk(home)
        for name in folders + files
    )
    print(json.dumps(outcome))
"""


@pytest.fixture
def big_stimuli(install_catalog):
    zipped = zip_bytes({"big.bin": BIG})
    assert len(zipped) < MB
    lookup, files = stimulus_catalog("lab.stim", CSV, zipped)
    env, _ = install_catalog("lab", lookup, files)
    return env


def test_file_size_limit_during_extraction(big_stimuli, brainio_home):
    got = brainio("get", "lab.stim", env=big_stimuli, fsize_limit=MB + MB // 2)

    assert got.returncode == 1, got.stderr
    assert "Traceback" not in got.stderr
    assert "Error: DiskFullError: Out of space while extracting stimulus_lab.stim.zip in" in (
        got.stderr
    )
    assert "a file size limit (ulimit -f) was reached" in got.stderr
    assert "it needs 3.0 MB" in got.stderr and "set BRAINIO_HOME" in got.stderr
    assert cache_leftovers(brainio_home) == []
    assert not [p for p in brainio_home.rglob("stimulus_lab.stim") if p.is_dir()]
    assert cache_report(brainio_home)["ok"]  # the zip itself is whole and verified
    assert brainio("get", "lab.stim", env=big_stimuli).returncode == 0


def test_full_disk_during_extraction(big_stimuli, brainio_home, mounts_work):
    got = python(LOAD_AND_REPORT, env=big_stimuli, tmpfs={brainio_home: "1m"})

    assert got.returncode == 0, got.stderr
    outcome = json.loads(got.stdout)
    assert outcome["error"] == "DiskFullError"
    assert "the disk (or your quota) is full (No space left on device)" in outcome["message"]
    assert "it needs 3.0 MB" in outcome["message"] and "are free there" in outcome["message"]
    assert not [f for f in outcome["files"] if f.endswith((".extracting", ".part", ".tmp"))]
    assert not [f for f in outcome["files"] if f.endswith("stimulus_lab.stim")]
    assert [f for f in outcome["files"] if f.endswith("stimulus_lab.stim.zip.verified.json")]


def test_full_disk_during_download(big_stimuli, brainio_home, mounts_work):
    got = python(LOAD_AND_REPORT, env=big_stimuli, tmpfs={brainio_home: "256k"})

    assert got.returncode == 0, got.stderr
    outcome = json.loads(got.stdout)
    assert outcome["error"] == "DiskFullError", outcome
    message = outcome["message"]
    assert message.startswith("Out of space while downloading stimulus_lab.stim.zip in ")
    assert "written so far" in message and "connection" not in message
    assert not [f for f in outcome["files"] if "stimulus_lab.stim.zip" in f]
