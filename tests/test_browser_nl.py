"""The Dutch book in chromium (issue 16): the language switcher both ways, axe, screenshots, Dutch search.

Both books are served from one ``_build`` folder, as they are laid out (``html/`` and ``html-nl/``), so the
switcher's relative links are followed as a reader follows them. Screenshots of every Dutch page at 1280,
768 and 390 px and in dark mode go to ``_build/screenshots/nl-*.png``. axe-core runs on every Dutch page at
desktop width and in dark mode (the English pages' widths are covered by tests/test_browser.py).
"""

from __future__ import annotations

from urllib.parse import urljoin

import pytest
from test_browser import CHROMIUM, PAGES, WIDTHS, _axe_serious, _keep, _open, browser, serve  # noqa: F401
from test_dutch import dutch_book  # noqa: F401 - the module fixture

pytestmark = [pytest.mark.browser, pytest.mark.slow]

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium, as .ci/run does)", allow_module_level=True)


@pytest.fixture(scope="module")
def both(dutch_book):  # noqa: F811 - the fixture imported above
    """``_build`` (both books) served on 127.0.0.1: yields the base URL."""
    with serve(dutch_book / "_build") as url:
        yield url


def _shot(root, page, suffix: str):
    shots = root / "_build" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    return shots / ("nl-" + str(page.with_suffix("")).replace("/", "_") + f"-{suffix}.png")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.with_suffix("")))
def test_switcher_leads_to_the_same_page_and_back(page, both, browser):  # noqa: F811 - the fixture imported above
    """From the English page the switcher opens the same page in Dutch (lang nl), and from there back."""
    start = urljoin(both, "html/" + str(page.with_suffix(".html")))
    v = _open(browser, start, WIDTHS["desktop"])
    try:
        assert v.page.evaluate("document.documentElement.lang") == "en"
        v.page.click("a.werk-lang-switch")
        v.page.wait_for_load_state("networkidle")
        assert v.page.url == urljoin(both, "html-nl/" + str(page.with_suffix(".html")))
        assert v.page.evaluate("document.documentElement.lang") == "nl"
        assert v.page.locator("a.werk-lang-switch").inner_text() == "This page in English"
        v.page.click("a.werk-lang-switch")
        v.page.wait_for_load_state("networkidle")
        assert v.page.url == start
    finally:
        v.close()


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.with_suffix("")))
def test_dutch_pages_screenshots_and_axe(page, dutch_book, both, browser):  # noqa: F811
    """Full-page screenshots of every Dutch page at 1280, 768 and 390 px and in dark mode; axe-core finds no
    serious or critical violation at 1280 px, light and dark. One page load per mode (the viewport is
    resized), to keep the suite's time down."""
    url = urljoin(both, "html-nl/" + str(page.with_suffix(".html")))
    found = []
    v = _open(browser, url, WIDTHS["desktop"])
    try:
        found += _axe_serious(v.page)
        for width in WIDTHS.values():
            v.page.set_viewport_size({"width": width, "height": 900})
            shot = _shot(dutch_book, page, str(width))
            v.page.screenshot(path=str(shot), full_page=True)
            _keep(shot)
    finally:
        v.close()
    v = _open(browser, url, WIDTHS["desktop"], dark=True)
    try:
        theme = v.page.evaluate("document.documentElement.dataset.theme")
        found += [f"dark: {f}" for f in _axe_serious(v.page)]
        shot = _shot(dutch_book, page, "dark")
        v.page.screenshot(path=str(shot), full_page=True)
        _keep(shot)
    finally:
        v.close()
    assert theme == "dark", f"{page}: data-theme is {theme!r}, not dark"
    assert not found, f"{page} (Dutch):\n  " + "\n  ".join(found)


def test_dutch_search_finds_dutch_words(both, browser):  # noqa: F811 - the fixture imported above
    """The Dutch book's search (its own index, Dutch stemming) finds a Dutch word of the prose."""
    v = _open(browser, urljoin(both, "html-nl/search.html?q=inzetbaarheid"), WIDTHS["desktop"])
    try:
        v.page.wait_for_selector("#search-results ul.search li", timeout=20000)
        hits = v.page.locator("#search-results ul.search li a").all_inner_texts()
    finally:
        v.close()
    assert any("bedreiging" in h.lower() or "bijbenen" in h.lower() for h in hits), hits
