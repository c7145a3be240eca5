"""The fetcher for catalog rows whose ``location_type`` is ``S3``.

One HEAD request finds the object (and which access works, signed or unsigned) and its size;
then boto3's transfer manager downloads it, in parallel ranged parts above the multipart
threshold, retrying dropped connections and 5xx answers with backoff. The core's cache owns
``destination`` (a temporary file): it checks the sha1 and renames the file into place, so
this module only moves bytes.
"""

from __future__ import annotations

import logging
from pathlib import Path

import botocore.exceptions
from boto3.s3.transfer import TransferConfig, create_transfer_manager
from botocore import UNSIGNED
from s3transfer.subscribers import BaseSubscriber

from brainio.records import Source
from brainio_s3.client import S3Client
from brainio_s3.config import S3ClientConfig
from brainio_s3.errors import translate_error
from brainio_s3.locations import S3Location, parse_location

logger = logging.getLogger(__name__)

LOCATION_TYPE = "S3"


def transfer_config(config: S3ClientConfig, size: int | None = None) -> TransferConfig:
    """The transfer manager's configuration for an object of ``size`` bytes."""
    return TransferConfig(
        multipart_threshold=config.multipart_threshold,
        multipart_chunksize=config.download_part_size(size),
        max_concurrency=config.max_connections,
        num_download_attempts=config.max_attempts,
    )


def fetch(source: Source, destination: Path) -> None:
    """Download the S3 object ``source`` names (at ``source.version_id``) to ``destination``.

    Implements the core's ``Fetcher`` contract; raises a :class:`brainio.errors.FetchError`
    subclass when the object cannot be downloaded.
    """
    download(parse_location(source.location), Path(destination), version_id=source.version_id)


def download(
    location: S3Location,
    destination: Path,
    version_id: str | None = None,
    config: S3ClientConfig | None = None,
    progress: bool = True,
) -> dict:
    """Download one object to ``destination``; returns its HeadObject answer."""
    s3 = S3Client.for_location(location, config)
    extra = {"VersionId": version_id} if version_id else {}
    # one HEAD finds the object, its size, and which access (signed or not) works
    answer = s3.call(
        location.bucket,
        location.key,
        lambda client: client.head_object(Bucket=location.bucket, Key=location.key, **extra),
        version_id=version_id,
    )
    client = s3.boto3_client_for(location.bucket)
    size = int(answer["ContentLength"])
    logger.debug("downloading %s (%d bytes) to %s", location.url, size, destination)
    with _progress(size, location, progress) as bar:
        subscribers = [_KnownObject(size, answer.get("ETag")), ProgressSubscriber(bar)]
        manager = create_transfer_manager(client, transfer_config(s3.config, size))
        try:
            # into the open file, so the only temporary file is the one the cache owns
            with open(destination, "wb") as file:
                future = manager.download(
                    location.bucket, location.key, file, extra_args=extra, subscribers=subscribers
                )
                future.result()
        except (
            botocore.exceptions.ClientError,
            botocore.exceptions.BotoCoreError,
            OSError,
        ) as error:
            if isinstance(error, OSError) and not isinstance(error, ConnectionError | TimeoutError):
                raise
            signed = client.meta.config.signature_version is not UNSIGNED
            raise translate_error(
                error, location, client=client, version_id=version_id, credentials=signed
            ) from error
        finally:
            manager.shutdown()
    return answer


def _progress(size: int, location: S3Location, enabled: bool):
    from brainio import progress

    with progress.enabled(enabled):
        return progress.progress_bar(size, location.key.rsplit("/", 1)[-1] or location.url)


class _KnownObject(BaseSubscriber):
    """Gives the transfer manager the size (and ETag) from our HEAD, sparing it a second HEAD."""

    def __init__(self, size: int, etag: str | None):
        self._size = size
        self._etag = etag

    def on_queued(self, future, **kwargs) -> None:
        future.meta.provide_transfer_size(self._size)
        if self._etag:
            future.meta.provide_object_etag(self._etag)


class ProgressSubscriber(BaseSubscriber):
    """Advances a progress bar as the transfer manager moves bytes (from its threads)."""

    def __init__(self, bar):
        self._bar = bar

    def on_progress(self, future, bytes_transferred: int, **kwargs) -> None:
        self._bar.update(bytes_transferred)
