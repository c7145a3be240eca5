"""(streaming) S3Reader, lazy remote assemblies and S3 datasets, on moto's S3 server on loopback.

Three measurements per side, each in a fresh worker process; the server (moto's threaded
server, started in the runner process by ``prepare``) holds:

- a 256 MiB object of random bytes;
- the MajajHong2015-sized assembly (148,480 x 256 x 1 float32) re-written by this project's
  ``write_netcdf`` (chunks (18560, 32, 1)), uploaded with a multipart upload;
- 5,000 small objects (1-4 KiB) under one prefix.

Sides (the first is the reference the ratios divide by):

- ``reference``: (a) ``boto3 get_object()["Body"].read()`` of the 256 MiB object; (b) the whole
  assembly file downloaded (what ``get_assembly`` without ``lazy`` transfers), loaded, and
  1/8 of the neuroids selected; (c) a torch ``DataLoader`` over the 5,000 objects with 1 worker.
- ``streaming``: (a) ``S3Reader`` (sequential) ``.read()`` of the same object; (b)
  ``open_assembly`` of the file in place (range mode) and the same selection; (c) the same
  ``DataLoader`` with 4 workers (``S3IterableDataset``, ``enable_sharding=True``).

Metrics: ``read_seconds`` (a; target <= 1.0, i.e. at least boto3's throughput),
``selection_bytes`` (b; bytes received from S3; target <= 0.25 of the file),
``selection_seconds`` (b; report only), ``dataloader_seconds`` (c; report only).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

NAME = "streaming"
TITLE = "S3Reader vs boto3, lazy remote selection, DataLoader workers (moto on loopback)"
SIDES = ("reference", "streaming")
TARGETS = {
    "read_seconds": 1.0,
    "selection_bytes": 0.25,
    "selection_seconds": None,
    "dataloader_seconds": None,
}
METRIC_LABELS = {
    "read_seconds": "(a) read 256 MiB object (s)",
    "selection_bytes": "(b) bytes from S3 for 1/8 neuroids",
    "selection_seconds": "(b) time for 1/8 neuroids (s)",
    "dataloader_seconds": "(c) DataLoader, 5,000 objects (s)",
}

BUCKET = "brainio-streaming-bench"
BIG_KEY = "big/random-256MiB.bin"
BIG_SIZE = 256 * 2**20
NC_KEY = "assemblies/assy_bench_MajajHong2015_ours.nc"
SMALL_PREFIX = "samples/"
SMALL_COUNT = 5_000
NEUROID_FRACTION = 8
WORKERS = {"reference": 1, "streaming": 4}

_uploaded = False  # the objects are on the runner's moto server


def _rewritten_assembly(work: Path) -> Path:
    """The package's assembly written by this project's write_netcdf (once)."""
    target = work / "streaming" / "assy_bench_MajajHong2015_ours.nc"
    if not target.exists():
        from brainio.assemblies import NeuronRecordingAssembly
        from brainio.netcdf import write_netcdf

        target.parent.mkdir(parents=True, exist_ok=True)
        source = common.package_dir(work) / common.NC_NAME
        write_netcdf(NeuronRecordingAssembly.from_files(source).load(), target)
    return target


def prepare(work: Path) -> None:
    """Put the three data sets on the runner's moto server (workers inherit where it is)."""
    global _uploaded
    from concurrent.futures import ThreadPoolExecutor

    common.ensure_package(work)
    nc_path = _rewritten_assembly(work)
    if _uploaded:
        return
    _uploaded = True
    client = common.moto_s3_client()
    client.create_bucket(Bucket=BUCKET)
    print("   uploading a 256 MiB object, the assembly and 5,000 small objects ...", flush=True)
    client.put_object(Bucket=BUCKET, Key=BIG_KEY, Body=os.urandom(BIG_SIZE))
    client.upload_file(str(nc_path), BUCKET, NC_KEY)
    rng = __import__("random").Random(0)
    small = {
        f"{SMALL_PREFIX}{i:05d}.bin": rng.randbytes(rng.randrange(1024, 4096))
        for i in range(SMALL_COUNT)
    }
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(
            pool.map(
                lambda kv: client.put_object(Bucket=BUCKET, Key=kv[0], Body=kv[1]), small.items()
            )
        )


def _read_whole(side: str) -> float:
    import boto3

    from brainio_s3.reader import S3Reader

    if side == "reference":
        client = boto3.client("s3")
        client.head_bucket(Bucket=BUCKET)  # connection and credentials ready, like ours below
        start = time.perf_counter()
        data = client.get_object(Bucket=BUCKET, Key=BIG_KEY)["Body"].read()
    else:
        S3Reader.from_uri(f"s3://{BUCKET}/{BIG_KEY}").client.boto3_client().head_bucket(
            Bucket=BUCKET
        )
        start = time.perf_counter()
        data = S3Reader.from_uri(f"s3://{BUCKET}/{BIG_KEY}").read()
    seconds = time.perf_counter() - start
    assert len(data) == BIG_SIZE, len(data)
    return seconds


def _select(side: str, work: Path) -> tuple[int, float]:
    """Bytes received and seconds for 1/8 of the neuroids' values."""
    from brainio.assemblies import NeuronRecordingAssembly
    from brainio_s3.reader import S3Reader
    from brainio_s3.remote import open_assembly

    uri = f"s3://{BUCKET}/{NC_KEY}"
    start = time.perf_counter()
    if side == "reference":  # the whole file, as get_assembly without lazy fetches it
        reader = S3Reader.from_uri(uri)
        with tempfile.NamedTemporaryFile(dir=work, suffix=".nc") as file:
            file.write(reader.read())
            file.flush()
            assembly = NeuronRecordingAssembly.from_files(file.name)
            neuroids = assembly.sizes["neuroid"] // NEUROID_FRACTION
            values = assembly.isel(neuroid=slice(0, neuroids)).values
    else:
        reader = S3Reader.from_uri(uri, mode="range")
        assembly = open_assembly(reader, cls=NeuronRecordingAssembly)
        neuroids = assembly.sizes["neuroid"] // NEUROID_FRACTION
        values = assembly.isel(neuroid=slice(0, neuroids)).values
    seconds = time.perf_counter() - start
    assert values.shape == (148_480, 32, 1), values.shape
    return reader.bytes_received, seconds


def _identity_bytes(reader):
    return len(reader.read())


def _dataloader(side: str) -> float:
    from torch.utils.data import DataLoader

    from brainio_s3.datasets import S3IterableDataset

    dataset = S3IterableDataset.from_prefix(
        f"s3://{BUCKET}/{SMALL_PREFIX}", transform=_identity_bytes, enable_sharding=True
    )
    loader = DataLoader(dataset, batch_size=None, num_workers=WORKERS[side])
    start = time.perf_counter()
    count = sum(1 for _ in loader)
    seconds = time.perf_counter() - start
    assert count == SMALL_COUNT, count
    return seconds


def measure(side: str, work: Path) -> dict:
    common.warm_imports("boto3", "brainio_s3.reader", "brainio_s3.remote", "torch.utils.data")
    read_seconds = _read_whole(side)
    selection_bytes, selection_seconds = _select(side, work)
    return {
        "read_seconds": read_seconds,
        "selection_bytes": selection_bytes,
        "selection_seconds": selection_seconds,
        "dataloader_seconds": _dataloader(side),
    }


if __name__ == "__main__":
    common.worker_main(measure)
