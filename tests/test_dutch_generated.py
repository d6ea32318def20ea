"""Text the code writes for the Dutch book (issue 16), without a book build.

The Dutch book runs the same notebooks with ``lang="nl"``; what their code writes into cell outputs (the
assumptions list and codebook of the methods page, the output rules and the tables of the output-check
appendix, the figures' alt text, the lists glued into the prose) must then be Dutch, and the English book
must stay as it was. The book-level checks are in tests/test_dutch.py (slow).
"""

from __future__ import annotations

import json
import re

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from test_dutch import ENGLISH_STYLE, english_alts, english_sentences, numbers
from test_figures import drawn, make_frame

from werk import book
from werk.core import codebook, paths
from werk.disclosure import rules
from werk.display import figures, outputcheck
from werk.stats import models, synth

#: English words that are never Dutch words: one in a Dutch text is a leftover ("of", "is", "was" are Dutch).
NEVER_DUTCH = {"the", "and", "with", "which", "that", "this", "from", "for", "by"}


def english(text: str) -> list[str]:
    """English in ``text``: the book's sentence heuristic on a fragment, and any word of NEVER_DUTCH."""
    words = set(re.findall(r"[a-z]+", re.sub(r"`[^`]*`", "", text).lower()))
    found = english_sentences(f"<article class='bd-article'><p>{text}</p></article>")
    return found + sorted(words & NEVER_DUTCH)


def stored_output(notebook: str, needle: str) -> str:
    """The stored (nbval reference) text/markdown output of the code cell of ``notebook`` whose source
    holds ``needle``."""
    nb = json.loads((paths.ROOT / "notebooks" / notebook).read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and needle in "".join(cell["source"]):
            return "".join(cell["outputs"][0]["data"]["text/markdown"])
    raise LookupError(f"no cell with {needle!r} in {notebook}")


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


# ------------------------------------------------------------------------------------ assumptions


def test_every_assumption_has_a_dutch_heading_and_text():
    assert list(codebook.ASSUMPTIONS_NL) == list(codebook.ASSUMPTIONS), "same keys, same order"
    for key, (title, text) in codebook.ASSUMPTIONS_NL.items():
        assert title and text and text != codebook.ASSUMPTIONS[key], key
        assert not english(f"{title}: {text}"), f"{key}: {english(text)}"
        assert not ENGLISH_STYLE.search(text), f"{key}: English number style: {ENGLISH_STYLE.findall(text)}"


def test_english_assumptions_list_is_what_the_reference_notebook_shows():
    """The English book's list is byte for byte the one the nbval reference holds."""
    assert book.assumptions_list("en").data == stored_output("06_methods.ipynb", "assumptions_list")


def test_dutch_assumptions_list_names_each_key_in_code():
    text = book.assumptions_list("nl").data
    lines = text.split("\n")
    assert len(lines) == len(codebook.ASSUMPTIONS)
    assert all(f"(`{key}`)" in line for key, line in zip(codebook.ASSUMPTIONS, lines))
    assert not english(re.sub(r"`[^`]*`", "", text))


def test_the_assumption_checks_can_fail():
    # Every English text but the shortest ("Gender is coded 1 man, 2 woman, so a negative beta means women
    # score lower.") would fail the Dutch check.
    missed = [key for key, text in codebook.ASSUMPTIONS.items() if not english(text)]
    assert missed == ["gender_coding"]
    assert ENGLISH_STYLE.search("de tweeling verdeelt dat als 14.5, 3.9 en 1.0 procent")


# --------------------------------------------------------------------------------------- codebook


def test_dutch_codebook_table_holds_no_english_label():
    table = book.codebook_table("nl")
    text = re.sub(r"`[^`]*`", "", " ".join(table.astype(str).to_numpy().ravel()))  # the column names
    assert list(table.columns) == ["variabele", "vraagtekst of omschrijving", "codes", "bereik"]
    assert "(yes)" not in text and "(not at all)" not in text and " to " not in text
    leftover = set()
    for v in codebook.VARIABLES.values():
        labels = [v.en] + [en for nl, en in v.codes.values() if nl != en]
        found = {lab for lab in labels if re.search(rf"(?<![\w-]){re.escape(lab)}(?![\w-])", text)}
        leftover |= found - {v.nl}
    # The codebook's own Dutch labels hold these ("employability / inzetbaarheid", the article's word;
    # "career self-management / loopbaansturing"); "expertise" and "sector" are Dutch words too.
    assert leftover <= {"employability", "career self-management", "expertise", "sector"}, leftover
    assert not english(text)


def test_english_codebook_table_keeps_its_five_columns():
    assert list(book.codebook_table("en").columns) == ["variable", "Dutch", "English", "codes", "range"]


def test_the_two_questions_have_short_dutch_labels():
    assert codebook.label("threat", "nl") == "technologie als bedreiging voor behoud van werk"
    assert codebook.label("keep_up", "nl") == "bijbenen van technologische veranderingen"
    assert codebook.label("threat", "en") == "technology as a threat to keeping one's job"


# ---------------------------------------------------------------------------------- plausibility


@pytest.fixture(scope="module")
def twin():
    return pd.read_csv(paths.TWIN)


def test_plausibility_checks_in_dutch(twin):
    en, nl = synth.plausibility(twin), synth.plausibility(twin, "nl")
    assert [ok for *_, ok in en] == [ok for *_, ok in nl]
    for (check, value, expect, _), (c_en, *_) in zip(nl, en):
        assert check != c_en and not english(f"{check}. {value}. {expect}."), (check, value, expect)
    table = book.plausibility_table(twin, "nl")
    assert list(table.columns) == ["controle", "de tweeling", "een echt personeelsbestand", "klopt"]
    assert set(table["klopt"]) <= {"ja", "nee"}


# -------------------------------------------------------------------------------- output check


def test_every_rule_has_a_dutch_text():
    """A rule added to RULES needs its Dutch text in RULES_NL (which may hold one ahead of its rule)."""
    assert set(rules.RULES) <= set(rules.RULES_NL), f"no Dutch text: {set(rules.RULES) - set(rules.RULES_NL)}"
    for rule, text in rules.RULES_NL.items():
        assert not english(text), f"{rule}: {english(text)}"
        if rule in rules.RULES:
            assert re.findall(r"\d+", text) == re.findall(r"\d+", rules.RULES[rule]), f"{rule}: other numbers"


def test_the_rule_check_can_fail():
    assert english(rules.RULES["dof"]) and english(rules.RULES["secondary"])


#: Records as pages keep them: one page passes, one has a flagged, a suppressed and a refused output.
RECORDS = {
    "01_design": {"page": "01_design", "title": "Design and population", "label": "sec-design", "checks": [
        {"page": "01_design", "output": "share_multiple_jobs", "kind": "prose",
         "rules": ["threshold", "group"], "n": 5391, "status": "review", "suppressed": [],
         "flagged": [{"cell": "multiple_jobs=0 holds over 90%", "rule": "group"}], "note": ""},
        {"page": "01_design", "output": "tab-design", "kind": "table", "rules": ["threshold", "secondary"],
         "n": 120, "status": "suppressed", "flagged": [], "note": "",
         "suppressed": [{"cell": "managers × to a large extent", "rule": "threshold"},
                        {"cell": "sector 7: mean", "rule": "secondary"}]},
        {"page": "01_design", "output": "fig-model", "kind": "figure", "rules": ["dof"], "n": 8,
         "status": "refused", "suppressed": [], "flagged": [],
         "note": "not shown: fewer than 10 residual degrees of freedom (CBS output rules)"}]},
    "04_conclusion": {"page": "04_conclusion", "title": "Conclusion", "label": "sec-conclusion", "checks": [
        {"page": "04_conclusion", "output": "n_total", "kind": "prose", "rules": ["threshold"], "n": 5391,
         "status": "pass", "suppressed": [], "flagged": [], "note": ""}]},
}


def _dutch_table(table: pd.DataFrame) -> list[str]:
    """English in a table for the Dutch book: its headers and cells, code and links' targets left out."""
    text = " ".join(map(str, table.columns)) + ". " + ". ".join(map(str, table.to_numpy().ravel()))
    text = re.sub(r"`[^`]*`|\]\([^)]*\)", "", text)
    words = ("pass", "review", "prose", "figure", "flagged", "suppressed", "holds", "managers", "mean",
             "not shown")
    return english(text) + [w for w in words if re.search(rf"\b{w}\b", text)]


@pytest.mark.parametrize("make", [lambda lang: outputcheck.rules_table(lang),
                                  lambda lang: outputcheck.pages_table(RECORDS, lang),
                                  lambda lang: outputcheck.findings_table(RECORDS, lang),
                                  lambda lang: outputcheck.checks_table(RECORDS, lang)],
                         ids=["rules", "pages", "findings", "checks"])
def test_output_check_tables_in_dutch(make):
    nl, en = make("nl"), make("en")
    assert nl.shape == en.shape
    assert not _dutch_table(nl), _dutch_table(nl)
    assert _dutch_table(en), "the same check finds the English table English"


def test_output_check_tables_name_pages_by_their_label():
    """Sphinx fills an empty link with the section's title, Dutch in the Dutch book."""
    assert list(outputcheck.pages_table(RECORDS, "nl")["pagina"]) == ["[](sec-design)", "[](sec-conclusion)"]
    assert list(outputcheck.pages_table(RECORDS, "en")["page"]) == ["[Design and population](sec-design)",
                                                                   "[Conclusion](sec-conclusion)"]


def test_english_output_check_tables_are_the_notebooks_old_ones():
    """The tables the appendix built in its own cells before they moved to werk.display.outputcheck."""
    import werk.disclosure.record as record
    from werk.disclosure import report

    def page_link(page):
        rec = RECORDS[page]
        return f"[{rec['title']}]({rec['label']})" if rec.get("label") else rec["title"]

    every = record.checks_of(RECORDS)
    rows = []
    for page, rec in RECORDS.items():
        n = report.summary(record.checks_of({page: rec}))
        rows.append({"page": page_link(page), "outputs": str(n["outputs"]), "pass": str(n["pass"]),
                     "flagged": str(n["review"]), "suppressed": str(n["suppressed"]),
                     "not shown": str(n["refused"]), "numbers suppressed": str(n["suppressed_cells"])})
    pd.testing.assert_frame_equal(outputcheck.pages_table(RECORDS), pd.DataFrame(rows))

    def output_ref(c):
        if c.kind in ("table", "figure") and c.output.startswith(("tab-", "fig-")):
            return f"{{numref}}`{c.output}`"
        return f"`{c.output}`"

    def cells(c):
        items = [f"{s['cell']} ({s['rule']})" for s in c.suppressed]
        items += [f"† {f['cell']} ({f['rule']})" for f in c.flagged]
        return "; ".join(items) if items else c.note

    findings = [{"page": page_link(c.page), "output": output_ref(c), "kind": c.kind, "status": c.status,
                 "suppressed or flagged": cells(c)} for c in every if c.status != "pass"]
    pd.testing.assert_frame_equal(outputcheck.findings_table(RECORDS), pd.DataFrame(findings))
    everything = [{"page": page_link(c.page), "output": output_ref(c), "kind": c.kind,
                   "rules": ", ".join(c.rules),
                   "n": "5,391" if c.n == 5391 else str(c.n) if c.n >= 10 else "< 10", "status": c.status}
                  for c in every]
    pd.testing.assert_frame_equal(outputcheck.checks_table(RECORDS), pd.DataFrame(everything))
    rules_en = pd.DataFrame({"rule": [f"`{k}`" for k in rules.RULES],
                             "what it requires": list(rules.RULES.values())})
    pd.testing.assert_frame_equal(outputcheck.rules_table(), rules_en)


@pytest.mark.parametrize("english_cell, dutch", [
    ("multiple_jobs=0 holds over 90%", "`multiple_jobs=0` omvat meer dan 90%"),
    ("share:permanent_contract", "`share:permanent_contract`"),
    ("managers × to a large extent", "leidinggevenden × in grote mate"),
    ("sector 7: mean", "`sector` 7: gemiddelde"),
    ("age (years) with employability", "leeftijd in jaren met employability / inzetbaarheid"),
    ("not shown: fewer than 10 residual degrees of freedom (CBS output rules)",
     "niet getoond: minder dan 10 residuele vrijheidsgraden (outputregels van het CBS)"),
])
def test_cell_descriptions_in_dutch(english_cell, dutch):
    assert outputcheck.cell_text(english_cell, "nl") == dutch
    assert outputcheck.cell_text(english_cell, "en") == english_cell


# ------------------------------------------------------------------------------------ alt texts


def _alt(ax) -> str:
    return getattr(ax.figure, figures.ALT_ATTR)


@pytest.fixture(scope="module")
def frame():
    return make_frame()


@pytest.mark.parametrize("draw", [
    lambda df, lang: figures.threat_distribution(df, lang=lang),
    lambda df, lang: figures.threat_by_manager(df, lang=lang),
    lambda df, lang: figures.keep_up_by_gender(df, lang=lang),
    lambda df, lang: figures.coefficient_plot(models.fit(df, "threat"), lang=lang),
    lambda df, lang: figures.coefficient_plot({"OLS": models.fit(df, "threat"),
                                               "HC3": models.fit(df, "threat", cov_type="HC3")}, lang=lang),
], ids=["distribution", "stacked", "stacked by gender", "coefficients", "variants"])
def test_alt_text_in_dutch(frame, draw):
    nl = _alt(drawn(draw, frame, "nl"))
    en = _alt(drawn(draw, frame, "en"))
    page = "<article class='bd-article'><img src='f.png' alt='{}'></article>"
    assert not english_alts(page.format(nl.replace("'", "&#39;"))), nl
    assert english_alts(page.format(en.replace("'", "&#39;"))), "the check finds the English alt English"
    assert not ENGLISH_STYLE.search(nl), f"numbers in English style: {ENGLISH_STYLE.findall(nl)}"
    assert sorted(numbers(nl, "nl")) == sorted(numbers(en, "en")), "the same numbers"


def test_english_alt_text_is_unchanged(frame):
    """The English wording of the alt text, as before the Dutch edition."""
    alt = _alt(drawn(lambda: figures.coefficient_plot(models.fit(frame, "threat"))))
    assert re.fullmatch(r"Dot-and-whisker plot of \d+ standardized betas with 95% confidence intervals "
                        r"\(n = [\d,]+\); \d+ significant at p < \.05; "
                        r"largest .+ −?\.\d\d, smallest .+ −?\.\d\d\.", alt), alt
    assert _alt(drawn(figures.threat_distribution, frame)).startswith("Bar chart, technology as a threat")


# ------------------------------------------------------------------------------------- lists, citations


def test_and_list_in_both_languages():
    assert book._and_list(["36", "40", "32"]) == "36, 40 and 32"
    assert book._and_list(["36", "40", "32"], "nl") == "36, 40 en 32"
    assert book._and_list(["36"], "nl") == "36"


def test_twin_facts_list_the_weeks_in_the_language(twin):
    assert " en " in book.twin_facts(twin, "nl")["twin_other_weeks"]
    assert " and " in book.twin_facts(twin, "en")["twin_other_weeks"]


def test_dutch_citation_styles_join_two_authors_with_en():
    from pybtex.database import parse_file
    from pybtex.plugin import find_plugin
    from sphinxcontrib.bibtex.plugin import find_plugin as find_referencing

    from werk.build import sphinx_ext

    sphinx_ext._register_dutch_styles()
    person = find_referencing("sphinxcontrib.bibtex.style.referencing",
                              sphinx_ext.DUTCH_STYLES["reference"])().person
    assert (person.sep2, person.last_sep) == (" en ", " en ")
    style = find_plugin("pybtex.style.formatting", sphinx_ext.DUTCH_STYLES["bibliography"])()
    bib = parse_file(str(paths.ROOT / "references.bib"))
    entries = [e.text.render_as("text") for e in style.format_entries(bib.entries.values())]
    assert any("Bondarouk en Jeroen Meijerink" in e for e in entries), entries
    assert not any(re.search(r"\w and \w", e.split(".")[0]) for e in entries), entries
    assert not any(w in e for e in entries for w in ("editors", "Technical Report")), entries
    assert any("Emma Parry (red.)" in e for e in entries) and any("Rapport, CBS" in e for e in entries)


# ----------------------------------------------------------------------------------- glued sentences


def test_null_effect_sentences_in_dutch(twin):
    fit = models.fit(twin, "threat")
    terms = ["age", "education", "permanent_contract", "income", "gender", "hrm_quality", "leadership"]
    sector = models.sector_test(twin, "threat")
    en = models.null_effects(fit, terms, sector_test=sector)
    nl = models.null_effects(fit, terms, sector_test=sector, lang="nl")
    assert {k: v for k, v in en.items() if "text" not in k and k not in ("negligible", "not_shown")} == \
        {k: v for k, v in nl.items() if "text" not in k and k not in ("negligible", "not_shown")}
    for key in ("significant_text", "equivalence_text"):
        assert nl[key] and not english(nl[key]), nl[key]
        assert english(en[key]) or key == "significant_text", "the check finds the English sentence English"
    assert en["equivalence_text"].startswith("The equivalence test shows")  # unchanged
    two = models._null_texts_nl([], ["geslacht"], ["leeftijd in jaren", "inkomensklasse"], None)[1]
    assert "bij leeftijd in jaren en inkomensklasse kunnen de data" in two


def test_robustness_sentences_in_dutch():
    from werk.display import robust as robust_view

    tests = {"threat": {"p": 0.171, "df": 69, "chi2": 80.05, "rarest": {"threshold": 4, "per_predictor": 5},
                        "terms": pd.DataFrame({"term": ["age", "gender"], "p": [0.01, 0.5]})}}
    nl = robust_view.proportional_odds(tests, lang="nl")["brant_text"]
    en = robust_view.proportional_odds(tests)["brant_text"]
    assert nl.startswith("Voor bedreiging verwerpt de toets proportionele odds niet op het niveau van .05; "
                         "elk afzonderlijk getoetst verschillen de hellingen van leeftijd in jaren")
    assert not english(nl) and english(en)
    assert robust_view._join(["a", "b", "c"], "nl") == "a, b en c"
    assert robust_view._claimed("positive, p < .05", "nl") == "positief, p < .05"
    assert robust_view._verdict("fails", "nl") == "houdt geen stand"


def test_robustness_exceptions_in_dutch():
    from test_robust import CLAIMS, SPECS
    from test_robust import make_frame as toy_frame

    from werk.display import robust as robust_view
    from werk.stats import robust

    toy = toy_frame()
    assert robust_view.failures_text(robust.conclusions(toy, CLAIMS, SPECS), "nl") == \
        "Ze houden allemaal stand, onder elke variant."
    fits = {"toy": robust.model_variants(toy, "y", ["x1", "x2"])}
    fits["toy"]["ologit"] = fits["toy"]["ologit"].assign(p=0.5)
    conc = robust.conclusions(toy, CLAIMS, SPECS, fits=fits)
    nl = robust_view.failures_text(conc, "nl")
    assert nl.startswith("De uitzonderingen: x1 in het model voor toy (positief, p < .001) houdt geen stand "
                         "in de geordende logit"), nl
    assert not english(nl)
    table = robust_view.conclusions_table(conc, "nl")
    assert not {"holds", "fails"} & set(" ".join(table.astype(str).to_numpy().ravel()).split())


def test_words_glued_in_place_of_a_number_read_dutch_in_the_dutch_book(monkeypatch):
    """A withheld number ("suppressed") and a model term that could not be estimated read as the Dutch
    tables read them; in the English book they stay English."""
    from werk import book
    from werk.disclosure import rules

    glued = {}
    monkeypatch.setattr(book, "_glue", lambda key, value, display=False: glued.__setitem__(key, value))
    small = rules.check_share(pd.Series([1, 1, 2, 2, 2] * 3), [1])  # 6 answering 1: withheld
    assert small.withheld
    for lang, want in (("en", ("suppressed", "not estimable")), ("nl", ("onderdrukt", "niet te schatten"))):
        monkeypatch.setattr(book, "run_lang", lambda lang=lang: lang)
        book.glue("share_x", "40.0%", check=small)
        book.glue("beta_x", "not estimable")
        assert (glued["share_x"], glued["beta_x"]) == want
