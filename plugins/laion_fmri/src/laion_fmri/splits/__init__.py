"""Train/test splits of the LAION-fMRI stimuli (the re:vision generalization splits).

Split files follow the published JSON schema::

    {"name": "tau", "pool": "<description>", "splitter": "...", "params": {...},
     "n_train": 897, "n_test": 224,
     "variants": [{"variant_id": 0, "train_ids": [...], "test_ids": [...]}]}

and live as ``<pool>/<name>.json`` in two places: this package's ``data`` folder and
``<data_dir>/splits/`` (which wins when both hold the same pool and name). This distribution
ships no split ids of its own; install the published files with ``laion-fmri splits add
FILE...`` (or :func:`install_split_files`), which validates them first. Ids are stimulus file
names and match the ``label`` column of the trial tables.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from laion_fmri.errors import (
    DataDirNotSetError,
    InvalidArgumentError,
    SplitFormatError,
    SplitNotFoundError,
)

PACKAGE_DATA = Path(__file__).resolve().parent / "data"
SHARED_POOL = "shared"
_POOL = re.compile(r"^(shared|pooled|sub-[A-Za-z0-9]+)$")
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_OOD_ID = re.compile(r"^shared_4rep_OOD_([a-zA-Z0-9-]+)_.+\.(png|jpg)$")
_FAMILIES = ("random", "cluster_k5", "tau", "ood")


@attrs.frozen
class SplitVariant:
    """One train/test partition of a split."""

    variant_id: int
    train_ids: tuple[str, ...] = attrs.field(converter=tuple)
    test_ids: tuple[str, ...] = attrs.field(converter=tuple)

    def all_ids(self) -> list[str]:
        return [*self.train_ids, *self.test_ids]


@attrs.frozen
class Split:
    """One named split (``"tau"``) of one pool (``"shared"``, ``"sub-01"``)."""

    name: str
    pool: str
    splitter: str
    params: dict = attrs.field(eq=False, hash=False)
    n_train: int
    n_test: int
    variants: tuple[SplitVariant, ...] = attrs.field(converter=tuple)
    path: Path | None = attrs.field(default=None, eq=False)

    @property
    def split_family(self) -> str:
        """``"random"``, ``"cluster_k5"``, ``"tau"``, ``"ood"`` or ``"other"``."""
        return _family(self.name)

    def variant(self, variant_id: int = 0) -> SplitVariant:
        for variant in self.variants:
            if variant.variant_id == variant_id:
                return variant
        raise SplitNotFoundError(
            f"Split '{self.name}' of pool '{self.pool}' has no variant {variant_id}. "
            f"Variants: {[v.variant_id for v in self.variants]}."
        )


def _family(name: str) -> str:
    for family in ("random", "cluster_k5"):
        if name.startswith(family + "_"):
            return family
    return name if name in ("tau", "ood") else "other"


def _sort_key(name: str) -> tuple:
    family = _family(name)
    rank = _FAMILIES.index(family) if family in _FAMILIES else len(_FAMILIES)
    number = re.search(r"(\d+)$", name)
    return rank, name if rank == len(_FAMILIES) else "", int(number.group(1)) if number else -1


# --- where split files are ----------------------------------------------------------------------


def user_splits_dir() -> Path | None:
    """``<data_dir>/splits``, or ``None`` when no data directory is configured."""
    from laion_fmri.config import get_data_dir

    try:
        return Path(get_data_dir()) / "splits"
    except DataDirNotSetError:
        return None


def _roots() -> list[Path]:
    user = user_splits_dir()
    return [PACKAGE_DATA] + ([user] if user is not None else [])


def _files() -> dict[tuple[str, str], Path]:
    """``(pool, name) -> file``; the data directory's files override the package's."""
    found: dict[tuple[str, str], Path] = {}
    for root in _roots():
        if not root.is_dir():
            continue
        for path in sorted(root.glob("*/*.json")):
            if _POOL.match(path.parent.name):
                found[(path.parent.name, path.stem)] = path
    return found


def list_pools() -> list[str]:
    """Pools with at least one installed split file: ``shared`` first, then sorted."""
    pools = {pool for pool, _ in _files()}
    return sorted(pools, key=lambda pool: (pool != SHARED_POOL, pool))


def list_splits() -> list[str]:
    """Split names installed for any pool: random_*, cluster_k5_*, tau, ood, then others."""
    return sorted({name for _, name in _files()}, key=_sort_key)


def list_ood_types() -> list[str]:
    """The OOD categories of the installed ``ood`` splits (from their ids and params)."""
    types: set[str] = set()
    for (pool, name), _ in _files().items():
        if name == "ood":
            split = load_split(name, pool)
            types.update(split.params.get("ood_types", []))
            for variant in split.variants:
                types.update(t for t in map(_ood_type, variant.test_ids) if t)
    return sorted(types)


def _ood_type(image_id: str) -> str | None:
    match = _OOD_ID.match(image_id)
    return match.group(1) if match else None


# --- loading -----------------------------------------------------------------------------------


def load_split(name: str, pool: str) -> Split:
    """The split ``name`` of ``pool``; :class:`SplitNotFoundError` lists what is installed."""
    files = _files()
    path = files.get((pool, name))
    if path is None:
        pools = sorted({p for p, _ in files}, key=lambda p: (p != SHARED_POOL, p))
        if pool not in pools:
            raise SplitNotFoundError(
                f"No splits installed for pool '{pool}'. Pools: {', '.join(pools) or '(none)'}. "
                f"{_install_hint()}"
            )
        names = sorted((n for p, n in files if p == pool), key=_sort_key)
        raise SplitNotFoundError(
            f"Split '{name}' is not installed for pool '{pool}'. Splits of '{pool}': "
            f"{', '.join(names)}. {_install_hint()}"
        )
    return read_split_file(path, pool=pool)


def load_all_splits(pool: str) -> dict[str, Split]:
    """Every installed split of ``pool``, by name."""
    names = sorted((n for p, n in _files() if p == pool), key=_sort_key)
    if not names:
        raise SplitNotFoundError(
            f"No splits installed for pool '{pool}'. Pools: "
            f"{', '.join(list_pools()) or '(none)'}. {_install_hint()}"
        )
    return {name: load_split(name, pool) for name in names}


def get_train_test_ids(
    name: str,
    pool: str,
    variant_id: int = 0,
    ood_types: str | Iterable[str] | None = None,
) -> tuple[list[str], list[str]]:
    """``(train_ids, test_ids)`` of one variant; ``ood_types`` narrows the ``ood`` test set."""
    split = load_split(name, pool)
    variant = split.variant(variant_id)
    train, test = list(variant.train_ids), list(variant.test_ids)
    if ood_types is not None:
        if split.split_family != "ood":
            raise InvalidArgumentError(
                f"ood_types is only valid for the 'ood' split, not '{name}'. Use "
                "get_train_test_ids('ood', pool, ood_types=[...]) or drop ood_types."
            )
        wanted = [ood_types] if isinstance(ood_types, str) else list(ood_types)
        known = list_ood_types()
        unknown = [t for t in wanted if t not in known]
        if unknown:
            raise SplitNotFoundError(f"Unknown ood_types {unknown}. OOD types: {', '.join(known)}.")
        test = [image_id for image_id in test if _ood_type(image_id) in set(wanted)]
    return train, test


def get_split_masks(
    trials: Any,
    name: str,
    pool: str,
    variant_id: int = 0,
    ood_types: str | Iterable[str] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Boolean ``(train, test)`` masks over trials (a trial table's ``label`` or labels)."""
    train_ids, test_ids = get_train_test_ids(name, pool, variant_id, ood_types)
    if hasattr(trials, "columns"):
        if "label" not in trials.columns:
            raise InvalidArgumentError(
                f"The trial table has no 'label' column (columns: {list(trials.columns)}); "
                "pass sub.get_trial_info(session) or an array of labels."
            )
        labels = trials["label"].to_numpy()
    else:
        labels = np.asarray(trials)
    return np.isin(labels, train_ids), np.isin(labels, test_ids)


# --- reading, validating and installing files --------------------------------------------------


def read_split_file(path: str | os.PathLike[str], pool: str | None = None) -> Split:
    """Read and validate one split file; :class:`SplitFormatError` lists every problem."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SplitNotFoundError(f"Split file {path} does not exist.") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise SplitFormatError(f"Split file {path} is not valid JSON: {error}.") from None
    except RecursionError:
        raise SplitFormatError(
            f"Split file {path} nests its JSON too deeply to be a split file; use the published "
            "schema (name, pool, splitter, params, n_train, n_test, variants)."
        ) from None
    except OSError as error:
        raise SplitFormatError(
            f"Cannot read split file {path}: {error.strerror or error}."
        ) from None
    problems = validate_split(raw)
    if problems:
        raise SplitFormatError(
            f"Split file {path} does not follow the LAION-fMRI split schema:\n  - "
            + "\n  - ".join(problems)
        )
    variants = [
        SplitVariant(int(v["variant_id"]), v["train_ids"], v["test_ids"]) for v in raw["variants"]
    ]
    return Split(
        name=raw["name"],
        pool=pool or path.parent.name,
        splitter=raw.get("splitter", ""),
        params=dict(raw.get("params") or {}),
        n_train=int(raw["n_train"]),
        n_test=int(raw["n_test"]),
        variants=variants,
        path=path,
    )


def validate_split(raw: Any) -> list[str]:
    """Problems of a parsed split file against the published schema (empty when valid)."""
    if not isinstance(raw, dict):
        return [f"the top level must be an object, not {type(raw).__name__}"]
    problems = []
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        problems.append(f"'name' must be a split name such as 'random_0', not {name!r}")
    for field in ("n_train", "n_test"):
        value = raw.get(field)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            problems.append(
                f"'{field}' must be a count (a non-negative integer), not {raw.get(field)!r}"
            )
    for field, kind in (("pool", str), ("splitter", str), ("params", dict)):
        if field in raw and raw[field] is not None and not isinstance(raw[field], kind):
            problems.append(f"'{field}' must be a {kind.__name__}, not {type(raw[field]).__name__}")
    variants = raw.get("variants")
    if not isinstance(variants, list) or not variants:
        problems.append(
            "'variants' must be a non-empty list of {variant_id, train_ids, test_ids} objects"
        )
        return problems
    seen = set()
    for number, variant in enumerate(variants):
        where = f"variants[{number}]"
        if not isinstance(variant, dict):
            problems.append(f"{where} must be an object")
            continue
        variant_id = variant.get("variant_id")
        if not isinstance(variant_id, int) or isinstance(variant_id, bool):
            problems.append(f"{where}.variant_id must be an integer, not {variant_id!r}")
        elif variant_id in seen:
            problems.append(f"{where}.variant_id {variant_id} appears twice")
        seen.add(variant_id)
        ids = {}
        for field in ("train_ids", "test_ids"):
            values = variant.get(field)
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                problems.append(f"{where}.{field} must be a list of stimulus ids (strings)")
            else:
                ids[field] = values
                if len(set(values)) != len(values):
                    problems.append(f"{where}.{field} repeats ids")
        if len(ids) == 2:
            both = set(ids["train_ids"]) & set(ids["test_ids"])
            if both:
                problems.append(
                    f"{where} has {len(both)} ids in both train and test, e.g. {sorted(both)[0]!r}"
                )
            if (
                number == 0
                and isinstance(raw.get("n_train"), int)
                and isinstance(raw.get("n_test"), int)
            ):
                if len(ids["train_ids"]) != raw["n_train"]:
                    problems.append(
                        f"n_train is {raw['n_train']} but {where} has "
                        f"{len(ids['train_ids'])} train ids"
                    )
                if len(ids["test_ids"]) != raw["n_test"]:
                    problems.append(
                        f"n_test is {raw['n_test']} but {where} has {len(ids['test_ids'])} test ids"
                    )
    return problems


def install_split_files(
    paths: Sequence[str | os.PathLike[str]], pool: str | None = None
) -> list[Path]:
    """Validate split files and copy them to ``<data_dir>/splits/<pool>/<name>.json``.

    ``pool`` defaults to each file's folder name (``.../shared/tau.json``). Every file is
    checked before any is installed, so a bad file leaves the installed splits unchanged.
    """
    from laion_fmri.config import get_data_dir

    target_root = Path(get_data_dir()) / "splits"
    planned = []
    problems = []
    for path in map(Path, paths):
        file_pool = pool or path.parent.name
        if not _POOL.match(file_pool):
            problems.append(
                f"{path}: cannot tell its pool from the folder '{path.parent.name}'; pass "
                "--pool shared|pooled|sub-XX"
            )
            continue
        try:
            split = read_split_file(path, pool=file_pool)
        except (SplitFormatError, SplitNotFoundError) as error:
            problems.append(str(error))
            continue
        planned.append((path, target_root / file_pool / f"{split.name}.json"))
    if problems:
        raise SplitFormatError("No split file was installed:\n" + "\n".join(problems))
    installed = []
    for source, target in planned:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(source.read_bytes())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        installed.append(target)
    return installed


def _install_hint() -> str:
    user = user_splits_dir()
    where = f"into {user}" if user else "after dataset_initialize(path)"
    return (
        "Install the published split files with `laion-fmri splits add FILE... --pool POOL` "
        f"({where})."
    )


__all__ = [
    "Split",
    "SplitVariant",
    "get_split_masks",
    "get_train_test_ids",
    "install_split_files",
    "list_ood_types",
    "list_pools",
    "list_splits",
    "load_all_splits",
    "load_split",
    "read_split_file",
    "validate_split",
]
