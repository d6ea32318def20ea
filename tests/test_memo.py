"""Statistics computed once (werk.core.memo): a kept result is the function's; a changed input recomputes."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from conftest import make_canonical_frame

from werk.core import memo, paths
from werk.disclosure import rules
from werk.stats import models, robust

CALLS: list[str] = []


@memo.kept(reads=lambda df, column: [column])
def _mean(df: pd.DataFrame, column: str) -> pd.DataFrame:
    CALLS.append(column)
    out = pd.DataFrame({"mean": [float(df[column].mean())]})
    out.attrs["n"] = int(df[column].count())
    return out


@memo.kept()
def _echo(value):
    CALLS.append("echo")
    return value


@pytest.fixture(scope="module")
def twin_frame() -> pd.DataFrame:
    from werk.inputs import data

    return data.load(paths.TWIN)


@pytest.fixture(autouse=True)
def fresh(monkeypatch, tmp_path):
    """Every test starts with nothing kept in memory and a store of its own."""
    monkeypatch.setattr(memo, "_MEMORY", {})
    monkeypatch.setenv(memo.ENV, str(tmp_path / "stats"))
    CALLS.clear()


def test_a_kept_call_is_computed_once_and_returns_the_same_result():
    df = make_canonical_frame(60)
    first = _mean(df, "age")
    second = _mean(df.copy(), "age")
    assert CALLS == ["age"]
    pd.testing.assert_frame_equal(first, second, check_exact=True)
    assert second.attrs == {"n": int(df["age"].count())}


def test_one_changed_value_in_a_column_it_reads_computes_afresh():
    df = make_canonical_frame(60)
    before = _mean(df, "age")
    df.loc[df.index[3], "age"] += 10
    after = _mean(df, "age")
    assert CALLS == ["age", "age"]
    assert after["mean"].iloc[0] == pytest.approx(before["mean"].iloc[0] + 10 / df["age"].count())


def test_a_column_it_does_not_read_shares_the_result_but_other_rows_do_not():
    df = make_canonical_frame(60)
    _mean(df, "age")
    other = df.copy()
    other["income"] = 1.0  # not read by _mean(…, "age")
    _mean(other, "age")
    assert CALLS == ["age"]
    _mean(df.iloc[:-1], "age")  # one respondent fewer
    _mean(df.set_axis(df.index + 1), "age")  # same values, other rows' labels
    assert CALLS == ["age", "age", "age"]


def test_the_other_arguments_and_their_types_are_in_the_key():
    _echo(1)
    _echo(1.0)
    _echo(True)
    _echo("1")
    _echo([1])
    _echo((1,))
    _echo(np.int64(1))
    _echo({"a": 1})
    _echo({"a": 2})
    _echo(1)
    assert len(CALLS) == 9


def test_a_caller_that_changes_its_result_does_not_change_the_next():
    df = make_canonical_frame(60)
    first = _mean(df, "age")
    first.loc[0, "mean"] = -1
    first.attrs["n"] = 0
    again = _mean(df, "age")
    assert again["mean"].iloc[0] == pytest.approx(df["age"].mean())
    assert again.attrs["n"] == df["age"].count()


def test_an_argument_without_an_exact_digest_runs_uncached():
    thing = object()
    assert _echo(thing) is thing
    assert _echo(thing) is thing
    assert CALLS == ["echo", "echo"]


def test_the_store_on_disk_serves_another_process_and_a_damaged_file_is_a_miss(monkeypatch, tmp_path):
    df = make_canonical_frame(60)
    _mean(df, "age")
    monkeypatch.setattr(memo, "_MEMORY", {})  # as a new kernel of the same build
    _mean(df, "age")
    assert CALLS == ["age"]
    (pkl,) = (tmp_path / "stats").glob("*.pkl")
    pkl.write_bytes(pkl.read_bytes()[:-5])
    monkeypatch.setattr(memo, "_MEMORY", {})
    assert _mean(df, "age")["mean"].iloc[0] == pytest.approx(df["age"].mean())
    assert CALLS == ["age", "age"]


def test_without_a_store_results_are_kept_in_memory_only(monkeypatch, tmp_path):
    monkeypatch.delenv(memo.ENV)
    df = make_canonical_frame(60)
    _mean(df, "age")
    _mean(df, "age")
    assert CALLS == ["age"]
    assert not (tmp_path / "stats").exists()


def test_a_change_to_the_published_numbers_computes_afresh(monkeypatch, tmp_path):
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    shutil.copy(paths.PUBLISHED, project / "data" / "published.yml")
    monkeypatch.setenv(paths.ENV, str(project))
    df = make_canonical_frame(60)
    _mean(df, "age")
    _mean(df, "age")
    published = project / "data" / "published.yml"
    published.write_text(published.read_text(encoding="utf-8") + "\n# one more line\n", encoding="utf-8")
    _mean(df, "age")
    assert CALLS == ["age", "age"]


def test_prune_keeps_the_results_used_last(tmp_path):
    store = tmp_path / "stats"
    df = make_canonical_frame(60)
    for column in ("age", "income", "education"):
        _mean(df, column)
    assert len(list(store.glob("*.pkl"))) == 3
    assert memo.prune(store, keep=2) == 1
    assert len(list(store.glob("*.pkl"))) == len(list(store.glob("*.sha256"))) == 2


def test_a_kept_model_fit_is_the_fit_to_the_bit_and_follows_the_data(twin_frame):
    df = twin_frame
    kept = models.fit(df, "threat")
    again = models.fit(df, "threat")
    direct = models.standardized_ols.uncached(df, *models.MODELS["threat"][:2], sector_dummies=True)
    for res in (kept, again):
        pd.testing.assert_frame_equal(res, direct, check_exact=True)
        assert res.attrs == direct.attrs
    changed = df.copy()
    rows = changed.index[:400]
    changed.loc[rows, "threat"] = 6 - changed.loc[rows, "threat"]  # reverse 400 answers
    moved = models.fit(changed, "threat")
    assert not np.allclose(moved["beta"], kept["beta"])
    pd.testing.assert_frame_equal(
        moved, models.standardized_ols.uncached(changed, *models.MODELS["threat"][:2], sector_dummies=True),
        check_exact=True)


def test_kept_sector_test_variants_and_dummy_check_equal_their_computation(twin_frame):
    df = twin_frame
    assert models.sector_test(df, "keep_up") == models.sector_test.uncached(df, "keep_up")
    small = df[df["sector"].isin([1, 2])]
    for name, res in robust.variants(small, "threat").items():
        pd.testing.assert_frame_equal(res, robust.variants.uncached(small, "threat")[name], check_exact=True)
    fit = models.fit(small, "threat")
    assert rules._small_dummies(small, fit) == rules._small_dummies.uncached(small, fit)
    # Five respondents of sector 2 beside all of sector 1: the sector-2 dummy is flagged, from the kept count.
    few = pd.concat([small[small["sector"] == 1], small[small["sector"] == 2].head(5)])
    few_fit = models.fit(few, "threat")
    assert rules._small_dummies(few, few_fit) == ["sector=2"]
    assert rules.check_model(few_fit, "m", df=few).marked == {"sector=2"}
    assert rules.check_model(models.fit(small, "threat"), "m", df=small).marked == set()


def test_the_twin_a_sector_edition_shows_is_drawn_once_and_again_when_its_parameters_change(monkeypatch,
                                                                                             tmp_path):
    from werk.stats import synth

    draws = []
    draw = synth._draw
    monkeypatch.setattr(synth, "_draw", lambda *a: draws.append(a) or draw(*a))
    params = tmp_path / "twin_params.yml"
    shutil.copy(synth.params_path(), params)
    first = synth.generate(params, n=400)
    again = synth.generate(params, n=400)
    assert len(draws) == 1
    pd.testing.assert_frame_equal(first, again, check_exact=True)
    pd.testing.assert_frame_equal(first, draw(str(params), synth.DEFAULT_SEED, 400, True), check_exact=True)
    other_seed = synth.generate(params, seed=synth.DEFAULT_SEED + 1, n=400)
    assert len(draws) == 2 and not other_seed.equals(first)
    params.write_text(params.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    synth.generate(params, n=400)
    assert len(draws) == 3
    synth.generate(params, n=400, quiet=False)  # the command line's progress lines: always drawn
    assert len(draws) == 4
