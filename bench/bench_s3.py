"""(s3) Cold and warm ``get_assembly`` from an S3 server on loopback.

The MajajHong2015-sized package (see make_package.py) is uploaded once to bucket
``brainio-bench`` of moto's threaded S3 server, started in the runner process on 127.0.0.1
(``prepare``); every worker reaches it through ``AWS_ENDPOINT_URL`` with fake credentials.
Both sides load ``bench.MajajHong2015`` through their catalog machinery from the same catalog
rows (``location_type`` S3, ``https://brainio-bench.s3.amazonaws.com/<file>``):

- BrainIO 1.1.0: its ``BotoFetcher`` (boto3 ``download_file``, signed, endpoint from
  ``AWS_ENDPOINT_URL``), sha1 check, unzip, loading with the stimulus set merged;
- this project: the S3 plugin's fetcher into the verified cache.

Each measurement starts with an empty cache (``cold_seconds``: download, verify, extract,
load, values in memory), then calls ``get_assembly`` again in the same process with the
files cached (``warm_seconds``). Imports are warmed before the clock starts on both sides.
Then, the disk in the same state, the stimulus zip is extracted by ``zipfile`` alone (the
floor under both sides, ``extract_seconds``) and by the side's own extraction
(``own_extract_seconds``).

The workers' homes are deleted only after the last round (``finish``). On an ext4 file system
without a journal (this machine's), a new file skips every inode freed in its block group in the
last one to six minutes (the kernel's ``recently_deleted``, one buffer lookup each): deleting
the 17,280 files of the previous worker made each next worker's 5,760 files take 4-7 s to
create instead of 0.4-1 s, a cost no user's first ``get_assembly`` pays.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

NAME = "s3"
TITLE = "cold and warm get_assembly from moto's S3 server on loopback"
SIDES = ("brainio1", "ours")
#: The issue's targets, values in memory: cold <= 0.6x the time and peak memory, warm <= 0.3x.
TARGETS = {
    "cold_seconds": 0.6,
    "cold_peak_mib": 0.6,
    "cold_cpu_seconds": None,
    "warm_seconds": 0.3,
    "extract_seconds": None,
    "cold_rest_seconds": None,
    "own_extract_seconds": None,
}
METRIC_LABELS = {
    "cold_cpu_seconds": "cold: CPU time of the process (s)",
    "extract_seconds": "floor: unzip the stimuli alone (s)",
    "cold_rest_seconds": "cold minus that floor (s)",
    "own_extract_seconds": "the side's own extraction alone (s)",
}
BUCKET = "brainio-bench"

_uploaded = False  # the package is on the runner's moto server


def _catalog(work: Path) -> Path:
    return work / "catalog-s3" / "lookup.csv"


def prepare(work: Path) -> None:
    """Upload the package to the runner's moto server (workers inherit where it is)."""
    global _uploaded
    manifest = common.ensure_package(work)
    if not _uploaded:
        client = common.moto_s3_client()
        client.create_bucket(Bucket=BUCKET)
        for name in (common.CSV_NAME, common.ZIP_NAME, common.NC_NAME):
            client.upload_file(str(common.package_dir(work) / name), BUCKET, name)
        _uploaded = True
    common.write_catalog(
        _catalog(work),
        common.catalog_rows(manifest, "S3", lambda name: f"{common.BUCKET_URL}/{name}"),
    )


def _load(side: str, work: Path):
    """A ``get_assembly`` ready to call, with the benchmark catalog registered."""
    if side.startswith("brainio1"):
        common.warm_imports("boto3", "brainio", "brainio.assemblies", "brainio.fetch")
        import brainio
        from brainio.catalogs import Catalog

        brainio.lookup._catalogs["bench"] = Catalog.from_files("bench", _catalog(work))
        return brainio.get_assembly
    os.environ["BRAINIO_PROGRESS"] = "0"
    common.warm_imports(
        "boto3", "brainio", "brainio.assemblies", "brainio.loading", "brainio_s3.fetcher"
    )
    import brainio
    from brainio import lookup
    from brainio.catalogs import Catalog
    from brainio.plugins import get_plugin_manager

    class BenchCatalog:
        @brainio.hookimpl
        def brainio_catalogs(self, register):
            register(Catalog.from_files("bench", _catalog(work)))

    get_plugin_manager().register(BenchCatalog(), name="bench-catalog")
    lookup.refresh()
    return brainio.get_assembly


def _homes(work: Path) -> Path:
    return work / "s3-homes"


def finish(work: Path) -> None:
    """Delete the workers' homes (those of an interrupted run too), after the last round."""
    shutil.rmtree(_homes(work), ignore_errors=True)


def measure(side: str, work: Path) -> dict:
    _homes(work).mkdir(exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix=f"home-{side}-", dir=_homes(work)))
    os.environ["BRAINIO_HOME"] = str(home)
    get_assembly = _load(side, work)
    results = {"baseline_mib": common.peak_rss_mib()}  # interpreter and libraries
    for phase in ("cold", "warm"):
        with common.Stopwatch() as watch:
            assembly = get_assembly(common.ASSEMBLY_ID)
            watch.lap("returned")
            values = assembly.values
            watch.lap("seconds")
        assert values.shape == (148_480, 256, 1), values.shape
        assert assembly["category_name"].shape == (148_480,)  # merged from the stimulus set
        results[f"{phase}_seconds"] = watch.laps["seconds"]
        results[f"{phase}_seconds_returned"] = watch.laps["returned"]
        if phase == "cold":  # the process's peak so far: download, verify, extract, load
            results["cold_peak_mib"] = common.peak_rss_mib()
            results["cold_cpu_seconds"] = watch.laps["cpu_seconds"]  # all threads
        del assembly, values
    # the floor under both sides' cold load: creating the 5,760 stimulus files on this
    # file system, measured here right after (the same state of the disk)
    with common.Stopwatch() as watch:
        with zipfile.ZipFile(common.package_dir(work) / common.ZIP_NAME) as archive:
            archive.extractall(home / "extraction-floor")
        watch.lap("extract_seconds")
    results["extract_seconds"] = watch.laps["extract_seconds"]
    results["cold_rest_seconds"] = results["cold_seconds"] - results["extract_seconds"]
    results["own_extract_seconds"] = _own_extraction(side, work, home / "own-extraction")
    return results  # the home stays until ``finish``: see the module's docstring


def _own_extraction(side: str, work: Path, folder: Path) -> float:
    """Seconds the side's own extraction of the stimulus zip takes, right after the floor: 1.1.0's
    ``unzip`` (a check that each name exists, then ``extractall``); ours, the cache's
    ``extract`` (checks, confinement, a sha1 per file for the manifest, the rename)."""
    zip_path = folder / "entry" / common.ZIP_NAME
    zip_path.parent.mkdir(parents=True)
    shutil.copyfile(common.package_dir(work) / common.ZIP_NAME, zip_path)
    with common.Stopwatch() as watch:
        if side.startswith("brainio1"):
            from brainio.fetch import unzip

            unzip(str(zip_path))
        else:
            from brainio.cache import get_cache

            get_cache().extract(zip_path)
        watch.lap("seconds")
    return watch.laps["seconds"]


if __name__ == "__main__":
    common.worker_main(measure)
