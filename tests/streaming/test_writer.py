"""S3Writer: multipart as it goes, the object only on a clean close."""

from __future__ import annotations

import gc
import random

import pytest

from brainio_s3.client import S3Client
from brainio_s3.config import MiB, S3ClientConfig
from brainio_s3.writer import S3Writer

PART = 5 * MiB


@pytest.fixture
def client() -> S3Client:
    return S3Client(s3client_config=S3ClientConfig(part_size=PART))


def keys(s3_client, bucket: str) -> list[str]:
    return [item["Key"] for item in s3_client.list_objects_v2(Bucket=bucket).get("Contents", [])]


def uploads(s3_client, bucket: str) -> list:
    return s3_client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])


def test_small_object_is_one_put(bucket, s3_client, client):
    with S3Writer(bucket, "small.txt", client=client) as writer:
        assert writer.write(b"hello ") == 6
        writer.write(memoryview(b"world"))
        assert writer.tell() == 11
    assert s3_client.get_object(Bucket=bucket, Key="small.txt")["Body"].read() == b"hello world"
    assert writer.closed


def test_large_object_is_uploaded_in_parts(make_bucket, s3_client, client):
    bucket = make_bucket(versioned=True)
    data = random.Random(3).randbytes(2 * PART + 777)
    rng = random.Random(4)
    writer = S3Writer.from_uri(f"s3://{bucket}/big/blob.bin", s3client_config=client.config)
    position = 0
    while position < len(data):  # writes of every size, across part boundaries
        step = rng.choice([1, 100, 65_536, PART - 1, 3 * MiB])
        writer.write(data[position : position + step])
        position += step
    assert uploads(s3_client, bucket)  # parts went up before close
    assert keys(s3_client, bucket) == []  # but no object yet
    writer.close()
    writer.close()  # idempotent
    answer = s3_client.get_object(Bucket=bucket, Key="big/blob.bin")
    assert answer["Body"].read() == data
    assert answer["ETag"].endswith('-3"')  # three parts
    assert writer.version_id == answer["VersionId"]
    assert uploads(s3_client, bucket) == []


def test_exception_inside_with_leaves_no_object(bucket, s3_client, client):
    with pytest.raises(RuntimeError, match="boom"):
        with S3Writer(bucket, "half.bin", client=client) as writer:
            writer.write(b"x" * (PART + 10))  # one part uploaded
            raise RuntimeError("boom")
    assert writer.closed
    assert keys(s3_client, bucket) == []
    assert uploads(s3_client, bucket) == []  # the multipart upload was aborted


def test_small_writer_aborted_leaves_no_object(bucket, s3_client, client):
    with pytest.raises(KeyError):
        with S3Writer(bucket, "tiny.bin", client=client) as writer:
            writer.write(b"abc")
            raise KeyError("stop")
    assert keys(s3_client, bucket) == []


def test_abort_and_dropped_writer_leave_no_object(bucket, s3_client, client):
    writer = S3Writer(bucket, "aborted.bin", client=client)
    writer.write(b"y" * (PART + 1))
    writer.abort()
    assert writer.closed
    dropped = S3Writer(bucket, "dropped.bin", client=client)
    dropped.write(b"z" * (PART + 1))
    del dropped
    gc.collect()
    assert keys(s3_client, bucket) == []
    assert uploads(s3_client, bucket) == []


def test_write_after_close_is_refused(bucket, client):
    writer = S3Writer(bucket, "closed.txt", client=client)
    writer.close()
    with pytest.raises(ValueError, match="closed S3Writer"):
        writer.write(b"more")
    assert writer.writable() and not writer.readable() and not writer.seekable()


def test_refused_write_names_the_object(proxy, bucket, s3_client):
    from brainio.errors import AccessDeniedError

    client = S3Client(s3client_config=S3ClientConfig(part_size=PART))
    writer = S3Writer(bucket, "denied.txt", client=client)
    writer.write(b"data")
    proxy.faults.fail(1, 403, "AccessDenied")
    with pytest.raises(AccessDeniedError, match=f"may write to bucket '{bucket}'") as caught:
        writer.close()
    assert f"s3://{bucket}/denied.txt" in str(caught.value)
    assert keys(s3_client, bucket) == []
