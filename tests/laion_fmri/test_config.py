"""The data directory: configuration file, environment override, errors."""

from __future__ import annotations

import json

import pytest

from brainio.errors import BrainIOError
from laion_fmri.config import config_path, dataset_initialize, get_data_dir
from laion_fmri.errors import DataDirNotFoundError, DataDirNotSetError, InvalidArgumentTypeError


@pytest.fixture(autouse=True)
def config_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("LAION_FMRI_DATA_DIR", raising=False)


def test_initialize_records_the_directory(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    dataset_initialize(str(folder))
    assert get_data_dir() == str(folder.resolve())
    assert config_path().is_relative_to(tmp_path / "config")
    assert json.loads(config_path().read_text()) == {"data_dir": str(folder.resolve())}
    assert (folder / ".laion_fmri").is_dir()
    assert not list(config_path().parent.glob("*.tmp"))


def test_environment_overrides_the_file(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    folder.mkdir()
    dataset_initialize(folder)
    monkeypatch.setenv("LAION_FMRI_DATA_DIR", str(tmp_path / "elsewhere"))
    assert get_data_dir() == str((tmp_path / "elsewhere").resolve())


def test_data_dir_not_set():
    with pytest.raises(DataDirNotSetError, match=r"dataset_initialize.*LAION_FMRI_DATA_DIR"):
        get_data_dir()
    assert issubclass(DataDirNotSetError, BrainIOError)


def test_missing_directory_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"missing.*does not exist.*os\.makedirs") as caught:
        dataset_initialize(str(tmp_path / "missing"))
    assert isinstance(caught.value, DataDirNotFoundError)
    assert not config_path().exists()


def test_not_a_path_is_a_type_error():
    """As in the LAION-fMRI package: a TypeError (here also a BrainIOError)."""
    with pytest.raises(TypeError, match="expects a path.*int 42") as caught:
        dataset_initialize(42)
    assert isinstance(caught.value, InvalidArgumentTypeError)


def test_create_a_missing_directory(tmp_path):
    dataset_initialize(str(tmp_path / "new" / "data"), create=True)
    assert get_data_dir() == str((tmp_path / "new" / "data").resolve())


def test_directory_that_cannot_be_created(tmp_path):
    occupied = tmp_path / "occupied"
    occupied.write_text("a file where a folder would have to be")
    with pytest.raises(
        DataDirNotFoundError,
        match=r"Cannot create the data directory .*"
        r"occupied/data.*Choose a folder",
    ):
        dataset_initialize(str(occupied / "data"), create=True)
    assert not config_path().exists()


def test_unreadable_config_file(tmp_path):
    config_path().parent.mkdir(parents=True)
    config_path().write_text("{not json")
    with pytest.raises(DataDirNotSetError, match="unreadable.*dataset_initialize"):
        get_data_dir()
