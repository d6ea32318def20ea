"""Shared fixtures for the werk tests."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

# The disclosure audit's decisions are shared by every build and notebook run of the session (see the
# Makefile's test target, which sets the same folder for nbval); they are keyed by their inputs and code.
os.environ.setdefault("WERK_AUDIT_CACHE", str(Path(__file__).resolve().parents[1] / "_build" / "audit"))


def make_canonical_frame(n: int = 40, seed: int = 2019) -> pd.DataFrame:
    """A small canonical analysis frame, valid for every codebook column and constraint.

    Some answers are missing (NaN) on purpose, so that the loaders' handling of missing
    values is part of every round trip.
    """
    rng = np.random.default_rng(seed)
    age = rng.integers(25, 65, n).astype("float64")
    years_gov = np.floor(rng.uniform(0, 1, n) * (age - 15))
    years_fun = np.floor(rng.uniform(0, 1, n) * years_gov)

    def quarters():
        return rng.integers(4, 21, n) / 4  # scale scores on a grid of quarter points, 1-5

    frame = pd.DataFrame(
        {
            "respondent_id": np.arange(1001, 1001 + n, dtype="int64"),
            "weight": np.round(rng.uniform(0.4, 2.5, n), 4),
            "sector": rng.integers(1, 8, n).astype("int64"),
            "age": age,
            "gender": rng.integers(1, 3, n).astype("float64"),
            "education": rng.integers(1, 4, n).astype("float64"),
            "income": rng.integers(1, 6, n).astype("float64"),
            "permanent_contract": rng.integers(0, 2, n).astype("float64"),
            "manager": rng.integers(0, 2, n).astype("float64"),
            "multiple_jobs": rng.integers(0, 2, n).astype("float64"),
            "contract_hours": np.round(rng.uniform(8, 40, n) * 2) / 2,  # halves: 36.5 tests decimal commas
            "years_in_government": years_gov,
            "years_in_function": years_fun,
            "threat": rng.integers(1, 6, n).astype("float64"),
            "keep_up": rng.integers(1, 6, n).astype("float64"),
            "employability": quarters(),
            "expertise": quarters(),
            "adaptability": quarters(),
            "continuous_improvement": quarters(),
            "career_self_management": quarters(),
            "development_motivation": quarters(),
            "hrm_quality": quarters(),
            "leadership": quarters(),
        }
    )
    # Missing answers, away from row 0 so that every column still shows its type.
    frame.loc[[3, 7], "threat"] = np.nan
    frame.loc[[5], "keep_up"] = np.nan
    frame.loc[[11], "age"] = np.nan
    frame.loc[[12, 30], "employability"] = np.nan
    frame.loc[[20], "contract_hours"] = np.nan
    return frame


@pytest.fixture
def canonical_frame() -> pd.DataFrame:
    """A fresh copy of the small valid canonical frame (tests may change it)."""
    return make_canonical_frame()


# ------------------------------------------------------------------------------------------- built books
# Building the book takes half a minute, so it is built once per test session, into a copy of the project
# in a temporary folder: tests never touch the developer's own _build.

PROJECT_FILES = ["_config.yml", "_toc.yml", "intro.md", "references.md", "cite.md", "references.bib",
                 "_static", "notebooks", "data", "locales"]


def copy_project(dest):
    """Copy the book sources and data (not _build, not .venv) into ``dest``; return it.

    A build of the copy reads the copy's own files (werk.core.paths finds the project from its root):
    its notebooks, and its ``data/`` (the twin, published.yml).
    """
    import shutil
    from pathlib import Path

    from werk.core import paths

    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        src = paths.ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        else:
            shutil.copy2(src, dest / name)
    return dest


@pytest.fixture(scope="session")
def built_book(tmp_path_factory):
    """The default book (the twin, all sectors), built once: returns the project copy's root.

    HTML in ``root / "_build/html"``, executed notebooks in ``root / "_build/executed/all"``.
    """
    from werk.build import pipeline as build

    root = copy_project(tmp_path_factory.mktemp("book"))
    build.build(root=root)
    return root


def wait_for(predicate, timeout: float, what: str, proc=None, name: str = "the process", poll: float = 0.05):
    """Poll ``predicate`` until it returns something true (returned) or ``timeout`` seconds pass (a failure).

    With ``proc`` (a ``subprocess.Popen``), its ending first is a failure too, named ``name``.
    """
    import time

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"{name} ended (status {proc.returncode}) before {what}")
        time.sleep(poll)
    pytest.fail(f"timed out waiting for {what}")
