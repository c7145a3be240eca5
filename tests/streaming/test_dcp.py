"""``torch.distributed.checkpoint`` on the loopback S3 server: S3StorageWriter/Reader and
S3FileSystem (upstream's dcp tests, in this project's words)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
dcp = pytest.importorskip("torch.distributed.checkpoint")

from torch.distributed.checkpoint.api import CheckpointException  # noqa: E402

from brainio_s3.config import MiB, S3ClientConfig  # noqa: E402
from brainio_s3.dcp import S3FileSystem, S3StorageReader, S3StorageWriter  # noqa: E402
from brainio_s3.reader import S3ReaderConstructor  # noqa: E402

pytestmark = pytest.mark.filterwarnings(
    "ignore::UserWarning:torch.distributed.checkpoint",  # "no process group": one process here
    "ignore::FutureWarning:torch.distributed.checkpoint",
    "ignore:Detected an existing checkpoint:UserWarning",  # saving over one on purpose
)


def small_model(seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Linear(32, 4))


def keys(s3_client, bucket: str, prefix: str) -> list[str]:
    answer = s3_client.list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(item["Key"] for item in answer.get("Contents", []))


def assert_same_state(actual: dict, expected: dict) -> None:
    assert actual.keys() == expected.keys()
    for name, value in expected.items():
        assert torch.equal(actual[name], value), name


@pytest.mark.parametrize(
    "reader_constructor",
    [None, S3ReaderConstructor.sequential(), S3ReaderConstructor.range_based(0)],
    ids=["default", "sequential", "range_based"],
)
def test_save_and_load_a_model(bucket, s3_client, reader_constructor):
    uri = f"s3://{bucket}/run/step-1"
    saved = small_model(0).state_dict()
    dcp.save(saved, storage_writer=S3StorageWriter(None, uri))
    assert ".metadata" in [key.rsplit("/", 1)[-1] for key in keys(s3_client, bucket, "run/")]

    model = small_model(1)  # other values, to be overwritten
    state = model.state_dict()
    reader = S3StorageReader(None, uri, reader_constructor=reader_constructor)
    dcp.load(state, storage_reader=reader)
    model.load_state_dict(state)
    assert_same_state(model.state_dict(), saved)


def test_checkpoint_id_instead_of_a_path(bucket):
    saved = small_model(2).state_dict()
    uri = f"s3://{bucket}/by-id"
    dcp.save(saved, checkpoint_id=uri, storage_writer=S3StorageWriter(None, f"s3://{bucket}/x"))
    state = small_model(3).state_dict()
    dcp.load(state, checkpoint_id=uri, storage_reader=S3StorageReader(None, f"s3://{bucket}/y"))
    assert_same_state(state, saved)


def test_several_files_and_threads(bucket, s3_client):
    uri = f"s3://{bucket}/threads"
    saved = {**small_model(4).state_dict(), "step": 7, "note": "plain objects too"}
    writer = S3StorageWriter(None, uri, thread_count=3, single_file_per_rank=False)
    dcp.save(saved, storage_writer=writer)
    assert len([k for k in keys(s3_client, bucket, "threads/") if k.endswith(".distcp")]) > 3
    state = {**small_model(5).state_dict(), "step": 0, "note": ""}
    dcp.load(state, storage_reader=S3StorageReader(None, uri))
    assert state["step"] == 7 and state["note"] == "plain objects too"
    assert torch.equal(state["0.weight"], saved["0.weight"])


class Unpicklable:
    def __reduce__(self):
        raise RuntimeError("this object refuses to be saved")


def test_a_save_failing_mid_way_leaves_no_checkpoint(bucket, s3_client):
    uri = f"s3://{bucket}/fails"
    dcp.save(small_model(6).state_dict(), storage_writer=S3StorageWriter(None, uri))
    # one file per item: the tensors before the bad object are written, then it fails
    bad = {**small_model(7).state_dict(), "zzz": Unpicklable()}
    with pytest.raises(CheckpointException, match="refuses to be saved"):
        dcp.save(bad, storage_writer=S3StorageWriter(None, uri, single_file_per_rank=False))
    # the old checkpoint's metadata is gone (its data files were being replaced) and no new
    # one was written: loading refuses instead of mixing old metadata with new data
    assert not any(key.endswith(".metadata") for key in keys(s3_client, bucket, "fails/"))
    with pytest.raises(CheckpointException, match=r"fails/\.metadata does not exist"):
        dcp.load(small_model(8).state_dict(), storage_reader=S3StorageReader(None, uri))


def test_a_connection_failing_mid_upload_leaves_no_object(proxy, bucket, s3_client):
    uri = f"s3://{bucket}/broken"
    config = S3ClientConfig(part_size=5 * MiB, max_attempts=1)
    big = {"weight": torch.arange(3 * MiB, dtype=torch.float32)}  # 12 MiB: a multipart upload
    # the server fails the first part upload (after the multipart upload began)
    proxy.faults.before_first("PUT", lambda: proxy.faults.fail(1, 500, "InternalError"))
    with pytest.raises(CheckpointException, match="InternalError"):
        dcp.save(big, storage_writer=S3StorageWriter(None, uri, s3client_config=config))
    assert keys(s3_client, bucket, "broken/") == []  # no data file, no metadata
    assert s3_client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


# --- S3FileSystem on its own ----------------------------------------------------------------


def test_file_system_streams_exist_rename_and_remove(bucket):
    fs = S3FileSystem()
    path = fs.init_path(f"s3://{bucket}/fs/")
    assert path == f"s3://{bucket}/fs/"
    first = fs.concat_path(path, "a.bin")
    assert first == f"s3://{bucket}/fs/a.bin"
    with fs.create_stream(first, "wb") as stream:
        stream.write(b"hello")
    assert fs.exists(first)
    second = fs.concat_path(path, "b.bin")
    fs.rename(first, second)
    assert not fs.exists(first) and fs.exists(second)
    with fs.create_stream(second, "rb") as stream:
        assert stream.read() == b"hello"
    assert fs.ls(path) == [second]
    fs.rm_file(second)
    assert not fs.exists(second)


def test_a_stream_failing_inside_its_block_creates_nothing(bucket):
    fs = S3FileSystem()
    target = f"s3://{bucket}/fs/never.bin"
    with pytest.raises(RuntimeError, match="stop"), fs.create_stream(target, "wb") as stream:
        stream.write(b"partial")
        raise RuntimeError("stop")
    assert not fs.exists(target)


def test_file_system_refuses_what_it_cannot_do(bucket):
    fs = S3FileSystem()
    with pytest.raises(ValueError, match="'rb' or 'wb', not 'ab'"):
        with fs.create_stream(f"s3://{bucket}/x", "ab"):
            pass
    with pytest.raises(ValueError, match="stays in one bucket"):
        fs.rename(f"s3://{bucket}/a", "s3://another-bucket/a")
    with pytest.raises(ValueError, match="is not an S3 URL"):
        fs.exists("/tmp/checkpoint/.metadata")


@pytest.mark.parametrize(
    ("checkpoint_id", "valid"),
    [
        ("s3://bucket/prefix", True),
        ("s3://bucket/prefix/", True),
        ("s3://bucket", True),
        ("/local/folder", False),
        ("relative/folder", False),
        ("", False),
    ],
)
def test_checkpoint_ids(checkpoint_id, valid):
    assert S3FileSystem.validate_checkpoint_id(checkpoint_id) is valid
    assert S3StorageWriter.validate_checkpoint_id(checkpoint_id) is valid
    assert S3StorageReader.validate_checkpoint_id(checkpoint_id) is valid


# --- several ranks ---------------------------------------------------------------------------


@pytest.mark.slow
def test_ranks_save_and_load_one_sharded_checkpoint(bucket, s3_client, tmp_path):
    uri = f"s3://{bucket}/ranks/step-1"
    job = Path(__file__).with_name("spawned_checkpoint.py")
    result = subprocess.run(
        [sys.executable, str(job), uri, "2", str(tmp_path)],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    for rank in range(2):
        assert json.loads((tmp_path / f"rank-{rank}.json").read_text()) == {
            "rank": rank,
            "same": True,
        }
    names = [key.rsplit("/", 1)[-1] for key in keys(s3_client, bucket, "ranks/")]
    assert ".metadata" in names and {"__0_0.distcp", "__1_0.distcp"} <= set(names)
    # one process without a process group reads what both ranks wrote
    state = {"shared": torch.zeros(1000), "rank0": torch.zeros(64), "rank1": torch.zeros(64)}
    dcp.load(state, storage_reader=S3StorageReader(None, uri))
    assert torch.equal(state["shared"], torch.arange(1000, dtype=torch.float32))
    assert torch.equal(state["rank1"], torch.ones(64))
