"""Several subjects at once, as in the LAION-fMRI package's ``laion_fmri.group``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import pandas as pd

from laion_fmri.errors import InvalidArgumentError, InvalidArgumentTypeError
from laion_fmri.subject import RoiQuery, Subject, load_subject


def load_subjects(subjects: Iterable[str | int] | str) -> Group:
    """A :class:`Group` of the downloaded ``subjects`` (a list, or ``"all"`` for every subject
    of the bucket)."""
    if subjects == "all":
        from laion_fmri.discovery import get_subjects

        subjects = get_subjects()
    elif isinstance(subjects, str | int):
        subjects = [subjects]
    loaded = [load_subject(subject) for subject in subjects]
    if not loaded:
        raise InvalidArgumentError("load_subjects needs at least one subject.")
    return Group({subject.subject_id: subject for subject in loaded})


class Group:
    """Subjects by id, in sorted order: ``group["sub-01"]``, ``group[0]``,
    ``for subject_id, subject in group``."""

    def __init__(self, subjects: dict[str, Subject]):
        self._subjects = dict(subjects)
        self._ids = sorted(self._subjects)

    def __repr__(self) -> str:
        return f"Group({self._ids})"

    def __len__(self) -> int:
        return len(self._subjects)

    @property
    def subject_ids(self) -> list[str]:
        return list(self._ids)

    def __getitem__(self, key: int | str) -> Subject:
        if isinstance(key, int) and not isinstance(key, bool):
            return self._subjects[self._ids[key]]
        if isinstance(key, str):
            if key not in self._subjects:
                raise KeyError(f"Subject {key!r} is not in the group ({', '.join(self._ids)}).")
            return self._subjects[key]
        raise InvalidArgumentTypeError(
            f"A group is indexed by position or subject id, not {type(key).__name__}."
        )

    def __iter__(self) -> Iterator[tuple[str, Subject]]:
        for subject_id in self._ids:
            yield subject_id, self._subjects[subject_id]

    def get_shared_betas(
        self,
        session: str,
        roi: RoiQuery | None = None,
        mask: np.ndarray | None = None,
        nc_threshold: float | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Each subject's betas of the shared-image trials of ``session``, as ``get_betas``
        returns them (an array; a dict of arrays, by session, for several sessions)."""
        return {
            subject_id: subject.get_betas(
                session, roi=roi, mask=mask, nc_threshold=nc_threshold, stimuli="shared", **kwargs
            )
            for subject_id, subject in self
        }

    def get_shared_images(self, format: str = "pil") -> Any:
        """The shared stimulus images (the same for every subject)."""
        return self[0].get_images(stimuli="shared", format=format)

    def get_shared_stimulus_metadata(self) -> pd.DataFrame:
        """The metadata rows of the shared stimuli."""
        metadata = self[0].get_stimulus_metadata()
        return metadata[metadata["shared"]].reset_index(drop=True)


__all__ = ["Group", "load_subjects"]
