"""Files written by brainio.netcdf.write_netcdf load in BrainIO 1.1.0 with the same contents.

Each test writes a file here, loads it in a subprocess running BrainIO 1.1.0 (in
`.venv-brainio1`, created on first use by make_brainio1_env.sh) with 1.1.0's own
``xr.open_dataarray`` and ``<class>.from_files``, and compares what 1.1.0 saw with what we wrote.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from brainio.netcdf import write_netcdf

pytestmark = pytest.mark.slow
STIMULI_CSV = Path(__file__).parent / "fixtures" / "stimuli_test_recording.csv"


def recording(presentations: int, neuroids: int) -> xr.DataArray:
    rng = np.random.default_rng(7)
    data = rng.normal(size=(presentations, neuroids, 1)).astype(np.float32)
    data[1, 2, 0] = np.nan
    plain = xr.DataArray(
        data,
        dims=["presentation", "neuroid", "time_bin"],
        coords={
            "stimulus_id": ("presentation", [f"im{i % 6}" for i in range(presentations)]),
            "repetition": ("presentation", np.arange(presentations) // 6),
            "object_name": ("presentation", ["car", "dog", "face"] * (presentations // 3)),
            "recorded_at": (
                "presentation",
                pd.date_range("2019-03-01 09:30", periods=presentations, freq="37s"),
            ),
            "neuroid_id": ("neuroid", [f"Chabo_L_{i}" for i in range(neuroids)]),
            "region": ("neuroid", ["V4", "IT"] * (neuroids // 2)),
            "electrode_x": ("neuroid", np.linspace(-1.5, 1.5, neuroids)),
            "time_bin_start": ("time_bin", [70]),
            "time_bin_end": ("time_bin", [170]),
        },
        attrs={
            "identifier": "test.Ours",
            "stimulus_set_identifier": "test.stimuli",
            "sampling_rate_hz": 1000.0,
            "n_sessions": 3,
            "electrode_grid": np.array([10, 10]),
            "stimulus_set": pd.DataFrame({"dropped": [1]}),
        },
    )
    return plain.set_index(
        presentation=["stimulus_id", "repetition", "object_name", "recorded_at"],
        neuroid=["neuroid_id", "region", "electrode_x"],
        time_bin=["time_bin_start", "time_bin_end"],
    )


def test_chunked_compressed_recording_loads_in_brainio1(tmp_path, brainio1_python, compat):
    assembly = recording(presentations=8_196, neuroids=160)  # > 4 MiB: several chunks
    path = tmp_path / "assy_ours.nc"
    write_netcdf(assembly, path)

    meta, arrays = compat.brainio1_dump(
        brainio1_python, path, "NeuronRecordingAssembly", tmp_path / "dump", stimuli=STIMULI_CSV
    )
    compat.assert_matches(assembly, meta["raw"], arrays, "raw/")
    loaded = meta["loaded"]
    assert loaded["class"] == "NeuronRecordingAssembly"
    assert loaded["indexes"]["neuroid"]["names"] == ["neuroid_id", "region", "electrode_x"]
    assert loaded["indexes"]["presentation"]["names"][:4] == [
        "stimulus_id",
        "repetition",
        "object_name",
        "recorded_at",
    ]
    compat.assert_matches(
        assembly,
        loaded,
        arrays,
        "loaded/",
        only_in_brainio1=frozenset({"filename", "category", "size_deg"}),
    )
    # 1.1.0 merged its stimulus set onto what we wrote
    category = dict(
        zip(
            *np.loadtxt(
                STIMULI_CSV, dtype=str, delimiter=",", skiprows=1, usecols=(0, 2), unpack=True
            ),
            strict=True,
        )
    )
    expected = [category[s] for s in assembly["stimulus_id"].values]
    np.testing.assert_array_equal(arrays["loaded/coord/category"], expected)


def test_single_coordinate_dimension_loads_in_brainio1(tmp_path, brainio1_python, compat):
    one_level = xr.Coordinates.from_pandas_multiindex(
        pd.MultiIndex.from_arrays([["n0", "n1", "n2"]], names=["neuroid_id"]), "neuroid"
    )
    assembly = (
        xr.DataArray(
            np.arange(12.0).reshape(4, 3),
            dims=["presentation", "neuroid"],
            coords={
                "stimulus_id": ("presentation", list("abcd")),
                "repetition": ("presentation", [0, 0, 1, 1]),
            },
        )
        .set_index(presentation=["stimulus_id", "repetition"])
        .assign_coords(one_level)
    )
    path = tmp_path / "single.nc"
    write_netcdf(assembly, path)

    meta, arrays = compat.brainio1_dump(brainio1_python, path, "NeuroidAssembly", tmp_path / "d")
    assert "neuroid_id" in meta["raw"]["coords"]  # the file keeps the name (1.1.0 wrote neuroid_)
    compat.assert_matches(assembly, meta["raw"], arrays, "raw/")
    # 1.1.0's own gather_indexes (xarray 2022.3) turns a lone coordinate into the dim index
    compat.assert_matches(
        assembly, meta["loaded"], arrays, "loaded/", renamed={"neuroid": "neuroid_id"}
    )


def test_spike_times_with_a_metadata_group_load_in_brainio1(tmp_path, brainio1_python, compat):
    rng = np.random.default_rng(3)
    onsets = pd.date_range("2020-05-17 13:00:00", periods=20, freq="1500ms")
    trial = rng.integers(0, 20, size=300)
    spikes = xr.DataArray(
        np.sort(rng.uniform(0, 0.5, size=300)),
        dims=["event"],
        coords={
            "neuroid_id": ("event", rng.choice(["A-1", "A-2", "B-7"], size=300)),
            "trial": ("event", trial),
            "trial_onset": ("event", onsets[trial]),
        },
        attrs={"identifier": "test.Spikes"},
    ).set_index(event=["neuroid_id", "trial", "trial_onset"])
    metadata = xr.DataArray(
        np.arange(20),
        dims=["event"],
        coords={
            "stimulus_id": ("event", [f"s{t % 5}" for t in range(20)]),
            "stimulus_onset": ("event", onsets),
        },
    )
    path = tmp_path / "spikes.nc"
    write_netcdf(spikes, path)
    write_netcdf(metadata, path, append=True, group="test")

    meta, arrays = compat.brainio1_dump(brainio1_python, path, "SpikeTimesAssembly", tmp_path / "d")
    compat.assert_matches(spikes, meta["loaded"], arrays, "loaded/", check_attrs=False)
    group = meta["loaded"]["attrs"]["test"]["assembly"]
    assert group["class"] == "MetadataAssembly"
    compat.assert_matches(metadata, group, arrays, "loaded/attr/test/", check_attrs=False)


def test_uncompressed_file_loads_in_brainio1(tmp_path, brainio1_python, compat):
    assembly = recording(presentations=12, neuroids=4)
    path = tmp_path / "plain.nc"
    write_netcdf(assembly, path, compress=False)
    meta, arrays = compat.brainio1_dump(
        brainio1_python, path, "NeuronRecordingAssembly", tmp_path / "d"
    )
    compat.assert_matches(assembly, meta["loaded"], arrays, "loaded/", check_attrs=False)
    assert meta["raw"]["attrs"]["sampling_rate_hz"] == {"value": 1000.0}
