"""The project root comes from where the command runs (or ``--root``), not from where werk is installed.

werk is installed editable from one checkout; a copy of the project must build the copy's notebooks
and read the copy's data. The fast tests check :func:`werk.core.paths.root` and the command's
``--root``; the slow ones build a copy with ``werk build``, from inside it and with ``--root``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import copy_project

from werk import cli
from werk.build import pipeline
from werk.core import paths
from werk.stats import synth

#: The checkout werk is installed from (editable): what a copy must leave alone.
CHECKOUT = paths.PACKAGE.parents[1]


def make_project(folder: Path) -> Path:
    """A minimal book folder: ``_config.yml`` next to ``_toc.yml``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "_config.yml").write_text("title: a book\n")
    (folder / "_toc.yml").write_text("format: jb-book\nroot: intro\n")
    (folder / "intro.md").write_text("# Intro\n")
    return folder.resolve()


@pytest.fixture
def no_root_env(monkeypatch):
    """WERK_ROOT unset for the test; anything the test sets (the command's --root) is undone after it."""
    monkeypatch.setenv(paths.ENV, "")  # empty counts as unset; setenv records it for undoing
    return monkeypatch


# ------------------------------------------------------------------------------------- root() resolution
def test_root_is_the_project_the_working_directory_is_in(tmp_path, no_root_env):
    project = make_project(tmp_path / "book")
    no_root_env.chdir(project)
    assert paths.root() == project
    assert paths.ROOT == project
    assert paths.DATA == project / "data"
    assert paths.NOTEBOOKS == project / "notebooks"
    assert paths.BUILD == project / "_build"
    assert paths.TWIN == project / "data" / "twin.csv"
    assert paths.PUBLISHED == project / "data" / "published.yml"
    assert synth.PARAMS == project / "data" / "twin_params.yml"


def test_root_is_found_from_a_subfolder(tmp_path, no_root_env):
    """A notebook's kernel runs in the notebook's folder: the project is the nearest book folder above."""
    project = make_project(tmp_path / "book")
    deep = project / "notebooks" / "drafts"
    deep.mkdir(parents=True)
    (project / "notebooks" / "_config.yml").write_text("# a _config.yml without a _toc.yml: not a book\n")
    no_root_env.chdir(deep)
    assert paths.root() == project
    assert paths.PUBLISHED == project / "data" / "published.yml"


def test_werk_root_wins_over_the_working_directory(tmp_path, no_root_env):
    project = make_project(tmp_path / "book")
    other = make_project(tmp_path / "other")
    no_root_env.chdir(project)
    no_root_env.setenv(paths.ENV, str(other))
    assert paths.root() == other
    assert paths.TWIN == other / "data" / "twin.csv"


def test_without_a_project_the_installed_checkout_then_the_working_directory(tmp_path, no_root_env):
    lost = tmp_path / "nowhere"
    lost.mkdir()
    if any(paths.is_project(f) for f in (lost.resolve(), *lost.resolve().parents)):
        pytest.skip(f"a book folder above {lost}")
    no_root_env.chdir(lost)
    assert paths.is_project(CHECKOUT)
    assert paths.root() == CHECKOUT  # the checkout werk is installed from
    no_root_env.setattr(paths, "PACKAGE", tmp_path / "site-packages" / "werk")  # installed, not a checkout
    assert paths.root() == lost.resolve()


def test_an_assigned_path_wins_and_undoing_it_makes_it_lazy_again(tmp_path, no_root_env):
    """Tests replace paths.ROOT with monkeypatch; once undone, it follows the working directory again."""
    first, second = make_project(tmp_path / "first"), make_project(tmp_path / "second")
    no_root_env.chdir(first)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(paths, "ROOT", tmp_path)
        assert paths.ROOT == tmp_path
    assert paths.ROOT == first
    no_root_env.chdir(second)
    assert paths.ROOT == second


def test_rooted_sets_and_restores_werk_root(tmp_path, no_root_env):
    project = make_project(tmp_path / "book")
    with paths.rooted(project):
        assert os.environ[paths.ENV] == str(project)
        assert paths.ROOT == project
    assert os.environ[paths.ENV] == ""


# ------------------------------------------------------------------------------------------ the command
@pytest.mark.parametrize("where", ["before", "after"])
def test_root_option_before_or_after_the_subcommand(tmp_path, no_root_env, capsys, where):
    project = make_project(tmp_path / "book")
    (project / "data").mkdir()
    shutil.copy2(CHECKOUT / "data" / "twin.csv", project / "data" / "twin.csv")
    no_root_env.chdir(tmp_path)
    argv = ["--root", str(project), "validate"] if where == "before" else ["validate", "--root", str(project)]
    assert cli.main(argv) == 0
    assert capsys.readouterr().out.startswith(f"{project / 'data' / 'twin.csv'}: ")
    assert os.environ[paths.ENV] == str(project)  # what the processes the command starts inherit


def test_root_option_names_a_folder(tmp_path, no_root_env, capsys):
    assert cli.main(["--root", str(tmp_path / "missing"), "validate"]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_root_option_is_in_the_help(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert "--root DIR" in capsys.readouterr().out


def test_the_build_gives_its_kernels_the_root(tmp_path, no_root_env, monkeypatch):
    """Notebooks of a copy resolve the copy's data/published.yml: the kernels are told the root."""
    project = make_project(tmp_path / "book")
    seen = {}

    def run_jobs(jobs, run, workers, roots=(), done=None, env=None, pool=None):
        seen.update(env or {})
        return []

    monkeypatch.setattr(pipeline.kernels, "run_jobs", run_jobs)
    pipeline.execute_editions({"all": {"data_path": str(project / "data" / "twin.csv")}}, root=project)
    assert seen[paths.ENV] == str(project)


# --------------------------------------------------------------------------------- building a copy
#: The sentence of notebooks/01_design.ipynb whose word the copy changes.
PROSE = "a questionnaire survey that Statistics Netherlands"
PAGE = Path("_build") / "html" / "notebooks" / "01_design.html"


def werk_command() -> list[str]:
    """The werk command of this interpreter's environment."""
    script = Path(sys.executable).with_name("werk")
    return [str(script)] if script.exists() else [sys.executable, "-m", "werk.cli"]


@pytest.fixture(scope="module")
def project_copy(tmp_path_factory) -> Path:
    """A copy of the project (sources and data) in a temporary folder, shared by the builds below."""
    root = copy_project(tmp_path_factory.mktemp("copy") / "project").resolve()
    assert (root / "data" / "published.yml").is_file()
    return root


@pytest.fixture
def checkout_state():
    """The installed checkout's notebook and HTML page as they were: a copy's build must leave them be."""
    def state():
        page = CHECKOUT / PAGE
        return ((CHECKOUT / "notebooks" / "01_design.ipynb").read_bytes(),
                page.stat().st_mtime_ns if page.exists() else None)
    before = state()
    yield lambda: state() == before


def say(root: Path, word: str) -> None:
    """Change one visible word of the copy's 01_design.ipynb (a markdown cell) to ``word``."""
    original = (CHECKOUT / "notebooks" / "01_design.ipynb").read_text(encoding="utf-8")
    assert original.count(PROSE) == 1, f"01_design.ipynb no longer says {PROSE!r}: pick another sentence"
    changed = original.replace(PROSE, PROSE.replace("questionnaire", word))
    (root / "notebooks" / "01_design.ipynb").write_text(changed, encoding="utf-8")


def werk_build(args: list[str], cwd: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != paths.ENV}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    proc = subprocess.run(werk_command() + args, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=1800)
    assert proc.returncode == 0, f"werk {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr[-4000:]}"


def assert_built(root: Path, word: str, checkout_untouched) -> None:
    html = (root / PAGE).read_text(encoding="utf-8")
    assert f"a {word} survey" in html, "the copy's book was built from other notebooks than the copy's"
    assert checkout_untouched(), "building the copy changed the installed checkout's notebook or book"
    page = CHECKOUT / PAGE
    assert not page.exists() or word not in page.read_text(encoding="utf-8")


@pytest.mark.slow
def test_werk_build_in_a_copy_builds_the_copy(project_copy, checkout_state):
    say(project_copy, "copyprobe")
    werk_build(["build"], cwd=project_copy)
    assert_built(project_copy, "copyprobe", checkout_state)


@pytest.mark.slow
def test_werk_build_with_root_builds_that_project(project_copy, checkout_state, tmp_path):
    elsewhere = tmp_path / "elsewhere"  # no book above: without --root this would be the checkout
    elsewhere.mkdir()
    say(project_copy, "rootprobe")
    werk_build(["--root", str(project_copy), "build"], cwd=elsewhere)
    assert_built(project_copy, "rootprobe", checkout_state)
    assert "copyprobe" not in (project_copy / PAGE).read_text(encoding="utf-8")
