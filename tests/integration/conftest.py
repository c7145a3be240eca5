"""A small but complete local catalog (stimulus set + assembly) written to a temp folder."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import brainio
from brainio.catalogs import COLUMNS, Catalog
from brainio.hashing import sha1_hash

N_STIMULI = 12


def write_package(folder: Path) -> dict[str, Path]:
    """Stimulus CSV + ZIP (with a subfolder and an extra file) and an assembly netCDF file."""
    from brainio.assemblies import NeuronRecordingAssembly
    from brainio.netcdf import write_netcdf

    folder.mkdir(parents=True, exist_ok=True)
    ids = [f"s{i:02d}" for i in range(N_STIMULI)]
    filenames = [f"images/{sid}.png" for sid in ids]
    stimuli = pd.DataFrame(
        {
            "stimulus_id": ids,
            "filename": filenames,
            "category": ["face", "car", "dog"] * (N_STIMULI // 3),
        }
    )
    stimuli.to_csv(folder / "stimulus_test_twelve.csv", index=False)
    with zipfile.ZipFile(folder / "stimulus_test_twelve.zip", "w") as archive:
        for i, name in enumerate(filenames):
            archive.writestr(name, b"\x89PNG\r\n\x1a\n" + bytes([i]) * 32)
        archive.writestr("README.txt", "an extra file no row references")

    rng = np.random.default_rng(0)
    presentations = N_STIMULI * 2
    assembly = NeuronRecordingAssembly(
        rng.normal(size=(presentations, 4, 2)).astype("float32"),
        coords={
            "stimulus_id": ("presentation", ids * 2),
            "repetition": ("presentation", [0] * N_STIMULI + [1] * N_STIMULI),
            "neuroid_id": ("neuroid", ["n0", "n1", "n2", "n3"]),
            "region": ("neuroid", ["V4", "V4", "IT", "IT"]),
            "time_bin_start": ("time_bin", [70, 170]),
            "time_bin_end": ("time_bin", [170, 270]),
        },
        dims=["presentation", "neuroid", "time_bin"],
    )
    assembly.attrs["identifier"] = "test.Twelve2026"
    assembly.attrs["stimulus_set_identifier"] = "test.twelve"
    write_netcdf(assembly, folder / "assy_test_Twelve2026.nc")
    return {
        "csv": folder / "stimulus_test_twelve.csv",
        "zip": folder / "stimulus_test_twelve.zip",
        "nc": folder / "assy_test_Twelve2026.nc",
    }


def catalog_rows(files: dict[str, Path], location_type: str = "local") -> list[str]:
    def sha(key: str) -> str:
        return sha1_hash(files[key])

    return [
        f"test.twelve,stimulus_set,StimulusSet,{location_type},{files['csv'].name},{sha('csv')},",
        f"test.twelve,stimulus_set,,{location_type},{files['zip'].name},{sha('zip')},",
        f"test.Twelve2026,assembly,NeuronRecordingAssembly,{location_type},{files['nc'].name},"
        f"{sha('nc')},test.twelve",
    ]


@pytest.fixture
def local_package(tmp_path, register_catalogs):
    """Files plus a registered catalog ``test_local`` pointing at them by relative path.

    Returns ``(files, install, rows)``: ``install(rows)`` replaces the catalog's rows and
    ``rows()`` gives the rows matching the files as they are now (sha1s recomputed).
    """
    files = write_package(tmp_path / "store")
    plugin = register_catalogs()

    def install(rows: list[str]) -> Catalog:
        path = files["csv"].parent / "lookup.csv"
        path.write_text("\n".join([",".join(COLUMNS), *rows]) + "\n")
        catalog = Catalog.from_files("test_local", path)
        plugin.catalogs = [catalog]
        brainio.lookup.refresh()
        return catalog

    install(catalog_rows(files))
    return files, install, lambda: catalog_rows(files)
