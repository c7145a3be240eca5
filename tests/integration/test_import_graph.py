"""No import cycle among the modules of core and the plugins, and every 1.x import path imports.

The graph is read from the source: every ``import`` statement a module runs when it is
imported (``if TYPE_CHECKING:`` blocks and function bodies excepted). Imports deferred into a
function are how a lower layer reaches a higher one when called (a notebook view, a 1.x alias);
they cannot form an import-time cycle. The catalog layer is held to a stricter rule by
tests/core/test_lookup.py (test_catalog_layer_imports_top_down).
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
SOURCES = [ROOT / "core" / "src", *sorted((ROOT / "plugins").glob("*/src"))]

KNOWN_CYCLES: set[frozenset[str]] = set()
"""Cycles that exist today and are being removed; the test fails on any other cycle."""


def _modules() -> dict[str, Path]:
    modules = {}
    for source in SOURCES:
        for path in source.rglob("*.py"):
            parts = path.relative_to(source).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                continue  # a deferred import runs when called, after every module imported
            names: list[str] = []
            if isinstance(child, ast.Import):
                names = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join([*anchor, *([base] if base else [])])
                names = [base] + [f"{base}.{alias.name}" for alias in child.names]
            for name in names:
                # the module itself, or the nearest package of ours that holds it
                while name and name not in known:
                    name = name.rpartition(".")[0]
                if name and name != module:
                    found.add(name)
            visit(child)

    visit(ast.parse(path.read_text(), str(path)))
    return found


def _cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(component)

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return components


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph = {module: _imports(module, path, modules) for module, path in modules.items()}
    # a package's __init__ importing its own submodules is how packages re-export; only the
    # submodules importing each other (or back into another package) can form a cycle
    for module, targets in graph.items():
        targets.difference_update(
            target for target in list(targets) if target.startswith(module + ".")
        )
    return graph


def test_no_import_cycle_in_core_or_plugins():
    cycles = [cycle for cycle in _cycles(_graph()) if frozenset(cycle) not in KNOWN_CYCLES]
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(sorted(c)) for c in cycles)


PLUGIN_PACKAGES = {
    "brainio_language",
    "brainio_local",
    "brainio_s3",
    "brainio_submission",
    "brainio_vision",
    "laion_fmri",
}


@pytest.mark.parametrize("folder", ["", "core"], ids=["root-conftest", "core"])
def test_core_tests_need_no_plugin(folder):
    """The root conftest and tests/core import no plugin: they run with brainio-core alone."""
    tests = ROOT / "tests" / folder
    paths = [tests / "conftest.py"] if not folder else sorted(tests.glob("*.py"))
    found = {}
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            else:
                continue
            plugins = {name.split(".")[0] for name in names} & PLUGIN_PACKAGES
            if plugins:
                found[path.name] = sorted(plugins)
    assert not found, f"tests that should need brainio-core only import plugins: {found}"


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [{"a", "b", "c"}]


BRAINIO_1_NAMES = {
    # the public names of every module of brainscore-brainio 1.1.0 that this release keeps
    "brainio": [],
    "brainio.assemblies": [
        "BRAINIO_CHUNKS",
        "is_fastpath",
        "DataAssembly",
        "BehavioralAssembly",
        "NeuroidAssembly",
        "NeuronRecordingAssembly",
        "ModelFeaturesAssembly",
        "PropertyAssembly",
        "SpikeTimesAssembly",
        "MetadataAssembly",
        "GroupbyBridge",
        "GroupbyError",
        "merge_data_arrays",
        "array_is_element",
        "get_metadata",
        "coords_for_dim",
        "walk_coords",
        "get_levels",
        "gather_indexes",
        "AssemblyLoader",
        "StimulusReferenceAssemblyLoader",
        "StimulusMergeAssemblyLoader",
        "GroupAppendAssemblyLoader",
    ],
    "brainio.catalogs": ["SOURCE_CATALOG", "Catalog"],
    "brainio.fetch": [
        "BRAINIO_HOME",
        "get_local_data_path",
        "verify_sha1",
        "fetch_file",
        "filename_from_link",
        "unzip",
        "resolve_assembly_class",
        "resolve_stimulus_set_class",
        "get_assembly",
        "get_stimulus_set",
        "fullname",
    ],
    "brainio.lookup": [
        "ENTRYPOINT",
        "TYPE_ASSEMBLY",
        "TYPE_STIMULUS_SET",
        "list_catalogs",
        "get_catalog",
        "get_catalogs",
        "combined_catalog",
        "list_stimulus_sets",
        "list_assemblies",
        "lookup_stimulus_set",
        "lookup_assembly",
        "StimulusSetLookupError",
        "AssemblyLookupError",
        "append",
        "sha1_hash",
    ],
    "brainio.packaging": [
        "create_stimulus_zip",
        "extract_specific",
        "create_stimulus_csv",
        "check_naming_convention",
        "check_stimulus_naming_convention",
        "check_image_format",
        "check_stimulus_numbers",
        "check_experiment_stimulus_set",
        "package_stimulus_set",
        "write_netcdf",
        "package_data_assembly",
    ],
    "brainio.stimuli": ["StimulusSet", "StimulusSetLoader"],
    "brainio.transform": ["subset", "index_efficient"],
}


@pytest.mark.parametrize("module", sorted(BRAINIO_1_NAMES))
def test_every_brainio_1_import_path_still_imports(module):
    imported = importlib.import_module(module)
    missing = [name for name in BRAINIO_1_NAMES[module] if not hasattr(imported, name)]
    assert not missing, f"{module} lost {missing}"
