"""The ``brainio`` command: list catalogs, inspect and fetch data sets, manage the cache.

Plugins add commands through the ``brainio_register_commands`` hook; it is called in
:func:`build_cli`, when the command starts, never when this module is imported.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import warnings
from typing import Any

import click

from brainio.errors import BrainIOError
from brainio.records import TYPE_ASSEMBLY, TYPE_STIMULUS_SET
from brainio.search import KINDS

_PLURALS = {TYPE_ASSEMBLY: "assemblies", TYPE_STIMULUS_SET: "stimulus_sets"}


_GLOBAL_FLAG = re.compile(r"^(-v+|--verbose)$")


class _BrainIOGroup(click.Group):
    """Shows a BrainIO error as one line with exit status 1, not a traceback, and accepts the
    global flags (``-v``) anywhere before ``--``, also after the command (``brainio get X -v``).
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        end = args.index("--") if "--" in args else len(args)
        flags = [arg for arg in args[:end] if _GLOBAL_FLAG.match(arg)]
        rest = [arg for arg in args[:end] if not _GLOBAL_FLAG.match(arg)]
        return super().parse_args(ctx, flags + rest + args[end:])

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
@click.argument("pattern", required=False)
@click.option("--assemblies", is_flag=True, help="Assemblies (with --stimulus-sets: both).")
@click.option("--stimulus-sets", is_flag=True, help="Stimulus sets (with --assemblies: both).")
@click.option(
    "--type",
    "types",
    type=click.Choice(KINDS),
    multiple=True,
    help="Only this kind (repeatable); same as --assemblies/--stimulus-sets.",
)
@click.option("--catalog", "catalog_name", help="Only identifiers of this catalog.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_command(
    pattern: str | None,
    assemblies: bool,
    stimulus_sets: bool,
    types: tuple[str, ...],
    catalog_name: str | None,
    as_json: bool,
) -> None:
    """List assemblies and stimulus sets, optionally those matching PATTERN.

    PATTERN matches identifiers and registry names, ignoring case: a substring (Majaj) or a
    glob (*hvm*, dicarlo.?ajaj*).
    """
    from brainio.search import find

    kinds = set(types)
    kinds |= {TYPE_ASSEMBLY} if assemblies else set()
    kinds |= {TYPE_STIMULUS_SET} if stimulus_sets else set()
    kinds = kinds or set(KINDS)
    entries = find(pattern, catalog=catalog_name, kinds=kinds)
    groups = {
        _PLURALS[kind]: [entry for entry in entries if entry.kind == kind]
        for kind in KINDS
        if kind in kinds
    }
    if as_json:
        _echo_json(  # identifiers once each, whichever catalogs (mirrors) list them
            {key: list(dict.fromkeys(e.identifier for e in found)) for key, found in groups.items()}
        )
        return
    for key, found in groups.items():
        click.echo(f"{key.replace('_', ' ')} ({len(found)}):")
        width = max((len(entry.identifier) for entry in found), default=0)
        for entry in found:
            names = []
            if entry.registry_key and entry.registry_key != entry.identifier:
                names.append(entry.registry_key)
            if entry.access == "private":
                names.append("private")
            names.append(f"[{entry.catalog}]")
            click.echo(f"  {entry.identifier:<{width}}  {'  '.join(names)}")
    if pattern is not None and not entries:
        click.echo(f"Nothing matches '{pattern}'; try a shorter pattern or `brainio list`.")


@cli.command()
@click.argument("identifier")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def info(identifier: str, as_json: bool) -> None:
    """Show IDENTIFIER's card: files and sizes, description, citation, cache status.

    IDENTIFIER is a storage identifier or a registry name (MajajHong2015.public).
    """
    from brainio.cards import card

    found = card(identifier)
    if as_json:
        _echo_json(found.to_dict())
    else:
        click.echo(found.to_text())


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


CONFIRM_SIZE_ENV = "BRAINIO_CONFIRM_SIZE"
DEFAULT_CONFIRM_SIZE = 1_000_000_000
"""``brainio get`` asks before downloading more bytes than this, when a person is at the
terminal (``BRAINIO_CONFIRM_SIZE`` in bytes; ``--yes`` never asks)."""


def _confirm_size() -> int:
    text = os.environ.get(CONFIRM_SIZE_ENV, "").strip()
    if not text:
        return DEFAULT_CONFIRM_SIZE
    try:
        return int(text)
    except ValueError:
        raise click.UsageError(
            f"{CONFIRM_SIZE_ENV}={text!r} is not a number of bytes; set it to e.g. 5000000000."
        ) from None


def _interactive() -> bool:
    return sys.stdin is not None and sys.stdin.isatty() and sys.stderr.isatty()


@cli.command()
@click.argument("identifier")
@click.option("--json", "as_json", is_flag=True, help="Print the card of what was fetched as JSON.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask before a large download.")
def get(identifier: str, as_json: bool, yes: bool) -> None:
    """Fetch IDENTIFIER (and its stimulus set) into the cache, verify it, load it and print a
    summary.

    Says how much it will download first, and asks when that is more than
    $BRAINIO_CONFIRM_SIZE bytes (default 1 GB) and a person is at the terminal.
    """
    from brainio import loading
    from brainio.cards import card, format_size

    found = card(identifier, ask_storage=True)
    cards = [found]
    if found.kind == TYPE_ASSEMBLY and found.stimulus_set_identifier:
        cards.append(card(found.stimulus_set_identifier, ask_storage=True))
    missing = [file for each in cards for file in each.files if not file.cached]
    sizes = [file.size for file in missing if file.size is not None]
    total = sum(sizes)
    if not missing:
        click.echo(f"{identifier}: every file is in the cache.", err=True)
    else:
        unknown = len(missing) - len(sizes)
        note = f" (and {unknown} file(s) of unknown size)" if unknown and sizes else ""
        amount = format_size(total) + note if sizes else "size unknown"
        click.echo(f"{identifier}: fetching {len(missing)} file(s), {amount}.", err=True)
        if total > _confirm_size() and not yes and _interactive():
            click.confirm(f"Download {format_size(total)}?", abort=True, err=True)
    identifier = found.identifier  # a registry key names its storage identifier
    if found.kind == TYPE_ASSEMBLY:
        item = loading.get_assembly(identifier)
    else:
        item = loading.get_stimulus_set(identifier)
    if as_json:
        _echo_json(card(identifier).to_dict())
    else:
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
