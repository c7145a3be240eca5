"""(i) Load the stimulus set and the assembly from local files, merging the stimulus metadata.

Both sides call their loaders directly on the same files (no catalog, no cache):
``StimulusSet.from_files(csv, folder)`` then ``NeuronRecordingAssembly.from_files(nc,
stimulus_set=...)``. Reported: seconds until the call returns, seconds until the values are in
memory (``assembly.values``; BrainIO 1.1.0's merge already loads them), and peak memory; then
the seconds of a second load in the same process (values in memory): the work of one load without
the costs of the first (modules imported on first use, libraries starting up).
``ours-lazy`` passes ``chunks={}`` (dask-backed values, read on demand).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

NAME = "load"
TITLE = "load stimulus set + assembly with the merge (loaders on local files)"
SIDES = ("brainio1", "ours", "ours-lazy")
#: The issue's targets, values in memory: <= 0.5x the time, <= 0.8x the peak memory of 1.1.0.
TARGETS = {"seconds": 0.5, "peak_mib": 0.8, "cpu_seconds": None, "seconds_again": None}
METRIC_LABELS = {"seconds_again": "time, 2nd load same process (s)"}


def prepare(work: Path) -> None:
    common.ensure_package(work)
    common.extracted_stimuli(work)


def loader(side: str, work: Path):
    """The load being measured, ready to call: the same API on both sides (BrainIO 1.1.0's
    brainio, or this project's)."""
    from brainio.assemblies import NeuronRecordingAssembly
    from brainio.stimuli import StimulusSet

    kwargs = {"chunks": {}} if side == "ours-lazy" else {}
    package = common.package_dir(work)

    def load():
        stimulus_set = StimulusSet.from_files(package / common.CSV_NAME, work / "stimuli")
        return NeuronRecordingAssembly.from_files(
            package / common.NC_NAME,
            stimulus_set=stimulus_set,
            stimulus_set_identifier=common.STIMULUS_SET_ID,
            **kwargs,
        )

    return load


def measure(side: str, work: Path) -> dict:
    imports = common.warm_imports("brainio.assemblies", "brainio.stimuli")
    load = loader(side, work)
    first = common.time_assembly_load(load, imports)
    with common.Stopwatch() as watch:
        assert load().values.shape == (148_480, 256, 1)
        watch.lap("seconds_again")
    return {**first, "seconds_again": watch.laps["seconds_again"]}


if __name__ == "__main__":
    common.worker_main(measure)
