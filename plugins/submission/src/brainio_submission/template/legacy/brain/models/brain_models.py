"""Brain models: models that commit to brain regions and answer like a subject in an experiment.

A brain model implements Brain-Score's BrainModel interface (``identifier``,
``visual_degrees()``, ``start_task(...)``, ``start_recording(region, time_bins)``,
``look_at(stimuli)``). If your model is a plain network, submit a base model instead and let
Brain-Score map its layers to regions. Replace the example with your model and keep the three
functions below with the contracts their docstrings state.

Check the submission from the project root with ``brainio submission check . --run``, or run
this module: ``python -m models.brain_models``.
"""

from __future__ import annotations

import os

import numpy as np

HERE = os.path.dirname(__file__)  # load files relative to this, never from absolute paths


class RandomProjectionNetwork:
    """A fixed random network over a stimulus' byte histogram; needs only numpy."""

    def __init__(self, widths: tuple[int, ...] = (128, 64, 32), seed: int = 0):
        rng = np.random.default_rng(seed)
        sizes = (256, *widths)
        self.weights = {
            f"layer{index}": rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)
            for index, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True), start=1)
        }

    def __call__(self, stimuli: list[str], layer: str) -> np.ndarray:
        values = np.stack([_byte_histogram(path) for path in stimuli])
        for name, weights in self.weights.items():
            values = np.maximum(values @ weights, 0.0)
            if name == layer:
                return values
        raise ValueError(f"No layer {layer!r}.")


def _byte_histogram(path: str) -> np.ndarray:
    with open(path, "rb") as file:
        data = np.frombuffer(file.read(), dtype=np.uint8)
    return np.bincount(data, minlength=256) / max(len(data), 1)


class ExampleBrainModel:
    """A brain model that commits each region to one layer of a random projection network."""

    REGION_LAYERS = {"V1": "layer1", "V2": "layer2", "V4": "layer2", "IT": "layer3"}

    def __init__(self, identifier: str):
        self.identifier = identifier  # must be unique per model
        self.network = RandomProjectionNetwork()
        self.region: str | None = None
        self.time_bins: list[tuple[int, int]] = []

    def visual_degrees(self) -> int:
        """How many degrees of visual angle the model's input spans."""
        return 8

    def start_task(self, task: str, fitting_stimuli=None) -> None:
        """Prepare for a behavioural task; this example only supports passive viewing."""
        if task != "passive":
            raise NotImplementedError(f"{self.identifier} does not perform task {task!r}.")

    def start_recording(self, recording_target: str, time_bins: list[tuple[int, int]]) -> None:
        """Record from a region ("V1", "V2", "V4" or "IT") in the given time bins (ms)."""
        if recording_target not in self.REGION_LAYERS:
            raise ValueError(f"{self.identifier} has no region {recording_target!r}.")
        self.region = recording_target
        self.time_bins = list(time_bins)

    def look_at(self, stimuli: list[str], number_of_trials: int = 1) -> np.ndarray:
        """Responses of the recorded region to the image files ``stimuli``.

        Returns an array with one row per stimulus and one column per recorded unit (a
        NeuroidAssembly with a ``presentation`` dimension is accepted as well).
        """
        if self.region is None:
            raise RuntimeError("Call start_recording(region, time_bins) before look_at().")
        return self.network(list(stimuli), self.REGION_LAYERS[self.region])


def get_model_list() -> list[str]:
    """The names of the models in this submission.

    Return a literal list of strings, so ``brainio submission validate`` can read the names
    without running any code. Names must be unique and must not contain hyphens.
    """
    return ["example_brain_model"]


def get_model(name: str) -> ExampleBrainModel:
    """Build the brain model called ``name`` (one of ``get_model_list()``)."""
    if name != "example_brain_model":
        raise ValueError(f"Unknown model {name!r}; expected one of {get_model_list()}.")
    return ExampleBrainModel(identifier=name)


def get_bibtex(name: str) -> str:
    """A BibTeX entry to cite for model ``name`` (an empty string if there is none)."""
    return """@misc{example_brain_model,
    title = {A random projection brain model},
    note = {Example model of the Brain-Score submission template}
}"""


if __name__ == "__main__":
    # The checks of `brainio submission check --run`, in this process and without a time limit.
    from brainio_submission.cli import check_this_module

    check_this_module(__name__, kind="brain")
