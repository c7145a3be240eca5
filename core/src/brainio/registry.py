"""Registry-style access: data sets by the keys a community registers them under.

Brain-Score (and any project like it) names a data set by a *registry key*
(``MajajHong2015.public``) that differs from the *storage identifier* its files are named after
(``dicarlo.MajajHong2015.public``). A catalog with the extra columns ``registry_key`` and
``access`` (``public``/``private``) keeps both; a :class:`Registry` over such a catalog lists,
looks up and loads by registry key, explains unknown keys, and rewords a refused download so it
names the data set and whether it is private. Catalog plugins make one in a couple of lines::

    registry = Registry("brainscore_vision", "Brain-Score vision")
    load_dataset = registry.load_dataset

Their loaders call :func:`record` so that an object loaded either way (by registry key here, or
by storage identifier with :func:`brainio.get_assembly`) carries its names in ``attrs``.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from brainio.errors import (
    AccessDeniedError,
    AssemblyLookupError,
    BrainIOError,
    IdentifierLookupError,
    StimulusSetLookupError,
)
from brainio.records import TYPE_ASSEMBLY, TYPE_STIMULUS_SET, LookupRow

__all__ = ["ACCESS_LEVELS", "LoaderMapping", "Registry", "record"]

ACCESS_LEVELS = ("public", "private")
REGISTRY_KEY, ACCESS = "registry_key", "access"
"""The catalog columns a registry reads (besides the standard ones)."""

_KINDS = {TYPE_ASSEMBLY: "data set", TYPE_STIMULUS_SET: "stimulus set"}
_LISTERS = {TYPE_ASSEMBLY: "list_datasets", TYPE_STIMULUS_SET: "list_stimulus_sets"}
_LOADERS = {TYPE_ASSEMBLY: "load_dataset", TYPE_STIMULUS_SET: "load_stimulus_set"}
_ERRORS: dict[str, type[IdentifierLookupError]] = {
    TYPE_ASSEMBLY: AssemblyLookupError,
    TYPE_STIMULUS_SET: StimulusSetLookupError,
}


class Registry:
    """Registry keys -> catalog rows and loaded objects, for the installed catalog ``catalog``.

    As in Brain-Score, the loading and lookup functions call a registry key ``identifier``.

    ``title`` is how messages name the collection (``"Brain-Score vision"``). The catalog is
    read through :func:`brainio.lookup.get_catalog`, so the registry follows
    :func:`brainio.lookup.refresh`.
    """

    def __init__(self, catalog: str, title: str) -> None:
        self.catalog = catalog
        self.title = title
        self._index: tuple[Any, dict[str, dict[str, LookupRow]]] | None = None
        self.data_registry = LoaderMapping(self, TYPE_ASSEMBLY, self.load_dataset)
        """Like Brain-Score's ``data_registry``: ``data_registry[key]()`` loads the data set."""
        self.stimulus_set_registry = LoaderMapping(self, TYPE_STIMULUS_SET, self.load_stimulus_set)
        """Like Brain-Score's ``stimulus_set_registry``."""

    def __repr__(self) -> str:
        return f"Registry({self.catalog!r}, {self.title!r})"

    # --- listing ------------------------------------------------------------------------------

    def list_datasets(self, access: str | None = None) -> list[str]:
        """Registry keys of the data sets (assemblies), sorted; ``access`` keeps only
        ``"public"`` or ``"private"`` ones."""
        return self._list(TYPE_ASSEMBLY, access)

    def list_stimulus_sets(self, access: str | None = None) -> list[str]:
        """Registry keys of the stimulus sets, sorted; ``access`` filters as for data sets."""
        return self._list(TYPE_STIMULUS_SET, access)

    def _list(self, lookup_type: str, access: str | None) -> list[str]:
        if access is not None and access not in ACCESS_LEVELS:
            raise ValueError(
                f"access={access!r} is not an access level; use None (all), 'public' or 'private'."
            )
        return sorted(
            key
            for key, row in self.entries(lookup_type).items()
            if access is None or row.extra.get(ACCESS) == access
        )

    # --- lookup -------------------------------------------------------------------------------

    def lookup_dataset(self, identifier: str) -> LookupRow:
        """The catalog row of the data set registered as ``identifier`` (its registry key)."""
        return self.lookup(identifier, TYPE_ASSEMBLY)

    def lookup_stimulus_set(self, identifier: str) -> LookupRow:
        """The catalog row (the CSV row) of the stimulus set registered as ``identifier``."""
        return self.lookup(identifier, TYPE_STIMULUS_SET)

    def lookup(self, key: str, lookup_type: str) -> LookupRow:
        """The row registered as ``key``; an unknown key raises an error saying why."""
        entries = self.entries(lookup_type)
        try:
            return entries[key]
        except KeyError:
            pass
        kind = _KINDS[lookup_type]
        raise _ERRORS[lookup_type](
            f"No {kind} '{key}' is registered in {self.title} (catalog {self.catalog})"
            f"{self._hint(key, lookup_type, entries)} {_LISTERS[lookup_type]}() lists the "
            f"{len(entries)} registered {kind}s."
        )

    def entries(self, lookup_type: str) -> dict[str, LookupRow]:
        """Rows by registry key: assembly rows, or the CSV rows of stimulus sets."""
        from brainio.lookup import get_catalog

        catalog = get_catalog(self.catalog)
        if self._index is None or self._index[0] is not catalog:
            index: dict[str, dict[str, LookupRow]] = {TYPE_ASSEMBLY: {}, TYPE_STIMULUS_SET: {}}
            for row in catalog.rows():
                if row.class_name is not None and REGISTRY_KEY in row.extra:
                    index.setdefault(row.lookup_type, {})[row.extra[REGISTRY_KEY]] = row
            self._index = (catalog, index)
        return self._index[1].get(lookup_type, {})

    def _hint(self, key: str, lookup_type: str, entries: dict[str, LookupRow]) -> str:
        """Why ``key`` was not found, when a likely reason exists."""
        by_identifier = {row.identifier: name for name, row in entries.items()}
        if key in by_identifier:
            return (
                f": '{key}' is the storage identifier of '{by_identifier[key]}'. Load it by that "
                f"registry key (or by storage identifier with brainio's get_* functions)."
            )
        other = TYPE_STIMULUS_SET if lookup_type == TYPE_ASSEMBLY else TYPE_ASSEMBLY
        if key in self.entries(other):
            return f": '{key}' is a {_KINDS[other]}; load it with {_LOADERS[other]}('{key}')."
        matches = difflib.get_close_matches(key, list(entries), n=3, cutoff=0.6)
        if matches:
            return f" (did you mean {', '.join(repr(m) for m in matches)}?)."
        return "."

    # --- loading ------------------------------------------------------------------------------

    def load_dataset(
        self,
        identifier: str,
        *,
        chunks: Mapping[str, int] | str | None = None,
        load_stimulus_set: bool = True,
    ) -> Any:
        """Load the data set (assembly) registered as ``identifier`` (its registry key).

        The metadata of its stimulus set are merged onto ``presentation``
        (``load_stimulus_set=False`` skips the stimulus set and its files); ``chunks`` gives a
        lazily loaded, dask-backed assembly (see :func:`brainio.get_assembly`). ``attrs``
        records ``registry_key`` besides what the catalog's loader records.
        """
        from brainio.loading import get_assembly

        row = self.lookup_dataset(identifier)
        with self.explaining_access(row, identifier, TYPE_ASSEMBLY):
            assembly = get_assembly(
                row.identifier, chunks=chunks, load_stimulus_set=load_stimulus_set
            )
        assembly.attrs[REGISTRY_KEY] = identifier
        return assembly

    def load_stimulus_set(self, identifier: str) -> Any:
        """Load the stimulus set registered as ``identifier`` (a registry key), with its files."""
        from brainio.loading import get_stimulus_set

        row = self.lookup_stimulus_set(identifier)
        with self.explaining_access(row, identifier, TYPE_STIMULUS_SET):
            stimulus_set = get_stimulus_set(row.identifier)
        stimulus_set.attrs[REGISTRY_KEY] = identifier
        return stimulus_set

    # --- refused downloads --------------------------------------------------------------------

    @contextlib.contextmanager
    def explaining_access(self, row: LookupRow, key: str, lookup_type: str) -> Iterator[None]:
        """Turn the storage's refusal into an error saying whether the data set is private
        and what it needs (the storage's own error stays the cause and in the message)."""
        try:
            yield
        except AccessDeniedError as error:
            raise AccessDeniedError(self.access_message(row, key, lookup_type, error)) from error

    def access_message(self, row: LookupRow, key: str, lookup_type: str, error: Exception) -> str:
        """The message for a refused download of ``key`` (catalog row ``row``)."""
        name = (
            f"{self.title} {_KINDS[lookup_type]} '{key}' (storage identifier '{row.identifier}', "
            f"catalog {self.catalog})"
        )
        service = row.location_type
        if row.extra.get(ACCESS) != "private":
            return (
                f"{name} is public, but {service} refused one of its files: {error} Public data "
                f"need no credentials; if you set credentials for {service}, check that they "
                "are valid or unset them."
            )
        return (
            f"{name} is private: it is held-out {self.title} data, and {service} serves its "
            f"files (such as {row.location}) only to accounts given read access. Configure the "
            f"credentials of such an account, {self._public_alternative(key, lookup_type)}. "
            f"{service} said: {error}"
        )

    def _public_alternative(self, key: str, lookup_type: str) -> str:
        public = set(self._list(lookup_type, "public"))
        for candidate in (key.replace("private", "public"), f"{key}.public", f"{key}-public"):
            if candidate != key and candidate in public:
                return f"or load its public part '{candidate}' instead"
        return f"or choose public data: {_LISTERS[lookup_type]}(access='public')"


class LoaderMapping(Mapping[str, Callable[[], Any]]):
    """A read-only view of a registry like Brain-Score's registry dictionaries:
    registry key -> function of no arguments that loads it with ``load(key)``."""

    def __init__(self, registry: Registry, lookup_type: str, load: Callable[[str], Any]) -> None:
        self._registry = registry
        self._lookup_type = lookup_type
        self._load = load

    def __getitem__(self, key: str) -> Callable[[], Any]:
        self._registry.lookup(key, self._lookup_type)  # raises with a hint when unknown
        return functools.partial(self._load, key)

    def __contains__(self, key: object) -> bool:
        return key in self._registry.entries(self._lookup_type)

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._registry.entries(self._lookup_type)))

    def __len__(self) -> int:
        return len(self._registry.entries(self._lookup_type))

    def __repr__(self) -> str:
        kind = _KINDS[self._lookup_type]
        return f"<{kind} registry of {self._registry.catalog}: {len(self)} keys>"


# --- names on loaded objects -------------------------------------------------------------------


def record(loaded: Any, row: LookupRow, stimulus_set: Any = None) -> Any:
    """Keep the names of ``row`` in ``loaded.attrs``: ``registry_key``, ``storage_identifier``,
    ``access``, ``catalog`` and, for an assembly recorded on a registered stimulus set,
    ``stimulus_set_registry_key`` (from ``stimulus_set`` when loaded, else from the catalogs).

    For a catalog plugin's loaders; returns ``loaded``.
    """
    found = {
        REGISTRY_KEY: row.extra.get(REGISTRY_KEY),
        "storage_identifier": row.identifier,
        ACCESS: row.extra.get(ACCESS),
        "catalog": row.catalog,
        "stimulus_set_registry_key": _stimulus_set_registry_key(row, stimulus_set),
    }
    loaded.attrs.update({name: value for name, value in found.items() if value})
    return loaded


def _stimulus_set_registry_key(row: LookupRow, stimulus_set: Any) -> str | None:
    if not row.stimulus_set_identifier:
        return None
    if stimulus_set is not None and stimulus_set.attrs.get(REGISTRY_KEY):
        return stimulus_set.attrs[REGISTRY_KEY]
    from brainio import lookup

    try:
        csv_row, _ = lookup.lookup_stimulus_set(row.stimulus_set_identifier)
    except BrainIOError:
        return None
    return csv_row.extra.get(REGISTRY_KEY)
