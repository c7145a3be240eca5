"""``S3ClientConfig``: the one configuration of the S3 plugin's client layer.

Every request of the plugin (fetcher, uploader, Brain-Score helpers, readers, writers, data
sets, checkpoints, the LAION-fMRI plugin) goes through a client built from one frozen
``S3ClientConfig``, so clients are cached by it (per process). Its fields and defaults follow
``s3torchconnector.S3ClientConfig`` (code written for it reads the same here), plus what a
fetcher needs (timeouts, region, endpoint, download parts).

:meth:`S3ClientConfig.from_env` starts from the defaults and applies these variables (the
fetcher, the uploader and the helpers use it; an ``S3ClientConfig(...)`` you build is used as
written). Credentials, profiles, ``AWS_ENDPOINT_URL`` and ``AWS_DEFAULT_REGION`` stay boto3's
usual configuration:

=================================  ===========================================================
``BRAINIO_S3_ENDPOINT_URL``        S3-compatible server for every S3 location
``BRAINIO_S3_REGION``              region used when a location names none
``BRAINIO_S3_MAX_ATTEMPTS``        attempts per request, the first included (backoff), 10
``BRAINIO_S3_CONNECT_TIMEOUT``     seconds to connect, 10
``BRAINIO_S3_READ_TIMEOUT``        seconds without a byte before a read is retried, 60
``BRAINIO_S3_PART_SIZE``           bytes per uploaded part and per streamed chunk, 8 MiB
``BRAINIO_S3_MULTIPART_THRESHOLD`` bytes from which transfers use parallel parts, 8 MiB
``BRAINIO_S3_MULTIPART_CHUNKSIZE`` bytes per downloaded part; unset: chosen per object
``BRAINIO_S3_MAX_CONCURRENCY``     connections per client; unset: from the throughput target
=================================  ===========================================================

Without ``BRAINIO_S3_MULTIPART_CHUNKSIZE`` a download is split into one part per connection,
but parts are at least ``part_size`` (small objects take one request) and at most 64 MiB (a
part retried after a dropped connection stays cheap).
"""

from __future__ import annotations

import math
import os
from typing import Any

import attrs

from brainio.errors import BrainIOError

MiB = 1024 * 1024
GiB = 1024 * MiB
PREFIX = "BRAINIO_S3_"
#: S3's limits on the size of one part of a multipart upload (the last part may be smaller).
MIN_PART_SIZE = 5 * MiB
MAX_PART_SIZE = 5 * GiB
#: The largest part of a download when the part size is chosen per object.
MAX_DOWNLOAD_PART = 64 * MiB
#: One S3 connection moves about 90 MB/s (AWS's performance guidance); the throughput target
#: divided by this is the number of connections a client may keep busy at once.
GBPS_PER_CONNECTION = 0.7
MAX_CONNECTIONS = 64


class SettingsError(BrainIOError, ValueError):
    """An S3 setting (a ``BRAINIO_S3_*`` variable or an ``S3ClientConfig`` field) is invalid."""


def _positive(instance: Any, attribute: attrs.Attribute, value: float | None) -> None:
    if value is not None and not value > 0:
        raise SettingsError(
            f"S3ClientConfig {attribute.name}={value!r} must be greater than 0 (e.g. the "
            f"default, {attribute.default!r})."
        )


def _part_size(instance: Any, attribute: attrs.Attribute, value: int) -> None:
    if not MIN_PART_SIZE <= value <= MAX_PART_SIZE:
        raise SettingsError(
            f"S3ClientConfig part_size={value!r} bytes is outside what S3 accepts for a part: "
            f"choose between 5 MiB ({MIN_PART_SIZE}) and 5 GiB ({MAX_PART_SIZE}), e.g. "
            f"8 * 1024 * 1024."
        )


def _attempts(instance: Any, attribute: attrs.Attribute, value: int) -> None:
    if value < 1:
        raise SettingsError(
            f"S3ClientConfig max_attempts={value!r} must be at least 1 (1 means no retries)."
        )


@attrs.frozen
class S3ClientConfig:
    """How the plugin talks to S3 (see the module docstring).

    :param throughput_target_gbps: how fast transfers may go; sets how many connections run at
        once (:attr:`max_connections`) unless ``max_concurrency`` is given.
    :param part_size: bytes per part of an upload, and per chunk that a sequential reader hands
        over while it streams ahead (5 MiB to 5 GiB).
    :param unsigned: send anonymous requests (public buckets such as ``s3://laion-fmri``);
        otherwise requests are signed when AWS credentials exist, and a read whose signature
        S3 refuses is retried unsigned.
    :param force_path_style: address buckets as ``endpoint/bucket/key`` (MinIO and other
        S3-compatible servers) instead of ``bucket.endpoint/key``.
    :param max_attempts: attempts per request, including the first (retries back off).
    :param profile: the AWS profile whose credentials sign requests (default: boto3's chain).
    :param region: the bucket's region; ``None`` uses boto3's configuration.
    :param endpoint: an S3-compatible server's URL; ``None`` uses boto3's configuration.
    :param connect_timeout: seconds to connect.
    :param read_timeout: seconds without a byte before a read is retried.
    :param multipart_threshold: bytes from which a download or upload goes in parallel parts.
    :param multipart_chunksize: bytes per downloaded part; ``None`` chooses per object.
    :param max_concurrency: connections per client; ``None`` derives them from the throughput.
    """

    throughput_target_gbps: float = attrs.field(default=10.0, validator=_positive)
    part_size: int = attrs.field(default=8 * MiB, validator=_part_size)
    unsigned: bool = False
    force_path_style: bool = False
    max_attempts: int = attrs.field(default=10, validator=_attempts)
    profile: str | None = None
    region: str | None = None
    endpoint: str | None = None
    connect_timeout: float = attrs.field(default=10.0, validator=_positive)
    read_timeout: float = attrs.field(default=60.0, validator=_positive)
    multipart_threshold: int = attrs.field(default=8 * MiB, validator=_positive)
    multipart_chunksize: int | None = attrs.field(default=None, validator=_positive)
    max_concurrency: int | None = attrs.field(default=None, validator=_positive)

    @classmethod
    def from_env(cls, **fields: Any) -> S3ClientConfig:
        """The defaults, overridden by ``BRAINIO_S3_*`` variables, overridden by ``fields``."""
        values: dict[str, Any] = {}
        for field in attrs.fields(cls):
            name = PREFIX + ("ENDPOINT_URL" if field.name == "endpoint" else field.name.upper())
            raw = os.environ.get(name, "").strip()
            if raw and field.name not in ("unsigned", "force_path_style", "profile"):
                values[field.name] = _convert(name, raw, str(field.type))
        return cls(**{**values, **fields})

    @property
    def max_connections(self) -> int:
        """Connections a client keeps busy at once."""
        if self.max_concurrency is not None:
            return int(self.max_concurrency)
        wanted = math.ceil(self.throughput_target_gbps / GBPS_PER_CONNECTION)
        return max(2, min(MAX_CONNECTIONS, wanted))

    def with_location(self, region: str | None, endpoint: str | None) -> S3ClientConfig:
        """This configuration with ``region``/``endpoint`` replaced where they are given."""
        return attrs.evolve(self, region=region or self.region, endpoint=endpoint or self.endpoint)

    def download_part_size(self, size: int | None) -> int:
        """Bytes per part when downloading an object of ``size`` bytes (module docstring)."""
        if self.multipart_chunksize is not None:
            return self.multipart_chunksize
        if not size:
            return self.part_size
        per_connection = -(-size // self.max_connections)
        return min(max(per_connection, self.part_size), max(MAX_DOWNLOAD_PART, self.part_size))


def _convert(name: str, raw: str, kind: str) -> Any:
    if kind.startswith("str"):
        return raw
    try:
        number = float(raw)
    except ValueError:
        raise SettingsError(
            f"{name}={raw!r} is not a number; set it to a number or unset it."
        ) from None
    return number if kind.startswith("float") else int(number)
