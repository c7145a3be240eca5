"""Helpers for the vision plugin's tests: the facts, and a loopback copy of Brain-Score's bucket.

``brainscore_vision_store`` makes small synthetic files for a few data sets and hands them to
``seed_catalog`` (:mod:`brainio_s3.testing`), which puts them at the real bucket
(``brainscore-storage``) and keys on moto's S3 server, builds their catalog with the production
``make_vision_catalog`` code path (sha1s and version ids of the seeded objects),
denies the objects the catalog marks private and swaps that catalog in for the installed one,
so loading runs exactly the production path.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

FACTS = Path(__file__).parents[2] / "plugins" / "vision" / "facts" / "vision.csv"
COLORS = {"car": (200, 30, 30), "dog": (30, 200, 30), "face": (30, 30, 200)}


def read_facts(path: Path = FACTS) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def png_bytes(color: tuple[int, int, int], size: tuple[int, int] = (8, 6)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def stimulus_files(identifier: str, n: int = 4) -> tuple[bytes, bytes, pd.DataFrame]:
    """CSV and ZIP of a small image stimulus set, packaged the BrainIO way (flat zip)."""
    categories = list(COLORS)
    table = pd.DataFrame(
        {
            "stimulus_id": [f"{identifier}_{i}" for i in range(n)],
            "object_name": [categories[i % len(categories)] for i in range(n)],
            "variation": [i % 2 for i in range(n)],
        }
    )
    table["filename"] = [f"{sid}.png" for sid in table["stimulus_id"]]
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        for filename, category in zip(table["filename"], table["object_name"], strict=True):
            zipped.writestr(filename, png_bytes(COLORS[category]))
    return table.to_csv(index=False).encode(), archive.getvalue(), table


def recording_file(stimulus_ids: list[str], path: Path, seed: int) -> tuple[bytes, np.ndarray]:
    """A small NeuronRecordingAssembly (presentation x neuroid x time_bin) as netCDF bytes."""
    from brainio.assemblies import NeuronRecordingAssembly
    from brainio.netcdf import write_netcdf

    repetitions, neuroids = 2, 3
    values = np.random.default_rng(seed).normal(size=(len(stimulus_ids) * repetitions, neuroids, 1))
    assembly = NeuronRecordingAssembly(
        values,
        coords={
            "stimulus_id": ("presentation", stimulus_ids * repetitions),
            "repetition": ("presentation", np.repeat(np.arange(repetitions), len(stimulus_ids))),
            "neuroid_id": ("neuroid", [f"Chabo_L_M_{i}" for i in range(neuroids)]),
            "region": ("neuroid", ["V4", "IT", "IT"]),
            "time_bin_start": ("time_bin", [70]),
            "time_bin_end": ("time_bin", [170]),
        },
        dims=["presentation", "neuroid", "time_bin"],
    )
    write_netcdf(assembly, path)
    return path.read_bytes(), values


@pytest.fixture
def facts_path() -> Path:
    """The facts file the shipped catalog is generated from."""
    return FACTS


@pytest.fixture
def facts() -> list[dict[str, str]]:
    """The rows of the facts file, as dictionaries."""
    return read_facts()


@dataclass
class Store:
    """What the store holds: the swapped-in catalog, the seeded values and stimulus tables."""

    catalog_path: Path
    facts_path: Path
    keys: dict[str, str]  # registry key (+ ".csv"/".zip" for stimulus sets) -> S3 key
    values: dict[str, np.ndarray]  # data set registry key -> seeded values
    tables: dict[str, pd.DataFrame]  # stimulus set registry key -> seeded CSV table
    denied: list[str]


@pytest.fixture
def brainscore_vision_store(seed_catalog, tmp_path: Path) -> Store:
    import make_vision_catalog as make_catalog

    from brainio_vision import plugin

    wanted = {"MajajHong2015.public", "hvm-public", "MajajHong2015.private", "hvm-private"}
    facts = [row for row in read_facts() if row["registry_key"] in wanted]
    tables, values = {}, {}
    files: dict[tuple[str, str], bytes] = {}
    for row in facts:
        if row["lookup_type"] == "stimulus_set" and row["key"].endswith(".csv"):
            csv_bytes, zip_bytes, table = stimulus_files(row["identifier"])
            files[row["registry_key"], "csv"] = csv_bytes
            files[row["registry_key"], "zip"] = zip_bytes
            tables[row["registry_key"]] = table
    for seed, row in enumerate(facts):
        if row["lookup_type"] == "assembly":
            ids = list(tables[row["stimulus_set_registry_key"]]["stimulus_id"])
            nc_path = tmp_path / Path(row["key"]).name
            files[row["registry_key"], "nc"], values[row["registry_key"]] = recording_file(
                ids, nc_path, seed
            )

    def extension(row: dict[str, str]) -> str:
        return row["key"].rsplit(".", 1)[1]

    seeded = seed_catalog(
        facts,
        lambda row: files[row["registry_key"], extension(row)],
        make_catalog=make_catalog.make_catalog,
        plugin=plugin,
    )
    keys = {
        row["registry_key"]
        + (f".{extension(row)}" if row["lookup_type"] == "stimulus_set" else ""): row["key"]
        for row in seeded.facts
    }
    return Store(seeded.catalog_path, seeded.facts_path, keys, values, tables, seeded.denied)
