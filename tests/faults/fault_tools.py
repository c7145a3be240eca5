"""Helpers of the fault-injection suite (fixtures are in ``conftest.py``).

A plain module, put on ``sys.path`` by the conftest, so test modules import it by name.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import resource
import shlex
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

BRAINIO = str(Path(sys.executable).with_name("brainio"))
HEADER = "identifier,lookup_type,class,location_type,location,sha1,stimulus_set_identifier"


def sha1_of(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def run(
    argv: list[str],
    *,
    env: Mapping[str, str | None] | None = None,
    fsize_limit: int | None = None,
    read_only: Iterable[Path] = (),
    tmpfs: Mapping[Path, str] | None = None,
    timeout: float = 180,
) -> subprocess.CompletedProcess:
    """Run ``argv`` in a child with ``env`` added (``None`` values unset); optionally with a
    file size limit, folders mounted read-only, or tmpfs mounts (``{folder: size}``)."""
    mounts = [
        f"mount -t tmpfs -o size={size} tmpfs {shlex.quote(str(path))}"
        for path, size in (tmpfs or {}).items()
    ] + [
        f"mount --bind {q} {q} && mount -o remount,bind,ro {q}"
        for q in (shlex.quote(str(path)) for path in read_only)
    ]
    if mounts:
        script = " && ".join(mounts) + ' && exec "$@"'
        argv = ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", *argv]

    def limit() -> None:
        if fsize_limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize_limit, fsize_limit))

    return subprocess.run(
        argv,
        capture_output=True,
        text=True,
        env={
            name: value
            for name, value in {**os.environ, "BRAINIO_PROGRESS": "0", **(env or {})}.items()
            if value is not None
        },
        timeout=timeout,
        preexec_fn=limit,
    )


def brainio(*args: str, **kwargs) -> subprocess.CompletedProcess:
    """The ``brainio`` command, run as a child (see :func:`run`)."""
    return run([BRAINIO, *args], **kwargs)


def python(code: str, **kwargs) -> subprocess.CompletedProcess:
    """A Python script, run as a child (see :func:`run`)."""
    return run([sys.executable, "-c", textwrap.dedent(code)], **kwargs)


def warnings_in(stderr: str, category: str) -> list[str]:
    return [line for line in stderr.splitlines() if f"{category}:" in line]


def one_line_error(result: subprocess.CompletedProcess, error_class: str) -> str:
    """The single error line a failing ``brainio`` command printed (no traceback)."""
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, result.stderr
    assert f"{error_class}:" in lines[0], result.stderr
    return lines[0]


def cache_leftovers(home: Path) -> list[Path]:
    """Temporary files and folders of interrupted runs under the cache root."""
    return sorted(
        path
        for path in home.rglob("*")
        if path.name.endswith((".part", ".extracting", ".tmp")) or ".json." in path.name
    )


def zip_bytes(entries: Mapping[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def stimulus_catalog(
    identifier: str, csv: bytes, zipped: bytes, *, location_type: str = "local", prefix: str = ""
) -> tuple[bytes, dict[str, bytes]]:
    """Catalog rows (and the files, by name) of a stimulus set with its CSV and ZIP."""
    csv_name, zip_name = f"stimulus_{identifier}.csv", f"stimulus_{identifier}.zip"
    rows = [
        HEADER,
        f"{identifier},stimulus_set,StimulusSet,{location_type},{prefix}{csv_name},{sha1_of(csv)},",
        f"{identifier},stimulus_set,,{location_type},{prefix}{zip_name},{sha1_of(zipped)},",
    ]
    return ("\n".join(rows) + "\n").encode(), {csv_name: csv, zip_name: zipped}


def cache_report(home: Path, **kwargs) -> dict:
    """``brainio cache verify --json`` on ``home``, parsed."""
    result = brainio("cache", "verify", "--json", env={"BRAINIO_HOME": str(home)}, **kwargs)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)
