"""conftest.py for BrainIO 1.1.0's own test modules (copied there by run_brainio1_suite.py).

The sdist of brainscore-brainio 1.1.0 ships ``tests/test_*.py`` but not the conftest they
import, nor its data files. This module provides the names the test modules use
(``from tests.conftest import ...`` and fixtures), written from their documented behaviour,
and generates the data files on first use with whichever ``brainio`` runs the suite (the
runner runs BrainIO 1.1.0 first, so both sides read files written by 1.1.0).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import brainio.fetch
from brainio import lookup
from brainio.assemblies import DataAssembly, MetadataAssembly, SpikeTimesAssembly
from brainio.packaging import write_netcdf

HERE = Path(__file__).parent
FILES = HERE / "files"
IMAGES = HERE / "images"
BUCKET_NAME = "brainio-temp"


def pseudo_random(low: float, high: float, count: int) -> list[float]:
    """Deterministic values spread over ``[low, high]``."""
    middle, half = (high + low) / 2, (high - low) / 2
    return [middle + np.sin(7 * i + 1) * half for i in range(count)]


def make_proto_assembly() -> DataAssembly:
    return DataAssembly(
        data=np.arange(1, 19).reshape(6, 3),
        coords={
            "neuroid_id": ("neuroid", ["alpha", "beta", "gamma"]),
            "foo": ("neuroid", [1, 2, 5]),
            "stimulus_id": ("presentation", ["n0", "n1", "n1", "n0", "n4", "n9"]),
            "repetition": ("presentation", [1, 1, 2, 1, 1, 1]),
        },
        dims=["presentation", "neuroid"],
    )


def make_meta_assembly() -> MetadataAssembly:
    events = 40
    coords = {
        "stimulus_id": ("event", [f"n{i % 5}" for i in range(events)]),
        "stimulus_presented": ("event", [i % 5 for i in range(events)]),
        "stimulus_order_in_trial": ("event", [i % 5 + 1 for i in range(events)]),
        "fixation_correct": ("event", [0 if i == 14 else 1 for i in range(events)]),
        "stim_on_time_ms": ("event", [100] * events),
        "eye_h_degrees": ("event", [str(pseudo_random(-0.4, -0.3, 20))] * events),
        "samp_on_us": ("event", pseudo_random(2e6, 1.9e7, events)),
    }
    return MetadataAssembly(data=pseudo_random(2e6, 1.9e7, events), coords=coords, dims=["event"])


def make_spk_assembly(magnitude: int = 1) -> SpikeTimesAssembly:
    events = 1000 * magnitude
    pairs = events // 2
    coords = {
        "neuroid_id": ("event", ["A-019", "D-009"] * pairs),
        "project": ("event", ["test"] * events),
        "datetime": ("event", np.repeat(np.datetime64("2021-02-16T11:41:55"), events)),
        "animal": ("event", ["testo"] * events),
        "region": ("event", ["V4", "IT"] * pairs),
        "column": ("event", [5, 2] * pairs),
    }
    data = sorted(pseudo_random(67.7, 21116.2, events))
    return SpikeTimesAssembly(data=data, coords=coords, dims=["event"])


def make_stimulus_set_df(check: bool = True) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "stimulus_id": [f"n{i}" for i in range(10)],
            "filename": [f"n{i}.png" for i in range(10)],
            "thing": [f"foo{i}" for i in range(10)],
        }
    )
    if check:
        assert frame.shape == (10, 3)
    return frame


def _write_files() -> None:
    """The suite's data files, written once (by the first BrainIO that runs the suite)."""
    FILES.mkdir(exist_ok=True)
    if not (FILES / "assy_test_TestMe.nc").exists():
        write_netcdf(make_proto_assembly(), FILES / "assy_test_TestMe.nc")
    extras = FILES / "assy_test_package_assembly_extras.nc"
    if not extras.exists():
        write_netcdf(make_spk_assembly(), extras)
        write_netcdf(make_meta_assembly(), extras, append=True, group="test")
    IMAGES.mkdir(exist_ok=True)
    if not (IMAGES / "image_test_ten_images.csv").exists():
        from PIL import Image

        for i in range(10):
            Image.new("RGB", (8, 8), (25 * i, 0, 0)).save(IMAGES / f"n{i}.png")
        make_stimulus_set_df().to_csv(IMAGES / "image_test_ten_images.csv", index=False)


_write_files()


def get_nc_path(check: bool = True) -> Path:
    return FILES / "assy_test_TestMe.nc"


def get_nc_extras_path(check: bool = True) -> Path:
    return FILES / "assy_test_package_assembly_extras.nc"


def get_csv_path(check: bool = True) -> Path:
    return IMAGES / "image_test_ten_images.csv"


def get_dir_path(check: bool = True) -> Path:
    return IMAGES


@pytest.fixture
def test_catalog_identifier() -> str:
    return "brainio_test"


@pytest.fixture
def test_stimulus_set_identifier() -> str:
    return "test.TenImages"


@pytest.fixture
def test_write_netcdf_path(tmp_path) -> Path:
    return tmp_path / "test.nc"


@pytest.fixture
def files_to_remove():
    paths: list = []
    yield paths
    for path in paths:
        Path(path).unlink(missing_ok=True)


@pytest.fixture
def restore_this_file(tmp_path):
    """``restore(path)``: put ``path`` back as it was when the test ends."""
    saved = {}

    def restore(path) -> None:
        path = Path(path)
        saved[path] = tmp_path / f"saved-{len(saved)}"
        shutil.copy2(path, saved[path])

    yield restore
    for path, copy in saved.items():
        shutil.copy2(copy, path)


@pytest.fixture
def restore_catalog(restore_this_file):
    taken = {}

    def restore(identifier: str) -> None:
        catalog = lookup.get_catalogs()[identifier]
        restore_this_file(catalog.attrs["source_path"])
        taken[identifier] = catalog

    yield restore
    lookup.get_catalogs().update(taken)


@pytest.fixture
def brainio_home(tmp_path, monkeypatch):
    monkeypatch.setattr(brainio.fetch, "_local_data_path", str(tmp_path))
    yield tmp_path


@pytest.fixture(scope="session")
def home_path(tmp_path_factory):
    return tmp_path_factory.mktemp("brainio_home")


@pytest.fixture
def brainio_home_session(monkeypatch, home_path):
    monkeypatch.setattr(brainio.fetch, "_local_data_path", str(home_path))
    yield home_path
