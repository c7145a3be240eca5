"""Loading Brain-Score language data by registry key, end to end against a loopback S3 server.

The server holds synthetic netCDF files at the real bucket and keys, and nothing else: a
language data set is one file, its sentences and words are ``presentation`` coordinates.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from brainio.assemblies import NeuroidAssembly
from brainio.errors import AccessDeniedError, AssemblyLookupError, StimulusSetLookupError
from conftest_values import SENTENCES, WORDS  # noqa: F401  (see below)

import brainio
import brainio_language
