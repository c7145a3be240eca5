"""Fixtures shared by every test folder.

Every test gets its own empty ``BRAINIO_HOME`` (the cache), so tests never see each other's
downloads or the user's real cache.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = ["brainio_s3.testing"]  # moto S3 server fixtures, see that module


@pytest.fixture(autouse=True)
def brainio_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty BRAINIO_HOME for each test."""
    home = tmp_path_factory.mktemp("brainio_home")
    monkeypatch.setenv("BRAINIO_HOME", str(home))
    return home


@pytest.fixture
def register_plugin() -> Iterator:
    """Register an in-test plugin object (with ``@brainio.hookimpl`` methods) for one test.

    Usage: ``register_plugin(MyPlugin())``. Catalog and class caches are refreshed on
    registration and again when the test ends.
    """
    from brainio import classes, lookup
    from brainio.plugins import get_plugin_manager

    manager = get_plugin_manager()
    registered = []

    def register(plugin: object, name: str | None = None) -> object:
        manager.register(plugin, name=name)
        registered.append(plugin)
        classes.refresh()
        lookup.refresh()
        return plugin

    yield register
    for plugin in registered:
        with contextlib.suppress(ValueError):
            manager.unregister(plugin)
    classes.refresh()
    lookup.refresh()
