"""Running submitted code so that it cannot harm the machine: bubblewrap plus resource limits.

The mock run starts its child through ``bwrap`` (Debian/Ubuntu/Fedora package
``bubblewrap``), which puts it in new Linux namespaces:

* no network (a network namespace of its own, with nothing but its own loopback device);
* a file system made of read-only binds of what Python needs (``/usr``, the interpreter's
  prefix and ``sys.path`` folders, a few files of ``/etc``) plus the run's scratch folder,
  the only writable place; a private ``/tmp``; nothing else of the host (no ``$HOME``, no
  other user files);
* its own PID namespace: when the child ends or is killed, every process it started dies,
  including ones that called ``setsid()`` to escape a process-group kill;
* an empty environment plus what the run needs (``PATH``, ``HOME`` in the scratch folder,
  ``TMPDIR`` ...): no credentials such as ``AWS_SECRET_ACCESS_KEY`` are passed on;
* run as root, the child drops to the ``nobody`` user before running submitted code.

Resource limits (``setrlimit``) cap address space, CPU time, processes and file size. Where
``bwrap`` is missing or cannot create namespaces, :func:`isolation` says why and the caller
refuses to run unless the user accepts running without it (``--no-sandbox``): then only the
environment, the limits and the process-group kill apply.
"""

from __future__ import annotations

import functools
import math
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import attrs

NOBODY = 65534
# /etc files a Python process may read (dynamic linker, locale, users, TLS roots); no secrets
ETC_FILES = (
    "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "passwd", "group",
    "nsswitch.conf", "hosts", "ssl", "ca-certificates", "mime.types", "alternatives",
)  # fmt: skip


@attrs.frozen
class Limits:
    """Resource limits of the sandboxed child (each process; processes per user)."""

    memory_mb: int = 4096
    cpu_seconds: int = 600
    processes: int = 256
    file_size_mb: int = 1024


def cpu_seconds_for(timeout: float) -> int:
    """A CPU-time limit that never stops a run the wall-clock ``timeout`` allows."""
    return math.ceil(timeout * (os.cpu_count() or 1)) + 5


@functools.cache
def isolation() -> tuple[str | None, str]:
    """``("bwrap", path)`` when namespaces can be had here, else ``(None, why not)``."""
    if not sys.platform.startswith("linux"):
        return None, f"process isolation needs Linux namespaces, not available on {sys.platform}"
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return None, (
            "bubblewrap is not installed (`apt-get install bubblewrap`, `dnf install bubblewrap`)"
        )
    probe = subprocess.run(
        [bwrap, *_base_arguments(), "--ro-bind", "/", "/", "true"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if probe.returncode != 0:
        return None, f"bwrap cannot create namespaces here: {probe.stderr.strip()}"
    return "bwrap", bwrap


def _base_arguments() -> list[str]:
    arguments = ["--die-with-parent", "--new-session"]
    if os.geteuid() != 0:
        return ["--unshare-all", *arguments]
    # as root: no user namespace (it would map only root, and `nobody` could not be become),
    # and only the capabilities needed to drop to `nobody`
    return [
        "--unshare-net",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        *arguments,
        "--cap-add",
        "CAP_SETUID",
        "--cap-add",
        "CAP_SETGID",
    ]


def import_path() -> list[str]:
    """This interpreter's ``sys.path``, for the child (which runs ``python -I``).

    Never the working folder or the home folder as a whole: only installed code.
    """
    excluded = {Path.home().resolve(), Path.cwd().resolve(), Path("/")}
    found = []
    for entry in sys.path:
        if entry and Path(entry).exists() and Path(entry).resolve() not in excluded:
            found.append(str(Path(entry).resolve()))
    return list(dict.fromkeys(found))


def readable_paths() -> list[Path]:
    """What the child's Python needs to read: its installation and its import path."""
    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    return sorted({Path(entry).resolve() for entry in [*prefixes, *import_path()]})


def bwrap_command(
    bwrap: str, command: Sequence[str], scratch: Path, cwd: Path, readable: Sequence[Path]
) -> list[str]:
    """``bwrap ... command``: the command confined to ``readable`` (read-only) and ``scratch``."""
    arguments = [
        bwrap,
        *_base_arguments(),
        "--hostname",
        "brainio-sandbox",
        "--dev",
        "/dev",
        "--proc",
        "/proc",
        "--perms",
        "1777",
        "--tmpfs",
        "/tmp",
    ]
    for top in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/") / top
        if path.is_symlink():
            arguments += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            arguments += ["--ro-bind", str(path), str(path)]
    binds = [("--ro-bind", Path("/usr"))]
    binds += [
        ("--ro-bind", Path("/etc") / name) for name in ETC_FILES if (Path("/etc") / name).exists()
    ]
    binds += [("--ro-bind", path) for path in readable if not path.is_relative_to("/usr")]
    binds += [("--bind", scratch)]
    # bwrap makes the folders above a mount point private (0700); `nobody` must pass them
    bound = [path for _, path in binds]
    above = {
        parent
        for path in bound
        for parent in path.parents
        if parent != Path("/") and not any(parent.is_relative_to(b) for b in bound)
    }
    for folder in sorted(above, key=lambda folder: len(folder.parts)):
        arguments += ["--perms", "0755", "--dir", str(folder)]
    for option, path in sorted(binds, key=lambda bind: len(bind[1].parts)):
        arguments += [option, str(path), str(path)]
    return [*arguments, "--chdir", str(cwd), *command]


def child_environment(scratch: Path) -> dict[str, str]:
    """The whole environment of the child: nothing inherited but the locale."""
    home, temporary = scratch / "home", scratch / "tmp"
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "TMPDIR": str(temporary),
        "TMP": str(temporary),
        "TEMP": str(temporary),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLCONFIGDIR": str(temporary),
        "RESULTCACHING_DISABLE": "1",  # Brain-Score's activation cache lives in HOME
        "BS_INSTALL_DEPENDENCIES": "no",  # the mock run installs nothing
    }


def limiter(limits: Limits) -> Callable[[], None] | None:
    """A ``preexec_fn`` that applies ``limits`` in the child before it runs anything.

    None where there are no resource limits (Windows).
    """
    try:
        import resource
    except ImportError:
        return None
    processes: int | None = limits.processes
    if os.geteuid() != 0:  # the limit counts every process of the user, not only the child's
        running = _tasks_of(os.getuid())
        processes = None if running is None else processes + running

    memory, size = limits.memory_mb * 2**20, limits.file_size_mb * 2**20
    wanted = [
        (resource.RLIMIT_AS, memory),
        (resource.RLIMIT_CPU, limits.cpu_seconds),
        (resource.RLIMIT_FSIZE, size),
        (resource.RLIMIT_CORE, 0),
    ]
    if processes is not None:
        wanted.append((resource.RLIMIT_NPROC, processes))

    def apply() -> None:
        for which, value in wanted:
            try:
                resource.setrlimit(which, (value, value))
            except (ValueError, OSError):  # e.g. a system that does not support this limit
                continue

    return apply


def _tasks_of(uid: int) -> int | None:
    """Threads of all processes of ``uid`` (None where ``/proc`` cannot tell, e.g. macOS)."""
    if not Path("/proc/self/task").is_dir():
        return None
    count = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += len(os.listdir(entry / "task"))
            except OSError:
                continue
    return count


def drop_privileges() -> None:
    """Become ``nobody`` when running as root (called first thing in the sandboxed child)."""
    if os.geteuid() != 0:
        return
    os.setgroups([])
    os.setresgid(NOBODY, NOBODY, NOBODY)
    os.setresuid(NOBODY, NOBODY, NOBODY)


def hand_over(scratch: Path) -> None:
    """Give the scratch folder to ``nobody`` when running as root, so the child may write it."""
    if os.geteuid() != 0:
        return
    for current, dirnames, filenames in os.walk(scratch):
        os.chown(current, NOBODY, NOBODY)
        for name in [*dirnames, *filenames]:
            os.chown(os.path.join(current, name), NOBODY, NOBODY, follow_symlinks=False)
