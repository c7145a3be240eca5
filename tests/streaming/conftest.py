"""Fixtures for the streaming tests: moto's S3 server (from ``brainio_s3.testing``, loaded by
the root conftest), buckets with objects, and a fault proxy that also counts bytes.

The fault proxy is the S3 plugin's (``FaultProxy`` in ``tests/s3/conftest.py``), loaded from
there rather than copied.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import socket
import socketserver
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

# the S3 server fixtures (brainio_s3.testing), for the tests of this folder only
from brainio_s3.testing import *  # noqa: F403


def _load_fault_proxy() -> type:
    try:
        from brainio_s3.testing import FaultProxy  # where it may move to

        return FaultProxy
    except ImportError:
        path = Path(__file__).resolve().parents[1] / "s3" / "conftest.py"
        spec = importlib.util.spec_from_file_location("_s3_test_fixtures", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        return module.FaultProxy


FaultProxy = _load_fault_proxy()


@pytest.fixture(autouse=True)
def s3_env(s3_environment: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """boto3 talks to moto, with fake credentials and short timeouts (no test waits long)."""
    env = dict(s3_environment)
    env.update({"BRAINIO_S3_READ_TIMEOUT": "5", "BRAINIO_S3_CONNECT_TIMEOUT": "2"})
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def bucket(make_bucket: Callable[..., str]) -> str:
    return make_bucket(versioned=False)


@pytest.fixture
def put(s3_client) -> Callable[[str, str, bytes], str]:
    """``put(bucket, key, data) -> "s3://bucket/key"``."""

    def put_object(bucket: str, key: str, data: bytes) -> str:
        s3_client.put_object(Bucket=bucket, Key=key, Body=data)
        return f"s3://{bucket}/{key}"

    return put_object


def put_many(s3_client, bucket: str, items: dict[str, bytes]) -> None:
    """Create many small objects quickly (the server handles requests in threads)."""
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(
            pool.map(
                lambda item: s3_client.put_object(Bucket=bucket, Key=item[0], Body=item[1]),
                items.items(),
            )
        )


class _CountingSocket:
    """The client side of a proxied connection, counting the bytes sent back to the client."""

    def __init__(self, sock: socket.socket, proxy: CountingProxy):
        self._sock, self._proxy = sock, proxy

    def sendall(self, data: bytes) -> None:
        with self._proxy.lock:
            self._proxy.bytes_sent += len(data)
        self._sock.sendall(data)

    def __getattr__(self, name: str):
        return getattr(self._sock, name)


class CountingProxy:
    """A :class:`FaultProxy` (faults, requests seen) that also counts the bytes it answered."""

    def __init__(self, fault_proxy):
        self.faults = fault_proxy
        self.bytes_sent = 0
        self.lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        return self.faults.endpoint

    @property
    def requests(self) -> list:
        return self.faults.requests

    def reset(self) -> None:
        with self.lock:
            self.bytes_sent = 0
            self.faults.requests.clear()


@pytest.fixture
def proxy(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CountingProxy]:
    """A fault proxy in front of moto that counts bytes; boto3 in this test talks to it."""
    host, port = moto_endpoint.removeprefix("http://").split(":")
    counting = CountingProxy(FaultProxy(upstream=(host, int(port))))

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            with contextlib.suppress(OSError):
                counting.faults.handle(_CountingSocket(self.request, counting))

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    server = Server(("127.0.0.1", 0), Handler)
    counting.faults.server = server
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", counting.endpoint)
    try:
        yield counting
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:8]


@pytest.fixture
def subprocess_env(s3_env: dict[str, str]) -> dict[str, str]:
    """The environment for a subprocess that talks to moto like this test does."""
    return {**os.environ, **s3_env}
