"""``brainio cache info | verify | clean``, run as a real ``brainio`` subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import cache_helpers as helpers  # noqa: E402

from brainio.cache import get_cache  # noqa: E402


def brainio_cache(*args: str, input: str | None = None) -> subprocess.CompletedProcess:
    """Run ``brainio cache ARGS`` with this test's BRAINIO_HOME; no plugins needed."""
    env = {**os.environ, "BRAINIO_LOAD_PLUGINS": "", "BRAINIO_PROGRESS": "0"}
    return subprocess.run(
        [sys.executable, "-m", "brainio", "cache", *args],
        capture_output=True,
        text=True,
        env=env,
        input=input,
        timeout=60,
    )


def _fetch(tmp_path: Path, name: str, data: bytes) -> Path:
    remote = tmp_path / "remote"
    remote.mkdir(exist_ok=True)
    return get_cache().fetch(helpers.make_source(remote / name, data), fetcher=helpers.copy_fetcher)


def test_info_json_lists_entries(brainio_home: Path, tmp_path: Path) -> None:
    path = _fetch(tmp_path, "assy.nc", b"x" * 300)

    result = brainio_cache("info", "--json")

    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["root"] == str(brainio_home)
    assert info["count"] == 1 and info["total_size"] == 300
    (entry,) = info["entries"]
    assert entry["key"] == path.parent.name
    assert entry["files"] == ["assy.nc"]
    assert entry["verified"] is True


def test_info_text(tmp_path: Path) -> None:
    path = _fetch(tmp_path, "assy.nc", b"x" * 300)
    result = brainio_cache("info")
    assert result.returncode == 0, result.stderr
    assert path.parent.name in result.stdout and "assy.nc" in result.stdout
    assert "1 object(s), 300 B in total" in result.stdout


def test_verify_reports_and_removes_corruption(tmp_path: Path) -> None:
    good = _fetch(tmp_path, "good.nc", b"g" * 10)
    assert brainio_cache("verify").returncode == 0
    bad = _fetch(tmp_path, "bad.nc", b"b" * 10)
    bad.write_bytes(b"tampered!!")

    result = brainio_cache("verify", "--json")

    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["checked"] == 2 and report["ok"] is False
    assert [problem["path"] for problem in report["problems"]] == [str(bad)]
    assert not bad.exists() and good.exists()
    text = brainio_cache("verify")
    assert text.returncode == 0 and "1 file(s) checked, all good" in text.stdout


def test_clean_needs_one_choice(tmp_path: Path) -> None:
    for args in ([], ["--all", "--older-than", "3"]):
        result = brainio_cache("clean", "--yes", *args)
        assert result.returncode == 2
        assert "exactly one of --all or --older-than" in result.stderr


def test_clean_asks_first(tmp_path: Path) -> None:
    path = _fetch(tmp_path, "keep.nc", b"k")
    refused = brainio_cache("clean", "--all", input="n\n")
    assert refused.returncode == 1 and "Aborted" in refused.stderr
    assert path.exists()
    agreed = brainio_cache("clean", "--all", input="y\n")
    assert agreed.returncode == 0 and "removed 1 object(s)" in agreed.stdout
    assert not path.exists()


def test_clean_older_than_and_all(tmp_path: Path) -> None:
    old = _fetch(tmp_path, "old.nc", b"o" * 5)
    new = _fetch(tmp_path, "new.nc", b"n" * 7)
    long_ago = time.time() - 30 * 86400
    for path in (old, old.parent / ".old.nc.verified.json"):
        os.utime(path, (long_ago, long_ago))

    result = brainio_cache("clean", "--older-than", "7", "--yes", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [entry["key"] for entry in report["removed"]] == [old.parent.name]
    assert report["freed"] == 5
    assert new.exists() and not old.exists()

    result = brainio_cache("clean", "--all", "--yes")
    assert result.returncode == 0 and "removed 1 object(s), freed 7 B" in result.stdout
    assert json.loads(brainio_cache("info", "--json").stdout)["count"] == 0


@pytest.mark.parametrize("command", ["info", "verify", "clean"])
def test_help(command: str) -> None:
    result = brainio_cache(command, "--help")
    assert result.returncode == 0 and "Usage:" in result.stdout
