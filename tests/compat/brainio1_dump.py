"""Load a netCDF assembly with BrainIO 1.1.0 and dump what it sees, for the compatibility tests.

Runs inside `.venv-brainio1` (see make_brainio1_env.sh), so it imports nothing from this
project. It writes `<out>.json` (classes, dims, coordinate names/dims/dtypes, indexes,
attributes) and `<out>.npz` (data and coordinate values) for two views of the file:

- ``raw``: ``xr.open_dataarray`` (how 1.1.0's loaders start: every stored variable as is);
- ``loaded``: ``<class>.from_files`` (1.1.0's assembly classes, MultiIndexes rebuilt, stimulus
  set merged, netCDF groups as MetadataAssembly attributes).

Usage: python brainio1_dump.py FILE CLASS OUT [--stimuli CSV]
make_fixtures.py also imports :func:`describe` to record the assemblies it wrote.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr


def storable(values) -> tuple[np.ndarray, str]:
    """Values npz can hold without pickle, and the dtype they had."""
    values = np.asarray(values)
    dtype = str(values.dtype)
    if values.dtype.kind == "O":
        if all(isinstance(value, str) for value in values.ravel()):
            values = values.astype(str)
        else:  # e.g. strings mixed with NaN after a left merge
            values = np.array([repr(value) for value in values.ravel()]).reshape(values.shape)
            dtype = "object-mixed"
    return values, dtype


def describe(assembly: xr.DataArray, prefix: str, arrays: dict) -> dict:
    """Everything a reader could get wrong about an assembly; values go into ``arrays``."""
    arrays[prefix + "data"], data_dtype = storable(assembly.values)
    meta = {
        "class": type(assembly).__name__,
        "name": assembly.name,
        "dims": list(assembly.dims),
        "shape": list(assembly.shape),
        "dtype": data_dtype,
        "coords": {},
        "indexes": {},
        "attrs": {},
    }
    for dim, index in assembly.indexes.items():
        if dim not in assembly.dims:
            continue
        names = list(index.names) if isinstance(index, pd.MultiIndex) else [index.name or dim]
        meta["indexes"][dim] = {"multi": isinstance(index, pd.MultiIndex), "names": names}
    names = set(assembly.coords)
    for index in assembly.indexes.values():
        if isinstance(index, pd.MultiIndex):
            names.update(index.names)
    for name in sorted(names):
        coord = assembly[name]
        if isinstance(assembly.indexes.get(name), pd.MultiIndex):
            continue  # the tuples of a MultiIndex; its levels are listed on their own
        arrays[f"{prefix}coord/{name}"], dtype = storable(coord.values)
        meta["coords"][name] = {"dims": list(coord.dims), "dtype": dtype}
    for name, value in assembly.attrs.items():
        if isinstance(value, xr.DataArray):
            meta["attrs"][name] = {"assembly": describe(value, f"{prefix}attr/{name}/", arrays)}
        elif isinstance(value, pd.DataFrame):
            meta["attrs"][name] = {
                "dataframe": {"type": type(value).__name__, "shape": list(value.shape)}
            }
        elif isinstance(value, np.ndarray | list | tuple):
            meta["attrs"][name] = {"list": np.asarray(value).tolist()}
        elif isinstance(value, np.generic):
            meta["attrs"][name] = {"value": value.item()}
        else:
            meta["attrs"][name] = {"value": value}
    return meta


def dump(path: Path, class_name: str, out: Path, stimuli_csv: Path | None = None) -> None:
    import brainio.assemblies
    from brainio.stimuli import StimulusSet

    arrays: dict = {}
    meta = {"xarray": xr.__version__}
    with xr.open_dataarray(path) as raw:
        meta["raw"] = describe(raw.load(), "raw/", arrays)
    cls = getattr(brainio.assemblies, class_name)
    kwargs = {}
    if stimuli_csv is not None:
        kwargs = {
            "stimulus_set": StimulusSet(pd.read_csv(stimuli_csv)),
            "stimulus_set_identifier": "test.stimuli",
        }
    loaded = cls.from_files(path, **kwargs)
    meta["loaded"] = describe(loaded.load(), "loaded/", arrays)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(meta, indent=1, sort_keys=True, default=str))
    np.savez_compressed(out.with_suffix(".npz"), **arrays)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("cls")
    parser.add_argument("out", type=Path, help="output path without suffix")
    parser.add_argument("--stimuli", type=Path, default=None, help="stimulus set CSV to merge")
    args = parser.parse_args()
    dump(args.file, args.cls, args.out, args.stimuli)


if __name__ == "__main__":
    main()
