"""Helpers for the submission plugin's tests: the CLI as a subprocess, templates, zips, and
the Brain-Score website's upload checks as the tests' reference."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from brainio_submission.sandbox import isolation
from brainio_submission.template import write_template
from brainio_submission.validate import validate


def run_cli(
    *args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``brainio submission ARGS`` in a fresh process."""
    command = [sys.executable, "-m", "brainio", "submission", *map(str, args)]
    return subprocess.run(
        command, capture_output=True, text=True, cwd=cwd, env=env, timeout=120, check=False
    )


def report(
    *args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    """Exit status and JSON report of ``brainio submission ARGS --json``."""
    result = run_cli(*args, "--json", cwd=cwd, env=env)
    try:
        return result.returncode, json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"no JSON report (exit {result.returncode}):\n{result.stdout}\n{result.stderr}")


def validate_report(path: Path, max_size_mb: float = 50.0) -> tuple[int, dict[str, Any]]:
    """What ``validate PATH --json`` reports, from the library in this process (fast)."""
    problems = validate(path, max_size_mb)
    return int(bool(problems)), {"problems": [problem.to_dict() for problem in problems]}


def codes(data: dict[str, Any]) -> list[str]:
    return [problem["code"] for problem in data["problems"]]


def only_problem(data: dict[str, Any], code: str) -> dict[str, Any]:
    """The single problem with ``code`` (failing with the whole report otherwise)."""
    found = [problem for problem in data["problems"] if problem["code"] == code]
    assert len(found) == 1, json.dumps(data["problems"], indent=1)
    return found[0]


def line_of(path: Path, text: str) -> int:
    """1-based number of the first line of ``path`` containing ``text``."""
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} not in {path}")


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def zip_folder(folder: Path, zip_path: Path, arcroot: str | None = None) -> Path:
    """Zip ``folder`` as a single root folder (with directory entries, like `zip -r`)."""
    arcroot = arcroot or folder.name
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{arcroot}/", "")
        for path in sorted(folder.rglob("*")):
            name = f"{arcroot}/{path.relative_to(folder).as_posix()}"
            if path.is_dir():
                archive.writestr(name + "/", "")
            else:
                archive.write(path, name)
    return zip_path


# Tests of what a mock run finds use the sandbox where there is one and run without it
# elsewhere (macOS, no bubblewrap); test_sandbox.py tests the sandbox itself.
RUN = ("--run",) if isolation()[0] else ("--run", "--no-sandbox")


def zip_with_zip_tool(folder: Path, zip_path: Path, *options: str) -> Path:
    """``cd PARENT && zip -r ZIP FOLDER -x '*/__pycache__/*' '*/.*'``, as the READMEs say."""
    if shutil.which("zip") is None:
        pytest.skip("the `zip` command is not installed")
    subprocess.run(
        ["zip", "-q", "-r", *options, str(zip_path), folder.name, "-x", "*/__pycache__/*", "*/.*"],
        cwd=folder.parent,
        check=True,
    )
    return zip_path


# --- the website's checks, as the tests' reference ---------------------------------------------
# Written from the upload view of brain-score/brain-score.web (benchmarks/views/user.py) and
# ../shared/reference/brainscore-website-checks.md: it reads the zip's entry names only.

PLUGIN_FOLDERS = ("models", "benchmarks", "data", "metrics")
_REGISTRATION = re.compile(r"(?:model|benchmark|data|metric)_registry\['(.+?)'\]")


def website_verdict(zip_path: Path) -> str | None:
    """None if the website accepts the zip, else (the gist of) its error message."""
    if zip_path.stat().st_size > 50 * 2**20:
        return "Are you trying to submit weights?"
    with zipfile.ZipFile(zip_path) as archive:
        entries = archive.infolist()
        names = [entry.filename for entry in entries]
        if any(" " in name for name in names):
            return "spaces"
        if any(name.rsplit("/", 1)[-1] in ("metadata.yml", "metadata.yaml") for name in names):
            return "metadata"
        root = names[0]
        folders = [n for n in names if n.endswith("/") and n.count("/") == 2]
        plugins = sorted({n.split("/")[1].lower() for n in folders} & set(PLUGIN_FOLDERS))
        if not plugins:
            return f"Please make sure your {root} folder contains at least one of the following"
        folders = [n.split("/") for n in names if n.endswith("/") and n.count("/") == 3]
        instances = {
            plugin: [parts[2] for parts in folders if parts[1] == plugin] for plugin in plugins
        }
        if not any(instances.values()):
            return f"Your {plugins[0]} folder is empty."
        identifiers: list[str] = []
        for plugin, found in instances.items():
            for instance in found:
                files = {
                    n.split("/")[-1]
                    for n in names
                    if len(n.split("/")) > 1 and n.split("/")[-2] == instance
                }
                if not {"__init__.py", "test.py"} <= files:
                    return f"Your {instance} folder must contain an __init__.py and a test.py"
                init = archive.read(f"{root.split('/')[0]}/{plugin}/{instance}/__init__.py")
                code = "\n".join(line.split("#", 1)[0] for line in init.decode().splitlines())
                identifiers += _REGISTRATION.findall(code)
        if any("-" in identifier for identifier in identifiers):
            return "hyphens"
        if len(set(identifiers)) > 1:
            return "more than one identifier"
    return None


@pytest.fixture
def new_project(tmp_path: Path) -> Callable[..., Path]:
    """``new_project(kind="legacy-base", name="my_model")``: a fresh project in tmp_path."""

    def make(kind: str = "legacy-base", name: str = "my_model") -> Path:
        write_template(tmp_path / name, kind)
        return tmp_path / name

    return make


@pytest.fixture
def isolated_env(tmp_path: Path) -> tuple[dict[str, str], Path, Path]:
    """(environment, working folder, TMPDIR) for a CLI run whose writes can be inspected."""
    work = tmp_path / "cwd"
    temporary = tmp_path / "tmpdir"
    work.mkdir()
    temporary.mkdir()
    env = dict(os.environ, TMPDIR=str(temporary))
    return env, work, temporary


@pytest.fixture(scope="session")
def sub() -> SimpleNamespace:
    """The helpers above, for test modules (conftest modules are not importable by name)."""
    return SimpleNamespace(
        run_cli=run_cli,
        report=report,
        validate=validate_report,
        codes=codes,
        only_problem=only_problem,
        line_of=line_of,
        replace_in=replace_in,
        zip_folder=zip_folder,
        zip_with_zip_tool=zip_with_zip_tool,
        website_verdict=website_verdict,
        RUN=RUN,
    )
