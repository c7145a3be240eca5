"""``S3ClientConfig.from_env``: BRAINIO_S3_* variables, and how a download is split into parts."""

from __future__ import annotations

import pytest

from brainio_s3.config import MiB, S3ClientConfig, SettingsError


def test_defaults_and_overrides(monkeypatch) -> None:
    # tests/s3/conftest.py sets the two timeouts
    assert S3ClientConfig.from_env() == S3ClientConfig(read_timeout=5.0, connect_timeout=2.0)
    monkeypatch.setenv("BRAINIO_S3_ENDPOINT_URL", "http://127.0.0.1:9000")
    monkeypatch.setenv("BRAINIO_S3_MAX_ATTEMPTS", "3")
    monkeypatch.setenv("BRAINIO_S3_MULTIPART_CHUNKSIZE", "1048576")
    monkeypatch.setenv("BRAINIO_S3_MAX_CONCURRENCY", "4")
    config = S3ClientConfig.from_env()
    assert config.endpoint == "http://127.0.0.1:9000"
    assert config.max_attempts == 3 and isinstance(config.max_attempts, int)
    assert config.download_part_size(10**9) == MiB
    assert config.max_connections == 4
    # explicit fields win over the environment
    assert S3ClientConfig.from_env(max_attempts=7).max_attempts == 7


def test_a_setting_that_is_not_a_number(monkeypatch) -> None:
    monkeypatch.setenv("BRAINIO_S3_READ_TIMEOUT", "soon")
    with pytest.raises(SettingsError, match=r"BRAINIO_S3_READ_TIMEOUT='soon' is not a number"):
        S3ClientConfig.from_env()


def test_a_setting_out_of_range(monkeypatch) -> None:
    monkeypatch.setenv("BRAINIO_S3_PART_SIZE", "1024")
    with pytest.raises(SettingsError, match=r"part_size=1024 bytes is outside what S3 accepts"):
        S3ClientConfig.from_env()


@pytest.mark.parametrize(
    ("size", "part"),
    [
        (1000, 8 * MiB),  # small: one request
        (156 * MiB, 156 * MiB // 15 + 1),  # one part per connection (10 Gbps: 15 connections)
        (10 * 1024 * MiB, 64 * MiB),  # huge: parts stay small enough to retry
    ],
)
def test_parts_are_one_per_connection_within_bounds(size: int, part: int) -> None:
    assert abs(S3ClientConfig().download_part_size(size) - part) <= 1
