"""The disclosure audit (werk.disclosure.audit): linked outputs solved as linear programs.

Small constructed tables are solved against brute-force enumeration of every integer table consistent with
the published numbers; a cell derivable from its margins is caught and fixed (by one cell, or by a pair);
a release with nothing withheld passes unchanged. On the twin, the two derivations of issue 15 are tried:
the full book less six sectors, and the shares of the 55 and over beside the age figure.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import matplotlib
import numpy as np

from werk.disclosure import audit

matplotlib.use("Agg")

V = "q"  # the answered question of the constructed tables


def cell(r, c) -> dict:
    return {"row": [r], V: [c]}


def count(name, where, value, key=None) -> audit.Number:
    return audit.Number("t", name, V, audit._where(where), float(value), None, 0, "all", key, float(value))


def share(name, where, base, value, key=None, loss=0.0) -> audit.Number:
    return audit.Number("t", name, V, audit._where(where), value, audit._where(base), 1, "all", key, loss)


def target(name, where, why="threshold") -> audit.Target:
    return audit.Target("t", name, V, audit._where(where), why)


def brute_force(numbers, targets, cells, top: int):
    """The least and most of each target over every table of whole counts 0..top that prints the numbers."""
    keys = list(cells)

    def value(where, table):
        return sum(v for k, v in zip(keys, table) if audit._members(where, cells[k]))

    found = [[math.inf, -math.inf] for _ in targets]
    for table in itertools.product(range(top + 1), repeat=len(keys)):
        ok = True
        for n in numbers:
            k = value(n.where, table)
            if n.base is None:
                ok = k == n.value
            else:
                b = value(n.base, table)
                lo, hi = audit._bounds(n)
                ok = b > 0 and lo <= 100 * k / b <= hi
            if not ok:
                break
        if ok:
            for f, t in zip(found, targets):
                v = value(t.where, table)
                f[0], f[1] = min(f[0], v), max(f[1], v)
    return [tuple(f) for f in found]


def two_by_two():
    """Rows a, b; answers 1, 2: a×1 = 3 withheld; a×2 = 12, b×1 = 9... the margins printed."""
    cells = {(r, c): {"row": r, V: c} for r in "ab" for c in (1, 2)}
    return cells


def test_lp_intervals_match_brute_force_on_margins():
    cells = two_by_two()
    # a×1 = 3 withheld; a×2 = 5 withheld (its complement); b×1 = 4, b×2 = 6 shown; column totals shown.
    numbers = [count("b1", cell("b", 1), 4, "b1"), count("b2", cell("b", 2), 6, "b2"),
               count("col1", {"row": ["a", "b"], V: [1]}, 7), count("col2", {"row": ["a", "b"], V: [2]}, 11)]
    targets = [target("a1", cell("a", 1)), target("a2", cell("a", 2), "secondary")]
    lp = audit.intervals(numbers, targets)
    assert lp == brute_force(numbers, targets, cells, 12) == [(3, 3), (5, 5)]
    assert audit.intervals(numbers, targets, integer=False) == lp  # the build's relaxation, rounded inward


def test_lp_intervals_match_brute_force_with_rounded_shares():
    cells = two_by_two()
    # a printed as shares of its row to 0.1 %: 37.5 % and 62.5 % (3 of 8, or 6 of 16, ...); b's counts
    # printed, and the total.
    row_a = {"row": ["a"], V: [1, 2]}
    numbers = [share("a1%", cell("a", 1), row_a, 37.5), share("a2%", cell("a", 2), row_a, 62.5),
               count("total", {"row": ["a", "b"], V: [1, 2]}, 18), count("b1", cell("b", 1), 5),
               count("b2", cell("b", 2), 5)]
    targets = [target("a1", cell("a", 1)), target("a2", cell("a", 2))]
    lp = audit.intervals(numbers, targets)
    assert lp == brute_force(numbers, targets, cells, 10)
    assert lp == [(3, 3), (5, 5)]  # the row must hold 8: the shares give the cells back
    assert audit.intervals(numbers, targets, integer=False) == lp


def test_lp_intervals_match_brute_force_on_a_three_by_two_table():
    cells = {(r, c): {"row": r, V: c} for r in "abc" for c in (1, 2)}
    both = {V: [1, 2]}
    rows = {"row": ["a", "b", "c"], **both}
    # The table a = (1, 2), b = (1, 1), c = (0, 1): shares of a and b, c's total, the column and the total.
    numbers = [share("a1%", cell("a", 1), {"row": ["a"], **both}, 33.3),
               share("b1%", cell("b", 1), {"row": ["b"], **both}, 50.0),
               count("c", {"row": ["c"], **both}, 1), count("col1", {**rows, V: [1]}, 2),
               count("all", rows, 6)]
    targets = [target("b2", cell("b", 2)), target("c1", cell("c", 1)), target("a2", cell("a", 2))]
    lp = audit.intervals(numbers, targets)
    assert lp == brute_force(numbers, targets, cells, 6)
    assert audit.intervals(numbers, targets, integer=False) == lp


def test_a_cell_derivable_from_its_margins_is_caught_and_fixed():
    cells = two_by_two()
    # a×1 (3) is withheld, but its row total and the other cell of its row are printed: 15 - 12 = 3.
    numbers = [count("a2", cell("a", 2), 12, "a2"), count("a", {"row": ["a"], V: [1, 2]}, 15, "a"),
               count("b1", cell("b", 1), 20, "b1"), count("b2", cell("b", 2), 30, "b2")]
    targets = [target("a1", cell("a", 1))]
    assert audit.intervals(numbers, targets) == [(3, 3)]
    res = audit.protect(numbers, targets)
    assert res.passes
    assert [n.label for n in res.withheld] == ["a2"]  # the least loss that helps (the total is 15)
    lo, hi = res.intervals[0]
    assert lo < audit.RULE_BELOW and hi >= audit.RULE_UP_TO
    assert res.intervals[0] == (0, 15)
    row_a = {k: v for k, v in cells.items() if v["row"] == "a"}
    assert brute_force([n for n in numbers if n.label == "a"], targets, row_a, 15) == [(0, 15)]


def test_a_release_with_nothing_withheld_passes_unchanged():
    numbers = [count("a1", cell("a", 1), 12, "a1"), count("a2", cell("a", 2), 30, "a2")]
    res = audit.protect(numbers, [])
    assert res.passes and res.withheld == [] and res.summary()["narrowest"] is None




def test_components_put_the_margins_into_every_grouping_and_keep_groupings_apart():
    dist = count("q=1", {V: [1]}, 40, "1")  # the question's distribution: no grouping
    by_age = count("55+ × 1", {"age_group": ["55-64", "65+"], V: [1]}, 12, "a")
    by_gender = count("men × 1", {"gender": [1], V: [1]}, 20, "g")
    held = target("65+ × 1", {"age_group": ["65+"], V: [1]})
    comps = audit.components([dist, by_age, by_gender], [held])
    assert set(comps) == {(V, ("age_group",)), (V, ("gender",))}
    age_n, age_t = comps[(V, ("age_group",))]
    gender_n, gender_t = comps[(V, ("gender",))]
    assert age_n == [by_age, dist] and age_t == [held]
    assert gender_n == [by_gender, dist] and gender_t == []
    # A sector is an edition, not a grouping: the same cell in a sector's book is in the same component.
    sector = count("55+ × 1 (sector 3)", {"age_group": ["55-64", "65+"], V: [1], "sector": [3]}, 4, "s")
    assert audit.grouping(sector) == ("age_group",)


def test_only_binding_numbers_can_widen_the_relaxed_interval():
    """protect screens candidates by the relaxation's duals: withholding a number whose rows do not bind
    leaves the relaxed interval as it was, withholding one that binds widens it (the screen is exact)."""
    both = {V: [1, 2]}
    numbers = [count("a2", cell("a", 2), 12, "a2"), count("a", {"row": ["a"], **both}, 15, "a"),
               count("b1", cell("b", 1), 20, "b1"), count("b2", cell("b", 2), 30, "b2"),
               share("c1%", cell("c", 1), {"row": ["c"], **both}, 40.0, "c1"),
               count("c", {"row": ["c"], **both}, 25, "c")]
    targets = [target("a1", cell("a", 1))]
    prog = audit._Program(numbers, targets)
    shown = np.ones(len(numbers), bool)
    sides = (True, True)
    assert prog.interval(0, shown, False, sides) == (3, 3)
    bind = prog.binding(0, shown, sides)
    assert {numbers[i].label for i in bind} <= {"a2", "a"} and bind
    for i, n in enumerate(numbers):
        trial = shown.copy()
        trial[i] = False
        widened = prog.interval(0, trial, False, sides) != (3, 3)
        assert widened == (i in bind), n.label


def test_a_cell_that_no_single_withholding_protects_gets_a_pair():
    """a×1 (3) is derivable by its row (a − a2) and by its column (col1 − b1): withholding any one number
    leaves the other path, so protect withholds two that close both, and nothing that would not help."""
    both = {V: [1, 2]}
    numbers = [count("a2", cell("a", 2), 12, "a2"), count("b1", cell("b", 1), 20, "b1"),
               count("b2", cell("b", 2), 30, "b2"), count("a", {"row": ["a"], **both}, 15, "a"),
               count("b", {"row": ["b"], **both}, 50, "b"),
               count("col1", {"row": ["a", "b"], V: [1]}, 23, "col1"),
               count("col2", {"row": ["a", "b"], V: [2]}, 42, "col2")]
    targets = [target("a1", cell("a", 1))]
    assert audit.intervals(numbers, targets, integer=False) == [(3, 3)]
    for n in numbers:  # no one number alone
        rest = [m for m in numbers if m is not n]
        assert audit.intervals(rest, targets, integer=False) == [(3, 3)], n.label
    res = audit.protect(numbers, targets)
    assert res.passes and len(res.withheld) == 2
    assert audit.holds(audit.intervals([n for n in numbers if n not in res.withheld], targets,
                                       integer=False)[0])


def test_a_cell_derivable_three_ways_is_protected_on_each_path_and_no_more():
    """a×1 (3) is derivable by its row (a − a2), by its column (col1 − b1) and by a total with another row
    (ax − x1): no one number and no pair closes all three paths, so protect withholds the printed cells of
    its group, then prints again, most respondents first, every one whose return keeps it protected."""
    numbers = [count("a2", cell("a", 2), 12, "a2"), count("a", {"row": ["a"], V: [1, 2]}, 15, "a"),
               count("b1", cell("b", 1), 20, "b1"), count("col1", {"row": ["a", "b"], V: [1]}, 23, "col1"),
               count("x1", cell("x", 1), 30, "x1"), count("ax", {"row": ["a", "x"], V: [1]}, 33, "ax")]
    targets = [target("a1", cell("a", 1))]
    assert audit.intervals(numbers, targets, integer=False) == [(3, 3)]
    for pair in itertools.combinations(numbers, 2):  # no pair alone
        rest = [m for m in numbers if m not in pair]
        assert audit.intervals(rest, targets, integer=False) == [(3, 3)], [n.label for n in pair]
    res = audit.protect(numbers, targets)
    assert res.passes
    # One cell of each path, and of the row the most informative (a, 15) is printed again.
    assert sorted(n.label for n in res.withheld) == ["a2", "ax", "col1"]
    assert res.intervals == [(0, 15)]
    kept = [n for n in numbers if n not in res.withheld]
    assert audit.intervals(kept, targets, integer=True) == [(0, 15)]  # whole counts: the same


# ------------------------------------------------------------------------------------------ on the twin


def test_the_full_book_less_six_sectors_no_longer_gives_a_withheld_cell_back():
    """On the twin, each edition's threat distribution passes its own check, yet the full book's counts
    less the six other sectors' give rechterlijke macht's withheld "to a large extent" back exactly (the LP
    is the derivation). Audited as one release, cells are withheld further until no withheld count can be
    narrowed below the rule; on other data (one answer moved into that cell) the numbers move with it."""
    from werk import book

    df, info = book.load()
    rel = book._release(df, info, None)
    table = audit.Table("fig-threat", "threat", [1, 2, 3, 4, 5])
    nums, tgts = rel.outputs(table)
    before = audit.intervals(nums, tgts, integer=False)
    leaks = [(t.edition, t.label, iv) for t, iv in zip(tgts, before) if t.protected and not audit.holds(iv)]
    assert leaks and leaks[0][2][0] == leaks[0][2][1]  # derivable exactly, on the checks alone
    sector = dict(rel.editions)[leaks[0][0]]
    true = int(((df["sector"] == sector) & (df["threat"] == int(leaks[0][1]))).sum())
    assert leaks[0][2] == (true, true)
    rel.protect(table)
    res = rel.results["fig-threat"]
    assert res["passes"] and res["withheld_further"]
    assert all(audit.holds((r["low"], r["high"] if r["high"] is not None else math.inf))
               for r in res["intervals"] if r["why"] == "threshold")
    # The derivation follows the data: one more respondent of that sector in that cell, one more derived.
    moved = df.copy()
    answer = int(leaks[0][1])
    other = (moved["sector"] == sector) & moved["threat"].notna() & (moved["threat"] != answer)
    moved.loc[moved.index[other][0], "threat"] = answer
    nums2, tgts2 = book._release(moved, info, None).outputs(table)
    got = dict(zip([(t.edition, t.label) for t in tgts2], audit.intervals(nums2, tgts2, integer=False)))
    assert got[leaks[0][:2]] == (true + 1, true + 1)


def test_the_shares_of_the_55_and_over_beside_the_age_figure_are_audited_with_it():
    """The keep-up page states two shares of the 55 and over before Fig. 4 shows the same respondents by
    age: the figure is audited with them (one component), in every edition, and each withheld count of the
    full book keeps an interval the rule allows."""
    from werk import book
    from werk.display.figures import age_groups_55

    df, info = book.load()
    rel = book._release(df, info, None)
    older = ("55-64", "65+")
    shares = [audit.Table("s23", "keep_up", [(2, 3)], by="age_group", groups=[older], kind="share"),
              audit.Table("s123", "keep_up", [(1, 2, 3)], by="age_group", groups=[older], kind="share")]
    for s in shares:
        rel.protect(s)
    fig = audit.Table("fig-keep-up-age", "keep_up", [(1, 2, 3), 4, 5], by="age_group",
                      groups=[k for k, _ in age_groups_55(df, "en")],
                      groups_of=lambda d: [k for k, _ in age_groups_55(d, "en")])
    rel.protect(fig)
    res = rel.results["fig-keep-up-age"]
    comp = audit.components(*rel.outputs(fig))
    assert ("keep_up", ("age_group",)) in comp
    # the shares are in the figure's component: what the page printed before of the question by age
    assert any(n.output == "s123" for n in rel._shown["keep_up"])
    assert res["cells_audited"] > 0
    # every edition's withheld counts hold the rule, the sectors' too (some only after withholding further)
    assert res["passes"]
    for r in res["intervals"]:
        if r["why"] == "threshold":
            assert audit.holds((r["low"], r["high"] if r["high"] is not None else math.inf)), r


def _page(path, published, withheld):
    """A page record, as the build keeps it, of one edition's threat figure."""
    path.mkdir(parents=True, exist_ok=True)
    rec = {"page": "02_threat", "label": "sec-threat", "title": "Threat", "summarizes": False,
           "checks": [{"output": "fig-threat", "published": [n.to_dict() for n in published],
                       "withheld_cells": [t.to_dict() for t in withheld], "suppressed": []}]}
    (path / "02_threat.json").write_text(json.dumps(rec), encoding="utf-8")


def test_all_editions_are_audited_together_across_their_records(tmp_path, monkeypatch, capsys):
    """`werk build --all-editions` audits every edition's records as one release: the full book's count
    less gemeente's gives waterschap's withheld count back to within 4, and the file and the log say so;
    without the full book's number the same records pass."""
    from werk.build import pipeline

    monkeypatch.setattr(pipeline, "records_root", lambda root=None: tmp_path / "records")
    monkeypatch.setattr(pipeline, "notebooks_in_toc", lambda root=None: [Path("notebooks/02_threat.ipynb")])

    def num(edition, sector, value):
        where = {"threat": [5], **({"sector": [sector]} if sector else {})}
        return audit.Number("fig-threat", "5 (n)", "threat", where, float(value), None, 0, edition, "5",
                            value)

    held = audit.Target("fig-threat", "5", "threat", {"threat": [5], "sector": [2]}, "threshold",
                        "waterschap")
    _page(tmp_path / "records" / "gemeente", [num("gemeente", 1, 26)], [])
    _page(tmp_path / "records" / "waterschap", [], [held])
    _page(tmp_path / "records" / "all", [num("all", None, 30)], [])
    out = pipeline.release_audit(["all", "gemeente", "waterschap"], tmp_path, 5391)
    assert not out["passes"] and out["narrowest"]["high"] == 4
    assert json.loads(pipeline.release_path(tmp_path).read_text())["passes"] is False
    assert "THE RULE FAILS for 1 cells: 5 of fig-threat (waterschap)" in capsys.readouterr().err
    _page(tmp_path / "records" / "all", [], [])
    out = pipeline.release_audit(["all", "gemeente", "waterschap"], tmp_path, 5391)
    assert out["passes"] and "the rule holds" in capsys.readouterr().err


def test_a_distribution_shown_on_two_pages_withholds_the_same_cells_on_both():
    """The threat figure (page 2) and the weighting table's threat rows (page 6) print the same numbers:
    each is the first output of its question on its page, so each page's audit withholds the same cells
    further, in every edition, and the two together tell a reader nothing either does not."""
    from werk import book

    df, info = book.load()
    codes = [1, 2, 3, 4, 5]
    seen = []
    for output in ("fig-threat", "weighting:threat"):
        rel = book._release(df, info, None)
        rel.protect(audit.Table(output, "threat", codes))
        seen.append(sorted((w["edition"], w["cell"]) for w in rel.results[output]["withheld_further"]))
    assert seen[0] and seen[0] == seen[1]


def test_the_conclusion_audits_its_shares_with_the_figure_they_restate():
    """The conclusion restates the share answering well or very well (keep-up codes 4, 5), which the
    keep-up figure of another page shows as two bars. Audited with that figure, the share is withheld in
    the sector editions where the two together narrow a withheld count; audited alone, it is not."""
    from werk import book

    df, info = book.load()
    share_ = audit.Table("keep_up_well", "keep_up", [(4, 5)], kind="share")
    alone = book._release(df, info, None)
    alone.protect(share_)
    assert not alone.results.get("keep_up_well", {}).get("withheld_further")
    rel = book._release(df, info, None)
    rel.protect(audit.Table("fig-keep-up", "keep_up", [1, 2, 3, 4, 5]))
    rel.protect(share_)
    res = rel.results["keep_up_well"]
    assert {w["edition"] for w in res["withheld_further"]} and res["passes"]
    assert "all" not in {w["edition"] for w in res["withheld_further"]}


def test_the_lowest_share_over_groups_tells_the_audit_that_every_group_has_at_least_it():
    """"Between 40.0% and ... in every age group": the lowest share is one group's share, and every other
    group's is at least it. With the 65+'s n printed, their count answering 1 or 2 is then at least 40 %
    of it, which the audit finds; the numbers follow the data (one answer more moves the lowest share)."""
    import pandas as pd

    df = pd.DataFrame({"threat": [1] * 12 + [3] * 18 + [1] * 20 + [3] * 10,
                       "age_group": ["25-34"] * 30 + ["65+"] * 30})
    table = audit.Table("low", "threat", [(1, 2)], by="age_group", groups=["25-34", "65+"],
                        kind="extremum", extreme="min")
    chk = table.check(df)
    assert not chk.hidden  # every cell holds 10 or more: the number is printed
    nums, tgts = table.numbers(df, chk)
    assert tgts == [] and {n.value for n in nums} == {40.0}
    older_n = count("65+ (n)", {"age_group": ["65+"], "threat": [1, 2, 3, 4, 5]}, 30)
    older_n.variable = "threat"
    older_in = audit.Target("t", "65+ × 1 or 2", "threat", {"age_group": ["65+"], "threat": [1, 2]})
    assert audit.intervals([older_n], [older_in], integer=False) == [(0, 30)]
    assert audit.intervals(nums + [older_n], [older_in], integer=False) == [(12, 30)]
    moved = df.copy()
    moved.loc[12, "threat"] = 1  # one more of the 25-34 answers 1: 13 of 30
    nums2, _ = table.numbers(moved, table.check(moved))
    assert {n.value for n in nums2} == {43.3}
    assert audit.intervals(nums2 + [older_n], [older_in], integer=False) == [(13, 30)]


def test_a_whole_bar_withheld_is_held_to_the_rule_only_when_it_is_a_small_group():
    """A bar withheld as a whole is a target of the audit: held to the rule when the group has fewer
    than 10 respondents, a complement (like a secondary cell) when it has more."""
    import pandas as pd

    def frame(small: int):
        rows = [(1, 1)] * 3 + [(1, 2)] * small + [(0, 1)] * 30 + [(0, 2)] * 40
        return pd.DataFrame(rows, columns=["manager", "threat"])

    table = audit.Table("t", "threat", [1, 2], by="manager", groups=[0, 1])
    for small, why in ((12, "secondary"), (4, "threshold")):
        df = frame(small)
        _, tgts = table.numbers(df, table.check(df))
        bars = [t for t in tgts if t.label.endswith("(all)") and t.where["manager"] == [1]]
        assert [t.why for t in bars] == [why], (small, [(t.label, t.why) for t in tgts])


def test_what_every_edition_prints_is_kept_once_and_follows_the_data(tmp_path, monkeypatch):
    """``Release.outputs`` is the same for every edition's run, so it is kept (werk.core.memo): a kept
    answer equals the computation edition by edition, a second run of another edition takes it from the
    store, and one respondent's changed answer gives other numbers."""
    from werk import book
    from werk.core import memo

    monkeypatch.setenv(memo.ENV, str(tmp_path / "stats"))
    df, info = book.load()
    fig = audit.Table("fig-threat-sector", "threat", [(1, 2), 3, (4, 5)], by="manager", groups=[0, 1])

    def by_hand(rel):
        nums, tgts = [], []
        for name, sector in rel.editions:
            d = rel.frame(sector)
            n, g = fig.numbers(d, fig.check(d), name, sector)
            nums, tgts = nums + n, tgts + g
        return nums, tgts

    rel = book._release(df, info, None)
    first = rel.outputs(fig)
    assert first == by_hand(rel) and {n.edition for n in first[0]} == {e for e, _ in rel.editions}
    assert len(list((tmp_path / "stats").glob("*.pkl"))) == 1
    other = audit.Release(rel.df, rel.editions, rel.editions[1][0], None)
    calls = []
    monkeypatch.setattr(audit.Table, "numbers", lambda *a, **k: calls.append(a) or ([], []))
    assert other.outputs(fig) == first and not calls  # from the store: no table was counted again
    monkeypatch.undo()
    monkeypatch.setenv(memo.ENV, str(tmp_path / "stats"))
    changed = rel.df.copy()
    i = int(changed.index[changed["threat"].eq(1) & changed["manager"].eq(0)][0])
    changed.loc[i, "threat"] = 5
    moved = audit.Release(changed, rel.editions, "all", None)
    assert moved.outputs(fig) == by_hand(moved) != first
