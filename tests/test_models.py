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
