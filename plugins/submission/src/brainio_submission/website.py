"""The checks the Brain-Score website applies to an uploaded zip, in its order and words.

From the upload view of ``brain-score/brain-score.web`` (``benchmarks/views/user.py``): the
size limit (in :mod:`brainio_submission.validate`), no spaces in names, no metadata files, at
least one plugin folder found by its own zip entry, at least one plugin in it, ``__init__.py``
and ``test.py`` in each, no hyphen in an identifier, one identifier per upload. Each problem
carries ``website=True`` and, in ``website_message``, what the website answers. Where the
website's reading is looser than its rule (its identifier pattern sees single quotes only),
the rule is applied, not the loophole.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath

from brainio_submission.plugins import REGISTRIES, Plugin
from brainio_submission.problems import Problem
from brainio_submission.tree import SubmissionTree

MAX_SIZE_MB = 50
PLUGIN_LIMIT = 1
METADATA_FILES = frozenset({"metadata.yml", "metadata.yaml"})
SIZE_MESSAGE = f"The zip is larger than {MAX_SIZE_MB} MB. Are you trying to submit weights?"


def _folders_message(tree: SubmissionTree) -> str:
    return (
        f"Please make sure your {tree.prefix or 'root'} folder contains at least one of "
        "the following folders:[metrics, data, benchmarks, models]"
    )


def check_names(tree: SubmissionTree) -> Iterator[Problem]:
    """No spaces in any name, no ``metadata.yml``: the first checks the website runs."""
    if " " in tree.prefix:
        yield Problem(
            "space-in-name",
            "Folder names must not contain spaces; rename the root folder (e.g. use '_').",
            tree.prefix,
            website=True,
            website_message="File and folder names must not contain spaces.",
        )
    spaced = set()  # each file or folder with a space in its own name, once
    for relative in [*tree.files, *tree.folder_entries]:
        parts = relative.rstrip("/").split("/")
        for index, part in enumerate(parts):
            if " " in part:
                folder = index < len(parts) - 1 or relative.endswith("/")
                spaced.add("/".join(parts[: index + 1]) + ("/" if folder else ""))
                break
    for relative in sorted(spaced):
        yield Problem(
            "space-in-name",
            "Names must not contain spaces; rename it (e.g. use '_').",
            tree.display(relative),
            website=True,
            website_message="File and folder names must not contain spaces.",
        )
    for relative in sorted(tree.files):
        if PurePosixPath(relative).name.lower() in METADATA_FILES:
            yield Problem(
                "metadata-file",
                "Submissions must not contain metadata.yml/metadata.yaml; Brain-Score "
                "generates model metadata itself. Remove the file.",
                tree.display(relative),
                website=True,
                website_message="Submissions may not include metadata.yml or metadata.yaml.",
            )


def check_plugin_layout(tree: SubmissionTree, plugins: list[Plugin]) -> list[Problem]:
    """Plugin folders, plugins in them, their required files, and the identifier limit."""
    kinds = sorted(
        {plugin.kind for plugin in plugins}
        | {kind for kind in REGISTRIES if f"{kind}/" in tree.folder_entries}
    )
    if not kinds:
        return [
            Problem(
                "no-plugin-folder",
                "No plugin folder found: a submission's root folder holds models/<identifier>/ "
                "(or benchmarks/, data/, metrics/) with __init__.py and test.py. Start from "
                "`brainio submission new NAME`.",
                tree.prefix or None,
                website=True,
                website_message=_folders_message(tree),
            )
        ]
    missing = [f"{kind}/" for kind in kinds if f"{kind}/" not in tree.folder_entries]
    missing += [f"{p.folder}/" for p in plugins if f"{p.folder}/" not in tree.folder_entries]
    if missing:
        found_kind = any(f"{kind}/" in tree.folder_entries for kind in kinds)
        return [
            Problem(
                "missing-folder-entries",
                f"The zip has no entry for the folder(s) {', '.join(map(tree.display, missing))}: "
                "the Brain-Score website finds plugin folders by their own zip entries. Create the "
                "zip with `brainio submission zip`, `zip -r` or your file manager's 'Compress', "
                "which add folder entries.",
                tree.display(missing[0]),
                website=True,
                website_message=(
                    f"Your {missing[0].split('/')[0]} folder is empty."
                    if found_kind
                    else _folders_message(tree)
                ),
            )
        ]
    if not plugins:
        return [
            Problem(
                "empty-plugin-folder",
                f"{kinds[0]}/ holds no plugin folder: put the plugin in {kinds[0]}/<identifier>/ "
                "with __init__.py and test.py.",
                tree.display(f"{kinds[0]}/"),
                website=True,
                website_message=f"Your {kinds[0]} folder is empty.",
            )
        ]
    problems = []
    for plugin in plugins:
        for required in ("__init__.py", "test.py"):
            if not tree.exists(f"{plugin.folder}/{required}"):
                problems.append(
                    Problem(
                        "missing-plugin-file",
                        f"Plugin folder {plugin.folder}/ needs {required} (registration in "
                        "__init__.py, tests in test.py).",
                        tree.display(f"{plugin.folder}/{required}"),
                        website=True,
                        website_message=(
                            f"Your {plugin.name} folder must contain an __init__.py "
                            "and a test.py folder."
                        ),
                    )
                )
    problems += _identifier_limit(tree, plugins)
    return problems


def _identifier_limit(tree: SubmissionTree, plugins: list[Plugin]) -> list[Problem]:
    identifiers: dict[str, tuple[str, int]] = {}
    for plugin in plugins:
        for registration in plugin.registrations:
            if registration.registry == REGISTRIES[plugin.kind] and registration.identifier:
                identifiers.setdefault(
                    registration.identifier, (f"{plugin.folder}/__init__.py", registration.line)
                )
    if len(identifiers) <= PLUGIN_LIMIT:
        return []
    extra_file, extra_line = list(identifiers.values())[PLUGIN_LIMIT]
    return [
        Problem(
            "too-many-identifiers",
            f"This submission registers {len(identifiers)} identifiers "
            f"({', '.join(map(repr, identifiers))}); the website takes {PLUGIN_LIMIT} per upload. "
            "Upload each plugin in its own zip.",
            tree.display(extra_file),
            extra_line,
            website=True,
            website_message=f"A submission may register at most {PLUGIN_LIMIT} identifier.",
        )
    ]
