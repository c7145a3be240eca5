"""Uploading packaged files to S3 (the uploader for ``s3://bucket/prefix`` targets).

Uploads go through boto3's transfer manager (multipart above the threshold, parts in
parallel, a progress bar). An existing key is never overwritten unless asked: a HEAD request
refuses early with a clear error, and the upload itself is conditional (``If-None-Match: *``),
so a concurrent writer cannot slip in between. The returned :class:`StoredObject` carries the
new object's version id, which the catalog row records next to its sha1.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import botocore.exceptions
from boto3.s3.transfer import create_transfer_manager

from brainio.errors import AccessDeniedError, FetchError
from brainio.records import StoredObject
from brainio_s3.client import S3Client, has_credentials
from brainio_s3.config import S3ClientConfig
from brainio_s3.errors import S3ObjectExistsError
from brainio_s3.fetcher import ProgressSubscriber, transfer_config
from brainio_s3.locations import S3Location, parse_location

logger = logging.getLogger(__name__)

_CONDITIONAL_OPERATIONS = ("PutObject", "CompleteMultipartUpload")


def catalog_location(location: S3Location) -> str:
    """How a catalog row names an uploaded object: ``s3://bucket/key``, which names no server,
    so each reader fetches it from the endpoint of their own configuration (AWS by default,
    ``BRAINIO_S3_ENDPOINT_URL`` for another S3-compatible store)."""
    return f"s3://{location.bucket}/{location.key}"


SHA1_METADATA = "sha1"
"""User metadata (``x-amz-meta-sha1``) every upload carries, so ``overwrite=True`` can tell
that the stored object already holds the same bytes and skip the upload."""


class S3Uploader:
    """``upload(local_path, key, *, overwrite=False)`` into the bucket/prefix of ``target``."""

    def __init__(self, target: str, config: S3ClientConfig | None = None):
        self.target = parse_location(target)
        self.config = config

    def __repr__(self) -> str:
        return f"S3Uploader({self.target.url!r})"

    def __call__(
        self, local_path: str | Path, key: str, *, overwrite: bool = False, progress: bool = True
    ) -> StoredObject:
        location = self.target.child(key)
        s3 = S3Client.for_location(location, self.config)
        local_path = Path(local_path)
        if not has_credentials(s3.config.profile):
            raise AccessDeniedError(
                f"Uploading {local_path.name} to {location.url} needs AWS credentials that may "
                f"write to bucket '{location.bucket}'; none were found. Configure them (aws "
                "configure, AWS_PROFILE, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)."
            )
        client = s3.boto3_client(signed=True, cached=False)  # it gets event handlers
        sha1 = _sha1(local_path, progress)
        if overwrite:
            unchanged = _unchanged(client, location, sha1, local_path.stat().st_size)
            if unchanged is not None:
                logger.info(
                    "%s already holds these bytes (sha1 %s): not uploaded", location.url, sha1
                )
                return unchanged
        else:
            self._refuse_existing(client, location)
            for operation in _CONDITIONAL_OPERATIONS:
                client.meta.events.register(
                    f"before-parameter-build.s3.{operation}", _if_none_match
                )
        size = local_path.stat().st_size
        logger.info("uploading %s (%d bytes) to %s", local_path, size, location.url)
        from brainio import progress as progress_module

        with progress_module.enabled(progress):
            bar = progress_module.progress_bar(size, f"upload {local_path.name}")
        manager = create_transfer_manager(client, transfer_config(s3.config, size))
        try:
            with bar:
                manager.upload(
                    str(local_path),
                    location.bucket,
                    location.key,
                    extra_args={"Metadata": {SHA1_METADATA: sha1}},
                    subscribers=[ProgressSubscriber(bar)],
                ).result()
            answer = client.head_object(Bucket=location.bucket, Key=location.key)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
            raise _translate(error, client, location) from error
        finally:
            manager.shutdown()
        if int(answer["ContentLength"]) != size:
            raise FetchError(
                f"{location.url} holds {answer['ContentLength']} bytes after uploading "
                f"{local_path} ({size} bytes); another writer may have replaced it. Upload again."
            )
        version_id = answer.get("VersionId")
        logger.info("uploaded %s, version %s", location.url, version_id)
        return StoredObject(
            location_type="S3", location=catalog_location(location), version_id=version_id
        )

    @staticmethod
    def _refuse_existing(client: Any, location: S3Location) -> None:
        try:
            client.head_object(Bucket=location.bucket, Key=location.key)
        except botocore.exceptions.ClientError as error:
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if status == 404 and error.response.get("Error", {}).get("Code") != "NoSuchBucket":
                return
            raise _translate(error, client, location) from error
        except botocore.exceptions.BotoCoreError as error:
            raise _translate(error, client, location) from error
        raise _exists(location)


def _sha1(path: Path, progress: bool) -> str:
    from brainio import progress as progress_module
    from brainio.hashing import sha1_hash

    with (
        progress_module.enabled(progress),
        progress_module.progress_bar(path.stat().st_size, f"hash {path.name}") as bar,
    ):
        return sha1_hash(path, callback=bar.update)


def _unchanged(client: Any, location: S3Location, sha1: str, size: int) -> StoredObject | None:
    """The stored object, if it already holds bytes with this sha1 and size (else ``None``)."""
    try:
        answer = client.head_object(Bucket=location.bucket, Key=location.key)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError):
        return None  # absent or unreadable: upload (and report errors) as usual
    same = answer.get("Metadata", {}).get(SHA1_METADATA) == sha1
    if not same or int(answer["ContentLength"]) != size:
        return None
    return StoredObject(
        location_type="S3", location=catalog_location(location), version_id=answer.get("VersionId")
    )


def _translate(error: Exception, client: Any, location: S3Location) -> Exception:
    if isinstance(error, botocore.exceptions.ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status == 412 or code in ("PreconditionFailed", "ConditionalRequestConflict"):
            return _exists(location)
    return S3Client.translate(error, location, client, write=True)


def _exists(location: S3Location) -> S3ObjectExistsError:
    return S3ObjectExistsError(
        f"{location.url} already exists; BrainIO does not overwrite packaged data. Choose a new "
        "identifier (or key), or pass overwrite=True to replace it (catalog rows that pin the "
        "old version id keep loading it on a versioned bucket)."
    )


def _if_none_match(params: dict, **kwargs: Any) -> None:
    """Make a write conditional on the key not existing yet (S3 conditional writes)."""
    params.setdefault("IfNoneMatch", "*")
