"""kill -9 at chosen points of fetch, extract and package leaves nothing half-written trusted.

The child process sends itself SIGKILL at a fault point (``BRAINIO_KILL_AT``, see
:mod:`brainio.faultpoints`): no ``finally`` and no ``atexit`` run, as with ``kill -9``.
"""

from __future__ import annotations

import signal

import pytest
from fault_tools import brainio, cache_leftovers, cache_report

from brainio.cache import Cache


@pytest.mark.parametrize(
    "point", ["fetch:downloaded", "fetch:renamed", "extract:written", "extract:manifest"]
)
def test_killed_while_fetching_or_extracting(point, brainio_home):
    killed = brainio("get", "demo.shapes", env={"BRAINIO_KILL_AT": point})
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    # nothing the killed process left is trusted: no extracted folder without a manifest...
    for folder in brainio_home.rglob("stimulus_demo_shapes"):
        zip_path = folder.with_name("stimulus_demo_shapes.zip")
        assert Cache(brainio_home)._extraction_problem(zip_path, folder) is None

    again = brainio("get", "demo.shapes")

    assert again.returncode == 0, again.stderr
    assert "StimulusSet 'demo.shapes': 48 stimuli" in again.stdout
    assert cache_leftovers(brainio_home) == []  # the next run cleaned up
    report = cache_report(brainio_home)
    assert report["ok"] and report["checked"] == 2 + 48  # CSV, zip, 48 extracted images


@pytest.mark.parametrize("nth", [1, 2, 3, 4])
def test_killed_while_packaging(nth, tmp_path):
    stimuli = tmp_path / "stimuli"
    stimuli.mkdir()
    for name in "ab":
        (stimuli / f"{name}.png").write_bytes(name.encode() * 100)
    csv = tmp_path / "stimuli.csv"
    csv.write_text("stimulus_id,filename,color\na,a.png,red\nb,b.png,blue\n")
    store, catalog = tmp_path / "store", tmp_path / "lookup.csv"
    store.mkdir()
    args = ["package", "stimulus-set", "lab.Kill2026", "--csv", str(csv)]
    args += ["--stimuli-dir", str(stimuli), "--target", str(store), "--catalog-path", str(catalog)]

    killed = brainio(*args, env={"BRAINIO_KILL_AT": f"atomic:before-rename@{nth}"})
    assert killed.returncode == -signal.SIGKILL, (killed.stdout, killed.stderr)

    assert not catalog.exists()  # the rows come last, after every file is stored
    visible = {p.name: p.read_bytes() for p in store.iterdir() if not p.name.startswith(".")}
    assert set(visible) <= {"stimulus_lab_Kill2026.csv", "stimulus_lab_Kill2026.zip"}
    again = brainio(*args, "--replace")
    assert again.returncode == 0, again.stderr
    assert catalog.read_text().count("lab.Kill2026") == 2
    for name, data in visible.items():  # what was stored before the kill was already whole
        assert (store / name).read_bytes() == data
