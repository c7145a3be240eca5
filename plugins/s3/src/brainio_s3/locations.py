"""S3 locations: turning a catalog's ``location`` cell into a bucket and a key.

Catalogs written by BrainIO 1.x hold virtual-hosted URLs
(``https://bucket.s3.amazonaws.com/key``, bucket names may contain dots, hosts may name a
region); others use path-style URLs (``https://s3.us-east-2.amazonaws.com/bucket/key`` or an
S3-compatible server such as ``http://127.0.0.1:9000/bucket/key``) or ``s3://bucket/key``.
Keys are always joined with ``/`` (never ``os.path.join``, which put backslashes into keys on
Windows in 1.x).
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

import attrs

from brainio.errors import FetchError

# bucket.s3.amazonaws.com, bucket.s3.us-east-2.amazonaws.com, bucket.s3-us-west-2.amazonaws.com,
# bucket.s3.dualstack.eu-west-1.amazonaws.com, *.amazonaws.com.cn
_AWS_HOST = re.compile(
    r"^(?:(?P<bucket>.+)\.)?s3(?:[.-]dualstack)?(?:[.-](?P<region>[a-z]{2}(?:-[a-z]+)+-\d+))?"
    r"\.amazonaws\.com(?:\.cn)?$"
)


@attrs.frozen
class S3Location:
    """One object (or, for upload targets, a prefix) in one bucket.

    ``endpoint_url`` is set only when the location itself names a non-AWS server (path-style
    URL to an S3-compatible store); AWS URLs leave it ``None`` so the usual AWS settings
    (``AWS_ENDPOINT_URL`` ...) decide. ``region`` is set when an AWS host names one.
    """

    bucket: str
    key: str
    region: str | None = None
    endpoint_url: str | None = None

    @property
    def url(self) -> str:
        """``s3://bucket/key``: how messages name the object."""
        return f"s3://{self.bucket}/{self.key}"

    def child(self, *parts: str) -> S3Location:
        """The location of ``parts`` below this one (this location's key used as a prefix)."""
        return attrs.evolve(self, key=join_key(self.key, *parts))


def join_key(*parts: str) -> str:
    """Join key segments with ``/``, dropping empty segments and doubled slashes.

    >>> join_key("brainio-brainscore/", "/assy_x.nc")
    'brainio-brainscore/assy_x.nc'
    """
    segments = []
    for part in parts:
        if part is None:
            continue
        segments.extend(s for s in str(part).replace("\\", "/").split("/") if s)
    return "/".join(segments)


def split_bucket(bucket: str) -> tuple[str, str]:
    """Split a Brain-Score bucket string with folders on its first ``/``.

    >>> split_bucket("brainscore-storage/brainscore-vision/benchmarks/Allen2022")
    ('brainscore-storage', 'brainscore-vision/benchmarks/Allen2022')
    """
    name, _, folder = bucket.strip("/").partition("/")
    return name, join_key(folder)


def parse_location(location: str) -> S3Location:
    """Parse any S3 location form into an :class:`S3Location`.

    Raises :class:`brainio.errors.FetchError` naming the location when it is not an S3 URL.
    """
    text = location.strip()
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme == "s3":
        bucket, key = parts.netloc, join_key(parts.path)
        if not bucket:
            raise _bad_location(location, "it names no bucket")
        return S3Location(bucket=bucket, key=key)
    if scheme not in ("http", "https") or not parts.hostname:
        raise _bad_location(location, "it is neither an s3:// URL nor an http(s) URL")
    path = unquote(parts.path)
    host = parts.hostname.lower()
    match = _AWS_HOST.match(host)
    if match and match.group("bucket"):  # virtual-hosted
        bucket, key = match.group("bucket"), join_key(path)
        return S3Location(bucket=bucket, key=key, region=match.group("region"))
    bucket, _, key = path.lstrip("/").partition("/")
    if not bucket:
        raise _bad_location(location, "a path-style URL needs the bucket as its first segment")
    if match:  # path-style on an AWS host
        return S3Location(bucket=bucket, key=join_key(key), region=match.group("region"))
    endpoint = f"{scheme}://{parts.netloc}"
    return S3Location(bucket=bucket, key=join_key(key), endpoint_url=endpoint)


def is_s3_location(location: str) -> bool:
    """Whether ``location`` parses as an S3 location."""
    try:
        parse_location(location)
    except FetchError:
        return False
    return True


def _bad_location(location: str, why: str) -> FetchError:
    return FetchError(
        f"'{location}' is not an S3 location: {why}. Use s3://bucket/key, "
        "https://bucket.s3.amazonaws.com/key or a path-style URL https://host/bucket/key."
    )
