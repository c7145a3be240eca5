"""Extracted stimuli are verified: a changed file is never served, `cache verify` repairs it."""

from __future__ import annotations

import json
import os

from fault_tools import brainio, python, stimulus_catalog, zip_bytes

IMAGES = {"a.png": b"A" * 100, "sub/b.png": b"B" * 100}
CSV = b"stimulus_id,filename\na,a.png\nb,sub/b.png\n"
READ_B = """
    import brainio
    stimuli = brainio.get_stimulus_set("lab.stim")
    print(stimuli.get_stimulus("b").read_bytes().decode())
"""


def _install(install_catalog):
    lookup, files = stimulus_catalog("lab.stim", CSV, zip_bytes(IMAGES))
    env, _ = install_catalog("lab", lookup, files)
    return env


def _extracted(brainio_home):
    [folder] = [path for path in brainio_home.rglob("stimulus_lab.stim") if path.is_dir()]
    return folder


def test_changed_extracted_file_is_extracted_again_on_load(install_catalog, brainio_home):
    env = _install(install_catalog)
    assert python(READ_B, env=env).stdout.strip() == "B" * 100
    changed = _extracted(brainio_home) / "sub" / "b.png"
    changed.write_bytes(b"X" * 100)  # same size, new mtime

    loaded = python(READ_B, env=env)

    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "B" * 100
    assert "was changed after extraction; extracting" in loaded.stderr


def test_cache_verify_rehashes_extracted_files_and_repairs_them(install_catalog, brainio_home):
    env = _install(install_catalog)
    assert python(READ_B, env=env).returncode == 0
    changed = _extracted(brainio_home) / "sub" / "b.png"
    stat = changed.stat()
    changed.write_bytes(b"X" * 100)  # same size and, below, same mtime: only hashing sees it
    os.utime(changed, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    (_extracted(brainio_home) / "stray.txt").write_text("not from the zip")

    verify = brainio("cache", "verify", "--json", env=env)

    assert verify.returncode == 1, verify.stderr
    report = json.loads(verify.stdout)
    [problem] = report["problems"]
    assert problem["path"] == str(_extracted(brainio_home))
    assert (
        "'sub/b.png' differs from the copy in stimulus_lab.stim.zip; extracted again"
        in (problem["message"])
    )
    assert report["checked"] == 2 + 2  # the CSV and the zip, a.png and sub/b.png
    assert changed.read_bytes() == b"B" * 100
    assert not (_extracted(brainio_home) / "stray.txt").exists()
    again = brainio("cache", "verify", "--json", env=env)
    assert again.returncode == 0 and json.loads(again.stdout)["checked"] == 2 + 2
