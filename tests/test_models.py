"""werk.stats.models against computations done independently in the test."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from werk.stats import models


@pytest.fixture
def frame():
    rng = np.random.default_rng(7)
    n = 600
    x1 = rng.normal(size=n)
    x2 = 0.5 * x1 + rng.normal(size=n)
    y = 0.4 * x1 - 0.2 * x2 + rng.normal(size=n)
    return pd.DataFrame({"y": y, "x1": x1, "x2": x2, "const_col": 3.0, "weight": rng.uniform(0.5, 2, n)})


def test_two_predictor_betas_equal_the_textbook_formula(frame):
    r = frame[["y", "x1", "x2"]].corr()
    r_y1, r_y2, r_12 = r.loc["y", "x1"], r.loc["y", "x2"], r.loc["x1", "x2"]
    beta1 = (r_y1 - r_y2 * r_12) / (1 - r_12**2)
    beta2 = (r_y2 - r_y1 * r_12) / (1 - r_12**2)
    res = models.standardized_ols(frame, "y", ["x1", "x2"]).set_index("term")
    assert res.loc["x1", "beta"] == pytest.approx(beta1, abs=1e-10)
    assert res.loc["x2", "beta"] == pytest.approx(beta2, abs=1e-10)
    assert res.attrs["n"] == len(frame)


def test_one_predictor_beta_is_pearson_r_and_p_matches_scipy(frame):
    res = models.standardized_ols(frame, "y", ["x1"]).iloc[0]
    r, p = stats.pearsonr(frame["x1"], frame["y"])
    assert res["beta"] == pytest.approx(r, abs=1e-10)
    assert res["p"] == pytest.approx(p, rel=1e-6)
    c = models.correlation(frame, "x1", "y")
    assert c["r"] == pytest.approx(r, abs=1e-12) and c["p"] == pytest.approx(p, rel=1e-6)


def test_listwise_deletion_and_constant_predictor_dropped_with_a_note(frame):
    frame.loc[:9, "x2"] = np.nan
    res = models.standardized_ols(frame, "y", ["x1", "x2", "const_col"])
    assert res.attrs["n"] == len(frame) - 10
    assert res.attrs["dropped"] == ["const_col"]
    assert "const_col" not in set(res["term"])


def test_weighted_fit_uses_the_weights(frame):
    plain = models.standardized_ols(frame, "y", ["x1", "x2"]).set_index("term")
    frame["weight"] = np.where(frame["x1"] > 0, 5.0, 0.2)
    weighted = models.standardized_ols(frame, "y", ["x1", "x2"], weighted=True).set_index("term")
    assert abs(weighted.loc["x1", "beta"] - plain.loc["x1", "beta"]) > 0.01


def test_group_difference_against_scipy_and_a_hand_computed_d():
    df = pd.DataFrame({"v": [1, 2, 2, 3, 3, 3, 4, 4, 5, 5], "g": [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]})
    out = models.group_difference(df, "v", "g", codes=[4, 5])
    a, b = df.v[df.g == 0], df.v[df.g == 1]
    assert out["p"] == pytest.approx(stats.mannwhitneyu(a, b, alternative="two-sided").pvalue)
    pooled = np.sqrt((4 * a.var() + 4 * b.var()) / 8)
    assert out["d"] == pytest.approx((b.mean() - a.mean()) / pooled)
    assert out["share"] == {0: 0.0, 1: 80.0}


def test_sector_test_equals_statsmodels_f_test():
    rng = np.random.default_rng(3)
    n = 700
    df = pd.DataFrame({c: rng.normal(size=n) for c in models.THREAT_PREDICTORS})
    df["sector"] = rng.integers(1, 4, n)
    df["threat"] = 0.3 * (df["sector"] == 3) + df["employability"] * -0.2 + rng.normal(size=n)
    ours = models.sector_test(df, "threat")
    X = df[models.THREAT_PREDICTORS].assign(s2=(df.sector == 2) * 1.0, s3=(df.sector == 3) * 1.0)
    res = sm.OLS(df["threat"], sm.add_constant(X)).fit()
    theirs = res.f_test("s2 = 0, s3 = 0")
    assert ours["F"] == pytest.approx(float(np.squeeze(theirs.fvalue)), rel=1e-8)
    assert ours["p"] == pytest.approx(float(theirs.pvalue), rel=1e-6)
    assert models.sector_test(df[df.sector == 1], "threat") is None


def test_null_effects_names_what_is_significant(frame):
    res = models.standardized_ols(frame, "y", ["x1", "x2"])
    out = models.null_effects(res, ["x1", "x2"])
    assert out["significant"] and out["min_p"] < 0.05
    assert "unlike in the article" in out["significant_text"]


# ----------------------------------------------------------------------------- equivalence and Holm


def test_tost_against_a_hand_computation():
    # β = .01, se = .015, df = 100, bound .05:
    # t_low = (.01 + .05) / .015 = 4, t_up = (.01 - .05) / .015 = -8/3.
    res = models.tost(0.01, 0.015, 100, bound=0.05)
    p_low, p_up = stats.t.sf(4.0, 100), stats.t.cdf(-8 / 3, 100)
    assert res["p_lower"] == pytest.approx(p_low, rel=1e-12)
    assert res["p_upper"] == pytest.approx(p_up, rel=1e-12)
    assert res["p"] == pytest.approx(max(p_low, p_up), rel=1e-12) and res["p"] == res["p_upper"]
    assert res["equivalent"] and res["p"] < 0.05
    # Equivalence at .05 is the 90% interval inside the bound.
    half = stats.t.ppf(0.95, 100) * 0.015
    assert (res["ci_low"], res["ci_high"]) == pytest.approx((0.01 - half, 0.01 + half))
    # Move the estimate towards the bound: the interval leaves it and the verdict turns.
    near = models.tost(0.03, 0.015, 100, bound=0.05)
    assert near["ci_high"] > 0.05 and not near["equivalent"] and near["p"] > res["p"]
    # The same sign on the other side (symmetry).
    assert models.tost(-0.01, 0.015, 100)["p"] == pytest.approx(res["p"], rel=1e-12)


def test_tost_equals_statsmodels_one_sample_ttost():
    from statsmodels.stats.weightstats import DescrStatsW

    x = np.random.default_rng(4).normal(0.02, 0.3, 80)
    d = DescrStatsW(x)
    p_ref, *_ = d.ttost_mean(-0.05, 0.05)
    ours = models.tost(x.mean(), x.std(ddof=1) / np.sqrt(len(x)), len(x) - 1, bound=0.05)
    assert ours["p"] == pytest.approx(p_ref, rel=1e-10)


def test_tost_bad_input_says_what_to_fix():
    with pytest.raises(ValueError, match="positive se"):
        models.tost(0.01, 0.0, 100)
    with pytest.raises(ValueError, match="bound must be positive"):
        models.tost(0.01, 0.01, 100, bound=0)


def test_block_equivalence_with_one_term_is_the_noncentral_t_two_sided_test():
    # With one term F = t²; under the bound the noncentral F(1, v, λ) is the square of a noncentral t(v, √λ),
    # so P(F' <= t²) = P(-|t| <= T' <= |t|): an independent computation of the same p.
    t, v, r2 = 0.8, 500, 0.2
    res = models.block_equivalence(t**2, 1, v, r2, bound=0.05)
    delta = np.sqrt(0.05**2 / (1 - r2) * (1 + v + 1))
    ref = stats.nct.cdf(t, v, delta) - stats.nct.cdf(-t, v, delta)
    assert res["p"] == pytest.approx(ref, rel=1e-6)
    assert res["bound_r2"] == pytest.approx(0.0025)
    # ΔR² recovered from F: F = (ΔR² / q) / ((1 - R²) / v).
    assert res["delta_r2"] == pytest.approx(t**2 / v * (1 - r2))


def test_block_equivalence_follows_the_data():
    rng = np.random.default_rng(11)
    n = 4000
    df = pd.DataFrame({"sector": rng.integers(1, 5, n), "x": rng.normal(size=n)})
    df["y"] = df["x"] + rng.normal(size=n)
    specs = {"m": ("y", ["x"], True)}

    def verdict(frame):
        old = models.MODELS
        models.MODELS = specs
        try:
            test = models.sector_test(frame, "m")
        finally:
            models.MODELS = old
        return models.block_equivalence(test["F"], test["df_num"], test["df_den"], test["r2_full"])

    null = verdict(df)
    assert null["equivalent"], null
    shifted = df.assign(y=df["y"] + 0.3 * (df["sector"] == 2))  # a real sector difference
    moved = verdict(shifted)
    assert not moved["equivalent"] and moved["delta_r2"] > null["delta_r2"]


def test_holm_against_a_hand_computation_and_statsmodels():
    from statsmodels.stats.multitest import multipletests

    p = [0.01, 0.04, 0.03, 0.005, np.nan]
    # Sorted: .005·4 = .02, .01·3 = .03, .03·2 = .06, .04·1 = .04 -> max(.06, .04) = .06 (step-down).
    out = models.holm(p)
    assert out[:4] == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert np.isnan(out[4])  # NaN is not counted in the family
    assert out[:4] == pytest.approx(multipletests(p[:4], method="holm")[1])
    assert models.holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])


def test_binary_b_is_the_difference_of_group_means_holding_the_rest_fixed():
    rng = np.random.default_rng(5)
    n = 2000
    g = rng.integers(1, 3, n).astype(float)  # 1/2 coding, as gender
    m = (rng.random(n) < 0.3).astype(float)  # 0/1 coding, as manager
    x = rng.normal(size=n)
    y = 3 + 0.4 * (g - 1) - 0.25 * m + 0.5 * x + rng.normal(scale=0.8, size=n)
    df = pd.DataFrame({"y": y, "g": g, "m": m, "x": x})
    tidy = models.standardized_ols(df, "y", ["g", "m", "x"]).set_index("term")
    # Alone, b of a binary predictor is the difference of the two group means.
    alone = models.standardized_ols(df, "y", ["g"]).set_index("term")
    direct = df.loc[df.g == 2, "y"].mean() - df.loc[df.g == 1, "y"].mean()
    assert alone.loc["g", "b"] == pytest.approx(direct, rel=1e-10)
    assert alone.loc["g", "b_sd"] == pytest.approx(direct / df["y"].std(ddof=1), rel=1e-10)
    # With the others held fixed, b is the unstandardized OLS coefficient.
    raw = sm.OLS(df["y"], sm.add_constant(df[["g", "m", "x"]])).fit()
    for term in ("g", "m", "x"):
        assert tidy.loc[term, "b"] == pytest.approx(raw.params[term], rel=1e-9)
        assert tidy.loc[term, "b_ci_low"] == pytest.approx(raw.conf_int().loc[term, 0], rel=1e-9)
    assert tidy.loc["g", "binary"] and tidy.loc["m", "binary"] and not tidy.loc["x", "binary"]
    # The data move, the difference moves with them.
    shifted = df.assign(y=df["y"] + 0.5 * df["m"])
    assert models.standardized_ols(shifted, "y", ["g", "m", "x"]).set_index("term").loc["m", "b"] == \
        pytest.approx(raw.params["m"] + 0.5, rel=1e-9)


def test_null_effects_say_which_absences_are_negligible_and_follow_the_data():
    rng = np.random.default_rng(21)
    n = 6000
    df = pd.DataFrame({"x": rng.normal(size=n), "z": rng.normal(size=n)})
    df["y"] = 0.5 * df["x"] + rng.normal(size=n)
    big = models.null_effects(models.standardized_ols(df, "y", ["x", "z"]), ["z"])
    assert big["negligible"] == ["z"] and "negligible" in big["equivalence_text"]
    few = df.head(200)
    small = models.null_effects(models.standardized_ols(few, "y", ["x", "z"]), ["z"])
    assert not small["significant"]  # seeded: z is no more significant in 200 rows than in 6,000
    assert small["not_shown"] == ["z"] and "cannot tell" in small["equivalence_text"]
