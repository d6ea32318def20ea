"""Statistics computed once (werk.core.memo): a kept result is the function's; a changed input recomputes."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import make_canonical_frame

from werk.core import files, memo, paths
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
    monkeypatch.setattr(memo, "_PUBLISHED", {})
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
    files = {f.name: f for f in store.glob("*.pkl")}
    assert len(files) == 3
    for age, f in enumerate(files.values()):  # all used an hour ago and before, in order
        os.utime(f, (time.time() - 3600 - age, time.time() - 3600 - age))
    memo._MEMORY.clear()
    _mean(df, "income")  # taken from the store: used now
    assert CALLS == ["age", "income", "education"]
    (store / ".x.pkl.1-2.tmp").write_bytes(b"half")  # a killed writer's, two hours old
    os.utime(store / ".x.pkl.1-2.tmp", (time.time() - 7200, time.time() - 7200))
    assert memo.prune(store, keep=2) == 1
    left = set(f.name for f in store.glob("*.pkl"))
    newest_unused = max((f for f in files.values() if f.exists()), key=lambda f: f.stat().st_mtime)
    assert len(left) == 2 and newest_unused.name in left
    memo._MEMORY.clear()
    _mean(df, "income")
    assert CALLS == ["age", "income", "education"]  # the one used last was kept
    assert not (store / ".x.pkl.1-2.tmp").exists()


def test_a_second_call_is_taken_from_the_store_for_every_kept_statistic(monkeypatch, twin_frame):
    """Each kept function stores once and then reads: were the store skipped (an unkeyable attribute, say),
    the second call would store again."""
    writes = []
    write = memo._write
    monkeypatch.setattr(memo, "_write", lambda key, blob: writes.append(key) or write(key, blob))
    small = twin_frame[twin_frame["sector"].isin([1, 2])]
    calls = [
        lambda: models.standardized_ols(small, "threat", ["age", "employability"]),
        lambda: models.sector_test(small, "keep_up"),
        lambda: robust.variants(small, "threat"),
        lambda: robust.brant(small, "keep_up"),
        lambda: rules._small_dummies(small, models.fit(small, "threat")),
    ]
    for call in calls:
        before = len(writes)
        first = call()
        stored = len(writes) - before
        assert stored >= 1
        second = call()
        assert len(writes) - before == stored, "the second call stored again: it was not taken from the store"
        if isinstance(first, pd.DataFrame):
            pd.testing.assert_frame_equal(first, second, check_exact=True)
        elif isinstance(first, dict) and all(isinstance(v, pd.DataFrame) for v in first.values()):
            for k in first:
                pd.testing.assert_frame_equal(first[k], second[k], check_exact=True)
        else:
            assert repr(first) == repr(second)


def test_categories_order_and_unused_categories_are_in_the_key():
    a = pd.DataFrame({"g": pd.Categorical([1, 2])})
    b = pd.DataFrame({"g": pd.Categorical([1, 2], categories=[1, 2, 3])})
    c = pd.DataFrame({"g": pd.Categorical([1, 2], ordered=True)})
    assert len({memo.digest_of(x) for x in (a, b, c)}) == 3
    assert memo.digest_of(a) == memo.digest_of(a.copy())


def test_a_generator_argument_runs_uncached_and_is_not_used_up():
    df = make_canonical_frame(60)

    @memo.kept(reads=lambda df, columns: list(columns))
    def means(df, columns):
        return [float(df[c].mean()) for c in columns]

    got = means(df, (c for c in ["age", "income"]))
    assert got == [float(df["age"].mean()), float(df["income"].mean())]


def test_a_call_that_warns_warns_every_time_and_is_not_kept():
    @memo.kept()
    def noisy(x):
        CALLS.append(x)
        warnings.warn(f"careful with {x}", UserWarning, stacklevel=1)
        return x

    for _ in range(2):
        with pytest.warns(UserWarning, match="careful with 3"):
            assert noisy(3) == 3
    assert CALLS == [3, 3]


def test_a_stored_result_that_does_not_load_is_computed_again(tmp_path):
    df = make_canonical_frame(60)
    _mean(df, "age")
    (f,) = (tmp_path / "stats").glob("*.pkl")
    junk = b"not a pickle"
    f.write_bytes(hashlib.sha256(junk).hexdigest().encode() + b"\n" + junk)  # digest right, pickle not
    memo._MEMORY.clear()
    assert _mean(df, "age")["mean"].iloc[0] == pytest.approx(df["age"].mean())
    assert CALLS == ["age", "age"]


def test_the_claims_are_parsed_again_when_the_file_changes_even_with_its_old_time_and_size(tmp_path):
    f = tmp_path / "x.yml"
    f.write_text("a: 1\n", encoding="utf-8")
    first = files.read_yaml(f)
    first["a"] = 99
    assert files.read_yaml(f) == {"a": 1}  # a copy each call
    st = f.stat()
    f.write_text("a: 2\n", encoding="utf-8")  # same size
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))  # and the old modification time, as cp -p keeps it
    assert files.read_yaml(f) == {"a": 2}


def test_a_frame_without_the_sector_or_the_weight_is_fitted_again(twin_frame):
    with_sectors = models.fit(twin_frame, "threat")
    without = models.fit(twin_frame.drop(columns=["sector"]), "threat")
    assert with_sectors["term"].str.startswith("sector=").any()
    assert not without["term"].str.startswith("sector=").any()
    weighted = models.fit(twin_frame, "threat", weighted=True)
    assert not np.allclose(weighted["beta"], with_sectors["beta"])


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


def test_the_kept_ledger_and_claim_checks_equal_their_computation_and_follow_the_data(monkeypatch,
                                                                                      twin_frame):
    """A page shows the ledger up to four times an edition: kept, it must be the computation to the bit,
    taken from the store the second time, and computed again when one answer moves."""
    from werk.disclosure import claims as claim_checks
    from werk.stats import ledger

    small = twin_frame[twin_frame["sector"] == 2].reset_index(drop=True)
    first = ledger.ledger(small, edition=2)
    pd.testing.assert_frame_equal(first, ledger._ledger.uncached(small, None, 2, "en"), check_exact=True)
    ids = list(first["id"])
    checks = claim_checks.claim_checks(small, ids)
    direct = claim_checks.claim_checks.uncached(small, ids)
    assert repr(checks) == repr(direct) and len(checks) > 40
    writes = []
    write = memo._write
    monkeypatch.setattr(memo, "_write", lambda key, blob: writes.append(key) or write(key, blob))
    pd.testing.assert_frame_equal(ledger.ledger(small, edition=2), first, check_exact=True)
    assert repr(claim_checks.claim_checks(small, ids)) == repr(checks)
    assert writes == [], "a second call was computed and stored again: it was not taken from the store"
    moved = small.copy()
    rows = moved.index[:150]
    moved.loc[rows, "threat"] = 6 - moved.loc[rows, "threat"]  # reverse 150 answers
    again = ledger.ledger(moved, edition=2)
    assert not np.allclose(again["value"].fillna(0), first["value"].fillna(0))
    pd.testing.assert_frame_equal(again, ledger._ledger.uncached(moved, None, 2, "en"), check_exact=True)
    assert repr(claim_checks.claim_checks(moved, ids)) == repr(claim_checks.claim_checks.uncached(moved, ids))
