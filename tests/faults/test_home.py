"""Where the cache lives: no home directory, or BRAINIO_HOME naming a file."""

from __future__ import annotations

import shutil

import pytest
from fault_tools import BRAINIO, brainio, one_line_error, run


@pytest.mark.parametrize(
    "command",
    [["cache", "info"], ["cache", "verify"], ["cache", "clean", "--all", "--yes"],
     ["get", "demo.shapes"]],
)  # fmt: skip
def test_brainio_home_that_is_a_file(command, tmp_path):
    home = tmp_path / "brainio-home"
    home.write_text("not a folder")

    got = brainio(*command, env={"BRAINIO_HOME": str(home)})

    message = one_line_error(got, "CacheError")
    assert f"BRAINIO_HOME is {home}, which is a file, not a folder" in message
    assert home.read_text() == "not a folder"


def test_no_home_directory(tmp_path):
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) is needed to run a child as a user without a home")
    # a user id with no entry in /etc/passwd and no $HOME: Python cannot find a home
    argv = ["setpriv", "--reuid=54321", "--regid=54321", "--clear-groups", BRAINIO]

    got = run([*argv, "get", "demo.shapes"], env={"HOME": None, "BRAINIO_HOME": None})

    message = one_line_error(got, "CacheError")
    assert "There is no home directory for the default cache folder ~/.brainio" in message
    assert "export BRAINIO_HOME=" in message
