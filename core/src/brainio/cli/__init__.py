"""The ``brainio`` command: list catalogs, inspect and fetch data sets, manage the cache.

Plugins add commands through the ``brainio_register_commands`` hook; it is called in
:func:`build_cli`, when the command starts, never when this module is imported.
"""

from __future__ import annotations

import json
import logging
import sys
import warnings
from typing import Any

import click

from brainio.errors import BrainIOError


class _BrainIOGroup(click.Group):
    """Shows a BrainIO error as one line with exit status 1, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrainIOError as error:
            raise click.ClickException(f"{type(error).__name__}: {error}") from error


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


@click.group(cls=_BrainIOGroup)
@click.version_option(package_name="brainio-core")
@click.option("-v", "--verbose", count=True, help="Log progress (-v) or debug details (-vv).")
def cli(verbose: int) -> None:
    """BrainIO: stimuli and recordings of neuroscience experiments, loadable by name."""
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def catalogs(as_json: bool) -> None:
    """List the installed catalogs, and the broken ones with the reason."""
    from brainio.lookup import broken_catalogs, get_catalogs

    entries = [
        {"name": name, "status": "ok", "rows": len(catalog), "path": str(catalog.source_path or "")}
        for name, catalog in sorted(get_catalogs().items())
    ]
    broken = [{**entry.to_dict(), "status": "broken"} for entry in broken_catalogs()]
    if as_json:
        _echo_json(entries + broken)
        return
    if not entries and not broken:
        click.echo("No catalog is installed. Install a catalog package, e.g. brainio-vision.")
    for entry in entries:
        click.echo(f"{entry['name']}\t{entry['rows']} rows\t{entry['path']}")
    for entry in broken:
        where = f"{entry['path']}" + (f":{entry['line']}" if entry["line"] else "")
        click.echo(f"{entry['name']}\tBROKEN\t{where}\t{entry['reason']}")


@cli.command(name="list")
@click.option("--assemblies", "kind", flag_value="assemblies", help="Only assemblies.")
@click.option("--stimulus-sets", "kind", flag_value="stimulus_sets", help="Only stimulus sets.")
@click.option("--catalog", "catalog_name", help="Only identifiers of this catalog.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_command(kind: str | None, catalog_name: str | None, as_json: bool) -> None:
    """List the identifiers of every assembly and stimulus set."""
    from brainio import lookup

    found = {
        "assemblies": lookup.list_assemblies() if kind in (None, "assemblies") else None,
        "stimulus_sets": lookup.list_stimulus_sets() if kind in (None, "stimulus_sets") else None,
    }
    if catalog_name is not None:
        in_catalog = set(lookup.get_catalog(catalog_name)["identifier"])
        found = {
            k: [i for i in v if i in in_catalog] if v is not None else None
            for k, v in found.items()
        }
    found = {key: value for key, value in found.items() if value is not None}
    if as_json:
        _echo_json(found)
        return
    for key, identifiers in found.items():
        click.echo(f"{key.replace('_', ' ')} ({len(identifiers)}):")
        for identifier in identifiers:
            click.echo(f"  {identifier}")


def _rows_of(identifier: str) -> list:
    from brainio import lookup

    rows = []
    if identifier in lookup.list_assemblies():
        rows.append(lookup.lookup_assembly(identifier))
    if identifier in lookup.list_stimulus_sets():
        rows.extend(row for row in lookup.lookup_stimulus_set(identifier) if row is not None)
    if not rows:
        lookup.lookup_assembly(identifier)  # raises with close matches
    return rows


@cli.command()
@click.argument("identifier")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def info(identifier: str, as_json: bool) -> None:
    """Show where IDENTIFIER's files live and whether they are cached."""
    from brainio.cache import get_cache

    cache = get_cache()
    entries = []
    for row in _rows_of(identifier):
        entries.append(
            {
                "identifier": row.identifier,
                "lookup_type": row.lookup_type,
                "class": row.class_name,
                "location_type": row.location_type,
                "location": row.location,
                "sha1": row.sha1,
                "stimulus_set_identifier": row.stimulus_set_identifier,
                "catalog": row.catalog,
                **dict(row.extra),
                "cached": cache.is_cached(row.source),
            }
        )
    if as_json:
        _echo_json(entries)
        return
    for entry in entries:
        click.echo(
            "\n".join(
                f"{key:>24}: {value}" for key, value in entry.items() if value not in (None, "")
            )
        )
        click.echo()


def describe(item: Any) -> str:
    """A short, human-readable summary of a stimulus set or assembly."""
    import pandas as pd

    if isinstance(item, pd.DataFrame):
        folder = ""
        paths = getattr(item, "stimulus_paths", None)
        if paths:
            folder = f"\n  files in: {next(iter(paths.values())).parent}"
        return (
            f"{type(item).__name__} '{getattr(item, 'identifier', '')}': {len(item)} stimuli\n"
            f"  columns: {', '.join(map(str, item.columns))}{folder}"
        )
    lines = [
        f"{type(item).__name__} '{item.attrs.get('identifier', '')}': "
        + " x ".join(f"{dim} {size}" for dim, size in item.sizes.items())
        + f" ({item.dtype})"
    ]
    for dim in item.dims:
        coords = [
            name
            for name, coord in item.coords.variables.items()
            if coord.dims == (dim,) and name != dim
        ]
        lines.append(f"  {dim}: {', '.join(coords)}")
    if item.attrs.get("stimulus_set_identifier"):
        lines.append(f"  stimulus set: {item.attrs['stimulus_set_identifier']}")
    return "\n".join(lines)


@cli.command()
@click.argument("identifier")
def get(identifier: str) -> None:
    """Fetch IDENTIFIER into the cache, verify it, load it and print a summary."""
    from brainio import loading

    for lookup_type in {row.lookup_type for row in _rows_of(identifier)}:
        if lookup_type == "assembly":
            item = loading.get_assembly(identifier)
        else:
            item = loading.get_stimulus_set(identifier)
        click.echo(describe(item))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def plugins(as_json: bool) -> None:
    """List the registered plugins and the hooks they implement."""
    from brainio.plugins import list_plugins

    entries = list_plugins()
    if as_json:
        _echo_json(entries)
        return
    for entry in entries:
        version = f" {entry['version']}" if entry["version"] else ""
        click.echo(f"{entry['name']}{version}: {', '.join(entry['hooks'])}")


def build_cli() -> click.Group:
    """The ``brainio`` group with the core's commands and every plugin's."""
    from brainio.cli.cache import cache
    from brainio.cli.package import new_catalog, package
    from brainio.plugins import get_plugin_manager

    for command in (cache, package, new_catalog):
        cli.add_command(command)
    get_plugin_manager().hook.brainio_register_commands(cli=cli)
    return cli


def _one_line_warning(message: Any, category: type, *args: Any, **kwargs: Any) -> str:
    """Warnings as users of a command read them: no source file and code line of BrainIO."""
    return f"Warning: {category.__name__}: {message}\n"


def main() -> None:
    """Entry point of the ``brainio`` command."""
    warnings.formatwarning = _one_line_warning
    try:
        group = build_cli()
    except BrainIOError as error:
        click.echo(f"Error: {type(error).__name__}: {error}", err=True)
        sys.exit(1)
    group(prog_name="brainio")

