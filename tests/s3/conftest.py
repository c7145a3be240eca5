"""Fixtures of the S3 plugin's tests, on top of :mod:`brainio_s3.testing`.

That pytest plugin (loaded by the root ``conftest.py``) provides the moto server
(``moto_endpoint``), ``s3_client``, ``make_bucket`` and the fault-injecting ``proxy``; here:

* ``s3_env`` (autouse): boto3 pointed at moto with fake credentials and short timeouts;
* ``s3``: the client to arrange buckets and objects with (never through the proxy);
* ``dead_endpoint``, ``no_credentials``, ``package_example``, ``catalog_plugin``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest

from brainio import hookimpl
from brainio_s3.testing import free_port


@pytest.fixture
def dead_endpoint() -> str:
    """An endpoint on loopback where nothing listens."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture(autouse=True)
def s3_env(s3_environment: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """boto3 in this test talks to moto, with fake credentials and short timeouts."""
    env = {**s3_environment, "BRAINIO_S3_READ_TIMEOUT": "5", "BRAINIO_S3_CONNECT_TIMEOUT": "2"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def s3(s3_client):
    return s3_client


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """No AWS credentials anywhere: requests go unsigned."""
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")


# --- packaging an example stimulus set and assembly to S3 -------------------------------------


@attrs.frozen
class Packaged:
    catalog_path: Path
    stimulus_set_identifier: str
    assembly_identifier: str
    keys: tuple[str, ...]
    assembly: object


def _package_example(
    tmp_path: Path,
    target: str,
    catalog_path: Path,
    *,
    stimuli: int = 6,
    neuroids: int = 4,
    repetitions: int = 2,
    name: str | None = None,
) -> Packaged:
    """Package a small stimulus set and a NeuroidAssembly to ``target`` (``s3://bucket/folder``)
    with the S3 uploader and append their rows to ``catalog_path``."""
    import zipfile

    import numpy as np
    import pandas as pd

    from brainio.assemblies import NeuroidAssembly
    from brainio.netcdf import write_netcdf
    from brainio.packaging.catalog_append import append_rows
    from brainio.plugins import get_plugin_manager
    from brainio.records import LookupRow

    name = name or f"Test{uuid.uuid4().hex[:6]}"
    set_id, assembly_id = f"lab.{name}", f"lab.{name}.public"
    work = tmp_path / f"package-{name}"
    work.mkdir(parents=True)
    rng = np.random.default_rng(0)
    ids = [f"stim_{i}" for i in range(stimuli)]
    csv_path = work / f"stimulus_{set_id.replace('.', '_')}.csv"
    zip_path = work / f"stimulus_{set_id.replace('.', '_')}.zip"
    pd.DataFrame(
        {
            "stimulus_id": ids,
            "label": [f"label{i % 3}" for i in range(stimuli)],
            "filename": [f"{i}.png" for i in ids],
        }
    ).to_csv(csv_path, index=False)
    with zipfile.ZipFile(zip_path, "w") as archive:
        for stimulus_id in ids:
            archive.writestr(f"{stimulus_id}.png", rng.bytes(200))
    presentations = stimuli * repetitions
    assembly = NeuroidAssembly(
        rng.normal(size=(presentations, neuroids)).astype("float32"),
        coords={
            "stimulus_id": ("presentation", ids * repetitions),
            "repetition": ("presentation", np.repeat(np.arange(repetitions), stimuli)),
            "neuroid_id": ("neuroid", [f"n{i}" for i in range(neuroids)]),
            "region": ("neuroid", ["IT"] * neuroids),
        },
        dims=["presentation", "neuroid"],
    )
    assembly.attrs["stimulus_set_identifier"] = set_id
    nc_path = work / f"assy_{assembly_id.replace('.', '_')}.nc"
    nc_sha1 = write_netcdf(assembly, nc_path)

    upload = get_plugin_manager().hook.brainio_uploader(target=target)
    from brainio.hashing import sha1_hash

    def row(
        path: Path,
        identifier: str,
        lookup_type: str,
        cls: str | None,
        sha1: str,
        stimulus_set_identifier: str | None = None,
    ) -> LookupRow:
        stored = upload(path, path.name)
        return LookupRow(
            identifier=identifier,
            lookup_type=lookup_type,
            class_name=cls,
            location_type=stored.location_type,
            location=stored.location,
            sha1=sha1,
            stimulus_set_identifier=stimulus_set_identifier,
            extra={"version_id": stored.version_id or ""},
        )

    append_rows(
        catalog_path,
        [
            row(csv_path, set_id, "stimulus_set", "StimulusSet", sha1_hash(csv_path)),
            row(zip_path, set_id, "stimulus_set", None, sha1_hash(zip_path)),
        ],
        catalog_name="s3test",
    )
    append_rows(
        catalog_path,
        [
            row(
                nc_path,
                assembly_id,
                "assembly",
                "NeuroidAssembly",
                nc_sha1,
                stimulus_set_identifier=set_id,
            )
        ],
        catalog_name="s3test",
    )
    keys = tuple(p.name for p in (csv_path, zip_path, nc_path))
    return Packaged(catalog_path, set_id, assembly_id, keys, assembly)


@pytest.fixture
def package_example() -> Callable[..., Packaged]:
    """``package_example(tmp_path, "s3://bucket/folder", catalog_path)`` -> :class:`Packaged`."""
    return _package_example


class CatalogPlugin:
    """An in-test plugin contributing one catalog file."""

    def __init__(self, name: str, path: Path):
        self.name, self.path = name, path

    @hookimpl
    def brainio_catalogs(self, register) -> None:
        from brainio.catalogs import Catalog

        register(Catalog.from_files(self.name, self.path))


@pytest.fixture
def register_catalog(register_plugin) -> Callable[[Path], None]:
    """``register_catalog(lookup_csv)``: make a catalog file visible to ``get_assembly``."""

    def register(path: Path, name: str = "s3test") -> None:
        register_plugin(CatalogPlugin(name, path))

    return register
