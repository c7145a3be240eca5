"""The S3 fetcher against moto's S3 server: locations, versions, access, errors, faults."""

from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path

import pytest

from brainio.errors import AccessDeniedError, FetchError
from brainio.plugins import get_plugin_manager
from brainio.records import Source
from brainio_s3 import client as client_module
from brainio_s3.errors import S3EndpointError, S3ObjectNotFoundError
from brainio_s3.fetcher import fetch


@pytest.fixture(autouse=True)
def fresh_clients():
    """Each test builds its clients from its own environment."""
    client_module.clear_clients()
    yield
    client_module.clear_clients()


def fetched(tmp_path: Path, location: str, version_id: str | None = None) -> bytes:
    destination = tmp_path / f"download-{uuid.uuid4().hex}"
    fetch(Source("S3", location, version_id=version_id), destination)
    return destination.read_bytes()


# --- the hook ---------------------------------------------------------------------------------


def test_the_plugin_is_the_fetcher_for_s3_locations() -> None:
    hook = get_plugin_manager().hook
    assert hook.brainio_fetcher(location_type="S3", location="s3://b/k") is fetch
    assert hook.brainio_fetcher(location_type="s3", location="s3://b/k") is fetch
    local = hook.brainio_fetcher(location_type="local", location="/tmp/x")
    assert local is not fetch


# --- location forms ---------------------------------------------------------------------------


def test_every_location_form_fetches_the_object(s3, make_bucket, moto_endpoint, tmp_path) -> None:
    bucket = make_bucket()
    dotted = make_bucket(name=f"brainio.dotted-{uuid.uuid4().hex[:8]}")
    key = "brainio-brainscore/assy_dicarlo_Test2024.nc"
    s3.put_object(Bucket=bucket, Key=key, Body=b"plain bucket")
    s3.put_object(Bucket=dotted, Key=key, Body=b"dotted bucket")
    forms = {
        f"s3://{bucket}/{key}": b"plain bucket",
        f"https://{bucket}.s3.amazonaws.com/{key}": b"plain bucket",
        f"https://{bucket}.s3.us-east-1.amazonaws.com/{key}": b"plain bucket",
        f"https://{dotted}.s3.amazonaws.com/{key}": b"dotted bucket",
        f"https://s3.amazonaws.com/{dotted}/{key}": b"dotted bucket",
        f"https://s3-us-east-1.amazonaws.com/{bucket}/{key}": b"plain bucket",
        f"{moto_endpoint}/{dotted}/{key}": b"dotted bucket",  # path-style, endpoint from URL
    }
    for location, content in forms.items():
        assert fetched(tmp_path, location) == content, location


def test_brainio_endpoint_setting_overrides_aws_settings(
    s3, make_bucket, moto_endpoint, dead_endpoint, monkeypatch, tmp_path
) -> None:
    bucket = make_bucket()
    s3.put_object(Bucket=bucket, Key="k.csv", Body=b"a,b\n")
    monkeypatch.setenv("AWS_ENDPOINT_URL", dead_endpoint)
    monkeypatch.setenv("BRAINIO_S3_ENDPOINT_URL", moto_endpoint)
    assert fetched(tmp_path, f"https://{bucket}.s3.amazonaws.com/k.csv") == b"a,b\n"


def test_aws_endpoint_url_s3_is_honoured(
    s3, make_bucket, moto_endpoint, dead_endpoint, monkeypatch, tmp_path
) -> None:
    bucket = make_bucket()
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    monkeypatch.setenv("AWS_ENDPOINT_URL", dead_endpoint)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", moto_endpoint)
    assert fetched(tmp_path, f"s3://{bucket}/k") == b"x"


def test_endpoint_from_a_profile(s3, make_bucket, moto_endpoint, monkeypatch, tmp_path) -> None:
    bucket = make_bucket()
    s3.put_object(Bucket=bucket, Key="k", Body=b"from profile")
    config = tmp_path / "aws-config"
    config.write_text(f"[profile lab]\nregion = us-east-1\nendpoint_url = {moto_endpoint}\n")
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_PROFILE", "lab")
    assert fetched(tmp_path, f"s3://{bucket}/k") == b"from profile"


# --- versions ---------------------------------------------------------------------------------


def test_two_versions_of_one_key_are_each_fetched(s3, make_bucket, tmp_path) -> None:
    bucket = make_bucket()
    first = s3.put_object(Bucket=bucket, Key="assy_x.nc", Body=b"version one")["VersionId"]
    second = s3.put_object(Bucket=bucket, Key="assy_x.nc", Body=b"version two")["VersionId"]
    location = f"https://{bucket}.s3.amazonaws.com/assy_x.nc"
    assert fetched(tmp_path, location, first) == b"version one"
    assert fetched(tmp_path, location, second) == b"version two"
    assert fetched(tmp_path, location) == b"version two"


def test_the_null_version_is_the_object_written_before_versioning(
    s3, make_bucket, tmp_path
) -> None:
    bucket = make_bucket(versioned=False)
    s3.put_object(Bucket=bucket, Key="k", Body=b"before versioning")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=bucket, Key="k", Body=b"after versioning")
    assert fetched(tmp_path, f"s3://{bucket}/k", "null") == b"before versioning"


def test_multipart_download_of_a_version(s3, make_bucket, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("BRAINIO_S3_MULTIPART_THRESHOLD", str(64 * 1024))
    monkeypatch.setenv("BRAINIO_S3_MULTIPART_CHUNKSIZE", str(64 * 1024))
    bucket = make_bucket()
    old = os.urandom(300 * 1024)
    version = s3.put_object(Bucket=bucket, Key="big", Body=old)["VersionId"]
    s3.put_object(Bucket=bucket, Key="big", Body=b"newer")
    assert fetched(tmp_path, f"s3://{bucket}/big", version) == old


# --- access -----------------------------------------------------------------------------------


@pytest.mark.usefixtures("no_credentials")
def test_public_bucket_without_credentials(s3, make_bucket, proxy, tmp_path) -> None:
    bucket = make_bucket(public=True)
    s3.put_object(Bucket=bucket, Key="public.csv", Body=b"open data")
    assert fetched(tmp_path, f"https://{bucket}.s3.amazonaws.com/public.csv") == b"open data"
    assert proxy.requests and not any(request.signed for request in proxy.requests)


@pytest.mark.usefixtures("no_credentials")
def test_public_read_acl_without_credentials(s3, make_bucket, tmp_path) -> None:
    bucket = make_bucket()
    s3.put_object(Bucket=bucket, Key="acl.csv", Body=b"acl data", ACL="public-read")
    assert fetched(tmp_path, f"s3://{bucket}/acl.csv") == b"acl data"


@pytest.mark.usefixtures("no_credentials")
def test_private_object_without_credentials_is_denied(s3, make_bucket, tmp_path) -> None:
    bucket = make_bucket()
    s3.put_object(Bucket=bucket, Key="private.nc", Body=b"secret data")
    with pytest.raises(AccessDeniedError, match=r"without credentials \(none were found\)") as info:
        fetched(tmp_path, f"s3://{bucket}/private.nc")
    message = str(info.value)
    assert f"s3://{bucket}/private.nc" in message
    assert "configure AWS credentials" in message
    assert "[" not in message  # one error, not a list of two


def test_refused_signature_is_retried_unsigned_for_public_data(
    s3, make_bucket, proxy, tmp_path
) -> None:
    bucket = make_bucket(public=True)
    s3.put_object(Bucket=bucket, Key="public.nc", Body=b"public numbers")
    proxy.deny_signed = True
    assert fetched(tmp_path, f"s3://{bucket}/public.nc") == b"public numbers"
    assert proxy.requests[0].signed
    assert not proxy.requests[-1].signed


def test_refused_signature_and_private_data_is_one_clear_error(
    s3, make_bucket, proxy, tmp_path
) -> None:
    bucket = make_bucket()
    s3.put_object(Bucket=bucket, Key="held-out.nc", Body=b"private")
    proxy.deny_signed = True
    with pytest.raises(
        AccessDeniedError, match="with your AWS credentials and without them"
    ) as info:
        fetched(tmp_path, f"s3://{bucket}/held-out.nc")
    assert f"bucket '{bucket}'" in str(info.value)
    assert "AWS_PROFILE" in str(info.value)


def test_credentials_never_appear_in_errors_or_logs(
    s3, make_bucket, proxy, monkeypatch, caplog, tmp_path
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIADONOTLEAK0000001")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "SecretDoNotLeak/abcdefghijklmnop")
    bucket = make_bucket()
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    proxy.deny_signed = True
    caplog.set_level(logging.DEBUG, logger="brainio_s3")
    with pytest.raises(AccessDeniedError) as info:
        fetched(tmp_path, f"s3://{bucket}/k")
    for text in (str(info.value), caplog.text):
        assert "AKIADONOTLEAK" not in text
        assert "SecretDoNotLeak" not in text


# --- missing objects --------------------------------------------------------------------------


def test_missing_key(make_bucket, tmp_path) -> None:
    bucket = make_bucket()
    with pytest.raises(S3ObjectNotFoundError, match=r"does not exist .*404 NoSuchKey") as info:
        fetched(tmp_path, f"https://{bucket}.s3.amazonaws.com/folder/assy_missing.nc")
    assert f"s3://{bucket}/folder/assy_missing.nc" in str(info.value)
    assert isinstance(info.value, FetchError) and isinstance(info.value, FileNotFoundError)


def test_missing_version(s3, make_bucket, tmp_path) -> None:
    bucket = make_bucket()
    s3.put_object(Bucket=bucket, Key="k.nc", Body=b"x")
    with pytest.raises(
        S3ObjectNotFoundError, match=r"Version 'H8u9POg3GffsLpQM6XdLUwdgUIp25eIm' .* does not exist"
    ) as info:
        fetched(tmp_path, f"s3://{bucket}/k.nc", "H8u9POg3GffsLpQM6XdLUwdgUIp25eIm")
    assert "update the catalog's version_id" in str(info.value)


def test_a_version_id_on_an_unversioned_bucket(s3, make_bucket, tmp_path) -> None:
    bucket = make_bucket(versioned=False)
    s3.put_object(Bucket=bucket, Key="k.nc", Body=b"x")
    with pytest.raises(
        S3ObjectNotFoundError,
        match=r"rejected version id 'EoSt2r7Gzpj_K84RT8hVCbl0zoP3I3FK'.*not "
        r"versioned.*clear the catalog's version_id",
    ):
        fetched(tmp_path, f"s3://{bucket}/k.nc", "EoSt2r7Gzpj_K84RT8hVCbl0zoP3I3FK")


def test_missing_bucket(tmp_path) -> None:
    bucket = f"no-such-bucket-{uuid.uuid4().hex[:8]}"
    with pytest.raises(S3ObjectNotFoundError, match=f"Bucket '{bucket}' does not exist"):
        fetched(tmp_path, f"s3://{bucket}/k.nc")


# --- network faults ---------------------------------------------------------------------------


def test_unreachable_endpoint(dead_endpoint, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", dead_endpoint)
    monkeypatch.setenv("BRAINIO_S3_MAX_ATTEMPTS", "2")
    with pytest.raises(S3EndpointError, match="Could not reach the S3 endpoint") as info:
        fetched(tmp_path, "s3://any-bucket/k")
    assert "AWS_ENDPOINT_URL" in str(info.value)


def test_503_answers_are_retried(s3, make_bucket, proxy, tmp_path) -> None:
    bucket = make_bucket()
    s3.put_object(Bucket=bucket, Key="k", Body=b"eventually")
    proxy.fail(2, status=503)
    assert fetched(tmp_path, f"s3://{bucket}/k") == b"eventually"
    assert len(proxy.requests) >= 4  # 2 refused, then HEAD and GET


def test_a_server_that_keeps_failing_is_one_clear_error(
    s3, make_bucket, proxy, monkeypatch, tmp_path
) -> None:
    bucket = make_bucket()
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    monkeypatch.setenv("BRAINIO_S3_MAX_ATTEMPTS", "2")
    proxy.fail(10, status=503)
    with pytest.raises(
        S3EndpointError, match=r"kept failing .* \(503 Service Unavailable\) after every"
    ):
        fetched(tmp_path, f"s3://{bucket}/k")


def test_dropped_connections_mid_download_recover(
    s3, make_bucket, proxy, monkeypatch, tmp_path
) -> None:
    monkeypatch.setenv("BRAINIO_S3_MULTIPART_THRESHOLD", str(64 * 1024))
    monkeypatch.setenv("BRAINIO_S3_MULTIPART_CHUNKSIZE", str(64 * 1024))
    bucket = make_bucket()
    content = os.urandom(256 * 1024)
    s3.put_object(Bucket=bucket, Key="assy.nc", Body=content)
    proxy.reset_after(20 * 1024, count=3)
    assert fetched(tmp_path, f"s3://{bucket}/assy.nc") == content
    assert len(proxy.gets("assy.nc")) >= 4 + 3  # 4 parts, 3 of them twice


def test_a_stalled_connection_is_retried(s3, make_bucket, proxy, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("BRAINIO_S3_READ_TIMEOUT", "0.5")
    bucket = make_bucket()
    content = os.urandom(32 * 1024)
    s3.put_object(Bucket=bucket, Key="slow.nc", Body=content)
    proxy.stall(2.0, count=1)
    assert fetched(tmp_path, f"s3://{bucket}/slow.nc") == content
    assert len(proxy.gets("slow.nc")) == 2


def test_wrong_region_is_one_clear_error(s3, make_bucket, proxy, tmp_path) -> None:
    bucket = make_bucket()
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    proxy.fail(
        10, status=301, code="PermanentRedirect", headers={"x-amz-bucket-region": "eu-west-1"}
    )
    with pytest.raises(FetchError, match=rf"Bucket '{bucket}' .* is in region 'eu-west-1'") as info:
        fetched(tmp_path, f"s3://{bucket}/k")
    assert "BRAINIO_S3_REGION" in str(info.value)


# --- progress ---------------------------------------------------------------------------------


def test_a_progress_bar_on_a_terminal(s3, make_bucket, tmp_path, monkeypatch) -> None:
    """A person at a terminal sees a bar with the file's name and its size."""
    import fcntl
    import pty
    import struct
    import subprocess
    import sys
    import termios

    bucket = make_bucket()
    s3.put_object(Bucket=bucket, Key="f/assy_progress.nc", Body=os.urandom(300 * 1024))
    monkeypatch.delenv("BRAINIO_PROGRESS")
    script = (
        "import sys; from brainio.records import Source; from brainio_s3.fetcher import fetch; "
        "fetch(Source('S3', sys.argv[1]), sys.argv[2])"
    )
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 100 columns
    process = subprocess.Popen(
        [sys.executable, "-c", script, f"s3://{bucket}/f/assy_progress.nc", str(tmp_path / "o")],
        stderr=terminal,
        stdout=subprocess.DEVNULL,
    )
    os.close(terminal)
    output = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal closed
            break
        if not chunk:
            break
        output += chunk
    os.close(controller)
    assert process.wait(timeout=30) == 0, output
    text = output.decode(errors="replace")
    assert "assy_progress.nc" in text
    assert "/300k" in text  # the total, known from the HEAD request before the transfer
    assert (tmp_path / "o").stat().st_size == 300 * 1024
