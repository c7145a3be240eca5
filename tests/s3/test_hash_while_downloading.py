"""The S3 fetcher hashes while downloading, and the cache uses that sha1 instead of re-reading."""

from __future__ import annotations

import hashlib
import os

import pytest

from brainio.cache import get_cache
from brainio.errors import IntegrityError
from brainio.records import Source
from brainio_s3 import client as client_module
from brainio_s3.fetcher import fetch


@pytest.fixture(autouse=True)
def fresh_clients():
    client_module.clear_clients()
    yield
    client_module.clear_clients()


@pytest.fixture
def big_object(s3, make_bucket, monkeypatch) -> tuple[str, bytes]:
    """An object downloaded in many parallel ranged parts."""
    monkeypatch.setenv("BRAINIO_S3_MULTIPART_THRESHOLD", str(64 * 1024))
    monkeypatch.setenv("BRAINIO_S3_MULTIPART_CHUNKSIZE", str(64 * 1024))
    bucket = make_bucket()
    data = os.urandom(2 * 2**20 + 77)
    s3.put_object(Bucket=bucket, Key="assy_big.nc", Body=data)
    return f"s3://{bucket}/assy_big.nc", data


def test_fetch_returns_the_sha1_of_the_parts_it_wrote(big_object, tmp_path) -> None:
    location, data = big_object
    destination = tmp_path / "download"
    assert fetch(Source("S3", location), destination) == hashlib.sha1(data).hexdigest()
    assert destination.read_bytes() == data


def test_the_cache_checks_the_sha1_computed_while_downloading(big_object) -> None:
    location, data = big_object
    good = hashlib.sha1(data).hexdigest()
    path = get_cache().fetch(Source("S3", location, sha1=good))
    assert path.read_bytes() == data
    wrong = hashlib.sha1(b"something else").hexdigest()
    with pytest.raises(IntegrityError, match=f"has sha1 {good}, but its catalog expects {wrong}"):
        get_cache().fetch(Source("S3", location, sha1=wrong))
