"""Compiling the book (werk.build.pipeline.compile_book): when Sphinx may reuse its environment, never stale.

The fast tests replace Jupyter Book by a stand-in that records whether it found Sphinx's previous
environment. The slow test compiles the real book after a paragraph edit and after a title edit,
and compares every file with a first compile of the same sources.
"""

from __future__ import annotations

import filecmp
import shutil
from pathlib import Path

import pytest

from werk.build import pipeline as build


# ------------------------------------------------------------------------------------ with a stand-in
@pytest.fixture
def staged(tmp_path, monkeypatch):
    """A staged book (one notebook, a markdown page, a config) and a stand-in for Jupyter Book."""
    root = tmp_path / "project"
    st = root / "_build" / "stage" / "all"
    (st / "notebooks").mkdir(parents=True)
    (st / "_config.yml").write_text("title: a book\n")
    (st / "intro.md").write_text("# Intro\n")
    (st / "notebooks" / "a.ipynb").write_text('{"cells": []}\n')
    seen, fail = [], []

    def fake_jupyter_book(stage_dir, out, builder, epoch=None):
        env = out / "_build" / ".doctrees" / "environment.pickle"
        seen.append("reused" if env.exists() else "fresh")
        if fail:
            return build.subprocess.CompletedProcess([], 1, "WARNING: on purpose", "")
        env.parent.mkdir(parents=True, exist_ok=True)
        env.write_text("sphinx")
        html = out / "_build" / "html"
        html.mkdir(parents=True, exist_ok=True)
        (html / "index.html").write_text((stage_dir / "intro.md").read_text())
        (html / "_static").mkdir(exist_ok=True)
        (html / "_static" / "theme.js").write_text("the same in every compile\n")
        return build.subprocess.CompletedProcess([], 0, "", "")

    monkeypatch.setattr(build, "_jupyter_book", fake_jupyter_book)
    return {"root": root, "stage": st, "seen": seen, "fail": fail}


def compile_(s, **kw):
    return build.compile_book(s["stage"], "all", "html", root=s["root"], **kw)


def test_a_page_edit_without_a_run_reuses_the_environment(staged):
    compile_(staged, fresh=False)
    (staged["stage"] / "intro.md").write_text("# Intro, edited\n")
    out = compile_(staged, fresh=False)
    assert staged["seen"] == ["fresh", "reused"]
    assert (out / "index.html").read_text() == "# Intro, edited\n"


def test_a_notebook_that_ran_compiles_from_scratch(staged):
    compile_(staged, fresh=False)
    (staged["stage"] / "notebooks" / "a.ipynb").write_text('{"cells": [1]}\n')
    compile_(staged, fresh=True)
    assert staged["seen"] == ["fresh", "fresh"]


@pytest.mark.parametrize("change", ["config", "new page", "removed page", "force"])
def test_anything_but_page_edits_compiles_from_scratch(staged, change):
    compile_(staged, fresh=False)
    st = staged["stage"]
    kw = {}
    if change == "config":
        (st / "_config.yml").write_text("title: another title\n")
    elif change == "new page":
        (st / "notebooks" / "b.ipynb").write_text('{"cells": []}\n')
    elif change == "removed page":
        (st / "notebooks" / "a.ipynb").unlink()
    else:
        (st / "intro.md").write_text("# Intro, edited\n")
        kw["force"] = True
    compile_(staged, fresh=False, **kw)
    assert staged["seen"] == ["fresh", "fresh"]


def test_a_failed_compile_keeps_the_book_and_starts_over_next_time(staged):
    first = compile_(staged, fresh=False)
    (staged["stage"] / "intro.md").write_text("# Intro, edited\n")
    staged["fail"].append(True)
    with pytest.raises(build.BuildError, match="on purpose"):
        compile_(staged, fresh=False)
    assert (first / "index.html").read_text() == "# Intro\n", "the previous book is left in place"
    staged["fail"].clear()
    compile_(staged, fresh=False)
    assert staged["seen"] == ["fresh", "reused", "fresh"]


def test_unchanged_files_are_linked_and_the_published_book_is_never_written_through(staged, tmp_path):
    first = compile_(staged, fresh=False, extras={"output-check.json": b"first\n"})
    # Witnesses: other names of the first published book's files; whatever writes into them shows.
    witness = {name: tmp_path / name.replace("/", "-") for name in
               ("index.html", "_static/theme.js", "output-check.json", build.cache.BOOK_STAMP)}
    for name, other in witness.items():
        build.os.link(first / name, other)
    (staged["stage"] / "intro.md").write_text("# Intro, edited\n")
    out = compile_(staged, fresh=False, extras={"output-check.json": b"second\n"})
    assert (out / "index.html").read_text() == "# Intro, edited\n"
    assert (out / "output-check.json").read_bytes() == b"second\n"
    assert witness["index.html"].read_text() == "# Intro\n"
    assert witness["output-check.json"].read_bytes() == b"first\n"
    assert witness[build.cache.BOOK_STAMP].read_text() != (out / build.cache.BOOK_STAMP).read_text()
    # The file whose bytes did not change is the published one, linked rather than copied.
    assert (out / "_static" / "theme.js").stat().st_ino == witness["_static/theme.js"].stat().st_ino
    assert (out / "index.html").stat().st_ino != witness["index.html"].stat().st_ino
    assert build.cache.book_state(out, (out / build.cache.BOOK_STAMP).read_text().split()[0]) == "current"


def test_publishing_copies_where_it_cannot_link(staged, monkeypatch):
    first = compile_(staged, fresh=False)
    inode = (first / "_static" / "theme.js").stat().st_ino

    def no_links(*a, **kw):
        raise OSError("links not supported here")

    monkeypatch.setattr(build.os, "link", no_links)
    (staged["stage"] / "intro.md").write_text("# Intro, edited\n")
    out = compile_(staged, fresh=False)
    assert (out / "_static" / "theme.js").read_text() == "the same in every compile\n"
    assert (out / "_static" / "theme.js").stat().st_ino != inode
    assert build.cache.book_state(out, (out / build.cache.BOOK_STAMP).read_text().split()[0]) == "current"


def test_an_unchanged_stage_is_not_compiled(staged):
    compile_(staged, fresh=False)
    compile_(staged, fresh=False)
    assert staged["seen"] == ["fresh"]


def _ran(monkeypatch, root: Path) -> int:
    """What execute_editions counts for ``fresh`` when the pages come from the cache and only the pages
    that summarize others run (as after a retitle, which changes the titles their records hold)."""
    from werk.core import paths

    def run_jobs(jobs, run, workers, roots=(), done=None, env=None, pool=None):
        for j in jobs:
            res = {"nb": j["name"], "slug": j["slug"], "seconds": 0.0, "cached": not j["reads_records"]}
            if j["reads_records"]:
                res.update(summarizes=True, quoted=j["quoted"])
            done(res)

    monkeypatch.setattr(build.kernels, "run_jobs", run_jobs)
    parameters = {"data_path": str(paths.TWIN), "mapping_path": None, "edition": "all"}
    errors, ran = build.execute_editions({"all": parameters}, root=root)
    assert errors == {}
    return ran["all"]


def test_a_summary_that_ran_starts_the_compile_over_only_when_a_page_quotes_it(monkeypatch, tmp_path):
    import conftest

    root = conftest.copy_project(tmp_path / "book")
    jobs = {Path(j["name"]).stem: j for j in build._jobs({"data_path": __file__}, "all", False, root)}
    assert jobs["01_design"]["quoted"] and jobs["02_threat"]["quoted"]  # intro.md quotes their numbers
    assert jobs["05_ledger"]["reads_records"] and not jobs["05_ledger"]["quoted"]
    assert jobs["08_output_check"]["reads_records"] and not jobs["08_output_check"]["quoted"]
    assert _ran(monkeypatch, root) == 0  # Sphinx may reuse its environment
    # A page that shows a number of the appendix: the appendix that ran makes the compile start over.
    intro = root / "intro.md"
    quote = "\n{glue:text}`notebooks/08_output_check.ipynb::oc_outputs:s` outputs.\n"
    intro.write_text(intro.read_text(encoding="utf-8") + quote, encoding="utf-8")
    assert _ran(monkeypatch, root) == 1


# ------------------------------------------------------------------------------------- the real book
def _same_files(a: Path, b: Path) -> list[str]:
    """Files that differ or exist on one side only (the book's stamp and output check aside)."""
    skip = {".werk-sources.sha256", "output-check.json"}
    out = []

    def walk(cmp, rel=""):
        out.extend(f"{rel}{n}" for n in cmp.left_only + cmp.right_only if n not in skip)
        out.extend(f"{rel}{n}" for n in cmp.diff_files)
        for name, sub in cmp.subdirs.items():
            walk(sub, f"{rel}{name}/")

    walk(filecmp.dircmp(a, b))
    return out


def _edit_markdown(nb_path: Path, has, change) -> None:
    """Change the source of the first markdown cell with a line that ``has(line)``."""
    import nbformat

    nb = nbformat.read(nb_path, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "markdown" and any(map(has, c.source.splitlines())))
    cell.source = change(cell.source)
    nbformat.write(nb, nb_path)


def _retitle(source: str) -> str:
    return "\n".join(ln + " (retitled)" if ln.startswith("# ") else ln for ln in source.splitlines())


@pytest.mark.slow
def test_a_prose_edit_compiles_its_page_only_and_gives_a_first_compiles_bytes(built_book, tmp_path, capfd):
    import conftest

    root = conftest.copy_project(tmp_path / "book")
    shutil.copytree(built_book / "_build" / "executed", root / "_build" / "executed")  # no notebook runs
    build.build(root=root)
    work = root / "_build" / "sphinx" / "all" / "_build" / "html"
    untouched = work / "notebooks" / "02_threat.html"
    before = untouched.stat().st_mtime_ns
    capfd.readouterr()

    # A sentence: Sphinx reads and writes that page (and the ones that list it), no other.
    nb = root / "notebooks" / "03_keep_up.ipynb"
    _edit_markdown(nb, lambda ln: ln and not ln.startswith(("#", "(")),
                   lambda s: s + "\n\nA sentence only the new book has.")
    html = build.build(root=root).parent
    assert "changed pages only" in capfd.readouterr().err
    assert "A sentence only the new book has." in (html / "notebooks" / "03_keep_up.html").read_text()
    assert untouched.stat().st_mtime_ns == before, "an unchanged page is not written again"
    first = tmp_path / "first"
    assert build._jupyter_book(root / "_build" / "stage" / "all", first, "html").returncode == 0
    assert _same_files(html, first / "_build" / "html") == []

    # A page title shows in every page's navigation: every page is written again.
    _edit_markdown(nb, lambda ln: ln.startswith("# "), _retitle)
    html = build.build(root=root).parent
    assert "changed pages only" in capfd.readouterr().err
    assert "(retitled)" in (html / "notebooks" / "02_threat.html").read_text()
    assert untouched.stat().st_mtime_ns != before
    shutil.rmtree(first)
    assert build._jupyter_book(root / "_build" / "stage" / "all", first, "html").returncode == 0
    assert _same_files(html, first / "_build" / "html") == []


# ------------------------------------------------------------------------------------------ build lock
def test_a_second_build_of_an_edition_waits_for_the_first(tmp_path, capsys):
    import threading

    order = []
    inside = threading.Event()
    release = threading.Event()

    def first():
        with build.locked(tmp_path, ["gemeente"]):
            order.append("first in")
            inside.set()
            release.wait(10)
            order.append("first out")

    t = threading.Thread(target=first)
    t.start()
    assert inside.wait(10)
    # Another edition is not held up.
    with build.locked(tmp_path, ["waterschap"]):
        order.append("other edition")
    threading.Timer(0.3, release.set).start()
    with build.locked(tmp_path, ["waterschap", "gemeente"]):
        order.append("second in")
    t.join()
    assert order == ["first in", "other edition", "first out", "second in"]
    assert "[gemeente] another build of this edition is running" in capsys.readouterr().err


# ------------------------------------------------------------------------------------ compile workers
@pytest.mark.slow
def test_compile_workers_give_the_commands_bytes_book_after_book(built_book, tmp_path):
    """build_all compiles in worker processes that keep Sphinx loaded: the second and third book a
    worker compiles are byte for byte what ``jupyter-book build`` gives (nothing leaks between books),
    and a failing book fails there as it does in the command, with its warnings."""
    st = built_book / "_build" / "stage" / "all"
    assert build._jupyter_book(st, tmp_path / "command", "html").returncode == 0
    broken = tmp_path / "broken"
    shutil.copytree(st, broken)
    (broken / "intro.md").write_text((st / "intro.md").read_text() + "\n{numref}`no-such-label`\n")
    with build.CompilePool(1) as pool:
        runs = [pool.run(st, tmp_path / f"worker-{i}", "html") for i in range(3)]
        failed = pool.run(broken, tmp_path / "broken-out", "html")
    assert [r.returncode for r in runs] == [0, 0, 0]
    for i in range(3):
        worker = tmp_path / f"worker-{i}" / "_build" / "html"
        same = _same_files(tmp_path / "command" / "_build" / "html", worker)
        assert same == [], f"book {i + 1} of the worker"
    assert failed.returncode != 0 and "no-such-label" in failed.stdout + failed.stderr

