"""BrainIO plugin for Amazon S3 and S3-compatible stores.

Fetches catalog files whose ``location_type`` is ``S3`` (see :mod:`brainio_s3.fetcher`),
provides the Brain-Score S3 helpers (:mod:`brainio_s3.helpers`) and uploads packaged files
(:mod:`brainio_s3.uploader`). Settings come from the usual AWS configuration plus the
``BRAINIO_S3_*`` variables described in :mod:`brainio_s3.settings`.
"""

from brainio_s3.helpers import (
    download_file_if_not_exists,
    get_path,
    load_assembly_from_s3,
    load_file,
    load_file_from_s3,
    load_folder_from_s3,
    load_stimulus_set_from_s3,
    load_weight_file,
    sha1_hash,
)
from brainio_s3.locations import S3Location, parse_location

__all__ = [
    "S3Location",
    "download_file_if_not_exists",
    "get_path",
    "load_assembly_from_s3",
    "load_file",
    "load_file_from_s3",
    "load_folder_from_s3",
    "load_stimulus_set_from_s3",
    "load_weight_file",
    "parse_location",
    "sha1_hash",
]
