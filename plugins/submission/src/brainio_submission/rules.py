"""The rules a submission's files must follow, checked by reading them (`ast`), not running them.

Two layouts are accepted:

* the template layout (Brain-Score 1.x ``sample-model-submission``, what ``brainio submission
  new`` writes): a build file declaring dependencies, ``models/__init__.py`` and
  ``models/base_models.py`` and/or ``models/brain_models.py`` with the required functions;
* the Brain-Score 2.x plugin layout: ``models/<name>/__init__.py`` registering
  ``model_registry['<identifier>']`` next to a ``test.py``.

Every rule adds :class:`~brainio_submission.problems.Problem` entries; none stops the others.
"""

from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Iterator
from pathlib import PurePosixPath

from brainio_submission.problems import Problem
from brainio_submission.tree import SubmissionTree

BASE_MODULE = "models/base_models.py"
BRAIN_MODULE = "models/brain_models.py"

# Required functions and how many positional arguments each is called with.
REQUIRED_FUNCTIONS = {
    BASE_MODULE: {"get_model_list": 0, "get_model": 1, "get_layers": 1, "get_bibtex": 1},
    BRAIN_MODULE: {"get_model_list": 0, "get_model": 1, "get_bibtex": 1},
}
METADATA_FILES = frozenset({"metadata.yml", "metadata.yaml"})
_REGISTRY = "model_registry"


def check_tree(tree: SubmissionTree) -> list[Problem]:
    """Every problem of a submission's files, ordered by file and line."""
    problems: list[Problem] = []
    problems += _check_names(tree)
    problems += _check_python_files(tree)
    if tree.exists(BASE_MODULE) or tree.exists(BRAIN_MODULE):
        problems += _check_build_file(tree)
        problems += _check_template_models(tree)
    elif tree.subfolders("models"):
        problems += _check_plugins(tree)
    else:
        problems.append(Problem(
            "missing-models-module",
            f"No models found: add {BASE_MODULE} (base models) or {BRAIN_MODULE} (brain "
            "models), or a Brain-Score plugin folder models/<name>/ with __init__.py and "
            "test.py. Start from `brainio submission new`.",
            tree.display("models/"),
        ))
    return sorted(problems, key=lambda problem: (problem.file or "", problem.line or 0))


# --- names ------------------------------------------------------------------------------------


def _check_names(tree: SubmissionTree) -> Iterator[Problem]:
    if " " in tree.prefix:
        yield Problem(
            "space-in-name",
            "Folder names must not contain spaces; rename the root folder (e.g. use '_').",
            tree.prefix,
        )
    for relative in sorted(tree.files):
        if " " in relative:
            yield Problem(
                "space-in-name",
                "File names must not contain spaces; rename it (e.g. use '_').",
                tree.display(relative),
            )
        if PurePosixPath(relative).name.lower() in METADATA_FILES:
            yield Problem(
                "metadata-file",
                "Submissions must not contain metadata.yml/metadata.yaml; Brain-Score "
                "generates model metadata itself. Remove the file.",
                tree.display(relative),
            )
    for relative in tree.symlinks:
        yield Problem(
            "symlink",
            "Symbolic links are not allowed in a submission; copy the file instead.",
            tree.display(relative),
        )


# --- Python files -----------------------------------------------------------------------------


def _parse(tree: SubmissionTree, relative: str) -> ast.Module | Problem | None:
    source = tree.read_text(relative)
    if source is None:
        return None
    try:
        return ast.parse(source, filename=relative)
    except SyntaxError as error:
        return Problem(
            "syntax-error",
            f"Python cannot parse this file: {error.msg}.",
            tree.display(relative),
            error.lineno,
        )


def _check_python_files(tree: SubmissionTree) -> Iterator[Problem]:
    for relative in sorted(tree.texts):
        if not relative.endswith(".py"):
            continue
        module = _parse(tree, relative)
        if isinstance(module, Problem):
            yield module
        elif module is not None:
            yield from _absolute_paths(tree, relative, module)


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


# --- build file -------------------------------------------------------------------------------


def _check_build_file(tree: SubmissionTree) -> list[Problem]:
    found: list[Problem] = []
    declared = False
    candidates = [name for name in ("pyproject.toml", "setup.py") if tree.exists(name)]
    if not candidates:
        return [Problem(
            "missing-build-file",
            "No pyproject.toml or setup.py at the project root: Brain-Score installs the "
            "submission with pip and needs one that lists its dependencies.",
            tree.display("pyproject.toml"),
        )]
    missing: list[Problem] = []
    if "pyproject.toml" in candidates:
        result = _pyproject_declares(tree)
        if isinstance(result, Problem):
            found.append(result)
        elif result is True:
            declared = True
        else:
            missing.append(Problem(
                "missing-dependencies",
                "pyproject.toml declares no dependencies: add them to [project] "
                "dependencies = [...] (e.g. \"numpy\"), or the scoring run will fail.",
                tree.display("pyproject.toml"),
                result,
            ))
    if "setup.py" in candidates:
        result = _setup_declares(tree)
        if result is True:
            declared = True
        elif result is not None:
            missing.append(Problem(
                "missing-dependencies",
                "setup.py declares no dependencies: pass install_requires=[...] to setup(), "
                "or the scoring run will fail.",
                tree.display("setup.py"),
                result,
            ))
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


def _check_template_models(tree: SubmissionTree) -> Iterator[Problem]:
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
        module = _parse(tree, relative)
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
                        f"{function}() is called with {arity} positional argument(s) but "
                        f"{reason}.",
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


def _returned_list(
    module: ast.Module, function: ast.FunctionDef
) -> ast.List | ast.Tuple | None:
    """The literal list ``get_model_list`` returns, following one module-level name."""
    returns = [
        node for node in _own_nodes(function) if isinstance(node, ast.Return) and node.value
    ]
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
        yield from _check_identifier(tree, relative, element.value, element.lineno, names_seen)


def _check_identifier(
    tree: SubmissionTree,
    relative: str,
    name: str,
    line: int,
    names_seen: dict[str, tuple[str, int]],
) -> Iterator[Problem]:
    if "-" in name:
        yield Problem(
            "hyphen-in-identifier",
            f"Model name {name!r} contains a hyphen, which Brain-Score rejects; use '_' or '.'.",
            tree.display(relative),
            line,
        )
    if name in names_seen:
        first_file, first_line = names_seen[name]
        yield Problem(
            "duplicate-model-name",
            f"Model name {name!r} is used twice (first in {first_file}:{first_line}); "
            "every model needs its own name.",
            tree.display(relative),
            line,
        )
    else:
        names_seen[name] = (tree.display(relative), line)


# --- Brain-Score 2.x plugin layout --------------------------------------------------------------


def _check_plugins(tree: SubmissionTree) -> Iterator[Problem]:
    names_seen: dict[str, tuple[str, int]] = {}
    for name in tree.subfolders("models"):
        folder = f"models/{name}"
        for required in ("__init__.py", "test.py"):
            if not tree.exists(f"{folder}/{required}"):
                yield Problem(
                    "missing-plugin-file",
                    f"Plugin folder {folder}/ needs {required} (registration in __init__.py, "
                    "tests in test.py).",
                    tree.display(f"{folder}/{required}"),
                )
        relative = f"{folder}/__init__.py"
        module = _parse(tree, relative)
        if not isinstance(module, ast.Module):
            continue
        registered = list(registered_identifiers(module))
        if not registered:
            yield Problem(
                "missing-registration",
                f"{relative} registers no model: add "
                f"model_registry['<identifier>'] = lambda: ... .",
                tree.display(relative),
            )
        for identifier, line in registered:
            yield from _check_identifier(tree, relative, identifier, line, names_seen)


def registered_identifiers(module: ast.Module) -> Iterator[tuple[str, int]]:
    """``(identifier, line)`` of every ``model_registry['identifier'] = ...`` in a module."""
    for node in ast.walk(module):
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            if (
                isinstance(target, ast.Subscript)
                and isinstance(target.value, ast.Name)
                and target.value.id == _REGISTRY
                and isinstance(target.slice, ast.Constant)
                and isinstance(target.slice.value, str)
            ):
                yield target.slice.value, target.lineno


def plugin_models(tree: SubmissionTree) -> dict[str, list[str]]:
    """Plugin folder name -> identifiers it registers (for the mock run of a 2.x layout)."""
    found: dict[str, list[str]] = {}
    for name in tree.subfolders("models"):
        module = _parse(tree, f"models/{name}/__init__.py")
        if isinstance(module, ast.Module):
            found[name] = [identifier for identifier, _ in registered_identifiers(module)]
    return found
