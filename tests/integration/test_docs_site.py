"""The docs site: ``mkdocs build --strict`` (run by ``make test``) fails on a broken link."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MKDOCS = Path(sys.executable).with_name("mkdocs")


@pytest.mark.skipif(not MKDOCS.exists(), reason="mkdocs is in the dev group: `make install`")
def test_strict_build_fails_on_a_broken_link(tmp_path):
    copy = tmp_path / "repo"
    shutil.copytree(REPO / "docs", copy / "docs")
    shutil.copy(REPO / "mkdocs.yml", copy / "mkdocs.yml")
    for folder in ("core", "plugins"):  # the API reference reads the sources
        (copy / folder).symlink_to(REPO / folder)
    guide = copy / "docs" / "user-guide.md"
    guide.write_text(guide.read_text() + "\nSee [the missing page](no-such-page.md).\n")
    result = subprocess.run(
        [str(MKDOCS), "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode != 0
    assert "no-such-page.md" in result.stderr + result.stdout
