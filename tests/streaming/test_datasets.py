"""S3MapDataset and S3IterableDataset over a prefix of thousands of small objects."""

from __future__ import annotations

import json
import logging
import pickle
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator

import boto3
import pytest

from brainio.errors import FetchError
from brainio_s3.config import SettingsError
from brainio_s3.datasets import S3IterableDataset, S3MapDataset
from brainio_s3.errors import S3ObjectNotFoundError
from brainio_s3.reader import S3Reader

COUNT = 2_000


def read_item(reader: S3Reader) -> tuple[str, bytes]:
    return reader.key, reader.read()


def key_of(reader: S3Reader) -> str:
    return reader.key


@pytest.fixture(scope="module")
def prefix(moto_endpoint: str) -> Iterator[tuple[str, dict[str, bytes]]]:
    """``s3://bucket/samples/`` with COUNT small objects (and one object outside the prefix)."""
    from concurrent.futures import ThreadPoolExecutor

    server_log = logging.getLogger("werkzeug")
    level = server_log.level
    server_log.setLevel(logging.WARNING)

    client = boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    bucket = f"samples-{uuid.uuid4().hex[:8]}"
    client.create_bucket(Bucket=bucket)
    objects = {f"samples/{i:05d}.bin": f"sample {i}".encode() * 3 for i in range(COUNT)}
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(
            pool.map(
                lambda item: client.put_object(Bucket=bucket, Key=item[0], Body=item[1]),
                objects.items(),
            )
        )
    client.put_object(Bucket=bucket, Key="other/outside.bin", Body=b"not a sample")
    server_log.setLevel(level)
    yield f"s3://{bucket}/samples/", objects


def test_map_dataset_is_a_sequence_of_the_prefix(prefix):
    uri, objects = prefix
    dataset = S3MapDataset.from_prefix(uri, region="us-east-1", transform=read_item)
    assert len(dataset) == COUNT
    assert dataset[0] == ("samples/00000.bin", objects["samples/00000.bin"])
    assert dataset[-1][0] == f"samples/{COUNT - 1:05d}.bin"
    assert dict(dataset[i] for i in range(0, COUNT, 97)) == {
        key: objects[key] for key in sorted(objects)[::97]
    }
    with pytest.raises(IndexError, match=f"index {COUNT} is out of range for {COUNT}"):
        dataset[COUNT]


def test_identity_transform_gives_readers(prefix):
    uri, objects = prefix
    item = S3MapDataset.from_prefix(uri)[5]
    assert isinstance(item, S3Reader) and item.read() == objects[item.key]
    assert item.requests == 1  # the listing gave the size: no HEAD


def test_iterable_dataset_sees_every_object_once(prefix):
    uri, objects = prefix
    dataset = S3IterableDataset.from_prefix(uri, transform=key_of)
    assert list(dataset) == sorted(objects)
    assert list(dataset) == sorted(objects)  # a second epoch lists again
    sample = [f"{uri}{key.removeprefix('samples/')}" for key in sorted(objects)[::40]]
    assert dict(S3IterableDataset.from_objects(sample, transform=read_item)) == {
        key: objects[key] for key in sorted(objects)[::40]
    }


def test_sharding_across_distributed_ranks(prefix, monkeypatch):
    uri, objects = prefix
    seen = Counter()
    for rank in range(3):
        monkeypatch.setenv("RANK", str(rank))
        monkeypatch.setenv("WORLD_SIZE", "3")
        dataset = S3IterableDataset.from_prefix(uri, transform=key_of, enable_sharding=True)
        assert (dataset.rank, dataset.world_size) == (rank, 3)
        keys = list(dataset)
        assert keys == sorted(objects)[rank::3]  # round-robin over the ranks, as upstream
        seen.update(keys)
    assert seen == Counter(list(objects))  # each object exactly once across the ranks


def test_rank_is_taken_when_the_dataset_is_built(prefix, monkeypatch):
    uri, objects = prefix
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    dataset = S3IterableDataset.from_prefix(uri, transform=key_of, enable_sharding=True)
    monkeypatch.delenv("RANK")  # e.g. a spawned worker that does not see the process group
    monkeypatch.delenv("WORLD_SIZE")
    assert list(dataset) == sorted(objects)[1::2]
    copy = pickle.loads(pickle.dumps(dataset))  # what a spawned DataLoader worker receives
    assert (copy.rank, copy.world_size) == (1, 2)


def test_bad_rank_variables_are_explained(prefix, monkeypatch):
    monkeypatch.setenv("RANK", "3")
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(SettingsError, match="RANK=3 is not below WORLD_SIZE=2"):
        S3IterableDataset.from_prefix(prefix[0], enable_sharding=True)
    monkeypatch.setenv("RANK", "first")
    with pytest.raises(SettingsError, match="RANK='first'.*not whole numbers"):
        S3IterableDataset.from_prefix(prefix[0], enable_sharding=True)
    # without sharding the rank does not matter
    assert S3IterableDataset.from_prefix(prefix[0]).world_size == 1


def test_from_objects_keeps_the_order_given(prefix):
    uri, objects = prefix
    bucket = uri.removeprefix("s3://").split("/")[0]
    keys = ["samples/00010.bin", "samples/00003.bin", "samples/01999.bin"]
    uris = [f"s3://{bucket}/{key}" for key in keys]
    assert [key for key, _ in S3IterableDataset.from_objects(uris, transform=read_item)] == keys
    single = S3MapDataset.from_objects(uris[0], transform=read_item)
    assert len(single) == 1 and single[0] == (keys[0], objects[keys[0]])


@pytest.mark.parametrize("uri", ["ftp://bucket/key", "s3:///key", "not a url"])
def test_malformed_uris_are_refused_at_once(uri):
    with pytest.raises(FetchError, match="is not an S3 location"):
        S3MapDataset.from_objects([uri])
    with pytest.raises(FetchError, match="is not an S3 location"):
        S3IterableDataset.from_prefix(uri)


def test_object_uri_without_a_key_is_refused(prefix):
    bucket = prefix[0].removeprefix("s3://").split("/")[0]
    with pytest.raises(FetchError, match="names no object.*from_prefix"):
        S3MapDataset.from_objects([f"s3://{bucket}/samples/"])


def test_missing_objects_and_buckets_say_what_is_missing(prefix):
    bucket = prefix[0].removeprefix("s3://").split("/")[0]
    dataset = S3MapDataset.from_objects([f"s3://{bucket}/samples/nope.bin"], transform=read_item)
    with pytest.raises(S3ObjectNotFoundError, match=f"s3://{bucket}/samples/nope.bin does not"):
        dataset[0]
    missing = S3MapDataset.from_prefix("s3://no-such-bucket-here/samples/")
    with pytest.raises(S3ObjectNotFoundError, match="Bucket 'no-such-bucket-here' does not"):
        len(missing)


def test_empty_prefix_warns(prefix, caplog):
    uri = prefix[0].replace("samples/", "nothing-here/")
    assert list(S3IterableDataset.from_prefix(uri)) == []
    assert "holds no objects" in caplog.text


def test_unknown_reader_mode_is_refused_before_any_worker_starts(prefix):
    with pytest.raises(ValueError, match="Unknown S3Reader mode 'fast'"):
        S3MapDataset.from_prefix(prefix[0], reader_mode="fast")


# --- without torch: plain Python, and torch never imported --------------------------------------

NO_TORCH = """
import importlib.abc, json, sys

class NoTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return None

sys.meta_path.insert(0, NoTorch())
import brainio_s3
from brainio_s3 import S3Checkpoint, S3ClientConfig, S3IterableDataset, S3MapDataset
from brainio_s3 import S3Reader, S3Writer, open_assembly

uri = sys.argv[1]
mapped = S3MapDataset.from_prefix(uri, transform=lambda r: r.read())
iterable = S3IterableDataset.from_prefix(uri, transform=lambda r: r.key, enable_sharding=True)
print(json.dumps({
    "len": len(mapped), "first": mapped[0].decode(), "keys": len(list(iterable)),
    "bases": [S3MapDataset.__mro__[-2].__name__, S3IterableDataset.__mro__[-2].__name__],
    "torch": [m for m in sys.modules if m == "torch" or m.startswith("torch.")],
}))
"""

TORCH_NOT_IMPORTED = """
import sys
import brainio_s3.checkpoint, brainio_s3.config, brainio_s3.reader, brainio_s3.remote
import brainio_s3.client, brainio_s3.writer, brainio_s3.plugin
print(sorted(m for m in sys.modules if m == "torch" or m.startswith("torch.")))
"""


def test_datasets_without_torch_are_plain_python(prefix, subprocess_env):
    result = subprocess.run(
        [sys.executable, "-c", NO_TORCH, prefix[0]],
        env=subprocess_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer == {
        "len": COUNT,
        "first": "sample 0" * 3,
        "keys": COUNT,
        "bases": ["_MapBase", "_IterableBase"],
        "torch": [],
    }


def test_other_modules_never_import_torch(subprocess_env):
    result = subprocess.run(
        [sys.executable, "-c", TORCH_NOT_IMPORTED],
        env=subprocess_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# --- with torch: DataLoader workers ---------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:This DataLoader will create:UserWarning")
@pytest.mark.parametrize("workers", [1, 2, 4])
def test_dataloader_workers_see_each_object_once(prefix, workers):
    torch_data = pytest.importorskip("torch.utils.data")
    uri, objects = prefix
    dataset = S3IterableDataset.from_prefix(uri, transform=key_of, enable_sharding=True)
    assert isinstance(dataset, torch_data.IterableDataset)
    loader = torch_data.DataLoader(dataset, batch_size=50, num_workers=workers)
    seen = Counter(key for batch in loader for key in batch)
    assert seen == Counter(list(objects))


@pytest.mark.slow
def test_dataloader_workers_read_objects(prefix):
    torch_data = pytest.importorskip("torch.utils.data")
    uri, objects = prefix
    keys = sorted(objects)[::10]
    uris = [f"{uri}{key.removeprefix('samples/')}" for key in keys]
    iterable = S3IterableDataset.from_objects(uris, transform=read_item, enable_sharding=True)
    loader = torch_data.DataLoader(iterable, batch_size=None, num_workers=2)
    assert dict(loader) == {key: objects[key] for key in keys}
    mapped = S3MapDataset.from_objects(uris, transform=read_item)
    assert isinstance(mapped, torch_data.Dataset)
    loader = torch_data.DataLoader(mapped, batch_size=None, num_workers=2, shuffle=True)
    assert dict(loader) == {key: objects[key] for key in keys}


@pytest.mark.slow
def test_without_sharding_every_worker_sees_everything(prefix):
    torch_data = pytest.importorskip("torch.utils.data")
    uri, objects = prefix
    dataset = S3IterableDataset.from_prefix(uri, transform=key_of)
    loader = torch_data.DataLoader(dataset, batch_size=100, num_workers=2)
    assert Counter(key for batch in loader for key in batch) == Counter(list(objects) * 2)
