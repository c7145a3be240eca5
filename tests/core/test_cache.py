"""The content-addressed cache: atomic verified downloads, markers, locks, safe extraction."""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import filelock
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import cache_helpers as helpers  # noqa: E402

from brainio.cache import UnverifiedFileWarning, get_cache  # noqa: E402
from brainio.errors import (  # noqa: E402
    FetchError,
    IntegrityError,
    PluginMissingError,
    UnsafeArchiveError,
)
from brainio.records import Source  # noqa: E402

DATA = b"stimulus bytes " * 1000


def _files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.fixture
def source(tmp_path: Path) -> Source:
    return _source(tmp_path)


def _source(tmp_path: Path, name: str = "data.nc", data: bytes = DATA) -> Source:
    remote = tmp_path / "remote"
    remote.mkdir(exist_ok=True)
    return helpers.make_source(remote / name, data)


def test_get_cache_follows_brainio_home(brainio_home: Path, tmp_path: Path, monkeypatch) -> None:
    assert get_cache().root == brainio_home
    monkeypatch.setenv("BRAINIO_HOME", str(tmp_path / "elsewhere"))
    assert get_cache().root == tmp_path / "elsewhere"


def test_fetch_stores_verified_file_by_sha1(brainio_home: Path, source: Source) -> None:
    path = get_cache().fetch(source, fetcher=helpers.copy_fetcher)

    assert path == brainio_home / "objects" / source.sha1 / "data.nc"
    assert path.read_bytes() == DATA
    marker = json.loads((path.parent / ".data.nc.verified.json").read_text())
    assert marker["sha1"] == source.sha1
    assert marker["size"] == len(DATA)
    assert marker["mtime_ns"] == path.stat().st_mtime_ns
    assert marker["location"] == source.location
    assert helpers.downloads(source) == 1
    assert get_cache().is_cached(source)
    # nothing but the file and its marker in the entry
    assert _files_under(path.parent) == [".data.nc.verified.json", "data.nc"]


def test_upper_case_sha1_is_the_same_object(source: Source) -> None:
    upper = Source(source.location_type, source.location, sha1=source.sha1.upper())
    first = get_cache().fetch(source, fetcher=helpers.copy_fetcher)
    assert get_cache().fetch(upper, fetcher=helpers.copy_fetcher) == first
    assert helpers.downloads(source) == 1


def test_sha1_mismatch_raises_and_caches_nothing(brainio_home: Path, tmp_path: Path) -> None:
    wrong = "0" * 40
    bad = Source(helpers.LOCATION_TYPE, str(_source(tmp_path).location), sha1=wrong)
    actual = helpers.sha1_of(DATA)

    with pytest.raises(IntegrityError, match=rf"(?s)data\.nc.*{actual}.*expects {wrong}.*deleted"):
        get_cache().fetch(bad, fetcher=helpers.copy_fetcher)

    assert _files_under(brainio_home / "objects") == []
    assert not get_cache().is_cached(bad)
    assert get_cache().info().entries == ()


def test_failed_download_caches_nothing(brainio_home: Path, tmp_path: Path) -> None:
    missing = Source(helpers.LOCATION_TYPE, str(tmp_path / "nowhere.nc"), sha1="a" * 40)
    with pytest.raises(FetchError, match=r"nowhere\.nc.*'testcopy'.*try again"):
        get_cache().fetch(missing, fetcher=helpers.copy_fetcher)
    assert _files_under(brainio_home / "objects") == []


def test_sha1_that_is_not_a_sha1_is_refused(tmp_path: Path) -> None:
    bad = Source(helpers.LOCATION_TYPE, str(tmp_path / "x.nc"), sha1="../../etc")
    with pytest.raises(IntegrityError, match=r"'\.\./\.\./etc'.*40 hexadecimal digits"):
        get_cache().fetch(bad, fetcher=helpers.copy_fetcher)


def test_warm_fetch_trusts_marker_without_hashing(source: Source, caplog) -> None:
    path = get_cache().fetch(source, fetcher=helpers.copy_fetcher)
    stat = path.stat()
    # Same size and mtime, different bytes: only a re-hash could notice.
    path.write_bytes(DATA.upper())
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))

    with caplog.at_level(logging.DEBUG, logger="brainio"):
        again = get_cache().fetch(source, fetcher=helpers.copy_fetcher)

    assert again == path
    assert again.read_bytes() == DATA.upper()  # proves no hash was computed
    assert not [r for r in caplog.records if "sha1" in r.getMessage() or "hashing" in r.message]
    assert helpers.downloads(source) == 1


def test_stale_marker_rehashes_once_and_keeps_good_file(source: Source, caplog) -> None:
    path = get_cache().fetch(source, fetcher=helpers.copy_fetcher)
    os.utime(path, ns=(0, 10**18))  # touched, content unchanged

    with caplog.at_level(logging.DEBUG, logger="brainio.cache"):
        assert get_cache().fetch(source, fetcher=helpers.copy_fetcher) == path
        assert get_cache().fetch(source, fetcher=helpers.copy_fetcher) == path

    hashes = [r for r in caplog.records if r.getMessage().startswith("verifying sha1")]
    assert len(hashes) == 1  # re-hashed once, then the refreshed marker is trusted
    assert helpers.downloads(source) == 1


def test_stale_marker_with_wrong_content_downloads_again(source: Source) -> None:
    path = get_cache().fetch(source, fetcher=helpers.copy_fetcher)
    path.write_bytes(b"corrupted")
    assert get_cache().fetch(source, fetcher=helpers.copy_fetcher).read_bytes() == DATA
    assert helpers.downloads(source) == 2


def test_missing_marker_rehashes_instead_of_downloading(source: Source) -> None:
    path = get_cache().fetch(source, fetcher=helpers.copy_fetcher)
    (path.parent / ".data.nc.verified.json").unlink()
    assert not get_cache().is_cached(source)
    assert get_cache().fetch(source, fetcher=helpers.copy_fetcher) == path
    assert helpers.downloads(source) == 1
    assert get_cache().is_cached(source)


def test_source_without_sha1_goes_to_unverified_area_with_one_warning(
    brainio_home: Path, tmp_path: Path
) -> None:
    remote = tmp_path / "loose.csv"
    remote.write_bytes(b"a,b\n1,2\n")
    loose = Source(helpers.LOCATION_TYPE, str(remote))

    with pytest.warns(UnverifiedFileWarning, match=r"loose\.csv has no sha1.*add the file's sha1"):
        path = get_cache().fetch(loose, fetcher=helpers.copy_fetcher)
    assert path.parent.parent == brainio_home / "unverified"
    assert path.read_bytes() == b"a,b\n1,2\n"

    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert get_cache().fetch(loose, fetcher=helpers.copy_fetcher) == path
    assert helpers.downloads(loose) == 1
    # another version of the same location is another entry
    other = Source(helpers.LOCATION_TYPE, str(remote), version_id="v2")
    with pytest.warns(UnverifiedFileWarning):
        assert get_cache().fetch(other, fetcher=helpers.copy_fetcher) != path


def test_unknown_location_type_names_what_to_install(tmp_path: Path) -> None:
    odd = Source("gopher", "gopher://example.org/x.nc", sha1="a" * 40)
    with pytest.raises(PluginMissingError, match=r"location_type 'gopher'.*installed plugins"):
        get_cache().fetch(odd)


@pytest.fixture
def no_plugins(monkeypatch):
    """The plugin manager with no installed plugins (only the core's built-ins)."""
    from brainio.plugins import refresh_plugins

    monkeypatch.setenv("BRAINIO_LOAD_PLUGINS", "")
    refresh_plugins()
    yield
    monkeypatch.delenv("BRAINIO_LOAD_PLUGINS")
    refresh_plugins()


@pytest.mark.parametrize(
    ("location_type", "location", "distribution"),
    [
        ("S3", "https://bucket.s3.amazonaws.com/assy.nc", "brainio-s3"),
        ("local", "/data/assy.nc", "brainio-local"),
        ("file", "file:///data/assy.nc", "brainio-local"),
    ],
)
def test_missing_fetcher_plugin_names_the_distribution(
    no_plugins, location_type: str, location: str, distribution: str
) -> None:
    source = Source(location_type, location, sha1="a" * 40)
    with pytest.raises(PluginMissingError, match=rf"'{location_type}'.*pip install {distribution}"):
        get_cache().fetch(source)


def test_fetcher_comes_from_plugin_hook(register_plugin, source: Source) -> None:
    import brainio

    class CopyPlugin:
        @brainio.hookimpl
        def brainio_fetcher(self, location_type, location):
            return helpers.copy_fetcher if location_type == helpers.LOCATION_TYPE else None

    register_plugin(CopyPlugin())
    assert get_cache().fetch(source).read_bytes() == DATA


def _freeze(paths: list[Path]) -> None:
    """Make ``paths`` unwritable for everyone, root included (chmod, or chattr +i as root)."""
    if os.geteuid() != 0:
        for path in paths:
            path.chmod(path.stat().st_mode & ~0o222)
        return
    if shutil.which("chattr") is None:
        pytest.skip("running as root without chattr: cannot make a folder read-only")
    made = subprocess.run(["chattr", "+i", *map(str, paths)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"chattr +i not permitted here: {made.stderr.decode().strip()}")


def _thaw(paths: list[Path]) -> None:
    if os.geteuid() != 0:
        for path in paths:
            path.chmod(path.stat().st_mode | 0o200)
    else:
        subprocess.run(["chattr", "-i", *map(str, paths)], check=True)


@pytest.fixture
def read_only_home(tmp_path: Path, monkeypatch) -> Path:
    """A BRAINIO_HOME nobody can write to."""
    home = tmp_path / "readonly_home"
    home.mkdir()
    _freeze([home])
    monkeypatch.setenv("BRAINIO_HOME", str(home))
    yield home
    _thaw([home])


def test_read_only_home_names_brainio_home(read_only_home: Path, source: Source) -> None:
    with pytest.raises(FetchError, match=rf"{read_only_home} is not writable.*BRAINIO_HOME"):
        get_cache().fetch(source, fetcher=helpers.copy_fetcher)
    assert helpers.downloads(source) == 0
    assert list(read_only_home.iterdir()) == []


def test_home_below_a_file_names_brainio_home(tmp_path: Path, monkeypatch, source) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("BRAINIO_HOME", str(blocker / "cache"))
    with pytest.raises(
        FetchError, match=r"not writable.*Set the environment variable BRAINIO_HOME"
    ):
        get_cache().fetch(source, fetcher=helpers.copy_fetcher)


def test_read_only_cache_still_serves_warm_files(brainio_home: Path, tmp_path: Path) -> None:
    source, zip_path = _cached_zip(tmp_path, {"a.png": b"A"})
    folder = get_cache().extract(zip_path)
    entries = [*brainio_home.rglob("*"), brainio_home]
    _freeze(entries)
    try:
        assert get_cache().fetch(source, fetcher=helpers.copy_fetcher) == zip_path
        assert get_cache().extract(zip_path) == folder
    finally:
        _thaw(entries)
    assert helpers.downloads(source) == 1


def test_threads_fetch_one_object_once(source: Source) -> None:
    with ThreadPoolExecutor(8) as pool:
        paths = list(
            pool.map(
                lambda _: get_cache().fetch(source, fetcher=helpers.slow_copy_fetcher), range(8)
            )
        )
    assert len(set(paths)) == 1
    assert paths[0].read_bytes() == DATA
    assert helpers.downloads(source) == 1


def _spawn():
    return multiprocessing.get_context("spawn")


@pytest.mark.slow
def test_processes_fetch_one_object_once(source: Source) -> None:
    context = _spawn()
    start, results = context.Barrier(8), context.Queue()
    children = [
        context.Process(target=helpers.fetch_worker, args=(source, start, results))
        for _ in range(8)
    ]
    for child in children:
        child.start()
    paths = [results.get(timeout=60) for _ in children]
    for child in children:
        child.join(10)
    assert [child.exitcode for child in children] == [0] * 8
    assert len(set(paths)) == 1
    assert Path(paths[0]).read_bytes() == DATA
    assert helpers.downloads(source) == 1


def _wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        time.sleep(0.005)


@pytest.mark.slow
def test_process_killed_mid_download_leaves_nothing_trusted(
    brainio_home: Path, source: Source
) -> None:
    child = _spawn().Process(target=helpers.hanging_fetch_worker, args=(source,))
    child.start()
    try:
        _wait_for(lambda: Path(source.location + ".started").exists())
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.join()
    entry = brainio_home / "objects" / source.sha1
    leftovers = _files_under(entry)
    assert leftovers and all(name.endswith(".part") for name in leftovers)  # only the temp
    assert not get_cache().is_cached(source)

    path = get_cache().fetch(source, fetcher=helpers.copy_fetcher)
    assert path.read_bytes() == DATA
    assert _files_under(entry) == [".data.nc.verified.json", "data.nc"]  # leftover gone


# --- extraction --------------------------------------------------------------------------------


def _cached_zip(tmp_path: Path, members: dict[str, bytes], **kwargs) -> tuple[Source, Path]:
    remote = tmp_path / "remote"
    remote.mkdir(exist_ok=True)
    helpers.write_zip(remote / "stimuli.zip", members, **kwargs)
    source = helpers.make_source(remote / "stimuli.zip")
    return source, get_cache().fetch(source, fetcher=helpers.copy_fetcher)


def test_extract_places_contents_in_zip_stem_folder(tmp_path: Path) -> None:
    members = {
        "a.png": b"A",
        "sub/b.png": b"BB",
        "sub/deeper/c.png": b"CCC",
        "README.txt": b"extra files are fine",
        "__MACOSX/._a.png": b"resource fork",
    }
    _, zip_path = _cached_zip(tmp_path, members)

    folder = get_cache().extract(zip_path)

    assert folder == zip_path.parent / "stimuli"
    assert (folder / "sub" / "deeper" / "c.png").read_bytes() == b"CCC"
    assert _files_under(folder) == [
        "README.txt", "a.png", "sub", "sub/b.png", "sub/deeper", "sub/deeper/c.png"
    ]  # fmt: skip
    assert not [p for p in zip_path.parent.iterdir() if p.name.endswith(".extracting")]
    assert get_cache().extract(zip_path) == folder


def test_extraction_manifest_records_each_file(tmp_path: Path) -> None:
    _, zip_path = _cached_zip(tmp_path, {"a.png": b"A", "sub/b.png": b"BB"})
    folder = get_cache().extract(zip_path)

    manifest = json.loads((zip_path.parent / ".stimuli.zip.extracted.json").read_text())

    assert manifest["folder"] == "stimuli"
    assert manifest["files"]["sub/b.png"]["size"] == 2
    assert manifest["files"]["sub/b.png"]["sha1"] == helpers.sha1_of(b"BB")
    stat = (folder / "sub" / "b.png").stat()
    assert manifest["files"]["sub/b.png"]["mtime_ns"] == stat.st_mtime_ns


@pytest.mark.parametrize(
    "damage",
    [
        lambda folder: (folder / "a.png").write_bytes(b"Z"),  # same size, new mtime
        lambda folder: (folder / "a.png").unlink(),
        lambda folder: (folder.parent / ".stimuli.zip.extracted.json").unlink(),  # 1.x-era
    ],
    ids=["changed", "missing", "no-manifest"],
)
def test_warm_extraction_that_no_longer_matches_is_redone(tmp_path: Path, damage, caplog) -> None:
    _, zip_path = _cached_zip(tmp_path, {"a.png": b"A", "b.png": b"B"})
    folder = get_cache().extract(zip_path)
    damage(folder)

    with caplog.at_level(logging.WARNING, logger="brainio.cache"):
        assert get_cache().extract(zip_path) == folder

    assert (folder / "a.png").read_bytes() == b"A"
    assert "extracting" in caplog.text and "again" in caplog.text
    assert get_cache().verify().ok


def test_extract_of_unsafe_zip_creates_nothing(tmp_path: Path) -> None:
    _, zip_path = _cached_zip(tmp_path, {"ok.png": b"x", "../escape.png": b"y"})
    before = _files_under(zip_path.parent)
    with pytest.raises(UnsafeArchiveError, match=r"\[path-traversal\] '\.\./escape\.png'"):
        get_cache().extract(zip_path)
    assert _files_under(zip_path.parent) == before
    assert not (tmp_path / "escape.png").exists()
    assert not list(tmp_path.rglob("escape.png"))


def test_extract_outside_the_cache_uses_folder_beside_zip(tmp_path: Path) -> None:
    zip_path = helpers.write_zip(tmp_path / "loose.zip", {"x/y.txt": b"hello"})
    folder = get_cache().extract(zip_path)
    assert folder == tmp_path / "loose"
    assert (folder / "x" / "y.txt").read_text() == "hello"


@pytest.mark.slow
def test_processes_extract_once(tmp_path: Path) -> None:
    members = {f"img_{i:03d}.png": os.urandom(20_000) for i in range(100)}
    _, zip_path = _cached_zip(tmp_path, members, compression=zipfile.ZIP_STORED)
    with _spawn().Pool(4) as pool:
        results = pool.map(helpers.extract_worker, [str(zip_path)] * 4)
    assert {folder for folder, _ in results} == {str(zip_path.parent / "stimuli")}
    assert sum(count for _, count in results) == 1
    folder = Path(results[0][0])
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == members


@pytest.mark.slow
def test_process_killed_mid_extraction_leaves_nothing_trusted(tmp_path: Path) -> None:
    members = {f"part_{i:03d}.bin": os.urandom(512 * 1024) for i in range(160)}  # 80 MiB
    _, zip_path = _cached_zip(tmp_path, members, compression=zipfile.ZIP_STORED)
    target = zip_path.parent / "stimuli"

    def temp_folders() -> list[Path]:
        return [p for p in zip_path.parent.iterdir() if p.name.endswith(".extracting")]

    def _has_temp_content() -> bool:
        return any(any(folder.iterdir()) for folder in temp_folders())

    for _attempt in range(5):
        child = _spawn().Process(target=helpers.extract_worker, args=(str(zip_path),))
        child.start()
        try:
            _wait_for(lambda child=child: _has_temp_content() or not child.is_alive())
        finally:
            os.kill(child.pid, signal.SIGKILL)
            child.join()
        if not target.exists():
            break
        shutil.rmtree(target)  # the child was faster than us; try again
    else:
        pytest.fail("could not interrupt an extraction in 5 attempts")

    assert temp_folders()  # the half-written temp folder is there ...
    assert not target.exists()  # ... and was never renamed into place

    folder = get_cache().extract(zip_path)
    assert folder == target
    assert len(list(folder.iterdir())) == len(members)
    assert (folder / "part_159.bin").read_bytes() == members["part_159.bin"]
    assert not temp_folders()


# --- info, verify, clean -----------------------------------------------------------------------


def test_info_lists_entries_with_sizes(tmp_path: Path) -> None:
    first = get_cache().fetch(_source(tmp_path, "a.nc", b"1" * 100), fetcher=helpers.copy_fetcher)
    _, zip_path = _cached_zip(tmp_path, {"s.png": b"2" * 50})
    get_cache().extract(zip_path)

    info = get_cache().info()

    by_key = {entry.key: entry for entry in info.entries}
    assert set(by_key) == {first.parent.name, zip_path.parent.name}
    assert by_key[first.parent.name].files == ("a.nc",)
    assert by_key[first.parent.name].size == 100
    zip_entry = by_key[zip_path.parent.name]
    assert zip_entry.extracted == ("stimuli",)
    assert zip_entry.size == zip_path.stat().st_size + 50
    assert info.total_size == 100 + zip_entry.size
    assert json.loads(json.dumps(info.to_dict()))["count"] == 2


def test_info_ignores_foreign_folders(brainio_home: Path) -> None:
    legacy = brainio_home / "assy_dicarlo_MajajHong2015_public"
    legacy.mkdir(parents=True)
    (legacy / "assy.nc").write_bytes(b"1.x layout")
    assert get_cache().info().entries == ()
    get_cache().clean()
    assert (legacy / "assy.nc").exists()


def test_verify_removes_corrupt_entries_and_repairs_extractions(tmp_path: Path) -> None:
    good = get_cache().fetch(_source(tmp_path, "good.nc", b"g" * 10), fetcher=helpers.copy_fetcher)
    bad = get_cache().fetch(_source(tmp_path, "bad.nc", b"b" * 10), fetcher=helpers.copy_fetcher)
    stat = bad.stat()
    bad.write_bytes(b"B" * 10)  # bit rot the marker cannot see
    os.utime(bad, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    _, zip_path = _cached_zip(tmp_path, {"one.png": b"1", "two.png": b"2"})
    extracted = get_cache().extract(zip_path)
    (extracted / "two.png").unlink()

    report = get_cache().verify()

    assert report.checked == 3 + 2  # three cached files, two extracted ones
    messages = {problem.path: problem.message for problem in report.problems}
    assert "expected " + bad.parent.name in messages[bad]
    assert "'two.png' of stimuli.zip is missing; extracted again" in messages[extracted]
    assert not bad.parent.exists()
    assert (extracted / "two.png").read_bytes() == b"2"  # repaired in place
    assert good.exists() and zip_path.exists()
    assert get_cache().verify().ok


def test_clean_all_and_older_than(tmp_path: Path) -> None:
    old = get_cache().fetch(_source(tmp_path, "old.nc", b"o"), fetcher=helpers.copy_fetcher)
    new = get_cache().fetch(_source(tmp_path, "new.nc", b"n"), fetcher=helpers.copy_fetcher)
    ten_days_ago = time.time() - 10 * 86400
    for path in (old, old.parent / ".old.nc.verified.json"):
        os.utime(path, (ten_days_ago, ten_days_ago))
    # a warm fetch counts as use; the old one has not been used since
    get_cache().fetch(_source(tmp_path, "new.nc", b"n"), fetcher=helpers.copy_fetcher)

    report = get_cache().clean(older_than=7)
    assert [entry.key for entry in report.removed] == [old.parent.name]
    assert not old.parent.exists() and new.exists()

    report = get_cache().clean()
    assert [entry.key for entry in report.removed] == [new.parent.name]
    assert get_cache().info().entries == ()


def test_a_warm_fetch_records_its_use(tmp_path: Path) -> None:
    """``clean --older-than`` must spare an entry last fetched long ago but used since."""
    source = _source(tmp_path, "used.nc", b"u")
    path = get_cache().fetch(source, fetcher=helpers.copy_fetcher)
    ten_days_ago = time.time() - 10 * 86400
    os.utime(path, (ten_days_ago, ten_days_ago))
    marker_path = path.parent / ".used.nc.verified.json"
    marker = json.loads(marker_path.read_text())
    marker["mtime_ns"] = path.stat().st_mtime_ns  # still a verified entry, fetched long ago
    marker_path.write_text(json.dumps(marker))
    os.utime(marker_path, (ten_days_ago, ten_days_ago))
    assert get_cache().fetch(source, fetcher=helpers.copy_fetcher) == path  # warm: no download
    assert helpers.downloads(source) == 1

    report = get_cache().clean(older_than=7)
    assert not report.removed
    assert path.read_bytes() == b"u"


def test_clean_leaves_objects_in_use(brainio_home: Path, source: Source) -> None:
    path = get_cache().fetch(source, fetcher=helpers.copy_fetcher)
    holder_ready, release = threading.Event(), threading.Event()

    def hold_lock() -> None:
        with filelock.FileLock(path.parent.with_name(path.parent.name + ".lock")):
            holder_ready.set()
            release.wait(10)

    holder = threading.Thread(target=hold_lock)
    holder.start()
    holder_ready.wait(10)
    try:
        report = get_cache().clean()
    finally:
        release.set()
        holder.join()
    assert report.removed == () and [e.key for e in report.in_use] == [source.sha1]
    assert path.exists()


# --- hashing and progress bars -------------------------------------------------------------------


def test_sha1_hash_matches_hashlib_across_buffers(tmp_path: Path) -> None:
    import hashlib

    from brainio.hashing import sha1_hash

    data = os.urandom(3 * 4096 + 17)
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    seen: list[int] = []
    assert sha1_hash(path, buffer_size=4096, callback=seen.append) == hashlib.sha1(data).hexdigest()
    assert seen == [4096, 4096, 4096, 17]
    assert sha1_hash(str(path)) == hashlib.sha1(data).hexdigest()


@pytest.fixture
def terminal_stderr(monkeypatch):
    """A stream attached to a real pseudo-terminal, to stand in for stderr."""
    import pty

    leader, follower = pty.openpty()
    stream = os.fdopen(follower, "w")
    monkeypatch.delenv("BRAINIO_PROGRESS", raising=False)
    yield stream
    stream.close()
    os.close(leader)


def test_progress_bar_shown_only_on_a_terminal(terminal_stderr, monkeypatch) -> None:
    from brainio import progress

    monkeypatch.setattr(sys, "stderr", terminal_stderr)  # here: pytest swaps it between phases
    with progress.progress_bar(100, "Downloading x") as bar:
        assert not bar.disable
        bar.update(100)
    with progress.enabled(False), progress.progress_bar(100, "quiet") as bar:
        assert bar.disable
    monkeypatch.setenv("BRAINIO_PROGRESS", "0")
    with progress.progress_bar(None, "off by env") as bar:
        assert bar.disable


def test_progress_bar_disabled_when_stderr_is_not_a_terminal(tmp_path: Path, monkeypatch) -> None:
    from brainio import progress

    with open(tmp_path / "log.txt", "w") as stream:
        monkeypatch.setattr(sys, "stderr", stream)
        with progress.progress_bar(10, "to a file") as bar:
            assert bar.disable
