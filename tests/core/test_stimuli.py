"""StimulusSet: loading from files, and metadata surviving pandas operations."""

from __future__ import annotations

import pandas as pd
import pytest

from brainio.errors import FormatError
from brainio.stimuli import StimulusSet


@pytest.fixture
def stimulus_files(tmp_path):
    """Ten stimulus files in a nested folder plus one extra file no row references."""
    folder = tmp_path / "stimuli"
    (folder / "sub").mkdir(parents=True)
    rows = []
    for i in range(10):
        name = f"sub/n{i}.png" if i % 2 else f"n{i}.png"
        (folder / name).write_bytes(b"\x89PNG fake " + bytes([i]))
        rows.append({"stimulus_id": f"n{i}", "filename": name, "thing": f"foo{i}"})
    (folder / "README.txt").write_text("not a stimulus")
    csv = tmp_path / "stimuli.csv"
    pd.DataFrame(rows).to_csv(csv, index=False)
    return csv, folder


def test_from_files(stimulus_files):
    csv, folder = stimulus_files
    stimuli = StimulusSet.from_files(csv, folder)
    assert len(stimuli) == 10
    assert list(stimuli.columns) == ["stimulus_id", "filename", "thing"]
    assert stimuli.get_stimulus("n3") == folder / "sub" / "n3.png"
    assert all(path.is_file() for path in stimuli.stimulus_paths.values())


def test_metadata_survives_slicing_copy_concat_and_merge(stimulus_files):
    csv, folder = stimulus_files
    stimuli = StimulusSet.from_files(csv, folder)
    stimuli.identifier = "test.ten"
    part = stimuli[stimuli["thing"].isin(["foo1", "foo2"])]
    assert isinstance(part, StimulusSet)
    assert part.identifier == "test.ten"
    assert part.get_stimulus("n1") == folder / "sub" / "n1.png"
    copied = stimuli.copy()
    assert copied.get_stimulus("n0") == folder / "n0.png" and copied.identifier == "test.ten"

    other = StimulusSet({"stimulus_id": ["m0"], "filename": ["m0.png"], "thing": ["bar"]})
    other.stimulus_paths = {"m0": folder / "m0.png"}
    other.identifier = "test.other"
    joined = pd.concat([stimuli, other], ignore_index=True)
    assert isinstance(joined, StimulusSet)
    assert len(joined) == 11
    assert joined.get_stimulus("m0") == folder / "m0.png"
    assert joined.get_stimulus("n9") == folder / "sub" / "n9.png"
    assert joined.identifier is None  # two different identifiers: none is right

    extra = pd.DataFrame({"stimulus_id": ["n1", "n2"], "label": ["a", "b"]})
    merged = stimuli.merge(extra, on="stimulus_id")
    assert isinstance(merged, StimulusSet)
    assert merged.get_stimulus("n2") == folder / "n2.png"
    assert merged.identifier == "test.ten"


def test_unknown_stimulus_id(stimulus_files):
    stimuli = StimulusSet.from_files(*stimulus_files)
    with pytest.raises(KeyError, match="No file for stimulus 'zzz'"):
        stimuli.get_stimulus("zzz")


def test_missing_stimulus_file_names_it(stimulus_files):
    csv, folder = stimulus_files
    (folder / "sub" / "n5.png").unlink()
    with pytest.raises(FormatError, match=r"1 of 10 stimulus files are missing .*n5 \(n5.png\)"):
        StimulusSet.from_files(csv, folder)


def test_legacy_image_id_column(tmp_path):
    (tmp_path / "a.png").write_bytes(b"x")
    csv = tmp_path / "s.csv"
    csv.write_text("image_id,filename\na,a.png\n")
    stimuli = StimulusSet.from_files(csv, tmp_path)
    assert list(stimuli["stimulus_id"]) == ["a"]
    assert stimuli.get_stimulus("a") == tmp_path / "a.png"


def test_duplicate_ids_and_missing_columns(tmp_path):
    (tmp_path / "a.png").write_bytes(b"x")
    duplicated = tmp_path / "dup.csv"
    duplicated.write_text("stimulus_id,filename\na,a.png\na,a.png\n")
    with pytest.raises(FormatError, match="stimulus_id values repeat .*: a"):
        StimulusSet.from_files(duplicated, tmp_path)
    no_id = tmp_path / "noid.csv"
    no_id.write_text("name,filename\na,a.png\n")
    with pytest.raises(FormatError, match="no 'stimulus_id' column"):
        StimulusSet.from_files(no_id, tmp_path)
    no_filename = tmp_path / "nofile.csv"
    no_filename.write_text("stimulus_id,thing\na,x\n")
    with pytest.raises(FormatError, match="no 'filename' column"):
        StimulusSet.from_files(no_filename, tmp_path)


def test_unreadable_csv(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"")
    with pytest.raises(FormatError, match="bad.csv is not a readable CSV"):
        StimulusSet.from_files(bad, tmp_path)
