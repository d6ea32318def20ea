"""Every file problem is one line naming the path and the problem, exit status 2, never a traceback.

Each case runs the real command (``python -m werk.cli``) in a child process, on a copy of the project.
The operating system's own faults are used where the test can cause them: a missing file, a folder, a
missing folder. A full disk cannot be had for a test, and as root neither can a file or a ``_build`` that
may not be read or written (root passes every permission check); then the child is started through a
prelude that makes the named path fail with the operating system's own error (``ENOSPC``, ``EACCES``),
raised where Python opens or creates files, so the command meets the fault where it would meet it.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import copy_project

AS_ROOT = os.geteuid() == 0

#: Runs ``werk`` after making the path in WERK_TEST_FAULT ("ERRNO:r|w:PATH") fail when it is read
#: ("r": opened for reading) or written ("w": opened for writing or created, at or below PATH).
PRELUDE = r"""
import builtins, errno, io, os, runpy, sys
code, how, where = os.environ["WERK_TEST_FAULT"].split(":", 2)
code = getattr(errno, code)

def hit(path, writing):
    try:
        p = os.path.abspath(os.fsdecode(path))
    except TypeError:  # a file descriptor
        return False
    if how == "r":
        return not writing and p == where
    return writing and (p == where or p.startswith(where + os.sep))

def fail(path):
    raise OSError(code, os.strerror(code), os.fsdecode(path))

real_open, real_os_open, real_mkdir = builtins.open, os.open, os.mkdir

def fake_open(file, mode="r", *args, **kwargs):
    if hit(file, any(c in mode for c in "wax+")):
        fail(file)
    return real_open(file, mode, *args, **kwargs)

def fake_os_open(path, flags, *args, **kwargs):
    if hit(path, bool(flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))):
        fail(path)
    return real_os_open(path, flags, *args, **kwargs)

def fake_mkdir(path, *args, **kwargs):
    if hit(path, not os.path.isdir(path)):
        fail(path)
    return real_mkdir(path, *args, **kwargs)

builtins.open = io.open = fake_open
os.open, os.mkdir = fake_os_open, fake_mkdir
sys.argv = ["werk", *sys.argv[1:]]
runpy.run_module("werk.cli", run_name="__main__", alter_sys=True)
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """One copy of the project for every case (no case gets as far as writing into it)."""
    return copy_project(tmp_path_factory.mktemp("project"))


def _unreadable(root: Path, tmp: Path):
    path = tmp / "unreadable.csv"
    shutil.copy(root / "data" / "twin.csv", path)
    path.chmod(0)
    fault = f"EACCES:r:{path}" if AS_ROOT else None
    return ["build", "--data", str(path)], path, "Permission denied", fault


def _read_only_build(root: Path, tmp: Path):
    build = root / "_build"
    build.mkdir(exist_ok=True)
    fault = f"EACCES:w:{build}" if AS_ROOT else None
    if not AS_ROOT:
        build.chmod(0o555)
    return ["build"], build, "Permission denied", fault


def _full_disk(root: Path, tmp: Path):
    build = root / "_build"
    build.mkdir(exist_ok=True)
    return ["build"], build, os.strerror(errno.ENOSPC), f"ENOSPC:w:{build}"


#: name -> (root, tmp) -> (arguments, the path the message must name, the problem it must name, fault)
CASES = {
    "build --data missing.csv": lambda root, tmp: (
        ["build", "--data", "missing.csv"], "missing.csv", "file not found", None),
    "build --mapping missing.yml": lambda root, tmp: (
        ["build", "--mapping", "missing.yml"], "missing.yml", "mapping file not found", None),
    "build --data FOLDER": lambda root, tmp: (
        ["build", "--data", str(tmp)], tmp, "is a directory", None),
    "build --data UNREADABLE": _unreadable,
    "build, _build read-only": _read_only_build,
    "build, disk full": _full_disk,
    "synth --seed -1": lambda root, tmp: (
        ["synth", "--seed", "-1", "--out", str(tmp / "t.csv")], "--seed -1", "from 0 up", None),
    "synth --out FOLDER": lambda root, tmp: (
        ["synth", "--out", str(tmp)], tmp, "is a directory", None),
    "synth --out MISSING/t.csv": lambda root, tmp: (
        ["synth", "--out", str(tmp / "gone" / "t.csv")], tmp / "gone", "does not exist", None),
}


@pytest.mark.parametrize("case", list(CASES))
def test_file_problem_is_one_line_exit_2(case, project, tmp_path):
    args, path, problem, fault = CASES[case](project, tmp_path)
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    env.pop("WERK_ROOT", None)
    if fault:
        env["WERK_TEST_FAULT"] = fault
        command = [sys.executable, "-c", PRELUDE]
    else:
        command = [sys.executable, "-m", "werk.cli"]
    try:
        done = subprocess.run([*command, "--root", str(project), *args], cwd=project, env=env,
                              capture_output=True, text=True, timeout=300)
    finally:
        if (project / "_build").exists():
            (project / "_build").chmod(0o755)
            shutil.rmtree(project / "_build")
    errors = [line for line in done.stderr.splitlines() if ": error: " in line]
    assert done.returncode == 2, (done.returncode, done.stderr[-3000:])
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert len(errors) == 1 and errors[0].startswith(f"werk {args[0]}: error: "), done.stderr
    assert str(path) in errors[0] and problem in errors[0], errors[0]
