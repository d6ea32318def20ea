"""The notebooks' stored outputs, nbval's reference, are current, complete, deterministic and catch a change.

`make bless` (python -m werk.build.bless) writes them; `make test` runs
``pytest --nbval notebooks --nbval-sanitize-with tests/nbval_sanitize.cfg`` against them.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from werk.build import bless
from werk.core import paths

NOTEBOOKS = sorted(paths.NOTEBOOKS.glob("*.ipynb"))
SANITIZE = Path(__file__).with_name("nbval_sanitize.cfg")
ADVICE = "run `make bless` (and review the diff of the outputs before committing)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_outputs_match_the_code(path):
    nb = nbformat.read(path, as_version=4)
    reason = bless.stale(nb, f"notebooks/{path.name}")
    assert reason is None, f"{reason}: {ADVICE}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_outputs_are_a_usable_reference(path):
    """Every code cell ran; no warnings, paths, addresses, timestamps, random ids or papermill residue."""
    nb = nbformat.read(path, as_version=4)
    found = bless.problems(nb, f"notebooks/{path.name}")
    assert not found, "\n  ".join(found + [ADVICE])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_cell_relies_on_a_trailing_semicolon(path):
    """nbval runs cells without history, so a trailing ";" hides nothing there (nbval#194): a result a
    notebook would hide must not exist (the figure functions return None)."""
    nb = nbformat.read(path, as_version=4)
    ending = [i for i, c in enumerate(nb.cells)
              if c.cell_type == "code" and c.source.rstrip().splitlines()
              and c.source.rstrip().splitlines()[-1].rstrip().endswith(";")]
    assert not ending, f"notebooks/{path.name}: cells {ending} end with ';'"


def test_glue_outputs_carry_the_numbers():
    """nbval compares every mime type but images, so the glued numbers are part of the comparison."""
    glued = 0
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            for o in cell.get("outputs", []):
                glued += "application/papermill.record/text/plain" in o.get("data", {})
    assert glued >= 100, f"only {glued} glue outputs stored: {ADVICE}"


def test_a_code_change_makes_the_check_fail(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1", execution_count=1)]
    nb.metadata["werk"] = {"code_sha256": bless.code_digest(nb)}
    assert bless.stale(nb) is None and bless.problems(nb) == []
    nb.cells[0].source = "x = 2"
    assert "code changed" in bless.stale(nb)
    nb.cells.append(nbformat.v4.new_code_cell("y = 1"))
    assert any("has not run" in p for p in bless.problems(nb))


@pytest.mark.parametrize(
    "output, what",
    [
        (nbformat.v4.new_output("stream", name="stderr", text="FutureWarning: x"), "stderr"),
        (nbformat.v4.new_output("stream", name="stdout", text="read /work/main/data/twin.csv"),
         "absolute path"),
        (nbformat.v4.new_output("display_data", data={"text/plain": "<object at 0x7f3a2b1c9d80>"}),
         "memory address"),
        (nbformat.v4.new_output("stream", name="stdout", text="Date: 2026-11-29 02:30:01"), "timestamp"),
        (nbformat.v4.new_output("display_data", data={"text/html": '<table id="T_3fa1c_">'}), "random id"),
    ],
)
def test_volatile_outputs_are_refused(output, what):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("pass", execution_count=1, outputs=[output])]
    found = bless.problems(nb)
    assert any(what in p for p in found), found


def _nbval(*args, cwd) -> subprocess.CompletedProcess:
    # As `make test` runs it: nbval's own command (no project plugin), with this venv's kernel.
    return subprocess.run([sys.executable, "-m", "pytest", "--nbval", *args,
                           "--nbval-current-env", "--nbval-sanitize-with", str(SANITIZE),
                           "-p", "no:cacheprovider", "-q", "--color=no"],
                          capture_output=True, text=True, cwd=cwd, timeout=900)


@pytest.mark.slow
def test_a_changed_number_makes_nbval_fail(tmp_path):
    """One stored glue value of a blessed notebook altered: nbval fails on that cell, names both values."""
    src = paths.NOTEBOOKS / "01_design.ipynb"
    nb = nbformat.read(src, as_version=4)
    assert bless.stale(nb) is None, ADVICE
    target = None
    for i, cell in enumerate(nb.cells):
        for o in cell.get("outputs", []):
            if o.get("metadata", {}).get("scrapbook", {}).get("name") == "n_total":
                target, old = i, o["data"]["application/papermill.record/text/plain"]
                o["data"]["application/papermill.record/text/plain"] = old.replace("5", "6", 1)
                new = o["data"]["application/papermill.record/text/plain"]
    assert target is not None and old != new, "01_design.ipynb stores no n_total glue output: " + ADVICE
    nbformat.write(nb, tmp_path / "01_design.ipynb")

    proc = _nbval("01_design.ipynb", cwd=tmp_path)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    code_cells = sum(c.cell_type == "code" for c in nb.cells)
    assert re.search(rf"\b1 failed, {code_cells - 1} passed\b", out), out
    assert "Cell outputs differ" in out or "mismatch 'application/papermill.record/text/plain'" in out, out
    assert old in out and new in out, out
