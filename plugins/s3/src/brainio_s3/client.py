"""``S3Client``: the S3 plugin's one client layer.

Every request of the plugin (fetcher, uploader, helpers, readers, writers, data sets,
checkpoints, and the LAION-fMRI plugin) goes through an ``S3Client``, which holds only an
:class:`~brainio_s3.config.S3ClientConfig`. Behind it:

* **one client cache**: the boto3 client is built on first use and cached per process by
  configuration, signing and the ``AWS_*`` environment (building one costs a quarter of a
  second; threads asking at once wait for one; a client is thread-safe);
* **one fork policy**: a forked child forgets the parent's clients, sessions and lock, so an
  ``S3Client`` (and every reader, data set or checkpoint holding one) can be pickled to
  DataLoader or Dask workers, forked or spawned, and builds its own connections there;
* **one signed-to-unsigned fallback**: public Brain-Score data are readable without an AWS
  account, private data need credentials. A read is signed when credentials exist; one whose
  credentials S3 refuses (403, expired or foreign keys) is retried unsigned, as BrainIO 1.x
  did, and the access that worked is tried first for that bucket from then on (a refusal of
  it tries the other one again, so a bucket holding public and private objects works). Writes
  are never retried unsigned. When everything fails the user gets one error saying what was
  tried (:mod:`brainio_s3.errors`).
"""

from __future__ import annotations

import io
import logging
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any, Self, TypeVar

import attrs
import boto3
import botocore.exceptions
from botocore import UNSIGNED
from botocore.config import Config

from brainio.errors import AccessDeniedError, FetchError
from brainio_s3.config import S3ClientConfig
from brainio_s3.errors import translate_error
from brainio_s3.locations import S3Location, parse_location

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Codes with which S3 refuses the *credentials* rather than the reader; the other access may work.
_CREDENTIAL_REFUSALS = {
    "AccessDenied",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidToken",
    "ExpiredToken",
    "TokenRefreshRequired",
    "AllAccessDisabled",
    "403",
}
_UNUSABLE_CREDENTIALS = (
    botocore.exceptions.NoCredentialsError,
    botocore.exceptions.PartialCredentialsError,
    botocore.exceptions.CredentialRetrievalError,
)

_lock = threading.Lock()
#: Held while a client is built: threads asking at once (``get_assembly`` fetches a stimulus
#: set and an assembly side by side) wait for one client instead of each building their own.
_building = threading.Lock()
_sessions: dict[tuple, boto3.session.Session] = {}
_clients: dict[tuple, Any] = {}
#: (endpoint, bucket) whose reads worked unsigned after a signed read was refused.
_unsigned_buckets: set[tuple[str | None, str]] = set()


def _after_fork_in_child() -> None:
    """A child never uses the parent's connections or a lock another thread may have held."""
    global _lock, _building
    _lock, _building = threading.Lock(), threading.Lock()
    _clients.clear()
    _sessions.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)


def clear_clients() -> None:
    """Forget cached clients, sessions and learned access (after changing credentials)."""
    with _lock:
        _clients.clear()
        _sessions.clear()
        _unsigned_buckets.clear()


def _aws_environment() -> tuple:
    """What in the environment changes which client is right (kept in memory only)."""
    return tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("AWS_")))


def _session(profile: str | None) -> boto3.session.Session:
    key = (profile, _aws_environment())
    with _lock:
        session = _sessions.get(key)
        if session is None:
            session = _sessions[key] = boto3.session.Session(profile_name=profile)
        return session


def has_credentials(profile: str | None = None) -> bool:
    """Whether boto3's credential chain finds any credentials (env, profile, role ...)."""
    try:
        return _session(profile).get_credentials() is not None
    except botocore.exceptions.BotoCoreError as error:  # e.g. a profile that does not exist
        logger.warning(
            "AWS credentials could not be loaded (%s); using unsigned requests",
            type(error).__name__,
        )
        return False


@attrs.frozen
class ObjectInfo:
    """What a listing (or a HEAD request) says about one object."""

    bucket: str
    key: str
    size: int
    etag: str | None = None
    version_id: str | None = None


class S3Client:
    """Sends the plugin's requests; see the module docstring.

    :param region: the bucket's region (overrides ``s3client_config.region``).
    :param endpoint: an S3-compatible server's URL (overrides ``s3client_config.endpoint``).
    :param s3client_config: an :class:`S3ClientConfig`; ``S3ClientConfig.from_env()`` when
        ``None``. The endpoint the environment names is fixed now, so a pickled client reaches
        the same server.
    """

    def __init__(
        self,
        region: str | None = None,
        endpoint: str | None = None,
        s3client_config: S3ClientConfig | None = None,
    ):
        config = (s3client_config or S3ClientConfig.from_env()).with_location(region, endpoint)
        if config.endpoint is None:
            config = attrs.evolve(config, endpoint=_endpoint_from_environment())
        self.config = config

    @classmethod
    def for_location(
        cls, location: S3Location, s3client_config: S3ClientConfig | None = None
    ) -> S3Client:
        """The client for a parsed S3 URL (its region and endpoint, if it names them)."""
        return cls(location.region, location.endpoint_url, s3client_config)

    def __repr__(self) -> str:
        return f"S3Client(region={self.config.region!r}, endpoint={self.config.endpoint!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, S3Client) and other.config == self.config

    def __hash__(self) -> int:
        return hash(self.config)

    # --- boto3 clients --------------------------------------------------------------------------

    def boto3_client(self, signed: bool | None = None, *, cached: bool = True) -> Any:
        """The boto3 client of this process for this configuration.

        ``signed=None`` picks the access to try first (see the module docstring);
        ``cached=False`` builds a new client (for callers that register event handlers on it).
        """
        if signed is None:
            signed = self._signed_first("")
        if not cached:
            return self._new_boto3_client(signed)
        key = (self.config, signed, _aws_environment())
        with _lock:
            client = _clients.get(key)
        if client is not None:
            return client
        with _building:
            with _lock:
                client = _clients.get(key)
            if client is None:  # not built by the thread this one waited for
                client = self._new_boto3_client(signed)
                with _lock:
                    _clients[key] = client
            return client

    def _new_boto3_client(self, signed: bool) -> Any:
        config = self.config
        return _session(config.profile).client(
            "s3",
            endpoint_url=config.endpoint,
            region_name=config.region,
            config=Config(
                signature_version=None if signed else UNSIGNED,
                # attempts including the first (botocore's "max_attempts" counts retries only)
                retries={"mode": "standard", "total_max_attempts": config.max_attempts},
                connect_timeout=config.connect_timeout,
                read_timeout=config.read_timeout,
                max_pool_connections=config.max_connections + 2,
                s3={"addressing_style": "path" if config.force_path_style else "auto"},
            ),
        )

    def boto3_client_for(self, bucket: str) -> Any:
        """The boto3 client whose access (signed or not) last worked for ``bucket``."""
        return self.boto3_client(self._signed_first(bucket))

    def _signed_first(self, bucket: str) -> bool:
        if self.config.unsigned or (self.config.endpoint, bucket) in _unsigned_buckets:
            return False
        return has_credentials(self.config.profile)

    def location(self, bucket: str, key: str) -> S3Location:
        return S3Location(
            bucket=bucket, key=key, region=self.config.region, endpoint_url=self.config.endpoint
        )

    # --- requests -------------------------------------------------------------------------------

    def call(
        self,
        bucket: str,
        key: str,
        request: Callable[[Any], T],
        *,
        version_id: str | None = None,
        write: bool = False,
    ) -> T:
        """``request(boto3_client)`` for object ``key`` of ``bucket``, errors translated.

        Reads fall back between signed and unsigned access (see the module docstring).
        """
        location = self.location(bucket, key)
        signed = self._signed_first(bucket)
        client = self.boto3_client(signed)
        try:
            return request(client)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
            can_switch = not write and not self.config.unsigned and _refuses_access(error)
            if not can_switch or (not signed and not has_credentials(self.config.profile)):
                raise self.translate(error, location, client, version_id, signed, write) from error
            logger.info(
                "S3 refused the %s request for %s (%s); retrying %s",
                "signed" if signed else "unsigned",
                location.url,
                _error_code(error) or type(error).__name__,
                "unsigned" if signed else "signed",
            )
        client = self.boto3_client(not signed)
        try:
            answer = request(client)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
            raise self.translate(error, location, client, version_id, True, write) from error
        with _lock:
            if signed:
                _unsigned_buckets.add((self.config.endpoint, bucket))
            else:
                _unsigned_buckets.discard((self.config.endpoint, bucket))
        return answer

    @staticmethod
    def translate(
        error: Exception,
        location: S3Location,
        client: Any,
        version_id: str | None = None,
        credentials: bool = True,
        write: bool = False,
    ) -> Exception:
        """The :mod:`brainio.errors` exception for a botocore error about ``location``."""
        if write and isinstance(error, botocore.exceptions.ClientError):
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if status == 403:
                return AccessDeniedError(
                    f"S3 refused to let your AWS credentials write {location.url} "
                    f"({_error_code(error) or status}). Use credentials (AWS_PROFILE) that may "
                    f"write to bucket '{location.bucket}', or write to another bucket."
                )
        return translate_error(
            error, location, client=client, version_id=version_id, credentials=credentials
        )

    def head_object(self, bucket: str, key: str, version_id: str | None = None) -> ObjectInfo:
        """Size, ETag and version of one object (one HEAD request)."""
        extra = {"VersionId": version_id} if version_id else {}
        answer = self.call(
            bucket,
            key,
            lambda client: client.head_object(Bucket=bucket, Key=key, **extra),
            version_id=version_id,
        )
        return ObjectInfo(
            bucket=bucket,
            key=key,
            size=int(answer["ContentLength"]),
            etag=answer.get("ETag"),
            version_id=answer.get("VersionId") or version_id,
        )

    def list_objects(self, bucket: str, prefix: str = "") -> Iterator[ObjectInfo]:
        """Every object under ``prefix`` in key order (ListObjectsV2, 1,000 keys a page)."""
        token: str | None = None
        while True:
            extra = {"ContinuationToken": token} if token else {}

            def list_page(client: Any, extra: dict[str, str] = extra) -> Any:
                return client.list_objects_v2(Bucket=bucket, Prefix=prefix, **extra)

            page = self.call(bucket, prefix, list_page)
            for item in page.get("Contents", []):
                if item["Key"].endswith("/") and int(item["Size"]) == 0:
                    continue  # a "folder" placeholder, not data
                yield ObjectInfo(bucket, item["Key"], int(item["Size"]), item.get("ETag"))
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                return

    def delete_object(self, bucket: str, key: str) -> None:
        """Delete one object (no error when it does not exist)."""
        self.call(
            bucket, key, lambda client: client.delete_object(Bucket=bucket, Key=key), write=True
        )

    def copy_object(self, src_bucket: str, src_key: str, dst_bucket: str, dst_key: str) -> None:
        """Copy one object within S3 (no bytes pass through this process)."""
        self.call(
            dst_bucket,
            dst_key,
            lambda client: client.copy({"Bucket": src_bucket, "Key": src_key}, dst_bucket, dst_key),
            write=True,
        )


class HoldsClient:
    """The :class:`S3Client` an object holds in ``_client``, its region and endpoint."""

    _client: S3Client

    @property
    def client(self) -> S3Client:
        return self._client

    @property
    def region(self) -> str | None:
        return self._client.config.region

    @property
    def endpoint(self) -> str | None:
        return self._client.config.endpoint


class ObjectFile(io.BufferedIOBase):
    """What :class:`~brainio_s3.reader.S3Reader` and :class:`~brainio_s3.writer.S3Writer`
    share: the object (``bucket``, ``key``) they read or write, and the client they use."""

    #: True for readers (readable, seekable), False for writers (writable only).
    reads: bool = True

    def __init__(self, bucket: str, key: str, client: S3Client | None):
        super().__init__()
        self.bucket = bucket
        self.key = key
        self._client = client or S3Client()

    def readable(self) -> bool:
        return self.reads

    def seekable(self) -> bool:
        return self.reads

    def writable(self) -> bool:
        return not self.reads

    @classmethod
    def from_uri(
        cls,
        uri: str,
        *,
        region: str | None = None,
        endpoint: str | None = None,
        s3client_config: S3ClientConfig | None = None,
        **kwargs: Any,
    ) -> Self:
        """One for an S3 URL (``s3://bucket/key``, virtual-hosted or path-style ``https://``)."""
        client, location = client_for_object(
            uri,
            region=region,
            endpoint=endpoint,
            s3client_config=s3client_config,
            what=f"an {cls.__name__} {'reads' if cls.reads else 'writes'}",
        )
        return cls(location.bucket, location.key, client=client, **kwargs)

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    @property
    def name(self) -> str:
        """The object's ``s3://`` URL (as ``name`` of a local file is its path)."""
        return self.uri

    @property
    def client(self) -> S3Client:
        return self._client


def get_client(
    location: S3Location, *, signed: bool, s3client_config: S3ClientConfig | None = None
) -> Any:
    """The cached boto3 client for ``location`` (its endpoint and region), signed or not.

    For code that calls boto3 itself (paginators, the transfer manager), e.g. the LAION-fMRI
    plugin; everything else goes through :class:`S3Client`.
    """
    return S3Client.for_location(location, s3client_config).boto3_client(signed)


def client_for_object(
    uri: str,
    *,
    region: str | None,
    endpoint: str | None,
    s3client_config: S3ClientConfig | None,
    what: str,
) -> tuple[S3Client, S3Location]:
    """The client and location for one object's URL; ``what`` says who needs a full key."""
    location = parse_location(uri)
    if not location.key or uri.strip().endswith("/"):
        raise FetchError(
            f"'{uri}' names no object (it ends at a bucket or folder); {what} one object: "
            "give its full key, e.g. s3://bucket/folder/file.nc."
        )
    client = S3Client(
        region=region or location.region,
        endpoint=endpoint or location.endpoint_url,
        s3client_config=s3client_config,
    )
    return client, location


def _refuses_access(error: Exception) -> bool:
    if isinstance(error, _UNUSABLE_CREDENTIALS):
        return True
    return (
        isinstance(error, botocore.exceptions.ClientError)
        and _error_code(error) in _CREDENTIAL_REFUSALS
    )


def _error_code(error: Exception) -> str:
    if isinstance(error, botocore.exceptions.ClientError):
        return str(error.response.get("Error", {}).get("Code", ""))
    return ""


def _endpoint_from_environment() -> str | None:
    """The endpoint the environment names, in boto3's order (after the plugin's own setting)."""
    for name in ("BRAINIO_S3_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"):
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None
