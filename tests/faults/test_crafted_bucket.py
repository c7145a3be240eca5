"""A crafted bucket on the loopback S3 server: hostile names stay inside the cache."""

from __future__ import annotations

import pytest
from fault_tools import brainio, cache_leftovers, one_line_error, stimulus_catalog, zip_bytes

CSV = b"stimulus_id,filename\na,a.png\n"


@pytest.fixture
def crafted(s3_client, make_bucket, s3_environment, install_catalog):
    """``crafted(csv, zipped, prefix="")``: puts a stimulus set in a fresh bucket under
    ``prefix`` and installs a catalog for it; returns the child environment."""

    def make(csv: bytes, zipped: bytes, prefix: str = "") -> dict[str, str]:
        bucket = make_bucket()
        lookup, files = stimulus_catalog(
            "lab.stim",
            csv,
            zipped,
            location_type="S3",
            prefix=f"https://{bucket}.s3.amazonaws.com/{prefix}",
        )
        for name, data in files.items():
            s3_client.put_object(Bucket=bucket, Key=prefix + name, Body=data)
        env, _ = install_catalog("lab", lookup)
        return {**s3_environment, **env}

    return make


def test_stimulus_filename_escaping_from_a_bucket(crafted, brainio_home):
    env = crafted(b"stimulus_id,filename\na,../../../../etc/passwd\n", zip_bytes({"a.png": b"A"}))

    message = one_line_error(brainio("get", "lab.stim", env=env), "UnsafePathError")

    assert "'../../../../etc/passwd' contains '..'" in message
    assert cache_leftovers(brainio_home) == []


def test_archive_escaping_from_a_bucket(crafted, brainio_home, tmp_path):
    env = crafted(CSV, zip_bytes({"a.png": b"A", "../../../escaped.png": b"X"}))

    got = brainio("get", "lab.stim", env=env)

    one_line_error(got, "UnsafeArchiveError")
    assert "[path-traversal] '../../../escaped.png'" in got.stderr
    assert not list(tmp_path.rglob("escaped.png")) and not list(brainio_home.rglob("escaped*"))
    assert cache_leftovers(brainio_home) == []


def test_keys_with_dot_dot_stay_in_their_cache_entry(crafted, brainio_home, tmp_path):
    env = crafted(CSV, zip_bytes({"a.png": b"A"}), prefix="x/../../../../../tmp/")

    got = brainio("get", "lab.stim", env=env)

    assert got.returncode == 0, got.stderr
    objects = brainio_home / "objects"
    cached = sorted(path.relative_to(objects).parts[1:] for path in objects.glob("*/*"))
    assert ("stimulus_lab.stim.csv",) in cached and ("stimulus_lab.stim.zip",) in cached
    assert cache_leftovers(brainio_home) == []
