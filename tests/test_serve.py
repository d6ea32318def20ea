"""``werk serve``: edit a copy of a notebook, save, and the page in a real browser updates by itself.

One server runs for the module, on a copy of the project; each test edits the copy's threat notebook
and waits for the open page (Playwright, Debian's chromium) to show the edit: a prose edit executes
no notebook, a code edit executes that notebook, a broken cell shows its error over the last good
page. Ctrl-C leaves no process behind; the files of the book never hold the reload script.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import conftest
import nbformat
import psutil
import pytest
from conftest import copy_project

from werk.build import serve

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
PAGE = "notebooks/02_threat.html"
NOTEBOOK = "notebooks/02_threat.ipynb"


def test_what_is_watched_and_what_is_not(tmp_path):
    for path in ["_build/html/index.html", ".venv/lib/x.py", "notebooks/.ipynb_checkpoints/a.ipynb",
                 "src/werk/__pycache__/a.pyc", "notebooks/.#02_threat.ipynb",
                 "_build/executed/all/a.running.ipynb"]:
        assert serve.ignored(tmp_path / path), path
    for path in ["notebooks/02_threat.ipynb", "src/werk/stats/models.py", "data/twin.csv", "_config.yml",
                 "_toc.yml", "_static/werk.css", "intro.md"]:
        assert not serve.ignored(tmp_path / path), path
    assert serve.watched(tmp_path)[0] == tmp_path.resolve()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium, as .ci/run does)")
    root = copy_project(tmp_path_factory.mktemp("serve") / "project")
    log = root.parent / "serve.log"
    env = {k: v for k, v in os.environ.items() if k != "WERK_ROOT"}
    proc = subprocess.Popen([sys.executable, "-m", "werk.cli", "serve", "--port", "0"], cwd=root, env=env,
                            stdout=subprocess.DEVNULL, stderr=log.open("w"), start_new_session=True)
    try:
        url = wait_for(lambda: re.search(r"at (http://127\.0\.0\.1:\d+/) \(Ctrl-C", log.read_text()), 600,
                       "the first build", proc).group(1)
        yield {"root": root, "log": log, "proc": proc, "url": url}
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)


def wait_for(predicate, timeout: float, what: str, proc=None):
    return conftest.wait_for(predicate, timeout, what, proc, name="werk serve", poll=0.1)


@pytest.fixture(scope="module")
def page(served):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        p = browser.new_page()
        p.goto(served["url"] + PAGE)
        yield p
        browser.close()


def edit_notebook(root: Path, change) -> None:
    path = root / NOTEBOOK
    nb = nbformat.read(path, as_version=4)
    change(nb)
    nbformat.write(nb, path)


def page_shows(page, text: str) -> None:
    """Wait until the page shows text; while a reload navigates, document.body is briefly null."""
    page.wait_for_function(f"document.body !== null && document.body.innerText.includes({text!r})",
                           timeout=180_000)


def after(served, mark: int) -> str:
    return served["log"].read_text()[mark:]


def rebuilt(served, mark: int) -> bool:
    text = after(served, mark)
    return "rebuilt in" in text or "rebuild failed" in text


@pytest.mark.slow
@pytest.mark.browser
def test_the_page_holds_the_reload_script_only_as_served(served, page):
    assert page.locator(f'script[src="{serve.RELOAD_PATH}/reload.js"]').count() == 1
    on_disk = [p for p in (served["root"] / "_build" / "html").rglob("*.html")
               if "_werk/reload.js" in p.read_text(encoding="utf-8")]
    assert on_disk == [], "the built book itself holds no reload script"


@pytest.mark.slow
@pytest.mark.browser
def test_a_prose_edit_shows_without_executing(served, page):
    mark = len(served["log"].read_text())
    text = "A sentence added while werk serve watched."
    edit_notebook(served["root"], lambda nb: nb.cells.insert(1, nbformat.v4.new_markdown_cell(text)))
    page_shows(page, text)
    wait_for(lambda: rebuilt(served, mark), 60, "the rebuild's log line")
    log = after(served, mark)
    assert "executed in" not in log, log
    assert "prose re-rendered" in log


@pytest.mark.slow
@pytest.mark.browser
def test_a_code_edit_executes_that_notebook_and_shows_the_new_number(served, page):
    mark = len(served["log"].read_text())
    edit_notebook(served["root"], lambda nb: nb.cells.append(nbformat.v4.new_code_cell("print(12345 * 3)")))
    page_shows(page, "37035")
    wait_for(lambda: rebuilt(served, mark), 60, "the rebuild's log line")
    log = after(served, mark)
    assert "02_threat.ipynb: executed in" in log
    assert "03_keep_up.ipynb: executed" not in log, "only the edited notebook runs"


@pytest.mark.slow
@pytest.mark.browser
def test_a_broken_cell_shows_its_error_and_the_last_good_page_stays(served, page):
    edit_notebook(served["root"], lambda nb: nb.cells.append(
        nbformat.v4.new_code_cell("raise ValueError('a cell broken on purpose')")))
    banner = page.locator("#werk-serve-error")
    banner.wait_for(timeout=180_000)
    shown = banner.inner_text()
    assert "02_threat.ipynb" in shown and "cell" in shown and "a cell broken on purpose" in shown
    assert "37035" in page.inner_text("body"), "the last good page stays"
    html = (served["root"] / "_build" / "html" / PAGE).read_text(encoding="utf-8")
    assert "37035" in html and "broken on purpose" not in html


@pytest.mark.slow
@pytest.mark.browser
def test_ctrl_c_stops_it_and_leaves_nothing_running(served, page):
    proc = served["proc"]
    children = psutil.Process(proc.pid).children(recursive=True)
    assert children, "the warm kernels and the compiler run as children"
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=60)
    assert proc.returncode == 0, served["log"].read_text()[-2000:]

    def gone():
        return not [p for p in children if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]

    wait_for(gone, 30, "the children to end")
    tmp = served["root"] / "_build" / "tmp"
    assert not tmp.exists() or not any(tmp.iterdir()), "no temporary folder is left"
    import fcntl

    with open(served["root"] / "_build" / "locks" / "all.lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free: raises BlockingIOError if still held
