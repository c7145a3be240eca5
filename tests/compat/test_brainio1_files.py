"""Files written by BrainIO 1.1.0 (tests/compat/fixtures) load here with the same contents.

The fixtures and what 1.1.0 itself read back from them (fixtures/expected) were made by
make_fixtures.py in the BrainIO 1.1.0 environment; these tests need no 1.1.0 at run time.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from brainio.netcdf import list_groups, read_dataarray

FIXTURES = Path(__file__).parent / "fixtures"
INDEX = json.loads((FIXTURES / "index.json").read_text())["files"]


@pytest.mark.parametrize("filename", sorted(INDEX))
def test_fixture_is_the_file_brainio1_wrote(filename: str) -> None:
    from brainio.hashing import sha1_hash

    assert sha1_hash(FIXTURES / filename) == INDEX[filename]["sha1"]


@pytest.mark.parametrize("filename", sorted(INDEX))
def test_read_dataarray_sees_what_brainio1_sees(filename: str, compat) -> None:
    """Every stored coordinate, value, dimension and attribute, as 1.1.0's open_dataarray."""
    meta, arrays = compat.expected(filename.removesuffix(".nc"))
    read = read_dataarray(FIXTURES / filename)
    assert read.name == "data"
    compat.assert_matches(read, meta["raw"], arrays, "raw/")


def test_multiindex_levels_are_stored_as_plain_coordinates(compat) -> None:
    """The levels 1.1.0 rebuilds into MultiIndexes are all there, with 1.1.0's values."""
    meta, arrays = compat.expected("assy_test_recording")
    read = read_dataarray(FIXTURES / "assy_test_recording.nc")
    for dim, index in meta["loaded"]["indexes"].items():
        for level in index["names"]:
            if level in {"filename", "category", "size_deg"}:
                continue  # merged from the stimulus set, not stored in the file
            assert read[level].dims == (dim,)
            np.testing.assert_array_equal(
                read[level].values.astype(str)
                if read[level].dtype.kind in "OU"
                else read[level].values,
                arrays[f"loaded/coord/{level}"],
            )
    assert read["recorded_at"].dtype == np.dtype("datetime64[ns]")
    assert read.attrs["sampling_rate_hz"] == 1000.0
    np.testing.assert_array_equal(read.attrs["electrode_grid"], [10, 10])
    assert "stimulus_set" not in read.attrs  # 1.1.0 dropped the DataFrame attribute


def test_single_coordinate_dimension_as_brainio1_stored_it() -> None:
    """1.1.0 (xarray 2022.3) lost the name ``neuroid_id`` and stored ``neuroid_``."""
    read = read_dataarray(FIXTURES / "assy_test_single_coord.nc")
    assert read["neuroid_"].dims == ("neuroid",)
    assert list(read["neuroid_"].values) == ["n0", "n1", "n2"]


def test_groups_of_a_spike_times_file(compat) -> None:
    path = FIXTURES / "assy_test_spikes_extras.nc"
    assert list_groups(path) == ["test"]
    meta, arrays = compat.expected("assy_test_spikes_extras")
    group_meta = meta["loaded"]["attrs"]["test"]["assembly"]
    group = read_dataarray(path, group="test")
    compat.assert_matches(group, group_meta, arrays, "loaded/attr/test/", check_attrs=False)
    assert group["stimulus_onset"].dtype == np.dtype("datetime64[ns]")


def test_legacy_file_with_unnamed_variable_and_image_id() -> None:
    read = read_dataarray(FIXTURES / "assy_test_legacy_image_id.nc")
    assert read.name == "data"  # stored as __xarray_dataarray_variable__
    assert list(read["image_id"].values) == [f"img{i}" for i in range(6)]
    assert read.dtype == np.int64


@pytest.mark.parametrize("filename", sorted(INDEX))
def test_lazy_read_matches_eager_read(filename: str) -> None:
    pytest.importorskip("dask")
    eager = read_dataarray(FIXTURES / filename)
    lazy = read_dataarray(FIXTURES / filename, chunks={})
    np.testing.assert_array_equal(lazy.values, eager.values)
    assert sorted(lazy.coords) == sorted(eager.coords)


@pytest.mark.parametrize("filename", sorted(INDEX))
def test_from_files_gives_what_brainio1_gives(filename: str, compat) -> None:
    """The assembly classes rebuild the same MultiIndexes, merge and groups as 1.1.0's."""
    import pandas as pd

    from brainio import assemblies
    from brainio.stimuli import StimulusSet

    info = INDEX[filename]
    meta, arrays = compat.expected(filename.removesuffix(".nc"))
    kwargs = {}
    if info["stimuli"]:
        kwargs = {
            "stimulus_set": StimulusSet(pd.read_csv(FIXTURES / info["stimuli"])),
            "stimulus_set_identifier": "test.stimuli",
        }
    loaded = getattr(assemblies, info["class"]).from_files(FIXTURES / filename, **kwargs)
    expected = meta["loaded"]
    assert type(loaded).__name__ == expected["class"]
    compat.assert_matches(loaded, expected, arrays, "loaded/")
    for dim, index in expected["indexes"].items():
        ours = loaded.indexes[dim]
        names = list(ours.names) if isinstance(ours, pd.MultiIndex) else [ours.name or dim]
        assert names == index["names"], dim
    for group in info["groups"]:
        group_meta = expected["attrs"][group]["assembly"]
        extra = loaded.attrs[group]
        assert type(extra).__name__ == group_meta["class"]
        compat.assert_matches(extra, group_meta, arrays, f"loaded/attr/{group}/", check_attrs=False)
