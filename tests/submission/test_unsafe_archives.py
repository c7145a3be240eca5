"""Unsafe submission zips are refused before anything is written, by validate and check --run."""

from __future__ import annotations

import io
import stat
import struct
import uuid
import warnings
import zipfile
from pathlib import Path

import pytest

CODE = b"open('/tmp/pwned', 'w').write('x')\n"


def _central_header(data: bytearray, name: str) -> int:
    """Offset of the central-directory header of entry ``name``."""
    position = data.find(b"PK\x01\x02")
    while position != -1:
        length = struct.unpack_from("<H", data, position + 28)[0]
        if data[position + 46 : position + 46 + length].decode() == name:
            return position
        position = data.find(b"PK\x01\x02", position + 4)
    raise AssertionError(f"{name} not in the central directory")


def path_traversal(archive, zip_path):
    archive.writestr("my_model/../../evil_traversal.py", CODE)
    return "archive-path-traversal", "my_model/../../evil_traversal.py"


def absolute_path(archive, zip_path):
    name = f"/tmp/brainio-evil-{uuid.uuid4().hex}.py"
    archive.writestr(zipfile.ZipInfo(name), CODE)
    return "archive-absolute-path", name


def symlink(archive, zip_path):
    info = zipfile.ZipInfo("my_model/models/weights.npz")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive.writestr(info, "/etc/passwd")
    return "archive-symlink", "my_model/models/weights.npz"


def too_many_entries(archive, zip_path):
    for index in range(10_001):
        archive.writestr(f"my_model/data/{index}.txt", b"")
    return "archive-too-many-entries", str(zip_path)


def declared_size(archive, zip_path):
    archive.writestr("my_model/models/weights.bin", b"small")

    def patch(data: bytearray) -> None:  # claim 2 GiB uncompressed
        header = _central_header(data, "my_model/models/weights.bin")
        struct.pack_into("<I", data, header + 24, 2**31 - 1)

    return "archive-too-large", str(zip_path), patch


def compression_ratio(archive, zip_path):
    archive.writestr("my_model/models/bomb.bin", bytes(2 * 2**20), zipfile.ZIP_DEFLATED)
    return "archive-compression-ratio", "my_model/models/bomb.bin"


def duplicate_name(archive, zip_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns about the duplicate
        archive.writestr("my_model/models/base_models.py", CODE)
    return "archive-duplicate-name", "my_model/models/base_models.py"


def encrypted(archive, zip_path):
    archive.writestr("my_model/models/secret.py", CODE)

    def patch(data: bytearray) -> None:  # set the "encrypted" flag bit
        header = _central_header(data, "my_model/models/secret.py")
        flags = struct.unpack_from("<H", data, header + 8)[0]
        struct.pack_into("<H", data, header + 8, flags | 0x1)

    return "archive-encrypted", "my_model/models/secret.py", patch


def nested_archive(archive, zip_path):
    innermost = io.BytesIO()
    with zipfile.ZipFile(innermost, "w") as handle:
        handle.writestr("weights.bin", b"\x00" * 16)
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as handle:
        handle.writestr("innermost.zip", innermost.getvalue())
    archive.writestr("my_model/models/weights.zip", inner.getvalue())
    return "archive-nested-archive", "my_model/models/weights.zip!innermost.zip"


CASES = [
    path_traversal,
    absolute_path,
    symlink,
    too_many_entries,
    declared_size,
    compression_ratio,
    duplicate_name,
    encrypted,
    nested_archive,
]


def _snapshot(folder: Path) -> dict[str, int]:
    return {
        path.relative_to(folder).as_posix(): path.stat().st_size
        for path in folder.rglob("*")
        if path.is_file()
    }


@pytest.mark.parametrize("case", CASES, ids=[case.__name__ for case in CASES])
def test_unsafe_archive_is_refused_and_nothing_written(
    case, new_project, tmp_path, isolated_env, sub
):
    env, work, temporary = isolated_env
    zip_path = sub.zip_folder(new_project(), tmp_path / "submission.zip")
    with zipfile.ZipFile(zip_path, "a") as archive:
        expected = case(archive, zip_path)
    code, entry, *patch = expected
    if patch:
        data = bytearray(zip_path.read_bytes())
        patch[0](data)
        zip_path.write_bytes(bytes(data))
    before = _snapshot(tmp_path)

    validated = sub.validate(zip_path)  # in this process
    checked = sub.report("check", zip_path, "--run", "--timeout", "20", cwd=work, env=env)
    for status, data in (validated, checked):
        assert status == 1
        matches = [p for p in data["problems"] if p["code"] == code and p["file"] == entry]
        assert len(matches) == 1, data["problems"]
        assert matches[0]["line"] is None
        assert matches[0]["message"].startswith("Unsafe archive: ")
        assert all(
            p["code"].startswith("archive-") or p["code"] == "too-large" for p in data["problems"]
        )
    assert checked[1]["run"] is None  # the models were never run

    assert _snapshot(tmp_path) == before
    assert list(work.iterdir()) == [] and list(temporary.iterdir()) == []
    assert not Path("/tmp/pwned").exists()
    if case is absolute_path:
        assert not Path(entry).exists()
