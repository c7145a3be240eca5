"""What `validate` checks beyond the website in a plugin submission, without running anything:
each module compiles, registrations parse, test.py tests the registered identifier,
requirements parse, sources are UTF-8."""

from __future__ import annotations

from pathlib import Path

import pytest

INIT = """\
from brainscore_vision import model_registry
from .model import get_model

# model_registry['commented_out'] = None
model_registry['my_net'] = lambda: get_model()
"""
TEST = """\
import brainscore_vision


def test_loads():
    assert brainscore_vision.load_model('my_net') is not None
"""


def plugin(root: Path, name: str = "my_net") -> Path:
    folder = root / "models" / name
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text(INIT)
    (folder / "model.py").write_text("def get_model():\n    return None\n")
    (folder / "test.py").write_text(TEST)
    (folder / "requirements.txt").write_text(
        "numpy>=1.26\n# a comment\ntorch ; python_version >= '3.9'\n"
    )
    return folder


def the_problem(sub, root, code):
    status, data = sub.validate(root)
    assert status == 1
    problem = sub.only_problem(data, code)
    assert len(data["problems"]) == 1, data["problems"]
    return problem


def test_a_clean_plugin_passes(tmp_path, sub):
    plugin(tmp_path / "sub")
    assert sub.validate(tmp_path / "sub") == (0, {"problems": []})


@pytest.mark.parametrize(
    "source, line, reason",
    [
        (b"NAME = 'caf\xe9'\n\ndef get_model():\n    return NAME\n", 1, "Save the file as UTF-8"),
        (
            b"import os\nfrom __future__ import annotations\n\ndef get_model():\n    return None\n",
            2,
            "from __future__ imports must occur at the beginning",
        ),
        (b"def get_model():\n    return None\n\x00\n", None, "null bytes"),
    ],
    ids=["non-utf8-literal", "late-future-import", "null-bytes"],
)
def test_module_that_does_not_compile(source, line, reason, tmp_path, sub):
    (plugin(tmp_path / "sub") / "model.py").write_bytes(source)
    problem = the_problem(sub, tmp_path / "sub", "syntax-error")
    assert (problem["file"], problem["line"]) == ("models/my_net/model.py", line)
    assert reason in problem["message"]


def test_non_utf8_comment_in_init_is_named(tmp_path, sub):
    folder = plugin(tmp_path / "sub")
    (folder / "__init__.py").write_bytes(INIT.encode() + b"# na\xefve\n")
    problem = the_problem(sub, tmp_path / "sub", "not-utf8")
    assert (problem["file"], problem["line"]) == ("models/my_net/__init__.py", 6)
    assert "0xef" in problem["message"]


def test_computed_registration_key(tmp_path, sub):
    folder = plugin(tmp_path / "sub")
    (folder / "__init__.py").write_text(
        INIT + "NAME = 'my_net_v2'\nmodel_registry[NAME] = lambda: get_model()\n"
    )
    problem = the_problem(sub, tmp_path / "sub", "registration-not-literal")
    assert (problem["file"], problem["line"]) == ("models/my_net/__init__.py", 7)


def test_registration_into_another_plugin_types_registry(tmp_path, sub):
    folder = plugin(tmp_path / "sub")
    (folder / "__init__.py").write_text(INIT + "benchmark_registry['my_bench'] = None\n")
    problem = the_problem(sub, tmp_path / "sub", "wrong-registry")
    assert problem["line"] == 6 and "model_registry" in problem["message"]


def test_plugin_without_registration(tmp_path, sub):
    folder = plugin(tmp_path / "sub")
    (folder / "__init__.py").write_text("# model_registry['my_net'] = None\n")
    problem = the_problem(sub, tmp_path / "sub", "missing-registration")
    assert (problem["file"], problem["line"]) == ("models/my_net/__init__.py", None)


def test_test_py_loading_another_identifier(tmp_path, sub):
    folder = plugin(tmp_path / "sub")
    (folder / "test.py").write_text(TEST.replace("'my_net'", "'my_network'"))
    problem = the_problem(sub, tmp_path / "sub", "test-identifier-mismatch")
    assert (problem["file"], problem["line"]) == ("models/my_net/test.py", 5)
    assert "'my_network'" in problem["message"] and "'my_net'" in problem["message"]


def test_parametrized_test_identifier_is_read(tmp_path, sub):
    folder = plugin(tmp_path / "sub")
    (folder / "test.py").write_text(
        "import pytest\nfrom brainscore_vision import score\n\n\n"
        "@pytest.mark.parametrize('model_identifier, benchmark_identifier', [\n"
        "    ('my_net', 'MajajHong2015.IT-pls'),\n"
        "    pytest.param('my_net_typo', 'MajajHong2015.V4-pls', marks=[]),\n"
        "])\n"
        "def test_score(model_identifier, benchmark_identifier):\n"
        "    score(model_identifier=model_identifier, benchmark_identifier=benchmark_identifier)\n"
    )
    problem = the_problem(sub, tmp_path / "sub", "test-identifier-mismatch")
    assert problem["line"] == 7 and "'my_net_typo'" in problem["message"]


@pytest.mark.parametrize("line", ["torch>=>2", "-r other.txt", "numpy=1.2"])
def test_requirement_pip_cannot_read(line, tmp_path, sub):
    folder = plugin(tmp_path / "sub")
    (folder / "requirements.txt").write_text(f"numpy\n{line}\n")
    problem = the_problem(sub, tmp_path / "sub", "invalid-requirement")
    assert (problem["file"], problem["line"]) == ("models/my_net/requirements.txt", 2)
    assert repr(line) in problem["message"]


@pytest.mark.parametrize("name", ["my-net", "_my_net"])
def test_plugin_folder_brainscore_cannot_import(name, tmp_path, sub):
    plugin(tmp_path / "sub", name=name)
    problem = the_problem(sub, tmp_path / "sub", "invalid-plugin-folder-name")
    assert problem["file"] == f"models/{name}/" and "'my_net'" in problem["message"]


def test_huge_source_file_is_named_not_read(tmp_path, sub):
    folder = plugin(tmp_path / "sub")
    (folder / "weights.py").write_bytes(b"W = [" + b"0," * (3 * 2**20) + b"]\n")
    problem = the_problem(sub, tmp_path / "sub", "file-too-large")
    assert problem["file"] == "models/my_net/weights.py"


def test_validate_executes_nothing_of_a_plugin(tmp_path, sub):
    folder = plugin(tmp_path / "sub")
    marker = tmp_path / "executed"
    code = f"\nimport pathlib\npathlib.Path({str(marker)!r}).touch()\n"
    for name in ("__init__.py", "model.py", "test.py"):
        with open(folder / name, "a") as file:
            file.write(code)
    status, data = sub.report("validate", tmp_path / "sub")
    assert not marker.exists()
    assert status == 1 and set(sub.codes(data)) == {"absolute-path"}  # seen, not run
