"""Loading Brain-Score vision data by registry key, end to end against a loopback S3 server.

The server holds synthetic files at the real bucket and keys; the catalog swapped in is built
by the production make_catalog code from facts whose sha1s and version ids are the seeded
objects' (see conftest.py), so fetch, verification, extraction and loading are the real ones.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pytest

import brainio
import brainio_vision
from brainio.assemblies import NeuronRecordingAssembly
from brainio.errors import AccessDeniedError, AssemblyLookupError, StimulusSetLookupError
from brainio_vision import ImageStimulusSet


def production_rows() -> dict[tuple[str, str], dict[str, str]]:
    from brainio_vision.plugin import CATALOG_PATH

    with open(CATALOG_PATH, newline="") as file:
        return {(row["identifier"], row["location"]): row for row in csv.DictReader(file)}


def test_the_swapped_catalog_points_at_the_production_locations(brainscore_vision_store):
    production = production_rows()
    with open(brainscore_vision_store.catalog_path, newline="") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 6  # two stimulus sets (CSV + ZIP each) and two assemblies
    for row in rows:
        real = production[row["identifier"], row["location"]]
        for column in ("lookup_type", "class", "stimulus_set_identifier", "registry_key", "access"):
            assert row[column] == real[column], (row["identifier"], column)


def test_load_stimulus_set_by_registry_key(brainscore_vision_store):
    stimuli = brainio_vision.load_stimulus_set("hvm-public")
    seeded = brainscore_vision_store.tables["hvm-public"]
    assert isinstance(stimuli, ImageStimulusSet)
    assert stimuli.identifier == "hvm-public"
    assert stimuli.registry_key == "hvm-public"
    assert stimuli.attrs["storage_identifier"] == "hvm-public"
    assert stimuli.attrs["access"] == "public"
    assert list(stimuli["stimulus_id"]) == list(seeded["stimulus_id"])
    first = seeded["stimulus_id"].iloc[0]
    path = stimuli.get_stimulus(first)
    assert path.is_file() and path.suffix == ".png"
    image = stimuli.load_image(first)
    assert image.size == (8, 6)
    assert image.getpixel((0, 0)) == (200, 30, 30)  # the 'car' colour of the first stimulus
    cars = stimuli[stimuli["object_name"] == "car"]  # slicing keeps class, paths and names
    assert isinstance(cars, ImageStimulusSet) and cars.registry_key == "hvm-public"
    assert cars.load_image(first).size == (8, 6)


def test_load_dataset_by_registry_key(brainscore_vision_store):
    assembly = brainio_vision.load_dataset("MajajHong2015.public")
    assert isinstance(assembly, NeuronRecordingAssembly)
    assert assembly.dims == ("presentation", "neuroid", "time_bin")
    np.testing.assert_allclose(
        assembly.values, brainscore_vision_store.values["MajajHong2015.public"]
    )
    assert assembly.attrs["registry_key"] == "MajajHong2015.public"
    assert assembly.attrs["identifier"] == "dicarlo.MajajHong2015.public"
    assert assembly.attrs["storage_identifier"] == "dicarlo.MajajHong2015.public"
    assert assembly.attrs["stimulus_set_identifier"] == "hvm-public"
    assert assembly.attrs["stimulus_set_registry_key"] == "hvm-public"
    assert assembly.attrs["access"] == "public"
    stimulus_set = assembly.attrs["stimulus_set"]
    assert isinstance(stimulus_set, ImageStimulusSet) and stimulus_set.registry_key == "hvm-public"
    # the stimulus set's metadata are merged onto presentation, as in Brain-Score
    table = brainscore_vision_store.tables["hvm-public"].set_index("stimulus_id")
    expected = table.loc[assembly["stimulus_id"].values, "object_name"].to_numpy()
    assert list(assembly["object_name"].values) == list(expected)
    it = assembly.sel(region="IT")
    assert it.sizes["neuroid"] == 2


def test_registry_dictionaries_and_storage_identifiers_load_the_same(brainscore_vision_store):
    from_registry = brainio_vision.data_registry["MajajHong2015.public"]()
    by_storage_identifier = brainio.get_assembly("dicarlo.MajajHong2015.public")
    np.testing.assert_array_equal(from_registry.values, by_storage_identifier.values)
    # the plugin's loader records the registry key on either path
    assert by_storage_identifier.attrs["registry_key"] == "MajajHong2015.public"
    stimuli = brainio_vision.stimulus_set_registry["hvm-public"]()
    assert isinstance(stimuli, ImageStimulusSet)


def test_lazy_loading_without_stimulus_set(brainscore_vision_store, brainio_home: Path):
    assembly = brainio_vision.load_dataset(
        "MajajHong2015.public", chunks={"presentation": 8}, load_stimulus_set=False
    )
    assert assembly.chunks is not None
    assert "object_name" not in assembly.coords
    assert assembly.attrs["stimulus_set_registry_key"] == "hvm-public"  # looked up, not loaded
    np.testing.assert_allclose(
        assembly.values, brainscore_vision_store.values["MajajHong2015.public"]
    )
    cached = list((brainio_home / "objects").glob("*/*.zip"))
    assert cached == []  # the images were not fetched


def test_private_data_set_gives_an_access_error(brainscore_vision_store, brainio_home: Path):
    with pytest.raises(AccessDeniedError, match=r"'MajajHong2015.private' .* is private") as info:
        brainio_vision.load_dataset("MajajHong2015.private")
    message = str(info.value)
    assert "storage identifier 'dicarlo.MajajHong2015.private'" in message
    assert "bucket 'brainscore-storage'" in message
    assert "s3://brainscore-storage/brainio-brainscore/" in message
    assert "AWS_PROFILE" in message
    assert "'MajajHong2015.public'" in message  # the public part is suggested
    # S3's own words are kept; the assembly and its stimulus set are fetched concurrently
    assert re.search(
        r"S3 said: .*(assy_dicarlo_MajajHong2015_private\.nc|stimulus_hvm-private)", message
    )
    assert isinstance(info.value.__cause__, AccessDeniedError)
    assert list((brainio_home / "objects").glob("*/*.nc")) == []  # nothing half-cached


def test_private_data_without_credentials(brainscore_vision_store, monkeypatch):
    from brainio_s3 import client as s3_clients

    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    s3_clients.clear_clients()
    assert brainio_vision.load_stimulus_set("hvm-public").registry_key == "hvm-public"
    with pytest.raises(AccessDeniedError, match=r"is private: .* without credentials"):
        brainio_vision.load_dataset("MajajHong2015.private")


def test_private_stimulus_set_gives_an_access_error(brainscore_vision_store):
    with pytest.raises(
        AccessDeniedError, match=r"stimulus set 'hvm-private' .* is private"
    ) as info:
        brainio_vision.load_stimulus_set("hvm-private")
    assert "'hvm-public'" in str(info.value)


def test_public_data_refused_says_it_is_public(brainscore_vision_store, deny_keys):
    deny_keys("brainscore-storage", [brainscore_vision_store.keys["hvm-public.csv"]])
    with pytest.raises(AccessDeniedError, match=r"'hvm-public' .* is public, but S3 refused"):
        brainio_vision.load_stimulus_set("hvm-public")


def test_unknown_keys_name_the_likely_reason(brainscore_vision_store):
    with pytest.raises(AssemblyLookupError, match="storage identifier of 'MajajHong2015.public'"):
        brainio_vision.load_dataset("dicarlo.MajajHong2015.public")
    with pytest.raises(AssemblyLookupError, match=r"is a stimulus set; load it with load_stim"):
        brainio_vision.load_dataset("hvm-public")
    with pytest.raises(StimulusSetLookupError, match=r"did you mean 'hvm-public'"):
        brainio_vision.load_stimulus_set("hvm-publik")
    with pytest.raises(AssemblyLookupError, match="list_datasets"):
        brainio_vision.data_registry["NoSuchData2026"]
