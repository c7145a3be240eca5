"""``brainio list`` and ``brainio info`` show the Brain-Score vision catalog (as subprocesses)."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def brainio(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "BRAINIO_LOAD_PLUGINS"}
    result = subprocess.run(
        [sys.executable, "-m", "brainio.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result


def test_list_shows_every_public_vision_data_set(facts):
    listed = json.loads(brainio("list", "--json").stdout)
    public = {
        (row["lookup_type"], row["identifier"])
        for row in _catalog_rows()
        if row["access"] == "public"
    }
    assert {i for kind, i in public if kind == "assembly"} <= set(listed["assemblies"])
    assert {i for kind, i in public if kind == "stimulus_set"} <= set(listed["stimulus_sets"])
    expected = {f["identifier"] for f in facts if f["plugin"] != "zhang2018"}
    assert expected <= set(listed["assemblies"]) | set(listed["stimulus_sets"])
    assert "dicarlo.MajajHong2015.public" in listed["assemblies"]
    assert "hvm-public" in listed["stimulus_sets"]


def test_list_by_catalog_and_info_show_registry_names():
    text = brainio("list", "--catalog", "brainscore_vision").stdout
    assert "assemblies (143):" in text and "stimulus sets (152):" in text
    info = json.loads(brainio("info", "dicarlo.MajajHong2015.public", "--json").stdout)
    assert info["registry_key"] == "MajajHong2015.public"
    assert info["access"] == "public"
    assert info["stimulus_set_identifier"] == "hvm-public"
    assert info["files"][0]["location"] == (
        "https://brainscore-storage.s3.amazonaws.com/brainio-brainscore/"
        "assy_dicarlo_MajajHong2015_public.nc"
    )


def _catalog_rows() -> list[dict[str, str]]:
    import csv

    from brainio_vision.plugin import CATALOG_PATH

    with open(CATALOG_PATH, newline="") as file:
        return list(csv.DictReader(file))
