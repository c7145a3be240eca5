"""Python sources of a submission, compiled and parsed without running them.

:func:`compile` catches what parsing alone misses (a bad encoding in a literal, a late
``from __future__``, null bytes); :mod:`ast` gives the tree the rules read. Nothing is imported.
"""

from __future__ import annotations

import ast

from brainio_submission.problems import Problem
from brainio_submission.tree import SubmissionTree

# file -> its tree, the Problem that it does not compile, or None when it was too large to read
Modules = dict[str, ast.Module | Problem | None]


def parse_python(tree: SubmissionTree) -> Modules:
    """Each ``.py`` file compiled (nothing run) and parsed; a Problem where that fails."""
    modules: Modules = {}
    for relative in sorted(tree.files):
        if not relative.endswith(".py"):
            continue
        source = tree.read_bytes(relative)
        if source is None:
            modules[relative] = None
            continue
        try:
            compile(source, relative, "exec", dont_inherit=True)
            modules[relative] = ast.parse(source, filename=relative)
        except (SyntaxError, ValueError) as error:  # ValueError: null bytes
            message = getattr(error, "msg", None) or str(error)
            hint = (
                " Save the file as UTF-8."
                if "utf-8" in message.lower() or "null" in message
                else ""
            )
            modules[relative] = Problem(
                "syntax-error",
                f"Python cannot compile this file: {message}.{hint}",
                tree.display(relative),
                getattr(error, "lineno", None),
            )
    return modules
