"""The submission templates: what ``brainio submission new DIR --kind KIND`` writes.

Kinds: ``model`` (default) and ``benchmark`` are today's Brain-Score plugins (a root folder
holding ``models/<identifier>/`` or ``benchmarks/<identifier>/``); ``legacy-base`` and
``legacy-brain`` are the seed's 2021 layout. The files live in ``template/`` next to this
module; a folder named ``__plugin__`` becomes the plugin folder, files ending in ``.tmpl`` have
``${name}`` placeholders filled in. The project is written into a temporary sibling folder and
renamed into place, so a failed run leaves no half-written project behind.
"""

from __future__ import annotations

import os
import re
import shutil
import string
import tempfile
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from brainio_submission.errors import SubmissionError

# kind -> template folders, in the order they are copied
KINDS = {
    "model": ("model",),
    "benchmark": ("benchmark",),
    "legacy-base": ("legacy/common", "legacy/base"),
    "legacy-brain": ("legacy/common", "legacy/brain"),
}
PLUGIN_KINDS = {"model": "models", "benchmark": "benchmarks"}
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


def project_name(folder: Path) -> str:
    """A distribution name for the project, from its folder name."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", folder.name).strip("-._").lower()
    return name or "brainscore-submission"


def plugin_folder(destination: Path, kind: str, identifier: str | None = None) -> Path:
    """Where the plugin of a new ``kind`` project at ``destination`` lives (its main folder)."""
    identifier = identifier or Path(destination).name
    if kind not in PLUGIN_KINDS:
        return Path(destination) / "models"
    return Path(destination) / PLUGIN_KINDS[kind] / identifier.replace(".", "_")


def _check_identifier(identifier: str) -> None:
    if "-" in identifier:
        raise SubmissionError(
            f"Identifier {identifier!r} contains a hyphen, which Brain-Score rejects; use "
            f"{identifier.replace('-', '_')!r} (pass --identifier, or name the folder so)."
        )
    if not _IDENTIFIER.match(identifier):
        raise SubmissionError(
            f"Identifier {identifier!r} must start with a letter or '_' and hold only letters, "
            "digits, '_' and '.'; pass --identifier with such a name."
        )


def write_template(
    destination: Path, kind: str = "model", identifier: str | None = None
) -> list[Path]:
    """Write a new submission project of ``kind`` into ``destination``; return its files.

    ``identifier`` (default: the folder's name) is what a plugin kind registers.
    """
    destination = Path(destination).absolute()
    if kind not in KINDS:
        raise SubmissionError(f"Unknown submission kind {kind!r}; use one of {sorted(KINDS)}.")
    identifier = identifier or destination.name
    if kind in PLUGIN_KINDS:
        _check_identifier(identifier)
    if " " in destination.name:
        raise SubmissionError(
            f"Folder name {destination.name!r} contains spaces, which Brain-Score rejects in "
            "submissions; choose a name without spaces."
        )
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise SubmissionError(
            f"{destination} already exists and is not an empty folder; choose a new folder "
            "for the submission project."
        )
    destination.parent.mkdir(parents=True, exist_ok=True)
    legacy_kind = kind.removeprefix("legacy-")
    values = {
        "project_name": project_name(destination),
        "folder_name": destination.name,
        "kind": legacy_kind,
        "module": f"{legacy_kind}_models",
        "identifier": identifier,
        "plugin": identifier.replace(".", "_"),
        "class_name": "".join(
            part[:1].upper() + part[1:] for part in re.split(r"[._]", identifier) if part
        ),
    }
    templates = resources.files("brainio_submission") / "template"
    staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}.", dir=destination.parent))
    try:
        staging.chmod(0o777 & ~_umask())  # mkdtemp makes it private; a project folder is not
        for part in KINDS[kind]:
            source = templates
            for name in part.split("/"):
                source = source / name
            _copy(source, staging, values)
        if destination.exists():
            destination.rmdir()
        os.replace(staging, destination)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return sorted(path for path in destination.rglob("*") if path.is_file())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _copy(source: Traversable, target: Path, values: dict[str, str]) -> None:
    for entry in source.iterdir():
        if entry.name == "__pycache__":
            continue
        name = values["plugin"] if entry.name == "__plugin__" else entry.name
        if entry.is_dir():
            (target / name).mkdir(exist_ok=True)
            _copy(entry, target / name, values)
        elif entry.name.endswith(".tmpl"):
            text = string.Template(entry.read_text(encoding="utf-8")).substitute(values)
            (target / entry.name.removesuffix(".tmpl")).write_text(text, encoding="utf-8")
        else:
            (target / entry.name).write_bytes(entry.read_bytes())
