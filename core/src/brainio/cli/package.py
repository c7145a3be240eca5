"""``brainio package stimulus-set|assembly`` and ``brainio new-catalog``: packaging from files.

A lab's data usually sit on disk as a table of stimuli next to a folder of files, and as a
netCDF file of recordings; these commands package them with :mod:`brainio.packaging` without
writing Python, and start a catalog project from the template.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

__all__ = ["new_catalog", "package"]


def _echo_result(packaged: Any, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(packaged.to_dict(), indent=2, default=str))
        return
    click.echo(f"Packaged '{packaged.identifier}' to {packaged.target}")
    for row in packaged.rows:
        kind = row.class_name or "ZIP"
        click.echo(f"  {kind}: {row.location} (sha1 {row.sha1})")
    if packaged.catalog_path is not None:
        click.echo(f"  catalog: {packaged.catalog_path}")
    else:
        click.echo("  no catalog given: nothing was appended (use --catalog or --catalog-path)")


def _catalog_options(function: Any) -> Any:
    options = [
        click.option(
            "--catalog",
            "catalog_name",
            metavar="NAME",
            help="Installed catalog to append to (or the name for --catalog-path).",
        ),
        click.option(
            "--catalog-path",
            type=click.Path(dir_okay=False, path_type=Path),
            help="lookup.csv to append to (created if missing).",
        ),
        click.option(
            "--target",
            required=True,
            metavar="TARGET",
            help="Where to store the files: a folder, file:///folder, or "
            "s3://bucket/prefix (needs brainio-s3).",
        ),
        click.option(
            "--replace", is_flag=True, help="Replace the identifier if the catalog has it already."
        ),
        click.option(
            "--work-dir",
            type=click.Path(file_okay=False, path_type=Path),
            help="Keep the written files here (default: a temporary folder).",
        ),
        click.option("--json", "as_json", is_flag=True, help="Print the result as JSON."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


@click.group()
def package() -> None:
    """Package stimulus sets and assemblies from files on disk into storage and a catalog."""


@package.command(name="stimulus-set")
@click.argument("identifier")
@click.option(
    "--csv",
    "csv_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="One row per stimulus: stimulus_id, the file's name, metadata columns.",
)
@click.option(
    "--stimuli-dir",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder the file names in the CSV are relative to.",
)
@click.option(
    "--file-column",
    default="filename",
    show_default=True,
    help="CSV column with each stimulus's file name (dropped from the packaged CSV; "
    "BrainIO writes its own 'filename' column).",
)
@_catalog_options
def stimulus_set_command(
    identifier: str,
    csv_path: Path,
    stimuli_dir: Path,
    file_column: str,
    catalog_name: str | None,
    catalog_path: Path | None,
    target: str,
    replace: bool,
    work_dir: Path | None,
    as_json: bool,
) -> None:
    """Package the stimuli listed in --csv (files in --stimuli-dir) as stimulus set IDENTIFIER."""
    import pandas as pd

    from brainio.errors import PackagingError
    from brainio.packaging import package_stimulus_set
    from brainio.stimuli import StimulusSet

    try:
        table = pd.read_csv(csv_path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise PackagingError(f"{csv_path} is not a readable CSV file: {error}") from None
    if file_column not in table.columns:
        raise PackagingError(
            f"{csv_path} has no '{file_column}' column naming each stimulus's file (its "
            f"columns: {', '.join(map(str, table.columns))}). Add it or pass --file-column."
        )
    if "stimulus_id" not in table.columns and "image_id" in table.columns:
        table["stimulus_id"] = table["image_id"]
    stimulus_set = StimulusSet(table.drop(columns=[file_column]))
    if "stimulus_id" in table.columns:
        stimulus_set.stimulus_paths = {
            stimulus_id: stimuli_dir / str(name)
            for stimulus_id, name in zip(table["stimulus_id"], table[file_column], strict=True)
        }
    packaged = package_stimulus_set(
        catalog_name,
        stimulus_set,
        identifier,
        target=target,
        catalog_path=catalog_path,
        replace=replace,
        work_dir=work_dir,
    )
    _echo_result(packaged, as_json)


@package.command(name="assembly")
@click.argument("identifier")
@click.argument(
    "netcdf_path", metavar="NETCDF", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--stimulus-set",
    "stimulus_set_identifier",
    metavar="ID",
    help="Identifier of the stimulus set its stimulus_ids refer to.",
)
@click.option(
    "--class",
    "class_name",
    default="NeuronRecordingAssembly",
    show_default=True,
    help="Assembly class (e.g. NeuroidAssembly, BehavioralAssembly).",
)
@_catalog_options
def assembly_command(
    identifier: str,
    netcdf_path: Path,
    stimulus_set_identifier: str | None,
    class_name: str,
    catalog_name: str | None,
    catalog_path: Path | None,
    target: str,
    replace: bool,
    work_dir: Path | None,
    as_json: bool,
) -> None:
    """Package the assembly in NETCDF (netCDF groups become extras) as IDENTIFIER."""
    from brainio.netcdf import list_groups, read_dataarray
    from brainio.packaging import package_data_assembly

    assembly = read_dataarray(netcdf_path)
    for name in ("identifier", "stimulus_set_identifier"):  # set anew by packaging
        assembly.attrs.pop(name, None)
    extras = {
        group: read_dataarray(netcdf_path, group=group)
        for group in list_groups(netcdf_path)
        if "/" not in group
    }
    packaged = package_data_assembly(
        catalog_name,
        assembly,
        identifier,
        stimulus_set_identifier,
        assembly_class_name=class_name,
        extras=extras or None,
        target=target,
        catalog_path=catalog_path,
        replace=replace,
        work_dir=work_dir,
    )
    _echo_result(packaged, as_json)


@click.command(name="new-catalog")
@click.argument("name")
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="Folder to create the project in.",
)
@click.option(
    "--storage",
    type=click.Choice(["local", "s3"]),
    default="local",
    show_default=True,
    help="Where its data will be stored: a folder or S3.",
)
@click.option("--author", help="Author written into pyproject.toml.")
def new_catalog(name: str, output_dir: Path, storage: str, author: str | None) -> None:
    """Create a catalog project brainio-NAME (Python package NAME) from the template."""
    from brainio.packaging.template import render_catalog_project

    project = render_catalog_project(name, output_dir, storage=storage, author=author)
    click.echo(f"Created catalog project {project}")
    click.echo(
        "Next: cd into it, `pip install -e .`, edit and run scripts/package_example.py, "
        "then `pytest`."
    )
