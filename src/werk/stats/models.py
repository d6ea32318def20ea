"""The article's models: standardized OLS and Pearson correlations, as tidy DataFrames.

Every variable of a model is z-scored on the model's complete cases (listwise
deletion), so coefficients are standardized betas as the article prints them.
Unweighted unless asked; with ``weighted=True`` the survey weights enter as WLS
weights and the z-scores use weighted means and SDs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from werk.core import memo
from werk.core.codebook import term_label  # noqa: F401 - models label their terms so
from werk.inputs.frame import with_derived

__all__ = [
    "CONTROLS",
    "THREAT_PREDICTORS",
    "KEEP_UP_PREDICTORS",
    "EMPLOYABILITY_PREDICTORS",
    "MODELS",
    "standardized_ols",
    "fit",
    "correlation",
    "EQUIVALENCE_BOUND",
    "EQUIVALENCE_ALPHA",
    "BINARY_TERMS",
    "tost",
    "block_equivalence",
    "holm",
]

CONTROLS = [
    "age",
    "gender",
    "education",
    "income",
    "permanent_contract",
    "manager",
    "contract_hours",
    "years_in_government",
    "years_in_function",
]
_SCALE_PREDICTORS = [
    "employability",
    "expertise",
    "adaptability",
    "continuous_improvement",
    "career_self_management",
    "development_motivation",
    "hrm_quality",
    "leadership",
]
THREAT_PREDICTORS = CONTROLS + _SCALE_PREDICTORS
KEEP_UP_PREDICTORS = CONTROLS + _SCALE_PREDICTORS
EMPLOYABILITY_PREDICTORS = ["age", "years_in_government", "years_in_function"]

#: name -> (outcome, predictors, with sector dummies)
MODELS: dict[str, tuple[str, list[str], bool]] = {
    "threat": ("threat", THREAT_PREDICTORS, True),
    "keep_up": ("keep_up", KEEP_UP_PREDICTORS, True),
    "employability": ("employability", EMPLOYABILITY_PREDICTORS, False),
}

_COLUMNS = ["term", "beta", "se", "t", "p", "ci_low", "ci_high", "n", "b", "b_ci_low", "b_ci_high", "b_sd",
            "binary"]

#: The equivalence bound of a claimed absence of effect, in standardized units: |β| < .05.
#: Why .05: half of Cohen's "small" correlation (.10), so a β inside it is small by any convention; and at
#: the article's N (about 4,900, standard errors of a β about .015 to .02) the equivalence test calls a true
#: zero negligible with probability 2Φ(bound/se − z_.95) − 1 ≈ .6 to .9, so "not shown negligible" says
#: something about the data, not only about the sample size. A bound at the article's smallest reported
#: effect (.03) would have a power of .3 or less. Recorded in codebook.ASSUMPTIONS.
EQUIVALENCE_BOUND = 0.05
#: Level of each one-sided test of the equivalence test (TOST): at .05, a 90% CI inside the bound.
EQUIVALENCE_ALPHA = 0.05
#: Predictors with two values (0/1 or 1/2): reported as a difference between the groups, not per SD.
BINARY_TERMS = ("gender", "manager", "permanent_contract", "multiple_jobs")


def _sector_dummies(sector: pd.Series) -> pd.DataFrame:
    codes = sorted(int(c) for c in sector.dropna().unique())
    # Reference: the lowest code present (gemeente in the full data).
    dummies = {f"sector={c}": (sector == c).astype(float) for c in codes[1:]}
    return pd.DataFrame(dummies, index=sector.index)


def _zscore(x: pd.Series, w: np.ndarray | None) -> pd.Series:
    if w is None:
        return (x - x.mean()) / x.std(ddof=1)
    mean = np.average(x, weights=w)
    return (x - mean) / _sd(x, w)


def design(
    df: pd.DataFrame, outcome: str, predictors: list[str], sector_dummies: bool = False, weight: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """A model's complete cases and its design matrix, shared by every model variant.

    Returns ``(data, X, dropped)``: the complete cases of the outcome, the predictors, ``sector``
    (with ``sector_dummies``) and ``weight`` (with ``weight``); the predictors plus one dummy per
    sector present but the lowest; and the columns dropped because they are constant in the data.
    Raises KeyError naming missing columns, ValueError when there are too few cases.
    """
    cols = (
        [outcome] + list(predictors) + (["sector"] if sector_dummies else []) + (["weight"] if weight else [])
    )
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise KeyError(f"model of {outcome} needs columns that the data lack: {', '.join(missing)}")
    data = df[cols].dropna().astype(float)
    X = data[list(predictors)].copy()
    if sector_dummies:
        X = X.join(_sector_dummies(data["sector"]))
    dropped = [c for c in X.columns if X[c].nunique() < 2]
    X = X.drop(columns=dropped)
    if len(data) <= X.shape[1] + 1:
        raise ValueError(
            f"model of {outcome}: {len(data)} complete cases are too few for {X.shape[1]} predictors"
        )
    return data, X, dropped


def _model_columns(df, outcome: str, predictors, sector_dummies: bool = False, weighted: bool = False,
                   *_, **__) -> list[str]:
    """The columns :func:`standardized_ols` reads (its cached results key on these only)."""
    return [outcome, *predictors] + (["sector"] if sector_dummies else []) + (["weight"] if weighted else [])


def _named_model_columns(df, name: str, weighted: bool = False, *_, **__) -> list[str]:
    """The columns model ``name`` reads, its sectors always (:func:`sector_test` adds them to any model)."""
    outcome, predictors, _ = MODELS[name]
    return _model_columns(df, outcome, predictors, True, weighted)


# Every model is fitted once per build for a given set of cases, whichever page or language asks
# (werk.core.memo): the Dutch book shows the English book's fits, the ledger those of the figures.
@memo.kept(reads=_model_columns)
def standardized_ols(
    df: pd.DataFrame,
    outcome: str,
    predictors: list[str],
    sector_dummies: bool = False,
    weighted: bool = False,
    alpha: float = 0.05,
    cov_type: str = "nonrobust",
) -> pd.DataFrame:
    """Fit a standardized OLS and return one row per term.

    Parameters
    ----------
    df : DataFrame
        Canonical analysis file.
    outcome : str
        Dependent variable.
    predictors : list of str
        Independent variables.
    sector_dummies : bool
        Add a dummy per sector present (lowest code is the reference).
    weighted : bool
        Use the ``weight`` column as WLS weights.
    alpha : float
        Confidence level of the intervals is ``1 - alpha``.
    cov_type : str
        statsmodels covariance type, e.g. ``"HC3"`` for robust standard errors.

    Returns
    -------
    DataFrame
        Columns term, beta, se, t, p, ci_low, ci_high, n; ``attrs`` holds
        ``r2``, ``df_resid``, ``n`` and ``dropped`` (terms constant in the data,
        dropped with a note instead of failing the fit).
    """
    data, X, dropped = design(df, outcome, predictors, sector_dummies, weight=weighted)
    w = data["weight"].to_numpy() if weighted else None
    y = _zscore(data[outcome], w)
    Xz = X.apply(lambda col: _zscore(col, w))
    Xz = sm.add_constant(Xz, has_constant="add")
    model = sm.WLS(y, Xz, weights=w) if weighted else sm.OLS(y, Xz)
    res = model.fit(cov_type=cov_type)
    ci = res.conf_int(alpha)
    out = pd.DataFrame(
        {
            "term": res.params.index,
            "beta": res.params.to_numpy(),
            "se": res.bse.to_numpy(),
            "t": res.tvalues.to_numpy(),
            "p": res.pvalues.to_numpy(),
            "ci_low": ci.iloc[:, 0].to_numpy(),
            "ci_high": ci.iloc[:, 1].to_numpy(),
            "n": int(res.nobs),
        }
    )
    out = out[out["term"] != "const"].reset_index(drop=True)
    # The unstandardized coefficient b = β·SD(y)/SD(x): for a predictor with two codes one unit apart
    # (0/1, 1/2) it is the difference between the groups in answer points, the other predictors held fixed;
    # b/SD(y) = β/SD(x) is that difference in SDs of the outcome. Same t and p as β: only the scale differs.
    sd_y = _sd(data[outcome], w)
    sd_x = np.array([_sd(X[t], w) for t in out["term"]])
    out["b"] = out["beta"].to_numpy() * sd_y / sd_x
    out["b_ci_low"] = out["ci_low"].to_numpy() * sd_y / sd_x
    out["b_ci_high"] = out["ci_high"].to_numpy() * sd_y / sd_x
    out["b_sd"] = out["beta"].to_numpy() / sd_x
    out["binary"] = [_is_binary(X[t]) for t in out["term"]]
    out.attrs.update(
        r2=float(res.rsquared), df_resid=float(res.df_resid), n=int(res.nobs), dropped=dropped,
        outcome=outcome, sd_y=float(sd_y),
    )
    return out


def _sd(x: pd.Series, w: np.ndarray | None) -> float:
    """The SD that :func:`_zscore` divides by (weighted when ``w`` is given)."""
    if w is None:
        return float(x.std(ddof=1))
    mean = np.average(x, weights=w)
    return float(np.sqrt(np.average((x - mean) ** 2, weights=w) * len(x) / (len(x) - 1)))


def _is_binary(x: pd.Series) -> bool:
    """Two values one unit apart (0/1, 1/2, a sector dummy): b is then a difference between two groups."""
    values = np.unique(x.to_numpy(dtype=float))
    return len(values) == 2 and bool(np.isclose(values[1] - values[0], 1.0))


def fit(df: pd.DataFrame, name: str, weighted: bool = False, cov_type: str = "nonrobust") -> pd.DataFrame:
    """Fit one of the article's :data:`MODELS` by name ("threat", "keep_up", "employability")."""
    outcome, predictors, sectors = MODELS[name]
    use_sectors = sectors and "sector" in df.columns
    return standardized_ols(df, outcome, predictors, use_sectors, weighted=weighted, cov_type=cov_type)


def correlation(df: pd.DataFrame, x: str, y: str, weighted: bool = False) -> dict:
    """Pearson correlation of two columns on their pairwise complete cases.

    Returns a dict with r, p (two-sided), n and the 95% CI (Fisher z).
    ``hrm_leadership`` is derived when asked for.
    """
    data = with_derived(df) if "hrm_leadership" in (x, y) else df
    cols = [x, y] + (["weight"] if weighted else [])
    pair = data[cols].dropna().astype(float)
    n = len(pair)
    if n < 4:
        raise ValueError(f"correlation of {x} and {y}: {n} complete cases are too few")
    if weighted:
        w = pair["weight"].to_numpy()
        c = np.cov(pair[x], pair[y], aweights=w)
        r = float(c[0, 1] / np.sqrt(c[0, 0] * c[1, 1]))
    else:
        r = float(np.corrcoef(pair[x], pair[y])[0, 1])
    t = r * np.sqrt((n - 2) / max(1e-300, 1 - r**2))
    p = float(2 * stats.t.sf(abs(t), n - 2))
    z, half = np.arctanh(r), 1.959963984540054 / np.sqrt(n - 3)
    return {
        "x": x, "y": y, "r": r, "p": p, "n": n,
        "ci_low": float(np.tanh(z - half)), "ci_high": float(np.tanh(z + half)),
    }


@memo.kept(reads=_named_model_columns)
def sector_test(df: pd.DataFrame, name: str, weighted: bool = False) -> dict | None:
    """Joint F-test that all sector dummies of model ``name`` are zero.

    Compares the model's R² with that of the same model without the dummies, on the same
    complete cases. Returns F, p, df_num, df_den and r2_full (the full model's R², for
    :func:`block_equivalence`); None when the data hold fewer than two sectors.
    """
    outcome, predictors, _ = MODELS[name]
    full = standardized_ols(df, outcome, predictors, sector_dummies=True, weighted=weighted)
    q = int(full["term"].str.startswith("sector=").sum())
    if q == 0:
        return None
    cases = df.dropna(subset=[outcome, *predictors, "sector"] + (["weight"] if weighted else []))
    restricted = standardized_ols(cases, outcome, predictors, sector_dummies=False, weighted=weighted)
    r2f, r2r, dfr = full.attrs["r2"], restricted.attrs["r2"], full.attrs["df_resid"]
    f = ((r2f - r2r) / q) / ((1 - r2f) / dfr)
    return {"F": float(f), "p": float(stats.f.sf(f, q, dfr)), "df_num": q, "df_den": float(dfr),
            "r2_full": float(r2f)}


def null_effects(results: pd.DataFrame, terms: list[str], sector_test: dict | None = None,
                 lang: str = "en") -> dict:
    """Summarize claimed null effects: largest |beta|, smallest p, which are significant, which negligible.

    Each term also gets the equivalence test of the ledger (:func:`tost`, |β| < :data:`EQUIVALENCE_BOUND`;
    the sector block :func:`block_equivalence`): ``negligible`` names the terms shown negligible,
    ``not_shown`` the others that are not significant either, and ``equivalence_text`` says so in a sentence.
    ``lang`` words the texts and the terms (the numbers stay in English style; the book localizes them).
    """
    rows = results[results["term"].isin(terms)]
    ps = list(rows["p"])
    names = [term_label(t, lang) for t in rows.loc[rows["p"] < 0.05, "term"]]
    negligible, not_shown = [], []
    df_resid = results.attrs.get("df_resid")
    for r in rows.itertuples():
        if r.p < 0.05:
            continue
        shown = df_resid is not None and tost(float(r.beta), float(r.se), df_resid)["equivalent"]
        (negligible if shown else not_shown).append(term_label(r.term, lang))
    if sector_test is not None:
        ps.append(sector_test["p"])
        if sector_test["p"] < 0.05:
            names.append("sector")
        else:
            e = block_equivalence(sector_test["F"], sector_test["df_num"], sector_test["df_den"],
                                  sector_test["r2_full"])
            (negligible if e["equivalent"] else not_shown).append("sector")
    if lang == "nl":
        significant, equivalence = _null_texts_nl(names, negligible, not_shown, sector_test)
    else:
        significant, equivalence = _null_texts(names, negligible, not_shown, sector_test)
    return {
        "max_abs_beta": float(rows["beta"].abs().max()) if len(rows) else float("nan"),
        "min_p": float(min(ps)) if ps else float("nan"),
        "significant": names,
        "significant_text": significant,
        "negligible": negligible,
        "not_shown": not_shown,
        "equivalence_text": equivalence,
    }


def _null_texts(names, negligible, not_shown, sector_test) -> tuple[str, str]:
    text = (
        "none of them is significant at the 5% level, as the article says."
        if not names
        else "significant at the 5% level here, unlike in the article: " + ", ".join(names) + "."
    )
    bound = f"±{EQUIVALENCE_BOUND:g}".replace("0.", ".")
    if sector_test is not None and sector_test["p"] >= 0.05:
        bound += f"; for sector, the dummies together add less than {EQUIVALENCE_BOUND ** 2:g} to R²"
    if not_shown and negligible:
        equivalence = (f"The equivalence test shows {_and(negligible)} to be negligible (|β| within "
                       f"{bound}); for {_and(not_shown)} the data cannot tell no effect from a small one.")
    elif not_shown:
        equivalence = (f"The equivalence test shows none of them to be negligible (|β| within {bound}): "
                       "the data cannot tell no effect from a small one.")
    elif negligible:
        equivalence = (f"The equivalence test shows each of them to be negligible, not merely not "
                       f"significant: |β| within {bound}.")
    else:
        equivalence = ""
    return text, equivalence


def _null_texts_nl(names, negligible, not_shown, sector_test) -> tuple[str, str]:
    text = (
        "geen van hen is significant op het niveau van 5%, zoals het artikel zegt."
        if not names
        else "hier significant op het niveau van 5%, anders dan in het artikel: " + ", ".join(names) + "."
    )
    bound = f"±{EQUIVALENCE_BOUND:g}".replace("0.", ".")
    if sector_test is not None and sector_test["p"] >= 0.05:
        bound += f"; voor de sector voegen de dummy's samen minder dan {EQUIVALENCE_BOUND ** 2:g} toe aan R²"
    if not_shown and negligible:
        equivalence = (f"De equivalentietoets wijst {_and(negligible, 'nl')} aan als verwaarloosbaar (|β| "
                       f"binnen {bound}); bij {_and(not_shown, 'nl')} kunnen de data het ontbreken van een "
                       "effect niet onderscheiden van een klein effect.")
    elif not_shown:
        equivalence = (f"De equivalentietoets wijst geen van hen aan als verwaarloosbaar (|β| binnen "
                       f"{bound}): de data kunnen het ontbreken van een effect niet onderscheiden van een "
                       "klein effect.")
    elif negligible:
        equivalence = (f"De equivalentietoets wijst elk van hen aan als verwaarloosbaar, niet alleen als "
                       f"niet significant: |β| binnen {bound}.")
    else:
        equivalence = ""
    return text, equivalence


def _and(words: list[str], lang: str = "en") -> str:
    word = " en " if lang == "nl" else " and "
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + word + words[-1]


def group_difference(df: pd.DataFrame, variable: str, by: str, codes=None) -> dict:
    """Compare an ordinal answer between the groups of a two-group variable.

    Returns per group the mean and (with ``codes``) the percentage answering one of ``codes``;
    the Mann-Whitney U test of the whole answer scale (two-sided p) and Cohen's d
    (second group minus first, pooled SD).
    """
    data = df[[variable, by]].dropna()
    groups = sorted(data[by].unique())
    if len(groups) != 2:
        raise ValueError(f"{by} has {len(groups)} groups in the data; a comparison needs two")
    a, b = (data.loc[data[by] == g, variable].astype(float) for g in groups)
    u = stats.mannwhitneyu(a, b, alternative="two-sided")
    pooled = np.sqrt(((len(a) - 1) * a.var() + (len(b) - 1) * b.var()) / (len(a) + len(b) - 2))
    out = {
        "groups": [int(g) for g in groups],
        "n": {int(g): int((data[by] == g).sum()) for g in groups},
        "mean": {int(groups[0]): float(a.mean()), int(groups[1]): float(b.mean())},
        "U": float(u.statistic),
        "p": float(u.pvalue),
        "d": float((b.mean() - a.mean()) / pooled),
    }
    if codes is not None:
        out["share"] = {int(g): float(100 * s.isin(list(codes)).mean()) for g, s in zip(groups, (a, b))}
    return out


# ----------------------------------------------------------------------------- equivalence and multiplicity


def tost(estimate: float, se: float, df: float, bound: float = EQUIVALENCE_BOUND,
         alpha: float = EQUIVALENCE_ALPHA) -> dict:
    """Two one-sided t tests (TOST) that a coefficient lies within ``(-bound, bound)``.

    H0: |coefficient| >= bound against H1: |coefficient| < bound. The lower test has
    t_low = (estimate + bound) / se (p = P(T > t_low)); the upper t_up = (estimate - bound) / se
    (p = P(T < t_up)), T ~ t(df). The TOST p-value is the larger of the two; equivalence at ``alpha``
    is the same as the ``1 - 2·alpha`` confidence interval lying inside the bound.

    Returns
    -------
    dict
        p_lower, p_upper, p (the larger), equivalent (p < alpha), ci_low, ci_high (the 1 - 2·alpha
        interval), bound.
    """
    if not (np.isfinite(estimate) and np.isfinite(se) and se > 0 and df > 0):
        raise ValueError(f"an equivalence test needs a finite estimate and a positive se and df, "
                         f"not estimate={estimate}, se={se}, df={df}")
    if not bound > 0:
        raise ValueError(f"the equivalence bound must be positive, not {bound}")
    p_lower = float(stats.t.sf((estimate + bound) / se, df))
    p_upper = float(stats.t.cdf((estimate - bound) / se, df))
    half = float(stats.t.ppf(1 - alpha, df)) * se
    p = max(p_lower, p_upper)
    return {"p_lower": p_lower, "p_upper": p_upper, "p": p, "equivalent": bool(p < alpha),
            "ci_low": float(estimate - half), "ci_high": float(estimate + half), "bound": float(bound)}


def block_equivalence(f: float, df_num: int, df_den: float, r2_full: float, bound: float = EQUIVALENCE_BOUND,
                      alpha: float = EQUIVALENCE_ALPHA) -> dict:
    """Equivalence test that a block of terms (the sector dummies) adds less than ``bound²`` to R².

    The bound on the block's R² increment is the square of the β bound: what one predictor with
    standardized β = ``bound``, uncorrelated with the others, adds to R². Its Cohen's f² in this model is
    ``bound² / (1 - R²_full)``. Under H0 (the increment is at the bound) the F statistic of the block has a
    noncentral F(df_num, df_den) distribution with noncentrality λ = f²·(df_num + df_den + 1) (Cohen, 1988);
    the equivalence p-value is P(F' <= F observed): a small F, unlikely if the block added that much.

    Returns
    -------
    dict
        p, equivalent (p < alpha), delta_r2 (the observed increment), bound_r2, f2_bound, nc (λ).
    """
    if not (np.isfinite(f) and df_num > 0 and df_den > 0 and 0 <= r2_full < 1):
        raise ValueError(f"a block equivalence test needs a finite F, positive degrees of freedom and "
                         f"R² in [0, 1), not F={f}, df=({df_num}, {df_den}), R²={r2_full}")
    bound_r2 = float(bound) ** 2
    f2 = bound_r2 / (1 - r2_full)
    nc = f2 * (df_num + df_den + 1)
    p = float(stats.ncf.cdf(f, df_num, df_den, nc))
    delta_r2 = float(f * df_num / df_den * (1 - r2_full))
    return {"p": p, "equivalent": bool(p < alpha), "delta_r2": delta_r2, "bound_r2": bound_r2,
            "f2_bound": float(f2), "nc": float(nc)}


def holm(pvalues) -> np.ndarray:
    """Holm-adjusted p-values (step-down Bonferroni), in the order given; NaN stays NaN and is not counted.

    For the m finite p-values sorted ascending, p_(i) becomes max_{j <= i} min(1, (m - j + 1)·p_(j)):
    ``statsmodels.stats.multitest.multipletests(method="holm")``.
    """
    from statsmodels.stats.multitest import multipletests

    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    finite = np.isfinite(p)
    if finite.any():
        out[finite] = multipletests(p[finite], method="holm")[1]
    return out
