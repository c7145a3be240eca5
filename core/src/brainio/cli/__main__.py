"""``python -m brainio.cli``: the same as the ``brainio`` command."""

from brainio.cli import main

main()
