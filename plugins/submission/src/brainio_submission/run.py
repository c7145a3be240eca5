"""The mock run: the submission's models, imported and called in a separate, time-limited process.

Nothing is installed: the project is copied (or safely extracted) into a fresh temporary folder
that becomes the child's working directory and ``TMPDIR``, and the child
(:mod:`brainio_submission.runner`) puts that copy on ``sys.path``. Its dependencies must
already be installed in this environment; a missing one is reported as such. On timeout the
child's whole process group is killed and the report says which model and step it was on.
"""

from __future__ import annotations

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
from brainio_submission.problems import Problem
from brainio_submission.rules import BASE_MODULE, BRAIN_MODULE, plugin_models
from brainio_submission.tree import SubmissionTree, read_folder
from brainio_submission.validate import SUBMISSION_LIMITS

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 300.0
_TAIL = 2000


def run_submission(
    path: Path, stimuli: Sequence[Path], timeout: float = DEFAULT_TIMEOUT
) -> tuple[list[Problem], list[dict[str, Any]]]:
    """Problems found by running the models, and the shape of every layer that passed."""
    with tempfile.TemporaryDirectory(prefix="brainio-submission-") as scratch_name:
        scratch = Path(scratch_name)
        project = _prepare(Path(path), scratch)
        tree = read_folder(project)
        problems, targets = find_targets(tree)
        results: list[dict[str, Any]] = []
        if targets:
            stimulus_folder = scratch / "stimuli"
            stimulus_folder.mkdir()
            copies = []
            for index, stimulus in enumerate(stimuli):
                copy = stimulus_folder / f"{index:03d}_{Path(stimulus).name}"
                shutil.copyfile(stimulus, copy)
                copies.append(str(copy))
            found, results = _run_child(scratch, project, targets, copies, timeout)
            problems += found
    if not Path(path).is_dir():  # report files as validation does: inside the zip's root folder
        problems = [
            attrs.evolve(p, file=f"{project.name}/{p.file}") if p.file is not None else p
            for p in problems
        ]
    return problems, results


def _prepare(path: Path, scratch: Path) -> Path:
    """A private copy of the project root inside ``scratch``."""
    if path.is_dir():
        destination = scratch / "project"
        shutil.copytree(
            path, destination, symlinks=True,
            ignore=shutil.ignore_patterns("__pycache__", ".*"),
        )
        return destination
    extracted = safe_extract(path, scratch / "extracted", SUBMISSION_LIMITS)
    roots = [entry for entry in extracted.iterdir() if not entry.name.startswith((".", "_"))]
    return roots[0]  # validation checked there is exactly one root folder


def find_targets(tree: SubmissionTree) -> tuple[list[Problem], list[dict[str, Any]]]:
    """The modules the child imports: template modules, or each 2.x plugin's ``model.py``."""
    targets = []
    for relative, kind in ((BASE_MODULE, "base"), (BRAIN_MODULE, "brain")):
        if tree.exists(relative):
            module = relative.removesuffix(".py").replace("/", ".")
            targets.append({"kind": kind, "module": module, "file": relative})
    if targets:
        return [], targets
    problems = []
    for plugin, names in plugin_models(tree).items():
        relative = f"models/{plugin}/model.py"
        if not tree.exists(relative):
            problems.append(Problem(
                "missing-plugin-file",
                f"The mock run imports get_model and get_layers from {relative}; add it.",
                relative,
            ))
        elif names:
            targets.append({"kind": "base", "module": f"models.{plugin}.model",
                            "file": relative, "names": names, "plugin": plugin})
    return problems, targets


def _run_child(
    scratch: Path,
    project: Path,
    targets: list[dict[str, Any]],
    stimuli: list[str],
    timeout: float,
) -> tuple[list[Problem], list[dict[str, Any]]]:
    work = scratch / "work"
    temporary = scratch / "tmp"
    work.mkdir()
    temporary.mkdir()
    request = {
        "root": str(project),
        "targets": targets,
        "stimuli": stimuli,
        "progress": str(scratch / "progress.jsonl"),
        "result": str(scratch / "result.json"),
    }
    request_path = scratch / "request.json"
    request_path.write_text(json.dumps(request), encoding="utf-8")
    environment = dict(os.environ)
    environment.update({
        "TMPDIR": str(temporary), "TMP": str(temporary), "TEMP": str(temporary),
        "RESULTCACHING_DISABLE": "1", "MPLCONFIGDIR": str(temporary),
    })
    command = [sys.executable, "-I", "-B", "-m", "brainio_submission.runner", str(request_path)]
    logger.info("running %s in %s with a %gs limit", " ".join(command), work, timeout)
    with (
        open(scratch / "stdout.txt", "wb") as stdout,
        open(scratch / "stderr.txt", "wb") as stderr,
    ):
        child = subprocess.Popen(
            command, cwd=work, env=environment, stdin=subprocess.DEVNULL, stdout=stdout,
            stderr=stderr, start_new_session=True,
        )
        try:
            returncode = child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill(child)
            return [_timeout_problem(scratch / "progress.jsonl", timeout)], []
        finally:
            _kill(child)  # also ends anything the models started in the background
    result_path = Path(request["result"])
    if not result_path.exists():
        error_text = (scratch / "stderr.txt").read_text(errors="replace")[-_TAIL:].strip()
        last = _last_progress(scratch / "progress.jsonl")
        return [Problem(
            "run-crashed",
            f"The check process ended with exit status {returncode} before finishing "
            f"(while {last.get('step', 'starting')}). Its last output:\n{error_text}",
            last.get("target"), None, last.get("model"), last.get("layer"),
        )], []
    result = json.loads(result_path.read_text(encoding="utf-8"))
    return [Problem(**problem) for problem in result["problems"]], result["results"]


def _kill(child: subprocess.Popen) -> None:
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    child.wait()


def _last_progress(progress: Path) -> dict[str, Any]:
    try:
        lines = progress.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return {}
    return json.loads(lines[-1]) if lines else {}


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
