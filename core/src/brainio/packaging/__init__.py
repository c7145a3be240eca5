"""Packaging experiments for others: stimulus sets and assemblies into storage and a catalog.

:func:`package_stimulus_set` and :func:`package_data_assembly` keep BrainIO 1.x's names and
arguments. Each one

1. checks everything first (:mod:`brainio.packaging.checks`) and reports every problem at once
   as one :class:`~brainio.errors.PackagingError`, before anything is written or uploaded;
2. writes the files reproducibly (the same input gives the same bytes and sha1: ZIP entries
   sorted with fixed timestamps and permissions, CSV columns in a fixed order);
3. uploads them to a storage target through the ``brainio_uploader`` hook (``file:///folder``
   with brainio-local, ``s3://bucket/prefix`` with brainio-s3; 1.x's ``bucket_name=`` means
   ``s3://<bucket_name>``);
4. appends the catalog rows atomically (:mod:`brainio.packaging.catalog_append`), when a
   catalog is given,

and returns a :class:`Packaged` holding the rows written (``result.rows``), which also answers
1.x's result keys (``result["sha1"]``, ``result["csv_version_id"]``, ...).

Storage keys follow 1.x: ``stimulus_<id>.csv``, ``stimulus_<id>.zip`` and ``assy_<id>.nc``,
with the dots of the identifier replaced by underscores.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import xarray as xr

from brainio import progress
from brainio.atomic import atomic_path
from brainio.errors import BrainIOError, PackagingError, PluginMissingError
from brainio.hashing import sha1_hash
from brainio.netcdf import write_netcdf
from brainio.packaging.catalog_append import append_rows, catalog_file, present_identifiers
from brainio.packaging.checks import (
    GENERAL_COLUMNS,
    archive_name,
    assembly_problems,
    check_experiment_stimulus_set,
    check_image_format,
    check_naming_convention,
    check_stimulus_naming_convention,
    check_stimulus_numbers,
    coordinate_problems,
    raise_problems,
    stimulus_paths,
    stimulus_set_problems,
)
from brainio.records import TYPE_ASSEMBLY, TYPE_STIMULUS_SET, LookupRow, StoredObject

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_BUCKET",
    "Packaged",
    "assembly_key",
    "check_experiment_stimulus_set",
    "check_image_format",
    "check_naming_convention",
    "check_stimulus_naming_convention",
    "check_stimulus_numbers",
    "create_stimulus_csv",
    "create_stimulus_zip",
    "extract_specific",
    "get_uploader",
    "get_user_info",
    "package_data_assembly",
    "package_stimulus_set",
    "resolve_target",
    "stimulus_set_key",
    "upload_to_s3",
    "write_netcdf",
]

#: 1.x's default bucket, used when neither ``target`` nor ``bucket_name`` is given.
DEFAULT_BUCKET = "brainio-temp"
#: 1.x ran the experiment checks for stimulus sets sent to this bucket.
REQUESTED_BUCKET = "brainio.requested"
#: Fixed ZIP entry timestamp (the earliest a ZIP can hold) and permissions (rw-r--r--).
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
ZIP_FILE_MODE = 0o100644


# --- names ------------------------------------------------------------------------------------


def _store_name(identifier: str) -> str:
    return identifier.replace(".", "_")


def stimulus_set_key(identifier: str, extension: str) -> str:
    """Storage key of a stimulus set's CSV (``"csv"``) or ZIP (``"zip"``), as in 1.x."""
    return f"stimulus_{_store_name(identifier)}.{extension}"


def assembly_key(identifier: str) -> str:
    """Storage key of an assembly's netCDF file, as in 1.x."""
    return f"assy_{_store_name(identifier)}.nc"


# --- the result -------------------------------------------------------------------------------


class Packaged(dict):
    """What was packaged: BrainIO 1.x's result dictionary, plus where everything went.

    As a ``dict`` it holds exactly the keys 1.x returned (``identifier``, ``bucket``, and
    ``csv_sha1``/``zip_sha1``/``csv_version_id``/``zip_version_id`` for a stimulus set or
    ``sha1``/``version_id``/``cls`` for an assembly), so ``.items()``, ``.get()``, ``in`` and
    ``json.dumps`` work as before. The attributes ``target``, ``rows`` (the catalog rows
    written) and ``catalog_path`` say more.
    """

    def __init__(
        self,
        summary: Mapping[str, Any],
        *,
        target: str,
        rows: tuple[LookupRow, ...],
        catalog_path: Path | None = None,
    ) -> None:
        super().__init__(summary)
        self.identifier: str = summary["identifier"]
        self.target = target
        self.rows = rows
        self.catalog_path = catalog_path

    def to_dict(self) -> dict[str, Any]:
        """The 1.x result keys plus ``target``, ``catalog_path`` and the ``rows``."""
        from brainio.packaging.catalog_append import as_mapping

        return {
            **self,
            "target": self.target,
            "catalog_path": str(self.catalog_path) if self.catalog_path else None,
            "rows": [dict(as_mapping(row)) for row in self.rows],
        }


# --- storage targets --------------------------------------------------------------------------


def resolve_target(target: str | os.PathLike | None, bucket_name: str | None) -> str:
    """The storage target as a string: ``target``, or ``s3://<bucket_name>`` (1.x argument).

    A target without a scheme is a folder (relative to the current folder) and becomes a
    ``file://`` URL. With neither argument, 1.x's default
    bucket ``brainio-temp`` is used.
    """
    if target is not None and bucket_name is not None:
        raise PackagingError(
            f"Both target='{target}' and bucket_name='{bucket_name}' were given; pass one "
            f"(bucket_name='b' means target='s3://b')."
        )
    if target is None:
        return f"s3://{(bucket_name or DEFAULT_BUCKET).strip('/')}"
    if isinstance(target, os.PathLike) or "://" not in str(target):
        return Path(target).expanduser().absolute().as_uri()
    return str(target)


def get_uploader(target: str) -> Any:
    """The uploader a plugin provides for ``target`` (hook ``brainio_uploader``)."""
    from brainio.plugins import PLUGIN_DISTRIBUTIONS, find_uploader

    uploader = find_uploader(target)
    if uploader is None:
        scheme = target.split("://", 1)[0].lower() if "://" in target else ""
        plugin = PLUGIN_DISTRIBUTIONS.get(scheme)
        advice = (
            f"Install the plugin for it: pip install {plugin}"
            if plugin
            else "Use s3://bucket/prefix (pip install brainio-s3) or an existing folder / "
            "file:///folder (pip install brainio-local), or install a plugin for this service"
        )
        raise PluginMissingError(f"No installed plugin can store files at '{target}'. {advice}.")
    return uploader


def _bucket_of(target: str) -> str:
    """1.x's ``bucket`` result: ``bucket[/prefix]`` for S3, else the target."""
    return target[len("s3://") :].strip("/") if target.lower().startswith("s3://") else target


# --- files ------------------------------------------------------------------------------------


def _archive_names(proto: pd.DataFrame) -> list[str]:
    paths = stimulus_paths(proto)
    within = (
        proto["stimulus_path_within_store"]
        if "stimulus_path_within_store" in proto.columns
        else [None] * len(proto)
    )
    return [
        archive_name(sid, paths[sid], store)
        for sid, store in zip(proto["stimulus_id"], within, strict=True)
    ]


def create_stimulus_zip(
    proto_stimulus_set: pd.DataFrame, target_zip_path: str | os.PathLike
) -> tuple[str, list[str]]:
    """Write the stimulus files into one ZIP; return its sha1 and each row's name inside it.

    Names follow 1.x (``stimulus_path_within_store`` or ``stimulus_id``, plus the file's
    extension); entries are stored (no compression: stimuli are compressed already) in sorted
    order with a fixed timestamp and permissions, so the same stimuli give the same bytes.
    """
    paths = stimulus_paths(proto_stimulus_set)
    names = _archive_names(proto_stimulus_set)
    entries = sorted(
        (name, os.fspath(paths[stimulus_id]))
        for name, stimulus_id in zip(names, proto_stimulus_set["stimulus_id"], strict=True)
    )
    target = Path(target_zip_path)
    logger.debug("zipping %d stimuli into %s", len(entries), target)
    with atomic_path(target) as temp:
        _write_zip(temp, entries)
    return sha1_hash(target), names


def _zip_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
    info.create_system = 3  # unix, whatever the platform, so the bytes do not vary
    info.external_attr = ZIP_FILE_MODE << 16
    return info


def _write_zip(temp: Path, entries: list[tuple[str, str]]) -> None:
    """Stored entries, any size (ZIP64 where needed). Small files are read whole and go
    through ``writestr``: one read and one write each, where ``ZipFile.write`` copies in 8 KiB
    pieces (thousands of stimuli zip about a third faster)."""
    with zipfile.ZipFile(temp, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, path in entries:
            info = _zip_info(name)
            size = os.stat(path).st_size
            with open(path, "rb") as source:
                if size < _STREAM_ABOVE:
                    archive.writestr(info, source.read())
                    continue
                info.file_size = size
                with archive.open(info, "w", force_zip64=True) as out:
                    shutil.copyfileobj(source, out, 2**20)


_STREAM_ABOVE = 64 * 2**20  # bytes; larger stimuli (videos) are copied in pieces


def extract_specific(proto_stimulus_set: pd.DataFrame) -> list[str]:
    """The columns that go into the CSV, in the proto's own order (1.x used a set: random)."""
    return [column for column in proto_stimulus_set.columns if column not in GENERAL_COLUMNS]


def create_stimulus_csv(proto_stimulus_set: pd.DataFrame, target_path: str | os.PathLike) -> str:
    """Write the stimulus metadata CSV (without the file-location columns); return its sha1.

    ``stimulus_id`` comes first, then the other columns in the proto's order, so the same
    table gives the same bytes in every process (1.x's order depended on PYTHONHASHSEED).
    """
    columns = extract_specific(proto_stimulus_set)
    columns = ["stimulus_id", *[c for c in columns if c != "stimulus_id"]]
    table = pd.DataFrame(proto_stimulus_set)[columns]
    target = Path(target_path)
    with atomic_path(target) as temp:
        table.to_csv(temp, index=False, lineterminator="\n", encoding="utf-8")
    return sha1_hash(target)


# --- catalogs ---------------------------------------------------------------------------------


def _catalog_target(catalog_name: str | None, catalog_path: str | os.PathLike | None):
    """The catalog file to append to (``None``: no catalog) and its name."""
    if catalog_path is not None:
        path = Path(catalog_path).expanduser().absolute()
        return path, catalog_name or path.parent.name
    if catalog_name is not None:
        return catalog_file(catalog_name), catalog_name
    return None, None


def _duplicate_problems(
    catalog_path: Path | None, name: str | None, identifier: str, lookup_type: str
) -> list[str]:
    if catalog_path is None or not catalog_path.is_file():
        return []
    try:
        present = present_identifiers(catalog_path)
    except BrainIOError as error:
        return [str(error)]
    if (identifier, lookup_type) in present:
        kind = lookup_type.replace("_", " ")
        return [
            f"catalog '{name}' ({catalog_path}) already has {kind} '{identifier}'; choose "
            "another identifier or pass replace=True (--replace) to replace it"
        ]
    return []


def _row(
    identifier: str,
    lookup_type: str,
    class_name: str | None,
    stored: StoredObject,
    sha1: str,
    stimulus_set_identifier: str | None = None,
) -> LookupRow:
    return LookupRow(
        identifier=identifier,
        lookup_type=lookup_type,
        class_name=class_name,
        location_type=stored.location_type,
        location=stored.location,
        sha1=sha1,
        stimulus_set_identifier=stimulus_set_identifier,
        extra={"version_id": stored.version_id} if stored.version_id else {},
    )


def _work_dir(work_dir: str | os.PathLike | None):
    if work_dir is not None:
        Path(work_dir).mkdir(parents=True, exist_ok=True)
        return contextlib.nullcontext(str(work_dir))
    return tempfile.TemporaryDirectory(prefix="brainio-package-")


def upload_to_s3(
    source_file_path: str | os.PathLike, bucket_name: str, target_s3_key: str
) -> dict[str, Any]:
    """Upload one file to ``s3://<bucket_name>/<target_s3_key>`` (1.x API; needs brainio-s3).

    Returns what 1.x read from the object's properties: ``Location`` and, in a versioned
    bucket, ``VersionId``.
    """
    stored = get_uploader(resolve_target(None, bucket_name))(
        Path(source_file_path), target_s3_key, overwrite=True
    )
    properties = {"Location": stored.location}
    if stored.version_id:
        properties["VersionId"] = stored.version_id
    return properties


def get_user_info(sts_client: Any) -> tuple[str, str]:
    """The AWS account id and user name behind ``sts_client`` (a boto3 STS client), as 1.x's
    S3 uploads tagged them (``uploadedBy=<user name>``)."""
    identity = sts_client.get_caller_identity()
    return identity["Account"], identity["Arn"].split("/")[-1]


# --- stimulus sets ----------------------------------------------------------------------------

#: Metadata of the stimulus sets packaged in this process, by identifier, so that an assembly
#: packaged next can be checked against its stimulus set even when neither is catalogued
#: (1.x's ``catalog_name=None`` flow).
_packaged_stimulus_sets: dict[str, pd.DataFrame] = {}


def _normalized_stimulus_set(proto: pd.DataFrame) -> pd.DataFrame:
    """A copy with ``stimulus_id`` (from 1.x's legacy ``image_id`` if needed) and its paths."""
    if not isinstance(proto, pd.DataFrame):
        return proto
    paths = stimulus_paths(proto)
    copy = proto.copy()
    if "stimulus_id" not in copy.columns and "image_id" in copy.columns:
        copy["stimulus_id"] = copy["image_id"]
    object.__setattr__(copy, "stimulus_paths", paths)
    return copy


def package_stimulus_set(
    catalog_name: str | None,
    proto_stimulus_set: pd.DataFrame,
    stimulus_set_identifier: str,
    bucket_name: str | None = None,
    *,
    target: str | os.PathLike | None = None,
    catalog_path: str | os.PathLike | None = None,
    replace: bool = False,
    work_dir: str | os.PathLike | None = None,
) -> Packaged:
    """Package stimuli with their metadata: a CSV and a ZIP, uploaded and catalogued.

    :param catalog_name: the installed catalog to append the two rows to (or, with
        ``catalog_path``, the name of that catalog); ``None`` with no ``catalog_path``
        appends nothing.
    :param proto_stimulus_set: one row per stimulus with a ``stimulus_id`` column, metadata
        columns, no ``filename`` column, and ``stimulus_paths`` (``{stimulus_id: path}``);
        an optional ``stimulus_path_within_store`` column names the files inside the ZIP.
    :param stimulus_set_identifier: e.g. ``"mylab.Author2024"``.
    :param bucket_name: 1.x: upload to ``s3://<bucket_name>`` (needs brainio-s3).
    :param target: where to upload: ``"s3://bucket/prefix"``, ``"file:///folder"`` or a
        folder path.
    :param catalog_path: append to this ``lookup.csv`` instead of an installed catalog.
    :param replace: replace an identifier already in the catalog and objects already stored.
    :param work_dir: keep the written CSV and ZIP here (default: a temporary folder).
    :raises PackagingError: listing every problem, before anything is written or uploaded.
    :raises PluginMissingError: no installed plugin stores files at the target.
    """
    identifier = stimulus_set_identifier
    target = resolve_target(target, bucket_name)
    uploader = get_uploader(target)
    proto = _normalized_stimulus_set(proto_stimulus_set)
    catalog, name = _catalog_target(catalog_name, catalog_path)
    problems = stimulus_set_problems(proto, identifier)
    if not replace:
        problems += _duplicate_problems(catalog, name, identifier, TYPE_STIMULUS_SET)
    raise_problems(problems, f"stimulus set '{identifier}'")
    if bucket_name == REQUESTED_BUCKET:
        check_experiment_stimulus_set(proto)

    csv_key, zip_key = stimulus_set_key(identifier, "csv"), stimulus_set_key(identifier, "zip")
    with _work_dir(work_dir) as folder:
        zip_path, csv_path = Path(folder) / zip_key, Path(folder) / csv_key
        with progress.stage(f"Zipping and hashing {len(proto)} stimuli into {zip_key}"):
            zip_sha1, names = create_stimulus_zip(proto, zip_path)
        table = proto.copy()
        table["filename"] = names
        csv_sha1 = create_stimulus_csv(table, csv_path)
        csv_stored = uploader(csv_path, csv_key, overwrite=replace)
        zip_stored = uploader(zip_path, zip_key, overwrite=replace)
    _packaged_stimulus_sets[identifier] = table
    rows = [
        _row(identifier, TYPE_STIMULUS_SET, "StimulusSet", csv_stored, csv_sha1),
        _row(identifier, TYPE_STIMULUS_SET, None, zip_stored, zip_sha1),
    ]
    if catalog is not None:
        rows = append_rows(catalog, rows, replace=replace, catalog_name=name)
    logger.info(
        "packaged stimulus set %s to %s (csv %s, zip %s)", identifier, target, csv_sha1, zip_sha1
    )
    return Packaged(
        {
            "identifier": identifier,
            "bucket": _bucket_of(target),
            "csv_sha1": csv_sha1,
            "zip_sha1": zip_sha1,
            "csv_version_id": csv_stored.version_id,
            "zip_version_id": zip_stored.version_id,
        },
        target=target,
        rows=tuple(rows),
        catalog_path=catalog,
    )


# --- assemblies -------------------------------------------------------------------------------


def _assembly_class(name: str | type) -> tuple[type | None, list[str]]:
    if isinstance(name, type):
        return name, []
    from brainio import classes

    try:
        return classes.resolve(name), []
    except BrainIOError as error:
        return None, [f"assembly class: {error}"]


def _find_stimulus_set(
    identifier: str, catalog: Path | None, name: str | None
) -> tuple[pd.DataFrame | None, list[str]]:
    """The CSV of a stimulus set from the target catalog or the installed ones (fetched), or
    the one packaged last in this process; without a catalog, an unknown set is not checked."""
    from brainio import lookup
    from brainio.catalogs import Catalog
    from brainio.errors import StimulusSetLookupError

    if identifier in _packaged_stimulus_sets:
        return _packaged_stimulus_sets[identifier], []
    row = None
    if catalog is not None and catalog.is_file():
        try:
            rows = Catalog.from_files(name or catalog.parent.name, catalog).rows()
            row = next((r for r in rows if r.identifier == identifier and r.is_csv), None)
        except BrainIOError as error:
            return None, [str(error)]
    if row is None:
        try:
            row, _ = lookup.lookup_stimulus_set(identifier)
        except StimulusSetLookupError:
            if catalog is None:  # 1.x's catalog_name=None flow: nothing to be consistent with
                logger.warning(
                    "Stimulus set '%s' is in no installed catalog and was not packaged in this "
                    "process; the assembly's stimulus ids are not checked against it.",
                    identifier,
                )
                return None, []
            return None, [
                f"stimulus set '{identifier}' is in neither catalog '{name}' nor any installed "
                "catalog; "
                "package it first (into the same catalog), or pass stimulus_set= the "
                "StimulusSet, or stimulus_set_identifier=None if the assembly has none"
            ]
    try:
        from brainio.cache import get_cache

        csv_path = get_cache().fetch(row.source)
        return pd.read_csv(csv_path), []
    except (BrainIOError, OSError, ValueError) as error:
        return None, [
            f"cannot read stimulus set '{identifier}' to check the assembly's stimulus ids: {error}"
        ]


def _as_stimulus_table(stimulus_set: pd.DataFrame) -> pd.DataFrame:
    if "stimulus_id" not in stimulus_set.columns and "image_id" in stimulus_set.columns:
        stimulus_set = stimulus_set.assign(stimulus_id=stimulus_set["image_id"])
    return stimulus_set


def package_data_assembly(
    catalog_identifier: str | None,
    proto_data_assembly: xr.DataArray,
    assembly_identifier: str,
    stimulus_set_identifier: str | None,
    assembly_class_name: str | type = "NeuronRecordingAssembly",
    bucket_name: str | None = None,
    extras: Mapping[str, xr.DataArray] | None = None,
    *,
    target: str | os.PathLike | None = None,
    catalog_path: str | os.PathLike | None = None,
    stimulus_set: pd.DataFrame | None = None,
    replace: bool = False,
    work_dir: str | os.PathLike | None = None,
) -> Packaged:
    """Package recordings (or any measurements) with their metadata as one netCDF file.

    :param catalog_identifier: the installed catalog to append the row to (or, with
        ``catalog_path``, the name of that catalog); ``None`` appends nothing.
    :param proto_data_assembly: a DataArray with the dimensions its class needs (e.g.
        presentation x neuroid [x time_bin]); ``presentation`` carries ``stimulus_id``.
    :param stimulus_set_identifier: the stimulus set the ``stimulus_id``s refer to; it must be
        in the catalog (or installed, or passed as ``stimulus_set``). ``None`` for none.
    :param assembly_class_name: a class registered with BrainIO (or the class itself).
    :param bucket_name: 1.x: upload to ``s3://<bucket_name>`` (needs brainio-s3).
    :param extras: more DataArrays stored as netCDF groups of the same file, by group name.
    :param target: where to upload: ``"s3://bucket/prefix"``, ``"file:///folder"`` or a path.
    :param catalog_path: append to this ``lookup.csv`` instead of an installed catalog.
    :param stimulus_set: the stimulus set itself, to check stimulus ids without fetching it.
    :param replace: replace an identifier already in the catalog and an object already stored.
    :param work_dir: keep the written netCDF file here (default: a temporary folder).
    :raises PackagingError: listing every problem, before anything is written or uploaded.
    :raises PluginMissingError: no installed plugin stores files at the target.
    """
    identifier = assembly_identifier
    target = resolve_target(target, bucket_name)
    uploader = get_uploader(target)
    catalog, name = _catalog_target(catalog_identifier, catalog_path)
    cls, problems = _assembly_class(assembly_class_name)
    class_name = cls.__name__ if cls is not None else str(assembly_class_name)
    assembly = None
    if not isinstance(proto_data_assembly, xr.DataArray):
        problems.append(
            f"the assembly must be an xarray DataArray, not {type(proto_data_assembly).__name__}"
        )
    elif cls is not None:
        try:
            assembly = cls(proto_data_assembly)
        except Exception as error:  # a class's constructor may reject the data in any way
            problems += coordinate_problems(proto_data_assembly, "the assembly") or [
                f"cannot make a {class_name} of it: {type(error).__name__}: {error}"
            ]
    if assembly is not None:
        assembly.attrs["identifier"] = identifier  # the spec's global attribute (1.x omitted it)
        if stimulus_set_identifier is not None:
            assembly.attrs["stimulus_set_identifier"] = stimulus_set_identifier
        if stimulus_set is None and stimulus_set_identifier is not None:
            stimulus_set, found = _find_stimulus_set(stimulus_set_identifier, catalog, name)
            problems += found
        table = _as_stimulus_table(stimulus_set) if stimulus_set is not None else None
        problems += assembly_problems(assembly, identifier, cls, table, extras)
    if not replace:
        problems += _duplicate_problems(catalog, name, identifier, TYPE_ASSEMBLY)
    raise_problems(problems, f"assembly '{identifier}'")

    key = assembly_key(identifier)
    with _work_dir(work_dir) as folder:
        path = Path(folder) / key
        with progress.stage(f"Writing and hashing {key}"):
            sha1 = write_netcdf(assembly, path)
            for group, extra in (extras or {}).items():
                sha1 = write_netcdf(extra, path, append=True, group=group)
        stored = uploader(path, key, overwrite=replace)
    rows = [_row(identifier, TYPE_ASSEMBLY, class_name, stored, sha1, stimulus_set_identifier)]
    if catalog is not None:
        rows = append_rows(catalog, rows, replace=replace, catalog_name=name)
    logger.info("packaged assembly %s to %s (sha1 %s)", identifier, target, sha1)
    return Packaged(
        {
            "identifier": identifier,
            "version_id": stored.version_id,
            "sha1": sha1,
            "bucket": _bucket_of(target),
            "cls": class_name,
        },
        target=target,
        rows=tuple(rows),
        catalog_path=catalog,
    )


def __getattr__(name: str) -> Any:
    # 1.x imported boto3 here, and tests written for 1.x patch ``brainio.packaging.boto3.client``;
    # importing it on first use keeps the core free of boto3 (brainio-s3 brings it).
    if name == "boto3":
        import boto3

        return boto3
    raise AttributeError(f"module 'brainio.packaging' has no attribute '{name}'")
