"""Reliability of a scale from its items: Cronbach's alpha, McDonald's omega, item-rest correlations.

Every statistic is computed on the respondents who answered every item of the scale (listwise), on the
items as scored (reverse-keyed items already turned round by the loader).

Why not a library: pingouin (well kept) offers Cronbach's alpha but neither omega nor item statistics, and
would add a dozen pinned packages for one formula; the R packages that do all of it (psych, via
``performance::item_omega``) are not Python. The formulas are short and are checked in
``tests/test_reliability.py`` against hand computations: alpha on a five-respondent example worked on paper,
omega on a covariance matrix with an exact one-factor structure (whose loadings ML must recover), and
alpha = omega for items with equal loadings and error variances.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize

__all__ = ["cronbach_alpha", "one_factor", "omega", "item_statistics", "scale_statistics"]


def _complete(items) -> np.ndarray:
    x = np.asarray(items, dtype=float)
    if x.ndim != 2 or x.shape[1] < 2:
        raise ValueError("a scale needs at least two items (columns)")
    return x[~np.isnan(x).any(axis=1)]


def cronbach_alpha(items) -> float:
    """Cronbach's alpha, k/(k-1) * (1 - sum of item variances / variance of the sum), listwise.

    NaN when fewer than two respondents answered every item or the sum does not vary.
    """
    x = _complete(items)
    k = x.shape[1]
    if len(x) < 2:
        return float("nan")
    total = x.sum(axis=1).var(ddof=1)
    if total <= 0:
        return float("nan")
    return float(k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / total))


def one_factor(cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Loadings and unique variances of a one-factor maximum-likelihood model of a covariance matrix.

    Fitted on the correlation matrix (ML is scale-free) by minimising
    log|Σ| + tr(S Σ⁻¹) with Σ = λλ' + diag(ψ), then put back on the items' scale. With two items the model
    is not identified; their loadings are then both √r (the tau-equivalent solution).
    """
    cov = np.asarray(cov, dtype=float)
    sd = np.sqrt(np.diag(cov))
    r = cov / np.outer(sd, sd)
    k = len(r)
    if k == 2:
        lam = np.full(2, np.sqrt(max(r[0, 1], 0.0)))
    else:
        def loss(lam):
            psi = np.clip(1 - lam**2, 1e-4, None)
            sigma = np.outer(lam, lam) + np.diag(psi)
            sign, logdet = np.linalg.slogdet(sigma)
            return logdet + np.trace(r @ np.linalg.inv(sigma)) if sign > 0 else np.inf

        w, v = np.linalg.eigh(r)
        start = np.clip(np.abs(v[:, -1]) * np.sqrt(w[-1]), 0.05, 0.95)
        lam = optimize.minimize(loss, start, method="L-BFGS-B", bounds=[(-0.995, 0.995)] * k,
                                options={"ftol": 1e-14, "gtol": 1e-10, "maxiter": 2000}).x
        if lam.sum() < 0:
            lam = -lam  # the factor's sign is arbitrary: make the loadings mostly positive
    psi = np.clip(1 - lam**2, 1e-4, None)
    return lam * sd, psi * sd**2


def omega(items) -> float:
    """McDonald's omega (total) of the unit-weighted sum: (Σλ)² / ((Σλ)² + Σψ), one-factor ML, listwise."""
    x = _complete(items)
    if len(x) < x.shape[1] + 2:
        return float("nan")
    cov = np.cov(x, rowvar=False)
    if np.any(np.diag(cov) <= 0):
        return float("nan")
    lam, psi = one_factor(cov)
    common = lam.sum() ** 2
    return float(common / (common + psi.sum()))


def item_statistics(items: pd.DataFrame) -> pd.DataFrame:
    """Per item, on the complete cases: n, mean, SD, item-rest correlation and alpha if it is deleted."""
    x = pd.DataFrame(items).dropna()
    rows = []
    for col in x.columns:
        rest = x.drop(columns=col)
        r = float(np.corrcoef(x[col], rest.sum(axis=1))[0, 1]) if len(x) > 2 else float("nan")
        rows.append({"item": col, "n": int(len(x)), "mean": float(x[col].mean()),
                     "sd": float(x[col].std(ddof=1)), "item_rest_r": r,
                     "alpha_if_deleted": cronbach_alpha(rest) if rest.shape[1] >= 2 else float("nan")})
    return pd.DataFrame(rows)


def scale_statistics(items: pd.DataFrame) -> dict:
    """n (complete cases), number of items, alpha, omega and the mean inter-item correlation of one scale."""
    x = pd.DataFrame(items).dropna()
    corr = x.corr().to_numpy()
    k = x.shape[1]
    mean_r = float(corr[np.triu_indices(k, 1)].mean()) if len(x) > 2 else float("nan")
    return {"n": int(len(x)), "items": int(k), "alpha": cronbach_alpha(x), "omega": omega(x),
            "mean_inter_item_r": mean_r}
