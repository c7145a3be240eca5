"""Fixtures of the fault-injection suite: real child processes, distributions and mounts.

Every fault here happens for real in a child process: the ``brainio`` command or a short
Python script, killed with ``SIGKILL`` at a named point (:mod:`brainio.faultpoints`), given a
file size limit (``RLIMIT_FSIZE``), a tiny tmpfs or a read-only bind mount in a private mount
namespace (``unshare -m``: nothing leaks to the rest of the machine, and root cannot write
either), or plugins installed as distributions (a ``*.dist-info`` folder with entry points on
``PYTHONPATH``). Then the test checks the error class and message, and that the cache is
consistent: nothing half-written left, and the next run works.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from brainio_s3.testing import *  # noqa: F403  (the loopback S3 server's fixtures)

sys.path.insert(0, str(Path(__file__).parent))
from fault_tools import run  # noqa: E402


@pytest.fixture(scope="session")
def mounts_work() -> None:
    """Skip unless this machine lets a child mount in its own namespace (as root in CI)."""
    probe = run(["true"], tmpfs={Path("/tmp"): "1m"})
    if probe.returncode != 0:
        pytest.skip(
            f"cannot mount in a private namespace here ({probe.stderr.strip()}); run the "
            "fault-injection suite as root (or with CAP_SYS_ADMIN), as CI does"
        )


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A folder for fake distributions; put it on the child's ``PYTHONPATH``."""
    folder = tmp_path / "site"
    folder.mkdir()
    return folder


@pytest.fixture
def install_distribution(site: Path) -> Callable[..., dict[str, str]]:
    """``install_distribution(name, modules, entry_points)``: a real (fake) distribution.

    ``modules`` maps file names to source (dedented), ``entry_points`` is the text of
    ``entry_points.txt``. Returns the environment a child needs to see it.
    """

    def install(name: str, modules: Mapping[str, str], entry_points: str) -> dict[str, str]:
        for filename, source in modules.items():
            path = site / filename
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(source))
        dist = site / f"{name}-1.0.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
        (dist / "entry_points.txt").write_text(textwrap.dedent(entry_points))
        return {"PYTHONPATH": str(site)}

    return install


CATALOG_PLUGIN = """
    from pathlib import Path

    import brainio
    from brainio.catalogs import Catalog


    @brainio.hookimpl
    def brainio_catalogs(register):
        register(Catalog.from_files({name!r}, Path(__file__).with_name({folder!r}) / "lookup.csv"))
"""


@pytest.fixture
def install_catalog(site: Path, install_distribution) -> Callable[..., tuple[dict, Path]]:
    """``install_catalog(name, lookup_bytes, files={})``: a catalog package as a distribution.

    Returns the child environment and the catalog's folder (holding ``lookup.csv`` and
    ``files``, which rows with location type ``local`` can name relative to it).
    """

    def install(
        name: str, lookup: bytes, files: Mapping[str, bytes] | None = None
    ) -> tuple[dict[str, str], Path]:
        folder = site / f"{name}_data"
        folder.mkdir()
        (folder / "lookup.csv").write_bytes(lookup)
        for filename, data in (files or {}).items():
            (folder / filename).write_bytes(data)
        env = install_distribution(
            f"{name}_catalog",
            {f"{name}_catalog.py": CATALOG_PLUGIN.format(name=name, folder=folder.name)},
            f"[brainio]\n{name} = {name}_catalog\n",
        )
        return env, folder

    return install
