"""The tables of the output-check appendix, from what the pages recorded, in English or Dutch.

The records (:mod:`werk.disclosure.record`) are the edition's, shared by both books, and word their cells
in English (the report beside the HTML is read by CBS's output checker). The Dutch book shows them in
Dutch: the rules' texts (:data:`werk.disclosure.rules.RULES_NL`), the headers, the kinds and statuses, the
cells' descriptions (:func:`cell_text`). Rule names and glue keys stay identifiers, in code. A page is
named by a reference to its label, so that the Dutch book shows the page's Dutch title.
"""

from __future__ import annotations

import re

import pandas as pd

from werk.core import codebook, fmt
from werk.disclosure import record, report, rules

__all__ = ["rules_table", "pages_table", "findings_table", "checks_table", "cell_text"]

_HEAD = {
    "en": {"rule": "rule", "requires": "what it requires", "page": "page", "outputs": "outputs",
           "pass": "pass", "flagged": "flagged", "suppressed": "suppressed", "not shown": "not shown",
           "numbers suppressed": "numbers suppressed", "output": "output", "kind": "kind", "status": "status",
           "cells": "suppressed or flagged", "rules": "rules", "n": "n", "nothing": "nothing"},
    "nl": {"rule": "regel", "requires": "wat de regel vereist", "page": "pagina", "outputs": "outputs",
           "pass": "akkoord", "flagged": "gemarkeerd", "suppressed": "onderdrukt",
           "not shown": "niet getoond",
           "numbers suppressed": "getallen onderdrukt", "output": "output", "kind": "soort",
           "status": "status", "cells": "onderdrukt of gemarkeerd", "rules": "regels", "n": "n",
           "nothing": "niets"},
}
#: The kinds of output and the statuses of a check, in Dutch (the records keep the English words).
KIND_NL = {"table": "tabel", "figure": "figuur", "prose": "getal in de tekst", "model": "model"}
STATUS_NL = {rules.PASS: "akkoord", rules.REVIEW: "ter beoordeling", rules.SUPPRESSED: "onderdrukt",
             rules.REFUSED: "niet getoond"}


def _head(lang: str) -> dict[str, str]:
    if lang not in _HEAD:
        raise ValueError(f"lang must be 'en' or 'nl', not {lang!r}")
    return _HEAD[lang]


def rules_table(lang: str = "en") -> pd.DataFrame:
    """The output rules: each rule's name (in code) and what it requires."""
    h = _head(lang)
    texts = rules.RULES_NL if lang == "nl" else rules.RULES
    return pd.DataFrame({h["rule"]: [f"`{k}`" for k in rules.RULES],
                         h["requires"]: [texts[k] for k in rules.RULES]})


def _page_link(records: dict, page, lang: str) -> str:
    rec = records[page]
    if not rec.get("label"):
        return rec["title"]
    # An empty link text shows the section's title in the book's language (the records keep the English).
    return f"[]({rec['label']})" if lang == "nl" else f"[{rec['title']}]({rec['label']})"


def pages_table(records: dict, lang: str = "en") -> pd.DataFrame:
    """Outputs checked per page: how many passed, were flagged, had numbers suppressed, were not shown."""
    h = _head(lang)
    rows = []
    for page, rec in records.items():
        n = report.summary(record.checks_of({page: rec}))
        rows.append({h["page"]: _page_link(records, page, lang), h["outputs"]: str(n["outputs"]),
                     h["pass"]: str(n["pass"]), h["flagged"]: str(n["review"]),
                     h["suppressed"]: str(n["suppressed"]), h["not shown"]: str(n["refused"]),
                     h["numbers suppressed"]: str(n["suppressed_cells"])})
    return pd.DataFrame(rows)


def _output_ref(c) -> str:
    if c.kind in ("table", "figure") and c.output.startswith(("tab-", "fig-")):
        return f"{{numref}}`{c.output}`"
    return f"`{c.output}`"


def _kind(c, lang: str) -> str:
    return KIND_NL.get(c.kind, c.kind) if lang == "nl" else c.kind


def _status(c, lang: str) -> str:
    return STATUS_NL.get(c.status, c.status) if lang == "nl" else c.status


def _cells(c, lang: str) -> str:
    if lang == "nl":
        items = [f"{cell_text(s['cell'], 'nl')} (`{s['rule']}`)" for s in c.suppressed]
        items += [f"† {cell_text(f['cell'], 'nl')} (`{f['rule']}`)" for f in c.flagged]
        return "; ".join(items) if items else cell_text(c.note, "nl")
    items = [f"{s['cell']} ({s['rule']})" for s in c.suppressed]
    items += [f"† {f['cell']} ({f['rule']})" for f in c.flagged]
    return "; ".join(items) if items else c.note


def findings_table(records: dict, lang: str = "en") -> pd.DataFrame:
    """Every output with a suppressed, withheld or flagged number: page, output, kind, status, the cells."""
    h = _head(lang)
    findings = [{h["page"]: _page_link(records, c.page, lang), h["output"]: _output_ref(c),
                 h["kind"]: _kind(c, lang), h["status"]: _status(c, lang), h["cells"]: _cells(c, lang)}
                for c in record.checks_of(records) if c.status != rules.PASS]
    if not findings:
        findings = [{h["page"]: "", h["output"]: "", h["kind"]: "", h["status"]: "",
                     h["cells"]: h["nothing"]}]
    return pd.DataFrame(findings)


def _n_text(n) -> str:
    if n is None:
        return ""
    return fmt.format_count(n) if n >= rules.THRESHOLD else f"< {rules.THRESHOLD}"


def checks_table(records: dict, lang: str = "en") -> pd.DataFrame:
    """Every output check: page, output, kind, the rules applied, the respondents (from 10), status."""
    h = _head(lang)
    rows = []
    for c in record.checks_of(records):
        applied = ", ".join(f"`{r}`" for r in c.rules) if lang == "nl" else ", ".join(c.rules)
        rows.append({h["page"]: _page_link(records, c.page, lang), h["output"]: _output_ref(c),
                     h["kind"]: _kind(c, lang), h["rules"]: applied, h["n"]: _n_text(c.n),
                     h["status"]: _status(c, lang)})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------- cells in Dutch

#: How :mod:`werk.disclosure.rules` words a cell, and the Dutch of it. Longer phrases first.
_REFUSED = (re.compile(r"^not shown: fewer than (\d+) residual degrees of freedom \(CBS output rules\)$"),
            r"niet getoond: minder dan \1 residuele vrijheidsgraden (outputregels van het CBS)")
_PHRASES_NL = [
    (re.compile(r"^([a-z_]+)=([\w.]+) holds over ([\d.]+)%$"), r"`\1=\2` omvat meer dan \3%"),
    (re.compile(r"^answering (\S+)$"), r"antwoord \1"),
    (re.compile(r"\btest between the groups\b"), "toets tussen de groepen"),
    (re.compile(r"\bstandard deviation\b"), "standaardafwijking"),
    (re.compile(r"\bother answers\b"), "overige antwoorden"),
    (re.compile(r"\bmanagers\b"), "leidinggevenden"),
    (re.compile(r"\bemployees\b"), "medewerkers"),
    (re.compile(r"^mean$|(?<=: )mean$"), "gemiddelde"),
    (re.compile(r"^total$"), "totaal"),
    (re.compile(r"^column (.+)$"), r"kolom \1"),
    (re.compile(r"^row (.+)$"), r"rij \1"),
]


def _labels_nl() -> list[tuple[str, str]]:
    """English -> Dutch of every codebook label a cell can name (values, variables, terms)."""
    pairs = {}
    for v in codebook.VARIABLES.values():
        for nl, en in v.codes.values():
            pairs.setdefault(en, nl)
        pairs.setdefault(codebook.label(v.name, "en"), codebook.term_label(v.name, "nl"))
    for _, _, _, nl, en in codebook.AGE_GROUPS:
        pairs.setdefault(en, nl)
    pairs.setdefault(codebook.term_label("hrm_leadership"), codebook.term_label("hrm_leadership", "nl"))
    return [(en, nl) for en, nl in pairs.items() if en != nl]


def cell_text(text: str, lang: str = "en") -> str:
    """A cell's description as a record words it (English), in ``lang``.

    Dutch: the wordings of :mod:`werk.disclosure.rules` and the codebook's labels, with a claim id
    (``share:permanent_contract``) or a variable's code in code font. What is not known stays as it is.
    """
    if lang != "nl" or not text:
        return text
    if _REFUSED[0].match(text):
        return _REFUSED[0].sub(_REFUSED[1], text)
    parts = []
    for part in text.split(" × "):
        head, sep, rest = part.rpartition(": ")
        if head and re.fullmatch(r"[a-z_]+ [\w.]+", head):  # a group prefix: "sector 3: "
            var, _, code = head.partition(" ")
            head = f"`{var}` {code}"
        elif head:
            head = cell_text(head, lang)
        part = rest if sep else part
        if re.fullmatch(r"[a-z_]+:[\w:~=.-]+", part):  # a claim id or glue key
            part = f"`{part}`"
        else:
            for pattern, repl in _PHRASES_NL:
                part = pattern.sub(repl, part)
            if "`" not in part:
                labels = dict(_labels_nl())
                part = " met ".join(labels.get(x, x) for x in part.split(" with "))  # a correlation
        parts.append(f"{head}{sep}{part}" if sep else part)
    return " × ".join(parts)
