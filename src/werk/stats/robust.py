"""Robustness of the article's conclusions: its models refitted four ways, collinearity, a verdict per claim.

The article fits each outcome (threat, keeping up) with one standardized OLS. Four variants of
each model are fitted here on the same complete cases:

``ols``
    The article's model: standardized OLS, classical standard errors (as :func:`werk.stats.models.fit`).
``weighted``
    Survey-weighted: WLS with the ``weight`` column, z-scores with weighted means and SDs (as
    ``models.fit(weighted=True)``). The weights are sampling weights, not inverse variances, so
    their classical WLS standard errors would be wrong; this variant uses the sandwich (HC3)
    standard errors, as design-based regression does.
``hc3``
    Unweighted OLS with HC3 heteroskedasticity-consistent standard errors. The estimates are the
    article's; only the standard errors change. A five-point answer regressed on many
    predictors has a residual variance that depends on the predictors (it shrinks near the ends of
    the scale), which classical standard errors ignore.
``ologit``
    Ordered logit (statsmodels ``OrderedModel``, logit link) of the answer categories on the
    z-scored predictors: it treats the answer as ordered categories rather than as an interval
    number. Its log-odds are on another scale than a standardized beta, so each predictor is
    reported as its **average marginal effect on the expected answer, in standard deviations of
    the answer, per standard deviation of the predictor**:
    ``AME_j = mean_i dE[y_i]/dz_j / sd(y)``. For a linear model that is exactly the standardized
    beta, so the four variants share one axis and one coefficient plot. Standard errors,
    confidence intervals and p-values of the AME come from the delta method (numerical Jacobian,
    the model's inverse-Hessian covariance); the log-odds, their p-value and the odds ratio are kept
    in extra columns (``coef``, ``coef_p``, ``odds_ratio``). Binary predictors are z-scored too,
    as in the article's model, so their AME is per standard deviation as well.

The ordered logit assumes proportional odds (one slope per predictor at every threshold of the
answer); :func:`brant` tests that with Brant's Wald test of separate binary logits per threshold.

Every variant is a tidy frame with columns ``term, estimate, se, p, ci_low, ci_high, n``;
``attrs`` hold ``variant``, ``label``, ``n``, ``df_resid``, ``converged`` and ``joint`` (the Wald test
that all sector dummies are zero: F for the linear variants, chi-square for the ordered logit).
``df_resid`` is what CBS's output rules check (:func:`werk.disclosure.rules.check_model`): n less the
parameters, the constant included for the linear variants and the thresholds for the ordered logit, so
the ordered logit is refused first (a five-point answer has four thresholds, the OLS one constant).

:func:`vif` gives the variance inflation factor of every term on the model's complete cases, and
:func:`conclusions` says, claim by claim, whether each sign-and-significance claim (the beta
claims of ``data/published.yml``) and each claimed null effect (the ns claims) holds under every
variant. A beta claim holds when the estimate has the printed sign and p is below the printed
threshold; the printed size is not compared (the ordered logit's scale is not the OLS scale,
and the ledger already checks sizes). A null claim holds when p > .05, as in the ledger.

Output checking of the appendix's outputs is :mod:`werk.disclosure.robust`; its tables and figure
are :mod:`werk.display.robust`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from scipy.special import expit
from statsmodels.miscmodels.ordinal_model import OrderedModel
from statsmodels.stats.outliers_influence import variance_inflation_factor
from statsmodels.tools.numdiff import approx_fprime

from werk.core import memo
from werk.inputs.claims import claims
from werk.stats import models

__all__ = [
    "VARIANTS",
    "LABELS",
    "COLUMNS",
    "HOLDS",
    "FAILS",
    "NOT_AVAILABLE",
    "NS_ALPHA",
    "VIF_CONCERN",
    "CONCLUSION_MODELS",
    "variants",
    "model_variants",
    "vif",
    "design_vif",
    "conclusions",
    "plotted",
    "brant_test",
    "brant",
]

#: Variant ids in display order.
VARIANTS = ("ols", "weighted", "hc3", "ologit")
LABELS = {
    "en": {
        "ols": "article (OLS)",
        "weighted": "survey-weighted",
        "hc3": "HC3 standard errors",
        "ologit": "ordered logit (AME)",
    },
    "nl": {
        "ols": "artikel (OLS)",
        "weighted": "gewogen",
        "hc3": "HC3-standaardfouten",
        "ologit": "ordinale logit (AME)",
    },
}
COLUMNS = ["term", "estimate", "se", "p", "ci_low", "ci_high", "n"]
HOLDS, FAILS, NOT_AVAILABLE = "holds", "fails", "n/a"
#: A claimed null effect holds when p exceeds this (the ledger's rule).
NS_ALPHA = 0.05
#: The usual rule of thumb above which a VIF is read as a collinearity problem.
VIF_CONCERN = 10.0
#: The models whose claims :func:`conclusions` checks (the employability model's outcome is a scale
#: score, not a five-point answer, so it has no ordered-logit variant).
CONCLUSION_MODELS = ("threat", "keep_up")

_SECTOR = "sector"


# ----------------------------------------------------------------------------- data


def _prepare(df: pd.DataFrame, outcome: str, predictors: Sequence[str], sector_dummies: bool):
    """The model's complete cases and its design (predictors, then sector dummies; constant columns dropped).

    Rows without a survey weight are dropped too when the frame has a ``weight`` column, so that
    every variant is fitted on the same respondents.
    """
    use_sectors = sector_dummies and _SECTOR in df.columns
    has_weight = "weight" in df.columns
    data, X, _ = models.design(df, outcome, list(predictors), use_sectors, weight=has_weight)
    w = data["weight"].to_numpy() if has_weight else None
    return data, X, w


def _variant_columns(df, name: str, *_, **__) -> list[str]:
    """The columns the variants of model ``name`` read (:func:`_prepare` uses a weight the frame has)."""
    return models._named_model_columns(df, name, weighted=True)


def _sector_terms(columns) -> list[str]:
    return [c for c in columns if str(c).startswith(_SECTOR + "=")]


def _joint(params: pd.Series, cov: pd.DataFrame, terms: list[str], df_resid: float | None) -> dict | None:
    """Wald test that ``terms`` are all zero: F(q, df_resid) when df_resid is given, else chi-square(q)."""
    if not terms:
        return None
    b = params[terms].to_numpy()
    V = cov.loc[terms, terms].to_numpy()
    if not np.all(np.isfinite(V)) or not np.all(np.isfinite(b)):
        return {"stat": float("nan"), "df": len(terms), "p": float("nan"), "test": "n/a"}
    W = float(b @ np.linalg.solve(V, b))
    q = len(terms)
    if df_resid is None:
        return {"stat": W, "df": q, "p": float(stats.chi2.sf(W, q)), "test": "chi2"}
    return {"stat": W / q, "df": q, "df_resid": float(df_resid), "p": float(stats.f.sf(W / q, q, df_resid)),
            "test": "F"}


def _tidy(terms, estimate, se, p, ci_low, ci_high, n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "term": list(terms),
            "estimate": np.asarray(estimate, dtype=float),
            "se": np.asarray(se, dtype=float),
            "p": np.asarray(p, dtype=float),
            "ci_low": np.asarray(ci_low, dtype=float),
            "ci_high": np.asarray(ci_high, dtype=float),
            "n": int(n),
        }
    )


# ----------------------------------------------------------------------------- the variants


def _ols(data, X, outcome: str, w, cov_type: str, alpha: float, variant: str) -> pd.DataFrame:
    """Standardized (W)LS, as werk.stats.models.standardized_ols computes it, with the sector Wald test."""
    y = models._zscore(data[outcome], w)
    Xz = sm.add_constant(X.apply(lambda col: models._zscore(col, w)), has_constant="add")
    model = sm.WLS(y, Xz, weights=w) if w is not None else sm.OLS(y, Xz)
    res = model.fit(cov_type=cov_type)
    ci = res.conf_int(alpha)
    keep = [c for c in Xz.columns if c != "const"]
    out = _tidy(keep, res.params[keep], res.bse[keep], res.pvalues[keep], ci.loc[keep].iloc[:, 0],
                ci.loc[keep].iloc[:, 1], res.nobs)
    # Robust covariances are asymptotic: statsmodels tests them with z, so the joint test is chi-square.
    df_resid = float(res.df_resid) if cov_type == "nonrobust" else None
    out.attrs.update(variant=variant, n=int(res.nobs), df_resid=int(res.df_resid), converged=True,
                     r2=float(res.rsquared),
                     joint={_SECTOR: _joint(res.params, res.cov_params(), _sector_terms(keep), df_resid)})
    return out


class _OrderedLogit(OrderedModel):
    """``OrderedModel(distr="logit")`` with the analytic score and a fast logistic cdf.

    The same model and likelihood. statsmodels differentiates it numerically: about three thousand
    likelihood evaluations per fit, each through scipy.stats.logistic, which checks its arguments on
    every call. Here the cdf and pdf come from scipy.special.expit, the score is analytic, and the
    Hessian is the numerical Jacobian of the score; the fit is about ten times faster. A test compares
    the estimates and standard errors with plain ``OrderedModel``.
    """

    def cdf(self, x):
        return expit(x)

    def pdf(self, x):
        p = expit(x)
        return p * (1.0 - p)

    def score_obs(self, params):
        # loglike_i = log(F(c_{k_i} - xb) - F(c_{k_i - 1} - xb)), thresholds parameterized as
        # c_1 = t_1, c_j = t_1 + sum_{m=2..j} exp(t_m) (statsmodels' transform_threshold_params).
        params = np.asarray(params, dtype=float)
        low, upp = self._bounds(params)
        prob = self.prob(low, upp) + 1e-20  # as in loglikeobs
        f_low, f_upp = self.pdf(low) / prob, self.pdf(upp) / prob
        k = self.k_levels - 1
        rows = np.arange(len(prob))
        d_cut = np.zeros((len(prob), k + 2))  # one column per threshold, the infinite ends included
        d_cut[rows, self.endog + 1] += f_upp
        d_cut[rows, self.endog] -= f_low
        th = params[-k:]
        dc_dt = np.tril(np.ones((k, k))) * np.concatenate(([1.0], np.exp(th[1:])))[None, :]
        d_beta = -(f_upp - f_low)[:, None] * self.exog
        return np.column_stack((d_beta, d_cut[:, 1:-1] @ dc_dt))

    def score(self, params):
        return self.score_obs(params).sum(axis=0)

    def hessian(self, params):
        H = approx_fprime(np.asarray(params, dtype=float), self.score, centered=True)
        return (H + H.T) / 2


def _ordered_logit(data, X, outcome: str, alpha: float) -> pd.DataFrame:
    """Ordered logit on z-scored predictors; AMEs on the expected answer in SD of the answer."""
    Xz = X.apply(lambda col: (col - col.mean()) / col.std(ddof=1))
    y = data[outcome].to_numpy()
    values = np.unique(y)
    n, terms, k = len(y), list(Xz.columns), Xz.shape[1]
    nan = np.full(k, np.nan)
    out = _tidy(terms, nan, nan, nan, nan, nan, n)
    out["coef"], out["coef_p"], out["odds_ratio"] = nan, nan, nan
    # Residual degrees of freedom: n less the k slopes and the thresholds (one fewer than the answers).
    df_resid = n - k - max(len(values) - 1, 0)
    out.attrs.update(variant="ologit", n=n, df_resid=df_resid, converged=False, joint={_SECTOR: None})
    if len(values) < 2:
        return out

    model = _OrderedLogit(np.searchsorted(values, y), Xz.to_numpy(), distr="logit")
    converged = False
    res = None
    with warnings.catch_warnings():
        # Convergence is checked below, from the optimizer's own report, not from warnings.
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            for method, start in (("bfgs", None), ("newton", "previous")):
                start_params = res.params if (start and res is not None) else None
                try:
                    res = model.fit(method=method, maxiter=1000, disp=False, start_params=start_params)
                except (np.linalg.LinAlgError, ValueError):
                    continue
                if res.mle_retvals.get("converged", False) and np.all(np.isfinite(res.bse)):
                    converged = True
                    break
    if not converged:
        return out

    params = np.asarray(res.params, dtype=float)
    cov = np.asarray(res.cov_params(), dtype=float)
    Z = Xz.to_numpy()
    gaps = np.diff(values)
    sd_y = float(np.std(y, ddof=1))

    def ame(theta):
        # E[y|x] = v_1 + sum_k (v_{k+1} - v_k) (1 - F(c_k - xb)), so
        # dE/dz_j = b_j * sum_k (v_{k+1} - v_k) f(c_k - xb); averaged over respondents.
        cuts = model.transform_threshold_params(theta)[1:-1]
        xb = Z @ theta[:k]
        u = expit(cuts[None, :] - xb[:, None])
        scale = float(((u * (1.0 - u)) * gaps).sum(axis=1).mean())
        return theta[:k] * scale / sd_y

    est = ame(params)
    J = approx_fprime(params, ame, centered=True)
    se = np.sqrt(np.clip(np.diag(J @ cov @ J.T), 0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        p = 2 * stats.norm.sf(np.abs(est / se))
    zc = stats.norm.ppf(1 - alpha / 2)
    out = _tidy(terms, est, se, p, est - zc * se, est + zc * se, n)
    coef = params[:k]
    out["coef"] = coef
    out["coef_p"] = np.asarray(res.pvalues, dtype=float)[:k]
    out["odds_ratio"] = np.exp(coef)
    names = terms + [f"cut{i}" for i in range(len(params) - k)]
    out.attrs.update(
        variant="ologit", n=n, df_resid=df_resid, converged=True, llf=float(res.llf),
        joint={_SECTOR: _joint(pd.Series(params, index=names), pd.DataFrame(cov, index=names, columns=names),
                               _sector_terms(terms), None)},
    )
    return out


def model_variants(
    df: pd.DataFrame,
    outcome: str,
    predictors: Sequence[str],
    sector_dummies: bool = False,
    alpha: float = 0.05,
) -> dict[str, pd.DataFrame]:
    """Fit the four variants of one model on the same complete cases.

    Parameters
    ----------
    df : DataFrame
        Canonical analysis frame (or any frame with the model's columns).
    outcome : str
        Dependent variable: ordered answers (e.g. 1-5).
    predictors : sequence of str
        Independent variables.
    sector_dummies : bool
        Add a dummy per sector present (lowest code is the reference), as the article's models do.
    alpha : float
        Confidence level of the intervals is ``1 - alpha``.

    Returns
    -------
    dict of str -> DataFrame
        Keys :data:`VARIANTS` in order (``weighted`` only when the frame has a ``weight``
        column); each a tidy frame, see the module docstring.
    """
    data, X, w = _prepare(df, outcome, predictors, sector_dummies)
    out = {"ols": _ols(data, X, outcome, None, "nonrobust", alpha, "ols")}
    if w is not None:
        out["weighted"] = _ols(data, X, outcome, w, "HC3", alpha, "weighted")
    out["hc3"] = _ols(data, X, outcome, None, "HC3", alpha, "hc3")
    out["ologit"] = _ordered_logit(data, X, outcome, alpha)
    for key, frame in out.items():
        frame.attrs.update(label=LABELS["en"][key], outcome=outcome)
    return out


@memo.kept(reads=_variant_columns)
def variants(df: pd.DataFrame, name: str, alpha: float = 0.05) -> dict[str, pd.DataFrame]:
    """The four variants of one of the article's models (``"threat"`` or ``"keep_up"``).

    The article's model (standardized OLS), survey-weighted (WLS, sandwich standard errors),
    HC3 standard errors, and ordered logit reported as average marginal effects on the
    expected answer in SDs of the answer; see the module docstring and :func:`model_variants`.
    """
    outcome, predictors, sectors = models.MODELS[name]
    return model_variants(df, outcome, predictors, sectors, alpha=alpha)


# ----------------------------------------------------------------------------- collinearity


def design_vif(
    df: pd.DataFrame, outcome: str, predictors: Sequence[str], sector_dummies: bool = False
) -> pd.DataFrame:
    """Variance inflation factor of every term of a model, on its complete cases.

    The VIF of term j is ``1 / (1 - R²_j)``, with R²_j from regressing term j on all other terms
    and a constant. It equals the j-th diagonal element of the inverse of the terms' correlation
    matrix, which is how it is computed here: the same number statsmodels'
    ``variance_inflation_factor`` gives (a test checks that they agree), without its two
    decompositions of the n x p design per term, which take seconds each when BLAS threads
    compete for two shared cores. A singular design falls back to statsmodels term by term.

    Returns
    -------
    DataFrame
        term, vif, r2 (``vif = 1 / (1 - r2)``), n. A term that the others explain exactly has
        an infinite VIF and r2 1. ``attrs`` hold ``n`` and ``df_resid``, the residual degrees of
        freedom of each auxiliary regression (n less the other terms and the constant), which
        :func:`werk.disclosure.rules.check_model` checks.
    """
    data, X, _ = _prepare(df, outcome, predictors, sector_dummies)
    values = X.to_numpy(dtype=float)
    corr = np.corrcoef(values, rowvar=False).reshape(X.shape[1], X.shape[1])
    eig = np.linalg.eigvalsh(corr)
    if eig.min() > 1e-10 * eig.max():
        v = np.diag(np.linalg.inv(corr)).copy()
    else:
        exog = sm.add_constant(values, has_constant="add")
        with warnings.catch_warnings():
            # statsmodels warns that a singular design is ill-conditioned: that is the finding here.
            warnings.simplefilter("ignore")
            v = np.array([variance_inflation_factor(exog, i + 1) for i in range(X.shape[1])], dtype=float)
        v[v > 1e12] = np.inf
    r2 = np.where(np.isinf(v), 1.0, 1.0 - 1.0 / v)
    out = pd.DataFrame({"term": list(X.columns), "vif": v, "r2": r2, "n": len(data)})
    out.attrs.update(n=len(data), df_resid=len(data) - X.shape[1])
    return out


def vif(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """VIF per term of one of the article's models (see :func:`design_vif`)."""
    outcome, predictors, sectors = models.MODELS[name]
    return design_vif(df, outcome, predictors, sectors)


# ----------------------------------------------------------------------------- proportional odds


def brant_test(y, X: pd.DataFrame) -> dict:
    """Brant's (1990) Wald test of the proportional-odds assumption of an ordered logit.

    The ordered logit gives each predictor one slope for every threshold of the answer scale. For each
    threshold m (of J - 1) a binary logit of "answer above v_m" on the predictors estimates its own
    slopes b_m. Under proportional odds all b_m are equal. The slopes are stacked with their joint
    covariance: the blocks are Var(b_m, b_l) = (X'W_mm X)^-1 (X'W_ml X) (X'W_ll X)^-1 with
    W_ml = diag(π_l (1 - π_m)) for l >= m (π_m the fitted P(answer > v_m), X with a constant), and the
    Wald statistic of b_1 - b_m = 0 (m = 2..J-1) is chi-square with k(J - 2) degrees of freedom; per
    predictor, with J - 2.

    Parameters
    ----------
    y : array-like
        Ordered answers (any sortable codes, at least three distinct values).
    X : DataFrame
        Predictors, without a constant.

    Returns
    -------
    dict
        chi2, df, p (all predictors together), n, cuts (J - 1), slopes (DataFrame of the z-scored
        predictors' slopes, one column per threshold), cov (their stacked covariance, "term > v" names),
        terms (DataFrame term, chi2, df, p) and rarest (the threshold whose smaller side has the fewest
        respondents: threshold, n, per_predictor).
    """
    y = np.asarray(y, dtype=float)
    values = np.unique(y)
    if len(values) < 3:
        raise ValueError(f"a proportional-odds test needs an answer with three or more values, "
                         f"not {len(values)}")
    Xz = X.apply(lambda col: (col - col.mean()) / col.std(ddof=1))  # conditioning only: the test is invariant
    A = sm.add_constant(Xz.to_numpy(dtype=float), has_constant="add")
    n, k = len(y), Xz.shape[1]
    cuts = len(values) - 1
    params, probs, infos = [], [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a near-separated top category: its wide se enters the test
        for v in values[:-1]:
            res = sm.Logit((y > v).astype(float), A).fit(disp=False, maxiter=200)
            params.append(np.asarray(res.params))
            pi = np.asarray(res.predict(A))
            probs.append(pi)
            infos.append(np.linalg.inv(A.T @ (A * (pi * (1 - pi))[:, None])))
    V = np.zeros((k * cuts, k * cuts))
    for m in range(cuts):
        for h in range(m, cuts):  # threshold h at or above m: W_mh = π_h (1 - π_m)
            w = probs[h] * (1 - probs[m])
            block = infos[m] @ (A.T @ (A * w[:, None])) @ infos[h]
            V[m * k:(m + 1) * k, h * k:(h + 1) * k] = block[1:, 1:]
            V[h * k:(h + 1) * k, m * k:(m + 1) * k] = block[1:, 1:].T
    b = np.concatenate([p[1:] for p in params])

    def wald(rows: list[int]) -> tuple[float, int]:
        # rows: indices into b of one predictor's slopes (or all), grouped by threshold
        D = []
        for j in rows:
            for m in range(1, cuts):
                d = np.zeros(k * cuts)
                d[j] = 1.0
                d[m * k + j] = -1.0
                D.append(d)
        D = np.array(D)
        diff = D @ b
        stat = float(diff @ np.linalg.solve(D @ V @ D.T, diff))
        return stat, len(D)

    chi2, df_ = wald(list(range(k)))
    terms = []
    for j, term in enumerate(Xz.columns):
        c, d = wald([j])
        terms.append({"term": term, "chi2": c, "df": d, "p": float(stats.chi2.sf(c, d))})
    slopes = pd.DataFrame(np.array([p[1:] for p in params]).T, index=list(Xz.columns),
                          columns=[f"> {v:g}" for v in values[:-1]])
    names = [f"{t} {c}" for c in slopes.columns for t in slopes.index]
    # The rarest split of any threshold (answers above it, or at or below it): with few such respondents per
    # predictor that threshold's logit is imprecise, and so is the test (the usual rule asks for ten).
    sides = [min(int((y > v).sum()), int((y <= v).sum())) for v in values[:-1]]
    rarest = int(np.argmin(sides))
    return {"chi2": chi2, "df": df_, "p": float(stats.chi2.sf(chi2, df_)), "n": n, "cuts": cuts,
            "rarest": {"threshold": float(values[rarest]), "n": sides[rarest],
                       "per_predictor": sides[rarest] / k},
            "slopes": slopes, "cov": pd.DataFrame(V, index=names, columns=names),
            "terms": pd.DataFrame(terms, columns=["term", "chi2", "df", "p"])}


@memo.kept(reads=_variant_columns)
def brant(df: pd.DataFrame, name: str) -> dict:
    """:func:`brant_test` of one of the article's models (``"threat"`` or ``"keep_up"``), on the cases and
    design of its ordered logit (:func:`variants`). When the test cannot be computed on these data, chi2
    and p are NaN and ``error`` says why."""
    outcome, predictors, sectors = models.MODELS[name]
    data, X, _ = _prepare(df, outcome, predictors, sectors)
    try:
        return brant_test(data[outcome].to_numpy(), X)
    except (np.linalg.LinAlgError, ValueError) as exc:
        # A one-sector edition can lack an answer or separate a threshold perfectly: the page says so.
        return {"chi2": float("nan"), "df": 0, "p": float("nan"), "n": len(data), "cuts": 0,
                "error": str(exc)}


# ----------------------------------------------------------------------------- conclusions


def _default_claims() -> list[dict]:
    return [c for c in claims()
            if c["kind"] in ("beta", "ns") and c["spec"].get("model") in CONCLUSION_MODELS]


def _describe(claim: dict) -> str:
    if claim["kind"] == "beta":
        sign = "positive" if claim["value"] > 0 else "negative"
        return f"{sign}, p < {claim['p_max']:g}".replace("0.", ".")
    return f"no effect, p > {NS_ALPHA:g}".replace("0.", ".")


def _judge(claim: dict, fit: pd.DataFrame) -> list[dict]:
    """One detail row per term of the claim, with its verdict under one variant."""
    keyed = fit.set_index("term")
    terms = [claim["spec"]["term"]] if claim["kind"] == "beta" else list(claim["spec"]["terms"])
    rows = []
    for term in terms:
        if term == _SECTOR and claim["kind"] == "ns":
            joint = fit.attrs.get("joint", {}).get(_SECTOR)
            est, p = float("nan"), (joint or {}).get("p", float("nan"))
        elif term in keyed.index:
            est, p = float(keyed.loc[term, "estimate"]), float(keyed.loc[term, "p"])
        else:
            est, p = float("nan"), float("nan")
        if not np.isfinite(p):
            verdict = NOT_AVAILABLE
        elif claim["kind"] == "beta":
            ok = np.sign(est) == np.sign(claim["value"]) and p < claim["p_max"]
            verdict = HOLDS if ok else FAILS
        else:
            verdict = HOLDS if p > NS_ALPHA else FAILS
        rows.append({"term": term, "estimate": est, "p": p, "verdict": verdict})
    return rows


def _combine(verdicts: Sequence[str]) -> str:
    if any(v == FAILS for v in verdicts):
        return FAILS
    if verdicts and all(v == HOLDS for v in verdicts):
        return HOLDS
    return NOT_AVAILABLE


def conclusions(
    df: pd.DataFrame,
    claims: Sequence[Mapping] | None = None,
    specs: Mapping[str, tuple[str, Sequence[str], bool]] | None = None,
    fits: Mapping[str, Mapping[str, pd.DataFrame]] | None = None,
) -> pd.DataFrame:
    """Whether each model claim of the article holds under every variant.

    Parameters
    ----------
    df : DataFrame
        Canonical analysis frame.
    claims : sequence of dict, optional
        Claims as :func:`werk.stats.ledger.claims` returns them; by default its ``beta`` and ``ns``
        claims about the threat and keep-up models. A ``beta`` claim needs ``value`` (its sign
        counts), ``p_max`` and ``spec.model``/``spec.term``; an ``ns`` claim ``spec.model`` and
        ``spec.terms`` (``"sector"`` is the joint test of the sector dummies).
    specs : mapping, optional
        Model name -> (outcome, predictors, sector dummies); by default :data:`werk.stats.models.MODELS`.
    fits : mapping, optional
        Model name -> the output of :func:`variants`, to reuse fits already made.

    Returns
    -------
    DataFrame
        One row per claim: id, model, kind, term, claimed, one column per variant
        (``"holds"``, ``"fails"`` or ``"n/a"`` when it cannot be computed, e.g. the sector claim
        in a one-sector edition), and ``every_variant``: holds only if it holds under all.
        ``attrs["details"]`` is the long frame (id, variant, term, estimate, p, verdict) and
        ``attrs["variants"]`` the variant columns present.
    """
    claims = list(_default_claims() if claims is None else claims)
    specs = dict(models.MODELS if specs is None else specs)
    cache: dict[str, dict[str, pd.DataFrame]] = dict(fits or {})
    rows, details, present = [], [], []
    for claim in claims:
        name = claim["spec"]["model"]
        if name not in cache:
            outcome, predictors, sectors = specs[name]
            cache[name] = model_variants(df, outcome, predictors, sectors)
        fitted = cache[name]
        terms = [claim["spec"]["term"]] if claim["kind"] == "beta" else list(claim["spec"]["terms"])
        row = {"id": claim["id"], "model": name, "kind": claim["kind"], "term": ", ".join(terms),
               "claimed": _describe(claim)}
        for key in VARIANTS:
            if key not in fitted:
                continue
            if key not in present:
                present.append(key)
            judged = _judge(claim, fitted[key])
            row[key] = _combine([j["verdict"] for j in judged])
            details += [{"id": claim["id"], "variant": key, **j} for j in judged]
        row["every_variant"] = _combine([row[k] for k in VARIANTS if k in row])
        rows.append(row)
    out = pd.DataFrame(rows, columns=["id", "model", "kind", "term", "claimed", *present, "every_variant"])
    out.attrs["details"] = pd.DataFrame(details,
                                        columns=["id", "variant", "term", "estimate", "p", "verdict"])
    out.attrs["variants"] = present
    return out


# ----------------------------------------------------------------------------- output checking


def plotted(results: Mapping[str, pd.DataFrame], sectors: bool) -> dict[str, pd.DataFrame]:
    return {key: frame if sectors else frame[~frame["term"].str.startswith(_SECTOR + "=")]
            for key, frame in results.items()}
