"""Settings from BRAINIO_S3_* variables, and how a download is split into parts."""

from __future__ import annotations

import pytest

from brainio_s3.settings import MiB, S3Settings, SettingsError


def test_defaults_and_overrides(monkeypatch) -> None:
    assert S3Settings.from_env() == S3Settings(read_timeout=5.0, connect_timeout=2.0)
    monkeypatch.setenv("BRAINIO_S3_ENDPOINT_URL", "http://127.0.0.1:9000")
    monkeypatch.setenv("BRAINIO_S3_MAX_ATTEMPTS", "3")
    monkeypatch.setenv("BRAINIO_S3_MULTIPART_CHUNKSIZE", "1048576")
    settings = S3Settings.from_env()
    assert settings.endpoint_url == "http://127.0.0.1:9000"
    assert settings.max_attempts == 3
    assert settings.part_size(10**9) == MiB


def test_a_setting_that_is_not_a_number(monkeypatch) -> None:
    monkeypatch.setenv("BRAINIO_S3_READ_TIMEOUT", "soon")
    with pytest.raises(SettingsError, match=r"BRAINIO_S3_READ_TIMEOUT='soon' is not a number"):
        S3Settings.from_env()


@pytest.mark.parametrize(
    ("size", "part"),
    [
        (1000, 8 * MiB),  # small: one request
        (156 * MiB, 156 * MiB // 10 + 1),  # one part per connection
        (10 * 1024 * MiB, 64 * MiB),  # huge: parts stay small enough to retry
    ],
)
def test_parts_are_one_per_connection_within_bounds(size: int, part: int) -> None:
    assert abs(S3Settings().part_size(size) - part) <= 1
