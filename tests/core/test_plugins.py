"""The plugin system: hook specs, entry points, broken plugins, cheap imports."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import textwrap

import pluggy
import pytest

import brainio
from brainio import hookspecs
from brainio.plugins import get_plugin_manager


def _specs():
    return [
        (name, function)
        for name, function in inspect.getmembers(hookspecs, inspect.isfunction)
        if name.startswith("brainio_")
    ]


def test_every_hook_spec_is_documented():
    specs = _specs()
    assert {name for name, _ in specs} >= {
        "brainio_catalogs",
        "brainio_classes",
        "brainio_fetcher",
        "brainio_loader",
        "brainio_uploader",
        "brainio_register_commands",
    }
    for name, function in specs:
        doc = inspect.getdoc(function) or ""
        options = function.brainio_spec
        for parameter in inspect.signature(function).parameters:
            assert f":param {parameter}:" in doc, (name, parameter)
        assert "Implementing this hook" in doc, name
        firstresult = options.get("firstresult", False)
        assert ("Stops at first non-None result." in doc) == firstresult, name
        # contributing hooks get a register callback; choosing hooks are firstresult
        assert (
            "register" in inspect.signature(function).parameters
        ) != firstresult or name == "brainio_register_commands", name


def test_misspelled_hook_implementation_fails_loudly():
    class Typo:
        @brainio.hookimpl
        def brainio_fetchers(self, location_type, location):
            return None

    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    manager.register(Typo())
    with pytest.raises(pluggy.PluginValidationError, match="brainio_fetchers"):
        manager.check_pending()


def test_an_installed_plugin_overrides_the_builtin_loader(register_plugin):
    from brainio.records import LookupRow

    sentinel = object()

    class Override:
        @brainio.hookimpl
        def brainio_loader(self, row):
            return sentinel if row.catalog == "mine" else None

    register_plugin(Override())
    hook = get_plugin_manager().hook.brainio_loader
    mine = LookupRow("x", "assembly", "DataAssembly", "local", "x.nc", "a" * 40, catalog="mine")
    other = LookupRow("x", "assembly", "DataAssembly", "local", "x.nc", "a" * 40, catalog="other")
    assert hook(row=mine) is sentinel
    assert hook(row=other) is not sentinel and callable(hook(row=other))


def _run(code: str, **env_extra) -> subprocess.CompletedProcess:
    env = {**os.environ, **env_extra}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def _fake_plugin(tmp_path, name: str, body: str) -> None:
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(body))
    dist = tmp_path / f"{name}-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[brainio]\n{name} = {name}\n")


def test_broken_plugin_warns_and_the_rest_load(tmp_path):
    _fake_plugin(tmp_path, "broken_plugin", "raise ImportError('missing dependency xyz')\n")
    result = _run(
        "from brainio.plugins import list_plugins; print([p['name'] for p in list_plugins()])",
        PYTHONPATH=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert "plugin 'broken_plugin'" in result.stderr and "missing dependency xyz" in result.stderr
    assert "brainio.builtin" in result.stdout and "'local'" in result.stdout


def test_strict_mode_reraises(tmp_path):
    _fake_plugin(tmp_path, "broken_plugin", "raise ImportError('missing dependency xyz')\n")
    result = _run(
        "from brainio.plugins import get_plugin_manager; get_plugin_manager()",
        PYTHONPATH=str(tmp_path),
        BRAINIO_STRICT_PLUGINS="1",
    )
    assert result.returncode != 0 and "missing dependency xyz" in result.stderr


def test_load_plugins_allow_list(tmp_path):
    _fake_plugin(
        tmp_path,
        "extra_plugin",
        """
        import brainio
        @brainio.hookimpl
        def brainio_uploader(target):
            return None
    """,
    )
    code = (
        "from brainio.plugins import list_plugins; print(sorted(p['name'] for p in list_plugins()))"
    )
    none = _run(code, PYTHONPATH=str(tmp_path), BRAINIO_LOAD_PLUGINS="")
    assert none.stdout.strip() == "['brainio.builtin']", none.stderr
    only = _run(code, PYTHONPATH=str(tmp_path), BRAINIO_LOAD_PLUGINS="extra_plugin")
    assert only.stdout.strip() == "['brainio.builtin', 'extra_plugin']", only.stderr


def test_import_is_cheap():
    """Importing brainio and loading plugins imports no heavy optional dependency."""
    result = _run("""
        import sys
        import brainio
        from brainio.plugins import get_plugin_manager
        get_plugin_manager()
        heavy = ("boto3", "torch", "dask", "xarray", "matplotlib", "nibabel")
        heavy = [module for module in heavy if module in sys.modules]
        print(heavy)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
