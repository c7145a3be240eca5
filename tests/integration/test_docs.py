"""The documentation stays true: the CLI reference matches the commands."""

from __future__ import annotations

import importlib.util
from pathlib import Path

DOCS = Path(__file__).parents[2] / "docs"


def test_cli_reference_is_current():
    spec = importlib.util.spec_from_file_location("generate", DOCS / "generate_cli_reference.py")
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    assert (DOCS / "cli.md").read_text() == generate.render(), (
        "docs/cli.md is out of date: run `python docs/generate_cli_reference.py`"
    )
