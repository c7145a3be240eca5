"""The 2021 layout's rules (``--kind legacy-base``), each broken once: code, file and line.

Most cases call the library (``brainio_submission.validate``) in this process to stay fast;
the tests that go through the CLI check its exit status, options and JSON.
"""

from __future__ import annotations

import os
import shutil
import zipfile

import pytest

BASE = "models/base_models.py"


# Each case breaks one rule in a fresh base template and returns (file, line) it expects.


def space_in_name(project, sub):
    (project / "models" / "my weights.txt").write_text("0.1 0.2")
    return "models/my weights.txt", None


def metadata_file(project, sub):
    (project / "models" / "metadata.yml").write_text("models: {}\n")
    return "models/metadata.yml", None


def symlink(project, sub):
    os.symlink("/etc/hostname", project / "models" / "hostname.txt")
    return "models/hostname.txt", None


def missing_build_file(project, sub):
    (project / "pyproject.toml").unlink()
    return "pyproject.toml", None


def invalid_build_file(project, sub):
    sub.replace_in(project / "pyproject.toml", 'version = "0.1.0"', 'version = "0.1.0')
    return "pyproject.toml", sub.line_of(project / "pyproject.toml", 'version = "0.1.0')


def missing_dependencies(project, sub):
    sub.replace_in(project / "pyproject.toml", '    "numpy>=1.22",\n]\n', "")
    sub.replace_in(project / "pyproject.toml", "dependencies = [\n", "")
    return "pyproject.toml", sub.line_of(project / "pyproject.toml", "[project]")


def missing_dependencies_setup_py(project, sub):
    (project / "pyproject.toml").unlink()
    (project / "setup.py").write_text(
        "from setuptools import setup\n\nsetup(\n    name='my_model',\n"
        "    packages=['models'],\n)\n"
    )
    return "setup.py", 3


def empty_plugin_folder(project, sub):  # without base_models.py it reads as a plugin layout
    (project / BASE).unlink()
    return "models/", None


def missing_init(project, sub):
    (project / "models" / "__init__.py").unlink()
    return "models/__init__.py", None


def syntax_error(project, sub):
    sub.replace_in(project / BASE, "def get_layers(name: str)", "def get_layers(name: str")
    return BASE, sub.line_of(project / BASE, "def get_layers(name: str")


def missing_function(project, sub):
    sub.replace_in(project / BASE, "def get_bibtex(", "def get_citation(")
    return BASE, None


def bad_signature(project, sub):
    sub.replace_in(project / BASE, "def get_model(name: str)", "def get_model()")
    return BASE, sub.line_of(project / BASE, "def get_model()")


def model_list_not_strings(project, sub):
    sub.replace_in(
        project / BASE,
        'return ["example_random_projection"]',
        'return [\n        "example_random_projection",\n        42,\n    ]',
    )
    return BASE, sub.line_of(project / BASE, "        42,")


def empty_model_list(project, sub):
    sub.replace_in(project / BASE, 'return ["example_random_projection"]', "return []")
    return BASE, sub.line_of(project / BASE, "return []")


def duplicate_model_name(project, sub):
    sub.replace_in(project / BASE, 'return ["example_random_projection"]', "return MODELS")
    with open(project / BASE, "a") as file:
        file.write('\nMODELS = [\n    "alexnet",\n    "alexnet",\n]\n')
    lines = (project / BASE).read_text().splitlines()
    return BASE, len(lines) - 1


def hyphen_in_identifier(project, sub):
    sub.replace_in(
        project / BASE,
        'return ["example_random_projection"]',
        'return ["example-random-projection"]',
    )
    return BASE, sub.line_of(project / BASE, "example-random-projection")


def absolute_path(project, sub):
    sub.replace_in(
        project / BASE,
        "HERE = os.path.dirname(__file__)",
        'WEIGHTS = np.load(f"/home/me/weights_{1}.npz")',
    )
    return BASE, sub.line_of(project / BASE, "/home/me/weights")


RULES = {
    "space-in-name": space_in_name,
    "metadata-file": metadata_file,
    "symlink": symlink,
    "missing-build-file": missing_build_file,
    "invalid-build-file": invalid_build_file,
    "missing-dependencies": missing_dependencies,
    "missing-dependencies/setup.py": missing_dependencies_setup_py,
    "empty-plugin-folder": empty_plugin_folder,
    "missing-init": missing_init,
    "syntax-error": syntax_error,
    "missing-function": missing_function,
    "bad-signature": bad_signature,
    "model-list-not-strings": model_list_not_strings,
    "empty-model-list": empty_model_list,
    "duplicate-model-name": duplicate_model_name,
    "hyphen-in-identifier": hyphen_in_identifier,
    "absolute-path": absolute_path,
}


@pytest.mark.parametrize("case", list(RULES))
def test_each_rule_broken_once(case, new_project, sub):
    project = new_project()
    expected_file, expected_line = RULES[case](project, sub)
    status, data = sub.validate(project)
    assert status == 1
    problem = sub.only_problem(data, case.split("/")[0])
    assert (problem["file"], problem["line"]) == (expected_file, expected_line)
    assert len(data["problems"]) == 1, data["problems"]  # nothing else was flagged


def test_every_problem_is_reported_at_once_with_zip_paths(new_project, tmp_path, sub):
    project = new_project(name="several")
    for case in (missing_init, hyphen_in_identifier, absolute_path, space_in_name):
        case(project, sub)
    archive = sub.zip_folder(project, tmp_path / "several.zip")
    status, data = sub.report("validate", archive)
    assert status == 1
    assert sorted(sub.codes(data)) == [
        "absolute-path",
        "hyphen-in-identifier",
        "missing-init",
        "space-in-name",
    ]
    assert {p["file"] for p in data["problems"]} == {
        "several/models/__init__.py",
        f"several/{BASE}",
        "several/models/my weights.txt",
    }


def test_paths_inside_functions_and_main_blocks_are_allowed(new_project, sub):
    project = new_project()
    with open(project / BASE, "a") as file:
        file.write(
            '\n\ndef load():\n    return open("/data/weights.bin", "rb")\n'
            '\n\nif __name__ == "__main__":\n    print(open("/tmp/log.txt").read())\n'
            '\nSEPARATED = "a/b".split("/")\n'
        )
    status, data = sub.validate(project)
    assert (status, data["problems"]) == (0, [])


def test_model_list_computed_at_run_time_is_accepted(new_project, sub):
    project = new_project()
    sub.replace_in(
        project / BASE,
        'return ["example_random_projection"]',
        'return [name for name in ["example_random_projection"]]',
    )
    status, data = sub.validate(project)
    assert (status, data["problems"]) == (0, [])


def test_dependencies_in_setup_py_are_enough(new_project, sub):
    project = new_project()
    (project / "pyproject.toml").unlink()
    (project / "setup.py").write_text(
        "from setuptools import setup\n\nsetup(name='m', install_requires=['numpy'])\n"
    )
    status, data = sub.validate(project)
    assert (status, data["problems"]) == (0, [])


def test_size_limit(new_project, tmp_path, sub):
    project = new_project()
    (project / "models" / "weights.bin").write_bytes(os.urandom(300_000))
    status, data = sub.report("validate", project, "--max-size-mb", "0.25")
    assert status == 1
    problem = sub.only_problem(data, "too-large")
    assert (problem["file"], problem["line"]) == (str(project), None)
    assert "more than the 0.25 MB limit" in problem["message"]
    archive = sub.zip_folder(project, tmp_path / "big.zip")
    status, data = sub.validate(archive, max_size_mb=0.25)
    assert sub.codes(data) == ["too-large"]
    assert sub.validate(archive)[0] == 0  # the default limit is 50 MB


def test_zip_needs_one_root_folder(new_project, tmp_path, sub):
    project = new_project()
    two_roots = tmp_path / "two.zip"
    sub.zip_folder(project, two_roots)
    with zipfile.ZipFile(two_roots, "a") as archive:
        archive.writestr("other/readme.txt", "second root")
    status, data = sub.validate(two_roots)
    problem = sub.only_problem(data, "root-folder")
    assert (status, problem["file"], problem["line"]) == (1, str(two_roots), None)
    assert "'my_model', 'other'" in problem["message"]

    flat = tmp_path / "flat.zip"  # the project's contents zipped without their folder
    with zipfile.ZipFile(flat, "w") as archive:
        for path in project.rglob("*"):
            if path.is_file():
                archive.write(path, path.relative_to(project).as_posix())
    status, data = sub.validate(flat)
    assert sub.codes(data) == ["root-folder"]


def test_macosx_folder_and_hidden_files_are_ignored(new_project, tmp_path, sub):
    project = new_project()
    archive = sub.zip_folder(project, tmp_path / "mac.zip")
    with zipfile.ZipFile(archive, "a") as handle:
        handle.writestr("__MACOSX/my_model/._pyproject.toml", b"\x00\x05\x16\x07")
        handle.writestr(".DS_Store", b"\x00")
    status, data = sub.validate(archive)
    assert (status, data["problems"]) == (0, [])


def test_not_a_zip(tmp_path, sub):
    path = tmp_path / "submission.zip"
    path.write_text("not a zip")
    status, data = sub.report("validate", path)
    problem = sub.only_problem(data, "invalid-archive")
    assert (status, problem["file"], problem["line"]) == (1, str(path), None)


def test_missing_path_is_a_usage_error(tmp_path, sub):
    result = sub.run_cli("validate", tmp_path / "nothing.zip")
    assert result.returncode == 2
    assert "does not exist" in result.stderr


def test_validation_runs_no_submitted_code(new_project, tmp_path, sub):
    project = new_project()
    marker = tmp_path / "executed"
    code = f"open({str(marker)!r}, 'w').write('ran')\n"
    for relative in (BASE, "models/__init__.py", "setup.py"):
        with open(project / relative, "a") as file:
            file.write("\n" + code)
    shutil.copy(project / BASE, project / "models" / "extra.py")
    status, data = sub.report("check", project)  # without --run: read only
    assert not marker.exists()
    # the marker path is absolute and used at import time: validation saw it without running it
    assert {p["code"] for p in data["problems"]} == {"absolute-path"}
    assert status == 1


def test_space_in_the_zip_root_folder(new_project, tmp_path, sub):
    archive = sub.zip_folder(new_project(), tmp_path / "spaced.zip", arcroot="my model")
    status, data = sub.validate(archive)
    problem = sub.only_problem(data, "space-in-name")
    assert (status, problem["file"], problem["line"]) == (1, "my model/", None)
    assert len(data["problems"]) == 1
