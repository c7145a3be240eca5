"""Build-time code (the catalog generators in ``scripts/`` and ``plugins/*/scripts/``) ships in
no distribution: the installed catalog packages never import it."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

BUILD_IMPORTS = re.compile(r"^\s*(from|import)\s+(brainscore_catalog|make_\w+_catalog)\b", re.M)


@pytest.mark.parametrize("package", ["brainio_vision", "brainio_language"])
def test_installed_catalog_packages_need_no_build_code(package: str):
    folder = Path(importlib.import_module(package).__file__).parent
    for source in folder.rglob("*.py"):
        assert not BUILD_IMPORTS.search(source.read_text()), source
    assert not list(folder.rglob("*catalog*.py")), "a generator is inside the package"
