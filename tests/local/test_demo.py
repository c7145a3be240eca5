"""The embedded demo catalog: committed files, their reproducibility, and loading them."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from brainio_local.demo import (
    ASSEMBLY_IDENTIFIER,
    CATALOG_NAME,
    CATALOG_PATH,
    DEMO_DIR,
    STIMULUS_SET_IDENTIFIER,
    make_demo_data,
)

HEADER = "identifier,lookup_type,class,location_type,location,sha1,stimulus_set_identifier"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def sha1_of(path: Path) -> str:
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha1").hexdigest()


def catalog_rows() -> list[dict[str, str]]:
    return pd.read_csv(CATALOG_PATH, dtype=str, keep_default_na=False).to_dict("records")


def test_catalog_has_the_exact_header_and_relative_local_rows() -> None:
    assert CATALOG_PATH.read_text().splitlines()[0] == HEADER
    rows = catalog_rows()
    assert [(r["identifier"], r["lookup_type"], r["class"]) for r in rows] == [
        (STIMULUS_SET_IDENTIFIER, "stimulus_set", "StimulusSet"),
        (STIMULUS_SET_IDENTIFIER, "stimulus_set", ""),
        (ASSEMBLY_IDENTIFIER, "assembly", "NeuronRecordingAssembly"),
    ]
    assert {r["location_type"] for r in rows} == {"local"}
    assert all("/" not in r["location"] for r in rows)  # next to lookup.csv
    assert rows[2]["stimulus_set_identifier"] == STIMULUS_SET_IDENTIFIER


def test_committed_files_match_their_catalog_sha1() -> None:
    total = 0
    for row in catalog_rows():
        path = DEMO_DIR / row["location"]
        assert sha1_of(path) == row["sha1"], f"{path} changed since lookup.csv was written"
        total += path.stat().st_size
    assert total < 150_000  # small enough to commit


def test_regenerating_gives_the_same_data(tmp_path: Path) -> None:
    """The generator reproduces the committed demo: same CSV, same pixels, same recording.

    Content is compared rather than bytes: PNG encoders and netCDF/HDF5 (which stamps its own
    version into every file) may change bytes between releases without changing the data.
    """
    import zipfile

    from PIL import Image

    from brainio.netcdf import read_dataarray

    make_demo_data.main(tmp_path)
    hint = "rerun `python -m brainio_local.demo.make_demo_data` and commit the files"
    new = {row["lookup_type"] + (row["class"] or "zip"): row for row in _rows(tmp_path)}
    old = {row["lookup_type"] + (row["class"] or "zip"): row for row in catalog_rows()}
    assert {k: {**r, "sha1": ""} for k, r in new.items()} == {
        k: {**r, "sha1": ""} for k, r in old.items()
    }, hint
    csv = old["stimulus_setStimulusSet"]["location"]
    assert (tmp_path / csv).read_bytes() == (DEMO_DIR / csv).read_bytes(), hint

    location = old["stimulus_setzip"]["location"]
    with (
        zipfile.ZipFile(tmp_path / location) as fresh,
        zipfile.ZipFile(DEMO_DIR / location) as committed,
    ):
        assert fresh.namelist() == committed.namelist(), hint
        for name in committed.namelist():
            with fresh.open(name) as a, committed.open(name) as b:
                assert np.array_equal(np.asarray(Image.open(a)), np.asarray(Image.open(b))), name

    location = old["assemblyNeuronRecordingAssembly"]["location"]
    fresh_array = read_dataarray(tmp_path / location).load()
    committed_array = read_dataarray(DEMO_DIR / location).load()
    assert fresh_array.identical(committed_array), hint


def _rows(folder: Path) -> list[dict[str, str]]:
    return pd.read_csv(folder / "lookup.csv", dtype=str, keep_default_na=False).to_dict("records")


def test_stimulus_zip_is_reproducible_by_construction() -> None:
    import zipfile

    with zipfile.ZipFile(DEMO_DIR / make_demo_data.STIMULUS_ZIP) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.compress_type for i in infos} == {zipfile.ZIP_STORED}
    assert len(infos) == 48


def test_catalog_is_registered_by_the_plugin() -> None:
    from brainio import lookup

    catalog = lookup.get_catalog(CATALOG_NAME)
    assert Path(catalog.source_path) == CATALOG_PATH
    assert STIMULUS_SET_IDENTIFIER in lookup.list_stimulus_sets()
    assert ASSEMBLY_IDENTIFIER in lookup.list_assemblies()


def test_stimulus_set_loads_from_the_embedded_files() -> None:
    from PIL import Image

    from brainio import get_stimulus_set

    stimuli = get_stimulus_set(STIMULUS_SET_IDENTIFIER)
    assert type(stimuli).__name__ == "StimulusSet"
    assert stimuli.identifier == STIMULUS_SET_IDENTIFIER
    assert len(stimuli) == 48 and stimuli["stimulus_id"].is_unique
    assert stimuli["category"].value_counts().to_dict() == {
        "circle": 12,
        "square": 12,
        "triangle": 12,
        "star": 12,
    }
    assert {"filename", "color", "size", "position", "rotation"} <= set(stimuli.columns)
    for stimulus_id in stimuli["stimulus_id"]:
        path = Path(stimuli.get_stimulus(stimulus_id))
        assert path.read_bytes()[:8] == PNG_SIGNATURE
    with Image.open(stimuli.get_stimulus("shape00")) as image:
        assert image.size == (64, 64)


def test_assembly_loads_with_its_coordinates_and_plausible_responses() -> None:
    from brainio import get_assembly
    from brainio_local.demo.command import mean_response_by_category

    assembly = get_assembly(ASSEMBLY_IDENTIFIER)
    assert type(assembly).__name__ == "NeuronRecordingAssembly"
    assert assembly.dims == ("presentation", "neuroid", "time_bin")
    assert assembly.shape == (192, 16, 5) and assembly.dtype == np.float32
    for name in (
        "stimulus_id",
        "repetition",
        "category",  # category merged from the stimuli
        "neuroid_id",
        "region",
        "animal",
        "electrode",
        "time_bin_start",
        "time_bin_end",
    ):
        assert name in assembly.coords, name
    assert (pd.Series(assembly["stimulus_id"].values).value_counts() == 4).all()
    assert set(assembly["region"].values) == {"V4", "IT"}

    # before any latency the sites fire at baseline; V4 responds before IT
    baseline = assembly.isel(time_bin=0).mean().item()
    v4 = assembly.isel(neuroid=assembly["region"].values == "V4").mean(["presentation", "neuroid"])
    it = assembly.isel(neuroid=assembly["region"].values == "IT").mean(["presentation", "neuroid"])
    assert baseline < 12
    assert int(v4.argmax("time_bin")) < int(it.argmax("time_bin"))
    assert it.max().item() > 2 * baseline

    # IT category preferences are a property of the sites, not of the noise:
    # the two halves of the repetitions agree on every IT site's preferred category
    it_sites = assembly.isel(neuroid=assembly["region"].values == "IT", time_bin=2)
    categories = pd.Series(
        dict(zip(it_sites["stimulus_id"].values, it_sites["category"].values, strict=True))
    )
    halves = []
    for repetitions in ([0, 1], [2, 3]):
        half = it_sites.isel(presentation=np.isin(it_sites["repetition"].values, repetitions))
        frame = pd.DataFrame(half.values, index=categories.loc[half["stimulus_id"].values])
        halves.append(frame.groupby(level=0).mean().idxmax())
    assert (halves[0] == halves[1]).all()

    means = mean_response_by_category(assembly, pd.DataFrame({"category": categories.values}))
    assert list(means.index) == list(dict.fromkeys(categories.values))
    assert means.shape == (4, 5)


@pytest.mark.slow
def test_brainio_demo_command_writes_a_png(tmp_path: Path) -> None:
    brainio = Path(sys.executable).parent / "brainio"
    output = tmp_path / "plots" / "demo.png"
    result = subprocess.run(
        [str(brainio), "demo", "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "MPLCONFIGDIR": str(tmp_path / "mpl")},
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for expected in (
        f"Catalog '{CATALOG_NAME}'",
        STIMULUS_SET_IDENTIFIER,
        ASSEMBLY_IDENTIFIER,
        "48 stimuli",
        "NeuronRecordingAssembly",
        "presentation 192",
        "neuroid 16",
        "time_bin 5",
        "circle (12)",
        "star (12)",
        "regions: IT, V4",
        "100-150 ms",
        f"Plot written to {output}",
    ):
        assert expected in out, f"{expected!r} missing from:\n{out}"
    data = output.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert len(data) > 20_000
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (900, 600)


@pytest.mark.slow
def test_brainio_demo_default_output_is_in_the_current_folder(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "brainio.cli", "demo"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "MPLCONFIGDIR": str(tmp_path / "mpl")},
    )
    assert result.returncode == 0, result.stderr
    assert f"Plot written to {tmp_path / 'brainio-demo.png'}" in result.stdout
    assert (tmp_path / "brainio-demo.png").read_bytes()[:8] == PNG_SIGNATURE


def test_brainio_demo_without_matplotlib_says_what_to_install(tmp_path: Path) -> None:
    hide_matplotlib = (
        "import sys; sys.modules['matplotlib'] = None; sys.modules['matplotlib.figure'] = None; "
        "sys.argv = ['brainio', 'demo']; from brainio.cli import main; main()"
    )
    result = subprocess.run(
        [sys.executable, "-c", hide_matplotlib],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert "matplotlib, which is not installed" in result.stderr
    assert "pip install 'brainio-local[demo]'" in result.stderr
    assert not (tmp_path / "brainio-demo.png").exists()
