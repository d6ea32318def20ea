"""The Dutch edition (issue 16): complete catalogues, the same numbers in Dutch style, no English left.

Fast tests read the catalogues (``locales/nl``) and the number formatter. The slow ones build the Dutch
book once (module fixture ``dutch_book``) beside the English one of the session fixture ``built_book``, in
the same project copy, so it reuses its validated frames and records. The browser tests (switcher, axe,
screenshots) are in tests/test_browser_nl.py.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from test_book import pasted_texts, toc_pages

from werk.build import pipeline, translations
from werk.core import fmt, paths

PAGES = toc_pages(paths.ROOT)

# ------------------------------------------------------------------------------------- numbers, fast


@pytest.mark.parametrize("english, dutch", [
    ("5,391", "5.391"), ("30.9%", "30,9%"), ("−.15", "−0,15"), ("p < .001", "p < 0,001"),
    ("p\u00a0=\u00a0.023", "p\u00a0=\u00a00,023"), ("[−0.08,\u00a0−0.03]", "[−0,08;\u00a0−0,03]"),
    ("R² = 0.12", "R² = 0,12"), ("12,345.67", "12.345,67"), ("2019", "2019"),
    ("in 10 years.", "in 10 years."), ("1.1e\u201105", "1.1e\u201105"),
])
def test_localize_gives_dutch_number_style(english, dutch):
    assert fmt.localize(english, "nl") == dutch
    assert fmt.localize(dutch, "nl") == dutch, "localizing twice changes nothing"
    assert fmt.localize(english, "en") == english


#: A number as each language writes it (thousands, decimals; a bare English decimal: ".15").
NUMBER = {"en": re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d*\.\d+|\d+"),
          "nl": re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+,\d+|\d+")}


#: An English decimal ("0.40"), a bare decimal (".15"), English thousands ("5,391"): never on Dutch pages.
ENGLISH_STYLE = re.compile(r"\d\.\d{1,2}(?!\d)|(?<![\d,])\.\d|(?<![\d.,])[1-9]\d{0,2},\d{3}(?!\d)")


def numbers(text: str, lang: str) -> list[float]:
    """Every number in ``text`` as ``lang`` writes it, as a float (the sign is read apart)."""
    out = []
    for m in NUMBER[lang].finditer(text.replace("\u2011", "-")):
        s = m.group(0)
        s = s.replace(",", "") if lang == "en" else s.replace(".", "").replace(",", ".")
        negative = m.start() > 0 and text[m.start() - 1] in "−-" and not text[max(0, m.start() - 2)].isalnum()
        out.append(-float(s) if negative else float(s))
    return out


def test_numbers_parse_both_styles():
    assert not ENGLISH_STYLE.search("p < 0,001; 0,074; 5.391; 30,9%")
    assert all(ENGLISH_STYLE.search(t) for t in ("p < .001", "0.40", "5,391"))
    assert numbers("n = 5,391; β = −.15", "en") == numbers("n = 5.391; β = −0,15", "nl") == [5391.0, -0.15]


# ---------------------------------------------------------------------------------- catalogues, fast

ROLE = re.compile(r"\{(?:glue[a-z:]*|numref|cite|download|ref|doc)\}`[^`]*`")


def test_no_untranslated_or_fuzzy_entry():
    """Every entry of locales/nl is translated and reviewed. After an English edit, `make translations`
    updates the catalogues and lists exactly these entries."""
    left = translations.status()
    assert not left, (f"{len(left)} catalogue entries to translate or review (run `make translations`):\n  "
                      + "\n  ".join(str(e) for e in left))


def test_every_translation_keeps_its_numbers_and_references():
    """A msgstr keeps the glue, numref, cite and download roles of its msgid: the Dutch sentence shows
    the same numbers and links."""
    from babel.messages.pofile import read_po

    problems = []
    for po in translations.catalogues(paths.ROOT / "locales"):
        with po.open("rb") as f:
            for m in read_po(f, locale="nl"):
                if m.id and m.string and sorted(ROLE.findall(m.id)) != sorted(ROLE.findall(m.string)):
                    missing = set(ROLE.findall(m.id)) ^ set(ROLE.findall(m.string))
                    problems.append(f"{po.relative_to(paths.ROOT)}: {m.id[:70]!r}: {sorted(missing)}")
    assert not problems, "\n  ".join(problems)


@pytest.mark.slow
def test_catalogues_are_current_with_the_english_book(dutch_book):
    """The catalogues hold every message of the English book as it is now: the gettext builder and
    sphinx-intl update run on the test's copy (what `make translations` does), and nothing is left."""
    left = translations.update(root=dutch_book)
    assert not left, (f"{len(left)} entries to translate or review after an English edit; run "
                      "`make translations` and translate them in locales/nl:\n  "
                      + "\n  ".join(map(str, left)))


def test_every_page_has_a_catalogue():
    names = {str(po.relative_to(paths.ROOT / "locales" / "nl" / "LC_MESSAGES").with_suffix(""))
             for po in translations.catalogues(paths.ROOT / "locales")}
    assert {str(p.with_suffix("")) for p in PAGES} <= names


# ------------------------------------------------------------------------------------- the books, slow


@pytest.fixture(scope="module")
def dutch_book(built_book):
    """The Dutch book built beside the English one (same project copy): returns the root."""
    pipeline.build(root=built_book, lang="nl")
    return built_book


def _page(root: Path, page: Path, lang: str) -> Path:
    return pipeline.html_dir("all", root, lang) / page.with_suffix(".html")


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.with_suffix("")))
def test_same_glued_numbers_in_both_books(page, dutch_book):
    """Every page shows the same glued values in both books, each in its language's style."""
    en = pasted_texts(_page(dutch_book, page, "en").read_text(encoding="utf-8"))
    nl = pasted_texts(_page(dutch_book, page, "nl").read_text(encoding="utf-8"))
    assert len(en) == len(nl), f"{page}: {len(en)} glued values in English, {len(nl)} in Dutch"
    got_en = sorted(x for t in en for x in numbers(t, "en"))
    got_nl = sorted(x for t in nl for x in numbers(t, "nl"))
    assert got_en == got_nl, f"{page}: glued numbers differ:\n  en {got_en}\n  nl {got_nl}"
    english_style = [t for t in nl if ENGLISH_STYLE.search(t)]
    assert not english_style, f"{page}: glued values in English style on the Dutch page: {english_style}"


#: Frequent English words that are no Dutch words; three of them in one sentence make it English.
ENGLISH = {"the", "and", "of", "with", "which", "that", "is", "are", "this", "from", "for", "not", "its",
           "their", "they", "these", "those", "was", "were", "has", "have", "than", "more", "less", "each",
           "every", "where", "what", "when", "how", "who", "but", "or", "on", "by", "at", "as", "be", "can"}
#: Text on Dutch pages that may be English: names and the theme's own words. Code, glued values (numbers),
#: math and citations are left out before the check (see english_sentences).
EXCEPTIONS = ("Statistics Netherlands", "job embeddedness")


def _english_in(text: str) -> list[str]:
    """The sentences of ``text`` with three or more words of ENGLISH (shortened for a message)."""
    for e in EXCEPTIONS:
        text = text.replace(e, "")
    # A digest or commit ("ecbe5a4b…") is no sentence: its letters would read as "be", "a", "at".
    text = re.sub(r"\b[0-9a-f]{12,}\b", "", text)
    found = []
    for sentence in re.split(r"(?<=[.!?:;])\s+", text):
        words = re.findall(r"[A-Za-z']+", sentence.lower())
        hits = {w for w in words if w in ENGLISH}
        if len(hits) >= 3:
            found.append(" ".join(sentence.split())[:120])
    return found


def english_sentences(html: str) -> list[str]:
    """English sentences in a page's article, cell outputs (tables, lists, notes the code writes) included.

    Left out: code (identifiers, the mapping example), cell inputs, glued values (their numbers are
    checked by test_same_glued_numbers_in_both_books), math, citations and links to the references.
    """
    soup = BeautifulSoup(html, "html.parser")
    article = soup.select_one("article.bd-article") or soup
    for tag in article.select("code, pre, .cell_input, span.pasted-text, .math, .citation, "
                              "a.reference.internal[href*='references'], .headerlink"):
        tag.decompose()
    return _english_in(article.get_text(" "))


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.with_suffix("")))
def test_no_english_sentence_on_dutch_pages(page, dutch_book):
    """Every Dutch page is Dutch, the text its code writes included (code and citations excepted; see
    EXCEPTIONS)."""
    found = english_sentences(_page(dutch_book, page, "nl").read_text(encoding="utf-8"))
    assert not found, f"{page}: English on the Dutch page:\n  " + "\n  ".join(found)


def english_glued(html: str) -> list[str]:
    """Glued values of a page's article that are English sentences (a glued number is no sentence)."""
    soup = BeautifulSoup(html, "html.parser")
    article = soup.select_one("article.bd-article") or soup
    return [t for span in article.select("span.pasted-text") for t in _english_in(span.get_text(" "))]


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.with_suffix("")))
def test_no_english_glued_text_on_dutch_pages(page, dutch_book):
    """What the code glues into the Dutch prose as text (a verdict, a list of exceptions) is Dutch."""
    found = english_glued(_page(dutch_book, page, "nl").read_text(encoding="utf-8"))
    assert not found, f"{page}: English glued into the Dutch page:\n  " + "\n  ".join(found)


def test_the_glued_text_check_can_fail():
    html = ("<article class='bd-article'><p>Dus <span class='pasted-text'>none of them is significant at the "
            "5% level, as the article says.</span> <span class='pasted-text'>5.391</span></p></article>")
    assert english_glued(html) and not english_sentences(html)
    assert not english_glued(html.replace("none of them is significant at the 5% level, as the article says",
                                          "geen van hen is significant op het niveau van 5%"))


def test_the_english_sentence_check_can_fail():
    assert english_sentences("<article class='bd-article'><p>This is the book of the data.</p></article>")
    assert not english_sentences("<article class='bd-article'><p>Dit is het boek van de data.</p></article>")


def test_the_english_sentence_check_reads_cell_outputs():
    output = ("<article class='bd-article'><div class='cell_output'><table><tr><td>A model that fails is not "
              "shown.</td></tr></table></div><div class='cell_input'><pre>This is the code of the page.</pre>"
              "</div></article>")
    assert english_sentences(output) == ["A model that fails is not shown."]


#: Words of an alt text that are English and never Dutch: one is enough (an alt text is one description, and
#: "Bar chart, …" or "Stacked bars, … by …" hold no three words of ENGLISH).
ENGLISH_ALT = {"the", "and", "with", "which", "that", "this", "from", "for", "by", "chart", "bars", "plot",
               "largest", "smallest", "whisker", "percent", "valid", "answers", "variants", "predictors"}


def english_alts(html: str) -> list[str]:
    """The alt texts of a page's article images that are missing or English."""
    soup = BeautifulSoup(html, "html.parser")
    article = soup.select_one("article.bd-article") or soup
    found = []
    for img in article.select("img"):
        alt = img.get("alt") or ""
        words = set(re.findall(r"[a-z]+", alt.lower()))
        if not alt.strip() or words & ENGLISH_ALT or _english_in(alt):
            found.append(alt[:160] or f"(no alt text: {img.get('src')})")
    return found


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.with_suffix("")))
def test_every_figure_has_a_dutch_alt_text(page, dutch_book):
    """Every image on a Dutch page has an alt text, and it is Dutch (the figures write it from their data)."""
    found = english_alts(_page(dutch_book, page, "nl").read_text(encoding="utf-8"))
    assert not found, f"{page}: alt text missing or English on the Dutch page:\n  " + "\n  ".join(found)


def test_the_alt_text_check_can_fail():
    page = "<article class='bd-article'><img src='a.png' alt='{}'></article>"
    assert english_alts(page.format("Bar chart, bedreiging (procent van geldige antwoorden, n = 5.318)"))
    assert english_alts("<article class='bd-article'><img src='a.png'></article>")
    assert not english_alts(page.format("Staafdiagram, bedreiging (procent van geldige antwoorden, n = 53)"))


@pytest.mark.slow
def test_dutch_citations_join_authors_with_en(dutch_book):
    """Author-year citations (left out of the English check above) read "Bondarouk en Meijerink"."""
    cited = []
    for page in PAGES:
        soup = BeautifulSoup(_page(dutch_book, page, "nl").read_text(encoding="utf-8"), "html.parser")
        links = soup.select("a.reference.internal[href*='references']")
        cited += [a.get_text(" ", strip=True) for a in links]
    assert any(" en " in c for c in cited), cited
    assert not [c for c in cited if " and " in c], cited


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.with_suffix("")))
def test_language_and_switcher_on_every_page(page, dutch_book):
    """<html lang> per book, and a link on every page to the same page in the other book (which exists)."""
    for lang, other in (("en", "nl"), ("nl", "en")):
        html = _page(dutch_book, page, lang)
        soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
        assert soup.html.get("lang") == lang, f"{html}: <html lang={soup.html.get('lang')!r}>"
        link = soup.select_one("a.werk-lang-switch")
        assert link is not None and link.get("hreflang") == other, f"{html}: no switch to {other}"
        target = (html.parent / link["href"]).resolve()
        assert target == _page(dutch_book, page, other).resolve() and target.is_file(), f"{html}: {target}"


@pytest.mark.slow
def test_dutch_search_index_is_dutch(dutch_book):
    index = (pipeline.html_dir("all", dutch_book, "nl") / "searchindex.js").read_text(encoding="utf-8")
    # Dutch stems (Sphinx's Dutch stemmer): "tweeling" -> "tweel", "bijbenen" -> "bijben"
    assert '"tweel"' in index and '"bijben"' in index
    english = (pipeline.html_dir("all", dutch_book, "en") / "searchindex.js").read_text(encoding="utf-8")
    assert '"tweel"' not in english and '"twin"' in english


@pytest.mark.slow
def test_dutch_pdf_has_the_dutch_chapter_titles(dutch_book):
    if shutil.which("latexmk") is None or shutil.which("pdftotext") is None:
        pytest.skip("TeX Live (latexmk) or poppler-utils not installed")
    pdf = pipeline.compile_book(dutch_book / "_build" / "stage" / "all-nl", "all", "pdflatex", dutch_book,
                                lang="nl")
    assert pdf == pipeline.pdf_path("all", dutch_book, "nl") and pdf.name == "book-nl.pdf"
    text = " ".join(subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())
    for title in ("Opzet en populatie", "Technologie als bedreiging voor het behoud van werk",
                  "Technologische veranderingen bijbenen", "Conclusie", "Claimregister", "Data en methoden",
                  "Outputcontrole", "Robuustheid van de conclusies", "Literatuur"):
        assert title in text, f"the Dutch PDF has no chapter {title!r}"
