"""Helpers for the language plugin's tests: the facts, and a loopback copy of Brain-Score's bucket.

``brainscore_language_store`` makes small synthetic netCDF files (sentences and words as
``presentation`` coordinates, no stimulus archive) for two real data sets and one held-out data
set that exists only in the test facts, and hands them to ``seed_catalog``
(:mod:`brainio_s3.testing`): it puts them at the real bucket (``brainscore-storage``) and keys
on moto's S3 server, builds their catalog with the production
``make_language_catalog`` code path, denies the private object and swaps the catalog
in for the installed one.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

FACTS = Path(__file__).parents[2] / "plugins" / "language" / "facts" / "language.csv"
SENTENCES = [
    "Beekeeping encourages the conservation of local habitats.",
    "It is in every beekeeper's interest to conserve local plants.",
    "A piano is a large keyboard instrument.",
    "Ünïcode sentences survive the round trip.",
]
WORDS = ["If", "you", "were", "to", "journey", "north"]


def read_facts(path: Path = FACTS) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def sentence_assembly(path: Path, seed: int) -> tuple[bytes, np.ndarray]:
    """A Pereira2018-like NeuroidAssembly: sentences x voxels, sentences as coordinates."""
    from brainio.assemblies import NeuroidAssembly
    from brainio.netcdf import write_netcdf

    values = np.random.default_rng(seed).normal(size=(len(SENTENCES), 3))
    assembly = NeuroidAssembly(
        values,
        coords={
            "stimulus": ("presentation", SENTENCES),
            "stimulus_id": ("presentation", np.arange(len(SENTENCES))),
            "passage_label": ("presentation", ["beekeeping", "beekeeping", "piano", "unicode"]),
            "experiment": ("presentation", ["384sentences"] * len(SENTENCES)),
            "neuroid_id": ("neuroid", ["018.1", "018.2", "199.1"]),
            "subject": ("neuroid", ["018", "018", "199"]),
            "atlas": ("neuroid", ["language"] * 3),
        },
        dims=["presentation", "neuroid"],
    )
    write_netcdf(assembly, path)
    return path.read_bytes(), values


def reading_times(path: Path) -> tuple[bytes, np.ndarray]:
    """A Futrell2018-like assembly: words x subjects (reading times), words as coordinates."""
    from brainio.assemblies import BehavioralAssembly
    from brainio.netcdf import write_netcdf

    values = np.arange(len(WORDS) * 2, dtype=float).reshape(len(WORDS), 2) * 10 + 200
    assembly = BehavioralAssembly(
        values,
        coords={
            "word": ("presentation", WORDS),
            "word_id": ("presentation", np.arange(len(WORDS))),
            "sentence_id": ("presentation", [0] * len(WORDS)),
            "story_id": ("presentation", [1] * len(WORDS)),
            "stimulus_id": ("presentation", np.arange(len(WORDS))),
            "subject_id": ("subject", ["A1", "A2"]),
        },
        dims=["presentation", "subject"],
    )
    write_netcdf(assembly, path)
    return path.read_bytes(), values


@dataclass
class Store:
    catalog_path: Path
    keys: dict[str, str]  # registry key -> S3 key
    values: dict[str, np.ndarray]  # registry key -> seeded values
    texts: dict[str, list[str]]  # registry key -> its sentences or words, in order
    denied: list[str]


@pytest.fixture
def facts() -> list[dict[str, str]]:
    """The rows of the facts file the shipped catalog is generated from."""
    return read_facts()


@pytest.fixture
def facts_path() -> Path:
    return FACTS


@pytest.fixture
def brainscore_language_store(seed_catalog, tmp_path: Path) -> Store:
    import make_language_catalog as make_catalog

    from brainio_language import plugin

    real = {row["registry_key"]: row for row in read_facts()}
    held_out = dict(
        real["Pereira2018.language"],
        registry_key="Lab2026.private",
        identifier="Lab2026.private",
        key="brainscore-language/assy_Lab2026_private.nc",
        plugin="lab2026",
    )
    facts = [real["Pereira2018.language"], real["Futrell2018"], held_out]
    bodies = {
        "Pereira2018.language": sentence_assembly(tmp_path / "pereira.nc", seed=0),
        "Futrell2018": reading_times(tmp_path / "futrell.nc"),
        "Lab2026.private": sentence_assembly(tmp_path / "private.nc", seed=1),
    }
    seeded = seed_catalog(
        facts,
        lambda row: bodies[row["registry_key"]][0],
        make_catalog=make_catalog.make_catalog,
        plugin=plugin,
        version_ids=False,  # version_id stays empty, as in production
    )
    return Store(
        catalog_path=seeded.catalog_path,
        keys={row["registry_key"]: row["key"] for row in seeded.facts},
        values={key: body[1] for key, body in bodies.items()},
        texts={"Pereira2018.language": SENTENCES, "Futrell2018": WORDS},
        denied=seeded.denied,
    )
