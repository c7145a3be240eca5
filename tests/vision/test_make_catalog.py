"""The vision catalog script (``make_vision_catalog.py``): facts to catalog, and every unusual
fact handled on purpose."""

from __future__ import annotations

import hashlib
import logging
import random
import subprocess
import sys
from pathlib import Path

import make_vision_catalog as make_catalog
import pytest
from brainscore_catalog import write_facts as write

from brainio.catalogs import Catalog
from brainio.errors import CatalogError

FOLDER = "brainio-brainscore"


def sha1_of(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def stimulus_set(key: str, identifier: str | None = None, **changes: str) -> list[dict]:
    identifier = identifier or key
    rows = []
    for extension, cls in (("csv", "StimulusSet"), ("zip", "")):
        name = f"stimulus_{identifier.replace('.', '_')}.{extension}"
        rows.append(
            {
                "registry_key": key,
                "lookup_type": "stimulus_set",
                "identifier": identifier,
                "class": cls,
                "bucket": "brainscore-storage",
                "key": f"{FOLDER}/{name}",
                "version_id": "null",
                "sha1": sha1_of(name),
                "stimulus_set_registry_key": "",
                "plugin": "lab2026",
                **changes,
            }
        )
    return rows


def assembly(key: str, identifier: str, stimuli: str = "", **changes: str) -> dict:
    name = f"assy_{identifier.replace('.', '_')}.nc"
    return {
        "registry_key": key,
        "lookup_type": "assembly",
        "identifier": identifier,
        "class": "NeuronRecordingAssembly",
        "bucket": "brainscore-storage",
        "key": f"{FOLDER}/{name}",
        "version_id": "null",
        "sha1": sha1_of(name),
        "stimulus_set_registry_key": stimuli,
        "plugin": "lab2026",
        **changes,
    }


def example() -> list[dict]:
    return [
        *stimulus_set("lab-public"),
        *stimulus_set("lab-private"),
        *stimulus_set("lab"),
        *stimulus_set("Other2026", "other.Other2026"),
        assembly("Lab2026.public", "lab.Lab2026.public", "lab-public"),
        assembly("Lab2026.private", "lab.Lab2026.private", "lab-private"),
        assembly("Lab2026", "lab.Lab2026", "lab"),
        assembly("Lab2026.subset", "lab.Lab2026.subset", "lab"),
        assembly("Other2026", "other.Other2026", "Other2026"),
    ]


def build(rows: list[dict], tmp_path: Path) -> make_catalog.Report:
    return make_catalog.build_catalog(make_catalog.read_facts(write(rows, tmp_path / "f.csv")))


def by_key(report: make_catalog.Report) -> dict[tuple[str, str], dict]:
    return {(r["lookup_type"], r["registry_key"]): r for r in report.rows if r["class"]}


def test_rows_map_the_facts(tmp_path: Path):
    report = build(example(), tmp_path)
    assert len(report.rows) == 4 * 2 + 5
    row = by_key(report)["assembly", "Other2026"]
    assert row == {
        "identifier": "other.Other2026",
        "lookup_type": "assembly",
        "class": "NeuronRecordingAssembly",
        "location_type": "S3",
        "location": "https://brainscore-storage.s3.amazonaws.com/"
        "brainio-brainscore/assy_other_Other2026.nc",
        "sha1": sha1_of("assy_other_Other2026.nc"),
        "stimulus_set_identifier": "other.Other2026",  # registry key resolved to identifier
        "version_id": "null",
        "registry_key": "Other2026",
        "access": "public",
    }
    assert report.notes == []


def test_access_rules(tmp_path: Path):
    access = {key: row["access"] for key, row in by_key(build(example(), tmp_path)).items()}
    assert access == {
        ("stimulus_set", "lab-public"): "public",
        ("stimulus_set", "lab-private"): "private",  # held out
        ("stimulus_set", "lab"): "private",  # has a -private part
        ("stimulus_set", "Other2026"): "public",
        ("assembly", "Lab2026.public"): "public",
        ("assembly", "Lab2026.private"): "private",
        ("assembly", "Lab2026"): "private",  # has a .private part
        ("assembly", "Lab2026.subset"): "private",  # recorded on private stimuli
        ("assembly", "Other2026"): "public",
    }


def test_output_is_deterministic_and_sorted(tmp_path: Path):
    rows = example()
    make_catalog.make_catalog(write(rows, tmp_path / "a.csv"), tmp_path / "a_lookup.csv")
    random.Random(1).shuffle(rows)
    make_catalog.make_catalog(write(rows, tmp_path / "b.csv"), tmp_path / "b_lookup.csv")
    first = (tmp_path / "a_lookup.csv").read_bytes()
    assert first == (tmp_path / "b_lookup.csv").read_bytes()
    kinds = [line.split(",")[1] for line in first.decode().splitlines()[1:]]
    assert kinds == sorted(kinds, key=lambda kind: kind != "stimulus_set")
    Catalog.from_files("test", tmp_path / "a_lookup.csv")  # and a valid catalog


def test_inactive_plugins_are_left_out(tmp_path: Path):
    rows = [*example(), assembly("Zhang2018", "klab.Zhang2018", "", plugin="zhang2018")]
    report = build(rows, tmp_path)
    assert "Zhang2018" not in {r["registry_key"] for r in report.rows}
    assert any("left out 1 row(s) of plugin zhang2018" in note for note in report.notes)


def test_unresolved_stimulus_set_is_left_empty_and_reported(tmp_path: Path):
    rows = [*example(), assembly("Laion2026", "Laion2026_Assembly", "Laion2026_stim")]
    report = build(rows, tmp_path)
    assert by_key(report)["assembly", "Laion2026"]["stimulus_set_identifier"] == ""
    assert by_key(report)["assembly", "Laion2026"]["access"] == "public"
    assert any("stimulus set 'Laion2026_stim' of 1 assemblies" in n for n in report.notes)


def test_repeated_rows_are_kept_once_and_shared_sha1s_reported(tmp_path: Path):
    rows = example()
    rows.append(dict(rows[-1], plugin="copy"))
    rows[2]["sha1"] = rows[0]["sha1"]  # lab-private.csv promises lab-public.csv's hash
    report = build(rows, tmp_path)
    assert len(report.rows) == 13
    assert any(f"line {len(rows) + 1} repeats line {len(rows)}" in n for n in report.notes)
    assert any(
        f"sha1 {rows[0]['sha1']} is promised by 2 different files" in n for n in report.notes
    )


def test_upper_case_sha1_is_written_in_lower_case(tmp_path: Path):
    rows = example()
    rows[0]["sha1"] = rows[0]["sha1"].upper()
    report = build(rows, tmp_path)
    assert by_key(report)["stimulus_set", "lab-public"]["sha1"] == rows[0]["sha1"].lower()
    assert any("line 2: sha1 of 'lab-public' written in lower case" in n for n in report.notes)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda rows: rows[0].update(sha1="13d28ca0ce88"),
            r"line 2: 'lab-public' has sha1 '13d28ca0ce88'; expected 40 hexadecimal digits",
        ),
        (
            lambda rows: rows[-1].update(key=f"{FOLDER}/assy_Other2026.nc"),
            r"line 14: 'Other2026' has key .* breaks the naming rule: .* 'assy_other_Other2026.nc'",
        ),
        (
            lambda rows: rows.append(dict(rows[-1], sha1=sha1_of("other"))),
            r"lines 14 and 15 both describe the .nc file of assembly 'other.Other2026' but differ",
        ),
        (
            lambda rows: rows.append(assembly("Other2026", "other.Other2026.v2")),
            r"assembly registry key 'Other2026' names several identifiers",
        ),
        (lambda rows: rows.pop(1), r"stimulus set 'lab-public' has no .zip row"),
        (
            lambda rows: rows[0].update(lookup_type="image"),
            r"line 2: 'lab-public' has lookup_type 'image'",
        ),
        (
            lambda rows: rows[-1].update({"class": ""}),
            r"'Other2026' is an assembly without a class",
        ),
        (
            lambda rows: rows[0].update(bucket="brainscore-storage/brainio-brainscore"),
            r"has bucket 'brainscore-storage/brainio-brainscore'; expected a bucket name",
        ),
    ],
)
def test_unusable_facts_are_refused_by_line(tmp_path: Path, change, message):
    rows = example()
    change(rows)
    output = tmp_path / "lookup.csv"
    output.write_text("previous catalog\n")
    with pytest.raises(CatalogError, match=message):
        make_catalog.make_catalog(write(rows, tmp_path / "facts.csv"), output)
    assert output.read_text() == "previous catalog\n"  # nothing half-written
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_every_problem_is_listed_at_once(tmp_path: Path):
    rows = example()
    rows[0]["sha1"] = "x"
    rows[2]["sha1"] = "y"
    with pytest.raises(CatalogError) as info:
        build(rows, tmp_path)
    assert "line 2:" in str(info.value) and "line 4:" in str(info.value)


def test_bad_facts_files(tmp_path: Path):
    with pytest.raises(CatalogError, match=r"does not exist"):
        make_catalog.read_facts(tmp_path / "missing.csv")
    (tmp_path / "short.csv").write_text("registry_key,identifier\nA,a\n")
    with pytest.raises(CatalogError, match=r"lacks the column\(s\) lookup_type, class"):
        make_catalog.read_facts(tmp_path / "short.csv")


def test_main_writes_the_catalog_and_reports(tmp_path: Path, caplog):
    facts = write([*example(), assembly("Z", "klab.Z", plugin="zhang2018")], tmp_path / "f.csv")
    caplog.set_level(logging.INFO, logger="make_vision_catalog")
    assert make_catalog.main([str(facts), "--output", str(tmp_path / "lookup.csv")]) == 0
    assert "wrote 13 rows" in caplog.text and "left out 1 row(s)" in caplog.text
    assert Catalog.from_files("test", tmp_path / "lookup.csv").shape[0] == 13
    bad = example()
    bad[0]["sha1"] = "bad"
    assert (
        make_catalog.main([str(write(bad, tmp_path / "bad.csv")), "-o", str(tmp_path / "x")]) == 1
    )
    assert "expected 40 hexadecimal digits" in caplog.text
    assert not (tmp_path / "x").exists()


def test_runs_as_a_script(tmp_path: Path):
    facts = write(example(), tmp_path / "f.csv")
    result = subprocess.run(
        [
            sys.executable,
            str(make_catalog.__file__),
            str(facts),
            "-o",
            str(tmp_path / "lookup.csv"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "wrote 13 rows" in result.stderr
    assert (tmp_path / "lookup.csv").read_text().startswith("identifier,lookup_type,class,")
