"""The claims ledger: every claim computed, the match rule, and that it follows the data."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml

from werk.core.errors import WerkError
from werk.stats import ledger as L
from werk.stats import models

SCALES = ["employability", "expertise", "adaptability", "continuous_improvement", "career_self_management",
          "development_motivation", "hrm_quality", "leadership"]


def build_frame(n: int = 3000, seed: int = 7, male: float = 0.7) -> pd.DataFrame:
    """A canonical frame with effects unlike the article's.

    Threat *rises* with employability (the article: falls), keep-up rises with age
    (the article: falls), 70% men (the article: 40%), threat mostly at the top answers.
    """
    rng = np.random.default_rng(seed)
    age = rng.integers(25, 66, n).astype(float)
    years_gov = np.floor(rng.uniform(0, 1, n) * (age - 15))
    years_fun = np.floor(rng.uniform(0, 1, n) * years_gov)
    sc = {k: np.clip(np.round((3 + rng.normal(0, 0.8, n)) * 4) / 4, 1, 5) for k in SCALES}
    threat = np.clip(np.round(3.5 + 0.8 * (sc["employability"] - 3) + rng.normal(0, 0.8, n)), 1, 5)
    keep_up = np.clip(np.round(3 + 0.03 * (age - 45) + rng.normal(0, 0.8, n)), 1, 5)
    df = pd.DataFrame({
        "respondent_id": np.arange(1, n + 1),
        "sector": rng.choice(np.arange(1, 8), n, p=[0.2, 0.3, 0.1, 0.1, 0.1, 0.1, 0.1]),
        "age": age,
        "gender": np.where(rng.random(n) < male, 1.0, 2.0),
        "education": rng.integers(1, 4, n).astype(float),
        "income": rng.integers(1, 6, n).astype(float),
        "permanent_contract": (rng.random(n) < 0.8).astype(float),
        "manager": (rng.random(n) < 0.3).astype(float),
        "multiple_jobs": (rng.random(n) < 0.1).astype(float),
        "contract_hours": rng.integers(16, 41, n).astype(float),
        "years_in_government": years_gov,
        "years_in_function": years_fun,
        "threat": threat,
        "keep_up": keep_up,
        **sc,
    })
    # Item nonresponse, so that listwise deletion matters.
    df.loc[rng.choice(n, 40, replace=False), "threat"] = np.nan
    df.loc[rng.choice(n, 40, replace=False), "employability"] = np.nan
    return df


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return build_frame()


@pytest.fixture(scope="module")
def table(frame) -> pd.DataFrame:
    return L.ledger(frame)


def _row(table, cid):
    hit = table[table["id"] == cid]
    assert len(hit) == 1, cid
    return hit.iloc[0]


# ----------------------------------------------------------------------------- claims


def test_claims_are_valid_and_unique():
    items = L.claims()
    ids = [c["id"] for c in items]
    assert len(items) == 68
    assert len(set(ids)) == len(ids)
    assert {c["kind"] for c in items} <= set(L.KINDS)


@pytest.mark.parametrize(
    "bad, message",
    [
        ([{"id": "a", "kind": "n", "value": 1}, {"id": "a", "kind": "n", "value": 2}], "duplicate id"),
        ([{"id": "x", "kind": "median", "value": 1}], "unknown kind"),
        ([{"id": "s", "kind": "share", "value": 4, "spec": {"variable": "gender"}}], "spec lacks codes"),
        ([{"id": "b", "kind": "beta", "value": 0.1, "spec": {"model": "threat", "term": "age"}}], "p_max"),
    ],
)
def test_claims_validation_says_what_is_wrong(tmp_path, bad, message):
    path = tmp_path / "published.yml"
    path.write_text(yaml.safe_dump({"claims": bad}))
    with pytest.raises(WerkError, match=message):
        L.claims(path)


def test_claims_unreadable_file_is_a_werk_error(tmp_path):
    with pytest.raises(WerkError, match="cannot read"):
        L.claims(tmp_path / "nope.yml")


# ----------------------------------------------------------------------------- every claim


def test_every_claim_gets_one_row_with_a_status(table):
    ids = [c["id"] for c in L.claims()]
    assert list(table["id"]) == ids
    assert set(table["status"]) <= set(L.STATUSES)
    assert list(table.columns) == L.COLUMNS
    # Every column is present, so every claim can be computed.
    not_reproducible = table["status"] == "not reproducible"
    assert not not_reproducible.any(), table.loc[not_reproducible, "reason"]
    # A deviation always says why.
    assert (table.loc[table["status"] == "deviates", "reason"].str.len() > 0).all()


def test_where_fields_survive_passing_claims_in(frame):
    items = L.claims()
    out = L.ledger(frame.head(400), items)
    assert _row(out, "share:sector=1")["table"] == 2
    assert _row(out, "share:threat=1")["figure"] == 1
    assert _row(out, "n:total")["section"] == "design"


def test_models_fitted_once_per_call(frame, monkeypatch):
    calls = []
    real = models.fit

    def counting(df, name, *a, **k):
        calls.append(name)
        return real(df, name, *a, **k)

    monkeypatch.setattr(models, "fit", counting)
    # The computation itself (L.ledger keeps its result: a second call would fit nothing).
    L._ledger.uncached(frame, None, None, "en")
    assert sorted(calls) == ["employability", "keep_up", "threat"]


# ----------------------------------------------------------------------------- model arithmetic


def test_one_predictor_standardized_beta_is_pearson_r():
    rng = np.random.default_rng(3)
    x = rng.normal(size=500)
    y = 2 * x + rng.normal(scale=3, size=500)
    tidy = models.standardized_ols(pd.DataFrame({"x": x, "y": y}), "y", ["x"])
    r = np.corrcoef(x, y)[0, 1]
    assert tidy.loc[0, "beta"] == pytest.approx(r, abs=1e-12)
    # Hand check of the standard error: t = r sqrt((n - 2) / (1 - r²)).
    assert tidy.loc[0, "t"] == pytest.approx(r * np.sqrt(498 / (1 - r**2)), rel=1e-9)
    assert tidy.attrs["r2"] == pytest.approx(r**2, rel=1e-9)


# ----------------------------------------------------------------------------- the ledger follows the data


def _lstsq_betas(df: pd.DataFrame, name: str) -> dict[str, float]:
    """Independent standardized OLS: numpy least squares on z-scores of the complete cases."""
    outcome, predictors, sectors = models.MODELS[name]
    cols = [outcome, *predictors] + (["sector"] if sectors else [])
    d = df[cols].dropna().astype(float)
    X = d[predictors].copy()
    if sectors:
        for code in sorted(d["sector"].unique())[1:]:
            X[f"sector={int(code)}"] = (d["sector"] == code).astype(float)
    z = lambda s: (s - s.mean()) / s.std(ddof=1)  # noqa: E731
    Xz = X.apply(z)
    A = np.column_stack([np.ones(len(Xz)), Xz.to_numpy()])
    coef, *_ = np.linalg.lstsq(A, z(d[outcome]).to_numpy(), rcond=None)
    return dict(zip(Xz.columns, coef[1:]))


def test_betas_follow_the_data(frame, table):
    for cid, model, term in [("beta:threat~employability", "threat", "employability"),
                             ("beta:keep_up~age", "keep_up", "age"),
                             ("beta:employability~years_in_function", "employability", "years_in_function")]:
        expected = _lstsq_betas(frame, model)[term]
        row = _row(table, cid)
        assert row["value"] == pytest.approx(expected, abs=1e-10)
        assert row["reproduced"] == pytest.approx(round(expected, 2), abs=1e-12)
    # Built with the opposite sign of the article: threat rises with employability, keep-up with age.
    for cid in ("beta:threat~employability", "beta:keep_up~age"):
        row = _row(table, cid)
        assert row["value"] > 0.1
        assert row["status"] == "deviates"
        assert "does not round" in row["reason"]


def test_shares_and_correlations_follow_the_data(frame, table):
    threat = frame["threat"].dropna()
    expected = 100 * (threat == 1).sum() / len(threat)
    row = _row(table, "share:threat=1")
    assert row["value"] == pytest.approx(expected)
    assert row["n"] == len(threat)
    assert row["status"] == "deviates"  # built with few 'helemaal niet' answers

    male = 100 * frame["gender"].value_counts(normalize=True)[1.0]
    row = _row(table, "share:male")
    assert row["value"] == pytest.approx(male)
    assert row["reproduced"] == round(male)
    assert row["status"] == "deviates"  # 70% men, not 40%

    pair = frame[["age", "expertise"]].dropna()
    r = np.corrcoef(pair["age"], pair["expertise"])[0, 1]
    assert _row(table, "r:age~expertise")["value"] == pytest.approx(r, abs=1e-12)

    # keep-up rises with age here, so the article's falling trend is not reproduced.
    trend = _row(table, "trend:keep_up~age_group")
    assert trend["value"] > 0 and trend["status"] == "deviates"


def test_sector_joint_test_matches_statsmodels(frame, table):
    import statsmodels.api as sm

    outcome, predictors, _ = models.MODELS["threat"]
    d = frame[[outcome, *predictors, "sector"]].dropna().astype(float)
    X = sm.add_constant(pd.concat([d[predictors], pd.get_dummies(d["sector"], prefix="s", drop_first=True,
                                                                  dtype=float)], axis=1))
    res = sm.OLS(d[outcome], X).fit()
    names = [c for c in X.columns if c.startswith("s_")]
    f = res.f_test(" = 0, ".join(names) + " = 0")
    row = _row(table, "ns:threat~sector")
    assert row["p"] == pytest.approx(float(f.pvalue), rel=1e-6)
    assert row["value"] == pytest.approx(float(np.squeeze(f.fvalue)), rel=1e-6)


# ----------------------------------------------------------------------------- tolerance rule


@pytest.mark.parametrize(
    "x, printed, decimals, ok",
    [
        (39.49, 40, 0, False), (39.5, 40, 0, True), (40.49, 40, 0, True), (40.5, 40, 0, False),
        (30.85, 30.9, 1, True), (30.8499, 30.9, 1, False), (30.95, 30.9, 1, False),
        (0.035, 0.04, 2, True), (0.045, 0.04, 2, False), (0.0349, 0.04, 2, False),
        (-0.125, -0.13, 2, True), (-0.1349, -0.13, 2, True), (-0.135, -0.13, 2, False),
        (float("nan"), 40, 0, False),
    ],
)
def test_match_rule_at_the_edges(x, printed, decimals, ok):
    assert L.matches(x, printed, decimals) is ok


def _gender_frame(men: int, n: int = 10000) -> pd.DataFrame:
    return pd.DataFrame({"gender": [1.0] * men + [2.0] * (n - men)})


def test_share_at_the_edge_through_the_ledger():
    claim = [c for c in L.claims() if c["id"] == "share:male"]
    assert L.ledger(_gender_frame(3950), claim).loc[0, "status"] == "match"  # 39.50%
    low = L.ledger(_gender_frame(3949), claim).loc[0]  # 39.49%
    assert low["status"] == "deviates"
    assert "39.5" in low["reason"]


def test_beta_whose_value_matches_but_p_does_not_gets_the_audit_arithmetic():
    small = build_frame(n=300, seed=11)
    beta = models.fit(small, "keep_up").set_index("term").loc["development_motivation"]
    assert beta["p"] > 0.001  # no effect was built in
    claim = {"id": "beta:keep_up~development_motivation", "kind": "beta", "precision": 2, "p_max": 0.001,
             "value": L.round_printed(beta["beta"], 2),
             "spec": {"model": "keep_up", "term": "development_motivation"}}
    row = L.ledger(small, [claim]).iloc[0]
    assert row["status"] == "deviates"
    assert "is not < .001" in row["reason"] and "R²" in row["reason"]


# ----------------------------------------------------------------------------- editions and missing columns


def test_one_sector_edition_does_not_crash(frame):
    one = frame[frame["sector"] == 2]
    out = L.ledger(one, edition="rijksoverheid")
    sector_ids = [i for i in out["id"] if "sector" in i]
    assert len(sector_ids) == 9
    for cid in sector_ids:
        row = _row(out, cid)
        assert row["status"] == "not reproducible"
        assert "sector constant" in row["reason"]
    computed = out[out["status"] != "not reproducible"]
    assert len(computed) == len(out) - len(sector_ids)
    assert computed["reason"].str.contains("whole-sample").all()
    assert _row(out, "n:total")["reproduced"] == len(one)


def test_a_single_sector_frame_without_edition_also_degrades(frame):
    out = L.ledger(frame[frame["sector"] == 1])
    assert _row(out, "ns:threat~sector")["status"] == "not reproducible"


def test_unknown_edition_is_a_werk_error(frame):
    with pytest.raises(WerkError, match="unknown sector"):
        L.ledger(frame, edition="ministerie van magie")


def test_missing_column_is_not_reproducible_with_reason(frame):
    out = L.ledger(frame.drop(columns=["income"]))
    row = _row(out, "ns:threat~income")
    assert row["status"] == "not reproducible"
    assert "income missing" in row["reason"]
    assert _row(out, "beta:threat~employability")["status"] == "not reproducible"
    # Claims that do not need income are still computed.
    assert _row(out, "share:male")["status"] != "not reproducible"
    assert _row(out, "beta:employability~years_in_government")["status"] != "not reproducible"


def test_derived_column_missing_names_its_sources(frame):
    out = L.ledger(frame.drop(columns=["leadership"]))
    assert "leadership missing" in _row(out, "r:hrm_leadership~employability")["reason"]


# ----------------------------------------------------------------------------- formatting


@pytest.mark.parametrize(
    "cid, x, text",
    [("share:male", 40, "40%"), ("share:threat=1", 30.94, "30.9%"),
     ("beta:threat~years_in_government", 0.04, ".04"),
     ("beta:employability~years_in_government", -0.131, "\u2212.13"), ("n:total", 5391, "5,391"),
     ("mean:years_in_government", 15.46, "15.5"), ("diff:keep_up~gender", "men higher", "men higher"),
     ("share:male", float("nan"), "")],
)
def test_format_value(cid, x, text):
    claim = next(c for c in L.claims() if c["id"] == cid)
    assert L.format_value(claim, x) == text


# ----------------------------------------------------------------------------- command line


@pytest.fixture(scope="module")
def csv_file(tmp_path_factory, frame):
    path = tmp_path_factory.mktemp("ledger") / "frame.csv"
    frame.to_csv(path, index=False)
    return path


def _run(*args):
    """``python -m werk.cli ledger ...``: the entry point of the ``werk`` command, in a subprocess."""
    cmd = [sys.executable, "-m", "werk.cli", "ledger", *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def _main(capsys, *args) -> tuple[int, str]:
    """The subcommand in process (csv/json/edition); the subprocess tests below cover the entry point."""
    import argparse

    from werk.cli import ledger as command

    p = argparse.ArgumentParser()
    command.add_arguments(p)
    code = command.main(p.parse_args(list(map(str, args))))
    return code, capsys.readouterr().out


def test_cli_csv_and_json(csv_file, capsys):
    code, out = _main(capsys, "--data", csv_file, "--format", "csv")
    assert code == 0
    table = pd.read_csv(io.StringIO(out))
    assert len(table) == 68 and set(table["status"]) <= set(L.STATUSES)

    code, out = _main(capsys, "--data", csv_file, "--format", "json")
    assert code == 0
    records = json.loads(out)
    assert len(records) == 68 and {"id", "status", "reason", "value"} <= set(records[0])
    assert all(r["value"] is None or isinstance(r["value"], float) for r in records)


def test_cli_table_in_a_subprocess(csv_file):
    import re

    res = _run("--data", csv_file)
    assert res.returncode == 0, res.stderr  # a report: deviations do not fail the command
    lines = res.stdout.strip().splitlines()
    assert lines[0].split()[:4] == ["id", "kind", "published", "reproduced"]
    m = re.fullmatch(r"(\d+) match, (\d+) deviate, (\d+) not reproducible", lines[-1])
    assert m and sum(map(int, m.groups())) == 68
    assert int(m.group(2)) > 0  # built with other effects


def test_cli_bad_path_exits_2_without_traceback(tmp_path):
    res = _run("--data", tmp_path / "missing.csv")
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert "missing.csv" in res.stderr


def test_cli_bad_data_is_a_werk_error(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\x00\x01\x02binary")
    with pytest.raises(WerkError):
        _main(capsys, "--data", bad)


def test_cli_edition(csv_file, capsys):
    code, text = _main(capsys, "--data", csv_file, "--edition", "gemeente", "--format", "csv")
    assert code == 0
    out = pd.read_csv(io.StringIO(text))
    assert (out.loc[out["id"] == "share:sector=1", "status"] == "not reproducible").all()


def test_werk_command_dispatches_to_the_ledger(csv_file, tmp_path):
    """The installed ``werk`` command (the console script), not only ``python -m werk.cli``."""
    from pathlib import Path

    werk = Path(sys.executable).parent / "werk"

    def run(*args):
        return subprocess.run([str(werk), "ledger", *map(str, args)], capture_output=True, text=True,
                              timeout=120)

    res = run("--data", csv_file, "--format", "csv")
    assert res.returncode == 0, res.stderr
    assert len(pd.read_csv(io.StringIO(res.stdout))) == 68
    res = run("--data", tmp_path / "missing.csv")
    assert res.returncode == 2 and "Traceback" not in res.stderr


# ----------------------------------------------------------------------------- equivalence and Holm


def test_holm_column_covers_the_articles_tests_only(table):
    family = L.holm_family(L.claims())
    assert {"ns:threat~sector", "beta:threat~employability", "r:age~expertise"} <= family
    assert "trend:keep_up~age_group" not in family and "share:male" not in family
    inside = table["id"].isin(family)
    assert table.loc[~inside, "p_holm"].isna().all()
    expected = models.holm(table.loc[inside, "p"])
    assert table.loc[inside, "p_holm"].to_numpy() == pytest.approx(expected)
    assert (table.loc[inside, "p_holm"] >= table.loc[inside, "p"] - 1e-15).all()


def _twin():
    from werk.core import paths
    from werk.inputs import data

    return data.load(paths.TWIN)


def test_ns_verdicts_agree_with_their_intervals_on_the_twin():
    led = L.ledger(_twin())
    ns = led[led["kind"] == "ns"]
    assert set(ns["equivalence"]) <= {L.NEGLIGIBLE, L.NOT_SHOWN}
    assert (ns["p_equivalence"].notna()).all()
    # Negligible exactly when the TOST p is below .05; the reproduced text and the reason say which.
    assert ((ns["equivalence"] == L.NEGLIGIBLE) == (ns["p_equivalence"] < 0.05)).all()
    for r in ns.itertuples():
        lead = "negligible" if r.equivalence == L.NEGLIGIBLE else (
            "not significant" if r.status == "match" else "p =")
        assert r.reason.startswith(lead)
        assert r.status != "match" or r.reproduced.endswith(r.equivalence)
    assert (led.loc[led["kind"] != "ns", "equivalence"] == "").all()


def test_ns_classification_moves_when_the_data_move():
    twin = _twin()
    cid = "ns:threat~income"
    base = _row(L.ledger(twin), cid)
    # Fewer respondents, the same (absent) effect: the interval widens past the bound.
    small = _row(L.ledger(twin.sample(300, random_state=3)), cid)
    assert small["status"] == "match" and small["equivalence"] == L.NOT_SHOWN
    assert small["p_equivalence"] > base["p_equivalence"]
    assert "not shown negligible" in small["reproduced"] and "not within ±.05" in small["reason"]
    # A real effect of income added to a copy of the twin: the claim of no effect deviates.
    z = (twin["income"] - twin["income"].mean()) / twin["income"].std()
    shifted = twin.assign(threat=(twin["threat"] + 0.4 * z).round().clip(1, 5))
    moved = _row(L.ledger(shifted), cid)
    assert moved["status"] == "deviates" and moved["equivalence"] == L.NOT_SHOWN
    assert moved["value"] > base["value"] + 0.05


def test_sector_equivalence_moves_when_sectors_differ():
    twin = _twin()
    cid = "ns:threat~sector"
    small = _row(L.ledger(twin.sample(300, random_state=3)), cid)
    assert small["equivalence"] == L.NOT_SHOWN
    shifted = twin.assign(threat=(twin["threat"] + 0.6 * (twin["sector"] == 2)).clip(1, 5))
    moved = _row(L.ledger(shifted), cid)
    assert moved["status"] == "deviates" and moved["equivalence"] == L.NOT_SHOWN


def test_the_assumptions_state_the_bound_the_ledger_uses():
    from werk.core import codebook
    from werk.core.fmt import format_coef

    text = codebook.ASSUMPTIONS["equivalence"]
    assert f"±{format_coef(L.EQUIVALENCE_BOUND, 2)}" in text
    assert format_coef(L.EQUIVALENCE_BOUND**2, 4) in text
    assert f"{L.EQUIVALENCE_LEVEL:g}% interval" in text
