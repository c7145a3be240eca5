"""``S3Writer``: a write-only binary file that becomes one S3 object when it is closed.

Bytes are uploaded as they are written: each time ``part_size`` bytes have gathered, they go
up as one part of a multipart upload, in the background (at most ``max_connections`` parts at
once, so memory stays bounded), and ``close()`` completes the upload. A writer that never
reaches ``part_size`` sends one plain PUT on ``close()``. The part size doubles every 1,000
parts, so S3's limit of 10,000 parts is never reached below 5 TiB.

The object appears only on a clean ``close()``: an exception inside ``with S3Writer(...)``,
``abort()``, or a writer dropped without ``close()`` aborts the multipart upload and leaves no
object and no stored parts (unlike a local file, which keeps what was written).
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from brainio_s3.client import ObjectFile, S3Client

logger = logging.getLogger(__name__)

PARTS_PER_SIZE_STEP = 1000
MAX_PART_SIZE = 5 * 1024**3


class S3Writer(ObjectFile):
    """Writes ``s3://bucket/key`` (see the module docstring).

    :param client: the :class:`~brainio_s3.client.S3Client` to use.
    """

    reads = False

    def __init__(self, bucket: str, key: str, *, client: S3Client | None = None):
        super().__init__(bucket, key, client)
        config = self._client.config
        self._part_size = config.part_size
        self._pending = bytearray()
        self._written = 0
        self._upload_id: str | None = None
        self._parts: list[Future] = []
        self._slots = threading.BoundedSemaphore(config.max_connections)
        self._executor: ThreadPoolExecutor | None = None
        self._finished = False
        self._lock = threading.Lock()
        self.version_id: str | None = None
        """The version id S3 gave the new object (on a versioned bucket), after ``close()``."""

    def __repr__(self) -> str:
        return f"S3Writer({self.uri!r})"

    # --- io.BufferedIOBase ----------------------------------------------------------------------

    def tell(self) -> int:
        """Bytes written so far."""
        return self._written

    def write(self, data: Any) -> int:
        if self.closed:
            raise ValueError(f"write to closed S3Writer ({self.uri}).")
        view = memoryview(data).cast("B")
        self._pending += view
        self._written += len(view)
        while len(self._pending) >= self._current_part_size():
            size = self._current_part_size()
            part = bytes(self._pending[:size])
            del self._pending[:size]
            self._send_part(part)
        return len(view)

    def flush(self) -> None:
        """Nothing to do: parts leave as soon as they are complete (and S3 keeps no half part)."""

    def close(self) -> None:
        """Upload what is left and create the object (idempotent)."""
        with self._lock:
            if self.closed:
                return
            try:
                if not self._finished:
                    self._complete()
            except BaseException:
                self._abort()
                raise
            finally:
                super().close()

    def abort(self) -> None:
        """Give up: no object is created, stored parts are deleted."""
        with self._lock:
            if not self.closed:
                self._abort()
                super().close()

    def __exit__(self, kind: Any, error: Any, traceback: Any) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()

    def __del__(self) -> None:
        # io's __del__ would close(), i.e. publish a half-written object; abort instead
        if not getattr(self, "closed", True):
            try:
                self.abort()
            except Exception:  # noqa: BLE001 - nothing can be raised from __del__
                logger.warning("could not abort the upload of %s", self.uri, exc_info=True)

    # --- uploading ------------------------------------------------------------------------------

    def _current_part_size(self) -> int:
        step = len(self._parts) // PARTS_PER_SIZE_STEP
        return min(self._part_size * 2**step, MAX_PART_SIZE)

    def _call(self, request: Any) -> Any:
        return self._client.call(self.bucket, self.key, request, write=True)

    def _send_part(self, data: bytes) -> None:
        if self._upload_id is None:
            answer = self._call(
                lambda client: client.create_multipart_upload(Bucket=self.bucket, Key=self.key)
            )
            self._upload_id = answer["UploadId"]
            self._executor = ThreadPoolExecutor(
                max_workers=self._client.config.max_connections,
                thread_name_prefix=f"S3Writer {self.uri}",
            )
        number = len(self._parts) + 1
        for part in self._parts:  # surface a failed part early instead of writing on
            if part.done() and part.exception() is not None:
                part.result()
        self._slots.acquire()  # bounded memory: at most max_connections parts in flight
        try:
            future = self._executor.submit(
                _upload_part, self._client, self.bucket, self.key, self._upload_id, number, data
            )
        except BaseException:
            self._slots.release()
            raise
        release = self._slots.release  # not self: a dropped writer must not stay alive
        future.add_done_callback(lambda _: release())
        self._parts.append(future)

    def _complete(self) -> None:
        if self._upload_id is None:  # small: one PUT
            body = bytes(self._pending)
            answer = self._call(
                lambda client: client.put_object(Bucket=self.bucket, Key=self.key, Body=body)
            )
        else:
            if self._pending or not self._parts:
                self._send_part(bytes(self._pending))
            self._pending = bytearray()
            parts = [future.result() for future in self._parts]
            answer = self._call(
                lambda client: client.complete_multipart_upload(
                    Bucket=self.bucket,
                    Key=self.key,
                    UploadId=self._upload_id,
                    MultipartUpload={"Parts": parts},
                )
            )
            self._shutdown()
        self._finished = True
        self.version_id = answer.get("VersionId")
        logger.debug("wrote %s (%d bytes, version %s)", self.uri, self._written, self.version_id)

    def _abort(self) -> None:
        self._pending = bytearray()
        if self._upload_id is None:
            return
        for future in self._parts:
            future.cancel()
        self._shutdown()
        upload_id, self._upload_id = self._upload_id, None
        try:
            self._call(
                lambda client: client.abort_multipart_upload(
                    Bucket=self.bucket, Key=self.key, UploadId=upload_id
                )
            )
        except Exception:  # noqa: BLE001 - the original error matters more
            logger.warning(
                "could not abort the multipart upload of %s (upload id %s); S3 keeps its parts "
                "until a lifecycle rule removes them",
                self.uri,
                upload_id,
                exc_info=True,
            )
        logger.info("aborted the upload of %s; no object was created", self.uri)

    def _shutdown(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None


def _upload_part(
    client: S3Client, bucket: str, key: str, upload_id: str, number: int, data: bytes
) -> dict:
    """Upload one part (in a worker thread; no reference to the writer, so a dropped writer
    is collected, and aborts, while its parts are in flight)."""
    answer = client.call(
        bucket,
        key,
        lambda boto3_client: boto3_client.upload_part(
            Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data
        ),
        write=True,
    )
    return {"PartNumber": number, "ETag": answer["ETag"]}
