"""Generate a MajajHong2015-sized package for the benchmarks (run in the BrainIO 1.1.0 env).

- stimulus set ``bench.hvm``: 5,760 small PNG images in a zip, and a CSV with 10 columns;
- assembly ``bench.MajajHong2015``: NeuronRecordingAssembly of 148,480 presentations x 256
  neuroids x 1 time bin (float32), 5 presentation and 10 neuroid coordinates, written by
  BrainIO 1.1.0's own ``write_netcdf`` so both sides read the very same file.

Usage: .venv-brainio1/bin/python bench/make_package.py OUTPUT_DIR   (bench/common.py calls it)
Writes ``manifest.json`` last, so an interrupted run is redone.
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ASSEMBLY_ID, CSV_NAME, NC_NAME, STIMULUS_SET_ID, ZIP_NAME  # noqa: E402

STIMULI = 5_760
PRESENTATIONS = 148_480  # 5,760 stimuli x 25 repetitions + 4,480 stimuli with a 26th
NEUROIDS = 256
CATEGORIES = ["animals", "boats", "cars", "chairs", "faces", "fruits", "planes", "tables"]
rng = np.random.default_rng(2015)


def sha1(path: Path) -> str:
    digest = hashlib.sha1()
    with open(path, "rb") as file:
        while block := file.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def stimulus_set(output: Path) -> pd.DataFrame:
    ids = [hashlib.sha1(f"stimulus{i}".encode()).hexdigest() for i in range(STIMULI)]
    frame = pd.DataFrame(
        {
            "stimulus_id": ids,
            "filename": [f"{stimulus_id}.png" for stimulus_id in ids],
            "category_name": np.repeat(CATEGORIES, STIMULI // len(CATEGORIES)),
            "object_name": [
                f"{CATEGORIES[i * len(CATEGORIES) // STIMULI]}_{i % 8}" for i in range(STIMULI)
            ],
            "variation": np.tile([0, 3, 6], STIMULI // 3),
            "background_id": rng.integers(0, 1000, STIMULI),
            "size": rng.uniform(0.5, 1.5, STIMULI).round(4),
            "translation_x": rng.normal(0, 0.3, STIMULI).round(4),
            "translation_y": rng.normal(0, 0.3, STIMULI).round(4),
            "rotation": rng.uniform(-90, 90, STIMULI).round(3),
        }
    )
    frame.to_csv(output / CSV_NAME, index=False)
    with zipfile.ZipFile(output / ZIP_NAME, "w", zipfile.ZIP_DEFLATED) as archive:
        for number, filename in enumerate(frame["filename"]):
            pixels = np.full((32, 32, 3), number % 251, dtype=np.uint8)
            pixels[8:24, 8:24] = rng.integers(0, 256, size=(16, 16, 3), dtype=np.uint8)
            buffer = io.BytesIO()
            Image.fromarray(pixels).save(buffer, format="PNG")
            archive.writestr(filename, buffer.getvalue())
    return frame


def assembly(stimuli: pd.DataFrame):
    from brainio.assemblies import NeuronRecordingAssembly

    order = np.concatenate(
        [np.tile(np.arange(STIMULI), 25), np.arange(PRESENTATIONS - 25 * STIMULI)]
    )
    repetition = np.concatenate(
        [np.repeat(np.arange(25), STIMULI), np.full(PRESENTATIONS - 25 * STIMULI, 25)]
    )
    sessions = np.array([f"Chabo_2015-0{1 + m}-{d:02d}" for m in range(3) for d in range(1, 29)])
    regions = np.array(["V4"] * 88 + ["IT"] * 168)
    coords = {
        # presentation: 5 coordinates
        "stimulus_id": ("presentation", stimuli["stimulus_id"].values[order]),
        "repetition": ("presentation", repetition),
        "session": (
            "presentation",
            sessions[np.arange(PRESENTATIONS) * len(sessions) // PRESENTATIONS],
        ),
        "trial_index": ("presentation", np.arange(PRESENTATIONS)),
        "onset_ms": ("presentation", rng.uniform(0, 100, PRESENTATIONS).round(2)),
        # neuroid: 10 coordinates
        "neuroid_id": (
            "neuroid",
            [f"Chabo_L_{'M' if i < 128 else 'A'}_{i % 16}_{i // 16}" for i in range(NEUROIDS)],
        ),
        "animal": ("neuroid", ["Chabo"] * 128 + ["Tito"] * 128),
        "region": ("neuroid", regions),
        "arr": (
            "neuroid",
            np.where(regions == "V4", "M", np.where(np.arange(NEUROIDS) % 2, "A", "P")),
        ),
        "subregion": (
            "neuroid",
            np.char.add(regions, np.array(["", "_a", "_p", "_m"])[np.arange(NEUROIDS) % 4]),
        ),
        "electrode": ("neuroid", [f"elec{i % 96}" for i in range(NEUROIDS)]),
        "x": ("neuroid", rng.uniform(-2, 2, NEUROIDS).round(3)),
        "y": ("neuroid", rng.uniform(-2, 2, NEUROIDS).round(3)),
        "col": ("neuroid", np.arange(NEUROIDS) % 16),
        "row": ("neuroid", np.arange(NEUROIDS) // 16),
        "time_bin_start": ("time_bin", [70]),
        "time_bin_end": ("time_bin", [170]),
    }
    data = rng.normal(loc=0.2, scale=1.0, size=(PRESENTATIONS, NEUROIDS, 1)).astype(np.float32)
    result = NeuronRecordingAssembly(
        data, coords=coords, dims=["presentation", "neuroid", "time_bin"]
    )
    result.attrs["stimulus_set_identifier"] = STIMULUS_SET_ID
    result.attrs["identifier"] = ASSEMBLY_ID
    return result


def main() -> None:
    from brainio.packaging import write_netcdf

    output = Path(sys.argv[1])
    output.mkdir(parents=True, exist_ok=True)
    (output / "manifest.json").unlink(missing_ok=True)
    stimuli = stimulus_set(output)
    data = assembly(stimuli)
    start = time.perf_counter()
    write_netcdf(data, output / NC_NAME)
    seconds = time.perf_counter() - start
    manifest = {
        "stimulus_set_identifier": STIMULUS_SET_ID,
        "assembly_identifier": ASSEMBLY_ID,
        "shape": list(data.shape),
        "brainio1_write_netcdf_seconds": round(seconds, 2),
        "sha1": {name: sha1(output / name) for name in (CSV_NAME, ZIP_NAME, NC_NAME)},
        "bytes": {name: (output / name).stat().st_size for name in (CSV_NAME, ZIP_NAME, NC_NAME)},
    }
    (output / "manifest.json").write_text(json.dumps(manifest, indent=1))
    print(json.dumps(manifest, indent=1))


if __name__ == "__main__":
    main()
