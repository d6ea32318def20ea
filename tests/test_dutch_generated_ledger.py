"""The Dutch edition (issue 16): what Python writes into the ledger page and the audit appendix is Dutch.

The built Dutch pages are checked for English prose elsewhere (tests/test_dutch.py), but that check skips cell
outputs. Here the functions behind those outputs are called with ``lang="nl"`` on the twin (and on frames that
make the ledger's other reasons appear), and every text they give must read as Dutch: no English sentence
(:func:`test_dutch.english_sentences`) and no English number style. Fast: no book build.
"""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest
from test_dutch import english_sentences
from test_ledger import build_frame

from werk import book
from werk.core import fmt
from werk.display import audit as audit_display
from werk.stats import audit, ledger


@pytest.fixture(scope="module")
def twin() -> pd.DataFrame:
    return book.load()[0]


#: Frames on which the ledger writes its other reasons: another population (deviations of every kind), one
#: sector (the edition note, sector claims not reproducible), columns missing (not reproducible).
FRAMES = ["twin", "other", "sector", "missing"]


@pytest.fixture(scope="module")
def frames(twin) -> dict[str, tuple[pd.DataFrame, str]]:
    return {"twin": (twin, "all"), "other": (build_frame(), "all"),
            "sector": (twin[twin["sector"] == 1].reset_index(drop=True), "gemeente"),
            "missing": (twin.drop(columns=["employability", "contract_hours", "sector"]), "all")}


_CODE = re.compile(r"`([^`]*)`")
#: An English decimal ("0.40", "0.0137") or a bare one (".15"); "5.391" is a Dutch count. Unlike
#: tests/test_dutch.py's ENGLISH_STYLE this does not take "5,559" for an English thousand: these texts write
#: decimals to three places ("onafgerond 5,559", "|t| > 3,292") and counts with a thousands dot ("N = 5.391").
ENGLISH_DECIMAL = re.compile(r"\d\.(?:\d{1,2}|\d{4,})(?!\d)|(?<![\d,])\.\d")
_QUOTE = re.compile(r"\[“[^”]*”\]\{\.nl\}")


def page(texts) -> str:
    """Texts (markdown cells) as a Dutch page's article would hold them: one paragraph each, code as code."""
    paragraphs = [_CODE.sub(r"<code>\1</code>", html.escape(str(t), quote=False)) for t in texts if str(t)]
    return "<article class='bd-article'>" + "".join(f"<p>{p}.</p>" for p in paragraphs) + "</article>"


def plain(markdown: str) -> str:
    """A markdown table's text without what keeps numbers whole (no-break spaces, word joiners)."""
    return markdown.replace("\\|", "|").replace("\u2060", "").replace("\u00a0", " ")


def table_texts(table: pd.DataFrame) -> list[str]:
    return [str(c) for c in table.columns] + [str(v) for v in table.to_numpy().ravel()] + \
        [str(table.attrs.get("note", ""))]


def assert_dutch(texts, what: str) -> None:
    texts = [str(t) for t in texts]
    found = english_sentences(page(texts))
    assert not found, f"{what}: English in the Dutch text:\n  " + "\n  ".join(found)
    # The article's own quotations keep its numbers as printed (".04"); identifiers in code are names.
    english_numbers = [t for t in texts if ENGLISH_DECIMAL.search(_CODE.sub("", _QUOTE.sub("", t)))]
    assert not english_numbers, f"{what}: numbers in English style:\n  " + "\n  ".join(english_numbers[:5])


# ------------------------------------------------------------------------------------------- the ledger


@pytest.mark.parametrize("name", FRAMES)
def test_ledger_texts_are_dutch(frames, name):
    df, edition = frames[name]
    led = ledger.ledger(df, edition=None if edition == "all" else edition, lang="nl")
    # Numeric claims keep their numbers as numbers (published 30.9, reproduced 30.9); the texts are checked.
    texts = [x for col in ("published", "reproduced", "reason") for x in led[col] if isinstance(x, str)]
    assert_dutch(texts, f"ledger on {name}")


@pytest.mark.parametrize("name", FRAMES)
def test_the_dutch_ledger_has_the_english_numbers(frames, name):
    """Only the words differ: statuses, values, p values and equivalence verdicts are the same."""
    df, edition = frames[name]
    ed = None if edition == "all" else edition
    en, nl = ledger.ledger(df, edition=ed), ledger.ledger(df, edition=ed, lang="nl")
    cols = ["id", "status", "value", "p", "n", "p_holm", "equivalence", "p_equivalence"]
    pd.testing.assert_frame_equal(en[cols], nl[cols])


def test_the_whole_ledger_table_is_dutch(twin):
    table = book.ledger_table(twin, check=True, lang="nl")
    assert table.attrs["lang"] == "nl"
    assert list(table.columns) == ["bewering", "artikel", "hier", "Holm-p", "status", "te zien in",
                                   "toelichting"]
    assert_dutch(table_texts(table), "the claims ledger")
    statuses = set(table["status"].str.extract(r"\[([^\]]*)\]")[0])
    assert statuses <= {"klopt", "wijkt af", "niet te reproduceren", "onderdrukt"}


@pytest.mark.parametrize("name", ["other", "sector", "missing"])
def test_the_ledger_table_is_dutch_on_other_data(frames, name):
    df, edition = frames[name]
    table = book.ledger_table(df, edition=edition, lang="nl")
    assert_dutch(table_texts(table), f"the ledger table on {name}")


def test_withheld_claims_are_explained_in_dutch():
    """A sector edition withholds claims (output checking); the ledger says why in Dutch."""
    df, _ = book.load(edition="rechterlijke macht")
    table = book.ledger_table(df, edition="rechterlijke macht", check=True, lang="nl")
    withheld = table[table["status"].str.startswith("[onderdrukt]")]
    assert len(withheld) and withheld["toelichting"].str.contains("onderdrukt: steunt op minder dan 10").all()
    assert_dutch(table_texts(table), "the judiciary's ledger")


def test_the_design_pages_ledger_is_dutch(twin):
    table = book.ledger_table(twin, section="design", links=False, check=True, lang="nl")
    assert list(table.columns) == ["bewering", "eenheid", "artikel", "hier", "status"]
    assert_dutch(table_texts(table), "the design page's ledger")


def test_the_quotations_stay_as_the_article_prints_them(twin):
    """The article's words are quoted, numbers and all ("β = .04"), and are not localized on the page."""
    table = book.ledger_table(twin, lang="nl")
    quote = next(n for n in table["toelichting"] if "lengte van het dienstverband (β" in n)
    assert "[“de lengte van het dienstverband (β = .04, p < .05)”]{.nl}" in quote
    english = book.ledger_table(twin)
    assert english["note"].str.contains("dienstverband (β = .04, p < .05)", regex=False).any()


def test_a_table_written_in_dutch_is_not_localized_again(twin, monkeypatch):
    """markdown_table leaves a Dutch table's cells as they are: "3,292" is no thousand, the quotation keeps
    ".04"; a table without attrs["lang"] still gets the Dutch number style."""
    monkeypatch.setattr(book, "run_lang", lambda: "nl")
    findings = audit.audit(df=twin, lang="nl")
    shown = audit_display.findings_table(findings, ["id", "question", "arithmetic"], "nl")
    text = book.markdown_table(shown).data
    assert "|t| > 3,292" in plain(text) and "3.292" not in text
    text = book.markdown_table(book.ledger_table(twin, lang="nl")).data
    assert "(β = .04, p < .05)" in plain(text)
    assert "30,9" in book.markdown_table(pd.DataFrame({"x": ["30.9%"]})).data


def test_the_check_finds_the_english_ledger(twin):
    """The check can fail: the English ledger's texts (what the Dutch page showed before) are English."""
    assert english_sentences(page(table_texts(book.ledger_table(twin, check=True))))
    assert english_sentences(page(audit.audit(df=twin)["arithmetic"]))


# ---------------------------------------------------------------------------------------- the audit


@pytest.mark.parametrize("with_data", [True, False], ids=["data", "no-data"])
def test_audit_findings_are_dutch(twin, with_data):
    findings = audit.audit(df=twin if with_data else None, lang="nl")
    assert_dutch(list(findings["question"]) + list(findings["arithmetic"]), "the audit's findings")
    english = audit.audit(df=twin if with_data else None)
    assert findings[["id", "verdict", "can_fail"]].equals(english[["id", "verdict", "can_fail"]])


def test_the_audit_tables_are_dutch(twin):
    findings = audit.audit(df=twin, lang="nl")
    counted = findings[findings["can_fail"]]
    table = audit_display.findings_table(counted, ["id", "question", "arithmetic", "verdict"], "nl")
    assert list(table.columns) == ["id", "vraag", "rekenwerk", "oordeel"]
    assert set(table["oordeel"]) <= {"verenigbaar", "vraag"}
    assert_dutch(table_texts(table), "the audit's checks")
    bounds = audit.collinearity_table(df=twin)
    for vifs in (audit.data_vifs(twin), None):
        table = bounds if vifs else audit.collinearity_table()
        shown = audit_display.collinearity_table(table, vifs, lang="nl")
        assert_dutch(table_texts(shown), "the collinearity table")
    for df in (twin, None):
        assert_dutch(table_texts(audit_display.mediation_table(audit.mediation(df=df), lang="nl")),
                     "the mediation table")
    listed = audit_display.cannot_fail_list(findings, audit.N, "nl")
    assert listed.startswith(f":::{{admonition}} 23 controles die bij N = {fmt.format_count(audit.N, 'nl')}")
    assert_dutch(listed.splitlines(), "the checks that cannot fail")


def test_the_ledgers_audit_reasons_are_dutch(twin):
    """The reasons the ledger takes from the audit (a beta's collinearity, an r's bound) in Dutch."""
    c = next(c for c in ledger.claims() if c["id"] == "beta:keep_up~employability")
    reason = audit.beta_reason(c, n=4912, k=23, r2=0.29, vif=1.86, beta=0.0289, lang="nl")
    within = audit.beta_reason(c, n=4912, k=23, r2=0.29, vif=0.3, beta=0.0289, lang="nl")
    r = next(c for c in ledger.claims() if c["kind"] == "r")
    assert_dutch([reason, within, audit.r_finding(r, lang="nl")["arithmetic"]], "the audit's reasons")
    assert "geschatte |β| = 0,0289" in within


@pytest.mark.parametrize("x, spec, english, dutch", [
    (3.29153, ".3f", "3.292", "3,292"), (5391.5, ",.1f", "5,391.5", "5.391,5"),
    (1.1e-05, ".2g", "1.1e-05", "1,1 × 10⁻⁵"),
    (-5.559, ".4g", "-5.559", "−5,559"), (40, "g", "40", "40"),
])
def test_format_spec_writes_what_localize_cannot_read(x, spec, english, dutch):
    """English is format() itself (so the English book is unchanged); Dutch swaps the separators."""
    assert fmt.format_spec(x, spec) == english == format(x, spec)
    assert fmt.format_spec(x, spec, "nl") == dutch
