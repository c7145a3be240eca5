"""S3ClientConfig: s3torchconnector's fields and defaults, validated."""

from __future__ import annotations

import pickle

import attrs
import pytest

from brainio.errors import BrainIOError
from brainio_s3.client import S3Client
from brainio_s3.config import MiB, S3ClientConfig


def test_defaults_follow_s3torchconnector():
    config = S3ClientConfig()
    assert config.throughput_target_gbps == 10.0
    assert config.part_size == 8 * MiB
    assert not config.unsigned and not config.force_path_style
    assert config.max_attempts == 10
    assert config.region is None and config.endpoint is None
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        config.part_size = 6 * MiB


@pytest.mark.parametrize("part_size", [5 * MiB - 1, 0, 5 * 1024 * MiB + 1])
def test_part_size_outside_s3_limits_is_refused(part_size):
    with pytest.raises(BrainIOError, match=f"part_size={part_size}.*between 5 MiB"):
        S3ClientConfig(part_size=part_size)


def test_part_size_limits_themselves_are_accepted():
    assert S3ClientConfig(part_size=5 * MiB).part_size == 5 * MiB
    assert S3ClientConfig(part_size=5 * 1024 * MiB).part_size == 5 * 1024 * MiB


def test_attempts_and_throughput_are_checked():
    with pytest.raises(ValueError, match="max_attempts=0 must be at least 1"):
        S3ClientConfig(max_attempts=0)
    with pytest.raises(ValueError, match="throughput_target_gbps=0 must be greater than 0"):
        S3ClientConfig(throughput_target_gbps=0)


def test_throughput_target_sets_connections():
    assert S3ClientConfig(throughput_target_gbps=0.1).max_connections == 2
    assert S3ClientConfig(throughput_target_gbps=10).max_connections == 15
    assert S3ClientConfig(throughput_target_gbps=1000).max_connections == 64


def test_explicit_region_and_endpoint_override_the_config():
    config = S3ClientConfig(region="eu-west-1", endpoint="http://a:1")
    client = S3Client(region="us-west-2", s3client_config=config)
    assert client.config.region == "us-west-2" and client.config.endpoint == "http://a:1"
    assert S3Client(s3client_config=config).config == config


def test_client_pickles_without_its_boto3_client():
    client = S3Client(region="us-west-2", s3client_config=S3ClientConfig(unsigned=True))
    client.boto3_client()
    copy = pickle.loads(pickle.dumps(client))
    assert copy == client and copy.config.unsigned


def test_path_style_and_unsigned_reach_boto3():
    from botocore import UNSIGNED

    config = S3ClientConfig(force_path_style=True, unsigned=True, max_attempts=3)
    boto3_client = S3Client(s3client_config=config).boto3_client()
    assert boto3_client.meta.config.s3["addressing_style"] == "path"
    assert boto3_client.meta.config.signature_version is UNSIGNED
    assert boto3_client.meta.config.retries["total_max_attempts"] == 3
