"""Calling a hook one plugin at a time, so one plugin that raises is set aside alone.

pluggy calls every implementation of a hook in one go and lets the first exception end the
call, so a single broken plugin would take down every catalog, fetcher or loader.
:func:`each_result` calls the implementations in pluggy's own order (last registered and
``tryfirst`` first), hands a raising one to ``on_error`` and goes on with the next;
:func:`first_result` does the same for ``firstresult`` hooks, warning about a raising plugin.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pluggy

from brainio.errors import PluginMissingError
from brainio.plugins import STRICT_PLUGINS_ENV, PluginLoadWarning

__all__ = ["each_result", "first_result"]


def each_result(
    hook: pluggy.HookCaller, on_error: Callable[[str, Exception], None], **kwargs: Any
) -> Iterator[tuple[str, Any]]:
    """``(plugin name, result)`` of each implementation of ``hook`` that did not raise.

    ``on_error(plugin_name, error)`` is called for one that raised (it may re-raise). Lazy:
    stop iterating at the first useful result to get ``firstresult`` behaviour.
    """
    for implementation in reversed(hook.get_hookimpls()):
        if implementation.hookwrapper or implementation.wrapper:
            continue  # wrappers wrap a whole call; BrainIO's hooks define none
        arguments = [kwargs[name] for name in implementation.argnames]
        try:
            result = implementation.function(*arguments)
        except Exception as error:
            on_error(implementation.plugin_name, error)
            continue
        yield implementation.plugin_name, result


def first_result(hook: pluggy.HookCaller, wanted: str, **kwargs: Any) -> tuple[Any, list[str]]:
    """The first result of ``hook`` that is not ``None``, and the plugins that raised.

    A plugin that raises is skipped with a :class:`PluginLoadWarning` (``wanted`` says what
    it was asked for, e.g. ``"a fetcher of location_type 'S3'"``); with
    ``BRAINIO_STRICT_PLUGINS=1`` it raises :class:`PluginMissingError` instead.
    """
    failed: list[str] = []

    def skip(plugin: str, error: Exception) -> None:
        message = (
            f"BrainIO plugin '{plugin}' raised {type(error).__name__}: {error} when asked for "
            f"{wanted}; it was skipped. Update or uninstall the plugin, or report it to its "
            "maintainers."
        )
        if os.environ.get(STRICT_PLUGINS_ENV, "") not in ("", "0"):
            raise PluginMissingError(message) from error
        warnings.warn(message, PluginLoadWarning, stacklevel=5)
        failed.append(plugin)

    for _, result in each_result(hook, skip, **kwargs):
        if result is not None:
            return result, failed
    return None, failed
