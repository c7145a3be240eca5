"""Fixtures shared by every test folder; they need brainio-core only.

Every test gets its own empty ``BRAINIO_HOME`` (the cache), so tests never see each other's
downloads or the user's real cache. Folders that test a plugin add that plugin's fixtures in
their own ``conftest.py`` (e.g. the S3 server of ``brainio_s3.testing``), so each folder needs
only the distributions it tests.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

import brainio
from brainio.catalogs import Catalog


@pytest.fixture(autouse=True)
def brainio_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty BRAINIO_HOME for each test."""
    home = tmp_path_factory.mktemp("brainio_home")
    monkeypatch.setenv("BRAINIO_HOME", str(home))
    return home


@pytest.fixture
def register_plugin() -> Iterator[Callable[..., object]]:
    """Register an in-test plugin object (with ``@brainio.hookimpl`` methods) for one test.

    Usage: ``register_plugin(MyPlugin())``. The plugin is validated as installed plugins are,
    and asked before them. Catalog and class caches are refreshed on registration and again
    when the test ends.
    """
    from brainio import classes, lookup
    from brainio.plugins import get_plugin_manager, validate_plugin

    manager = get_plugin_manager()
    registered = []

    def register(plugin: object, name: str | None = None) -> object:
        manager.register(plugin, name=name)
        registered.append(plugin)
        validate_plugin(manager, plugin)
        classes.refresh()
        lookup.refresh()
        return plugin

    yield register
    for plugin in registered:
        with contextlib.suppress(ValueError):
            manager.unregister(plugin)
    classes.refresh()
    lookup.refresh()


class CatalogPlugin:
    """The in-test plugin contributing catalogs: ``Catalog`` objects, or ``(name, lookup_csv)``
    pairs read each time catalogs are read (as an installed package's file would be).

    Replace ``catalogs`` and call ``brainio.lookup.refresh()`` to change them mid-test.
    """

    def __init__(self, *catalogs: Catalog | tuple[str, Path]) -> None:
        self.catalogs = list(catalogs)

    @brainio.hookimpl
    def brainio_catalogs(self, register: Callable[[Catalog], None]) -> None:
        for catalog in self.catalogs:
            register(catalog if isinstance(catalog, Catalog) else Catalog.from_files(*catalog))


@pytest.fixture
def register_catalogs(register_plugin: Callable[..., object]) -> Callable[..., CatalogPlugin]:
    """``register_catalogs(*catalogs)``: make catalogs (see :class:`CatalogPlugin`) installed
    for one test; returns the plugin holding them."""

    def register(*catalogs: Catalog | tuple[str, Path]) -> CatalogPlugin:
        plugin = CatalogPlugin(*catalogs)
        register_plugin(plugin)
        return plugin

    return register


@pytest.fixture
def install_distribution(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Path]]:
    """``install_distribution(name, modules, entry_points) -> folder``: a really installed
    distribution (modules and a ``.dist-info`` in a folder put first on ``sys.path`` and on
    ``PYTHONPATH``), seen by ``importlib.metadata`` in this process and in subprocesses.

    :param modules: module name -> source (dedented), e.g. ``{"my_plugin": "..."}``.
    :param entry_points: group -> {entry-point name -> ``module[:attribute]``}.

    Each call installs into its own folder, so the order of calls is the order on
    ``sys.path`` (the "installation order"). Plugins and catalogs are refreshed after each
    install and when the test ends; the modules are forgotten then.
    """
    from brainio.plugins import refresh_plugins

    installed_modules: list[str] = []

    def install(
        name: str, modules: Mapping[str, str], entry_points: Mapping[str, Mapping[str, str]]
    ) -> Path:
        folder = tmp_path_factory.mktemp(f"site-{name}")
        for module, source in modules.items():
            (folder / f"{module}.py").write_text(textwrap.dedent(source))
            installed_modules.append(module)
        dist_info = folder / f"{name.replace('-', '_')}-1.0.dist-info"
        dist_info.mkdir()
        (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
        lines = []
        for group, points in entry_points.items():
            lines.append(f"[{group}]")
            lines.extend(f"{point} = {target}" for point, target in points.items())
        (dist_info / "entry_points.txt").write_text("\n".join(lines) + "\n")
        monkeypatch.syspath_prepend(str(folder))
        monkeypatch.setenv("PYTHONPATH", str(folder), prepend=os.pathsep)
        refresh_plugins()
        return folder

    yield install
    for module in installed_modules:
        sys.modules.pop(module, None)
    refresh_plugins()


@pytest.fixture
def run_python() -> Callable[..., subprocess.CompletedProcess]:
    """``run_python(code, **env)``: run dedented ``code`` in a fresh interpreter (this test's
    environment plus ``env``) and return the completed process, output as text."""

    def run(code: str, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code)],
            capture_output=True,
            text=True,
            env={**os.environ, **env},
            timeout=120,
        )

    return run
