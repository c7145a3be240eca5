"""``S3Checkpoint``: save and load PyTorch checkpoints straight to and from S3.

::

    checkpoint = S3Checkpoint(region="us-east-1")
    with checkpoint.writer("s3://bucket/run-1/epoch-3.pt") as writer:
        torch.save(model.state_dict(), writer)
    with checkpoint.reader("s3://bucket/run-1/epoch-3.pt") as reader:
        state = torch.load(reader, weights_only=True)

A checkpoint whose ``torch.save`` fails inside the ``with`` block is not created (the
multipart upload is aborted), so a half-written checkpoint never looks like a good one.
torch is not imported here: ``torch.save``/``torch.load`` only need file objects.
"""

from __future__ import annotations

from brainio_s3.config import S3ClientConfig
from brainio_s3.reader import S3Reader
from brainio_s3.s3client import S3Client
from brainio_s3.writer import S3Writer


class S3Checkpoint:
    """Readers and writers of checkpoint objects that share one client configuration.

    :param region: the bucket's region.
    :param endpoint: an S3-compatible server's URL.
    :param s3client_config: an :class:`~brainio_s3.config.S3ClientConfig`.
    """

    def __init__(
        self,
        region: str | None = None,
        endpoint: str | None = None,
        s3client_config: S3ClientConfig | None = None,
    ):
        self._client = S3Client(region=region, endpoint=endpoint, s3client_config=s3client_config)

    @property
    def region(self) -> str | None:
        return self._client.config.region

    @property
    def endpoint(self) -> str | None:
        return self._client.config.endpoint

    def reader(self, s3_uri: str, *, mode: str = "sequential") -> S3Reader:
        """A reader of the checkpoint at ``s3_uri`` (sequential: the whole object, fast)."""
        reader = S3Reader.from_uri(s3_uri, s3client_config=self._client.config, mode=mode)
        return reader

    def writer(self, s3_uri: str) -> S3Writer:
        """A writer that creates the checkpoint at ``s3_uri`` when it is closed."""
        return S3Writer.from_uri(s3_uri, s3client_config=self._client.config)
