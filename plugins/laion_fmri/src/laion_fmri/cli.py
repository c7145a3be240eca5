"""The ``laion-fmri`` command (also ``brainio laion-fmri``): config, download, info, splits."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path

import click

from brainio.errors import BrainIOError


def _errors(command: Callable) -> Callable:
    """Report BrainIO and OS errors as one line and exit status 1 instead of a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (BrainIOError, OSError) as error:
            click.echo(f"Error: {type(error).__name__}: {error}", err=True)
            sys.exit(1)

    return wrapper


class _SeveralValues(click.Command):
    """A command whose filter options take several values after one flag, as documented by
    the LAION-fMRI package (``--ses ses-01 averages``); repeating the flag works too."""

    several = (
        "--subject",
        "--ses",
        "--task",
        "--space",
        "--desc",
        "--stat",
        "--suffix",
        "--extension",
    )

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Rewrite ``--ses a b`` as ``--ses a --ses b`` before click parses the arguments."""
        expanded: list[str] = []
        flag, has_value = None, False
        for position, arg in enumerate(args):
            if arg == "--":
                expanded += args[position:]
                break
            if arg.startswith("-") and len(arg) > 1:
                name, equals, _ = arg.partition("=")
                flag, has_value = (name, bool(equals)) if name in self.several else (None, False)
            elif flag is not None:
                if has_value:
                    expanded.append(flag)
                has_value = True
            expanded.append(arg)
        return super().parse_args(ctx, expanded)


@click.group(name="laion-fmri", invoke_without_command=True)
@click.pass_context
def laion_fmri(ctx: click.Context) -> None:
    """Discover, download and read the LAION-fMRI data set (s3://laion-fmri)."""
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


@laion_fmri.command()
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to keep the data in (created if missing).",
)
@_errors
def config(data_dir: Path | None) -> None:
    """Set the data directory, or show the current one."""
    from laion_fmri.config import config_path, dataset_initialize, get_data_dir

    if data_dir is not None:
        dataset_initialize(str(data_dir), create=True)
    click.echo(f"data directory: {get_data_dir()}")
    click.echo(f"config file:    {config_path()}")


@laion_fmri.command(cls=_SeveralValues)
@click.option(
    "--subject",
    "subjects",
    multiple=True,
    required=True,
    help="sub-01, 01 or 'all'; several values allowed.",
)
@click.option(
    "--ses", multiple=True, help="Sessions (ses-01 or 01; 'averages' for subject-level maps)."
)
@click.option("--task", multiple=True)
@click.option("--space", multiple=True)
@click.option("--desc", multiple=True)
@click.option("--stat", multiple=True)
@click.option("--suffix", multiple=True, help="Last _ token of the file name, e.g. statmap.")
@click.option("--extension", multiple=True, help="e.g. nii.gz, tsv, json.")
@click.option("--n-jobs", type=int, default=1, show_default=True, help="Parallel downloads.")
@click.option("--include-stimuli", is_flag=True)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@_errors
def download(
    subjects, ses, task, space, desc, stat, suffix, extension, n_jobs, include_stimuli, as_json
) -> None:
    """Download a subject's files (filters as in laion_fmri.download.download).

    Each filter takes one or several values: --ses ses-01 ses-02 averages.
    """
    import attrs

    from laion_fmri.download import download as run

    def value(option):
        return list(option) or None

    summary = run(
        list(subjects),
        ses=value(ses),
        task=value(task),
        space=value(space),
        desc=value(desc),
        stat=value(stat),
        suffix=value(suffix),
        extension=value(extension),
        include_stimuli=include_stimuli,
        n_jobs=n_jobs,
    )
    if as_json:
        click.echo(json.dumps(attrs.asdict(summary), indent=1))
    else:
        click.echo(str(summary))


@laion_fmri.command()
@click.option("--subject", help="List this subject's ROIs by category.")
@_errors
def info(subject: str | None) -> None:
    """Summarize the bucket, or one subject's ROIs."""
    from laion_fmri import discovery
    from laion_fmri.errors import SubjectNotFoundError

    if subject is None:
        discovery.describe()
        return
    name = discovery.normalize_subject(subject)
    subjects = discovery.get_subjects()
    if name not in subjects:
        raise SubjectNotFoundError(
            f"Subject '{name}' is not in s3://laion-fmri. Subjects: "
            f"{', '.join(subjects) or '(none)'}."
        )
    by_category = discovery.get_rois_by_category(name)
    if not by_category:
        click.echo(f"{name}: no ROIs in the bucket yet.")
    for category, rois in by_category.items():
        click.echo(f"{category}: {', '.join(rois)}")


@laion_fmri.command("accept-terms")
@click.option(
    "--stimuli",
    is_flag=True,
    required=True,
    help="Accept the data use agreement of the stimulus images.",
)
@click.option("--yes", is_flag=True, help="Accept without asking.")
@_errors
def accept_terms(stimuli: bool, yes: bool) -> None:
    """Accept the stimulus terms of use (the fMRI data are CC0)."""
    from laion_fmri.download import accept_licenses

    accept_licenses(include_stimuli=stimuli, agree=True if yes else None)
    click.echo("Stimulus terms accepted.")


@laion_fmri.group()
def splits() -> None:
    """Train/test splits: list installed ones, install published files."""


@splits.command("list")
@_errors
def splits_list() -> None:
    """Installed pools, split names and OOD types."""
    from laion_fmri import splits as api

    click.echo(f"Pools: {', '.join(api.list_pools()) or '(none)'}")
    click.echo(f"Splits: {', '.join(api.list_splits()) or '(none)'}")
    click.echo(f"OOD types: {', '.join(api.list_ood_types()) or '(none)'}")


@splits.command("add")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--pool", help="Pool of the files (default: each file's folder name).")
@_errors
def splits_add(files: tuple[Path, ...], pool: str | None) -> None:
    """Validate split files against the published schema and install them."""
    from laion_fmri.splits import install_split_files

    for path in install_split_files(files, pool=pool):
        click.echo(f"installed {path}")


@splits.command("show")
@click.argument("name")
@click.option("--pool", default="shared", show_default=True)
@_errors
def splits_show(name: str, pool: str) -> None:
    """Sizes and family of one split."""
    from laion_fmri.splits import load_split

    split = load_split(name, pool)
    click.echo(
        f"{split.name} ({split.pool}): family {split.split_family}, splitter "
        f"{split.splitter or '-'}, n_train {split.n_train}, n_test {split.n_test}, "
        f"{len(split.variants)} variant(s), file {split.path}"
    )


def main() -> None:
    """Entry point of the ``laion-fmri`` console script."""
    laion_fmri(prog_name="laion-fmri")


if __name__ == "__main__":
    main()
