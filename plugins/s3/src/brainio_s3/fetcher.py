"""The fetcher for catalog rows whose ``location_type`` is ``S3``.

One HEAD request finds the object (and which access works, signed or unsigned) and its size;
then boto3's transfer manager downloads it, in parallel ranged parts above the multipart
threshold, retrying dropped connections and 5xx answers with backoff. The core's cache owns
``destination`` (a temporary file): it checks the sha1 and renames the file into place, so
this module only moves bytes.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import botocore.exceptions
from boto3.s3.transfer import TransferConfig, create_transfer_manager
from botocore import UNSIGNED
from s3transfer.subscribers import BaseSubscriber

from brainio.cache import partial_info_path
from brainio.errors import BrainIOError
from brainio.hashing import HashingWriter
from brainio.records import Source
from brainio_s3.client import S3Client
from brainio_s3.config import S3ClientConfig
from brainio_s3.errors import translate_error
from brainio_s3.locations import S3Location, parse_location

logger = logging.getLogger(__name__)

LOCATION_TYPE = "S3"
#: Where :func:`download`'s answer carries the sha1 computed while downloading (or None).
SHA1_KEY = "BrainIOSha1"
#: Downloaded chunks (256 KiB each) that may wait at once for the thread writing the file.
#: s3transfer's default, 100, lets 25 MiB pile up whenever the network outruns that thread (on
#: a fast link it also hashes them), and glibc keeps the memory after the download: with 8,
#: the 149 MiB benchmark file downloaded as fast, at a peak 60-80 MiB lower.
DOWNLOAD_QUEUE = 8


def transfer_config(config: S3ClientConfig, size: int | None = None) -> TransferConfig:
    """The transfer manager's configuration for an object of ``size`` bytes."""
    return TransferConfig(
        multipart_threshold=config.multipart_threshold,
        multipart_chunksize=config.download_part_size(size),
        max_concurrency=config.max_connections,
        num_download_attempts=config.max_attempts,
        max_io_queue=DOWNLOAD_QUEUE,
    )


def fetch(source: Source, destination: Path) -> str | None:
    """Download the S3 object ``source`` names (at ``source.version_id``) to ``destination``.

    Implements the core's ``Fetcher`` contract: returns the sha1 of the file, computed while
    downloading (``None`` if that was not possible); raises a
    :class:`brainio.errors.FetchError` subclass when the object cannot be downloaded.
    """
    answer = download(
        parse_location(source.location), Path(destination), version_id=source.version_id
    )
    return answer.get(SHA1_KEY)


def download(
    location: S3Location,
    destination: Path,
    version_id: str | None = None,
    config: S3ClientConfig | None = None,
    progress: bool = True,
) -> dict:
    """Download one object to ``destination``; returns its HeadObject answer.

    Bytes already in ``destination`` (an interrupted download the cache kept) are resumed with
    a ranged GET when the object is still the one they came from (same ETag, version and
    size, as noted beside them); otherwise the download starts over.
    """
    s3 = S3Client.for_location(location, config)
    extra = {"VersionId": version_id} if version_id else {}
    answer = _head(s3, location, version_id)
    client = s3.boto3_client_for(location.bucket)
    size = int(answer["ContentLength"])
    offset = _resumable_offset(location, destination, answer, version_id)
    logger.debug("downloading %s (%d bytes) to %s", location.url, size, destination)
    with _progress(size, location, progress) as bar:
        bar.update(offset)
        try:
            try:
                if offset:
                    logger.info("resuming %s at byte %d of %d", location.url, offset, size)
                    _download_rest(client, location, destination, offset, answer, extra, bar)
                else:
                    sha1 = _download_whole(
                        client, s3.config, location, destination, answer, extra, bar
                    )
                    answer = {**answer, SHA1_KEY: sha1}
            except BaseException:
                _note_complete(destination)
                raise
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
    partial_info_path(destination).unlink(missing_ok=True)  # complete: nothing to resume
    return answer


def _head(s3: S3Client, location: S3Location, version_id: str | None) -> dict:
    """One HEAD finds the object, its size and ETag, and which access (signed or not) works."""
    extra = {"VersionId": version_id} if version_id else {}
    return s3.call(
        location.bucket,
        location.key,
        lambda client: client.head_object(Bucket=location.bucket, Key=location.key, **extra),
        version_id=version_id,
    )


def object_size(source: Source) -> int | None:
    """The size of the object ``source`` names (one HEAD request); ``None`` if unknown."""
    try:
        location = parse_location(source.location)
        answer = _head(S3Client.for_location(location), location, source.version_id)
    except (BrainIOError, botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError):
        return None
    return int(answer["ContentLength"])


def _identity(location: S3Location, answer: dict, version_id: str | None) -> dict:
    """What a partial download must have come from to be continued."""
    return {
        "location": location.url,
        "etag": answer.get("ETag"),
        "version_id": answer.get("VersionId") or version_id,
        "size": int(answer["ContentLength"]),
    }


def _resumable_offset(
    location: S3Location, destination: Path, answer: dict, version_id: str | None
) -> int:
    """How many bytes of ``destination`` continue this object (0: start over); notes the
    object's identity beside ``destination`` for a later resume."""
    identity = _identity(location, answer, version_id)
    note = partial_info_path(destination)
    kept = destination.stat().st_size if destination.exists() else 0
    offset = 0
    if kept:
        try:
            noted = json.loads(note.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            noted = None
        complete = noted.pop("complete", None) if isinstance(noted, dict) else None
        if noted == identity and identity["etag"] and isinstance(complete, int):
            offset = min(complete, kept, identity["size"])
        else:
            logger.info(
                "%s changed since the interrupted download (or its note is missing): starting over",
                location.url,
            )
    note.write_text(json.dumps(identity), encoding="utf-8")
    return offset


def _note_complete(destination: Path) -> None:
    """After an interruption: record how many bytes of ``destination`` are complete (a
    process killed outright records nothing, and its download starts over)."""
    note = partial_info_path(destination)
    try:
        noted = json.loads(note.read_text(encoding="utf-8"))
        noted["complete"] = destination.stat().st_size
        note.write_text(json.dumps(noted), encoding="utf-8")
    except (OSError, ValueError, TypeError) as error:
        logger.debug("no resume note for %s: %s", destination, error)


def _download_whole(client, config, location, destination, answer, extra, bar) -> str | None:
    """The whole object through the transfer manager (parts in parallel), hashed as the parts
    arrive; returns the sha1 (``None`` if it could not be computed on the way). If it is
    interrupted, the file is cut back to the bytes known to be complete from its start, for a
    resume."""
    size = int(answer["ContentLength"])
    subscribers = [_KnownObject(size, answer.get("ETag")), ProgressSubscriber(bar)]
    # into the open file, so the only temporary file is the one the cache owns
    with HashingWriter(destination) as file:
        manager = create_transfer_manager(client, transfer_config(config, size))
        try:
            manager.download(
                location.bucket, location.key, file, extra_args=extra, subscribers=subscribers
            ).result()
        except BaseException:
            manager.shutdown(cancel=True)  # Ctrl-C stops at once; what was written stays
            file.truncate(file.complete_prefix())
            raise
        manager.shutdown()
        return file.hexdigest()


def _download_rest(client, location, destination, offset, answer, extra, bar) -> None:
    """The bytes after ``offset``, appended; refused by S3 if the object changed meanwhile."""
    if offset >= int(answer["ContentLength"]):
        return
    response = client.get_object(
        Bucket=location.bucket,
        Key=location.key,
        Range=f"bytes={offset}-",
        IfMatch=answer["ETag"],
        **extra,
    )
    with open(destination, "ab") as file:
        for chunk in response["Body"].iter_chunks(chunk_size=1024 * 1024):
            file.write(chunk)
            bar.update(len(chunk))


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
