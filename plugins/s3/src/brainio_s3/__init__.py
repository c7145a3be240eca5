"""BrainIO plugin for Amazon S3 and S3-compatible stores.

Fetches catalog files whose ``location_type`` is ``S3`` (see :mod:`brainio_s3.fetcher`),
provides the Brain-Score S3 helpers (:mod:`brainio_s3.helpers`, also importable from here)
and uploads packaged files (:mod:`brainio_s3.uploader`). Settings come from the usual AWS
configuration plus the ``BRAINIO_S3_*`` variables described in :mod:`brainio_s3.config`.

Importing this package is cheap: boto3 loads only when a helper or the fetcher is used, so
the plugin does not slow down ``brainio --help`` or catalog listing.
"""

from __future__ import annotations

import importlib
from typing import Any

_HELPERS = (
    "download_file_if_not_exists",
    "get_path",
    "load_assembly_from_s3",
    "load_file",
    "load_file_from_s3",
    "load_folder_from_s3",
    "load_stimulus_set_from_s3",
    "load_weight_file",
    "sha1_hash",
)

#: Streaming classes (in the style of s3torchconnector) and lazy remote assemblies, by module;
#: sharded checkpoints (``torch.distributed.checkpoint``) are in :mod:`brainio_s3.dcp`.
_STREAMING = {
    "S3ClientConfig": "brainio_s3.config",
    "S3Client": "brainio_s3.client",
    "S3Reader": "brainio_s3.reader",
    "S3ReaderConstructor": "brainio_s3.reader",
    "S3Writer": "brainio_s3.writer",
    "S3MapDataset": "brainio_s3.datasets",
    "S3IterableDataset": "brainio_s3.datasets",
    "S3Checkpoint": "brainio_s3.checkpoint",
    "open_assembly": "brainio_s3.remote",
}

__all__ = [*_HELPERS, *_STREAMING, "S3Location", "parse_location"]


def __getattr__(name: str) -> Any:
    if name in _HELPERS:
        return getattr(importlib.import_module("brainio_s3.helpers"), name)
    if name in _STREAMING:
        return getattr(importlib.import_module(_STREAMING[name]), name)
    if name in ("S3Location", "parse_location"):
        return getattr(importlib.import_module("brainio_s3.locations"), name)
    raise AttributeError(f"module 'brainio_s3' has no attribute {name!r}")
