"""Print, as JSON, the names each BrainIO 1.x module defines (functions, classes, constants).

Run inside ``.venv-brainio1``; test_brainscore_usage.py checks that every one of them still
imports from the same module here. Usage: python brainio1_names.py OUT.json
"""

from __future__ import annotations

import importlib
import inspect
import json
import sys

MODULES = [
    "brainio",
    "brainio.assemblies",
    "brainio.catalogs",
    "brainio.fetch",
    "brainio.lookup",
    "brainio.packaging",
    "brainio.stimuli",
    "brainio.transform",
]


def defined_names(module_name: str) -> list[str]:
    module = importlib.import_module(module_name)
    names = []
    for name, value in vars(module).items():
        if name.startswith("__"):
            continue
        own = inspect.isfunction(value) or inspect.isclass(value)
        if (own and value.__module__ == module_name) or (name.isupper() and isinstance(value, str)):
            names.append(name)
    return sorted(names)


if __name__ == "__main__":
    with open(sys.argv[1], "w") as out:
        json.dump({name: defined_names(name) for name in MODULES}, out, indent=1)
