"""Run the benchmarks: BrainIO 1.1.0 against this project, in alternation, and print ratios.

    make bench                                  # every benchmark, 5 rounds
    .venv/bin/python bench/run.py --only load --only get_assembly --rounds 3
    .venv/bin/python bench/run.py --json results.json

Every measurement runs in a fresh subprocess of its side's interpreter (BrainIO 1.1.0 in
``.venv-brainio1``, created on first use; this project in the interpreter running this script).
Each side first runs once untimed (warms the caches and the OS page cache), then the sides
alternate for ``--rounds`` rounds, the order flipping every round; the table shows medians and
the ratio this project / BrainIO 1.1.0 (lower is better) against the target.
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

#: Benchmarks that run first; every other module of this folder that defines ``NAME`` and
#: ``measure`` (see common.py for the interface) follows, in file-name order.
FIRST = ["load", "get_assembly"]
NOT_BENCHMARKS = {"common", "run", "make_package"}


def discover() -> dict:
    """Benchmark modules by ``NAME``: the FIRST ones, then the others by file name."""
    names = FIRST + sorted(
        path.stem
        for path in common.BENCH.glob("*.py")
        if path.stem not in NOT_BENCHMARKS and path.stem not in FIRST
    )
    modules = {}
    for name in names:
        module = importlib.import_module(name)
        if hasattr(module, "NAME") and hasattr(module, "measure"):
            modules[module.NAME] = module
    return modules


METRIC_LABELS = {
    "seconds": "time until values in memory (s)",
    "cpu_seconds": "CPU time until values in memory (s)",
    "seconds_returned": "time until the call returns (s)",
    "peak_mib": "peak memory, values in memory (MiB)",
    "peak_mib_returned": "peak memory when the call returns (MiB)",
}


def run_benchmark(module, rounds: int, work: Path) -> dict:
    path = Path(module.__file__)
    print(f"\n== {module.NAME}: {module.TITLE}", flush=True)
    module.prepare(work)
    for side in module.SIDES:
        common.run_worker(path, side, work)  # warm-up, untimed
    results: dict[str, list[dict]] = {side: [] for side in module.SIDES}
    for number in range(rounds):
        order = module.SIDES if number % 2 == 0 else tuple(reversed(module.SIDES))
        for side in order:
            results[side].append(common.run_worker(path, side, work))
        print(f"   round {number + 1}/{rounds} done", flush=True)
    return results


def summarize(module, results: dict) -> list[dict]:
    reference = module.SIDES[0]
    labels = {**METRIC_LABELS, **getattr(module, "METRIC_LABELS", {})}
    rows = []
    for metric, target in module.TARGETS.items():
        medians = {
            side: statistics.median(r[metric] for r in runs) for side, runs in results.items()
        }
        for side in module.SIDES[1:]:
            ratio = medians[side] / medians[reference] if medians[reference] else float("nan")
            rows.append(
                {
                    "benchmark": module.NAME,
                    "metric": metric,
                    "label": labels.get(metric, metric),
                    "side": side,
                    "brainio1": medians[reference],
                    "ours": medians[side],
                    "ratio": ratio,
                    "target": target,
                    "met": None if target is None else ratio <= target,
                }
            )
    return rows


def print_table(rows: list[dict]) -> None:
    header = (
        f"{'benchmark':<13}{'metric':<41}{'side':<10}{'1.1.0':>9}{'ours':>9}"
        f"{'ratio':>8}{'target':>8}  "
    )
    print("\n" + header + "\n" + "-" * len(header))
    for row in rows:
        target = "" if row["target"] is None else f"<={row['target']}"
        verdict = "" if row["met"] is None else ("ok" if row["met"] else "MISSED")
        print(
            f"{row['benchmark']:<13}{row['label']:<41}"
            f"{row['side']:<10}{row['brainio1']:>9.2f}{row['ours']:>9.2f}{row['ratio']:>8.2f}"
            f"{target:>8}  {verdict}"
        )


def main() -> None:
    benchmarks = discover()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only",
        action="append",
        choices=list(benchmarks),
        help="run only this benchmark (repeatable)",
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--work", type=Path, default=common.WORK)
    parser.add_argument("--json", type=Path, help="also write all measurements to this file")
    args = parser.parse_args()

    common.ensure_brainio1_env()
    common.ensure_package(args.work)
    rows, raw = [], {}
    for name in args.only or list(benchmarks):
        module = benchmarks[name]
        results = run_benchmark(module, args.rounds, args.work)
        raw[name] = results
        rows += summarize(module, results)
    print_table(rows)
    print(
        f"\n{args.rounds} rounds, medians; {platform.machine()}, {common.os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}"
    )
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "measurements": raw}, indent=1))


if __name__ == "__main__":
    main()
