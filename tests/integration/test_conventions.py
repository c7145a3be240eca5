"""Conventions every distribution keeps: typed (``py.typed``), no unused core dependencies."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = {
    "core": "brainio",
    "plugins/local": "brainio_local",
    "plugins/s3": "brainio_s3",
    "plugins/vision": "brainio_vision",
    "plugins/language": "brainio_language",
    "plugins/laion_fmri": "laion_fmri",
    "plugins/submission": "brainio_submission",
}
# distribution name -> import name, where they differ
IMPORT_NAMES = {"netCDF4": "netCDF4", "pyyaml": "yaml", "pillow": "PIL"}


@pytest.mark.parametrize(("folder", "package"), sorted(PACKAGES.items()))
def test_every_distribution_is_typed(folder, package):
    assert (REPO / folder / "src" / package / "py.typed").is_file()


def _imported_top_level_modules(package_dir: Path) -> set[str]:
    found = set()
    for path in package_dir.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found


def test_core_imports_every_dependency_it_declares():
    project = tomllib.loads((REPO / "core" / "pyproject.toml").read_text())["project"]
    imported = _imported_top_level_modules(REPO / "core" / "src" / "brainio")
    for requirement in project["dependencies"]:
        name = requirement.split(">")[0].split("=")[0].split("[")[0].strip()
        module = IMPORT_NAMES.get(name, name.replace("-", "_"))
        assert module in imported, f"brainio-core declares {name} but never imports it"


def test_the_configuration_page_lists_every_environment_variable():
    import re

    import attrs

    from brainio_s3.config import PREFIX, S3ClientConfig

    page = (REPO / "docs" / "configuration.md").read_text()
    read = set()
    for folder in PACKAGES:
        for path in (REPO / folder / "src").rglob("*.py"):
            read |= set(
                re.findall(
                    r"[\"']((?:BRAINIO|LAION_FMRI)_[A-Z0-9_]*[A-Z0-9])[\"']",
                    path.read_text(encoding="utf-8"),
                )
            )
    for field in attrs.fields(S3ClientConfig):
        if field.name not in ("unsigned", "force_path_style", "profile"):
            read.add(PREFIX + ("ENDPOINT_URL" if field.name == "endpoint" else field.name.upper()))
    read.discard("BRAINIO_S3")  # the prefix itself
    missing = sorted(name for name in read if f"`{name}`" not in page)
    assert not missing, f"docs/configuration.md does not list {missing}"
