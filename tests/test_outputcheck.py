"""Output checking by CBS's rules (werk.disclosure.rules): each rule on small frames built here, the judiciary
edition's suppressions, the refusal of a tiny file, the JSON report, and one edition build.

Every rule is tested on both sides of its threshold (9 suppressed, 10 kept; 9 residual degrees of freedom
refused, 10 shown; 91 % flagged, 90 % not), so that a wrong threshold fails a test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before pyplot: tests must not need a display

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from werk import book
from werk.core import paths
from werk.disclosure import rules as outputcheck
from werk.display import (
    figures,
    tables,  # noqa: E402
)
from werk.inputs import data
from werk.stats import models

WERK = Path(sys.executable).parent / "werk"


@pytest.fixture(autouse=True)
def _clean():
    outputcheck.reset()
    yield
    outputcheck.reset()
    plt.close("all")


def answers(counts: dict, variable: str = "threat", **extra) -> pd.DataFrame:
    """A frame whose ``variable`` has ``counts[code]`` answers of each code (plus constant columns)."""
    values = [code for code, k in counts.items() for _ in range(k)]
    df = pd.DataFrame({variable: np.array(values, dtype=float)})
    for col, v in extra.items():
        df[col] = v
    return df


@pytest.fixture(scope="module")
def twin() -> pd.DataFrame:
    return data.load(paths.TWIN)


@pytest.fixture(scope="module")
def judiciary() -> pd.DataFrame:
    """The twin filtered to sector 7 (rechterlijke macht, about 100 respondents), as the notebooks see it."""
    return outputcheck.prepare(data.load(paths.TWIN), "rechterlijke macht")


# ------------------------------------------------------------------------------------------------ threshold


def test_a_cell_of_9_is_suppressed_and_marked_a_cell_of_10_is_kept():
    df = answers({1: 9, 2: 9, 3: 10, 4: 40, 5: 0})
    t = tables.shares_table(df, "threat", check=True)
    assert list(t.iloc[:, 0]) == ["not at all", "hardly", "to a fair extent", "to a large extent",
                                  "to a very large extent", "total"]
    cells = list(zip(t["n"], t["percent"]))
    assert cells[0] == ("suppressed", "suppressed")  # 9
    assert cells[1] == ("suppressed", "suppressed")  # 9: two cells of 9 protect each other (18 >= 10)
    assert cells[2] == ("10", "14.7")  # 10 respondents: kept
    assert cells[3] == ("40", "58.8")
    assert cells[4] == ("0", "0.0")  # a zero is not a small count
    assert cells[5] == ("68", "100.0")  # the total
    chk = t.attrs["outputcheck"]
    assert chk.status == "suppressed"
    assert [s["rule"] for s in chk.suppressed] == ["threshold", "threshold"]
    shown = book.markdown_table(t, caption="Threat", name="tab-test").data
    assert "| suppressed | suppressed |" in shown and "*suppressed*: withheld by output checking" in shown
    assert [c.output for c in outputcheck.records()] == ["tab-test"]  # recorded under the table's name


def test_a_lone_small_cell_takes_a_second_cell_with_it():
    """9 alone could be worked out from the total: the smallest other cell goes too (secondary)."""
    primary, secondary = outputcheck.protect([9, 10, 30])
    assert primary == {(0, 0)} and secondary == {(0, 1)}
    t = tables.shares_table(answers({1: 9, 2: 30, 3: 10, 4: 40, 5: 11}), "threat", check=True)
    assert list(t["n"]) == ["suppressed", "30", "suppressed", "40", "11", "100"]
    rules = {s["cell"]: s["rule"] for s in t.attrs["outputcheck"].suppressed}
    assert rules == {"not at all": "threshold", "to a fair extent": "secondary"}
    # Without the check the same table shows every cell (the check is what suppresses).
    assert "suppressed" not in tables.shares_table(answers({1: 9, 2: 30}), "threat").to_numpy()


def test_no_suppressed_cell_can_be_derived_in_random_tables():
    """Property: every row and column with suppressed cells has at least two holding 10 or more, or is all hidden."""
    rng = np.random.default_rng(6)
    for _ in range(200):
        a = rng.integers(0, 25, size=(rng.integers(1, 5), rng.integers(2, 6)))
        primary, secondary = outputcheck.protect(a, margins=True)
        hidden = primary | secondary
        assert {c for c in np.ndindex(a.shape) if 0 < a[c] < 10} <= primary
        lines = [[(i, j) for j in range(a.shape[1])] for i in range(a.shape[0])]
        lines += [[(i, j) for i in range(a.shape[0])] for j in range(a.shape[1])] if a.shape[0] > 1 else []
        for line in lines:
            nz = [c for c in line if c in hidden and a[c] > 0]
            rest = [c for c in line if c not in hidden and a[c] > 0]
            assert not nz or (len(nz) >= 2 and sum(a[c] for c in nz) >= 10) or not rest, (a, line)


def test_a_group_under_10_is_suppressed_whole():
    chk = outputcheck.check_counts([[3, 4, 2], [30, 40, 20]], "x", row_keys=["small", "big"], margins=False)
    assert ("row", "small") in chk.hidden
    assert {("small", 0), ("small", 1), ("small", 2)} <= chk.hidden
    assert not any(k[0] == "big" for k in chk.hidden if isinstance(k, tuple) and k[0] != "row")


def test_shares_in_the_prose_rest_on_numerator_complement_and_denominator():
    assert outputcheck.check_share(pd.Series([1.0] * 9 + [0.0] * 99), [1]).withheld  # 9 with the attribute
    assert outputcheck.check_share(pd.Series([1.0] * 99 + [0.0] * 9), [1]).withheld  # 9 without it
    assert outputcheck.check_share(pd.Series([1.0] * 5 + [0.0] * 4), [1]).withheld  # 9 in all
    assert not outputcheck.check_share(pd.Series([1.0] * 10 + [0.0] * 90), [1]).withheld


def test_mean_threshold_dominance_and_sd_degrees_of_freedom():
    assert outputcheck.check_mean([30.0] * 9).withheld
    assert not outputcheck.check_mean([30.0] * 10).withheld
    dominated = [1000.0, 900.0] + [1.0] * 20  # two contributions hold over 90 % of the total
    assert outputcheck.check_mean(dominated).suppressed[0]["rule"] == "dominance"
    assert outputcheck.check_mean([1.0] * 10, stat="sd").withheld  # n - 1 = 9
    assert not outputcheck.check_mean([1.0, 2.0] * 6, stat="sd").withheld  # n - 1 = 11


# ------------------------------------------------------------------------------------------------ models


def _model(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(n)
    df = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n)})
    df["y"] = df["x1"] + rng.normal(size=n)
    return models.standardized_ols(df, "y", ["x1", "x2"])


def test_a_model_with_9_residual_degrees_of_freedom_is_refused_with_10_shown():
    refused, shown = _model(12), _model(13)
    assert refused.attrs["df_resid"] == 9 and shown.attrs["df_resid"] == 10
    chk = outputcheck.check_model(refused, "m")
    assert chk.status == "refused" and "fewer than 10 residual degrees of freedom" in chk.note
    assert outputcheck.check_model(shown).status == "pass"
    t = tables.model_table(refused, check=True)
    assert len(t) == 1 and t.iloc[0, 0].startswith("model not shown") and t.iloc[0, 1] == "suppressed"
    assert "−" not in "".join(t.iloc[0].tolist()[1:])  # no beta leaks
    assert tables.model_table(shown, check=True).iloc[0, 1] != "suppressed"
    ax = figures.coefficient_plot(refused, check="fig-m")
    assert not ax.collections  # no markers
    assert any(t.get_gid() == "suppressed" and "not shown" in t.get_text() for t in ax.texts)
    assert outputcheck.records()[-1].status == "refused"


def test_correlations_need_n_minus_2_of_10():
    rows = [{"x": "age", "y": "expertise", "r": 0.3, "p": 0.2, "n": 11, "ci_low": -0.3, "ci_high": 0.7},
            {"x": "age", "y": "adaptability", "r": 0.3, "p": 0.2, "n": 12, "ci_low": -0.3, "ci_high": 0.7}]
    t = tables.correlation_table(rows, check=True)
    assert list(t.iloc[0, 2:]) == ["suppressed"] * 5
    assert t.iloc[1, 2] == "0.30"


def test_binary_predictor_with_a_small_group_is_flagged(judiciary):
    res = models.fit(judiciary, "threat")
    chk = outputcheck.check_model(res, df=judiciary)
    assert chk.status == "review" and "manager" in chk.marked  # 8 managers in the judiciary
    t = tables.model_table(res, check=True, df=judiciary)
    assert "manager †" in list(t["term"])


def _robustness(df) -> dict:
    return {c.output: c for c in outputcheck.check_page("09_robustness", df, "rechterlijke macht")}


def test_robustness_page_flags_the_judiciarys_small_groups(judiciary):
    checks = _robustness(judiciary)
    # 8 managers: every variant's manager dummy is flagged in the figures; the conclusions table shows only
    # the claims' terms, of which permanent contract has a small group in the threat model's cases.
    assert checks["fig-robust-threat"].status == "review"
    assert {f["cell"] for f in checks["fig-robust-threat"].flagged} >= {"manager"}
    assert checks["tab-robust-conclusions"].flagged == [{"cell": "threat model: permanent contract",
                                                         "rule": "dummy"}]
    assert not [c.output for c in checks.values() if c.withheld]
    assert checks["robust_n_threat"].kind == "prose" and checks["tab-robust-vif"].status == "pass"


def test_robustness_page_refuses_the_variants_with_fewer_than_10_residual_degrees_of_freedom(judiciary):
    """The first 28 complete cases: the threat model's ordered logit has 9 residual degrees of freedom (four
    answers, three thresholds), its OLS 11, the keep-up model's ordered logit 10; with 26, every OLS has 9."""
    from werk.stats import robust

    threat = models.MODELS["threat"]
    cases = judiciary.dropna(subset=[threat[0], *threat[1], "weight"]).reset_index(drop=True)
    few = cases.head(28)
    assert robust.variants(few, "threat")["ologit"].attrs["df_resid"] == 9
    assert robust.variants(few, "keep_up")["ologit"].attrs["df_resid"] == 10
    checks = _robustness(few)
    assert checks["fig-robust-threat"].status == "suppressed"
    assert checks["fig-robust-threat"].suppressed == [{"cell": "ordered logit (AME)", "rule": "dof"}]
    assert checks["fig-robust-keep-up"].status == "review"  # shown, manager flagged
    assert checks["tab-robust-conclusions"].suppressed == [
        {"cell": "threat model, ordered logit (AME)", "rule": "dof"}]
    withheld = {k for k, c in checks.items() if c.kind == "prose" and c.withheld}
    assert withheld == {"robust_threat_employability_ame", "robust_threat_employability_or",
                        "robust_ologit_max_gap", "robust_n_hold", "robust_failures"}

    checks = _robustness(cases.head(26))
    assert robust.variants(cases.head(26), "threat")["ols"].attrs["df_resid"] == 9
    assert checks["fig-robust-threat"].status == "refused"
    assert checks["tab-robust-conclusions"].status == "refused"
    assert checks["robust_n_threat"].withheld and checks["robust_n_hold_ols"].withheld
    assert checks["tab-robust-vif"].status == "pass"  # 26 respondents, 16 terms: 10 degrees of freedom


# ------------------------------------------------------------------------------------------------ group disclosure


def test_a_group_of_91_percent_is_flagged_90_percent_is_not():
    flagged = tables.shares_table(answers({1: 910, 2: 90}), "threat", check=True)
    assert flagged["percent"].iloc[0] == "91.0 †" and flagged.attrs["outputcheck"].status == "review"
    plain = tables.shares_table(answers({1: 900, 2: 100}), "threat", check=True)
    assert plain["percent"].iloc[0] == "90.0" and plain.attrs["outputcheck"].status == "pass"
    # Flagged, not suppressed: the numbers stay (documented decision), and the note says what † means.
    assert flagged["n"].iloc[0] == "910"
    assert "† flagged for the output checker" in book.markdown_table(flagged, "x", "tab-x").data
    # A bar in a stacked figure: a dagger on its label.
    df = pd.DataFrame({"gender": [1.0] * 200 + [2.0] * 100,
                       "keep_up": [4.0] * 190 + [3.0] * 10 + [4.0] * 50 + [3.0] * 50})
    chk = outputcheck.check_crosstab(df, "keep_up", "gender", margins=False)
    assert chk.marked == {(1, 4)}
    ax = figures.keep_up_by_gender(df, check=True)
    assert [t.get_text() for t in ax.get_yticklabels()][0].endswith("†")


def test_a_share_of_one_code_is_not_a_group_disclosure():
    """9 % in a province says nothing about a category holding 91 %: the complement lumps categories."""
    s = pd.Series([3.0] * 9 + [1.0] * 40 + [2.0] * 30 + [4.0] * 21)
    assert outputcheck.check_share(s, [3]).status != "review"
    assert outputcheck.check_share(pd.Series([1.0] * 95 + [0.0] * 10), [1]).status == "review"


# ------------------------------------------------------------------------------------------------ min and max


def test_a_minimum_or_maximum_column_is_refused():
    frame = pd.DataFrame({"variable": ["contract hours"], "mean": ["36"], "max": ["80"], "Minimum": ["4"]})
    shown = book.markdown_table(frame, caption="Hours", name="tab-hours").data
    assert "80" not in shown and "| 4 |" not in shown and shown.count("suppressed") >= 2
    rec = outputcheck.records()[-1]
    assert rec.output == "tab-hours" and {s["rule"] for s in rec.suppressed} == {"minmax"}
    # describe() puts them in the index
    chk = outputcheck.check_columns(pd.Series([1.0, 5.0, 9.0]).describe().to_frame())
    assert {k for k in chk.hidden} == {("index", "min"), ("index", "max")}
    # words that merely contain the letters pass
    assert not outputcheck.check_columns(pd.DataFrame(columns=["maximal effort", "admin", "mean"])).hidden


# ------------------------------------------------------------------------------------------------ the judiciary


def test_judiciary_shares_table_and_stacked_figure_show_suppressions(judiciary):
    assert 90 <= len(judiciary) <= 130
    t = tables.shares_table(judiciary, "age_group", check="tab-age")
    assert "suppressed" in list(t["n"]) and "suppressed" in list(t["percent"])
    ax = figures.keep_up_by_age_group(judiciary, check="fig-keep-up-age")
    hatched = [p for p in ax.patches if p.get_gid() == "suppressed"]
    assert hatched and all(p.get_hatch() for p in hatched)
    assert any("suppressed" in t.get_text() for t in ax.texts)
    ax = figures.threat_by_manager(judiciary, check="fig-threat-manager")
    assert any(p.get_gid() == "suppressed" and p.get_width() == 100.0 for p in ax.patches)  # 8 managers
    # No suppressed share is drawn: every visible segment rests on a cell that passed.
    chk = outputcheck.check_crosstab(judiciary, "keep_up", "age_group",
                                     list(tables.category_labels("age_group", "en",
                                                                 set(judiciary["age_group"].dropna())).items()))
    assert chk.status == "suppressed" and len(chk.suppressed) >= 4
    assert [r.output for r in outputcheck.records()] == ["tab-age", "fig-keep-up-age", "fig-threat-manager"]


def test_judiciary_prose_glues_suppressed(judiciary, monkeypatch):
    import myst_nb

    glued = {}
    monkeypatch.setattr(myst_nb, "glue", lambda key, value, display=True: glued.__setitem__(key, value))
    book.glue_claim("share:manager", book.share(judiciary, "manager", [1]), df=judiciary)  # 8 managers
    book.glue_claim("share:male", book.share(judiciary, "gender", [1]), df=judiciary)
    book.glue("high_managers", "37.5%",
              check=outputcheck.check_share(judiciary.loc[judiciary["manager"] == 1, "threat"], [3, 4, 5]))
    assert glued["share_manager"] == "suppressed"
    assert glued["share_male"].endswith("%") and glued["share_male"] != "suppressed"
    assert glued["high_managers"] == "suppressed"
    assert [(c.output, c.kind, c.status) for c in outputcheck.records()] == [
        ("share_manager", "prose", "suppressed"), ("share_male", "prose", "pass"),
        ("high_managers", "prose", "suppressed")]
    recs = json.loads(outputcheck.report_json("01_design"))
    assert {r["page"] for r in recs} == {"01_design"}


def test_the_whole_twin_suppresses_no_number_in_the_prose(twin):
    """The default book keeps its glued numbers (and so its match with the ledger)."""
    checks = outputcheck.check_book(twin)
    prose = [c for cs in checks.values() for c in cs if c.kind == "prose"]
    assert len(prose) > 40 and not [c.output for c in prose if c.withheld]


# ------------------------------------------------------------------------------------------------ report


def test_the_json_report_lists_the_suppressed_cells_and_no_small_count(twin, tmp_path):
    path = outputcheck.write_report(twin, tmp_path / "output-check.json", edition="rechterlijke macht")
    rep = json.loads(path.read_text(encoding="utf-8"))
    assert rep["edition"] == "rechterlijke macht" and rep["thresholds"]["respondents"] == 10
    recs = [r for rs in rep["pages"].values() for r in rs]
    by_output = {r["output"]: r for r in recs}
    age = by_output["tab-age"]
    assert age["status"] == "suppressed" and {s["cell"] for s in age["suppressed"]} == {"25–34", "65 and over"}
    assert by_output["share_manager"]["status"] == "suppressed"
    assert rep["summary"]["suppressed_cells"] == sum(len(r["suppressed"]) for r in recs) > 20
    # Published beside the HTML: it must not print what it suppressed.
    assert all(r["n"] is None or r["n"] >= 10 for r in recs)
    assert all(set(s) == {"cell", "rule"} for r in recs for s in r["suppressed"])
    # Same data, same bytes.
    again = outputcheck.write_report(twin, tmp_path / "again.json", edition="rechterlijke macht")
    assert again.read_bytes() == path.read_bytes()


def test_a_file_of_30_respondents_is_refused_by_werk_build(tmp_path):
    small = pd.read_csv(paths.TWIN).head(30)
    f = tmp_path / "thirty.csv"
    small.to_csv(f, index=False)
    proc = subprocess.run([str(WERK), "build", "--data", str(f)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert "30 respondents" in proc.stderr and "10 respondents behind every number" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_nothing_prints_at_import():
    proc = subprocess.run([sys.executable, "-c", "import werk.disclosure.rules, werk.book"], capture_output=True,
                          text=True)
    assert proc.returncode == 0 and proc.stdout == "" and proc.stderr == ""


# ------------------------------------------------------------------------------------------------ one edition build


@pytest.mark.slow
def test_judiciary_edition_builds_with_suppressions_visible_and_the_appendix_agrees(tmp_path_factory):
    """Build the rechterlijke-macht edition into a project copy: the pages record what the appendix recomputes."""
    import conftest
    from bs4 import BeautifulSoup

    from werk.build import pipeline as build

    root = conftest.copy_project(tmp_path_factory.mktemp("judiciary"))
    index = build.build(edition="rechterlijke macht", root=root)
    html = Path(index).parent / "notebooks"
    executed = root / "_build" / "executed" / "rechterlijke-macht"

    # What each page glued while it was executed equals what check_book recomputes from the data.
    glued = outputcheck.collect(executed)
    recomputed = outputcheck.check_book(data.load(paths.TWIN), "rechterlijke macht")
    assert set(glued) == set(recomputed)

    def key(r):
        return (r["output"], r["kind"], r["status"], sorted(s["cell"] for s in r["suppressed"]),
                sorted(f["cell"] for f in r["flagged"]))

    for page, checks in recomputed.items():
        assert sorted(map(key, glued[page])) == sorted(key(c.to_dict()) for c in checks), page

    # Suppression is visible in the pages: a table cell, a glued number, the notes, the appendix.
    design = BeautifulSoup((html / "01_design.html").read_text(encoding="utf-8"), "html.parser")
    assert "suppressed" in [td.get_text(strip=True) for td in design.select("table td")]
    assert "suppressed" in [s.get_text() for s in design.select("span.pasted-text")]
    assert "withheld by output checking" in design.get_text()
    threat = BeautifulSoup((html / "02_threat.html").read_text(encoding="utf-8"), "html.parser")
    assert "suppressed" in [s.get_text() for s in threat.select("span.pasted-text")]  # 8 managers' share
    assert "† flagged for the output checker" in threat.get_text()  # the model's manager dummy
    assert any(td.get_text(strip=True) == "manager †" for td in threat.select("table td"))
    robust = BeautifulSoup((html / "09_robustness.html").read_text(encoding="utf-8"), "html.parser")
    assert any(td.get_text(strip=True) == "permanent contract †" for td in robust.select("table td"))
    assert "† flagged for the output checker" in robust.get_text()
    appendix = BeautifulSoup((html / "08_output_check.html").read_text(encoding="utf-8"), "html.parser")
    assert appendix.select_one("#tab-oc-findings") and "share_manager" in appendix.get_text()
    # The build wrote the machine-readable report beside the HTML.
    report = json.loads((Path(index).parent / "output-check.json").read_text(encoding="utf-8"))
    assert report["edition"] == "rechterlijke macht" and report["summary"]["suppressed_cells"] > 20
