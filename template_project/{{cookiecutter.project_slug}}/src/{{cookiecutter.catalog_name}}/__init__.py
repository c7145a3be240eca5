"""{{ cookiecutter.description }}.

Install this package and load its data sets by identifier::

    from brainio import get_assembly, get_stimulus_set
    stimulus_set = get_stimulus_set("{{ cookiecutter.catalog_name }}.Example2024")
"""

from .plugin import CATALOG_NAME, CATALOG_PATH

__all__ = ["CATALOG_NAME", "CATALOG_PATH"]
