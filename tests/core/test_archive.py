"""Safe zip extraction: every unsafe case refused before anything is written."""

from __future__ import annotations

import stat
import struct
import sys
import zipfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import cache_helpers as helpers  # noqa: E402

from brainio.archive import ArchiveLimits, check_archive, safe_extract  # noqa: E402
from brainio.errors import FormatError, UnsafeArchiveError  # noqa: E402


def _info(name: str, mode: int | None = None) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    if mode is not None:
        info.create_system = 3  # unix
        info.external_attr = mode << 16
    return info


def _nested(depth: int, leaf: dict[str, bytes]) -> bytes:
    """A zip nested ``depth`` times around ``leaf`` (depth 0 is the leaf zip itself)."""
    import io

    data = leaf
    blob = b""
    for level in range(depth + 1):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, content in data.items():
                archive.writestr(name, content)
        blob = buffer.getvalue()
        data = {f"level{level}.zip": blob}
    return blob


def _mark_encrypted(zip_path: Path) -> Path:
    """Set the 'encrypted' flag of the first entry (zipfile cannot write encrypted zips)."""
    data = bytearray(zip_path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        header = data.index(signature)
        (flags,) = struct.unpack_from("<H", data, header + offset)
        struct.pack_into("<H", data, header + offset, flags | 0x1)
    zip_path.write_bytes(bytes(data))
    return zip_path


SMALL = ArchiveLimits(max_entries=5, max_total_size=10_000, max_ratio=50, ratio_min_size=1_000)


def _zip(tmp_path: Path, members: dict[str, bytes]) -> Path:
    return helpers.write_zip(tmp_path / "archive.zip", members)


# Each case: how to build the zip, the problem code, the entry named, the limits used.
CASES = {
    "dotdot": (lambda p: _zip(p, {"ok.txt": b"x", "../evil.txt": b"x"}), "path-traversal",
               "../evil.txt", None),
    "dotdot-inside": (lambda p: _zip(p, {"a/../../evil.txt": b"x"}), "path-traversal",
                      "a/../../evil.txt", None),
    "backslash-dotdot": (lambda p: _zip(p, {"..\\evil.txt": b"x"}), "path-traversal",
                         "..\\evil.txt", None),
    "absolute": (lambda p: helpers.write_zip_infos(p / "a.zip", [(_info("/tmp/evil.txt"), b"x")]),
                 "absolute-path", "/tmp/evil.txt", None),
    "drive-letter": (lambda p: _zip(p, {"C:/evil.txt": b"x"}), "drive-letter", "C:/evil.txt",
                     None),
    "symlink": (lambda p: helpers.write_zip_infos(
        p / "a.zip", [(_info("link", stat.S_IFLNK | 0o777), b"/etc/passwd"), (_info("ok"), b"x")]),
        "symlink", "link", None),
    "device": (lambda p: helpers.write_zip_infos(p / "a.zip", [(_info("dev", stat.S_IFCHR), b"")]),
               "special-file", "dev", None),
    "too-many-entries": (lambda p: _zip(p, {f"f{i}.txt": b"x" for i in range(6)}),
                         "too-many-entries", None, SMALL),
    "declared-too-large": (lambda p: _zip(p, {"a.bin": b"\x01" * 6_000, "b.bin": b"\x02" * 6_000}),
                           "too-large", None, SMALL),
    "ratio-bomb": (lambda p: _zip(p, {"zeros.bin": bytes(5_000)}), "compression-ratio",
                   "zeros.bin", SMALL),
    "duplicate": (lambda p: helpers.write_zip_infos(
        p / "a.zip", [(_info("same.txt"), b"1"), (_info("same.txt"), b"2")]),
        "duplicate-name", "same.txt", None),
    "case-duplicate": (lambda p: _zip(p, {"Image.png": b"1", "image.png": b"2"}),
                       "duplicate-name", "image.png", None),
    "file-and-folder": (lambda p: _zip(p, {"a": b"1", "a/b.txt": b"2"}), "path-conflict",
                        "a/b.txt", None),
    "encrypted": (lambda p: _mark_encrypted(_zip(p, {"secret": b"x"})), "encrypted", "secret",
                  None),
    "nested-too-deep": (lambda p: helpers.write_zip(p / "a.zip", {"outer.zip": _nested(1, {
        "x.txt": b"x"})}), "nested-archive", "outer.zip!level0.zip", None),
    "nested-traversal": (lambda p: helpers.write_zip(p / "a.zip", {"inner.zip": _nested(0, {
        "../evil.txt": b"x"})}), "path-traversal", "inner.zip!../evil.txt", None),
}  # fmt: skip


@pytest.mark.filterwarnings("ignore:Duplicate name")
@pytest.mark.parametrize("case", sorted(CASES))
def test_unsafe_archive_is_refused_before_writing(tmp_path: Path, case: str) -> None:
    build, code, entry, limits = CASES[case]
    source_dir = tmp_path / "source"
    source_dir.mkdir()
    zip_path = build(source_dir)
    sandbox = tmp_path / "sandbox"
    destination = sandbox / "deep" / "target"
    sandbox.mkdir()

    problems = check_archive(zip_path, limits)
    assert (code, entry) in [(p.code, p.entry) for p in problems]

    with pytest.raises(
        UnsafeArchiveError, match=rf"(?s)\[{code}\].*Nothing was extracted"
    ) as caught:
        safe_extract(zip_path, destination, limits)
    assert str(zip_path) in str(caught.value)
    assert caught.value.problems == problems
    assert not destination.exists()
    assert [p.name for p in sandbox.iterdir()] == []  # nothing written anywhere in the sandbox
    assert sorted(p.name for p in tmp_path.rglob("*evil*")) == []
    assert sorted(p.name for p in source_dir.iterdir()) == [zip_path.name]


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    zip_path = helpers.write_zip_infos(
        tmp_path / "bad.zip",
        [
            (_info("../up.txt"), b"x"),
            (_info("/abs.txt"), b"x"),
            (_info("link", stat.S_IFLNK | 0o777), b"target"),
            (_info("dup.txt"), b"1"),
            (_info("dup.txt"), b"2"),
        ],
    )
    problems = check_archive(zip_path)
    assert [p.code for p in problems] == [
        "path-traversal", "absolute-path", "symlink", "duplicate-name"
    ]  # fmt: skip
    with pytest.raises(UnsafeArchiveError, match=r"4 problem\(s\)") as caught:
        safe_extract(zip_path, tmp_path / "out")
    message = str(caught.value)
    assert "'../up.txt'" in message and "'/abs.txt'" in message and "'link'" in message


def test_safe_zip_with_subfolders_and_extras_extracts(tmp_path: Path) -> None:
    zip_path = helpers.write_zip(
        tmp_path / "stimuli.zip",
        {
            "images/cat/1.png": b"cat",
            "images/dog/2.png": b"dog",
            "./notes.txt": b"not in any csv",
            "__MACOSX/images/._1.png": b"fork",
            "nested_ok.zip": _nested(0, {"x.txt": b"x"}),  # one level of nesting is allowed
        },
    )
    assert check_archive(zip_path) == []

    written = []
    folder = safe_extract(zip_path, tmp_path / "out", callback=written.append)

    assert folder == tmp_path / "out"
    found = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert found == ["images/cat/1.png", "images/dog/2.png", "nested_ok.zip", "notes.txt"]
    assert (folder / "images" / "dog" / "2.png").read_bytes() == b"dog"
    assert sum(written) == sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def test_small_files_that_compress_well_are_fine(tmp_path: Path) -> None:
    zip_path = helpers.write_zip(tmp_path / "a.zip", {"blank.txt": bytes(50_000)})
    assert check_archive(zip_path) == []  # ratio ~ 1000, but below ratio_min_size


def test_existing_files_are_never_overwritten(tmp_path: Path) -> None:
    zip_path = helpers.write_zip(tmp_path / "a.zip", {"first.txt": b"new", "keep.txt": b"new"})
    destination = tmp_path / "out"
    destination.mkdir()
    (destination / "keep.txt").write_text("mine")

    with pytest.raises(UnsafeArchiveError, match=r"(?s)\[exists\] 'keep.txt'.*has been removed"):
        safe_extract(zip_path, destination)
    assert (destination / "keep.txt").read_text() == "mine"
    assert sorted(p.name for p in destination.iterdir()) == ["keep.txt"]


def test_destination_symlink_pointing_outside_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    destination = tmp_path / "out"
    destination.mkdir()
    (destination / "images").symlink_to(outside)
    zip_path = helpers.write_zip(tmp_path / "a.zip", {"images/x.png": b"x"})

    with pytest.raises(UnsafeArchiveError, match=r"\[path-traversal\] 'images/x.png'"):
        safe_extract(zip_path, destination)
    assert list(outside.iterdir()) == []


def _lie_about_size(zip_path: Path, declared: int) -> None:
    """Make the second entry of ``zip_path`` declare ``declared`` bytes (both its headers)."""
    data = bytearray(zip_path.read_bytes())
    second_local = data.index(b"PK\x03\x04", 1)
    struct.pack_into("<I", data, second_local + 22, declared)
    second_central = data.index(b"PK\x01\x02", data.index(b"PK\x01\x02") + 1)
    struct.pack_into("<I", data, second_central + 24, declared)
    zip_path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("declared", "code"),
    [(100, "bad-data"), (50_000, "size-mismatch")],
    ids=["declares-less", "declares-more"],
)
def test_entry_lying_about_its_size_is_refused_and_removed(
    tmp_path: Path, declared: int, code: str
) -> None:
    zip_path = helpers.write_zip(tmp_path / "a.zip", {"first.txt": b"ok", "liar.bin": b"z" * 5000})
    _lie_about_size(zip_path, declared)
    assert check_archive(zip_path) == []  # the declared sizes look harmless

    destination = tmp_path / "out"
    with pytest.raises(UnsafeArchiveError, match=r"(?s)'liar.bin'.*has been removed") as caught:
        safe_extract(zip_path, destination)
    assert [problem.code for problem in caught.value.problems] == [code]
    assert list(destination.iterdir()) == []  # first.txt was written, then removed


@pytest.mark.parametrize("content", [b"", b"this is not a zip file at all", b"PK\x03\x04trunc"])
def test_not_a_zip_is_a_format_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.zip"
    path.write_bytes(content)
    with pytest.raises(FormatError, match=r"broken.zip is not a readable zip archive"):
        check_archive(path)
    with pytest.raises(FormatError, match=r"broken.zip is not a readable zip archive"):
        safe_extract(path, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_limits_are_frozen() -> None:
    import attrs

    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        ArchiveLimits().max_entries = 1  # type: ignore[misc]
