"""Resolving the ``class`` cell of a catalog row to a Python class.

The core's classes and those plugins contribute through the ``brainio_classes`` hook share
one registry, so a catalog can name a class from any installed plugin.
"""

from __future__ import annotations

import functools
import logging

from brainio.errors import CatalogError
from brainio.plugins import get_plugin_manager, warn_clash

logger = logging.getLogger(__name__)


@functools.cache
def registered_classes() -> dict[str, type]:
    """Every class a catalog row may name, by class name."""
    classes: dict[str, type] = {}

    def register(cls: type) -> None:
        name = cls.__name__
        if name in classes and classes[name] is not cls:
            warn_clash("a class named", name, classes[name].__module__, [cls.__module__])
            return
        classes[name] = cls

    get_plugin_manager().hook.brainio_classes(register=register)
    return classes


def resolve(name: str, where: str = "") -> type:
    """The class registered under ``name``; ``where`` says which catalog row asked for it."""
    classes = registered_classes()
    try:
        return classes[name]
    except KeyError:
        known = ", ".join(sorted(classes))
        origin = f" (named in {where})" if where else ""
        raise CatalogError(
            f"Unknown class '{name}'{origin}. Known classes: {known}. "
            "Fix the catalog's 'class' cell, or install the plugin that provides this class."
        ) from None


def refresh() -> None:
    """Forget the registry, e.g. after registering a plugin at run time."""
    registered_classes.cache_clear()
