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
        standalone = getattr(module, "STANDALONE", False)  # its own runner and table
        if hasattr(module, "NAME") and hasattr(module, "measure") and not standalone:
            modules[module.NAME] = module
    return modules


METRIC_LABELS = {
    "seconds": "time (s)",
    "cpu_seconds": "CPU time (s)",
    "peak_mib": "peak memory (MiB)",
    "cold_seconds": "cold get_assembly time (s)",
    "cold_peak_mib": "cold get_assembly peak memory (MiB)",
    "warm_seconds": "warm get_assembly time (s)",
}
#: The headline is always "values in memory"; these metrics measure the same thing at the moment
#: the call returns (values possibly still on disk), shown as the second column group.
RETURNED = {
    "seconds": "seconds_returned",
    "cpu_seconds": "cpu_seconds_returned",
    "peak_mib": "peak_mib_returned",
    "cold_seconds": "cold_seconds_returned",
    "warm_seconds": "warm_seconds_returned",
}


def run_benchmark(module, rounds: int, work: Path) -> dict:
    path = Path(module.__file__)
    print(f"\n== {module.NAME}: {module.TITLE}", flush=True)
    module.prepare(work)
    try:
        return common.run_rounds(path, module.SIDES, rounds, work)
    finally:
        if hasattr(module, "finish"):  # cleanup that must wait for the last round
            module.finish(work)


def summarize(module, results: dict) -> list[dict]:
    """One row per (metric, side): medians of both sides and the ratio ours / 1.1.0, when
    values are in memory and (where measured) when the call returned."""
    reference = module.SIDES[0]
    labels = {**METRIC_LABELS, **getattr(module, "METRIC_LABELS", {})}

    def median(side: str, metric: str) -> float | None:
        values = [run[metric] for run in results[side] if metric in run]
        return statistics.median(values) if values else None

    rows = []
    for metric, target in module.TARGETS.items():
        for side in module.SIDES[1:]:
            row = {"benchmark": module.NAME, "metric": metric, "label": labels.get(metric, metric)}
            row["side"], row["target"] = side, target
            for prefix, name in (("", metric), ("returned_", RETURNED.get(metric))):
                before = median(reference, name) if name else None
                after = median(side, name) if name else None
                ratio = after / before if before and after is not None else None
                row.update({f"{prefix}brainio1": before, f"{prefix}ours": after})
                row[f"{prefix}ratio"] = ratio
            row["met"] = None if target is None or row["ratio"] is None else row["ratio"] <= target
            rows.append(row)
    return rows


def _number(value: float | None, width: int) -> str:
    return f"{value:>{width}.2f}" if value is not None else " " * (width - 1) + "-"


def print_table(rows: list[dict]) -> None:
    """Values in memory first (what users wait for), then the same when the call returned."""
    header = (
        f"{'benchmark':<13}{'metric':<36}{'side':<10}"
        f"{'| values in memory:':<19}{'1.1.0':>8}{'ours':>9}{'ratio':>7}{'target':>8}{'':<8}"
        f"{'| call returned:':<17}{'1.1.0':>8}{'ours':>9}{'ratio':>7}"
    )
    print("\n" + header + "\n" + "-" * len(header))
    for row in rows:
        target = "" if row["target"] is None else f"<={row['target']:.2g}"
        verdict = "" if row["met"] is None else ("ok" if row["met"] else "MISSED")
        print(
            f"{row['benchmark']:<13}{row['label']:<36}{row['side']:<10}{'|':<19}"
            f"{_number(row['brainio1'], 8)}{_number(row['ours'], 9)}{_number(row['ratio'], 7)}"
            f"{target:>8}  {verdict:<6}{'|':<17}{_number(row['returned_brainio1'], 8)}"
            f"{_number(row['returned_ours'], 9)}{_number(row['returned_ratio'], 7)}"
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
