"""Every S3 location form parses into the right bucket, key, region and endpoint."""

from __future__ import annotations

import pytest

from brainio.errors import FetchError
from brainio_s3.locations import S3Location, join_key, parse_location, split_bucket


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        (
            "s3://brainio-brainscore/assy_dicarlo_MajajHong2015_public.nc",
            S3Location("brainio-brainscore", "assy_dicarlo_MajajHong2015_public.nc"),
        ),
        (
            "s3://brainscore-storage/brainio-brainscore/stimulus_hvm.zip",
            S3Location("brainscore-storage", "brainio-brainscore/stimulus_hvm.zip"),
        ),
        # virtual-hosted, as BrainIO 1.x catalogs write it
        (
            "https://brainio-brainscore.s3.amazonaws.com/assy_x.nc",
            S3Location("brainio-brainscore", "assy_x.nc"),
        ),
        # bucket names with dots
        (
            "https://brainio.dicarlo.s3.amazonaws.com/image_dicarlo_hvm.csv",
            S3Location("brainio.dicarlo", "image_dicarlo_hvm.csv"),
        ),
        (
            "https://brainio.contrib.s3.us-east-1.amazonaws.com/a/b.nc",
            S3Location("brainio.contrib", "a/b.nc", region="us-east-1"),
        ),
        # regional hosts, both spellings, and dualstack
        (
            "https://brainscore-storage.s3.us-east-2.amazonaws.com/brainio-brainscore/x.nc",
            S3Location("brainscore-storage", "brainio-brainscore/x.nc", region="us-east-2"),
        ),
        (
            "https://laion-fmri.s3-us-west-2.amazonaws.com/sub-01/x.nii.gz",
            S3Location("laion-fmri", "sub-01/x.nii.gz", region="us-west-2"),
        ),
        (
            "https://b.s3.dualstack.eu-west-1.amazonaws.com/k",
            S3Location("b", "k", region="eu-west-1"),
        ),
        # path-style on AWS hosts
        (
            "https://s3.amazonaws.com/brainio.dicarlo/image_dicarlo_hvm.zip",
            S3Location("brainio.dicarlo", "image_dicarlo_hvm.zip"),
        ),
        (
            "https://s3.us-east-2.amazonaws.com/brainscore-storage/f/x.nc",
            S3Location("brainscore-storage", "f/x.nc", region="us-east-2"),
        ),
        (
            "https://s3-us-west-2.amazonaws.com/laion-fmri/x",
            S3Location("laion-fmri", "x", region="us-west-2"),
        ),
        # path-style on an S3-compatible server: the URL names the endpoint
        (
            "http://127.0.0.1:9000/my-bucket/folder/assy_x.nc",
            S3Location("my-bucket", "folder/assy_x.nc", endpoint_url="http://127.0.0.1:9000"),
        ),
        (
            "https://minio.example.org/b/k%20with%20space.nc",
            S3Location("b", "k with space.nc", endpoint_url="https://minio.example.org"),
        ),
    ],
)
def test_location_forms(location: str, expected: S3Location) -> None:
    assert parse_location(location) == expected


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("/home/me/assy.nc", "neither an s3:// URL"),
        ("file:///data/assy.nc", "neither an s3:// URL"),
        ("s3:///key-without-bucket", "names no bucket"),
        ("https://s3.amazonaws.com/", "bucket as its first segment"),
    ],
)
def test_bad_locations_name_the_location(location: str, reason: str) -> None:
    with pytest.raises(FetchError, match=reason) as info:
        parse_location(location)
    assert location in str(info.value)


def test_keys_are_joined_with_slashes_only() -> None:
    assert join_key("models/user_672/", "/mobilenet/weights.pth") == (
        "models/user_672/mobilenet/weights.pth"
    )
    assert join_key("a\\b", "c") == "a/b/c"
    assert join_key("", "x") == "x"
    assert S3Location("b", "prefix/").child("assy_x.nc").key == "prefix/assy_x.nc"


def test_bucket_strings_with_folders_split_on_the_first_slash() -> None:
    assert split_bucket("brainscore-storage/brainio-brainscore") == (
        "brainscore-storage",
        "brainio-brainscore",
    )
    assert split_bucket("brainscore-storage/brainscore-vision/benchmarks/Allen2022/x") == (
        "brainscore-storage",
        "brainscore-vision/benchmarks/Allen2022/x",
    )
    assert split_bucket("brainio-brainscore") == ("brainio-brainscore", "")
