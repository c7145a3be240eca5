"""A real S3 server for the S3 plugin's tests, and a faulty network in front of it.

* ``moto_endpoint`` (session): moto's threaded S3 server on 127.0.0.1 and a free port.
* ``s3_env`` (autouse): boto3 pointed at it through ``AWS_ENDPOINT_URL``, with fake
  credentials and no user configuration (so tests never read ``~/.aws``).
* ``s3``: a boto3 client talking to moto directly (to arrange buckets and objects).
* ``make_bucket``: a new bucket with versioning on, unique per test (no state shared).
* ``proxy``: a :class:`FaultProxy` between boto3 and moto that counts requests and can reset
  connections after N bytes, stall, refuse signed requests, or answer 503.
"""

from __future__ import annotations

import contextlib
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
import boto3
import pytest

from brainio import hookimpl

REGION = "us-east-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def dead_endpoint() -> str:
    """An endpoint on loopback where nothing listens."""
    return f"http://127.0.0.1:{free_port()}"


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


def aws_environment(endpoint: str, home: Path) -> dict[str, str]:
    """Variables that point boto3 (in this process or a subprocess) at ``endpoint``."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": str(home / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }


_UNSET = (
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL_S3",
    "AWS_REGION",
    "AWS_SECURITY_TOKEN",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
)


@pytest.fixture(autouse=True)
def s3_env(
    moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """boto3 in this test talks to moto, with fake credentials and short timeouts."""
    home = tmp_path_factory.mktemp("aws")
    for name in _UNSET:
        monkeypatch.delenv(name, raising=False)
    for name in [n for n in __import__("os").environ if n.startswith("BRAINIO_S3_")]:
        monkeypatch.delenv(name)
    env = aws_environment(moto_endpoint, home)
    env.update(
        {"BRAINIO_S3_READ_TIMEOUT": "5", "BRAINIO_S3_CONNECT_TIMEOUT": "2", "BRAINIO_PROGRESS": "0"}
    )
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """No AWS credentials anywhere: requests go unsigned."""
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")


@pytest.fixture
def s3(moto_endpoint: str):
    """A client straight to moto, for arranging test data (never through the proxy)."""
    return boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def make_bucket(s3) -> Callable[..., str]:
    """``make_bucket(name=None, versioned=True, public=False) -> name``; unique names."""

    def make(name: str | None = None, versioned: bool = True, public: bool = False) -> str:
        name = name or f"test-{uuid.uuid4().hex[:12]}"
        s3.create_bucket(Bucket=name)
        if versioned:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        if public:
            import json

            # AWS checks HEAD against s3:GetObject; moto checks it against "s3:HeadObject"
            policy = {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "PublicRead",
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": ["s3:GetObject", "s3:HeadObject"],
                        "Resource": f"arn:aws:s3:::{name}/*",
                    }
                ],
            }
            s3.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))
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


# --- packaging an example stimulus set and assembly to S3 -------------------------------------


@attrs.frozen
class Packaged:
    catalog_path: Path
    stimulus_set_identifier: str
    assembly_identifier: str
    keys: tuple[str, ...]
    assembly: object


def _package_example(
    tmp_path: Path,
    target: str,
    catalog_path: Path,
    *,
    stimuli: int = 6,
    neuroids: int = 4,
    repetitions: int = 2,
    name: str | None = None,
) -> Packaged:
    """Package a small stimulus set and a NeuroidAssembly to ``target`` (``s3://bucket/folder``)
    with the S3 uploader and append their rows to ``catalog_path``."""
    import zipfile

    import numpy as np
    import pandas as pd

    from brainio.assemblies import NeuroidAssembly
    from brainio.catalog_append import append_rows
    from brainio.netcdf import write_netcdf
    from brainio.plugins import get_plugin_manager
    from brainio.records import LookupRow

    name = name or f"Test{uuid.uuid4().hex[:6]}"
    set_id, assembly_id = f"lab.{name}", f"lab.{name}.public"
    work = tmp_path / f"package-{name}"
    work.mkdir(parents=True)
    rng = np.random.default_rng(0)
    ids = [f"stim_{i}" for i in range(stimuli)]
    csv_path = work / f"stimulus_{set_id.replace('.', '_')}.csv"
    zip_path = work / f"stimulus_{set_id.replace('.', '_')}.zip"
    pd.DataFrame(
        {
            "stimulus_id": ids,
            "label": [f"label{i % 3}" for i in range(stimuli)],
            "filename": [f"{i}.png" for i in ids],
        }
    ).to_csv(csv_path, index=False)
    with zipfile.ZipFile(zip_path, "w") as archive:
        for stimulus_id in ids:
            archive.writestr(f"{stimulus_id}.png", rng.bytes(200))
    presentations = stimuli * repetitions
    assembly = NeuroidAssembly(
        rng.normal(size=(presentations, neuroids)).astype("float32"),
        coords={
            "stimulus_id": ("presentation", ids * repetitions),
            "repetition": ("presentation", np.repeat(np.arange(repetitions), stimuli)),
            "neuroid_id": ("neuroid", [f"n{i}" for i in range(neuroids)]),
            "region": ("neuroid", ["IT"] * neuroids),
        },
        dims=["presentation", "neuroid"],
    )
    assembly.attrs["stimulus_set_identifier"] = set_id
    nc_path = work / f"assy_{assembly_id.replace('.', '_')}.nc"
    nc_sha1 = write_netcdf(assembly, nc_path)

    upload = get_plugin_manager().hook.brainio_uploader(target=target)
    from brainio.hashing import sha1_hash

    def row(
        path: Path,
        identifier: str,
        lookup_type: str,
        cls: str | None,
        sha1: str,
        stimulus_set_identifier: str | None = None,
    ) -> LookupRow:
        stored = upload(path, path.name)
        return LookupRow(
            identifier=identifier,
            lookup_type=lookup_type,
            class_name=cls,
            location_type=stored.location_type,
            location=stored.location,
            sha1=sha1,
            stimulus_set_identifier=stimulus_set_identifier,
            extra={"version_id": stored.version_id or ""},
        )

    append_rows(
        catalog_path,
        [
            row(csv_path, set_id, "stimulus_set", "StimulusSet", sha1_hash(csv_path)),
            row(zip_path, set_id, "stimulus_set", None, sha1_hash(zip_path)),
        ],
        catalog_name="s3test",
    )
    append_rows(
        catalog_path,
        [
            row(
                nc_path,
                assembly_id,
                "assembly",
                "NeuroidAssembly",
                nc_sha1,
                stimulus_set_identifier=set_id,
            )
        ],
        catalog_name="s3test",
    )
    keys = tuple(p.name for p in (csv_path, zip_path, nc_path))
    return Packaged(catalog_path, set_id, assembly_id, keys, assembly)


@pytest.fixture
def package_example() -> Callable[..., Packaged]:
    """``package_example(tmp_path, "s3://bucket/folder", catalog_path)`` -> :class:`Packaged`."""
    return _package_example


class CatalogPlugin:
    """An in-test plugin contributing one catalog file."""

    def __init__(self, name: str, path: Path):
        self.name, self.path = name, path

    @hookimpl
    def brainio_catalogs(self, register) -> None:
        from brainio.catalogs import Catalog

        register(Catalog.from_files(self.name, self.path))


@pytest.fixture
def register_catalog(register_plugin) -> Callable[[Path], None]:
    """``register_catalog(lookup_csv)``: make a catalog file visible to ``get_assembly``."""

    def register(path: Path, name: str = "s3test") -> None:
        register_plugin(CatalogPlugin(name, path))

    return register
