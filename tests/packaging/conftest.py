"""Helpers for the packaging tests: small real stimulus files, assemblies and CLI runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from PIL import Image

from brainio.stimuli import StimulusSet

HEADER = "identifier,lookup_type,class,location_type,location,sha1,stimulus_set_identifier\n"

# Until the lead adds the commands to the `brainio` group, attach them here; the `brainio`
# group (brainio.cli.cli) gives BrainIO errors as one line with exit status 1.
_CLI = (
    "import sys\n"
    "from brainio.cli import build_cli\n"
    "from brainio.cli.package import new_catalog, package\n"
    "cli = build_cli()\n"
    "cli.commands.setdefault('package', package)\n"
    "cli.commands.setdefault('new-catalog', new_catalog)\n"
    "cli(prog_name='brainio')\n"
)


def _make_stimuli(folder: Path, count: int = 4, prefix: str = "s") -> StimulusSet:
    """``count`` tiny PNG files in ``folder`` and the proto stimulus set describing them."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for index in range(count):
        stimulus_id = f"{prefix}{index}"
        path = folder / f"{stimulus_id}.png"
        Image.fromarray(np.full((4, 4), index * 10, np.uint8)).save(path)
        paths[stimulus_id] = path
    stimulus_set = StimulusSet(
        {
            "stimulus_id": list(paths),
            "category": ["a", "b"] * (count // 2) + ["a"] * (count % 2),
            "size": np.arange(count, dtype=float),
        }
    )
    stimulus_set.stimulus_paths = paths
    return stimulus_set


def _make_assembly(stimulus_ids: list[str], repetitions: int = 2) -> xr.DataArray:
    """A presentation x neuroid DataArray over ``stimulus_ids``."""
    ids = list(stimulus_ids) * repetitions
    return xr.DataArray(
        np.arange(len(ids) * 3, dtype="float32").reshape(len(ids), 3),
        dims=["presentation", "neuroid"],
        coords={
            "stimulus_id": ("presentation", ids),
            "repetition": ("presentation", np.repeat(np.arange(repetitions), len(stimulus_ids))),
            "neuroid_id": ("neuroid", ["n0", "n1", "n2"]),
            "region": ("neuroid", ["V4", "IT", "IT"]),
        },
    )


def _run_cli(
    *args: str, cwd: Path | None = None, env: dict | None = None, check: bool = True
) -> subprocess.CompletedProcess:
    """Run the ``brainio`` command line in a subprocess."""
    result = subprocess.run(
        [sys.executable, "-c", _CLI, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=120,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"brainio {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture
def make_stimuli():
    """``make_stimuli(folder, count=4, prefix="s")``: PNG files and their proto stimulus set."""
    return _make_stimuli


@pytest.fixture
def make_assembly():
    """``make_assembly(stimulus_ids, repetitions=2)``: a presentation x neuroid DataArray."""
    return _make_assembly


@pytest.fixture
def run_cli():
    """``run_cli(*args, cwd=None, env=None, check=True)``: the brainio CLI in a subprocess."""
    return _run_cli


@pytest.fixture
def stimuli(tmp_path: Path) -> StimulusSet:
    return _make_stimuli(tmp_path / "stimuli")


@pytest.fixture
def catalog_path(tmp_path: Path) -> Path:
    path = tmp_path / "catalog" / "lookup.csv"
    path.parent.mkdir()
    path.write_text(HEADER)
    return path


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture
def install_project():
    """``install(project, site)``: pip-install a generated catalog project editable into
    ``site`` (never into the shared environment); returns ``site`` for ``PYTHONPATH``."""

    def install(project: Path, site: Path) -> str:
        """Install ``project`` editable into ``site`` (never into the shared environment)."""
        install = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--no-deps",
                "--no-build-isolation",
                "-q",
                "--target",
                str(site),
                "-e",
                str(project),
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert install.returncode == 0, install.stderr
        return str(site)  # --target skips the editable .pth: callers add src/ to the path

    return install
