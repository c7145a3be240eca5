"""Base models: networks that map stimuli to activations in named layers.

Brain-Score turns a base model into a brain model itself, by choosing which layer best matches
each brain region on public data. Replace the example network with your own model and keep the
four functions below with the contracts their docstrings state.

Check the submission from the project root with ``brainio submission check . --run``, or run
this module: ``python -m models.base_models``.
"""

from __future__ import annotations

import os

import numpy as np

HERE = os.path.dirname(__file__)  # load files relative to this, never from absolute paths


class RandomProjectionNetwork:
    """An example model that needs only numpy: fixed random layers over a stimulus' bytes.

    The input of each stimulus is the histogram of its file's bytes (so any image format
    works without an image library); each layer is a fixed random projection followed by a
    rectification. It computes nothing brain-like: it only shows the expected interface.
    """

    def __init__(self, identifier: str, widths: tuple[int, ...] = (128, 64, 32), seed: int = 0):
        self.identifier = identifier  # must be unique per model
        rng = np.random.default_rng(seed)
        sizes = (256, *widths)
        self.weights = {
            f"layer{index}": rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)
            for index, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True), start=1)
        }

    def __call__(self, stimuli: list[str], layers: list[str]) -> dict[str, np.ndarray]:
        """Activations of ``layers`` for the image files ``stimuli``, one row per stimulus."""
        unknown = sorted(set(layers) - set(self.weights))
        if unknown:
            raise ValueError(f"{self.identifier} has no layer(s) {unknown}; see get_layers().")
        activations = {}
        values = np.stack([_byte_histogram(path) for path in stimuli])
        for name, weights in self.weights.items():
            values = np.maximum(values @ weights, 0.0)
            if name in layers:
                activations[name] = values
        return activations


def _byte_histogram(path: str) -> np.ndarray:
    with open(path, "rb") as file:
        data = np.frombuffer(file.read(), dtype=np.uint8)
    return np.bincount(data, minlength=256) / max(len(data), 1)


def get_model_list() -> list[str]:
    """The names of the models in this submission.

    Return a literal list of strings, so ``brainio submission validate`` can read the names
    without running any code. Names must be unique and must not contain hyphens.
    """
    return ["example_random_projection"]


def get_model(name: str) -> RandomProjectionNetwork:
    """Build the model called ``name`` (one of ``get_model_list()``).

    The returned object is called as ``model(stimulus_paths, layers)``, with a list of image
    file paths and a list of names from ``get_layers(name)``, and returns ``{layer: array of
    shape (n_stimuli, n_features)}``. A model-tools activations wrapper (``PytorchWrapper``,
    ``KerasWrapper``, ...) is called the same way and may be returned instead.
    """
    if name != "example_random_projection":
        raise ValueError(f"Unknown model {name!r}; expected one of {get_model_list()}.")
    return RandomProjectionNetwork(identifier=name)


def get_layers(name: str) -> list[str]:
    """The layers of model ``name`` that Brain-Score may map to brain regions.

    Each layer's activations should have at least 25 features per stimulus.
    """
    if name != "example_random_projection":
        raise ValueError(f"Unknown model {name!r}; expected one of {get_model_list()}.")
    return ["layer1", "layer2", "layer3"]


def get_bibtex(name: str) -> str:
    """A BibTeX entry to cite for model ``name`` (an empty string if there is none)."""
    return """@misc{example_random_projection,
    title = {A random projection network},
    note = {Example model of the Brain-Score submission template}
}"""


if __name__ == "__main__":
    # The checks of `brainio submission check --run`, in this process and without a time limit.
    from brainio_submission.cli import check_this_module

    check_this_module(__name__, kind="base")
