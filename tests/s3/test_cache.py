"""S3 downloads through the core's cache: verification, concurrency, interrupted downloads."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from brainio.cache import get_cache
from brainio.errors import IntegrityError
from brainio.hashing import sha1_hash
from brainio.records import Source


def _sha1_of(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "reference"
    path.write_bytes(content)
    return sha1_hash(path)


def _leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and ".part" in p.name]


def test_tampered_object_is_refused_and_nothing_is_cached(
    s3, make_bucket, brainio_home, tmp_path
) -> None:
    bucket = make_bucket()
    original = b"the numbers the catalog promises"
    s3.put_object(Bucket=bucket, Key="assy_x.nc", Body=b"someone replaced the numbers")
    source = Source(
        "S3", f"https://{bucket}.s3.amazonaws.com/assy_x.nc", sha1=_sha1_of(original, tmp_path)
    )
    with pytest.raises(IntegrityError, match=r"assy_x.nc.*nothing\s+was cached"):
        get_cache().fetch(source)
    assert not get_cache().is_cached(source)
    assert not [p for p in brainio_home.rglob("*") if p.is_file() and not p.name.endswith(".lock")]


def test_dropped_connections_recover_and_verify(
    s3, make_bucket, proxy, monkeypatch, tmp_path
) -> None:
    monkeypatch.setenv("BRAINIO_S3_MULTIPART_THRESHOLD", str(64 * 1024))
    monkeypatch.setenv("BRAINIO_S3_MULTIPART_CHUNKSIZE", str(64 * 1024))
    bucket = make_bucket()
    content = os.urandom(200 * 1024)
    version = s3.put_object(Bucket=bucket, Key="assy.nc", Body=content)["VersionId"]
    proxy.reset_after(10 * 1024, count=2)
    proxy.fail(1, status=500)
    source = Source(
        "S3", f"s3://{bucket}/assy.nc", sha1=_sha1_of(content, tmp_path), version_id=version
    )
    path = get_cache().fetch(source)
    assert path.read_bytes() == content
    assert get_cache().is_cached(source)


_CONCURRENT_LOADER = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path

    import brainio
    from brainio import lookup
    from brainio.catalogs import Catalog
    from brainio.loading import get_assembly
    from brainio.plugins import get_plugin_manager

    catalog, identifier, ready, go = sys.argv[1:5]

    class CatalogPlugin:
        @brainio.hookimpl
        def brainio_catalogs(self, register):
            register(Catalog.from_files("s3test", Path(catalog)))

    get_plugin_manager().register(CatalogPlugin())
    lookup.refresh()
    Path(ready).touch()
    while not Path(go).exists():
        time.sleep(0.01)
    assembly = get_assembly(identifier)
    print(json.dumps({"shape": list(assembly.shape), "sum": float(assembly.values.sum()),
                      "labels": sorted(set(map(str, assembly["label"].values)))}))
""")


@pytest.mark.slow
def test_eight_processes_fetch_one_cold_assembly_once(
    make_bucket, proxy, package_example, brainio_home, tmp_path
) -> None:
    bucket = make_bucket()
    catalog = tmp_path / "catalog" / "lookup.csv"
    catalog.parent.mkdir()
    packaged = package_example(tmp_path, f"s3://{bucket}/brainio-test", catalog)
    proxy.requests.clear()
    script = tmp_path / "load.py"
    script.write_text(_CONCURRENT_LOADER)
    go = tmp_path / "go"
    processes, readies = [], []
    for index in range(8):
        ready = tmp_path / f"ready-{index}"
        readies.append(ready)
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    str(script),
                    str(catalog),
                    packaged.assembly_identifier,
                    str(ready),
                    str(go),
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    deadline = time.monotonic() + 60
    while not all(r.exists() for r in readies):
        assert time.monotonic() < deadline, "the loader processes did not start"
        assert all(p.poll() is None for p in processes), [p.communicate() for p in processes]
        time.sleep(0.05)
    go.touch()  # all eight ask for the cold assembly at the same moment
    outputs = []
    for process in processes:
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        outputs.append(out.strip().splitlines()[-1])
    assert len(set(outputs)) == 1
    assert '"labels": ["label0", "label1", "label2"]' in outputs[0]
    for key in packaged.keys:
        assert len(proxy.gets(key)) == 1, (key, proxy.requests)
    assert not _leftovers(brainio_home)


_SLOW_FETCHER = textwrap.dedent("""
    import sys
    from brainio.cache import get_cache
    from brainio.records import Source

    location, sha1 = sys.argv[1:3]
    get_cache().fetch(Source("S3", location, sha1=sha1))
""")


@pytest.mark.slow
def test_a_process_killed_mid_download_leaves_nothing_trusted(
    s3, make_bucket, proxy, s3_env, brainio_home, tmp_path
) -> None:
    bucket = make_bucket()
    content = os.urandom(256 * 1024)
    s3.put_object(Bucket=bucket, Key="assy_big.nc", Body=content)
    source = Source("S3", f"s3://{bucket}/assy_big.nc", sha1=_sha1_of(content, tmp_path))
    proxy.stall(30.0, count=1)  # the first GET sends a little, then hangs
    script = tmp_path / "fetch.py"
    script.write_text(_SLOW_FETCHER)
    env = {**os.environ, "BRAINIO_S3_READ_TIMEOUT": "60"}
    process = subprocess.Popen(
        [sys.executable, str(script), source.location, source.sha1], env=env, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 30
    while not proxy.gets("assy_big.nc"):
        assert time.monotonic() < deadline and process.poll() is None, process.communicate()
        time.sleep(0.05)
    while not _leftovers(brainio_home):  # the download's temporary file is there
        assert time.monotonic() < deadline and process.poll() is None, process.communicate()
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)

    cache = get_cache()
    assert not cache.is_cached(source)
    assert not cache.path_for(source).exists()
    path = cache.fetch(source)
    assert path.read_bytes() == content
    assert not _leftovers(brainio_home)
