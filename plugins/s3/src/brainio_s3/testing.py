"""A real S3 server on loopback for tests: moto's threaded server, spoken to over HTTP.

A pytest plugin for this repository's tests and for catalog packages that want to test their
S3 catalogs without the network. Enable it in a ``conftest.py``::

    pytest_plugins = ["brainio_s3.testing"]

Fixtures:

* ``moto_endpoint`` (session): the server's URL, ``http://127.0.0.1:<free port>``;
* ``s3_environment``: boto3 (in this process and in subprocesses given the returned
  variables) points at the server, with fake credentials and no user AWS configuration;
* ``s3_client``: a boto3 client talking to the server, for arranging test data;
* ``make_bucket``: ``make_bucket(name=None, versioned=True, public=False) -> name``.

Requires ``moto[server]`` (not a dependency of brainio-s3 itself).
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REGION = "us-east-1"
_UNSET = (
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ENDPOINT_URL_S3",
    "AWS_REGION",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def aws_environment(endpoint: str, home: Path) -> dict[str, str]:
    """Variables that point boto3 (here or in a subprocess) at ``endpoint`` with fake keys."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": str(home / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "BRAINIO_PROGRESS": "0",
    }


def public_read_policy(bucket: str) -> str:
    """A bucket policy letting anyone read objects (moto checks HEAD as s3:HeadObject)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "PublicRead",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": ["s3:GetObject", "s3:HeadObject", "s3:ListBucket"],
                    "Resource": [f"arn:aws:s3:::{bucket}/*", f"arn:aws:s3:::{bucket}"],
                }
            ],
        }
    )


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_environment(
    moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    home = tmp_path_factory.mktemp("aws")
    for name in _UNSET:
        monkeypatch.delenv(name, raising=False)
    for name in [n for n in os.environ if n.startswith("BRAINIO_S3_")]:
        monkeypatch.delenv(name)
    env = aws_environment(moto_endpoint, home)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def s3_client(moto_endpoint: str):
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def make_bucket(s3_client) -> Callable[..., str]:
    def make(name: str | None = None, versioned: bool = True, public: bool = False) -> str:
        name = name or f"test-{uuid.uuid4().hex[:12]}"
        try:
            s3_client.create_bucket(Bucket=name)
        except s3_client.exceptions.BucketAlreadyOwnedByYou:
            pass  # the server lives for the whole session; real bucket names repeat
        if versioned:
            s3_client.put_bucket_versioning(
                Bucket=name, VersioningConfiguration={"Status": "Enabled"}
            )
        if public:
            s3_client.put_bucket_policy(Bucket=name, Policy=public_read_policy(name))
        return name

    return make
