"""BrainIO: stimuli and recordings of neuroscience experiments, loadable by name.

>>> from brainio import get_assembly, get_stimulus_set, list_assemblies
"""

from brainio.errors import BrainIOError
from brainio.hookspecs import hookimpl

__version__ = "2.0.0.dev0"

__all__ = ["BrainIOError", "hookimpl", "__version__"]
