"""LAION-fMRI: ROI betas from one session file of the real grid (143^3 voxels, >= 100 trials).

Sides, each in a fresh process:

- ``nibabel``: what users did before: ``nib.load`` the 4-D file, ``np.asanyarray(dataobj)``
  (the whole series in memory), then index the brain-and-ROI voxels;
- ``ours-streaming``: ``Subject.get_betas(session, roi="face", streaming=True)``;
- ``ours-full``: the same with ``streaming=False`` (reported only).

Targets (issue 7): ``ours-streaming`` takes at most 1.0x the time of ``nibabel`` and its peak
memory stays within two volumes plus the result. Memory is measured twice: ``tracemalloc``'s
peak of the call (every numpy and bytes buffer, nothing else) and the growth of the process's
peak RSS during the call. The file is generated once (random float32 in a brain-shaped ball,
zeros outside, gzip as nibabel writes it) under ``bench/.work/laion``.

    .venv/bin/python bench/bench_laion.py [--rounds 3] [--trials 100]

It also follows ``run.py``'s interface (NAME, SIDES, TARGETS, prepare, measure), so a
``--side`` run is one measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

NAME = "laion"
TITLE = "LAION-fMRI: face-ROI betas from one 143^3 session file"
STANDALONE = True  # compares against nibabel, not BrainIO 1.1.0: its own runner and table
SIDES = ("nibabel", "ours-streaming", "ours-full")
TARGETS = {"seconds": 1.0, "traced_peak_mib": None, "rss_growth_mib": None}
GRID = (143, 143, 143)
SUBJECT, SESSION = "sub-01", "ses-01"
TRIALS = int(os.environ.get("LAION_BENCH_TRIALS", "100"))
FACE = ("FFA1", "FFA2", "OFA")


def folder(work: Path) -> Path:
    return work / f"laion-{TRIALS}"


def _paths(data_dir: Path):
    from laion_fmri import _paths

    return (
        _paths.betas_file(data_dir, SUBJECT, SESSION),
        _paths.trials_file(data_dir, SUBJECT, SESSION),
        _paths.r2mean_file(data_dir, SUBJECT),
        _paths.roi_dir(data_dir, SUBJECT) / "face",
    )


def prepare(work: Path) -> None:
    """Write the session (betas, trials), the R2mean map and three face ROIs, once."""
    import nibabel as nib
    import numpy as np

    data_dir = folder(work)
    done = data_dir / ".complete"
    if done.exists():
        return
    betas, trials, r2mean, face = _paths(data_dir)
    for path in (betas.parent, r2mean.parent, face):
        path.mkdir(parents=True, exist_ok=True)
    affine = np.diag([1.778, 1.778, 1.778, 1.0])
    x, y, z = np.indices(GRID, dtype=np.float32)
    brain = ((x - 71) / 60) ** 2 + ((y - 71) / 68) ** 2 + ((z - 71) / 55) ** 2 <= 1
    del x, y, z
    r2 = np.where(brain, 20.0, 0.0).astype(np.float32)
    nib.save(nib.Nifti1Image(r2, affine), r2mean)
    for number, name in enumerate(FACE):
        roi = np.zeros(GRID, dtype=np.uint8)
        roi[40 + 8 * number : 48 + 8 * number, 30:50, 30:45] = 1
        nib.save(
            nib.Nifti1Image(roi, affine),
            face / f"{SUBJECT}_space-T1w_res-1pt8_label-{name}_mask.nii.gz",
        )
    rows = ["session\trun\tbeta_index\tlabel"] + [
        f"{SESSION}\t{t // 10 + 1}\t{t}\tunique_bench_{t}.jpg" for t in range(TRIALS)
    ]
    trials.write_text("\n".join(rows) + "\n")
    # the 4-D file volume by volume (never the whole series in memory), as nibabel writes .gz
    print(f"Generating {betas} ({TRIALS} volumes of {GRID}) ...", flush=True)
    header = nib.Nifti1Header()
    header.set_data_shape((*GRID, TRIALS))
    header.set_data_dtype(np.float32)
    header.set_qform(affine, code=1)
    header.set_sform(affine, code=1)
    rng = np.random.default_rng(0)
    partial = betas.with_name("partial-" + betas.name)  # keeps .nii.gz: Opener gzips by name
    with nib.openers.Opener(str(partial), "wb") as out:
        header.write_to(out)
        out.write(b"\x00" * (int(header.get_data_offset()) - header.sizeof_hdr))
        for _ in range(TRIALS):
            volume = np.zeros(GRID, dtype=np.float32)
            volume[brain] = rng.standard_normal(int(brain.sum()), dtype=np.float32)
            out.write(volume.tobytes(order="F"))
    partial.rename(betas)
    done.touch()


def measure(side: str, work: Path) -> dict:
    import resource  # noqa: F401  (ru_maxrss via common.peak_rss_mib)
    import tracemalloc

    import nibabel as nib
    import numpy as np

    from laion_fmri.subject import Subject

    data_dir = folder(work)
    betas_path, _, r2mean, face = _paths(data_dir)
    volume_mib = np.prod(GRID) * 4 / 2**20

    def baseline():
        brain = np.asanyarray(nib.load(r2mean).dataobj) > 0
        roi = np.zeros(GRID, dtype=bool)
        for path in sorted(face.glob("*_mask.nii.gz")):
            roi |= np.asanyarray(nib.load(path).dataobj) > 0
        data = np.asanyarray(nib.load(betas_path).dataobj)
        return np.ascontiguousarray(data[brain & roi].T)  # (trials, voxels)

    def ours(streaming: bool):
        return Subject(SUBJECT, data_dir).get_betas(SESSION, roi="face", streaming=streaming)

    call = {
        "nibabel": baseline,
        "ours-streaming": lambda: ours(True),
        "ours-full": lambda: ours(False),
    }[side]
    rss_before = common.peak_rss_mib()
    with common.Stopwatch() as watch:
        result = call()
        watch.lap("seconds")
    rss_growth = common.peak_rss_mib() - rss_before
    del result
    tracemalloc.start()
    result = call()
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    result_mib = result.nbytes / 2**20
    return {
        **watch.laps,
        "traced_peak_mib": traced / 2**20,
        "rss_growth_mib": rss_growth,
        "result_mib": result_mib,
        "volume_mib": float(volume_mib),
        "budget_mib": float(2 * volume_mib + result_mib),
        "shape": list(result.shape),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", type=Path, default=common.WORK)
    parser.add_argument("--json", type=Path, help="also write all measurements to this file")
    args = parser.parse_args()
    prepare(args.work)
    env = {"LAION_BENCH_TRIALS": str(TRIALS)}
    runs = common.run_rounds(Path(__file__), SIDES, args.rounds, args.work, env)
    med = {
        side: {
            m: statistics.median(r[m] for r in rs)
            for m in ("seconds", "traced_peak_mib", "rss_growth_mib", "budget_mib")
        }
        for side, rs in runs.items()
    }
    first = runs["ours-streaming"][0]
    print(
        f"\n== {TITLE}: {TRIALS} trials, result {first['shape']} float32 "
        f"({first['result_mib']:.1f} MiB), one volume {first['volume_mib']:.1f} MiB, "
        f"budget 2 volumes + result = {first['budget_mib']:.1f} MiB"
    )
    print(
        f"{'side':<16}{'seconds':>9}{'x nibabel':>11}{'traced peak MiB':>17}{'RSS growth MiB':>16}"
    )
    for side in SIDES:
        ratio = med[side]["seconds"] / med["nibabel"]["seconds"]
        print(
            f"{side:<16}{med[side]['seconds']:>9.2f}{ratio:>11.2f}"
            f"{med[side]['traced_peak_mib']:>17.1f}{med[side]['rss_growth_mib']:>16.1f}"
        )
    streaming = med["ours-streaming"]
    time_ok = streaming["seconds"] <= TARGETS["seconds"] * med["nibabel"]["seconds"]
    memory_ok = streaming["traced_peak_mib"] <= streaming["budget_mib"]
    print(
        f"\ntime target (<= 1.0x nibabel): {'ok' if time_ok else 'MISSED'}; memory target "
        f"(traced peak <= {streaming['budget_mib']:.1f} MiB): "
        f"{'ok' if memory_ok else 'MISSED'}"
    )
    print(
        f"{args.rounds} rounds, medians; {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}"
    )
    if args.json:
        args.json.write_text(json.dumps({"medians": med, "runs": runs}, indent=1))


if __name__ == "__main__":
    if "--side" in sys.argv:
        common.worker_main(measure)
    else:
        main()
