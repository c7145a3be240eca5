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
    """Report BrainIO errors as one line and exit status 1 instead of a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except BrainIOError as error:
            click.echo(f"Error: {type(error).__name__}: {error}", err=True)
            sys.exit(1)

    return wrapper


@click.group(name="laion-fmri")
def laion_fmri() -> None:
    """Discover, download and read the LAION-fMRI data set (s3://laion-fmri)."""


@laion_fmri.command()
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Directory to keep the data in (created if missing).")
@_errors
def config(data_dir: Path | None) -> None:
    """Set the data directory, or show the current one."""
    from laion_fmri.config import config_path, dataset_initialize, get_data_dir

    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
        dataset_initialize(str(data_dir))
    click.echo(f"data directory: {get_data_dir()}")
    click.echo(f"config file:    {config_path()}")


@laion_fmri.command()
@click.option("--subject", "subjects", multiple=True, required=True,
              help="sub-01, 01 or 'all' (repeatable).")
@click.option("--ses", multiple=True, help="Session (ses-01 or 01; 'averages'); repeatable.")
@click.option("--task", multiple=True)
@click.option("--space", multiple=True)
@click.option("--desc", multiple=True)
@click.option("--stat", multiple=True)
@click.option("--suffix", multiple=True, help="Last _ token of the file name, e.g. statmap.")
@click.option("--extension", multiple=True, help="e.g. nii.gz, tsv, json.")
@click.option("--n-jobs", type=int, default=4, show_default=True, help="Parallel downloads.")
@click.option("--include-stimuli", is_flag=True)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@_errors
def download(subjects, ses, task, space, desc, stat, suffix, extension, n_jobs,
             include_stimuli, as_json) -> None:
    """Download a subject's files (filters as in laion_fmri.download.download)."""
    import attrs

    from laion_fmri.download import download as run

    def value(option):
        return list(option) or None

    summary = run(
        list(subjects), ses=value(ses), task=value(task), space=value(space), desc=value(desc),
        stat=value(stat), suffix=value(suffix), extension=value(extension),
        include_stimuli=include_stimuli, n_jobs=n_jobs,
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

    if subject is None:
        discovery.describe()
        return
    for category in discovery.ROI_CATEGORIES:
        try:
            rois = discovery.get_rois(subject, category=category)
        except BrainIOError:
            continue
        if rois:
            click.echo(f"{category}: {', '.join(rois)}")


@laion_fmri.command("accept-terms")
@click.option("--stimuli", is_flag=True, required=True,
              help="Accept the data use agreement of the stimulus images.")
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
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
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
    click.echo(f"{split.name} ({split.pool}): family {split.split_family}, splitter "
               f"{split.splitter or '-'}, n_train {split.n_train}, n_test {split.n_test}, "
               f"{len(split.variants)} variant(s), file {split.path}")


def main() -> None:
    """Entry point of the ``laion-fmri`` console script."""
    laion_fmri(prog_name="laion-fmri")


if __name__ == "__main__":
    main()
