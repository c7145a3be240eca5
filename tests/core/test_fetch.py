"""The BrainIO 1.x fetching API (``brainio.fetch``) on top of the new cache."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import cache_helpers as helpers  # noqa: E402

import brainio  # noqa: E402
from brainio import fetch  # noqa: E402
from brainio.errors import (  # noqa: E402
    AssemblyLookupError,
    CatalogError,
    IntegrityError,
    PluginMissingError,
    StimulusSetLookupError,
)

DATA = b"presentation,neuroid\n"


class CopyPlugin:
    """An in-test plugin fetching ``testcopy`` locations by copying local files."""

    @brainio.hookimpl
    def brainio_fetcher(self, location_type, location):
        return helpers.copy_fetcher if location_type == helpers.LOCATION_TYPE else None


@pytest.fixture
def copy_plugin(register_plugin):
    return register_plugin(CopyPlugin())


def test_brainio_home_constant_and_default(monkeypatch, tmp_path: Path) -> None:
    assert fetch.BRAINIO_HOME == "BRAINIO_HOME"
    monkeypatch.delenv("BRAINIO_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert fetch.get_local_data_path() == str(tmp_path / ".brainio")  # str, as in 1.x


def test_local_data_path_is_read_on_every_call(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BRAINIO_HOME", str(tmp_path / "one"))
    assert fetch.get_local_data_path() == str(tmp_path / "one")
    monkeypatch.setenv("BRAINIO_HOME", str(tmp_path / "two"))
    assert fetch.get_local_data_path() == str(tmp_path / "two")


def test_fetch_file_returns_verified_path(copy_plugin, brainio_home: Path, tmp_path: Path) -> None:
    remote = tmp_path / "assy_lab_x.nc"
    remote.write_bytes(DATA)
    sha1 = helpers.sha1_of(DATA)

    path = fetch.fetch_file(helpers.LOCATION_TYPE, str(remote), sha1)

    assert path == str(brainio_home / "objects" / sha1 / "assy_lab_x.nc")  # str, as in 1.x
    assert Path(path).read_bytes() == DATA
    assert fetch.fetch_file(helpers.LOCATION_TYPE, str(remote), sha1=sha1) == path
    assert helpers.downloads(helpers.make_source(remote)) == 1


def test_fetch_file_with_wrong_sha1_caches_nothing(
    copy_plugin, brainio_home: Path, tmp_path: Path
) -> None:
    remote = tmp_path / "assy.nc"
    remote.write_bytes(DATA)
    with pytest.raises(IntegrityError, match=r"assy\.nc.*expects " + "f" * 40):
        fetch.fetch_file(helpers.LOCATION_TYPE, str(remote), "f" * 40)
    assert not [p for p in brainio_home.rglob("*") if p.is_file()]


def test_fetch_file_unknown_location_type() -> None:
    with pytest.raises(PluginMissingError, match=r"location_type 'ftp'"):
        fetch.fetch_file("ftp", "ftp://example.org/assy.nc", "a" * 40)


def test_verify_sha1(tmp_path: Path) -> None:
    path = tmp_path / "x.bin"
    path.write_bytes(DATA)
    fetch.verify_sha1(path, helpers.sha1_of(DATA))
    fetch.verify_sha1(str(path), helpers.sha1_of(DATA).upper())
    with pytest.raises(IntegrityError, match=r"x\.bin.*invalid SHA-1 hash .*expected 0{40}"):
        fetch.verify_sha1(path, "0" * 40)
    with pytest.raises(ValueError):  # 1.x callers catching ValueError keep working
        fetch.verify_sha1(path, "0" * 40)


def test_unzip_returns_folder_with_contents(tmp_path: Path) -> None:
    zip_path = helpers.write_zip(tmp_path / "image_lab_set.zip", {"a.png": b"a", "d/b.png": b"b"})
    folder = fetch.unzip(zip_path)
    assert folder == str(tmp_path / "image_lab_set")  # str, as in 1.x
    assert (Path(folder) / "d" / "b.png").read_bytes() == b"b"
    assert fetch.unzip(str(zip_path)) == folder


def test_filename_from_link_and_fullname() -> None:
    link = "https://brainio.dicarlo.s3.amazonaws.com/assy_dicarlo_MajajHong2015_public.nc"
    assert fetch.filename_from_link(link) == "assy_dicarlo_MajajHong2015_public"
    assert fetch.fullname(Path("x")) == f"{type(Path('x')).__module__}.{type(Path('x')).__name__}"


def test_resolve_classes_through_registry() -> None:
    from brainio.assemblies import NeuroidAssembly
    from brainio.stimuli import StimulusSet

    assert fetch.resolve_assembly_class("NeuroidAssembly") is NeuroidAssembly
    assert fetch.resolve_stimulus_set_class("StimulusSet") is StimulusSet
    with pytest.raises(CatalogError, match=r"Unknown class 'NoSuchAssembly'"):
        fetch.resolve_assembly_class("NoSuchAssembly")


def test_get_functions_delegate_to_loading() -> None:
    with pytest.raises(AssemblyLookupError, match="no-such-assembly"):
        fetch.get_assembly("no-such-assembly")
    with pytest.raises(StimulusSetLookupError, match="no-such-stimuli"):
        fetch.get_stimulus_set("no-such-stimuli")
