"""``S3Client``: where the streaming classes (readers, writers, datasets, checkpoints) send
their requests from.

An ``S3Client`` holds only an :class:`~brainio_s3.config.S3ClientConfig`; the boto3 client
behind it is built on first use in each process and cached per process and configuration.
So an ``S3Client`` (and every dataset, reader or checkpoint holding one) can be pickled to
DataLoader or Dask workers and used after ``fork``: nothing made in the parent (connection
pools, locks) is used in the child.

Requests are signed when AWS credentials exist (unless the configuration says ``unsigned``),
and a signed read that S3 refuses for its credentials is retried unsigned, as the S3 plugin's
fetcher does; errors become :mod:`brainio.errors` classes naming the object and what to do.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import attrs
import botocore.exceptions
from botocore.config import Config

from brainio_s3.client import _CREDENTIAL_REFUSALS, has_credentials, new_client
from brainio_s3.config import S3ClientConfig
from brainio_s3.errors import translate_error
from brainio_s3.locations import S3Location
from brainio_s3.settings import S3Settings

logger = logging.getLogger(__name__)

T = TypeVar("T")

_lock = threading.Lock()
_clients: dict[tuple, Any] = {}
_unsigned_buckets: set[tuple[S3ClientConfig, str]] = set()


def _after_fork_in_child() -> None:
    """Children never use the parent's clients or a lock another thread may have held."""
    global _lock
    _lock = threading.Lock()
    _clients.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)


@attrs.frozen
class ObjectInfo:
    """What a listing (or a HEAD request) says about one object."""

    bucket: str
    key: str
    size: int
    etag: str | None = None
    version_id: str | None = None

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


class S3Client:
    """Sends requests for the streaming classes; see the module docstring.

    :param region: the bucket's region (overrides ``s3client_config.region``).
    :param endpoint: an S3-compatible server's URL (overrides ``s3client_config.endpoint``).
    :param s3client_config: an :class:`S3ClientConfig`; the defaults when ``None``.
    """

    def __init__(
        self,
        region: str | None = None,
        endpoint: str | None = None,
        s3client_config: S3ClientConfig | None = None,
    ):
        config = (s3client_config or S3ClientConfig()).with_location(region, endpoint)
        if config.endpoint is None:  # fixed now: a pickled client reaches the same server
            config = attrs.evolve(config, endpoint=_endpoint_from_environment())
        self.config = config

    def __repr__(self) -> str:
        return f"S3Client(region={self.config.region!r}, endpoint={self.config.endpoint!r})"

    def __getstate__(self) -> dict:
        return {"config": self.config}

    def __setstate__(self, state: dict) -> None:
        self.config = state["config"]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, S3Client) and other.config == self.config

    def __hash__(self) -> int:
        return hash(self.config)

    # --- the boto3 client ---------------------------------------------------------------------

    def boto3_client(self, signed: bool | None = None) -> Any:
        """The boto3 client of this process for this configuration (signed or unsigned)."""
        if signed is None:
            signed = not self.config.unsigned and has_credentials()
        settings = S3Settings.from_env()
        key = (os.getpid(), self.config, signed, settings, _aws_environment())
        with _lock:
            client = _clients.get(key)
        if client is not None:
            return client
        settings = attrs.evolve(settings, max_concurrency=self.config.max_connections)
        location = S3Location(
            bucket="", key="", region=self.config.region, endpoint_url=self.config.endpoint
        )
        addressing = "path" if self.config.force_path_style else "auto"
        client = new_client(
            location,
            signed=signed,
            settings=settings,
            extra_config=Config(
                s3={"addressing_style": addressing},
                # attempts including the first (botocore's "max_attempts" counts retries only)
                retries={"mode": "standard", "total_max_attempts": self.config.max_attempts},
            ),
        )
        with _lock:
            return _clients.setdefault(key, client)

    def location(self, bucket: str, key: str) -> S3Location:
        return S3Location(
            bucket=bucket, key=key, region=self.config.region, endpoint_url=self.config.endpoint
        )

    # --- requests -----------------------------------------------------------------------------

    def call(
        self,
        bucket: str,
        key: str,
        request: Callable[[Any], T],
        *,
        version_id: str | None = None,
        write: bool = False,
    ) -> T:
        """``request(boto3_client)`` for object ``key`` of ``bucket``, errors translated.

        A read whose signature S3 refuses (foreign or expired credentials on a public bucket)
        is retried unsigned, and later reads of that bucket in this process go unsigned.
        """
        location = self.location(bucket, key)
        signed = (
            not self.config.unsigned
            and (self.config, bucket) not in _unsigned_buckets
            and has_credentials()
        )
        client = self.boto3_client(signed)
        try:
            return request(client)
        except botocore.exceptions.ClientError as error:
            refused = str(error.response.get("Error", {}).get("Code", "")) in _CREDENTIAL_REFUSALS
            if not (signed and refused and not write):
                raise self._translate(error, location, client, version_id, signed, write) from error
            logger.info("S3 refused the signed request for %s; retrying unsigned", location.url)
        except (
            botocore.exceptions.NoCredentialsError,
            botocore.exceptions.PartialCredentialsError,
            botocore.exceptions.CredentialRetrievalError,
        ) as error:
            if write:
                raise self._translate(error, location, client, version_id, signed, write) from error
            logger.info("AWS credentials unusable for %s; retrying unsigned", location.url)
        except botocore.exceptions.BotoCoreError as error:
            raise self._translate(error, location, client, version_id, signed, write) from error
        with _lock:
            _unsigned_buckets.add((self.config, bucket))
        client = self.boto3_client(signed=False)
        try:
            return request(client)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
            raise self._translate(error, location, client, version_id, True, write) from error

    @staticmethod
    def _translate(
        error: Exception,
        location: S3Location,
        client: Any,
        version_id: str | None,
        credentials: bool,
        write: bool,
    ) -> Exception:
        from brainio.errors import AccessDeniedError

        if write and isinstance(error, botocore.exceptions.ClientError):
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            code = error.response.get("Error", {}).get("Code", status)
            if status == 403:
                return AccessDeniedError(
                    f"S3 refused to let your AWS credentials write {location.url} ({code}). Use "
                    f"credentials (AWS_PROFILE) that may write to bucket '{location.bucket}', "
                    "or write to another bucket."
                )
        return translate_error(
            error, location, client=client, version_id=version_id, credentials=credentials
        )

    def head_object(self, bucket: str, key: str, version_id: str | None = None) -> ObjectInfo:
        """Size, ETag and version of one object (one HEAD request)."""
        extra = {"VersionId": version_id} if version_id else {}
        answer = self.call(
            bucket,
            key,
            lambda client: client.head_object(Bucket=bucket, Key=key, **extra),
            version_id=version_id,
        )
        return ObjectInfo(
            bucket=bucket,
            key=key,
            size=int(answer["ContentLength"]),
            etag=answer.get("ETag"),
            version_id=answer.get("VersionId") or version_id,
        )

    def list_objects(self, bucket: str, prefix: str = "") -> Iterator[ObjectInfo]:
        """Every object under ``prefix`` in key order (ListObjectsV2, 1,000 keys a page)."""
        token: str | None = None
        while True:
            extra = {"ContinuationToken": token} if token else {}
            page = self.call(
                bucket,
                prefix,
                lambda client, extra=extra: client.list_objects_v2(
                    Bucket=bucket, Prefix=prefix, **extra
                ),
            )
            for item in page.get("Contents", []):
                if item["Key"].endswith("/") and int(item["Size"]) == 0:
                    continue  # a "folder" placeholder, not data
                yield ObjectInfo(bucket, item["Key"], int(item["Size"]), item.get("ETag"))
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                return

    def get_object(self, bucket: str, key: str, **kwargs: Any):
        """An :class:`~brainio_s3.reader.S3Reader` of the object (no request yet)."""
        from brainio_s3.reader import S3Reader

        return S3Reader(bucket, key, client=self, **kwargs)

    def put_object(self, bucket: str, key: str):
        """An :class:`~brainio_s3.writer.S3Writer` that creates the object on ``close()``."""
        from brainio_s3.writer import S3Writer

        return S3Writer(bucket, key, client=self)


def client_for_object(
    uri: str,
    *,
    region: str | None,
    endpoint: str | None,
    s3client_config: S3ClientConfig | None,
    what: str,
) -> tuple[S3Client, S3Location]:
    """The client and location for one object's URL; ``what`` says who needs a full key."""
    from brainio.errors import FetchError
    from brainio_s3.locations import parse_location

    location = parse_location(uri)
    if not location.key or uri.strip().endswith("/"):
        raise FetchError(
            f"'{uri}' names no object (it ends at a bucket or folder); {what} one object: "
            "give its full key, e.g. s3://bucket/folder/file.nc."
        )
    client = S3Client(
        region=region or location.region,
        endpoint=endpoint or location.endpoint_url,
        s3client_config=s3client_config,
    )
    return client, location


def _endpoint_from_environment() -> str | None:
    """The endpoint the environment names, in boto3's order (after the plugin's own setting)."""
    for name in ("BRAINIO_S3_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"):
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def _aws_environment() -> tuple:
    return tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("AWS_")))
