"""The one client layer (``brainio_s3.client``): the signed/unsigned fallback every part of the
plugin shares, what it learns per bucket, and the import graph of the plugin's modules."""

from __future__ import annotations

import ast
import concurrent.futures
import threading
from pathlib import Path

import pytest

import brainio_s3
from brainio.errors import AccessDeniedError
from brainio_s3 import client as client_module
from brainio_s3.client import S3Client
from brainio_s3.reader import S3Reader


@pytest.fixture(autouse=True)
def fresh_clients():
    client_module.clear_clients()
    yield
    client_module.clear_clients()


def read(uri: str) -> bytes:
    return S3Reader.from_uri(uri).read()


def test_access_that_worked_is_tried_first_and_the_other_after_a_refusal(
    s3, make_bucket, proxy, deny_keys
):
    bucket = make_bucket(public=True)
    for key in ("a", "b", "held-out"):
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    proxy.deny_signed = True  # foreign credentials on a public bucket
    assert read(f"s3://{bucket}/a") == b"a"
    assert [r.signed for r in proxy.requests] == [True, False]  # refused, then unsigned

    proxy.requests.clear()
    assert read(f"s3://{bucket}/b") == b"b"
    assert [r.signed for r in proxy.requests] == [False]  # learned: one request

    proxy.deny_signed = False
    deny_keys(bucket, ["held-out"])
    proxy.requests.clear()
    with pytest.raises(AccessDeniedError, match=f"s3://{bucket}/held-out"):
        read(f"s3://{bucket}/held-out")
    # a private object of the same bucket: unsigned refused, so signed is tried too
    assert [r.signed for r in proxy.requests] == [False, True]


def test_writes_are_never_retried_unsigned(s3, make_bucket, proxy):
    bucket = make_bucket(public=True)
    proxy.deny_signed = True
    client = S3Client()
    with pytest.raises(AccessDeniedError, match="refused to let your AWS credentials write"):
        client.delete_object(bucket, "anything")
    assert [r.signed for r in proxy.requests] == [True]


def test_clients_are_cached_per_configuration():
    one, two = S3Client(region="us-west-2"), S3Client(region="us-west-2")
    assert one == two and one.boto3_client() is two.boto3_client()
    assert S3Client(region="eu-west-1").boto3_client() is not one.boto3_client()
    assert one.boto3_client(cached=False) is not one.boto3_client()


def test_threads_asking_at_once_share_one_client_built_once():
    """get_assembly asks from two threads at once: building a client costs a quarter second."""
    built = []
    session = client_module._session(None)
    session.events.register("creating-client-class.s3", lambda **_: built.append(1))
    barrier = threading.Barrier(4)

    def ask(_: int):
        barrier.wait()
        return S3Client(region="us-west-2").boto3_client()

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        clients = list(pool.map(ask, range(4)))
    assert all(client is clients[0] for client in clients)
    assert len(built) == 1


def _imports(path: Path) -> set[str]:
    """Every ``brainio_s3`` module ``path`` imports, also inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("brainio_s3."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("brainio_s3.")}
    return found


def test_the_plugin_has_no_import_cycle():
    folder = Path(brainio_s3.__file__).parent
    graph = {path.stem: _imports(path) for path in folder.glob("*.py") if path.stem != "__init__"}
    assert "reader" not in graph["client"] and "writer" not in graph["client"]

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, f"import cycle: {' -> '.join((*path, module))}"
        for imported in graph.get(module, ()):
            visit(imported, (*path, module))

    for module in graph:
        visit(module, ())
