"""The child process of ``brainio submission check --run``: import the models and check them.

Started by :mod:`brainio_submission.run` as ``python -I -B -m brainio_submission.runner
REQUEST.json`` in its own temporary folder. It logs each step to a progress file (one JSON
object per line, so the parent can say where a model hung after killing it) and writes its
findings to a result file. Its stdout and stderr belong to the submitted code.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import types
from pathlib import Path
from typing import Any

from brainio_submission.checks import ModelChecker, check_module
from brainio_submission.problems import Problem


class ProgressLog:
    """Appends ``{"model", "layer", "step"}`` lines; the last line is where the child was."""

    def __init__(self, path: Path) -> None:
        self._file = open(path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 - lives with the process
        self.target: str | None = None

    def __call__(self, step: str, model: str | None = None, layer: str | None = None) -> None:
        record = {"target": self.target, "model": model, "layer": layer, "step": step}
        self._file.write(json.dumps(record) + "\n")


def _import_target(root: Path, target: dict[str, Any]) -> types.ModuleType:
    plugin = target.get("plugin")
    if plugin is not None:
        # A 2.x plugin's __init__.py registers into brainscore_vision; only model.py is needed,
        # so its parent packages are created empty instead of running their __init__.py.
        for name, folder in (("models", root / "models"),
                             (f"models.{plugin}", root / "models" / plugin)):
            if name not in sys.modules:
                package = types.ModuleType(name)
                package.__path__ = [str(folder)]
                sys.modules[name] = package
    return importlib.import_module(target["module"])


def run(request: dict[str, Any]) -> dict[str, Any]:
    root = Path(request["root"])
    sys.path.insert(0, str(root))
    progress = ProgressLog(Path(request["progress"]))
    problems: list[Problem] = []
    results: list[dict[str, Any]] = []
    for target in request["targets"]:
        progress.target = target["file"]
        progress(step=f"importing {target['module']}")
        try:
            module = _import_target(root, target)
        except BaseException as error:  # noqa: BLE001 - SystemExit from submitted code too
            checker = ModelChecker(root, target["file"], request["stimuli"])
            checker.failure("import-failed", f"importing {target['module']}",
                            error)
            problems.append(_explain_import(checker.problems[-1], error, root))
            continue
        try:
            checker = check_module(
                module, target["kind"], root, target["file"], request["stimuli"],
                names=target.get("names"), progress=progress,
            )
        except BaseException as error:  # noqa: BLE001 - e.g. sys.exit() inside a model
            checker = ModelChecker(root, target["file"], request["stimuli"])
            checker.failure("run-crashed", f"checking {target['module']}", error)
        problems += checker.problems
        results += checker.results
    progress(step="done")
    return {"problems": [p.to_dict() for p in problems], "results": results}


def _explain_import(problem: Problem, error: BaseException, root: Path) -> Problem:
    """Say 'missing dependency' when the module that failed to import is not the submission's."""
    if isinstance(error, ModuleNotFoundError) and error.name:
        top = error.name.split(".")[0]
        if not (root / top).exists() and not (root / f"{top}.py").exists():
            message = (
                f"{problem.message}. Module {top!r} is not installed in this environment: "
                "declare it in the submission's dependencies and install it here to run the "
                "check (the check itself installs nothing)."
            )
            return Problem(problem.code, message, problem.file, problem.line)
    return problem


def main(argv: list[str]) -> int:
    request_path = Path(argv[0])
    request = json.loads(request_path.read_text(encoding="utf-8"))
    result = run(request)
    destination = Path(request["result"])
    temporary = destination.with_suffix(".partial")
    temporary.write_text(json.dumps(result), encoding="utf-8")
    os.replace(temporary, destination)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
