"""Running a submission's models on a few stimuli and checking what comes back.

This module executes submitted code. ``brainio submission check --run`` only calls it inside a
separate, time-limited process (:mod:`brainio_submission.runner`); a template's ``__main__``
block calls it in the submitter's own process, on their own code.

Contracts checked (the same ones the template documents):

* base models: ``get_model(name)`` returns ``model``, called as ``model(stimulus_paths, layers)``
  with ``layers = get_layers(name)``; it returns ``{layer: array (n_stimuli, ...)}`` or an
  xarray ``DataArray`` with a ``presentation`` dimension and a ``layer`` coordinate (what
  model-tools' activations wrappers return);
* brain models: ``get_model(name)`` returns a BrainModel; for each region in :data:`REGIONS`
  ``start_recording(region, TIME_BINS)`` then ``look_at(stimulus_paths)`` returns one row
  (``presentation``) per stimulus;
* plugins: ``model_registry[identifier]()`` returns a BrainModel, loaded as Brain-Score loads
  it. A ``ModelCommitment`` (an ``activations_model`` with the ``layers`` it commits to) is run
  on those layers directly: mapping layers to regions would download benchmark data, which
  the sandbox does not allow. Any other BrainModel is recorded from as above.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from brainio_submission.problems import Problem

REGIONS = ("V1", "V2", "V4", "IT")
TIME_BINS = [(70, 170)]

Progress = Callable[..., None]


def _no_progress(**_: Any) -> None:
    return None


class ModelChecker:
    """Checks the models of one imported models module; collects problems and results."""

    def __init__(
        self,
        root: Path,
        module_file: str,
        stimuli: Sequence[str],
        progress: Progress = _no_progress,
    ) -> None:
        self.root = Path(root).resolve()
        self.module_file = module_file
        self.stimuli = list(stimuli)
        self.progress = progress
        self.problems: list[Problem] = []
        self.results: list[dict[str, Any]] = []

    # --- reporting -----------------------------------------------------------------------

    def failure(
        self,
        code: str,
        what: str,
        error: BaseException,
        model: str | None = None,
        layer: str | None = None,
    ) -> None:
        """Record an exception raised by submitted code, located in the submission's files."""
        file, line = self.locate(error)
        self.problems.append(
            Problem(
                code, f"{what} raised {type(error).__name__}: {error}", file, line, model, layer
            )
        )

    def problem(
        self, code: str, message: str, model: str | None = None, layer: str | None = None
    ) -> None:
        self.problems.append(Problem(code, message, self.module_file, None, model, layer))

    def locate(self, error: BaseException) -> tuple[str | None, int | None]:
        """The innermost traceback frame inside the submission, relative to its root."""
        if isinstance(error, SyntaxError) and error.filename:
            relative = self._relative(error.filename)
            if relative is not None:
                return relative, error.lineno
        for frame in reversed(traceback.extract_tb(error.__traceback__)):
            relative = self._relative(frame.filename)
            if relative is not None:
                return relative, frame.lineno
        return self.module_file, None

    def _relative(self, filename: str) -> str | None:
        try:
            return Path(filename).resolve().relative_to(self.root).as_posix()
        except ValueError:
            return None

    # --- the checks ----------------------------------------------------------------------

    def model_names(self, module: ModuleType) -> list[str] | None:
        self.progress(step="get_model_list()")
        try:
            names = module.get_model_list()
        except Exception as error:
            self.failure("model-list-failed", "get_model_list()", error)
            return None
        if (
            not isinstance(names, list | tuple)
            or not names
            or not all(isinstance(name, str) for name in names)
        ):
            self.problem(
                "model-list-invalid",
                f"get_model_list() must return a non-empty list of names, got {names!r}.",
            )
            return None
        return list(names)

    def check_base(self, module: ModuleType, name: str) -> None:
        self.progress(model=name, step="get_layers()")
        try:
            layers = module.get_layers(name)
        except Exception as error:
            self.failure("get-layers-failed", f"get_layers({name!r})", error, name)
            return
        if (
            not isinstance(layers, list | tuple)
            or not layers
            or not all(isinstance(layer, str) for layer in layers)
        ):
            self.problem(
                "get-layers-failed",
                f"get_layers({name!r}) must return a non-empty list of layer names, got "
                f"{layers!r}.",
                name,
            )
            return
        model = self._build(module, name)
        if model is not None:
            self.check_values_of(model, name, list(layers))

    def check_values_of(self, model: Any, name: str, layers: list[str]) -> None:
        """``model(stimuli, layers)`` returns one row per stimulus for each layer."""
        self.progress(model=name, step=f"computing activations of {len(layers)} layer(s)")
        try:
            activations = model(self.stimuli, layers)
        except Exception as error:
            self.failure("activations-failed", f"model {name!r} on the stimuli", error, name)
            return
        for layer in layers:
            try:
                values = layer_activations(activations, layer)
            except KeyError:
                self.problem(
                    "missing-layer",
                    f"Layer {layer!r} was asked for but the model returned no activations for it.",
                    name,
                    layer,
                )
                continue
            self._check_values(values, name, layer)

    def check_brain(self, module: ModuleType, name: str) -> None:
        model = self._build(module, name)
        if model is not None:
            self.check_brain_model(model, name)

    def check_registered(self, registry: Mapping[str, Callable[[], Any]], name: str) -> None:
        """Load ``registry[name]`` as Brain-Score's ``load_model`` does, then run it."""
        self.progress(model=name, step=f"model_registry[{name!r}]()")
        if name not in registry:
            self.problem(
                "not-registered",
                f"Importing the plugin did not register {name!r} in model_registry.",
                name,
            )
            return
        try:
            model = registry[name]()
        except Exception as error:
            self.failure("load-model-failed", f"model_registry[{name!r}]()", error, name)
            return
        activations_model = getattr(model, "activations_model", None)
        layers = getattr(model, "layers", None)
        if activations_model is not None and isinstance(layers, list | tuple) and layers:
            if self._visual_degrees_ok(model, name):
                self.check_values_of(activations_model, name, [str(layer) for layer in layers])
        else:
            self.check_brain_model(model, name)

    def _visual_degrees_ok(self, model: Any, name: str) -> bool:
        try:
            degrees = model.visual_degrees()
        except Exception as error:
            self.failure("interface-failed", f"model {name!r}.visual_degrees()", error, name)
            return False
        if not isinstance(degrees, int | float) or degrees <= 0:
            self.problem(
                "interface-failed",
                f"visual_degrees() must return a positive number, got {degrees!r}.",
                name,
            )
        return True

    def check_brain_model(self, model: Any, name: str) -> None:
        if not self._visual_degrees_ok(model, name):
            return
        for region in REGIONS:
            self.progress(model=name, layer=region, step=f"recording {region}")
            try:
                model.start_recording(region, TIME_BINS)
                values = model.look_at(self.stimuli, number_of_trials=1)
            except Exception as error:
                self.failure(
                    "activations-failed",
                    f"recording {region} from model {name!r}",
                    error,
                    name,
                    region,
                )
                continue
            self._check_values(values, name, region)

    def _build(self, module: ModuleType, name: str) -> Any:
        self.progress(model=name, step="get_model()")
        try:
            return module.get_model(name)
        except Exception as error:
            self.failure("get-model-failed", f"get_model({name!r})", error, name)
            return None

    def _check_values(self, values: Any, name: str, layer: str) -> None:
        rows, shape, array = _rows(values)
        expected = len(self.stimuli)
        if rows != expected or len(shape) < 2:
            self.problem(
                "wrong-shape",
                f"Activations have shape {shape}; expected one row per stimulus, i.e. "
                f"({expected}, n_features) for {expected} stimuli.",
                name,
                layer,
            )
            return
        if array is not None and not np.all(np.isfinite(array)):
            self.problem(
                "non-finite-activations", "Activations contain NaN or infinite values.", name, layer
            )
            return
        self.results.append({"model": name, "layer": layer, "shape": list(shape)})


def layer_activations(activations: Any, layer: str) -> Any:
    """The activations of one layer from a ``{layer: array}`` mapping or a model-tools assembly."""
    if isinstance(activations, Mapping):
        return activations[layer]
    coords = getattr(activations, "coords", None)
    if coords is not None and "layer" in coords:
        mask = np.asarray(activations["layer"].values == layer)
        if not mask.any():
            raise KeyError(layer)
        return activations.isel({activations["layer"].dims[0]: mask})
    raise KeyError(layer)


def _rows(values: Any) -> tuple[int | None, tuple[int, ...], np.ndarray | None]:
    """(rows, shape, numeric array or None) with rows along ``presentation`` when named."""
    dims = getattr(values, "dims", None)
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        array = None
    shape = tuple(getattr(values, "shape", array.shape if array is not None else ()))
    if dims is not None and "presentation" in dims:
        return values.sizes["presentation"], shape, array
    return (shape[0] if shape else None), shape, array


def check_module(
    module: ModuleType,
    kind: str,
    root: Path,
    module_file: str,
    stimuli: Sequence[str],
    progress: Progress = _no_progress,
) -> ModelChecker:
    """Check every model of an imported 2021-layout module (``kind``: ``"base"``, ``"brain"``)."""
    checker = ModelChecker(root, module_file, stimuli, progress)
    names = checker.model_names(module)
    check = checker.check_base if kind == "base" else checker.check_brain
    for name in names or []:
        check(module, name)
    return checker
