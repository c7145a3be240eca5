"""BrainIO used the way Brain-Score's own code (brainscore_vision 2.3, brainscore_core 2.2) uses it.

The assembly manipulations (time-bin alignment, RDM, split and merge, listings) run in
brainscore_usage.py on both sides, BrainIO 1.1.0 and this project, and must give the same
results. The rest exercises, in this project, the 1.x names Brain-Score imports: the
``brainio.fetch`` fetchers its weight helpers drive, its S3 data helpers (fetch_file, unzip,
StimulusSetLoader, assembly loaders), its data-packaging scripts (no catalog, result dicts),
``load_weight_file`` with stale sha1s, and catalogs that list one file at several locations.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import brainio
import brainio.fetch
import brainio.packaging
from brainio import lookup
from brainio.assemblies import (
    NeuroidAssembly,
    NeuronRecordingAssembly,
    StimulusMergeAssemblyLoader,
    merge_data_arrays,
)
from brainio.catalogs import Catalog
from brainio.errors import CatalogConflictError, FetchError, IntegrityError
from brainio.hashing import sha1_hash
from brainio.stimuli import StimulusSet, StimulusSetLoader

HERE = Path(__file__).parent
USAGE = HERE / "brainscore_usage.py"


def run_usage(python: Path | str, out: Path) -> dict:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    result = subprocess.run(
        [str(python), str(USAGE), str(out)], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"{python} failed on brainscore_usage.py:\n{result.stderr}"
    return json.loads(out.read_text())


def test_brainscore_usage_gives_what_brainio1_gives(brainio1_python, tmp_path) -> None:
    theirs = run_usage(brainio1_python, tmp_path / "brainio1.json")
    ours = run_usage(sys.executable, tmp_path / "ours.json")
    assert sorted(ours) == sorted(theirs)
    differing = {key: (theirs[key], ours[key]) for key in theirs if theirs[key] != ours[key]}
    assert not differing, f"results that differ from BrainIO 1.1.0: {differing}"
    assert theirs["aligned_starts"] == [70, 100]  # the re-labelled bins, not the model's own


#: 1.x names not kept, each with its reason (docs/migrating.md): private helpers of 1.x's
#: catalog loading, whose work the plugin manager and the catalog index do now.
NOT_KEPT = {
    "brainio.catalogs": {"CatalogLoader"},
    "brainio.lookup": {"_load_catalog", "_lookup_stimulus_set_filtered"},
}


def test_every_name_brainio1_defines_still_imports(brainio1_python, tmp_path) -> None:
    import importlib

    out = tmp_path / "names.json"
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    subprocess.run(
        [str(brainio1_python), str(HERE / "brainio1_names.py"), str(out)],
        env=env,
        check=True,
        timeout=300,
    )
    names = json.loads(out.read_text())
    assert len(names["brainio.assemblies"]) > 20  # the listing saw 1.x's modules
    missing = {
        module: sorted(
            name
            for name in expected
            if not hasattr(importlib.import_module(module), name)
            and name not in NOT_KEPT.get(module, set())
        )
        for module, expected in names.items()
    }
    assert not any(missing.values()), f"1.x names missing here: {missing}"


# --- assemblies: the 1.x listing of coordinates -----------------------------------------------


def recording() -> NeuroidAssembly:
    return NeuroidAssembly(
        np.arange(24.0).reshape(3, 4, 2),
        coords={
            "stimulus_id": ("presentation", ["s0", "s1", "s2"]),
            "repetition": ("presentation", [0, 0, 1]),
            "neuroid_id": ("neuroid", ["n0", "n1", "n2", "n3"]),
            "region": ("neuroid", ["IT", "V4", "IT", "V4"]),
            "time_bin_start": ("time_bin", [0, 100]),
            "time_bin_end": ("time_bin", [100, 200]),
            "animal": "m1",
        },
        dims=["presentation", "neuroid", "time_bin"],
    )


def test_iterating_coords_lists_no_multiindex_levels_but_lookups_see_them() -> None:
    assembly = recording()
    listed = ["presentation", "neuroid", "time_bin", "animal"]
    assert list(assembly.coords) == listed
    assert list(dict(assembly.coords.items())) == listed and len(assembly.coords) == 4
    assert list(assembly.indexes) == ["presentation", "neuroid", "time_bin"]
    assert "stimulus_id" in assembly.coords
    assert assembly.coords["stimulus_id"].values.tolist() == ["s0", "s1", "s2"]
    assert {"stimulus_id", "time_bin_start"} <= set(assembly.coords.variables)
    assert "time_bin_start" in repr(assembly)  # xarray's own listing is complete


def test_xarray_methods_that_iterate_coords_keep_every_level() -> None:
    assembly = recording()
    transposed = assembly.transpose("time_bin", "neuroid", "presentation")
    assert transposed["time_bin_start"].values.tolist() == [0, 100]
    assert transposed.sel(region="IT").sizes["neuroid"] == 2
    assert {"stimulus_id", "region", "time_bin_end"} <= set(assembly.to_dict()["coords"])


def test_brainio_get_summary_lists_every_level() -> None:
    from brainio.cli import describe

    summary = describe(recording())
    assert "presentation: stimulus_id, repetition" in summary
    assert "time_bin: time_bin_start, time_bin_end" in summary


def test_rebuilding_from_coords_items_takes_the_new_time_bins() -> None:
    source = recording()
    kept = {name: coord for name, coord in source.coords.items() if name != "time_bin"}
    aligned = type(source)(
        source.values[..., ::-1],
        dims=source.dims,
        coords={
            "time_bin_start": ("time_bin", [70, 170]),
            "time_bin_end": ("time_bin", [170, 270]),
            **kept,
        },
    )
    assert aligned["time_bin_start"].values.tolist() == [70, 170]
    assert aligned["time_bin_end"].values.tolist() == [170, 270]
    assert aligned["stimulus_id"].values.tolist() == ["s0", "s1", "s2"]
    assert aligned["region"].values.tolist() == ["IT", "V4", "IT", "V4"]


def test_split_by_sel_and_merge_back() -> None:
    full = recording().isel(time_bin=0)
    merged = merge_data_arrays([full.sel(region="V4"), full.sel(region="IT")])
    assert type(merged) is NeuroidAssembly
    assert "region" not in merged.coords  # differs between the parts, as absent in 1.x
    assert merged.coords["animal"].item() == "m1"  # the same in every part: kept
    for neuroid_id in full["neuroid_id"].values:
        np.testing.assert_array_equal(
            merged.sel(neuroid_id=[neuroid_id]).values, full.sel(neuroid_id=[neuroid_id]).values
        )


# --- brainio.fetch, as the weight and data helpers use it ------------------------------------


def test_fetch_module_has_the_1x_names() -> None:
    from brainio.fetch import (  # noqa: F401 - the imports are the test
        BotoFetcher,
        Fetcher,
        StimulusSetLoader,
        get_fetcher,
        resolve_stimulus_set_class,
        unzip,
        verify_sha1,
    )
    from brainio.lookup import sha1_hash  # noqa: F401
    from brainio.packaging import get_user_info  # noqa: F401

    assert brainio.fetch.StimulusSetLoader is StimulusSetLoader
    assert brainio.fetch._local_data_path is None


def test_get_fetcher_and_base_fetcher_refuse_clearly(tmp_path) -> None:
    with pytest.raises(KeyError, match=r"location type 'ftp'.*fetch_file"):
        brainio.fetch.get_fetcher(type="ftp", location="ftp://x/y", local_filename="y")
    with pytest.raises(NotImplementedError, match="BotoFetcher"):
        brainio.fetch.Fetcher("https://b.s3.amazonaws.com/k", str(tmp_path / "k")).fetch()


def test_patched_local_data_path_moves_the_cache(monkeypatch, tmp_path) -> None:
    """Brain-Score's fixtures patch ``brainio.fetch._local_data_path`` to isolate the cache."""
    monkeypatch.setattr(brainio.fetch, "_local_data_path", str(tmp_path / "patched"))
    remote = tmp_path / "assy_lab_x.nc"
    remote.write_bytes(b"netcdf bytes")
    path = brainio.fetch.fetch_file("local", str(remote), sha1_hash(remote))
    assert isinstance(path, str) and path.startswith(str(tmp_path / "patched"))
    assert brainio.fetch.get_local_data_path() == str(tmp_path / "patched")
    assert brainio.fetch.unzip.__module__ == "brainio.fetch"


def test_boto_fetcher_places_weights_where_the_caller_says(
    s3_environment, s3_client, make_bucket, tmp_path
) -> None:
    """brainscore_vision's load_file_from_s3: BotoFetcher with output_filename overridden."""
    bucket = make_bucket()
    weights = os.urandom(2048)
    version = s3_client.put_object(Bucket=bucket, Key="models/net/w.pth", Body=weights)
    local = tmp_path / "brain-score" / "models" / "net" / "w.pth"
    fetcher = brainio.fetch.BotoFetcher(
        location=f"https://{bucket}.s3.amazonaws.com/models/net/w.pth",
        version_id=version["VersionId"],
        local_filename=local.parent,
    )
    assert (fetcher.bucketname, fetcher.relative_path) == (bucket, "models/net/w.pth")
    fetcher.output_filename = str(local)
    assert fetcher.fetch() == str(local)
    brainio.fetch.verify_sha1(local, sha1_hash(local))
    assert local.read_bytes() == weights
    assert [p.name for p in local.parent.iterdir()] == ["w.pth"]  # nothing half-written left
    s3_client.put_object(Bucket=bucket, Key="models/net/w.pth", Body=b"newer")
    assert fetcher.fetch() == str(local) and local.read_bytes() == weights  # 1.x: exists, kept


def test_boto_fetcher_of_a_missing_object_leaves_no_file(
    s3_environment, make_bucket, tmp_path
) -> None:
    bucket = make_bucket()
    fetcher = brainio.fetch.get_fetcher(
        location=f"https://{bucket}.s3.amazonaws.com/missing.pth", local_filename=str(tmp_path)
    )
    with pytest.raises(FetchError, match="missing.pth"):
        fetcher.fetch()
    assert not os.path.exists(fetcher.output_filename)


# --- the data helpers and data-packaging scripts ---------------------------------------------


def proto_stimuli(folder: Path) -> StimulusSet:
    folder.mkdir()
    stimuli = StimulusSet({"stimulus_id": [f"s{i}" for i in range(4)], "color": list("rgbr")})
    paths = {}
    for stimulus_id in stimuli["stimulus_id"]:
        paths[stimulus_id] = folder / f"{stimulus_id}.png"
        paths[stimulus_id].write_bytes(b"\x89PNG" + stimulus_id.encode())
    stimuli.stimulus_paths = paths
    return stimuli


def proto_assembly() -> NeuronRecordingAssembly:
    return NeuronRecordingAssembly(
        np.arange(8.0).reshape(4, 2, 1),
        coords={
            "stimulus_id": ("presentation", ["s0", "s1", "s2", "s3"]),
            "repetition": ("presentation", [0, 0, 0, 1]),
            "neuroid_id": ("neuroid", ["a", "b"]),
            "region": ("neuroid", ["IT", "IT"]),
            "time_bin_start": ("time_bin", [70]),
            "time_bin_end": ("time_bin", [170]),
        },
        dims=["presentation", "neuroid", "time_bin"],
    )


def s3_url(bucket: str, key: str) -> str:
    return f"https://{bucket}.s3.amazonaws.com/{key}"


def test_packaging_without_catalog_then_loading_like_the_data_helpers(
    s3_environment, make_bucket, tmp_path
) -> None:
    bucket = make_bucket()
    stimuli = brainio.packaging.package_stimulus_set(
        None, proto_stimuli(tmp_path / "stimuli"), "lab.Test2024", bucket_name=bucket
    )
    assembly = brainio.packaging.package_data_assembly(
        None, proto_assembly(), "lab.Test2024", "lab.Test2024", bucket_name=bucket
    )
    # the result dictionaries of 1.x, which scripts print and paste into their plugins
    assert set(stimuli) == {
        "identifier",
        "bucket",
        "csv_sha1",
        "zip_sha1",
        "csv_version_id",
        "zip_version_id",
    }
    assert set(assembly.keys()) == {"identifier", "version_id", "sha1", "bucket", "cls"}
    assert assembly.get("cls") == "NeuronRecordingAssembly" and "sha1" in assembly
    assert json.loads(json.dumps(assembly)) == dict(assembly.items())
    assert lookup.list_assemblies().count("lab.Test2024") == 0  # no catalog was touched

    # load_stimulus_set_from_s3
    fetch = brainio.fetch.fetch_file
    csv_path = fetch(
        "S3",
        s3_url(bucket, "stimulus_lab_Test2024.csv"),
        stimuli["csv_sha1"],
        stimuli["csv_version_id"],
    )
    zip_path = fetch(
        "S3",
        s3_url(bucket, "stimulus_lab_Test2024.zip"),
        stimuli["zip_sha1"],
        stimuli["zip_version_id"],
    )
    stimuli_directory = brainio.fetch.unzip(zip_path)
    loader = StimulusSetLoader(
        csv_path=csv_path,
        stimuli_directory=stimuli_directory,
        cls=brainio.fetch.resolve_stimulus_set_class("StimulusSet"),
    )
    stimulus_set = loader.load()
    stimulus_set.identifier = "lab.Test2024"
    on_disk = {Path(stimuli_directory) / name for name in os.listdir(stimuli_directory)}
    assert set(stimulus_set.stimulus_paths.values()) == on_disk  # the helpers' overlap check

    # load_assembly_from_s3
    nc_path = fetch(
        "S3", s3_url(bucket, "assy_lab_Test2024.nc"), assembly["sha1"], assembly["version_id"]
    )
    loader_class = functools.partial(
        StimulusMergeAssemblyLoader,
        stimulus_set_identifier=stimulus_set.identifier,
        stimulus_set=stimulus_set,
    )
    loaded = loader_class(cls=NeuronRecordingAssembly, file_path=nc_path).load()
    assert type(loaded) is NeuronRecordingAssembly and loaded.shape == (4, 2, 1)
    assert loaded["color"].values.tolist() == ["r", "g", "b", "r"]
    assert loaded.attrs["stimulus_set_identifier"] == "lab.Test2024"


def test_an_unknown_stimulus_set_without_catalog_is_packaged_with_a_warning(
    make_bucket, s3_environment, caplog
) -> None:
    bucket = make_bucket()
    result = brainio.packaging.package_data_assembly(
        None, proto_assembly(), "lab.Other2024", "lab.Elsewhere2020", bucket_name=bucket
    )
    assert result["identifier"] == "lab.Other2024"
    assert "'lab.Elsewhere2020' is in no installed catalog" in caplog.text


def test_get_user_info_reads_the_caller_identity() -> None:
    class Sts:
        def get_caller_identity(self) -> dict:
            return {"Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/ann"}

    assert brainio.packaging.get_user_info(Sts()) == ("123456789012", "ann")


class SampledLoader(StimulusSetLoader):
    """In the manner of brainscore_vision's ImageNet-C loader: every n-th row only."""

    def __init__(self, cls, csv_path, stimuli_directory, sampling_factor):
        super().__init__(cls, csv_path, stimuli_directory)
        self.sampling_factor = sampling_factor

    def load(self):
        frame = pd.read_csv(self.csv_path)[:: self.sampling_factor]
        self.correct_stimulus_id_name(frame)
        stimulus_set = self.stimulus_set_class(frame)
        stimulus_set.stimulus_paths = {
            row["stimulus_id"]: Path(self.stimuli_directory) / row["filename"]
            for _, row in stimulus_set.iterrows()
        }
        return stimulus_set


def test_a_1x_loader_subclass_reads_stimulus_set_class(tmp_path) -> None:
    csv = tmp_path / "stimuli.csv"
    pd.DataFrame(
        {"image_id": [f"i{n}" for n in range(6)], "filename": [f"i{n}.png" for n in range(6)]}
    ).to_csv(csv, index=False)
    loader = SampledLoader(StimulusSet, csv, tmp_path, sampling_factor=2)
    assert loader.stimulus_set_class is StimulusSet
    sampled = loader.load()
    assert type(sampled) is StimulusSet and sampled["stimulus_id"].tolist() == ["i0", "i2", "i4"]
    assert sampled.get_stimulus("i2") == tmp_path / "i2.png"


# --- model weights with a stale sha1 ----------------------------------------------------------


def test_weights_pinned_by_version_id_load_despite_a_stale_sha1(
    s3_environment, s3_client, make_bucket, tmp_path, monkeypatch
) -> None:
    import brainio_s3

    monkeypatch.setenv("BRAINSCORE_HOME", str(tmp_path / "bs"))
    bucket = make_bucket()
    version = s3_client.put_object(Bucket=bucket, Key="models/w.pth", Body=b"retrained")
    stale, actual = "0" * 40, sha1_hash_bytes(b"retrained")
    with pytest.warns(UserWarning, match=rf"sha1 {actual}, not the sha1 {stale}"):
        path = brainio_s3.load_weight_file(bucket, "w.pth", version["VersionId"], stale)
    assert path.read_bytes() == b"retrained"


@pytest.mark.parametrize("version_id", [None, "null"])
def test_weights_pinned_by_nothing_but_the_sha1_still_fail(
    s3_environment, s3_client, make_bucket, tmp_path, monkeypatch, version_id
) -> None:
    import brainio_s3

    monkeypatch.setenv("BRAINSCORE_HOME", str(tmp_path / "bs"))
    bucket = make_bucket(versioned=False)
    s3_client.put_object(Bucket=bucket, Key="models/w.pth", Body=b"tampered")
    s3_client.put_bucket_versioning(  # the object keeps version "null", which can be replaced
        Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}
    )
    with pytest.raises(IntegrityError, match="w.pth"):
        brainio_s3.load_weight_file(bucket, "w.pth", version_id, "0" * 40)
    assert not (tmp_path / "bs" / "models" / "w.pth").exists()


def sha1_hash_bytes(data: bytes) -> str:
    import hashlib

    return hashlib.sha1(data).hexdigest()


# --- one file listed by several catalogs -----------------------------------------------------


HEADER = "identifier,lookup_type,class,location_type,location,sha1,stimulus_set_identifier"


class Catalogs:
    def __init__(self, *catalogs: Catalog) -> None:
        self.catalogs = catalogs

    @brainio.hookimpl
    def brainio_catalogs(self, register) -> None:
        for catalog in self.catalogs:
            register(catalog)


def install(register_plugin, folder: Path, **rows_by_catalog: list[str]) -> None:
    catalogs = []
    for name, rows in rows_by_catalog.items():
        path = folder / name / "lookup.csv"
        path.parent.mkdir(parents=True)
        path.write_text("\n".join([HEADER, *rows]) + "\n")
        catalogs.append(Catalog.from_files(name, path))
    register_plugin(Catalogs(*catalogs))


def write_assembly(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    brainio.packaging.write_netcdf(proto_assembly(), path)
    return sha1_hash(path)


def test_same_sha1_at_two_locations_are_mirrors_tried_in_turn(register_plugin, tmp_path) -> None:
    sha1 = write_assembly(tmp_path / "mirror" / "assy.nc")
    gone = tmp_path / "gone" / "assy.nc"
    row = "lab.A2024,assembly,NeuronRecordingAssembly,local,{},{},"
    install(
        register_plugin,
        tmp_path / "catalogs",
        first=[row.format(gone, sha1)],
        # another catalog may name the stimulus set differently: the same bytes all the same
        second=[row.format(tmp_path / "mirror" / "assy.nc", sha1) + "lab.Renamed"],
    )
    assert lookup.lookup_assembly("lab.A2024").location == str(gone)
    assert [r.catalog for r in lookup.mirrors(lookup.lookup_assembly("lab.A2024"))] == [
        "first",
        "second",
    ]
    loaded = brainio.get_assembly("lab.A2024", load_stimulus_set=False)
    assert loaded.shape == (4, 2, 1)


def test_all_mirrors_failing_names_every_location(register_plugin, tmp_path) -> None:
    row = "lab.A2024,assembly,NeuronRecordingAssembly,local,{},{},"
    install(
        register_plugin,
        tmp_path / "catalogs",
        first=[row.format(tmp_path / "one.nc", "a" * 40)],
        second=[row.format(tmp_path / "two.nc", "a" * 40)],
    )
    with pytest.raises(FetchError, match="one.nc") as error:
        brainio.get_assembly("lab.A2024", load_stimulus_set=False)
    assert any("two.nc" in note for note in error.value.__notes__)


def test_different_sha1s_for_one_identifier_are_a_conflict(register_plugin, tmp_path) -> None:
    row = "lab.A2024,assembly,NeuronRecordingAssembly,local,{},{},"
    install(
        register_plugin,
        tmp_path / "catalogs",
        first=[row.format(tmp_path / "one.nc", "a" * 40)],
        second=[row.format(tmp_path / "two.nc", "b" * 40)],
    )
    with pytest.raises(CatalogConflictError, match="disagree about assembly 'lab.A2024'"):
        lookup.lookup_assembly("lab.A2024")


def test_1x_catalog_helpers(register_plugin, tmp_path) -> None:
    zip_path = tmp_path / "s.zip"
    with zipfile.ZipFile(zip_path, "w") as archive:
        archive.writestr("s0.png", b"png")
    rows = [
        f"lab.S,stimulus_set,StimulusSet,local,{tmp_path / 's.csv'},{'c' * 40},",
        f"lab.S,stimulus_set,,local,{zip_path},{'d' * 40},",
    ]
    install(register_plugin, tmp_path / "catalogs", one=rows, two=rows)
    combined = lookup.combined_catalog()
    mine = combined[combined["identifier"] == "lab.S"]
    assert mine.apply(lookup._is_csv_lookup, axis=1).sum() == 2
    assert mine.apply(lookup._is_zip_lookup, axis=1).sum() == 2
    assert {"one", "two"} <= set(lookup._load_installed_catalogs())
    assert {"one", "two"} <= set(lookup.get_catalogs())
