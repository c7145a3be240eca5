"""Where a load's peak memory comes from: the process's memory over time, and at its peak.

Runs one load in a fresh process of the chosen side, with a thread sampling the resident
memory every few milliseconds. At each new peak it notes what every thread is doing and how
the memory splits (Linux):

- file-backed (libraries' code) and anonymous memory (``/proc/self/smaps_rollup``);
- within the anonymous memory, glibc's heap: in use, and freed but kept by the allocator
  (``mallinfo2``), and the large blocks it maps on their own (arrays of values).

Scenarios: ``load`` is ``bench/load.py``'s load from local files; ``cold`` is
``bench/bench_s3.py``'s cold ``get_assembly`` from moto's S3 server on loopback (started here).

    .venv/bin/python bench/memory_timeline.py load [--side ours|brainio1]
    .venv/bin/python bench/memory_timeline.py cold [--side ours|brainio1]
"""

from __future__ import annotations

import argparse
import ctypes
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

INTERVAL = 0.003  # seconds between samples
MIB = 2**20


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks "
        "keepcost".split()
    ]


def _mallinfo():
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = _MallInfo2
        return libc.mallinfo2
    except (OSError, AttributeError):  # not glibc 2.33+
        return None


MALLINFO = _mallinfo()


def composition() -> str:
    """How the resident memory splits now, in MiB."""
    parts = []
    try:
        with open("/proc/self/smaps_rollup") as rollup:
            fields = {
                line.split(":")[0]: int(line.split()[1]) for line in rollup if line.endswith("kB\n")
            }
        parts = [
            f"resident {fields['Rss'] / 1024:.0f}",
            f"file-backed {(fields['Rss'] - fields['Anonymous']) / 1024:.0f}",
            f"anonymous {fields['Anonymous'] / 1024:.0f}",
        ]
    except (OSError, KeyError):
        pass
    if MALLINFO is not None:
        info = MALLINFO()
        parts += [
            f"(heap in use {info.uordblks / MIB:.0f}",
            f"heap freed, kept by malloc {info.fordblks / MIB:.0f}",
            f"blocks mapped on their own {info.hblkhd / MIB:.0f})",
        ]
    return ", ".join(parts) + " MiB"


def resident_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / MIB


def kept_mib() -> float:
    """Heap memory freed but kept by glibc's malloc (0 elsewhere)."""
    return MALLINFO().fordblks / MIB if MALLINFO is not None else 0.0


class Sampler(threading.Thread):
    """Samples the resident memory; at each new peak (by more than 1 MiB), keeps the stacks of
    the other threads and the composition."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[tuple[float, float, float]] = []
        self.peak = (0.0, 0.0, "", {})
        self.stopping = threading.Event()
        self.start_time = time.perf_counter()

    def run(self) -> None:
        while not self.stopping.is_set():
            now, resident = time.perf_counter() - self.start_time, resident_mib()
            self.samples.append((now, resident, kept_mib()))
            if resident > self.peak[1] + 1:
                stacks = {
                    ident: traceback.extract_stack(frame)[-5:]
                    for ident, frame in sys._current_frames().items()
                    if ident != self.ident
                }
                self.peak = (now, resident, composition(), stacks)
            time.sleep(INTERVAL)

    def report(self, events: list[tuple[float, str]]) -> str:
        names = {thread.ident: thread.name for thread in threading.enumerate()}
        at, resident, parts, stacks = self.peak
        lines = [f"peak {resident:.0f} MiB at {at:.2f} s: {parts}", "threads at the peak:"]
        for ident, stack in stacks.items():
            frames = " <- ".join(
                f"{Path(frame.filename).name}:{frame.lineno} {frame.name}"
                for frame in reversed(stack)
            )
            lines.append(f"  {names.get(ident, ident)}: {frames}")
        lines.append("over time (MiB): resident, of which freed heap kept by malloc")
        marks = iter(sorted(events))
        mark = next(marks, None)
        every, due = max(0.05, self.samples[-1][0] / 40), 0.0
        for now, sampled, kept in self.samples:
            while mark is not None and mark[0] <= now:
                lines.append(f"  {mark[0]:6.2f} s  -- {mark[1]}")
                mark = next(marks, None)
            if now >= due:
                lines.append(f"  {now:6.2f} s  {sampled:6.0f}  {kept:6.0f}")
                due += every
        return "\n".join(lines)


def _scenario(name: str, side: str, work: Path):
    """The call to watch, with its imports done."""
    if name == "load":
        import load

        common.warm_imports("brainio.assemblies", "brainio.stimuli")
        return load.loader(side, work)
    import bench_s3

    # kept until the S3 benchmark's next run is over (see bench_s3's docstring: deleting the
    # stimulus files would slow the next extraction on this machine's file system)
    bench_s3._homes(work).mkdir(exist_ok=True)
    os.environ["BRAINIO_HOME"] = tempfile.mkdtemp(
        prefix="home-timeline-", dir=bench_s3._homes(work)
    )
    get_assembly = bench_s3._load(side, work)
    return lambda: get_assembly(common.ASSEMBLY_ID)


class _Events(logging.Handler):
    """brainio's debug messages (downloads, extraction, decoded copies) as timeline events."""

    def __init__(self, sampler: Sampler, events: list[tuple[float, str]]) -> None:
        super().__init__(logging.DEBUG)
        self.sampler, self.events = sampler, events

    def emit(self, record: logging.LogRecord) -> None:
        now = time.perf_counter() - self.sampler.start_time
        self.events.append((now, f"[{record.threadName}] {record.getMessage()[:110]}"))


def watch(name: str, side: str, work: Path) -> None:
    call = _scenario(name, side, work)
    events = [(0.0, f"start: {composition()}")]
    sampler = Sampler()
    handler = _Events(sampler, events)
    for logger_name in ("brainio", "brainio_s3"):
        logging.getLogger(logger_name).addHandler(handler)
        logging.getLogger(logger_name).setLevel(logging.DEBUG)
    sampler.start()
    try:
        assembly = call()
        events.append((time.perf_counter() - sampler.start_time, "the call returned"))
        assert assembly.values.shape == (148_480, 256, 1)
        events.append((time.perf_counter() - sampler.start_time, "values in memory"))
        time.sleep(0.05)
    finally:
        sampler.stopping.set()
        sampler.join()
    events.append((sampler.samples[-1][0], f"end: {composition()}"))
    print(sampler.report(events))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", choices=["load", "cold"])
    parser.add_argument("--side", default="ours", choices=["ours", "brainio1"])
    parser.add_argument("--work", type=Path, default=common.WORK)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        watch(args.scenario, args.side, args.work)
        return
    common.ensure_brainio1_env()
    common.ensure_package(args.work)
    common.extracted_stimuli(args.work)
    if args.scenario == "cold":
        import bench_s3

        bench_s3.prepare(args.work)  # moto's server lives in this process; the worker inherits it
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    command = [str(common.python_for(args.side)), __file__, args.scenario, "--worker"]
    command += ["--side", args.side, "--work", str(args.work)]
    subprocess.run(command, env={**environment, "BRAINIO_PROGRESS": "0"}, check=True)


if __name__ == "__main__":
    main()
