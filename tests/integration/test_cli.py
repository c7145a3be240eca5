"""The ``brainio`` command, run as a subprocess against the demo catalog and a test catalog."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def brainio(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "brainio", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def test_help_lists_core_and_plugin_commands():
    result = brainio("--help")
    assert result.returncode == 0, result.stderr
    for command in ("catalogs", "list", "info", "get", "cache", "plugins", "demo"):
        assert command in result.stdout


def test_catalogs_and_list_json():
    catalogs = json.loads(brainio("catalogs", "--json").stdout)
    assert "brainio_demo" in {entry["name"] for entry in catalogs}
    listed = json.loads(brainio("list", "--json").stdout)
    assert "demo.Shapes2026" in listed["assemblies"]
    assert "demo.shapes" in listed["stimulus_sets"]
    only = json.loads(
        brainio("list", "--stimulus-sets", "--json", "--catalog", "brainio_demo").stdout
    )
    assert list(only) == ["stimulus_sets"] and "demo.shapes" in only["stimulus_sets"]


def test_list_with_no_catalog_installed():
    result = brainio("list", "--json", env={"BRAINIO_LOAD_PLUGINS": ""})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"assemblies": [], "stimulus_sets": []}


def test_info_then_get_then_info_shows_cached():
    before = json.loads(brainio("info", "demo.Shapes2026", "--json").stdout)
    assert before["class_name"] == "NeuronRecordingAssembly" and before["cached"] is False
    got = brainio("get", "demo.Shapes2026")
    assert got.returncode == 0, got.stderr
    assert "NeuronRecordingAssembly 'demo.Shapes2026'" in got.stdout
    assert "presentation" in got.stdout and "neuroid" in got.stdout
    after = json.loads(brainio("info", "demo.Shapes2026", "--json").stdout)
    assert after["cached"] is True


def test_get_stimulus_set_summary():
    result = brainio("get", "demo.shapes")
    assert result.returncode == 0, result.stderr
    assert "StimulusSet 'demo.shapes': 48 stimuli" in result.stdout


@pytest.mark.parametrize("command", ["info", "get"])
def test_unknown_identifier_is_one_line_with_suggestion(command):
    result = brainio(command, "demo.Shapes2025")
    assert result.returncode == 1
    assert "LookupError" in result.stderr and "did you mean 'demo.Shapes2026'" in result.stderr
    assert "Traceback" not in result.stderr


def test_plugins_json():
    entries = json.loads(brainio("plugins", "--json").stdout)
    names = {entry["name"] for entry in entries}
    assert {"brainio.builtin", "local"} <= names
    local = next(entry for entry in entries if entry["name"] == "local")
    assert "brainio_fetcher" in local["hooks"] and local["version"]
