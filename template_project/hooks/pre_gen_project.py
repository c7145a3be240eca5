"""Refuse catalog names that cannot be Python packages (when run as `cookiecutter template_project`)."""

import keyword
import re
import sys

NAME = {{ cookiecutter.catalog_name | tojson }}  # a valid literal whatever was typed

if (
    not re.match(r"^[a-z][a-z0-9_]*$", NAME)
    or keyword.iskeyword(NAME)
    or NAME in sys.stdlib_module_names
    or NAME in ("brainio", "test", "tests")
):
    sys.exit(
        f"ERROR: catalog_name '{NAME}' cannot be the name of a catalog package: use lower-case "
        "letters, digits and underscores, starting with a letter, and not a Python keyword or "
        "module name (e.g. 'mylab')."
    )
