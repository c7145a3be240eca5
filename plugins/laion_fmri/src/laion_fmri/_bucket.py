"""The public bucket ``s3://laion-fmri``, read through the S3 plugin's boto3 client.

Requests are unsigned (the bucket is public; a user's own credentials must not change what is
readable) and go to region us-west-2, unless the usual AWS settings (``AWS_ENDPOINT_URL``,
``BRAINIO_S3_ENDPOINT_URL``) point them at another server. Listings always paginate: a
subject's folder holds far more than the 1,000 keys S3 returns per page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

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


def endpoint() -> str:
    """The server the requests go to (the bucket's, or a mirror's)."""
    return client().meta.endpoint_url


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


def head(key: str) -> RemoteObject:
    """Size and ETag of one key (:class:`brainio.errors.FetchError` when it is missing)."""
    try:
        answer = client().head_object(Bucket=BUCKET, Key=key)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        raise translate_error(error, location(key), client=client()) from error
    return RemoteObject(key, int(answer["ContentLength"]), answer["ETag"].strip('"'))


def dataset(
    keys: list[str], transform: Callable, iterable: bool = False, enable_sharding: bool = False
) -> Any:
    """The S3 plugin's streaming data set (``S3MapDataset`` or ``S3IterableDataset``) over
    ``keys`` of the bucket, unsigned, on the same endpoint as every other request here."""
    from brainio_s3 import S3ClientConfig, S3IterableDataset, S3MapDataset

    options = {
        "region": REGION,
        "endpoint": endpoint(),
        "transform": transform,
        "s3client_config": S3ClientConfig(unsigned=True),
    }
    uris = [f"s3://{BUCKET}/{key}" for key in keys]
    if iterable:
        return S3IterableDataset.from_objects(uris, enable_sharding=enable_sharding, **options)
    return S3MapDataset.from_objects(uris, **options)


def list_prefixes(prefix: str) -> list[str]:
    """Names of the "folders" directly under ``prefix`` (without the trailing ``/``)."""
    paginator = client().get_paginator("list_objects_v2")
    names = []
    try:
        for page in paginator.paginate(Bucket=BUCKET, Prefix=prefix, Delimiter="/"):
            for entry in page.get("CommonPrefixes", []):
                names.append(entry["Prefix"][len(prefix) :].rstrip("/"))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        raise translate_error(error, location(prefix), client=client()) from error
    return names


def download(obj: RemoteObject, file: BinaryIO, settings: S3Settings | None = None) -> None:
    """Write ``obj`` into the open (temporary) ``file`` with boto3's transfer manager.

    Large objects arrive in parallel ranged parts written at their offsets. Raises a
    :class:`brainio.errors.FetchError` subclass, :class:`AccessDeniedError` for a 403.
    """
    settings = settings or S3Settings.from_env()
    s3 = client()
    manager = create_transfer_manager(s3, transfer_config(settings))
    try:
        manager.download(BUCKET, obj.key, file, extra_args={}).result()
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        raise translate_error(error, location(obj.key), client=s3) from error
    finally:
        manager.shutdown()
