"""The S3 plugin's hook implementations (registered through the entry point ``brainio: s3``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import brainio

if TYPE_CHECKING:
    from brainio.protocols import Fetcher, Opener, Uploader
    from brainio.records import Source


def _is_s3(location_type: str) -> bool:
    return location_type.strip().upper() == "S3"


@brainio.hookimpl
def brainio_fetcher(location_type: str, location: str) -> Fetcher | None:
    if _is_s3(location_type):
        from brainio_s3.fetcher import fetch  # boto3 is imported only when S3 is asked for

        return fetch
    return None


@brainio.hookimpl
def brainio_uploader(target: str) -> Uploader | None:
    if not target.strip().lower().startswith("s3://"):
        return None
    from brainio_s3.uploader import S3Uploader

    return S3Uploader(target)


@brainio.hookimpl
def brainio_opener(location_type: str, location: str) -> Opener | None:
    if not _is_s3(location_type):
        return None
    from brainio_s3.remote import open_object  # imports h5py: only when asked for S3

    return open_object


@brainio.hookimpl
def brainio_file_size(source: Source) -> int | None:
    if not _is_s3(source.location_type):
        return None
    from brainio_s3.fetcher import object_size

    return object_size(source)
