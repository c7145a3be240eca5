"""brainio.transform: subset and index_efficient, the cases of BrainIO 1.x's test_transform.py."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from brainio.assemblies import NeuroidAssembly
from brainio.errors import BrainIOError
from brainio.transform import SubsetError, index_efficient, subset

pytestmark = [
    pytest.mark.filterwarnings("error::FutureWarning"),
    # xarray warns when it builds the (presentation, presentation) arrays of the repeated-dim cases
    pytest.mark.filterwarnings("ignore:Duplicate dimension names:UserWarning"),
]


def stacked(values: np.ndarray, image_ids=None) -> NeuroidAssembly:
    """A presentation x neuroid assembly with one-level MultiIndexes, as 1.x's tests built it."""
    image_ids = list(range(values.shape[0])) if image_ids is None else image_ids
    assembly = NeuroidAssembly(
        values,
        coords={"image_id": image_ids, "neuroid_id": list(range(values.shape[1]))},
        dims=["image_id", "neuroid_id"],
    )
    return assembly.stack(presentation=("image_id",), neuroid=("neuroid_id",))


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


class TestSubset:
    def test_equal(self, rng) -> None:
        assembly = stacked(rng.random((100, 3)))
        subset_assembly = subset(assembly, assembly, subset_dims=("presentation",))
        assert type(subset_assembly) is NeuroidAssembly
        assert (subset_assembly == assembly).all()

    def test_equal_shifted(self, rng) -> None:
        target = stacked(rng.random((100, 3)))
        shifted_values = np.concatenate((target.values[1:], target.values[:1]))
        shifted_ids = np.arange(100) + 1
        shifted_ids[-1] = 0
        source = stacked(shifted_values, image_ids=shifted_ids)
        subset_assembly = subset(source, target, subset_dims=("presentation",))
        assert list(subset_assembly.coords) == list(target.coords)
        assert subset_assembly.shape == target.shape
        for image_id in (0, 5, 99):
            np.testing.assert_array_equal(
                subset_assembly.sel(image_id=image_id).values, target.sel(image_id=image_id).values
            )

    @pytest.mark.parametrize("offset", [0, 50], ids=["first", "last"])
    def test_smaller(self, rng, offset: int) -> None:
        source = stacked(rng.random((100, 3)))
        target = source.sel(
            presentation=[(offset + x,) for x in range(50)],
            neuroid=[(offset // 50 + x,) for x in range(2)],
        )
        subset_assembly = subset(source, target, subset_dims=("presentation",))
        assert list(subset_assembly.coords) == list(target.coords)
        assert subset_assembly.sizes["presentation"] == 50
        np.testing.assert_array_equal(subset_assembly["image_id"], target["image_id"])
        assert (subset_assembly == target).all()

    def test_larger_error(self, rng) -> None:
        source = stacked(rng.random((50, 2)))
        target = stacked(rng.random((100, 3)))
        with pytest.raises(
            SubsetError, match="'presentation' has 50 elements in the source but 100 in the target"
        ) as error:
            subset(source, target, subset_dims=("presentation",))
        assert isinstance(error.value, BrainIOError)
        loose = subset(source, target, subset_dims=("presentation",), dims_must_match=False)
        assert loose.sizes["presentation"] == 50

    def test_repeated_target(self, rng) -> None:
        source = stacked(rng.random((5, 3)))
        target = stacked(np.repeat(source.values, 2, axis=0), image_ids=np.repeat(np.arange(5), 2))
        subset_assembly = subset(source, target, subset_dims=("presentation",), repeat=True)
        assert list(subset_assembly.coords) == list(target.coords)
        np.testing.assert_array_equal(subset_assembly["image_id"], target["image_id"])
        np.testing.assert_array_equal(subset_assembly, target)

    def test_category_coordinate_instead_of_dimension(self, rng) -> None:
        source = NeuroidAssembly(
            rng.random((6, 2)),
            coords={
                "image_id": ("presentation", np.arange(6)),
                "category": ("presentation", ["a", "b", "c"] * 2),
                "neuroid_id": ("neuroid", [0, 1]),
            },
            dims=["presentation", "neuroid"],
        )
        target = xr.DataArray([0, 0], coords={"category": ["a", "c"]}, dims=["category"]).stack(
            presentation=["category"]
        )
        sub = subset(source, target, repeat=True, dims_must_match=False)
        assert sorted(sub["category"].values.tolist()) == ["a", "a", "c", "c"]

    def test_missing_dimension(self, rng) -> None:
        source = stacked(rng.random((5, 3)))
        with pytest.raises(SubsetError, match="'time_bin'.*target assembly"):
            subset(source, source, subset_dims=("time_bin",))

    def test_repeated_dim(self, rng) -> None:
        source = NeuroidAssembly(
            rng.random((5, 5)),
            coords={
                "image_id": ("presentation", list(range(5))),
                "image_meta": ("presentation", np.zeros(5)),
            },
            dims=["presentation", "presentation"],
        )
        target = NeuroidAssembly(
            np.zeros(3), coords={"image_id": [0, 2, 3]}, dims=["image_id"]
        ).stack(presentation=("image_id",))
        subset_assembly = subset(source, target, subset_dims=("presentation",), repeat=True)
        assert subset_assembly.shape == (3, 3)
        assert set(subset_assembly["image_id"].values) == {0, 2, 3}
        np.testing.assert_array_equal(
            subset_assembly.values, source.values[np.ix_([0, 2, 3], [0, 2, 3])]
        )

    def test_repeated_dim_and_adjacent(self, rng) -> None:
        source = NeuroidAssembly(
            rng.random((5, 5)),
            coords={
                "image_id": ("presentation", list(range(5))),
                "image_meta": ("presentation", np.zeros(5)),
                "adjacent": 12,
            },
            dims=["presentation", "presentation"],
        )
        target = NeuroidAssembly(
            np.zeros(3), coords={"image_id": [0, 2, 3]}, dims=["image_id"]
        ).stack(presentation=("image_id",))
        subset_assembly = subset(source, target, subset_dims=("presentation",), repeat=True)
        assert subset_assembly.shape == (3, 3)
        assert set(subset_assembly["image_id"].values) == {0, 2, 3}
        assert subset_assembly["adjacent"] == 12


class TestIndexEfficient:
    def test_matches_list_index_for_every_target(self) -> None:
        source = np.array([1, 2, 3, 4, 5])
        target = np.array([1, 1, 3, 4, 4, 4, 5])
        expected = [source.tolist().index(value) for value in target]
        assert index_efficient(source, target) == expected

    def test_unsorted_inputs_and_missing_values(self) -> None:
        source = np.array(["c", "a", "b"])
        target = np.array(["b", "x", "c", "b"])
        # ordered by the sorted target values; 'x' is not in the source
        assert index_efficient(source, target) == [2, 2, 0]

    def test_empty(self) -> None:
        assert index_efficient(np.array([1, 2]), np.array([], dtype=int)) == []
