"""The mock run: the submission's models, loaded and called in a sandboxed, time-limited child.

Nothing is installed: the project is copied (or safely extracted) into a fresh temporary folder
whose subfolders are the child's working directory, ``HOME`` and ``TMPDIR``, and the child
(:mod:`brainio_submission.runner`) imports the copy. Its packages must already be installed in
this environment; a missing one is named and the run does not happen. The child runs inside
the sandbox of :mod:`brainio_submission.sandbox` unless the caller turns it off. On timeout the
child is killed with everything it started, and the report says which model and step it was on.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from brainio.archive import safe_extract
from brainio_submission import sandbox
from brainio_submission.legacy import BASE_MODULE, BRAIN_MODULE
from brainio_submission.plugins import find_plugins, requirement_names
from brainio_submission.problems import Problem
from brainio_submission.sources import parse_python
from brainio_submission.tree import SubmissionTree, read_folder
from brainio_submission.validate import SUBMISSION_LIMITS

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 300.0
RUNNABLE_LIBRARY = "brainscore_vision"
_TAIL = 2000


@attrs.frozen
class RunOutcome:
    """What a mock run found; ``not_run`` says why it did not happen (then nothing ran)."""

    problems: list[Problem]
    results: list[dict[str, Any]]
    not_run: str | None = None
    sandbox: str | None = None  # "bwrap", or None when run without isolation


def run_submission(
    path: Path,
    stimuli: Sequence[Path],
    timeout: float = DEFAULT_TIMEOUT,
    isolate: bool = True,
    limits: sandbox.Limits | None = None,
) -> RunOutcome:
    """Run the submission at ``path`` on ``stimuli``; refuse without isolation if ``isolate``."""
    path = Path(path)
    limits = limits or sandbox.Limits(cpu_seconds=sandbox.cpu_seconds_for(timeout))
    bwrap = None
    if isolate:
        kind, detail = sandbox.isolation()
        if kind is None:
            reason = (
                f"no sandbox is available ({detail}). Pass --no-sandbox to run the "
                "submitted code without isolation, only if you trust it"
            )
            return RunOutcome(
                [Problem("no-sandbox", f"The mock run did not happen: {reason}.")],
                [],
                not_run=reason,
            )
        bwrap = detail
    with tempfile.TemporaryDirectory(
        prefix="brainio-submission-", ignore_cleanup_errors=True
    ) as scratch_name:
        scratch = Path(scratch_name)
        project = _prepare(path, scratch)
        tree = read_folder(project)
        targets, not_run = find_targets(tree)
        problems: list[Problem] = []
        results: list[dict[str, Any]] = []
        if not_run is None:
            missing = missing_packages(tree, targets)
            if missing:
                problems += missing.values()
                not_run = f"not installed in this environment: {', '.join(sorted(missing))}"
        if not_run is None:
            stimulus_folder = scratch / "stimuli"
            stimulus_folder.mkdir()
            copies = []
            for index, stimulus in enumerate(stimuli):
                copy = stimulus_folder / f"{index:03d}_{Path(stimulus).name}"
                shutil.copyfile(stimulus, copy)
                copies.append(str(copy))
            found, results = _run_child(scratch, project, targets, copies, timeout, bwrap, limits)
            problems += found
            if any(problem.code == "missing-package" for problem in found):
                not_run = "a package the submission imports is not installed in this environment"
    if not path.is_dir():  # report files as validation does: inside the zip's root folder
        problems = [
            attrs.evolve(p, file=f"{project.name}/{p.file}") if p.file is not None else p
            for p in problems
        ]
    return RunOutcome(problems, results, not_run, "bwrap" if bwrap else None)


def _prepare(path: Path, scratch: Path) -> Path:
    """A private copy of the project root inside ``scratch``."""
    if path.is_dir():
        destination = scratch / "project"
        shutil.copytree(
            path,
            destination,
            symlinks=True,
            ignore=shutil.ignore_patterns("__pycache__", ".*"),
        )
        return destination
    extracted = safe_extract(path, scratch / "extracted", SUBMISSION_LIMITS)
    roots = [entry for entry in extracted.iterdir() if not entry.name.startswith((".", "_"))]
    return roots[0]  # validation checked there is exactly one root folder


def find_targets(tree: SubmissionTree) -> tuple[list[dict[str, Any]], str | None]:
    """What the child loads, and why nothing can be run (None when something can).

    2021 layout: the models modules. Plugin layout: each model plugin, loaded by identifier.
    """
    targets = []
    for relative, kind in ((BASE_MODULE, "base"), (BRAIN_MODULE, "brain")):
        if tree.exists(relative):
            module = relative.removesuffix(".py").replace("/", ".")
            targets.append({"kind": kind, "module": module, "file": relative})
    if targets:
        return targets, None
    others = []
    for plugin in find_plugins(tree, parse_python(tree)):
        if plugin.kind != "models" or plugin.library != RUNNABLE_LIBRARY:
            others.append(f"{plugin.folder}/ ({plugin.library})")
        elif plugin.identifiers:
            targets.append(
                {
                    "plugin": plugin.name,
                    "library": plugin.library,
                    "module": f"{plugin.library}.models.{plugin.name}",
                    "file": f"{plugin.folder}/__init__.py",
                    "names": plugin.identifiers,
                }
            )
    if targets:
        return targets, None
    if others:
        return [], (
            f"the mock run runs {RUNNABLE_LIBRARY} model plugins; "
            f"{', '.join(others)} is checked by validate only"
        )
    return [], "no registered model to run (see the validation problems)"


def missing_packages(tree: SubmissionTree, targets: list[dict[str, Any]]) -> dict[str, Problem]:
    """Each package a plugin needs that is not installed here, and the problem naming it."""
    problems = {}
    for target in targets:
        if "plugin" not in target:
            continue
        if importlib.util.find_spec(target["library"]) is None:
            distribution = target["library"].replace("_", "-")
            problems[target["library"]] = Problem(
                "missing-package",
                f"Package {target['library']!r} is not installed in this environment, so the "
                f"mock run did not happen: `pip install {distribution}` to run it (Brain-Score "
                "loads plugins through it).",
                target["file"],
            )
        requirements = f"models/{target['plugin']}/requirements.txt"
        for name in requirement_names(tree, requirements):
            try:
                importlib.metadata.distribution(name)
            except importlib.metadata.PackageNotFoundError:
                problems[name] = Problem(
                    "missing-package",
                    f"Package {name!r}, listed in requirements.txt, is not installed in this "
                    f"environment, so the mock run did not happen: `pip install {name}` to run "
                    "it (the check installs nothing).",
                    requirements,
                )
    return problems


def _run_child(
    scratch: Path,
    project: Path,
    targets: list[dict[str, Any]],
    stimuli: list[str],
    timeout: float,
    bwrap: str | None,
    limits: sandbox.Limits,
) -> tuple[list[Problem], list[dict[str, Any]]]:
    work = scratch / "work"
    for folder in (work, scratch / "tmp", scratch / "home"):
        folder.mkdir()
    request = {
        "root": str(project),
        "targets": targets,
        "stimuli": stimuli,
        "progress": str(scratch / "progress.jsonl"),
        "result": str(scratch / "result.json"),
        "drop_privileges": bwrap is not None,
        "sys_path": sandbox.import_path(),
    }
    request_path = scratch / "request.json"
    request_path.write_text(json.dumps(request), encoding="utf-8")
    command = [sys.executable, "-I", "-B", "-m", "brainio_submission.runner", str(request_path)]
    if bwrap is not None:
        command = sandbox.bwrap_command(bwrap, command, scratch, work, sandbox.readable_paths())
        sandbox.hand_over(scratch)
    logger.info("running %s in %s with a %gs limit", " ".join(command), work, timeout)
    with (
        open(scratch / "stdout.txt", "wb") as stdout,
        open(scratch / "stderr.txt", "wb") as stderr,
    ):
        child = subprocess.Popen(
            command,
            cwd=work,
            env=sandbox.child_environment(scratch),
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
            preexec_fn=sandbox.limiter(limits),  # noqa: PLW1509 - only setrlimit calls
        )
        try:
            returncode = child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill(child)
            return [_timeout_problem(scratch / "progress.jsonl", timeout)], []
        finally:
            _kill(child)  # also ends anything the models started in the background
    result_path = Path(request["result"])
    last = _last_progress(scratch / "progress.jsonl")
    try:
        result = json.loads(result_path.read_text(encoding="utf-8"))
        return [Problem(**problem) for problem in result["problems"]], result["results"]
    except (OSError, ValueError, TypeError, KeyError):
        error_text = (scratch / "stderr.txt").read_text(errors="replace")[-_TAIL:].strip()
        return [
            Problem(
                "run-crashed",
                f"The check process ended with exit status {returncode} before finishing "
                f"(while {last.get('step', 'starting')}). Its last output:\n{error_text}",
                last.get("target"),
                None,
                last.get("model"),
                last.get("layer"),
            )
        ], []


def _kill(child: subprocess.Popen) -> None:
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    child.wait()


def _last_progress(progress: Path) -> dict[str, Any]:
    """The child's last progress line (the child is untrusted: anything unreadable is ``{}``)."""
    try:
        last = json.loads(progress.read_text(encoding="utf-8").splitlines()[-1])
    except (OSError, ValueError, IndexError):
        return {}
    return last if isinstance(last, dict) else {}


def _timeout_problem(progress: Path, timeout: float) -> Problem:
    last = _last_progress(progress)
    return Problem(
        "timeout",
        f"Did not finish within {timeout:g} s; the last step begun was "
        f"{last.get('step', 'starting up')!r}. "
        "Make the model faster, or raise --timeout if it is just slow on this machine.",
        last.get("target"),
        None,
        last.get("model"),
        last.get("layer"),
    )
