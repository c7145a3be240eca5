"""Errors of the LAION-fMRI plugin: the reference package's classes, rooted in BrainIO's.

Each class derives from :class:`brainio.errors.BrainIOError` (so ``except BrainIOError`` catches
every problem BrainIO reports) and from the builtin the reference package raised in the same
situation (``FileNotFoundError``, ``ValueError`` ...), so scripts written for it keep working.
"""

from __future__ import annotations

from brainio.errors import BrainIOError, FormatError


class LaionFMRIError(BrainIOError):
    """Base class of the errors raised by :mod:`laion_fmri`."""


class DataDirNotSetError(LaionFMRIError, RuntimeError):
    """No data directory configured: call ``dataset_initialize(path)`` first."""


class DataDirNotFoundError(DataDirNotSetError, FileNotFoundError):
    """``dataset_initialize`` was given a directory that does not exist."""


class DataNotDownloadedError(LaionFMRIError, FileNotFoundError):
    """A file or session the call needs is not in the local data directory."""


class StimuliNotDownloadedError(DataNotDownloadedError):
    """The stimulus metadata or images are not in the local data directory."""


class SubjectNotFoundError(LaionFMRIError, ValueError):
    """A subject id that the bucket (or the local data directory) does not have."""


class RoiNotFoundError(LaionFMRIError, ValueError):
    """A ROI, ROI category or ROI query term that does not exist for the subject."""


class InvalidArgumentError(LaionFMRIError, ValueError):
    """Arguments that contradict each other, a missing one, or a value outside the allowed ones."""


class InvalidArgumentTypeError(LaionFMRIError, TypeError):
    """An argument of the wrong type (``dataset_initialize(123)``)."""


class SplitNotFoundError(LaionFMRIError, ValueError):
    """A split, pool, variant or OOD type that no installed split file provides."""


class SplitFormatError(LaionFMRIError, FormatError):
    """A split file that does not follow the published JSON schema."""


class LicenseNotAcceptedError(LaionFMRIError, RuntimeError):
    """The terms of use of the stimuli have not been accepted."""


class NoMatchingDataError(LaionFMRIError, LookupError):
    """A download's filters matched no file in the bucket."""


__all__ = [
    "DataDirNotFoundError",
    "DataDirNotSetError",
    "DataNotDownloadedError",
    "InvalidArgumentError",
    "InvalidArgumentTypeError",
    "LaionFMRIError",
    "LicenseNotAcceptedError",
    "NoMatchingDataError",
    "RoiNotFoundError",
    "SplitFormatError",
    "SplitNotFoundError",
    "StimuliNotDownloadedError",
    "SubjectNotFoundError",
]
