"""``S3MapDataset`` and ``S3IterableDataset``: S3 objects as a PyTorch data set.

The same constructors as s3torchconnector (``from_prefix``, ``from_objects``); every item is
``transform(reader)`` for an :class:`~brainio_s3.reader.S3Reader` of one object (``transform``
defaults to :func:`identity`, which returns the reader itself).

* With torch installed the classes subclass ``torch.utils.data.Dataset`` /
  ``IterableDataset``, so a ``DataLoader`` treats them as it should; without torch they are
  plain Python sequences / iterables (``len``, indexing, ``for``).
* Safe with DataLoader workers, forked or spawned: a data set holds only its configuration and
  the list of objects; each process builds its own boto3 client on first use.
* ``S3IterableDataset(enable_sharding=True)`` deals the objects round-robin over the
  distributed ranks, then over the DataLoader workers of each rank (as s3torchconnector), so
  each object is read exactly once per epoch across all of them. The rank and world size are
  taken when the data set is built (from ``torch.distributed`` when it is initialized, else
  from the ``RANK``/``WORLD_SIZE`` variables that ``torchrun`` sets), so workers started by
  ``spawn`` or ``forkserver`` shard by the rank that built the data set. Without sharding
  every worker reads every object (as in s3torchconnector).
* ``reader_constructor=S3ReaderConstructor.sequential()`` (default) or ``.range_based(...)``
  chooses the reader; the older ``reader_mode="sequential" | "range"`` still works.
* ``from_prefix`` lists the prefix (ListObjectsV2, with sizes, so readers need no HEAD): the
  map data set once, on first use; the iterable one at the start of every epoch.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from brainio.errors import FetchError
from brainio_s3.client import HoldsClient, ObjectInfo, S3Client
from brainio_s3.config import S3ClientConfig, SettingsError
from brainio_s3.locations import parse_location
from brainio_s3.reader import ReaderConstructor, S3Reader, choose_reader_constructor

logger = logging.getLogger(__name__)

try:
    from torch.utils.data import Dataset as _MapBase
    from torch.utils.data import IterableDataset as _IterableBase
except ImportError:  # plain Python without torch

    class _MapBase:  # type: ignore[no-redef]
        pass

    class _IterableBase:  # type: ignore[no-redef]
        pass


__all__ = ["S3IterableDataset", "S3MapDataset", "identity"]


def identity(reader: S3Reader) -> S3Reader:
    """The default transform: the item is the :class:`S3Reader` itself."""
    return reader


def _objects_from_uris(object_uris: str | Iterable[str]) -> list[ObjectInfo | tuple[str, str]]:
    """``(bucket, key)`` of each URI, checked now so a typo fails before training starts."""
    if isinstance(object_uris, str):
        object_uris = [object_uris]
    objects: list[ObjectInfo | tuple[str, str]] = []
    for uri in object_uris:
        location = parse_location(uri)
        if not location.key or uri.strip().endswith("/"):
            raise FetchError(
                f"'{uri}' names no object (it ends at a bucket or folder). Give full object "
                "URIs to from_objects, or use from_prefix for everything under a folder."
            )
        objects.append((location.bucket, location.key))
    return objects


def _prefix(s3_uri: str) -> tuple[str, str]:
    location = parse_location(s3_uri)
    return location.bucket, location.key + ("/" if s3_uri.endswith("/") and location.key else "")


class _S3Objects(HoldsClient):
    """What both data sets share: a client, the objects, how an item is made, and the
    constructors (the iterable data set adds ``enable_sharding``)."""

    def __init__(
        self,
        *,
        objects: list | None,
        prefix: tuple[str, str] | None,
        region: str | None = None,
        endpoint: str | None = None,
        transform: Callable[[S3Reader], Any] = identity,
        s3client_config: S3ClientConfig | None = None,
        reader_constructor: ReaderConstructor | None = None,
        reader_mode: str | None = None,
    ):
        super().__init__()
        self._client = S3Client(region=region, endpoint=endpoint, s3client_config=s3client_config)
        self._objects = objects
        self._prefix = prefix
        self._transform = transform
        # checked now: a bad reader fails here, not in a worker
        self._reader_constructor = choose_reader_constructor(reader_constructor, reader_mode)

    @classmethod
    def from_prefix(cls, s3_uri: str, **options: Any) -> Any:
        """Every object under ``s3_uri`` (``s3://bucket/prefix``), in key order.

        Options: ``region``, ``endpoint``, ``transform`` (``S3Reader -> item``, default
        :func:`identity`), ``s3client_config``, ``reader_constructor`` (or the older
        ``reader_mode``), and ``enable_sharding`` for :class:`S3IterableDataset`.
        """
        return cls(objects=None, prefix=_prefix(s3_uri), **options)

    @classmethod
    def from_objects(cls, object_uris: str | Iterable[str], **options: Any) -> Any:
        """The objects ``object_uris`` (``s3://bucket/key`` each), in the order given; options
        as for :meth:`from_prefix`."""
        return cls(objects=_objects_from_uris(object_uris), prefix=None, **options)

    @property
    def reader_constructor(self) -> ReaderConstructor:
        return self._reader_constructor

    def _list(self) -> Iterator[ObjectInfo | tuple[str, str]]:
        if self._objects is not None:
            yield from self._objects
            return
        bucket, prefix = self._prefix
        count = 0
        for info in self._client.list_objects(bucket, prefix):
            count += 1
            yield info
        if count == 0:
            logger.warning(
                "s3://%s/%s holds no objects: the data set is empty. Check the prefix.",
                bucket,
                prefix,
            )

    def _item(self, entry: ObjectInfo | tuple[str, str]) -> Any:
        if isinstance(entry, ObjectInfo):
            reader = self._reader_constructor(
                entry.bucket, entry.key, client=self._client, size=entry.size, etag=entry.etag
            )
        else:
            reader = self._reader_constructor(entry[0], entry[1], client=self._client)
        return self._transform(reader)


class S3MapDataset(_S3Objects, _MapBase):
    """A sequence of S3 objects: ``dataset[i]`` is ``transform(reader of object i)``; the
    prefix is listed once, on first use."""

    def _all(self) -> list:
        if self._objects is None:
            self._objects = list(self._list())  # listed once, then shared with workers
        return self._objects

    def __len__(self) -> int:
        return len(self._all())

    def __getitem__(self, index: int) -> Any:
        objects = self._all()
        if not -len(objects) <= index < len(objects):
            raise IndexError(f"index {index} is out of range for {len(objects)} S3 objects")
        return self._item(objects[index])

    def __iter__(self) -> Iterator[Any]:
        for entry in self._all():
            yield self._item(entry)


class S3IterableDataset(_S3Objects, _IterableBase):
    """An iterable of S3 objects, listed every epoch, optionally sharded across ranks and
    DataLoader workers (see the module docstring)."""

    def __init__(self, *, enable_sharding: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self.enable_sharding = enable_sharding
        # now, in the process that builds the data set: workers started by spawn or
        # forkserver have no process group, and every rank would read everything
        self.rank, self.world_size = distributed_rank() if enable_sharding else (0, 1)

    def __iter__(self) -> Iterator[Any]:
        worker, workers = _worker() if self.enable_sharding else (0, 1)
        objects = self._list()
        if self.world_size > 1:  # first over the ranks, then over the workers of this rank
            objects = _every(objects, self.rank, self.world_size)
        if workers > 1:
            objects = _every(objects, worker, workers)
        for entry in objects:
            yield self._item(entry)


def _every(items: Iterable[Any], start: int, step: int) -> Iterator[Any]:
    """Items ``start``, ``start + step``, ``start + 2 * step`` ... of ``items``."""
    for index, item in enumerate(items):
        if index % step == start:
            yield item


def _worker() -> tuple[int, int]:
    """``(worker id, workers)`` of this DataLoader worker; ``(0, 1)`` outside one."""
    if "torch" in sys.modules:  # DataLoader workers have imported torch; never import it here
        info = sys.modules["torch"].utils.data.get_worker_info()
        if info is not None:
            return info.id, info.num_workers
    return 0, 1


def distributed_rank() -> tuple[int, int]:
    """``(rank, world size)`` of this process: ``torch.distributed``'s when it is initialized,
    else ``RANK``/``WORLD_SIZE`` (set by ``torchrun``), else ``(0, 1)``."""
    torch = sys.modules.get("torch")
    if torch is not None:
        distributed = torch.distributed
        if distributed.is_available() and distributed.is_initialized():
            return distributed.get_rank(), distributed.get_world_size()
    try:
        rank = int(os.environ.get("RANK", "0"))
        world_size = int(os.environ.get("WORLD_SIZE", "1"))
    except ValueError:
        raise SettingsError(
            f"RANK={os.environ.get('RANK')!r} / WORLD_SIZE={os.environ.get('WORLD_SIZE')!r} are "
            "not whole numbers; torchrun sets them for distributed training: unset them or fix "
            "them."
        ) from None
    if not 0 <= rank < world_size:
        raise SettingsError(
            f"RANK={rank} is not below WORLD_SIZE={world_size}: sharding needs 0 <= RANK < "
            "WORLD_SIZE (torchrun sets both)."
        )
    return rank, world_size
