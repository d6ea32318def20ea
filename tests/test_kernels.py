"""Warm kernels (werk.build.kernels): many notebooks in one kernel, each meeting the state of a fresh one.

The fast tests drive ``run_jobs`` with a stand-in for the notebook run. The slow ones start real
kernels: a notebook that changes every kind of kernel state it can, then one that reports that
state, run in one warm kernel and compared with the report from a fresh kernel; every notebook of
the built book against a fresh kernel's run, output for output; and a failing notebook that
retires its kernel.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import nbformat
import pytest

from werk.build import kernels


# ------------------------------------------------------------------------------------------- run_jobs
def test_run_jobs_returns_results_in_job_order_and_reports_each_as_it_finishes():
    seen, callers = [], []

    def run(job, kernel):
        return job * 10

    def done(res):
        seen.append(res)
        callers.append(threading.current_thread() is threading.main_thread())

    assert kernels.run_jobs(list(range(7)), run, workers=2, done=done) == [0, 10, 20, 30, 40, 50, 60]
    assert sorted(seen) == [0, 10, 20, 30, 40, 50, 60]
    assert all(callers), "done() runs in the caller's thread"


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_each_worker_keeps_one_kernel_for_all_its_jobs(workers):
    used = []
    lock = threading.Lock()

    def run(job, kernel):
        with lock:
            used.append((threading.current_thread().name, id(kernel)))

    kernels.run_jobs(list(range(9)), run, workers=workers)
    assert len(used) == 9
    by_thread = {}
    for thread, kernel in used:
        by_thread.setdefault(thread, set()).add(kernel)
    assert 1 <= len(by_thread) <= workers
    assert all(len(ks) == 1 for ks in by_thread.values())


def test_a_job_that_raises_stops_the_run_and_reaches_the_caller():
    ran = []

    def run(job, kernel):
        ran.append(job)
        if job == 1:
            raise ValueError("job 1 broke")
        return job

    with pytest.raises(ValueError, match="job 1 broke"):
        kernels.run_jobs(list(range(50)), run, workers=1)
    assert len(ran) < 50, "after the failure no new job starts"


def test_no_kernel_starts_when_no_notebook_runs(monkeypatch):
    """A fully cached build hands every job back without executing: no kernel process is started."""
    started = []
    monkeypatch.setattr(kernels.Kernel, "_start", lambda self, cwd: started.append(cwd))
    assert kernels.run_jobs([1, 2, 3], lambda job, kernel: "cached", workers=2) == ["cached"] * 3
    assert started == []


def test_the_reset_code_compiles_and_names_the_folder():
    code = kernels.reset_code(Path("/some/notebooks"), ["/some/notebooks"])
    compile(code, "<reset>", "exec")
    assert "_werk_fresh('/some/notebooks', ['/some/notebooks'], False)" in code
    assert "_werk_fresh('/x', ['/x'], True)" in kernels.reset_code(Path("/x"), ["/x"], drop_werk=True)


# ------------------------------------------------------------------------------- real kernels (slow)
def _notebook(path: Path, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


SPOIL = """\
import os, sys, warnings
import matplotlib as mpl
import numpy as np
import pandas as pd
import helper
from werk.disclosure import record
from werk.disclosure.rules import Check

helper.STATE.append("from the first notebook")
secret = 42
mpl.rcParams["lines.linewidth"] = 9
pd.set_option("display.precision", 1)
np.set_printoptions(precision=2)
warnings.simplefilter("error")
os.environ["WERK_LEAK"] = "1"
sys.path.insert(0, "/nowhere")
os.chdir("/")
record.record(Check(output="leak", kind="number"))
print(os.getpid())
"""

REPORT = """\
import json, os, sys, warnings
import matplotlib as mpl
import numpy as np
import pandas as pd
import helper
from werk.disclosure import record

state = {
    "secret": "secret" in globals(),
    "helper": helper.STATE,
    "linewidth": mpl.rcParams["lines.linewidth"],
    "pandas_precision": pd.get_option("display.precision"),
    "numpy_precision": np.get_printoptions()["precision"],
    "first_filter": str(warnings.filters[0]),
    "filters": len(warnings.filters),
    "env": os.environ.get("WERK_LEAK"),
    "path": "/nowhere" in sys.path,
    "cwd": os.getcwd(),
    "checks": len(record.current().checks),
    "in": len(In),
}
print(json.dumps(state, sort_keys=True))
"""


def _printed(nb_path: Path) -> list[str]:
    nb = nbformat.read(nb_path, as_version=4)
    return [o.get("text", "") for c in nb.cells for o in c.get("outputs", []) if o.get("name") == "stdout"]


def _counts(nb_path: Path) -> list:
    return [c.get("execution_count") for c in nbformat.read(nb_path, as_version=4).cells]


@pytest.mark.slow
def test_a_notebook_in_a_warm_kernel_meets_the_state_of_a_fresh_kernel(tmp_path):
    import papermill as pm

    folder = tmp_path / "nbs"
    folder.mkdir()
    (folder / "helper.py").write_text("STATE = []\n")
    spoil = _notebook(folder / "spoil.ipynb", SPOIL)
    report = _notebook(folder / "report.ipynb", REPORT, "1 + 1")

    kernel = kernels.Kernel(roots=[folder])
    try:
        kernel.execute(spoil, tmp_path / "spoil.out.ipynb", {}, cwd=folder)
        km = kernel.km
        kernel.execute(report, tmp_path / "warm.out.ipynb", {}, cwd=folder)
        kernel.execute(spoil, tmp_path / "spoil2.out.ipynb", {}, cwd=folder)
        assert kernel.km is km and kernel.runs == 3, "the three notebooks ran in one kernel"
    finally:
        kernel.close()
    pids = {_printed(tmp_path / n)[0] for n in ("spoil.out.ipynb", "spoil2.out.ipynb")}
    assert len(pids) == 1, "one kernel process ran them"

    pm.execute_notebook(str(report), str(tmp_path / "fresh.out.ipynb"), kernel_name="python3",
                        progress_bar=False, cwd=str(folder))
    warm, fresh = _printed(tmp_path / "warm.out.ipynb"), _printed(tmp_path / "fresh.out.ipynb")
    assert warm == fresh
    state = json.loads(fresh[0])
    assert state["secret"] is False and state["helper"] == [] and state["checks"] == 0
    assert state["cwd"] == str(folder)
    assert _counts(tmp_path / "warm.out.ipynb") == _counts(tmp_path / "fresh.out.ipynb") == [1, 2]


@pytest.mark.slow
def test_a_failed_notebook_retires_its_kernel(tmp_path):
    from papermill.exceptions import PapermillExecutionError

    bad = _notebook(tmp_path / "bad.ipynb", "import os\nprint(os.getpid())",
                    "raise RuntimeError('on purpose')")
    good = _notebook(tmp_path / "good.ipynb", "import os\nprint(os.getpid())")
    kernel = kernels.Kernel()
    try:
        with pytest.raises(PapermillExecutionError, match="on purpose"):
            kernel.execute(bad, tmp_path / "bad.out.ipynb", {}, cwd=tmp_path)
        assert kernel.km is None
        kernel.execute(good, tmp_path / "good.out.ipynb", {}, cwd=tmp_path)
    finally:
        kernel.close()
    assert _printed(tmp_path / "bad.out.ipynb")[0] != _printed(tmp_path / "good.out.ipynb")[0]


def _outputs(nb_path: Path) -> list:
    nb = nbformat.read(nb_path, as_version=4)
    return [(c.get("execution_count"), c.get("outputs")) for c in nb.cells if c.cell_type == "code"]


@pytest.mark.slow
def test_the_built_books_notebooks_equal_fresh_kernel_runs(built_book, tmp_path):
    """Every notebook of the book, as the build ran it (two warm kernels, several notebooks each, the
    data through the kept validated frame), against papermill in a fresh kernel with the same
    parameters: figures, tables, glued numbers and output checks, byte for byte."""
    from concurrent.futures import ThreadPoolExecutor

    import papermill as pm

    from werk.build import pipeline as build

    executed = built_book / "_build" / "executed" / "all"
    names = build.notebooks_in_toc(built_book)

    def fresh(nb):
        params = nbformat.read(executed / nb, as_version=4).metadata["papermill"]["parameters"]
        out = tmp_path / nb.name
        pm.execute_notebook(str(built_book / nb), str(out), parameters=params, kernel_name="python3",
                            progress_bar=False, cwd=str((built_book / nb).parent))
        return out

    from werk.core import paths

    # The fresh kernels get the book's root as the warm ones do (the build's kernel_env), so that what
    # another test left in the environment cannot make them read another project's twin.
    # papermill's cwd= changes this process's working directory while a notebook runs (papermill.utils.chdir);
    # two threads that do so at once can restore each other's, leaving the test session in the book copy,
    # where every later test would find that copy as its project (werk.core.paths): the folder is put back.
    here = os.getcwd()
    try:
        with paths.rooted(built_book), ThreadPoolExecutor(max_workers=2) as pool:
            runs = dict(zip(names, pool.map(fresh, names)))
    finally:
        os.chdir(here)
    for nb, out in runs.items():
        warm, cold = _outputs(executed / nb), _outputs(out)
        assert len(warm) == len(cold)
        for i, (w, f) in enumerate(zip(warm, cold)):
            assert w == f, f"{nb}, code cell {i}: the warm kernel's output differs from a fresh kernel's"
