"""Shared parts of the benchmarks: paths, the two environments, the generated package, workers.

Two sides are compared, each in its own virtual environment and a fresh process per
measurement:

- ``brainio1``: BrainIO 1.1.0 from PyPI in ``.venv-brainio1`` (tests/compat/make_brainio1_env.sh);
- ``ours``: this project, in the interpreter that runs ``bench/run.py`` (``make bench``).

A benchmark is a module in this folder with ``NAME``, ``TITLE``, ``SIDES`` (``"brainio1"``
first, then variants of this project such as ``"ours"``, ``"ours-lazy"``: a side whose name
starts with ``brainio1`` runs in the 1.1.0 environment), ``TARGETS`` (metric -> the highest
acceptable ratio ours / 1.1.0, or None to report only), ``prepare(work)`` (runs once in the
runner, before the rounds) and ``measure(side, work) -> dict`` (runs in a fresh subprocess of
that side's python; returns metrics), ending with ``if __name__ == "__main__":
worker_main(measure)``. Add it to ``BENCHMARKS`` in run.py.

This module is imported on both sides, so it uses only the standard library at import time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
WORK = Path(os.environ.get("BRAINIO_BENCH_WORK", BENCH / ".work"))
BRAINIO1_VENV = Path(os.environ.get("BRAINIO1_VENV", REPO / ".venv-brainio1"))

#: The generated MajajHong2015-sized package (see make_package.py).
STIMULUS_SET_ID = "bench.hvm"
ASSEMBLY_ID = "bench.MajajHong2015"
ASSEMBLY_CLASS = "NeuronRecordingAssembly"
CSV_NAME = "stimulus_bench_hvm.csv"
ZIP_NAME = "stimulus_bench_hvm.zip"
NC_NAME = "assy_bench_MajajHong2015.nc"
BUCKET_URL = "https://brainio-bench.s3.amazonaws.com"  # 1.x's catalog points here; never fetched


def package_dir(work: Path = WORK) -> Path:
    return work / "package"


def python_for(side: str) -> Path:
    if side.startswith("brainio1"):
        return BRAINIO1_VENV / "bin" / "python"
    return Path(sys.executable)


# --- environments and the package --------------------------------------------------------------


def ensure_brainio1_env() -> None:
    """Create ``.venv-brainio1`` (BrainIO 1.1.0) if missing; the compat tests use the same one."""
    env = {**os.environ, "BRAINIO1_VENV": str(BRAINIO1_VENV)}
    env.setdefault("PYTHON", sys.executable)
    subprocess.run(
        ["bash", str(REPO / "tests" / "compat" / "make_brainio1_env.sh")], env=env, check=True
    )


def ensure_package(work: Path = WORK) -> dict:
    """Generate the package once (make_package.py in the 1.1.0 environment); its manifest."""
    manifest = package_dir(work) / "manifest.json"
    if not manifest.exists():
        ensure_brainio1_env()
        print(
            f"Generating the benchmark package in {package_dir(work)} (BrainIO 1.1.0 writes "
            "the assembly with zlib level 9: about a minute) ...",
            flush=True,
        )
        subprocess.run(
            [str(python_for("brainio1")), str(BENCH / "make_package.py"), str(package_dir(work))],
            check=True,
        )
    return json.loads(manifest.read_text())


def extracted_stimuli(work: Path = WORK) -> Path:
    """The stimulus zip extracted once (for the loaders called directly)."""
    target = work / "stimuli"
    if not (target / ".complete").exists():
        shutil.rmtree(target, ignore_errors=True)
        with zipfile.ZipFile(package_dir(work) / ZIP_NAME) as archive:
            archive.extractall(target)
        (target / ".complete").touch()
    return target


def link_or_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        return
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


# The format's fixed catalog header (brainio.catalogs.COLUMNS); spelled out because this module
# also runs under BrainIO 1.1.0, which has no such constant.
CATALOG_COLUMNS = "identifier,lookup_type,class,location_type,location,sha1,stimulus_set_identifier"


def write_catalog(path: Path, rows: list[dict]) -> Path:
    columns = CATALOG_COLUMNS.split(",")
    lines = [CATALOG_COLUMNS] + [",".join(str(row.get(c, "")) for c in columns) for row in rows]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def catalog_rows(manifest: dict, location_type: str, location: Callable[[str], str]) -> list:
    """The three catalog rows of the package: stimulus CSV, stimulus ZIP, assembly."""
    return [
        {
            "identifier": STIMULUS_SET_ID,
            "lookup_type": "stimulus_set",
            "class": "StimulusSet",
            "location_type": location_type,
            "location": location(CSV_NAME),
            "sha1": manifest["sha1"][CSV_NAME],
        },
        {
            "identifier": STIMULUS_SET_ID,
            "lookup_type": "stimulus_set",
            "class": "",
            "location_type": location_type,
            "location": location(ZIP_NAME),
            "sha1": manifest["sha1"][ZIP_NAME],
        },
        {
            "identifier": ASSEMBLY_ID,
            "lookup_type": "assembly",
            "class": ASSEMBLY_CLASS,
            "location_type": location_type,
            "location": location(NC_NAME),
            "sha1": manifest["sha1"][NC_NAME],
            "stimulus_set_identifier": STIMULUS_SET_ID,
        },
    ]


# --- running one measurement ---------------------------------------------------------------------


def run_worker(module: Path, side: str, work: Path = WORK, env: dict | None = None) -> dict:
    """Run ``module`` as a worker for ``side`` in a fresh process; its JSON result."""
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    environment.update(env or {})
    result = subprocess.run(
        [str(python_for(side)), str(module), "--side", side, "--work", str(work)],
        env=environment,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{module.name} failed for {side}:\n{result.stdout}\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_rounds(module: Path, sides, rounds: int, work: Path = WORK, env: dict | None = None):
    """Each side once untimed (warms caches), then ``rounds`` rounds of every side in a fresh
    process, the order flipping every round; the measurements by side."""
    for side in sides:
        run_worker(module, side, work, env)
    results: dict[str, list[dict]] = {side: [] for side in sides}
    for number in range(rounds):
        for side in sides if number % 2 == 0 else tuple(reversed(sides)):
            results[side].append(run_worker(module, side, work, env))
        print(f"   round {number + 1}/{rounds} done", flush=True)
    return results


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, in MiB.

    Linux's ``VmHWM`` (reset by ``exec``); not ``ru_maxrss``, which a process started by
    ``exec`` inherits from its parent: a worker of a runner holding the moto server's objects
    or a freshly written file in memory would report the runner's peak.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def warm_imports(*modules: str) -> float:
    """Import ``modules`` and let xarray import its optional array libraries (dask, where
    installed) before the clock starts, on both sides alike; returns the seconds it took."""
    import importlib

    start = time.perf_counter()
    for module in modules:
        importlib.import_module(module)
    import xarray

    xarray.DataArray([0.0], dims=["x"]).copy()  # xarray imports dask lazily on first use
    return time.perf_counter() - start


def cpu_seconds() -> float:
    """User + system CPU time of this process (all threads) so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Stopwatch:
    """``with Stopwatch() as watch: ...; watch.lap("name")`` records the wall seconds since the
    start as ``name`` and the CPU seconds as ``cpu_name`` (steadier on a busy machine)."""

    def __enter__(self) -> Stopwatch:
        self.laps: dict[str, float] = {}
        self.start_cpu = cpu_seconds()
        self.start = time.perf_counter()
        return self

    def lap(self, name: str) -> None:
        self.laps[name] = time.perf_counter() - self.start
        self.laps[f"cpu_{name}"] = cpu_seconds() - self.start_cpu

    def __exit__(self, *exc) -> None:
        return None


def worker_main(measure: Callable[[str, Path], dict]) -> None:
    """Entry point of a benchmark module run as a worker: print ``measure``'s result as JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--side", required=True)
    parser.add_argument("--work", type=Path, default=WORK)
    args = parser.parse_args()
    result = measure(args.side, args.work)
    print(json.dumps(result))


_moto_client = None


def moto_s3_client():
    """A client of moto's S3 server on loopback, started once per runner process.

    The server lives as long as the runner; workers (started by :func:`run_worker`) inherit the
    ``AWS_*`` variables that point boto3 at it, with fake credentials. Runs on our side only.
    """
    global _moto_client
    if _moto_client is None:
        import logging

        import boto3
        from moto.server import ThreadedMotoServer

        from brainio_s3.testing import free_port

        port = free_port()
        ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False).start()
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        os.environ.update(
            {
                "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
                "AWS_ACCESS_KEY_ID": "bench",
                "AWS_SECRET_ACCESS_KEY": "bench",
                "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_EC2_METADATA_DISABLED": "true",
                "BRAINIO_PROGRESS": "0",
            }
        )
        os.environ.pop("AWS_PROFILE", None)
        _moto_client = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    return _moto_client


def time_assembly_load(load: Callable[[], Any], imports: float) -> dict:
    """Time ``load()`` (an assembly of the package) until it returns and until its values are
    in memory, with the peak memory at both points."""
    baseline = peak_rss_mib()
    with Stopwatch() as watch:
        assembly = load()
        watch.lap("seconds_returned")
        peak_returned = peak_rss_mib()
        values = assembly.values
        watch.lap("seconds")
    assert values.shape == (148_480, 256, 1), values.shape
    assert assembly["category_name"].shape == (148_480,)  # merged from the stimulus set
    return {
        **watch.laps,
        "peak_mib_returned": peak_returned,
        "peak_mib": peak_rss_mib(),
        "baseline_mib": baseline,
        "import_seconds": imports,
    }
