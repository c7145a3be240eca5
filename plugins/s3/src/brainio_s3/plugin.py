"""The S3 plugin's hook implementations (registered through the entry point ``brainio: s3``)."""

from __future__ import annotations

from typing import Any

from brainio.hookspecs import hookimpl


@hookimpl
def brainio_fetcher(location_type: str, location: str) -> Any:
    if location_type.strip().upper() != "S3":
        return None
    from brainio_s3.fetcher import fetch

    return fetch


@hookimpl
def brainio_uploader(target: str) -> Any:
    if not target.strip().lower().startswith("s3://"):
        return None
    from brainio_s3.uploader import S3Uploader

    return S3Uploader(target)


@hookimpl
def brainio_opener(location_type: str, location: str) -> Any:
    if location_type.strip().upper() != "S3":
        return None
    from brainio_s3.remote import open_object

    return open_object


@hookimpl
def brainio_file_size(source: Any) -> int | None:
    if source.location_type.strip().upper() != "S3":
        return None
    from brainio_s3.fetcher import object_size

    return object_size(source)
