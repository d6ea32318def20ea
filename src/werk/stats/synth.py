"""The synthetic twin: a public stand-in for the confidential WERKonderzoek 2019 file.

``generate(params, seed, n)`` draws a canonical analysis file whose shares, moments, correlations and
standardized betas equal the targets in the parameter file (``data/twin_params.yml``; the article's own
numbers are referenced there from ``data/published.yml``, never retyped). ``fit(df)`` estimates the same
parameter set from a real file, keeping only aggregates with at least :data:`MIN_CELL` respondents behind
each number, so that a twin of real data can leave the secure environment.

Method (one ``numpy.random.Generator`` passed down, every draw made once, then *deterministic calibration on
the realized sample*):

1. item-nonresponse masks (clustered in a few "skippers");
2. register and background variables from a Gaussian copula; each marginal is put on by ranks in exact counts
   (shares of the valid answers), contract hours and tenure by solving for their mean and SD;
3. scale scores: latent normals conditioned on age and tenure, rounded to the quarter-point grid; the latent
   correlations are moved by (target - achieved) until the grid scores hit the target correlations;
4. threat and keep-up: ordinal cuts, at the target shares, of a linear predictor plus fixed noise; the latent
   standardized betas are moved by (target - achieved) under ``werk.stats.models.fit`` until they converge
   (a fixed point: the noise draws never change, so the iteration contracts to within ~0.001).

5. items: every scale score is split into its items (:data:`werk.core.codebook.ITEMS`, 1-5 answers whose
   mean is the score exactly, reverse-keyed items stored as answered, 6 - scored value). The within-person
   spread of the items around the score is scaled until the scale's Cronbach's alpha is the target
   (``items`` of the parameter file, else :data:`werk.core.codebook.TARGET_ALPHA`). The items are drawn
   last, from the same generator, so every column before them is what it would be without them.
   Parameters fitted to an item-level file (``werk synth fit``) also keep each item's answer shares and the
   score's shares on its grid: the scores are then put on by ranks at those shares (step 3), and each item's
   propensities are cut at its cumulative shares, with the cuts moved until the answers, whose rows still add
   up to k times the score, show the fitted shares (:func:`_cut_allocate`).

For N above :data:`CALIBRATION_ROWS` the iterations of steps 3 and 4 fit on the first
:data:`CALIBRATION_ROWS` rows (rows are exchangeable draws, so this is a random subsample) and the converged
parameters are then applied to every row: the sampling error of a beta at 50,000 rows is about 0.005,
well inside the ±0.015 tolerance, and the iterations then cost the same at 100,000 or 1,000,000 rows.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy import optimize, special, stats

from werk.core import codebook, memo, paths
from werk.core.errors import WerkError
from werk.core.files import load_yaml
from werk.inputs import claims
from werk.stats import models

__all__ = [
    "params_path",  # and PARAMS, computed on access (__getattr__)
    "COLUMNS",
    "ITEM_COLUMNS",
    "item_columns",
    "DEFAULT_SEED",
    "DEFAULT_N",
    "MIN_CELL",
    "CALIBRATION_ROWS",
    "load_params",
    "resolve_params",
    "generate",
    "to_csv",
    "write",
    "fit",
    "check_disclosure",
    "rake",
    "RELATED",
    "null_pvalues",
    "plausibility",
    "plausibility_text",
    "report",
]

COLUMNS = list(codebook.VARIABLES)
#: The item columns of the default twin, after :data:`COLUMNS` (a fitted twin may have other numbers).
ITEM_COLUMNS = list(codebook.ITEMS)
#: Default offsets of the items' means from the scale score (scored direction), for four items.
ITEM_OFFSETS = [0.12, -0.18, 0.04, 0.02]
#: Default relative spread of the items around the score: items differ in how well they measure the scale, and
#: a reverse-keyed item measures it least well (REVERSE_SPREAD times its place's spread).
ITEM_SPREAD = [0.85, 1.1, 0.95, 1.0]
REVERSE_SPREAD = 1.35
DEFAULT_SEED = 20190101
DEFAULT_N = 5391
MIN_CELL = 10
#: The youngest age at which a year in government counts (a first job after compulsory schooling).
ENTRY_AGE = 16
#: Width in hours of the bins in which `werk synth fit` keeps the contract weeks that are not usual ones.
SPREAD_BIN = 4
#: The cells the survey weights are calibrated in (raked to the margins of each).
WEIGHT_MARGINS = ["sector", "age_group", "gender"]
CALIBRATION_ROWS = 50_000
SCALES = list(codebook.SCALES)
TENURE = ["age", "years_in_government", "years_in_function"]
#: What the scale scores are conditioned on: age, tenure and the background variables (the latent correlations
#: of the parameter file link them; an unlisted pair has no direct link).
CONDITION = TENURE + ["education", "income", "manager", "gender", "contract_hours", "permanent_contract",
                      "multiple_jobs"]
COPULA = [
    "age", "gender", "education", "income", "permanent_contract", "manager", "multiple_jobs",
    "contract_hours", "gov_share", "function_share",
]
CATEGORICAL = ["sector", "gender", "education", "income", "permanent_contract", "manager", "multiple_jobs"]
INTEGER = ["respondent_id", "sector", "age", "gender", "education", "income", "permanent_contract", "manager",
           "multiple_jobs", "contract_hours", "years_in_government", "years_in_function", "threat", "keep_up"]
_ITERATIONS = 12
#: Rounds in which the cuts of fitted item margins are moved until the twin's answer shares meet them.
MARGIN_ROUNDS = 40
_TOL = 0.0005
#: How often the outcome noise may be drawn again until the article's no-effect claims hold in the sample.
NULL_DRAWS = 20
NULL_ALPHA = 0.05


def progress(msg: str, quiet: bool = False) -> None:
    if not quiet:
        print(f"werk synth: {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------- parameters


def _published() -> dict:
    return {cid: c.get("value") for cid, c in claims.by_id().items()}


def resolve_params(raw: dict) -> dict:
    """Replace ``"@<id>"`` references by published values and ``rest`` by the remainder of 100."""
    pub = _published()

    def walk(x, where):
        if isinstance(x, dict):
            out = {k: walk(v, f"{where}.{k}") for k, v in x.items()}
            rest = [k for k, v in out.items() if v == "rest"]
            if rest:
                if len(rest) > 1:
                    raise WerkError(f"params {where}: more than one 'rest'")
                out[rest[0]] = round(100.0 - sum(v for k, v in out.items() if k != rest[0]), 6)
            return out
        if isinstance(x, list):
            return [walk(v, where) for v in x]
        if isinstance(x, str) and x.startswith("@"):
            key = x[1:]
            if pub.get(key) is None:
                raise WerkError(f"params {where}: {key!r} is not a numeric id of {paths.PUBLISHED.name}")
            return float(pub[key])
        return x

    return walk(raw, "params")


def params_path() -> Path:
    """The project's twin parameters: ``data/twin_params.yml`` below :func:`werk.core.paths.root`."""
    return paths.DATA / "twin_params.yml"


def __getattr__(name: str):
    # PARAMS follows the project root, as werk.core.paths does: computed on access, never at import.
    if name == "PARAMS":
        return params_path()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load_params(path: str | Path | None = None) -> dict:
    """Read a parameter file (default :data:`PARAMS`), resolve it and check it discloses no small cell."""
    path = Path(path) if path is not None else params_path()
    try:
        with open(path, encoding="utf-8") as fh:
            raw = load_yaml(fh)
    except OSError as exc:
        raise WerkError(f"cannot read parameter file {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise WerkError(f"parameter file {path} is not valid YAML: {exc}") from None
    if not isinstance(raw, dict) or "marginals" not in raw or "models" not in raw:
        raise WerkError(f"parameter file {path} lacks the sections 'marginals' and 'models'")
    params = resolve_params(raw)
    check_disclosure(params)
    return params


def _pairs(d: dict | None) -> dict[tuple[str, str], float]:
    return {tuple(k.split("~")): float(v) for k, v in (d or {}).items()}


# ---------------------------------------------------------------------------------------------- helpers


def _counts(shares, n: int) -> np.ndarray:
    """Exact counts for shares (percent) summing to n, by largest remainder."""
    p = np.asarray(shares, float)
    p = p / p.sum() * n
    c = np.floor(p).astype(np.int64)
    short = n - c.sum()
    if short:
        c[np.argsort(-(p - c), kind="stable")[:short]] += 1
    return c


def _by_rank(latent: np.ndarray, values: np.ndarray, observed: np.ndarray | None = None) -> np.ndarray:
    """Give the sorted ``values`` to the observed rows in the order of ``latent``; NaN elsewhere."""
    out = np.full(len(latent), np.nan)
    idx = np.flatnonzero(observed) if observed is not None else np.arange(len(latent))
    order = idx[np.argsort(latent[idx], kind="stable")]
    out[order] = np.sort(values)
    return out


def _categories(latent, shares: dict, observed=None) -> np.ndarray:
    codes = sorted(shares, key=lambda k: float(k) if not isinstance(k, str) else k)
    m = int(observed.sum()) if observed is not None else len(latent)
    counts = _counts([shares[c] for c in codes], m)
    values = np.repeat(np.array([float(c) for c in codes]), counts)
    return _by_rank(latent, values, observed)


def _nearest_corr(c: np.ndarray) -> np.ndarray:
    """Clip a symmetric matrix to positive definite, unit diagonal."""
    c = (c + c.T) / 2
    w, v = np.linalg.eigh(c)
    if w.min() < 1e-4:
        c = (v * np.maximum(w, 1e-4)) @ v.T
        d = np.sqrt(np.diag(c))
        c = c / np.outer(d, d)
    return c


def _z(x: np.ndarray) -> np.ndarray:
    return (x - x.mean()) / x.std()


def _grid(latent: np.ndarray, mean: float, sd: float, items: int = 4) -> np.ndarray:
    return np.clip(np.floor(items * (mean + sd * latent) + 0.5) / items, 1.0, 5.0)


def _mean_sd(x):
    x = x[~np.isnan(x)]
    return float(x.mean()), float(x.std(ddof=1))


# ---------------------------------------------------------------------------------------------- stages


def _nonresponse(rng, n: int, spec: dict) -> dict[str, np.ndarray]:
    """Observed masks per item; nonresponse clusters in a share of 'skippers'."""
    s = float(spec.get("skippers", 0.05))
    part = float(spec.get("skipper_part", 0.7))
    skipper = rng.random(n) < s
    observed = {}
    for item, rate in (spec.get("items") or {}).items():
        rate = float(rate)
        hi = min(0.95, part * rate / s) if s > 0 else 0.0
        lo = (rate - s * hi) / (1 - s)
        u = rng.random(n)
        observed[item] = ~(u < np.where(skipper, hi, lo))
    return observed


def _mask(observed, name, n):
    return observed.get(name, np.ones(n, bool))


def _copula(rng, n: int, pairs: dict) -> dict[str, np.ndarray]:
    k = len(COPULA)
    c = np.eye(k)
    for (a, b), r in pairs.items():
        i, j = COPULA.index(a), COPULA.index(b)
        c[i, j] = c[j, i] = r
    chol = np.linalg.cholesky(_nearest_corr(c))
    z = rng.standard_normal((n, k)) @ chol.T
    return {name: z[:, i] for i, name in enumerate(COPULA)}


def _ages(rng, n: int, groups: dict, age_max: int, decline: float = 0.5) -> np.ndarray:
    """Ages in whole years: uniform within each closed group, falling off by ``decline`` per year in the open
    top group (few work past the state pension age, 66 in 2019), never above ``age_max``."""
    keys = [g[0] for g in codebook.AGE_GROUPS]
    bounds = {g[0]: (g[1], min(g[2], age_max)) for g in codebook.AGE_GROUPS}
    codes = [k for k in keys if k in groups]
    counts = _counts([groups[k] for k in codes], n)
    parts = []
    for k, c in zip(codes, counts):
        years = np.arange(bounds[k][0], bounds[k][1] + 1)
        p = decline ** (years - years[0]) if k == keys[-1] else np.ones(len(years))
        parts.append(rng.choice(years, size=c, p=p / p.sum()))
    return np.concatenate(parts).astype(float)


def _contract_hours(rng, n: int, spec: dict) -> np.ndarray:
    """Contract hours: the usual weeks (``modes``, percent of the valid answers) and the rest spread evenly
    over whole hours from ``spread_low`` to ``spread_high``. Drawn, not calibrated: the printed SD of 20 hours
    cannot hold on a week of at most 40 hours (the audit's Bhatia-Davis check), and the twin does not pretend
    it can."""
    modes = {float(h): float(share) for h, share in (spec.get("modes") or {}).items()}
    if not modes:
        raise WerkError("params moments.contract_hours: no 'modes' (the usual weekly hours and their shares)")
    rest = 100.0 - sum(modes.values())
    if rest < -1e-9:
        raise WerkError(f"params moments.contract_hours: the modes' shares add up to {100 - rest:g}% "
                        "(over 100)")
    # The rest: in bins of SPREAD_BIN hours ({start: percent}, from `werk synth fit`), or evenly from
    # spread_low to spread_high; within a bin evenly over the whole hours that are not usual weeks.
    low, high = int(spec.get("spread_low", 8)), int(spec.get("spread_high", 39))
    bins = {int(k): float(v) for k, v in (spec.get("spread") or {}).items()} or {low: max(rest, 0.0)}
    starts = sorted(bins)
    ends = [b - 1 for b in starts[1:]] + [high]  # a bin runs to the next one's start
    values, p = list(modes), list(modes.values())
    for start, end in zip(starts, ends):
        share = bins[start]
        hours = [float(h) for h in range(start, end + 1) if float(h) not in modes]
        if not hours:
            raise WerkError(f"params moments.contract_hours: the spread bin from {start} h holds only "
                            "usual weeks")
        values += hours
        p += [share / len(hours)] * len(hours)
    p = np.asarray(p, float)
    return rng.choice(np.asarray(values, float), size=n, p=p / p.sum())


def _weight_cells(df: pd.DataFrame) -> pd.Series:
    """Each respondent's weighting cell, "sector|age group|gender" (missing parts as "?")."""
    parts = [df["sector"], codebook.age_group(df["age"]).astype(object), df["gender"]]
    return pd.Series(["|".join("?" if pd.isna(v) else str(int(v)) if isinstance(v, float) else str(v)
                                for v in row) for row in zip(*parts)], index=df.index)


def rake(df: pd.DataFrame, start: np.ndarray, margins: dict, iterations: int = 100) -> np.ndarray:
    """Iterative proportional fitting: weights from ``start`` whose weighted shares meet every margin.

    ``margins`` maps a variable of :data:`WEIGHT_MARGINS` to {code: percent of the population}; respondents
    with a missing value keep their weight for that margin.
    """
    w = np.asarray(start, float).copy()
    cols = {"sector": df["sector"].to_numpy(float), "gender": df["gender"].to_numpy(float)}
    groups = codebook.age_group(df["age"]).astype(object)
    cols["age_group"] = groups.where(groups.notna(), None).to_numpy()
    for _ in range(iterations):
        worst = 0.0
        for var, shares in margins.items():
            x = cols[var]
            known = np.array([v is not None and v == v for v in x])
            total = w[known].sum()
            for code, share in shares.items():
                key = code if var == "age_group" else float(code)
                member = known & (x == key)
                got = w[member].sum()
                if got > 0:
                    want = float(share) / 100 * total
                    worst = max(worst, abs(got - want) / total)
                    w[member] *= want / got
        if worst < 1e-9:
            break
    return w


def _weights(df: pd.DataFrame, spec: dict) -> np.ndarray:
    """Survey weights calibrated to population margins, as CBS's are: a start weight per cell (the cell means
    of a real file's weights, from ``werk synth fit``, or 1), raked to ``population`` margins, trimmed to
    ``trim`` and scaled to mean 1."""
    start = np.ones(len(df))
    cells = spec.get("cells") or {}
    if cells:
        start = _weight_cells(df).map(lambda c: float(cells.get(c, 1.0))).to_numpy(float)
    margins = spec.get("population") or {}
    unknown = set(margins) - set(WEIGHT_MARGINS)
    if unknown:
        raise WerkError(f"params weights.population: unknown margins {', '.join(sorted(unknown))}; "
                        f"known: {', '.join(WEIGHT_MARGINS)}")
    w = rake(df, start, margins) if margins else start
    lo, hi = (float(t) for t in spec.get("trim", (0.2, 5.0)))
    w = w / w.mean()
    w = np.clip(w, lo, hi)
    return np.round(w / w.mean(), 4)


def _fit_on(base, z, observed, spec):
    theta = optimize.least_squares(
        lambda t: [
            (x := (base * special.expit(t[0] + t[1] * z))[observed]).mean() - spec["mean"],
            x.std(ddof=1) - spec["sd"],
        ],
        x0=[0.0, 1.0], bounds=([-10, 0.01], [10, 20]),
    ).x
    return base * special.expit(theta[0] + theta[1] * z)


def _calibrate_all(params: dict) -> bool:
    """``calibrate: all`` (what ``werk synth fit`` writes): every listed target is met on the realized sample.
    ``printed`` (the default twin): only what the article prints; the rest are population values and the
    sample shows them with its sampling noise."""
    mode = params.get("calibrate", "printed")
    if mode not in ("all", "printed"):
        raise WerkError(f"params calibrate: {mode!r} is neither 'all' nor 'printed'")
    return mode == "all"


def _printed() -> dict[str, set]:
    """What the article prints, by kind: correlation pairs, model terms with a beta, terms claimed null."""
    out: dict[str, set] = {"r": set(), "beta": set(), "ns": set()}
    for c in claims.by_id().values():
        spec = c.get("spec") or {}
        if c["kind"] == "r":
            out["r"].add((spec["x"], spec["y"]))
        elif c["kind"] == "beta":
            out["beta"].add((spec["model"], spec["term"]))
        elif c["kind"] == "ns":
            out["ns"].update((spec["model"], t) for t in spec["terms"])
    return out


def _scale_targets(params: dict, df: pd.DataFrame) -> list[tuple[str, str, float, bool]]:
    """Correlation targets (a, b, r, calibrated) for the scale stage, employability's with tenure from the
    model betas (calibrated together, since the article prints two of the three)."""
    targets = {k: v for k, v in _pairs(params.get("correlations")).items()}
    betas = (params.get("models") or {}).get("employability") or {}
    derived = set()
    if betas:
        data = df[TENURE + ["employability"]].dropna() if "employability" in df else df[TENURE].dropna()
        r_dd = np.corrcoef(data[TENURE].to_numpy(float).T)
        b = np.array([float(betas.get(t, 0.0)) for t in TENURE])
        for t, r in zip(TENURE, r_dd @ b):  # corr(x, y) = R_xx beta for standardized OLS
            targets[(t, "employability")] = float(r)
            derived.add((t, "employability"))
    everything = _calibrate_all(params)
    printed = _printed()["r"]
    return [(a, b, r, everything or (a, b) in derived or (a, b) in printed or (b, a) in printed)
            for (a, b), r in targets.items()]


def _scales(rng, df: pd.DataFrame, params: dict, observed: dict, n_cal: int, quiet: bool
            ) -> tuple[dict, list]:
    """Scale scores on the quarter grid, conditioned on the register and background variables.

    The latent scores are normal given the conditioning variables (as realized), with the latent correlations
    of the parameter file; the calibrated targets (printed correlations) are then moved by (target - achieved)
    until the grid scores meet them. Pairs not listed have no direct latent link but still correlate through
    the variables they share.
    """
    n = len(df)
    spec = params["scales"]
    cond = [c for c in CONDITION if c in df]
    names = cond + SCALES
    k, d = len(names), len(cond)

    def filled(col):
        x = df[col].to_numpy(float)
        return np.where(np.isnan(x), np.nanmean(x), x)

    zd = np.column_stack([_z(filled(t)) for t in cond])
    # A fitted item structure brings the score's shares on its grid (the items' margins need them: the
    # items' answers add up to k times the score); otherwise the latent normal is rounded to the grid.
    grid = {name: spec_i["score"] for name, spec_i in (params.get("items") or {}).items()
            if name in SCALES and spec_i.get("score")}
    e = rng.standard_normal((n, len(SCALES)))
    targets = _scale_targets(params, df)
    unknown = {x for a, b, _, _ in targets for x in (a, b)} - set(names) - {"hrm_leadership"}
    if unknown:
        raise WerkError(f"params correlations: unknown variables {', '.join(sorted(unknown))}")
    latent = np.eye(k)
    latent[:d, :d] = np.corrcoef(zd.T)
    for a, b, r, _ in targets:  # start at the targets (hrm_leadership pairs shared by both parts)
        for x in (["hrm_quality", "leadership"] if a == "hrm_leadership" else [a]):
            i, j = names.index(x), names.index(b)
            latent[i, j] = latent[j, i] = r

    def draw(lat, rows):
        lat = _nearest_corr(lat)
        ldd, lsd = lat[:d, :d], lat[d:, :d]
        b = lsd @ np.linalg.inv(ldd)
        res = _nearest_corr_cov(lat[d:, d:] - b @ ldd @ b.T)
        s = zd[rows] @ b.T + e[rows] @ np.linalg.cholesky(res).T
        return {name: _categories(s[:, i], grid[name]) if name in grid else
                _grid(s[:, i], spec[name]["mean"], spec[name]["sd"]) for i, name in enumerate(SCALES)}

    def achieved(scores, rows):
        frame = pd.DataFrame({t: df[t].to_numpy(float)[rows] for t in cond})
        for name in SCALES:
            frame[name] = np.where(_mask(observed, name, n)[rows], scores[name], np.nan)
        for t in TENURE:
            frame[t] = np.where(_mask(observed, t, n)[rows], frame[t], np.nan)
        frame = models.with_derived(frame)
        corr = frame.corr()
        return [float(corr.loc[a, b]) for a, b, _, _ in targets]

    rows = slice(0, n_cal)
    live = [t for t in targets if t[3]]
    for it in range(_ITERATIONS if live else 0):
        got = achieved(draw(latent, rows), rows)
        gap = max(abs(r - g) for (_, _, r, c), g in zip(targets, got) if c)
        progress(f"  scales round {it + 1}: largest gap of a calibrated correlation {gap:.4f}", quiet)
        if gap < _TOL:
            break
        for (a, b, r, c), g in zip(targets, got):
            if not c:
                continue
            for x in (["hrm_quality", "leadership"] if a == "hrm_leadership" else [a]):
                i, j = names.index(x), names.index(b)
                latent[i, j] = latent[j, i] = latent[i, j] + (r - g)
    return draw(latent, slice(None)), targets


def _nearest_corr_cov(c: np.ndarray) -> np.ndarray:
    c = (c + c.T) / 2
    w, v = np.linalg.eigh(c)
    return (v * np.maximum(w, 1e-3)) @ v.T


def _design(df: pd.DataFrame, terms: list[str]) -> np.ndarray:
    cols = []
    for t in terms:
        if t.startswith("sector="):
            x = (df["sector"].to_numpy(float) == int(t.split("=")[1])).astype(float)
        else:
            x = df[t].to_numpy(float)
        x = np.where(np.isnan(x), np.nanmean(x), x)
        sd = x.std()
        cols.append((x - x.mean()) / sd if sd > 0 else x * 0)
    return np.column_stack(cols)


def _ols_p(xs: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Two-sided p-values of the columns of a standardized design, and the residual sum of squares."""
    ys = (y - y.mean()) / y.std()
    xtx = np.linalg.inv(xs.T @ xs)
    b = xtx @ xs.T @ ys
    resid = ys - xs @ b
    dof = len(ys) - xs.shape[1] - 1
    rss = float(resid @ resid)
    t = b / np.sqrt(rss / dof * np.diag(xtx))
    return 2 * stats.t.sf(np.abs(t), dof), rss


def _outcome(rng, df: pd.DataFrame, name: str, params: dict, observed: dict, n_cal: int, quiet: bool):
    """Ordinal outcome of the linear predictor ``z @ b + noise``, cut at the target shares.

    The population betas are the parameter file's. The calibrated ones (the article's printed betas; every
    listed beta with ``calibrate: all``) are then moved by (target - achieved) on this sample until it shows
    them: only the outcome changes between rounds, so the standardized betas on the complete cases are a fixed
    linear map of the standardized outcome (the same numbers ``models.fit`` returns). The other betas keep
    their population values and the sample shows them with its own sampling noise.

    Where the article claims no effect, the draw is kept only if the sample shows none (p > .05, and the joint
    F test for the sector): otherwise the noise is drawn again (at most :data:`NULL_DRAWS` times). That is a
    draw conditioned on the article's claims, not a fit: the null p-values spread as one such sample's would.
    """
    n = len(df)
    outcome, predictors, _ = models.MODELS[name]
    sectors = [f"sector={c}" for c in sorted(params["marginals"]["sector"])[1:]]
    terms = list(predictors) + sectors
    given = params["models"].get(name, {}) or {}
    unknown = set(given) - set(terms)
    if unknown:
        raise WerkError(f"params models.{name}: unknown terms {', '.join(sorted(unknown))}")
    target = np.array([float(given.get(t, 0.0)) for t in terms])
    everything = _calibrate_all(params)
    printed = _printed()
    cal = np.array([everything or (name, t) in printed["beta"] for t in terms])
    nulls = [] if everything else [i for i, t in enumerate(terms) if (name, t) in printed["ns"]]
    null_sector = not everything and (name, "sector") in printed["ns"]
    z = _design(df, terms)
    shares = params["marginals"][outcome]
    obs = _mask(observed, outcome, n)
    complete = df[list(predictors) + ["sector"]].notna().all(axis=1).to_numpy() & obs
    rows = slice(0, n_cal)
    r = np.corrcoef(z[rows].T)
    cc = complete[rows]
    x = z[rows][cc]
    sd = x.std(axis=0)
    live = sd > 0
    xs = (x[:, live] - x[:, live].mean(axis=0)) / sd[live]
    proj = np.linalg.solve(xs.T @ xs, xs.T)
    xa = z[complete][:, live]
    xa = (xa - xa.mean(axis=0)) / xa.std(axis=0)
    col = np.cumsum(live) - 1  # term index -> column of xa
    no_sector = [col[i] for i, t in enumerate(terms) if live[i] and t not in sectors]

    def cut(b, noise, rows):
        q = float(b @ r @ b)
        if q >= 0.98:
            raise WerkError(f"model {name}: the target betas imply R² ≥ 1 ({q:.2f}); they cannot all hold")
        eta = z[rows] @ (b / np.sqrt(1 - q)) + noise[rows]
        return _categories(eta, shares, obs[rows])

    def achieved(b, noise):
        y = cut(b, noise, rows)[cc]
        out = np.zeros(len(terms))
        out[live] = proj @ ((y - y.mean()) / y.std())
        return out

    def failed_nulls(y):
        y = y[complete]
        p, rss = _ols_p(xa, y)
        failed = [terms[i] for i in nulls if live[i] and p[col[i]] <= NULL_ALPHA]
        if null_sector:
            _, rss0 = _ols_p(xa[:, no_sector], y)
            q, dof = xa.shape[1] - len(no_sector), len(y) - xa.shape[1] - 1
            if stats.f.sf((rss0 - rss) / q / (rss / dof), q, dof) <= NULL_ALPHA:
                failed.append("sector")
        return failed

    for attempt in range(1, NULL_DRAWS + 1):
        noise = rng.standard_normal(n)
        bstar, best = target.copy(), (np.inf, target)
        rounds = 0
        for _ in range(_ITERATIONS if cal.any() else 0):
            rounds += 1
            got = achieved(bstar, noise)
            gap = float(np.abs(target - got)[live & cal].max())
            if gap < best[0]:
                best = (gap, bstar)
            if gap < _TOL:
                break
            bstar = bstar + np.where(cal, target - got, 0.0)
        progress(f"  {name} draw {attempt}: largest gap of a printed beta {best[0]:.4f} "
                 f"after {rounds} rounds", quiet)
        y = cut(best[1], noise, slice(None))
        failed = failed_nulls(y) if (nulls or null_sector) else []
        if not failed:
            break
        progress(f"  {name} draw {attempt}: no-effect claim{'s' if len(failed) > 1 else ''} "
                 f"{', '.join(failed)} significant in this draw; drawing the noise again", quiet)
    return y


def generate(params: dict | str | Path | None = None, seed: int = DEFAULT_SEED, n: int = DEFAULT_N,
             quiet: bool = True) -> pd.DataFrame:
    """Draw a synthetic twin in the canonical layout (codebook column order).

    Parameters
    ----------
    params : dict, path or None
        Resolved parameters (:func:`load_params`), a parameter file, or None for :data:`PARAMS`.
    seed : int
        Seed of the single ``numpy.random.default_rng`` behind every draw.
    n : int
        Number of respondents.
    quiet : bool
        Print a progress line per stage to stderr when False.
    """
    if quiet and (params is None or isinstance(params, (str, Path))):
        return _twin(str(Path(params) if params is not None else params_path()), seed, n)
    return _draw(params, seed, n, quiet)


# The sector editions show the full twin's plausibility and facts beside their own sector's numbers: drawn
# once per build for every edition and language (werk.core.memo), from the bytes of the parameter file.
@memo.kept(files=lambda path, *_: [path])
def _twin(path: str, seed: int, n: int) -> pd.DataFrame:
    return _draw(path, seed, n, True)


def _draw(params, seed: int, n: int, quiet: bool) -> pd.DataFrame:
    if params is None or isinstance(params, (str, Path)):
        params = load_params(params)
    if n < 50:
        raise WerkError(f"--n {n}: a twin needs at least 50 respondents")
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    marg, mom = params["marginals"], params["moments"]
    n_cal = min(n, CALIBRATION_ROWS)

    observed = _nonresponse(rng, n, params.get("nonresponse") or {})
    progress(f"nonresponse masks for {len(observed)} items ({time.perf_counter() - t0:.2f} s)", quiet)

    lat = _copula(rng, n, _pairs(params.get("copula")))
    df = pd.DataFrame({"respondent_id": np.arange(1, n + 1, dtype=np.int64)})
    sector = np.repeat(np.array(sorted(marg["sector"]), dtype=np.int64), _counts(
        [marg["sector"][k] for k in sorted(marg["sector"])], n))
    df["sector"] = rng.permutation(sector)
    df["age"] = _by_rank(lat["age"], _ages(rng, n, marg["age_group"], int(params.get("age_max", 67)),
                                           float(params.get("age_decline", 0.5))))
    for name in ["gender", "education", "income", "permanent_contract", "manager", "multiple_jobs"]:
        df[name] = _categories(lat[name], marg[name], _mask(observed, name, n))
    hours = _contract_hours(rng, int(_mask(observed, "contract_hours", n).sum()), mom["contract_hours"])
    df["contract_hours"] = _by_rank(lat["contract_hours"], hours, _mask(observed, "contract_hours", n))
    # Years in government fit between the first possible job and today: nobody starts before entry_age.
    room = df["age"].to_numpy() - float(params.get("entry_age", ENTRY_AGE))
    gov = _fit_on(room, lat["gov_share"], _mask(observed, "years_in_government", n),
                  mom["years_in_government"])
    fun = _fit_on(gov, lat["function_share"], _mask(observed, "years_in_function", n),
                  mom["years_in_function"])
    df["years_in_government"] = np.floor(gov + 0.5)
    df["years_in_function"] = np.floor(fun + 0.5)
    df["weight"] = _weights(df, params.get("weights") or {})
    progress(f"demographics, tenure and weights ({time.perf_counter() - t0:.2f} s)", quiet)

    scores, _ = _scales(rng, df, params, observed, n_cal, quiet)
    for name in SCALES:
        df[name] = scores[name]
    progress(f"scales ({time.perf_counter() - t0:.2f} s)", quiet)

    # Outcomes are cut with the predictors' nonresponse already applied (what the models see).
    full = df.copy()
    for item, obs in observed.items():
        if item in full and item not in ("threat", "keep_up"):
            full[item] = np.where(obs, full[item], np.nan)
    for name in ("threat", "keep_up"):
        full[name] = _outcome(rng, full, name, params, observed, n_cal, quiet)
        progress(f"{name} ({time.perf_counter() - t0:.2f} s)", quiet)
    items = _items(rng, full, params, quiet)
    full = pd.concat([full[COLUMNS], items], axis=1)
    full["respondent_id"] = full["respondent_id"].astype(np.int64)
    full["sector"] = full["sector"].astype(np.int64)
    return full


# ---------------------------------------------------------------------------------------------- items


def _allocate(p: np.ndarray, total: np.ndarray, low: int = codebook.ITEM_LOW, high: int = codebook.ITEM_HIGH
              ) -> np.ndarray:
    """Whole answers from ``low`` to ``high``, as close to the propensities ``p`` (rows) as may be, that add
    up to ``total`` in every row: round, then move the answers rounding moved most, one step at a time."""
    x = np.clip(np.floor(p + 0.5), low, high)
    for _ in range(p.shape[1] * (high - low)):
        short = total - x.sum(axis=1)
        if not short.any():
            break
        up = np.where(x < high, p - x, -np.inf).argmax(axis=1)
        down = np.where(x > low, p - x, np.inf).argmin(axis=1)
        rows = np.arange(len(x))
        x[rows[short > 0], up[short > 0]] += 1
        x[rows[short < 0], down[short < 0]] -= 1
    return x


def _fit_sums(p: np.ndarray, x: np.ndarray, bounds: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Move answers one step at a time until every row adds up to ``total``: up the answer whose propensity
    is nearest the cut above it, down the one nearest the cut below (``bounds``: items x (categories + 1),
    from -inf to +inf)."""
    low, high = codebook.ITEM_LOW, codebook.ITEM_HIGH
    cols = np.arange(p.shape[1])[None, :]
    rows = np.arange(len(p))
    for _ in range(p.shape[1] * (high - low)):
        short = total - x.sum(axis=1)
        if not short.any():
            break
        idx = (x - low).astype(int)
        up = np.where(x < high, bounds[cols, idx + 1] - p, np.inf).argmin(axis=1)
        down = np.where(x > low, p - bounds[cols, idx], np.inf).argmin(axis=1)
        x[rows[short > 0], up[short > 0]] += 1
        x[rows[short < 0], down[short < 0]] -= 1
    return x


def _cut_allocate(p: np.ndarray, total: np.ndarray, margins: list[dict], rounds: int = _ITERATIONS
                  ) -> np.ndarray:
    """Whole answers whose shares are ``margins`` (per item {answer: percent}, as `werk synth fit` keeps
    them) and whose rows add up to ``total``: each item's propensities ``p`` are cut at its cumulative
    shares, the rows are brought to their totals (:func:`_fit_sums`), and the cuts are moved by (target -
    achieved) cumulative share, read off the propensities' quantiles, until the shares are met."""
    codes = np.arange(codebook.ITEM_LOW, codebook.ITEM_HIGH + 1)
    want = np.array([[float((m or {}).get(c, (m or {}).get(str(c), 0.0))) for c in codes] for m in margins])
    if (want < 0).any() or (want.sum(axis=1) <= 0).any():
        raise WerkError("params items: an item's answer shares must be percentages adding up to more than 0")
    cum = np.cumsum(want / want.sum(axis=1, keepdims=True), axis=1)[:, :-1]
    k, m = p.shape[1], len(codes)

    def quantile(j, q):
        return np.quantile(p[:, j], np.clip(q, 0.0, 1.0))

    cuts = np.array([quantile(j, cum[j]) for j in range(k)])
    best, step, last = (np.inf, None), 1.0, np.inf
    for _ in range(rounds):
        inner = np.maximum.accumulate(cuts, axis=1)
        bounds = np.column_stack([np.full(k, -np.inf), inner, np.full(k, np.inf)])
        x = codebook.ITEM_LOW + (p[:, :, None] > bounds[None, :, 1:m]).sum(axis=2).astype(float)
        x = _fit_sums(p, x, bounds, total)
        got = np.array([[(x[:, j] <= c).mean() for c in codes[:-1]] for j in range(k)])
        gap = float(np.abs(got - cum).max())
        if gap < best[0]:
            best = (gap, x)
        if gap <= 0.5 / len(p):
            break
        # The rows' totals push back on the cuts, so a full step can overshoot: halve it when the gap grows.
        step, last = (step / 2 if gap > last else step), gap
        cuts = cuts + step * np.array([quantile(j, cum[j]) - quantile(j, got[j]) for j in range(k)])
    return best[1]


def _alpha(x: np.ndarray) -> float:
    k = x.shape[1]
    return float(k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1)))


def item_columns(scale: str, k: int) -> list[str]:
    """The twin's names of a scale's ``k`` items: ``<scale>_1`` ... (the codebook's, for four)."""
    return [f"{scale}_{j}" for j in range(1, k + 1)]


def _items(rng, df: pd.DataFrame, params: dict, quiet: bool = True) -> pd.DataFrame:
    """The items behind every scale score: whole answers whose mean is the score (see the module docstring).

    Each scale's item answers are ``score + offset + c * e`` allocated to whole answers with the row's sum
    fixed; ``e`` has the within-person covariance of the items (from ``werk synth fit``, else exchangeable),
    and ``c`` is found by bisection so that the scale's alpha is the target. A missing score has no items.
    """
    n = len(df)
    out = {}
    for scale in SCALES:
        spec = (params.get("items") or {}).get(scale) or {}
        k = int(spec.get("k", len(codebook.scale_items(scale))))
        offsets = np.asarray(spec.get("offsets", ITEM_OFFSETS if k == 4 else [0.0] * k), float)
        offsets = offsets - offsets.mean()
        target = float(spec.get("alpha", codebook.TARGET_ALPHA[scale]))
        centre = np.eye(k) - 1.0 / k
        if "cov" in spec:
            cov = np.asarray(spec["cov"], float)
        else:
            spread = np.asarray(ITEM_SPREAD if k == 4 else [1.0] * k, float)
            spread = spread * [REVERSE_SPREAD if name in codebook.reverse_items(scale) else 1.0
                               for name in item_columns(scale, k)]
            cov = np.diag(spread**2)
        within = centre @ cov @ centre  # the items' deviations from their own mean
        w, v = np.linalg.eigh((within + within.T) / 2)
        root = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
        root = root / np.sqrt(np.trace(within) / (k - 1)) if np.trace(within) > 0 else centre
        e = rng.standard_normal((n, k)) @ root.T  # for every row: the draws do not depend on the data
        score = df[scale].to_numpy(float)
        seen = ~np.isnan(score)
        total = np.floor(k * score[seen] + 0.5)
        base = score[seen][:, None] + offsets[None, :]

        margins = spec.get("margins")
        if margins is not None and len(margins) != k:
            raise WerkError(f"params items.{scale}.margins: {len(margins)} items' answer shares for k = {k}")

        def answers(c, rounds=4, base=base, noise=e[seen], total=total, margins=margins):
            # the search for c needs the margins roughly (alpha hardly depends on them); the answers, exactly
            if margins:
                return _cut_allocate(base + c * noise, total, margins, rounds)
            return _allocate(base + c * noise, total)

        lo, hi = 0.0, 4.0
        for _ in range(30):
            mid = (lo + hi) / 2
            if _alpha(answers(mid)) > target:
                lo = mid
            else:
                hi = mid
        x = answers((lo + hi) / 2, rounds=MARGIN_ROUNDS)
        progress(f"  items of {scale}: alpha {_alpha(x):.3f} (target {target:.2f})", quiet)
        for j, name in enumerate(item_columns(scale, k)):
            col = np.full(n, np.nan)
            reverse = name in codebook.ITEMS and codebook.ITEMS[name].reverse
            col[seen] = codebook.ITEM_LOW + codebook.ITEM_HIGH - x[:, j] if reverse else x[:, j]
            out[name] = col
    return pd.DataFrame(out, index=df.index)


# ---------------------------------------------------------------------------------------------- output


def to_csv(df: pd.DataFrame) -> str:
    """The twin as CSV text: fixed column order, integers without '.0', scales with 2 decimals, NaN empty."""
    out = pd.DataFrame(index=df.index)
    items = [c for c in df.columns if c not in COLUMNS]
    for col in COLUMNS + items:
        x = df[col]
        if col in INTEGER or col in items:
            out[col] = pd.array(np.floor(x.to_numpy(float) + 0.5), dtype="Float64").astype("Int64")
        elif col == "weight":
            out[col] = x.map("{:.4f}".format)
        else:
            out[col] = x.astype(float)
    return out.to_csv(index=False, float_format="%.2f", na_rep="", lineterminator="\n")


def write(df: pd.DataFrame, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(to_csv(df).encode("utf-8"))
    return path


# ----------------------------------------------------------------------------------------- fit (real data)


def _code(k):
    return k if isinstance(k, str) else int(k) if float(k).is_integer() else float(k)


def _share_table(x: pd.Series, name: str, n_total: int) -> dict:
    counts = x.dropna().value_counts().sort_index()
    small = counts[(counts > 0) & (counts < MIN_CELL)]
    if len(small):
        code = _code(small.index[0])
        raise WerkError(
            f"disclosure: {name}={code} has {int(small.iloc[0])} respondents (fewer than {MIN_CELL}); "
            f"merge or drop that category before fitting"
        )
    total = counts.sum()
    return {_code(k): round(float(100 * v / total), 4) for k, v in counts.items() if v > 0}


def _merged_shares(x: np.ndarray) -> tuple[dict, dict]:
    """Shares (percent) of the values of ``x``, every kept value on at least :data:`MIN_CELL` respondents.

    A value with fewer is merged into a neighbour (an end value into the one next to it, a middle value into
    the smaller of its two, as the contract hours' bins), again until every kept value has MIN_CELL or more:
    its respondents count, and the twin draws them, as that neighbour's. Returns (shares, merged), merged
    mapping each merged-away value to the value it now counts as.
    """
    values, counts = np.unique(x, return_counts=True)
    groups = [[v] for v in values.tolist()]
    counts = counts.astype(int).tolist()
    while len(counts) > 1 and min(counts) < MIN_CELL:
        i = int(np.argmin(counts))
        if i == 0 or i == len(counts) - 1:
            j = 1 if i == 0 else i - 1
        else:
            j = i - 1 if counts[i - 1] <= counts[i + 1] else i + 1
        counts[j] += counts[i]
        groups[j] += groups[i]
        del counts[i], groups[i]
    total = sum(counts)
    shares, merged = {}, {}
    for group, c in zip(groups, counts):
        keep = group[0]  # the value the group started from: the one with MIN_CELL or more
        shares[_code(keep)] = round(float(100 * c / total), 4)
        merged.update({_code(v): _code(keep) for v in group[1:]})
    return dict(sorted(shares.items())), dict(sorted(merged.items()))


def fit_items(items: dict) -> dict:
    """The item structure of each scale (scored answers, e.g. from :func:`werk.inputs.data.load_items`):
    the number of items, the items' mean offsets from the score, their covariances and alpha, each item's
    answer shares (``margins``, in the items' order) and the shares of the score (the items' mean) on its
    grid of 1/k (``score``), all on the respondents who answered every item, at least :data:`MIN_CELL` of
    them. An answer (or score) given by fewer than MIN_CELL is merged into its neighbour
    (:func:`_merged_shares`); ``merged`` records it per item name ({answer: answer it counts as}), and
    ``score_merged`` for the score."""
    out = {}
    for scale, x in (items or {}).items():
        x = pd.DataFrame(x).dropna()
        if len(x) < MIN_CELL:
            raise WerkError(f"disclosure: only {len(x)} respondents answered every item of {scale} "
                            f"(fewer than {MIN_CELL}); its item structure would disclose them")
        values = x.to_numpy(float)
        bad = ~np.isin(values, np.arange(codebook.ITEM_LOW, codebook.ITEM_HIGH + 1))
        if bad.any():
            row, col = np.argwhere(bad)[0]
            raise WerkError(f"scale {scale}: item {x.columns[col]!r} has the answer {values[row, col]:g} "
                            f"(row {x.index[row]}); the item margins need whole answers from "
                            f"{codebook.ITEM_LOW} to {codebook.ITEM_HIGH}")
        margins, merged = [], {}
        for name, col in zip(x.columns, values.T):
            shares, away = _merged_shares(col)
            margins.append(shares)
            if away:
                merged[str(name)] = away
        k = int(values.shape[1])
        score, score_merged = _merged_shares(np.round(values.sum(axis=1)) / k)
        out[scale] = {
            "k": k,
            "alpha": round(_alpha(values), 4),
            "offsets": [round(float(m), 4) for m in values.mean(axis=0) - values.mean()],
            "cov": [[round(float(c), 4) for c in row] for row in np.cov(values, rowvar=False)],
            "n": int(len(x)),
            "margins": margins,
            "merged": merged,
            "score": score,
            "score_merged": score_merged,
        }
    return out


def fit(df: pd.DataFrame, items: dict | None = None) -> dict:
    """Estimate the twin's parameter set from a canonical data file (aggregates only).

    ``items`` (scale -> its scored item answers, rows as ``df``'s) adds each scale's item structure
    (:func:`fit_items`), so that a twin of the file has items like the file's.

    Raises WerkError naming the cell when any share rests on fewer than :data:`MIN_CELL` respondents.
    """
    n = len(df)
    if n < MIN_CELL:
        raise WerkError(f"disclosure: the file has only {n} respondents")
    data = df.copy()
    data["age_group"] = codebook.age_group(data["age"]).astype(object)
    p: dict = {"version": 2, "calibrate": "all", "n": int(n), "seed": DEFAULT_SEED, "marginals": {}}
    for var in ["sector", "age_group", "gender", "education", "income", "permanent_contract", "manager",
                "multiple_jobs", "threat", "keep_up"]:
        p["marginals"][var] = _share_table(data[var], var, n)
    ages = data["age"].dropna()
    # Top-coded: the age that at least MIN_CELL respondents reach, never one person's age.
    oldest = np.sort(ages.to_numpy())[::-1]
    p["age_max"] = int(np.clip(oldest[MIN_CELL - 1], 65, 75)) if len(oldest) >= MIN_CELL else 70
    hours = data["contract_hours"].dropna()
    # The usual weeks: every whole-hour value that at least 2% and MIN_CELL respondents give; the rest is
    # spread evenly over the range that holds all but the MIN_CELL shortest and longest weeks.
    counts = hours.round().value_counts()
    usual = counts[(counts >= MIN_CELL) & (counts >= 0.02 * len(hours))].sort_index()
    rest = np.sort(hours[~hours.round().isin(usual.index)].to_numpy())
    if 0 < len(rest) < MIN_CELL:
        raise WerkError(f"disclosure: {len(rest)} respondents have an unusual number of contract hours "
                        f"(fewer than {MIN_CELL}); merge them into the usual weeks before fitting")
    bins = (np.floor(rest / SPREAD_BIN) * SPREAD_BIN).astype(int)
    spread = pd.Series(bins).value_counts().sort_index()
    while len(spread) > 1 and spread.min() < MIN_CELL:  # merge the smallest bin into its neighbour
        i = int(np.argmin(spread.to_numpy()))
        j = i - 1 if i == len(spread) - 1 or (i > 0 and spread.iloc[i - 1] < spread.iloc[i + 1]) else i + 1
        keep = min(spread.index[i], spread.index[j])
        total = spread.iloc[i] + spread.iloc[j]
        spread = spread.drop([spread.index[i], spread.index[j]])
        spread[keep] = total
        spread = spread.sort_index()
    p["moments"] = {
        "contract_hours": {
            "mean": round(float(hours.mean()), 4), "sd": round(float(hours.std()), 4),
            "modes": {int(h): round(float(100 * c / len(hours)), 4) for h, c in usual.items()},
            "spread": {int(b): round(float(100 * c / len(hours)), 4) for b, c in spread.items()},
            "spread_high": int(spread.index.max()) + SPREAD_BIN - 1 if len(spread) else 39,
        },
    }
    for var in ["years_in_government", "years_in_function"]:
        x = data[var].dropna()
        p["moments"][var] = {"mean": round(float(x.mean()), 4), "sd": round(float(x.std()), 4)}
    p["scales"] = {s: {"mean": round(float(data[s].mean()), 4), "sd": round(float(data[s].std()), 4)}
                   for s in SCALES}
    # Copula: correlations of normal scores (ranks), pairwise complete.
    lat = pd.DataFrame({c: data[c] for c in COPULA if c in data})
    lat["gov_share"] = data["years_in_government"] / (data["age"] - ENTRY_AGE).where(data["age"] > ENTRY_AGE)
    lat["function_share"] = data["years_in_function"] / data["years_in_government"].where(
        data["years_in_government"] > 0)
    scores = lat.apply(_normal_scores)
    corr = scores.corr(min_periods=MIN_CELL)
    # The generator puts each marginal on a normal latent by ranks; ties (a binary variable, the usual weeks)
    # shrink the correlation of the scores below the latent one, so undo that shrinkage.
    shrink = {c: _tie_shrinkage(lat[c]) for c in lat}
    p["copula"] = {f"{a}~{b}": round(float(np.clip(corr.loc[a, b] / (shrink[a] * shrink[b]), -0.95, 0.95)), 4)
                   for i, a in enumerate(COPULA) for b in COPULA[i + 1:] if np.isfinite(corr.loc[a, b])}
    names = CONDITION + SCALES
    corr = data[names].corr(min_periods=MIN_CELL)
    p["correlations"] = {}
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            # tenure~tenure comes from the copula; tenure~employability from the employability model
            if a in SCALES or b in SCALES:
                if not (a in TENURE and b == "employability") and np.isfinite(corr.loc[a, b]):
                    p["correlations"][f"{a}~{b}"] = round(float(corr.loc[a, b]), 4)
    p["models"] = {}
    for name in ("employability", "threat", "keep_up"):
        res = models.fit(data, name)
        p["models"][name] = {str(t): round(float(b), 4) for t, b in zip(res["term"], res["beta"])}
    skipped = {}
    for var in ["threat", "keep_up", *SCALES, "education", "manager", "contract_hours", "years_in_government",
                "years_in_function", "age", "gender", "income", "permanent_contract", "multiple_jobs"]:
        miss = int(data[var].isna().sum())
        if 0 < miss < MIN_CELL:
            raise WerkError(f"disclosure: nonresponse on {var} is {miss} respondents (fewer than {MIN_CELL})")
        if miss:
            skipped[var] = round(miss / n, 5)
    p["nonresponse"] = {"skippers": 0.05, "skipper_part": 0.7, "items": skipped}
    p["weights"] = _fit_weights(data)
    if items:
        p["items"] = fit_items(items)
    check_disclosure(p)
    return p


def _normal_scores(x: pd.Series) -> pd.Series:
    return pd.Series(stats.norm.ppf((x.rank() - 0.5) / x.count()), index=x.index)


def _tie_shrinkage(x: pd.Series, draws: int = 100_000) -> float:
    """corr(latent, normal score of the latent cut to ``x``'s distribution): 1 for a continuous variable,
    about .8 for a binary one with a share of 16%. A fixed seed keeps fit deterministic."""
    values = np.sort(x.dropna().to_numpy(float))
    if len(values) < 2:
        return 1.0
    z = np.random.default_rng(0).standard_normal(draws)
    cut = values[np.minimum((stats.norm.cdf(z) * len(values)).astype(int), len(values) - 1)]
    return float(np.corrcoef(z, _normal_scores(pd.Series(cut)).to_numpy())[0, 1])


def _fit_weights(data: pd.DataFrame) -> dict:
    """The weights' structure: mean weight per sector × age group × gender cell with at least MIN_CELL
    respondents, and the weighted margins (the population the weights stand for), each on MIN_CELL or more."""
    if "weight" not in data or data["weight"].notna().sum() < MIN_CELL:
        return {}
    d = data[data["weight"].notna()]
    cells = d["weight"].groupby(_weight_cells(d)).agg(["mean", "size"])
    out: dict = {"cells": {c: round(float(m), 4) for c, (m, k) in cells.iterrows()
                           if k >= MIN_CELL and "?" not in c}}
    groups = codebook.age_group(d["age"]).astype(object)
    population = {}
    for var, x in (("sector", d["sector"]), ("age_group", groups), ("gender", d["gender"])):
        size = x.value_counts()
        total = d["weight"].groupby(x).sum()
        population[var] = {_code(k): round(float(100 * v / total.sum()), 4)
                           for k, v in total.items() if size.get(k, 0) >= MIN_CELL}
    out["population"] = population
    w = np.sort(d["weight"].to_numpy()) / d["weight"].mean()  # never one person's weight: the MIN_CELL-th
    out["trim"] = [round(float(w[MIN_CELL - 1]), 4), round(float(w[-MIN_CELL]), 4)]
    return out


def check_disclosure(params: dict) -> None:
    """Refuse parameters with a share that rests on 1 to 9 respondents (marginals, item and score shares)."""
    n = int(params.get("n", DEFAULT_N))
    tables = [(f"{var}=", n, shares) for var, shares in (params.get("marginals") or {}).items()]
    for scale, spec in (params.get("items") or {}).items():
        n_items = int((spec or {}).get("n", n))
        tables += [(f"items.{scale}.margins[{j}]: answer ", n_items, m)
                   for j, m in enumerate(spec.get("margins") or [])]
        tables.append((f"items.{scale}.score: answer ", n_items, spec.get("score") or {}))
    for where, base, shares in tables:
        for code, share in shares.items():
            count = float(share) / 100 * base
            if 0 < count < MIN_CELL - 0.5:
                raise WerkError(
                    f"disclosure: {where}{code} stands for about {count:.0f} of {base} respondents "
                    f"(fewer than {MIN_CELL}); the parameters would disclose it"
                )


def plain(x):
    if isinstance(x, dict):
        return {k: plain(v) for k, v in x.items()}
    if isinstance(x, (np.floating, np.integer)):
        return x.item()
    return x


# ---------------------------------------------------------------------------------------------- report


def _achieved(df: pd.DataFrame, params: dict) -> list[tuple[str, str, float, float, str]]:
    """(quantity, kind, target, achieved, note) for every calibrated quantity."""
    rows = []
    d = df.copy()
    d["age_group"] = codebook.age_group(d["age"]).astype(object)
    for var, shares in params["marginals"].items():
        valid = d[var].dropna()
        for code, share in shares.items():
            rows.append((f"share:{var}={code}", "share %", float(share),
                         float(100 * (valid == code).mean()), ""))
    for var, spec in params["moments"].items():
        m, s = _mean_sd(d[var].to_numpy(float))
        rows += [(f"mean:{var}", "mean", spec["mean"], m, ""), (f"sd:{var}", "sd", spec["sd"], s, "")]
    everything, printed = _calibrate_all(params), _printed()
    for a, b, r, cal in _scale_targets(params, df):
        got = models.correlation(d, a, b)
        rows.append((f"r:{a}~{b}", "r", r, got["r"],
                     f"p={got['p']:.2g}; {'calibrated' if cal else 'population value (latent)'}"))
    for name in ("employability", "threat", "keep_up"):
        res = models.fit(d, name).set_index("term")
        for term, b in (params["models"].get(name) or {}).items():
            cal = everything or (name, term) in printed["beta"]
            rows.append((f"beta:{name}~{term}", "beta", float(b), float(res.loc[term, "beta"]),
                         f"p={res.loc[term, 'p']:.2g}; {'calibrated' if cal else 'population value'}"))
    for scale in SCALES:
        spec = (params.get("items") or {}).get(scale) or {}
        names = item_columns(scale, int(spec.get("k", len(codebook.scale_items(scale)))))
        if set(names) <= set(df.columns):
            x = d[names].dropna().to_numpy(float, copy=True)
            rev = [j for j, c in enumerate(names) if c in codebook.ITEMS and codebook.ITEMS[c].reverse]
            x[:, rev] = codebook.ITEM_LOW + codebook.ITEM_HIGH - x[:, rev]
            rows.append((f"alpha:{scale}", "alpha", float(spec.get("alpha", codebook.TARGET_ALPHA[scale])),
                         _alpha(x), f"{len(names)} items"))
    for item, rate in (params.get("nonresponse") or {}).get("items", {}).items():
        rows.append((f"nonresponse:{item}", "share %", 100 * float(rate),
                     100 * float(d[item].isna().mean()), ""))
    return rows


#: Pairs of variables that are related in any real staff file; the twin must not show them uncorrelated.
RELATED = [
    ("manager", "contract_hours"), ("manager", "income"), ("gender", "contract_hours"), ("age", "income"),
    ("age", "years_in_government"), ("years_in_government", "years_in_function"), ("education", "income"),
    ("education", "expertise"), ("manager", "leadership"), ("career_self_management", "expertise"),
    ("career_self_management", "adaptability"), ("employability", "expertise"), ("age", "keep_up"),
    ("employability", "threat"), ("hrm_quality", "leadership"), ("permanent_contract", "age"),
]


def null_pvalues(df: pd.DataFrame) -> list[tuple[str, float]]:
    """p of every claimed null effect (the ledger's test: the term's p, the sector's joint F)."""
    out = []
    for c in claims.by_id().values():
        if c["kind"] != "ns":
            continue
        model, terms = c["spec"]["model"], c["spec"]["terms"]
        if terms == ["sector"]:
            out.append((c["id"], float(models.sector_test(df, model)["p"])))
        else:
            res = models.fit(df, model).set_index("term")
            out += [(c["id"], float(res.loc[t, "p"])) for t in terms]
    return out


#: The words of :func:`plausibility` in Dutch (the Dutch book's methods appendix): English -> Dutch.
_PLAUSIBILITY_NL = {
    "contract hours: the most common weeks": "contracturen: de meest voorkomende weken",
    "36 h first; 40, 32 and 24 among the usual":
        "36\u00a0u voorop; 40\u00a0u, 32\u00a0u en 24\u00a0u gebruikelijk",
    "contract hours: weeks over 40 h": "contracturen: weken van meer dan 40\u00a0u",
    "none": "geen",
    "contract hours: SD": "contracturen: standaardafwijking",
    "at most 13\u00a0h on 0–40\u00a0h (Bhatia–Davis)": "hooguit 13\u00a0u bij 0–40\u00a0u (Bhatia–Davis)",
    "age range": "leeftijdsbereik",
    "working ages of 2019 (to 67)": "werkende leeftijden van 2019 (tot 67)",
    "started in government before 16": "vóór 16 jaar bij de overheid begonnen",
    "nobody": "niemand",
    "started in government before 18": "vóór 18 jaar bij de overheid begonnen",
    "under 3%": "minder dan 3%",
    "years in function above years in government": "meer jaren in de functie dan bij de overheid",
    "aged 25–29 with 10+ years in government": "25–29 jaar met 10 of meer jaren bij de overheid",
    "under 5%": "minder dan 5%",
    "r(age, years in government)": "r(leeftijd, jaren bij de overheid)",
    ".50–.75 (personnel files)": "0,50–0,75 (personeelsbestanden)",
    "r(years in government, years in function)": "r(jaren bij de overheid, jaren in de functie)",
    ".40–.75": "0,40–0,75",
    "weakest correlation of related variables": "zwakste correlatie van samenhangende variabelen",
    "none at 0 (|r| ≥ .03)": "geen op 0 (|r| ≥ 0,03)",
    "weights: mean by sector": "gewichten: gemiddelde per sector",
    "differ (calibrated to the population)": "verschillen (gekalibreerd op de populatie)",
    "weights: r(weight, age)": "gewichten: r(gewicht, leeftijd)",
    "not 0 (the young respond less)": "niet 0 (jongeren reageren minder vaak)",
    "claimed null effects: p-values": "beweerde nuleffecten: p-waarden",
    "spread as one sample's: not all above .5, none above .999":
        "gespreid als in één steekproef: niet alle boven 0,5, geen boven 0,999",
}


def plausibility(df: pd.DataFrame, lang: str = "en") -> list[tuple[str, str, str, bool]]:
    """Is the twin a believable staff file? (check, value, what a real file shows, holds)

    The expectations are ours (codebook.ASSUMPTIONS "twin_plausibility"): a Dutch government workforce of
    2019, contract weeks of at most 40 hours with 36 as the usual full-time week, careers in government that
    start at 16 at the earliest, tenure that follows age, and weights that correct the sample's composition.
    ``lang="nl"`` words the checks in Dutch (the numbers stay in English style; the book localizes them).
    """
    rows = []
    nl = lang == "nl"

    def add(check, value, expect, ok):
        if nl:
            check, expect = _PLAUSIBILITY_NL[check], _PLAUSIBILITY_NL.get(expect, expect)
            value = value.replace("\u00a0h", "\u00a0u").replace(" (median ", " (mediaan ")
        rows.append((check, value, expect, bool(ok)))

    hours = df["contract_hours"].dropna()
    top = hours.value_counts(normalize=True).head(4)
    weeks = ", ".join(f"{h:g}\u00a0h {100 * s:.0f}%" for h, s in top.items())
    add("contract hours: the most common weeks", weeks,
        "36 h first; 40, 32 and 24 among the usual", top.index[0] == 36 and {40, 32} <= set(top.index))
    over = hours > 40
    add("contract hours: weeks over 40 h", f"{100 * over.mean():.1f}%", "none", over.sum() == 0)
    add("contract hours: SD", f"{hours.std():.1f}\u00a0h", "at most 13\u00a0h on 0–40\u00a0h (Bhatia–Davis)",
        hours.std() <= 13)
    age = df["age"]
    add("age range", f"{age.min():g}–{age.max():g}", "working ages of 2019 (to 67)", age.max() <= 67)
    gov, fun = df["years_in_government"], df["years_in_function"]
    start = age - gov
    add("started in government before 16", f"{int((start < ENTRY_AGE).sum())}", "nobody",
        (start < ENTRY_AGE).sum() == 0)
    add("started in government before 18", f"{100 * (start < 18).mean():.1f}%", "under 3%",
        (start < 18).mean() < 0.03)
    add("years in function above years in government", f"{int((fun > gov).sum())}", "nobody",
        (fun > gov).sum() == 0)
    young = df[(age >= 25) & (age <= 29)]
    share = (young["years_in_government"] >= 10).mean()
    add("aged 25–29 with 10+ years in government", f"{100 * share:.1f}%", "under 5%", share < 0.05)
    r = df[["age", "years_in_government", "years_in_function"]].corr()
    add("r(age, years in government)", f"{r.iloc[0, 1]:.2f}", ".50–.75 (personnel files)",
        0.5 <= r.iloc[0, 1] <= 0.75)
    add("r(years in government, years in function)", f"{r.iloc[1, 2]:.2f}", ".40–.75",
        0.4 <= r.iloc[1, 2] <= 0.75)
    corr = df[sorted({v for pair in RELATED for v in pair})].corr()
    flat = [(a, b, float(corr.loc[a, b])) for a, b in RELATED]
    a, b, weakest = min(flat, key=lambda t: abs(t[2]))
    pair = f"{codebook.term_label(a, lang)}, {codebook.term_label(b, lang)}" if nl else f"{a}, {b}"
    add("weakest correlation of related variables", f"r({pair}) = {weakest:.2f}", "none at 0 (|r| ≥ .03)",
        abs(weakest) >= 0.03)
    if "weight" in df and df["weight"].notna().any():
        w = df["weight"]
        by_sector = w.groupby(df["sector"]).mean()
        add("weights: mean by sector", f"{by_sector.min():.2f}–{by_sector.max():.2f}",
            "differ (calibrated to the population)", by_sector.max() - by_sector.min() > 0.2)
        rw = float(np.corrcoef(w, age)[0, 1])
        add("weights: r(weight, age)", f"{rw:.2f}".replace("-", "−"), "not 0 (the young respond less)",
            abs(rw) >= 0.05)
    ps = [p for _, p in null_pvalues(df)]
    if ps:
        add("claimed null effects: p-values", f"{min(ps):.2f}–{max(ps):.2f} (median {np.median(ps):.2f})",
            "spread as one sample's: not all above .5, none above .999",
            min(ps) < 0.5 and max(ps) < 0.999)
    return rows


def plausibility_text(df: pd.DataFrame) -> str:
    rows = plausibility(df)
    w0, w1, w2 = (max(len(r[i]) for r in rows) for i in range(3))
    lines = [f"{'plausibility check':<{w0}}  {'twin':<{w1}}  {'a real file':<{w2}}  holds"]
    lines += [f"{c:<{w0}}  {v:<{w1}}  {e:<{w2}}  {'yes' if ok else 'NO'}" for c, v, e, ok in rows]
    return "\n".join(lines)


def report(df: pd.DataFrame, params: dict) -> str:
    """Target beside achieved for every calibrated quantity, as a fixed-width table."""
    lines = [f"{'quantity':<52} {'kind':<7} {'target':>8} {'twin':>8} {'diff':>7}  note"]
    for q, kind, t, a, note in _achieved(df, params):
        prec = 1 if kind == "share %" else 3
        lines.append(f"{q:<52} {kind:<7} {t:>8.{prec}f} {a:>8.{prec}f} {a - t:>+7.{prec}f}  {note}")
    return "\n".join(lines) + "\n\n" + plausibility_text(df)
