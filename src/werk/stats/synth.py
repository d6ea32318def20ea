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

from werk.core import codebook, paths
from werk.core.errors import WerkError
from werk.inputs import claims
from werk.stats import models

__all__ = [
    "params_path",  # and PARAMS, computed on access (__getattr__)
    "COLUMNS",
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
    "report",
]

COLUMNS = list(codebook.VARIABLES)
DEFAULT_SEED = 20190101
DEFAULT_N = 5391
MIN_CELL = 10
CALIBRATION_ROWS = 50_000
SCALES = list(codebook.SCALES)
TENURE = ["age", "years_in_government", "years_in_function"]
COPULA = [
    "age", "gender", "education", "income", "permanent_contract", "manager", "multiple_jobs",
    "contract_hours", "gov_share", "function_share",
]
CATEGORICAL = ["sector", "gender", "education", "income", "permanent_contract", "manager", "multiple_jobs"]
INTEGER = ["respondent_id", "sector", "age", "gender", "education", "income", "permanent_contract", "manager",
           "multiple_jobs", "contract_hours", "years_in_government", "years_in_function", "threat", "keep_up"]
_ITERATIONS = 12
_TOL = 0.0005


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
            raw = yaml.safe_load(fh)
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


def _ages(rng, n: int, groups: dict, age_max: int) -> np.ndarray:
    keys = [g[0] for g in codebook.AGE_GROUPS]
    bounds = {g[0]: (g[1], min(g[2], age_max)) for g in codebook.AGE_GROUPS}
    codes = [k for k in keys if k in groups]
    counts = _counts([groups[k] for k in codes], n)
    parts = [rng.integers(bounds[k][0], bounds[k][1] + 1, size=c) for k, c in zip(codes, counts)]
    return np.concatenate(parts).astype(float)


def _contract_hours(rng, n: int, spec: dict) -> np.ndarray:
    tail = rng.random(n) < float(spec.get("tail_share", 0.0))
    bulk = np.clip(rng.normal(spec.get("bulk_mean", 32), spec.get("bulk_sd", 6), n),
                   spec.get("bulk_low", 0), spec.get("bulk_high", 40))
    x = np.where(tail, rng.uniform(spec.get("tail_low", 60), spec.get("tail_high", 80), n), bulk)
    for _ in range(4):  # affine calibration to the target mean and SD; the range clip barely moves it
        x = np.clip(spec["mean"] + (x - x.mean()) * spec["sd"] / x.std(ddof=1), 0, 80)
    return np.floor(x + 0.5)


def _fit_on(base, z, observed, spec):
    theta = optimize.least_squares(
        lambda t: [
            (x := (base * special.expit(t[0] + t[1] * z))[observed]).mean() - spec["mean"],
            x.std(ddof=1) - spec["sd"],
        ],
        x0=[0.0, 1.0], bounds=([-10, 0.01], [10, 20]),
    ).x
    return base * special.expit(theta[0] + theta[1] * z)


def _scale_targets(params: dict, df: pd.DataFrame) -> list[tuple[str, str, float]]:
    """Correlation targets (a, b, r) for the scale stage, with employability's from the model betas."""
    targets = {k: v for k, v in _pairs(params.get("correlations")).items()}
    betas = (params.get("models") or {}).get("employability") or {}
    if betas:
        data = df[TENURE + ["employability"]].dropna() if "employability" in df else df[TENURE].dropna()
        r_dd = np.corrcoef(data[TENURE].to_numpy(float).T)
        b = np.array([float(betas.get(t, 0.0)) for t in TENURE])
        for t, r in zip(TENURE, r_dd @ b):  # corr(x, y) = R_xx beta for standardized OLS
            targets[(t, "employability")] = float(r)
    return [(a, b, r) for (a, b), r in targets.items()]


def _scales(rng, df: pd.DataFrame, params: dict, observed: dict, n_cal: int, quiet: bool
            ) -> tuple[dict, list]:
    """Scale scores on the quarter grid, calibrated to the target correlations."""
    n = len(df)
    spec = params["scales"]
    names = TENURE + SCALES
    k, d = len(names), len(TENURE)
    zd = np.column_stack([_z(df[t].to_numpy(float)) for t in TENURE])
    e = rng.standard_normal((n, len(SCALES)))
    targets = _scale_targets(params, df)
    unknown = {x for a, b, _ in targets for x in (a, b)} - set(names) - {"hrm_leadership"}
    if unknown:
        raise WerkError(f"params correlations: unknown variables {', '.join(sorted(unknown))}")
    latent = np.eye(k)
    latent[:d, :d] = np.corrcoef(zd.T)
    for a, b, r in targets:  # start at the targets (hrm_leadership pairs shared by both parts)
        for x in (["hrm_quality", "leadership"] if a == "hrm_leadership" else [a]):
            i, j = names.index(x), names.index(b)
            latent[i, j] = latent[j, i] = r

    def draw(lat, rows):
        lat = _nearest_corr(lat)
        ldd, lsd = lat[:d, :d], lat[d:, :d]
        b = lsd @ np.linalg.inv(ldd)
        res = _nearest_corr_cov(lat[d:, d:] - b @ ldd @ b.T)
        s = zd[rows] @ b.T + e[rows] @ np.linalg.cholesky(res).T
        return {name: _grid(s[:, i], spec[name]["mean"], spec[name]["sd"]) for i, name in enumerate(SCALES)}

    def achieved(scores, rows):
        frame = pd.DataFrame({t: df[t].to_numpy(float)[rows] for t in TENURE})
        for name in SCALES:
            frame[name] = np.where(_mask(observed, name, n)[rows], scores[name], np.nan)
        for t in TENURE:
            frame[t] = np.where(_mask(observed, t, n)[rows], frame[t], np.nan)
        frame = models.with_derived(frame)
        corr = frame.corr()
        return [float(corr.loc[a, b]) for a, b, _ in targets]

    rows = slice(0, n_cal)
    for it in range(_ITERATIONS):
        got = achieved(draw(latent, rows), rows)
        gap = max(abs(r - g) for (_, _, r), g in zip(targets, got))
        progress(f"  scales round {it + 1}: largest correlation gap {gap:.4f}", quiet)
        if gap < _TOL:
            break
        for (a, b, r), g in zip(targets, got):
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


def _outcome(rng, df: pd.DataFrame, name: str, params: dict, observed: dict, n_cal: int, quiet: bool):
    """Ordinal outcome calibrated so that werk.stats.models.fit returns the target betas.

    The latent predictor is ``z @ c + noise`` with fixed noise; the ordinal is its cut at the target shares.
    Only the outcome changes between rounds, so the standardized betas on the complete cases are a fixed
    linear map of the standardized outcome (the same numbers ``models.fit`` returns); Newton steps with a
    finite-difference Jacobian solve achieved = target.
    """
    n = len(df)
    outcome, predictors, _ = models.MODELS[name]
    terms = list(predictors) + [f"sector={c}" for c in sorted(params["marginals"]["sector"])[1:]]
    given = params["models"].get(name, {}) or {}
    unknown = set(given) - set(terms)
    if unknown:
        raise WerkError(f"params models.{name}: unknown terms {', '.join(sorted(unknown))}")
    target = np.array([float(given.get(t, 0.0)) for t in terms])
    z = _design(df, terms)
    noise = rng.standard_normal(n)
    shares = params["marginals"][outcome]
    obs = _mask(observed, outcome, n)
    rows = slice(0, n_cal)
    r = np.corrcoef(z[rows].T)
    raw = df[[t for t in predictors] + ["sector"]].iloc[rows]
    cc = raw.notna().all(axis=1).to_numpy() & obs[rows]
    x = z[rows][cc]
    sd = x.std(axis=0)
    live = sd > 0
    xs = (x[:, live] - x[:, live].mean(axis=0)) / sd[live]
    proj = np.linalg.solve(xs.T @ xs, xs.T)

    def cut(b, rows):
        q = float(b @ r @ b)
        if q >= 0.98:
            raise WerkError(f"model {name}: the target betas imply R² ≥ 1 ({q:.2f}); they cannot all hold")
        eta = z[rows] @ (b / np.sqrt(1 - q)) + noise[rows]
        return _categories(eta, shares, obs[rows])

    def achieved(b):
        y = cut(b, rows)[cc]
        out = np.zeros(len(terms))
        out[live] = proj @ ((y - y.mean()) / y.std())
        return out

    bstar, best = target.copy(), (np.inf, target)
    for it in range(_ITERATIONS // 2):
        got = achieved(bstar)
        gap = float(np.abs(target - got)[live].max())
        progress(f"  {name} round {it + 1}: largest beta gap {gap:.4f}", quiet)
        if gap < best[0]:
            best = (gap, bstar)
        if gap < 0.004:  # the rank cut is noisy at about this level; the polish below does the rest
            break
        bstar = bstar + (target - got)
    bstar = best[1]
    y = cut(bstar, slice(None))
    if n <= n_cal:
        y = _polish(y, z @ bstar, np.flatnonzero(cc), proj, live, target, name, quiet)
    return y


def _polish(y, eta, rows, proj, live, target, name, quiet, pool=300, steps=2000):
    """Swap adjacent answers of respondents next to a cut until the betas hit their targets.

    On the complete cases the betas are a linear map of the standardized outcome; swapping the answers of two
    respondents keeps every share, mean and SD and moves the betas by a known small vector. Only respondents
    whose latent score lies close to a cut (the ``pool`` nearest on either side) are swapped, so each swap
    replaces a coin flip near a boundary by another.
    """
    yc = y[rows]
    s = yc.std()
    u = np.zeros((len(live), len(rows)))
    u[live] = proj / s  # effect on the betas of raising one respondent's answer by 1
    gap = target - u @ (yc - yc.mean())
    gap[~live] = 0
    e = eta[rows]
    cands = []
    for k in np.unique(yc)[:-1]:
        lo = np.flatnonzero(yc == k)
        hi = np.flatnonzero(yc == k + 1)
        lo = lo[np.argsort(-e[lo])[:pool]]  # highest latent among those answering k
        hi = hi[np.argsort(e[hi])[:pool]]  # lowest latent among those answering k + 1
        cands.append((lo, hi))
    for step in range(steps):  # noqa: B007 - the progress line after the loop reports it
        if np.abs(gap).max() < _TOL / 2:
            break
        best = None
        for lo, hi in cands:
            if not len(lo) or not len(hi):
                continue
            gu = gap @ u[:, lo]
            gd = gap @ u[:, hi]
            i, j = lo[np.argmax(gu)], hi[np.argmin(gd)]
            v = u[:, i] - u[:, j]
            gain = float(gap @ gap - (gap - v) @ (gap - v))
            if best is None or gain > best[0]:
                best = (gain, i, j, v)
        if best is None or best[0] <= 0:
            break
        _, i, j, v = best
        yc[i] += 1
        yc[j] -= 1
        gap = gap - v
        for c, (lo, hi) in enumerate(cands):  # i moved up, j moved down: take them out of the pools
            cands[c] = (lo[(lo != i) & (lo != j)], hi[(hi != i) & (hi != j)])
    progress(f"  {name} polish: {step} swaps, largest beta gap {np.abs(gap).max():.4f}", quiet)
    out = y.copy()
    out[rows] = yc
    return out


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
    w = np.exp(float((params.get("weights") or {}).get("sd", 0.2)) * rng.standard_normal(n))
    df["weight"] = np.round(w / w.mean(), 4)
    sector = np.repeat(np.array(sorted(marg["sector"]), dtype=np.int64), _counts(
        [marg["sector"][k] for k in sorted(marg["sector"])], n))
    df["sector"] = rng.permutation(sector)
    df["age"] = _by_rank(lat["age"], _ages(rng, n, marg["age_group"], int(params.get("age_max", 70))))
    for name in ["gender", "education", "income", "permanent_contract", "manager", "multiple_jobs"]:
        df[name] = _categories(lat[name], marg[name], _mask(observed, name, n))
    hours = _contract_hours(rng, int(_mask(observed, "contract_hours", n).sum()), mom["contract_hours"])
    df["contract_hours"] = _by_rank(lat["contract_hours"], hours, _mask(observed, "contract_hours", n))
    room = df["age"].to_numpy() - 15.0
    gov = _fit_on(room, lat["gov_share"], _mask(observed, "years_in_government", n),
                  mom["years_in_government"])
    fun = _fit_on(gov, lat["function_share"], _mask(observed, "years_in_function", n),
                  mom["years_in_function"])
    df["years_in_government"] = np.floor(gov + 0.5)
    df["years_in_function"] = np.floor(fun + 0.5)
    progress(f"demographics and tenure ({time.perf_counter() - t0:.2f} s)", quiet)

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
    full = full[COLUMNS]
    full["respondent_id"] = full["respondent_id"].astype(np.int64)
    full["sector"] = full["sector"].astype(np.int64)
    return full


# ---------------------------------------------------------------------------------------------- output


def to_csv(df: pd.DataFrame) -> str:
    """The twin as CSV text: fixed column order, integers without '.0', scales with 2 decimals, NaN empty."""
    out = pd.DataFrame(index=df.index)
    for col in COLUMNS:
        x = df[col]
        if col in INTEGER:
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


def fit(df: pd.DataFrame) -> dict:
    """Estimate the twin's parameter set from a canonical data file (aggregates only).

    Raises WerkError naming the cell when any share rests on fewer than :data:`MIN_CELL` respondents.
    """
    n = len(df)
    if n < MIN_CELL:
        raise WerkError(f"disclosure: the file has only {n} respondents")
    data = df.copy()
    data["age_group"] = codebook.age_group(data["age"]).astype(object)
    p: dict = {"version": 1, "n": int(n), "seed": DEFAULT_SEED, "marginals": {}}
    for var in ["sector", "age_group", "gender", "education", "income", "permanent_contract", "manager",
                "multiple_jobs", "threat", "keep_up"]:
        p["marginals"][var] = _share_table(data[var], var, n)
    ages = data["age"].dropna()
    # Top-coded: the age that at least MIN_CELL respondents reach, never one person's age.
    oldest = np.sort(ages.to_numpy())[::-1]
    p["age_max"] = int(np.clip(oldest[MIN_CELL - 1], 65, 75)) if len(oldest) >= MIN_CELL else 70
    hours = data["contract_hours"].dropna()
    tail = hours > 48
    for label, count in (("contract_hours>48", int(tail.sum())), ("contract_hours<=48", int((~tail).sum()))):
        if 0 < count < MIN_CELL:
            raise WerkError(f"disclosure: {label} has {count} respondents (fewer than {MIN_CELL})")
    bulk = hours[~tail]
    p["moments"] = {
        "contract_hours": {
            "mean": round(float(hours.mean()), 4), "sd": round(float(hours.std()), 4),
            "bulk_mean": round(float(bulk.mean()), 4), "bulk_sd": round(float(bulk.std()), 4),
            "bulk_low": 0, "bulk_high": 48, "tail_share": round(float(tail.mean()), 4),
            "tail_low": 49, "tail_high": 80,
        },
    }
    for var in ["years_in_government", "years_in_function"]:
        x = data[var].dropna()
        p["moments"][var] = {"mean": round(float(x.mean()), 4), "sd": round(float(x.std()), 4)}
    p["scales"] = {s: {"mean": round(float(data[s].mean()), 4), "sd": round(float(data[s].std()), 4)}
                   for s in SCALES}
    # Copula: correlations of normal scores (ranks), pairwise complete.
    lat = pd.DataFrame({c: data[c] for c in COPULA if c in data})
    lat["gov_share"] = data["years_in_government"] / (data["age"] - 15).where(data["age"] > 15)
    lat["function_share"] = data["years_in_function"] / data["years_in_government"].where(
        data["years_in_government"] > 0)
    scores = lat.apply(lambda c: pd.Series(stats.norm.ppf((c.rank() - 0.5) / c.count()), index=c.index))
    corr = scores.corr(min_periods=MIN_CELL)
    p["copula"] = {f"{a}~{b}": round(float(corr.loc[a, b]), 4) for i, a in enumerate(COPULA)
                   for b in COPULA[i + 1:] if np.isfinite(corr.loc[a, b])}
    frame = data[TENURE + SCALES]
    corr = frame.corr(min_periods=MIN_CELL)
    names = TENURE + SCALES
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
    items = {}
    for var in ["threat", "keep_up", *SCALES, "education", "manager", "contract_hours", "years_in_government",
                "years_in_function", "age", "gender", "income", "permanent_contract", "multiple_jobs"]:
        miss = int(data[var].isna().sum())
        if 0 < miss < MIN_CELL:
            raise WerkError(f"disclosure: nonresponse on {var} is {miss} respondents (fewer than {MIN_CELL})")
        if miss:
            items[var] = round(miss / n, 5)
    p["nonresponse"] = {"skippers": 0.05, "skipper_part": 0.7, "items": items}
    w = data["weight"].dropna() if "weight" in data else pd.Series(dtype=float)
    p["weights"] = {"sd": round(float(np.log(w[w > 0]).std()), 4) if len(w) >= MIN_CELL else 0.2}
    check_disclosure(p)
    return p


def check_disclosure(params: dict) -> None:
    """Refuse parameters with a share that rests on 1 to 9 respondents."""
    n = int(params.get("n", DEFAULT_N))
    for var, shares in (params.get("marginals") or {}).items():
        for code, share in shares.items():
            count = float(share) / 100 * n
            if 0 < count < MIN_CELL - 0.5:
                raise WerkError(
                    f"disclosure: {var}={code} stands for about {count:.0f} of {n} respondents "
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
    for a, b, r in _scale_targets(params, df):
        got = models.correlation(d, a, b)
        rows.append((f"r:{a}~{b}", "r", r, got["r"], f"p={got['p']:.2g}"))
    for name in ("employability", "threat", "keep_up"):
        res = models.fit(d, name).set_index("term")
        for term, b in (params["models"].get(name) or {}).items():
            rows.append((f"beta:{name}~{term}", "beta", float(b), float(res.loc[term, "beta"]),
                         f"p={res.loc[term, 'p']:.2g}"))
    for item, rate in (params.get("nonresponse") or {}).get("items", {}).items():
        rows.append((f"nonresponse:{item}", "share %", 100 * float(rate),
                     100 * float(d[item].isna().mean()), ""))
    return rows


def report(df: pd.DataFrame, params: dict) -> str:
    """Target beside achieved for every calibrated quantity, as a fixed-width table."""
    lines = [f"{'quantity':<52} {'kind':<7} {'target':>8} {'twin':>8} {'diff':>7}  note"]
    for q, kind, t, a, note in _achieved(df, params):
        prec = 1 if kind == "share %" else 3
        lines.append(f"{q:<52} {kind:<7} {t:>8.{prec}f} {a:>8.{prec}f} {a - t:>+7.{prec}f}  {note}")
    return "\n".join(lines)
