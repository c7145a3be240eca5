"""Run BrainIO 1.1.0's own offline test suite against BrainIO 1.1.0 and against this project.

On demand, not part of ``make test`` (it downloads from PyPI)::

    .venv/bin/python tests/compat/run_brainio1_suite.py [--sdist FILE] [--workdir DIR]

1. takes ``tests/test_*.py`` from the sdist of brainscore-brainio 1.1.0 (downloaded with pip
   into a temporary folder; nothing of it is kept in this repository);
2. adds brainio1_suite/suite_conftest.py as their ``conftest.py`` (the sdist lacks it) and the
   ``brainio-test`` catalog package (``lookup.csv``/``lookup2.csv`` under the 1.x entry-point
   group ``brainio_lookups``, installed for both sides through ``PYTHONPATH``);
3. runs the offline selection (``-m "not private_access and not memory_intense and not slow"``)
   with ``.venv-brainio1`` (created by make_brainio1_env.sh; pytest, moto and imageio are added
   to it) and then with this interpreter, which has this project and its vision and language
   plugins installed;
4. prints, for every test that passes on 1.1.0, whether it passes here, the pass rate, and each
   remaining difference with the first line of its failure (docs/migrating.md explains them).

Exit status 0 when at least ``--target`` (default 95%) of the tests passing on 1.1.0 pass here.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SUITE_FILES = HERE / "brainio1_suite"
BRAINIO1_VENV = Path(os.environ.get("BRAINIO1_VENV", REPO / ".venv-brainio1"))
SDIST = "brainscore-brainio==1.1.0"
OFFLINE = "not private_access and not memory_intense and not slow"
PYTEST_INI = """[pytest]
markers =
    memory_intense: needs much memory
    private_access: needs AWS credentials for private buckets
    slow: takes long
"""
ENTRY_POINT_MODULE = """from pathlib import Path

from brainio.catalogs import Catalog


def brainio_test():
    return Catalog.from_files("brainio_test", Path(__file__).parent / "lookup.csv")


def brainio_test2():
    return Catalog.from_files("brainio_test2", Path(__file__).parent / "lookup2.csv")
"""


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    print("$", " ".join(map(str, command)), flush=True)
    return subprocess.run([str(part) for part in command], check=True, **kwargs)


def brainio1_python() -> Path:
    env = {**os.environ, "BRAINIO1_VENV": str(BRAINIO1_VENV)}
    run(["bash", HERE / "make_brainio1_env.sh"], env=env)
    python = BRAINIO1_VENV / "bin" / "python"
    probe = subprocess.run([python, "-c", "import pytest, moto, imageio"], capture_output=True)
    if probe.returncode != 0:  # the suite's own test requirements, pinned as 1.1.0 needs them
        run(
            [
                python,
                "-m",
                "pip",
                "install",
                "--quiet",
                "pytest",
                "moto",
                "imageio",
                "numpy<2",
                "pandas<2",
                "xarray<2022.6",
            ]
        )
    return python


def fetch_tests(sdist: Path | None, work: Path) -> Path:
    """``<work>/suite/tests/`` with 1.1.0's test modules, our conftest and a pytest.ini."""
    if sdist is None:
        run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--no-binary",
                ":all:",
                SDIST,
                "-d",
                work / "sdist",
            ]
        )
        sdist = next((work / "sdist").glob("brainscore_brainio-1.1.0.tar.gz"))
    tests = work / "suite" / "tests"
    tests.mkdir(parents=True)
    with tarfile.open(sdist) as archive:
        for member in archive.getmembers():
            parts = Path(member.name).parts
            if len(parts) == 3 and parts[1] == "tests" and parts[2].startswith("test_"):
                source = archive.extractfile(member)
                (tests / parts[2]).write_bytes(source.read())
    (tests / "__init__.py").write_text("")
    shutil.copy(SUITE_FILES / "suite_conftest.py", tests / "conftest.py")
    (work / "suite" / "pytest.ini").write_text(PYTEST_INI)
    return tests


def install_catalogs(site: Path) -> None:
    """The brainio-test catalog package, as a dist-info with the 1.x entry points."""
    package = site / "brainio_test"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "entrypoint.py").write_text(ENTRY_POINT_MODULE)
    for name in ("lookup.csv", "lookup2.csv"):
        shutil.copy(SUITE_FILES / name, package / name)
    info = site / "brainio_test-0.0.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: brainio-test\nVersion: 0.0.0\n")
    (info / "entry_points.txt").write_text(
        "[brainio_lookups]\n"
        "brainio_test = brainio_test.entrypoint:brainio_test\n"
        "brainio_test2 = brainio_test.entrypoint:brainio_test2\n"
    )


def run_suite(python: Path | str, tests: Path, work: Path, side: str) -> dict[str, tuple]:
    site = work / f"site-{side}"
    install_catalogs(site)
    probe = subprocess.run([python, "-c", "import imageio"], capture_output=True)
    if probe.returncode != 0:  # test_stimuli.py imports it; not a BrainIO dependency
        run([python, "-m", "pip", "install", "--quiet", "--no-deps", "--target", site, "imageio"])
    report = work / f"{side}.xml"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("BRAINIO", "PYTHON"))},
        "PYTHONPATH": str(site),
        "BRAINIO_HOME": str(work / f"home-{side}"),
    }
    subprocess.run(
        [
            str(python),
            "-m",
            "pytest",
            str(tests),
            "-c",
            str(tests.parent / "pytest.ini"),
            "--rootdir",
            str(tests.parent),
            "-p",
            "no:cacheprovider",
            "-q",
            "-m",
            OFFLINE,
            "--junitxml",
            str(report),
        ],
        env=env,
        cwd=tests.parent,
        timeout=3600,
    )
    return outcomes(report)


def outcomes(report: Path) -> dict[str, tuple[str, str]]:
    """``{test id: (passed|failed|error|skipped, first line of the message)}``."""
    results = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        test_id = f"{case.get('classname')}::{case.get('name')}"
        outcome, message = "passed", ""
        for kind in ("failure", "error", "skipped"):
            element = case.find(kind)
            if element is not None:
                outcome = {"failure": "failed"}.get(kind, kind)
                message = (element.get("message") or "").strip().splitlines()[0:1]
                message = message[0][:160] if message else ""
                break
        results[test_id] = (outcome, message)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sdist", type=Path, help="a downloaded brainscore_brainio-1.1.0.tar.gz")
    parser.add_argument("--workdir", type=Path, help="keep the run here (default: a temp dir)")
    parser.add_argument("--target", type=float, default=0.95)
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="brainio1-suite-"))
    tests = fetch_tests(args.sdist, work)
    theirs = run_suite(brainio1_python(), tests, work, "brainio1")
    ours = run_suite(sys.executable, tests, work, "ours")

    passing = sorted(test for test, (outcome, _) in theirs.items() if outcome == "passed")
    differing = [test for test in passing if ours.get(test, ("missing", ""))[0] != "passed"]
    print(f"\n{len(theirs)} tests selected; {len(passing)} pass on BrainIO 1.1.0.")
    for test in differing:
        outcome, message = ours.get(test, ("missing", ""))
        print(f"  differs: {test}: {outcome}: {message}")
    gained = [
        test
        for test, (outcome, _) in ours.items()
        if outcome == "passed" and theirs.get(test, ("",))[0] != "passed"
    ]
    for test in gained:
        print(f"  passes here only: {test}")
    rate = (len(passing) - len(differing)) / len(passing) if passing else 0.0
    print(
        f"Pass here: {len(passing) - len(differing)} of {len(passing)} ({rate:.1%}); "
        f"target {args.target:.0%}. Work folder: {work}"
    )
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if rate >= args.target else 1


if __name__ == "__main__":
    sys.exit(main())
