"""The child process of ``brainio submission check --run``: import the models and check them.

Started by :mod:`brainio_submission.run` as ``python -I -B -m brainio_submission.runner
REQUEST.json`` in its own temporary folder, inside the sandbox. Running as root, it first
becomes ``nobody``. It logs each step to a progress file (one JSON object per line, so the
parent can say where a model hung after killing it) and writes its findings to a result file.
Its stdout and stderr belong to the submitted code.

A plugin is loaded the way Brain-Score's ``load_model`` loads it: the plugin folder is
imported as ``<library>.models.<folder>`` (so its ``from .model import ...`` and
``from brainscore_vision import model_registry`` work unchanged), which registers the
identifier, and ``model_registry[identifier]()`` builds the model.
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
from brainio_submission.sandbox import drop_privileges


class ProgressLog:
    """Appends ``{"model", "layer", "step"}`` lines; the last line is where the child was."""

    def __init__(self, path: Path) -> None:
        self._file = open(path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 - lives with the process
        self.target: str | None = None

    def __call__(self, step: str, model: str | None = None, layer: str | None = None) -> None:
        record = {"target": self.target, "model": model, "layer": layer, "step": step}
        self._file.write(json.dumps(record) + "\n")


def _import_target(root: Path, target: dict[str, Any]) -> types.ModuleType:
    if "plugin" not in target:
        return importlib.import_module(target["module"])
    library = importlib.import_module(target["library"])
    plugins = importlib.import_module(f"{target['library']}.models")
    # the submission's plugin folder first, so it wins over an installed plugin of that name
    plugins.__path__ = [str(root / "models"), *plugins.__path__]
    importlib.import_module(target["module"])  # <library>.models.<plugin folder>
    return library


def run(request: dict[str, Any]) -> dict[str, Any]:
    root = Path(request["root"])
    sys.path[:] = [str(root), *dict.fromkeys([*sys.path, *request.get("sys_path", [])])]
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
            checker.failure("import-failed", f"importing {target['module']}", error)
            problems.append(_explain_import(checker.problems[-1], error, root))
            continue
        try:
            if "plugin" in target:
                checker = ModelChecker(root, target["file"], request["stimuli"], progress)
                for name in target["names"]:
                    checker.check_registered(module.model_registry, name)
            else:
                checker = check_module(
                    module,
                    target["kind"],
                    root,
                    target["file"],
                    request["stimuli"],
                    progress=progress,
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
                f"{problem.message}. Module {top!r} is not installed in this environment, so "
                "the mock run did not happen: declare it in the submission's requirements and "
                "install it here to run the check (the check itself installs nothing)."
            )
            return Problem("missing-package", message, problem.file, problem.line)
    return problem


def main(argv: list[str]) -> int:
    request_path = Path(argv[0])
    request = json.loads(request_path.read_text(encoding="utf-8"))
    if request.get("drop_privileges"):
        drop_privileges()
    result = run(request)
    destination = Path(request["result"])
    temporary = destination.with_suffix(".partial")
    temporary.write_text(json.dumps(result), encoding="utf-8")
    os.replace(temporary, destination)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
