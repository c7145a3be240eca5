"""Today's Brain-Score plugin layout, read without running it.

A submission root holds plugin folders (``models``, ``benchmarks``, ``data``, ``metrics``), each
with one folder per plugin: ``__init__.py`` registers the identifier
(``model_registry['my_model'] = lambda: ...``), ``test.py`` tests it, ``requirements.txt``
lists what Brain-Score installs before importing it. Brain-Score finds a plugin by scanning the
``__init__.py`` files for ``<registry>['<identifier>']`` and imports the plugin folder as a
package (``brainscore_vision.models.<folder>``); these rules check what that needs, beyond
what the website checks (:mod:`brainio_submission.website`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

import attrs
from packaging.requirements import InvalidRequirement, Requirement

from brainio_submission.identifiers import check_identifier
from brainio_submission.problems import Problem
from brainio_submission.sources import Modules
from brainio_submission.tree import SubmissionTree

# plugin folder -> the registry its __init__.py registers into
REGISTRIES = {
    "models": "model_registry",
    "benchmarks": "benchmark_registry",
    "data": "data_registry",
    "metrics": "metric_registry",
}
# registries a plugin folder may also register into (a data plugin's stimulus sets)
EXTRA_REGISTRIES = {"data": ("stimulus_set_registry",)}
LIBRARIES = ("brainscore_vision", "brainscore_language")
_PACKAGE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# calls in test.py that name an identifier of each plugin type, and their keyword
_LOADERS = {
    "models": ("load_model", "model_identifier"),
    "benchmarks": ("load_benchmark", "benchmark_identifier"),
    "data": ("load_dataset", "identifier"),
    "metrics": ("load_metric", "identifier"),
}


@attrs.frozen
class Registration:
    """``registry[identifier] = ...`` at ``line``; ``identifier`` None when not a literal."""

    registry: str
    identifier: str | None
    line: int


@attrs.frozen
class Plugin:
    """One plugin folder: ``kind`` (``models`` ...), its folder name and what it registers."""

    kind: str
    name: str
    registrations: tuple[Registration, ...]
    library: str  # the package it registers into, from its imports (brainscore_vision)

    @property
    def folder(self) -> str:
        return f"{self.kind}/{self.name}"

    @property
    def identifiers(self) -> list[str]:
        registry = REGISTRIES[self.kind]
        return [
            r.identifier
            for r in self.registrations
            if r.registry == registry and r.identifier is not None
        ]


def registrations(module: ast.Module) -> list[Registration]:
    """Every ``<something>_registry[key] = ...`` in a module (comments are not code)."""
    found = []
    for node in ast.walk(module):
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else ([node.target] if isinstance(node, ast.AnnAssign) else [])
        )
        for target in targets:
            if (
                isinstance(target, ast.Subscript)
                and isinstance(target.value, ast.Name)
                and target.value.id.endswith("_registry")
            ):
                key = target.slice
                literal = key.value if isinstance(key, ast.Constant) else None
                found.append(
                    Registration(
                        target.value.id,
                        literal if isinstance(literal, str) else None,
                        target.lineno,
                    )
                )
    return sorted(found, key=lambda registration: registration.line)


def _library(module: ast.Module) -> str:
    for node in ast.walk(module):
        if isinstance(node, ast.ImportFrom) and node.module:
            top = node.module.split(".")[0]
            if top in LIBRARIES:
                return top
    return LIBRARIES[0]


def find_plugins(tree: SubmissionTree, modules: Modules) -> list[Plugin]:
    """The plugin folders of a submission, in the order Brain-Score would list them."""
    plugins = []
    for kind in REGISTRIES:
        for name in tree.subfolders(kind):
            module = modules.get(f"{kind}/{name}/__init__.py")
            if isinstance(module, ast.Module):
                plugins.append(Plugin(kind, name, tuple(registrations(module)), _library(module)))
            else:
                plugins.append(Plugin(kind, name, (), LIBRARIES[0]))
    return plugins


def check_plugins(tree: SubmissionTree, modules: Modules, plugins: list[Plugin]) -> list[Problem]:
    """What Brain-Score needs to find, import and test each plugin (not the website's rules)."""
    problems: list[Problem] = []
    names_seen: dict[str, tuple[str, int]] = {}
    for plugin in plugins:
        problems += _check_folder_name(tree, plugin)
        init = f"{plugin.folder}/__init__.py"
        if not isinstance(modules.get(init), ast.Module):
            continue  # missing (a website rule) or does not compile (reported already)
        problems += _check_registrations(tree, plugin, names_seen)
        problems += _check_test_identifiers(tree, modules, plugin)
        problems += _check_requirements(tree, f"{plugin.folder}/requirements.txt")
    return problems


def _check_folder_name(tree: SubmissionTree, plugin: Plugin) -> list[Problem]:
    if plugin.name.startswith("_"):
        return [
            Problem(
                "invalid-plugin-folder-name",
                f"Brain-Score skips plugin folders whose name starts with '_' (like __pycache__), "
                f"so {plugin.name!r} would never be found; rename it to "
                f"{plugin.name.lstrip('_') or 'my_plugin'!r}.",
                tree.display(f"{plugin.folder}/"),
            )
        ]
    if _PACKAGE_NAME.match(plugin.name):
        return []
    suggestion = re.sub(r"\W", "_", plugin.name)
    return [
        Problem(
            "invalid-plugin-folder-name",
            f"Plugin folder {plugin.name!r} is not a Python package name, so Brain-Score cannot "
            f"import it as {plugin.library}.{plugin.kind}.<folder>; rename it to {suggestion!r}.",
            tree.display(f"{plugin.folder}/"),
        )
    ]


def _check_registrations(
    tree: SubmissionTree, plugin: Plugin, names_seen: dict[str, tuple[str, int]]
) -> Iterator[Problem]:
    init = f"{plugin.folder}/__init__.py"
    registry = REGISTRIES[plugin.kind]
    allowed = {registry, *EXTRA_REGISTRIES.get(plugin.kind, ())}
    if not any(r.registry == registry for r in plugin.registrations):
        yield Problem(
            "missing-registration",
            f"{init} registers nothing into {registry}: add "
            f"{registry}['<identifier>'] = lambda: ... (Brain-Score finds plugins by that line).",
            tree.display(init),
        )
    for registration in plugin.registrations:
        if registration.registry not in allowed:
            yield Problem(
                "wrong-registry",
                f"A plugin in {plugin.kind}/ must register into {registry}, not "
                f"{registration.registry}: Brain-Score looks for {plugin.kind} only there.",
                tree.display(init),
                registration.line,
            )
        elif registration.identifier is None:
            yield Problem(
                "registration-not-literal",
                f"The key of this {registration.registry} entry is computed; Brain-Score finds "
                f"plugins by scanning for {registration.registry}['<identifier>'], so write the "
                "identifier as a string literal.",
                tree.display(init),
                registration.line,
            )
        elif registration.registry == registry:
            yield from check_identifier(
                tree, init, registration.identifier, registration.line, names_seen, website=True
            )


def _check_test_identifiers(
    tree: SubmissionTree, modules: Modules, plugin: Plugin
) -> list[Problem]:
    """``test.py`` must load what ``__init__.py`` registers, not another identifier."""
    test = f"{plugin.folder}/test.py"
    module = modules.get(test)
    registered = plugin.identifiers
    if not isinstance(module, ast.Module) or not registered:
        return []
    loader, keyword = _LOADERS[plugin.kind]
    return [
        Problem(
            "test-identifier-mismatch",
            f"test.py loads {identifier!r}, but {plugin.folder}/__init__.py registers "
            f"{', '.join(map(repr, registered))}; test the identifier this plugin registers.",
            tree.display(test),
            line,
        )
        for identifier, line in _tested_identifiers(module, loader, keyword)
        if identifier not in registered
    ]


def _tested_identifiers(module: ast.Module, loader: str, keyword: str) -> list[tuple[str, int]]:
    """String literals passed to ``loader(...)`` or as ``keyword=`` (directly or through
    ``pytest.mark.parametrize``), with their lines."""
    found: list[tuple[str, int]] = []
    parametrized = _parametrized_values(module)
    for node in ast.walk(module):
        if not isinstance(node, ast.Call):
            continue
        name = (
            node.func.attr
            if isinstance(node.func, ast.Attribute)
            else getattr(node.func, "id", None)
        )
        arguments = [k.value for k in node.keywords if k.arg == keyword]
        if name == loader and node.args:
            arguments.append(node.args[0])
        for argument in arguments:
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                found.append((argument.value, argument.lineno))
            elif isinstance(argument, ast.Name):
                found += parametrized.get(argument.id, [])
    return found


def _parametrized_values(module: ast.Module) -> dict[str, list[tuple[str, int]]]:
    """``{argname: [(literal, line), ...]}`` from every ``parametrize("a, b", [...])``."""
    values: dict[str, list[tuple[str, int]]] = {}
    for node in ast.walk(module):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "parametrize"
            and len(node.args) >= 2
        ):
            continue
        names_node, cases = node.args[0], node.args[1]
        if not (isinstance(names_node, ast.Constant) and isinstance(names_node.value, str)):
            continue
        names = [name.strip() for name in names_node.value.split(",")]
        if not isinstance(cases, ast.List | ast.Tuple):
            continue
        for case in cases.elts:
            if isinstance(case, ast.Call) and case.args:  # pytest.param(...)
                elements = case.args
            elif isinstance(case, ast.Tuple) and len(names) > 1:
                elements = case.elts
            else:
                elements = [case]
            for name, element in zip(names, elements, strict=False):
                if isinstance(element, ast.Constant) and isinstance(element.value, str):
                    values.setdefault(name, []).append((element.value, element.lineno))
    return values


def _check_requirements(tree: SubmissionTree, relative: str) -> Iterator[Problem]:
    """Each line of requirements.txt is what ``pip install -r`` accepts as a requirement."""
    data = tree.read_bytes(relative)
    if data is None:
        return
    text = data.decode("utf-8", errors="replace")
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-"):
            if line.split()[0] in ("-r", "--requirement", "-c", "--constraint"):
                yield Problem(
                    "invalid-requirement",
                    f"{line!r} refers to another file, which Brain-Score does not receive; "
                    "list the requirements themselves.",
                    tree.display(relative),
                    number,
                )
            continue  # pip options such as --extra-index-url
        try:
            Requirement(line)
        except InvalidRequirement as error:
            yield Problem(
                "invalid-requirement",
                f"pip cannot read {line!r} as a requirement ({error}); write e.g. "
                "'torch>=2.1' or 'name @ https://...'.",
                tree.display(relative),
                number,
            )


def requirement_names(tree: SubmissionTree, relative: str) -> list[str]:
    """Distribution names a requirements file asks for here (lines that parse, markers met)."""
    text = tree.read_text(relative) or ""
    names = []
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if line and not line.startswith(("#", "-")):
            try:
                requirement = Requirement(line)
            except InvalidRequirement:
                continue
            if requirement.marker is None or requirement.marker.evaluate():
                names.append(requirement.name)
    return names
