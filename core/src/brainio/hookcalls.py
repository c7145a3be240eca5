"""Calling a hook one plugin at a time, so one plugin that raises is set aside alone.

pluggy calls every implementation of a hook in one go and lets the first exception end the
call, so a single broken plugin would take down every catalog or fetcher. :func:`each_result`
calls the implementations in pluggy's own order (last registered and ``tryfirst`` first),
hands a raising one to ``on_error`` and goes on with the next.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pluggy

__all__ = ["each_result"]


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
