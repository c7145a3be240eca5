"""A read-only cache serves what it holds and names the folder and BRAINIO_HOME otherwise."""

from __future__ import annotations

import pytest
from fault_tools import (
    brainio,
    cache_leftovers,
    one_line_error,
    python,
    stimulus_catalog,
    zip_bytes,
)

FETCH_ONLY = """
    from brainio import lookup
    from brainio.cache import get_cache
    for row in lookup.lookup_stimulus_set("lab.stim"):
        get_cache().fetch(row.source)
"""


@pytest.fixture
def fetched_not_extracted(install_catalog, brainio_home):
    """A cache holding a stimulus set's CSV and zip, verified, but not yet extracted."""
    csv = b"stimulus_id,filename\na,a.png\n"
    lookup, files = stimulus_catalog("lab.stim", csv, zip_bytes({"a.png": b"A"}))
    env, _ = install_catalog("lab", lookup, files)
    fetched = python(FETCH_ONLY, env=env)
    assert fetched.returncode == 0, fetched.stderr
    return env


def _unchanged(home, before):
    return sorted(home.rglob("*")) == before and cache_leftovers(home) == []


def test_zip_not_yet_extracted_in_read_only_cache(fetched_not_extracted, brainio_home, mounts_work):
    before = sorted(brainio_home.rglob("*"))

    got = brainio("get", "lab.stim", env=fetched_not_extracted, read_only=[brainio_home])

    message = one_line_error(got, "ReadOnlyCacheError")
    assert f"Cannot write to {brainio_home}/objects/" in message
    assert "while extracting stimulus_lab.stim.zip: Read-only file system" in message
    assert f"Set BRAINIO_HOME (now {brainio_home})" in message
    assert _unchanged(brainio_home, before)
    assert brainio("get", "lab.stim", env=fetched_not_extracted).returncode == 0  # writable


@pytest.mark.parametrize(
    ("command", "doing"),
    [(["verify"], "verifying the cache"), (["clean", "--all", "--yes"], "cleaning the cache")],
)
def test_cache_commands_on_a_read_only_cache(
    command, doing, fetched_not_extracted, brainio_home, mounts_work
):
    before = sorted(brainio_home.rglob("*"))

    got = brainio("cache", *command, env=fetched_not_extracted, read_only=[brainio_home])

    message = one_line_error(got, "ReadOnlyCacheError")
    assert f"while {doing}: Read-only file system" in message and "BRAINIO_HOME" in message
    assert _unchanged(brainio_home, before)


def test_warm_loads_from_a_read_only_cache(brainio_home, mounts_work):
    assert brainio("get", "demo.Shapes2026").returncode == 0

    got = brainio("get", "demo.Shapes2026", read_only=[brainio_home])

    assert got.returncode == 0, got.stderr
    assert "NeuronRecordingAssembly 'demo.Shapes2026'" in got.stdout


def test_unzip_in_a_read_only_folder_outside_the_cache(tmp_path, mounts_work):
    folder = tmp_path / "shared"
    folder.mkdir()
    (folder / "stimuli.zip").write_bytes(zip_bytes({"a.png": b"A"}))

    got = python(
        f"""
        from brainio.errors import ReadOnlyCacheError
        from brainio.fetch import unzip
        try:
            unzip({str(folder / "stimuli.zip")!r})
        except ReadOnlyCacheError as error:
            print(error)
        """,
        read_only=[folder],
    )

    assert got.returncode == 0, got.stderr
    assert f"Cannot write to {folder}/.stimuli.zip.lock while extracting stimuli.zip" in (
        got.stdout
    )
    assert sorted(path.name for path in folder.iterdir()) == ["stimuli.zip"]
