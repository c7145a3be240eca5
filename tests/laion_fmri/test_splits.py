"""Split files: installing (validated), listing, loading, id lists, OOD filter, masks."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from laion_fmri import splits
from laion_fmri.errors import InvalidArgumentError, SplitFormatError, SplitNotFoundError


@pytest.fixture
def installed(data_dir, tmp_path, mini):
    files = mini.make_split_files(tmp_path / "published")
    splits.install_split_files(files)
    return data_dir / "splits"


def test_package_ships_no_split_ids():
    assert not list(splits.PACKAGE_DATA.glob("**/*.json"))


def test_nothing_installed(data_dir):
    assert splits.list_pools() == [] and splits.list_splits() == []
    with pytest.raises(
        SplitNotFoundError,
        match=r"No splits installed for pool 'shared'.*"
        r"laion-fmri splits add",
    ):
        splits.load_split("tau", "shared")


def test_listing(installed):
    assert splits.list_pools() == ["shared", "sub-01"]
    assert splits.list_splits() == [
        "random_0",
        "random_1",
        "random_2",
        "random_3",
        "random_4",
        "cluster_k5_0",
        "cluster_k5_1",
        "cluster_k5_2",
        "cluster_k5_3",
        "cluster_k5_4",
        "tau",
        "ood",
    ]
    assert splits.list_ood_types() == ["gabor", "illusion-classic", "shape"]
    assert sorted(p.name for p in (installed / "shared").iterdir())[0] == "cluster_k5_0.json"


def test_load_split(installed):
    split = splits.load_split("cluster_k5_3", pool="shared")
    assert (split.name, split.pool, split.split_family) == ("cluster_k5_3", "shared", "cluster_k5")
    assert (split.n_train, split.n_test, split.splitter) == (8, 2, "kmeans")
    assert [v.variant_id for v in split.variants] == [0]
    assert splits.load_split("tau", "shared").split_family == "tau"
    assert set(splits.load_all_splits("sub-01")) == {"random_0"}


def test_train_test_ids_and_ood_filter(installed):
    train, test = splits.get_train_test_ids("random_1", "shared")
    assert len(train) == 8 and test == [
        "shared_12rep_LAION_cluster_2_i0.jpg",
        "shared_12rep_LAION_cluster_3_i0.jpg",
    ]
    _, ood = splits.get_train_test_ids("ood", "shared", ood_types=["shape", "gabor"])
    assert len(ood) == 5 and all("_shape_" in i or "_gabor_" in i for i in ood)
    _, one = splits.get_train_test_ids("ood", "shared", ood_types="illusion-classic")
    assert one == [f"shared_4rep_OOD_illusion-classic_{n}.jpg" for n in (0, 1)]


def test_ood_types_on_a_non_ood_split(installed):
    with pytest.raises(
        InvalidArgumentError, match="ood_types is only valid for the 'ood' split, not 'random_0'"
    ):
        splits.get_train_test_ids("random_0", "shared", ood_types=["shape"])


def test_unknown_ood_type_split_pool_variant(installed):
    with pytest.raises(SplitNotFoundError, match=r"\['stars'\].*gabor, illusion-classic, shape"):
        splits.get_train_test_ids("ood", "shared", ood_types=["stars"])
    with pytest.raises(
        SplitNotFoundError,
        match=r"'tau' is not installed for pool 'sub-01'.*"
        r"Splits of 'sub-01': random_0",
    ):
        splits.load_split("tau", "sub-01")
    with pytest.raises(SplitNotFoundError, match=r"pool 'sub-09'.*Pools: shared, sub-01"):
        splits.load_split("tau", "sub-09")
    with pytest.raises(SplitNotFoundError, match=r"no variant 3.*Variants: \[0\]"):
        splits.get_train_test_ids("tau", "shared", variant_id=3)


def test_split_masks(installed, mini):
    trials = pd.DataFrame({"beta_index": range(40), "label": mini.labels_of("ses-01")})
    train, test = splits.get_split_masks(trials, "random_0", "shared")
    labels = trials["label"]
    assert train.dtype == bool and len(train) == len(trials)
    assert set(labels[test]) == {
        "shared_12rep_LAION_cluster_0_i0.jpg",
        "shared_12rep_LAION_cluster_1_i0.jpg",
    }
    assert not (train & test).any() and (labels[~(train | test)].str.startswith("unique_")).all()
    same = splits.get_split_masks(labels.to_numpy(), "random_0", "shared")
    assert np.array_equal(same[0], train)
    with pytest.raises(InvalidArgumentError, match="no 'label' column"):
        splits.get_split_masks(pd.DataFrame({"x": [1]}), "random_0", "shared")


def test_bad_files_are_refused_and_nothing_is_installed(data_dir, tmp_path, mini):
    good = mini.write_split(tmp_path / "shared" / "tau.json", "tau", ["a.jpg"], ["b.jpg"])
    bad = tmp_path / "shared" / "random_0.json"
    bad.write_text(
        json.dumps(
            {
                "name": "random_0",
                "n_train": 2,
                "n_test": 1,
                "variants": [{"variant_id": 0, "train_ids": ["a.jpg"], "test_ids": ["a.jpg"]}],
            }
        )
    )
    with pytest.raises(
        SplitFormatError,
        match=r"(?s)random_0\.json.*in both train and test, "
        r"e\.g\. 'a\.jpg'.*n_train is 2 but variants\[0\]",
    ):
        splits.install_split_files([good, bad])
    assert not (data_dir / "splits").exists()
    not_json = tmp_path / "shared" / "ood.json"
    not_json.write_text("{")
    with pytest.raises(SplitFormatError, match="ood.json is not valid JSON"):
        splits.install_split_files([not_json])
    elsewhere = mini.write_split(tmp_path / "downloads" / "tau.json", "tau", ["a.jpg"], ["b.jpg"])
    with pytest.raises(SplitFormatError, match="cannot tell its pool.*--pool"):
        splits.install_split_files([elsewhere])
    assert splits.install_split_files([elsewhere], pool="sub-03") == [
        data_dir / "splits" / "sub-03" / "tau.json"
    ]


def test_schema_problems_are_all_listed():
    problems = splits.validate_split(
        {
            "name": "x y",
            "n_train": -1,
            "params": [],
            "variants": [{"variant_id": "0", "train_ids": [1], "test_ids": ["a", "a"]}],
        }
    )
    text = "\n".join(problems)
    for expected in (
        "'name' must be",
        "'n_train' must be a count",
        "'n_test' must be",
        "'params' must be a dict",
        "variant_id must be an integer",
        "train_ids must be a list of stimulus ids",
        "test_ids repeats ids",
    ):
        assert expected in text
