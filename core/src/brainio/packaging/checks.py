"""Checks run before anything is packaged: every problem is collected, then reported at once.

Each ``*_problems`` function returns a list of sentences naming the offending identifier,
column, coordinate, stimulus or file; :func:`raise_problems` turns a non-empty list into one
:class:`~brainio.errors.PackagingError`. Nothing is written or uploaded before these pass, so
a lab fixes its data in one round instead of one crash per upload (as with 1.x's asserts).

The 1.x checks (``check_naming_convention``, ``check_experiment_stimulus_set``, ...) are kept
with their names, raising :class:`PackagingError` instead of ``AssertionError``.
"""

from __future__ import annotations

import logging
import mimetypes
import os
import posixpath
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from xarray.indexes import PandasMultiIndex

from brainio.errors import BrainIOError, PackagingError

logger = logging.getLogger(__name__)

__all__ = [
    "COLUMN_PATTERN",
    "IDENTIFIER_PATTERN",
    "assembly_problems",
    "check_experiment_stimulus_set",
    "check_image_format",
    "check_naming_convention",
    "check_stimulus_naming_convention",
    "check_stimulus_numbers",
    "coordinate_problems",
    "identifier_problems",
    "raise_problems",
    "stimulus_set_problems",
]

#: What an identifier may look like: it becomes part of file names and storage keys
#: (``stimulus_<id>.zip``), so letters, digits, ``.``, ``_`` and ``-`` only. This admits every
#: identifier of the public Brain-Score catalogs (``hvm``, ``dicarlo.MajajHong2015.public``).
IDENTIFIER_PATTERN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_\-]|\.(?!\.))*(?<![.\-])$")
#: The recommended convention ``<lab>.<AuthorYYYY>[.<suffix>]`` (1.x ``check_naming_convention``).
CONVENTION_PATTERN = re.compile(r"^[a-z][a-z0-9_]*\.[A-Z][a-zA-Z0-9]+")
#: What a stimulus-set column may be called (docs/format.md, "Stimulus set").
COLUMN_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
#: Columns of a proto stimulus set that describe where files are, not the stimuli (not in CSV).
GENERAL_COLUMNS = ("stimulus_current_local_file_path", "stimulus_path_within_store")
_SHOWN = 5  # examples shown per problem


def raise_problems(problems: list[str], what: str) -> None:
    """Raise one :class:`PackagingError` listing ``problems`` (if any) about ``what``."""
    if not problems:
        return
    listed = "\n  - ".join(problems)
    raise PackagingError(
        f"Cannot package {what}: {len(problems)} problem(s) found, nothing was written or "
        f"uploaded:\n  - {listed}\nFix them and package again."
    )


def _examples(values: Iterable[Any]) -> str:
    values = [v.item() if isinstance(v, np.generic) else v for v in values]
    shown = ", ".join(repr(v) for v in values[:_SHOWN])
    return shown + (f" (and {len(values) - _SHOWN} more)" if len(values) > _SHOWN else "")


def identifier_problems(identifier: Any, what: str) -> list[str]:
    """An identifier must be usable in a file name and a storage key."""
    if not isinstance(identifier, str) or not identifier:
        return [f"the {what} identifier must be a non-empty string, not {identifier!r}"]
    if not IDENTIFIER_PATTERN.match(identifier):
        return [
            f"the {what} identifier '{identifier}' may only contain letters, digits, '.', '_' "
            "and '-', must start with a letter or digit and not end with '.' or '-' (it "
            "becomes part of file names), e.g. 'mylab.Author2024.v1'"
        ]
    if not CONVENTION_PATTERN.match(identifier):
        logger.warning(
            "The %s identifier '%s' does not follow the convention <lab>.<AuthorYYYY>[.suffix] "
            "(e.g. 'dicarlo.MajajHong2015'); consider renaming it before publishing.",
            what,
            identifier,
        )
    return []


# --- stimulus sets ----------------------------------------------------------------------------


def stimulus_paths(proto: pd.DataFrame) -> dict[Any, Any]:
    """``stimulus_id -> local path`` of a proto stimulus set.

    From its ``stimulus_paths`` mapping, or else (as some 1.x code did) from a
    ``stimulus_current_local_file_path`` column.
    """
    paths = getattr(proto, "stimulus_paths", None)
    if paths:
        return dict(paths)
    if "stimulus_current_local_file_path" in proto.columns and "stimulus_id" in proto.columns:
        return dict(
            zip(proto["stimulus_id"], proto["stimulus_current_local_file_path"], strict=True)
        )
    return {}


def archive_name(stimulus_id: Any, path: Any, within_store: Any = None) -> str:
    """Name of a stimulus inside the ZIP (1.x rule): its store path or id, plus its extension."""
    base = within_store if isinstance(within_store, str) and within_store else str(stimulus_id)
    return base + os.path.splitext(str(path))[1]


def stimulus_set_problems(proto: pd.DataFrame, identifier: Any) -> list[str]:
    """Everything that would make ``proto`` an invalid or unloadable stimulus set."""
    problems = identifier_problems(identifier, "stimulus set")
    if not isinstance(proto, pd.DataFrame):
        return [
            *problems,
            f"the stimulus set must be a StimulusSet (a DataFrame), not a {type(proto).__name__}",
        ]
    if "stimulus_id" not in proto.columns:
        return [
            *problems,
            "the stimulus set has no 'stimulus_id' column (one row per "
            f"stimulus, with a unique id); its columns are {list(proto.columns)}",
        ]
    if len(proto) == 0:
        return [*problems, "the stimulus set has no rows"]
    non_string_columns = [c for c in proto.columns if not isinstance(c, str)]
    if non_string_columns:
        problems.append(f"column names must be strings: {_examples(non_string_columns)}")
    badly_named = [c for c in proto.columns if isinstance(c, str) and not COLUMN_PATTERN.match(c)]
    if badly_named:
        problems.append(
            f"column names must use lowercase letters, digits and underscores, starting with a "
            f"letter (docs/format.md): rename {_examples(badly_named)}"
        )
    if "filename" in proto.columns:
        problems.append(
            "the stimulus set already has a 'filename' column; BrainIO writes it (the names "
            "inside the ZIP). Drop or rename it; to choose names inside the ZIP, use a "
            "'stimulus_path_within_store' column"
        )
    ids = proto["stimulus_id"]
    empty = ids.isna() | (ids.astype(str).str.strip() == "")
    if empty.any():
        rows = [int(i) for i in np.flatnonzero(empty.to_numpy())]
        problems.append(f"{len(rows)} stimulus_id value(s) are empty, at rows {_examples(rows)}")
    duplicated = ids[ids.duplicated() & ~empty].unique()
    if len(duplicated):
        problems.append(
            f"stimulus_id values repeat ({len(duplicated)}): {_examples(duplicated)}; "
            "each stimulus needs its own id"
        )
    problems += _file_problems(proto)
    return problems


def _file_problems(proto: pd.DataFrame) -> list[str]:
    paths = stimulus_paths(proto)
    if not paths:
        return [
            "the stimulus set knows no stimulus files: set its stimulus_paths "
            "({stimulus_id: local path}) or a 'stimulus_current_local_file_path' column"
        ]
    problems = []
    ids = [sid for sid in proto["stimulus_id"] if not pd.isna(sid)]
    without = [sid for sid in ids if sid not in paths]
    if without:
        problems.append(
            f"{len(without)} stimulus(es) have no file in stimulus_paths: {_examples(without)}"
        )
    missing, unreadable = [], []
    for sid in ids:
        if sid not in paths:
            continue
        path = str(paths[sid])
        if not os.path.isfile(path):
            missing.append(f"{sid}: {path}")
        elif not os.access(path, os.R_OK):
            unreadable.append(f"{sid}: {path}")
    if missing:
        problems.append(
            f"{len(missing)} stimulus file(s) do not exist or are not regular "
            f"files: {_examples(missing)}"
        )
    if unreadable:
        problems.append(
            f"{len(unreadable)} stimulus file(s) cannot be read (permissions): "
            f"{_examples(unreadable)}"
        )
    problems += _archive_name_problems(proto, paths)
    return problems


def _archive_name_problems(proto: pd.DataFrame, paths: Mapping) -> list[str]:
    within = (
        proto["stimulus_path_within_store"]
        if "stimulus_path_within_store" in proto.columns
        else [None] * len(proto)
    )
    names = [
        archive_name(sid, paths.get(sid, ""), store)
        for sid, store in zip(proto["stimulus_id"], within, strict=True)
        if not pd.isna(sid)
    ]
    problems = []
    unsafe = [name for name in names if _unsafe_member(name)]
    if unsafe:
        problems.append(
            f"{len(unsafe)} name(s) inside the ZIP would be unsafe (absolute, with '..', "
            f"backslashes or empty parts): {_examples(unsafe)}; fix stimulus_id or "
            "stimulus_path_within_store"
        )
    repeated = pd.Series(names)[pd.Series(names).duplicated()].unique()
    if len(repeated):
        problems.append(
            f"{len(repeated)} name(s) inside the ZIP repeat: {_examples(repeated)}; every "
            "stimulus needs its own file name (stimulus_path_within_store or stimulus_id)"
        )
    return problems


def _unsafe_member(name: str) -> bool:
    parts = name.split("/")
    return (
        not name
        or "\\" in name
        or "\0" in name
        or posixpath.isabs(name)
        or any(part in ("", ".", "..") for part in parts)
    )


# --- assemblies -------------------------------------------------------------------------------


def assembly_problems(
    assembly: xr.DataArray,
    identifier: Any,
    cls: type,
    stimulus_set: pd.DataFrame | None = None,
    extras: Mapping[str, Any] | None = None,
) -> list[str]:
    """Everything that would make ``assembly`` (already of class ``cls``) invalid or unloadable.

    :param stimulus_set: the stimulus set it refers to (at least its ``stimulus_id`` column);
        every ``stimulus_id`` of the assembly must be in it.
    """
    problems = identifier_problems(identifier, "assembly")
    if assembly.size == 0:
        problems.append(f"the assembly is empty (sizes {dict(assembly.sizes)})")
    problems += _dims_problems(assembly, cls)
    problems += coordinate_problems(assembly, "the assembly")
    problems += _attribute_problems(assembly.attrs, "the assembly")
    if stimulus_set is not None:
        problems += _stimulus_id_problems(assembly, stimulus_set)
    for group, extra in (extras or {}).items():
        where = f"extra '{group}'"
        if not isinstance(extra, xr.DataArray):
            problems.append(f"{where} must be an xarray DataArray, not {type(extra).__name__}")
            continue
        if not isinstance(group, str) or not re.match(r"^[A-Za-z0-9_.\-]+$", group):
            problems.append(
                f"{where}: netCDF group names may only contain letters, digits, '_', '.' and '-'"
            )
        problems += coordinate_problems(extra, where)
        problems += _attribute_problems(extra.attrs, where)
    return problems


def _dims_problems(assembly: xr.DataArray, cls: type) -> list[str]:
    """The class's own rules (``validate()``, 1.x API), e.g. a NeuroidAssembly's dimensions."""
    validate = getattr(assembly, "validate", None)
    if validate is None:
        return []
    try:
        validate()
    except (BrainIOError, AssertionError, ValueError) as error:
        return [f"it breaks the rules of {cls.__name__}: {error or type(error).__name__}"]
    return []


def coordinate_problems(array: xr.DataArray, where: str) -> list[str]:
    """Coordinates netCDF cannot store: containers, or strings mixed with other values."""
    problems = []
    for name, coord in array.coords.items():
        if coord.dtype != object or isinstance(array.xindexes.get(name), PandasMultiIndex):
            continue  # a MultiIndex's tuples are stored as its levels
        values = coord.values.ravel()
        kinds = {type(value).__name__ for value in values if not _missing(value)}
        containers = kinds & {"dict", "list", "set", "tuple", "ndarray"}
        if containers:
            problems.append(
                f"coordinate '{name}' of {where} holds {', '.join(sorted(containers))}"
                " values, which netCDF cannot store; use strings or numbers"
            )
        elif "str" in kinds and len(kinds) > 1:
            problems.append(
                f"coordinate '{name}' of {where} mixes strings with "
                f"{', '.join(sorted(kinds - {'str'}))} values; make them all strings"
            )
    return problems


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _attribute_problems(attrs: Mapping[str, Any], where: str) -> list[str]:
    from brainio.netcdf import _attr_problem

    problems = []
    for name, value in attrs.items():
        if value is None or isinstance(value, pd.DataFrame | xr.DataArray):
            continue  # dropped when writing, as in 1.x (e.g. the stimulus_set attribute)
        problem = _attr_problem(value)
        if problem:
            problems.append(
                f"attribute '{name}' of {where} is {problem}, which netCDF cannot store; "
                "convert it (a bool to 0/1, a dict to a JSON string) or delete it"
            )
    return problems


def _stimulus_id_problems(assembly: xr.DataArray, stimulus_set: pd.DataFrame) -> list[str]:
    if "stimulus_id" not in assembly.coords:
        return [
            "the assembly has no 'stimulus_id' coordinate (on its presentation dimension), so "
            "it cannot be matched to its stimulus set"
        ]
    known = set(stimulus_set["stimulus_id"].astype(str))
    ids = pd.unique(np.asarray(assembly["stimulus_id"].values).astype(str))
    unknown = [sid for sid in ids if sid not in known]
    problems = []
    if unknown:
        problems.append(
            f"{len(unknown)} stimulus_id value(s) of the assembly are not in its stimulus "
            f"set: {_examples(unknown)}"
        )
    problems += _shared_column_problems(assembly, stimulus_set)
    return problems


def _shared_column_problems(assembly: xr.DataArray, stimulus_set: pd.DataFrame) -> list[str]:
    """Metadata in both the assembly and its stimulus set must have compatible types."""
    problems = []
    for column in stimulus_set.columns:
        if column in ("stimulus_id", "filename") or column not in assembly.coords:
            continue
        ours = np.asarray(assembly[column].values)
        theirs = stimulus_set[column].to_numpy()
        if _is_numeric(ours) != _is_numeric(theirs):
            problems.append(
                f"coordinate '{column}' of the assembly ({ours.dtype}) and column '{column}' of "
                f"its stimulus set ({theirs.dtype}) have incompatible types; rename one or "
                "drop it from the assembly (stimulus metadata comes from the stimulus set)"
            )
    return problems


def _is_numeric(values: np.ndarray) -> bool:
    return values.dtype.kind in "iufcb"


# --- 1.x checks -------------------------------------------------------------------------------


def check_naming_convention(name: str) -> None:
    """1.x: ``name`` follows ``<lab>.<AuthorYYYY>``; raises :class:`PackagingError` if not."""
    if not CONVENTION_PATTERN.match(name):
        raise PackagingError(
            f"Identifier '{name}' does not follow the convention <lab>.<AuthorYYYY>[.suffix], "
            "e.g. 'dicarlo.MajajHong2015'."
        )


_STIMULUS_NAME = re.compile(
    r"[a-zA-Z0-9]+_?(?!0)\d+\.(?:jpg|jpeg|png|mp4)|(?!0)\d+\.(?:jpg|jpeg|png|mp4)"
)


def check_stimulus_naming_convention(name: str) -> None:
    """1.x: stimulus file names like ``image_12.png`` (a number, no leading zero)."""
    if not _STIMULUS_NAME.match(name):
        raise PackagingError(
            f"Stimulus file '{name}' is not named like 'name_<n>.<jpg|jpeg|png|mp4>' with a "
            "number without leading zeros."
        )


def check_image_format(image: Any, identifier: str) -> None:
    """1.x: an image is RGBA, RGB, LA or L with a matching number of channels."""
    channels = {"RGBA": 4, "RGB": 3, "LA": 2, "L": 1}
    if image.mode not in channels:
        raise PackagingError(
            f"{identifier}: image mode {image.mode}; expected one of {', '.join(channels)}"
        )
    shape = np.array(image).shape
    if len(shape) != 3:
        raise PackagingError(f"{identifier}: image has {len(shape)} dimensions; expected 3")
    if shape[2] != channels[image.mode]:
        raise PackagingError(f"{identifier}: {shape[2]} channels for mode {image.mode}")


def check_stimulus_numbers(stimulus_set: pd.DataFrame) -> None:
    """1.x: the trailing ``_<n>`` numbers of the stimulus files are consecutive."""
    numbers = sorted(
        int(path[path.rfind("_") + 1 : path.rfind(".")])
        for path in map(str, stimulus_paths(stimulus_set).values())
    )
    gaps = [(a, b) for a, b in zip(numbers, numbers[1:], strict=False) if b != a + 1]
    if gaps:
        raise PackagingError(
            f"Stimulus files are not numbered consecutively: gaps after "
            f"{_examples(a for a, _ in gaps)}."
        )


def check_experiment_stimulus_set(stimulus_set: pd.DataFrame) -> None:
    """1.x checks for stimulus sets of requested experiments (bucket ``brainio.requested``)."""
    from PIL import Image

    column = "stimulus_id" if "stimulus_id" in stimulus_set.columns else "image_id"
    if column not in stimulus_set.columns or not len(stimulus_set[column]):
        raise PackagingError("The stimulus set is empty.")
    paths = [str(path) for path in stimulus_paths(stimulus_set).values()]
    if not paths:
        raise PackagingError("The stimulus set knows no stimulus files (stimulus_paths).")
    first_type = mimetypes.guess_type(paths[0])[0]
    for path in paths:
        check_stimulus_naming_convention(Path(path).name)
        if not os.path.isfile(path):
            raise PackagingError(f"{path} does not exist.")
        if mimetypes.guess_type(path)[0] != first_type:
            raise PackagingError(f"{path} is a different media type than {paths[0]}.")
        if first_type and first_type.startswith("image"):
            with Image.open(path) as image:
                check_image_format(image, path)
    check_stimulus_numbers(stimulus_set)
