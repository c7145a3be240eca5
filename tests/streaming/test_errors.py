"""Bad input and failing servers give BrainIO errors that name the object and what to do."""

from __future__ import annotations

import re

import pytest

from brainio.errors import AccessDeniedError, FetchError
from brainio_s3.config import S3ClientConfig
from brainio_s3.errors import S3EndpointError, S3ObjectNotFoundError
from brainio_s3.reader import S3Reader
from brainio_s3.writer import S3Writer

MODES = ["sequential", "range"]


@pytest.mark.parametrize(
    ("uri", "why"),
    [
        ("s3://", "names no bucket"),
        ("ftp://bucket/key", "neither an s3:// URL nor an http"),
        ("bucket/key", "neither an s3:// URL nor an http"),
        ("https://example.org/", "needs the bucket as its first segment"),
    ],
)
def test_malformed_uris(uri, why):
    expected = f"'{re.escape(uri)}' is not an S3 location: .*{re.escape(why)}.*Use s3://"
    with pytest.raises(FetchError, match=expected):
        S3Reader.from_uri(uri)
    with pytest.raises(FetchError, match="is not an S3 location"):
        S3Writer.from_uri(uri)


@pytest.mark.parametrize("uri", ["s3://bucket", "s3://bucket/folder/"])
def test_uris_without_an_object(uri):
    with pytest.raises(FetchError, match=f"'{uri}' names no object.*full key"):
        S3Reader.from_uri(uri)
    with pytest.raises(FetchError, match=f"'{uri}' names no object.*full key"):
        S3Writer.from_uri(uri)


def test_unknown_mode():
    with pytest.raises(ValueError, match="Unknown S3Reader mode 'random'.*'sequential'"):
        S3Reader.from_uri("s3://bucket/key", mode="random")


@pytest.mark.parametrize("mode", MODES)
def test_missing_object_and_bucket(bucket, mode):
    with pytest.raises(S3ObjectNotFoundError, match=f"s3://{bucket}/missing.bin does not exist"):
        S3Reader.from_uri(f"s3://{bucket}/missing.bin", mode=mode).read()
    with pytest.raises(
        S3ObjectNotFoundError, match="Bucket 'no-such-bucket-streaming' does not exist"
    ):
        S3Reader.from_uri("s3://no-such-bucket-streaming/key", mode=mode).read(1)


@pytest.mark.parametrize("mode", MODES)
def test_missing_version(make_bucket, s3_client, mode):
    bucket = make_bucket(versioned=True)
    s3_client.put_object(Bucket=bucket, Key="v.bin", Body=b"data")
    reader = S3Reader.from_uri(f"s3://{bucket}/v.bin", mode=mode, version_id="not-a-version")
    with pytest.raises(S3ObjectNotFoundError, match="not-a-version"):
        reader.read()


@pytest.mark.parametrize("mode", MODES)
def test_wrong_region(proxy, bucket, put, mode):
    uri = put(bucket, "far.bin", b"far away")
    # what S3 answers when the bucket lives in another region (botocore redirects once)
    proxy.faults.fail(2, 301, "PermanentRedirect", headers={"x-amz-bucket-region": "eu-west-1"})
    reader = S3Reader.from_uri(uri, region="us-east-1", mode=mode)
    with pytest.raises(FetchError, match=f"Bucket '{bucket}'.*region 'eu-west-1'.*REGION"):
        reader.read()


def test_private_object_without_credentials(proxy, bucket, put):
    uri = put(bucket, "private.bin", b"secret")
    proxy.faults.deny_signed = True  # S3 refuses these credentials; unsigned is tried next
    proxy.faults.fail(2, 403, "AccessDenied")  # ... and refused as well
    reader = S3Reader.from_uri(uri, s3client_config=S3ClientConfig(max_attempts=1))
    with pytest.raises(AccessDeniedError, match=f"S3 denied access to {uri}.*credentials"):
        reader.read()
    assert [r.signed for r in proxy.requests][-1] is False  # the unsigned retry happened


def test_public_object_with_foreign_credentials_falls_back_to_unsigned(proxy, make_bucket, put):
    uri = put(make_bucket(public=True), "public.bin", b"open data")
    proxy.faults.deny_signed = True
    assert S3Reader.from_uri(uri).read() == b"open data"
    assert [r.signed for r in proxy.requests] == [True, False]


def test_unsigned_config_never_signs(proxy, make_bucket, put):
    uri = put(make_bucket(public=True), "anonymous.bin", b"anonymous")
    reader = S3Reader.from_uri(uri, s3client_config=S3ClientConfig(unsigned=True))
    assert reader.read() == b"anonymous"
    assert [r.signed for r in proxy.requests] == [False]


def test_server_failing_after_every_retry(proxy, bucket, put):
    uri = put(bucket, "busy.bin", b"busy")
    proxy.faults.fail(10, 503, "SlowDown")
    config = S3ClientConfig(max_attempts=2)
    with pytest.raises(S3EndpointError, match=f"kept failing for {uri}.*503"):
        S3Reader.from_uri(uri, s3client_config=config).read()
    assert len(proxy.requests) == 2  # max_attempts counts the first request


def test_server_recovering_within_the_retries(proxy, bucket, put):
    uri = put(bucket, "flaky.bin", b"flaky")
    proxy.faults.fail(2, 503, "SlowDown")
    assert S3Reader.from_uri(uri, s3client_config=S3ClientConfig(max_attempts=3)).read() == (
        b"flaky"
    )


def test_unreachable_endpoint(bucket):
    from brainio_s3.testing import free_port

    endpoint = f"http://127.0.0.1:{free_port()}"
    reader = S3Reader.from_uri(
        f"s3://{bucket}/key", endpoint=endpoint, s3client_config=S3ClientConfig(max_attempts=1)
    )
    with pytest.raises(S3EndpointError, match=f"Could not reach the S3 endpoint {endpoint}"):
        reader.read()
