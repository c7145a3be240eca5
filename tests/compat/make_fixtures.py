"""Write the BrainIO 1.1.0 fixtures in tests/compat/fixtures/ with 1.1.0's own write_netcdf.

Run inside the BrainIO 1.1.0 environment (the files are committed; rerun only to change them):

    bash tests/compat/make_brainio1_env.sh
    .venv-brainio1/bin/python tests/compat/make_fixtures.py

For every file it also records, in fixtures/expected/<stem>.json/.npz, the assembly as written
(``proto``) and what 1.1.0 reads back (``raw``: ``xr.open_dataarray``; ``loaded``:
``<class>.from_files``), so the tests compare our readers with 1.1.0's value by value.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
sys.path.insert(0, str(HERE))

from brainio1_dump import describe, dump  # noqa: E402

import brainio  # noqa: E402  (BrainIO 1.1.0)
from brainio.assemblies import (  # noqa: E402
    MetadataAssembly,
    NeuroidAssembly,
    NeuronRecordingAssembly,
    SpikeTimesAssembly,
)
from brainio.packaging import write_netcdf  # noqa: E402

rng = np.random.default_rng(2024)


def recording() -> NeuronRecordingAssembly:
    """presentation x neuroid x time_bin, a MultiIndex on every dimension, a datetime level."""
    stimuli = [f"im{i}" for i in range(6)]
    presentation = {
        "stimulus_id": ("presentation", np.repeat(stimuli, 2)),
        "repetition": ("presentation", np.tile([0, 1], 6)),
        "object_name": ("presentation", np.repeat(["car", "dog", "face"] * 2, 2)),
        "recorded_at": (
            "presentation",
            pd.date_range("2019-03-01 09:30", periods=12, freq="37min"),
        ),
    }
    neuroid = {
        "neuroid_id": ("neuroid", [f"Chabo_L_{i}" for i in range(6)]),
        "region": ("neuroid", ["V4", "V4", "IT", "IT", "IT", "IT"]),
        "animal": ("neuroid", ["Chabo"] * 3 + ["Tito"] * 3),
        "electrode_x": ("neuroid", np.linspace(-1.5, 1.5, 6)),
    }
    time_bin = {"time_bin_start": ("time_bin", [70, 170]), "time_bin_end": ("time_bin", [170, 270])}
    data = rng.normal(size=(12, 6, 2)).astype(np.float32)
    data[3, 2, 1] = np.nan
    assembly = NeuronRecordingAssembly(
        data,
        coords={**presentation, **neuroid, **time_bin},
        dims=["presentation", "neuroid", "time_bin"],
    )
    assembly.attrs.update(
        identifier="test.Recording2024",
        stimulus_set_identifier="test.stimuli",
        description="six stimuli, two repetitions, two animals",
        sampling_rate_hz=1000.0,
        n_sessions=3,
        electrode_grid=np.array([10, 10]),
        stimulus_set=pd.DataFrame({"dropped": [1]}),  # 1.x drops DataFrame attributes
    )
    return assembly


def recording_stimuli() -> pd.DataFrame:
    """The stimulus set merged onto ``recording`` (object_name also on the assembly: kept there)."""
    return pd.DataFrame(
        {
            "stimulus_id": [f"im{i}" for i in range(6)],
            "filename": [f"im{i}.png" for i in range(6)],
            "category": ["vehicle", "animal", "face"] * 2,
            "object_name": ["not", "used", "because", "the", "assembly", "wins"],
            "size_deg": [8.0, 8.0, 4.0, 4.0, 2.0, 2.0],
        }
    )


def single_coordinate() -> NeuroidAssembly:
    """``neuroid`` has one coordinate: 1.1.0 (xarray 2022.3) stores it as ``neuroid_``."""
    return NeuroidAssembly(
        np.arange(12, dtype=np.float64).reshape(4, 3),
        coords={
            "stimulus_id": ("presentation", ["a", "b", "c", "d"]),
            "repetition": ("presentation", [0, 0, 1, 1]),
            "neuroid_id": ("neuroid", ["n0", "n1", "n2"]),
        },
        dims=["presentation", "neuroid"],
        attrs={"identifier": "test.SingleCoordinate", "stimulus_set_identifier": "test.stimuli"},
    )


def spike_times() -> tuple[SpikeTimesAssembly, MetadataAssembly]:
    """Spike times on ``event`` plus a MetadataAssembly in the netCDF group ``test``."""
    n = 200
    onsets = pd.date_range("2020-05-17 13:00:00", periods=20, freq="1500ms")
    trial = rng.integers(0, 20, size=n)
    spikes = SpikeTimesAssembly(
        np.sort(rng.uniform(0, 0.5, size=n)),
        coords={
            "neuroid_id": ("event", rng.choice(["A-1", "A-2", "B-7"], size=n)),
            "stimulus_id": ("event", np.array([f"s{t % 5}" for t in trial])),
            "trial": ("event", trial),
            "trial_onset": ("event", onsets[trial]),
            "channel": ("event", rng.integers(1, 97, size=n).astype(np.int32)),
        },
        dims=["event"],
        attrs={"identifier": "test.Spikes", "stimulus_set_identifier": "test.stimuli"},
    )
    metadata = MetadataAssembly(
        np.arange(20, dtype=np.int64),
        coords={
            "stimulus_id": ("event", [f"s{t % 5}" for t in range(20)]),
            "stimulus_onset": ("event", onsets),
            "condition": ("event", ["fix", "free"] * 10),
        },
        dims=["event"],
    )
    return spikes, metadata


def legacy_image_id():
    """A 2020-era file: ``image_id``, unnamed variable (written with compress=False)."""
    from brainio.assemblies import DataAssembly

    return DataAssembly(
        np.arange(18, dtype=np.int64).reshape(6, 3, 1),
        coords={
            "image_id": ("presentation", [f"img{i}" for i in range(6)]),
            "image_type": ("presentation", ["photo", "sketch"] * 3),
            "neuroid_id": ("neuroid", ["x", "y", "z"]),
            "neuroid_type": ("neuroid", ["single", "multi", "single"]),
            "time_bin_start": ("time_bin", [70]),
            "time_bin_end": ("time_bin", [170]),
        },
        dims=["presentation", "neuroid", "time_bin"],
    )


def main() -> None:
    FIXTURES.mkdir(exist_ok=True)
    expected = FIXTURES / "expected"
    expected.mkdir(exist_ok=True)
    stimuli_csv = FIXTURES / "stimuli_test_recording.csv"
    recording_stimuli().to_csv(stimuli_csv, index=False)

    spikes, metadata = spike_times()
    cases = {  # stem: (assembly, class name for from_files, stimulus CSV, write kwargs, groups)
        "assy_test_recording": (recording(), "NeuronRecordingAssembly", stimuli_csv, {}, {}),
        "assy_test_single_coord": (single_coordinate(), "NeuroidAssembly", None, {}, {}),
        "assy_test_spikes_extras": (spikes, "SpikeTimesAssembly", None, {}, {"test": metadata}),
        "assy_test_legacy_image_id": (
            legacy_image_id(),
            "DataAssembly",
            None,
            {"compress": False},
            {},
        ),
    }
    index = {
        "brainio": "brainscore-brainio " + getattr(brainio, "__version__", "1.1.0"),
        "files": {},
    }
    for stem, (assembly, class_name, stimuli, kwargs, groups) in cases.items():
        path = FIXTURES / f"{stem}.nc"
        path.unlink(missing_ok=True)
        sha1 = write_netcdf(assembly, path, **kwargs)
        for group, extra in groups.items():
            sha1 = write_netcdf(extra, path, append=True, group=group)
        arrays: dict = {}
        proto = {"proto": describe(assembly, "proto/", arrays)}
        for group, extra in groups.items():
            proto[f"proto_group/{group}"] = describe(extra, f"proto_group/{group}/", arrays)
        np.savez_compressed(expected / f"{stem}.proto.npz", **arrays)
        (expected / f"{stem}.proto.json").write_text(
            json.dumps(proto, indent=1, sort_keys=True, default=str)
        )
        dump(path, class_name, expected / stem, stimuli)
        index["files"][path.name] = {
            "sha1": sha1,
            "class": class_name,
            "groups": list(groups),
            "stimuli": stimuli.name if stimuli else None,
            "write_kwargs": kwargs,
        }
        print(f"wrote {path.relative_to(HERE)} ({path.stat().st_size} bytes, sha1 {sha1})")
    (FIXTURES / "index.json").write_text(json.dumps(index, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
