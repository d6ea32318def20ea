"""The audit appendix's tables: the collinearity bounds, the mediation paths, the checks that cannot fail.

Each takes numbers from :mod:`werk.stats.audit` and returns display strings; the VIF table takes
``check=`` as :func:`werk.display.robust.vif_table` does (the data's VIFs are the R² of auxiliary
regressions, checked by :func:`werk.disclosure.robust.check_vifs`).
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
from werk.stats import models
from werk.stats.audit import R2_PLAUSIBLE

__all__ = ["collinearity_table", "mediation_table", "cannot_fail_list"]

_MODEL_NAMES = {"threat": "threat", "keep_up": "keeping up", "employability": "employability"}


def _r2(x: float) -> str:
    """An R² bound: "any" when every R² will do (the bound is at or below zero)."""
    if not math.isfinite(x):
        return ""
    return "any" if x <= 0 else fmt.format_number(x, 2)


def collinearity_table(table: pd.DataFrame, vifs: Mapping[str, pd.DataFrame] | None = None,
                       check: bool | str = False) -> pd.DataFrame:
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
    chk = None
    if check and vifs:
        chk = check_vifs(vifs, check if isinstance(check, str) else "", "table")
        if isinstance(check, str):
            record.record(chk)
    has_data = table["vif"].notna().any()
    rows, r2s = [], {}
    for r in table.itertuples(index=False):
        model, term = r.id.split(":", 1)[1].split("~", 1)
        row = {
            "predictor (model)": f"{models.term_label(term)} ({_MODEL_NAMES.get(model, model)})",
            "printed": f"β = {fmt.format_coef(r.beta, r.precision)}, p < {fmt.format_alpha(r.p_max)}",
            "VIF allowed (edge)": (f"{fmt.format_number(r.vif_max, 2)} "
                                   f"({fmt.format_number(r.vif_max_edge, 2)})"),
            "VIF the article implies": (fmt.format_number(r.vif_floor, 2)
                                        if isinstance(r.floor_id, str) else ""),
        }
        if has_data:
            hidden = chk is not None and model in chk.hidden
            data = {
                "VIF, data": fmt.format_number(r.vif, 2),
                "VIF allowed at data R²": fmt.format_number(r.vif_max_data_r2, 2),
            }
            row.update(dict.fromkeys(data, outputcheck.MARK) if hidden else data)
            if not hidden:
                r2s.setdefault(model, r.r2)
        # At the data's VIF when data are given (so withheld with them), else at the article's.
        row["R² needed"] = outputcheck.MARK if has_data and hidden else _r2(r.r2_needed)
        row["verdict"] = r.verdict if r.can_fail else "cannot fail"
        rows.append(row)
    out = pd.DataFrame(rows)
    note = ("VIF allowed: the largest VIF of the predictor at which the printed β reaches the printed p, at "
            "R² = 0 (any R² allows more); edge, and in brackets: read at the printed |β| plus half a unit "
            "of its last digit; "
            "VIF the article implies: the least its own correlations allow; R² needed: the smallest model R² "
            "at the edge and at "
            + ("the VIF in these data" if has_data
               else "the VIF the article implies, or 1 where it implies none")
            + " (any: every R² will do); a question where it exceeds "
            + fmt.format_number(R2_PLAUSIBLE, 2, leading_zero=False) + ".")
    if r2s:
        note += (" Data: the VIF in these data and the VIF allowed at their model R², at the edge. "
                 "Model R² in these data: "
                 + "; ".join(f"{_MODEL_NAMES.get(m, m)} {fmt.format_number(v, 2)}" for m, v in r2s.items())
                 + ".")
    out.attrs["note"] = note
    if chk is not None:
        out.attrs["outputcheck"] = chk
    return out


def mediation_table(m: pd.DataFrame, fit: pd.DataFrame | None = None,
                    check: bool | str = False) -> pd.DataFrame:
    """:func:`werk.stats.audit.mediation` for reading: one row per mediator the article names.

    With ``check`` (``fit``: the keep-up model the data's column rests on, :func:`werk.stats.models.fit`)
    that column reads "suppressed" when the model fails CBS's output rules (:func:`check_model`);
    ``attrs["outputcheck"]`` holds the check, and a string also records it under that name.
    """
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
            product = fmt.format_coef(r.ab, 3)
            bounds = f"{fmt.format_coef(math.copysign(r.ab_low, r.ab), 3)} to " \
                     f"{fmt.format_coef(math.copysign(r.ab_high, r.ab), 3)}"
        elif pd.notna(r.b):
            product, bounds = "not printed", f"at most |{fmt.format_coef(r.ab_high, 3)}| (|a| ≤ 1)"
        else:
            product, bounds = "not printed", ""
        row = {"mediator": models.term_label(r.mediator),
               "r(age, mediator)": fmt.format_coef(r.a, 2) if pd.notna(r.a) else "not printed",
               "β(mediator → keeping up)": fmt.format_coef(r.b, 2) if pd.notna(r.b) else "not printed",
               "indirect a × b": product, "over the rounding": bounds}
        if has_data:
            row["a × b in these data"] = (outputcheck.MARK if chk is not None and chk.withheld
                                          else fmt.format_coef(r.data_ab, 3))
        rows.append(row)
    out = pd.DataFrame(rows)
    if chk is not None:
        out.attrs["outputcheck"] = chk
    return out


def cannot_fail_list(findings: pd.DataFrame, n: int) -> str:
    """The checks that cannot fail at ``n`` as a collapsed MyST admonition: one line each, id and question."""
    trivial = findings[~findings["can_fail"]]
    if trivial.empty:
        return ""
    lines = [f"- `{r.id}`: {r.question}" for r in trivial.itertuples(index=False)]
    return (f":::{{admonition}} {len(trivial)} checks that cannot fail at N = {fmt.format_count(n)}\n"
            ":class: dropdown\n\n" + "\n".join(lines) + "\n:::")
