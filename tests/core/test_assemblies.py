"""brainio.assemblies: the DataAssembly family, its helpers and its loaders.

The offline cases of BrainIO 1.x's test_assemblies.py (get_metadata flags, subclassing, index,
groupby, multi_groupby, multi_dim_apply), plus what 1.x got wrong on current xarray: single
coordinate dimensions, type preservation, selection on levels, the stimulus-set merge.
"""

from __future__ import annotations

import itertools
import logging
import tracemalloc
import warnings
from pathlib import Path

import netCDF4
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from brainio import assemblies
from brainio.assemblies import (
    BehavioralAssembly,
    DataAssembly,
    GroupbyBridge,
    GroupbyError,
    MetadataAssembly,
    ModelFeaturesAssembly,
    NeuroidAssembly,
    NeuronRecordingAssembly,
    PropertyAssembly,
    SpikeTimesAssembly,
    StimulusMergeAssemblyLoader,
    array_is_element,
    coords_for_dim,
    gather_indexes,
    get_levels,
    get_metadata,
    is_fastpath,
    load_assembly,
    merge_data_arrays,
    walk_coords,
)
from brainio.errors import BrainIOError, FormatError
from brainio.netcdf import read_dataarray, write_netcdf
from brainio.records import LookupRow
from brainio.stimuli import StimulusSet

pytestmark = pytest.mark.filterwarnings("error::FutureWarning")

UP = ["alpha", "alpha", "beta", "beta", "beta", "beta"]
DOWN = [1, 1, 1, 1, 2, 2]
DATA = [[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12], [13, 14, 15], [16, 17, 18]]


def up_down(cls: type = DataAssembly, **extra_coords) -> DataAssembly:
    """The 6 x 3 assembly of the 1.x tests: levels up/down on ``a``, sideways on ``b``."""
    return cls(
        data=DATA,
        coords={
            "up": ("a", UP),
            "down": ("a", DOWN),
            "sideways": ("b", ["x", "y", "z"]),
            **extra_coords,
        },
        dims=["a", "b"],
    )


def recording(cls: type = NeuronRecordingAssembly, presentations: int = 8) -> xr.DataArray:
    """A plain presentation x neuroid x time_bin array with coordinates as stored in files."""
    rng = np.random.default_rng(1)
    return xr.DataArray(
        rng.normal(size=(presentations, 4, 2)).astype(np.float32),
        coords={
            "stimulus_id": ("presentation", [f"s{i % 4}" for i in range(presentations)]),
            "repetition": ("presentation", np.arange(presentations) // 4),
            "object_name": ("presentation", [f"obj{i % 4}" for i in range(presentations)]),
            "neuroid_id": ("neuroid", ["n0", "n1", "n2", "n3"]),
            "region": ("neuroid", ["V4", "IT", "IT", "V4"]),
            "animal": ("neuroid", ["m", "m", "c", "c"]),
            "time_bin_start": ("time_bin", [70, 170]),
            "time_bin_end": ("time_bin", [170, 270]),
        },
        dims=["presentation", "neuroid", "time_bin"],
        attrs={"identifier": "test.Recording", "stimulus_set_identifier": "test.stimuli"},
    )


def stimulus_set(ids=("s0", "s1", "s2", "s3"), identifier="test.stimuli") -> StimulusSet:
    ids = list(ids)
    frame = StimulusSet(
        {
            "stimulus_id": ids,
            "filename": [f"{i}.png" for i in ids],
            "category": [["car", "dog"][n % 2] for n in range(len(ids))],
            "object_name": ["from-the-stimulus-set"] * len(ids),
            "size_deg": [8] * len(ids),
        }
    )
    frame.identifier = identifier
    return frame


# --- get_metadata and friends -----------------------------------------------------------------


def metadata_assembly() -> DataAssembly:
    """MultiIndex ``a`` (up, down), plain coordinate ``why`` on ``a``, plain index ``b``."""
    assy = DataAssembly(
        data=DATA,
        coords={
            "up": ("a", UP),
            "down": ("a", DOWN),
            "why": ("a", list("uvwxyz")),
            "b": ["x", "y", "z"],
        },
        dims=["a", "b"],
    )
    return assy.reset_index("why")


@pytest.mark.parametrize(
    "coords,indexes,multi_indexes,levels", list(itertools.product([True, False], repeat=4))
)
def test_get_metadata(coords: bool, indexes: bool, multi_indexes: bool, levels: bool) -> None:
    assy = metadata_assembly()
    names = list(
        get_metadata(
            assy,
            names_only=True,
            include_coords=coords,
            include_indexes=indexes,
            include_multi_indexes=multi_indexes,
            include_levels=levels,
        )
    )
    expected = set()
    expected |= {"why"} if coords else set()
    expected |= {"b"} if indexes else set()
    expected |= {"a"} if multi_indexes else set()
    expected |= {"up", "down"} if levels else set()
    assert sorted(names) == sorted(expected)


def test_get_metadata_values_and_dims_filter() -> None:
    assy = metadata_assembly().assign_coords(scalar=5)
    metadata = {name: (dims, values) for name, dims, values in get_metadata(assy)}
    assert metadata["up"][0] == ("a",)
    assert list(metadata["up"][1]) == UP
    assert metadata["scalar"] == ((), 5)
    assert set(get_metadata(assy, dims=("a",), names_only=True)) == {"up", "down", "why"}
    assert set(get_metadata(assy, dims=("b",), names_only=True)) == {"b"}
    assert set(get_metadata(assy, dims=(None,), names_only=True)) == {"scalar"}


def test_get_metadata_skips_coordinates_spanning_other_dims() -> None:
    assy = up_down().assign_coords(grid=(("a", "b"), np.zeros((6, 3))))
    assert "grid" not in set(get_metadata(assy, dims=("a",), names_only=True))
    assert "grid" in set(get_metadata(assy, names_only=True))


def test_walk_coords_yields_levels_not_multiindexes() -> None:
    names = [name for name, _, _ in walk_coords(up_down())]
    assert names == ["up", "down", "sideways"]


def test_get_levels() -> None:
    # as in 1.x: the lone coordinate ``sideways`` is the index of ``b``, not a level (1.x also
    # renamed it to ``b``; here it keeps its name)
    assert get_levels(up_down()) == ["up", "down"]
    assert get_levels(metadata_assembly()) == ["up", "down"]
    assert "sideways" in up_down().xindexes  # still selectable by name


def test_get_metadata_reports_a_lone_coordinate_as_the_index_of_its_dimension() -> None:
    assy = up_down()
    indexes = get_metadata(assy, names_only=True, include_coords=False, include_levels=False)
    assert set(indexes) == {"sideways"}
    multi = get_metadata(
        assy,
        names_only=True,
        include_indexes=False,
        include_levels=False,
        include_multi_indexes=True,
    )
    assert set(multi) == {"a"}  # never ``b``: its MultiIndex has one level


def test_reset_index_of_every_listed_index_leaves_none() -> None:
    """1.x's write_netcdf idiom ``reset_index(list(assy.indexes))`` resets everything."""
    assy = up_down()
    assert list(assy.indexes) == ["a", "b"]
    reset = assy.reset_index(list(assy.indexes))
    assert get_levels(reset) == [] and list(reset.indexes) == [] and not reset.xindexes
    assert reset["a"].variable.level_names is None
    assert get_levels(assy.reset_index(["up", "down"])) == []


def test_coords_for_dim_returns_unindexed_coordinates() -> None:
    assy = metadata_assembly()
    assert list(coords_for_dim(assy, "a")) == ["why"]
    assert list(coords_for_dim(assy, "a")["why"]) == list("uvwxyz")
    assert coords_for_dim(assy, "b") == {}


def test_array_is_element() -> None:
    assert array_is_element(("presentation",), "presentation")
    assert not array_is_element(("presentation", "neuroid"), "presentation")
    assert not array_is_element(("neuroid",), "presentation")


# --- subclassing ------------------------------------------------------------------------------


class TestSubclassing:
    def test_wrap_dataarray(self) -> None:
        da = xr.DataArray(
            data=DATA,
            coords={"up": ("a", UP), "down": ("a", DOWN), "sideways": ("b", ["x", "y", "z"])},
            dims=["a", "b"],
        )
        assert "up" in da.coords
        assert "a" not in da.indexes
        da = gather_indexes(da)
        assert type(da) is xr.DataArray
        assert da.coords.variables["a"].level_names == ["up", "down"]
        assert da["a"].variable.level_names == ["up", "down"]
        da = xr.DataArray(da)
        assert da.coords.variables["a"].level_names == ["up", "down"]
        assert da["up"] is not None

    def test_wrap_dataassembly(self) -> None:
        assy = up_down()
        assert assy.coords.variables["a"].level_names == ["up", "down"]
        assert assy["a"].variable.level_names == ["up", "down"]
        da = xr.DataArray(assy)
        assert da.coords.variables["a"].level_names == ["up", "down"]
        assert list(da["up"].values) == UP

    def test_rewrapping_shares_data_but_not_attrs(self) -> None:
        da = xr.DataArray(np.zeros((2, 3)), coords={"c": ("x", [1, 2])}, dims=["x", "y"])
        assy = DataAssembly(da)
        assert np.shares_memory(assy.values, da.values)
        assy.attrs["new"] = 1
        assert "new" not in da.attrs

    def test_gather_appends_to_existing_indexes(self) -> None:
        assy = DataAssembly(up_down().assign_coords(extra=("a", list("pqrstu"))))
        assert assy.indexes["a"].names == ["up", "down", "extra"]
        plain_index = DataAssembly(
            [[1, 2], [3, 4]], coords={"a": ["p", "q"], "aa": ("a", [0, 1])}, dims=["a", "b"]
        )
        assert plain_index.indexes["a"].names == ["a_level_0", "aa"]  # as 1.x named it

    def test_reset_index(self) -> None:
        da = xr.DataArray(up_down())
        da = da.reset_index(["a", "b"])
        assert get_levels(da) == []
        assert list(da["up"].values) == UP

    def test_repr(self) -> None:
        assy = DataAssembly(
            data=DATA,
            coords={
                "up": ("a", UP),
                "down": ("a", DOWN),
                "back": ("b", ["x", "y", "z"]),
                "forth": ("b", [True, True, False]),
            },
            dims=["a", "b"],
        )
        text = repr(assy)
        for name in ("DataAssembly", "up", "down", "back", "forth"):
            assert name in text

    def test_getitem(self) -> None:
        assy = up_down(NeuroidAssembly)
        single = assy[0, 0]
        assert type(single) is NeuroidAssembly
        assert single.item() == 1

    def test_is_fastpath(self) -> None:
        """xarray passes fastpath positionally or by keyword; both must be recognised."""
        assert is_fastpath(0, None, None, None, None, None, True)
        assert is_fastpath(0, None, None, None, None, None, fastpath=True)
        assert is_fastpath(0, None, None, None, None, None, 1)
        assert is_fastpath(0, None, None, None, None, None, fastpath=1)
        assert not is_fastpath(0, None, None, None, None, None, False)
        assert not is_fastpath(0, None, None, None, None, None, 0)
        assert not is_fastpath(0, None, None, None, None, None, fastpath=False)
        assert not is_fastpath(0, None, None, None, None, None, fastpath=0)
        assert not is_fastpath(0, None, None, None, None, None)

    def test_fastpath_signature_unchanged(self) -> None:
        """is_fastpath assumes fastpath is DataArray.__init__'s 7th positional parameter."""
        xr.DataArray(0, None, None, None, None, None, False)
        with pytest.raises(TypeError, match="but 9"):
            xr.DataArray(0, None, None, None, None, None, None, False)

    def test_align_keeps_levels(self) -> None:
        mi1 = pd.MultiIndex.from_arrays([UP, [1, 2, 3, 4, 5, 6]], names=["up", "down"])
        mi2 = pd.MultiIndex.from_arrays(
            [["alpha", "alpha", "beta", "beta", "gamma", "gamma"], [1, 2, 3, 4, 5, 6]],
            names=["up", "down"],
        )
        assemblies_ = [
            DataAssembly(
                DATA,
                coords={**xr.Coordinates.from_pandas_multiindex(mi, "a"), "b": ["x", "y", "z"]},
                dims=["a", "b"],
            )
            for mi in (mi1, mi2)
        ]
        aligned1, aligned2 = xr.align(*assemblies_, join="outer")
        for aligned in (aligned1, aligned2):
            assert type(aligned) is DataAssembly
            assert aligned.sizes["a"] == 8
            assert aligned.coords.variables["a"].level_names == ["up", "down"]
            assert "up" in aligned.coords

    def test_subclasses_define_slots_and_warn_nothing(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("error")

            class LabAssembly(NeuroidAssembly):
                __slots__ = ()

            assy = LabAssembly(recording())
            assert type(assy.sel(region="IT").mean("presentation")) is LabAssembly
        for cls in (
            DataAssembly,
            NeuroidAssembly,
            NeuronRecordingAssembly,
            ModelFeaturesAssembly,
            BehavioralAssembly,
            PropertyAssembly,
            SpikeTimesAssembly,
            MetadataAssembly,
        ):
            assert "__slots__" in vars(cls)
            assert cls.__slots__ == ()


OPERATIONS = {
    "sel level": lambda a: a.sel(region="IT"),
    "sel level list": lambda a: a.sel(region=["IT"]),
    "sel dim": lambda a: a.sel(time_bin=(70, 170)),
    "isel": lambda a: a.isel(presentation=[0, 2]),
    "isel scalar": lambda a: a.isel(time_bin=0),
    "getitem": lambda a: a[0, 0],
    "loc": lambda a: a.loc[{"region": "V4"}],
    "where": lambda a: a.where(a > 0),
    "copy": lambda a: a.copy(),
    "deep copy": lambda a: a.copy(deep=True),
    "mean": lambda a: a.mean("presentation"),
    "groupby mean": lambda a: a.groupby("stimulus_id").mean("presentation"),
    "multi_groupby mean": lambda a: a.multi_groupby(["stimulus_id", "object_name"]).mean(
        "presentation"
    ),
    "align": lambda a: xr.align(a, a.isel(neuroid=[0, 1]), join="inner")[0],
    "concat": lambda a: xr.concat(
        [a.isel(neuroid=[0, 1]), a.isel(neuroid=[2, 3])],
        dim="neuroid",
        coords="different",
        compat="equals",
        join="outer",
    ),
    "arithmetic": lambda a: a * 2 + 1,
    "numpy ufunc": lambda a: np.abs(a),
    "fillna": lambda a: a.fillna(0),
    "astype": lambda a: a.astype(np.float64),
    "transpose": lambda a: a.transpose("neuroid", "presentation", "time_bin"),
    "squeeze": lambda a: a.isel(time_bin=[0]).squeeze("time_bin"),
    "sortby": lambda a: a.sortby("repetition"),
    "assign_coords": lambda a: a.assign_coords(note=("presentation", np.arange(8))),
    "load": lambda a: a.load(),
}


@pytest.mark.parametrize("operation", list(OPERATIONS))
@pytest.mark.parametrize("cls", [DataAssembly, NeuroidAssembly, NeuronRecordingAssembly])
def test_operations_keep_the_class(cls: type, operation: str) -> None:
    assy = cls(recording())
    result = OPERATIONS[operation](assy)
    assert type(result) is cls


def test_merge_data_arrays_combines_parts_and_keeps_the_class() -> None:
    full = NeuroidAssembly(recording())
    parts = [full.isel(neuroid=[0, 1]), full.isel(neuroid=[2, 3])]
    merged = merge_data_arrays(parts)
    assert type(merged) is NeuroidAssembly
    assert merged.sizes == full.sizes
    np.testing.assert_array_equal(
        merged.sel(neuroid_id="n3").values, full.sel(neuroid_id="n3").values
    )


# --- single-coordinate dimensions -------------------------------------------------------------


def single_coordinate() -> NeuroidAssembly:
    return NeuroidAssembly(
        np.arange(12.0).reshape(4, 3),
        coords={
            "stimulus_id": ("presentation", ["s0", "s1", "s2", "s3"]),
            "repetition": ("presentation", [0, 0, 1, 1]),
            "neuroid_id": ("neuroid", ["n0", "n1", "n2"]),
        },
        dims=["presentation", "neuroid"],
    )


class TestSingleCoordinateDimension:
    def test_construction_keeps_the_name(self) -> None:
        assy = single_coordinate()
        assert "neuroid_id" in assy.coords
        assert list(assy["neuroid_id"].values) == ["n0", "n1", "n2"]
        assert assy["neuroid_id"].dims == ("neuroid",)

    def test_selection_keeps_the_name(self) -> None:
        assy = single_coordinate()
        assert list(assy.isel(neuroid=[2, 0])["neuroid_id"].values) == ["n2", "n0"]
        assert list(assy.sel(neuroid_id=["n1", "n2"])["neuroid_id"].values) == ["n1", "n2"]
        one = assy.sel(neuroid_id="n1")
        assert one["neuroid_id"].item() == "n1"
        np.testing.assert_array_equal(one.values, [1.0, 4.0, 7.0, 10.0])
        assert "neuroid_id" in assy.mean("presentation").coords

    def test_write_and_read_keep_the_name(self, tmp_path: Path) -> None:
        path = tmp_path / "single.nc"
        write_netcdf(single_coordinate(), path)
        assert set(read_dataarray(path).coords) == {"stimulus_id", "repetition", "neuroid_id"}
        loaded = NeuroidAssembly.from_files(path)
        assert list(loaded["neuroid_id"].values) == ["n0", "n1", "n2"]
        assert loaded.sel(neuroid_id="n2").sizes == {"presentation": 4}

    def test_file_written_by_brainio1_loads_as_brainio1_loaded_it(self, tmp_path: Path) -> None:
        """1.x stored the lone coordinate as ``neuroid_``; it loaded as the index ``neuroid``."""
        path = tmp_path / "legacy_single.nc"
        xr.DataArray(
            np.zeros((2, 3)),
            coords={
                "stimulus_id": ("presentation", ["s0", "s1"]),
                "repetition": ("presentation", [0, 0]),
                "neuroid_": ("neuroid", ["n0", "n1", "n2"]),
            },
            dims=["presentation", "neuroid"],
        ).to_dataset(name="data").to_netcdf(path)
        loaded = NeuroidAssembly.from_files(path)
        assert "neuroid_" not in loaded.coords
        assert list(loaded["neuroid"].values) == ["n0", "n1", "n2"]
        assert not isinstance(loaded.indexes["neuroid"], pd.MultiIndex)
        assert list(loaded.indexes["presentation"].names) == ["stimulus_id", "repetition"]


# --- selection --------------------------------------------------------------------------------


class TestIndex:
    def test_single_element(self) -> None:
        d = DataAssembly([0], coords={"coordA": ("dim", [0]), "coordB": ("dim", [1])}, dims=["dim"])
        assert d.sel(coordA=0).values.tolist() == [0]
        assert d.sel(coordB=1).values.tolist() == [0]

    def test_multi_elements(self) -> None:
        d = DataAssembly(
            [0, 1, 2, 3, 4],
            coords={"coordA": ("dim", [0, 1, 2, 3, 4]), "coordB": ("dim", [1, 2, 3, 4, 5])},
            dims=["dim"],
        )
        assert d.sel(coordA=0).values.tolist() == [0]
        assert d.sel(coordA=4).values.tolist() == [4]
        assert d.sel(coordB=1).values.tolist() == [0]
        assert d.sel(coordB=5).values.tolist() == [4]

    def test_incorrect_coord(self) -> None:
        d = DataAssembly([0], coords={"coordA": ("dim", [0]), "coordB": ("dim", [1])}, dims=["dim"])
        with pytest.raises(KeyError):
            d.sel(coordA=1)
        with pytest.raises(KeyError):
            d.sel(coordB=0)

    def test_scalar_on_a_level_keeps_the_dimension_name(self) -> None:
        """xarray alone renames ``a`` to ``down`` when only one level is left."""
        selected = up_down().sel(up="beta")
        assert selected.dims == ("a", "b")
        assert selected.indexes["a"].names == ["down"]
        assert selected["up"].item() == "beta"
        assert selected["down"].values.tolist() == [1, 1, 2, 2]
        assert selected.sel(down=2).values.tolist() == [[13, 14, 15], [16, 17, 18]]

    def test_scalar_with_drop(self) -> None:
        selected = up_down().sel(up="beta", drop=True)
        assert "up" not in selected.coords

    def test_list_on_a_level_keeps_the_list_order(self) -> None:
        assy = NeuroidAssembly(recording())
        selected = assy.sel(neuroid_id=["n3", "n0"])
        assert selected["neuroid_id"].values.tolist() == ["n3", "n0"]
        assert selected["region"].values.tolist() == ["V4", "V4"]
        by_region = assy.sel(region=["IT", "V4"])
        assert by_region["neuroid_id"].values.tolist() == ["n1", "n2", "n0", "n3"]

    def test_missing_value_in_a_list(self) -> None:
        with pytest.raises(KeyError, match="'n9'.*neuroid_id"):
            NeuroidAssembly(recording()).sel(neuroid_id=["n0", "n9"])

    def test_levels_and_dimensions_together(self) -> None:
        assy = NeuroidAssembly(recording())
        selected = assy.sel(region="IT", stimulus_id="s1", time_bin=(70, 170))
        assert selected.dims == ("presentation", "neuroid")
        assert selected.shape == (2, 2)
        assert selected["region"].item() == "IT"

    def test_unindexed_coordinate(self) -> None:
        assy = up_down().assign_coords(note=("a", list("pqprqp")))
        assert assy.sel(note="p")["up"].values.tolist() == ["alpha", "beta", "beta"]
        assert assy.sel(note=["q", "r"])["note"].values.tolist() == ["q", "q", "r"]

    def test_method_goes_to_xarray(self) -> None:
        assy = DataAssembly([1, 2, 3], coords={"t": [0.0, 1.0, 2.0]}, dims=["t"])
        assert assy.sel(t=1.1, method="nearest").item() == 2

    def test_multisel_keeps_dimension_and_levels(self) -> None:
        assy = NeuroidAssembly(recording())
        selected = assy.multisel(region="IT")
        assert selected.dims == assy.dims
        assert selected["region"].values.tolist() == ["IT", "IT"]
        assert "region" in selected.indexes["neuroid"].names
        both = assy.multisel(region="IT", stimulus_id=["s0", "s2"])
        assert both.shape == (4, 2, 2)


class TestPlainGroupby:
    def test_groupby_level_mean(self) -> None:
        """The xarray 2022.06 regression that made 1.x pin xarray (pydata/xarray#7282)."""
        grouped = up_down().groupby("up").mean()
        assert type(grouped) is DataAssembly
        assert grouped.dims == ("up", "b")
        np.testing.assert_array_equal(grouped.values, [[2.5, 3.5, 4.5], [11.5, 12.5, 13.5]])


class TestMultiGroupby:
    def test_single_dimension(self) -> None:
        d = DataAssembly(
            [[1, 2, 3], [4, 5, 6]], coords={"a": ["a", "b"], "b": ["x", "y", "z"]}, dims=["a", "b"]
        )
        g = d.multi_groupby(["a"]).mean(...)
        assert g.equals(DataAssembly([2, 5], coords={"a": ["a", "b"]}, dims=["a"]))

    def test_single_dimension_int(self) -> None:
        d = DataAssembly(
            [[1, 2, 3], [4, 5, 6]], coords={"a": [1, 2], "b": [3, 4, 5]}, dims=["a", "b"]
        )
        g = d.multi_groupby(["a"]).mean(...)
        assert g.equals(DataAssembly([2.0, 5.0], coords={"a": [1, 2]}, dims=["a"]))

    def test_single_coord(self) -> None:
        d = DataAssembly(
            data=[[0, 1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12, 13], [14, 15, 16, 17, 18, 19, 20]],
            coords={
                "greek": ("a", ["alpha", "beta", "gamma"]),
                "colors": ("a", ["red", "green", "blue"]),
                "compass": ("b", ["north", "south", "east", "west", "ne", "se", "sw"]),
                "integer": ("b", [0, 1, 2, 3, 4, 5, 6]),
            },
            dims=("a", "b"),
        )
        g = d.multi_groupby(["greek"]).mean(...)
        expected = DataAssembly(
            data=[3, 10, 17],
            coords={"greek": ("greek", ["alpha", "beta", "gamma"])},
            dims=["greek"],
        )
        assert g.equals(expected)

    def test_single_dim_multi_coord(self) -> None:
        d = DataAssembly(
            [1, 2, 3, 4, 5, 6],
            coords={
                "a": ("multi_dim", ["a"] * 6),
                "b": ("multi_dim", ["a", "a", "a", "b", "b", "b"]),
                "c": ("multi_dim", list("abcdef")),
            },
            dims=["multi_dim"],
        )
        g = d.multi_groupby(["a", "b"]).mean()
        assert g.equals(
            DataAssembly(
                [2, 5],
                coords={"a": ("multi_dim", ["a", "a"]), "b": ("multi_dim", ["a", "b"])},
                dims=["multi_dim"],
            )
        )

    def test_int_multi_coord(self) -> None:
        d = DataAssembly(
            [1, 2, 3, 4, 5, 6],
            coords={
                "a": ("multi_dim", [1] * 6),
                "b": ("multi_dim", ["a", "a", "a", "b", "b", "b"]),
                "c": ("multi_dim", list("abcdef")),
            },
            dims=["multi_dim"],
        )
        g = d.multi_groupby(["a", "b"]).mean()
        assert g.equals(
            DataAssembly(
                [2.0, 5.0],
                coords={"a": ("multi_dim", [1, 1]), "b": ("multi_dim", ["a", "b"])},
                dims=["multi_dim"],
            )
        )

    def test_two_coord(self) -> None:
        grouped = up_down().multi_groupby(["up", "down"]).mean(dim="a")
        expected = DataAssembly(
            [[2.5, 3.5, 4.5], [8.5, 9.5, 10.5], [14.5, 15.5, 16.5]],
            coords={
                "up": ("a", ["alpha", "beta", "beta"]),
                "down": ("a", [1, 1, 2]),
                "sideways": ("b", ["x", "y", "z"]),
            },
            dims=["a", "b"],
        )
        assert grouped.equals(expected)

    def test_bridge_and_levels(self) -> None:
        assy = NeuronRecordingAssembly(recording()).sel(region="IT")
        bridge = assy.multi_groupby(["stimulus_id", "object_name"])
        assert isinstance(bridge, GroupbyBridge)
        result = bridge.mean(dim="presentation")
        assert type(result) is NeuronRecordingAssembly
        assert result.indexes["presentation"].names == ["stimulus_id", "object_name"]
        assert result.sizes == {"presentation": 4, "neuroid": 2, "time_bin": 2}
        np.testing.assert_allclose(
            result.sel(stimulus_id="s1").values[0],
            assy.sel(stimulus_id="s1").mean("presentation").values,
        )

    def test_coords_on_different_dims(self) -> None:
        with pytest.raises(GroupbyError, match="same single dimension.*'up'.*'sideways'") as error:
            up_down().multi_groupby(["up", "sideways"])
        assert isinstance(error.value, BrainIOError)


class TestMultiDimApply:
    def test_unique_values(self) -> None:
        d = DataAssembly(
            [[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12]],
            coords={"a": ["a", "b", "c", "d"], "b": ["x", "y", "z"]},
            dims=["a", "b"],
        )
        g = d.multi_dim_apply(["a", "b"], lambda x, **_: x)
        assert g.equals(d)

    def test_unique_values_swappeddims(self) -> None:
        d = DataAssembly(
            [[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12]],
            coords={"a": ["a", "b", "c", "d"], "b": ["x", "y", "z"]},
            dims=["a", "b"],
        )
        g = d.multi_dim_apply(["b", "a"], lambda x, **_: x)
        assert g.equals(d)

    def test_nonindex_coord(self) -> None:
        d = DataAssembly(
            [[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12]],
            coords={
                "a": ["a", "b", "c", "d"],
                "b": ["x", "y", "z"],
                "c": "remnant",
            },  # e.g. left over from `.sel(c='remnant')`
            dims=["a", "b"],
        )
        g = d.multi_dim_apply(["a", "b"], lambda x, **_: x)
        assert g.equals(d)
        assert g["c"].item() == "remnant"

    def test_subtract_mean(self) -> None:
        coords = {
            "a": ["a", "b", "c", "d"],
            "aa": ("a", ["a", "a", "b", "b"]),
            "b": ["x", "y", "z"],
        }
        d = DataAssembly(
            [[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12]], coords=coords, dims=["a", "b"]
        )
        g = d.multi_dim_apply(["aa", "b"], lambda x, **_: x - x.mean())
        expected = DataAssembly(
            [[-1.5, -1.5, -1.5], [1.5, 1.5, 1.5], [-1.5, -1.5, -1.5], [1.5, 1.5, 1.5]],
            coords=coords,
            dims=["a", "b"],
        )
        assert g.equals(expected)

    def test_multi_level(self) -> None:
        d = up_down()
        g = d.multi_dim_apply(["a", "b"], lambda x, **_: x)
        assert g.equals(d)

    def test_coordinates_are_passed(self) -> None:
        seen = {}

        def record(cells, up, down, sideways, **_):
            seen[(tuple(np.atleast_1d(up)), sideways)] = (
                np.atleast_1d(cells).tolist(),
                np.atleast_1d(down).tolist(),
            )
            return 0

        up_down().multi_dim_apply(["up", "sideways"], record)
        assert len(seen) == 6
        assert seen[(("alpha", "alpha"), "x")] == ([1, 4], [1, 1])
        assert seen[(("beta",) * 4, "z")][0] == [9, 12, 15, 18]

    def test_needs_one_group_per_dimension(self) -> None:
        with pytest.raises(GroupbyError, match="one 1-D group coordinate per dimension"):
            up_down().multi_dim_apply(["up"], lambda x, **_: x)


# --- validate ---------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [NeuroidAssembly, NeuronRecordingAssembly, ModelFeaturesAssembly])
def test_neuroid_assemblies_validate_dims(cls: type) -> None:
    cls(recording()).validate()
    cls(recording()).isel(time_bin=0).validate()
    wrong = cls(recording()).rename(time_bin="time")
    wrong.attrs["identifier"] = "lab.Wrong2024"
    with pytest.raises(
        FormatError,
        match=r"'lab.Wrong2024' has dims \['presentation', "
        r"'neuroid', 'time'\].*\['neuroid', 'presentation'\]",
    ):
        wrong.validate()


def test_spike_times_assembly_validates_dims() -> None:
    SpikeTimesAssembly(
        [0.1, 0.2], coords={"neuroid_id": ("event", ["n0", "n1"])}, dims=["event"]
    ).validate()
    with pytest.raises(FormatError, match=r"dims \['time'\].*\['event'\]"):
        SpikeTimesAssembly([0.1], dims=["time"]).validate()


def test_data_assembly_validates_anything() -> None:
    DataAssembly([1, 2], dims=["whatever"]).validate()


# --- loading ----------------------------------------------------------------------------------


def write_plain(array: xr.DataArray, path: Path, name: str = "data") -> Path:
    """Store ``array`` as 1.x did: coordinates as plain variables, attributes global."""
    array.to_dataset(name=name, promote_attrs=True).to_netcdf(path)
    return path


@pytest.fixture
def recording_file(tmp_path: Path) -> Path:
    return write_plain(recording(), tmp_path / "assy_test_recording.nc")


class TestFromFiles:
    def test_levels_are_rebuilt(self, recording_file: Path) -> None:
        assy = NeuronRecordingAssembly.from_files(recording_file)
        assert type(assy) is NeuronRecordingAssembly
        assert assy.shape == (8, 4, 2)
        assert assy.name == "data"
        assert assy.indexes["presentation"].names == ["stimulus_id", "repetition", "object_name"]
        assert assy.indexes["neuroid"].names == ["neuroid_id", "region", "animal"]
        assert assy.indexes["time_bin"].names == ["time_bin_start", "time_bin_end"]
        assert assy.attrs["identifier"] == "test.Recording"
        assert assy.attrs["stimulus_set_identifier"] == "test.stimuli"  # 1.x overwrote it
        assert assy.attrs["stimulus_set"] is None
        np.testing.assert_array_equal(assy.values, recording().values)
        assert type(assy.sel(region="IT")) is NeuronRecordingAssembly

    def test_merge_with_stimulus_set(self, recording_file: Path) -> None:
        stimuli = stimulus_set()
        assy = NeuronRecordingAssembly.from_files(recording_file, stimulus_set=stimuli)
        names = assy.indexes["presentation"].names
        assert names == [
            "stimulus_id",
            "repetition",
            "object_name",
            "filename",
            "category",
            "size_deg",
        ]
        assert assy["filename"].values.tolist() == [f"s{i % 4}.png" for i in range(8)]
        assert assy["category"].values.tolist() == ["car", "dog"] * 4
        assert assy["object_name"].values.tolist()[:4] == ["obj0", "obj1", "obj2", "obj3"]
        assert assy.attrs["stimulus_set"] is stimuli
        assert assy.sel(category="dog").sizes["presentation"] == 4

    def test_stimuli_missing_from_the_set_get_nan(self, recording_file: Path) -> None:
        assy = DataAssembly.from_files(recording_file, stimulus_set=stimulus_set(["s0", "s1"]))
        filenames = assy["filename"].values
        assert filenames[:2].tolist() == ["s0.png", "s1.png"]
        assert pd.isna(filenames[2]) and pd.isna(filenames[3])
        sizes = assy["size_deg"].values
        np.testing.assert_array_equal(np.isnan(sizes), [False, False, True, True] * 2)

    def test_duplicate_stimulus_ids_raise(self, recording_file: Path) -> None:
        duplicated = stimulus_set(["s0", "s1", "s1", "s2", "s3", "s3"], identifier="test.dup")
        with pytest.raises(FormatError, match=r"'test.dup'.*\['s1', 's3'\].*more than once"):
            NeuronRecordingAssembly.from_files(recording_file, stimulus_set=duplicated)

    def test_stimulus_set_without_stimulus_id(self, recording_file: Path) -> None:
        with pytest.raises(FormatError, match="no 'stimulus_id' column"):
            DataAssembly.from_files(recording_file, stimulus_set=pd.DataFrame({"x": [1]}))

    def test_assembly_without_presentations_cannot_merge(self, tmp_path: Path) -> None:
        path = write_plain(
            xr.DataArray([1.0, 2.0], coords={"t": ("time", [0, 1])}, dims=["time"]),
            tmp_path / "no_presentation.nc",
        )
        with pytest.raises(FormatError, match="no 'stimulus_id' coordinate on a 'presentation'"):
            DataAssembly.from_files(path, stimulus_set=stimulus_set())

    def test_property_assembly_refers_without_merging(self, recording_file: Path) -> None:
        stimuli = stimulus_set()
        assy = PropertyAssembly.from_files(
            recording_file, stimulus_set_identifier="other.id", stimulus_set=stimuli
        )
        assert "filename" not in assy.coords
        assert assy.attrs["stimulus_set"] is stimuli
        assert assy.attrs["stimulus_set_identifier"] == "other.id"

    def test_merge_stimulus_set_meta_on_a_loaded_assembly(self, recording_file: Path) -> None:
        assy = NeuronRecordingAssembly.from_files(recording_file)
        loader = StimulusMergeAssemblyLoader(NeuronRecordingAssembly, recording_file)
        merged = loader.merge_stimulus_set_meta(assy, stimulus_set())
        assert type(merged) is NeuronRecordingAssembly
        assert "category" in merged.indexes["presentation"].names
        assert merged.indexes["neuroid"].names == ["neuroid_id", "region", "animal"]

    def test_legacy_image_id(self, tmp_path: Path) -> None:
        legacy = recording().rename(stimulus_id="image_id")
        path = write_plain(legacy, tmp_path / "legacy.nc", name="__xarray_dataarray_variable__")
        assy = DataAssembly.from_files(path)
        assert assy["stimulus_id"].values.tolist() == assy["image_id"].values.tolist()
        merged = DataAssembly.from_files(path, stimulus_set=stimulus_set())
        assert merged["category"].values.tolist() == ["car", "dog"] * 4

    def test_chunks_give_a_dask_backed_assembly(self, recording_file: Path) -> None:
        dask_array = pytest.importorskip("dask.array")
        lazy = NeuronRecordingAssembly.from_files(
            recording_file, chunks={"presentation": 4}, stimulus_set=stimulus_set()
        )
        assert isinstance(lazy.data, dask_array.Array)
        assert lazy.chunks[0] == (4, 4)
        eager = NeuronRecordingAssembly.from_files(recording_file, stimulus_set=stimulus_set())
        assert isinstance(eager.data, np.ndarray)
        selected = lazy.sel(region="IT").mean("presentation")
        assert type(selected) is NeuronRecordingAssembly
        assert isinstance(selected.data, dask_array.Array)
        np.testing.assert_allclose(selected.values, eager.sel(region="IT").mean("presentation"))

    def test_round_trip_through_write_netcdf(self, tmp_path: Path, recording_file: Path) -> None:
        assy = NeuronRecordingAssembly.from_files(recording_file, stimulus_set=stimulus_set())
        path = tmp_path / "again.nc"
        write_netcdf(assy, path)
        again = NeuronRecordingAssembly.from_files(path)
        for dim in assy.dims:
            assert again.indexes[dim].names == assy.indexes[dim].names
        for name, dims, values in walk_coords(assy):
            assert again[name].dims == dims
            np.testing.assert_array_equal(again[name].values, values)
        np.testing.assert_array_equal(again.values, assy.values)
        assert again.attrs["identifier"] == "test.Recording"


def spike_times(events: int = 10) -> xr.DataArray:
    return xr.DataArray(
        np.linspace(0.0, 1.0, events),
        coords={
            "neuroid_id": ("event", [f"n{i % 3}" for i in range(events)]),
            "stimulus_id": ("event", [f"s{i % 2}" for i in range(events)]),
        },
        dims=["event"],
    )


def metadata_group(events: int = 4) -> xr.DataArray:
    return xr.DataArray(
        np.arange(events),
        coords={
            "onset": ("event", np.linspace(0.0, 0.3, events)),
            "stimulus_id": ("event", [f"s{i}" for i in range(events)]),
        },
        dims=["event"],
    )


class TestGroups:
    def test_groups_become_metadata_assemblies(self, tmp_path: Path) -> None:
        path = tmp_path / "spikes.nc"
        write_netcdf(spike_times(), path)
        write_netcdf(metadata_group(), path, append=True, group="test")
        stimuli = stimulus_set()
        assy = SpikeTimesAssembly.from_files(path, stimulus_set=stimuli)
        assert type(assy) is SpikeTimesAssembly
        assert assy.shape == (10,)
        meta = assy.attrs["test"]
        assert type(meta) is MetadataAssembly
        assert meta.shape == (4,)
        assert meta.attrs["stimulus_set"] is stimuli
        assert meta.indexes["event"].names == ["onset", "stimulus_id"]
        assert "filename" not in meta.coords  # MetadataAssembly refers, it does not merge

    def test_group_that_does_not_load_is_skipped_with_a_warning(
        self, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        path = tmp_path / "spikes.nc"
        write_netcdf(spike_times(), path)
        with netCDF4.Dataset(path, "a") as root:  # a group with two data variables
            group = root.createGroup("broken")
            group.createDimension("x", 2)
            for name in ("first", "second"):
                group.createVariable(name, "f8", ("x",))[:] = [1.0, 2.0]
        with caplog.at_level(logging.WARNING, logger="brainio.assemblies"):
            assy = SpikeTimesAssembly.from_files(path)
        assert "broken" not in assy.attrs
        assert "group 'broken'" in caplog.text


class TestLoadAssembly:
    def row(self, path: Path, class_name: str = "NeuronRecordingAssembly") -> LookupRow:
        return LookupRow(
            identifier="test.Recording.public",
            lookup_type="assembly",
            class_name=class_name,
            location_type="local",
            location=str(path),
            sha1=None,
            stimulus_set_identifier="test.stimuli",
        )

    def test_dispatches_on_the_class(self, recording_file: Path) -> None:
        stimuli = stimulus_set()
        assy = load_assembly(
            recording_file,
            cls=NeuronRecordingAssembly,
            row=self.row(recording_file),
            stimulus_set=stimuli,
            chunks=None,
        )
        assert type(assy) is NeuronRecordingAssembly
        assert assy.attrs["identifier"] == "test.Recording.public"
        assert assy.attrs["stimulus_set_identifier"] == "test.stimuli"
        assert "category" in assy.coords
        prop = load_assembly(recording_file, cls=PropertyAssembly, stimulus_set=stimuli)
        assert "category" not in prop.coords

    def test_a_class_with_its_own_loader(self, recording_file: Path) -> None:
        class CountingLoader(assemblies.AssemblyLoader):
            loaded = 0

            def load(self):
                CountingLoader.loaded += 1
                return super().load()

        class OwnAssembly(DataAssembly):
            __slots__ = ()

            @classmethod
            def get_loader_class(cls):
                return CountingLoader

        assy = load_assembly(recording_file, cls=OwnAssembly, stimulus_set=stimulus_set())
        assert type(assy) is OwnAssembly
        assert CountingLoader.loaded == 1
        assert "category" not in assy.coords  # the plain AssemblyLoader does not merge


def test_large_assembly_builds_indexes_without_copying_data() -> None:
    """150,000 presentations x 64 neuroids with 15 presentation levels (MajajHong2015-like)."""
    n = 150_000
    rng = np.random.default_rng(0)
    data = np.zeros((n, 64), dtype=np.float32)
    stimulus_ids = np.array([f"stim{i:05d}" for i in range(5760)], dtype=object)
    raw = xr.DataArray(
        data,
        coords={
            "stimulus_id": ("presentation", stimulus_ids[rng.integers(0, 5760, n)]),
            "repetition": ("presentation", rng.integers(0, 50, n)),
            "neuroid_id": ("neuroid", [f"n{i}" for i in range(64)]),
        },
        dims=["presentation", "neuroid"],
    )
    stimuli = pd.DataFrame(
        {"stimulus_id": stimulus_ids, **{f"meta{k}": rng.normal(size=5760) for k in range(12)}}
    )
    loader = StimulusMergeAssemblyLoader(NeuroidAssembly, "in-memory")
    assy = loader.merge_stimulus_set_meta(raw, stimuli)
    assert type(assy) is NeuroidAssembly
    assert np.shares_memory(assy.values, data)
    assert len(assy.indexes["presentation"].names) == 14
    some = assy.isel(presentation=[5, 77_777])
    for position in range(2):
        row = stimuli.set_index("stimulus_id").loc[some["stimulus_id"].values[position]]
        assert some["meta3"].values[position] == row["meta3"]


def test_merging_a_stimulus_set_keeps_its_levels_in_compact_codes(tmp_path: Path) -> None:
    """16 stimulus-set columns of few values, merged onto 100,000 presentations: their codes
    are held a byte a value while the MultiIndex is built, not eight (12.8 MB here)."""
    n, columns = 100_000, 16
    ids = [f"s{i}" for i in range(1000)]
    path = tmp_path / "many_levels.nc"
    with netCDF4.Dataset(path, "w") as root:
        root.createDimension("presentation", n)
        root.createVariable("data", "f4", ("presentation",))[:] = np.zeros(n)
        root["data"].coordinates = "stimulus_id"
        stimulus = root.createVariable("stimulus_id", str, ("presentation",))
        stimulus[:] = np.array(ids * (n // len(ids)), dtype=object)
    metadata = {f"meta{k}": np.arange(len(ids)) % (k + 2) for k in range(columns)}
    stimuli = StimulusSet(pd.DataFrame({"stimulus_id": ids, **metadata}))
    NeuronRecordingAssembly.from_files(path, stimulus_set=stimuli)  # imports, caches
    tracemalloc.start()
    try:
        assy = NeuronRecordingAssembly.from_files(path, stimulus_set=stimuli)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < columns * n * 8
    assert list(assy["meta5"].values[:9]) == [0, 1, 2, 3, 4, 5, 6, 0, 1]


def test_multi_groupby_map_keeps_the_dimension() -> None:
    assy = up_down()
    centered = assy.multi_groupby(["up", "down"]).map(lambda group: group - group.mean("a"))
    assert type(centered) is DataAssembly
    assert "multi_group" not in centered.coords
    assert centered.indexes["a"].names == ["up", "down"]
    np.testing.assert_allclose(centered.sel(up="alpha").values, [[-1.5] * 3, [1.5] * 3])
