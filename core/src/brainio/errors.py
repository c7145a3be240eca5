"""Every error BrainIO raises on purpose, in one hierarchy rooted at :class:`BrainIOError`.

Each class also derives from the builtin exception that BrainIO 1.x raised in the same
situation (``KeyError`` for lookups, ``ValueError``/``OSError`` for bad files), so code written
for 1.x that catches those keeps working. Messages name the object, the place and what to do.
"""

from __future__ import annotations


class BrainIOError(Exception):
    """Base class of all BrainIO errors."""

    def __str__(self) -> str:  # KeyError would otherwise print the repr of the message
        return str(self.args[0]) if self.args else ""


# --- lookup -----------------------------------------------------------------------------------


class IdentifierLookupError(BrainIOError, KeyError):
    """An identifier is in no installed catalog."""


class AssemblyLookupError(IdentifierLookupError):
    """No assembly with this identifier in any installed catalog."""


class StimulusSetLookupError(IdentifierLookupError):
    """No stimulus set with this identifier (or one of its CSV/ZIP rows is missing)."""


# --- catalogs and plugins ---------------------------------------------------------------------


class CatalogError(BrainIOError, ValueError):
    """A catalog file or row is malformed, or two catalogs contradict each other.

    ``catalog``, ``path`` and ``line`` say where (each ``None`` when unknown), so the
    catalog can be reported as broken without parsing the message.
    """

    def __init__(
        self,
        message: str,
        *,
        catalog: str | None = None,
        path: object = None,
        line: int | None = None,
    ) -> None:
        super().__init__(message)
        self.catalog = catalog
        self.path = path
        self.line = line


class CatalogConflictError(CatalogError):
    """Two installed catalogs give different rows for the same identifier."""


class PluginMissingError(BrainIOError, LookupError):
    """No installed plugin handles a location type, class or storage target."""


# --- fetching ---------------------------------------------------------------------------------


class FetchError(BrainIOError, OSError):
    """A file could not be fetched from its location."""


class AccessDeniedError(FetchError, PermissionError):
    """The storage service refused access: the data are private or credentials are missing."""


class IntegrityError(BrainIOError, ValueError, OSError):
    """A file's content does not match the sha1 its catalog promises.

    Both a ``ValueError`` (as in Brain-Score's core) and an ``OSError`` (1.x raised ``IOError``).
    """


class CacheError(FetchError):
    """The cache cannot be used: its folder is missing, not a folder, or not writable."""


class ReadOnlyCacheError(CacheError, PermissionError):
    """A file must be written to the cache, but its folder is read-only."""


class DiskFullError(CacheError):
    """A disk (or a quota, or a file size limit) ran out while writing a file."""


# --- file contents ----------------------------------------------------------------------------


class FormatError(BrainIOError, ValueError):
    """A file is not what its catalog says: not netCDF, truncated, or missing stimuli."""


class CorruptFileError(FormatError):
    """A file that was verified once can no longer be read: it was damaged afterwards."""


class UnsafeArchiveError(FormatError):
    """An archive entry would be written outside its folder, or the archive is a zip bomb."""


class UnsafePathError(BrainIOError, ValueError):
    """A name taken from data (stimulus filename, archive member, bucket key, stored path)
    would become a path outside the folder it belongs to: absolute, with ``..``, or through a
    symbolic link leading out. Raised by :func:`brainio.paths.confined`, which sets ``name``
    (as given), ``reason`` (why it is refused) and ``root`` (the folder it must stay in)."""

    name: str = ""
    reason: str = ""
    root: object = None


class PackagingError(BrainIOError, ValueError):
    """Data cannot be packaged; the message lists every problem found."""


__all__ = [
    "AccessDeniedError",
    "AssemblyLookupError",
    "BrainIOError",
    "CacheError",
    "CatalogConflictError",
    "CatalogError",
    "CorruptFileError",
    "DiskFullError",
    "FetchError",
    "FormatError",
    "IdentifierLookupError",
    "IntegrityError",
    "PackagingError",
    "PluginMissingError",
    "ReadOnlyCacheError",
    "StimulusSetLookupError",
    "UnsafeArchiveError",
    "UnsafePathError",
]
