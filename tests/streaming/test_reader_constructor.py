"""Reader constructors (``S3ReaderConstructor``) on readers, data sets and checkpoints, and
the 1.3 ``reader_mode=`` spelling beside them (upstream's constructor tests, in our words)."""

from __future__ import annotations

import pickle

import pytest

from brainio_s3 import S3Checkpoint, S3IterableDataset, S3MapDataset, S3ReaderConstructor
from brainio_s3.client import S3Client
from brainio_s3.reader import ReaderConstructor, S3Reader

DATA = bytes(range(256)) * 400


@pytest.fixture
def objects(bucket, put) -> list[str]:
    return [put(bucket, f"items/{index}.bin", DATA[index:]) for index in range(3)]


def test_factories_and_their_type_strings():
    assert S3ReaderConstructor.sequential().mode == "sequential"
    assert S3ReaderConstructor.default() == S3ReaderConstructor.sequential()
    ranged = S3ReaderConstructor.range_based(buffer_size=1024)
    assert (ranged.mode, ranged.buffer_size) == ("range", 1024)
    assert S3ReaderConstructor.range_based().buffer_size is None  # the part size
    assert S3ReaderConstructor.get_reader_type_string(None) == "sequential"
    assert S3ReaderConstructor.get_reader_type_string(S3ReaderConstructor.sequential()) == (
        "sequential"
    )
    assert S3ReaderConstructor.get_reader_type_string(ranged) == "range_based"
    assert S3ReaderConstructor.get_reader_type_string(lambda *a, **k: None) == "unknown"


@pytest.mark.parametrize("buffer_size", [-1, 1.5, "8MB"])
def test_bad_buffer_sizes_are_refused(buffer_size):
    with pytest.raises(ValueError, match=r"buffer_size must be a whole number of bytes"):
        S3ReaderConstructor.range_based(buffer_size=buffer_size)


def test_constructors_pickle_for_workers():
    ranged = S3ReaderConstructor.range_based(0)
    assert pickle.loads(pickle.dumps(ranged)) == ranged


@pytest.mark.parametrize(
    ("constructor", "mode"),
    [
        (S3ReaderConstructor.sequential(), "sequential"),
        (S3ReaderConstructor.range_based(0), "range"),
    ],
)
def test_a_constructor_makes_readers_that_read_and_seek(objects, constructor, mode):
    bucket, key = objects[0].removeprefix("s3://").split("/", 1)
    reader = constructor(bucket, key, client=S3Client())
    assert isinstance(reader, S3Reader) and reader.mode == mode
    reader.seek(1000)
    assert reader.read(10) == DATA[1000:1010]
    assert reader.seek(0, 2) == len(DATA)
    reader.seek(-5, 2)
    assert reader.read() == DATA[-5:]
    with pytest.raises(ValueError, match="negative seek value -1"):
        reader.seek(-1)
    buffer = bytearray(100)
    reader.seek(0)
    assert reader.readinto(buffer) == 100 and bytes(buffer) == DATA[:100]


@pytest.mark.parametrize("dataset", [S3MapDataset, S3IterableDataset])
def test_datasets_use_the_constructor_given(objects, dataset):
    uri = objects[0].rsplit("/", 1)[0] + "/"
    default = dataset.from_prefix(uri)
    assert default.reader_constructor == S3ReaderConstructor.sequential()
    ranged = dataset.from_prefix(uri, reader_constructor=S3ReaderConstructor.range_based(0))
    readers = list(ranged)
    assert [reader.mode for reader in readers] == ["range"] * 3
    assert [reader.read() for reader in readers] == [DATA[i:] for i in range(3)]
    by_objects = dataset.from_objects(objects, reader_constructor=S3ReaderConstructor.range_based())
    assert {reader.mode for reader in by_objects} == {"range"}


def test_the_older_reader_mode_still_works(objects):
    uri = objects[0].rsplit("/", 1)[0] + "/"
    dataset = S3MapDataset.from_prefix(uri, reader_mode="range")
    assert dataset.reader_constructor == ReaderConstructor("range")
    assert dataset[1].mode == "range" and dataset[1].read() == DATA[1:]
    same = S3MapDataset.from_prefix(
        uri, reader_mode="range", reader_constructor=S3ReaderConstructor.range_based()
    )
    assert same[0].mode == "range"


def test_contradicting_reader_arguments_are_refused(objects):
    uri = objects[0].rsplit("/", 1)[0] + "/"
    with pytest.raises(ValueError, match="reader_mode='sequential' contradicts"):
        S3IterableDataset.from_prefix(
            uri, reader_mode="sequential", reader_constructor=S3ReaderConstructor.range_based()
        )
    with pytest.raises(TypeError, match="is not a reader constructor"):
        S3MapDataset.from_prefix(uri, reader_constructor="range_based")


def test_checkpoint_readers_follow_the_constructor(bucket):
    uri = f"s3://{bucket}/checkpoint.bin"
    checkpoint = S3Checkpoint(reader_constructor=S3ReaderConstructor.range_based())
    with checkpoint.writer(uri) as writer:
        writer.write(DATA)
    with checkpoint.reader(uri) as reader:
        assert reader.mode == "range" and reader.read() == DATA
    with checkpoint.reader(uri, mode="sequential") as reader:  # the 1.3 spelling
        assert reader.mode == "sequential" and reader.read() == DATA
    with S3Checkpoint().reader(uri) as reader:
        assert reader.mode == "sequential"
