"""Tests of werk.stats.robust: the model variants, the VIFs and the conclusion-by-conclusion verdicts; their
tables and figure (werk.display.robust) and output checks (werk.disclosure.robust).

Most tests build a frame with a known structure: a five-point answer cut from a latent
``y* = 0.5 x1 + logistic noise`` (scale 0.5, so the true log-odds slope is 1), ``x2``
irrelevant, ``x3`` nearly a copy of ``x1``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.miscmodels.ordinal_model import OrderedModel
from statsmodels.stats.outliers_influence import variance_inflation_factor
from statsmodels.tools.numdiff import approx_fprime, approx_hess

from werk.disclosure import robust as robust_checks
from werk.display import robust as robust_view
from werk.stats import models, robust

CUTS = [-1.0, -0.2, 0.5, 1.2]
NOISE = 0.5  # scale of the logistic noise of the latent answer


def _answers(latent: np.ndarray) -> np.ndarray:
    return (1 + np.searchsorted(CUTS, latent)).astype(float)


def make_frame(n: int = 3000, seed: int = 7, b1: float = 0.5, b2: float = 0.0, x3_noise: float = 0.3,
               weight=None) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n)
    x3 = x1 + x3_noise * rng.normal(size=n)
    y = _answers(b1 * x1 + b2 * x2 + rng.logistic(scale=NOISE, size=n))
    frame = pd.DataFrame({"y": y, "x1": x1, "x2": x2, "x3": x3})
    frame["weight"] = np.ones(n) if weight is None else weight(frame, rng)
    return frame


def _z(x):
    return (x - x.mean()) / x.std(ddof=1)


def _plot(*args, **kw):
    """werk.display.robust.plot on axes of a new figure; returns the axes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    robust_view.plot(*args, ax=ax, **kw)
    return ax


@pytest.fixture(scope="module")
def toy():
    return make_frame()


@pytest.fixture(scope="module")
def toy_variants(toy):
    return robust.model_variants(toy, "y", ["x1", "x2", "x3"])


# ----------------------------------------------------------------------------- the variants


def test_every_variant_is_a_tidy_frame(toy_variants):
    assert list(toy_variants) == ["ols", "weighted", "hc3", "ologit"]
    for key, frame in toy_variants.items():
        assert list(frame.columns[:7]) == robust.COLUMNS, key
        assert list(frame["term"]) == ["x1", "x2", "x3"]
        assert (frame["ci_low"] < frame["estimate"]).all() and (frame["estimate"] < frame["ci_high"]).all()
        assert frame.attrs["n"] == 3000 and frame.attrs["converged"]


def test_ordered_logit_recovers_x1_and_not_x2(toy_variants):
    ol = toy_variants["ologit"].set_index("term")
    assert ol.loc["x1", "estimate"] > 0 and ol.loc["x1", "p"] < 0.001
    assert ol.loc["x1", "coef_p"] < 0.001
    assert ol.loc["x2", "p"] > 0.05 and ol.loc["x2", "coef_p"] > 0.05
    # The latent slope is 0.5 / NOISE = 1 log-odds per unit of x1 (sd 1); x3 shares x1's variance,
    # so x1's own coefficient is recovered only roughly.
    assert abs(ol.loc["x1", "coef"] - 0.5 / NOISE) < 0.3
    assert ol.loc["x1", "odds_ratio"] == pytest.approx(np.exp(ol.loc["x1", "coef"]))


def test_ordered_logit_matches_plain_ordered_model_and_a_finite_difference_ame(toy, toy_variants):
    """The fast logit subclass gives statsmodels' OrderedModel(distr="logit") estimates, and the AME
    is the average change of the expected answer, in SD of the answer, per SD of the predictor."""
    Z = toy[["x1", "x2", "x3"]].apply(_z)
    codes = toy["y"].to_numpy().astype(int) - 1
    res = OrderedModel(codes, Z.to_numpy(), distr="logit").fit(method="bfgs", maxiter=1000, disp=False)
    ol = toy_variants["ologit"]
    np.testing.assert_allclose(ol["coef"], res.params[:3], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(ol["coef_p"], res.pvalues[:3], rtol=1e-3)

    values = np.arange(1, 6)

    def expected(exog):
        return (res.model.predict(res.params, exog=exog) @ values).mean()

    h = 1e-4
    for j in range(3):
        up, down = Z.to_numpy().copy(), Z.to_numpy().copy()
        up[:, j] += h
        down[:, j] -= h
        ame = (expected(up) - expected(down)) / (2 * h) / toy["y"].std(ddof=1)
        assert ol["estimate"].iloc[j] == pytest.approx(ame, rel=1e-3, abs=1e-6)


def test_analytic_score_and_hessian_are_the_derivatives_of_the_likelihood(toy):
    Z = toy[["x1", "x2", "x3"]].apply(_z).to_numpy()
    codes = toy["y"].to_numpy().astype(int) - 1
    fast = robust._OrderedLogit(codes, Z, distr="logit")
    plain = OrderedModel(codes, Z, distr="logit")
    theta = np.array([0.4, -0.1, 0.2, -1.0, -0.3, 0.1, 0.2])
    assert fast.loglike(theta) == pytest.approx(plain.loglike(theta), rel=1e-12)
    np.testing.assert_allclose(fast.score(theta), approx_fprime(theta, plain.loglike, centered=True),
                               rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(fast.hessian(theta), approx_hess(theta, plain.loglike), rtol=1e-3, atol=1e-2)


def test_ordered_logit_ame_is_on_the_scale_of_the_standardized_beta(toy_variants):
    ols = toy_variants["ols"].set_index("term")
    ol = toy_variants["ologit"].set_index("term")
    assert ol.loc["x1", "estimate"] == pytest.approx(ols.loc["x1", "estimate"], rel=0.25)


def test_ols_variant_is_the_articles_model(toy, toy_variants):
    ref = models.standardized_ols(toy, "y", ["x1", "x2", "x3"])
    got = toy_variants["ols"]
    np.testing.assert_allclose(got["estimate"], ref["beta"], rtol=1e-12)
    np.testing.assert_allclose(got["se"], ref["se"], rtol=1e-12)
    np.testing.assert_allclose(got["p"], ref["p"], rtol=1e-10)


def test_hc3_standard_errors_are_statsmodels_own(toy, toy_variants):
    X = sm.add_constant(toy[["x1", "x2", "x3"]].apply(_z))
    res = sm.OLS(_z(toy["y"]), X).fit(cov_type="HC3")
    hc3 = toy_variants["hc3"]
    np.testing.assert_allclose(hc3["se"], res.bse[["x1", "x2", "x3"]], rtol=1e-10)
    np.testing.assert_allclose(hc3["p"], res.pvalues[["x1", "x2", "x3"]], rtol=1e-8)
    # Same estimates as the article's model, other standard errors.
    np.testing.assert_allclose(hc3["estimate"], toy_variants["ols"]["estimate"], rtol=1e-12)
    assert not np.allclose(hc3["se"], toy_variants["ols"]["se"], rtol=1e-3)


def test_weighted_differs_when_the_weights_go_with_the_outcome():
    # High answers are weighted four times: a weighted fit sees another population than an unweighted one.
    frame = make_frame(seed=11, weight=lambda f, rng: np.where(f["y"] >= 4, 4.0, 1.0))
    v = robust.model_variants(frame, "y", ["x1", "x2", "x3"])
    w, u = v["weighted"].set_index("term"), v["ols"].set_index("term")
    assert abs(w.loc["x1", "estimate"] - u.loc["x1", "estimate"]) > 0.02
    ref = models.standardized_ols(frame, "y", ["x1", "x2", "x3"], weighted=True)
    np.testing.assert_allclose(v["weighted"]["estimate"], ref["beta"], rtol=1e-12)
    # Sampling weights: sandwich (HC3) standard errors of the WLS fit, not the classical ones.
    classical = models.standardized_ols(frame, "y", ["x1", "x2", "x3"], weighted=True)["se"]
    robust_se = models.standardized_ols(frame, "y", ["x1", "x2", "x3"], weighted=True, cov_type="HC3")["se"]
    np.testing.assert_allclose(v["weighted"]["se"], robust_se, rtol=1e-10)
    assert not np.allclose(v["weighted"]["se"], classical, rtol=1e-3)


def test_equal_weights_change_nothing(toy_variants):
    np.testing.assert_allclose(toy_variants["weighted"]["estimate"], toy_variants["ols"]["estimate"],
                               rtol=1e-10)


def test_no_weight_column_no_weighted_variant(toy):
    v = robust.model_variants(toy.drop(columns="weight"), "y", ["x1", "x2"])
    assert list(v) == ["ols", "hc3", "ologit"]


def test_a_constant_outcome_gives_no_ordered_logit_instead_of_failing():
    frame = make_frame(n=200)
    fit = robust._ordered_logit(frame.assign(y=3.0), frame[["x1", "x2"]], "y", 0.05)
    assert not fit.attrs["converged"] and fit["estimate"].isna().all()


# ----------------------------------------------------------------------------- VIF


def test_vif_of_collinear_terms_is_large_and_matches_an_independent_computation(toy):
    got = robust.design_vif(toy, "y", ["x1", "x2", "x3"]).set_index("term")
    X = toy[["x1", "x2", "x3"]].to_numpy()
    for j, term in enumerate(["x1", "x2", "x3"]):
        others = np.column_stack([np.ones(len(X)), np.delete(X, j, axis=1)])
        coef, *_ = np.linalg.lstsq(others, X[:, j], rcond=None)
        resid = X[:, j] - others @ coef
        r2 = 1 - resid @ resid / ((X[:, j] - X[:, j].mean()) ** 2).sum()
        assert got.loc[term, "vif"] == pytest.approx(1 / (1 - r2), rel=1e-8)
        assert got.loc[term, "r2"] == pytest.approx(r2, rel=1e-8)
        exog = sm.add_constant(X)
        assert got.loc[term, "vif"] == pytest.approx(variance_inflation_factor(exog, j + 1), rel=1e-8)
    # x3 = x1 + 0.3 noise: r² = 1 / 1.09, so both VIFs are about 12; x2 is independent.
    assert got.loc["x1", "vif"] > 10 and got.loc["x3", "vif"] > 10
    assert got.loc["x2", "vif"] < 1.05


def test_vif_of_an_exact_copy_is_infinite(toy):
    got = robust.design_vif(toy.assign(x4=2 * toy["x1"] + 1), "y", ["x1", "x2", "x4"]).set_index("term")
    assert np.isinf(got.loc["x1", "vif"]) and np.isinf(got.loc["x4", "vif"])
    assert got.loc["x2", "vif"] < 1.05


def test_vif_uses_the_models_complete_cases(toy):
    frame = toy.copy()
    frame.loc[:99, "y"] = np.nan
    assert robust.design_vif(frame, "y", ["x1", "x2"])["n"].iloc[0] == len(frame) - 100


# ----------------------------------------------------------------------------- conclusions

SPECS = {"toy": ("y", ["x1", "x2"], False), "toy_sector": ("y", ["x1", "x2"], True)}
CLAIMS = [
    {"id": "beta:toy~x1", "kind": "beta", "value": 0.3, "p_max": 0.001,
     "spec": {"model": "toy", "term": "x1"}},
    {"id": "ns:toy~x2", "kind": "ns", "spec": {"model": "toy", "terms": ["x2"]}},
]


def test_claims_that_the_data_support_hold_under_every_variant(toy):
    conc = robust.conclusions(toy, CLAIMS, SPECS)
    assert list(conc["id"]) == ["beta:toy~x1", "ns:toy~x2"]
    assert list(conc.columns[-5:]) == ["ols", "weighted", "hc3", "ologit", "every_variant"]
    assert (conc[["ols", "weighted", "hc3", "ologit", "every_variant"]] == "holds").all().all()
    details = conc.attrs["details"]
    assert len(details) == 2 * 4 and set(details["verdict"]) == {"holds"}


def test_an_absent_effect_fails_the_claim_under_every_variant():
    conc = robust.conclusions(make_frame(b1=0.0), CLAIMS, SPECS).set_index("id")
    assert (conc.loc["beta:toy~x1", ["ols", "weighted", "hc3", "ologit", "every_variant"]] == "fails").all()
    assert conc.loc["ns:toy~x2", "every_variant"] == "holds"


def test_an_effect_claimed_absent_fails_the_null_claim():
    conc = robust.conclusions(make_frame(b2=0.5), CLAIMS, SPECS).set_index("id")
    assert conc.loc["ns:toy~x2", "every_variant"] == "fails"
    assert conc.loc["beta:toy~x1", "every_variant"] == "holds"


def test_the_wrong_sign_fails_and_one_failing_variant_fails_the_whole(toy):
    wrong = [dict(CLAIMS[0], value=-0.3)]
    assert robust.conclusions(toy, wrong, SPECS)["every_variant"].iloc[0] == "fails"
    fits = {"toy": robust.model_variants(toy, "y", ["x1", "x2"])}
    fits["toy"]["ologit"] = fits["toy"]["ologit"].assign(p=0.5)  # pretend the ordered logit disagrees
    conc = robust.conclusions(toy, CLAIMS[:1], SPECS, fits=fits)
    assert conc["ols"].iloc[0] == "holds" and conc["ologit"].iloc[0] == "fails"
    assert conc["every_variant"].iloc[0] == "fails"


def test_the_sector_claim_is_the_joint_test_of_the_sector_dummies():
    rng = np.random.default_rng(3)
    frame = make_frame(n=2000, seed=3)
    frame["sector"] = rng.integers(1, 4, len(frame))
    claim = [{"id": "ns:toy~sector", "kind": "ns", "spec": {"model": "toy_sector", "terms": ["sector"]}}]
    conc = robust.conclusions(frame, claim, SPECS)
    assert conc["every_variant"].iloc[0] == "holds"
    # The classical F test of the OLS variant is the one the ledger uses (full against restricted model).
    fit = robust.model_variants(frame, "y", ["x1", "x2"], sector_dummies=True)["ols"]
    dummies = pd.get_dummies(frame["sector"], prefix="s", drop_first=True, dtype=float)
    full = sm.OLS(_z(frame["y"]), sm.add_constant(dummies.join(frame[["x1", "x2"]]))).fit()
    restricted = sm.OLS(_z(frame["y"]), sm.add_constant(frame[["x1", "x2"]])).fit()
    _, p, _ = full.compare_f_test(restricted)
    assert fit.attrs["joint"]["sector"]["p"] == pytest.approx(p, rel=1e-8)
    # A real sector effect fails the claim.
    shifted = frame.assign(y=np.clip(frame["y"] + (frame["sector"] == 3), 1, 5))
    assert robust.conclusions(shifted, claim, SPECS)["every_variant"].iloc[0] == "fails"
    # One sector only: nothing to test.
    single = frame[frame["sector"] == 1]
    conc = robust.conclusions(single, claim, SPECS)
    assert (conc[["ols", "ologit", "every_variant"]] == "n/a").all(axis=None)


def test_conclusions_table_reads_each_verdict_with_its_estimate(toy):
    table = robust_view.conclusions_table(robust.conclusions(toy, CLAIMS, SPECS))
    assert list(table.columns) == ["outcome", "predictor", "claimed", "article (OLS)", "survey-weighted",
                                   "HC3 standard errors", "ordered logit (AME)", "every variant"]
    cell = table.iloc[0]["article (OLS)"]
    assert cell.startswith("holds (.") and cell.endswith("***)")
    assert table.iloc[0]["claimed"] == "positive, p < .001"


def test_default_claims_are_the_beta_and_ns_claims_of_the_two_models():
    from werk.stats import ledger

    ids = [c["id"] for c in robust._default_claims()]
    expected = [c["id"] for c in ledger.claims() if c["kind"] in ("beta", "ns")
                and c["spec"]["model"] in ("threat", "keep_up")]
    assert ids == expected and "beta:threat~employability" in ids and "ns:threat~sector" in ids
    assert not any(i.startswith("beta:employability") for i in ids)


def test_plot_draws_every_variant_on_one_axis(toy_variants):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = _plot(toy_variants)
    gids = {c.get_gid() for c in ax.collections if c.get_gid()}
    for label in robust.LABELS["en"].values():
        assert f"significant:{label}" in gids
    assert "SD of the answer" in ax.get_xlabel()
    plt.close(ax.figure)


# ----------------------------------------------------------------------------- the article's models


def test_the_threat_model_on_the_twin_is_the_articles_model_and_its_sector_test():
    """By name, the variants fit the article's model: notebook 02's betas and the ledger's sector test."""
    from werk.core import paths

    twin = pd.read_csv(paths.TWIN)  # the models need no validation; data.load's takes seconds
    v = robust.variants(twin, "threat")
    ref = models.fit(twin, "threat")
    assert list(v["ols"]["term"]) == list(ref["term"])
    np.testing.assert_allclose(v["ols"]["estimate"], ref["beta"], rtol=1e-12)
    ledger_p = models.sector_test(twin, "threat")["p"]
    assert v["ols"].attrs["joint"]["sector"]["p"] == pytest.approx(ledger_p, rel=1e-8)
    assert v["ologit"].attrs["converged"]
    vifs = robust.vif(twin, "threat")
    assert list(vifs["term"]) == list(ref["term"]) and (vifs["vif"] >= 1).all()


def test_failures_text_names_the_claims_that_fail_and_where(toy):
    assert (robust_view.failures_text(robust.conclusions(toy, CLAIMS, SPECS))
            == "None of them fails under any variant.")
    fits = {"toy": robust.model_variants(toy, "y", ["x1", "x2"])}
    fits["toy"]["ologit"] = fits["toy"]["ologit"].assign(p=0.5)
    text = robust_view.failures_text(robust.conclusions(toy, CLAIMS, SPECS, fits=fits))
    assert text.startswith(
        "The exceptions: x1 in the toy model (positive, p < .001) fails in the ordered logit")
    absent = robust_view.failures_text(robust.conclusions(make_frame(b1=0.0), CLAIMS, SPECS))
    assert "fails under every variant, the article's own model included" in absent


# ----------------------------------------------------------------------------- output checking


@pytest.fixture
def log():
    """A new recorder (as a notebook run starts one), left behind by a new one after the test."""
    from werk.disclosure import record

    yield record.start("test")
    record.start()


def small_frame(n: int, seed: int = 1) -> pd.DataFrame:
    """``n`` respondents whose answers cycle through all five codes: the ordered logit has four thresholds."""
    rng = np.random.default_rng(seed)
    y = np.resize(np.arange(1.0, 6.0), n)
    return pd.DataFrame({"y": y, "x1": rng.normal(size=n) + 0.3 * y, "x2": rng.normal(size=n)})


def test_every_variant_and_vif_carries_its_residual_degrees_of_freedom(toy, toy_variants):
    # Three slopes and a constant; the ordered logit has three slopes and four thresholds.
    assert {k: f.attrs["df_resid"] for k, f in toy_variants.items()} == {
        "ols": 2996, "weighted": 2996, "hc3": 2996, "ologit": 2993}
    # A VIF regresses one term on the two others and a constant.
    assert robust.design_vif(toy, "y", ["x1", "x2", "x3"]).attrs["df_resid"] == 2997


def test_an_ordered_logit_of_9_residual_degrees_of_freedom_is_not_shown_with_10_it_is(log):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    refused = robust.model_variants(small_frame(15), "y", ["x1", "x2"])
    shown = robust.model_variants(small_frame(16), "y", ["x1", "x2"])
    assert refused["ologit"].attrs["df_resid"] == 9 and refused["ols"].attrs["df_resid"] == 12
    assert shown["ologit"].attrs["df_resid"] == 10

    ax = _plot(refused, check="fig-small")
    gids = {c.get_gid() for c in ax.collections if c.get_gid()}
    assert not any("ordered logit" in g for g in gids) and any("article (OLS)" in g for g in gids)
    chk = log.checks[-1]
    assert (chk.output, chk.status) == ("fig-small", "suppressed")
    assert chk.suppressed == [{"cell": "ordered logit (AME)", "rule": "dof"}]
    plt.close(ax.figure)
    ax = _plot(shown, check=True)
    assert any("ordered logit" in c.get_gid() for c in ax.collections if c.get_gid())
    plt.close(ax.figure)

    frame = small_frame(15)
    claims = [dict(CLAIMS[0], p_max=0.5)]
    conc = robust.conclusions(frame, claims, SPECS, fits={"toy": refused})
    table = robust_view.conclusions_table(conc, check=True, fits={"toy": refused}, df=frame)
    assert table["ordered logit (AME)"].iloc[0] == "suppressed"
    assert table["every variant"].iloc[0] == "suppressed"
    assert table["article (OLS)"].iloc[0] != "suppressed"
    assert table.attrs["outputcheck"].status == "suppressed"
    conc = robust.conclusions(frame, claims, SPECS, fits={"toy": shown})
    table = robust_view.conclusions_table(conc, check=True, fits={"toy": shown}, df=frame)
    assert "suppressed" not in table.to_numpy() and table.attrs["outputcheck"].status == "pass"


def test_a_model_of_9_residual_degrees_of_freedom_is_refused_in_every_output(log):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fits = robust.model_variants(small_frame(12), "y", ["x1", "x2"])
    assert fits["ols"].attrs["df_resid"] == 9
    ax = _plot(fits, check=True)
    assert not ax.collections and ax.get_xlabel() == ""
    assert any(t.get_gid() == "suppressed" and "not shown" in t.get_text() for t in ax.texts)
    plt.close(ax.figure)
    chk = robust_checks.check_variants({"toy": fits}, "m")
    assert chk.status == "refused" and len(chk.suppressed) == 3
    # The VIFs' auxiliary regressions: 11 respondents, two terms -> 9 residual degrees of freedom.
    vifs = {"threat": robust.design_vif(small_frame(11), "y", ["x1", "x2"]),
            "keep_up": robust.design_vif(small_frame(12), "y", ["x1", "x2"])}
    table = robust_view.vif_table(vifs, check=True)
    assert list(table["threat model"]) == ["suppressed"] * 2
    assert "suppressed" not in list(table["keep-up model"])
    assert table.attrs["outputcheck"].suppressed == [{"cell": "threat model", "rule": "dof"}]
    assert log.checks == []  # check=True checks without recording


@pytest.mark.parametrize("small, flagged", [(9, True), (10, False)])
def test_a_binary_predictor_with_a_small_group_is_flagged_in_the_figure_and_the_table(small, flagged):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    frame = make_frame(n=400, seed=5)
    frame["x2"] = np.r_[np.ones(small), np.zeros(len(frame) - small)]
    fits = {"toy": robust.model_variants(frame, "y", ["x1", "x2"])}
    chk = robust_checks.check_variants(fits, "t", "table", df=frame)
    assert (chk.status == "review") is flagged
    assert chk.flagged == ([{"cell": "x2", "rule": "dummy"}] if flagged else [])
    conc = robust.conclusions(frame, CLAIMS, SPECS, fits=fits)
    table = robust_view.conclusions_table(conc, check=True, fits=fits, df=frame)
    assert list(table["predictor"]) == ["x1", "x2 †" if flagged else "x2"]
    ax = _plot(fits["toy"], check=True, df=frame)
    assert [t.get_text() for t in ax.get_yticklabels()].count("x2 †") == int(flagged)
    plt.close(ax.figure)
    # Without the data there is nothing to flag.
    assert robust_checks.check_variants(fits).status == "pass"


# ----------------------------------------------------------------------------- proportional odds (Brant)


def _ordinal(n, seed, violate):
    """Four ordered answers from a latent logistic model. With ``violate`` the spread of the latent
    variable grows with x2: x2 pushes answers to both ends, so its slope changes sign across thresholds."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n)})
    scale = np.exp(0.9 * X["x2"]) if violate else 1.0
    latent = 0.8 * X["x1"] + (0 if violate else -0.5 * X["x2"]) + scale * rng.logistic(size=n)
    y = np.digitize(latent, [-1.5, 0.0, 1.5]) + 1
    return y, X


def test_brant_accepts_proportional_odds_and_rejects_a_clear_violation():
    y, X = _ordinal(3000, 1, violate=False)
    holds = robust.brant_test(y, X)
    assert holds["df"] == 2 * (4 - 2) and holds["cuts"] == 3
    assert holds["p"] > 0.05, holds["terms"]
    y, X = _ordinal(3000, 1, violate=True)
    fails = robust.brant_test(y, X)
    assert fails["p"] < 1e-6
    terms = fails["terms"].set_index("term")
    assert terms.loc["x2", "p"] < 1e-6  # the predictor that breaks the assumption is named
    # x2's slope changes sign from the lowest threshold to the highest.
    assert fails["slopes"].loc["x2"].iloc[0] * fails["slopes"].loc["x2"].iloc[-1] < 0


def test_brant_against_a_hand_computation_with_one_predictor_and_three_answers():
    rng = np.random.default_rng(8)
    n = 800
    x = rng.normal(size=n)
    y = np.digitize(0.7 * x + rng.logistic(size=n), [-0.5, 1.0])
    res = robust.brant_test(y, pd.DataFrame({"x": x}))
    # By hand: two binary logits (y > 0, y > 1) on the z-scored x, their slopes' covariance
    # Var(b_m, b_l) = I_m^-1 X'W_ml X I_l^-1 with W_12 = π_2 (1 - π_1), and the Wald test of b_1 = b_2.
    z = (x - x.mean()) / x.std(ddof=1)
    A = sm.add_constant(z)
    fits = [sm.Logit((y > v).astype(float), A).fit(disp=False) for v in (0, 1)]
    pi = [f.predict(A) for f in fits]
    inv = [np.asarray(f.cov_params()) for f in fits]  # statsmodels' own inverse information
    cross = A.T @ (A * (pi[1] * (1 - pi[0]))[:, None])
    v12 = (inv[0] @ cross @ inv[1])[1, 1]
    b1, b2 = fits[0].params[1], fits[1].params[1]
    stat = (b1 - b2) ** 2 / (inv[0][1, 1] + inv[1][1, 1] - 2 * v12)
    assert res["chi2"] == pytest.approx(stat, rel=1e-6)
    assert res["p"] == pytest.approx(stats.chi2.sf(stat, 1), rel=1e-6)
    assert res["cov"].iloc[0, 0] == pytest.approx(inv[0][1, 1], rel=1e-6)
    assert res["slopes"].loc["x"].tolist() == pytest.approx([b1, b2], rel=1e-6)


def test_brant_needs_three_answers():
    with pytest.raises(ValueError, match="three or more values"):
        robust.brant_test([1, 2, 1, 2], pd.DataFrame({"x": [0.1, 0.2, 0.3, 0.4]}))


def test_the_page_states_the_brant_verdict_the_data_give():
    ok = robust.brant_test(*_ordinal(3000, 1, violate=False))
    bad = robust.brant_test(*_ordinal(3000, 1, violate=True))
    text = robust_view.proportional_odds({"threat": ok, "keep_up": bad})
    assert text["brant_threat"].startswith(f"χ²({ok['df']}) = ") and "p = " in text["brant_threat"]
    assert "For threat the test does not reject" in text["brant_text"]
    assert "For keeping up the test rejects" in text["brant_text"]
    assert "x2 (p <\u00a0.001)" in text["brant_text"]


def test_the_brant_text_warns_of_a_rare_threshold_and_names_no_count():
    y, X = _ordinal(3000, 1, violate=False)
    common = robust.brant_test(y, X)
    assert "imprecise" not in robust_view.proportional_odds({"threat": common})["brant_text"]
    # Move all but a few answers off the top category: its threshold rests on a handful of respondents.
    rare_y = np.where((y == 4) & (np.arange(len(y)) % 40 != 0), 3, y)
    rare = robust.brant_test(rare_y, X)
    assert rare["rarest"]["threshold"] == 3 and rare["rarest"]["n"] == int((rare_y == 4).sum())
    text = robust_view.proportional_odds({"threat": rare})["brant_text"]
    assert "threshold above answer 3" in text and "imprecise" in text
    assert str(rare["rarest"]["n"]) not in text  # a small count is never printed


def test_brant_on_data_it_cannot_use_says_why_instead_of_failing():
    df = pd.DataFrame({"threat": [1.0, 2.0] * 30, **{p: np.random.default_rng(0).normal(size=60)
                                                      for p in models.THREAT_PREDICTORS}})
    res = robust.brant(df, "threat")
    assert np.isnan(res["p"]) and "three or more values" in res["error"]
    text = robust_view.proportional_odds({"threat": res})
    assert text["brant_threat"] == "no result" and "cannot be computed" in text["brant_text"]
