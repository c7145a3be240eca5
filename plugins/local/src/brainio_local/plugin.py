"""The hook implementations of the local plugin (entry point ``local`` in group ``brainio``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import brainio
from brainio_local.fetcher import LOCATION_TYPE, fetch_local, file_url_to_path, is_file_url

if TYPE_CHECKING:
    import click

    from brainio.catalogs import Catalog
    from brainio.protocols import Fetcher, Uploader


@brainio.hookimpl
def brainio_fetcher(location_type: str, location: str) -> Fetcher | None:
    """Files on disk: ``location_type`` ``local``, or any ``file://`` location."""
    if location_type.strip().lower() == LOCATION_TYPE or location.lower().startswith("file://"):
        return fetch_local
    return None


@brainio.hookimpl
def brainio_uploader(target: str) -> Uploader | None:
    """A folder store for ``file://`` targets and for existing folders given as plain paths."""
    from brainio.errors import PackagingError
    from brainio_local.store import FolderStore

    if is_file_url(target):
        try:
            return FolderStore(file_url_to_path(target))
        except ValueError as error:
            raise PackagingError(f"Cannot store files at {error}.") from error
    if "://" not in target and Path(target).expanduser().is_dir():
        return FolderStore(target)
    return None


@brainio.hookimpl
def brainio_catalogs(register: Callable[[Catalog], None]) -> None:
    """The embedded demo catalog (``brainio demo``), whose files ship inside this package."""
    from brainio.catalogs import Catalog
    from brainio_local.demo import CATALOG_NAME, CATALOG_PATH

    register(Catalog.from_files(CATALOG_NAME, CATALOG_PATH))


@brainio.hookimpl
def brainio_register_commands(cli: click.Group) -> None:
    """``brainio demo``."""
    from brainio_local.demo.command import demo

    cli.add_command(demo)
