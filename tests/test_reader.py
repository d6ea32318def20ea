"""What a reader of the book gets besides the pages (issue 13): how to cite it, the PDF link, Dutch marked as
Dutch. No book is built here; tests/test_book.py and tests/test_browser.py look at the built pages."""

from __future__ import annotations

import shutil

import pandas as pd
import yaml
from conftest import copy_project

from werk import __version__
from werk.build import pipeline, sphinx_ext
from werk.core import paths
from werk.core.digest import file_digest
from werk.inputs.frame import edition_info


def _info(data=paths.TWIN):
    info = edition_info(pd.DataFrame({"sector": [1, 2]}), "all", data)
    info["data_digest"] = file_digest(data)
    return info


def test_the_citation_is_the_same_for_the_same_inputs_and_dated_by_source_date_epoch(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1600000000")
    cite = pipeline.citation(_info(), tmp_path)  # not a git checkout, as on CBS Remote Access
    assert cite == pipeline.citation(_info(), tmp_path)
    assert cite["werk_version"] == __version__ and cite["werk_commit"] == "not recorded"
    assert cite["werk_date"] == "2020-09-13" and cite["werk_year"] == "2020"
    assert cite["werk_data_digest"] == file_digest(paths.TWIN) and cite["werk_data"] == "the synthetic twin"
    assert cite["werk_edition"] == "all sectors, 2 respondents"


def test_stage_names_the_pdf_only_when_asked(tmp_path):
    root = copy_project(tmp_path / "project")
    shutil.copytree(root / "notebooks", tmp_path / "executed" / "notebooks")  # as if executed

    def context(**kw):
        st = pipeline.stage(tmp_path / "executed", "all", _info(), root, **kw)
        cfg = yaml.safe_load((st / "_config.yml").read_text())
        assert cfg["parse"]["myst_substitutions"]["werk_version"] == __version__  # the "How to cite" page
        return cfg["sphinx"]["config"]["html_context"]

    assert "werk_pdf" not in context()
    assert context(pdf="book.pdf")["werk_pdf"] == "book.pdf"
    assert "werk_pdf" not in context()  # a later build without a current PDF links none


def test_the_pdf_button_is_relative_to_each_page_and_absent_without_a_pdf():
    def buttons(werk_pdf, depth):
        context = {"header_buttons": [], "pathto": lambda name, resource: "../" * depth + name}
        if werk_pdf:
            context["werk_pdf"] = werk_pdf
        sphinx_ext._pdf_button(None, "page", "page.html", context, None)
        return context["header_buttons"]

    assert buttons(None, 1) == []
    [button] = buttons("book.pdf", 1)
    assert button["url"] == "../book.pdf" and button["type"] == "link" and button["text"] == "PDF"


def test_dutch_spans_get_their_language():
    context = {"body": '<p><span class="nl">helemaal niet</span>, <span class="pre">x</span>, '
                       '<span class="nl other">nauwelijks</span></p>'}
    sphinx_ext._dutch_lang(None, "page", "page.html", context, None)
    assert context["body"].count('lang="nl"') == 2 and '<span class="pre">x</span>' in context["body"]
