"""S3Reader against moto: every read compared byte for byte with the object, in both modes."""

from __future__ import annotations

import array
import io
import pickle
import random
import time

import pytest

from brainio.errors import FetchError
from brainio_s3.client import S3Client
from brainio_s3.config import MiB, S3ClientConfig
from brainio_s3.reader import MIN_BUFFER, S3Reader

PART = 5 * MiB
SIZE = 2 * PART + 12_345  # three parts, the last one short
MODES = ["sequential", "range"]


@pytest.fixture(scope="module")
def data() -> bytes:
    return random.Random(1).randbytes(SIZE)


@pytest.fixture
def client() -> S3Client:
    return S3Client(s3client_config=S3ClientConfig(part_size=PART))


@pytest.fixture
def uri(bucket: str, put, data: bytes) -> str:
    return put(bucket, "objects/blob.bin", data)


def open_reader(uri: str, client: S3Client, mode: str, **kwargs) -> S3Reader:
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    return S3Reader(bucket, key, client=client, mode=mode, **kwargs)


BOUNDARIES = [0, 1, MIN_BUFFER - 1, MIN_BUFFER, PART - 1, PART, PART + 1, 2 * PART]
BOUNDARIES += [SIZE - 1, SIZE, SIZE + 1, 10 * SIZE]
SIZES = [0, 1, 7, MIN_BUFFER, PART + 3, -1, None]


@pytest.mark.parametrize("mode", MODES)
def test_seek_and_read_at_every_boundary(uri, client, data, mode):
    reader = open_reader(uri, client, mode)
    assert (reader.bucket, reader.key) == tuple(uri.removeprefix("s3://").split("/", 1))
    for position in BOUNDARIES:
        for size in SIZES:
            assert reader.seek(position) == min(position, SIZE)
            expected = data[position:] if size is None or size < 0 else data[position:][:size]
            assert reader.read(size) == expected, (position, size)
            assert reader.tell() == min(position, SIZE) + len(expected)


def test_unbuffered_range_reads_and_small_buffers(uri, client, data):
    for buffer_size in (0, 1000):
        reader = open_reader(uri, client, "range", buffer_size=buffer_size)
        for position in BOUNDARIES[:8]:
            reader.seek(position)
            assert reader.read(1500) == data[position : position + 1500]


@pytest.mark.parametrize("mode", MODES)
def test_seek_whence_and_bounds(uri, client, data, mode):
    reader = open_reader(uri, client, mode)
    assert reader.seek(0, io.SEEK_END) == SIZE
    assert reader.read() == b""
    assert reader.seek(-5, io.SEEK_END) == SIZE - 5
    assert reader.read() == data[-5:]
    assert reader.seek(100) == 100
    assert reader.seek(10, io.SEEK_CUR) == 110
    assert reader.read(4) == data[110:114]
    assert reader.seek(-14, io.SEEK_CUR) == 100
    assert reader.seek(10**12) == SIZE  # past the end stays at the end
    assert reader.seek(10, io.SEEK_END) == SIZE
    assert reader.seek(1, io.SEEK_CUR) == SIZE
    assert reader.read(10) == b""
    assert reader.readinto(bytearray(10)) == 0
    with pytest.raises(ValueError, match="negative seek value -1"):
        reader.seek(-1)
    with pytest.raises(ValueError, match="negative seek value"):
        reader.seek(-(SIZE + 1), io.SEEK_END)
    reader.seek(3)
    with pytest.raises(ValueError, match="negative seek value -2"):
        reader.seek(-5, io.SEEK_CUR)
    assert reader.tell() == 3  # a refused seek does not move
    with pytest.raises(ValueError, match="invalid whence"):
        reader.seek(0, 7)
    assert reader.seekable() and reader.readable() and not reader.writable()


@pytest.mark.parametrize("mode", MODES)
def test_readinto_sizes(uri, client, data, mode):
    reader = open_reader(uri, client, mode)
    for position in BOUNDARIES:
        for length in (0, 1, 100, PART, SIZE + 10):
            reader.seek(position)
            buffer = bytearray(length)
            count = reader.readinto(buffer)
            expected = data[position : position + length]
            assert count == len(expected)
            assert bytes(buffer[:count]) == expected
    reader.seek(8)
    numbers = array.array("i", [0] * 100)  # a buffer of 4-byte items is filled byte-wise
    assert reader.readinto(numbers) == 400
    assert numbers.tobytes() == data[8:408]
    reader.seek(0)
    view = memoryview(bytearray(64))[16:48]
    assert reader.readinto(view) == 32 and bytes(view) == data[:32]


@pytest.mark.parametrize("mode", MODES)
def test_random_access_matches_the_object(uri, client, data, mode):
    rng = random.Random(7)
    reader = open_reader(uri, client, mode)
    for _ in range(150):
        position = rng.choice([rng.randrange(SIZE + 10), rng.choice(BOUNDARIES)])
        size = rng.choice([rng.randrange(1, 3 * MIN_BUFFER), rng.randrange(1, 200)])
        reader.seek(position)
        assert reader.read(size) == data[position : position + size]


@pytest.mark.parametrize("mode", MODES)
def test_empty_object(bucket, put, client, mode):
    uri = put(bucket, "empty", b"")
    reader = open_reader(uri, client, mode)
    assert reader.read() == b""
    assert reader.size == 0
    assert reader.seek(5) == 0
    assert reader.readinto(bytearray(3)) == 0


@pytest.mark.parametrize("mode", MODES)
def test_closed_reader_refuses_io(uri, client, mode):
    with open_reader(uri, client, mode) as reader:
        reader.read(3)
    assert reader.closed
    with pytest.raises(ValueError, match="closed S3Reader"):
        reader.read(1)
    with pytest.raises(ValueError, match="closed S3Reader"):
        reader.seek(0)


def test_sequential_whole_read_is_one_request(uri, client, data):
    reader = open_reader(uri, client, "sequential")
    assert reader.read() == data
    assert reader.requests == 1 and reader.bytes_received == SIZE
    reader.seek(123)  # backward seeks are served from memory
    assert reader.read(10) == data[123:133] and reader.requests == 1


def test_sequential_streams_ahead_of_the_reader(uri, client, data):
    reader = open_reader(uri, client, "sequential")
    assert reader.read(10) == data[:10]  # the caller's read: 10 bytes
    deadline = time.monotonic() + 10
    while reader.bytes_received < SIZE and time.monotonic() < deadline:
        time.sleep(0.02)
    assert reader.bytes_received == SIZE  # the rest arrived without further reads
    assert reader.read() == data[10:] and reader.requests == 1


def test_prefetch_starts_the_download(uri, client, data):
    reader = open_reader(uri, client, "sequential")
    reader.prefetch()
    deadline = time.monotonic() + 10
    while reader.bytes_received < SIZE and time.monotonic() < deadline:
        time.sleep(0.02)
    assert reader.bytes_received == SIZE
    assert reader.read() == data


def test_range_reads_download_little_and_adapt(uri, client, data):
    reader = open_reader(uri, client, "range")
    reader.seek(PART)
    assert reader.read(10) == data[PART : PART + 10]
    assert reader.bytes_received <= MIN_BUFFER  # a small read fills a small buffer only
    requests = reader.requests
    for offset in range(10, MIN_BUFFER - 1000, 1000):  # small reads within the buffer
        assert reader.read(1000) == data[PART + offset : PART + offset + 1000]
    assert reader.requests == requests
    reader.seek(0)
    chunks = [reader.read(4096) for _ in range(2 * PART // 4096)]  # a long sequential scan
    assert b"".join(chunks) == data[: len(chunks) * 4096]
    # the buffer grew while reads went on: far fewer requests than reads
    assert reader.requests - requests < 40  # of 2,560 reads


def test_large_range_read_goes_straight_to_s3(uri, client, data):
    reader = open_reader(uri, client, "range")
    reader.seek(1000)
    assert reader.read(PART) == data[1000 : 1000 + PART]
    assert reader.bytes_received == PART  # exactly what was asked, no read-ahead


@pytest.mark.parametrize("mode", MODES)
def test_resumes_after_connection_resets(proxy, bucket, put, data, mode):
    uri = put(bucket, "reset.bin", data)
    proxy.faults.reset_after(3 * MiB, count=2)  # the first two answers break off mid-body
    reader = open_reader(uri, S3Client(s3client_config=S3ClientConfig(part_size=PART)), mode)
    if mode == "range":
        reader.seek(100)
        assert reader.read(SIZE) == data[100:]
    else:
        assert reader.read() == data
    assert len(proxy.faults.gets("reset.bin")) == 3  # two broke off, the third resumed


def test_gives_up_after_max_attempts(proxy, bucket, put, data):
    uri = put(bucket, "gone.bin", data)
    proxy.faults.reset_after(1000, count=50)
    config = S3ClientConfig(part_size=PART, max_attempts=2)
    reader = open_reader(uri, S3Client(s3client_config=config), "sequential")
    with pytest.raises(FetchError, match="s3://.*/gone.bin"):
        reader.read()


def test_object_replaced_mid_read_is_an_error(bucket, put, s3_client, client, data):
    uri = put(bucket, "changing.bin", data)
    reader = open_reader(uri, client, "range")
    assert reader.read(10) == data[:10]
    s3_client.put_object(Bucket=bucket, Key="changing.bin", Body=b"new content" * 1000)
    reader.seek(PART)
    with pytest.raises(FetchError, match="changed.*changing.bin|changing.bin.*changed"):
        reader.read(10)


def test_reads_a_pinned_version(make_bucket, s3_client, client):
    bucket = make_bucket(versioned=True)
    first = s3_client.put_object(Bucket=bucket, Key="v.txt", Body=b"first version")
    s3_client.put_object(Bucket=bucket, Key="v.txt", Body=b"second")
    for mode in MODES:
        reader = S3Reader(bucket, "v.txt", client=client, mode=mode, version_id=first["VersionId"])
        assert reader.read() == b"first version"
        assert S3Reader(bucket, "v.txt", client=client, mode=mode).read() == b"second"


@pytest.mark.parametrize("mode", MODES)
def test_pickles_as_the_same_object_and_position(uri, client, data, mode):
    reader = open_reader(uri, client, mode)
    reader.seek(PART - 3)
    assert reader.read(6) == data[PART - 3 : PART + 3]
    copy = pickle.loads(pickle.dumps(reader))
    assert (copy.uri, copy.mode, copy.tell()) == (reader.uri, mode, PART + 3)
    assert copy.read(5) == data[PART + 3 : PART + 8]


def test_from_uri_accepts_every_url_form(bucket, put, s3_env, data):
    put(bucket, "folder/small.txt", b"hello")
    endpoint = s3_env["AWS_ENDPOINT_URL"]
    for uri in (f"s3://{bucket}/folder/small.txt", f"{endpoint}/{bucket}/folder/small.txt"):
        assert S3Reader.from_uri(uri).read() == b"hello"
    reader = S3Reader.from_uri(f"s3://{bucket}/folder/small.txt", mode="range_based")
    assert reader.mode == "range" and reader.read(2) == b"he"
    assert repr(reader) == f"S3Reader('s3://{bucket}/folder/small.txt', mode='range')"
