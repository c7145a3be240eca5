"""Helpers for the language plugin's tests: the facts, and a loopback copy of Brain-Score's bucket.

``brainscore_language_store`` seeds moto's S3 server at the real bucket (``brainscore-storage``)
and the real keys of two data sets with small synthetic netCDF files (sentences and words as
``presentation`` coordinates, no stimulus archive), plus one held-out data set that exists only
in the test facts. It builds their catalog with the production
:mod:`brainio_language.make_catalog` code path, denies the private object through a bucket
policy and swaps the catalog in for the installed one.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

FACTS = Path(__file__).parents[2] / "plugins" / "language" / "facts" / "language.csv"
BUCKET = "brainscore-storage"
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


def policy(bucket: str, denied_keys: list[str]) -> str:
    """Anyone may read the bucket (as Brain-Score's public data), except ``denied_keys``."""
    statements = [
        {
            "Sid": "PublicRead",
            "Effect": "Allow",
            "Principal": "*",
            "Action": ["s3:GetObject", "s3:HeadObject"],
            "Resource": f"arn:aws:s3:::{bucket}/*",
        }
    ]
    if denied_keys:
        statements.append(
            {
                "Sid": "HeldOut",
                "Effect": "Deny",
                "Principal": "*",
                "Action": ["s3:GetObject", "s3:HeadObject"],
                "Resource": [f"arn:aws:s3:::{bucket}/{key}" for key in denied_keys],
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def current_policy(s3_client) -> str | None:
    """The bucket's policy, to restore after a test (other tests may share the bucket)."""
    try:
        return s3_client.get_bucket_policy(Bucket=BUCKET)["Policy"]
    except s3_client.exceptions.ClientError:
        return None


def restore_policy(s3_client, previous: str | None) -> None:
    if previous is None:
        s3_client.delete_bucket_policy(Bucket=BUCKET)
    else:
        s3_client.put_bucket_policy(Bucket=BUCKET, Policy=previous)


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
def deny_keys(s3_client):
    """``deny_keys(keys)``: from now on the bucket refuses these keys to everyone."""

    def deny(keys: list[str]) -> None:
        s3_client.put_bucket_policy(Bucket=BUCKET, Policy=policy(BUCKET, keys))

    return deny


@pytest.fixture
def brainscore_language_store(
    s3_environment, s3_client, make_bucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Store]:
    import brainio.lookup
    from brainio_language import make_catalog, plugin
    from brainio_s3 import client as s3_clients

    real = {row["registry_key"]: row for row in read_facts()}
    held_out = dict(
        real["Pereira2018.language"],
        registry_key="Lab2026.private",
        identifier="Lab2026.private",
        key="brainscore-language/assy_Lab2026_private.nc",
        plugin="lab2026",
    )
    facts = [dict(real["Pereira2018.language"]), dict(real["Futrell2018"]), held_out]
    make_bucket(BUCKET, versioned=True)
    previous_policy = current_policy(s3_client)
    bodies = {
        "Pereira2018.language": sentence_assembly(tmp_path / "pereira.nc", seed=0),
        "Futrell2018": reading_times(tmp_path / "futrell.nc"),
        "Lab2026.private": sentence_assembly(tmp_path / "private.nc", seed=1),
    }
    for row in facts:
        body = bodies[row["registry_key"]][0]
        s3_client.put_object(Bucket=BUCKET, Key=row["key"], Body=body)
        row["sha1"] = hashlib.sha1(body).hexdigest()  # version_id stays empty, as in production
    facts_path = tmp_path / "facts.csv"
    with open(facts_path, "w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=list(facts[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(facts)
    catalog_path = tmp_path / "lookup.csv"
    report = make_catalog.make_catalog(facts_path, catalog_path)
    denied = [
        row["location"].split(".amazonaws.com/", 1)[1]
        for row in report.rows
        if row["access"] == "private"
    ]
    s3_client.put_bucket_policy(Bucket=BUCKET, Policy=policy(BUCKET, denied))
    monkeypatch.setattr(plugin, "CATALOG_PATH", catalog_path)
    s3_clients.clear_clients()
    brainio.lookup.refresh()
    try:
        yield Store(
            catalog_path=catalog_path,
            keys={row["registry_key"]: row["key"] for row in facts},
            values={key: body[1] for key, body in bodies.items()},
            texts={"Pereira2018.language": SENTENCES, "Futrell2018": WORDS},
            denied=denied,
        )
    finally:
        restore_policy(s3_client, previous_policy)
        s3_clients.clear_clients()
        monkeypatch.undo()
        brainio.lookup.refresh()
