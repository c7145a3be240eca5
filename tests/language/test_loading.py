"""Loading Brain-Score language data by registry key, end to end against a loopback S3 server.

The server holds synthetic netCDF files at the real bucket and keys, and nothing else: a
language data set is one file, its sentences and words are ``presentation`` coordinates. The
catalog swapped in is built by the production make_catalog code (see conftest.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import brainio
import brainio_language
from brainio.assemblies import NeuroidAssembly
from brainio.errors import AccessDeniedError, AssemblyLookupError, StimulusSetLookupError


def test_load_sentence_data_set_by_registry_key(brainscore_language_store, brainio_home: Path):
    assembly = brainio_language.load_dataset("Pereira2018.language")
    assert isinstance(assembly, NeuroidAssembly)
    assert assembly.dims == ("presentation", "neuroid")
    np.testing.assert_allclose(
        assembly.values, brainscore_language_store.values["Pereira2018.language"]
    )
    assert (
        list(assembly["stimulus"].values) == brainscore_language_store.texts["Pereira2018.language"]
    )
    assert assembly.attrs["registry_key"] == "Pereira2018.language"
    assert assembly.attrs["identifier"] == "Pereira2018.language"
    assert assembly.attrs["storage_identifier"] == "Pereira2018.language"
    assert assembly.attrs["access"] == "public"
    assert assembly.attrs["catalog"] == "brainscore_language"
    assert assembly.attrs.get("stimulus_set") is None
    assert assembly.sel(subject="018").sizes["neuroid"] == 2
    # exactly one object was fetched: the netCDF file, no stimulus archive
    cached = [p.name for p in (brainio_home / "objects").glob("*/*") if not p.name.startswith(".")]
    assert cached == ["assy_Pereira2018_language.nc"]


def test_words_with_subjects_load_with_the_catalog_class(brainscore_language_store):
    """Futrell2018 is presentation x subject but registered as NeuroidAssembly, as in
    Brain-Score language; it loads as such, its words a presentation coordinate."""
    assembly = brainio_language.data_registry["Futrell2018"]()
    assert type(assembly) is NeuroidAssembly
    assert assembly.dims == ("presentation", "subject")
    assert list(assembly["word"].values) == brainscore_language_store.texts["Futrell2018"]
    np.testing.assert_array_equal(assembly.values, brainscore_language_store.values["Futrell2018"])
    same = brainio.get_assembly("Futrell2018")  # by storage identifier: the same loader
    assert same.attrs["registry_key"] == "Futrell2018"


def test_lazy_loading(brainscore_language_store):
    assembly = brainio_language.load_dataset("Pereira2018.language", chunks={"presentation": 4})
    assert assembly.chunks is not None
    np.testing.assert_allclose(
        assembly.values, brainscore_language_store.values["Pereira2018.language"]
    )


def test_private_data_set_gives_an_access_error(brainscore_language_store, brainio_home: Path):
    assert brainio_language.list_datasets(access="private") == ["Lab2026.private"]
    with pytest.raises(
        AccessDeniedError, match=r"data set 'Lab2026.private' .* is private"
    ) as info:
        brainio_language.load_dataset("Lab2026.private")
    message = str(info.value)
    assert (
        "brainscore-storage.s3.amazonaws.com/brainscore-language/assy_Lab2026_private.nc" in message
    )
    assert "AWS_PROFILE" in message and "list_datasets(access='public')" in message
    assert list((brainio_home / "objects").glob("*/*.nc")) == []


def test_public_data_refused_says_it_is_public(brainscore_language_store, deny_keys):
    deny_keys("brainscore-storage", [brainscore_language_store.keys["Futrell2018"]])
    with pytest.raises(AccessDeniedError, match=r"'Futrell2018' .* is public, but S3 refused"):
        brainio_language.load_dataset("Futrell2018")


def test_unknown_keys_and_stimulus_sets(brainscore_language_store):
    with pytest.raises(AssemblyLookupError, match=r"did you mean 'Pereira2018.language'"):
        brainio_language.load_dataset("Pereira2018.langauge")
    with pytest.raises(AssemblyLookupError, match=r"list_datasets\(\) lists the 3"):
        brainio_language.data_registry["Wikitext"]
    with pytest.raises(StimulusSetLookupError, match="no stimulus sets: the sentences and words"):
        brainio_language.load_stimulus_set("Pereira2018.language")
    assert brainio_language.list_stimulus_sets() == []
