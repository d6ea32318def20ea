"""Tables formatted for reading: every cell is a string, never a raw repr.

Each function returns a :class:`pandas.DataFrame` of strings with a plain range
index; ``attrs["caption"]`` and ``attrs["note"]`` carry the caption line
(n, R²) and the significance note. :func:`styled` turns such a frame into a
:class:`pandas.io.formats.style.Styler` without the index, with the caption and
note, for display in the book.

Number formats (decided here, since the article mixes styles):

* percentages: one decimal, with the decimal separator of ``lang``
  (``"30.9"`` in English, ``"30,9"`` in Dutch, as the article prints "30,9%");
* coefficients (β, r, confidence limits, R²): two decimals *with* a leading
  zero (``"0.04"``, ``"−0.13"``), because a standardized beta is not bounded by 1;
* p values: APA style without a leading zero and three decimals (``".023"``,
  ``".050"``), ``"< .001"`` below .001 and ``"> .999"`` above .999, as the
  article prints them;
* significance stars: ``*`` p < .05, ``**`` p < .01, ``***`` p < .001 (strictly
  below the bound, so p = .050 has no star);
* negatives use the true minus sign "−" (U+2212); a value that rounds to zero
  is shown unsigned;
* counts use a thousands separator (``"1,234"``; Dutch ``"1.234"``).

Statistics keep the decimal point in both languages, as the article does
("β = -.24, p < .001" in a Dutch text).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from werk import codebook
from werk.models import term_label

__all__ = [
    "MINUS",
    "STAR_LEVELS",
    "category_shares",
    "category_labels",
    "format_number",
    "format_percent",
    "format_count",
    "format_p",
    "format_ci",
    "stars",
    "star_note",
    "shares_table",
    "model_table",
    "correlation_table",
    "styled",
]

MINUS = "\u2212"
#: A no-break space keeps "< .001" and a confidence interval on one line in narrow table columns.
NBSP = "\u00a0"

#: (upper bound, stars), checked in order: p < bound gets the stars.
STAR_LEVELS: tuple[tuple[float, str], ...] = ((0.001, "***"), (0.01, "**"), (0.05, "*"))

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
    },
}


def _text(lang: str) -> dict[str, str]:
    if lang not in _TEXT:
        raise ValueError(f"lang must be 'en' or 'nl', not {lang!r}")
    return _TEXT[lang]


# ---------------------------------------------------------------------------
# number formatting


def format_number(x: float, decimals: int = 2, leading_zero: bool = True, decimal: str = ".") -> str:
    """Format a number with a true minus sign; a value rounding to zero is unsigned.

    Parameters
    ----------
    x : float
        The value; NaN gives an empty string.
    decimals : int
        Digits after the decimal separator.
    leading_zero : bool
        ``False`` drops the zero before the separator (APA: ``".04"``).
    decimal : str
        Decimal separator.
    """
    if x is None or not np.isfinite(x):
        return ""
    s = f"{abs(float(x)):.{decimals}f}"
    negative = x < 0 and float(s) != 0.0
    if not leading_zero and s.startswith("0."):
        s = s[1:]
    if decimal != ".":
        s = s.replace(".", decimal)
    return (MINUS if negative else "") + s


def format_percent(x: float, lang: str = "en", decimals: int = 1) -> str:
    """A percentage with ``decimals`` decimals and the separator of ``lang`` (no % sign)."""
    return format_number(x, decimals, decimal="," if lang == "nl" else ".")


def format_count(n: int, lang: str = "en") -> str:
    """A whole number with a thousands separator ("," in English, "." in Dutch)."""
    s = f"{int(n):,}"
    return s.replace(",", ".") if lang == "nl" else s


def format_p(p: float) -> str:
    """APA p value: ``"< .001"``, ``".023"``, ``".050"``, ``"> .999"``."""
    if p is None or not np.isfinite(p):
        return ""
    if p < 0.001:
        return f"<{NBSP}.001"
    if p > 0.999:
        return f">{NBSP}.999"
    return format_number(p, 3, leading_zero=False)


def format_ci(low: float, high: float, decimals: int = 2) -> str:
    """Confidence interval as ``"[−0.08, −0.03]"``."""
    return f"[{format_number(low, decimals)},{NBSP}{format_number(high, decimals)}]"


def stars(p: float) -> str:
    """Significance stars: * p < .05, ** p < .01, *** p < .001."""
    if p is None or not np.isfinite(p):
        return ""
    for bound, mark in STAR_LEVELS:
        if p < bound:
            return mark
    return ""


def star_note(lang: str = "en") -> str:
    """The note explaining the stars."""
    return "* p < .05, ** p < .01, *** p < .001" + (" (tweezijdig)" if lang == "nl" else " (two-sided)")


# ---------------------------------------------------------------------------
# shares


def category_labels(variable: str, lang: str = "en", present: Iterable | None = None) -> dict:
    """Code -> label in codebook order, for a coded variable or ``"age_group"``.

    For ``"age_group"`` the keys are the Table 1 group keys ("25-34", ...); with
    ``present`` only the groups that occur are kept.
    """
    if variable == "age_group":
        i = 3 if lang == "nl" else 4
        labels = {g[0]: g[i] for g in codebook.AGE_GROUPS}
        if present is not None:
            keep = set(present)
            labels = {k: v for k, v in labels.items() if k in keep}
        return labels
    return codebook.value_labels(variable, lang)


def _values(df: pd.DataFrame, variable: str) -> pd.Series:
    if variable == "age_group":
        if "age_group" in df.columns:
            return df["age_group"].astype("object")
        return codebook.age_group(df["age"]).astype("object").set_axis(df.index)
    return df[variable]


def category_shares(
    df: pd.DataFrame, variable: str, weighted: bool = False, codes: Iterable | None = None
) -> pd.DataFrame:
    """Counts and percentages of valid (non-missing) answers, in codebook order.

    Parameters
    ----------
    df : DataFrame
        Canonical analysis file.
    variable : str
        A coded variable of the codebook, or ``"age_group"`` (derived from ``age``).
    weighted : bool
        Percentages from the ``weight`` column; ``n`` stays the unweighted count.
    codes : iterable, optional
        Codes to report (default: every codebook code; for age groups, those present).

    Returns
    -------
    DataFrame
        Index: codes; columns ``n`` (int) and ``percent`` (float, sums to 100).
    """
    values = _values(df, variable)
    valid = values.notna()
    if codes is None:
        present = values[valid].unique() if variable == "age_group" else None
        codes = list(category_labels(variable, "en", present))
    codes = list(codes)
    n = values[valid].value_counts().reindex(codes, fill_value=0).astype(int)
    if weighted:
        w = df.loc[valid, "weight"].astype(float)
        mass = w.groupby(values[valid]).sum().reindex(codes, fill_value=0.0)
    else:
        mass = n.astype(float)
    total = mass.sum()
    pct = 100 * mass / total if total > 0 else mass * np.nan
    return pd.DataFrame({"n": n, "percent": pct.astype(float)}, index=pd.Index(codes, name=variable))


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
        Apply CBS's output rules (:mod:`werk.outputcheck`): a category of fewer than 10 respondents
        (and what would reveal it) reads "suppressed" in both n and percent; a category holding more
        than 90 % gets a dagger. A string also records the check under that output name; with
        ``True`` :func:`werk.book.markdown_table` records it under the table's name.

    Returns
    -------
    DataFrame of str
        ``attrs["note"]`` gives the number of valid and missing answers; with ``check``,
        ``attrs["outputcheck"]`` holds the :class:`werk.outputcheck.Check`.
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
        _check_shares(out, df, variable, shares.index, t, check, total)
    n_valid = int(shares["n"].sum())
    n_missing = int(len(df) - _values(df, variable).notna().sum())
    out.attrs["note"] = (
        f"{t['valid']}: {format_count(n_valid, lang)}; {t['missing']}: {format_count(n_missing, lang)}"
    )
    out.attrs["caption"] = ""
    return out


def _check_shares(out: pd.DataFrame, df: pd.DataFrame, variable: str, codes, t: dict, check,
                  total: bool) -> None:
    """Suppress and mark the cells of a shares table in place (see :func:`shares_table`)."""
    from werk import outputcheck

    # In a one-sector edition the sector table is 100 % one sector by construction, not a disclosure.
    single = variable == "sector" and df["sector"].dropna().nunique() <= 1
    chk = outputcheck.check_distribution(df, variable, check if isinstance(check, str) else "", "table",
                                         group_rule=not single)
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
        outputcheck.record(chk)


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
    """Standardized betas for reading: term label, β, 95% CI, p and stars.

    Parameters
    ----------
    results : DataFrame
        Output of :func:`werk.models.fit` (term, beta, p, ci_low, ci_high; ``attrs``
        with ``n`` and ``r2``).
    lang : {"en", "nl"}
        Language of the term labels and headers.
    decimals : int
        Decimals of β and the confidence limits.
    check : bool or str
        Apply CBS's output rules (:mod:`werk.outputcheck`): a model with fewer than 10 residual degrees
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
        from werk import outputcheck

        chk = outputcheck.check_model(results, check if isinstance(check, str) else "", "table", df=df)
        if isinstance(check, str):
            outputcheck.record(chk)
        if chk.status == outputcheck.REFUSED:
            mark = t["suppressed"]
            out = pd.DataFrame({t["term"]: [f"model {chk.note}"], t["beta"]: [mark], t["ci"]: [mark],
                                t["p"]: [mark], t["sig"]: [""]})
            out.attrs.update(caption="", note="", outputcheck=chk)
            return out
    out = pd.DataFrame(
        {
            t["term"]: [term_label(term, lang) for term in results["term"]],
            t["beta"]: [format_number(b, decimals) for b in results["beta"]],
            t["ci"]: [format_ci(lo, hi, decimals) for lo, hi in zip(results["ci_low"], results["ci_high"])],
            t["p"]: [format_p(p) for p in results["p"]],
            t["sig"]: [stars(p) for p in results["p"]],
        }
    )
    n = results.attrs.get("n", int(results["n"].iloc[0]) if len(results) else 0)
    parts = [f"n = {format_count(n, lang)}"]
    if "r2" in results.attrs:
        parts.append(f"R² = {format_number(results.attrs['r2'], decimals)}")
    out.attrs["caption"] = "; ".join(parts)
    out.attrs["note"] = star_note(lang)
    if chk is not None:
        from werk import outputcheck

        for pos, term in enumerate(results["term"]):
            if term in chk.marked:
                out.iloc[pos, 0] = f"{out.iloc[pos, 0]} {outputcheck.FLAG}"
        out.attrs["outputcheck"] = chk
    return out


def correlation_table(rows: Iterable[Mapping], lang: str = "en", decimals: int = 2,
                      check: bool | str = False) -> pd.DataFrame:
    """Pearson correlations (dicts from :func:`werk.models.correlation`) for reading.

    With ``check`` (CBS's output rules, :mod:`werk.outputcheck`) a correlation of fewer than 12 pairs
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
            t["r"]: [format_number(r["r"], decimals) for r in rows],
            t["ci"]: [format_ci(r["ci_low"], r["ci_high"], decimals) for r in rows],
            t["p"]: [format_p(r["p"]) for r in rows],
            t["sig"]: [stars(r["p"]) for r in rows],
            t["n"]: [format_count(r["n"], lang) for r in rows],
        }
    )
    out.attrs["caption"] = ""
    out.attrs["note"] = star_note(lang)
    if check:
        from werk import outputcheck

        chk = outputcheck.check_correlations(rows, check if isinstance(check, str) else "", "table")
        for pos in sorted(k for k in chk.hidden if isinstance(k, int)):
            out.iloc[pos, 2:] = t["suppressed"]
        out.attrs["outputcheck"] = chk
        if isinstance(check, str):
            outputcheck.record(chk)
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
