"""``brainio submission new | validate | check``: the command-line face of this plugin.

Exit status is 0 only when no problem was found. ``--json`` prints one object:
``{"path", "ok", "problems": [{"code", "message", "file", "line", "model", "layer"}], "run"}``
where ``run`` is ``null`` unless ``check --run`` ran the models.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from brainio_submission.errors import SubmissionError
from brainio_submission.problems import Problem
from brainio_submission.validate import DEFAULT_MAX_SIZE_MB

_PATH = click.Path(exists=True, path_type=Path)
_MAX_SIZE = click.option(
    "--max-size-mb", type=click.FloatRange(min=0), default=DEFAULT_MAX_SIZE_MB,
    show_default=True, help="Largest allowed zip (or folder contents), in MB.",
)
_JSON = click.option("--json", "as_json", is_flag=True, help="Print a JSON report.")


@click.group()
def submission() -> None:
    """Create, validate and mock-run Brain-Score model submissions."""


@submission.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--kind", type=click.Choice(["base", "brain"]), default="base", show_default=True,
              help="base: a network with layers; brain: a model committed to brain regions.")
def new(directory: Path, kind: str) -> None:
    """Write a new submission project into DIRECTORY (which must not exist or be empty)."""
    from brainio_submission.template import KINDS, write_template

    try:
        files = write_template(directory, kind)
    except SubmissionError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Created a {kind}-model submission in {directory} ({len(files)} files).")
    click.echo(f"Put your model in {directory / 'models' / KINDS[kind]}.py, then run:")
    click.echo(f"  brainio submission check {directory} --run")


@submission.command()
@click.argument("path", type=_PATH)
@_JSON
@_MAX_SIZE
def validate(path: Path, as_json: bool, max_size_mb: float) -> None:
    """Check a submission zip or project folder without running any of its code."""
    from brainio_submission.validate import validate as validate_path

    problems = validate_path(path, max_size_mb)
    click.get_current_context().exit(_report(path, problems, None, as_json))


@submission.command()
@click.argument("path", type=_PATH)
@click.option("--run", "run_models", is_flag=True,
              help="Also import the models in a separate process and run them on a few stimuli.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=300.0,
              show_default=True, help="Time limit of the mock run, in seconds.")
@_JSON
@_MAX_SIZE
def check(path: Path, run_models: bool, timeout: float, as_json: bool, max_size_mb: float) -> None:
    """Validate a submission and, with --run, mock-run its models.

    The mock run installs nothing: it copies the submission into a temporary folder and runs
    its models in a separate process with a time limit, on the demo stimulus set. It does run
    the submitted code with your permissions, so only run submissions you trust.
    """
    from brainio_submission.validate import read_submission

    problems, tree = read_submission(path, max_size_mb)
    run_report = None
    if run_models and tree is not None:
        from brainio_submission.run import run_submission
        from brainio_submission.stimuli import mock_run_stimuli

        stimulus_set, stimuli = mock_run_stimuli()
        found, results = run_submission(path, stimuli, timeout)
        problems += found
        run_report = {"stimulus_set": stimulus_set, "stimuli": len(stimuli),
                      "timeout": timeout, "passed": results}
    elif run_models:
        click.echo("Mock run skipped: the submission cannot be read safely.", err=True)
    click.get_current_context().exit(_report(path, problems, run_report, as_json))


def _report(path: Path, problems: list[Problem], run: dict[str, Any] | None,
            as_json: bool) -> int:
    if as_json:
        click.echo(json.dumps({
            "path": str(path),
            "ok": not problems,
            "problems": [problem.to_dict() for problem in problems],
            "run": run,
        }, indent=2))
        return 1 if problems else 0
    if run is not None:
        click.echo(f"Mock run on {run['stimuli']} stimuli ({run['stimulus_set']}):")
        for result in run["passed"]:
            click.echo(f"  ok  model {result['model']!r}, {result['layer']}: "
                       f"activations of shape {tuple(result['shape'])}")
    for problem in problems:
        click.echo(problem.format())
    if problems:
        click.echo(f"{len(problems)} problem(s) found in {path}.")
        return 1
    click.echo(f"No problems found in {path}.")
    return 0


def check_this_module(module_name: str, kind: str) -> None:
    """Run the mock-run checks on an already imported models module (a template's ``__main__``).

    Runs in the caller's process, without a time limit: it is the submitter's own code.
    """
    from brainio_submission.checks import check_module
    from brainio_submission.stimuli import mock_run_stimuli

    module = sys.modules[module_name]
    module_path = Path(module.__file__).resolve()
    root = module_path.parent.parent
    stimulus_set, stimuli = mock_run_stimuli()
    checker = check_module(module, kind, root, module_path.relative_to(root).as_posix(),
                           [str(path) for path in stimuli])
    run = {"stimulus_set": stimulus_set, "stimuli": len(stimuli), "timeout": None,
           "passed": checker.results}
    sys.exit(_report(root, checker.problems, run, as_json=False))
