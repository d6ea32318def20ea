"""The audit of the article's own numbers: pure arithmetic, checked against independent sums."""

from __future__ import annotations

import copy
import math

import pytest
from scipy import stats

from werk.stats import audit, ledger


@pytest.fixture(scope="module")
def claims():
    return ledger.claims()


@pytest.fixture(scope="module")
def findings(claims):
    return audit.audit(claims).set_index("id")


def _claim(claims, cid):
    return copy.deepcopy(next(c for c in claims if c["id"] == cid))


def test_shape_and_verdicts(findings, claims):
    assert list(findings.reset_index().columns) == ["id", "question", "arithmetic", "verdict"]
    assert set(findings["verdict"]) <= {"consistent", "question"}
    for c in claims:
        if c["kind"] in ("beta", "r", "share"):
            assert c["id"] in findings.index
    # Phrased as questions, not verdicts on the authors.
    assert findings["question"].str.endswith("?").all()


def test_k_counts_sector_dummies():
    assert audit.n_predictors("keep_up") == 23
    assert audit.n_predictors("threat") == 23
    assert audit.n_predictors("employability") == 3


def test_keep_up_employability_is_a_question(findings):
    row = findings.loc["beta:keep_up~employability"]
    assert row["verdict"] == "question"
    # Independent arithmetic: se floor sqrt((1 - R²)/(N - k - 1)), p < .001 two-sided.
    df = 5391 - 23 - 1
    t_crit = stats.t.ppf(1 - 0.001 / 2, df)
    r2_needed = 1 - 0.03**2 * df / t_crit**2
    assert r2_needed == pytest.approx(0.554, abs=0.001)
    assert f"{r2_needed:.3f}" in row["arithmetic"]
    assert f"{0.03 / math.sqrt(1 / df):.2f}" in row["arithmetic"]  # the largest |t| at R² = 0: 2.20
    assert "R²" in row["question"]


def test_other_betas_can_reach_their_threshold(findings, claims):
    betas = [c["id"] for c in claims if c["kind"] == "beta"]
    questions = [b for b in betas if findings.loc[b, "verdict"] == "question"]
    assert questions == ["beta:keep_up~employability"]
    assert "any R² will do" in findings.loc["beta:threat~years_in_government", "arithmetic"]


def test_beta_finding_follows_its_inputs(claims):
    c = _claim(claims, "beta:keep_up~employability")
    # With ten times the sample, .03 at p < .001 needs no particular R².
    assert audit.beta_finding(c, n=53910)["verdict"] == "consistent"
    c["value"] = 0.02
    assert audit.beta_finding(c)["r2_needed"] > 0.8


def test_correlation_threshold(findings, claims):
    df = 5391 - 2
    t = stats.t.ppf(1 - 0.0005, df)
    r_min = t / math.sqrt(df + t**2)
    assert f"{r_min:.4f}" in findings.loc["r:age~expertise", "arithmetic"]
    assert (findings.loc[[c["id"] for c in claims if c["kind"] == "r"], "verdict"] == "consistent").all()
    tiny = _claim(claims, "r:age~expertise")
    tiny["value"] = -0.03
    assert audit.r_finding(tiny)["verdict"] == "question"


def test_grim_shares(findings, claims):
    row = findings.loc["share:threat=1"]
    counts = [k for k in range(5392) if ledger.round_printed(100 * k / 5391, 1) == 30.9]
    assert f"counts {counts[0]}–{counts[-1]}" in row["arithmetic"]
    assert row["verdict"] == "consistent" and "cannot fail" in row["arithmetic"]
    # With 20 respondents every share is a multiple of 5%: 33% is impossible.
    c = _claim(claims, "share:male")
    c["value"] = 33
    assert audit.share_finding(c, n=20)["verdict"] == "question"
    c["value"] = 35
    assert audit.share_finding(c, n=20)["verdict"] == "consistent"


def test_tables_sum_to_100(findings, claims):
    t1 = sum(c["value"] for c in claims if c["id"].startswith("share:age_group="))
    t2 = sum(c["value"] for c in claims if c["id"].startswith("share:sector="))
    assert t1 == 100 and t2 == 100
    for tid in ("table:1", "table:2", "figure:1", "figure:3"):
        assert findings.loc[tid, "verdict"] == "consistent", tid
    assert "= 100" in findings.loc["table:2", "arithmetic"]
    assert "19.4" in findings.loc["figure:1", "arithmetic"]  # 100 - 30.9 - 49.7
    assert "27.3" in findings.loc["figure:3", "arithmetic"]  # 100 - 50.7 - 22


def test_a_table_that_does_not_sum_is_a_question(claims):
    changed = copy.deepcopy(claims)
    for c in changed:
        if c["id"] == "share:sector=1":
            c["value"] = 44
    row = audit.audit(changed).set_index("id").loc["table:2"]
    assert row["verdict"] == "question" and "104" in row["arithmetic"]


def test_contract_hours_sd_is_flagged(findings):
    row = findings.loc["sd:contract_hours"]
    assert row["verdict"] == "question"
    assert f"{math.sqrt((40 - 35) * 35):.1f}" in row["arithmetic"]  # Bhatia–Davis: 13.2
    assert findings.loc["sd:years_in_government", "verdict"] == "consistent"
    assert audit.spread_finding("contract_hours", 35, 12)["verdict"] == "consistent"
