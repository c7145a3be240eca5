"""boto3 clients for S3: signed when credentials exist, unsigned otherwise.

Public Brain-Score data are readable without an AWS account, private data need credentials.
So a request is signed when credentials exist, and a signed request that S3 refuses (403,
expired or foreign credentials) is retried once unsigned, as BrainIO 1.x did; when both fail
the user gets one error that says what was tried (never a list of two exceptions).

Clients are cached per process and per configuration (settings, AWS environment, endpoint,
region): creating one costs tens of milliseconds, and a client is thread-safe.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import Any

import boto3
import botocore.exceptions
from botocore import UNSIGNED
from botocore.config import Config

from brainio_s3.errors import translate_error
from brainio_s3.locations import S3Location
from brainio_s3.settings import S3Settings

logger = logging.getLogger(__name__)

# Codes with which S3 refuses the *credentials* rather than the reader; an unsigned retry may work.
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

_lock = threading.Lock()
_sessions: dict[tuple, boto3.session.Session] = {}
_clients: dict[tuple, Any] = {}


def _environment_key() -> tuple:
    """What in the environment changes which client is right (kept in memory only)."""
    return (os.getpid(), *sorted((k, v) for k, v in os.environ.items() if k.startswith("AWS_")))


def _session() -> boto3.session.Session:
    key = _environment_key()
    with _lock:
        session = _sessions.get(key)
        if session is None:
            session = _sessions[key] = boto3.session.Session()
        return session


def has_credentials() -> bool:
    """Whether boto3's credential chain finds any credentials (env, profile, role ...)."""
    try:
        return _session().get_credentials() is not None
    except botocore.exceptions.BotoCoreError as error:  # e.g. a profile that does not exist
        logger.warning(
            "AWS credentials could not be loaded (%s); using unsigned requests",
            type(error).__name__,
        )
        return False


def get_client(location: S3Location, *, signed: bool, settings: S3Settings | None = None) -> Any:
    """A cached S3 client for ``location``: its endpoint and region, signed or unsigned."""
    settings = settings or S3Settings.from_env()
    endpoint_url = location.endpoint_url or settings.endpoint_url
    region = location.region or settings.region
    key = (_environment_key(), signed, endpoint_url, region, settings)
    with _lock:
        client = _clients.get(key)
    if client is not None:
        return client
    client = new_client(location, signed=signed, settings=settings)
    with _lock:
        return _clients.setdefault(key, client)


def new_client(
    location: S3Location,
    *,
    signed: bool,
    settings: S3Settings | None = None,
    extra_config: Config | None = None,
) -> Any:
    """A new, uncached S3 client (for callers that register event handlers on it).

    ``extra_config`` (a botocore ``Config``, e.g. path-style addressing for the streaming
    classes' :class:`~brainio_s3.config.S3ClientConfig`) is merged over the plugin's own.
    """
    settings = settings or S3Settings.from_env()
    endpoint_url = location.endpoint_url or settings.endpoint_url
    region = location.region or settings.region
    config = Config(
        signature_version=None if signed else UNSIGNED,
        retries={"mode": "standard", "max_attempts": settings.max_attempts},
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        max_pool_connections=max(10, settings.max_concurrency + 2),
    )
    if extra_config is not None:
        config = config.merge(extra_config)
    return _session().client("s3", endpoint_url=endpoint_url, region_name=region, config=config)


def clear_clients() -> None:
    """Forget cached clients and sessions (after changing credentials mid-process)."""
    with _lock:
        _clients.clear()
        _sessions.clear()


def call_with_fallback(
    location: S3Location,
    request: Callable[[Any], Any],
    *,
    version_id: str | None = None,
    settings: S3Settings | None = None,
) -> tuple[Any, Any]:
    """Run ``request(client)``, signed if possible, unsigned if the signature is refused.

    Returns ``(client, result)``: the client that succeeded, so that follow-up requests for
    the same object use the same access. Raises a :class:`brainio.errors.FetchError`
    subclass that says what happened and what to do.
    """
    settings = settings or S3Settings.from_env()
    signed = has_credentials()
    if signed:
        client = get_client(location, signed=True, settings=settings)
        try:
            return client, request(client)
        except botocore.exceptions.ClientError as error:
            if _error_code(error) not in _CREDENTIAL_REFUSALS:
                raise translate_error(
                    error, location, client=client, version_id=version_id, credentials=True
                ) from error
            logger.info(
                "S3 refused the signed request for %s (%s); retrying unsigned",
                location.url,
                _error_code(error),
            )
        except (
            botocore.exceptions.NoCredentialsError,
            botocore.exceptions.PartialCredentialsError,
            botocore.exceptions.CredentialRetrievalError,
        ) as error:
            logger.info(
                "AWS credentials unusable for %s (%s); retrying unsigned",
                location.url,
                type(error).__name__,
            )
        except botocore.exceptions.BotoCoreError as error:
            raise translate_error(
                error, location, client=client, version_id=version_id, credentials=True
            ) from error
    client = get_client(location, signed=False, settings=settings)
    try:
        return client, request(client)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        raise translate_error(
            error, location, client=client, version_id=version_id, credentials=signed
        ) from error


def _error_code(error: botocore.exceptions.ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))
