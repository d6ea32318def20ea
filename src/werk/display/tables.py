"""Tables formatted for reading: every cell is a string, never a raw repr.

Each function returns a :class:`pandas.DataFrame` of strings with a plain range
index; ``attrs["caption"]`` and ``attrs["note"]`` carry the caption line
(n, R²) and the significance note. :func:`styled` turns such a frame into a
:class:`pandas.io.formats.style.Styler` without the index, with the caption and
note, for display in the book.

Numbers are formatted by :mod:`werk.core.fmt`, the one formatter of the book.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from werk.core import codebook
from werk.core.codebook import term_label
from werk.core.fmt import (
    NBSP,
    format_ci,
    format_coef,
    format_count,
    format_number,
    format_p,
    format_percent,
    star_note,
    stars,
)
from werk.disclosure import audit, record
from werk.disclosure import rules as outputcheck
from werk.inputs import claims as published_claims
from werk.inputs import frame
from werk.inputs.frame import category_labels, category_shares

__all__ = [
    "crosstab_table",
    "shares_table",
    "model_table",
    "correlation_table",
    "styled",
]


_TEXT = {
    "en": {
        "n": "n",
        "percent": "percent",
        "published": "published",
        "total": "total",
        "age_group": "age group",
        "term": "term",
        "beta": "β",
        "ci": "95% CI",
        "p": "p",
        "sig": "sig.",
        "x": "variable",
        "y": "with",
        "r": "r",
        "valid": "valid answers",
        "missing": "missing",
        "outcome": "outcome",
        "suppressed": "suppressed",
        "category": "category",
        "unweighted": "% unweighted",
        "weighted": "% weighted",
        "points": "difference (points)",
        "weighting_note": ("n: respondents (unweighted); weighted: with the survey weights, which stand for "
                           "the population; difference: weighted minus unweighted, in percentage points"),
        "article": "β article",
        "article_note": ("β article: as the article prints it; empty where the article prints no β for the "
                         "term (on the synthetic twin those βs are invented)"),
        "difference": "difference",
        "difference_note": ("difference: for a predictor with two values, the second group minus the "
                            "first (women minus men, yes minus no, the sector minus the reference sector) "
                            "in answer points with the other predictors held fixed, and in SDs of the "
                            "outcome; its p is the β's"),
    },
    "nl": {
        "n": "n",
        "percent": "procent",
        "published": "gepubliceerd",
        "total": "totaal",
        "age_group": "leeftijdscategorie",
        "term": "term",
        "beta": "β",
        "ci": "95%-BI",
        "p": "p",
        "sig": "sign.",
        "x": "variabele",
        "y": "met",
        "r": "r",
        "valid": "geldige antwoorden",
        "missing": "ontbrekend",
        "outcome": "afhankelijke variabele",
        "suppressed": "onderdrukt",
        "category": "categorie",
        "unweighted": "% ongewogen",
        "weighted": "% gewogen",
        "points": "verschil (procentpunt)",
        "weighting_note": ("n: respondenten (ongewogen); gewogen: met de weegfactoren, die voor de populatie "
                           "staan; verschil: gewogen min ongewogen, in procentpunten"),
        "article": "β artikel",
        "article_note": ("β artikel: zoals het artikel hem drukt; leeg waar het artikel geen β geeft "
                         "(bij de synthetische tweeling zijn die β's verzonnen)"),
        "difference": "verschil",
        "difference_note": ("verschil: bij een voorspeller met twee waarden de tweede groep min de "
                            "eerste (vrouwen min mannen, ja min nee, de sector min de referentiesector) in "
                            "antwoordpunten, de andere voorspellers gelijk gehouden, en in SD's van de "
                            "uitkomst; de p is die van de β"),
    },
}


def _text(lang: str) -> dict[str, str]:
    if lang not in _TEXT:
        raise ValueError(f"lang must be 'en' or 'nl', not {lang!r}")
    return _TEXT[lang]


# ---------------------------------------------------------------------------
# tables


def shares_table(
    df: pd.DataFrame,
    variable: str,
    lang: str = "en",
    decimals: int = 1,
    published: Mapping | None = None,
    weighted: bool = False,
    total: bool = True,
    check: bool | str = False,
) -> pd.DataFrame:
    """Category label, n and percent of valid answers (Tables 1 and 2).

    Parameters
    ----------
    df : DataFrame
        Canonical analysis file.
    variable : str
        ``"age_group"`` (Table 1; groups present in the data) or a coded variable
        such as ``"sector"`` (Table 2; every codebook code, zero rows included).
    lang : {"en", "nl"}
        Language of labels and decimal separator.
    decimals : int
        Decimals of the percentages.
    published : mapping, optional
        Code -> the article's printed percent (a number or a string such as "11%");
        shown in a column beside ours, empty where the article prints nothing.
    weighted : bool
        Weighted percentages (counts stay unweighted).
    total : bool
        Append a total row.
    check : bool or str
        Apply CBS's output rules (:mod:`werk.disclosure.rules`): a category of fewer than 10 respondents
        (and what would reveal it) reads "suppressed" in both n and percent; a category holding more
        than 90 % gets a dagger. A string also records the check under that output name; with
        ``True`` :func:`werk.book.markdown_table` records it under the table's name.

    Returns
    -------
    DataFrame of str
        ``attrs["note"]`` gives the number of valid and missing answers; with ``check``,
        ``attrs["outputcheck"]`` holds the :class:`werk.disclosure.rules.Check`.
    """
    t = _text(lang)
    shares = category_shares(df, variable, weighted=weighted)
    labels = category_labels(variable, lang, shares.index)
    head = t["age_group"] if variable == "age_group" else codebook.label(variable, lang)
    out = pd.DataFrame(
        {
            head: [labels[c] for c in shares.index],
            t["n"]: [format_count(v, lang) for v in shares["n"]],
            t["percent"]: [format_percent(v, lang, decimals) for v in shares["percent"]],
        }
    )
    if published is not None:
        out[t["published"]] = [_published(published.get(c), lang) for c in shares.index]
    if total:
        row = {head: t["total"], t["n"]: format_count(shares["n"].sum(), lang),
               t["percent"]: format_percent(100.0, lang, decimals)}
        if published is not None:
            row[t["published"]] = ""
        out = pd.concat([out, pd.DataFrame([row])], ignore_index=True)
    if check:
        _check_shares(out, df, variable, shares.index, t, check, total, weighted)
    n_valid = int(shares["n"].sum())
    n_missing = int(len(df) - frame.values(df, variable).notna().sum())
    out.attrs["note"] = (
        f"{t['valid']}: {format_count(n_valid, lang)}; {t['missing']}: {format_count(n_missing, lang)}"
    )
    out.attrs["caption"] = ""
    return out


def weighting_table(df: pd.DataFrame, variables=("sector", "age_group", "gender", "keep_up", "threat"),
                    lang: str = "en", check: bool | str = False) -> pd.DataFrame:
    """Unweighted beside weighted percentages of each category, and the difference in percentage points.

    The same cells are suppressed in both (they rest on the same respondents); with a string ``check`` each
    variable's check is recorded as ``"<check without tab->:<variable>"``.
    """
    t = _text(lang)
    dec = "," if lang == "nl" else "."
    rows = []
    for var in variables:
        # One check per variable, named after the table without its label prefix ("weighting:sector"): the
        # output-check appendix links only the names of real tables and figures.
        name = f"{check.removeprefix('tab-')}:{var}" if isinstance(check, str) else check
        plain = shares_table(df, var, lang, check=name, total=False)
        weighted = shares_table(df, var, lang, weighted=True, check=bool(check), total=False)
        head = plain.columns[0]
        for (_, a), (_, b) in zip(plain.iterrows(), weighted.iterrows()):
            pa, pb = a[t["percent"]], b[t["percent"]]
            if pa == t["suppressed"]:  # withheld further by the audit of the unweighted shares
                pb = t["suppressed"]
            try:
                diff = float(pb.replace(dec, ".")) - float(pa.replace(dec, "."))
                diff_text = f"{diff:+.1f}".replace("-", "−") if round(diff, 1) else "0.0"
                diff_text = diff_text.replace(".", dec)
            except ValueError:  # suppressed
                diff_text = ""
            rows.append({t["x"]: head if not rows or rows[-1]["_var"] != var else "", "_var": var,
                         t["category"]: a[head], t["n"]: a[t["n"]], t["unweighted"]: pa,
                         t["weighted"]: pb, t["points"]: diff_text})
    out = pd.DataFrame(rows).drop(columns="_var")
    out.attrs["note"] = t["weighting_note"]
    return out


def _check_shares(out: pd.DataFrame, df: pd.DataFrame, variable: str, codes, t: dict, check,
                  total: bool, weighted: bool = False) -> None:
    """Suppress and mark the cells of a shares table in place (see :func:`shares_table`)."""
    # In a one-sector edition the sector table is 100 % one sector by construction, not a disclosure.
    single = variable == "sector" and df["sector"].dropna().nunique() <= 1
    chk = outputcheck.check_distribution(df, variable, check if isinstance(check, str) else "", "table",
                                         group_rule=not single)
    if isinstance(check, str):
        # What the table prints with the rest of the release (each category's n and share), audited with it
        # and withheld further where a withheld count could be narrowed. As a figure of the distribution
        # prints it, with its total n (a table without one prints no more than that): the first output of
        # a question on its page decides alike on every page, so a page's table withholds what the figure of
        # another page does (the weighting table of the methods page, the threat and keep-up figures).
        record.current().audit(audit.Table(check, variable, list(codes), weighted=weighted), chk)
    n_col, pct_col = out.columns.get_loc(t["n"]), out.columns.get_loc(t["percent"])
    for pos, code in enumerate(codes):
        if code in chk.hidden:
            out.iloc[pos, n_col] = out.iloc[pos, pct_col] = t["suppressed"]
        elif code in chk.marked:
            out.iloc[pos, pct_col] = f"{out.iloc[pos, pct_col]} {outputcheck.FLAG}"
    if total and "total" in chk.hidden:
        out.iloc[len(codes), n_col] = out.iloc[len(codes), pct_col] = t["suppressed"]
    out.attrs["outputcheck"] = chk
    if isinstance(check, str):
        record.record(chk)


def crosstab_table(
    df: pd.DataFrame,
    variable: str,
    by: str,
    lang: str = "en",
    decimals: int = 1,
    check: bool | str = False,
) -> pd.DataFrame:
    """The answers to ``variable`` per group of ``by``: a row per group, its n and row percentages.

    Parameters
    ----------
    df : DataFrame
        Canonical analysis file (an edition's data).
    variable, by : str
        Coded variables of the codebook (``by`` may be ``"age_group"``); a row for every code of ``by``.
    lang : {"en", "nl"}
        Language of labels and decimal separator.
    decimals : int
        Decimals of the percentages.
    check : bool or str
        Apply CBS's output rules (:func:`werk.disclosure.rules.check_crosstab`, the column totals
        counted as published): a cell of 1 to 9 respondents, a group of fewer than 10, and what would
        reveal them read "suppressed"; a group of which one answer holds more than 90 % gets a dagger.
        A string also records the check under that output name; with ``True``
        :func:`werk.book.markdown_table` records it under the table's name.

    Returns
    -------
    DataFrame of str
        With ``check``, ``attrs["outputcheck"]`` holds the :class:`werk.disclosure.rules.Check`.
    """
    t = _text(lang)
    present = set(frame.values(df, by).dropna()) if by == "age_group" else None
    groups = list(category_labels(by, lang, present).items())
    codes = list(category_labels(variable, "en"))
    answer = category_labels(variable, lang)
    by_values = frame.values(df, by)
    chk = None
    if check:
        chk = outputcheck.check_crosstab(df, variable, by, groups, check if isinstance(check, str) else "",
                                         "table", margins=True)
    head = t["age_group"] if by == "age_group" else codebook.label(by, lang)
    rows = []
    for key, label in groups:
        shares = category_shares(df[by_values == key], variable, codes=codes)
        whole_row = chk is not None and ("row", key) in chk.hidden
        row = {head: label, t["n"]: t["suppressed"] if whole_row else format_count(shares["n"].sum(), lang)}
        for code in codes:
            hidden = chk is not None and (whole_row or (key, code) in chk.hidden)
            cell = t["suppressed"] if hidden else format_percent(shares.loc[code, "percent"], lang, decimals)
            if chk is not None and not hidden and (key, code) in chk.marked:
                cell = f"{cell} {outputcheck.FLAG}"
            row[answer[code]] = cell
        rows.append(row)
    out = pd.DataFrame(rows)
    out.attrs["caption"] = ""
    if chk is not None:
        out.attrs["outputcheck"] = chk
        if isinstance(check, str):
            record.record(chk)
    return out


def _published(value, lang: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return format_number(float(value), 0 if float(value).is_integer() else 1,
                         decimal="," if lang == "nl" else ".") + "%"


# ---------------------------------------------------------------------------
# models


def model_table(results: pd.DataFrame, lang: str = "en", decimals: int = 2, check: bool | str = False,
                df: pd.DataFrame | None = None) -> pd.DataFrame:
    """Standardized betas for reading: term, β, 95% CI, the difference of a two-valued predictor, p, stars.

    Parameters
    ----------
    results : DataFrame
        Output of :func:`werk.stats.models.fit` (term, beta, p, ci_low, ci_high; ``attrs``
        with ``n`` and ``r2``).
    lang : {"en", "nl"}
        Language of the term labels and headers.
    decimals : int
        Decimals of β and the confidence limits.
    check : bool or str
        Apply CBS's output rules (:mod:`werk.disclosure.rules`): a model with fewer than 10 residual degrees
        of freedom is not shown — one row says why, every number reads "suppressed"; with ``df`` (the
        model's data) a binary predictor whose smaller group has fewer than 10 respondents gets a
        dagger. A string also records the check under that name.
    df : DataFrame, optional
        The data the model was fitted on (for the check of binary predictors).

    Returns
    -------
    DataFrame of str
        ``attrs["caption"]`` is ``"n = 1,234; R² = 0.21"``; ``attrs["note"]`` explains the stars.
    """
    t = _text(lang)
    chk = None
    if check:
        chk = outputcheck.check_model(results, check if isinstance(check, str) else "", "table", df=df)
        if isinstance(check, str):
            record.record(chk)
        if chk.status == outputcheck.REFUSED:
            mark = t["suppressed"]
            out = pd.DataFrame({t["term"]: [f"model {chk.note}"], t["beta"]: [mark], t["ci"]: [mark],
                                **({t["difference"]: [mark]} if "b" in results.columns else {}),
                                t["p"]: [mark], t["sig"]: [""]})
            out.attrs.update(caption="", note="", outputcheck=chk)
            return out
    out = pd.DataFrame(
        {
            t["term"]: [term_label(term, lang) for term in results["term"]],
            t["beta"]: [format_coef(b, decimals) for b in results["beta"]],
            t["ci"]: [format_ci(lo, hi, decimals) for lo, hi in zip(results["ci_low"], results["ci_high"])],
            **({t["difference"]: _differences(results, decimals)} if "b" in results.columns else {}),
            t["p"]: [format_p(p) for p in results["p"]],
            t["sig"]: [stars(p) for p in results["p"]],
        }
    )
    outcome = results.attrs.get("outcome")
    printed = {c["id"]: c for c in published_claims.claims()
               if outcome and c["id"].startswith(f"beta:{outcome}~")}
    notes = [star_note(lang)]
    if printed:
        # What the article printed is told apart from what only these data give (issue 13).
        out.insert(2, t["article"], [format_coef(printed[f"beta:{outcome}~{term}"]["value"], decimals)
                                     if f"beta:{outcome}~{term}" in printed else ""
                                     for term in results["term"]])
        notes.append(t["article_note"])
    if "b" in results.columns and results["binary"].any():
        notes.append(t["difference_note"])
    notes.append(_coding_note(results["term"], lang))
    n = results.attrs.get("n", int(results["n"].iloc[0]) if len(results) else 0)
    parts = [f"n = {format_count(n, lang)}"]
    if "r2" in results.attrs:
        parts.append(f"R² = {format_coef(results.attrs['r2'], decimals)}")
    out.attrs["caption"] = "; ".join(parts)
    out.attrs["note"] = "; ".join(x for x in notes if x) + "."
    if chk is not None:
        for pos, term in enumerate(results["term"]):
            if term in chk.marked:
                out.iloc[pos, 0] = f"{out.iloc[pos, 0]} {outputcheck.FLAG}"
        out.attrs["outputcheck"] = chk
    return out


def _differences(results: pd.DataFrame, decimals: int) -> list[str]:
    """"−0.12 (−0.13 SD)" for a two-valued predictor: its raw difference in answer points and in SDs of y.

    A per-SD β of a 0/1 predictor depends on how the groups split and reads as nothing; the difference
    between the groups does. Empty for the other predictors, whose β the table already gives.
    """
    return [f"{format_number(b, decimals)} ({format_number(b_sd, decimals)}{NBSP}SD)" if binary else ""
            for b, b_sd, binary in zip(results["b"], results["b_sd"], results["binary"])]


def _coding_note(terms, lang: str = "en") -> str:
    """How the model's categorical and binary predictors are coded (reference category, which is 1)."""
    terms = [str(x) for x in terms]
    nl = lang == "nl"
    parts = []
    if any(x.startswith("sector=") for x in terms):
        ref = min(codebook.SECTORS)
        name = codebook.SECTORS[ref][0 if nl else 1]
        parts.append(f"referentiesector: {name}" if nl else f"reference sector: {name}")
    if "gender" in terms:
        parts.append("geslacht: 1 man, 2 vrouw" if nl
                     else "gender: 1 man, 2 woman (a negative β: women lower)")
    binary = [x for x in ("manager", "permanent_contract", "multiple_jobs") if x in terms]
    if binary:
        names = ", ".join(term_label(x, lang) for x in binary)
        parts.append(f"{names}: 1 ja, 0 nee" if nl else f"{names}: 1 yes, 0 no")
    return "; ".join(parts)


def correlation_table(rows: Iterable[Mapping], lang: str = "en", decimals: int = 2,
                      check: bool | str = False) -> pd.DataFrame:
    """Pearson correlations (dicts from :func:`werk.stats.models.correlation`) for reading.

    With ``check`` (CBS's output rules, :mod:`werk.disclosure.rules`) a correlation of fewer than 12 pairs
    (n − 2 < 10 degrees of freedom) reads "suppressed" in every number; a string also records the check.

    Returns
    -------
    DataFrame of str
        Columns: variable, with, r, 95% CI, p, stars, n; ``attrs["note"]`` explains the stars.
    """
    t = _text(lang)
    rows = list(rows)
    out = pd.DataFrame(
        {
            t["x"]: [term_label(r["x"], lang) for r in rows],
            t["y"]: [term_label(r["y"], lang) for r in rows],
            t["r"]: [format_coef(r["r"], decimals) for r in rows],
            t["ci"]: [format_ci(r["ci_low"], r["ci_high"], decimals) for r in rows],
            t["p"]: [format_p(r["p"]) for r in rows],
            t["sig"]: [stars(r["p"]) for r in rows],
            t["n"]: [format_count(r["n"], lang) for r in rows],
        }
    )
    out.attrs["caption"] = ""
    out.attrs["note"] = star_note(lang)
    if check:
        chk = outputcheck.check_correlations(rows, check if isinstance(check, str) else "", "table")
        for pos in sorted(k for k in chk.hidden if isinstance(k, int)):
            out.iloc[pos, 2:] = t["suppressed"]
        out.attrs["outputcheck"] = chk
        if isinstance(check, str):
            record.record(chk)
    return out


def styled(table: pd.DataFrame, caption: str | None = None):
    """A Styler of a formatted table: no index, numbers right-aligned, caption and note.

    Parameters
    ----------
    table : DataFrame of str
        Output of one of this module's table functions.
    caption : str, optional
        Overrides ``table.attrs["caption"]``; the note is appended after it.
    """
    cap = table.attrs.get("caption", "") if caption is None else caption
    note = table.attrs.get("note", "")
    text = " — ".join(s for s in (cap, note) if s)
    sty = table.style.hide(axis="index")
    first = table.columns[0]
    sty = sty.set_properties(subset=[c for c in table.columns if c != first], **{"text-align": "right"})
    sty = sty.set_properties(subset=[first], **{"text-align": "left"})
    if text:
        sty = sty.set_caption(text)
    return sty
