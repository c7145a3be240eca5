"""S3-specific refinements of :mod:`brainio.errors`, and how botocore errors become them.

Each class derives from the core class a caller would catch (``FetchError``,
``PackagingError``) and from the builtin exception of the same meaning.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import botocore.exceptions
from botocore.exceptions import PartialCredentialsError

from brainio.errors import FetchError, PackagingError
from brainio_s3.locations import S3Location


class S3ObjectNotFoundError(FetchError, FileNotFoundError):
    """The key, the version of the key, or the whole bucket does not exist."""


class S3EndpointError(FetchError, ConnectionError):
    """The S3 server could not be reached or kept failing after every retry."""


class S3ObjectExistsError(PackagingError, FileExistsError):
    """An upload would overwrite an existing object and ``overwrite`` was not asked for."""


__all__ = [
    "S3EndpointError",
    "S3ObjectExistsError",
    "S3ObjectNotFoundError",
    "translate_error",
]


# --- translating botocore's errors ------------------------------------------------------------

_NOT_FOUND = {"404", "NoSuchKey", "NotFound", "NoSuchVersion", "NoSuchBucket"}
_DENIED = {
    "403",
    "AccessDenied",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidToken",
    "ExpiredToken",
    "AllAccessDisabled",
    "AccountProblem",
}
_REGION = {
    "PermanentRedirect",
    "AuthorizationHeaderMalformed",
    "IllegalLocationConstraintException",
    "301",
}
_ENDPOINT_HINT = "AWS_ENDPOINT_URL / BRAINIO_S3_ENDPOINT_URL"


def translate_error(
    error: Exception,
    location: S3Location,
    *,
    client: Any = None,
    version_id: str | None = None,
    credentials: bool = False,
) -> FetchError:
    """Turn a botocore/s3transfer error into one BrainIO error saying what to do.

    Messages name the object, the endpoint and the version, never credentials. ``client`` is
    used to tell a missing key from a missing version or bucket (HEAD answers carry no code).
    """
    from brainio.errors import AccessDeniedError

    what = location.url + (f" (version {version_id})" if version_id else "")
    where = _endpoint(client)
    if isinstance(error, botocore.exceptions.ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in _NOT_FOUND or status == 404:
            return S3ObjectNotFoundError(_not_found_message(client, location, version_id, where))
        if code in _DENIED or status == 403:
            if credentials:
                tried = "with your AWS credentials and without them"
                advice = (
                    f"Your AWS credentials cannot read bucket '{location.bucket}': ask its "
                    "owner for access, or choose the profile that can (AWS_PROFILE)"
                )
            else:
                tried = "without credentials (none were found)"
                advice = (
                    f"The data may be private: configure AWS credentials that can read "
                    f"bucket '{location.bucket}' (aws configure, AWS_PROFILE, or "
                    "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), or load the public variant "
                    "of this data set"
                )
            return AccessDeniedError(
                f"S3 denied access to {what} at {where} ({code or status}), {tried}. {advice}. "
                "(S3 also answers 403 for a missing key to readers who may not list the bucket.)"
            )
        if code in _REGION or status == 301:
            region = error.response.get("Error", {}).get("Region") or error.response.get(
                "ResponseMetadata", {}
            ).get("HTTPHeaders", {}).get("x-amz-bucket-region")
            hint = f"region '{region}'" if region else "another region"
            return FetchError(
                f"Bucket '{location.bucket}' of {what} is in {hint}, not the one asked at "
                f"{where}. Set BRAINIO_S3_REGION (or AWS_DEFAULT_REGION) to it, or use a "
                "regional URL such as https://BUCKET.s3.REGION.amazonaws.com/KEY."
            )
        if version_id and (status == 400 or code in ("InvalidArgument", "InvalidVersionId")):
            return S3ObjectNotFoundError(
                f"S3 rejected version id '{version_id}' of {location.url} at {where} "
                f"({_message(error) or _phrase(400)}). Version ids belong to one versioned "
                f"bucket: if bucket '{location.bucket}' is not versioned or the data were "
                "copied there, fix or clear the catalog's version_id (the sha1 still verifies "
                "the file)."
            )
        if code in ("PreconditionFailed", "412") or status == 412:
            return FetchError(
                f"{what} changed on {where} while it was being downloaded. Pin a version_id in "
                "the catalog, or try again."
            )
        if isinstance(status, int) and status >= 500:
            answer = f"{status} {code}" if code and code != str(status) else _phrase(status)
            return S3EndpointError(
                f"The S3 server at {where} kept failing for {what} ({answer}) after "
                f"every retry. It may be overloaded or down: try again later "
                f"(BRAINIO_S3_MAX_ATTEMPTS sets the number of attempts)."
            )
        return FetchError(f"S3 refused {what} at {where}: {code or status} {_message(error)}.")
    if isinstance(error, botocore.exceptions.NoCredentialsError | PartialCredentialsError):
        return AccessDeniedError(
            f"No usable AWS credentials to read {what}. Configure credentials for bucket "
            f"'{location.bucket}' (aws configure, AWS_PROFILE) or use public data."
        )
    if isinstance(error, _CONNECTION_ERRORS):
        return S3EndpointError(
            f"Could not reach the S3 endpoint {where} for {what} after every retry "
            f"({type(error).__name__}). Check the network connection and {_ENDPOINT_HINT} if "
            "set; BRAINIO_S3_READ_TIMEOUT and BRAINIO_S3_MAX_ATTEMPTS tune timeouts and retries."
        )
    return FetchError(f"Fetching {what} from {where} failed: {type(error).__name__}: {error}.")


def _phrase(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def _message(error: botocore.exceptions.ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", "")).strip()


def _endpoint(client: Any) -> str:
    if client is None:
        return "S3"
    parts = urlsplit(client.meta.endpoint_url)
    return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")


def _not_found_message(
    client: Any, location: S3Location, version_id: str | None, where: str
) -> str:
    """Ask S3 which part is missing: the bucket, the key, or only this version of it."""
    reason = _diagnose_missing(client, location, version_id)
    if reason == "bucket":
        return (
            f"Bucket '{location.bucket}' does not exist at {where}, so {location.url} cannot "
            f"be fetched. Check the bucket in the catalog's location (and {_ENDPOINT_HINT} "
            "if you use an S3-compatible server)."
        )
    if reason == "version":
        return (
            f"Version '{version_id}' of {location.url} does not exist at {where}, although "
            "the key does. Version ids belong to one bucket: if the data were copied or "
            "re-uploaded, update the catalog's version_id (or clear it and rely on the sha1)."
        )
    version = f" (version {version_id})" if version_id else ""
    return (
        f"{location.url}{version} does not exist at {where} (404 NoSuchKey). Check the "
        "catalog's location; the object may have been moved or renamed."
    )


def _diagnose_missing(client: Any, location: S3Location, version_id: str | None) -> str:
    if client is None:
        return "key"
    try:
        client.head_bucket(Bucket=location.bucket)
    except botocore.exceptions.ClientError as error:
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status == 404:
            return "bucket"
    except botocore.exceptions.BotoCoreError:
        return "key"
    if version_id:
        try:
            client.head_object(Bucket=location.bucket, Key=location.key)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError):
            return "key"
        return "version"
    return "key"


_CONNECTION_ERRORS = (
    botocore.exceptions.EndpointConnectionError,
    botocore.exceptions.ConnectionError,
    botocore.exceptions.ConnectTimeoutError,
    botocore.exceptions.ReadTimeoutError,
    botocore.exceptions.ResponseStreamingError,
    botocore.exceptions.IncompleteReadError,
    botocore.exceptions.ConnectionClosedError,
    ConnectionError,
    TimeoutError,
)
