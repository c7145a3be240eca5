"""The folder store: an uploader that copies packaged files into a folder, atomically."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from brainio.errors import PackagingError
from brainio.plugins import get_plugin_manager
from brainio.records import Source, StoredObject
from brainio_local import plugin
from brainio_local.fetcher import fetch_local
from brainio_local.store import FolderStore


@pytest.fixture
def package(tmp_path: Path) -> Path:
    path = tmp_path / "package" / "assy_lab_Name2024.nc"
    path.parent.mkdir()
    path.write_bytes(b"netcdf bytes" * 100)
    return path


@pytest.fixture
def store_root(tmp_path: Path) -> Path:
    return tmp_path / "my store"


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


def test_copy_returns_a_fetchable_file_url(package: Path, store_root: Path, tmp_path: Path) -> None:
    stored = FolderStore(store_root)(package, "lab/assy_lab_Name2024.nc")
    target = store_root / "lab" / "assy_lab_Name2024.nc"
    assert target.read_bytes() == package.read_bytes()
    assert stored == StoredObject(location_type="local", location=target.as_uri())
    assert "my%20store" in stored.location
    assert listing(store_root) == ["lab", "lab/assy_lab_Name2024.nc"]
    # what the store returns is what a catalog row holds: the local fetcher reads it back
    destination = tmp_path / "fetched"
    fetch_local(Source(stored.location_type, stored.location), destination)
    assert destination.read_bytes() == package.read_bytes()


def test_existing_key_is_refused(package: Path, store_root: Path, tmp_path: Path) -> None:
    store = FolderStore(store_root)
    store(package, "assy_lab_Name2024.nc")
    other = tmp_path / "other.nc"
    other.write_bytes(b"other")
    expected = r"'assy_lab_Name2024.nc' already exists.*overwrite=True"
    with pytest.raises(PackagingError, match=expected):
        store(other, "assy_lab_Name2024.nc")
    assert (store_root / "assy_lab_Name2024.nc").read_bytes() == package.read_bytes()
    assert listing(store_root) == ["assy_lab_Name2024.nc"]


def test_overwrite_replaces(package: Path, store_root: Path, tmp_path: Path) -> None:
    store = FolderStore(store_root)
    store(package, "assy_lab_Name2024.nc")
    other = tmp_path / "other.nc"
    other.write_bytes(b"other")
    store(other, "assy_lab_Name2024.nc", overwrite=True)
    assert (store_root / "assy_lab_Name2024.nc").read_bytes() == b"other"
    assert listing(store_root) == ["assy_lab_Name2024.nc"]


def test_key_is_normalized_with_posix_rules(package: Path, store_root: Path) -> None:
    stored = FolderStore(store_root)(package, "lab//sub/../x.nc")
    assert stored.location == (store_root / "lab" / "x.nc").as_uri()


@pytest.mark.parametrize(
    "key", ["../x.nc", "lab/../../x.nc", "/etc/x.nc", "", ".", "lab\\..\\x.nc", "..", "a\0b"]
)
def test_escaping_key_is_refused(package: Path, store_root: Path, key: str) -> None:
    with pytest.raises(PackagingError, match="is not allowed in the folder store"):
        FolderStore(store_root)(package, key)
    assert listing(store_root.parent) == ["package", "package/assy_lab_Name2024.nc"]


def test_missing_local_file(store_root: Path, tmp_path: Path) -> None:
    with pytest.raises(PackagingError, match=r"gone.nc under key 'k.nc': it is not an existing"):
        FolderStore(store_root)(tmp_path / "gone.nc", "k.nc")
    assert not (store_root / "k.nc").exists()


def _failing_copy(source: Path, destination: Path) -> None:
    """A copy that stops halfway, as on a full disk."""
    data = Path(source).read_bytes()
    Path(destination).write_bytes(data[: len(data) // 2])
    raise OSError(28, "No space left on device")


@pytest.mark.parametrize("overwrite", [False, True])
def test_interrupted_copy_leaves_nothing_half_written(
    package: Path,
    store_root: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    overwrite: bool,
) -> None:
    store = FolderStore(store_root)
    if overwrite:
        old = tmp_path / "old.nc"
        old.write_bytes(b"old content")
        store(old, "lab/assy.nc")
    monkeypatch.setattr(shutil, "copyfile", _failing_copy)
    with pytest.raises(OSError, match="No space left"):
        store(package, "lab/assy.nc", overwrite=overwrite)
    if overwrite:
        assert (store_root / "lab" / "assy.nc").read_bytes() == b"old content"
        assert listing(store_root) == ["lab", "lab/assy.nc"]
    else:
        assert listing(store_root) == ["lab"]  # no temp file, no truncated object


def test_hook_accepts_file_urls_and_existing_folders(store_root: Path, tmp_path: Path) -> None:
    uploader = plugin.brainio_uploader(target=store_root.as_uri())
    assert uploader == FolderStore(store_root)
    assert plugin.brainio_uploader(target=str(tmp_path)) == FolderStore(tmp_path)
    assert plugin.brainio_uploader(target=str(tmp_path / "not yet")) is None
    assert plugin.brainio_uploader(target="s3://bucket/folder") is None
    hook = get_plugin_manager().hook
    assert hook.brainio_uploader(target=store_root.as_uri()) == FolderStore(store_root)


def test_hook_refuses_file_url_of_another_host() -> None:
    with pytest.raises(PackagingError, match="names the host 'nas'"):
        plugin.brainio_uploader(target="file://nas/store")
