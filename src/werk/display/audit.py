"""The audit appendix's tables: the collinearity bounds, the mediation paths, the checks that cannot fail.

Each takes numbers from :mod:`werk.stats.audit` and returns display strings; the VIF table takes
``check=`` as :func:`werk.display.robust.vif_table` does (the data's VIFs are the R² of auxiliary
regressions, checked by :func:`werk.disclosure.robust.check_vifs`). With ``lang="nl"`` every heading, word
and number is Dutch, and ``attrs["lang"]`` says so (:func:`werk.book.markdown_table` shows it as it is).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from werk.core import fmt
from werk.disclosure import record
from werk.disclosure import rules as outputcheck
from werk.disclosure.robust import check_vifs
from werk.disclosure.rules import check_model
from werk.inputs.claims import term_name
from werk.stats import models
from werk.stats.audit import R2_PLAUSIBLE

__all__ = ["collinearity_table", "mediation_table", "cannot_fail_list", "findings_table"]

_MODEL_NAMES = {"threat": "threat", "keep_up": "keeping up", "employability": "employability"}

#: The words of the tables, per language.
_TEXT = {
    "en": {
        "models": _MODEL_NAMES, "any": "any", "predictor": "predictor (model)", "printed": "printed",
        "allowed": "VIF allowed (edge)", "implied": "VIF the article implies", "vif_data": "VIF, data",
        "allowed_data": "VIF allowed at data R²", "needed": "R² needed", "verdict": "verdict",
        "cannot_fail": "cannot fail",
        "note": ("VIF allowed: the largest VIF of the predictor at which the printed β reaches the printed "
                 "p, at "
                 "R² = 0 (any R² allows more); edge, and in brackets: read at the printed |β| plus half a "
                 "unit "
                 "of its last digit; VIF the article implies: the least its own correlations allow; R² "
                 "needed: the "
                 "smallest model R² at the edge and at {at} (any: every R² will do); a question where it "
                 "exceeds "
                 "{plausible}."),
        "at_data": "the VIF in these data", "at_article": "the VIF the article implies, or 1 where it "
                                                          "implies none",
        "note_data": (" Data: the VIF in these data and the VIF allowed at their model R², at the edge. "
                      "Model R² in these data: {r2s}."),
        "not_printed": "not printed", "to": "{lo} to {hi}", "at_most": "at most |{b}| (|a| ≤ 1)",
        "mediator": "mediator", "a": "r(age, mediator)", "b": "β(mediator → keeping up)",
        "ab": "indirect a × b",
        "rounding": "over the rounding", "data_ab": "a × b in these data",
        "cannot_fail_title": "{n} checks that cannot fail at N = {N}",
        "columns": {"id": "id", "question": "question", "arithmetic": "arithmetic", "verdict": "verdict"},
        "verdicts": {},
    },
    "nl": {
        "models": {"threat": "bedreiging", "keep_up": "bijbenen", "employability": "inzetbaarheid"},
        "any": "elke", "predictor": "voorspeller (model)", "printed": "gedrukt",
        "allowed": "toegestane VIF (grens)", "implied": "VIF volgens het artikel", "vif_data": "VIF, data",
        "allowed_data": "toegestane VIF bij R² van de data", "needed": "benodigde R²", "verdict": "oordeel",
        "cannot_fail": "kan niet mislukken",
        "note": ("toegestane VIF: de grootste VIF van de voorspeller waarbij de gedrukte β de gedrukte p "
                 "haalt, bij "
                 "R² = 0 (een hogere R² laat meer toe); grens, tussen haakjes: gelezen bij de gedrukte |β| "
                 "plus een "
                 "halve eenheid van het laatste cijfer; VIF volgens het artikel: de kleinste die zijn eigen "
                 "correlaties toelaten; benodigde R²: de kleinste R² van het model bij de grens en bij {at} "
                 "(elke: "
                 "elke R² volstaat); een vraag als die boven {plausible} ligt."),
        "at_data": "de VIF in deze data",
        "at_article": "de VIF volgens het artikel, of 1 waar het artikel er geen aangeeft",
        "note_data": (" Data: de VIF in deze data en de VIF die bij hun R² van het model is toegestaan, bij "
                      "de "
                      "grens. R² van het model in deze data: {r2s}."),
        "not_printed": "niet gedrukt", "to": "{lo} tot {hi}", "at_most": "hooguit |{b}| (|a| ≤ 1)",
        "mediator": "mediator", "a": "r(leeftijd, mediator)", "b": "β(mediator → bijbenen)",
        "ab": "indirect a × b",
        "rounding": "over de afronding", "data_ab": "a × b in deze data",
        "cannot_fail_title": "{n} controles die bij N = {N} niet kunnen mislukken",
        "columns": {"id": "id", "question": "vraag", "arithmetic": "rekenwerk", "verdict": "oordeel"},
        "verdicts": {"consistent": "verenigbaar", "question": "vraag"},
    },
}


def _r2(x: float, lang: str = "en") -> str:
    """An R² bound: "any" when every R² will do (the bound is at or below zero)."""
    if not math.isfinite(x):
        return ""
    return _TEXT[lang]["any"] if x <= 0 else fmt.localize(fmt.format_number(x, 2), lang)


def _name(term: str, lang: str) -> str:
    return term_name(term, "nl") if lang == "nl" else models.term_label(term)


def collinearity_table(table: pd.DataFrame, vifs: Mapping[str, pd.DataFrame] | None = None,
                       check: bool | str = False, lang: str = "en") -> pd.DataFrame:
    """:func:`werk.stats.audit.collinearity_table` for reading, one row per printed (β, p) pair.

    Short columns, explained in the table's note: the predictor (and its model), the printed pair,
    the largest VIF at R² = 0 (printed value, and the rounding edge in brackets), the least VIF the
    article's own correlations imply; with data, the data's VIF and the largest VIF at the data's R²
    (at the edge; the R² per model goes in the note); the smallest R² at the edge and at the data's VIF
    (without data, the article's); and the verdict ("cannot fail" for a pair that cannot, see
    :func:`werk.stats.audit.collinearity`).

    With ``check`` (``vifs``: :func:`werk.stats.audit.data_vif` per model) the data columns of a model
    whose auxiliary regressions fail CBS's output rules read "suppressed"; ``attrs["outputcheck"]``
    holds the check, and a string also records it under that name.
    """
    T = _TEXT[lang]

    def num(x: float, decimals: int = 2, leading_zero: bool = True) -> str:
        return fmt.localize(fmt.format_number(x, decimals, leading_zero), lang)

    chk = None
    if check and vifs:
        chk = check_vifs(vifs, check if isinstance(check, str) else "", "table")
        if isinstance(check, str):
            record.record(chk)
    has_data = table["vif"].notna().any()
    rows, r2s = [], {}
    for r in table.itertuples(index=False):
        model, term = r.id.split(":", 1)[1].split("~", 1)
        mark = outputcheck.mark(lang)
        row = {
            T["predictor"]: f"{_name(term, lang)} ({T['models'].get(model, model)})",
            T["printed"]: fmt.localize(f"β = {fmt.format_coef(r.beta, r.precision)}, "
                                       f"p < {fmt.format_alpha(r.p_max)}", lang),
            T["allowed"]: f"{num(r.vif_max)} ({num(r.vif_max_edge)})",
            T["implied"]: num(r.vif_floor) if isinstance(r.floor_id, str) else "",
        }
        if has_data:
            hidden = chk is not None and model in chk.hidden
            data = {T["vif_data"]: num(r.vif), T["allowed_data"]: num(r.vif_max_data_r2)}
            row.update(dict.fromkeys(data, mark) if hidden else data)
            if not hidden:
                r2s.setdefault(model, r.r2)
        # At the data's VIF when data are given (so withheld with them), else at the article's.
        row[T["needed"]] = mark if has_data and hidden else _r2(r.r2_needed, lang)
        row[T["verdict"]] = T["verdicts"].get(r.verdict, r.verdict) if r.can_fail else T["cannot_fail"]
        rows.append(row)
    out = pd.DataFrame(rows)
    note = T["note"].format(at=T["at_data"] if has_data else T["at_article"],
                            plausible=num(R2_PLAUSIBLE, leading_zero=False))
    if r2s:
        r2_text = "; ".join(f"{T['models'].get(m, m)} {num(v)}" for m, v in r2s.items())
        note += T["note_data"].format(r2s=r2_text)
    out.attrs["note"] = note
    if lang == "nl":
        out.attrs["lang"] = "nl"
    if chk is not None:
        out.attrs["outputcheck"] = chk
    return out


def mediation_table(m: pd.DataFrame, fit: pd.DataFrame | None = None,
                    check: bool | str = False, lang: str = "en") -> pd.DataFrame:
    """:func:`werk.stats.audit.mediation` for reading: one row per mediator the article names.

    With ``check`` (``fit``: the keep-up model the data's column rests on, :func:`werk.stats.models.fit`)
    that column reads "suppressed" when the model fails CBS's output rules (:func:`check_model`);
    ``attrs["outputcheck"]`` holds the check, and a string also records it under that name.
    """
    T = _TEXT[lang]

    def coef(x: float, decimals: int) -> str:
        return fmt.localize(fmt.format_coef(x, decimals), lang)

    has_data = m["data_ab"].notna().any()
    chk = None
    if check and fit is not None and has_data:
        chk = check_model(fit, check if isinstance(check, str) else "", "table")
        if isinstance(check, str):
            record.record(chk)
    rows = []
    for r in m.itertuples(index=False):
        printed = pd.notna(r.a) and pd.notna(r.b)
        if printed:
            product = coef(r.ab, 3)
            bounds = T["to"].format(lo=coef(math.copysign(r.ab_low, r.ab), 3),
                                    hi=coef(math.copysign(r.ab_high, r.ab), 3))
        elif pd.notna(r.b):
            product, bounds = T["not_printed"], T["at_most"].format(b=coef(r.ab_high, 3))
        else:
            product, bounds = T["not_printed"], ""
        row = {T["mediator"]: _name(r.mediator, lang),
               T["a"]: coef(r.a, 2) if pd.notna(r.a) else T["not_printed"],
               T["b"]: coef(r.b, 2) if pd.notna(r.b) else T["not_printed"],
               T["ab"]: product, T["rounding"]: bounds}
        if has_data:
            withheld = chk is not None and chk.withheld
            row[T["data_ab"]] = outputcheck.mark(lang) if withheld \
                else coef(r.data_ab, 3)
        rows.append(row)
    out = pd.DataFrame(rows)
    if lang == "nl":
        out.attrs["lang"] = "nl"
    if chk is not None:
        out.attrs["outputcheck"] = chk
    return out


def cannot_fail_list(findings: pd.DataFrame, n: int, lang: str = "en") -> str:
    """The checks that cannot fail at ``n`` as a collapsed MyST admonition: one line each, id and question.

    ``findings`` from :func:`werk.stats.audit.audit` in ``lang``; the title is in ``lang`` too."""
    trivial = findings[~findings["can_fail"]]
    if trivial.empty:
        return ""
    lines = [f"- `{r.id}`: {r.question}" for r in trivial.itertuples(index=False)]
    title = _TEXT[lang]["cannot_fail_title"].format(n=len(trivial), N=fmt.format_count(n, lang))
    return f":::{{admonition}} {title}\n:class: dropdown\n\n" + "\n".join(lines) + "\n:::"


def findings_table(findings: pd.DataFrame, columns=("id", "question", "arithmetic"), lang: str = "en"
                   ) -> pd.DataFrame:
    """Audit findings (:func:`werk.stats.audit.audit`, in ``lang``) for reading: the id as code, the
    ``columns`` under headings in ``lang``, and the verdict in words ("verenigbaar", "vraag" in Dutch)."""
    T = _TEXT[lang]
    out = findings.assign(id=findings["id"].map(lambda s: f"`{s}`"))[list(columns)]
    if "verdict" in out.columns:
        out = out.assign(verdict=out["verdict"].map(lambda v: T["verdicts"].get(v, v)))
    if lang == "nl":
        out = out.rename(columns=T["columns"])
        out.attrs["lang"] = "nl"
    return out
