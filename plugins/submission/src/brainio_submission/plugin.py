"""BrainIO plugin entry point: adds ``brainio submission ...`` to the command line."""

from __future__ import annotations

from typing import TYPE_CHECKING

import brainio

if TYPE_CHECKING:
    import click


@brainio.hookimpl
def brainio_register_commands(cli: click.Group) -> None:
    from brainio_submission.cli import submission

    cli.add_command(submission)
