"""Rules of the seed's 2021 layout (Brain-Score 1.x ``sample-model-submission``).

A build file declaring dependencies, ``models/__init__.py`` and ``models/base_models.py``
and/or ``models/brain_models.py`` with the functions the 1.x scoring run called. What
``brainio submission new --kind legacy-base|legacy-brain`` writes. Today's Brain-Score website
no longer accepts this layout; it is kept for projects and tools built on it.
"""

from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Iterator

from brainio_submission.identifiers import check_identifier
from brainio_submission.problems import Problem
from brainio_submission.sources import Modules
from brainio_submission.tree import SubmissionTree

BASE_MODULE = "models/base_models.py"
BRAIN_MODULE = "models/brain_models.py"

# Required functions and how many positional arguments each is called with.
REQUIRED_FUNCTIONS = {
    BASE_MODULE: {"get_model_list": 0, "get_model": 1, "get_layers": 1, "get_bibtex": 1},
    BRAIN_MODULE: {"get_model_list": 0, "get_model": 1, "get_bibtex": 1},
}


def is_legacy(tree: SubmissionTree) -> bool:
    return tree.exists(BASE_MODULE) or tree.exists(BRAIN_MODULE)


def check_legacy(tree: SubmissionTree, modules: Modules) -> list[Problem]:
    return [*_check_build_file(tree), *_check_template_models(tree, modules)]


# --- build file -------------------------------------------------------------------------------


def _check_build_file(tree: SubmissionTree) -> list[Problem]:
    found: list[Problem] = []
    declared = False
    candidates = [name for name in ("pyproject.toml", "setup.py") if tree.exists(name)]
    if not candidates:
        return [
            Problem(
                "missing-build-file",
                "No pyproject.toml or setup.py at the project root: Brain-Score installs the "
                "submission with pip and needs one that lists its dependencies.",
                tree.display("pyproject.toml"),
            )
        ]
    missing: list[Problem] = []
    if "pyproject.toml" in candidates:
        result = _pyproject_declares(tree)
        if isinstance(result, Problem):
            found.append(result)
        elif result is True:
            declared = True
        else:
            missing.append(
                Problem(
                    "missing-dependencies",
                    "pyproject.toml declares no dependencies: add them to [project] "
                    'dependencies = [...] (e.g. "numpy"), or the scoring run will fail.',
                    tree.display("pyproject.toml"),
                    result,
                )
            )
    if "setup.py" in candidates:
        result = _setup_declares(tree)
        if result is True:
            declared = True
        elif result is not None:
            missing.append(
                Problem(
                    "missing-dependencies",
                    "setup.py declares no dependencies: pass install_requires=[...] to setup(), "
                    "or the scoring run will fail.",
                    tree.display("setup.py"),
                    result,
                )
            )
    if not declared:
        found.extend(missing)
    return found


def _pyproject_declares(tree: SubmissionTree) -> bool | int | None | Problem:
    """True when dependencies are declared; else the line of ``[project]`` (or None)."""
    text = tree.read_text("pyproject.toml") or ""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"line (\d+)", str(error))
        return Problem(
            "invalid-build-file",
            f"pyproject.toml is not valid TOML: {error}.",
            tree.display("pyproject.toml"),
            int(match.group(1)) if match else None,
        )
    project = data.get("project")
    if isinstance(project, dict) and (
        "dependencies" in project or "dependencies" in project.get("dynamic", [])
    ):
        return True
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() == "[project]":
            return number
    return None


def _setup_declares(tree: SubmissionTree) -> bool | int | None:
    """True when ``setup(install_requires=...)`` is found; else the line of ``setup(``.

    None when setup.py does not parse (that is reported as a syntax error already).
    """
    try:
        module = ast.parse(tree.read_text("setup.py") or "")
    except SyntaxError:
        return None
    line = 1
    for node in ast.walk(module):
        if isinstance(node, ast.Call) and _call_name(node) == "setup":
            line = node.lineno
            if any(keyword.arg in ("install_requires", None) for keyword in node.keywords):
                return True  # `**kwargs` may carry install_requires; give the benefit of the doubt
    return line


def _call_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


# --- template layout --------------------------------------------------------------------------


def _check_template_models(tree: SubmissionTree, modules: Modules) -> Iterator[Problem]:
    if not tree.exists("models/__init__.py"):
        yield Problem(
            "missing-init",
            "models/__init__.py is missing, so `models` is not a package and "
            "`import models.base_models` fails once installed. Add an empty file.",
            tree.display("models/__init__.py"),
        )
    names_seen: dict[str, tuple[str, int]] = {}
    for relative, required in REQUIRED_FUNCTIONS.items():
        if not tree.exists(relative):
            continue
        module = modules.get(relative)
        if not isinstance(module, ast.Module):
            continue  # unreadable or a syntax error, already reported
        definitions = _module_definitions(module)
        for function, arity in required.items():
            node = definitions.get(function)
            if node is None:
                yield Problem(
                    "missing-function",
                    f"{relative} must define {function}() at module level; see the "
                    "template's docstrings for what it returns.",
                    tree.display(relative),
                )
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                reason = _arity_problem(node, arity)
                if reason:
                    yield Problem(
                        "bad-signature",
                        f"{function}() is called with {arity} positional argument(s) but {reason}.",
                        tree.display(relative),
                        node.lineno,
                    )
        node = definitions.get("get_model_list")
        if isinstance(node, ast.FunctionDef):
            yield from _check_model_list(tree, relative, module, node, names_seen)


def _module_definitions(module: ast.Module) -> dict[str, ast.AST]:
    """Names bound at module level (defs, assignments, imports) and the node that binds them."""
    found: dict[str, ast.AST] = {}
    for node in module.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found[node.name] = node
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            found[node.target.id] = node
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                found[(alias.asname or alias.name).split(".")[0]] = node
    return found


def _arity_problem(node: ast.FunctionDef | ast.AsyncFunctionDef, arity: int) -> str | None:
    arguments = node.args
    positional = [*arguments.posonlyargs, *arguments.args]
    required = len(positional) - len(arguments.defaults)
    if len(positional) < arity and arguments.vararg is None:
        return f"it accepts only {len(positional)}"
    if required > arity:
        return f"it requires {required}"
    if any(default is None for default in arguments.kw_defaults):
        return "it has a keyword-only argument without a default"
    return None


def _returned_list(module: ast.Module, function: ast.FunctionDef) -> ast.List | ast.Tuple | None:
    """The literal list ``get_model_list`` returns, following one module-level name."""
    returns = [node for node in _own_nodes(function) if isinstance(node, ast.Return) and node.value]
    if len(returns) != 1:
        return None
    value = returns[0].value
    if isinstance(value, ast.Name):
        bound = _module_definitions(module).get(value.id)
        if isinstance(bound, ast.Assign | ast.AnnAssign):
            value = bound.value
    return value if isinstance(value, ast.List | ast.Tuple) else None


def _own_nodes(function: ast.FunctionDef) -> Iterator[ast.AST]:
    """Nodes of a function body, not of functions nested in it."""
    pending: list[ast.AST] = list(function.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            continue
        yield node
        pending.extend(ast.iter_child_nodes(node))


def _check_model_list(
    tree: SubmissionTree,
    relative: str,
    module: ast.Module,
    function: ast.FunctionDef,
    names_seen: dict[str, tuple[str, int]],
) -> Iterator[Problem]:
    literal = _returned_list(module, function)
    if literal is None:
        return  # computed at run time: `check --run` reads it
    if not literal.elts:
        yield Problem(
            "empty-model-list",
            "get_model_list() returns an empty list: name at least one model.",
            tree.display(relative),
            literal.lineno,
        )
    for element in literal.elts:
        if not (isinstance(element, ast.Constant) and isinstance(element.value, str)):
            yield Problem(
                "model-list-not-strings",
                "get_model_list() must return model names as strings; this element is "
                f"{ast.unparse(element)!r}.",
                tree.display(relative),
                element.lineno,
            )
            continue
        yield from check_identifier(tree, relative, element.value, element.lineno, names_seen)
