"""Settings of the S3 plugin, read from ``BRAINIO_S3_*`` environment variables.

Everything else (credentials, profiles, ``AWS_ENDPOINT_URL``/``AWS_ENDPOINT_URL_S3``,
``AWS_DEFAULT_REGION``) is boto3's usual configuration and is left to boto3. The variables
here only add what BrainIO needs on top:

=================================  ====================================================
``BRAINIO_S3_ENDPOINT_URL``        S3-compatible server for every S3 location
``BRAINIO_S3_REGION``              region used when a location names none
``BRAINIO_S3_MAX_ATTEMPTS``        attempts per request (retries with backoff), 5
``BRAINIO_S3_CONNECT_TIMEOUT``     seconds to connect, 10
``BRAINIO_S3_READ_TIMEOUT``        seconds without a byte before a read is retried, 60
``BRAINIO_S3_MULTIPART_THRESHOLD`` bytes from which transfers use parallel parts, 8 MiB
``BRAINIO_S3_MULTIPART_CHUNKSIZE`` bytes per part; unset: chosen per object (see below)
``BRAINIO_S3_MAX_CONCURRENCY``     parallel parts per transfer, 10
=================================  ====================================================

Without ``BRAINIO_S3_MULTIPART_CHUNKSIZE``, a download is split into one part per connection
(object size / ``BRAINIO_S3_MAX_CONCURRENCY``), but parts are at least 8 MiB (small objects
take one request) and at most 64 MiB (a part retried after a dropped connection stays cheap):
every connection is busy from the first request, with as few requests as that allows.
"""

from __future__ import annotations

import os

import attrs

from brainio.errors import BrainIOError

MiB = 1024 * 1024
PREFIX = "BRAINIO_S3_"
MIN_PART = 8 * MiB
MAX_PART = 64 * MiB


class SettingsError(BrainIOError, ValueError):
    """A ``BRAINIO_S3_*`` variable holds a value that is not a number."""


@attrs.frozen
class S3Settings:
    """How the plugin talks to S3; one immutable value, so clients can be cached by it."""

    endpoint_url: str | None = None
    region: str | None = None
    max_attempts: int = 5
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    multipart_threshold: int = 8 * MiB
    multipart_chunksize: int | None = None
    max_concurrency: int = 10

    @classmethod
    def from_env(cls) -> S3Settings:
        """Current settings: defaults overridden by ``BRAINIO_S3_*`` variables."""
        values: dict[str, object] = {}
        for field in attrs.fields(cls):
            raw = os.environ.get(PREFIX + field.name.upper(), "").strip()
            if not raw:
                continue
            convert = next((t for t in ("int", "float") if str(field.type).startswith(t)), "str")
            values[field.name] = _convert(field.name, raw, convert)
        return cls(**values)

    def part_size(self, size: int | None) -> int:
        """Bytes per part for an object of ``size`` bytes (see the module docstring)."""
        if self.multipart_chunksize is not None:
            return self.multipart_chunksize
        if not size:
            return MIN_PART
        per_connection = -(-size // max(1, self.max_concurrency))
        return min(max(per_connection, MIN_PART), MAX_PART)


def _convert(name: str, raw: str, kind: str) -> object:
    if kind == "str":
        return raw
    try:
        number = float(raw)
    except ValueError:
        raise SettingsError(
            f"{PREFIX}{name.upper()}={raw!r} is not a number; set it to a number or unset it."
        ) from None
    return int(number) if kind == "int" else number
