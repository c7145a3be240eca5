"""BrainIO plugin entry point: adds ``brainio laion-fmri ...`` to the command line."""

from __future__ import annotations

from typing import TYPE_CHECKING

import brainio

if TYPE_CHECKING:
    import click


@brainio.hookimpl
def brainio_register_commands(cli: click.Group) -> None:
    from laion_fmri.cli import laion_fmri

    cli.add_command(laion_fmri)
