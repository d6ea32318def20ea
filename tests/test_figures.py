"""Tests of werk.display.figures and werk.display.tables on a small random frame (fast, Agg backend)."""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")  # before pyplot: tests must not need a display

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from werk.core import codebook  # noqa: E402
from werk.display import figures, tables  # noqa: E402
from werk.display import robust as robust_view  # noqa: E402
from werk.inputs import claims  # noqa: E402
from werk.stats import models  # noqa: E402
from werk.stats import robust as stats_robust  # noqa: E402

SCALES = list(codebook.SCALES)
FIG_DIR = os.environ.get("WERK_FIG_DIR", "/tmp/werk_figs")


def make_frame(n: int = 600, seed: int = 7) -> pd.DataFrame:
    """A canonical frame with the article's marginal shares, a few effects and some NaN."""
    rng = np.random.default_rng(seed)
    age = rng.integers(25, 71, n)
    manager = (rng.random(n) < 0.16).astype(int)
    df = pd.DataFrame(
        {
            "respondent_id": np.arange(1, n + 1),
            "weight": rng.uniform(0.5, 2.0, n),
            "sector": rng.choice(np.arange(1, 8), n, p=[0.40, 0.28, 0.09, 0.08, 0.07, 0.06, 0.02]),
            "age": age,
            "gender": rng.choice([1, 2], n, p=[0.4, 0.6]),
            "education": rng.integers(1, 4, n),
            "income": rng.integers(1, 6, n),
            "permanent_contract": (rng.random(n) < 0.96).astype(int),
            "manager": manager,
            "multiple_jobs": (rng.random(n) < 0.05).astype(int),
            "contract_hours": rng.normal(35, 5, n).round(),
            "years_in_government": rng.integers(0, 40, n).astype(float),
            "years_in_function": rng.integers(0, 25, n).astype(float),
        }
    )
    for s in SCALES:
        df[s] = np.clip(np.round(rng.normal(3.6, 0.6, n) * 4) / 4, 1, 5)
    threat_p = np.where(manager[:, None] == 1, [0.40, 0.45, 0.11, 0.03, 0.01], [0.29, 0.50, 0.15, 0.04, 0.02])
    df["threat"] = [rng.choice(np.arange(1, 6), p=p) for p in threat_p]
    older = (age >= 55)[:, None]
    keep_p = np.where(older, [0.02, 0.06, 0.30, 0.45, 0.17], [0.005, 0.02, 0.18, 0.53, 0.265])
    df["keep_up"] = [rng.choice(np.arange(1, 6), p=p) for p in keep_p]
    for col in ["threat", "keep_up", "employability", "hrm_quality"]:
        df.loc[rng.random(n) < 0.03, col] = np.nan
    return df


@pytest.fixture(scope="module")
def df():
    return make_frame()


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def valid_percent(series: pd.Series, codes) -> np.ndarray:
    """The independent computation: value_counts of the valid answers, in percent."""
    counts = series.dropna().value_counts(normalize=True)
    return np.array([100 * counts.get(c, 0.0) for c in codes])


def ytick_texts(ax) -> list[str]:
    return [t.get_text() for t in ax.get_yticklabels()]


def assert_lowercase_labels(ax):
    for text in (ax.get_xlabel(), ax.get_ylabel()):
        assert text.strip(), "axis label is empty"
        assert text == text.lower(), f"axis label not lowercase: {text!r}"


def stacked_widths(ax) -> np.ndarray:
    """Groups x answers matrix of segment widths, read back from the bar containers."""
    conts = [c for c in ax.containers
             if not any(str(p.get_gid()).startswith("suppressed") for p in c.patches)]
    return np.array([[p.get_width() for p in c.patches] for c in conts]).T


def drawn(func, *args, **kwargs):
    """Call a figure function without ``ax``: it returns None and draws one new figure; its one Axes."""
    before = set(plt.get_fignums())
    assert func(*args, **kwargs) is None, f"{func.__name__} returned something a notebook would show"
    new = [n for n in plt.get_fignums() if n not in before]
    assert len(new) == 1, f"{func.__name__} drew {len(new)} new figures"
    fig = plt.figure(new[0])
    assert len(fig.axes) == 1
    return fig.axes[0]


# --------------------------------------------------------------------------- figures


@pytest.mark.parametrize("func, variable", [
    (figures.threat_distribution, "threat"),
    (figures.keep_up_distribution, "keep_up"),
])
@pytest.mark.parametrize("lang", ["en", "nl"])
def test_distribution(df, func, variable, lang):
    ax = drawn(func, df, lang=lang)
    assert isinstance(ax, plt.Axes)
    assert ax.get_title() == ""
    assert_lowercase_labels(ax)
    labels = codebook.value_labels(variable, lang)
    assert ytick_texts(ax) == list(labels.values())
    widths = np.array([p.get_width() for p in ax.patches])
    np.testing.assert_allclose(widths, valid_percent(df[variable], labels), atol=1e-9)
    # percent labels on the bars, one decimal, in the language's separator
    texts = [t.get_text() for t in ax.texts]
    expected = [tables.format_percent(w, lang) + "%" for w in widths]
    assert texts == expected
    assert ax.yaxis_inverted()  # first answer on top


def test_dutch_labels_are_dutch(df):
    ax = drawn(figures.threat_distribution, df, lang="nl")
    assert ytick_texts(ax)[0] == "helemaal niet"
    assert "procent" in ax.get_xlabel()
    assert "bedreiging" in ax.get_ylabel()


THREAT_GROUPS = [[1], [2], [3, 4, 5]]
THREAT_LABELS = ["not at all", "hardly", "to a fair extent or more"]


def test_threat_by_manager(df):
    ax = drawn(figures.threat_by_manager, df)
    assert_lowercase_labels(ax)
    assert ytick_texts(ax) == ["managers", "employees"]
    # the article's grouping: the top three answers ("in redelijke, grote of zeer grote mate") as one
    assert [c.get_label() for c in ax.containers] == THREAT_LABELS
    got = stacked_widths(ax)
    for row, key in zip(got, [1, 0]):
        part = df.loc[df["manager"] == key, "threat"]
        np.testing.assert_allclose(row, [valid_percent(part, codes).sum() for codes in THREAT_GROUPS])
    np.testing.assert_allclose(got.sum(axis=1), 100.0)
    # legend lies below the axes, never on the bars
    fig = ax.figure
    r = fig.canvas.get_renderer()
    leg = ax.get_legend().get_window_extent(r)
    assert leg.y1 <= ax.get_window_extent(r).y0
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == THREAT_LABELS
    # segment labels only on segments of at least 4 %
    for text in ax.texts:
        assert float(text.get_text()) >= figures.MIN_LABEL_SHARE


def test_threat_by_manager_nl(df):
    ax = drawn(figures.threat_by_manager, df, lang="nl")
    assert ytick_texts(ax) == ["leidinggevenden", "medewerkers"]
    assert [c.get_label() for c in ax.containers] == ["helemaal niet", "nauwelijks",
                                                      "in redelijke, grote of zeer grote mate"]


def _with_few_managers_at_the_top(df):
    """The twin's pattern (issue 13): 4 managers answer 'to a very large extent', 48 employees do."""
    d = df.copy()
    d.loc[(d["manager"] == 1) & (d["threat"] == 5), "threat"] = 4
    top = d.index[d["manager"] == 1][:4]
    d.loc[top, "threat"] = 5
    return d


def test_threat_by_manager_withholds_no_large_group():
    """A handful of managers at the top answer must not take thousands of employees' answers with it.

    On main the employees' top two answers (about 4,400 people on the twin) were hatched "n < 10"."""
    d = _with_few_managers_at_the_top(make_frame(3000, seed=11))
    ax = drawn(figures.threat_by_manager, d, check=True)
    assert not [p for p in ax.patches if str(p.get_gid()).startswith("suppressed")]
    np.testing.assert_allclose(stacked_widths(ax).sum(axis=1), 100.0)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert not any("withheld" in t or "suppressed" in t for t in legend)


def test_keep_up_by_age_group(df):
    ax = drawn(figures.keep_up_by_age_group, df)
    assert_lowercase_labels(ax)
    present = set(codebook.age_group(df["age"]).dropna())
    order = [g for g in codebook.AGE_GROUPS if g[0] in present and g[0] not in ("55-64", "65+")]
    assert ytick_texts(ax) == [g[4] for g in order] + ["55 and over"]
    assert "under 25" not in ytick_texts(ax)
    groups = codebook.age_group(df["age"]).set_axis(df.index)
    got = stacked_widths(ax)
    answers = [[1, 2, 3], [4], [5]]
    keys = [[g[0]] for g in order] + [["55-64", "65+"]]
    for row, g in zip(got, keys):
        part = df.loc[groups.isin(g), "keep_up"]
        np.testing.assert_allclose(row, [valid_percent(part, codes).sum() for codes in answers])
    ax_nl = drawn(figures.keep_up_by_age_group, df, lang="nl")
    assert ytick_texts(ax_nl) == [g[3] for g in order] + ["55 jaar en ouder"]


def test_keep_up_by_age_withholds_nothing_on_the_twins_pattern():
    """Few 65+ and few young 'very poorly' answers are merged away, as the article groups them."""
    d = make_frame(3000, seed=5)
    young = d.index[(d["age"] < 35)]
    d.loc[young, "keep_up"] = d.loc[young, "keep_up"].where(d.loc[young, "keep_up"] > 2, 3)
    d.loc[young[:1], "keep_up"] = 2  # one young respondent answers "poorly"
    ax = drawn(figures.keep_up_by_age_group, d, check=True)
    assert not [p for p in ax.patches if str(p.get_gid()).startswith("suppressed")]


def test_withheld_segment_is_drawn_in_its_own_place(df):
    """A withheld middle answer is hatched where that answer is, not at the end of the bar.

    On main, the hatched segment was drawn at the end of the bar whatever its category."""
    ax = drawn(figures.stacked_shares, df, "keep_up", "gender", suppress_cells={(1, 2), (1, 4)})
    marks = sorted((p for p in ax.patches if str(p.get_gid()).startswith("suppressed")),
                   key=lambda p: p.get_x())
    assert len(marks) == 2
    men = df.loc[df["gender"] == 1, "keep_up"]
    pct = valid_percent(men, range(1, 6))
    hidden = pct[1] + pct[3]
    # answer 2 starts after answer 1; answer 4 after answers 1, 2 (drawn withheld, half the hidden width), 3
    np.testing.assert_allclose(marks[0].get_x(), pct[0])
    np.testing.assert_allclose(marks[1].get_x(), pct[0] + hidden / 2 + pct[2])
    # their single widths do not show: they share the combined width
    np.testing.assert_allclose([m.get_width() for m in marks], [hidden / 2, hidden / 2])
    shown = [p for c in ax.containers for p in c.patches if p.get_gid() is None and p.get_width() > 0]
    assert max(p.get_x() + p.get_width() for p in shown) == pytest.approx(100.0)


def test_legend_tells_small_cells_from_secondary_and_shows_only_what_is_drawn():
    d = make_frame(2000, seed=3)
    men = d.index[d["gender"] == 1]
    d.loc[men, "keep_up"] = d.loc[men, "keep_up"].replace(1, 2)
    d.loc[men[:4], "keep_up"] = 1  # 4 men answer "very poorly": primary; another men's cell: secondary
    women = d.index[d["gender"] == 2]
    d.loc[women, "keep_up"] = d.loc[women, "keep_up"].replace(1, 2)
    d.loc[women[:30], "keep_up"] = 1
    ax = drawn(figures.keep_up_by_gender, d, check=True)
    rules_drawn = {p.get_gid() for p in ax.patches if str(p.get_gid()).startswith("suppressed")}
    assert "suppressed:threshold" in rules_drawn and "suppressed:secondary" in rules_drawn
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "withheld: fewer than 10 respondents" in legend
    assert "withheld so that another number cannot be derived" in legend
    assert "suppressed (n < 10)" not in legend
    # and with nothing withheld, no withheld entry
    ax2 = drawn(figures.keep_up_by_gender, make_frame(2000, seed=3), check=True)
    if not [p for p in ax2.patches if str(p.get_gid()).startswith("suppressed")]:
        assert not any("withheld" in t.get_text() for t in ax2.get_legend().get_texts())
    # an answer drawn nowhere is not in the legend
    d3 = make_frame(600, seed=2)
    d3["keep_up"] = d3["keep_up"].replace(1, 2)
    ax3 = drawn(figures.keep_up_by_gender, d3)
    assert "very poorly" not in [t.get_text() for t in ax3.get_legend().get_texts()]


def test_keep_up_by_gender(df):
    for lang in ("en", "nl"):
        ax = drawn(figures.keep_up_by_gender, df, lang=lang)
        assert_lowercase_labels(ax)
        assert ytick_texts(ax) == list(codebook.value_labels("gender", lang).values())
        got = stacked_widths(ax)
        for row, key in zip(got, [1, 2]):
            expected = valid_percent(df.loc[df["gender"] == key, "keep_up"], range(1, 6))
            np.testing.assert_allclose(row, expected)


@pytest.mark.parametrize("key", ["25-34", "25–34"])  # a group key or its label
def test_suppression_draws_marked_bar(df, key):
    ax = drawn(figures.keep_up_by_age_group, df, suppress={key})
    marked = [p for p in ax.patches if str(p.get_gid()).startswith("suppressed")]
    assert len(marked) == 1
    assert marked[0].get_hatch()
    assert marked[0].get_width() == 100.0
    assert any(t.get_text() == "suppressed" for t in ax.texts)
    # the suppressed group shows no shares, the others still do
    got = stacked_widths(ax)
    assert got[0].sum() == 0.0
    np.testing.assert_allclose(got[1:].sum(axis=1), 100.0)
    ax_nl = drawn(figures.keep_up_by_gender, df, lang="nl", suppress={"vrouw"})
    assert any(t.get_text() == "onderdrukt" for t in ax_nl.texts)


def test_segment_labels_fit(df):
    ax = drawn(figures.threat_by_manager, df)
    r = ax.figure.canvas.get_renderer()
    boxes = [t.get_window_extent(r) for t in ax.texts]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b), "segment labels overlap"


def test_coefficient_plot(df):
    res = models.fit(df, "threat")
    ax = drawn(figures.coefficient_plot, res)
    assert_lowercase_labels(ax)
    # English labels are short enough not to be wrapped; a two-valued predictor is marked ▪
    two = dict(zip(res["term"], res["binary"]))
    assert ytick_texts(ax) == [models.term_label(t) + (" ▪" if two[t] else "") for t in res["term"]]
    sig = {c.get_gid(): c for c in ax.collections if c.get_gid()}
    filled = sig["significant"].get_offsets()
    hollow = sig["not significant"].get_offsets()
    assert len(filled) == (res["p"] < 0.05).sum()
    assert len(hollow) == (res["p"] >= 0.05).sum()
    if len(hollow):
        assert tuple(sig["not significant"].get_facecolors()[0][:3]) == (1.0, 1.0, 1.0)
    # the zero line
    assert any(np.allclose(line.get_xdata(), 0) for line in ax.get_lines())
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["p < .05", "p ≥ .05", "β printed in the article", "β only these data give"]


def test_coefficient_plot_draws_two_valued_predictors_as_group_differences(df):
    """gender, manager, the sectors: b / SD(y), not a per-SD beta; the continuous ones keep their beta."""
    res = models.fit(df, "threat").set_index("term")
    ax = drawn(figures.coefficient_plot, res.reset_index())
    x = {}
    for coll in ax.collections:
        if coll.get_gid() in ("significant", "not significant"):
            for (px, py) in coll.get_offsets():
                x[int(round(py))] = px
    terms = list(res.index)
    for i, term in enumerate(terms):
        want = res.loc[term, "b_sd"] if res.loc[term, "binary"] else res.loc[term, "beta"]
        assert abs(x[i] - want) < 1e-9, term
    two = res[res["binary"].astype(bool)]
    assert len(two) and (two["b_sd"] - two["beta"]).abs().max() > 0.01  # the two scales differ
    assert "two-valued" in ax.get_xlabel()


def test_coefficient_plot_tells_printed_betas_from_the_rest(df):
    """The article prints the threat model's betas of tenure, employability, ...; not the manager's."""
    res = models.fit(df, "threat")
    printed = figures.printed_terms("threat")
    assert "years_in_government" in printed and "manager" not in printed
    ax = drawn(figures.coefficient_plot, res)
    colours = {t.get_text(): t.get_color() for t in ax.get_yticklabels()}
    assert colours[models.term_label("manager") + " ▪"] != colours[models.term_label("years_in_government")]
    # every marker of an unprinted term is grey, of a printed one the main colour
    for c in (c for c in ax.collections if c.get_gid()):
        for (_x, y), face in zip(c.get_offsets(), c.get_edgecolors()):
            term = res["term"].iloc[int(round(y))]
            want = figures.MAIN_COLOR if term in printed else figures.UNPRINTED_COLOR
            np.testing.assert_allclose(face[:3], want, atol=1e-6)


def test_source_line_is_in_the_image(df):
    """A screenshot circulates alone: the figure itself says synthetic (with the seed) or CBS."""
    from werk.inputs import frame

    twin = df.copy()
    twin.attrs[frame.SOURCE_ATTR] = {"en": frame.source_line({"is_twin": True}), "is_twin": True}
    real = df.copy()
    real.attrs[frame.SOURCE_ATTR] = {"en": frame.source_line({"is_twin": False}), "is_twin": False}
    for func in (figures.threat_distribution, figures.threat_by_manager):
        texts = [t.get_text() for t in drawn(func, twin).figure.texts if t.get_gid() == "source"]
        assert len(texts) == 1 and "not CBS microdata" in texts[0] and str(frame.twin_seed()) in texts[0]
        texts = [t.get_text() for t in drawn(func, real).figure.texts if t.get_gid() == "source"]
        assert len(texts) == 1 and "non-public microdata from Statistics Netherlands" in texts[0]
    ax = drawn(figures.coefficient_plot, models.fit(df, "threat"), df=twin)
    assert any("invented" in t.get_text() for t in ax.get_legend().get_texts())
    ax = drawn(figures.coefficient_plot, models.fit(df, "threat"), df=real)
    assert not any("invented" in t.get_text() for t in ax.get_legend().get_texts())


def test_coefficient_plot_variants(df):
    res = {"OLS": models.fit(df, "threat"), "HC3": models.fit(df, "threat", cov_type="HC3")}
    ax = drawn(figures.coefficient_plot, res, lang="nl")
    gids = {c.get_gid() for c in ax.collections if c.get_gid()}
    assert {"significant:OLS", "significant:HC3"} <= gids
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[:2] == ["OLS", "HC3"]
    # dodged: the two variants of a term sit at different heights
    def heights(variant):
        return np.concatenate([c.get_offsets()[:, 1] for c in ax.collections
                               if str(c.get_gid()).endswith(f":{variant}")])

    y_ols, y_hc3 = heights("OLS"), heights("HC3")
    assert not set(np.round(y_ols, 6)) & set(np.round(y_hc3, 6))


def test_given_axes_is_used(df):
    fig, axs = plt.subplots(1, 2)
    assert figures.threat_distribution(df, ax=axs[1]) is None
    assert plt.get_fignums() == [fig.number]  # no new figure
    assert len(axs[1].patches) == 5 and not axs[0].patches
    assert ytick_texts(axs[1]) == list(codebook.value_labels("threat").values())


#: Public functions of werk.display.figures that draw nothing: axis_label returns a label, savefig
#: writes a file (and returns None, tested with every figure below).
NOT_FIGURES = {"axis_label", "savefig", "age_groups_55", "source_text", "printed_terms"}


@pytest.fixture(scope="module")
def fits(df):
    return stats_robust.model_variants(df, "threat", ["employability", "expertise", "age"])


def figure_calls(df, fits) -> dict:
    """name -> a call, with a given ``ax`` or None, of every public figure function of
    werk.display.figures (some in two ways) and of werk.display.robust.plot."""
    res = models.fit(df, "threat")
    small = df.dropna(subset=["threat", "employability", "expertise"]).head(12)
    refused = models.standardized_ols(small, "threat", ["employability", "expertise"])
    assert refused.attrs["df_resid"] == 9
    return {
        "threat_distribution": lambda ax: figures.threat_distribution(df, ax=ax),
        "threat_by_manager": lambda ax: figures.threat_by_manager(df, ax=ax),
        "keep_up_distribution": lambda ax: figures.keep_up_distribution(df, ax=ax, lang="nl", check=True),
        "keep_up_by_age_group": lambda ax: figures.keep_up_by_age_group(df, ax=ax),
        "keep_up_by_gender": lambda ax: figures.keep_up_by_gender(df, ax=ax, check=True),
        "distribution": lambda ax: figures.distribution(df, "threat", ax=ax, suppress={1}),
        "stacked_shares": lambda ax: figures.stacked_shares(df, "threat", "sector", ax=ax),
        "coefficient_plot": lambda ax: figures.coefficient_plot({"OLS": res, "HC3": res}, ax=ax, lang="nl"),
        "coefficient_plot (refused)": lambda ax: figures.coefficient_plot(refused, ax=ax, check=True),
        "robust.plot": lambda ax: robust_view.plot(fits, ax=ax, check=True, df=df),
        "robust.plot (refused)": lambda ax: robust_view.plot(
            stats_robust.model_variants(small, "threat", ["employability", "expertise"]), ax=ax, check=True),
    }


def test_every_public_figure_function_is_called_by_the_none_test(df, fits):
    public = {name for name in figures.__all__ if callable(getattr(figures, name))} - NOT_FIGURES
    called = {name.split(" ")[0] for name in figure_calls(df, fits)}
    assert called == public | {"robust.plot"}


@pytest.mark.parametrize("given_ax", [False, True], ids=["new figure", "given ax"])
def test_every_figure_function_returns_none(df, fits, given_ax, tmp_path):
    """Nothing for a notebook to hide (nbval#194): each draws on ``ax`` or on one new figure."""
    for name, call in figure_calls(df, fits).items():
        if given_ax:
            fig, ax = plt.subplots()
            assert call(ax) is None, name
            assert plt.get_fignums() == [fig.number], f"{name} drew a new figure"
            assert ax.patches or ax.collections or ax.texts, f"{name} drew nothing on the given ax"
        else:
            ax = drawn(call, None)
            assert ax.patches or ax.collections or ax.texts, f"{name} drew nothing"
        if "(refused)" in name:
            assert not ax.collections and any(t.get_gid() == "suppressed" for t in ax.texts), name
        assert figures.savefig(ax, tmp_path / "figure.png") is None
        assert figures.savefig(ax.figure, tmp_path / "figure.svg") is None
        assert (tmp_path / "figure.png").stat().st_size and (tmp_path / "figure.svg").stat().st_size
        plt.close("all")


@pytest.mark.parametrize("given_ax", [False, True], ids=["new figure", "given ax"])
def test_robust_plot_labels_its_axis(fits, given_ax):
    if given_ax:
        fig, ax = plt.subplots()
        robust_view.plot(fits, ax=ax, lang="nl")
    else:
        ax = drawn(robust_view.plot, fits)
    gids = {c.get_gid() for c in ax.collections if c.get_gid()}
    for label in stats_robust.LABELS["nl" if given_ax else "en"].values():
        assert f"significant:{label}" in gids or f"not significant:{label}" in gids
    assert ("SD van het antwoord" if given_ax else "SD of the answer") in ax.get_xlabel()


def test_no_backend_or_output_at_import():
    import subprocess
    import sys

    code = (
        "import matplotlib, werk.display.figures, werk.display.tables;"
        "import sys; sys.stdout.write(str(matplotlib.rcParams._get_backend_or_none()))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "MPLBACKEND": ""})
    assert out.stdout == "None" and out.stderr == ""


def test_save_is_deterministic_and_writes_pngs(df, tmp_path):
    """Same figure saved twice gives the same bytes; also writes every figure for inspection."""
    os.makedirs(FIG_DIR, exist_ok=True)
    ax = drawn(figures.threat_by_manager, df)
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    figures.savefig(ax, a)
    ax.figure.savefig(b, dpi=150, metadata={"Software": None})
    assert a.read_bytes() == b.read_bytes()
    again = drawn(figures.threat_by_manager, df)
    figures.savefig(again, tmp_path / "c.png")
    assert (tmp_path / "c.png").read_bytes() == a.read_bytes()
    svg1, svg2 = tmp_path / "a.svg", tmp_path / "b.svg"
    figures.savefig(ax, svg1)
    figures.savefig(drawn(figures.threat_by_manager, df), svg2)
    assert svg1.read_bytes() == svg2.read_bytes()
    for lang in ("en", "nl"):
        for name in ["threat_distribution", "threat_by_manager", "keep_up_distribution",
                     "keep_up_by_age_group", "keep_up_by_gender"]:
            figures.savefig(drawn(getattr(figures, name), df, lang=lang), f"{FIG_DIR}/{name}_{lang}.png")
        figures.savefig(drawn(figures.coefficient_plot, models.fit(df, "keep_up"), lang=lang),
                        f"{FIG_DIR}/coef_{lang}.png")
        plt.close("all")


# --------------------------------------------------------------------------- tables


def test_shares_table_sector(df):
    t = tables.shares_table(df, "sector")
    assert list(t.columns) == ["sector", "n", "percent"]
    assert list(t["sector"][:-1]) == list(codebook.value_labels("sector").values())
    assert t["sector"].iloc[-1] == "total"
    expected = valid_percent(df["sector"], range(1, 8))
    assert list(t["percent"][:-1]) == [f"{x:.1f}" for x in expected]
    counts = df["sector"].value_counts()
    assert [int(s.replace(",", "")) for s in t["n"][:-1]] == [counts.get(c, 0) for c in range(1, 8)]
    assert all(isinstance(v, str) for v in t.to_numpy().ravel())


def test_shares_table_age_groups_published_nl(df):
    published = {"25-34": 11, "35-44": 20, "45-54": 29, "55-64": 38, "65+": 2}
    t = tables.shares_table(df, "age_group", lang="nl", published=published)
    assert list(t.columns) == ["leeftijdscategorie", "n", "procent", "gepubliceerd"]
    assert list(t["leeftijdscategorie"][:-1]) == ["25 – 34 jaar", "35 – 44 jaar", "45 – 54 jaar",
                                                  "55 – 64 jaar", "65 jaar en ouder"]
    groups = codebook.age_group(df["age"])
    expected = valid_percent(groups.astype(object), ["25-34", "35-44", "45-54", "55-64", "65+"])
    assert list(t["procent"][:-1]) == [f"{x:.1f}".replace(".", ",") for x in expected]
    assert list(t["gepubliceerd"][:-1]) == ["11%", "20%", "29%", "38%", "2%"]


def test_shares_table_valid_answers_only(df):
    t = tables.shares_table(df, "threat", decimals=2)
    expected = valid_percent(df["threat"], range(1, 6))
    assert list(t["percent"][:-1]) == [f"{x:.2f}" for x in expected]
    assert "missing: " + str(df["threat"].isna().sum()) in t.attrs["note"]


def test_model_table(df):
    res = models.fit(df, "threat")
    t = tables.model_table(res)
    assert list(t.columns) == ["term", "β", "β article", "95% CI", "difference", "p", "sig."]
    # A two-valued predictor reads as the difference of its groups (answer points, SDs of y), the others not.
    for cell, row in zip(t["difference"], res.itertuples()):
        if row.term in ("gender", "manager", "permanent_contract") or row.term.startswith("sector="):
            assert cell == f"{row.b:.2f} ({row.b_sd:.2f}\u00a0SD)".replace("-", "−").replace("−0.00", "0.00")
        else:
            assert cell == ""
    assert "in answer points" in t.attrs["note"]
    assert list(t["term"]) == [models.term_label(x) for x in res["term"]]
    # the article's printed betas beside ours; empty where it prints none (issue 13)
    # betas as the article prints them (APA, no leading zero), in the table as in the prose
    printed = {x: f"{c['value']:.2f}".replace("-", "−").replace("0.", ".", 1) for c in claims.claims()
               if c["id"].startswith("beta:threat~") for x in [c["id"].split("~")[1]]}
    assert list(t["β article"]) == [printed.get(x, "") for x in res["term"]]
    assert "reference sector: municipality" in t.attrs["note"] and "1 man, 2 woman" in t.attrs["note"]
    for cell, beta in zip(t["β"], res["beta"]):
        apa = f"{beta:.2f}".replace("-", "−").replace("0.", ".", 1)
        assert cell == apa or (cell == ".00" and abs(beta) < 0.005)
        assert "-" not in cell
    assert t.attrs["caption"].startswith(f"n = {res.attrs['n']:,}; R² = .")  # APA, as the article prints it
    assert "*** p < .001" in t.attrs["note"]
    nl = tables.model_table(res, lang="nl")
    assert nl.iloc[0, 0] == models.term_label(res["term"][0], "nl")


def test_formatting_edges():
    assert tables.format_p(0.0004) == "<\u00a0.001"
    assert tables.format_p(0.001) == ".001"
    assert tables.format_p(0.05) == ".050"
    assert tables.format_p(0.0234) == ".023"
    assert tables.format_p(0.9999) == ">\u00a0.999"
    assert tables.stars(0.0004) == "***"
    assert tables.stars(0.001) == "**"
    assert tables.stars(0.0099) == "**"
    assert tables.stars(0.01) == "*"
    assert tables.stars(0.049) == "*"
    assert tables.stars(0.05) == ""
    assert tables.format_number(-0.134) == "−0.13"
    assert tables.format_number(0.04) == "0.04"
    assert tables.format_number(-0.001) == "0.00"
    assert tables.format_ci(-0.081, -0.029) == "[−.08,\u00a0−.03]"
    assert tables.format_percent(30.94, "nl") == "30,9"
    assert tables.format_count(12345, "nl") == "12.345"


def test_correlation_table(df):
    rows = [models.correlation(df, "hrm_leadership", "employability"),
            models.correlation(df, "age", "expertise")]
    t = tables.correlation_table(rows)
    assert list(t.columns) == ["variable", "with", "r", "95% CI", "p", "sig.", "n"]
    assert t.iloc[0, 0] == "HRM and leadership"
    assert t["r"].iloc[1] == tables.format_coef(rows[1]["r"])
    assert t["p"].iloc[1] == tables.format_p(rows[1]["p"])
    html = tables.styled(t).to_html()
    assert "p < .05" in html


def test_styled_has_no_index(df):
    html = tables.styled(tables.shares_table(df, "sector")).to_html()
    assert "municipality" in html and "valid answers" in html


def test_design_ledger_shows_labels_units_and_separators():
    """Table 1 of the book read `share:sector=1` and "largest: 1 (40%)"; now words, a unit, "5,391"."""
    from werk import book

    df = make_frame(1500, seed=4)
    df["age_group"] = codebook.age_group(df["age"]).to_numpy()
    t = book.ledger_table(df, section="design", links=False)
    assert list(t.columns) == ["claim", "unit", "article", "here", "status"]
    assert not any("`" in c or ":sector=" in c for c in t["claim"])
    assert "share: municipality" in list(t["claim"])
    row = t[t["claim"] == "respondents"].iloc[0]
    assert row["article"] == "5,391" and row["here"] == "1,500" and row["unit"] == "respondents"
    largest = t[t["claim"] == "largest sector"].iloc[0]
    assert largest["article"] == "largest: municipality"
    top = codebook.value_labels("sector")[int(df["sector"].value_counts().idxmax())]
    assert largest["here"].startswith(f"largest: {top} (")
    units = dict(zip(t["claim"], t["unit"]))
    assert units["mean: contract hours per week"] == "hours a week"
    assert units["mean: years in government"] == "years"


def test_downloads_hold_only_what_passed_and_reach_the_page(tmp_path):
    """A CSV beside each table and figure: withheld cells empty and flagged; the build writes it out."""
    import json

    from werk import book
    from werk.build import downloads
    from werk.inputs import frame as fr

    assert downloads.KEY == book.DOWNLOAD_KEY and downloads.FOLDER == book.DOWNLOADS
    d = make_frame(70, seed=9)
    d["age_group"] = codebook.age_group(d["age"]).to_numpy()
    t = tables.shares_table(d, "age_group", check=True)
    shown = book.markdown_table(t, caption="c", name="tab-x")
    item = shown.metadata[book.DOWNLOAD_KEY]
    assert item["name"] == "tab-x.csv" and "{download}`" in shown.data and "downloads/tab-x.csv" in shown.data
    csv = pd.read_csv(__import__("io").StringIO(item["text"]), dtype=str, keep_default_na=False)
    withheld = t["n"] == "suppressed"
    assert withheld.any(), "the test frame must have a withheld cell"
    gone = withheld.to_numpy()
    assert (csv.loc[gone, "n"] == "").all() and (csv.loc[gone, "withheld"] != "").all()
    assert (csv.loc[~withheld.to_numpy(), "n"] == t.loc[~withheld, "n"]).all()
    # a figure's CSV: no number where a segment is withheld
    figures.keep_up_by_age_group(d, check="fig-x")
    fig_csv = getattr(plt.gcf(), figures.CSV_ATTR)
    rows = pd.read_csv(__import__("io").StringIO(fig_csv["text"]), dtype=str, keep_default_na=False)
    assert set(rows["group"]) == {g[1] for g in figures.age_groups_55(d)}
    gone = rows["withheld"] != ""
    assert gone.any() and (rows.loc[gone, ["n", "percent"]] == "").all().all()
    assert (rows.loc[~gone, "n"].astype(int) >= 10).all()
    # the build writes what an executed notebook's outputs carry beside the page
    nb = {"cells": [{"cell_type": "code", "outputs": [
        {"output_type": "display_data", "data": {}, "metadata": {"text/markdown": {book.DOWNLOAD_KEY: item}}},
        {"output_type": "display_data", "data": {},
         "metadata": {"image/png": {"width": 10, book.DOWNLOAD_KEY: {"name": "../evil/fig-x.csv",
                                                                       "text": fig_csv["text"]}}}}]}]}
    path = tmp_path / "page.ipynb"
    path.write_text(json.dumps(nb))
    written = downloads.write(path)
    assert sorted(p.name for p in written) == ["fig-x.csv", "tab-x.csv"]
    assert all(p.parent == tmp_path / "downloads" for p in written)  # a name, never a path
    assert (tmp_path / "downloads" / "tab-x.csv").read_text() == item["text"]
    assert fr.SOURCE_ATTR  # the frame attribute the figures read exists


def test_png_formatter_puts_alt_text_in_a_2x_image():
    """Figures are 2x PNG shown at 1x, with the alt text written from data inside the image."""
    import base64
    import io

    from PIL import Image

    from werk import book

    d = make_frame(600, seed=1)
    figures.threat_by_manager(d, check="fig-y")
    fig = plt.gcf()
    data, meta = book._png(fig)
    raw = base64.b64decode(data)
    with Image.open(io.BytesIO(raw)) as im:
        assert im.size[0] // 2 == meta["width"]
        alt = im.text["Description"]
        assert "Software" not in im.text
    part = d.loc[d["manager"] == 1, "threat"]
    assert f"managers: not at all {valid_percent(part, [1])[0]:.1f}%" in alt
    assert meta[book.DOWNLOAD_KEY]["name"] == "fig-y.csv"
    assert book._png(fig)[0] == data  # same figure, same bytes


def test_every_table_says_its_source_and_model_tables_their_stars(monkeypatch):
    """Under every table: its notes (the stars legend) and where its numbers come from."""
    from werk import book

    df, info = book.load()
    res = models.fit(df, "keep_up")
    body = book.markdown_table(tables.model_table(res, check=True, df=df), caption="c", name="tab-z").data
    assert r"\* p < .05, \*\* p < .01, \*\*\* p < .001" in body
    assert "reference sector: municipality" in body
    assert "not CBS microdata" in body and "seed" in body
    monkeypatch.setitem(info, "is_twin", False)
    book._PAGE.start(info)
    body = book.markdown_table(tables.model_table(res), caption="c", name="tab-z").data
    assert "non-public microdata from Statistics Netherlands" in body and "not CBS microdata" not in body


def test_p_values_in_prose_read_p_equals(monkeypatch):
    """The prose read "p .018" (no "="); a glued p now carries its own "p = " or "p < "."""
    from werk import book

    glued = {}
    monkeypatch.setattr(book, "_glue", lambda key, value, display=False: glued.__setitem__(key, value))
    book.glue_claim("beta:threat~years_in_government", 0.04, p=0.018)
    assert glued["beta_threat_years_in_government_p"] == "p = .018"
    book.glue_claim("beta:threat~years_in_government", 0.04, p=0.0001)
    assert glued["beta_threat_years_in_government_p"] == "p <\u00a0.001"
    book.glue_published("beta:threat~years_in_government")
    assert glued["pub_beta_threat_years_in_government_p"].startswith("p < .")


def test_a_legend_too_wide_at_first_is_laid_out_again_without_a_warning_on_the_page():
    """Five long legend entries do not fit in one row: the first layout warns and is replaced. The page
    showed that warning (with the build's file path) under a figure that was laid out well in the end."""
    import warnings

    from matplotlib.patches import Patch

    fig, ax = plt.subplots(figsize=(7.0, 3.4), dpi=110)
    ax.barh(["25–34", "35–44", "45–54", "55 and over"], [20, 40, 60, 80])
    ax.set_xlabel("percent of valid answers")
    labels = ["reasonably or worse", "well", "very well", "withheld: fewer than 10 respondents",
              "withheld so that another number cannot be derived"]
    handles = [Patch(label=t) for t in labels]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        leg = figures._legend_below(ax, handles, labels, title="keeping up with technological change")
    assert not [w for w in caught if "Tight layout not applied" in str(w.message)]
    box, page = leg.get_window_extent(fig.canvas.get_renderer()), fig.bbox
    assert leg._ncols < len(labels) and page.x0 - 0.5 <= box.x0 and box.x1 <= page.x1 + 0.5
    plt.close(fig)
