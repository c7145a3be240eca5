"""(iii) Packaging: ``write_netcdf`` of the MajajHong2015-sized assembly, and
``package_stimulus_set`` of its 5,760 images.

- ``write_netcdf``: both sides build the same NeuronRecordingAssembly (148,480 presentations x
  256 neuroids x 1 time bin, float32, 5 + 10 coordinates) from the package's netCDF file with
  their own class, then time their own ``brainio.packaging.write_netcdf(assembly, path)``;
  the written file's size is reported too (target: no larger than 1.1.0's).
- ``package_stimulus_set``: the 5,760 extracted images and the 9 metadata columns, packaged
  into a folder store and a catalog file. BrainIO 1.1.0 can only upload to S3 and append to an
  installed catalog, so its ``upload_to_s3`` is replaced by a file copy into a folder and its
  catalog lookup by the catalog file: both sides then do the same work (write the ZIP and CSV,
  hash them, copy them to the store, append two catalog rows); ours also validates every file.
  Like the imports, loading this project's plugins (entry points) happens before the clock.

Run alone (``.venv/bin/python bench/bench_packaging.py --rounds 3``) or through
``bench/run.py`` once ``bench_packaging`` is in its ``BENCHMARKS``.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

NAME = "packaging"
TITLE = "write_netcdf (MajajHong2015-sized) and package_stimulus_set (5,760 images)"
SIDES = ("brainio1", "ours")
TARGETS = {"write_seconds": 0.1, "file_mib": 1.0, "package_seconds": 1 / 3}
METRIC_LABELS = {
    "write_seconds": "write_netcdf time (s)",
    "file_mib": "write_netcdf file size (MiB)",
    "package_seconds": "package_stimulus_set time (s)",
}
IDENTIFIER = "bench.Packaged2024"


def prepare(work: Path) -> None:
    common.ensure_package(work)
    common.extracted_stimuli(work)


def _proto_assembly(work: Path):
    """The assembly as a lab would hand it over: every coordinate in memory, no stimulus merge."""
    import xarray as xr

    from brainio.assemblies import NeuronRecordingAssembly

    with xr.open_dataset(common.package_dir(work) / common.NC_NAME) as dataset:
        name = "data" if "data" in dataset.data_vars else list(dataset.data_vars)[0]
        array = dataset[name].load()
    array.attrs = {}
    return NeuronRecordingAssembly(array)


def _proto_stimulus_set(work: Path):
    import pandas as pd

    from brainio.stimuli import StimulusSet

    table = pd.read_csv(common.package_dir(work) / common.CSV_NAME)
    folder = work / "stimuli"
    proto = StimulusSet(table.drop(columns=["filename"]))
    names = zip(table["stimulus_id"], table["filename"], strict=True)
    proto.stimulus_paths = {sid: str(folder / name) for sid, name in names}
    return proto


def _package_brainio1(proto, scratch: Path) -> None:
    """1.1.0's package_stimulus_set with its S3 upload replaced by a copy into a folder."""
    from brainio import catalogs, lookup, packaging

    store = scratch / "store"
    store.mkdir()

    def upload_to_folder(source_file_path, bucket_name, target_s3_key):
        shutil.copyfile(source_file_path, store / target_s3_key)
        return {}

    packaging.upload_to_s3 = upload_to_folder
    lookup._catalogs["bench"] = catalogs.Catalog.from_files("bench", scratch / "lookup.csv")
    packaging.package_stimulus_set("bench", proto, IDENTIFIER, bucket_name="bench")


def _package_ours(proto, scratch: Path) -> None:
    from brainio.packaging import package_stimulus_set

    package_stimulus_set(
        "bench", proto, IDENTIFIER, target=scratch / "store", catalog_path=scratch / "lookup.csv"
    )


def measure(side: str, work: Path) -> dict:
    scratch = work / f"packaging-{side}-{os.getpid()}"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    os.environ["BRAINIO_HOME"] = str(scratch / "home")  # 1.1.0 writes its files under it
    common.write_catalog(scratch / "lookup.csv", [])
    try:
        common.warm_imports("brainio.assemblies", "brainio.stimuli", "brainio.packaging")
        from brainio.packaging import write_netcdf

        if not side.startswith("brainio1"):  # load the plugins (entry points) like imports
            from brainio.plugins import get_plugin_manager

            get_plugin_manager()

        assembly = _proto_assembly(work)
        target = scratch / "assembly.nc"
        with common.Stopwatch() as watch:
            write_netcdf(assembly, target)
            watch.lap("write_seconds")
        file_mib = target.stat().st_size / 2**20
        del assembly
        target.unlink()

        proto = _proto_stimulus_set(work)
        package = _package_brainio1 if side.startswith("brainio1") else _package_ours
        with common.Stopwatch() as watch2:
            package(proto, scratch)
            watch2.lap("package_seconds")
        rows = (scratch / "lookup.csv").read_text().strip().splitlines()
        assert len(rows) == 3, rows  # header + CSV row + ZIP row
        assert len(list((scratch / "store").iterdir())) == 2
        return {**watch.laps, **watch2.laps, "file_mib": file_mib}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _standalone() -> None:
    """Run only this benchmark, with run.py's rounds, summary and table."""
    import argparse

    import run

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", type=Path, default=common.WORK)
    args = parser.parse_args()
    common.ensure_brainio1_env()
    common.ensure_package(args.work)
    module = sys.modules[__name__]
    results = run.run_benchmark(module, args.rounds, args.work)
    run.METRIC_LABELS.update(METRIC_LABELS)
    run.print_table(run.summarize(module, results))


if __name__ == "__main__":
    if "--side" in sys.argv:
        common.worker_main(measure)
    else:
        _standalone()
