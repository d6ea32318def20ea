"""What comes from outside (a data file's name above all) reaches the pages as text, never as HTML."""

from __future__ import annotations

import shutil
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import copy_project

from werk import book
from werk.build import pipeline
from werk.core import paths
from werk.inputs.frame import edition_info

HOSTILE = "t<img src=x onerror=alert(1)>.csv"
TAG = "<img src=x onerror"
ESCAPED = "t&lt;img src=x onerror=alert(1)&gt;.csv"


def hostile_copy(folder: Path) -> Path:
    """A copy of the twin under the hostile name."""
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(paths.TWIN, folder / HOSTILE))


def test_the_footer_is_escaped_for_html(tmp_path):
    info = edition_info(pd.DataFrame({"sector": [1, 2]}), "all", hostile_copy(tmp_path))
    assert HOSTILE in info["footer"] and info["source"] == f"the data file {HOSTILE}"
    assert TAG not in info["footer_html"] and ESCAPED in info["footer_html"]


def test_stage_writes_the_escaped_footer_and_the_pdf_shows_the_name(tmp_path):
    root = copy_project(tmp_path / "project")
    info = edition_info(pd.DataFrame({"sector": [1, 2]}), "all", hostile_copy(tmp_path))
    shutil.copytree(root / "notebooks", tmp_path / "executed" / "notebooks")  # as if executed
    st = pipeline.stage(tmp_path / "executed", "all", info, root)
    cfg = yaml.safe_load((st / "_config.yml").read_text())
    footers = [cfg["html"]["extra_footer"]]
    theme = cfg.get("sphinx", {}).get("config", {}).get("html_theme_options")
    if isinstance(theme, dict):
        footers.append(theme["extra_footer"])
    assert all(TAG not in f and ESCAPED in f for f in footers), footers
    pdf = yaml.safe_load((pipeline.stage_pdf(st) / "_config.yml").read_text())
    preamble = pdf["sphinx"]["config"]["latex_elements"]["preamble"]
    assert "t<img src=x onerror=alert(1)>.csv" in preamble and "&lt;" not in preamble  # text in LaTeX


def test_markdown_table_cells_show_tags_as_text():
    from markdown_it import MarkdownIt

    table = pd.DataFrame({"file": [HOSTILE, "`code`"], "p": ["< .001", "<25"]})
    md = book.markdown_table(table).data
    # "< .001" keeps its "<" (not a tag); werk.book.keep_whole binds it to its number with a no-break space
    assert TAG not in md and "<\u00a0.001" in md and "<25" in md and "`code`" in md
    html = MarkdownIt("commonmark").enable("table").render(md)
    assert TAG not in html and "&lt;img src=x onerror=alert(1)&gt;" in html and "<code>code</code>" in html


class _Tags(HTMLParser):
    """Every start tag of a page, with its attributes."""

    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


@pytest.mark.slow
def test_a_hostile_file_name_is_text_on_every_page(tmp_path):
    """`werk build --data 't<img src=x onerror=alert(1)>.csv'` put a live <img onerror> on every page."""
    root = copy_project(tmp_path / "project")
    pipeline.build(data=hostile_copy(tmp_path / "x"), root=root)
    pages = sorted((root / "_build" / "html").rglob("*.html"))
    assert pages
    shown = []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert TAG not in text, page
        parser = _Tags()
        parser.feed(text)
        assert not [a for tag, a in parser.tags if tag == "img" and "onerror" in a], page
        shown += [page.name] if ESCAPED in text else []
    assert "intro.html" in shown and len(shown) >= len(pipeline.notebooks_in_toc(root)), shown


def test_table_numbers_are_kept_whole():
    """keep_whole binds what a browser would break inside a number, and leaves code and link targets alone."""
    from werk.book import keep_whole

    assert keep_whole("p < .001") == "p\u00a0<\u00a0.001"
    assert keep_whole("F(6, 4891) = 0.18") == "F(6,\u00a04891)\u00a0=\u00a00.18"
    assert keep_whole("at 3-5, so") == "at 3\u20115, so"
    assert keep_whole("0.40 to 0.56") == "0.40\u00a0to\u00a00.56"
    assert keep_whole("2130–2183") == "2130–\u20602183"
    assert keep_whole("`share:age_group=25-34` [x](a-1-2.html)") == "`share:age_group=25-34` [x](a-1-2.html)"
    assert keep_whole("men and women") == "men and women"
