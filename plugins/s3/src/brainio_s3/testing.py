"""A real S3 server on loopback for tests: moto's threaded server, spoken to over HTTP.

A pytest plugin for this repository's tests and for catalog packages that want to test their
S3 catalogs without the network. Enable it in a ``conftest.py``::

    pytest_plugins = ["brainio_s3.testing"]

Fixtures:

* ``moto_endpoint`` (session): the server's URL, ``http://127.0.0.1:<free port>``;
* ``s3_environment``: boto3 (in this process and in subprocesses given the returned
  variables) points at the server, with fake credentials and no user AWS configuration;
* ``s3_client``: a boto3 client talking to the server, for arranging test data;
* ``make_bucket``: ``make_bucket(name=None, versioned=True, public=False) -> name``;
* ``proxy``: a :class:`FaultProxy` between boto3 and the server (``AWS_ENDPOINT_URL`` points
  at it) that records requests and can answer errors, reset connections or stall.

Requires ``moto[server]`` (not a dependency of brainio-s3 itself).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import socketserver
import struct
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http import HTTPStatus
from pathlib import Path

import attrs
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


# --- the fault-injecting proxy ----------------------------------------------------------------


@attrs.define
class Request:
    method: str
    target: str
    signed: bool


@attrs.define
class FaultProxy:
    """An HTTP proxy on loopback between boto3 and moto, one request per connection.

    Faults apply to the next matching requests and are used up as they fire:
    ``fail(k, status)`` answers the next k requests with an S3 error,
    ``reset_after(n, k)`` forwards n bytes of the next k GET answers and then resets the
    connection, ``stall(seconds, k)`` sends part of the next k GET answers then goes silent,
    ``deny_signed = True`` refuses every signed request with 403 InvalidAccessKeyId,
    ``before_first(method, action)`` runs ``action`` before the next ``method`` request.
    """

    upstream: tuple[str, int]
    requests: list[Request] = attrs.field(factory=list)
    deny_signed: bool = False
    _failures: list[int] = attrs.field(factory=list)
    _resets: list[int] = attrs.field(factory=list)
    _stalls: list[float] = attrs.field(factory=list)
    _before: list[tuple[str, Callable[[], object]]] = attrs.field(factory=list)
    _lock: threading.Lock = attrs.field(factory=threading.Lock)
    server: socketserver.ThreadingTCPServer | None = None

    @property
    def endpoint(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def fail(
        self,
        count: int,
        status: int = 503,
        code: str = "SlowDown",
        headers: dict[str, str] | None = None,
    ) -> None:
        self._failures.extend([(status, code, headers or {})] * count)

    def reset_after(self, nbytes: int, count: int = 1) -> None:
        self._resets.extend([nbytes] * count)

    def stall(self, seconds: float, count: int = 1) -> None:
        self._stalls.extend([seconds] * count)

    def before_first(self, method: str, action: Callable[[], object]) -> None:
        """Run ``action`` (e.g. another writer's upload) just before forwarding the next
        ``method`` request: simulates a concurrent client acting at exactly that moment."""
        self._before.append((method, action))

    def gets(self, key: str | None = None) -> list[Request]:
        """GET requests seen (for ``key`` when given)."""
        return [
            r
            for r in self.requests
            if r.method == "GET" and (key is None or r.target.split("?")[0].endswith("/" + key))
        ]

    def _take(self, queue: list) -> object:
        with self._lock:
            return queue.pop(0) if queue else None

    def handle(self, client: socket.socket) -> None:
        head, body = _read_message(client)
        if head is None:
            return
        lines = head.decode("latin-1").split("\r\n")
        method, target = lines[0].split(" ")[:2]
        signed = any(line.lower().startswith("authorization:") for line in lines[1:])
        with self._lock:
            self.requests.append(Request(method, target, signed))
        if self.deny_signed and signed:
            client.sendall(
                _error_response(
                    403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist."
                )
            )
            return
        with self._lock:
            actions = [a for m, a in self._before if m == method]
            self._before = [(m, a) for m, a in self._before if m != method]
        for action in actions:
            action()
        failure = self._take(self._failures)
        if failure is not None:
            status, code, extra = failure
            client.sendall(_error_response(status, code, "Injected by the test proxy.", extra))
            return
        reset = self._take(self._resets) if method == "GET" else None
        stall = self._take(self._stalls) if method == "GET" and reset is None else None
        headers = [
            line
            for line in lines[1:]
            if line and not line.lower().startswith(("connection:", "keep-alive:"))
        ]
        request = "\r\n".join([lines[0], *headers, "Connection: close", "", ""]).encode("latin-1")
        with socket.create_connection(self.upstream) as upstream:
            upstream.sendall(request + body)
            answer = _read_all(upstream)
        answer = _close_after(answer)
        if reset is not None:
            client.sendall(answer[: min(reset, len(answer) - 1)])
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return
        if stall is not None:
            split = answer.index(b"\r\n\r\n") + 4 + 16
            client.sendall(answer[:split])
            time.sleep(stall)
            return
        client.sendall(answer)


def _read_message(sock: socket.socket) -> tuple[bytes | None, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None, b""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head, body


def _read_all(sock: socket.socket) -> bytes:
    parts = []
    while chunk := sock.recv(1 << 20):
        parts.append(chunk)
    return b"".join(parts)


def _close_after(answer: bytes) -> bytes:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"connection:")]
    return b"\r\n".join([*lines, b"Connection: close"]) + b"\r\n\r\n" + body


def _error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> bytes:
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
        f"<Message>{message}</Message></Error>"
    ).encode()
    reason = HTTPStatus(status).phrase
    extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/xml\r\n{extra}"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


@pytest.fixture
def proxy(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultProxy]:
    """A fault proxy in front of moto; boto3 in this test talks to the proxy."""
    host, port = moto_endpoint.removeprefix("http://").split(":")
    fault_proxy = FaultProxy(upstream=(host, int(port)))

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            with contextlib.suppress(OSError):
                fault_proxy.handle(self.request)

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    server = Server(("127.0.0.1", 0), Handler)
    fault_proxy.server = server
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", fault_proxy.endpoint)
    try:
        yield fault_proxy
    finally:
        server.shutdown()
        server.server_close()
