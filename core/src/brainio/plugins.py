"""Finding and loading plugins: the pluggy manager and the entry-point scan.

Plugins are found through the entry-point group ``brainio``. Each entry point loads in its
own ``try``: a broken plugin becomes a warning and the others still load. The environment
variable ``BRAINIO_LOAD_PLUGINS`` restricts loading to a comma-separated list of entry-point
names (``""`` loads none); ``BRAINIO_STRICT_PLUGINS=1`` re-raises instead of warning.
"""

from __future__ import annotations

import functools
import importlib.metadata
import logging
import os
import warnings

import pluggy

from brainio import hookspecs

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "brainio"
LOAD_PLUGINS_ENV = "BRAINIO_LOAD_PLUGINS"
STRICT_PLUGINS_ENV = "BRAINIO_STRICT_PLUGINS"


_versions: dict[str, str | None] = {}
"""Distribution version of each plugin loaded from an entry point, by plugin name."""


class PluginLoadWarning(UserWarning):
    """An installed plugin failed to load and was skipped."""


@functools.cache
def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager, with built-ins and installed plugins registered."""
    from brainio import builtin

    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    manager.register(builtin, name="brainio.builtin")
    _load_entry_points(manager)
    manager.check_pending()
    return manager


def _allowed_names() -> set[str] | None:
    value = os.environ.get(LOAD_PLUGINS_ENV)
    if value is None:
        return None
    return {name.strip() for name in value.split(",") if name.strip()}


def _load_entry_points(manager: pluggy.PluginManager) -> None:
    allowed = _allowed_names()
    strict = os.environ.get(STRICT_PLUGINS_ENV, "") not in ("", "0")
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if allowed is not None and entry_point.name not in allowed:
            continue
        if manager.has_plugin(entry_point.name):
            continue
        try:
            plugin = entry_point.load()
            manager.register(plugin, name=entry_point.name)
            _versions[entry_point.name] = getattr(entry_point.dist, "version", None)
        except Exception as error:
            if strict:
                raise
            distribution = getattr(entry_point.dist, "name", "unknown distribution")
            warnings.warn(
                f"BrainIO plugin '{entry_point.name}' ({entry_point.value}, from "
                f"{distribution}) failed to load and was skipped: "
                f"{type(error).__name__}: {error}. Reinstall or uninstall it; set "
                f"{STRICT_PLUGINS_ENV}=1 to see the full traceback.",
                PluginLoadWarning,
                stacklevel=2,
            )
            continue
        logger.debug("loaded plugin %s from %s", entry_point.name, entry_point.value)


def refresh_plugins() -> None:
    """Forget loaded plugins and catalogs, e.g. after installing a catalog package mid-session.

    Catalogs and classes are read once per plugin manager, so they are read again too.
    """
    get_plugin_manager.cache_clear()


def list_plugins() -> list[dict[str, object]]:
    """Name, distribution version and implemented hooks of every registered plugin."""
    manager = get_plugin_manager()
    return [
        {
            "name": name,
            "version": _versions.get(name),
            "hooks": sorted(caller.name for caller in manager.get_hookcallers(plugin) or []),
        }
        for name, plugin in manager.list_name_plugin()
    ]
