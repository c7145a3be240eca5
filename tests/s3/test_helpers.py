"""The Brain-Score S3 helpers end to end against the S3 server."""

from __future__ import annotations

import hashlib
import os
import warnings
from pathlib import Path

import numpy as np
import pytest

import brainio_s3
from brainio.assemblies import NeuroidAssembly
from brainio.cache import UnverifiedFileWarning, get_cache
from brainio.errors import IntegrityError
from brainio.hashing import sha1_hash
from brainio_s3.errors import S3ObjectNotFoundError


@pytest.fixture
def brainscore_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "brain-score"
    monkeypatch.setenv("BRAINSCORE_HOME", str(home))
    monkeypatch.delenv("BRAINSCORE_S3_WEIGHT_FOLDER", raising=False)
    return home


def _sha1(content: bytes) -> str:
    return hashlib.sha1(content).hexdigest()


@pytest.fixture
def packaged(make_bucket, package_example, tmp_path):
    """A stimulus set and an assembly under ``<bucket>/brainio-brainscore/``."""
    bucket = make_bucket()
    catalog = tmp_path / "catalog" / "lookup.csv"
    catalog.parent.mkdir()
    package = package_example(tmp_path, f"s3://{bucket}/brainio-brainscore", catalog)
    from brainio.catalogs import Catalog

    rows = {(row.identifier, row.is_zip): row for row in Catalog.from_files("c", catalog).rows()}
    return bucket, package, rows


def test_helpers_are_importable_from_the_package() -> None:
    assert brainio_s3.load_weight_file.__module__ == "brainio_s3.helpers"
    assert callable(brainio_s3.load_assembly_from_s3)


def test_stimulus_set_and_assembly_from_a_bucket_with_a_folder(packaged) -> None:
    bucket, package, rows = packaged
    set_id, assembly_id = package.stimulus_set_identifier, package.assembly_identifier
    csv_row, zip_row = rows[(set_id, False)], rows[(set_id, True)]
    assembly_row = rows[(assembly_id, False)]

    def stimulus_set_loader():
        return brainio_s3.load_stimulus_set_from_s3(
            identifier=set_id,
            bucket=f"{bucket}/brainio-brainscore",
            csv_sha1=csv_row.sha1,
            zip_sha1=zip_row.sha1,
            csv_version_id=csv_row.version_id,
            zip_version_id=zip_row.version_id,
        )

    stimulus_set = stimulus_set_loader()
    assert stimulus_set.identifier == set_id
    assert stimulus_set.get_stimulus("stim_0").read_bytes()  # extracted from the zip

    assembly = brainio_s3.load_assembly_from_s3(
        identifier=assembly_id,
        version_id=assembly_row.version_id,
        sha1=assembly_row.sha1,
        bucket=f"{bucket}/brainio-brainscore",
        cls=NeuroidAssembly,
        stimulus_set_loader=stimulus_set_loader,
    )
    assert isinstance(assembly, NeuroidAssembly)
    assert assembly.attrs["identifier"] == assembly_id
    np.testing.assert_array_equal(assembly.values, package.assembly.values)
    assert "label" in assembly.coords  # stimulus set metadata merged

    referenced = brainio_s3.load_assembly_from_s3(
        identifier=assembly_id,
        version_id=assembly_row.version_id,
        sha1=assembly_row.sha1,
        bucket=f"{bucket}/brainio-brainscore",
        cls=NeuroidAssembly,
        stimulus_set_loader=stimulus_set_loader,
        merge_stimulus_set_meta=False,
    )
    assert "label" not in referenced.coords
    assert referenced.attrs["stimulus_set"].identifier == set_id

    plain = brainio_s3.load_assembly_from_s3(
        identifier=assembly_id,
        version_id=None,
        sha1=assembly_row.sha1,
        bucket=f"{bucket}/brainio-brainscore",
        cls=NeuroidAssembly,
    )
    assert "label" not in plain.coords


def test_get_path_names_files_by_convention_and_shares_the_cache(s3, make_bucket, proxy) -> None:
    bucket = make_bucket(versioned=False)
    content = b"stimulus_id,filename\n"
    key = "brainio-brainscore/image_dicarlo_hvm-public.csv"  # legacy prefix, '.' -> '_'
    s3.put_object(Bucket=bucket, Key=key, Body=content)  # version "null": before versioning
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    path = brainio_s3.get_path(
        "dicarlo.hvm-public",
        "csv",
        bucket,
        "null",
        _sha1(content),
        filename_prefix="image_",
        folder_name="brainio-brainscore",
    )
    assert Path(path).name == "image_dicarlo_hvm-public.csv"
    assert Path(path).read_bytes() == content
    assert Path(path).is_relative_to(get_cache().root)
    again = brainio_s3.get_path(
        "dicarlo.hvm-public",
        "csv",
        bucket,
        "null",
        _sha1(content),
        filename_prefix="image_",
        folder_name="brainio-brainscore",
    )
    assert again == path
    assert len(proxy.gets()) == 1  # the second call was served by the cache


def test_get_path_of_a_missing_assembly_names_the_key(make_bucket) -> None:
    bucket = make_bucket()
    with pytest.raises(S3ObjectNotFoundError, match="assy_lab_Missing2024.nc"):
        brainio_s3.get_path("lab.Missing2024", "nc", bucket, None, "0" * 40)


def test_weight_file_is_verified_and_placed_under_brainscore_home(
    s3, make_bucket, brainscore_home
) -> None:
    bucket = make_bucket()
    weights = os.urandom(4096)
    folder = "brainscore-vision/models/user_672/"
    version = s3.put_object(
        Bucket=bucket, Key="brainscore-vision/models/user_672/net/w.pth", Body=weights
    )["VersionId"]
    path = brainio_s3.load_weight_file(
        bucket=bucket,
        relative_path="net/w.pth",
        version_id=version,
        sha1=_sha1(weights),
        folder_name=folder,
    )
    assert path == brainscore_home / "brainscore-vision/models/user_672/net/w.pth"
    assert path.read_bytes() == weights
    assert sha1_hash(path) == _sha1(weights)


def test_weight_file_with_a_wrong_sha1_is_refused(s3, make_bucket, brainscore_home) -> None:
    bucket = make_bucket()
    s3.put_object(Bucket=bucket, Key="models/net/w.pth", Body=b"tampered weights")
    with pytest.raises(IntegrityError, match="w.pth"):
        brainio_s3.load_weight_file(
            bucket=bucket,
            relative_path="net/w.pth",
            version_id=None,
            sha1=_sha1(b"the real weights"),
        )
    assert not (brainscore_home / "models/net/w.pth").exists()


def test_a_new_version_id_replaces_a_stale_local_file(
    s3, make_bucket, brainscore_home, monkeypatch
) -> None:
    monkeypatch.setenv("BRAINSCORE_S3_WEIGHT_FOLDER", "weights")
    bucket = make_bucket()
    first = s3.put_object(Bucket=bucket, Key="weights/w.pth", Body=b"v1")["VersionId"]
    second = s3.put_object(Bucket=bucket, Key="weights/w.pth", Body=b"v2")["VersionId"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnverifiedFileWarning)
        path = brainio_s3.load_file(bucket, "w.pth", version_id=first)
        assert path == brainscore_home / "weights/w.pth"
        assert path.read_bytes() == b"v1"
        assert brainio_s3.load_file(bucket, "w.pth", version_id=second).read_bytes() == b"v2"
        assert brainio_s3.load_file(bucket, "w.pth", version_id=first).read_bytes() == b"v1"


def test_a_file_without_sha1_is_warned_about_once(s3, make_bucket, brainscore_home) -> None:
    bucket = make_bucket()
    s3.put_object(Bucket=bucket, Key="models/w.pth", Body=b"weights")
    with pytest.warns(UnverifiedFileWarning, match=r"without a sha1.*Pass sha1="):
        brainio_s3.load_weight_file(bucket, "w.pth", version_id=None, sha1=None)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnverifiedFileWarning)
        brainio_s3.load_weight_file(bucket, "w.pth", version_id=None, sha1=None)


def test_load_file_from_s3_with_the_null_version(s3, make_bucket, tmp_path) -> None:
    bucket = make_bucket(versioned=False)
    s3.put_object(Bucket=bucket, Key="f/data.bin", Body=b"before versioning")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=bucket, Key="f/data.bin", Body=b"after versioning")
    target = tmp_path / "out" / "data.bin"
    brainio_s3.load_file_from_s3(
        bucket, "f/data.bin", target, sha1=_sha1(b"before versioning"), version_id="null"
    )
    assert target.read_bytes() == b"before versioning"


def test_load_folder_from_s3(s3, make_bucket, tmp_path) -> None:
    bucket = make_bucket()
    files = {"a.npy": b"aaa", "b.json": b"{}"}
    entries = []
    for name, content in files.items():
        version = s3.put_object(
            Bucket=bucket, Key=f"brainscore-vision/models/x/{name}", Body=content
        )["VersionId"]
        entries.append((name, version, _sha1(content)))
    brainio_s3.load_folder_from_s3(bucket, "brainscore-vision/models/x", entries, tmp_path / "x")
    for name, content in files.items():
        assert (tmp_path / "x" / name).read_bytes() == content


def test_download_file_if_not_exists(s3, make_bucket, proxy, tmp_path) -> None:
    bucket = make_bucket(public=True)
    s3.put_object(Bucket=bucket, Key="stimuli/meta.csv", Body=b"remote")
    existing = tmp_path / "existing.csv"
    existing.write_bytes(b"local")
    brainio_s3.download_file_if_not_exists(existing, bucket, "stimuli/meta.csv")
    assert existing.read_bytes() == b"local"
    assert not proxy.requests
    missing = tmp_path / "new" / "meta.csv"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnverifiedFileWarning)
        brainio_s3.download_file_if_not_exists(str(missing), bucket, "stimuli/meta.csv")
    assert missing.read_bytes() == b"remote"


def test_sha1_hash(tmp_path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"brainio")
    assert brainio_s3.sha1_hash(path) == hashlib.sha1(b"brainio").hexdigest()
