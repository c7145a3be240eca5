"""``S3Reader``: one S3 object as a read-only, seekable binary file.

Two modes, as in s3torchconnector:

* ``"sequential"`` (default): one GET streams the object from its start; once the first read
  has arrived, a background thread streams ahead, ``part_size`` bytes at a time, while the
  caller works. Everything received stays in memory, so seeking back is free (the whole object
  ends up in memory: use it for objects you read whole, such as checkpoints or samples). A
  ``read()`` of everything left is one read of the response, as fast as boto3's
  ``get_object()["Body"].read()``.
* ``"range"``: every read is a ranged GET, with an adaptive buffer: small reads fill a buffer
  of 64 KiB that grows to a quarter of what the current run of contiguous reads has read (up
  to ``buffer_size``, by default ``part_size``) and shrinks back when reads jump; reads as
  large as the buffer go straight to S3. Memory stays bounded and sparse reads of large
  objects (a few chunks of a netCDF file) download only what they touch.

Both pin the object they started reading (``If-Match`` on its ETag, or its version id), so an
object replaced mid-read raises an error instead of mixing two versions, and both resume after
a dropped connection (up to ``max_attempts``). Not thread-safe, like any file object.
"""

from __future__ import annotations

import bisect
import io
import logging
import threading
from collections import OrderedDict
from typing import Any, Literal

import attrs
import botocore.exceptions
import urllib3.exceptions

from brainio.errors import FetchError
from brainio_s3.client import ObjectFile, ObjectInfo, S3Client
from brainio_s3.errors import translate_error

logger = logging.getLogger(__name__)

Mode = Literal["sequential", "range"]
_MODES = {"sequential": "sequential", "range": "range", "range_based": "range"}
KiB = 1024
#: First size of the range-based reader's buffer; it doubles while reads are sequential.
MIN_BUFFER = 64 * KiB
#: Buffers the range-based reader keeps (most recently used), for reads that jump around,
#: at most this many and at most ``KEPT_PARTS`` times ``buffer_size`` bytes.
KEPT_BLOCKS = 32
KEPT_PARTS = 4
#: Parts a sequential reader streams ahead of the caller before it waits for the caller.
AHEAD_PARTS = 4

# What breaks a response body mid-way; the reader asks again from where it stopped.
_STREAM_ERRORS = (
    botocore.exceptions.ResponseStreamingError,
    botocore.exceptions.IncompleteReadError,
    botocore.exceptions.ReadTimeoutError,
    botocore.exceptions.ConnectionClosedError,
    urllib3.exceptions.HTTPError,
    ConnectionError,
    TimeoutError,
)


class S3Reader(ObjectFile):
    """A read-only binary file over ``s3://bucket/key`` (see the module docstring).

    :param client: the :class:`~brainio_s3.client.S3Client` to use (default: a new one with
        the default configuration).
    :param mode: ``"sequential"`` or ``"range"`` (``"range_based"`` is accepted too).
    :param buffer_size: range mode only: the largest buffer (``0``: no buffer, every read is
        a request); default ``part_size`` of the client's configuration.
    :param size: the object's size if known (e.g. from a listing), sparing a HEAD request.
    :param etag: the ETag the object must have (e.g. from a listing).
    :param version_id: read this version of the object.
    """

    def __init__(
        self,
        bucket: str,
        key: str,
        *,
        client: S3Client | None = None,
        mode: str = "sequential",
        buffer_size: int | None = None,
        size: int | None = None,
        etag: str | None = None,
        version_id: str | None = None,
    ):
        super().__init__(bucket, key, client)
        check_mode(mode)
        if buffer_size is not None and buffer_size < 0:
            raise ValueError(f"buffer_size must be 0 or more, not {buffer_size}.")
        self._object = _Object(bucket, key, self._client, version_id, etag, size)
        self._mode = _MODES[mode]
        self._buffer_size = buffer_size
        self._position = 0
        self._source: _Sequential | _Ranged | None = None

    @property
    def mode(self) -> str:
        return self._mode

    @property
    def size(self) -> int:
        """The object's size in bytes (one HEAD request, or the first GET, when unknown)."""
        self._check_open()
        return self._ensure_source().size()

    @property
    def bytes_received(self) -> int:
        """Bytes of the object this reader has downloaded so far (for measurements)."""
        return self._object.bytes_received

    @property
    def requests(self) -> int:
        """GET and HEAD requests this reader has sent so far."""
        return self._object.requests

    def __repr__(self) -> str:
        return f"S3Reader({self.uri!r}, mode={self._mode!r})"

    def __dask_tokenize__(self) -> tuple:
        return ("S3Reader", self.uri, self._object.version_id, self._object.etag, self._mode)

    def __reduce__(self) -> tuple:
        """Pickles as "the same object at the same position": a new process opens it anew."""
        state = {
            "client": self.client,
            "mode": self._mode,
            "buffer_size": self._buffer_size,
            "version_id": self._object.version_id,
            "etag": self._object.etag,
            "size": self._object.info.size if self._object.info else None,
        }
        return (_restore, (self.bucket, self.key, state, self._position))

    # --- io.BufferedIOBase ----------------------------------------------------------------------

    def tell(self) -> int:
        self._check_open()
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Move to ``offset``; past the end stays at the end, before the start raises."""
        self._check_open()
        if whence == io.SEEK_SET:
            target = offset
        elif whence == io.SEEK_CUR:
            target = self._position + offset
        elif whence == io.SEEK_END:
            target = self.size + offset
        else:
            raise ValueError(f"invalid whence ({whence}, should be 0, 1 or 2)")
        if target < 0:
            raise ValueError(f"negative seek value {target}")
        if target > self._position:
            target = min(target, self.size)
        self._position = target
        return target

    def read(self, size: int | None = -1) -> bytes:
        """Up to ``size`` bytes from the current position (everything left when -1/None)."""
        self._check_open()
        end = None if size is None or size < 0 else self._position + size
        data = self._ensure_source().read(self._position, end)
        self._position += len(data)
        return data

    def read1(self, size: int = -1) -> bytes:
        return self.read(size)

    def readinto(self, buffer: Any) -> int:
        """Fill ``buffer`` from the current position; the number of bytes read."""
        self._check_open()
        view = memoryview(buffer).cast("B")
        if not len(view):
            return 0
        count = self._ensure_source().readinto(self._position, view)
        self._position += count
        return count

    def readinto1(self, buffer: Any) -> int:
        return self.readinto(buffer)

    def readall(self) -> bytes:
        return self.read(-1)

    def prefetch(self) -> None:
        """Start downloading now (sequential: the stream, ahead of reads; range: the size)."""
        self._check_open()
        self._ensure_source().prefetch()

    def close(self) -> None:
        if not self.closed and self._source is not None:
            self._source.close()
            self._source = None
        super().close()

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError(f"I/O operation on closed S3Reader ({self.uri}).")

    def _ensure_source(self) -> _Sequential | _Ranged:
        if self._source is None:
            if self._mode == "sequential":
                self._source = _Sequential(self._object)
            else:
                self._source = _Ranged(self._object, self._buffer_size)
        return self._source


def check_mode(mode: str) -> None:
    """Raise ValueError unless ``mode`` names a reader mode."""
    if mode not in _MODES:
        raise ValueError(
            f"Unknown S3Reader mode {mode!r}: use 'sequential' (objects read whole) or 'range' "
            "(sparse reads of large objects)."
        )


@attrs.frozen
class ReaderConstructor:
    """Makes the readers of a data set, checkpoint or DCP storage; see
    :class:`S3ReaderConstructor`. Picklable, so DataLoader workers make the same readers."""

    mode: str = attrs.field(default="sequential", validator=lambda _, __, mode: check_mode(mode))
    buffer_size: int | None = None

    def __call__(
        self,
        bucket: str,
        key: str,
        *,
        client: S3Client | None = None,
        size: int | None = None,
        etag: str | None = None,
        version_id: str | None = None,
    ) -> S3Reader:
        return S3Reader(
            bucket,
            key,
            client=client,
            mode=self.mode,
            buffer_size=self.buffer_size,
            size=size,
            etag=etag,
            version_id=version_id,
        )

    @property
    def reader_type(self) -> str:
        """s3torchconnector's name of the reader type: ``sequential`` or ``range_based``."""
        return "sequential" if _MODES[self.mode] == "sequential" else "range_based"


class S3ReaderConstructor:
    """Chooses the reader for data sets, ``S3Checkpoint`` and the DCP storage, as in
    s3torchconnector: ``reader_constructor=S3ReaderConstructor.range_based()``.

    * :meth:`sequential` (the default): one GET streams the whole object; best for objects
      read whole (samples, checkpoints) and for reading them again.
    * :meth:`range_based`: ranged GETs through a buffer; best for sparse reads of large
      objects (a few chunks of a netCDF file), memory stays bounded.
    """

    @staticmethod
    def sequential() -> ReaderConstructor:
        """Readers that stream the whole object from its start."""
        return ReaderConstructor("sequential")

    @staticmethod
    def range_based(buffer_size: int | None = None) -> ReaderConstructor:
        """Readers that send ranged GETs; ``buffer_size`` is the largest buffer in bytes
        (default ``part_size`` of the client's configuration, 8 MiB; ``0``: no buffer)."""
        if buffer_size is not None and (not isinstance(buffer_size, int) or buffer_size < 0):
            raise ValueError(
                f"buffer_size must be a whole number of bytes, 0 or more, not {buffer_size!r} "
                "(0 turns the buffer off, None uses the part size)."
            )
        return ReaderConstructor("range", buffer_size)

    @staticmethod
    def default() -> ReaderConstructor:
        """The sequential reader."""
        return S3ReaderConstructor.sequential()

    @staticmethod
    def get_reader_type_string(constructor: ReaderConstructor | None) -> str:
        """``sequential``, ``range_based`` or ``unknown`` (a constructor of your own)."""
        if constructor is None:
            return S3ReaderConstructor.default().reader_type
        return getattr(constructor, "reader_type", "unknown")


def choose_reader_constructor(
    reader_constructor: ReaderConstructor | None, reader_mode: str | None
) -> ReaderConstructor:
    """The constructor from the current (``reader_constructor=``) or the 1.3 (``reader_mode=``)
    argument; both at once must agree."""
    if reader_constructor is None:
        return ReaderConstructor(reader_mode or "sequential")
    if not callable(reader_constructor):
        raise TypeError(
            f"reader_constructor={reader_constructor!r} is not a reader constructor; use "
            "S3ReaderConstructor.sequential() or S3ReaderConstructor.range_based()."
        )
    mode = getattr(reader_constructor, "mode", None)
    if reader_mode is not None and _MODES.get(reader_mode) != _MODES.get(mode):
        raise ValueError(
            f"reader_mode={reader_mode!r} contradicts reader_constructor={reader_constructor!r}; "
            "give only reader_constructor (reader_mode is the older spelling)."
        )
    return reader_constructor


def _restore(bucket: str, key: str, state: dict, position: int) -> S3Reader:
    reader = S3Reader(bucket, key, **state)
    reader._position = position
    return reader


class _Object:
    """The object a reader reads, and the requests for it (shared by both modes; it holds no
    reference to the reader, so a dropped reader is closed and stops its streaming thread)."""

    def __init__(
        self,
        bucket: str,
        key: str,
        client: S3Client,
        version_id: str | None,
        etag: str | None,
        size: int | None,
    ):
        self.bucket, self.key, self.client = bucket, key, client
        self.version_id, self.etag = version_id, etag
        self.info = ObjectInfo(bucket, key, size, etag, version_id) if size is not None else None
        self.bytes_received = 0
        self.requests = 0

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def head(self) -> ObjectInfo:
        if self.info is None:
            self.requests += 1
            self.info = self.client.head_object(self.bucket, self.key, self.version_id)
            self.etag = self.etag or self.info.etag
        return self.info

    def get(self, start: int, end: int | None) -> dict:
        """A GET of ``[start, end)`` (to the end when ``end`` is None), pinned to the object."""
        extra: dict[str, Any] = {}
        if self.version_id:
            extra["VersionId"] = self.version_id
        elif self.etag:
            extra["IfMatch"] = self.etag
        if start or end is not None:
            extra["Range"] = f"bytes={start}-" + ("" if end is None else str(end - 1))
        self.requests += 1
        response = self.client.call(
            self.bucket,
            self.key,
            lambda client: client.get_object(Bucket=self.bucket, Key=self.key, **extra),
            version_id=self.version_id,
        )
        self.etag = self.etag or response.get("ETag")
        if self.info is None:
            self.info = ObjectInfo(
                self.bucket,
                self.key,
                _total_size(response, start),
                response.get("ETag"),
                self.version_id,
            )
        return response

    def failed(self, error: Exception) -> Exception:
        """The BrainIO error for a response that kept breaking off."""
        return translate_error(
            error,
            self.client.location(self.bucket, self.key),
            client=self.client.boto3_client(),
            version_id=self.version_id,
        )


def _total_size(response: dict, start: int) -> int:
    content_range = response.get("ContentRange")  # "bytes 0-99/1234"
    if content_range and "/" in content_range:
        total = content_range.rsplit("/", 1)[1]
        if total.isdigit():
            return int(total)
    return start + int(response["ContentLength"])


def _is_invalid_range(error: BaseException) -> bool:
    cause = error.__cause__
    if isinstance(cause, botocore.exceptions.ClientError):
        status = cause.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return status == 416 or cause.response.get("Error", {}).get("Code") == "InvalidRange"
    return False


class _Sequential:
    """One GET from the start of the object, received bytes kept in order (see module doc).

    Whoever needs bytes reads the response: the caller, until a read leaves part of the object
    unread; then a thread that streams ahead (at most ``AHEAD_PARTS`` parts beyond what the
    caller asked for), and the caller waits for it.
    """

    def __init__(self, target: _Object):
        self._object = target
        self._part_size = target.client.config.part_size
        self._attempts = target.client.config.max_attempts
        self._chunks: list[bytes] = []
        self._starts: list[int] = []
        self._received = 0
        self._size: int | None = target.info.size if target.info else None
        self._body: Any = None
        self._complete = False
        self._closed = False
        self._error: BaseException | None = None
        self._wanted = 0  # how far the caller has asked; the thread streams ahead of it
        self._read_all = False
        self._io = threading.Lock()  # held by whoever reads the response body
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    # --- the caller's side

    def size(self) -> int:
        if self._size is None:
            with self._io:
                if self._size is None:
                    self._open()
        return self._size

    def prefetch(self) -> None:
        if self._thread is None and not self._complete:
            self._start_thread()

    def read(self, start: int, end: int | None) -> bytes:
        self._ensure(end)
        stop = self._received if end is None else min(end, self._received)
        if start >= stop:
            return b""
        index = bisect.bisect_right(self._starts, start) - 1
        chunk, offset = self._chunks[index], start - self._starts[index]
        if offset + (stop - start) <= len(chunk):  # within one chunk
            if offset == 0 and stop - start == len(chunk):
                return chunk
            return chunk[offset : offset + stop - start]
        pieces, position = [], start
        while position < stop:
            chunk, offset = self._chunks[index], position - self._starts[index]
            piece = memoryview(chunk)[offset : offset + stop - position]
            pieces.append(piece)
            position += len(piece)
            index += 1
        return b"".join(pieces)

    def readinto(self, start: int, view: memoryview) -> int:
        data = self.read(start, start + len(view))
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        if self._thread is None and self._body is not None:
            self._body.close()
            self._body = None

    def _ensure(self, end: int | None) -> None:
        """Return once ``[0, end)`` (everything when None) has arrived; raise if it cannot."""
        if self._thread is None:
            with self._io:
                while not self._complete and (end is None or self._received < end):
                    if self._body is None:
                        self._open()
                        continue
                    rest = self._size - self._received
                    wanted = rest if end is None else end - self._received
                    # the last part or less: take it all now rather than start a thread
                    self._read_some(None if rest - wanted <= self._part_size else wanted)
            with self._changed:
                self._wanted = max(self._wanted, end or self._received)
            if not self._complete:
                self._start_thread()
            return
        with self._changed:
            if end is None:
                self._read_all = True
            self._wanted = max(self._wanted, self._received if end is None else end)
            self._changed.notify_all()
            while (
                self._error is None and not self._complete and (end is None or self._received < end)
            ):
                self._changed.wait()
            if self._error is not None:
                raise self._error

    # --- the streaming side

    def _start_thread(self) -> None:
        self._thread = threading.Thread(
            target=self._stream_ahead, name=f"S3Reader {self._object.uri}", daemon=True
        )
        self._thread.start()

    def _stream_ahead(self) -> None:
        try:
            while True:
                with self._changed:
                    while (
                        not self._closed
                        and not self._read_all
                        and self._size is not None
                        and self._received >= self._wanted + AHEAD_PARTS * self._part_size
                    ):
                        self._changed.wait()
                    if self._closed or self._complete:
                        break
                    amount = None if self._read_all else self._part_size
                with self._io:
                    if self._body is None:
                        self._open()
                    else:
                        self._read_some(amount)
                with self._changed:
                    self._changed.notify_all()
        except BaseException as error:  # handed to the caller, who raises it
            with self._changed:
                self._error = error
                self._changed.notify_all()
        finally:
            body, self._body = self._body, None
            if body is not None:
                body.close()

    def _open(self) -> None:
        """Send the GET (from the first byte not yet received); sets the size."""
        target = self._object
        try:
            response = target.get(self._received, None)
        except FetchError as error:
            if not _is_invalid_range(error):
                raise
            # S3 refuses a range that starts at the end: nothing is left to read
            self._size = target.head().size
            if self._received < self._size:
                raise
            self._finish()
            return
        self._size = target.info.size
        self._body = response["Body"]
        if self._received >= self._size:
            self._finish()

    def _read_some(self, amount: int | None) -> None:
        """Read ``amount`` more bytes (all the rest when None) from the response, asking again
        from the first missing byte after a dropped connection."""
        target = self._object
        failures = 0
        while True:
            try:
                if self._body is None:
                    self._open()
                    if self._complete:
                        return
                data = self._body.read(amount)
                if not data:
                    raise ConnectionError("the response ended early")
                break
            except _STREAM_ERRORS as error:
                self._body = None
                failures += 1
                if failures >= self._attempts:
                    raise target.failed(error) from error
                logger.info(
                    "connection dropped while reading %s at byte %d (%s); resuming",
                    target.uri,
                    self._received,
                    type(error).__name__,
                )
        with self._changed:
            self._starts.append(self._received)
            self._chunks.append(data)
            self._received += len(data)
            target.bytes_received += len(data)
        if self._received >= self._size:
            self._finish()

    def _finish(self) -> None:
        body, self._body = self._body, None
        if body is not None:
            # b"": lets botocore verify the length and any full-object checksum; a response
            # read to its end goes back to the connection pool (closing it would drop the
            # connection)
            body.read()
        with self._changed:
            self._complete = True
            self._changed.notify_all()


class _Ranged:
    """Ranged GETs through an adaptive buffer (see the module docstring).

    The last few buffers filled are kept (a few small blocks for scattered reads such as a
    netCDF file's metadata, which jump back and forth), so alternating between nearby places
    does not download the same bytes again.
    """

    def __init__(self, target: _Object, buffer_size: int | None):
        self._object = target
        self._max_buffer = target.client.config.part_size if buffer_size is None else buffer_size
        self._window = min(MIN_BUFFER, self._max_buffer)
        self._blocks: OrderedDict[int, bytes] = OrderedDict()  # start -> bytes, oldest first
        self._last_end = -1
        self._run_start = 0  # where the current run of contiguous reads began
        self._kept = 0  # bytes in self._blocks

    def size(self) -> int:
        return self._object.head().size

    def prefetch(self) -> None:
        self.size()

    def close(self) -> None:
        self._blocks.clear()
        self._kept = 0

    def read(self, start: int, end: int | None) -> bytes:
        size = self.size()
        end = size if end is None else min(end, size)
        if start >= end:
            return b""
        if self._block_at(start) is None and end - start >= self._window:
            self._adapt(start)
            self._last_end = end
            return self._fetch(start, end)  # large read: straight from S3, no copy
        view = memoryview(bytearray(end - start))
        count = self.readinto(start, view)
        return bytes(view[:count])

    def readinto(self, start: int, view: memoryview) -> int:
        size = self.size()
        end = min(start + len(view), size)
        if start >= end:
            return 0
        position = start
        while position < end:
            found = self._block_at(position)
            if found is not None:  # reuse what a buffer holds
                block_start, block = found
                offset = position - block_start
                count = min(end - position, len(block) - offset)
                view[position - start : position - start + count] = block[offset : offset + count]
                position += count
                continue
            self._adapt(position)
            if end - position >= self._window or self._max_buffer == 0:
                view[position - start : end - start] = self._fetch(position, end)
                position = end
            else:
                self._remember(position, self._fetch(position, min(position + self._window, size)))
        self._last_end = end
        return end - start

    def _block_at(self, position: int) -> tuple[int, bytes] | None:
        for block_start, block in reversed(self._blocks.items()):
            if block_start <= position < block_start + len(block):
                self._blocks.move_to_end(block_start)
                return block_start, block
        return None

    def _remember(self, start: int, block: bytes) -> None:
        self._blocks[start] = block
        self._blocks.move_to_end(start)
        self._kept += len(block)
        budget = KEPT_PARTS * max(self._max_buffer, MIN_BUFFER)
        while len(self._blocks) > 1 and (len(self._blocks) > KEPT_BLOCKS or self._kept > budget):
            self._kept -= len(self._blocks.popitem(last=False)[1])

    def _adapt(self, start: int) -> None:
        """Size the next buffer by the current run of contiguous reads: a quarter of what the
        run has read so far (at least ``MIN_BUFFER``), so a long scan needs few requests while
        reading past a run's end wastes at most a fifth of what the run read."""
        if self._max_buffer == 0:
            return
        continues = start == self._last_end or any(
            block_start + len(block) == start for block_start, block in self._blocks.items()
        )
        if not continues:
            self._run_start = start
        run = start - self._run_start
        self._window = max(min(MIN_BUFFER, self._max_buffer), min(run // 4, self._max_buffer))

    def _fetch(self, start: int, end: int) -> bytes:
        """Bytes ``[start, end)``, asking again for what is missing after a dropped connection."""
        target = self._object
        attempts = target.client.config.max_attempts
        pieces: list[bytes] = []
        position, failures = start, 0
        while position < end:
            try:
                data = target.get(position, end)["Body"].read()
                if not data:
                    raise ConnectionError("the response ended early")
            except _STREAM_ERRORS as error:
                failures += 1
                if failures >= attempts:
                    raise target.failed(error) from error
                continue
            pieces.append(data)
            position += len(data)
            target.bytes_received += len(data)
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)
