"""``brainio cache info | verify | clean``: look into and tidy the local cache.

The group is added to the ``brainio`` command by :func:`brainio.cli.build_cli`. Every command
works on the cache at ``$BRAINIO_HOME`` and takes ``--json`` where a script would read it.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime

import attrs
import click

from brainio.cache import Cache, CacheEntry, get_cache
from brainio.cards import format_size


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M") if timestamp else "-"


def _describe(entry: CacheEntry) -> str:
    names = ", ".join(entry.files + tuple(f"{name}/" for name in entry.extracted)) or "(empty)"
    kind = "" if entry.verified else " [unverified]"
    if entry.decoded_size:
        names += f" (+ decoded copy, {format_size(entry.decoded_size)})"
    return f"{entry.key}{kind}  {format_size(entry.size):>10}  {_when(entry.last_used)}  {names}"


def _echo_json(data: object) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


@click.group()
def cache() -> None:
    """Inspect, verify and clean the local cache ($BRAINIO_HOME, default ~/.brainio)."""


@cache.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def info(as_json: bool) -> None:
    """List the cached objects with their sizes and when they were last used."""
    report = get_cache().info()
    if as_json:
        _echo_json(report.to_dict())
        return
    click.echo(f"cache: {report.root}")
    for entry in report.entries:
        click.echo(_describe(entry))
    click.echo(f"{len(report.entries)} object(s), {format_size(report.total_size)} in total")
    decoded = sum(entry.decoded_size for entry in report.entries)
    if decoded:
        click.echo(
            f"{format_size(decoded)} of it are decoded copies that make warm loads fast "
            "(BRAINIO_DECODED_COPIES=0 turns them off; `brainio cache clean` removes them)"
        )


@cache.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def verify(as_json: bool) -> None:
    """Re-hash every cached and extracted file (decoded copies too); repair what does not match.

    Cached files that do not match are removed (fetched again when needed); extracted files
    that differ from their zip are extracted again. Exits with status 1 when something was
    wrong (and has been repaired).
    """
    from brainio import decoded

    cache = get_cache()
    report = cache.verify()
    report = attrs.evolve(report, problems=report.problems + tuple(decoded.verify(cache)))
    if as_json:
        _echo_json(report.to_dict())
    else:
        for problem in report.problems:
            click.echo(f"{problem.path}: {problem.message}")
        state = "all good" if report.ok else f"{len(report.problems)} problem(s) fixed"
        click.echo(f"{report.checked} file(s) checked, {state}")
    if not report.ok:
        sys.exit(1)


@cache.command()
@click.option("--all", "clean_all", is_flag=True, help="Remove every cached object.")
@click.option(
    "--older-than",
    type=click.FloatRange(min=0),
    metavar="DAYS",
    help="Remove objects not used for DAYS days.",
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def clean(clean_all: bool, older_than: float | None, yes: bool, as_json: bool) -> None:
    """Remove cached objects (they are fetched again when needed).

    Objects that another process is downloading or extracting are left alone.
    """
    if clean_all == (older_than is not None):
        raise click.UsageError("Give exactly one of --all or --older-than DAYS.")
    store: Cache = get_cache()
    if not yes:
        what = "every cached object" if clean_all else f"objects unused for {older_than:g} days"
        click.confirm(f"Remove {what} from {store.root}?", abort=True, err=True)
    report = store.clean(older_than=None if clean_all else older_than)
    if as_json:
        _echo_json(report.to_dict())
        return
    for entry in report.in_use:
        click.echo(f"in use, kept: {entry.key}")
    click.echo(f"removed {len(report.removed)} object(s), freed {format_size(report.freed)}")


__all__ = ["cache"]
