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
  at it) that records requests and can answer errors, reset connections or stall;
* ``deny_keys``: ``deny_keys(bucket, keys)``: anyone may read the bucket except ``keys``, as
  S3 treats private data (the previous policy is restored after the test);
* ``swap_catalog``: ``swap_catalog(plugin_module, path)``: a catalog plugin registers the
  catalog at ``path`` instead of its own ``CATALOG_PATH`` for one test;
* ``seed_catalog``: for a catalog generated from facts (one row per S3 object, as the
  Brain-Score catalogs): puts test files at the facts' real buckets and keys, fills in their
  sha1s and version ids, generates the catalog with the production script, denies its private
  objects and swaps it in, so a test loads through exactly the production code path.

Requires ``moto[server]`` (not a dependency of brainio-s3 itself).
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import os
import socket
import socketserver
import struct
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pytest

if TYPE_CHECKING:
    from types import ModuleType

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


def public_read_except(bucket: str, denied_keys: Iterable[str]) -> str:
    """A bucket policy letting anyone read objects except ``denied_keys`` (answered with 403,
    as S3 answers for private data); listing stays refused, as on Brain-Score's bucket."""
    denied = list(denied_keys)
    actions = ["s3:GetObject", "s3:HeadObject"]
    statements = [
        {
            "Sid": "PublicRead",
            "Effect": "Allow",
            "Principal": "*",
            "Action": actions,
            "Resource": f"arn:aws:s3:::{bucket}/*",
        }
    ]
    if denied:
        statements.append(
            {
                "Sid": "HeldOut",
                "Effect": "Deny",
                "Principal": "*",
                "Action": actions,
                "Resource": [f"arn:aws:s3:::{bucket}/{key}" for key in denied],
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


@pytest.fixture
def deny_keys(s3_client) -> Iterator[Callable[[str, Iterable[str]], None]]:
    """``deny_keys(bucket, keys)``: from now on ``bucket`` refuses ``keys`` to everyone and
    serves its other objects to anyone. Each bucket's previous policy returns after the test
    (the server, and so the bucket, lives for the whole session)."""
    previous: dict[str, str | None] = {}

    def deny(bucket: str, keys: Iterable[str]) -> None:
        if bucket not in previous:
            try:
                previous[bucket] = s3_client.get_bucket_policy(Bucket=bucket)["Policy"]
            except s3_client.exceptions.ClientError:
                previous[bucket] = None
        s3_client.put_bucket_policy(Bucket=bucket, Policy=public_read_except(bucket, keys))

    yield deny
    for bucket, policy in previous.items():
        if policy is None:
            s3_client.delete_bucket_policy(Bucket=bucket)
        else:
            s3_client.put_bucket_policy(Bucket=bucket, Policy=policy)


@pytest.fixture
def swap_catalog() -> Iterator[Callable[[ModuleType, Path], None]]:
    """``swap_catalog(plugin_module, path)``: the plugin module's ``CATALOG_PATH`` (which its
    ``brainio_catalogs`` hook registers) is ``path`` until the test ends. Catalogs are read
    anew and S3 clients made anew for the test's environment, on swapping and after."""
    import brainio.lookup
    from brainio_s3.client import clear_clients

    with pytest.MonkeyPatch.context() as patch:

        def swap(plugin_module: ModuleType, path: Path) -> None:
            patch.setattr(plugin_module, "CATALOG_PATH", Path(path))
            clear_clients()
            brainio.lookup.refresh()

        try:
            yield swap
        finally:
            patch.undo()
            clear_clients()
            brainio.lookup.refresh()


def seed_objects(
    s3_client,
    facts: Iterable[dict[str, str]],
    body_of: Callable[[dict[str, str]], bytes],
    *,
    version_ids: bool = True,
) -> None:
    """Put ``body_of(fact)`` at each fact's ``bucket`` and ``key`` and write the object's sha1
    (and, with ``version_ids``, its version id) into the fact."""
    for fact in facts:
        body = body_of(fact)
        answer = s3_client.put_object(Bucket=fact["bucket"], Key=fact["key"], Body=body)
        fact["sha1"] = hashlib.sha1(body).hexdigest()
        if version_ids:
            fact["version_id"] = answer["VersionId"]


@attrs.frozen
class SeededCatalog:
    """What :func:`seed_catalog` made: the catalog swapped in, the facts it was generated from
    (with the seeded sha1s and version ids), its rows, and the keys the buckets refuse."""

    catalog_path: Path
    facts_path: Path
    facts: list[dict[str, str]]
    rows: list[dict[str, str]]
    denied: list[str]


@pytest.fixture
def seed_catalog(
    s3_environment, s3_client, make_bucket, deny_keys, swap_catalog, tmp_path: Path
) -> Callable[..., SeededCatalog]:
    """``seed_catalog(facts, body_of, make_catalog=..., plugin=..., version_ids=True)``.

    ``facts`` are rows of a facts file (dictionaries with the columns of ``FACT_COLUMNS`` of
    the repository's ``scripts/brainscore_catalog.py``), ``body_of(fact)`` the bytes to store
    for each, and ``make_catalog(facts_path, output)`` the production script's function,
    returning a report with ``rows`` (catalog rows with ``location`` and ``access``). The
    objects of ``private`` rows are refused to everyone, and the catalog replaces
    ``plugin.CATALOG_PATH``.
    ``version_ids=False`` keeps the facts' version ids (e.g. empty, as for data copied between
    buckets).
    """

    def seed(
        facts: list[dict[str, str]],
        body_of: Callable[[dict[str, str]], bytes],
        *,
        make_catalog: Callable[[Path, Path], Any],
        plugin: ModuleType,
        version_ids: bool = True,
    ) -> SeededCatalog:
        from brainio_s3.locations import parse_location

        facts = [dict(fact) for fact in facts]
        buckets = sorted({fact["bucket"] for fact in facts})
        for bucket in buckets:
            make_bucket(bucket, versioned=True)
        seed_objects(s3_client, facts, body_of, version_ids=version_ids)
        facts_path = _write_csv(facts, tmp_path / "facts.csv")
        catalog_path = tmp_path / "lookup.csv"
        rows = list(make_catalog(facts_path, catalog_path).rows)
        denied: dict[str, list[str]] = {bucket: [] for bucket in buckets}
        for row in rows:
            if row["access"] == "private":
                location = parse_location(row["location"])
                denied.setdefault(location.bucket, []).append(location.key)
        for bucket, keys in denied.items():
            deny_keys(bucket, keys)
        swap_catalog(plugin, catalog_path)
        return SeededCatalog(
            catalog_path=catalog_path,
            facts_path=facts_path,
            facts=facts,
            rows=rows,
            denied=[key for keys in denied.values() for key in keys],
        )

    return seed


def _write_csv(rows: list[dict[str, str]], path: Path) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


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
