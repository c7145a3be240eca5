"""Image stimulus sets: paths, images through Pillow, and the errors a user can meet."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from brainio import classes
from brainio.errors import FormatError, PluginMissingError
from brainio.plugins import find_stimulus_set_loader
from brainio.records import LookupRow
from brainio.stimuli import StimulusSet
from brainio_vision import ImageStimulusSet, MissingDependencyError
from brainio_vision.loading import load_stimulus_set
from brainio_vision.plugin import CATALOG_NAME


def image_set(folder: Path) -> tuple[Path, Path]:
    images = folder / "images"
    images.mkdir()
    Image.new("RGB", (4, 3), (10, 20, 30)).save(images / "a.png")
    (images / "b.png").write_bytes(b"not a png")
    csv_path = folder / "stimuli.csv"
    pd.DataFrame(
        {"stimulus_id": ["a", "b"], "filename": ["a.png", "b.png"], "label": ["x", "y"]}
    ).to_csv(csv_path, index=False)
    return csv_path, images


def row(identifier: str = "lab.Images2026") -> LookupRow:
    return LookupRow(
        identifier=identifier,
        lookup_type="stimulus_set",
        class_name="StimulusSet",
        location_type="S3",
        location="https://brainscore-storage.s3.amazonaws.com/x.csv",
        sha1="0" * 40,
        catalog=CATALOG_NAME,
        extra={"registry_key": "Images2026", "access": "public"},
    )


def test_the_plugin_loads_rows_of_its_catalog_only():
    assert find_stimulus_set_loader(row()) is load_stimulus_set
    other = LookupRow(
        identifier="x",
        lookup_type="stimulus_set",
        class_name="StimulusSet",
        location_type="local",
        location="x.csv",
        sha1="0" * 40,
        catalog="someone_else",
    )
    assert find_stimulus_set_loader(other) is not load_stimulus_set
    assert classes.resolve("ImageStimulusSet") is ImageStimulusSet  # catalogs may name it


def test_loader_makes_image_stimulus_sets_with_names(tmp_path: Path):
    csv_path, images = image_set(tmp_path)
    stimuli = load_stimulus_set(csv_path, images, cls=StimulusSet, row=row())
    assert type(stimuli) is ImageStimulusSet
    assert stimuli.registry_key == "Images2026"
    assert stimuli.attrs == {
        "registry_key": "Images2026",
        "storage_identifier": "lab.Images2026",
        "access": "public",
        "catalog": CATALOG_NAME,
    }
    assert stimuli.get_stimulus("a") == images / "a.png"
    image = stimuli.load_image("a")
    assert image.size == (4, 3) and image.getpixel((1, 1)) == (10, 20, 30)
    copied = pd.concat([stimuli, stimuli.copy()])  # names survive concat of equal sets
    assert type(copied) is ImageStimulusSet and copied.registry_key == "Images2026"


def test_vision_stimulus_set_needs_its_zip(tmp_path: Path):
    csv_path, _ = image_set(tmp_path)
    with pytest.raises(FormatError, match=r"'lab.Images2026' .* has no ZIP row"):
        load_stimulus_set(csv_path, None, cls=StimulusSet, row=row())


def test_a_file_that_is_no_image(tmp_path: Path):
    stimuli = ImageStimulusSet.from_files(*image_set(tmp_path))
    with pytest.raises(FormatError, match=r"Stimulus 'b' .*b.png is not an image Pillow can read"):
        stimuli.load_image("b")


def test_unknown_stimulus(tmp_path: Path):
    stimuli = ImageStimulusSet.from_files(*image_set(tmp_path))
    with pytest.raises(KeyError, match="No file for stimulus 'c'"):
        stimuli.load_image("c")


def test_missing_pillow_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    stimuli = ImageStimulusSet.from_files(*image_set(tmp_path))
    monkeypatch.setitem(sys.modules, "PIL", None)  # as if Pillow were not installed
    with pytest.raises(MissingDependencyError, match=r"pip install 'brainio-vision\[images\]'"):
        stimuli.load_image("a")
    assert stimuli.get_stimulus("a").is_file()  # paths work without Pillow
    assert issubclass(MissingDependencyError, PluginMissingError)
    assert issubclass(MissingDependencyError, ImportError)
