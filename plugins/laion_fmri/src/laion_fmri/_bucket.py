"""The public bucket ``s3://laion-fmri``, read through the S3 plugin's boto3 client.

Requests are unsigned (the bucket is public; a user's own credentials must not change what is
readable) and go to region us-west-2, unless the usual AWS settings (``AWS_ENDPOINT_URL``,
``BRAINIO_S3_ENDPOINT_URL``) point them at another server. Listings always paginate: a
subject's folder holds far more than the 1,000 keys S3 returns per page.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import botocore.exceptions
from boto3.s3.transfer import create_transfer_manager

from brainio_s3.client import get_client
from brainio_s3.config import S3ClientConfig as S3Settings
from brainio_s3.errors import translate_error
from brainio_s3.fetcher import transfer_config
from brainio_s3.locations import S3Location

logger = logging.getLogger(__name__)

BUCKET = "laion-fmri"
REGION = "us-west-2"


@attrs.frozen
class RemoteObject:
    """One key of the bucket with what a listing says about it."""

    key: str
    size: int
    etag: str


def location(key: str = "") -> S3Location:
    return S3Location(bucket=BUCKET, key=key, region=REGION)


def client() -> Any:
    """The shared unsigned client for the bucket (thread-safe, cached by the S3 plugin)."""
    return get_client(location(), signed=False)


def list_objects(prefix: str, recursive: bool = True) -> Iterator[RemoteObject]:
    """Every object under ``prefix`` (only those directly in it when not ``recursive``)."""
    paginator = client().get_paginator("list_objects_v2")
    extra = {} if recursive else {"Delimiter": "/"}
    try:
        for page in paginator.paginate(Bucket=BUCKET, Prefix=prefix, **extra):
            for entry in page.get("Contents", []):
                yield RemoteObject(entry["Key"], int(entry["Size"]), entry["ETag"].strip('"'))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        raise translate_error(error, location(prefix), client=client()) from error


def list_prefixes(prefix: str) -> list[str]:
    """Names of the "folders" directly under ``prefix`` (without the trailing ``/``)."""
    paginator = client().get_paginator("list_objects_v2")
    names = []
    try:
        for page in paginator.paginate(Bucket=BUCKET, Prefix=prefix, Delimiter="/"):
            for entry in page.get("CommonPrefixes", []):
                names.append(entry["Prefix"][len(prefix):].rstrip("/"))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        raise translate_error(error, location(prefix), client=client()) from error
    return names


def download(obj: RemoteObject, destination: Path, settings: S3Settings | None = None) -> None:
    """Write ``obj`` to the (temporary) file ``destination`` with boto3's transfer manager.

    Raises a :class:`brainio.errors.FetchError` subclass, :class:`AccessDeniedError` for a 403.
    """
    settings = settings or S3Settings.from_env()
    s3 = client()
    manager = create_transfer_manager(s3, transfer_config(settings))
    try:
        with open(destination, "wb") as file:
            manager.download(BUCKET, obj.key, file, extra_args={}).result()
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        raise translate_error(error, location(obj.key), client=s3) from error
    finally:
        manager.shutdown()
