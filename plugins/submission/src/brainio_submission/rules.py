"""The rules a submission's files must follow, checked by reading them, never by running them.

Python files are compiled with :func:`compile` (which catches what parsing alone misses: bad
encodings, a late ``from __future__``) and inspected with :mod:`ast`; nothing is imported.
Two layouts are recognised:

* ``plugin``: today's Brain-Score plugins (``models/<identifier>/__init__.py`` ...), checked by
  the website's rules (:mod:`~brainio_submission.website`) and what Brain-Score needs to
  import them (:mod:`~brainio_submission.plugins`);
* ``legacy``: the seed's 2021 layout (``models/base_models.py`` ...), checked by
  :mod:`~brainio_submission.legacy`. The website rejects it.

Every rule adds :class:`~brainio_submission.problems.Problem` entries; none stops the others.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from brainio_submission import website
from brainio_submission.legacy import check_legacy, is_legacy
from brainio_submission.plugins import check_plugins, find_plugins
from brainio_submission.problems import Problem
from brainio_submission.sources import Modules, parse_python
from brainio_submission.tree import MAX_TEXT_BYTES, SubmissionTree

LAYOUTS = {
    "plugin": "Brain-Score plugin layout",
    "legacy": "2021 layout (models/base_models.py); the Brain-Score website no longer accepts it",
}


def detect_layout(tree: SubmissionTree) -> str:
    return "legacy" if is_legacy(tree) else "plugin"


def check_tree(tree: SubmissionTree) -> list[Problem]:
    """Every problem of a submission's files, ordered by file and line."""
    modules = parse_python(tree)
    problems: list[Problem] = [p for p in modules.values() if isinstance(p, Problem)]
    problems += website.check_names(tree)
    problems += _check_links_and_sizes(tree)
    problems += _check_encodings(tree, modules)
    for relative, module in modules.items():
        if isinstance(module, ast.Module):
            problems += _absolute_paths(tree, relative, module)
    if detect_layout(tree) == "legacy":
        problems += check_legacy(tree, modules)
    else:
        plugins = find_plugins(tree, modules)
        problems += website.check_plugin_layout(tree, plugins)
        problems += check_plugins(tree, modules, plugins)
    return sorted(problems, key=lambda problem: (problem.file or "", problem.line or 0))


def _check_links_and_sizes(tree: SubmissionTree) -> Iterator[Problem]:
    for relative in tree.symlinks:
        yield Problem(
            "symlink",
            "Symbolic links are not allowed in a submission; copy the file instead.",
            tree.display(relative),
        )
    for relative in tree.too_large_to_read:
        yield Problem(
            "file-too-large",
            f"This source file is larger than {MAX_TEXT_BYTES // 2**20} MB, so it was not "
            "checked; keep data and weights out of source files and download them at run time.",
            tree.display(relative),
        )


_CODING = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


def _check_encodings(tree: SubmissionTree, modules: Modules) -> Iterator[Problem]:
    """Sources and requirements must be UTF-8: Brain-Score reads them with the default codec.

    A ``.py`` file that declares another encoding compiles, but Brain-Score's plugin scan
    opens every ``__init__.py`` as UTF-8 text.
    """
    for relative in sorted(tree.contents):
        if not (relative.endswith(".py") or relative.endswith("requirements.txt")):
            continue
        if isinstance(modules.get(relative), Problem):
            continue  # does not compile: reported with the compiler's reason
        data = tree.read_bytes(relative) or b""
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as error:
            line = data[: error.start].count(b"\n") + 1
            declared = any(_CODING.match(text) for text in data.splitlines()[:2])
            if relative.endswith(".py") and declared and not relative.endswith("__init__.py"):
                continue  # compile() honours the declaration
            yield Problem(
                "not-utf8",
                f"Byte 0x{data[error.start]:02x} is not UTF-8; save the file as UTF-8.",
                tree.display(relative),
                line,
            )


# --- absolute paths -----------------------------------------------------------------------------

_ABSOLUTE = re.compile(r"^(?:~?/|[A-Za-z]:[\\/])\w")


def _is_absolute(text: str) -> bool:
    """``/data/x``, ``~/x`` or ``C:\\x``; not ``"/"`` alone (e.g. ``text.split("/")``)."""
    return bool(_ABSOLUTE.match(text))


def _import_time_nodes(module: ast.Module) -> Iterator[ast.AST]:
    """Nodes that run when the module is imported: not function bodies, not ``__main__`` blocks."""
    pending: list[ast.AST] = list(module.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            pending.extend(node.decorator_list if not isinstance(node, ast.Lambda) else [])
            continue
        if isinstance(node, ast.If) and _is_main_guard(node.test):
            pending.extend(node.orelse)
            continue
        yield node
        pending.extend(ast.iter_child_nodes(node))


def _is_main_guard(test: ast.expr) -> bool:
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and any(isinstance(c, ast.Constant) and c.value == "__main__" for c in test.comparators)
    )


def _absolute_paths(tree: SubmissionTree, relative: str, module: ast.Module) -> Iterator[Problem]:
    for node in _import_time_nodes(module):
        if not isinstance(node, ast.Call):
            continue
        for argument in [*node.args, *(keyword.value for keyword in node.keywords)]:
            text = _leading_text(argument)
            if text is not None and _is_absolute(text):
                yield Problem(
                    "absolute-path",
                    f"Absolute path {text!r} is used when the module is imported; it will not "
                    "exist on the scoring machine. Use a path relative to this file: "
                    "os.path.join(os.path.dirname(__file__), ...).",
                    tree.display(relative),
                    argument.lineno,
                )


def _leading_text(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values:
        return _leading_text(node.values[0])
    return None
