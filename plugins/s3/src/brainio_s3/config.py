"""``S3ClientConfig``: how the streaming classes talk to S3, in the style of s3torchconnector.

One frozen value holds everything that decides which boto3 client is right (so clients are
cached by it, per process) and how objects are split into parts. The names and defaults follow
``s3torchconnector.S3ClientConfig``, so code written for it reads the same here; region and
endpoint live in it too (the datasets' and ``S3Checkpoint``'s ``region=``/``endpoint=``
arguments override them).
"""

from __future__ import annotations

import math

import attrs

from brainio_s3.settings import SettingsError

MiB = 1024 * 1024
GiB = 1024 * MiB
#: S3's limits on the size of one part of a multipart upload (the last part may be smaller).
MIN_PART_SIZE = 5 * MiB
MAX_PART_SIZE = 5 * GiB
#: One S3 connection moves about 90 MB/s (AWS's performance guidance); the throughput target
#: divided by this is the number of connections a client may keep busy at once.
GBPS_PER_CONNECTION = 0.7
MAX_CONNECTIONS = 64


def _positive(instance: S3ClientConfig, attribute: attrs.Attribute, value: float) -> None:
    if not value > 0:
        raise SettingsError(
            f"S3ClientConfig {attribute.name}={value!r} must be greater than 0 (e.g. the "
            "default, 10.0 Gbps)."
        )


def _part_size(instance: S3ClientConfig, attribute: attrs.Attribute, value: int) -> None:
    if not MIN_PART_SIZE <= value <= MAX_PART_SIZE:
        raise SettingsError(
            f"S3ClientConfig part_size={value!r} bytes is outside what S3 accepts for a part: "
            f"choose between 5 MiB ({MIN_PART_SIZE}) and 5 GiB ({MAX_PART_SIZE}), e.g. "
            f"8 * 1024 * 1024."
        )


def _attempts(instance: S3ClientConfig, attribute: attrs.Attribute, value: int) -> None:
    if value < 1:
        raise SettingsError(
            f"S3ClientConfig max_attempts={value!r} must be at least 1 (1 means no retries)."
        )


@attrs.frozen
class S3ClientConfig:
    """Settings of the S3 client behind readers, writers, datasets and checkpoints.

    :param throughput_target_gbps: how fast transfers may go; sets how many connections run at
        once (:attr:`max_connections`).
    :param part_size: bytes per part of an upload, and per chunk that a sequential reader hands
        over while it streams ahead (5 MiB to 5 GiB).
    :param unsigned: send anonymous requests (public buckets such as ``s3://laion-fmri``);
        otherwise requests are signed when AWS credentials exist, and a signature S3 refuses
        is retried unsigned.
    :param force_path_style: address buckets as ``endpoint/bucket/key`` (MinIO and other
        S3-compatible servers) instead of ``bucket.endpoint/key``.
    :param max_attempts: attempts per request, including the first (retries back off).
    :param region: the bucket's region; ``None`` uses ``BRAINIO_S3_REGION`` or boto3's own
        configuration (``AWS_DEFAULT_REGION`` ...).
    :param endpoint: an S3-compatible server's URL; ``None`` uses ``BRAINIO_S3_ENDPOINT_URL``
        or boto3's own configuration (``AWS_ENDPOINT_URL`` ...).
    """

    throughput_target_gbps: float = attrs.field(default=10.0, validator=_positive)
    part_size: int = attrs.field(default=8 * MiB, validator=_part_size)
    unsigned: bool = False
    force_path_style: bool = False
    max_attempts: int = attrs.field(default=10, validator=_attempts)
    region: str | None = None
    endpoint: str | None = None

    @property
    def max_connections(self) -> int:
        """Connections a client keeps busy at once (from :attr:`throughput_target_gbps`)."""
        wanted = math.ceil(self.throughput_target_gbps / GBPS_PER_CONNECTION)
        return max(2, min(MAX_CONNECTIONS, wanted))

    def with_location(self, region: str | None, endpoint: str | None) -> S3ClientConfig:
        """This configuration with ``region``/``endpoint`` replaced where they are given."""
        return attrs.evolve(self, region=region or self.region, endpoint=endpoint or self.endpoint)
