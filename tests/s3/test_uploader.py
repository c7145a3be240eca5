"""The S3 uploader: multipart transfers, version ids, and never overwriting by accident."""

from __future__ import annotations

import os

import pytest

from brainio.errors import AccessDeniedError, PackagingError
from brainio.plugins import get_plugin_manager
from brainio_s3.errors import S3ObjectExistsError
from brainio_s3.uploader import S3Uploader


def uploader(target: str) -> S3Uploader:
    found = get_plugin_manager().hook.brainio_uploader(target=target)
    assert isinstance(found, S3Uploader)
    return found


def test_only_s3_targets_are_taken() -> None:
    assert get_plugin_manager().hook.brainio_uploader(target="s3://bucket/folder") is not None
    assert not isinstance(
        get_plugin_manager().hook.brainio_uploader(target="file:///tmp/x"), S3Uploader
    )


def test_upload_records_location_and_version(s3, make_bucket, tmp_path) -> None:
    bucket = make_bucket()
    path = tmp_path / "assy_lab_Test2024.nc"
    path.write_bytes(b"netcdf bytes")
    stored = uploader(f"s3://{bucket}/brainio-test/")(path, "assy_lab_Test2024.nc")
    assert stored.location_type == "S3"
    assert stored.location == f"s3://{bucket}/brainio-test/assy_lab_Test2024.nc"
    head = s3.head_object(Bucket=bucket, Key="brainio-test/assy_lab_Test2024.nc")
    assert stored.version_id == head["VersionId"]
    body = s3.get_object(Bucket=bucket, Key="brainio-test/assy_lab_Test2024.nc")["Body"].read()
    assert body == b"netcdf bytes"


def test_existing_key_is_not_overwritten(s3, make_bucket, tmp_path) -> None:
    bucket = make_bucket()
    s3.put_object(Bucket=bucket, Key="data/stimulus_x.csv", Body=b"original")
    path = tmp_path / "stimulus_x.csv"
    path.write_bytes(b"replacement")
    with pytest.raises(S3ObjectExistsError, match=r"already exists.*overwrite=True") as info:
        uploader(f"s3://{bucket}/data")(path, "stimulus_x.csv")
    assert f"s3://{bucket}/data/stimulus_x.csv" in str(info.value)
    assert isinstance(info.value, PackagingError)
    assert s3.get_object(Bucket=bucket, Key="data/stimulus_x.csv")["Body"].read() == b"original"


def test_overwrite_when_asked_keeps_the_old_version(s3, make_bucket, tmp_path) -> None:
    bucket = make_bucket()
    old = s3.put_object(Bucket=bucket, Key="k.csv", Body=b"original")["VersionId"]
    path = tmp_path / "k.csv"
    path.write_bytes(b"replacement")
    stored = uploader(f"s3://{bucket}")(path, "k.csv", overwrite=True)
    assert stored.version_id != old
    assert s3.get_object(Bucket=bucket, Key="k.csv", VersionId=old)["Body"].read() == b"original"
    assert s3.get_object(Bucket=bucket, Key="k.csv")["Body"].read() == b"replacement"


def test_a_write_racing_the_upload_is_refused(s3, make_bucket, proxy, tmp_path) -> None:
    """The upload itself is conditional: a key created after the check is still not replaced."""
    bucket = make_bucket()
    path = tmp_path / "k.nc"
    path.write_bytes(b"ours")
    proxy.before_first("PUT", lambda: s3.put_object(Bucket=bucket, Key="k.nc", Body=b"theirs"))
    with pytest.raises(S3ObjectExistsError, match="already exists"):
        uploader(f"s3://{bucket}")(path, "k.nc")
    assert s3.get_object(Bucket=bucket, Key="k.nc")["Body"].read() == b"theirs"


def test_multipart_upload(s3, make_bucket, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("BRAINIO_S3_MULTIPART_THRESHOLD", str(1024 * 1024))
    monkeypatch.setenv("BRAINIO_S3_MULTIPART_CHUNKSIZE", str(1024 * 1024))  # raised to 5 MiB
    bucket = make_bucket()
    content = os.urandom(6 * 1024 * 1024 + 123)  # S3's smallest part is 5 MiB: two parts
    path = tmp_path / "big.nc"
    path.write_bytes(content)
    stored = uploader(f"s3://{bucket}/f")(path, "big.nc")
    head = s3.head_object(Bucket=bucket, Key="f/big.nc")
    assert head["ETag"].strip('"').endswith("-2")  # a multipart object of two parts
    assert stored.version_id == head["VersionId"]
    assert s3.get_object(Bucket=bucket, Key="f/big.nc")["Body"].read() == content


def test_multipart_upload_does_not_overwrite(s3, make_bucket, proxy, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("BRAINIO_S3_MULTIPART_THRESHOLD", str(1024 * 1024))
    monkeypatch.setenv("BRAINIO_S3_MULTIPART_CHUNKSIZE", str(1024 * 1024))  # raised to 5 MiB
    bucket = make_bucket()
    path = tmp_path / "big.nc"
    path.write_bytes(os.urandom(6 * 1024 * 1024))
    proxy.before_first("POST", lambda: s3.put_object(Bucket=bucket, Key="big.nc", Body=b"theirs"))
    with pytest.raises(S3ObjectExistsError):
        uploader(f"s3://{bucket}")(path, "big.nc")
    assert s3.get_object(Bucket=bucket, Key="big.nc")["Body"].read() == b"theirs"


@pytest.mark.usefixtures("no_credentials")
def test_uploading_needs_credentials(make_bucket, tmp_path) -> None:
    bucket = make_bucket()
    path = tmp_path / "k.nc"
    path.write_bytes(b"x")
    with pytest.raises(AccessDeniedError, match=r"needs AWS credentials .* none were found"):
        uploader(f"s3://{bucket}")(path, "k.nc")


def test_refused_write_says_which_bucket(make_bucket, proxy, tmp_path) -> None:
    bucket = make_bucket()
    path = tmp_path / "k.nc"
    path.write_bytes(b"x")
    proxy.deny_signed = True
    with pytest.raises(AccessDeniedError, match=f"may write to bucket '{bucket}'"):
        uploader(f"s3://{bucket}")(path, "k.nc")
