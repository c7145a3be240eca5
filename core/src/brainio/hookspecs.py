"""The contract between the BrainIO core and its plugins.

A plugin is a module (or object) with functions marked ``@brainio.hookimpl`` whose names
match the specifications below, registered through the entry-point group ``brainio``::

    [project.entry-points.brainio]
    my_catalog = "my_package.plugin"

Two shapes of hook, chosen on purpose:

* hooks that *contribute* things (catalogs, classes, CLI commands) receive a ``register``
  callback, so the core can validate, de-duplicate and tag each contribution;
* hooks that *choose one implementation* (the fetcher for a location, the loader for a row,
  the uploader for a storage target) are ``firstresult``: return ``None`` to decline. What
  they return is typed by the protocols of :mod:`brainio.protocols`.

Order does not depend on how plugins were installed: installed plugins are asked in the
order of their entry-point names, before the core's built-in implementations (a plugin
registered at run time is asked before all of them). When two installed plugins both answer
a choosing hook for the same input, the first one asked wins and a
:class:`brainio.plugins.PluginClashWarning` names both; a plugin that means to take over
marks its implementation ``@brainio.hookimpl(tryfirst=True)`` and is not warned about.
A function named ``brainio_*`` that matches no hook below disables its plugin with a
warning. Keep implementations tiny and import heavy dependencies inside them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

from brainio.protocols import AssemblyLoader, Fetcher, Opener, StimulusSetLoader, Uploader

if TYPE_CHECKING:
    import click

    from brainio.catalogs import Catalog
    from brainio.records import LookupRow

PROJECT_NAME = "brainio"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
"""The marker for hook implementations; plugins use it as ``@brainio.hookimpl``."""

__all__ = [
    "PROJECT_NAME",
    "AssemblyLoader",
    "Fetcher",
    "Opener",
    "StimulusSetLoader",
    "Uploader",
    "hookimpl",
    "hookspec",
]


# --- catalogs ---------------------------------------------------------------------------------


@hookspec
def brainio_catalogs(register: Callable[[Catalog], None]) -> None:
    """Contribute catalogs of stimulus sets and assemblies.

    Called once per process, the first time catalogs are needed (and again after
    :func:`brainio.plugins.refresh_plugins`).

    :param register: call ``register(catalog)`` with a :class:`brainio.catalogs.Catalog`
        for every catalog this plugin provides, typically
        ``register(Catalog.from_files("my_lab", Path(__file__).parent / "lookup.csv"))``.

    Implementing this hook: register cheaply; the core validates each catalog and reports
    a bad row with the catalog's name, file and line.
    """


# --- classes ----------------------------------------------------------------------------------


@hookspec
def brainio_classes(register: Callable[[type], None]) -> None:
    """Contribute assembly or stimulus-set classes that catalog rows may name.

    Called once per process, the first time a ``class`` cell of a catalog is resolved.

    :param register: call ``register(cls)`` with a subclass of
        :class:`brainio.assemblies.DataAssembly` or :class:`brainio.stimuli.StimulusSet`;
        catalog rows refer to it by ``cls.__name__``.

    Implementing this hook: register classes from your own package only.
    """


# --- fetching ---------------------------------------------------------------------------------


@hookspec(firstresult=True)
def brainio_fetcher(location_type: str, location: str) -> Fetcher | None:
    """Return the fetcher that can download ``location``, or ``None`` to decline.

    Called for every file that is not yet in the cache. Stops at first non-None result.

    :param location_type: the catalog's ``location_type`` cell, e.g. ``"S3"`` or ``"local"``.
    :param location: the catalog's ``location`` cell (a URL or a path).
    :returns: a :class:`~brainio.protocols.Fetcher`, or ``None`` when this plugin does not
        handle it.

    Implementing this hook: compare ``location_type`` case-insensitively and return a
    module-level function; do not download anything here.
    """


@hookspec(firstresult=True)
def brainio_opener(location_type: str, location: str) -> Opener | None:
    """Return an opener that reads ``location`` in place, or ``None`` to decline.

    Called by ``get_assembly(identifier, lazy=True)`` for the assembly's file.
    Stops at first non-None result.

    :param location_type: the catalog's ``location_type`` cell, e.g. ``"S3"``.
    :param location: the catalog's ``location`` cell (a URL).
    :returns: an :class:`~brainio.protocols.Opener`, or ``None`` when this plugin cannot
        open it in place.

    Implementing this hook: decide from the arguments alone and return a module-level
    function; open nothing here. Return file objects that pickle (by reopening), so
    dask-backed assemblies can be computed by worker processes.
    """


# --- loading ----------------------------------------------------------------------------------


@hookspec(firstresult=True)
def brainio_assembly_loader(row: LookupRow) -> AssemblyLoader | None:
    """Return the function that turns a fetched assembly file into an assembly, or ``None``.

    Called once per ``get_assembly``. Stops at first non-None result. The core's built-in
    loader is asked last, so a plugin can take over the rows of its own catalog
    (``row.catalog``) or class (``row.class_name``).

    :param row: the assembly's catalog row.
    :returns: an :class:`~brainio.protocols.AssemblyLoader`, or ``None`` to decline.

    Implementing this hook: decide from ``row`` alone, cheaply; do the work in the loader.
    """


@hookspec(firstresult=True)
def brainio_stimulus_set_loader(row: LookupRow) -> StimulusSetLoader | None:
    """Return the function that turns a fetched stimulus set into a ``StimulusSet``, or ``None``.

    Called once per ``get_stimulus_set``. Stops at first non-None result. The core's built-in
    loader is asked last, so a plugin can take over the rows of its own catalog or class.

    :param row: the CSV row of the stimulus set (its ZIP row, if any, is fetched alongside).
    :returns: a :class:`~brainio.protocols.StimulusSetLoader`, or ``None`` to decline.

    Implementing this hook: decide from ``row`` alone, cheaply; do the work in the loader.
    """


@hookspec(
    firstresult=True,
    warn_on_impl=DeprecationWarning(
        "The brainio_loader hook is deprecated and will be removed in BrainIO 2.1: implement "
        "brainio_assembly_loader and brainio_stimulus_set_loader instead (one per row kind)."
    ),
)
def brainio_loader(row: LookupRow) -> Callable[..., Any] | None:
    """Deprecated: return a loader for an assembly row or a stimulus set's CSV row, or ``None``.

    Still asked (after ``brainio_assembly_loader`` / ``brainio_stimulus_set_loader`` of the
    installed plugins, before the core's built-in loaders) for one release; registering an
    implementation warns with a :class:`DeprecationWarning`. Stops at first non-None result.
    The loader is called like an :class:`~brainio.protocols.AssemblyLoader` for an assembly
    row and like a :class:`~brainio.protocols.StimulusSetLoader` for a CSV row.

    :param row: the catalog row (assembly row, or CSV row of a stimulus set).
    :returns: the loader, or ``None`` to decline.

    Implementing this hook: do not; implement the two hooks above.
    """


# --- packaging --------------------------------------------------------------------------------


@hookspec(firstresult=True)
def brainio_uploader(target: str) -> Uploader | None:
    """Return the uploader for a storage target, or ``None`` to decline.

    Called when packaging. Stops at first non-None result.

    :param target: where packaged files go, e.g. ``"file:///data/store"`` or
        ``"s3://bucket/folder"``.
    :returns: an :class:`~brainio.protocols.Uploader`, or ``None`` when this plugin does not
        handle it.

    Implementing this hook: parse ``target`` only; connect to the service in the uploader.
    """


# --- command line -----------------------------------------------------------------------------


@hookspec
def brainio_register_commands(cli: click.Group) -> None:
    """Add commands to the ``brainio`` command line.

    Called once, when the ``brainio`` command starts (not when ``brainio`` is imported).

    :param cli: the top-level click group; call ``cli.add_command(command)``.

    Implementing this hook: add a group named after your plugin (``brainio laion-fmri ...``)
    and import heavy dependencies inside the commands, so ``brainio --help`` stays fast.
    """
