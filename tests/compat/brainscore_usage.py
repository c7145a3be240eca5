"""Run the ways Brain-Score's code uses BrainIO assemblies and print the results as JSON.

Runs unchanged under BrainIO 1.1.0 (``.venv-brainio1``, xarray 2022.3) and under this project,
so test_brainscore_usage.py can compare the two sides value by value instead of copying
expected values by hand. It imports only ``brainio.assemblies``, numpy and xarray, as the
Brain-Score code it imitates does:

- ``time_bins``: a temporal model's bins re-binned to a benchmark's bins, the assembly rebuilt
  from ``{name: coord for name, coord in source.coords.items() if name != "time_bin"}``
  (brainscore_vision's ``assembly_time_align``), and a non-temporal model repeated over bins
  with ``expand_dims``/``stack``/``merge_data_arrays``, then re-labelled through
  ``walk_coords`` (``TemporalAligned.look_at``, ``fix_timebin_naming``);
- ``rdm``: a neuroid x neuroid dissimilarity matrix built from ``.coords.items()`` minus the
  neuroid dimension, sorted through ``walk_coords`` and compared by rank correlation
  (brainscore_vision's RDM metric);
- ``split_merge``: an assembly split with ``sel(region=...)`` and merged back with
  ``merge_data_arrays``;
- ``listing``: what ``get_levels``, ``.coords`` and ``.indexes`` list, and the 1.x
  ``reset_index(list(assembly.indexes))`` idiom.

Usage: python brainscore_usage.py OUT.json
"""

from __future__ import annotations

import json
import sys

import numpy as np

from brainio.assemblies import (
    DataAssembly,
    NeuroidAssembly,
    get_levels,
    merge_data_arrays,
    walk_coords,
)


def model_responses(time_bins):
    """Responses of 4 units to 5 stimuli in the given time bins (deterministic values)."""
    values = np.arange(5 * 4 * len(time_bins), dtype=float).reshape(5, 4, len(time_bins))
    return NeuroidAssembly(
        np.sin(values) + values / 10,
        coords={
            "stimulus_id": ("presentation", [f"s{i}" for i in range(5)]),
            "object_name": ("presentation", ["car", "dog", "car", "dog", "car"]),
            "neuroid_id": ("neuroid", [f"n{i}" for i in range(4)]),
            "region": ("neuroid", ["IT", "V4", "IT", "V4"]),
            "layer": ("neuroid", ["l1", "l1", "l2", "l2"]),
            "time_bin_start": ("time_bin", [start for start, _ in time_bins]),
            "time_bin_end": ("time_bin", [end for _, end in time_bins]),
            "model": "toy",
        },
        dims=["presentation", "neuroid", "time_bin"],
    )


def rebin(source, target_bins):
    """Average the source bins weighted by their overlap with each target bin."""
    source_bins = [tuple(int(v) for v in pair) for pair in source["time_bin"].values]
    weights = np.array(
        [
            [
                max(0, min(end, s_end) - max(start, s_start)) / (s_end - s_start)
                for s_start, s_end in source_bins
            ]
            for start, end in target_bins
        ]
    )
    source = source.transpose(..., "time_bin")
    data = np.stack([(source.values * w).sum(-1) / w.sum() for w in weights], axis=-1).astype(
        source.dtype
    )
    kept = {name: coord for name, coord in source.coords.items() if name != "time_bin"}
    return type(source)(
        data,
        dims=source.dims,
        coords={
            "time_bin_start": ("time_bin", [start for start, _ in target_bins]),
            "time_bin_end": ("time_bin", [end for _, end in target_bins]),
            **kept,
        },
    )


def repeat_over_bins(responses, time_bins):
    """A model without time: the same responses in every bin, merged into one assembly."""
    parts = []
    for start, end in time_bins:
        part = responses.expand_dims("time_bin_start").expand_dims("time_bin_end")
        part["time_bin_start"] = [start]
        part["time_bin_end"] = [end]
        parts.append(part.stack(time_bin=["time_bin_start", "time_bin_end"]))
    merged = merge_data_arrays(parts)
    return type(merged)(
        merged.values,
        coords={name: (dims, values) for name, dims, values in walk_coords(merged)},
        dims=merged.dims,
    )


def time_bins() -> dict:
    aligned = rebin(model_responses([(0, 100), (100, 200)]), [(70, 170), (100, 200)])
    static = model_responses([(0, 100)]).squeeze("time_bin", drop=True)
    repeated = repeat_over_bins(static, [(70, 170), (170, 270)])
    repeated = repeated.transpose("presentation", "neuroid", "time_bin")
    return {
        "aligned_starts": aligned["time_bin_start"].values.tolist(),
        "aligned_ends": aligned["time_bin_end"].values.tolist(),
        "aligned_dims": list(aligned.dims),
        "aligned_values": aligned.transpose("presentation", "neuroid", "time_bin")
        .values.round(10)
        .tolist(),
        "aligned_regions": aligned["region"].values.tolist(),
        "aligned_model": str(aligned["model"].values),
        "repeated_starts": repeated["time_bin_start"].values.tolist(),
        "repeated_ends": repeated["time_bin_end"].values.tolist(),
        "repeated_shape": list(repeated.shape),
        "repeated_values": repeated.values.round(10).tolist(),
    }


def rdm(assembly, neuroid_dim="neuroid"):
    correlations = np.corrcoef(assembly.transpose("presentation", neuroid_dim).values)
    coords = {name: coord for name, coord in assembly.coords.items() if name != neuroid_dim}
    dims = ["presentation", "presentation"]
    return 1 - DataAssembly(correlations, coords=coords, dims=dims)


def sort_by(matrix, coord):
    order = np.argsort(matrix[coord].values)
    dims = matrix[coord].dims
    return type(matrix)(
        matrix.values[np.ix_(order, order)],
        coords={
            name: (coord_dims, values[order] if coord_dims == dims else values)
            for name, coord_dims, values in walk_coords(matrix)
        },
        dims=matrix.dims,
    )


def ranks(values):
    return np.argsort(np.argsort(values)).astype(float)


def rdm_results() -> dict:
    first = model_responses([(0, 100)]).squeeze("time_bin")
    second = first.isel(presentation=[4, 2, 0, 3, 1]) ** 2
    rdm1, rdm2 = sort_by(rdm(first), "stimulus_id"), sort_by(rdm(second), "stimulus_id")
    upper = np.triu_indices(rdm1.shape[0], k=1)
    similarity = np.corrcoef(ranks(rdm1.values[upper]), ranks(rdm2.values[upper]))[0, 1]
    return {
        "rdm_dims": list(rdm1.dims),
        "rdm_values": rdm1.values.round(10).tolist(),
        "rdm_stimulus_ids": rdm1["stimulus_id"].values.tolist(),
        "rdm_similarity": round(float(similarity), 10),
    }


def split_merge() -> dict:
    full = model_responses([(0, 100)]).squeeze("time_bin")
    parts = [full.sel(region=region) for region in ("V4", "IT")]
    merged = merge_data_arrays(parts)
    by_neuroid = {
        str(neuroid_id): merged.isel({merged["neuroid_id"].dims[0]: position})
        .transpose("presentation")
        .values.round(10)
        .tolist()
        for position, neuroid_id in enumerate(merged["neuroid_id"].values)
    }
    return {
        "merged_class": type(merged).__name__,
        "merged_shape": sorted(merged.shape),
        "merged_by_neuroid": by_neuroid,
        "merged_has_region": "region" in {name for name, _, _ in walk_coords(merged)},
        "merged_layers": sorted(str(v) for v in merged["layer"].values),
    }


def listing() -> dict:
    assembly = DataAssembly(
        np.arange(18).reshape(6, 3),
        coords={
            "up": ("a", ["alpha", "alpha", "beta", "beta", "beta", "beta"]),
            "down": ("a", [1, 1, 1, 1, 2, 2]),
            "sideways": ("b", ["x", "y", "z"]),
            "scalar": 7,
        },
        dims=["a", "b"],
    )
    reset = assembly.reset_index(list(assembly.indexes))
    return {
        "get_levels": get_levels(assembly),
        "coords": sorted(assembly.coords),
        "coords_len": len(assembly.coords),
        "indexes": list(assembly.indexes),
        "a_level_names": list(assembly.indexes["a"].names),
        "reset_levels": get_levels(reset),
        "reset_indexes": list(reset.indexes),
    }


def main() -> None:
    results = {**time_bins(), **rdm_results(), **split_merge(), **listing()}
    with open(sys.argv[1], "w") as out:
        json.dump(results, out, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
