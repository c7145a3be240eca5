"""Access to the LAION-fMRI data set (``s3://laion-fmri``) as a BrainIO plugin.

Modules, as in the LAION-fMRI package: :mod:`laion_fmri.config` (data directory),
:mod:`laion_fmri.discovery` (what the bucket holds), :mod:`laion_fmri.splits` (train/test
splits), :mod:`laion_fmri.download` (fetch a subject's files), :mod:`laion_fmri.subject`
(read them; betas also as BrainIO assemblies), :mod:`laion_fmri.group` (several subjects),
:mod:`laion_fmri.stimuli` (the images), :mod:`laion_fmri.brain` (vectors <-> volumes),
:mod:`laion_fmri.io` (file readers), :mod:`laion_fmri.torch_data` (PyTorch data sets) and
:mod:`laion_fmri.errors`. ``Stimuli``, ``load_stimulus`` and ``load_stimulus_metadata`` are
also importable from here.
"""

from __future__ import annotations

import importlib
from typing import Any

_STIMULI = ("Stimuli", "load_stimulus", "load_stimulus_metadata")

__all__ = [
    *_STIMULI,
    "brain",
    "config",
    "discovery",
    "download",
    "errors",
    "group",
    "io",
    "splits",
    "stimuli",
    "subject",
    "torch_data",
]


def __getattr__(name: str) -> Any:
    if name in _STIMULI:  # imported on use: pandas and nibabel are slow to import
        return getattr(importlib.import_module("laion_fmri.stimuli"), name)
    raise AttributeError(f"module 'laion_fmri' has no attribute {name!r}")
