"""Starting a new catalog project from the cookiecutter template ``template_project``.

The template lives at the repository root (``template_project/``, its source) and ships inside
the brainio-core wheel as ``brainio/template_project`` (hatch ``force-include``); an editable
install finds it in the repository instead. :func:`render_catalog_project` renders it with the
cookiecutter library after checking that the name can be a Python package.
"""

from __future__ import annotations

import keyword
import logging
import os
import re
import sys
from pathlib import Path

from brainio.errors import BrainIOError, PackagingError

logger = logging.getLogger(__name__)

__all__ = [
    "catalog_name_problem",
    "project_folder_name",
    "render_catalog_project",
    "template_dir",
]

_PACKAGE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
#: Names a catalog package must not take: they would shadow BrainIO or its plugins.
_TAKEN = {
    "brainio",
    "brainio_local",
    "brainio_s3",
    "brainio_vision",
    "brainio_language",
    "brainio_submission",
    "laion_fmri",
    "test",
    "tests",
}


def template_dir() -> Path:
    """The folder of the cookiecutter template (in the wheel, or in the repository)."""
    here = Path(__file__).resolve().parents[1]
    for candidate in (here / "template_project", here.parents[2] / "template_project"):
        if (candidate / "cookiecutter.json").is_file():
            return candidate
    raise BrainIOError(
        f"The catalog project template is missing (looked in {here / 'template_project'} and "
        f"{here.parents[2] / 'template_project'}). Reinstall brainio-core."
    )


def project_folder_name(name: str) -> str:
    """The folder (and distribution) name of catalog ``name``: ``brainio-<name with ->``."""
    return "brainio-" + name.replace("_", "-")


def catalog_name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a catalog package, or ``None`` if it can."""
    if not _PACKAGE_NAME.match(name):
        suggestion = re.sub(r"[^a-z0-9_]", "_", name.lower()).strip("_")
        if suggestion and not suggestion[0].isalpha():
            suggestion = f"lab_{suggestion}"
        hint = f" (e.g. '{suggestion}')" if suggestion else ""
        return (
            f"'{name}' cannot be a Python package name: use lower-case letters, digits and "
            f"underscores, starting with a letter{hint}"
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return f"'{name}' is a Python keyword; choose another name"
    if name in sys.stdlib_module_names or name in _TAKEN:
        return f"'{name}' would shadow the module '{name}'; choose another name"
    return None


def render_catalog_project(
    name: str,
    output_dir: str | os.PathLike = ".",
    *,
    storage: str = "local",
    author: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Render a new catalog project ``<output_dir>/brainio-<name>`` and return its folder.

    The project is named ``brainio-<name>`` (underscores as dashes), its package ``<name>``.

    :param name: the catalog's name, which is also its Python package's name.
    :param storage: ``"local"`` (a folder store) or ``"s3"``: which plugin the project needs.
    :raises PackagingError: the name cannot be a Python package, or the folder exists.
    """
    try:
        from cookiecutter.exceptions import CookiecutterException, OutputDirExistsException
        from cookiecutter.main import cookiecutter
    except ImportError:
        raise PackagingError(
            "Creating a catalog project needs cookiecutter, which is not installed. Install it "
            "with: pip install 'brainio-core[new-catalog]'"
        ) from None

    problem = catalog_name_problem(name)
    if problem:
        raise PackagingError(f"Cannot create catalog project: {problem}.")
    if storage not in ("local", "s3"):
        raise PackagingError(f"Unknown storage '{storage}'; use 'local' or 's3'.")
    context = {"catalog_name": name, "storage": storage}
    if author:
        context["author"] = author
    output_dir = Path(output_dir).expanduser().absolute()
    output_dir.mkdir(parents=True, exist_ok=True)
    try:
        project = cookiecutter(
            str(template_dir()),
            no_input=True,
            extra_context=context,
            output_dir=str(output_dir),
            overwrite_if_exists=overwrite,
        )
    except OutputDirExistsException:
        raise PackagingError(
            f"Cannot create catalog project '{name}': {output_dir / project_folder_name(name)} "
            "already exists. Choose another --output-dir or name."
        ) from None
    except CookiecutterException as error:
        raise PackagingError(f"Cannot create catalog project '{name}': {error}") from error
    logger.info("rendered catalog project %s", project)
    return Path(project)
