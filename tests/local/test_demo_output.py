"""``brainio demo --output`` refuses a file type it cannot write, in one line, before loading."""

from __future__ import annotations

import os
import subprocess
import sys


def test_demo_with_an_unsupported_output_type_is_a_one_line_error(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "brainio", "demo", "--output", str(tmp_path / "plot.txt")],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ),
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "cannot write a plot to" in result.stderr and ".png" in result.stderr
    assert "--output" in result.stderr
    assert result.stdout == ""  # refused before loading anything
    assert not (tmp_path / "plot.txt").exists()


def test_demo_writes_other_supported_types(tmp_path):
    output = tmp_path / "plot.svg"
    result = subprocess.run(
        [sys.executable, "-m", "brainio", "demo", "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ),
    )
    assert result.returncode == 0, result.stderr
    assert output.read_text().lstrip().startswith("<?xml")
