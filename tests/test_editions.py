"""Sector editions (`werk build --edition NAME`, `--all-editions`).

The slow tests build one edition, the judiciary (*rechterlijke macht*, the smallest sector: about 100
respondents in the twin), into the project copy of the session fixture ``built_book``, and read its HTML.
The fast tests cover names, refusals and the folders that keep two editions building at once apart.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from werk import book, cli
from werk.build import pipeline as build
from werk.core import codebook, paths
from werk.stats import ledger

JUDICIARY = "rechterlijke macht"


def page_text(path: Path, main: bool = False) -> str:
    """The visible text of a page (or of its ``<main>``), typographic quotes as ASCII, spaces collapsed."""
    soup = BeautifulSoup(path.read_text(), "html.parser")
    text = ((soup.find("main") if main else None) or soup).get_text(" ")
    for a, b in {"’": "'", "‘": "'", "“": '"', "”": '"', "−": "-", "\u00a0": " "}.items():
        text = text.replace(a, b)
    return re.sub(r"\s+", " ", text).strip()


def twin_count(sector_nl: str) -> int:
    code = codebook.sector_code(sector_nl)
    return int((pd.read_csv(paths.TWIN, usecols=["sector"])["sector"] == code).sum())


# ------------------------------------------------------------------------------------------ fast tests


@pytest.mark.parametrize("name", ["rechterlijke macht", "Rechterlijke-Macht", "judiciary", " JUDICIARY "])
def test_edition_names_dutch_or_english(name):
    assert build.edition_name(name) == JUDICIARY
    assert build.edition_slug(name) == "rechterlijke-macht"


def test_editions_are_all_and_the_seven_sectors():
    assert build.editions() == ["all"] + [nl for nl, _ in codebook.SECTORS.values()]
    assert len(set(build.edition_slug(e) for e in build.editions())) == 8


def _in_tmp_root(monkeypatch, tmp_path) -> Path:
    """Make tmp_path the project root, so that a refusal that fails to refuse writes nothing real."""
    monkeypatch.setattr(paths, "ROOT", tmp_path)
    return tmp_path


def test_unknown_edition_exits_2_listing_the_valid_names(monkeypatch, tmp_path, capsys):
    root = _in_tmp_root(monkeypatch, tmp_path)
    assert cli.main(["build", "--edition", "atlantis"]) == 2
    err = capsys.readouterr().err
    assert "unknown edition 'atlantis'" in err
    for nl, en in codebook.SECTORS.values():
        assert f"'{nl}' ({en})" in err
    assert not (root / "_build").exists()


def test_a_30_respondent_file_is_refused_with_a_clear_message(monkeypatch, tmp_path, capsys):
    small = tmp_path / "small.csv"
    pd.read_csv(paths.TWIN).head(30).to_csv(small, index=False)
    root = _in_tmp_root(monkeypatch, tmp_path / "project")
    assert cli.main(["build", "--data", str(small)]) == 2
    err = capsys.readouterr().err
    assert "30 respondents" in err and f"at least {book.MIN_EDITION_N}" in err
    assert not (root / "_build").exists()


def test_a_sector_below_the_minimum_is_refused(monkeypatch, tmp_path, capsys):
    """An edition of the full file is refused too when its sector is small: 60 rows, 8 of them judiciary."""
    twin = pd.read_csv(paths.TWIN)
    mixed = pd.concat([twin[twin["sector"] == 1].head(52), twin[twin["sector"] == 7].head(8)])
    data = tmp_path / "mixed.csv"
    mixed.to_csv(data, index=False)
    _in_tmp_root(monkeypatch, tmp_path / "project")
    assert cli.main(["build", "--data", str(data), "--edition", "judiciary"]) == 2
    assert "8 respondents" in capsys.readouterr().err


def test_two_editions_never_write_the_same_folder(tmp_path):
    """Every folder an edition's build writes is its own, so --all-editions can build two at once."""
    written = {}
    for e in build.editions():
        slug = build.edition_slug(e)
        stage = tmp_path / "_build" / "stage" / slug
        written[e] = {
            tmp_path / "_build" / "executed" / slug,
            stage,
            stage.with_name(stage.name + "-pdf"),  # build.stage_pdf
            tmp_path / "_build" / "tmp" / f"{slug}-html",
            tmp_path / "_build" / "tmp" / f"{slug}-pdflatex",
            tmp_path / "_build" / "latex" / slug,
            build.html_dir(e, tmp_path),
            build.pdf_path(e, tmp_path),
        }
    for a in written:
        for b in written:
            if a < b:
                for pa in written[a]:
                    for pb in written[b]:
                        assert not (pa == pb or pa in pb.parents or pb in pa.parents), (a, b, pa, pb)


# ------------------------------------------------------------------------------------------ slow tests


@pytest.fixture(scope="module")
def judiciary(built_book) -> Path:
    """The judiciary edition built from the twin in the project copy; returns its HTML folder."""
    index = build.build(edition="judiciary", root=built_book)
    assert index == built_book / "_build" / "editions" / "rechterlijke-macht" / "html" / "index.html"
    return index.parent


@pytest.mark.slow
def test_landing_page_names_the_group_and_its_size(judiciary):
    n = twin_count(JUDICIARY)
    assert 80 <= n <= 130
    claims = {c["id"]: c for c in ledger.claims()}
    n_text = ledger.format_value(claims["n:total"], n)
    text = page_text(judiciary / "intro.html")
    assert re.search(rf"This edition covers judiciary\s?: {re.escape(n_text)} respondents", text), text[:600]
    title = BeautifulSoup((judiciary / "intro.html").read_text(), "html.parser").title.get_text()
    assert "judiciary edition" in title
    assert f"Edition: judiciary ({n:,} respondents), computed from the synthetic twin." in text  # the footer


@pytest.mark.slow
def test_models_have_no_sector_terms(judiciary, built_book):
    sectors = [en for code, (_, en) in codebook.SECTORS.items() if code != 1]
    for page in ["02_threat.html", "03_keep_up.html"]:
        edition = page_text(judiciary / "notebooks" / page, main=True)
        full = page_text(built_book / "_build" / "html" / "notebooks" / page, main=True)
        # the whole-sample book has the sector dummies in its model tables, so this test can fail
        assert all(s in full for s in sectors if s != "judiciary"), page
        assert not [s for s in sectors if s in edition and s != "judiciary"], page
    methods = page_text(judiciary / "notebooks" / "06_methods.html")
    assert "In a one-sector edition the sector dummies are constant and dropped" in methods


@pytest.mark.slow
def test_ledger_compares_with_the_whole_sample(judiciary):
    text = page_text(judiciary / "notebooks" / "05_ledger.html")
    assert "rechterlijke macht only, compared with the article's whole-sample number" in text
    assert "sector constant in this edition" in text


@pytest.mark.slow
def test_edition_built_in_its_own_folders(judiciary, built_book):
    build_dir = built_book / "_build"
    assert (build_dir / "executed" / "rechterlijke-macht" / "notebooks" / "01_design.ipynb").exists()
    assert (build_dir / "stage" / "rechterlijke-macht" / "intro.md").exists()
    assert (build_dir / "html" / "intro.html").exists()  # the whole book is still there
    assert "all sectors" in page_text(build_dir / "html" / "intro.html")
