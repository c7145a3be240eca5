"""Stimulus sets: a table of stimuli with their metadata, and the files they point to.

A :class:`StimulusSet` is a pandas DataFrame with one row per stimulus (``stimulus_id`` and
``filename`` columns, any further metadata columns) that also knows where each stimulus file
is on disk (``stimulus_paths``). That knowledge survives slicing, ``copy``, ``pd.concat`` and
``merge`` through pandas' ``_metadata``/``__finalize__`` extension mechanism.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd

from brainio.errors import FormatError
from brainio.paths import confined_files

logger = logging.getLogger(__name__)

__all__ = ["StimulusSet", "StimulusSetLoader", "load_stimulus_set"]


# pandas ships no type hints here, so mypy sees DataFrame as Any
class StimulusSet(pd.DataFrame):  # type: ignore[misc,unused-ignore]
    """Stimuli (rows) with their metadata (columns) and their files (``stimulus_paths``)."""

    _metadata = ["identifier", "stimulus_paths"]

    @property
    def _constructor(self) -> type[StimulusSet]:
        return StimulusSet

    def __finalize__(self, other: Any, method: str | None = None, **kwargs: Any) -> StimulusSet:
        super().__finalize__(other, method=method, **kwargs)
        inputs = _finalize_inputs(other)
        if inputs is not None:  # concat or merge: combine what every input knows
            paths: dict[str, Path] = {}
            for frame in inputs:
                paths.update(getattr(frame, "stimulus_paths", None) or {})
            object.__setattr__(self, "stimulus_paths", paths)
            identifiers = {getattr(frame, "identifier", None) for frame in inputs} - {None}
            identifier = identifiers.pop() if len(identifiers) == 1 else None
            object.__setattr__(self, "identifier", identifier)
        return self

    def _repr_html_(self) -> str:
        """Notebook view: thumbnails with metadata, then the table (:mod:`brainio.notebook`)."""
        from brainio.notebook import stimulus_set_html

        return stimulus_set_html(self)

    def get_stimulus(self, stimulus_id: str) -> Path:
        """Local path of the file of ``stimulus_id``."""
        try:
            return Path(self.stimulus_paths[stimulus_id])
        except (KeyError, TypeError):
            raise KeyError(
                f"No file for stimulus '{stimulus_id}' in stimulus set "
                f"'{getattr(self, 'identifier', None)}'. Check the id against the "
                "'stimulus_id' column."
            ) from None

    @classmethod
    def from_files(cls, csv_path: str | Path, dir_path: str | Path, **kwargs: Any) -> StimulusSet:
        """Load a stimulus set from its CSV and the folder holding its files."""
        return StimulusSetLoader(cls, csv_path, dir_path, **kwargs).load()

    @classmethod
    def get_loader_class(cls) -> type[StimulusSetLoader]:
        return StimulusSetLoader


def _finalize_inputs(other: Any) -> list[Any] | None:
    """The input frames of a concat/merge, across pandas versions (2.2 and 3.x)."""
    if isinstance(other, pd.DataFrame):
        return None
    for attribute in ("input_objs", "objs"):
        objs = getattr(other, attribute, None)
        if objs is not None:
            return list(objs)
    if hasattr(other, "left") and hasattr(other, "right"):
        return [other.left, other.right]
    return None


class StimulusSetLoader:
    """Reads the CSV, corrects legacy column names and checks every referenced file exists."""

    def __init__(
        self,
        cls: type[StimulusSet],
        csv_path: str | Path,
        stimuli_directory: str | Path | None,
        identifier: str | None = None,
    ) -> None:
        self.cls = cls
        self.csv_path = Path(csv_path)
        self.stimuli_directory = Path(stimuli_directory) if stimuli_directory else None
        self.identifier = identifier

    @property
    def stimulus_set_class(self) -> type[StimulusSet]:
        """1.x's name for ``cls`` (loaders written for 1.x read and set it)."""
        return self.cls

    @stimulus_set_class.setter
    def stimulus_set_class(self, cls: type[StimulusSet]) -> None:
        self.cls = cls

    def load(self) -> StimulusSet:
        name = self.identifier or self.csv_path.name
        try:
            frame = pd.read_csv(self.csv_path)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
            raise FormatError(
                f"Stimulus set '{name}': {self.csv_path} is not a readable CSV file ({error}). "
                "Run `brainio cache verify` and fetch it again."
            ) from None
        stimulus_set = self.cls(frame)
        self.correct_stimulus_id_name(stimulus_set)
        if "stimulus_id" not in stimulus_set.columns:
            raise FormatError(
                f"Stimulus set '{name}': {self.csv_path} has no 'stimulus_id' column "
                f"(columns: {', '.join(map(str, stimulus_set.columns))})."
            )
        duplicates = stimulus_set["stimulus_id"][stimulus_set["stimulus_id"].duplicated()]
        if len(duplicates):
            raise FormatError(
                f"Stimulus set '{name}': stimulus_id values repeat in {self.csv_path}: "
                f"{', '.join(map(str, duplicates.unique()[:5]))}. Each stimulus needs its own id."
            )
        stimulus_set.identifier = self.identifier
        stimulus_set.stimulus_paths = self._paths(stimulus_set, name)
        return stimulus_set

    def _paths(self, stimulus_set: StimulusSet, name: str) -> dict[Any, Path]:
        if self.stimuli_directory is None:
            return {}
        if "filename" not in stimulus_set.columns:
            raise FormatError(
                f"Stimulus set '{name}': {self.csv_path} has no 'filename' column, so its "
                f"stimuli in {self.stimuli_directory} cannot be found."
            )
        directory = self.stimuli_directory
        filenames = [str(filename) for filename in stimulus_set["filename"]]
        # names from the CSV must not lead out of the stimulus folder (absolute, '..', links)
        located, absent = confined_files(
            directory, filenames, what=f"Stimulus filename in '{name}' ({self.csv_path.name})"
        )
        ids = stimulus_set["stimulus_id"].tolist()
        paths = dict(zip(ids, located, strict=True))
        if absent:
            missing = [ids[position] for position in absent]
            examples = ", ".join(f"{sid} ({paths[sid].name})" for sid in missing[:5])
            raise FormatError(
                f"Stimulus set '{name}': {len(missing)} of {len(paths)} stimulus files are "
                f"missing from {directory}, e.g. {examples}. The archive does not match its "
                "CSV; run `brainio cache verify` and report it to the catalog's maintainers "
                "if it persists."
            )
        return paths

    @classmethod
    def correct_stimulus_id_name(cls, stimulus_set: pd.DataFrame) -> None:
        """Files from before 2022 call the id column ``image_id``; add ``stimulus_id`` too."""
        if "image_id" in stimulus_set.columns and "stimulus_id" not in stimulus_set.columns:
            stimulus_set["stimulus_id"] = stimulus_set["image_id"]


def load_stimulus_set(
    csv_path: Path, stimuli_dir: Path | None, *, cls: type[StimulusSet], row: Any = None
) -> StimulusSet:
    """The built-in loader for a stimulus set's CSV row (hook ``brainio_stimulus_set_loader``)."""
    identifier = getattr(row, "identifier", None)
    loader_class = cls.get_loader_class() if hasattr(cls, "get_loader_class") else StimulusSetLoader
    return loader_class(cls, csv_path, stimuli_dir, identifier=identifier).load()
