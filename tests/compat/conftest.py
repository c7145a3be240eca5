"""Shared helpers for the BrainIO 1.1.0 compatibility tests.

``fixtures/`` holds small files written by BrainIO 1.1.0's own ``write_netcdf`` (see
make_fixtures.py) and, in ``fixtures/expected/``, what 1.1.0 read back from them. The
``brainio1_python`` fixture creates the BrainIO 1.1.0 environment ``.venv-brainio1`` when it is
missing (make_brainio1_env.sh; needs PyPI), so files written here can be read by 1.1.0 itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
FIXTURES = HERE / "fixtures"
BRAINIO1_VENV = Path(os.environ.get("BRAINIO1_VENV", REPO / ".venv-brainio1"))


@pytest.fixture(scope="session")
def brainio1_python() -> Path:
    """The python of a virtual environment with BrainIO 1.1.0, created on first use."""
    python = BRAINIO1_VENV / "bin" / "python"
    if not (BRAINIO1_VENV / ".brainio1-installed").exists():
        env = {**os.environ, "BRAINIO1_VENV": str(BRAINIO1_VENV)}
        env.setdefault("PYTHON", sys.executable if sys.version_info >= (3, 11) else "python3")
        result = subprocess.run(
            ["bash", str(HERE / "make_brainio1_env.sh")],
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        if result.returncode != 0:
            pytest.fail(
                "Could not create the BrainIO 1.1.0 environment with "
                f"tests/compat/make_brainio1_env.sh:\n{result.stdout}\n{result.stderr}"
            )
    return python


def brainio1_dump(
    python: Path, path: Path, class_name: str, out: Path, stimuli: Path | None = None
) -> tuple[dict, dict]:
    """Load ``path`` with BrainIO 1.1.0 in a subprocess; return its description and values."""
    command = [str(python), str(HERE / "brainio1_dump.py"), str(path), class_name, str(out)]
    if stimuli is not None:
        command += ["--stimuli", str(stimuli)]
    # the 1.x environment must not see this project's packages or our BRAINIO_HOME plugins
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"BrainIO 1.1.0 failed to load {path}:\n{result.stderr}"
    return read_dump(out)


def read_dump(out: Path) -> tuple[dict, dict]:
    meta = json.loads(out.with_suffix(".json").read_text())
    with np.load(out.with_suffix(".npz"), allow_pickle=False) as npz:
        arrays = dict(npz)
    return meta, arrays


def expected(stem: str) -> tuple[dict, dict]:
    """What BrainIO 1.1.0 read back from fixture ``<stem>.nc`` (``raw`` and ``loaded`` views)."""
    return read_dump(FIXTURES / "expected" / stem)


def coordinate_names(assembly: xr.DataArray) -> set[str]:
    """Coordinates and MultiIndex levels, without the MultiIndex (tuple) coordinates."""
    return {name for name in assembly.coords.variables if not _is_multiindex(assembly, name)}


def _is_multiindex(assembly: xr.DataArray, name: str) -> bool:
    return name in assembly.dims and isinstance(assembly.indexes.get(name), pd.MultiIndex)


def comparable(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values)
    if values.dtype.kind in "OUT":
        return values.astype(str)
    return values


def assert_matches(
    actual: xr.DataArray,
    meta: dict,
    arrays: dict,
    prefix: str,
    renamed: dict[str, str] | None = None,
    check_attrs: bool = True,
    only_in_brainio1: frozenset[str] = frozenset(),
) -> None:
    """``actual`` has the dims, values and coordinates 1.1.0 saw (``meta`` from brainio1_dump).

    :param renamed: coordinate names that legitimately differ, ``{1.1.0's name: ours}``.
    :param only_in_brainio1: coordinates 1.1.0 added (e.g. merged from a stimulus set).
    """
    renamed = renamed or {}
    meta = {
        **meta,
        "coords": {
            name: info for name, info in meta["coords"].items() if name not in only_in_brainio1
        },
    }
    assert list(actual.dims) == meta["dims"]
    assert list(actual.shape) == meta["shape"]
    np.testing.assert_array_equal(comparable(actual.values), arrays[prefix + "data"])
    assert str(actual.dtype) == meta["dtype"] or meta["dtype"] == "object"
    expected_names = {renamed.get(name, name) for name in meta["coords"]}
    assert coordinate_names(actual) == expected_names
    for name, info in meta["coords"].items():
        ours = actual[renamed.get(name, name)]
        assert list(ours.dims) == info["dims"], name
        if info["dtype"] == "object-mixed":
            values = np.array([repr(value) for value in ours.values.ravel()])
        else:
            values = comparable(ours.values)
            if info["dtype"].startswith("datetime64"):
                assert ours.dtype.kind == "M", name
        np.testing.assert_array_equal(values, arrays[f"{prefix}coord/{name}"], err_msg=name)
    if not check_attrs:
        return
    for name, info in meta["attrs"].items():
        if "value" in info and info["value"] is not None:
            assert actual.attrs[name] == info["value"], name
        elif "list" in info:
            assert np.asarray(actual.attrs[name]).tolist() == info["list"], name


class CompatHelpers:
    """The helpers above, for test modules (conftest.py cannot be imported under importlib)."""

    fixtures = FIXTURES
    expected = staticmethod(expected)
    assert_matches = staticmethod(assert_matches)
    brainio1_dump = staticmethod(brainio1_dump)


@pytest.fixture(scope="session")
def compat() -> CompatHelpers:
    return CompatHelpers()
