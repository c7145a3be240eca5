"""Transfers a person notices: resuming an interrupted download, not re-uploading unchanged
bytes with ``--replace``, endpoint-independent locations, sizes known before a download, and
the memory a download takes."""

from __future__ import annotations

import hashlib
import logging
import os
import signal
import subprocess
import sys
import time

import pytest

from brainio.cache import get_cache, partial_info_path, partial_path
from brainio.plugins import get_plugin_manager
from brainio.records import Source

MiB = 1024 * 1024
BIG = 64 * MiB  # long enough on loopback to be interrupted halfway


def _source(bucket: str, key: str, content: bytes, version_id: str | None = None) -> Source:
    return Source(
        "S3", f"s3://{bucket}/{key}", sha1=hashlib.sha1(content).hexdigest(), version_id=version_id
    )


_FETCH = """
import sys
from brainio.cache import get_cache
from brainio.records import Source
get_cache().fetch(Source("S3", sys.argv[1], sha1=sys.argv[2]))
"""


def _starts_with(path, expected: bytes) -> bool:
    try:
        with open(path, "rb") as file:
            return file.read(len(expected)) == expected
    except OSError:
        return False


def _interrupt(source: Source, expected: bytes, at_least: int) -> int:
    """Ctrl-C (SIGINT) a process fetching ``source`` (``expected``: its bytes) once the first
    ``at_least`` bytes are on disk; the size of the partial download the cache keeps."""
    partial = partial_path(get_cache().path_for(source))
    child = subprocess.Popen(
        [sys.executable, "-c", _FETCH, source.location, source.sha1],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "BRAINIO_PROGRESS": "0"},
    )
    deadline = time.monotonic() + 120
    while not _starts_with(partial, expected[:at_least]):  # these bytes are on disk
        assert child.poll() is None, child.communicate()
        assert time.monotonic() < deadline, "the download never started"
        time.sleep(0.005)
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=60)
    assert "KeyboardInterrupt" in err, err
    assert partial.exists() and partial_info_path(partial).exists()
    assert not get_cache().is_cached(source)
    return partial.stat().st_size


def test_an_interrupted_download_resumes_from_the_partial_file(s3, make_bucket, caplog):
    bucket = make_bucket()
    content = os.urandom(BIG)
    version = s3.put_object(Bucket=bucket, Key="assy_big.nc", Body=content)["VersionId"]
    source = _source(bucket, "assy_big.nc", content, version)
    kept = _interrupt(source, content, at_least=MiB)
    assert MiB <= kept < len(content)
    assert partial_path(get_cache().path_for(source)).read_bytes() == content[:kept]

    caplog.set_level(logging.INFO, logger="brainio_s3")
    path = get_cache().fetch(source)
    assert path.read_bytes() == content and get_cache().is_cached(source)
    assert f"resuming s3://{bucket}/assy_big.nc at byte {kept} of {len(content)}" in caplog.text
    assert not partial_path(path).exists() and not partial_info_path(partial_path(path)).exists()


def test_a_changed_object_restarts_the_download(s3, make_bucket, caplog):
    bucket = make_bucket()
    content = os.urandom(BIG)
    s3.put_object(Bucket=bucket, Key="assy_x.nc", Body=content)
    source = _source(bucket, "assy_x.nc", content)  # an unversioned row: the key may change
    assert _interrupt(source, content, at_least=MiB) >= MiB
    # re-uploaded meanwhile (as one multipart part): a new object with a new ETag, so the
    # bytes kept cannot be trusted to continue it
    upload = s3.create_multipart_upload(Bucket=bucket, Key="assy_x.nc")
    part = s3.upload_part(
        Bucket=bucket, Key="assy_x.nc", UploadId=upload["UploadId"], PartNumber=1, Body=content
    )
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="assy_x.nc",
        UploadId=upload["UploadId"],
        MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]},
    )

    caplog.set_level(logging.INFO, logger="brainio_s3")
    path = get_cache().fetch(source)
    assert path.read_bytes() == content
    assert f"s3://{bucket}/assy_x.nc changed since the interrupted download" in caplog.text
    assert "resuming" not in caplog.text


def test_replace_with_unchanged_bytes_uploads_nothing(s3, make_bucket, proxy, tmp_path):
    from brainio_s3.uploader import S3Uploader

    bucket = make_bucket()
    path = tmp_path / "assy_lab_Same2026.nc"
    path.write_bytes(os.urandom(300_000))
    first = S3Uploader(f"s3://{bucket}/data")(path, "assy_lab_Same2026.nc")
    proxy.requests.clear()
    again = S3Uploader(f"s3://{bucket}/data")(path, "assy_lab_Same2026.nc", overwrite=True)
    assert again == first  # same location and version id
    assert not [r for r in proxy.requests if r.method in ("PUT", "POST")]
    versions = s3.list_object_versions(Bucket=bucket, Prefix="data/")["Versions"]
    assert len(versions) == 1

    path.write_bytes(os.urandom(300_000))
    changed = S3Uploader(f"s3://{bucket}/data")(path, "assy_lab_Same2026.nc", overwrite=True)
    assert changed.version_id != first.version_id
    assert len(s3.list_object_versions(Bucket=bucket, Prefix="data/")["Versions"]) == 2


def test_uploads_are_recorded_without_an_endpoint(s3, make_bucket, tmp_path):
    from brainio_s3.uploader import S3Uploader

    bucket = make_bucket()
    path = tmp_path / "stimulus_x.csv"
    path.write_bytes(b"stimulus_id\na\n")
    stored = S3Uploader(f"s3://{bucket}/lab")(path, "stimulus_x.csv")
    assert stored.location == f"s3://{bucket}/lab/stimulus_x.csv"  # the reader's endpoint applies
    fetched = get_cache().fetch(
        Source("S3", stored.location, sha1=hashlib.sha1(b"stimulus_id\na\n").hexdigest())
    )
    assert fetched.read_bytes() == b"stimulus_id\na\n"


def test_the_size_of_an_s3_object_is_known_before_downloading(s3, make_bucket):
    bucket = make_bucket()
    s3.put_object(Bucket=bucket, Key="assy.nc", Body=b"x" * 12345)
    hook = get_plugin_manager().hook.brainio_file_size
    assert hook(source=Source("S3", f"s3://{bucket}/assy.nc")) == 12345
    assert hook(source=Source("S3", f"s3://{bucket}/missing.nc")) is None
    assert not get_cache().is_cached(Source("S3", f"s3://{bucket}/assy.nc", sha1="a" * 40))


_FETCH_PEAK = """
import sys
from brainio.cache import get_cache
from brainio.records import Source

def mib(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field)) / 1024

get_cache().fetch(Source("S3", sys.argv[1], sha1=sys.argv[2]))  # boto3 and its client loaded
with open("/proc/self/clear_refs", "w") as refs:
    refs.write("5")  # the process's peak starts again from here
before = mib("VmRSS:")
get_cache().fetch(Source("S3", sys.argv[3], sha1=sys.argv[4]))
print(mib("VmHWM:") - before)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self")
def test_a_download_holds_few_chunks_in_memory(s3, make_bucket):
    """Chunks that arrive faster than the file is written wait in a short queue: a download
    adds to the process's peak what its connections hold, not a pile of waiting chunks."""
    bucket = make_bucket()
    small, content = b"warm-up", os.urandom(BIG)
    s3.put_object(Bucket=bucket, Key="small.csv", Body=small)
    s3.put_object(Bucket=bucket, Key="assy_big.nc", Body=content)
    warm_up, big = _source(bucket, "small.csv", small), _source(bucket, "assy_big.nc", content)
    child = subprocess.run(
        [sys.executable, "-c", _FETCH_PEAK, warm_up.location, warm_up.sha1, big.location, big.sha1],
        capture_output=True,
        text=True,
        env={**os.environ, "BRAINIO_PROGRESS": "0"},
        timeout=120,
    )
    assert child.returncode == 0, child.stderr
    growth = float(child.stdout.strip().splitlines()[-1])
    # 21 MiB here (connections, their threads and buffers); 56 MiB with s3transfer's queue
    assert growth < 40, f"downloading 64 MiB raised the peak by {growth:.0f} MiB"
