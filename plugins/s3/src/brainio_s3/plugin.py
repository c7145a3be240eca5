"""The S3 plugin's hook implementations (registered through the entry point ``brainio: s3``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import brainio

if TYPE_CHECKING:
    from brainio.protocols import Fetcher, Opener, Uploader


@brainio.hookimpl
def brainio_fetcher(location_type: str, location: str) -> Fetcher | None:
    if location_type.strip().upper() != "S3":
        return None
    from brainio_s3.fetcher import fetch

    return fetch


@brainio.hookimpl
def brainio_uploader(target: str) -> Uploader | None:
    if not target.strip().lower().startswith("s3://"):
        return None
    from brainio_s3.uploader import S3Uploader

    return S3Uploader(target)


@brainio.hookimpl
def brainio_opener(location_type: str, location: str) -> Opener | None:
    if location_type.strip().upper() != "S3":
        return None
    from brainio_s3.remote import open_object

    return open_object
