"""Generate the files of the embedded demo catalog, reproducibly.

The demo imitates a small monkey electrophysiology experiment:

* stimulus set ``demo.shapes`` (``stimulus_demo_shapes.csv`` + ``.zip``): 48 PNG images of
  64x64 pixels, one shape per image on a gray background: every combination of 4 categories
  (circle, square, triangle, star), 3 colors, 2 sizes and 2 positions, each at a random
  rotation. The CSV has one row per image: ``stimulus_id``, ``filename``, ``category``,
  ``color``, ``size`` (diameter in pixels), ``position``, ``pos_x``, ``pos_y``, ``rotation``.
* assembly ``demo.Shapes2026`` (``assy_demo_Shapes2026.nc``): a ``NeuronRecordingAssembly``
  of firing rates (spikes/s, float32), presentation x neuroid x time_bin = 192 x 16 x 5.
  Every image was shown 4 times in a random order per repetition (``stimulus_id``,
  ``repetition`` on presentation) to 16 recording sites: 2 animals x 2 regions (V4, IT) x 4
  electrodes (``neuroid_id``, ``animal``, ``region``, ``electrode``), binned in 50 ms windows
  from 0 to 250 ms after stimulus onset (``time_bin_start``, ``time_bin_end``, in ms).
  Each site responds after a latency (V4 about 65 ms, IT about 95 ms) with a transient
  (an alpha function); V4 sites are tuned to color, size and (weakly) the number of corners,
  IT sites to category, with more sites preferring angular shapes. Spike
  counts are Poisson with trial-to-trial gain fluctuations, so single trials are noisy and
  averages show the tuning.
* ``lookup.csv``: the catalog, with ``location_type`` ``local`` and locations relative to it.

Everything derives from :data:`SEED`. PNGs carry no metadata; the ZIP lists its entries
sorted, stored as they are (PNG is compressed already) with fixed timestamps and
permissions; so a second run writes byte-identical files, given the same versions of Pillow
(PNG encoder) and netCDF/HDF5 (which stamp their versions into the file).

Regenerate the committed files after changing this script::

    python -m brainio_local.demo.make_demo_data            # into the package folder
    python -m brainio_local.demo.make_demo_data OUTPUT_DIR # elsewhere
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import itertools
import logging
import math
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from brainio.catalogs import COLUMNS
from brainio_local.demo import ASSEMBLY_IDENTIFIER, DEMO_DIR, STIMULUS_SET_IDENTIFIER

logger = logging.getLogger(__name__)

SEED = 2026

CATEGORIES = ("circle", "square", "triangle", "star")
COLORS = {"red": (214, 52, 44), "green": (46, 160, 67), "blue": (40, 96, 208)}
SIZES = {"small": 22, "large": 38}  # diameter of the shape's circumscribed circle, pixels
POSITIONS = {"upper_left": (23, 23), "lower_right": (41, 41)}  # center, pixels
IMAGE_SIZE = 64
BACKGROUND = (128, 128, 128)
SUPERSAMPLING = 4  # draw at 4x and average down, for smooth edges

ANIMALS = ("Pico", "Nano")
REGIONS = ("V4", "IT")
ELECTRODES_PER_REGION = 4
REPETITIONS = 4
BIN_MS = 50
BIN_STARTS_MS = (0, 50, 100, 150, 200)
# V4 sites prefer contours with more corners; more IT sites prefer angular shapes, so the
# population's mean response differs by category, more so late (IT) than early (V4).
V4_CONTOUR_GAIN = {"circle": 0.7, "square": 0.8, "triangle": 0.9, "star": 1.0}
IT_PREFERENCE = {"circle": 0.1, "square": 0.2, "triangle": 0.3, "star": 0.4}  # probabilities

STIMULUS_CSV = "stimulus_demo_shapes.csv"
STIMULUS_ZIP = "stimulus_demo_shapes.zip"
ASSEMBLY_NC = "assy_demo_Shapes2026.nc"
LOOKUP_CSV = "lookup.csv"
_ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest date a ZIP entry can carry


def _rng(stream: int) -> np.random.Generator:
    """An independent random stream per purpose, so changing one part leaves the others."""
    return np.random.default_rng([SEED, stream])


# --- stimuli ----------------------------------------------------------------------------------


def stimulus_table() -> pd.DataFrame:
    """One row per image: every category x color x size x position, with a random rotation."""
    combinations = list(itertools.product(CATEGORIES, COLORS, SIZES, POSITIONS))
    rotations = _rng(1).integers(0, 360, size=len(combinations))
    rows = []
    for index, (category, color, size, position) in enumerate(combinations):
        stimulus_id = f"shape{index:02d}"
        rows.append(
            {
                "stimulus_id": stimulus_id,
                "filename": f"{stimulus_id}.png",
                "category": category,
                "color": color,
                "size": SIZES[size],
                "position": position,
                "pos_x": POSITIONS[position][0],
                "pos_y": POSITIONS[position][1],
                "rotation": int(rotations[index]),
            }
        )
    return pd.DataFrame(rows)


def _polygon(category: str, center: tuple[float, float], radius: float, rotation: int):
    """Vertices of a square, triangle or five-pointed star inscribed in a circle."""
    if category == "square":
        corners, radii = 4, [radius]
    elif category == "triangle":
        corners, radii = 3, [radius]
    elif category == "star":
        corners, radii = 5, [radius, 0.42 * radius]
    else:
        raise ValueError(f"no polygon for category '{category}'")
    points = []
    steps = corners * len(radii)
    for step in range(steps):
        angle = math.radians(rotation - 90 + 360 * step / steps)
        r = radii[step % len(radii)]
        points.append((center[0] + r * math.cos(angle), center[1] + r * math.sin(angle)))
    return points


def draw_stimulus(row: dict) -> bytes:
    """The PNG bytes of one stimulus (no metadata chunks, so the bytes are reproducible)."""
    from PIL import Image, ImageDraw

    scale = SUPERSAMPLING
    image = Image.new("RGB", (IMAGE_SIZE * scale, IMAGE_SIZE * scale), BACKGROUND)
    draw = ImageDraw.Draw(image)
    center = (row["pos_x"] * scale, row["pos_y"] * scale)
    radius = row["size"] / 2 * scale
    fill = COLORS[row["color"]]
    if row["category"] == "circle":
        box = (center[0] - radius, center[1] - radius, center[0] + radius, center[1] + radius)
        draw.ellipse(box, fill=fill)
    else:
        draw.polygon(_polygon(row["category"], center, radius, row["rotation"]), fill=fill)
    buffer = io.BytesIO()
    image.reduce(scale).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def write_reproducible_zip(path: Path, files: dict[str, bytes]) -> None:
    """A ZIP whose bytes depend only on ``files``: sorted, stored, fixed dates and modes."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE_TIME)
            info.create_system = 3  # unix, whatever the machine
            info.external_attr = 0o100644 << 16  # a regular file, rw-r--r--
            info.compress_type = zipfile.ZIP_STORED
            archive.writestr(info, files[name])


def write_stimulus_set(folder: Path) -> pd.DataFrame:
    """Write the stimulus CSV and ZIP into ``folder``; returns the table."""
    stimuli = stimulus_table()
    stimuli.to_csv(folder / STIMULUS_CSV, index=False, lineterminator="\n")
    images = {row["filename"]: draw_stimulus(row) for row in stimuli.to_dict("records")}
    write_reproducible_zip(folder / STIMULUS_ZIP, images)
    return stimuli


# --- recording --------------------------------------------------------------------------------


def _alpha_kernel(latency_ms: np.ndarray, tau_ms: np.ndarray) -> np.ndarray:
    """Mean of a unit-peak alpha function per neuroid (rows) and time bin (columns)."""
    t = np.arange(BIN_STARTS_MS[0], BIN_STARTS_MS[-1] + BIN_MS) + 0.5  # 1 ms samples
    x = np.clip((t[None, :] - latency_ms[:, None]) / tau_ms[:, None], 0, None)
    response = x * np.exp(1 - x)
    return response.reshape(len(latency_ms), len(BIN_STARTS_MS), BIN_MS).mean(axis=2)


def _neuroids() -> pd.DataFrame:
    rows = []
    for animal in ANIMALS:
        for region_index, region in enumerate(REGIONS):
            for channel in range(ELECTRODES_PER_REGION):
                electrode = region_index * ELECTRODES_PER_REGION + channel + 1
                rows.append(
                    {
                        "neuroid_id": f"{animal}_{region}_e{electrode:02d}",
                        "animal": animal,
                        "region": region,
                        "electrode": electrode,
                    }
                )
    return pd.DataFrame(rows)


def _drive(stimuli: pd.DataFrame, neuroids: pd.DataFrame) -> np.ndarray:
    """Peak evoked rate (spikes/s) of every neuroid (columns) to every stimulus (rows)."""
    rng = _rng(2)
    drive = np.empty((len(stimuli), len(neuroids)))
    large = (stimuli["size"] == SIZES["large"]).to_numpy()
    for column, region in enumerate(neuroids["region"]):
        if region == "V4":  # color and size tuned, weakly shape selective
            weights = dict(zip(COLORS, rng.uniform(0.2, 0.5, len(COLORS)), strict=True))
            weights[rng.choice(list(COLORS))] = 1.0
            selectivity = stimuli["color"].map(weights).to_numpy()
            contour = {c: V4_CONTOUR_GAIN[c] * rng.uniform(0.9, 1.1) for c in CATEGORIES}
            shape = stimuli["category"].map(contour).to_numpy()
            size_gain = np.where(large, 1.0, 0.55)
            drive[:, column] = rng.uniform(50, 100) * selectivity * shape * size_gain
        else:  # IT: category tuned, tolerant to color, size and position
            weights = dict(zip(CATEGORIES, rng.uniform(0.1, 0.45, len(CATEGORIES)), strict=True))
            weights[rng.choice(CATEGORIES, p=list(IT_PREFERENCE.values()))] = 1.0
            selectivity = stimuli["category"].map(weights).to_numpy()
            size_gain = np.where(large, 1.0, 0.8)
            drive[:, column] = rng.uniform(40, 90) * selectivity * size_gain
    return drive


def simulate_recording(stimuli: pd.DataFrame):
    """The ``NeuronRecordingAssembly`` of the demo, simulated from ``stimuli``."""
    from brainio.assemblies import NeuronRecordingAssembly

    rng = _rng(3)
    neuroids = _neuroids()
    is_it = (neuroids["region"] == "IT").to_numpy()
    n = len(neuroids)
    latency = np.where(is_it, rng.uniform(85, 105, n), rng.uniform(55, 75, n))
    tau = np.where(is_it, 35.0, 25.0)
    baseline = rng.uniform(3, 12, len(neuroids))
    kernel = _alpha_kernel(latency, tau)  # neuroid x time_bin
    drive = _drive(stimuli, neuroids)  # stimulus x neuroid

    order = np.concatenate([rng.permutation(len(stimuli)) for _ in range(REPETITIONS)])
    repetition = np.repeat(np.arange(REPETITIONS), len(stimuli))
    gain = rng.gamma(shape=20.0, scale=1 / 20.0, size=(len(order), len(neuroids), 1))
    rate = baseline[None, :, None] + gain * drive[order][:, :, None] * kernel[None, :, :]
    counts = rng.poisson(rate * BIN_MS / 1000)
    firing_rate = (counts * (1000 / BIN_MS)).astype(np.float32)

    starts = np.array(BIN_STARTS_MS)
    assembly = NeuronRecordingAssembly(
        firing_rate,
        coords={
            "stimulus_id": ("presentation", stimuli["stimulus_id"].to_numpy()[order]),
            "repetition": ("presentation", repetition),
            **{name: ("neuroid", neuroids[name].to_numpy()) for name in neuroids.columns},
            "time_bin_start": ("time_bin", starts),
            "time_bin_end": ("time_bin", starts + BIN_MS),
        },
        dims=["presentation", "neuroid", "time_bin"],
    )
    assembly.attrs["identifier"] = ASSEMBLY_IDENTIFIER
    assembly.attrs["stimulus_set_identifier"] = STIMULUS_SET_IDENTIFIER
    return assembly


# --- catalog ----------------------------------------------------------------------------------


def _sha1(path: Path) -> str:
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha1").hexdigest()


def write_catalog(folder: Path) -> Path:
    """``lookup.csv`` with locations relative to itself."""
    rows = [
        (
            STIMULUS_SET_IDENTIFIER,
            "stimulus_set",
            "StimulusSet",
            STIMULUS_CSV,
            _sha1(folder / STIMULUS_CSV),
            "",
        ),
        (
            STIMULUS_SET_IDENTIFIER,
            "stimulus_set",
            "",
            STIMULUS_ZIP,
            _sha1(folder / STIMULUS_ZIP),
            "",
        ),
        (
            ASSEMBLY_IDENTIFIER,
            "assembly",
            "NeuronRecordingAssembly",
            ASSEMBLY_NC,
            _sha1(folder / ASSEMBLY_NC),
            STIMULUS_SET_IDENTIFIER,
        ),
    ]
    path = folder / LOOKUP_CSV
    with open(path, "w", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(COLUMNS)
        for identifier, lookup_type, cls, location, sha1, stimulus_set in rows:
            writer.writerow((identifier, lookup_type, cls, "local", location, sha1, stimulus_set))
    return path


def main(folder: Path = DEMO_DIR) -> Path:
    """Write every demo file into ``folder``; returns the path of its ``lookup.csv``."""
    from brainio.packaging import write_netcdf

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stimuli = write_stimulus_set(folder)
    assembly = simulate_recording(stimuli)
    write_netcdf(assembly, folder / ASSEMBLY_NC)
    catalog = write_catalog(folder)
    logger.info("wrote the demo files and their catalog %s", catalog)
    return catalog


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "folder",
        nargs="?",
        type=Path,
        default=DEMO_DIR,
        help="where to write the files (default: the package's demo folder)",
    )
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    main(parser.parse_args().folder)
