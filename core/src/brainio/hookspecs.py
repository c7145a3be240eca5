"""The contract between the BrainIO core and its plugins.

A plugin is a module (or object) with functions marked ``@brainio.hookimpl`` whose names
match the specifications below, registered through the entry-point group ``brainio``::

    [project.entry-points.brainio]
    my_catalog = "my_package.plugin"

Two shapes of hook, chosen on purpose:

* hooks that *contribute* things (catalogs, classes, CLI commands) receive a ``register``
  callback, so the core can validate, de-duplicate and tag each contribution;
* hooks that *choose one implementation* (the fetcher for a location, the loader for a row,
  the uploader for a storage target) are ``firstresult``: return ``None`` to decline.

Plugins registered later are asked first, so an installed plugin overrides the core's
built-in loaders. Keep implementations tiny and import heavy dependencies inside them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from pathlib import Path
    from typing import BinaryIO

    import click

    from brainio.catalogs import Catalog
    from brainio.records import LookupRow, Source, StoredObject

PROJECT_NAME = "brainio"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

Fetcher = Callable[["Source", "Path"], "str | None"]
"""``fetch(source, destination)``: write the whole file at ``source`` to ``destination``.

``destination`` is a temporary path inside the cache folder that the core owns: the core
verifies the sha1 afterwards and renames the file into place, so a fetcher only transfers
bytes. It raises :class:`brainio.errors.FetchError` (or a subclass) when it cannot. It may
return the sha1 of what it wrote, computed while writing (:class:`brainio.hashing.HashingWriter`),
which spares the core a second pass over the file; otherwise it returns ``None``.
"""

Opener = Callable[["Source"], "BinaryIO"]
"""``open(source)``: the file at ``source`` as a readable, seekable binary file object.

Used for lazy loading (``get_assembly(..., lazy=True)``): the file is read in place, only the
bytes a selection needs, instead of being fetched into the cache. Nothing is verified by sha1
(that needs every byte); an opener should pin ``source.version_id`` when there is one. It
raises :class:`brainio.errors.FetchError` (or a subclass) when the file cannot be opened.
"""

Uploader = Callable[["Path", str], "StoredObject"]
"""``upload(local_path, key, *, overwrite=False)``: store a file and say where it went."""


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
    :returns: a :data:`Fetcher` callable, or ``None`` when this plugin does not handle it.

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
    :returns: an :data:`Opener` callable, or ``None`` when this plugin cannot open it in place.

    Implementing this hook: decide from the arguments alone and return a module-level
    function; open nothing here. Return file objects that pickle (by reopening), so
    dask-backed assemblies can be computed by worker processes.
    """


# --- loading ----------------------------------------------------------------------------------


@hookspec(firstresult=True)
def brainio_loader(row: LookupRow) -> Callable[..., Any] | None:
    """Return the function that turns fetched files into a Python object, or ``None``.

    Called once per ``get_assembly``/``get_stimulus_set``. Stops at first non-None result.
    The core's built-in loaders are asked last, so a plugin can take over rows of its own
    catalog (``row.catalog``) or class (``row.class_name``).

    For an assembly row the function is called as
    ``load(path, *, cls, row, stimulus_set, chunks)`` and returns a ``DataAssembly``;
    ``stimulus_set`` is ``None`` when the row names no stimulus set.
    For the CSV row of a stimulus set it is called as
    ``load(csv_path, stimuli_dir, *, cls, row)`` and returns a ``StimulusSet``;
    ``stimuli_dir`` is the extracted ZIP folder, or ``None`` when there is no ZIP row.

    :param row: the catalog row (assembly row, or CSV row of a stimulus set).
    :returns: the loader, or ``None`` to decline.

    Implementing this hook: decide from ``row`` alone, cheaply; do the work in the loader.
    """


# --- packaging --------------------------------------------------------------------------------


@hookspec(firstresult=True)
def brainio_uploader(target: str) -> Uploader | None:
    """Return the uploader for a storage target, or ``None`` to decline.

    Called when packaging. Stops at first non-None result.

    :param target: where packaged files go, e.g. ``"file:///data/store"`` or
        ``"s3://bucket/folder"``.
    :returns: an :data:`Uploader` callable, or ``None`` when this plugin does not handle it.

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
