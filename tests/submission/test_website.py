"""`validate` agrees with the Brain-Score website's upload checks on plugin zips.

The plugin folders are written here after real plugins of brain-score/vision (a torchvision
model committed to layers, a neural benchmark); each case changes one thing, zips the root
folder, and asks both the website's checks (conftest's ``website_verdict``) and ``validate``.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

MODEL_INIT = """\
from brainscore_vision import model_registry
from brainscore_vision.model_helpers.brain_transformation import ModelCommitment
from .model import get_model, LAYERS

model_registry[{key}] = lambda: ModelCommitment(identifier={key}, activations_model=get_model(),
                                                 layers=LAYERS)
"""
MODEL_PY = """\
import functools

import torchvision.models
from brainscore_vision.model_helpers.activations.pytorch import PytorchWrapper
from brainscore_vision.model_helpers.activations.pytorch import load_preprocess_images

LAYERS = ['features.2', 'features.5', 'features.12', 'classifier.5']


def get_model():
    network = torchvision.models.alexnet(weights=None)
    preprocessing = functools.partial(load_preprocess_images, image_size=224)
    wrapper = PytorchWrapper(identifier={key}, model=network, preprocessing=preprocessing)
    wrapper.image_size = 224
    return wrapper
"""
MODEL_TEST = """\
import pytest
from pytest import approx

from brainscore_vision import score


@pytest.mark.private_access
@pytest.mark.parametrize("model_identifier, benchmark_identifier, expected_score", [
    ({key}, "MajajHong2015.IT-pls", approx(0.5, abs=0.01)),
])
def test_score(model_identifier, benchmark_identifier, expected_score):
    actual = score(model_identifier=model_identifier, benchmark_identifier=benchmark_identifier)
    assert actual == expected_score
"""
BENCHMARK_INIT = """\
from brainscore_vision import benchmark_registry
from .benchmark import ITPls

benchmark_registry['{identifier}'] = ITPls
"""
BENCHMARK_PY = """\
from brainscore_vision import load_ceiling, load_dataset, load_metric
from brainscore_vision.benchmark_helpers.neural_common import NeuralBenchmark


def ITPls():
    assembly = load_dataset('MajajHong2015.public').sel(region='IT')
    return NeuralBenchmark(identifier='{identifier}', version=1, assembly=assembly,
                           similarity_metric=load_metric('pls'), visual_degrees=8,
                           number_of_trials=50, ceiling_func=load_ceiling('internal_consistency'),
                           parent='IT')
"""
BENCHMARK_TEST = """\
from brainscore_vision import load_benchmark


def test_identifier():
    assert load_benchmark('{identifier}').identifier == '{identifier}'
"""


def model_plugin(
    root: Path, folder: str = "my_alexnet", identifier: str = "my_alexnet", quote: str = "'"
) -> Path:
    plugin = root / "models" / folder
    plugin.mkdir(parents=True)
    key = f"{quote}{identifier}{quote}"
    (plugin / "__init__.py").write_text(MODEL_INIT.format(key=key))
    (plugin / "model.py").write_text(MODEL_PY.format(key=key))
    (plugin / "test.py").write_text(MODEL_TEST.format(key=key))
    (plugin / "requirements.txt").write_text("torchvision\ntorch\n")
    return plugin


def benchmark_plugin(root: Path, identifier: str = "MyLab2026_IT_pls") -> Path:
    plugin = root / "benchmarks" / identifier.lower()
    plugin.mkdir(parents=True)
    (plugin / "__init__.py").write_text(BENCHMARK_INIT.format(identifier=identifier))
    (plugin / "benchmark.py").write_text(BENCHMARK_PY.format(identifier=identifier))
    (plugin / "test.py").write_text(BENCHMARK_TEST.format(identifier=identifier))
    return plugin


# Each case writes a submission under `root`; returns the code validate must report (None: ok).


def single_model_plugin(root):
    model_plugin(root)


def single_benchmark_plugin(root):
    benchmark_plugin(root)


def two_plugins(root):
    model_plugin(root, "net_a", "net_a")
    model_plugin(root, "net_b", "net_b")
    return "too-many-identifiers"


def three_identifiers(root):
    plugin = model_plugin(root)
    with open(plugin / "__init__.py", "a") as file:
        file.write(
            "model_registry['my_alexnet_seed1'] = lambda: None\n"
            "model_registry['my_alexnet_seed2'] = lambda: None\n"
        )
    return "too-many-identifiers"


def metadata_file(root):
    (model_plugin(root) / "metadata.yml").write_text("models:\n  my_alexnet: {}\n")
    return "metadata-file"


def missing_test_py(root):
    (model_plugin(root) / "test.py").unlink()
    return "missing-plugin-file"


def space_in_a_name(root):
    (model_plugin(root) / "my weights.json").write_text("{}")
    return "space-in-name"


def hyphen_in_identifier(root):
    model_plugin(root, identifier="my-alexnet")
    return "hyphen-in-identifier"


def models_folder_empty(root):
    (root / "models").mkdir(parents=True)
    (root / "models" / "README.md").write_text("my model\n")
    return "empty-plugin-folder"


def no_plugin_folder(root):
    (root / "my_alexnet").mkdir(parents=True)
    (root / "my_alexnet" / "__init__.py").write_text("model_registry['my_alexnet'] = None\n")
    return "no-plugin-folder"


CASES = [
    single_model_plugin,
    single_benchmark_plugin,
    two_plugins,
    three_identifiers,
    metadata_file,
    missing_test_py,
    space_in_a_name,
    hyphen_in_identifier,
    models_folder_empty,
    no_plugin_folder,
]


@pytest.mark.parametrize("case", CASES, ids=[case.__name__ for case in CASES])
def test_validate_agrees_with_the_website(case, tmp_path, sub):
    root = tmp_path / "my_submission"
    expected = case(root)
    archive = sub.zip_folder(root, tmp_path / "submission.zip")
    website = sub.website_verdict(archive)
    status, data = sub.validate(archive)
    assert (website is None) == (status == 0) == (expected is None), (website, data)
    if expected is not None:
        problem = sub.only_problem(data, expected)
        assert problem["website"] is True
        assert problem["website_message"]


def test_missing_folder_entries_agree(tmp_path, sub):
    root = tmp_path / "my_submission"
    model_plugin(root)
    archive = tmp_path / "no_folders.zip"
    with zipfile.ZipFile(archive, "w") as handle:  # files only, as `zip -rD` writes them
        for path in sorted(root.rglob("*")):
            if path.is_file():
                handle.write(path, f"my_submission/{path.relative_to(root).as_posix()}")
    # the website names its first entry, here a file, as the root folder
    assert sub.website_verdict(archive).startswith("Please make sure your my_submission/")
    status, data = sub.validate(archive)
    problem = sub.only_problem(data, "missing-folder-entries")
    assert (status, problem["file"], problem["line"]) == (1, "my_submission/models/", None)
    assert problem["website_message"].startswith("Please make sure your my_submission/ folder")
    assert len(data["problems"]) == 1


def test_zip_made_with_zip_r_is_accepted_and_zip_rD_is_not(tmp_path, sub):
    root = tmp_path / "my_submission"
    model_plugin(root)
    with_entries = sub.zip_with_zip_tool(root, tmp_path / "with.zip")
    without = sub.zip_with_zip_tool(root, tmp_path / "without.zip", "-D")
    assert sub.website_verdict(with_entries) is None and sub.validate(with_entries)[0] == 0
    assert sub.website_verdict(without) is not None
    assert sub.codes(sub.validate(without)[1]) == ["missing-folder-entries"]


def test_hyphen_in_double_quotes_is_refused_although_the_website_misses_it(tmp_path, sub):
    root = tmp_path / "my_submission"
    init = model_plugin(root, identifier="my-alexnet", quote='"') / "__init__.py"
    archive = sub.zip_folder(root, tmp_path / "submission.zip")
    assert sub.website_verdict(archive) is None  # its pattern sees single quotes only
    status, data = sub.validate(archive)
    problem = sub.only_problem(data, "hyphen-in-identifier")
    assert (status, problem["line"]) == (1, sub.line_of(init, "model_registry["))
    assert "'my_alexnet'" in problem["message"]  # what to use instead


def test_a_space_in_a_folder_is_reported_once_even_without_folder_entries(tmp_path, sub):
    root = tmp_path / "my_submission"
    plugin = model_plugin(root)
    (plugin / "my weights").mkdir()
    for name in ("a.json", "b.json"):
        (plugin / "my weights" / name).write_text("{}")
    for archive in (
        sub.zip_folder(root, tmp_path / "entries.zip"),
        sub.zip_with_zip_tool(root, tmp_path / "files_only.zip", "-D"),
    ):
        problem = sub.only_problem(sub.validate(archive)[1], "space-in-name")
        assert problem["file"] == "my_submission/models/my_alexnet/my weights/"


def test_two_identifiers_are_located_at_the_second(tmp_path, sub):
    root = tmp_path / "my_submission"
    model_plugin(root, "net_a", "net_a")
    model_plugin(root, "net_b", "net_b")
    status, data = sub.validate(root)
    problem = sub.only_problem(data, "too-many-identifiers")
    assert (problem["file"], problem["line"]) == ("models/net_b/__init__.py", 5)
    assert "'net_a', 'net_b'" in problem["message"]


def test_json_report_keeps_its_schema_and_marks_website_rules(tmp_path, sub):
    root = tmp_path / "my_submission"
    plugin = model_plugin(root)
    (plugin / "metadata.yaml").write_text("{}\n")
    (plugin / "model.py").write_text("x = 1\nfrom __future__ import annotations\n")
    status, data = sub.report("validate", sub.zip_folder(root, tmp_path / "s.zip"))
    assert status == 1
    assert set(data) == {"path", "layout", "ok", "problems", "run", "not_run"}
    assert (data["layout"], data["ok"], data["run"]) == ("plugin", False, None)
    by_code = {problem["code"]: problem for problem in data["problems"]}
    assert set(by_code) == {"metadata-file", "syntax-error"}
    for problem in by_code.values():
        assert set(problem) == {
            "code",
            "message",
            "file",
            "line",
            "model",
            "layer",
            "website",
            "website_message",
        }
    assert by_code["metadata-file"]["website"] is True
    assert by_code["syntax-error"]["website"] is False
    assert by_code["syntax-error"]["website_message"] is None
    assert (by_code["syntax-error"]["file"], by_code["syntax-error"]["line"]) == (
        "my_submission/models/my_alexnet/model.py",
        2,
    )


def test_text_report_puts_the_website_wording_next_to_ours(tmp_path, sub):
    root = tmp_path / "my_submission"
    (model_plugin(root) / "test.py").unlink()
    result = sub.run_cli("validate", root)
    assert result.returncode == 1
    assert "Brain-Score plugin layout" in result.stdout
    assert (
        "models/my_alexnet/test.py: missing-plugin-file: Plugin folder models/my_alexnet/ "
        "needs test.py"
    ) in result.stdout
    assert (
        "Brain-Score website: Your my_alexnet folder must contain an __init__.py and a "
        "test.py folder."
    ) in result.stdout
