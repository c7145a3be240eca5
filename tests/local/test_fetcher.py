"""The local fetcher: absolute paths, paths relative to the catalog, and file:// URLs."""

from __future__ import annotations

from pathlib import Path

import pytest

from brainio.errors import FetchError
from brainio.plugins import get_plugin_manager
from brainio.records import Source
from brainio_local import plugin
from brainio_local.fetcher import fetch_local, file_url_to_path, resolve_location

CONTENT = b"stimulus_id,filename\ns1,s1.png\n"


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "stimulus_lab_set.csv"
    path.parent.mkdir()
    path.write_bytes(CONTENT)
    return path


def fetched(source: Source, tmp_path: Path) -> bytes:
    destination = tmp_path / "cache" / "download.tmp"
    destination.parent.mkdir(exist_ok=True)
    fetch_local(source, destination)
    return destination.read_bytes()


def test_absolute_path(data_file: Path, tmp_path: Path) -> None:
    assert fetched(Source("local", str(data_file)), tmp_path) == CONTENT


def test_path_relative_to_catalog_folder(data_file: Path, tmp_path: Path) -> None:
    source = Source("local", "data/stimulus_lab_set.csv", base_dir=tmp_path)
    assert resolve_location(source) == data_file
    assert fetched(source, tmp_path) == CONTENT


def test_relative_path_may_leave_the_catalog_folder(data_file: Path, tmp_path: Path) -> None:
    catalog_dir = tmp_path / "catalog"
    catalog_dir.mkdir()
    source = Source("local", "../data/stimulus_lab_set.csv", base_dir=catalog_dir)
    assert fetched(source, tmp_path) == CONTENT


def test_relative_path_without_catalog_uses_current_folder(
    data_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(data_file.parent)
    assert fetched(Source("local", data_file.name), tmp_path) == CONTENT


@pytest.mark.parametrize("name", ["with space.csv", "percent 100%.csv", "ümlaut#hash.csv"])
def test_file_url_is_percent_decoded(tmp_path: Path, name: str) -> None:
    folder = tmp_path / "my data"
    folder.mkdir()
    path = folder / name
    path.write_bytes(CONTENT)
    url = path.as_uri()
    assert "%20" in url  # the space in the folder name is encoded
    assert file_url_to_path(url) == path
    assert fetched(Source("local", url), tmp_path) == CONTENT
    # location_type is irrelevant for file:// URLs, and localhost is the local machine
    localhost_url = url.replace("file://", "file://localhost", 1)
    assert fetched(Source("S3", localhost_url), tmp_path) == CONTENT


def test_relative_file_url_resolves_against_catalog(data_file: Path, tmp_path: Path) -> None:
    source = Source("local", "file:data/stimulus_lab_set.csv", base_dir=tmp_path)
    assert fetched(source, tmp_path) == CONTENT


def test_missing_file_names_location_path_and_fix(tmp_path: Path) -> None:
    source = Source("local", "assy_lab_Missing2024.nc", base_dir=tmp_path)
    with pytest.raises(FetchError, match="Missing2024") as raised:
        fetched(source, tmp_path)
    message = str(raised.value)
    assert str(tmp_path / "assy_lab_Missing2024.nc") in message
    assert "catalog's folder" in message and "location" in message and "Restore" in message
    assert not (tmp_path / "cache" / "download.tmp").exists()


def test_missing_file_url(tmp_path: Path) -> None:
    url = (tmp_path / "gone away.nc").as_uri()
    with pytest.raises(FetchError, match=f"'{url}' not found: {tmp_path}/gone away.nc"):
        fetched(Source("local", url), tmp_path)


def test_folder_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="not a regular file"):
        fetched(Source("local", str(tmp_path)), tmp_path)


def test_file_url_of_another_host_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="names the host 'fileserver'"):
        fetched(Source("local", "file://fileserver/share/x.nc"), tmp_path)


@pytest.mark.parametrize(
    ("location_type", "location", "expected"),
    [
        ("local", "x.nc", True),
        ("LOCAL", "/abs/x.nc", True),
        (" Local ", "x.nc", True),
        ("S3", "file:///abs/x.nc", True),
        ("S3", "FILE:///abs/x.nc", True),
        ("S3", "https://bucket.s3.amazonaws.com/x.nc", False),
        ("http", "https://example.org/x.nc", False),
    ],
)
def test_hook_chooses_local_fetcher(location_type: str, location: str, expected: bool) -> None:
    chosen = plugin.brainio_fetcher(location_type=location_type, location=location)
    assert (chosen is fetch_local) is expected


def test_plugin_is_registered_through_its_entry_point() -> None:
    hook = get_plugin_manager().hook
    assert hook.brainio_fetcher(location_type="Local", location="x.nc") is fetch_local


def test_cache_fetches_relative_location_through_the_plugin(
    data_file: Path, tmp_path: Path
) -> None:
    import hashlib

    from brainio.cache import get_cache
    from brainio.errors import IntegrityError

    sha1 = hashlib.sha1(CONTENT).hexdigest()
    source = Source("local", "data/stimulus_lab_set.csv", sha1=sha1, base_dir=tmp_path)
    cached = get_cache().fetch(source, progress=False)
    assert cached.read_bytes() == CONTENT and cached != data_file

    # a local file edited after it was catalogued is caught like a corrupt download
    data_file.write_bytes(b"edited")
    changed = Source("local", str(data_file), sha1="0" * 40)
    with pytest.raises(IntegrityError, match="stimulus_lab_set.csv"):
        get_cache().fetch(changed, progress=False)
    assert not get_cache().path_for(changed).exists()
