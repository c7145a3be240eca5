"""Every error is a BrainIOError and the builtin the LAION-fMRI package raises, so scripts that
catch either keep working (its tests/test_errors.py, plus the classes added here)."""

from __future__ import annotations

import pytest

from brainio.errors import BrainIOError
from laion_fmri import errors
from laion_fmri.stimuli import StimulusNotFoundError

BUILTINS = {
    errors.DataDirNotSetError: RuntimeError,
    errors.DataDirNotFoundError: FileNotFoundError,
    errors.DataNotDownloadedError: FileNotFoundError,
    errors.StimuliNotDownloadedError: FileNotFoundError,
    errors.SubjectNotFoundError: ValueError,
    errors.RoiNotFoundError: ValueError,
    errors.InvalidArgumentError: ValueError,
    errors.InvalidArgumentTypeError: TypeError,
    errors.SplitNotFoundError: ValueError,
    errors.SplitFormatError: ValueError,
    errors.LicenseNotAcceptedError: RuntimeError,
    errors.NoMatchingDataError: LookupError,
    StimulusNotFoundError: KeyError,
}


@pytest.mark.parametrize(("error", "builtin"), BUILTINS.items(), ids=lambda c: c.__name__)
def test_error_classes(error, builtin):
    assert issubclass(error, builtin) and issubclass(error, BrainIOError)
    with pytest.raises(builtin, match="the message"):
        raise error("the message")


def test_every_public_error_is_covered():
    assert set(errors.__all__) - {"LaionFMRIError"} == {c.__name__ for c in BUILTINS} - {
        "StimulusNotFoundError"
    }


def test_key_error_prints_its_message():
    assert str(StimulusNotFoundError("Unknown stimulus 'x'.")) == "Unknown stimulus 'x'."
