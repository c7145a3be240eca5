"""Helpers for the vision plugin's tests: the facts, and a loopback copy of Brain-Score's bucket.

``brainscore_vision_store`` seeds moto's S3 server at the real bucket (``brainscore-storage``)
and the real keys of a few data sets with small synthetic files, builds a catalog for them
with the production :mod:`brainio_vision.make_catalog` code path (sha1s and version ids of the
seeded objects), denies the objects the catalog marks private through a bucket policy, and
swaps that catalog in for the installed one, so loading runs exactly the production path.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

FACTS = Path(__file__).parents[2] / "plugins" / "vision" / "facts" / "vision.csv"
BUCKET = "brainscore-storage"
COLORS = {"car": (200, 30, 30), "dog": (30, 200, 30), "face": (30, 30, 200)}


def read_facts(path: Path = FACTS) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def write_facts(rows: list[dict[str, str]], path: Path) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


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


def public_read_and_deny(bucket: str, denied_keys: list[str]) -> str:
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


@pytest.fixture
def facts_path() -> Path:
    """The facts file the shipped catalog is generated from."""
    return FACTS


@pytest.fixture
def facts() -> list[dict[str, str]]:
    """The rows of the facts file, as dictionaries."""
    return read_facts()


@pytest.fixture
def deny_keys(s3_client):
    """``deny_keys(keys)``: from now on the bucket refuses these keys to everyone."""

    def deny(keys: list[str]) -> None:
        s3_client.put_bucket_policy(Bucket=BUCKET, Policy=public_read_and_deny(BUCKET, keys))

    return deny


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
    """What the store holds: the swapped-in catalog, the seeded values and stimulus tables."""

    catalog_path: Path
    facts_path: Path
    keys: dict[str, str]  # registry key (+ ".csv"/".zip" for stimulus sets) -> S3 key
    values: dict[str, np.ndarray]  # data set registry key -> seeded values
    tables: dict[str, pd.DataFrame]  # stimulus set registry key -> seeded CSV table
    denied: list[str]


@pytest.fixture
def brainscore_vision_store(
    s3_environment, s3_client, make_bucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Store]:
    import brainio.lookup
    from brainio_s3 import client as s3_clients
    from brainio_vision import make_catalog, plugin

    wanted = {"MajajHong2015.public", "hvm-public", "MajajHong2015.private", "hvm-private"}
    facts = [dict(row) for row in read_facts() if row["registry_key"] in wanted]
    make_bucket(BUCKET, versioned=True)
    previous_policy = current_policy(s3_client)
    tables, values, keys = {}, {}, {}
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
    for row in facts:
        extension = row["key"].rsplit(".", 1)[1]
        body = files[row["registry_key"], extension]
        answer = s3_client.put_object(Bucket=BUCKET, Key=row["key"], Body=body)
        row["sha1"] = hashlib.sha1(body).hexdigest()
        row["version_id"] = answer["VersionId"]
        suffix = f".{extension}" if row["lookup_type"] == "stimulus_set" else ""
        keys[row["registry_key"] + suffix] = row["key"]

    facts_path = write_facts(facts, tmp_path / "facts.csv")
    catalog_path = tmp_path / "lookup.csv"
    report = make_catalog.make_catalog(facts_path, catalog_path)
    denied = [
        row["location"].split(".amazonaws.com/", 1)[1]
        for row in report.rows
        if row["access"] == "private"
    ]
    s3_client.put_bucket_policy(Bucket=BUCKET, Policy=public_read_and_deny(BUCKET, denied))
    monkeypatch.setattr(plugin, "CATALOG_PATH", catalog_path)
    s3_clients.clear_clients()
    brainio.lookup.refresh()
    try:
        yield Store(catalog_path, facts_path, keys, values, tables, denied)
    finally:
        restore_policy(s3_client, previous_policy)
        s3_clients.clear_clients()
        monkeypatch.undo()
        brainio.lookup.refresh()
