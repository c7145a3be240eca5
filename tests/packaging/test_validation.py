"""Every packaging check: the error class, a message naming the problem, nothing written."""

from __future__ import annotations

import os
import re

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from brainio.errors import PackagingError
from brainio.packaging import package_data_assembly, package_stimulus_set
from brainio.packaging.checks import check_naming_convention, check_stimulus_numbers
from brainio.stimuli import StimulusSet


def _listing(folder):
    return sorted(folder.rglob("*")) if folder.exists() else []


@pytest.fixture
def package(catalog_path, store):
    """Package a stimulus set and check that nothing was uploaded or catalogued on failure."""

    def run(proto, identifier="lab.Test2024", **kwargs):
        before = catalog_path.read_bytes(), _listing(store)
        try:
            return package_stimulus_set(
                "lab", proto, identifier, target=store, catalog_path=catalog_path, **kwargs
            )
        except PackagingError:
            assert (catalog_path.read_bytes(), _listing(store)) == before
            raise

    return run


@pytest.mark.parametrize(
    ("identifier", "message"),
    [
        ("lab/Test2024", "may only contain letters, digits"),
        ("lab..Test", "may only contain letters, digits"),
        (".lab", "may only contain letters, digits"),
        ("lab.Test.", "may only contain letters, digits"),
        ("lab Test", "may only contain letters, digits"),
        ("", "must be a non-empty string"),
    ],
)
def test_bad_identifier(stimuli, package, identifier, message):
    with pytest.raises(PackagingError, match=message):
        package(stimuli, identifier)


@pytest.mark.parametrize(
    "identifier",
    [
        "hvm",
        "dicarlo.MajajHong2015.public",
        "BOLD5000",
        "Geirhos2021_cue-conflict",
        "movshon.FreemanZiemba2013",
    ],
)
def test_existing_identifiers_are_accepted(stimuli, package, identifier):
    package(stimuli, identifier)


def test_no_stimulus_id_column(stimuli, package):
    with pytest.raises(PackagingError, match="no 'stimulus_id' column"):
        package(stimuli.rename(columns={"stimulus_id": "id"}))


def test_empty_stimulus_set(package):
    with pytest.raises(PackagingError, match="has no rows"):
        package(StimulusSet({"stimulus_id": []}))


def test_empty_and_duplicate_ids(stimuli, package):
    proto = stimuli.copy()
    proto["stimulus_id"] = ["s0", "s0", "", None]
    proto.stimulus_paths = stimuli.stimulus_paths
    with pytest.raises(PackagingError) as raised:
        package(proto)
    message = str(raised.value)
    assert "2 stimulus_id value(s) are empty, at rows 2, 3" in message
    assert "stimulus_id values repeat (1): 's0'" in message


def test_filename_column_refused(stimuli, package):
    stimuli["filename"] = "x.png"
    with pytest.raises(PackagingError, match="already has a 'filename' column"):
        package(stimuli)


def test_missing_unreadable_and_unknown_files(stimuli, package, tmp_path):
    paths = dict(stimuli.stimulus_paths)
    paths["s0"] = tmp_path / "nowhere.png"
    paths["s1"] = tmp_path  # a folder, not a file
    del paths["s2"]
    stimuli.stimulus_paths = paths
    with pytest.raises(PackagingError) as raised:
        package(stimuli)
    message = str(raised.value)
    assert "2 problem(s)" in message
    assert "1 stimulus(es) have no file in stimulus_paths: 's2'" in message
    assert "2 stimulus file(s) do not exist or are not regular files" in message
    assert "nowhere.png" in message


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files regardless of permissions")
def test_unreadable_file(stimuli, package):
    stimuli.get_stimulus("s3").chmod(0)
    with pytest.raises(PackagingError, match=r"1 stimulus file\(s\) cannot be read.*s3"):
        package(stimuli)


def test_no_paths_at_all(package):
    with pytest.raises(PackagingError, match="knows no stimulus files"):
        package(StimulusSet({"stimulus_id": ["a"]}))


@pytest.mark.parametrize("within", ["../escape", "/absolute", "a//b", "a\\b"])
def test_unsafe_names_inside_zip(stimuli, package, within):
    stimuli["stimulus_path_within_store"] = [within] + [f"ok{i}" for i in range(3)]
    with pytest.raises(PackagingError, match="inside the ZIP would be unsafe"):
        package(stimuli)


def test_repeated_names_inside_zip(stimuli, package):
    stimuli["stimulus_path_within_store"] = ["same", "same", "a", "b"]
    with pytest.raises(PackagingError, match=r"name\(s\) inside the ZIP repeat: 'same.png'"):
        package(stimuli)


def test_all_problems_at_once(stimuli, package):
    stimuli["filename"] = "x"
    stimuli.loc[1, "stimulus_id"] = "s0"
    with pytest.raises(PackagingError) as raised:
        package(stimuli, "bad id")
    message = str(raised.value)
    assert re.search(r"(\d+) problem\(s\)", message).group(1) == "4"
    assert "bad id" in message and "'filename'" in message
    assert "stimulus_id values repeat" in message and "inside the ZIP repeat" in message


def test_catalog_duplicate_refused_before_upload(stimuli, package, catalog_path, tmp_path):
    package(stimuli)
    elsewhere = tmp_path / "elsewhere"
    with pytest.raises(PackagingError, match="already has stimulus set 'lab.Test2024'"):
        package_stimulus_set(
            "lab", stimuli, "lab.Test2024", target=elsewhere, catalog_path=catalog_path
        )
    assert not elsewhere.exists()


def test_stimulus_naming_1x_checks(tmp_path):
    with pytest.raises(PackagingError, match="convention <lab>.<AuthorYYYY>"):
        check_naming_convention("Lab.author")
    stimuli = StimulusSet({"stimulus_id": ["a", "b"]})
    stimuli.stimulus_paths = {"a": "/x/img_1.png", "b": "/x/img_3.png"}
    with pytest.raises(PackagingError, match="not numbered consecutively"):
        check_stimulus_numbers(stimuli)


# --- assemblies -------------------------------------------------------------------------------


@pytest.fixture
def package_assembly(stimuli, catalog_path, store):
    """Package an assembly referring to ``stimuli`` (passed directly, no catalog lookup)."""

    def run(proto, identifier="lab.Test2024", **kwargs):
        kwargs.setdefault("stimulus_set", stimuli)
        kwargs.setdefault("stimulus_set_identifier", "lab.Test2024")
        before = catalog_path.read_bytes(), _listing(store)
        try:
            return package_data_assembly(
                "lab", proto, identifier, target=store, catalog_path=catalog_path, **kwargs
            )
        except PackagingError:
            assert (catalog_path.read_bytes(), _listing(store)) == before
            raise

    return run


@pytest.fixture
def proto(stimuli, make_assembly):
    return make_assembly(list(stimuli["stimulus_id"]))


def test_assembly_dims_of_class(proto, package_assembly):
    with pytest.raises(PackagingError, match=r"rules of NeuroidAssembly.*needs exactly the dims"):
        package_assembly(proto.rename(neuroid="unit"), assembly_class_name="NeuroidAssembly")
    with pytest.raises(PackagingError, match="rules of SpikeTimesAssembly"):
        package_assembly(proto, assembly_class_name="SpikeTimesAssembly")
    package_assembly(proto.rename(neuroid="unit"), assembly_class_name="DataAssembly")


def test_unknown_class(proto, package_assembly):
    with pytest.raises(PackagingError, match="Unknown class 'NoSuchAssembly'"):
        package_assembly(proto, assembly_class_name="NoSuchAssembly")


def test_stimulus_ids_not_in_stimulus_set(proto, package_assembly):
    proto = proto.assign_coords(stimulus_id=("presentation", ["s0", "zz"] * 4))
    with pytest.raises(
        PackagingError,
        match=r"1 stimulus_id value\(s\) of the assembly are not "
        r"in its stimulus set: 'zz'",
    ):
        package_assembly(proto)


def test_no_stimulus_id_coordinate(proto, package_assembly):
    with pytest.raises(PackagingError, match="has no 'stimulus_id' coordinate"):
        package_assembly(proto.rename(stimulus_id="image"))


@pytest.mark.parametrize(("value", "kind"), [(True, "a bool"), ({"a": 1}, "a dict")])
def test_attributes_netcdf_cannot_store(proto, package_assembly, value, kind):
    proto.attrs["flag"] = value
    with pytest.raises(PackagingError, match=f"attribute 'flag' of the assembly is {kind}"):
        package_assembly(proto)


def test_dropped_attributes_are_fine(proto, package_assembly, stimuli):
    proto.attrs["stimulus_set"] = stimuli  # 1.x dropped DataFrames, DataArrays and None
    proto.attrs["nothing"] = None
    package_assembly(proto)


def test_coordinate_with_containers_or_mixed_types(proto, package_assembly):
    proto = proto.assign_coords(
        meta=("neuroid", np.array([{"a": 1}, {}, {}], dtype=object)),
        label=("neuroid", np.array(["x", 1, "y"], dtype=object)),
    )
    with pytest.raises(PackagingError) as raised:
        package_assembly(proto)
    assert "coordinate 'meta' of the assembly holds dict values" in str(raised.value)
    assert "coordinate 'label' of the assembly mixes strings with int" in str(raised.value)


def test_empty_assembly(proto, package_assembly):
    with pytest.raises(PackagingError, match="the assembly is empty"):
        package_assembly(proto.isel(presentation=[]))


def test_incompatible_shared_metadata(proto, package_assembly):
    proto = proto.assign_coords(category=("presentation", np.arange(8)))
    with pytest.raises(PackagingError, match="'category' of the assembly .* incompatible types"):
        package_assembly(proto)


def test_extras_checked(proto, package_assembly):
    extras = {"bad/name": xr.DataArray([1.0], dims=["e"]), "notarray": [1, 2]}
    with pytest.raises(PackagingError) as raised:
        package_assembly(proto, extras=extras)
    assert "extra 'bad/name': netCDF group names" in str(raised.value)
    assert "extra 'notarray' must be an xarray DataArray, not list" in str(raised.value)


def test_not_a_dataarray(package_assembly):
    with pytest.raises(PackagingError, match="must be an xarray DataArray, not DataFrame"):
        package_assembly(pd.DataFrame({"a": [1]}))


def test_stimulus_set_not_found(proto, package_assembly):
    with pytest.raises(
        PackagingError,
        match="stimulus set 'lab.Nowhere' is in neither catalog 'lab' nor any installed catalog",
    ):
        package_assembly(proto, stimulus_set=None, stimulus_set_identifier="lab.Nowhere")


def test_stimulus_set_found_in_target_catalog(
    stimuli, proto, catalog_path, store, package_assembly
):
    package_stimulus_set("lab", stimuli, "lab.Set2024", target=store, catalog_path=catalog_path)
    bad = proto.assign_coords(stimulus_id=("presentation", ["s0", "zz"] * 4))
    with pytest.raises(PackagingError, match="not in its stimulus set: 'zz'"):
        package_data_assembly(
            "lab", bad, "lab.Test2024", "lab.Set2024", target=store, catalog_path=catalog_path
        )
    package_data_assembly(
        "lab", proto, "lab.Test2024", "lab.Set2024", target=store, catalog_path=catalog_path
    )


def test_assembly_duplicate_in_catalog(proto, package_assembly):
    package_assembly(proto)
    with pytest.raises(PackagingError, match="already has assembly 'lab.Test2024'"):
        package_assembly(proto)
    package_assembly(proto, replace=True)
