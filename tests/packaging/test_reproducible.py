"""The same stimuli and metadata give the same ZIP and CSV bytes, in any process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zipfile

import pandas as pd

from brainio.packaging import (
    ZIP_DATE_TIME,
    create_stimulus_csv,
    create_stimulus_zip,
    package_stimulus_set,
)
from brainio.stimuli import StimulusSet

_SCRIPT = """
import json, sys
from pathlib import Path
from brainio.packaging import package_stimulus_set
from brainio.stimuli import StimulusSet
folder, store = Path(sys.argv[1]), sys.argv[2]
ids = sorted(p.stem for p in folder.glob("*.png"))
proto = StimulusSet({"stimulus_id": ids, "zeta": range(len(ids)), "alpha": ["x"] * len(ids),
                     "mid": [0.1 * i for i in range(len(ids))]})
proto.stimulus_paths = {i: folder / f"{i}.png" for i in ids}
result = package_stimulus_set(None, proto, "lab.Repro2024", target=store)
print(json.dumps({"csv": result["csv_sha1"], "zip": result["zip_sha1"]}))
"""


def test_zip_and_csv_bytes_repeat(stimuli, tmp_path):
    first = create_stimulus_zip(stimuli, tmp_path / "a" / "s.zip")
    for path in stimuli.stimulus_paths.values():  # other timestamps must not matter
        os.utime(path, (time.time() - 86400, time.time() - 86400))
    shuffled = stimuli.iloc[::-1]
    second = create_stimulus_zip(shuffled, tmp_path / "b" / "s.zip")
    assert first[0] == second[0]
    assert (tmp_path / "a" / "s.zip").read_bytes() == (tmp_path / "b" / "s.zip").read_bytes()
    assert second[1] == [f"{sid}.png" for sid in shuffled["stimulus_id"]]  # in the rows' order

    assert create_stimulus_csv(stimuli, tmp_path / "a.csv") == create_stimulus_csv(
        stimuli.copy(), tmp_path / "b.csv"
    )


def test_zip_entries_sorted_with_fixed_metadata(stimuli, tmp_path):
    reordered = stimuli.iloc[[2, 0, 3, 1]]
    create_stimulus_zip(reordered, tmp_path / "s.zip")
    with zipfile.ZipFile(tmp_path / "s.zip") as archive:
        infos = archive.infolist()
        assert [info.filename for info in infos] == sorted(info.filename for info in infos)
        assert {info.date_time for info in infos} == {ZIP_DATE_TIME}
        assert {info.external_attr >> 16 for info in infos} == {0o100644}
        assert {info.compress_type for info in infos} == {zipfile.ZIP_STORED}
        assert archive.testzip() is None


def test_csv_column_order_is_fixed(tmp_path):
    proto = StimulusSet(
        {
            "zeta": [1],
            "stimulus_id": ["a"],
            "alpha": [2],
            "stimulus_path_within_store": ["a"],
            "stimulus_current_local_file_path": ["/x/a.png"],
        }
    )
    create_stimulus_csv(proto, tmp_path / "s.csv")
    assert (tmp_path / "s.csv").read_text() == "stimulus_id,zeta,alpha\na,1,2\n"


def test_same_sha1s_across_processes_and_hash_seeds(tmp_path, make_stimuli):
    folder = tmp_path / "stimuli"
    make_stimuli(folder, count=6)
    results = []
    for seed in ("0", "1", "12345"):
        run = subprocess.run(
            [sys.executable, "-c", _SCRIPT, str(folder), str(tmp_path / f"store{seed}")],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        assert run.returncode == 0, run.stderr
        results.append(json.loads(run.stdout.strip().splitlines()[-1]))
    assert results[0] == results[1] == results[2]
    table = pd.read_csv(tmp_path / "store0" / "stimulus_lab_Repro2024.csv")
    assert list(table.columns) == ["stimulus_id", "zeta", "alpha", "mid", "filename"]


def test_packaging_twice_gives_same_rows(stimuli, tmp_path):
    first = package_stimulus_set(None, stimuli, "lab.Test2024", target=tmp_path / "one")
    second = package_stimulus_set(None, stimuli, "lab.Test2024", target=tmp_path / "two")
    assert [r.sha1 for r in first.rows] == [r.sha1 for r in second.rows]


def test_zip_sha1_is_the_files_and_any_reader_opens_it(stimuli, tmp_path):
    from brainio.hashing import sha1_hash

    stimuli["stimulus_path_within_store"] = ["bild_ä", "sub/b", "c", "d"]
    sha1, names = create_stimulus_zip(stimuli, tmp_path / "s.zip")
    assert sha1 == sha1_hash(tmp_path / "s.zip")  # hashed while written, must match the file
    with zipfile.ZipFile(tmp_path / "s.zip") as archive:
        assert archive.testzip() is None
        assert archive.namelist() == sorted(names)
        assert archive.read("bild_ä.png") == stimuli.get_stimulus("s0").read_bytes()
        assert archive.getinfo("bild_ä.png").flag_bits & 0x800  # UTF-8 name flag


def test_large_stimuli_are_streamed_into_the_same_format(stimuli, tmp_path):
    """A stimulus above the streaming threshold (e.g. a video) is copied in pieces, with the
    same fixed timestamps and an archive any reader opens."""
    from brainio.packaging import _STREAM_ABOVE, create_stimulus_zip

    video = tmp_path / "video.mp4"
    with open(video, "wb") as file:
        file.truncate(_STREAM_ABOVE + 1)  # sparse: cheap to make
    proto = StimulusSet({"stimulus_id": ["v0", "n0"], "kind": ["video", "image"]})
    proto.stimulus_paths = {"v0": video, "n0": stimuli.stimulus_paths[stimuli["stimulus_id"][0]]}
    sha1, names = create_stimulus_zip(proto, tmp_path / "big.zip")
    assert names == ["v0.mp4", "n0.png"]
    with zipfile.ZipFile(tmp_path / "big.zip") as archive:
        assert archive.testzip() is None
        infos = {info.filename: info for info in archive.infolist()}
        assert infos["v0.mp4"].file_size == _STREAM_ABOVE + 1
        assert {info.date_time for info in infos.values()} == {ZIP_DATE_TIME}
    assert sha1 == create_stimulus_zip(proto, tmp_path / "again.zip")[0]
