"""``brainio submission new | zip | validate | check``: the command-line face of this plugin.

Exit status: 0 when no problem was found, 1 when problems were found, 2 for a usage error, and
3 when ``check --run`` could not run the models at all (a package is missing, no sandbox is
available): then nothing was checked by running. ``--json`` prints one object:
``{"path", "layout", "ok", "problems": [{"code", "message", "file", "line", "model", "layer",
"website", "website_message"}], "run", "not_run"}`` where ``run`` is ``null`` unless the models
ran and ``not_run`` says why a requested run did not happen.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from brainio_submission.errors import SubmissionError
from brainio_submission.problems import Problem
from brainio_submission.tree import SubmissionTree
from brainio_submission.validate import DEFAULT_MAX_SIZE_MB

EXIT_NOT_RUN = 3

_PATH = click.Path(exists=True, path_type=Path)
_MAX_SIZE = click.option(
    "--max-size-mb",
    type=click.FloatRange(min=0),
    default=DEFAULT_MAX_SIZE_MB,
    show_default=True,
    help="Largest allowed zip (or folder contents), in MB.",
)
_JSON = click.option("--json", "as_json", is_flag=True, help="Print a JSON report.")


@click.group()
def submission() -> None:
    """Create, zip, validate and mock-run Brain-Score submissions."""


@submission.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option(
    "--kind",
    type=click.Choice(["model", "benchmark", "legacy-base", "legacy-brain"]),
    default="model",
    show_default=True,
    help="model/benchmark: a Brain-Score plugin (what the website takes); "
    "legacy-base/legacy-brain: the 2021 layout with models/base_models.py or "
    "models/brain_models.py.",
)
@click.option("--identifier", help="What the plugin registers (default: DIRECTORY's name).")
def new(directory: Path, kind: str, identifier: str | None) -> None:
    """Write a new submission into DIRECTORY (which must not exist or be empty)."""
    from brainio_submission.template import plugin_folder, write_template

    try:
        files = write_template(directory, kind, identifier)
    except SubmissionError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Created a {kind} submission in {directory} ({len(files)} files).")
    click.echo(f"Edit {plugin_folder(directory, kind, identifier)}, then run:")
    if kind == "benchmark":  # the mock run runs models only
        click.echo(f"  brainio submission validate {directory}")
    else:
        click.echo(f"  brainio submission check {directory} --run")
    if not kind.startswith("legacy"):
        click.echo(f"  brainio submission zip {directory}")


@submission.command("zip")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the zip (default: DIRECTORY.zip beside it).",
)
@click.option("--force", is_flag=True, help="Replace an existing zip.")
@_JSON
def zip_command(directory: Path, output: Path | None, force: bool, as_json: bool) -> None:
    """Zip DIRECTORY for upload (folder entries, no caches or hidden files) and validate it."""
    from brainio_submission.validate import read_submission
    from brainio_submission.zipping import zip_submission

    try:
        archive = zip_submission(directory, output, overwrite=force)
    except SubmissionError as error:
        raise click.ClickException(str(error)) from error
    if not as_json:
        click.echo(f"Wrote {archive}.")
    problems, tree = read_submission(archive)
    click.get_current_context().exit(_report(archive, _layout(tree), problems, None, None, as_json))


@submission.command()
@click.argument("path", type=_PATH)
@_JSON
@_MAX_SIZE
def validate(path: Path, as_json: bool, max_size_mb: float) -> None:
    """Check a submission zip or folder without running any of its code.

    Applies the Brain-Score website's upload checks (marked "website") and what Brain-Score
    needs to load the plugin: every module compiles, registrations are literal, test.py tests
    the registered identifier, requirements parse.
    """
    from brainio_submission.validate import read_submission

    problems, tree = read_submission(path, max_size_mb)
    click.get_current_context().exit(_report(path, _layout(tree), problems, None, None, as_json))


@submission.command()
@click.argument("path", type=_PATH)
@click.option(
    "--run",
    "run_models",
    is_flag=True,
    help="Also load the models in a sandboxed child process and run them on a few stimuli.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=300.0,
    show_default=True,
    help="Time limit of the mock run, in seconds.",
)
@click.option(
    "--memory-mb",
    type=click.IntRange(min=64),
    default=4096,
    show_default=True,
    help="Address-space limit of each process of the mock run, in MB.",
)
@click.option(
    "--no-sandbox",
    is_flag=True,
    help="Run without the sandbox (where none is available, the run is refused "
    "otherwise): the submitted code then runs with your permissions (it can read "
    "and change your files and use the network); only the environment, the "
    "resource limits and the time limit still apply.",
)
@_JSON
@_MAX_SIZE
def check(
    path: Path,
    run_models: bool,
    timeout: float,
    memory_mb: int,
    no_sandbox: bool,
    as_json: bool,
    max_size_mb: float,
) -> None:
    """Validate a submission and, with --run, mock-run its models.

    The mock run installs nothing: it copies the submission into a temporary folder and, in a
    sandbox (bubblewrap: no network, no access to your files or environment, a private HOME,
    resource limits, every process killed at the end), loads each model the way Brain-Score
    does and runs it on the demo stimulus set. Exit status 3 means the run did not happen.
    """
    from brainio_submission.validate import read_submission

    problems, tree = read_submission(path, max_size_mb)
    run_report = not_run = None
    if run_models and tree is not None:
        from brainio_submission.run import run_submission
        from brainio_submission.sandbox import Limits, cpu_seconds_for
        from brainio_submission.stimuli import mock_run_stimuli

        stimulus_set, stimuli = mock_run_stimuli()
        limits = Limits(memory_mb=memory_mb, cpu_seconds=cpu_seconds_for(timeout))
        outcome = run_submission(path, stimuli, timeout, isolate=not no_sandbox, limits=limits)
        problems += outcome.problems
        not_run = outcome.not_run
        if not_run is None:
            run_report = {
                "stimulus_set": stimulus_set,
                "stimuli": len(stimuli),
                "timeout": timeout,
                "sandbox": outcome.sandbox,
                "passed": outcome.results,
            }
    elif run_models:  # the problems say why; exit status 1, as for any problem found
        click.echo("Mock run skipped: the submission cannot be read safely.", err=True)
    click.get_current_context().exit(
        _report(path, _layout(tree), problems, run_report, not_run, as_json)
    )


def _layout(tree: SubmissionTree | None) -> str | None:
    from brainio_submission.rules import detect_layout

    return None if tree is None else detect_layout(tree)


def _report(
    path: Path,
    layout: str | None,
    problems: list[Problem],
    run: dict[str, Any] | None,
    not_run: str | None,
    as_json: bool,
) -> int:
    from brainio_submission.rules import LAYOUTS

    status = EXIT_NOT_RUN if not_run is not None else (1 if problems else 0)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "path": str(path),
                    "layout": layout,
                    "ok": not problems and not_run is None,
                    "problems": [problem.to_dict() for problem in problems],
                    "run": run,
                    "not_run": not_run,
                },
                indent=2,
            )
        )
        return status
    if layout is not None:
        click.echo(f"{path}: {LAYOUTS[layout]}.")
    if not_run is not None:
        click.echo(f"Mock run did not happen: {not_run}.")
    if run is not None:
        where = "in a sandbox" if run["sandbox"] else "WITHOUT a sandbox"
        click.echo(f"Mock run on {run['stimuli']} stimuli ({run['stimulus_set']}), {where}:")
        for result in run["passed"]:
            click.echo(
                f"  ok  model {result['model']!r}, {result['layer']}: "
                f"activations of shape {tuple(result['shape'])}"
            )
    for problem in problems:
        click.echo(problem.format())
    if problems:
        click.echo(f"{len(problems)} problem(s) found in {path}.")
    elif not_run is None:
        click.echo(f"No problems found in {path}.")
    return status


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
    checker = check_module(
        module,
        kind,
        root,
        module_path.relative_to(root).as_posix(),
        [str(path) for path in stimuli],
    )
    run = {
        "stimulus_set": stimulus_set,
        "stimuli": len(stimuli),
        "timeout": None,
        "sandbox": None,
        "passed": checker.results,
    }
    sys.exit(_report(root, "legacy", checker.problems, run, None, as_json=False))
