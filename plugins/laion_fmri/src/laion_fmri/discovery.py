"""What the bucket holds: subjects and ROIs, read from ``s3://laion-fmri`` (never local disk).

``overview()`` and ``bucket_report()`` give a short report as text; ``describe()`` and
``inspect_bucket()`` write it to standard output, as in the LAION-fMRI examples.
``get_subjects()`` and ``get_rois()`` return lists for scripts.
"""

from __future__ import annotations

import re
import sys
import warnings
from typing import TextIO

from laion_fmri import _bucket
from laion_fmri._paths import ROI_PREFIX, SUBJECT_PREFIXES, roi_name
from laion_fmri.errors import RoiNotFoundError, SubjectNotFoundError

ROI_CATEGORIES = (
    "body",
    "character",
    "face",
    "laion",
    "motion",
    "object",
    "place",
    "retinotopy",
)
"""The ROI categories the bucket ships (folder names under ``derivatives/rois/sub-XX/``)."""


def get_subjects() -> list[str]:
    """Every ``sub-*`` folder under any derivative tree of the bucket, sorted.

    The union, so that subjects whose data are only partly uploaded count too. An empty
    bucket gives ``[]`` and a :class:`UserWarning` (as in the LAION-fMRI package).
    """
    found = {
        name
        for prefix in SUBJECT_PREFIXES
        for name in _bucket.list_prefixes(prefix)
        if name.startswith("sub-")
    }
    if not found:
        warnings.warn(
            f"No subjects found in s3://{_bucket.BUCKET} under {', '.join(SUBJECT_PREFIXES)}; "
            "check AWS_ENDPOINT_URL and the network.",
            UserWarning,
            stacklevel=2,
        )
    return sorted(found)


_SUBJECT = re.compile(r"^sub-[A-Za-z0-9]+$")


def normalize_subject(subject: str | int) -> str:
    """``"sub-01"``, ``"01"`` and ``1`` all name subject ``sub-01``.

    Raises :class:`SubjectNotFoundError` for what cannot be a subject id (``""``, ``"sub-"``,
    ``"sub-01/.."``, a float ...).
    """
    if isinstance(subject, bool) or not isinstance(subject, str | int):
        raise SubjectNotFoundError(
            f"A subject is named like 'sub-01' (or '01'), not {type(subject).__name__} {subject!r}."
        )
    text = f"{subject:02d}" if isinstance(subject, int) else subject.strip()
    name = text if text.startswith("sub-") else f"sub-{text}"
    if not _SUBJECT.match(name):
        raise SubjectNotFoundError(
            f"{subject!r} is not a subject id; subjects are named like 'sub-01' (or '01'). "
            "laion_fmri.discovery.get_subjects() lists them."
        )
    return name


def get_rois(subject: str | int | None = None, category: str | None = None) -> list[str]:
    """ROI names of ``subject`` (default: the first subject), optionally of one category.

    Names are BIDS-clean (hyphens of the bucket's labels removed: ``FFA-1`` -> ``FFA1``). A
    subject without ROIs in the bucket (unknown, or not uploaded yet) gives ``[]`` and a
    :class:`UserWarning`, as in the LAION-fMRI package.
    """
    if subject is None:
        subjects = get_subjects()
        if not subjects:
            return []
        subject = subjects[0]
    subject = normalize_subject(subject)
    by_category = get_rois_by_category(subject)
    if not by_category:
        warnings.warn(
            f"No ROIs found for {subject} under s3://{_bucket.BUCKET}/{ROI_PREFIX}{subject}/ "
            "(the subject may not exist or have no ROIs uploaded yet; see get_subjects()).",
            UserWarning,
            stacklevel=2,
        )
    if category is not None:
        if category not in by_category and category not in ROI_CATEGORIES:
            raise RoiNotFoundError(
                f"ROI category '{category}' does not exist for {subject} in the bucket. "
                f"Categories: {', '.join(sorted(set(by_category) | set(ROI_CATEGORIES)))}."
            )
        return by_category.get(category, [])
    return sorted({roi for names in by_category.values() for roi in names})


def get_rois_by_category(subject: str | int) -> dict[str, list[str]]:
    """``{category: [ROI names]}`` of ``subject`` in the bucket (one paginated listing)."""
    subject = normalize_subject(subject)
    prefix = f"{ROI_PREFIX}{subject}/"
    categories: dict[str, set[str]] = {}
    for obj in _bucket.list_objects(prefix):
        parts = obj.key[len(prefix) :].split("/")
        if len(parts) != 2:
            continue
        name = roi_name(parts[1])
        if name is not None:
            categories.setdefault(parts[0], set()).add(name)
    return {category: sorted(names) for category, names in sorted(categories.items())}


def overview() -> str:
    """A one-screen overview for people: bucket, subjects, the first subject's ROIs."""
    subjects = get_subjects()
    lines = ["LAION-fMRI Dataset", f"  Bucket:    s3://{_bucket.BUCKET}"]
    if not subjects:
        return "\n".join([*lines, "  Subjects:  0 (none)"]) + "\n"
    lines.append(f"  Subjects:  {len(subjects)} ({', '.join(subjects)})")
    rois = get_rois(subjects[0])
    if rois:
        lines.append(f"  ROIs:      {', '.join(rois)}")
    return "\n".join(lines) + "\n"


def bucket_report() -> str:
    """The bucket's top-level folders and how many subjects each derivative tree has."""
    top = sorted(_bucket.list_prefixes(""))
    lines = [f"Bucket: s3://{_bucket.BUCKET}", f"Top-level prefixes ({len(top)}):"]
    lines += [f"  {name}/" for name in top]
    for prefix in SUBJECT_PREFIXES:
        names = _bucket.list_prefixes(prefix)
        count = sum(1 for name in names if name.startswith("sub-"))
        lines.append(f"{prefix}: {len(names)} entries, {count} sub-* entries")
    return "\n".join(lines) + "\n"


def describe(file: TextIO | None = None) -> None:
    """Write :func:`overview` to ``file`` (standard output), as LAION-fMRI's ``describe()``."""
    (file or sys.stdout).write(overview())


def inspect_bucket(file: TextIO | None = None) -> None:
    """Write :func:`bucket_report` to ``file`` (standard output)."""
    (file or sys.stdout).write(bucket_report())


__all__ = [
    "ROI_CATEGORIES",
    "bucket_report",
    "describe",
    "get_rois",
    "get_rois_by_category",
    "get_subjects",
    "inspect_bucket",
    "overview",
]
