"""Scale: how time and peak memory grow with the size of the assembly, eager and with chunks=.

Three files, written once by this project's ``write_netcdf`` (shuffle + deflate level 1) under
``bench/.work/scale/``: the MajajHong2015-sized package's assembly cut to 1/8 of its
presentations (18,560 x 256 x 1 float32, 18 MiB of values), whole (148,480: 145 MiB) and
repeated 4 times (593,920: 580 MiB). Modes, each in a fresh process, imports before the clock:

- ``eager``: ``NeuronRecordingAssembly.from_files(nc).values`` (every value in memory);
- ``chunks``: ``from_files(nc, chunks={"presentation": 18560})`` and the mean over
  presentations computed by dask's threaded scheduler (the values never all in memory);
- ``distributed``: the same reduction on a ``dask.distributed`` LocalCluster of 2 worker
  processes with 1 thread each (started before the clock); reported with the workers' peak.

Peak memory is the growth of the process's peak RSS during the measurement (and, for
``distributed``, the largest worker's peak RSS). No BrainIO 1.x side: 1.x has no chunked loading.

    .venv/bin/python bench/bench_scale.py [--rounds 2] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

NAME = "scale"
TITLE = "growth of time and peak memory with size: eager, chunks=, dask.distributed"
STANDALONE = True  # its own table (run.py compares against BrainIO 1.1.0)
SIZES = {"1/8x": 1 / 8, "1x": 1, "4x": 4}
MODES = ("eager", "chunks", "distributed")
CHUNK = 18_560  # presentations per dask chunk: 18 MiB of float32 values
PRESENTATIONS = 148_480


def scale_file(work: Path, size: str) -> Path:
    return work / "scale" / f"assy_scale_{size.replace('/', 'over')}.nc"


def prepare(work: Path) -> None:
    """Write the three files once from the package's assembly (this project's writer)."""
    import numpy as np
    import xarray as xr

    from brainio.netcdf import read_dataarray, write_netcdf

    common.ensure_package(work)
    missing = [size for size in SIZES if not scale_file(work, size).exists()]
    if not missing:
        return
    base = read_dataarray(common.package_dir(work) / common.NC_NAME).load()
    for size in missing:
        factor = SIZES[size]
        if factor < 1:
            array = base.isel(presentation=slice(0, int(PRESENTATIONS * factor)))
        else:
            array = xr.concat([base] * int(factor), dim="presentation")
            array = array.assign_coords(
                trial_index=("presentation", np.arange(array.sizes["presentation"]))
            )
        print(f"   writing the {size} assembly ({array.nbytes / 2**20:.0f} MiB) ...", flush=True)
        scale_file(work, size).parent.mkdir(parents=True, exist_ok=True)
        write_netcdf(array, scale_file(work, size))


def measure(side: str, work: Path) -> dict:
    mode, size = side.split(":")
    imports = common.warm_imports("brainio.assemblies", "brainio.netcdf", "dask.array", "h5py")
    from brainio.assemblies import NeuronRecordingAssembly

    path = scale_file(work, size)
    client = None
    if mode == "distributed":
        from dask.distributed import Client, LocalCluster

        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)
    baseline = common.peak_rss_mib()
    kwargs = {} if mode == "eager" else {"chunks": {"presentation": CHUNK}}
    with common.Stopwatch() as watch:
        assembly = NeuronRecordingAssembly.from_files(path, **kwargs)
        watch.lap("seconds_returned")
        if mode == "eager":
            result = assembly.values
        else:
            result = assembly.mean("presentation").values  # computed by dask (or the cluster)
        watch.lap("seconds")
    expected = (PRESENTATIONS * SIZES[size], 256, 1) if mode == "eager" else (256, 1)
    assert result.shape == expected, result.shape
    measured = {
        **watch.laps,
        "peak_growth_mib": common.peak_rss_mib() - baseline,
        "values_mib": PRESENTATIONS * SIZES[size] * 256 * 4 / 2**20,
        "import_seconds": imports,
    }
    if client is not None:
        peaks = client.run(common.peak_rss_mib)
        measured["worker_peak_mib"] = max(peaks.values())
        client.close()
        cluster.close()
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--work", type=Path, default=common.WORK)
    parser.add_argument("--json", type=Path, help="also write all measurements to this file")
    args = parser.parse_args()
    prepare(args.work)
    sides = [f"{mode}:{size}" for size in SIZES for mode in MODES]
    runs = common.run_rounds(Path(__file__), sides, args.rounds, args.work)
    print(f"\n== {TITLE}")
    print(
        f"{'size':<6}{'values MiB':>11}{'mode':>13}{'values in memory / reduced (s)':>32}"
        f"{'call returned (s)':>19}{'peak growth MiB':>17}{'worker peak MiB':>17}"
    )
    for side in sides:
        mode, size = side.split(":")
        medians = {
            metric: statistics.median(run[metric] for run in runs[side]) for metric in runs[side][0]
        }
        worker = medians.get("worker_peak_mib")
        print(
            f"{size:<6}{medians['values_mib']:>11.0f}{mode:>13}{medians['seconds']:>32.2f}"
            f"{medians['seconds_returned']:>19.2f}{medians['peak_growth_mib']:>17.0f}"
            f"{(f'{worker:.0f}' if worker else '-'):>17}"
        )
    print(
        f"{args.rounds} rounds, medians; {platform.machine()}, {common.os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M')}"
    )
    if args.json:
        args.json.write_text(json.dumps(runs, indent=1))


if __name__ == "__main__":
    if "--side" in sys.argv:
        common.worker_main(measure)
    else:
        main()
