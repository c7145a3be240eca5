"""S3-specific refinements of :mod:`brainio.errors`.

Each class derives from the core class a caller would catch (``FetchError``,
``PackagingError``) and from the builtin exception of the same meaning.
"""

from __future__ import annotations

from brainio.errors import FetchError, PackagingError


class S3ObjectNotFoundError(FetchError, FileNotFoundError):
    """The key, the version of the key, or the whole bucket does not exist."""


class S3EndpointError(FetchError, ConnectionError):
    """The S3 server could not be reached or kept failing after every retry."""


class S3ObjectExistsError(PackagingError, FileExistsError):
    """An upload would overwrite an existing object and ``overwrite`` was not asked for."""


__all__ = ["S3EndpointError", "S3ObjectExistsError", "S3ObjectNotFoundError"]
