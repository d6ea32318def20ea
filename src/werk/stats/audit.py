"""Audit of the article's own numbers: can everything it prints be true at once?

Pure arithmetic on ``data/published.yml`` and the sample size; no data needed. Each
finding is a question about the printed numbers with its worked arithmetic, and a
verdict: ``"consistent"`` (the numbers can all hold) or ``"question"`` (they can only
hold under conditions a reader would want to see, or not at all).

Checks
------
* **Betas with a p-threshold.** For a standardized OLS coefficient the standard error is
  ``se_j = sqrt((1 - R²) / ((N - k - 1)(1 - R²_j)))`` with ``k`` predictors and ``R²_j``
  the R² of predictor ``j`` on the others. Its floor (``R²_j = 0``, the most favourable
  case) is ``sqrt((1 - R²) / (N - k - 1))``. ``p < p_max`` needs ``|β| / se > t_crit``
  (two-sided, ``N - k - 1`` df), hence ``R² > 1 - β² (N - k - 1) / t_crit²``. A required
  R² above :data:`R2_PLAUSIBLE` is a question.
* **Correlations.** The smallest ``|r|`` significant at ``p_max``:
  ``t_crit / sqrt(N - 2 + t_crit²)``.
* **Percentages against N.** The step ``1/N``, and the counts ``c`` with ``c/N`` rounding
  to the printed percent (GRIM-style).
* **Tables summing to 100 %** (Table 1, Table 2, threat and keep-up answers).
* **Mean and SD against the range** (Bhatia–Davis): ``SD² ≤ (max - mean)(mean - min)``.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
from scipy import stats

from werk.core import codebook
from werk.core.fmt import format_alpha, format_coef
from werk.inputs.claims import claims as load_claims
from werk.stats import models

__all__ = [
    "N",
    "R2_PLAUSIBLE",
    "RANGES",
    "n_predictors",
    "beta_finding",
    "r_finding",
    "share_finding",
    "table_findings",
    "spread_finding",
    "audit",
]

#: The article's sample size ("In totaal hebben 5.391 respondenten").
N = 5391
#: A model of one five-point attitude item that explains more than half its variance would be
#: remarkable in a staff survey; above this the required R² is flagged as a question.
R2_PLAUSIBLE = 0.5
#: Plausible ranges for the mean/SD checks: (low, high, why).
RANGES: dict[str, tuple[float, float, str]] = {
    "contract_hours": (0, 40, "a contract week in Dutch government runs to 36-40 hours"),
    "years_in_government": (0, 52, "a working life from 15 to 67"),
    "years_in_function": (0, 52, "a working life from 15 to 67"),
}
_COLUMNS = ["id", "question", "arithmetic", "verdict"]


def n_predictors(model: str) -> int:
    """Number of predictors ``k`` of a model in :data:`werk.stats.models.MODELS`, sector dummies included."""
    _, predictors, sectors = models.MODELS[model]
    return len(predictors) + (len(codebook.SECTORS) - 1 if sectors else 0)


def _half_up(x: float, decimals: int) -> float:
    q = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(float(x))).quantize(q, rounding=ROUND_HALF_UP))


def required_r2(beta: float, p_max: float, n: int, k: int) -> tuple[float, float, float]:
    """(t_crit, se needed, R² needed) for a standardized beta to reach p < p_max with R²_j = 0."""
    df = n - k - 1
    t_crit = float(stats.t.ppf(1 - p_max / 2, df))
    se_needed = abs(beta) / t_crit
    return t_crit, se_needed, 1 - beta**2 * df / t_crit**2


def beta_finding(claim: dict, n: int = N, k: int | None = None, r2: float | None = None) -> dict:
    """The beta/p arithmetic for one ``beta`` claim with a ``p_max``.

    Parameters
    ----------
    claim : dict
        A claim from :func:`werk.stats.ledger.claims` (kind ``beta``).
    n : int
        Number of cases (the article's N by default; the ledger passes the model's n).
    k : int, optional
        Number of predictors; by default from the claim's model, sector dummies included.
    r2 : float, optional
        An observed model R², added to the arithmetic when given (the ledger's case).
    """
    beta, p_max, prec = claim["value"], claim["p_max"], claim.get("precision", 2)
    k = n_predictors(claim["spec"]["model"]) if k is None else k
    df = n - k - 1
    se_floor = math.sqrt(1 / df)
    t_max = abs(beta) / se_floor
    p_at_floor = float(2 * stats.t.sf(t_max, df))
    t_crit, se_needed, r2_needed = required_r2(beta, p_max, n, k)
    edge = abs(beta) + 0.5 * 10 ** (-prec)  # the largest |beta| that still prints as the value
    r2_edge = required_r2(edge, p_max, n, k)[2]
    parts = [
        f"N = {n:,}, k = {k}, df = {df}; with R² = 0 and R²_j = 0, se ≥ sqrt(1/{df}) = {se_floor:.4f}, "
        f"so |t| ≤ {format_coef(abs(beta), prec)}/{se_floor:.4f} = {t_max:.2f} (p ≥ {p_at_floor:.2g})",
        f"p < {format_alpha(p_max)} needs |t| > {t_crit:.3f}, i.e. se < {se_needed:.5f}, "
        f"i.e. 1 - R² < {format_coef(beta, prec)}² × {df} / {t_crit:.3f}² = {1 - r2_needed:.3f}",
    ]
    if r2_needed <= 0:
        parts.append("any R² will do")
        verdict = "consistent"
    else:
        parts.append(
            f"R² > {r2_needed:.3f} even with uncorrelated predictors "
            f"(R² > {r2_edge:.3f} at the rounding edge |β| = {edge:.3f})"
        )
        verdict = "question" if r2_needed > R2_PLAUSIBLE else "consistent"
    if r2 is not None:
        parts.append(f"this fit has R² = {r2:.3f}")
    question = (
        f"Can a standardized beta of {format_coef(beta, prec)} reach p < {format_alpha(p_max)} at N = {n:,} "
        f"with {k} predictors"
        + (f", which needs a model R² above {r2_needed:.2f}?" if r2_needed > 0 else "?")
    )
    return {"id": claim["id"], "question": question, "arithmetic": "; ".join(parts), "verdict": verdict,
            "r2_needed": r2_needed}


def r_finding(claim: dict, n: int = N) -> dict:
    """The smallest |r| significant at the claim's p_max for ``n`` cases."""
    r, p_max, prec = claim["value"], claim["p_max"], claim.get("precision", 2)
    df = n - 2
    t_crit = float(stats.t.ppf(1 - p_max / 2, df))
    r_min = t_crit / math.sqrt(df + t_crit**2)
    ok = abs(r) + 0.5 * 10 ** (-prec) > r_min
    arithmetic = (
        f"N = {n:,}, df = {df}: p < {format_alpha(p_max)} needs |t| > {t_crit:.3f}, i.e. |r| > "
        f"{t_crit:.3f}/sqrt({df} + {t_crit:.3f}²) = {r_min:.4f}; printed |r| = {format_coef(abs(r), prec)}"
    )
    return {"id": claim["id"],
            "question": f"Is r = {format_coef(r, prec)} significant at p < {format_alpha(p_max)} "
                        f"with N = {n:,}?",
            "arithmetic": arithmetic, "verdict": "consistent" if ok else "question"}


def share_finding(claim: dict, n: int = N) -> dict:
    """GRIM-style: which whole counts out of ``n`` print as the claimed percent?"""
    v, prec = claim["value"], claim.get("precision", 0)
    half = 0.5 * 10 ** (-prec)
    lo = math.ceil((v - half) * n / 100 - 1e-9)
    hi = math.floor((v + half) * n / 100 - 1e-9)
    counts = [c for c in range(max(lo - 1, 0), hi + 2) if _half_up(100 * c / n, prec) == v]
    step = 100 / n
    resolution = 10 ** (-prec)
    if counts and step < resolution:
        arithmetic_note = (f"; the step is smaller than the printed resolution {resolution:g}, "
                           f"so at N = {n:,} every printed percent has a matching count: "
                           "the check cannot fail here")
    else:
        arithmetic_note = ""
    if counts:
        arithmetic = (
            f"step 100/{n:,} = {step:.4f} points; counts {counts[0]}–{counts[-1]} of {n:,} "
            f"({len(counts)} values) print as {v:g}%{arithmetic_note}"
        )
    else:
        arithmetic = f"step 100/{n:,} = {step:.4f} points; no count of {n:,} prints as {v:g}%"
    return {"id": claim["id"], "question": f"Is {v:g}% a possible share of {n:,} respondents?",
            "arithmetic": arithmetic, "verdict": "consistent" if counts else "question"}


def _by_id(claims: list[dict]) -> dict[str, dict]:
    return {c["id"]: c for c in claims}


def table_findings(claims: list[dict]) -> list[dict]:
    """Do the printed tables and answer distributions sum to 100 % within rounding?"""
    by = _by_id(claims)
    out = []

    def total(table_id: str, ids: list[str], what: str, note: str = "") -> None:
        present = [by[i] for i in ids if i in by]
        if not present:
            return
        s = sum(c["value"] for c in present)
        slack = sum(0.5 * 10 ** (-c.get("precision", 0)) for c in present)
        terms = " + ".join(f"{c['value']:g}" for c in present)
        ok = abs(s - 100) <= slack + 1e-9
        arithmetic = (
            f"{terms} = {s:g}; with each share rounded, the true total lies within ±{slack:g} of that"
            + (f"; {note}" if note else "")
        )
        out.append({"id": table_id, "question": f"Do the shares of {what} add up to 100%?",
                    "arithmetic": arithmetic, "verdict": "consistent" if ok else "question"})

    total("table:1", [f"share:age_group={g[0]}" for g in codebook.AGE_GROUPS], "Table 1 (age groups)",
          "the table has no group under 25, so at most 2.5% of respondents can be younger")
    total("table:2", [f"share:sector={c}" for c in codebook.SECTORS], "Table 2 (sectors)")

    # Threat (figure 1): only answers 1 and 2 have a number; the rest is 'bijna 20%'.
    t1, t2, rest = by.get("share:threat=1"), by.get("share:threat=2"), by.get("bound:threat=3-5")
    if t1 and t2 and rest:
        implied = 100 - t1["value"] - t2["value"]
        h = 0.05 * 2
        below, above = rest["spec"].get("below", 100), rest["spec"].get("above", 0)
        ok = above <= implied + h and implied - h < below
        out.append({
            "id": "figure:1",
            "question": "Do the threat answers (30.9%, 49.7%, 'bijna 20%') add up to 100%?",
            "arithmetic": (f"100 - {t1['value']:g} - {t2['value']:g} = {implied:.1f} "
                           f"(between {implied - h:.1f} and {implied + h:.1f} given rounding) "
                           f"for answers 3-5, which fits 'bijna 20%' read as {above:g} to {below:g}%"),
            "verdict": "consistent" if ok else "question",
        })
    k4, k5, low55 = by.get("share:keep_up=4"), by.get("share:keep_up=5"), by.get("bound:keep_up=2-3|age>=55")
    if k4 and k5:
        rest_share = 100 - k4["value"] - k5["value"]
        arithmetic = f"100 - {k4['value']:g} - {k5['value']:g} = {rest_share:.1f}% for answers 1-3"
        ok = rest_share >= 0
        if low55:
            old = sum(
                by[f"share:age_group={g}"]["value"] for g in ("55-64", "65+") if f"share:age_group={g}" in by
            )
            floor = low55["spec"]["above"]
            younger = (rest_share - old / 100 * floor) / (1 - old / 100)
            arithmetic += (
                f"; with {old:g}% of respondents 55 or over and more than {floor:.1f}% of them at "
                f"answers 2-3, the under-55s can have at most {younger:.1f}% at answers 1-3"
            )
            ok = ok and younger >= 0
        out.append({"id": "figure:3",
                    "question": "Do the keep-up shares leave room for the rest of the answers "
                                "and for Figure 4?",
                    "arithmetic": arithmetic, "verdict": "consistent" if ok else "question"})
    return out


def spread_finding(
    variable: str, mean: float, sd: float, mean_prec: int = 0, sd_prec: int = 0
) -> dict | None:
    """Bhatia–Davis: is an SD possible for this mean within :data:`RANGES`?"""
    if variable not in RANGES:
        return None
    lo, hi, why = RANGES[variable]
    sd_max = math.sqrt(max(0.0, (hi - mean) * (mean - lo)))
    # Most favourable reading of the rounding: the smallest SD, the mean nearest the middle.
    sd_low = sd - 0.5 * 10 ** (-sd_prec)
    m_half = 0.5 * 10 ** (-mean_prec)
    m_best = min(max((lo + hi) / 2, mean - m_half), mean + m_half)
    sd_max_best = math.sqrt(max(0.0, (hi - m_best) * (m_best - lo)))
    ok = sd_low <= sd_max_best
    # Upper bound a range would need for the printed mean and SD (with the lower bound fixed).
    hi_needed = mean + sd**2 / (mean - lo) if mean > lo else math.inf
    arithmetic = (
        f"in [{lo:g}, {hi:g}] ({why}) the SD can be at most sqrt(({hi:g} - {mean:g})({mean:g} - {lo:g})) = "
        f"{sd_max:.1f} (Bhatia–Davis; {sd_max_best:.1f} at the most favourable rounding); printed SD {sd:g}"
        + ("" if ok else f"; mean {mean:g} with SD {sd:g} needs values up to at least {hi_needed:.1f}")
    )
    return {"id": f"sd:{variable}",
            "question": f"Can a mean of {mean:g} have an SD of {sd:g} "
                        f"when {variable.replace('_', ' ')} lies in [{lo:g}, {hi:g}]?",
            "arithmetic": arithmetic, "verdict": "consistent" if ok else "question"}


def audit(claims: list[dict] | None = None, n: int = N) -> pd.DataFrame:
    """Every finding of the audit, one row each: id, question, arithmetic, verdict.

    Parameters
    ----------
    claims : list of dict, optional
        From :func:`werk.stats.ledger.claims`; read from ``data/published.yml`` when omitted.
    n : int
        Sample size (the article's 5,391).
    """
    if claims is None:
        claims = load_claims()
    by = _by_id(claims)
    rows: list[dict] = []
    for c in claims:
        if c["kind"] == "beta" and c.get("p_max") is not None:
            f = beta_finding(c, n)
            f.pop("r2_needed")
            rows.append(f)
        elif c["kind"] == "r" and c.get("p_max") is not None:
            rows.append(r_finding(c, n))
        elif c["kind"] == "share":
            rows.append(share_finding(c, n))
    rows.extend(table_findings(claims))
    for var in RANGES:
        m, s = by.get(f"mean:{var}"), by.get(f"sd:{var}")
        if m and s:
            f = spread_finding(var, m["value"], s["value"], m.get("precision", 0), s.get("precision", 0))
            if f:
                rows.append(f)
    return pd.DataFrame(rows, columns=_COLUMNS)
