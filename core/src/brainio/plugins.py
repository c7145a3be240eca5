"""Finding, loading and asking plugins: the pluggy manager and the entry-point scan.

Plugins are found through the entry-point group ``brainio`` and registered in the order of
their names, whatever order they were installed in. Each entry point loads and is validated
in its own ``try``: a plugin that fails to import, or implements a hook name the core does not
know (``brainio_fetchers``), becomes one warning and the others still load. The environment
variable ``BRAINIO_LOAD_PLUGINS`` restricts loading to a comma-separated list of entry-point
names (``""`` loads none); ``BRAINIO_STRICT_PLUGINS=1`` re-raises instead of warning.

Hooks that choose one implementation are asked through :func:`choose` (and the ``find_*``
functions built on it), which reports two plugins answering for the same input through
:func:`warn_clash`, the one path for every clash between plugins.
"""

from __future__ import annotations

import difflib
import functools
import importlib.metadata
import logging
import os
import warnings
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, cast

import pluggy

from brainio import hookspecs
from brainio.errors import PluginMissingError

if TYPE_CHECKING:
    from brainio.protocols import AssemblyLoader, Fetcher, Opener, StimulusSetLoader, Uploader
    from brainio.records import LookupRow, Source

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "brainio"
LOAD_PLUGINS_ENV = "BRAINIO_LOAD_PLUGINS"
STRICT_PLUGINS_ENV = "BRAINIO_STRICT_PLUGINS"
BUILTIN = "brainio.builtin"
"""Name under which the core's own hook implementations are registered (asked last)."""

PLUGIN_DISTRIBUTIONS = {"s3": "brainio-s3", "local": "brainio-local", "file": "brainio-local"}
"""The distribution to install for a location type or URL scheme no plugin handles."""

_versions: dict[str, str | None] = {}
"""Distribution version of each plugin loaded from an entry point, by plugin name."""

_clashes_reported: set[tuple[str, str, tuple[str, ...]]] = set()


class PluginLoadWarning(UserWarning):
    """An installed plugin failed to load and was skipped."""


class PluginClashWarning(PluginLoadWarning):
    """Two plugins provide the same thing (a location type, a catalog name, a class name)."""


@functools.cache
def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager, with built-ins and installed plugins registered."""
    from brainio import builtin

    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    manager.register(builtin, name=BUILTIN)
    _load_entry_points(manager)
    return manager


def _allowed_names() -> set[str] | None:
    value = os.environ.get(LOAD_PLUGINS_ENV)
    if value is None:
        return None
    return {name.strip() for name in value.split(",") if name.strip()}


def _distribution(entry_point: importlib.metadata.EntryPoint) -> str:
    return getattr(entry_point.dist, "name", None) or "unknown distribution"


def _entry_points() -> list[importlib.metadata.EntryPoint]:
    """The group's entry points by name, one per name (the same whatever the install order)."""
    found = sorted(
        importlib.metadata.entry_points(group=ENTRY_POINT_GROUP),
        key=lambda entry_point: (entry_point.name, _distribution(entry_point), entry_point.value),
    )
    chosen: dict[str, importlib.metadata.EntryPoint] = {}
    for entry_point in found:
        first = chosen.setdefault(entry_point.name, entry_point)
        if first is not entry_point:
            warn_clash(
                "the plugin name",
                entry_point.name,
                f"{first.value} from {_distribution(first)}",
                [f"{entry_point.value} from {_distribution(entry_point)}"],
            )
    return list(chosen.values())


def _load_entry_points(manager: pluggy.PluginManager) -> None:
    allowed = _allowed_names()
    strict = os.environ.get(STRICT_PLUGINS_ENV, "") not in ("", "0")
    # pluggy asks the plugin registered last first: register in reverse name order, so the
    # plugins are asked in name order
    for entry_point in reversed(_entry_points()):
        if allowed is not None and entry_point.name not in allowed:
            continue
        try:
            plugin = entry_point.load()
            manager.register(plugin, name=entry_point.name)
            try:
                validate_plugin(manager, plugin)
            except BaseException:
                manager.unregister(plugin)
                raise
            _versions[entry_point.name] = getattr(entry_point.dist, "version", None)
        except Exception as error:
            if strict:
                raise
            warnings.warn(
                f"BrainIO plugin '{entry_point.name}' ({entry_point.value}, from "
                f"{_distribution(entry_point)}) failed to load and was skipped: "
                f"{type(error).__name__}: {error}. Reinstall or uninstall it; set "
                f"{STRICT_PLUGINS_ENV}=1 to see the full traceback.",
                PluginLoadWarning,
                stacklevel=3,
            )
            continue
        logger.debug("loaded plugin %s from %s", entry_point.name, entry_point.value)


def validate_plugin(manager: pluggy.PluginManager, plugin: object) -> None:
    """Raise :class:`pluggy.PluginValidationError` if ``plugin`` implements an unknown hook.

    pluggy's ``check_pending`` does this for all plugins at once; done per plugin, a typo
    disables only the plugin that has it.
    """
    known = sorted(
        name
        for name, caller in vars(manager.hook).items()
        if isinstance(caller, pluggy.HookCaller) and caller.has_spec()
    )
    for caller in manager.get_hookcallers(plugin) or []:
        if caller.has_spec():
            continue
        for impl in caller.get_hookimpls():
            if impl.plugin is plugin and not impl.optionalhook:
                close = difflib.get_close_matches(caller.name, known, n=1)
                hint = f"did you mean '{close[0]}'?" if close else f"known hooks: {known}"
                raise pluggy.PluginValidationError(
                    plugin,
                    f"unknown hook '{caller.name}' ({hint}); rename the function to a hook of "
                    "brainio.hookspecs",
                )


def warn_clash(what: str, key: str, winner: str, losers: list[str]) -> None:
    """Warn (once per process) that several plugins provide ``what`` ``key``; ``winner`` is used."""
    report = (what, key, (winner, *losers))
    if report in _clashes_reported:
        return
    _clashes_reported.add(report)
    warnings.warn(
        f"Several BrainIO plugins provide {what} '{key}': using {winner}, ignoring "
        f"{', '.join(losers)}. Uninstall the one you do not want (a plugin that means to take "
        "over marks its hook @brainio.hookimpl(tryfirst=True)).",
        PluginClashWarning,
        stacklevel=3,
    )


def each_result(
    hook: pluggy.HookCaller, on_error: Callable[[str, Exception], None], **kwargs: Any
) -> Iterator[tuple[Any, Any]]:
    """``(implementation, result)`` of each implementation of ``hook`` that did not raise.

    pluggy calls every implementation in one go and lets the first exception end the call, so
    one broken plugin would take down every catalog, fetcher or loader. Here implementations
    are called one at a time, in pluggy's order (``tryfirst`` and last registered first); one
    that raises goes to ``on_error(plugin_name, error)`` (which may re-raise) and the next is
    asked. Lazy: stop iterating at the first useful result for ``firstresult`` behaviour.
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
        yield implementation, result


def skip_raising(wanted: str) -> Callable[[str, Exception], None]:
    """An ``on_error`` for :func:`each_result`: warn that a plugin raised when asked for
    ``wanted`` and was skipped (with ``BRAINIO_STRICT_PLUGINS=1``: raise
    :class:`PluginMissingError`)."""

    def skip(plugin: str, error: Exception) -> None:
        message = (
            f"BrainIO plugin '{plugin}' raised {type(error).__name__}: {error} when asked for "
            f"{wanted}; it was skipped. Update or uninstall the plugin, or report it to its "
            "maintainers."
        )
        if os.environ.get(STRICT_PLUGINS_ENV, "") not in ("", "0"):
            raise PluginMissingError(message) from error
        warnings.warn(message, PluginLoadWarning, stacklevel=4)

    return skip


def choose(
    hook_name: str, *, what: str, key: str, include_builtin: bool = True, **kwargs: Any
) -> Any:
    """The first non-``None`` answer of a ``firstresult`` hook, as pluggy would return it.

    Unlike pluggy, every implementation is asked, each on its own (:func:`each_result`: one
    that raises is skipped with a warning), so that two installed plugins answering for the
    same ``key`` (e.g. one location type) are reported through :func:`warn_clash`; the
    built-in implementations and those marked ``tryfirst`` never count as a clash.
    """
    caller = getattr(get_plugin_manager().hook, hook_name)
    answers = [
        (impl, answer)
        for impl, answer in each_result(caller, skip_raising(f"{what} '{key}'"), **kwargs)
        if answer is not None and (include_builtin or impl.plugin_name != BUILTIN)
    ]
    if not answers:
        return None
    (first, answer), others = answers[0], answers[1:]
    rivals = [impl.plugin_name for impl, _ in others if impl.plugin_name != BUILTIN]
    if rivals and not first.tryfirst:
        warn_clash(what, key, f"plugin '{first.plugin_name}'", [f"'{name}'" for name in rivals])
    return answer


def _plugin_names() -> str:
    return ", ".join(name for name, _ in get_plugin_manager().list_name_plugin()) or "none"


def find_fetcher(source: Source) -> Fetcher:
    """The fetcher an installed plugin offers for ``source``; names what to install if none."""
    location_type = source.location_type
    fetcher = choose(
        "brainio_fetcher",
        what="a fetcher for location type",
        key=location_type,
        location_type=location_type,
        location=source.location,
    )
    if fetcher is not None:
        return cast("Fetcher", fetcher)
    distribution = PLUGIN_DISTRIBUTIONS.get(location_type.strip().lower())
    if distribution is None and "://" in source.location:
        distribution = PLUGIN_DISTRIBUTIONS.get(source.location.split("://", 1)[0].lower())
    if distribution is not None:
        advice = (
            f"Install the plugin that provides it: `pip install {distribution}` "
            f"(distribution {distribution})."
        )
    else:
        advice = (
            f"No known BrainIO plugin handles '{location_type}' (installed plugins: "
            f"{_plugin_names()}). Install the plugin your catalog's documentation names, or fix "
            "the location_type of its catalog row (S3 needs brainio-s3; local and file:// need "
            "brainio-local)."
        )
    version = f" (version {source.version_id})" if source.version_id else ""
    raise PluginMissingError(
        f"No installed plugin can fetch location_type '{location_type}' "
        f"({source.location}{version}). {advice}"
    )


def find_opener(location_type: str, location: str) -> Opener | None:
    """The opener an installed plugin offers to read ``location`` in place, or ``None``."""
    answer = choose(
        "brainio_opener",
        what="an opener for location type",
        key=location_type,
        location_type=location_type,
        location=location,
    )
    return cast("Opener | None", answer)


def find_uploader(target: str) -> Uploader | None:
    """The uploader an installed plugin offers for the storage ``target``, or ``None``."""
    scheme = target.split("://", 1)[0] if "://" in target else "folder"
    answer = choose("brainio_uploader", what="an uploader for", key=scheme, target=target)
    return cast("Uploader | None", answer)


def _find_loader(hook_name: str, row: LookupRow) -> Any:
    """The installed plugins' loader for ``row``, else one from a plugin still implementing the
    deprecated ``brainio_loader``, else the core's; names what to install when none."""
    ask = functools.partial(choose, what="a loader for class", key=str(row.class_name), row=row)
    loader = ask(hook_name, include_builtin=False) or ask("brainio_loader") or ask(hook_name)
    if loader is None:
        raise PluginMissingError(
            f"No installed plugin can load '{row.identifier}' (class {row.class_name}, "
            f"{row.where()}). Install the plugin that provides class {row.class_name}."
        )
    return loader


def find_assembly_loader(row: LookupRow) -> AssemblyLoader:
    """The loader for an assembly row (see ``brainio_assembly_loader``)."""
    return cast("AssemblyLoader", _find_loader("brainio_assembly_loader", row))


def find_stimulus_set_loader(row: LookupRow) -> StimulusSetLoader:
    """The loader for the CSV row of a stimulus set (see ``brainio_stimulus_set_loader``)."""
    return cast("StimulusSetLoader", _find_loader("brainio_stimulus_set_loader", row))


def refresh_plugins() -> None:
    """Forget loaded plugins and catalogs, e.g. after installing a catalog package mid-session.

    Catalogs and classes are read once per plugin manager, so they are read again too.
    """
    get_plugin_manager.cache_clear()
    _clashes_reported.clear()


def list_plugins() -> list[dict[str, object]]:
    """Name, distribution version and hooks of every registered plugin, in the order asked."""
    manager = get_plugin_manager()
    return [
        {
            "name": name,
            "version": _versions.get(name),
            "hooks": sorted(caller.name for caller in manager.get_hookcallers(plugin) or []),
        }
        for name, plugin in reversed(manager.list_name_plugin())
    ]
