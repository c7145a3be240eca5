"""`brainio package stimulus-set|assembly` from files on disk, and `brainio new-catalog`."""

from __future__ import annotations

import json

import pandas as pd
import xarray as xr

from brainio.catalogs import Catalog
from brainio.netcdf import list_groups, read_dataarray, write_netcdf


def _files_on_disk(tmp_path, make_stimuli):
    """A lab's data: stimuli.csv with file names, a folder of images, a netCDF of recordings."""
    stimuli = make_stimuli(tmp_path / "images", count=4)
    table = pd.DataFrame(stimuli)
    table["file"] = [f"{sid}.png" for sid in stimuli["stimulus_id"]]
    table.to_csv(tmp_path / "stimuli.csv", index=False)
    return stimuli


def test_package_stimulus_set_and_assembly_from_files(
    tmp_path, make_stimuli, make_assembly, run_cli
):
    stimuli = _files_on_disk(tmp_path, make_stimuli)
    catalog = tmp_path / "cat" / "lookup.csv"
    catalog.parent.mkdir()
    result = run_cli(
        "package",
        "stimulus-set",
        "lab.Files2024",
        "--csv",
        str(tmp_path / "stimuli.csv"),
        "--stimuli-dir",
        str(tmp_path / "images"),
        "--file-column",
        "file",
        "--catalog-path",
        str(catalog),
        "--target",
        "store",
        "--json",
        cwd=tmp_path,
    )
    packaged = json.loads(result.stdout)
    assert packaged["bucket"] == (tmp_path / "store").as_uri()
    assert [row["class"] for row in packaged["rows"]] == ["StimulusSet", ""]
    csv = pd.read_csv(tmp_path / "store" / "stimulus_lab_Files2024.csv")
    assert list(csv.columns) == ["stimulus_id", "category", "size", "filename"]

    recordings = tmp_path / "recordings.nc"
    write_netcdf(make_assembly(list(stimuli["stimulus_id"])), recordings)
    extra = xr.DataArray([0.5, 1.5], dims=["event"], coords={"event_id": ("event", [1, 2])})
    write_netcdf(extra, recordings, append=True, group="events")
    result = run_cli(
        "package",
        "assembly",
        "lab.Files2024",
        str(recordings),
        "--stimulus-set",
        "lab.Files2024",
        "--class",
        "NeuroidAssembly",
        "--catalog-path",
        str(catalog),
        "--target",
        str(tmp_path / "store"),
    )
    assert "Packaged 'lab.Files2024'" in result.stdout
    assert "NeuroidAssembly: file://" in result.stdout
    stored = tmp_path / "store" / "assy_lab_Files2024.nc"
    assert list_groups(stored) == ["events"]
    assert read_dataarray(stored).attrs["identifier"] == "lab.Files2024"
    rows = Catalog.from_files("lab", catalog)
    assert list(rows["lookup_type"]) == ["stimulus_set", "stimulus_set", "assembly"]


def test_package_errors_are_one_line(tmp_path, make_stimuli, run_cli):
    _files_on_disk(tmp_path, make_stimuli)
    result = run_cli(
        "package",
        "stimulus-set",
        "lab.Files2024",
        "--csv",
        str(tmp_path / "stimuli.csv"),
        "--stimuli-dir",
        str(tmp_path / "images"),
        "--target",
        "store",
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert "PackagingError" in result.stderr and "no 'filename' column" in result.stderr
    assert "Traceback" not in result.stderr
    result = run_cli(
        "package",
        "stimulus-set",
        "lab/x",
        "--csv",
        str(tmp_path / "stimuli.csv"),
        "--stimuli-dir",
        str(tmp_path / "images"),
        "--file-column",
        "file",
        "--target",
        "store",
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 1 and "may only contain letters" in result.stderr
    assert not (tmp_path / "store").exists()


def test_new_catalog_refuses_bad_names(tmp_path, run_cli):
    for name, reason in [
        ("My-Lab", "cannot be a Python package name"),
        ("class", "is a Python keyword"),
        ("json", "would shadow the module"),
        ("brainio", "would shadow the module"),
    ]:
        result = run_cli("new-catalog", name, "--output-dir", str(tmp_path), check=False)
        assert result.returncode == 1, name
        assert reason in result.stderr, result.stderr
    assert list(tmp_path.iterdir()) == []
