"""Hostile code under `check --run` is contained by the sandbox (bubblewrap + resource limits).

Each test puts one hostile act into ``get_model`` of a 2021-layout submission (runs on numpy
alone) and shows from outside that it failed: the file is still there, the secret never came
back, the listener got no connection, no process is left, memory and time are capped.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from brainio_submission.run import run_submission
from brainio_submission.sandbox import Limits, isolation
from brainio_submission.stimuli import bundled_stimuli

BASE = "models/base_models.py"
MODELS = """\
import os
import sys

import numpy as np


def get_model_list():
    return ["hostile"]


def get_layers(name):
    return ["layer"]


def get_bibtex(name):
    return ""


def get_model(name):
{body}
    return lambda stimuli, layers: {{layer: np.ones((len(stimuli), 30)) for layer in layers}}
"""

needs_sandbox = pytest.mark.skipif(
    isolation()[0] is None, reason=f"no sandbox here: {isolation()[1]}"
)


def hostile(new_project, body: str) -> Path:
    project = new_project()
    (project / BASE).write_text(MODELS.format(body=textwrap.indent(textwrap.dedent(body), "    ")))
    return project


def run(sub, project, *options, env=None, timeout="60"):
    return sub.report("check", project, "--run", "--timeout", timeout, *options, env=env)


def ran(data) -> bool:
    return [r["model"] for r in data["run"]["passed"]] == ["hostile"]


@needs_sandbox
def test_files_outside_cannot_be_deleted_or_changed(new_project, tmp_path, sub):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    project = hostile(
        new_project,
        f"""
        for path in ({str(victim)!r}, {str(tmp_path / "my_model" / BASE)!r}):
            try:
                os.remove(path)
            except OSError:
                pass
        try:
            open({str(tmp_path / "planted.txt")!r}, "w").write("x")
        except OSError:
            pass
        """,
    )
    status, data = run(sub, project)
    assert (status, data["problems"]) == (0, []) and ran(data)
    assert data["run"]["sandbox"] == "bwrap"
    assert victim.read_text() == "keep me"
    assert (project / BASE).exists() and not (tmp_path / "planted.txt").exists()


SECRET_READER = """
    leaks = [os.environ.get("AWS_SECRET_ACCESS_KEY"), os.environ.get("BRAINIO_TEST_TOKEN")]
    for path in (os.path.expanduser("~/.bashrc"), "/root/.bashrc", "/etc/shadow"):
        if os.access(path, os.R_OK):
            leaks.append(path)  # its name only: never copy a real secret into a report
    try:
        leaks.append(open({secret!r}).read())
    except OSError:
        pass
    if any(leaks):
        raise RuntimeError("leaked " + repr([leak for leak in leaks if leak]))
"""


@needs_sandbox
def test_secrets_cannot_be_read(new_project, tmp_path, sub):
    secret = tmp_path / "credentials"
    secret.write_text("aws_secret_access_key = hunter2")
    project = hostile(new_project, SECRET_READER.format(secret=str(secret)))
    env = dict(os.environ, AWS_SECRET_ACCESS_KEY="hunter2-env", BRAINIO_TEST_TOKEN="t0ken")
    status, data = run(sub, project, env=env)
    assert (status, data["problems"]) == (0, []) and ran(data)

    # the same code without the sandbox reads the file (so the check above can fail), but
    # still sees no inherited environment
    status, data = run(sub, project, "--no-sandbox", env=env)
    [problem] = data["problems"]
    assert "hunter2" in problem["message"] and "hunter2-env" not in problem["message"]
    assert "t0ken" not in problem["message"]


@needs_sandbox
def test_network_is_unreachable(new_project, sub):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        port = listener.getsockname()[1]
        project = hostile(
            new_project,
            f"""
            import socket
            try:
                socket.create_connection(("127.0.0.1", {port}), timeout=5).close()
            except OSError:
                pass
            else:
                raise RuntimeError("connected to the host's loopback")
            """,
        )
        status, data = run(sub, project)
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody connected
    assert (status, data["problems"]) == (0, []) and ran(data)


def _processes_with(token: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if token.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@needs_sandbox
def test_escaped_grandchild_dies_with_the_run(new_project, sub):
    token = f"brainio-escapee-{uuid.uuid4().hex}"
    project = hostile(
        new_project,
        f"""
        import subprocess
        subprocess.Popen([sys.executable, "-c",
                          "import os, time; os.fork() or time.sleep(600); time.sleep(600)",
                          {token!r}], start_new_session=True)
        import time
        time.sleep(1)  # time for the escapee to fork once more
        """,
    )
    status, data = run(sub, project)
    assert (status, data["problems"]) == (0, []) and ran(data)
    time.sleep(0.5)
    survivors = _processes_with(token)
    for pid in survivors:  # a failing test leaves nothing behind either
        os.kill(pid, signal.SIGKILL)
    assert survivors == []


@needs_sandbox
def test_unbounded_allocation_is_stopped(new_project, sub):
    project = hostile(
        new_project,
        """
        blocks = []
        while True:
            blocks.append(bytearray(64 * 2**20))
        """,
    )
    start = time.monotonic()
    status, data = run(sub, project, "--memory-mb", "512")
    assert time.monotonic() - start < 60
    problem = sub.only_problem(data, "get-model-failed")
    assert status == 1 and "MemoryError" in problem["message"]


@needs_sandbox
def test_process_count_and_file_size_are_limited(new_project):
    project = hostile(
        new_project,
        """
        import subprocess
        children = []
        try:
            for _ in range(64):
                children.append(subprocess.Popen(["sleep", "30"]))
            processes = "no limit"
        except OSError as error:
            processes = f"processes stopped after {len(children)}: {error.strerror}"
        try:
            with open("big.bin", "wb") as file:
                file.write(bytes(3 * 2**20))
            size = "no limit"
        except OSError as error:
            size = f"file stopped: {error.strerror}"
        raise RuntimeError(processes + " | " + size)
        """,
    )
    limits = Limits(processes=16, file_size_mb=1, cpu_seconds=60)
    outcome = run_submission(project, bundled_stimuli(), timeout=60, limits=limits)
    [problem] = outcome.problems
    assert "processes stopped after" in problem.message, problem.message
    assert "file stopped: File too large" in problem.message


@needs_sandbox
def test_sleeping_forever_is_stopped_at_the_time_limit_with_all_its_processes(new_project, sub):
    token = f"brainio-sleeper-{uuid.uuid4().hex}"
    project = hostile(
        new_project,
        f"""
        import subprocess
        import time
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", {token!r}],
                         start_new_session=True)
        time.sleep(10**6)
        """,
    )
    start = time.monotonic()
    status, data = run(sub, project, timeout="4")
    assert time.monotonic() - start < 30
    problem = sub.only_problem(data, "timeout")
    assert (status, problem["model"]) == (1, "hostile")
    assert "'get_model()'" in problem["message"]
    time.sleep(0.5)
    survivors = _processes_with(token)
    for pid in survivors:
        os.kill(pid, signal.SIGKILL)
    assert survivors == []


def test_without_a_sandbox_the_run_is_refused_unless_asked(new_project, tmp_path, sub):
    project = hostile(new_project, "")
    bin_folder = tmp_path / "bin"  # a PATH without bwrap
    bin_folder.mkdir()
    env = dict(os.environ, PATH=str(bin_folder))
    result = sub.run_cli("check", project, "--run", env=env)
    assert result.returncode == 3, result.stdout + result.stderr
    assert (
        "Mock run did not happen: no sandbox is available (bubblewrap is not installed"
        in result.stdout
    )
    assert "Pass --no-sandbox to run the submitted code without isolation" in result.stdout

    status, data = sub.report("check", project, "--run", "--no-sandbox", env=env)
    assert (status, data["problems"], data["run"]["sandbox"]) == (0, [], None)
    result = subprocess.run(  # the text report says the run was not isolated
        [
            sys.executable,
            "-m",
            "brainio",
            "submission",
            "check",
            str(project),
            "--run",
            "--no-sandbox",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert "WITHOUT a sandbox" in result.stdout
