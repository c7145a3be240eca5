"""Assemblies read in place on S3: open_assembly, get_assembly(lazy=True), and Dask workers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from brainio.assemblies import NeuroidAssembly
from brainio.errors import FormatError, PluginMissingError
from brainio.netcdf import write_netcdf
from brainio_s3.errors import S3ObjectNotFoundError
from brainio_s3.reader import S3Reader
from brainio_s3.remote import open_assembly

PRESENTATIONS, NEUROIDS = 4096, 512
CHUNKS = (512, 64)  # 128 KiB chunks: 1/8 of the neuroids is 1/8 of the values


def make_assembly() -> NeuroidAssembly:
    rng = np.random.default_rng(0)
    return NeuroidAssembly(
        rng.normal(size=(PRESENTATIONS, NEUROIDS)).astype("float32"),
        coords={
            "stimulus_id": ("presentation", [f"s{i % 512}" for i in range(PRESENTATIONS)]),
            "repetition": ("presentation", np.arange(PRESENTATIONS) // 512),
            "neuroid_id": ("neuroid", [f"n{i}" for i in range(NEUROIDS)]),
            "region": ("neuroid", ["IT"] * (NEUROIDS // 2) + ["V4"] * (NEUROIDS // 2)),
        },
        dims=["presentation", "neuroid"],
    )


def write_chunked(assembly: NeuroidAssembly, path: Path) -> Path:
    """The BrainIO file layout (plain coordinates, variable ``data``) with small chunks."""
    plain = xr.DataArray(assembly).reset_index(["presentation", "neuroid"])
    dataset = plain.to_dataset(name="data")
    encoding = {"data": {"chunksizes": CHUNKS, "zlib": True, "complevel": 1, "shuffle": True}}
    dataset.to_netcdf(path, engine="netcdf4", encoding=encoding)
    return path


@pytest.fixture(scope="module")
def local_files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("remote")
    assembly = make_assembly()
    chunked = write_chunked(assembly, folder / "assy_chunked.nc")
    written = folder / "assy_written.nc"
    write_netcdf(assembly, written)
    return {"chunked": chunked, "written": written}


@pytest.fixture
def remote(bucket, s3_client, local_files) -> dict[str, str]:
    uris = {}
    for name, path in local_files.items():
        s3_client.upload_file(str(path), bucket, f"assemblies/{path.name}")
        uris[name] = f"s3://{bucket}/assemblies/{path.name}"
    return uris


def test_open_assembly_equals_the_local_file(remote, local_files):
    local = NeuroidAssembly.from_files(local_files["written"])
    lazy = open_assembly(remote["written"], cls="NeuroidAssembly")
    assert isinstance(lazy, NeuroidAssembly)
    xr.testing.assert_identical(xr.DataArray(lazy).load(), xr.DataArray(local).load())
    it = lazy.sel(region="IT")
    assert it.shape == (PRESENTATIONS, NEUROIDS // 2)
    np.testing.assert_array_equal(it.values, local.sel(region="IT").values)


def test_a_selection_downloads_only_its_chunks(proxy, remote, local_files):
    size = local_files["chunked"].stat().st_size
    reader = S3Reader.from_uri(remote["chunked"], mode="range")
    assembly = open_assembly(reader, cls=NeuroidAssembly)
    opened = proxy.bytes_sent
    assert opened < 0.1 * size  # metadata and coordinates only
    neuroids = [f"n{i}" for i in range(64, 128)]  # 1/8 of the neuroids, one chunk column
    selection = assembly.sel(neuroid_id=neuroids).values
    local = NeuroidAssembly.from_files(local_files["chunked"])
    np.testing.assert_array_equal(selection, local.sel(neuroid_id=neuroids).values)
    assert proxy.bytes_sent <= 0.25 * size, (proxy.bytes_sent, size)
    assert reader.bytes_received <= 0.25 * size
    assert reader.bytes_received > size / 8 * 0.9  # the selected values did come


def test_dask_backed_remote_assembly(remote, local_files):
    lazy = open_assembly(remote["chunked"], cls=NeuroidAssembly, chunks={})
    assert lazy.chunks is not None
    local = NeuroidAssembly.from_files(local_files["chunked"])
    mean = lazy.mean("presentation").compute()
    expected = local.mean("presentation").values  # float32 sums in another order
    np.testing.assert_allclose(mean.values, expected, rtol=1e-4, atol=1e-6)


def test_missing_object_is_not_called_a_bad_file(bucket):
    with pytest.raises(S3ObjectNotFoundError, match=f"s3://{bucket}/nothing.nc does not exist"):
        open_assembly(f"s3://{bucket}/nothing.nc")


def test_object_that_is_not_netcdf(bucket, put):
    uri = put(bucket, "fake.nc", b"this is not netCDF" * 100)
    with pytest.raises(FormatError, match=f"Cannot read the netCDF file '{uri}'"):
        open_assembly(uri)


# --- get_assembly(identifier, lazy=True) ----------------------------------------------------------


def write_catalog(folder: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    header = "identifier,lookup_type,class,location_type,location,sha1,stimulus_set_identifier"
    lines = [header] + [
        f"{identifier},assembly,NeuroidAssembly,{kind},{location},{sha1},"
        for identifier, kind, location, sha1 in rows
    ]
    path = folder / "lookup.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def catalog(tmp_path, remote, local_files, register_catalogs) -> None:
    from brainio.hashing import sha1_hash

    bucket_url = remote["written"].removeprefix("s3://")
    rows = [
        ("lab.remote", "S3", f"s3://{bucket_url}", sha1_hash(local_files["written"])),
        ("lab.missing", "S3", f"s3://{bucket_url}.gone", "0" * 40),
        ("lab.local", "local", str(local_files["written"]), sha1_hash(local_files["written"])),
    ]
    register_catalogs(("streaming", write_catalog(tmp_path, rows)))


def test_get_assembly_lazy_reads_in_place(catalog, local_files, brainio_home):
    from brainio import get_assembly

    lazy = get_assembly("lab.remote", lazy=True)
    assert isinstance(lazy, NeuroidAssembly) and lazy.attrs["identifier"] == "lab.remote"
    assert not any(brainio_home.rglob("*.nc"))  # nothing went into the cache
    local = NeuroidAssembly.from_files(local_files["written"])
    np.testing.assert_array_equal(lazy.sel(region="V4").values, local.sel(region="V4").values)
    chunked = get_assembly("lab.remote", lazy=True, chunks={})  # the file's own chunks
    assert chunked.chunks[0] == (2048, 2048)
    np.testing.assert_allclose(chunked.sum().compute(), local.sum(), rtol=1e-5)


def test_get_assembly_lazy_errors(catalog):
    from brainio import get_assembly

    with pytest.raises(S3ObjectNotFoundError, match="assy_written.nc.gone does not exist"):
        get_assembly("lab.missing", lazy=True)
    with pytest.raises(PluginMissingError, match="'lab.local' in place.*lazy=True needs a plugin"):
        get_assembly("lab.local", lazy=True)


# --- a Dask cluster of worker processes ---------------------------------------------------


@pytest.mark.slow
def test_dask_cluster_reduces_an_assembly_on_s3(remote, local_files):
    distributed = pytest.importorskip("dask.distributed")
    lazy = open_assembly(remote["chunked"], cls=NeuroidAssembly, chunks={"presentation": 1024})
    local = NeuroidAssembly.from_files(local_files["chunked"])
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        result = lazy.groupby("region").mean(...).compute()
        tasks = client.run(lambda: 1)
    assert len(tasks) == 2
    expected = local.groupby("region").mean(...)
    np.testing.assert_allclose(result.values, expected.values, rtol=1e-4, atol=1e-6)
