"""Finding data from the command line (run as a subprocess): ``list PATTERN``, ``info``, ``get``.

Also the conventions every command follows: global flags after the command, ``--json``,
one-line errors, and a size shown (and confirmed when large) before a download starts.
"""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time

import pytest


def brainio(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "brainio", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def test_list_takes_a_substring_or_a_glob():
    substring = brainio("list", "shapes")
    assert substring.returncode == 0, substring.stderr
    assert "demo.shapes" in substring.stdout and "demo.Shapes2026" in substring.stdout
    glob = json.loads(brainio("list", "demo.*20??", "--json").stdout)
    assert glob == {"assemblies": ["demo.Shapes2026"], "stimulus_sets": []}
    nothing = brainio("list", "no-such-thing")
    assert nothing.returncode == 0 and "Nothing matches 'no-such-thing'" in nothing.stdout


def test_list_with_both_kind_flags_shows_both():
    both = json.loads(brainio("list", "--assemblies", "--stimulus-sets", "--json").stdout)
    assert "demo.Shapes2026" in both["assemblies"] and "demo.shapes" in both["stimulus_sets"]
    by_type = json.loads(brainio("list", "--type", "assembly", "--json").stdout)
    assert list(by_type) == ["assemblies"]


def test_list_shows_registry_names_and_catalog():
    text = brainio("list", "MajajHong2015.public", "--catalog", "brainscore_vision").stdout
    line = next(line for line in text.splitlines() if "dicarlo.MajajHong2015.public" in line)
    assert "MajajHong2015.public" in line.replace("dicarlo.MajajHong2015.public", "")
    assert "[brainscore_vision]" in line


def test_info_shows_the_card_then_cache_status_changes_after_get():
    before = json.loads(brainio("info", "demo.Shapes2026", "--json").stdout)
    assert before["class_name"] == "NeuronRecordingAssembly" and before["cached"] is False
    assert before["files"][0]["size"] is None  # unknown until fetched (no size column)
    got = brainio("get", "demo.Shapes2026", "--json")
    assert got.returncode == 0, got.stderr
    fetched = json.loads(got.stdout)
    assert fetched["cached"] is True and fetched["dims"]["neuroid"] > 0
    assert "fetching 3 file(s), " in got.stderr and " kB." in got.stderr  # sizes from storage
    text = brainio("info", "demo.shapes").stdout
    assert "stimuli:      48" in text and "cached:       yes" in text and "kB" in text


def install_catalog_for_subprocesses(folder, name: str, csv_text: str) -> dict:
    """A catalog plugin the ``brainio`` subprocess finds by entry point (via PYTHONPATH)."""
    (folder / "lookup.csv").write_text(csv_text)
    (folder / f"{name}_plugin.py").write_text(
        "from pathlib import Path\nimport brainio\nfrom brainio.catalogs import Catalog\n"
        "@brainio.hookimpl\ndef brainio_catalogs(register):\n"
        f"    register(Catalog.from_files({name!r}, Path(__file__).with_name('lookup.csv')))\n"
    )
    dist = folder / f"{name}_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[brainio]\n{name} = {name}_plugin\n")
    return {"PYTHONPATH": str(folder)}


def test_get_reports_the_size_before_it_starts(tmp_path):
    from brainio.hashing import sha1_hash

    data = tmp_path / "assy_big.nc"
    data.write_bytes(b"x" * 1000)
    env = install_catalog_for_subprocesses(
        tmp_path,
        "bigcat",
        "identifier,lookup_type,class,location_type,location,sha1,stimulus_set_identifier,size\n"
        f"big.One,assembly,DataAssembly,local,assy_big.nc,{sha1_hash(data)},,2500000000\n",
    )
    info = json.loads(brainio("info", "big.One", "--json", env=env).stdout)
    assert info["size"] == 2_500_000_000 and info["catalog"] == "bigcat"
    result = brainio("get", "big.One", env=env)
    assert "big.One: fetching 1 file(s), 2.5 GB." in result.stderr  # before it fails to load


def _run_in_terminal(args: list[str], answer: str, env: dict) -> tuple[int, str]:
    """Run ``brainio ARGS`` with stdin and stderr on a pseudo-terminal; answer its question."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "brainio", *args],
        stdin=follower,
        stdout=subprocess.PIPE,
        stderr=follower,
        env={**os.environ, **env},
        close_fds=True,
    )
    os.close(follower)
    seen, answered, deadline = b"", False, time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
            if not answered and b"[y/N]" in seen:
                os.write(leader, answer.encode() + b"\n")
                answered = True
        elif process.poll() is not None:
            break
    process.wait(timeout=60)
    os.close(leader)
    return process.returncode, seen.decode(errors="replace")


@pytest.mark.parametrize(("answer", "status"), [("n", 1), ("y", 0)])
def test_get_asks_above_the_threshold_when_a_person_is_at_the_terminal(answer, status):
    from brainio.cache import get_cache
    from brainio.lookup import lookup_assembly

    code, seen = _run_in_terminal(
        ["get", "demo.Shapes2026"], answer, {"BRAINIO_CONFIRM_SIZE": "0", "BRAINIO_PROGRESS": "0"}
    )
    assert "Download" in seen and "[y/N]" in seen
    assert code == status, seen
    assert get_cache().is_cached(lookup_assembly("demo.Shapes2026").source) is (answer == "y")


def test_get_does_not_ask_without_a_terminal_or_with_yes():
    result = brainio("get", "demo.shapes", env={"BRAINIO_CONFIRM_SIZE": "0"})
    assert result.returncode == 0 and "[y/N]" not in result.stderr
    code, seen = _run_in_terminal(
        ["get", "demo.shapes", "--yes"], "n", {"BRAINIO_CONFIRM_SIZE": "0"}
    )
    assert code == 0 and "[y/N]" not in seen


def test_bad_confirm_size_is_a_usage_error():
    result = brainio("get", "demo.shapes", env={"BRAINIO_CONFIRM_SIZE": "lots"})
    assert result.returncode == 2
    assert "BRAINIO_CONFIRM_SIZE='lots' is not a number of bytes" in result.stderr


@pytest.mark.parametrize("flag_first", [True, False])
def test_global_flags_are_accepted_after_the_command(flag_first):
    args = ["-v", "get", "demo.shapes"] if flag_first else ["get", "demo.shapes", "-v"]
    result = brainio(*args)
    assert result.returncode == 0, result.stderr
    assert "INFO brainio" in result.stderr  # -v turned on info logging


def test_unknown_identifier_in_info_is_one_line():
    result = brainio("info", "demo.Shapes2025")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "did you mean 'demo.Shapes2026'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
