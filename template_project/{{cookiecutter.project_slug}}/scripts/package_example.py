"""Package a stimulus set and an assembly into this catalog: a worked example to adapt.

Run it after installing this project in editable mode (so rows land in src/ and get committed):

    pip install -e .
    python scripts/package_example.py                  # packages the synthetic example
    python scripts/package_example.py --target DIR     # or s3://bucket/prefix (brainio-s3)

What happens, for each data set:

1. ``build_stimulus_set`` / ``build_assembly`` (edit these) describe your data in memory:
   a StimulusSet (one row per stimulus, a ``stimulus_id`` column, metadata columns, and
   ``stimulus_paths``: where each file is now) and an xarray DataArray of the measurements
   (dims presentation x neuroid [x time_bin]; ``stimulus_id`` on ``presentation``).
2. ``package_stimulus_set`` / ``package_data_assembly`` check everything first (every problem
   reported at once, nothing uploaded), write a reproducible CSV + ZIP / netCDF file, upload
   them to the storage target, and append the rows to ``src/{{ cookiecutter.catalog_name }}/lookup.csv``.
3. After that, anyone who installs this package loads them by identifier::

       from brainio import get_assembly, get_stimulus_set
       get_assembly("{{ cookiecutter.catalog_name }}.Example2024")

The same can be done from files on disk without Python: ``brainio package stimulus-set`` and
``brainio package assembly`` (see ``brainio package --help``).
"""

from __future__ import annotations

import argparse
import struct
import tempfile
import zlib
from pathlib import Path

import numpy as np
import xarray as xr
from brainio.packaging import package_data_assembly, package_stimulus_set
from brainio.stimuli import StimulusSet

CATALOG_NAME = "{{ cookiecutter.catalog_name }}"
IDENTIFIER = f"{CATALOG_NAME}.Example2024"
PROJECT = Path(__file__).resolve().parents[1]
{%- if cookiecutter.storage == "s3" %}
DEFAULT_TARGET = f"s3://my-bucket/{CATALOG_NAME}"  # your bucket and folder
{%- else %}
DEFAULT_TARGET = str(PROJECT / "store")  # a folder; use a shared drive to share the data
{%- endif %}


def build_stimulus_set(folder: Path) -> StimulusSet:
    """Your stimuli: here 8 synthetic grey images written to ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    rows, paths = [], {}
    for index in range(8):
        stimulus_id = f"image_{index}"
        path = folder / f"{stimulus_id}.png"
        _write_grey_png(path, shade=index * 30, size=16)
        paths[stimulus_id] = path
        rows.append({"stimulus_id": stimulus_id, "shade": index * 30,
                     "category": "dark" if index < 4 else "light"})
    stimulus_set = StimulusSet(rows)
    stimulus_set.stimulus_paths = paths  # where each file is now
    return stimulus_set


def build_assembly(stimulus_set: StimulusSet) -> xr.DataArray:
    """Your recordings: here 2 repetitions x 8 stimuli x 4 synthetic neurons."""
    rng = np.random.default_rng(0)
    stimulus_ids = list(stimulus_set["stimulus_id"]) * 2
    return xr.DataArray(
        rng.normal(size=(len(stimulus_ids), 4)).astype("float32"),
        dims=["presentation", "neuroid"],
        coords={
            "stimulus_id": ("presentation", stimulus_ids),
            "repetition": ("presentation", [0] * 8 + [1] * 8),
            "neuroid_id": ("neuroid", [f"n{i}" for i in range(4)]),
            "region": ("neuroid", ["V4", "V4", "IT", "IT"]),
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default=DEFAULT_TARGET,
                        help=f"storage target (default {DEFAULT_TARGET})")
    parser.add_argument("--replace", action="store_true",
                        help="replace the example if it is already in the catalog")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        stimulus_set = build_stimulus_set(Path(scratch) / "stimuli")
        packaged = package_stimulus_set(
            CATALOG_NAME, stimulus_set, IDENTIFIER, target=args.target, replace=args.replace
        )
        print(f"stimulus set {IDENTIFIER}: csv sha1 {packaged['csv_sha1']}, "
              f"zip sha1 {packaged['zip_sha1']}")
    packaged = package_data_assembly(
        CATALOG_NAME, build_assembly(stimulus_set), IDENTIFIER,
        stimulus_set_identifier=IDENTIFIER, assembly_class_name="NeuronRecordingAssembly",
        target=args.target, replace=args.replace,
    )
    print(f"assembly {IDENTIFIER}: sha1 {packaged['sha1']}")
    for row in packaged.rows:
        print(f"catalog row at {row.where()}: {row.location}")


def _write_grey_png(path: Path, shade: int, size: int) -> None:
    """A tiny greyscale PNG with the standard library only (real data has its own files)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + bytes([shade]) * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


if __name__ == "__main__":
    main()
