"""``S3Checkpoint``: save and load PyTorch checkpoints straight to and from S3.

::

    checkpoint = S3Checkpoint(region="us-east-1")
    with checkpoint.writer("s3://bucket/run-1/epoch-3.pt") as writer:
        torch.save(model.state_dict(), writer)
    with checkpoint.reader("s3://bucket/run-1/epoch-3.pt") as reader:
        state = torch.load(reader, weights_only=True)

A checkpoint whose ``torch.save`` fails inside the ``with`` block is not created (the
multipart upload is aborted), so a half-written checkpoint never looks like a good one.
torch is not imported here: ``torch.save``/``torch.load`` only need file objects. Sharded
checkpoints of ``torch.distributed.checkpoint`` are :mod:`brainio_s3.dcp`'s.
"""

from __future__ import annotations

from brainio_s3.client import HoldsClient, S3Client, client_for_object
from brainio_s3.config import S3ClientConfig
from brainio_s3.reader import ReaderConstructor, S3Reader, choose_reader_constructor
from brainio_s3.writer import S3Writer


class S3Checkpoint(HoldsClient):
    """Readers and writers of checkpoint objects that share one client configuration.

    :param region: the bucket's region.
    :param endpoint: an S3-compatible server's URL.
    :param s3client_config: an :class:`~brainio_s3.config.S3ClientConfig`.
    :param reader_constructor: the readers :meth:`reader` makes
        (``S3ReaderConstructor.sequential()``, the default, or ``.range_based()``).
    """

    def __init__(
        self,
        region: str | None = None,
        endpoint: str | None = None,
        s3client_config: S3ClientConfig | None = None,
        *,
        reader_constructor: ReaderConstructor | None = None,
    ):
        self._client = S3Client(region=region, endpoint=endpoint, s3client_config=s3client_config)
        self._reader_constructor = choose_reader_constructor(reader_constructor, None)

    def reader(self, s3_uri: str, *, mode: str | None = None) -> S3Reader:
        """A reader of the checkpoint at ``s3_uri`` (``mode=`` is the 1.3 way to choose it)."""
        client, location = self._object(s3_uri, "a checkpoint reader reads")
        constructor = (
            self._reader_constructor if mode is None else choose_reader_constructor(None, mode)
        )
        return constructor(location.bucket, location.key, client=client)

    def writer(self, s3_uri: str) -> S3Writer:
        """A writer that creates the checkpoint at ``s3_uri`` when it is closed."""
        client, location = self._object(s3_uri, "a checkpoint writer writes")
        return S3Writer(location.bucket, location.key, client=client)

    def _object(self, s3_uri: str, what: str):
        return client_for_object(
            s3_uri, region=None, endpoint=None, s3client_config=self._client.config, what=what
        )
