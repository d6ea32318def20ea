"""Output checking by CBS's rules (werk.disclosure.rules): each rule on small frames built here, the judiciary
edition's suppressions, the refusal of a tiny file, the JSON report (werk.disclosure.report), and one edition
build whose report and appendix list what its pages recorded (werk.disclosure.record).

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
from werk.core import fmt, paths
from werk.disclosure import record, report
from werk.disclosure import rules as outputcheck
from werk.display import figures, tables
from werk.inputs import data, frame
from werk.stats import models, synth

WERK = Path(sys.executable).parent / "werk"
JUDICIARY = "rechterlijke macht"


@pytest.fixture(autouse=True)
def _clean():
    """Each test is a notebook run of its own: a new recorder before, another after."""
    record.start("test")
    yield
    record.start()
    plt.close("all")


def recorded() -> list[outputcheck.Check]:
    """The checks recorded so far in this run."""
    return record.current().checks


def drawn(figure, *args, **kw):
    """Draw ``figure(*args, **kw)`` on the axes of a new figure; return the axes."""
    _, ax = plt.subplots()
    figure(*args, ax=ax, **kw)
    return ax


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


def small_judiciary_cells(twin: pd.DataFrame) -> pd.DataFrame:
    """The twin with the judiciary's small cells made certain rather than left to the draw: 8 managers,
    7 respondents aged 25-34 and 4 aged 65 or over in sector 7 (rechterlijke macht); nothing else changes."""
    df = twin.copy()
    df[["age", "manager"]] = df[["age", "manager"]].astype(float)
    jud = df["sector"] == 7
    managers = df.index[jud & (df["manager"] == 1)]
    df.loc[managers[8:], "manager"] = 0.0
    young = df.index[jud & (df["age"] < 35)]
    df.loc[young[7:], "age"] = df.loc[young[7:], "age"] + 10
    df.loc[df.index[jud & (df["age"] >= 65)], "age"] = 64.0
    old = df.index[jud & df["age"].between(55, 64)][:4]
    df.loc[old, "age"] = [65.0, 66.0, 65.0, 67.0]
    return df


@pytest.fixture(scope="module")
def judiciary(twin) -> pd.DataFrame:
    """The twin filtered to sector 7 (rechterlijke macht, about 100 respondents), as the notebooks see it,
    with its small cells made certain (:func:`small_judiciary_cells`)."""
    return frame.edition_frame(small_judiciary_cells(twin), JUDICIARY)


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
    assert [c.output for c in recorded()] == ["tab-test"]  # recorded under the table's name


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
    """Property: every row and column with suppressed cells has at least two holding 10 or more, or is all
    hidden."""
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
    ax = drawn(figures.coefficient_plot, refused, check="fig-m")
    assert not ax.collections  # no markers
    assert any(t.get_gid() == "suppressed" and "not shown" in t.get_text() for t in ax.texts)
    assert (recorded()[-1].output, recorded()[-1].status) == ("fig-m", "refused")


def test_correlations_need_n_minus_2_of_10():
    rows = [{"x": "age", "y": "expertise", "r": 0.3, "p": 0.2, "n": 11, "ci_low": -0.3, "ci_high": 0.7},
            {"x": "age", "y": "adaptability", "r": 0.3, "p": 0.2, "n": 12, "ci_low": -0.3, "ci_high": 0.7}]
    t = tables.correlation_table(rows, check=True)
    assert list(t.iloc[0, 2:]) == ["suppressed"] * 5
    assert t.iloc[1, 2] == ".30"


def test_binary_predictor_with_a_small_group_is_flagged(judiciary):
    res = models.fit(judiciary, "threat")
    chk = outputcheck.check_model(res, df=judiciary)
    assert chk.status == "review" and "manager" in chk.marked  # 8 managers
    more = judiciary.copy()
    more.loc[more.index[:12], "manager"] = 1.0
    assert "manager" not in outputcheck.check_model(models.fit(more, "threat"), df=more).marked
    t = tables.model_table(res, check=True, df=judiciary)
    assert "manager †" in list(t["term"])


def run_page(page: str, data_path, edition: str, folder: Path) -> dict[str, outputcheck.Check]:
    """Execute ``notebooks/<page>.ipynb`` with papermill on ``data_path``; what it recorded, by output.

    The page itself is run, as the build runs it, and its checks are read back from the executed
    notebook as the build reads them into the page's records file (:func:`record.page_record`).
    """
    import papermill

    out = folder / f"{page}.ipynb"
    papermill.execute_notebook(str(paths.NOTEBOOKS / f"{page}.ipynb"), str(out),
                               parameters={"data_path": str(data_path), "edition": edition},
                               cwd=str(paths.NOTEBOOKS), progress_bar=False)
    rec = record.page_record(out)
    assert rec is not None and rec["page"] == page, f"{page} recorded no checks"
    return {d["output"]: outputcheck.Check.from_dict(d) for d in rec["checks"]}


def robustness_checks(df: pd.DataFrame, folder: Path) -> dict[str, outputcheck.Check]:
    """What the robustness page records on the respondents of ``df`` (a subset of the judiciary)."""
    f = folder / f"judiciary-{len(df)}.csv"
    df.drop(columns="age_group").to_csv(f, index=False)
    return run_page("09_robustness", f, JUDICIARY, folder)


@pytest.mark.slow
def test_robustness_page_refuses_the_variants_with_fewer_than_10_residual_degrees_of_freedom(judiciary,
                                                                                               tmp_path):
    """The first 28 complete cases: the threat model's ordered logit has 9 residual degrees of freedom (four
    answers, three thresholds), its OLS 11, the keep-up model's ordered logit 10; with 26, every OLS has 9.
    The robustness page is executed on each file and its records are read."""
    from werk.stats import robust

    threat = models.MODELS["threat"]
    cases = judiciary.dropna(subset=[threat[0], *threat[1], "weight"]).reset_index(drop=True)
    # The first 28 complete cases: the threat model's ordered logit has 9 residual degrees of freedom, its
    # OLS 11; the keep-up model's ordered logit is refused too when its answers leave it fewer than 10.
    few = cases.head(28)
    threat_dof = robust.variants(few, "threat")["ologit"].attrs["df_resid"]
    keep_dof = robust.variants(few, "keep_up")["ologit"].attrs["df_resid"]
    assert threat_dof == 9 and robust.variants(few, "threat")["ols"].attrs["df_resid"] == 11
    checks = robustness_checks(few, tmp_path)
    assert checks["fig-robust-threat"].status == "suppressed"
    assert checks["fig-robust-threat"].suppressed == [{"cell": "ordered logit (AME)", "rule": "dof"}]
    refused = [{"cell": "threat model, ordered logit (AME)", "rule": "dof"}]
    if keep_dof >= 10:
        assert checks["fig-robust-keep-up"].status == "review"  # shown, manager flagged
    else:
        assert checks["fig-robust-keep-up"].suppressed == [{"cell": "ordered logit (AME)", "rule": "dof"}]
        refused.append({"cell": "keep-up model, ordered logit (AME)", "rule": "dof"})
    assert checks["tab-robust-conclusions"].suppressed == refused
    withheld = {k for k, c in checks.items() if c.kind == "prose" and c.withheld}
    assert {"robust_threat_employability_ame", "robust_threat_employability_or", "robust_ologit_max_gap",
            "robust_n_hold", "robust_failures"} <= withheld

    assert robust.variants(cases.head(26), "threat")["ols"].attrs["df_resid"] == 9
    checks = robustness_checks(cases.head(26), tmp_path)
    assert checks["fig-robust-threat"].status == "refused"
    assert checks["tab-robust-conclusions"].status == "refused"
    assert checks["robust_n_threat"].withheld and checks["robust_n_hold_ols"].withheld
    assert checks["tab-robust-vif"].status == "pass"  # 26 respondents, 16 terms: 10 degrees of freedom


# ------------------------------------------------------------------------------------------ group disclosure


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
    ax = drawn(figures.keep_up_by_gender, df, check=True)
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
    rec = recorded()[-1]
    assert rec.output == "tab-hours" and {s["rule"] for s in rec.suppressed} == {"minmax"}
    # describe() puts them in the index
    chk = outputcheck.check_columns(pd.Series([1.0, 5.0, 9.0]).describe().to_frame())
    assert {k for k in chk.hidden} == {("index", "min"), ("index", "max")}
    # words that merely contain the letters pass
    assert not outputcheck.check_columns(pd.DataFrame(columns=["maximal effort", "admin", "mean"])).hidden


# ---------------------------------------------------------------------------------------------- the judiciary


def test_judiciary_shares_table_and_stacked_figure_show_suppressions(judiciary):
    assert 90 <= len(judiciary) <= 130
    t = tables.shares_table(judiciary, "age_group", check="tab-age")
    assert "suppressed" in list(t["n"]) and "suppressed" in list(t["percent"])
    ax = drawn(figures.keep_up_by_age_group, judiciary, check="fig-keep-up-age")
    hatched = [p for p in ax.patches if str(p.get_gid()).startswith("suppressed")]
    assert hatched and all(p.get_hatch() for p in hatched)
    assert any("suppressed" in t.get_text() for t in ax.texts)
    ax = drawn(figures.threat_by_manager, judiciary, check="fig-threat-manager")
    # 8 managers
    assert any(str(p.get_gid()).startswith("suppressed") and p.get_width() == 100.0 for p in ax.patches)
    # No suppressed share is drawn: every visible segment rests on a cell that passed.
    chk = outputcheck.check_crosstab(judiciary, "keep_up", "age_group",
                                     list(frame.category_labels("age_group", "en",
                                                                set(judiciary["age_group"].dropna())).items()))
    assert chk.status == "suppressed" and len(chk.suppressed) >= 4
    assert [r.output for r in recorded()] == ["tab-age", "fig-keep-up-age", "fig-threat-manager"]


def test_judiciary_prose_glues_suppressed(judiciary, monkeypatch):
    glued = {}  # werk.book glues with myst_nb.glue, imported as book._glue
    monkeypatch.setattr(book, "_glue", lambda key, value, display=True: glued.__setitem__(key, value))
    book.glue_claim("share:manager", book.share(judiciary, "manager", [1]), df=judiciary)  # 8 managers
    book.glue_claim("share:male", book.share(judiciary, "gender", [1]), df=judiciary)
    book.glue("high_managers", "37.5%",
              check=outputcheck.check_share(judiciary.loc[judiciary["manager"] == 1, "threat"], [3, 4, 5]))
    assert glued["share_manager"] == "suppressed"
    assert glued["share_male"].endswith("%") and glued["share_male"] != "suppressed"
    assert glued["high_managers"] == "suppressed"
    assert [(c.output, c.kind, c.status) for c in recorded()] == [
        ("share_manager", "prose", "suppressed"), ("share_male", "prose", "pass"),
        ("high_managers", "prose", "suppressed")]
    # What the page glues for the build (book.glue_outputcheck): every check, stamped with the page.
    recs = json.loads(record.current().to_json("01_design"))
    assert {r["page"] for r in recs} == {"01_design"} and [r["output"] for r in recs] == [
        "share_manager", "share_male", "high_managers"]


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_a_sentence_of_two_withheld_shares_reads_as_a_sentence(judiciary, twin, monkeypatch, lang):
    """The conclusion's range over the age groups: the judiciary's small age groups withhold both ends, so
    the page glues the clause that says so instead of "between suppressed and suppressed"; the whole twin
    shows the range, in the run's number style."""
    glued = {}
    monkeypatch.setattr(book, "_glue", lambda key, value, display=False: glued.__setitem__(key, value))
    monkeypatch.setattr(book, "run_lang", lambda: lang)
    shown, withheld = "between {0} and {1}", "withheld in this edition"
    whole = frame.edition_frame(twin)
    for name, df in (("judiciary", judiciary), ("twin", whole)):
        book.glue_extremum("low", df, "threat", [1, 2], "age_group", "min")
        book.glue_extremum("high", df, "threat", [1, 2], "age_group", "max")
        book.glue_phrase(name, shown, withheld, "low", "high")
    assert glued["judiciary"] == withheld
    answered = whole.dropna(subset=["threat"])
    by_age = answered.groupby("age_group")["threat"].apply(lambda s: 100 * s.isin([1, 2]).mean())
    ends = [fmt.format_number(v, 1) + "%" for v in (by_age.min(), by_age.max())]
    assert glued["twin"] == fmt.localize(shown.format(*ends), lang)
    if lang == "nl":
        assert "," in glued["twin"] and "." not in glued["twin"]
    record.start("another page")  # a value glued on another page is not this page's
    with pytest.raises(KeyError, match="'low' is not glued on this page"):
        book.glue_phrase("range", shown, withheld, "low", "high")


# ------------------------------------------------------------------------------------------------ report


def test_the_json_report_lists_what_the_pages_recorded_and_no_small_count(judiciary, tmp_path):
    """The report summarizes the pages' records (here one page's, as its notebook run recorded them)."""
    rec = record.start("01_design")
    book.markdown_table(tables.shares_table(judiciary, "age_group", check=True), "Age", "tab-age")
    book.glue_claim("share:manager", book.share(judiciary, "manager", [1]), df=judiciary)  # 8 managers
    records = {"01_design": {"page": "01_design", "label": "sec-design", "title": "Design",
                             "summarizes": False, "checks": json.loads(rec.to_json())}}
    path = report.write_report(records, tmp_path / "output-check.json", edition=JUDICIARY,
                               respondents=len(judiciary))
    rep = json.loads(path.read_text(encoding="utf-8"))
    assert rep["edition"] == JUDICIARY and rep["thresholds"]["respondents"] == 10
    assert rep["respondents"] == len(judiciary)
    # Exactly what was recorded: nothing recomputed, nothing added.
    assert {page: [r["output"] for r in rs] for page, rs in rep["pages"].items()} == {
        "01_design": ["tab-age", "share_manager"]}
    recs = rep["pages"]["01_design"]
    by_output = {r["output"]: r for r in recs}
    age = by_output["tab-age"]
    assert age["status"] == "suppressed"
    assert {s["cell"] for s in age["suppressed"]} == {"25–34", "65 and over"}
    assert by_output["share_manager"]["status"] == "suppressed"
    assert rep["summary"] == report.summary(record.checks_of(records))
    assert rep["summary"]["outputs"] == 2 and rep["summary"]["suppressed"] == 2
    assert rep["summary"]["suppressed_cells"] == sum(len(r["suppressed"]) for r in recs) >= 3
    # Published beside the HTML: it must not print what it suppressed.
    assert all(r["n"] is None or r["n"] >= 10 for r in recs)
    assert all(set(s) == {"cell", "rule"} for r in recs for s in r["suppressed"])
    assert report.report(records, JUDICIARY, respondents=9)["respondents"] is None
    # Same records, same bytes.
    again = report.write_report(records, tmp_path / "again.json", edition=JUDICIARY,
                                respondents=len(judiciary))
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
    proc = subprocess.run([sys.executable, "-c", "import werk.disclosure.rules, werk.book"],
                          capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout == "" and proc.stderr == ""


# ------------------------------------------------------------------------------------------------ built books

#: A check an analyst adds to a page: the report and the appendix must show it, because they read what the
#: pages recorded (a copy of the pages' checks, recomputed elsewhere, would not know of it).
PROBE = "oc_probe_managers"
PROBE_CELL = f"""from werk.disclosure import rules as probe_rules

book.glue("{PROBE}", "8", check=probe_rules.check_share(df["manager"], [1]))"""


def with_probe(nb_path: Path) -> None:
    """Add :data:`PROBE`'s cell to a page, just before the cell that glues the page's checks."""
    import nbformat

    nb = nbformat.read(nb_path, as_version=4)
    last = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "glue_outputcheck" in c.source)
    nb.cells.insert(last, nbformat.v4.new_code_cell(PROBE_CELL, metadata={"tags": ["remove-cell"]}))
    nbformat.write(nb, nb_path)


@pytest.fixture(scope="module")
def judiciary_book(tmp_path_factory):
    """The rechterlijke-macht edition built into a project copy whose conclusion page has the probe.

    Returns the project root, the HTML folder and the page records (book order), as the build left them.
    """
    import conftest

    from werk.build import pipeline as build

    root = conftest.copy_project(tmp_path_factory.mktemp("judiciary"))
    # The copy's twin gets the judiciary's small cells for certain (the test is about them, not the draw).
    twin_csv = root / "data" / "twin.csv"
    twin_csv.write_bytes(synth.to_csv(small_judiciary_cells(pd.read_csv(twin_csv))).encode("utf-8"))
    with_probe(root / "notebooks" / "04_conclusion.ipynb")
    index = build.build(edition=JUDICIARY, root=root)
    folder = build.records_root(root) / "rechterlijke-macht"
    pages = [nb.stem for nb in build.notebooks_in_toc(root) if (folder / f"{nb.stem}.json").is_file()]
    return root, Path(index).parent, record.read_records(folder, pages)


def _checks(records: dict, page: str) -> dict[str, outputcheck.Check]:
    return {c.output: c for c in record.checks_of({page: records[page]})}


@pytest.mark.slow
def test_the_pages_records_are_what_the_executed_pages_glued(judiciary_book):
    root, _, records = judiciary_book
    executed = root / "_build" / "executed" / "rechterlijke-macht" / "notebooks"
    pages = {"01_design", "02_threat", "03_keep_up", "04_conclusion", "05_ledger", "09_robustness"}
    assert pages <= set(records)
    for page, rec in records.items():
        assert record.page_record(executed / f"{page}.ipynb") == rec, page
        assert {d["page"] for d in rec["checks"]} == {page}
    # The page with the probe recorded it, withheld (8 managers in the judiciary).
    probe = _checks(records, "04_conclusion")[PROBE]
    assert probe.kind == "prose" and probe.status == "suppressed"


@pytest.mark.slow
def test_output_check_json_is_the_report_of_the_pages_records(judiciary_book, judiciary):
    _, html, records = judiciary_book
    rep = json.loads((html / "output-check.json").read_text(encoding="utf-8"))
    assert rep == report.report(records, JUDICIARY, respondents=len(judiciary))
    assert list(rep["pages"]) == list(records)
    assert PROBE in [r["output"] for r in rep["pages"]["04_conclusion"]]
    recs = [r for rs in rep["pages"].values() for r in rs]
    by_output = {r["output"]: r for r in recs}
    age = by_output["tab-age"]
    assert age["status"] == "suppressed"
    assert {s["cell"] for s in age["suppressed"]} == {"25–34", "65 and over"}
    assert by_output["share_manager"]["status"] == "suppressed"
    assert rep["summary"]["suppressed_cells"] == sum(len(r["suppressed"]) for r in recs) > 20
    assert rep["summary"]["outputs"] == len(recs)
    # Published beside the HTML: it must not print what it suppressed.
    assert all(r["n"] is None or r["n"] >= 10 for r in recs)
    assert all(set(s) == {"cell", "rule"} for r in recs for s in r["suppressed"])


def _appendix_rows(html: Path, table: str) -> list[list]:
    """The rows of a table of the output-check appendix: each cell's text, or for a link its page and
    target."""
    from bs4 import BeautifulSoup

    page = html / "notebooks" / "08_output_check.html"
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    rows = []
    for tr in soup.select_one(f"#{table}").select("tbody tr"):
        cells = []
        for td in tr.find_all("td"):
            code, link = td.find("code"), td.find("a")
            if code is not None:
                cells.append(code.get_text())
            elif link is not None:
                page, _, target = link["href"].partition("#")
                cells.append((Path(page).stem, target))
            else:
                cells.append(td.get_text(strip=True))
        rows.append(cells)
    return rows


@pytest.mark.slow
def test_the_appendix_lists_exactly_what_the_pages_recorded(judiciary_book):
    from werk.core import fmt

    _, html, records = judiciary_book
    summarized = {p: r for p, r in records.items() if p != "08_output_check"}

    def n_text(n):
        return "" if n is None else fmt.format_count(n) if n >= 10 else "< 10"

    def output(c):
        return (c.page, c.output) if c.kind in ("table", "figure") and c.output.startswith(("tab-", "fig-")) \
            else c.output

    every = record.checks_of(summarized)
    expected = [[(c.page, records[c.page]["label"]), output(c), c.kind, ", ".join(c.rules), n_text(c.n),
                 c.status] for c in every]
    assert _appendix_rows(html, "tab-oc-all") == expected
    findings = _appendix_rows(html, "tab-oc-findings")
    assert [row[1] for row in findings] == [output(c) for c in every if c.status != "pass"]
    assert PROBE in [row[1] for row in findings] and "share_manager" in [row[1] for row in findings]
    per_page = {row[0][0]: row[1:] for row in _appendix_rows(html, "tab-oc-pages")}
    assert list(per_page) == list(summarized)
    for page, rec in summarized.items():
        n = report.summary(record.checks_of({page: rec}))
        assert per_page[page] == [str(n[k]) for k in ("outputs", "pass", "review", "suppressed", "refused",
                                                      "suppressed_cells")], page


@pytest.mark.slow
def test_robustness_page_flags_the_judiciarys_small_groups(judiciary_book):
    checks = _checks(judiciary_book[2], "09_robustness")
    # 8 managers: every variant's manager dummy is flagged in the figures; the conclusions table shows only
    # the claims' terms, of which permanent contract has a small group in the threat model's cases.
    assert checks["fig-robust-threat"].status == "review"
    assert {f["cell"] for f in checks["fig-robust-threat"].flagged} >= {"manager"}
    assert checks["tab-robust-conclusions"].flagged == [{"cell": "threat model: permanent contract",
                                                         "rule": "dummy"}]
    assert not [c.output for c in checks.values() if c.withheld]
    assert checks["robust_n_threat"].kind == "prose" and checks["tab-robust-vif"].status == "pass"


@pytest.mark.slow
def test_judiciary_suppressions_are_visible_in_the_pages(judiciary_book):
    from bs4 import BeautifulSoup

    html = judiciary_book[1] / "notebooks"
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


@pytest.mark.slow
def test_the_whole_twin_suppresses_no_number_in_the_prose(built_book):
    """The default book keeps its glued numbers (and so its match with the ledger): as its pages recorded."""
    from werk.build import pipeline as build

    records = record.read_records(build.records_root(built_book) / "all")
    prose = [c for c in record.checks_of(records) if c.kind == "prose"]
    assert len(prose) > 40 and not [c.output for c in prose if c.withheld]
