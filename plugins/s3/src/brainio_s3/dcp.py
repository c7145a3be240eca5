"""Sharded PyTorch checkpoints (``torch.distributed.checkpoint``) on S3, as s3torchconnector.dcp.

::

    import torch.distributed.checkpoint as dcp
    from brainio_s3.dcp import S3StorageReader, S3StorageWriter

    dcp.save(model.state_dict(), storage_writer=S3StorageWriter(None, "s3://bucket/run-1/step-9"))
    state = model.state_dict()
    dcp.load(state, storage_reader=S3StorageReader(None, "s3://bucket/run-1/step-9"))
    model.load_state_dict(state)

Every rank writes its own objects under the checkpoint's prefix; the coordinator writes
``.metadata`` last. A checkpoint is loadable only once ``.metadata`` exists, and nothing
half-written is ever visible: each object appears only when its writer closes cleanly (a
failed write aborts its multipart upload), and saving over an existing checkpoint first
removes its ``.metadata``, so a save that fails mid-way leaves no checkpoint there (loading
says ``.metadata`` is missing) rather than old metadata over new, partial data.

Requires torch (``pip install brainio-s3[torch]``).
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from typing import Any

from torch.distributed.checkpoint.filesystem import (
    FileSystemBase,
    FileSystemReader,
    FileSystemWriter,
)
from torch.distributed.checkpoint.planner import SavePlan

from brainio.errors import BrainIOError
from brainio_s3.checkpoint import S3Checkpoint
from brainio_s3.client import HoldsClient, S3Client
from brainio_s3.config import S3ClientConfig
from brainio_s3.errors import S3ObjectNotFoundError
from brainio_s3.locations import parse_location
from brainio_s3.reader import ReaderConstructor

__all__ = ["S3FileSystem", "S3StorageReader", "S3StorageWriter"]

logger = logging.getLogger(__name__)


class S3FileSystem(HoldsClient, FileSystemBase):
    """The file system DCP's writer and reader use, over S3 URLs (``s3://bucket/prefix``).

    :param region: the bucket's region (``None``: boto3's configuration).
    :param s3_client: an :class:`~brainio_s3.client.S3Client` to share; else one is made from
        ``region``, ``endpoint`` and ``s3client_config``.
    :param options: ``endpoint``, ``s3client_config`` and ``reader_constructor`` (how
        checkpoint files are read, default sequential), as for ``S3Checkpoint``.
    """

    def __init__(
        self, region: str | None = None, s3_client: S3Client | None = None, **options: Any
    ) -> None:
        if s3_client is not None:
            options["s3client_config"] = s3_client.config
        self._files = S3Checkpoint(region, **options)
        self._client = self._files.client
        self._path = ""

    @contextlib.contextmanager
    def create_stream(self, path: str | os.PathLike, mode: str) -> Iterator[Any]:
        """A writer (``"wb"``: the object appears on a clean exit) or reader (``"rb"``)."""
        if mode not in ("rb", "wb"):
            raise ValueError(f"S3FileSystem streams open as 'rb' or 'wb', not {mode!r}.")
        uri = os.fspath(path)
        _object(uri)  # an S3 URL of an object, or ValueError
        stream = self._files.writer(uri) if mode == "wb" else self._files.reader(uri)
        with stream:
            yield stream

    def concat_path(self, path: str | os.PathLike, suffix: str) -> str:
        return f"{os.fspath(path).rstrip('/')}/{suffix}"

    def init_path(self, path: str | os.PathLike) -> str:
        self._path = os.fspath(path)
        return self._path

    def rename(self, path: str | os.PathLike, new_path: str | os.PathLike) -> None:
        """Copy within S3 (the new object appears whole), then delete the old one."""
        old, new = _object(path), _object(new_path)
        if old.bucket != new.bucket:
            raise ValueError(
                f"Cannot rename {os.fspath(path)} to {os.fspath(new_path)}: a checkpoint stays "
                "in one bucket."
            )
        self._client.copy_object(old.bucket, old.key, new.bucket, new.key)
        self._client.delete_object(old.bucket, old.key)

    def mkdir(self, path: str | os.PathLike) -> None:
        """Nothing to do: S3 has no folders."""

    def exists(self, path: str | os.PathLike) -> bool:
        location = _object(path)
        try:
            self._client.head_object(location.bucket, location.key)
        except S3ObjectNotFoundError:
            return False
        return True

    def rm_file(self, path: str | os.PathLike) -> None:
        location = _object(path)
        self._client.delete_object(location.bucket, location.key)

    def ls(self, path: str | os.PathLike) -> list[str]:
        """URLs of the objects under ``path``."""
        location = _prefix(path)
        return [
            f"s3://{info.bucket}/{info.key}"
            for info in self._client.list_objects(location.bucket, location.key)
        ]

    @classmethod
    def validate_checkpoint_id(cls, checkpoint_id: str | os.PathLike) -> bool:
        """Whether ``checkpoint_id`` is an S3 URL (``s3://bucket/prefix``)."""
        try:
            return bool(_prefix(checkpoint_id).bucket)
        except (BrainIOError, ValueError, TypeError):
            return False


class S3StorageWriter(FileSystemWriter):
    """``dcp.save(..., storage_writer=S3StorageWriter(region, "s3://bucket/prefix"))``.

    ``thread_count`` objects are written at once per rank; other keywords go to torch's
    ``FileSystemWriter`` (``single_file_per_rank``, ``overwrite`` ...).
    """

    def __init__(
        self,
        region: str | None,
        path: str,
        s3client_config: S3ClientConfig | None = None,
        thread_count: int = 1,
        *,
        endpoint: str | None = None,
        **kwargs: Any,
    ) -> None:
        # sync_files: S3 has no fsync; an object is durable once its writer closed
        super().__init__(path=path, sync_files=False, thread_count=thread_count, **kwargs)
        self.fs = S3FileSystem(region, s3client_config=s3client_config, endpoint=endpoint)
        self.path = self.fs.init_path(path)

    def set_up_storage_writer(self, is_coordinator: bool, *args: Any, **kwargs: Any) -> None:
        super().set_up_storage_writer(is_coordinator, *args, **kwargs)
        self._is_coordinator = is_coordinator

    def prepare_local_plan(self, plan: SavePlan) -> SavePlan:
        """Before any rank writes data (torch has refused already if ``overwrite=False``):
        retire the existing checkpoint's metadata, whose data files are about to change."""
        plan = super().prepare_local_plan(plan)
        if not self.use_collectives and self.rank is not None:
            owned = self._get_metadata_path(self.rank)  # every rank writes its own
        elif self._is_coordinator:
            owned = self._get_metadata_path()
        else:
            return plan
        if self.fs.exists(owned):
            logger.info("replacing the checkpoint at %s", self.path)
            self.fs.rm_file(owned)
        return plan

    @classmethod
    def validate_checkpoint_id(cls, checkpoint_id: str | os.PathLike) -> bool:
        return S3FileSystem.validate_checkpoint_id(checkpoint_id)


class S3StorageReader(FileSystemReader):
    """``dcp.load(state, storage_reader=S3StorageReader(region, "s3://bucket/prefix"))``."""

    def __init__(
        self,
        region: str | None,
        path: str | os.PathLike,
        s3client_config: S3ClientConfig | None = None,
        reader_constructor: ReaderConstructor | None = None,
        *,
        endpoint: str | None = None,
    ) -> None:
        super().__init__(path)
        self.fs = S3FileSystem(
            region,
            s3client_config=s3client_config,
            reader_constructor=reader_constructor,
            endpoint=endpoint,
        )
        self.path = self.fs.init_path(path)
        self.sync_files = False

    @classmethod
    def validate_checkpoint_id(cls, checkpoint_id: str | os.PathLike) -> bool:
        return S3FileSystem.validate_checkpoint_id(checkpoint_id)


def _prefix(path: str | os.PathLike):
    text = os.fspath(path)
    if not text.startswith("s3://"):
        raise ValueError(f"{text!r} is not an S3 URL; checkpoints here go to s3://bucket/prefix.")
    return parse_location(text)


def _object(path: str | os.PathLike):
    location = _prefix(path)
    if not location.key:
        raise ValueError(f"{os.fspath(path)!r} names a bucket, not an object of a checkpoint.")
    return location
