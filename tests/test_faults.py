"""Faults during a build: kill -9 at its worst moments, and cached files damaged between builds.

Each test works on one project copy, built once (the module's fixture), and runs ``werk build`` as a
separate process, as an analyst would, so that it can be killed. What must hold:

* a killed build leaves no process behind, and its lock stays taken until its children are gone;
* a kill while the new book replaces the old leaves the old book or the new one, whole;
* a damaged cached file (an executed notebook, the kept frame, a page of the book, its output
  check) is found out by its digest and made again, with a line saying so.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import conftest
import psutil
import pytest
from conftest import copy_project

from werk.build import cache

pytestmark = pytest.mark.slow

WERK = [sys.executable, "-m", "werk.cli"]
# The copy is found from the working directory, as for an analyst: no root another test may have set.
ENV = {k: v for k, v in dict(os.environ, PYDEVD_DISABLE_FILE_VALIDATION="1").items() if k != "WERK_ROOT"}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = copy_project(tmp_path_factory.mktemp("faults") / "project")
    done = run(root, "build")
    assert done.returncode == 0, done.stderr
    return root


def run(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*WERK, *args], cwd=root, env=ENV, capture_output=True, text=True, timeout=900)


def start(root: Path, args: list[str], log: Path, code: str | None = None) -> subprocess.Popen:
    """Start ``werk ARGS`` (or the Python ``code``) in its own session, its stderr into ``log``."""
    cmd = [sys.executable, "-c", code] if code else [*WERK, *args]
    return subprocess.Popen(cmd, cwd=root, env=ENV, stdout=subprocess.DEVNULL, stderr=log.open("w"),
                            start_new_session=True)


def wait_for(predicate, timeout: float, what: str, proc=None):
    return conftest.wait_for(predicate, timeout, what, proc, name="the build", poll=0.02)


def edit_intro(root: Path, marker: str) -> None:
    """A prose edit: the next build compiles a new book without running a notebook."""
    intro = root / "intro.md"
    intro.write_text(intro.read_text(encoding="utf-8") + f"\n\n{marker}\n", encoding="utf-8")


def lock_free(root: Path, slug: str = "all") -> bool:
    with open(root / "_build" / "locks" / f"{slug}.lock", "w") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(f, fcntl.LOCK_UN)
        return True


def alive(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def holds_lock(p: psutil.Process, root: Path) -> bool:
    try:
        return any(f.path.startswith(str(root / "_build" / "locks")) for f in p.open_files())
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def assert_whole(html: Path) -> None:
    """The book at ``html`` is one book: its stamp's digest of the outputs matches every file there."""
    lines = (html / cache.BOOK_STAMP).read_text().split("\n")
    assert lines[1] == f"outputs {cache._outputs_digest(html)}", "the book's files are not the ones stamped"
    json.loads((html / "output-check.json").read_text(encoding="utf-8"))


def kill_and_watch(build: subprocess.Popen, root: Path, slugs: list[str]) -> None:
    """SIGKILL the build; its children must go, and the locks stay taken while any child holding one lives."""
    me = psutil.Process(build.pid)
    children = me.children(recursive=True)
    holders = [p for p in children if holds_lock(p, root)]
    assert holders, "no child held the build's lock"
    build.send_signal(signal.SIGKILL)
    build.wait(timeout=10)
    end = time.monotonic() + 15
    while time.monotonic() < end:
        free = all(lock_free(root, s) for s in slugs)
        if free:
            still = [p for p in holders if alive(p)]
            assert not still, "the lock was free while a child of the build still ran"
            break
        time.sleep(0.01)
    else:
        pytest.fail("the lock was still taken 15 s after the kill")
    wait_for(lambda: not [p for p in children if alive(p)], 15, "the killed build's children to end")


def test_kill_during_the_compile_leaves_no_process_and_a_clean_next_build(project, tmp_path):
    edit_intro(project, "Marker one of the compile kill.")
    log = tmp_path / "build.log"
    build = start(project, ["build"], log)
    wait_for(lambda: "compiling the book" in log.read_text(), 120, "the compile", build)
    # Jupyter Book runs as a child of the build: kill while it is there.
    wait_for(lambda: any("jupyter-book" in " ".join(p.cmdline())
                         for p in psutil.Process(build.pid).children(recursive=True)), 30,
             "Jupyter Book to start", build)
    kill_and_watch(build, project, ["all"])
    html = project / "_build" / "html"
    assert_whole(html)  # the previous book, untouched
    assert "Marker one" not in (html / "intro.html").read_text(encoding="utf-8")
    again = run(project, "build")
    assert again.returncode == 0, again.stderr
    assert "Marker one of the compile kill." in (html / "intro.html").read_text(encoding="utf-8")
    assert_whole(html)


def test_kill_during_all_editions_leaves_no_process(project, tmp_path):
    log = tmp_path / "editions.log"
    build = start(project, ["build", "--all-editions"], log)

    def kernels_and_compiler():
        kids = psutil.Process(build.pid).children(recursive=True)
        lines = [" ".join(p.cmdline()) for p in kids if alive(p)]
        return (any("ipykernel" in c for c in lines) and any("multiprocessing" in c for c in lines)
                and "compiling the book" in log.read_text())

    # The full book is cached by the fixture: it compiles while the kernels run a sector's notebooks.
    wait_for(kernels_and_compiler, 300, "kernels and a compile worker at once", build)
    slugs = sorted(p.stem for p in (project / "_build" / "locks").glob("*.lock"))
    kill_and_watch(build, project, slugs)
    again = run(project, "build")
    assert again.returncode == 0, again.stderr
    assert_whole(project / "_build" / "html")


SWAP_KILL = """
import os, signal, sys
from werk.build import pipeline
real = pipeline._exchange
def exchange(a, b):
    # The Dutch book compiles beside the English one and may swap first: the kill is at the English swap.
    if os.path.basename(b) != "html":
        return real(a, b)
    if {when!r} == "before":
        os.kill(os.getpid(), signal.SIGKILL)
    done = real(a, b)
    if {when!r} == "after":
        os.kill(os.getpid(), signal.SIGKILL)
    return done
pipeline._exchange = exchange
from werk.cli import main
sys.exit(main(["build"]))
"""


@pytest.mark.parametrize("when", ["before", "after"])
def test_kill_in_the_swap_window_leaves_one_whole_book(project, tmp_path, when):
    marker = f"Marker of a kill {when} the swap."
    edit_intro(project, marker)
    log = tmp_path / "swap.log"
    build = start(project, [], log, code=SWAP_KILL.format(when=when))
    build.wait(timeout=600)
    assert build.returncode == -signal.SIGKILL, log.read_text()
    html = project / "_build" / "html"
    assert_whole(html)
    shown = marker in (html / "intro.html").read_text(encoding="utf-8")
    assert shown == (when == "after"), "the old book before the exchange, the new one after it"
    assert not (project / "_build" / "html.old").exists()
    again = run(project, "build")
    assert again.returncode == 0, again.stderr
    assert marker in (html / "intro.html").read_text(encoding="utf-8")
    assert not any((project / "_build" / "tmp").glob("*/html")), "the old book left aside is removed"


FALLBACK_KILL = """
import os, signal, sys
from pathlib import Path
from werk.build import pipeline
pipeline._exchange = lambda a, b: False  # a file system without renameat2's exchange
real = Path.rename
def rename(self, target):
    done = real(self, target)
    if str(target).endswith("html.old"):
        os.kill(os.getpid(), signal.SIGKILL)
    return done
Path.rename = rename
from werk.cli import main
sys.exit(main(["build"]))
"""


def test_without_an_atomic_exchange_the_next_build_puts_the_book_back(project, tmp_path):
    edit_intro(project, "Marker of the fallback swap.")
    log = tmp_path / "fallback.log"
    build = start(project, [], log, code=FALLBACK_KILL)
    build.wait(timeout=600)
    assert build.returncode == -signal.SIGKILL, log.read_text()
    html = project / "_build" / "html"
    assert not html.exists() and (project / "_build" / "html.old").is_dir()
    again = run(project, "build")
    assert again.returncode == 0, again.stderr
    assert "put the previous book back" in again.stderr
    assert_whole(html)
    assert not (project / "_build" / "html.old").exists()


# ------------------------------------------------------------------------------- damaged cached files
def test_a_truncated_output_check_is_rebuilt(project):
    assert run(project, "build").returncode == 0
    report = project / "_build" / "html" / "output-check.json"
    report.write_bytes(report.read_bytes()[:200])
    again = run(project, "build")
    assert again.returncode == 0, again.stderr
    assert "changed, removed or cut short" in again.stderr
    json.loads(report.read_text(encoding="utf-8"))
    assert_whole(project / "_build" / "html")


def test_a_truncated_page_is_rebuilt(project):
    assert run(project, "build").returncode == 0
    page = project / "_build" / "html" / "notebooks" / "02_threat.html"
    whole = page.read_bytes()
    page.write_bytes(whole[:500])
    again = run(project, "build")
    assert again.returncode == 0, again.stderr
    assert "changed, removed or cut short" in again.stderr
    assert page.read_bytes() == whole
    assert "executed in" not in again.stderr, "the notebooks' cached runs were sound: none ran"


def test_a_damaged_cached_run_is_executed_again(project):
    assert run(project, "build").returncode == 0
    executed = project / "_build" / "executed" / "all" / "notebooks" / "02_threat.ipynb"
    nb = json.loads(executed.read_text(encoding="utf-8"))
    nb["cells"][-1].setdefault("outputs", []).append(
        {"output_type": "stream", "name": "stdout", "text": ["a number changed by hand: 42\n"]})
    executed.write_text(json.dumps(nb), encoding="utf-8")
    again = run(project, "build")
    assert again.returncode == 0, again.stderr
    assert "02_threat.ipynb: the cached run was changed or cut short" in again.stderr
    assert "02_threat.ipynb: executed in" in again.stderr
    assert "changed by hand" not in executed.read_text(encoding="utf-8")


def test_a_corrupt_kept_frame_is_replaced_by_the_build(project):
    assert run(project, "build").returncode == 0
    frames = sorted((project / "_build" / "frames").glob("*.pkl"), key=lambda f: f.stat().st_mtime)
    kept = frames[-1]
    whole = kept.read_bytes()
    kept.write_bytes(whole[: len(whole) // 3])
    again = run(project, "build")
    assert again.returncode == 0, again.stderr
    assert f"the validated frame kept in {kept} was unusable" in again.stderr
    assert kept.read_bytes() == whole
    third = run(project, "build")
    assert "unusable" not in third.stderr, "replaced once, used from then on"
