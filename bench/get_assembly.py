"""(ii) Warm ``get_assembly``: the identifier's files are already in the local cache.

``get_assembly("bench.MajajHong2015")`` through each side's catalog machinery, offline:

- BrainIO 1.1.0: the files sit where its cache expects them (``$BRAINIO_HOME/<stem>/<basename>``,
  the zip already extracted beside them) and a Catalog with S3 URLs is put into
  ``brainio.lookup._catalogs``; 1.1.0 re-hashes every file on every call and merges the
  stimulus set it loads;
- this project: a catalog with ``location_type`` ``local`` (the local plugin's fetcher), cached
  by a warm-up run; ``ours-lazy`` passes ``chunks={}`` (dask-backed values).

Reported as for ``load``: seconds until the call returns and until the values are in memory,
and peak memory (ru_maxrss) at both points.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

NAME = "get_assembly"
TITLE = "warm get_assembly (files already cached; stimulus set merged)"
SIDES = ("brainio1", "ours", "ours-lazy")
#: The issue's target, values in memory: <= 0.3x the time of 1.1.0.
TARGETS = {"seconds": 0.3, "peak_mib": None, "cpu_seconds": None}


def _brainio1_home(work: Path) -> Path:
    return work / "home-brainio1"


def _ours_home(work: Path) -> Path:
    return work / "home-ours"


def prepare(work: Path) -> None:
    manifest = common.ensure_package(work)
    package = common.package_dir(work)
    # BrainIO 1.1.0: <home>/<stem of the URL basename>/<basename>
    for name in (common.CSV_NAME, common.ZIP_NAME, common.NC_NAME):
        common.link_or_copy(package / name, _brainio1_home(work) / Path(name).stem / name)
    common.write_catalog(
        work / "catalog-brainio1" / "lookup.csv",
        common.catalog_rows(manifest, "S3", lambda name: f"{common.BUCKET_URL}/{name}"),
    )
    common.write_catalog(
        work / "catalog-ours" / "lookup.csv",
        common.catalog_rows(manifest, "local", lambda name: str(package / name)),
    )


def measure(side: str, work: Path) -> dict:
    if side.startswith("brainio1"):
        os.environ["BRAINIO_HOME"] = str(_brainio1_home(work))
        imports = common.warm_imports("brainio", "brainio.assemblies", "brainio.fetch")
        import brainio
        from brainio.catalogs import Catalog

        brainio.lookup._catalogs["bench"] = Catalog.from_files(
            "bench", work / "catalog-brainio1" / "lookup.csv"
        )
        kwargs = {}
    else:
        os.environ["BRAINIO_HOME"] = str(_ours_home(work))
        os.environ["BRAINIO_PROGRESS"] = "0"
        imports = common.warm_imports(
            "brainio", "brainio.assemblies", "brainio.loading", "brainio_local"
        )
        import brainio
        from brainio import lookup
        from brainio.catalogs import Catalog
        from brainio.plugins import get_plugin_manager

        class BenchCatalog:
            @brainio.hookimpl
            def brainio_catalogs(self, register):
                register(Catalog.from_files("bench", work / "catalog-ours" / "lookup.csv"))

        get_plugin_manager().register(BenchCatalog(), name="bench-catalog")
        lookup.refresh()
        kwargs = {"chunks": {}} if side == "ours-lazy" else {}
    from brainio import get_assembly

    return common.time_assembly_load(lambda: get_assembly(common.ASSEMBLY_ID, **kwargs), imports)


if __name__ == "__main__":
    common.worker_main(measure)
