"""The built book in a real browser (Debian's chromium driven by Playwright), served from 127.0.0.1.

For every page of the TOC: no console error, no request to any other host, every image loaded,
the glued numbers equal to `werk ledger` (the same check as tests/test_book.py, on the rendered
DOM). The sidebar reaches every page; the search finds a Dutch answer label. A full-page
screenshot of each page lands in ``<book>/_build/screenshots/`` and, for people to look at, in the
project's ``_build/screenshots/`` (git-ignored).
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import shutil
import threading
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest
from test_book import expected_glue, glue_mismatches, html_page, toc_pages

from werk.core import paths

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
PAGES = toc_pages(paths.ROOT)
VIEWPORT = {"width": 1280, "height": 900}

if not CHROMIUM.exists():  # .ci/run installs it, so in CI these tests run
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium, as .ci/run does)", allow_module_level=True)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output readable
        pass


@contextlib.contextmanager
def serve(directory):
    """``directory`` served on 127.0.0.1 at a free port: yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def site(built_book):
    """The built HTML served on 127.0.0.1 at a free port: yields the base URL."""
    with serve(built_book / "_build" / "html") as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            yield b
        finally:
            b.close()


class Visit:
    """One page opened in a fresh context, with everything it logged and requested."""

    def __init__(self, browser, url: str):
        self.context = browser.new_context(viewport=VIEWPORT)
        self.page = self.context.new_page()
        self.errors, self.requests, self.failed = [], [], []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("requestfailed", lambda r: self.failed.append(f"{r.url}: {r.failure}"))
        self.response = self.page.goto(url, wait_until="networkidle")

    def _console(self, m):
        # Chromium fetches /favicon.ico by itself when a page names no icon; that 404 is not the book's.
        if m.type == "error" and not (m.location or {}).get("url", "").endswith("/favicon.ico"):
            self.errors.append(f"console {m.type}: {m.text}")

    def close(self):
        self.context.close()


def _outside(requests: list[str], base: str) -> list[str]:
    host = urlparse(base).netloc
    return [u for u in requests if urlparse(u).scheme not in ("data", "blob", "about")
            and urlparse(u).netloc != host]


def _figure_images(html: Path) -> int:
    """How many figure images the static HTML holds (the browser must have loaded as many)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
    return len([i for i in soup.find_all("img") if "_images/" in i.get("src", "")])


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.with_suffix("")))
def test_page(page, built_book, site, browser):
    url = urljoin(site, str(page.with_suffix(".html")))
    v = Visit(browser, url)
    try:
        assert v.response is not None and v.response.ok, f"{url}: {v.response and v.response.status}"
        v.page.wait_for_function("Array.from(document.images).every(i => i.complete)", timeout=15000)
        images = v.page.evaluate(
            "Array.from(document.images).map(i => [i.getAttribute('src'), i.naturalWidth])")
        shown = v.page.locator("span.pasted-text").all_inner_texts()

        # Every problem of the page at once: one run tells the whole story.
        problems = [f"request to another host: {u}" for u in _outside(v.requests, site)]
        problems += v.errors
        problems += [f"failed request: {f}" for f in v.failed]
        problems += [f"image not loaded: {src}" for src, width in images if not width]
        figures = _figure_images(html_page(built_book, page))
        loaded = len([src for src, width in images if "_images/" in (src or "") and width])
        if loaded != figures:
            problems.append(f"{loaded} figure images loaded, the HTML has {figures}")
        problems += glue_mismatches(page, expected_glue(built_book, page), [s.strip() for s in shown])
        assert not problems, f"{page} in chromium:\n  " + "\n  ".join(problems)
    finally:
        v.close()


_TABLE_WIDTHS = """
Array.from(document.querySelectorAll('article table')).map(t => {
  const cap = t.querySelector('caption');
  const box = t.closest('.pst-scrollable-table-container') || t;
  return [cap ? cap.innerText.trim() : (t.id || 'a table'),
          Math.round(box.getBoundingClientRect().width), Math.round(box.parentElement.clientWidth)];
})
"""


# ------------------------------------------------------------------------------ tables that read, screenshots

WIDTHS = {"desktop": 1280, "tablet": 768, "phone": 390}

# Broken numbers in the page's tables, measured in the layout: a unit whose DOM Range has client rects on more
# than one line broke inside itself. Units: every token (text between ASCII spaces; a no-break space keeps
# "5 391" one token) that holds a digit, a comparison with its symbol ("p < .001", "β = .01"), a test's
# degrees of freedom ("F(6, 4891)"), an interval ("[0.40, 0.56]", "0.40 to 0.56"), and every status badge.
# Code literals are names (a claim id such as "bound:threat=1-2|every_age_group"), not numbers: they may
# break.
_BROKEN_TOKENS = r"""
() => {
  // What a dropdown holds is what a reader sees after one click (the whole ledger): open them all first.
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  const UNITS = [/[^ \t\n]*[0-9][^ \t\n]*/g,
                 /[^\s=<>≤≥(\[]*\s*[=<>≤≥]\s*[−+-]?\.?\d[\d.,]*/g,
                 /[A-Za-zχ²]+\(\d+,\s*\d+\)/g,
                 /\[[^\]]*\d[^\]]*\]/g,
                 /\d[\d.,%]*\s+to\s+[−-]?\.?\d[\d.,%]*/g];
  const lines = (range) => {
    const tops = [];
    for (const r of range.getClientRects()) {
      if (r.width < 0.5) continue;
      if (!tops.some(t => Math.abs(t - r.top) < r.height / 2)) tops.push(r.top);
    }
    return tops.length;
  };
  const name = (cell) => {
    const t = cell.closest('table'), cap = t.querySelector('caption');
    return (cap ? cap.innerText.trim() : (t.id || 'a table')).replace(/\s*#$/, '');
  };
  const out = [];
  for (const cell of document.querySelectorAll('article table td, article table th')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement.closest('code')) continue;  // an identifier (a claim id), not a number
      for (const unit of UNITS) {
        for (const m of node.data.matchAll(unit)) {
          if (!m[0].trim()) continue;
          const range = document.createRange();
          range.setStart(node, m.index);
          range.setEnd(node, m.index + m[0].length);
          if (lines(range) > 1) out.push(`${name(cell)}: ${JSON.stringify(m[0])} breaks`);
        }
      }
    }
    for (const badge of cell.querySelectorAll('[class^="status-"]')) {
      const range = document.createRange();
      range.selectNodeContents(badge);
      if (lines(range) > 1) out.push(`${name(cell)}: badge ${JSON.stringify(badge.innerText)} breaks`);
    }
  }
  return [...new Set(out)];
}
"""

# The stylesheet before issue 13: cells could break anywhere, and tables were squeezed into the text column.
_OLD_CSS = """
.bd-article table { max-width: 100%; }
.bd-article table td, .bd-article table th { overflow-wrap: anywhere !important;
  white-space: normal !important; hyphens: auto; }
.bd-article table code { white-space: normal; overflow-wrap: anywhere; }
.werk-ledger table tr { display: table-row !important; }
.pst-scrollable-table-container { overflow-x: visible !important; }
[class^="status-"] { white-space: normal !important; }
"""


def _shot(built_book, page, suffix: str) -> Path:
    """Where a screenshot of ``page`` goes (the book's _build/screenshots/); copied to the project's too."""
    shots = built_book / "_build" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    return shots / (str(page.with_suffix("")).replace("/", "_") + f"-{suffix}.png")


def _keep(shot: Path) -> None:
    mine = paths.BUILD / "screenshots"
    mine.mkdir(parents=True, exist_ok=True)
    shutil.copy2(shot, mine / shot.name)


def _axe_serious(page) -> list[str]:
    """axe-core (bundled by axe-playwright-python, no network) on the open page: its serious and critical
    findings."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    found = []
    for v in results.response["violations"]:
        if v.get("impact") in ("serious", "critical"):
            targets = ", ".join(" ".join(n["target"]) if isinstance(n["target"], list) else str(n["target"])
                                for n in v["nodes"][:4])
            found.append(f"axe {v['impact']} {v['id']} ({len(v['nodes'])}x): {v['help']} — {targets}")
    return found


def _open(browser, url: str, width: int, dark: bool = False) -> Visit:
    v = Visit.__new__(Visit)
    v.context = browser.new_context(viewport={"width": width, "height": 900})
    if dark:  # pydata-sphinx-theme reads the reader's choice from localStorage before it paints
        v.context.add_init_script("localStorage.setItem('theme', 'dark'); "
                                  "localStorage.setItem('mode', 'dark')")
    v.page = v.context.new_page()
    v.errors, v.requests, v.failed = [], [], []
    v.response = v.page.goto(url, wait_until="networkidle")
    return v


@pytest.mark.parametrize("width", list(WIDTHS), ids=list(WIDTHS))
@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.with_suffix("")))
def test_tables_read_and_axe(page, width, built_book, site, browser):
    """At 1280, 768 and 390 px no number, interval or badge breaks inside itself; a full-page screenshot is
    kept; at desktop and phone width axe-core finds no serious or critical violation."""
    v = _open(browser, urljoin(site, str(page.with_suffix(".html"))), WIDTHS[width])
    try:
        broken = v.page.evaluate(_BROKEN_TOKENS)
        shot = _shot(built_book, page, f"{WIDTHS[width]}")
        v.page.screenshot(path=str(shot), full_page=True)
        _keep(shot)
        found = _axe_serious(v.page) if width in ("desktop", "phone") else []
    finally:
        v.close()
    problems = broken + found
    assert not problems, f"{page} at {WIDTHS[width]} px:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.with_suffix("")))
def test_dark_mode(page, built_book, site, browser):
    """Dark mode: the theme is dark, a screenshot is kept, and axe finds no serious or critical violation."""
    v = _open(browser, urljoin(site, str(page.with_suffix(".html"))), WIDTHS["desktop"], dark=True)
    try:
        theme = v.page.evaluate("document.documentElement.dataset.theme")
        shot = _shot(built_book, page, "dark")
        v.page.screenshot(path=str(shot), full_page=True)
        _keep(shot)
        found = _axe_serious(v.page)
    finally:
        v.close()
    assert theme == "dark", f"{page}: data-theme is {theme!r}, not dark"
    assert not found, f"{page} in dark mode:\n  " + "\n  ".join(found)


def test_the_break_check_can_fail(site, browser):
    """The stylesheet before issue 13, injected into the ledger at phone width: the check sees numbers
    break."""
    v = _open(browser, urljoin(site, "notebooks/05_ledger.html"), WIDTHS["phone"])
    try:
        assert not v.page.evaluate(_BROKEN_TOKENS), "the ledger breaks its numbers even with today's CSS"
        v.page.add_style_tag(content=_OLD_CSS)
        broken = v.page.evaluate(_BROKEN_TOKENS)
    finally:
        v.close()
    # Numbers of the ledger's tables break under it. (Which ones depends on the layout around them: since
    # the whole ledger moved into a dropdown beside the Holm column, "5,391" and the badges no longer do.)
    assert any('" breaks' in b and "claims" in b for b in broken), broken[:5]


def test_the_ledger_fits_a_phone(site, browser):
    """On a phone every ledger row shows claim, article, here, Holm p and status within the screen."""
    v = _open(browser, urljoin(site, "notebooks/05_ledger.html"), WIDTHS["phone"])
    try:
        right = v.page.evaluate("""() => {
          document.querySelectorAll('details').forEach(d => { d.open = true; });  // the whole ledger, opened
          const rows = Array.from(document.querySelectorAll('#tab-ledger tbody tr'));
          const row = rows[0];
          return [Math.max(...rows.map(r => Math.max(...Array.from(r.children).slice(0, 5)
                                                      .map(c => c.getBoundingClientRect().right)))),
                  document.documentElement.clientWidth,
                  row.closest('.pst-scrollable-table-container').scrollWidth
                    - row.closest('.pst-scrollable-table-container').clientWidth];
        }""")
    finally:
        v.close()
    edge, screen, overflow = right
    assert edge <= screen and overflow <= 1, f"claim..status end at {edge} px on a {screen} px screen " \
                                             f"(the table scrolls by {overflow} px)"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.with_suffix("")))
def test_tables_fit_the_page(page, site, browser):
    """A table's box never runs wider than the text column: a wide table scrolls inside its own box."""
    v = Visit(browser, urljoin(site, str(page.with_suffix(".html"))))
    try:
        widths = v.page.evaluate(_TABLE_WIDTHS)
    finally:
        v.close()
    wide = [f"{name!r}: {w} px in a {box} px column" for name, w, box in widths if w > box + 1]
    assert not wide, f"{page} at {VIEWPORT['width']} px: tables wider than the page:\n  " + "\n  ".join(wide)


def test_the_sidebar_reaches_every_page(site, browser):
    v = Visit(browser, urljoin(site, "intro.html"))
    try:
        hrefs = v.page.eval_on_selector_all(".bd-sidebar-primary a[href]", "els => els.map(e => e.href)")
    finally:
        v.close()
    reached = {urlparse(h).path.lstrip("/") for h in hrefs if urlparse(h).netloc == urlparse(site).netloc}
    missing = [str(p.with_suffix(".html")) for p in PAGES[1:] if str(p.with_suffix(".html")) not in reached]
    assert not missing, f"the sidebar does not link to {missing} (it links to {sorted(reached)})"
    for path in sorted(reached):
        w = Visit(browser, urljoin(site, path))
        try:
            assert w.response.ok, f"sidebar link {path}: HTTP {w.response.status}"
            assert w.page.locator("article h1").count() >= 1, f"sidebar link {path} shows no page title"
        finally:
            w.close()


def test_the_search_finds_a_dutch_answer_label(site, browser):
    v = Visit(browser, urljoin(site, "search.html?q=nauwelijks"))
    try:
        v.page.wait_for_selector("#search-results ul.search li", timeout=20000)
        hits = v.page.eval_on_selector_all("#search-results ul.search li a", "els => els.map(e => e.href)")
        assert not _outside(v.requests, site), _outside(v.requests, site)
    finally:
        v.close()
    pages = {urlparse(h).path.lstrip("/") for h in hits}
    assert {"intro.html", "notebooks/02_threat.html"} & pages, f"'nauwelijks' found on {sorted(pages)}"


def test_the_request_check_can_fail():
    base = "http://127.0.0.1:8123/"
    requests = [base + "intro.html", "data:image/png;base64,AAAA", "https://cdn.example.org/x.js",
                "http://127.0.0.1:9999/other-port.js", "http://localhost:8123/alias.js"]
    assert _outside(requests, base) == requests[2:]
