"""Disclosure audit over one release: no withheld count can be narrowed by the numbers released with it.

:mod:`werk.disclosure.rules` checks each output on its own. A reader gets every output of a release at
once (one edition, or the full book and the seven sector editions built together) and can combine them:
"36.7 % and 38.5 % of the 2,112 respondents of 55 and over" beside a figure of the same respondents, or
the full book's count minus the six other sectors' counts. This module audits such combinations, as
τ-ARGUS audits linked tables.

What is audited
---------------
Every audited output states what it prints as :class:`Number` objects, each a function of the cells of
the cross-classification of the respondents behind it: a count (a download's ``n``, a figure's total),
exact; or a share printed to ``decimals`` decimals, which is an *interval*: 36.7 % of the base is any
count ``k`` with ``36.65 <= 100 k / base <= 36.75``, a pair of linear inequalities in the cells. A cell
is a combination of values of the dimensions (the answered question, a grouping such as ``age_group``,
``sector`` across editions). Each withheld cell of an output is a :class:`Target`.

Numbers of one answered question form one *linked component*: they can share cells, numbers of another
question cannot (a margin two tables share, such as the age groups, is printed exactly in both, so it adds
nothing the component lacks). Cells that every number and target treats alike are merged into one
unknown first (their sum is as free as they are), so a component has tens of unknowns, not hundreds.
For every target, :func:`intervals` solves two linear programs with HiGHS (``highspy``, the solver
scipy's ``linprog`` wraps, whose models are kept and changed between solves): the least and the most
respondents the target can hold in any table that prints every published number as printed. The build
audits the *linear relaxation* (cells may be fractional) and rounds its ends inward to whole counts, as
τ-ARGUS audits linked tables: exact integer programs (``integer=True``, used by the tests against brute
force) took up to 19 s of branch and bound per cell on the twin's components, where printed shares to
0.1 % make whole-count tables hard to find. An integer interval can be narrower than the relaxed one; on
the small tables of the tests the two are the same.

The rule
--------
A count withheld because it holds 1 to 9 respondents (rule ``threshold``) must stay *protected*: its
feasible interval reaches below :data:`RULE_BELOW` (1) and up to at least :data:`RULE_UP_TO` (10). A reader
then cannot tell an empty cell from one of ten. Cells withheld as complements (``secondary``) protect
those and are not held to the rule themselves (they hold 10 or more; the rule would only ask to hide
more of their neighbours).

Where the rule fails, :func:`protect` withholds further, the smallest loss first: of the printed cells
that share an unknown with a failing target, the one (or else the pair) that rests on the fewest
respondents and widens the failing intervals; where no one cell and no pair does (a cell derivable along
three paths), every printed cell of its group, after which those resting on the most respondents are
printed again one by one as long as every protected target still holds; until every target holds or
nothing in the new output can help; then it audits again. A target that stays derivable is reported,
not hidden: it is derivable from numbers printed before the new output, which are not taken back.

Where it runs
-------------
In every notebook run (:func:`werk.book.load` gives the recorder a :class:`Release` of every edition):
:class:`Release` audits one output per (question, grouping) component (:func:`components`) in every
edition, :meth:`werk.disclosure.record.Recorder.audit` applies and records its decision; the
distribution and stacked-bar figures, the tables of shares (:func:`werk.display.tables.shares_table`, the
weighting table), the share claims (:func:`werk.book.glue_claim`) and the shares the prose states
(:func:`werk.book.glue_share`) and the lowest and highest share over groups (:func:`werk.book.glue_extremum`:
every group's share at least the lowest, at most the highest, and the audit takes a reader to know which
group's it is) call it. Not audited: the claims tables of the ledger, which show the claims' numbers as
the pages do and withhold what they withheld, and the models. Measured
on the twin (2026-12-03, ``benchmarks/audit_child.py``), the 29 audited outputs of five pages, each
deciding for all eight editions, take about 10 s with nothing cached. The design:

* **Within a page**, in the page's disclosure step: an output's check is recorded
  (:class:`werk.disclosure.record.Recorder`) before the output is drawn or glued; the recorder audits it
  with everything the page printed before, and withholds further *in the new output* (what was printed
  before is printed). So every output is safe together with all before it, and the page is safe as a
  whole.
* **Across pages**: the first output of a question on its page is audited with nothing before it, so it
  decides alike on every page that shows the same distribution (the threat figure, the methods page's
  weighting table); a page that restates a figure of another page audits with it first
  (:func:`werk.book.audit_with_figure`). ``--all-editions`` then audits every edition's records as one
  release, across pages (:func:`werk.build.pipeline.release_audit`), and reports what it finds.
* **Across editions**, by the same rule in every edition: a page of any edition has the whole data file
  (:func:`werk.book.load` keeps it in the recorder's :class:`Release`), so for each output it computes
  the output of every edition of ``--all-editions`` (each with its own output check), audits them as one
  component together with what the page printed before of the same question in every edition (the full
  book is the sum of the sectors; a sector's figure by age and its figure by gender share its cells) and
  applies the further withholding that falls on its own edition. Every edition computes the same
  decisions from the same data, so no edition has to wait for another, and a single edition withholds
  exactly what it would in the release of all. The decisions are kept in the build's frame cache
  (``_build/frames/audit``, or ``WERK_AUDIT_CACHE``): the first edition or language of a build solves
  them, the others read them.
* **Verified from the records**: :func:`audit_records` rebuilds the components from what the pages
  recorded (the printed numbers, never a count below 10) and solves them again; the build writes its
  result, with the pages' own audits over the release, into ``output-check.json``
  (:func:`release_report`).

Withholding only ever removes published numbers, and removing a constraint can only widen an interval,
so the three steps do not undo each other.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import highspy
import numpy as np
from scipy import sparse

from werk.core import memo
from werk.core.files import write_atomic
from werk.disclosure import rules
from werk.inputs import frame
from werk.inputs.frame import category_labels

__all__ = [
    "RULE_BELOW",
    "RULE_UP_TO",
    "RULE_TEXT",
    "Number",
    "Target",
    "intervals",
    "protect",
    "AuditResult",
    "audit_records",
    "release_report",
]

#: A protected count's feasible interval reaches below this ...
RULE_BELOW = 1
#: ... and up to at least this (CBS's threshold of 10 respondents).
RULE_UP_TO = rules.THRESHOLD
RULE_TEXT = (
    f"Every count withheld because it holds 1 to 9 respondents keeps a feasible interval, given everything "
    f"released with it (printed shares read as the intervals their rounding allows), that reaches below "
    f"{RULE_BELOW} and up to at least {RULE_UP_TO}: no combination of released numbers tells an empty cell "
    f"from one of {RULE_UP_TO}."
)


def _where(d: Mapping | None) -> dict | None:
    if d is None:
        return None
    return {str(k): sorted({_plain(v) for v in vs}, key=str) for k, vs in d.items()}


def _plain(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return int(v)
    return v


@dataclass
class Number:
    """A number a release prints, as a function of the cells of a cross-classification.

    ``where`` selects the cells it counts (dimension -> values; a dimension left out counts all of its
    values); ``base``, for a share, the cells of its denominator (a percentage of them), None for a
    count. ``key`` is the cell's key in its output's check (withholding it withholds every number of
    that key); None marks a number that cannot be withheld on its own (a figure's total n).
    """

    output: str
    label: str
    variable: str
    where: dict
    value: float
    base: dict | None = None
    decimals: int = 1
    edition: str = "all"
    key: object = None
    loss: float = 0.0
    #: What a reader knows of it where that is not the printed value's rounding: a share at least
    #: ``low`` and at most ``high`` (every group's share lies between a printed lowest and highest).
    low: float | None = None
    high: float | None = None

    def to_dict(self) -> dict:
        d = {"output": self.output, "label": self.label, "variable": self.variable, "where": self.where,
             "base": self.base, "value": self.value, "decimals": self.decimals, "edition": self.edition,
             "withholdable": self.key is not None, "loss": self.loss}
        if self.low is not None or self.high is not None:
            d.update(low=self.low, high=self.high)
        return d

    @classmethod
    def from_dict(cls, d: Mapping) -> Number:
        return cls(d["output"], d["label"], d["variable"], _where(d["where"]), d["value"], _where(d["base"]),
                   d["decimals"], d.get("edition", "all"), d["label"] if d.get("withholdable") else None,
                   d.get("loss", 0.0), d.get("low"), d.get("high"))


@dataclass
class Target:
    """A withheld count (the cells of ``where``), and the rule that withheld it."""

    output: str
    label: str
    variable: str
    where: dict
    why: str = "threshold"
    edition: str = "all"

    @property
    def protected(self) -> bool:
        """Held to the rule: a cell of 1 to 9 respondents (complements protect those)."""
        return self.why == "threshold"

    def to_dict(self) -> dict:
        return {"output": self.output, "label": self.label, "variable": self.variable, "where": self.where,
                "why": self.why, "edition": self.edition}

    @classmethod
    def from_dict(cls, d: Mapping) -> Target:
        return cls(d["output"], d["label"], d["variable"], _where(d["where"]), d.get("why", "threshold"),
                   d.get("edition", "all"))


# ------------------------------------------------------------------------------------------ the programs


def _members(where: Mapping | None, cell: Mapping) -> bool:
    return where is not None and all(cell.get(dim) in vals for dim, vals in where.items())


#: The value of a dimension no number names (a missing age, an absent sector): it stands for the rest.
_REST = "(rest)"


def _unknowns(numbers: list[Number], targets: list[Target]) -> tuple[list[tuple], list]:
    """The merged unknowns of a component: for each, its signature (which numbers and targets hold it)."""
    items = [n.where for n in numbers] + [n.base for n in numbers] + [t.where for t in targets]
    dims: dict[str, set] = {}
    for w in items:
        for dim, vals in (w or {}).items():
            dims.setdefault(dim, set()).update(vals)
    names = sorted(dims)
    domains = [sorted(dims[d], key=str) + [_REST] for d in names]
    groups: dict[tuple, list] = {}
    for combo in itertools.product(*domains):
        cell = dict(zip(names, combo))
        sig = tuple(_members(w, cell) for w in items)
        if any(sig):
            groups.setdefault(sig, []).append(cell)
    sigs = list(groups)
    return sigs, [groups[s] for s in sigs]


def _half(decimals: int) -> float:
    """Half the last printed digit (and a hair): a number printed to ``decimals`` is within it."""
    return 0.5 * 10.0 ** (-decimals) + 1e-9


def _bounds(n: Number) -> tuple[float, float]:
    half = _half(n.decimals)
    lo = n.value - half if n.low is None else n.low
    hi = n.value + half if n.high is None else n.high
    return lo, hi


class _Program:
    """The integer program of a component: a row block per number, one objective per target.

    Built once, as two HiGHS models (``highspy``) kept between solves: the linear relaxation and the
    integer program. A number is withheld by freeing its rows' bounds (:meth:`interval` ``shown``), which
    keeps the unknowns as fine as they were (still exact: merging is only a speed-up), and lets HiGHS
    start each relaxation from the last basis: the trials of :func:`protect` differ by a row or two.
    """

    def __init__(self, numbers: list[Number], targets: list[Target], cap: float | None = None):
        sigs, _ = _unknowns(numbers, targets)
        m = len(numbers)
        self.nvar = len(sigs)
        # No cell holds more than everyone (``cap``: the respondents behind the release). A small cap keeps
        # HiGHS's tolerances small, so a target nothing bounds reads the same (no bound) whatever the
        # solves before it.
        self.cap = float(cap or _CAP)
        rows, lower, upper, row_of = [], [], [], []
        for i, n in enumerate(numbers):
            num = np.array([s[i] for s in sigs], dtype=float)
            if n.base is None:  # a count: exactly its value
                rows.append(num)
                lower.append(float(n.value))
                upper.append(float(n.value))
                row_of.append(i)
                continue
            den = np.array([s[m + i] for s in sigs], dtype=float)
            lo, hi = _bounds(n)
            # lo <= 100 k / base <= hi, and base >= 1
            rows += [100.0 * num - lo * den, 100.0 * num - hi * den, den]
            lower += [0.0, -highspy.kHighsInf, 1.0]
            upper += [highspy.kHighsInf, 0.0, highspy.kHighsInf]
            row_of += [i, i, i]
        self.lower, self.upper = np.array(lower), np.array(upper)
        self.row_of = np.array(row_of, int)
        self.tgt = [np.array([s[2 * m + j] for s in sigs], dtype=float) for j in range(len(targets))]
        matrix = sparse.csc_array(np.array(rows).reshape(-1, self.nvar))
        self._models = {integer: self._model(matrix, integer) for integer in (False, True)}
        self._shown = {integer: np.ones(m, bool) for integer in (False, True)}

    def _model(self, matrix, integer: bool):
        # The solver itself: highspy.Highs adds callbacks and prints HiGHS's banner on the process's
        # stdout (a notebook's cell output) when it makes its first model.
        h = highspy._core._Highs()
        h.setOptionValue("output_flag", False)
        if integer:
            # Every objective is a whole count: a gap below 1 proves the optimum.
            h.setOptionValue("mip_rel_gap", 0.0)
            h.setOptionValue("mip_abs_gap", 0.5)
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = self.nvar, len(self.lower)
        lp.col_cost_ = np.zeros(self.nvar)
        lp.col_lower_, lp.col_upper_ = np.zeros(self.nvar), np.full(self.nvar, self.cap)
        lp.row_lower_, lp.row_upper_ = self.lower, self.upper
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_, lp.a_matrix_.index_ = matrix.indptr, matrix.indices
        lp.a_matrix_.value_ = matrix.data
        if integer:
            lp.integrality_ = [highspy.HighsVarType.kInteger] * self.nvar
        h.passModel(lp)
        return h

    def _run(self, c, shown, integer: bool):
        """Minimize ``c`` over the rows of the shown numbers; returns the model, solved."""
        h = self._models[integer]
        changed = np.flatnonzero(shown[self.row_of] != self._shown[integer][self.row_of])
        if len(changed):
            keep = shown[self.row_of[changed]]
            lo = np.where(keep, self.lower[changed], -highspy.kHighsInf)
            hi = np.where(keep, self.upper[changed], highspy.kHighsInf)
            h.changeRowsBounds(len(changed), changed.astype(np.int32), lo, hi)
            self._shown[integer] = shown.copy()
        h.changeColsCost(self.nvar, np.arange(self.nvar, dtype=np.int32), np.asarray(c, dtype=float))
        h.run()
        status = h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise ValueError("disclosure audit: no table prints these numbers "
                             f"({h.modelStatusToString(status)})")
        return h

    def _solve(self, c, shown, integer: bool) -> float:
        h = self._run(c, shown, False)
        if integer:
            # A relaxed optimum in whole counts is the integer optimum (the relaxation bounds it): the
            # integer program is solved only where the vertex is fractional.
            x = np.asarray(h.getSolution().col_value)
            if not np.allclose(x, np.round(x), rtol=0.0, atol=1e-7):
                h = self._run(c, shown, True)
        value = h.getInfo().objective_function_value
        if -value >= self.cap - 0.5:
            return -math.inf
        return float(value)

    def binding(self, j: int, shown, sides) -> set[int]:
        """The numbers whose rows bind target ``j``'s failing ends (``sides``: low, high) in the linear
        relaxation: a nonzero dual value. Withholding another number leaves that optimum feasible, so
        only these can widen the relaxed interval."""
        out: set[int] = set()
        for side, sign in zip(sides, (1.0, -1.0)):
            if not side:
                continue
            duals = np.asarray(self._run(sign * self.tgt[j], shown, False).getSolution().row_dual)
            out |= {int(i) for i in self.row_of[np.abs(duals) > 1e-9]}
        return out & set(np.flatnonzero(shown).tolist())

    def interval(self, j: int, shown, integer: bool = True, sides=(True, True)) -> tuple[float, float]:
        t = self.tgt[j]
        if not t.any():
            return (0.0, math.inf)
        lo = self._solve(t, shown, integer) if sides[0] else 0.0
        hi = -self._solve(-t, shown, integer) if sides[1] else math.inf
        if not integer:
            lo, hi = math.ceil(lo - 1e-6), (math.floor(hi + 1e-6) if math.isfinite(hi) else hi)
        return (round(lo, 6), round(hi, 6) if math.isfinite(hi) else math.inf)


#: A cap on every unknown where nothing smaller is known, far above any survey's size: a target that
#: reaches its program's cap has no upper bound (HiGHS tells an unbounded integer program from an
#: infeasible one only by a cap).
_CAP = 10**7


def intervals(numbers: Iterable[Number], targets: Iterable[Target], integer: bool = True,
              cap: float | None = None) -> list[tuple[float, float]]:
    """The least and the most respondents each target can hold, given the numbers (whole counts).

    Returns (low, high) per target, in order; high is ``inf`` where nothing bounds the target.
    ``integer=False`` solves the linear relaxation (faster, an interval at least as wide; its ends are
    rounded inward to whole counts).
    """
    numbers, targets = list(numbers), list(targets)
    if not targets:
        return []
    prog = _Program(numbers, targets, cap)
    shown = np.ones(len(numbers), bool)
    return [prog.interval(j, shown, integer) for j in range(len(targets))]


def holds(interval: tuple[float, float]) -> bool:
    """The protection rule on one interval."""
    lo, hi = interval
    return lo < RULE_BELOW and hi >= RULE_UP_TO


def _deficit(interval) -> float:
    lo, hi = interval
    return max(0.0, lo - RULE_BELOW + 1) + max(0.0, RULE_UP_TO - hi)


# ------------------------------------------------------------------------------------------ protection


@dataclass
class AuditResult:
    """What :func:`protect` found: intervals per target, what it withheld further, how many it audited."""

    targets: list[Target]
    intervals: list[tuple[float, float]]
    withheld: list[Number] = field(default_factory=list)
    numbers: int = 0

    @property
    def passes(self) -> bool:
        return all(holds(iv) for t, iv in zip(self.targets, self.intervals) if t.protected)

    def narrowest(self) -> dict | None:
        """The protected target with the narrowest interval (None when none is withheld)."""
        rows = [(iv[1] - iv[0], t, iv) for t, iv in zip(self.targets, self.intervals) if t.protected]
        if not rows:
            return None
        _, t, iv = min(rows, key=lambda r: (r[0], r[1].edition, r[1].output, r[1].label))
        return {"edition": t.edition, "output": t.output, "cell": t.label, "low": _json(iv[0]),
                "high": _json(iv[1])}

    def summary(self) -> dict:
        """JSON-ready: counts, the narrowest interval, every further withholding, every interval."""
        return {
            "numbers_audited": self.numbers,
            "cells_audited": len(self.targets),
            "protected_cells": sum(t.protected for t in self.targets),
            "passes": self.passes,
            "narrowest": self.narrowest(),
            "withheld_further": [dict(c) for c in dict.fromkeys(
                (("edition", n.edition), ("output", n.output), ("cell", n.label.removesuffix(" (n)")))
                for n in self.withheld)],
            "intervals": [{**{"edition": t.edition, "output": t.output, "cell": t.label, "why": t.why},
                           "low": _json(iv[0]), "high": _json(iv[1])}
                          for t, iv in zip(self.targets, self.intervals)],
        }


def _merge_summaries(summaries: list[dict]) -> dict:
    """One output's audit summaries over the components it is in, as one."""
    if len(summaries) == 1:
        return summaries[0]
    out = {"numbers_audited": sum(s["numbers_audited"] for s in summaries),
           "cells_audited": sum(s["cells_audited"] for s in summaries),
           "protected_cells": sum(s["protected_cells"] for s in summaries),
           "passes": all(s["passes"] for s in summaries),
           "withheld_further": [w for s in summaries for w in s["withheld_further"]],
           "intervals": [iv for s in summaries for iv in s["intervals"]]}
    rows = [s["narrowest"] for s in summaries if s["narrowest"]]
    out["narrowest"] = min(rows, key=lambda r: ((r["high"] if r["high"] is not None else math.inf) - r["low"],
                                                r["edition"], r["output"], r["cell"])) if rows else None
    return out


def _json(x: float):
    if not math.isfinite(x):
        return None  # no upper bound
    return int(x) if float(x).is_integer() else x


def _unit(n: Number) -> tuple:
    return (n.edition, n.output, repr(n.key))


def _overlaps(n: Number, t: Target) -> bool:
    """A number that may help hide ``t``: of the same group, in any answer and any edition (its row, its
    column, the same cell of another edition, a total of them)."""
    def meet(a, b):
        dims = set(a) & set(b) - {t.variable, "sector"}
        return a is not None and all(set(a[d]) & set(b[d]) for d in dims)
    return meet(n.where, t.where) or (n.base is not None and meet(n.base, t.where))


def _withhold_until_held(prog: _Program, numbers, targets, ivs, shown, allowed, integer: bool) -> list:
    """:func:`protect`'s search at one precision: withhold (``shown``) until every protected target's
    interval (``ivs``, updated) holds; returns what it withheld."""
    withheld: list[Number] = []
    stale: set[int] = set()  # failing before the last withholding, not solved since (it can only widen)
    given_up: set[int] = set()  # failing, and nothing more may be withheld for it
    while True:
        failing = [j for j, (t, iv) in enumerate(zip(targets, ivs))
                   if t.protected and not holds(iv) and j not in given_up]
        for j in failing:
            if j in stale:
                ivs[j] = prog.interval(j, shown, integer)
                stale.discard(j)
            if not holds(ivs[j]):
                break
        else:
            break
        sides = (ivs[j][0] >= RULE_BELOW, ivs[j][1] < RULE_UP_TO)
        near: dict[tuple, list[int]] = {}
        every: dict[tuple, list[int]] = {}
        for i, n in enumerate(numbers):
            if shown[i] and n.key is not None and allowed(n):
                every.setdefault(_unit(n), []).append(i)
                if _overlaps(n, targets[j]):
                    near.setdefault(_unit(n), []).append(i)
        if not every:  # derivable from what was printed before: reported, the audit does not pass
            given_up.add(j)
            continue
        before = _deficit(prog.interval(j, shown, False, sides))
        # Only a number that binds the relaxed optimum can widen it; the target's own group first (its row,
        # the same cell in other editions), then anything else printed that binds, then its group at all.
        bind = prog.binding(j, shown, sides)
        tight = {u: ix for u, ix in every.items() if bind.intersection(ix)}
        choice = None
        for pool in ({u: ix for u, ix in tight.items() if u in near}, tight):
            for u in sorted(pool, key=lambda u: (min(numbers[i].loss for i in pool[u]), u)):
                trial = shown.copy()
                trial[pool[u]] = False
                if _deficit(prog.interval(j, trial, False, sides)) < before:
                    choice = u
                    break
            if choice is not None:
                break
        chosen = [choice] if choice is not None else _pair(prog, numbers, j, shown, sides, near, every,
                                                            before)
        if not chosen:
            chosen = _coarsen(prog, numbers, targets, ivs, j, shown, near, every, integer)
        if not chosen:  # no cell or pair widens it: withholding more would lose numbers and protect nothing
            given_up.add(j)
            continue
        for u in chosen:
            shown[every[u]] = False
            withheld.extend(numbers[i] for i in every[u])
        # Withholding only widens intervals: a target that held still holds; a failing one is solved
        # again when it comes next.
        stale |= set(failing)
    return withheld


#: How many cells :func:`_pair` tries as the first and as the second of a pair.
_PAIR_TRIES = 8


def _pair(prog: _Program, numbers, j: int, shown, sides, near: dict, every: dict, before: float) -> list:
    """Two printed cells that together widen target ``j`` where no one cell does (a cell withheld in
    another edition is derivable from its own row unless a second cell of that row goes too): the first
    from the target's group, the second among the cells binding once the first is gone; [] if none."""
    def by_loss(units):
        return sorted(units, key=lambda u: (min(numbers[i].loss for i in every[u]), u))[:_PAIR_TRIES]

    for a in by_loss(near or every):
        trial = shown.copy()
        trial[every[a]] = False
        bind = prog.binding(j, trial, sides)
        for b in by_loss([u for u, ix in every.items() if u != a and bind.intersection(ix)]):
            both = trial.copy()
            both[every[b]] = False
            if _deficit(prog.interval(j, both, False, sides)) < before:
                return [a, b]
    return []


def _coarsen(prog: _Program, numbers, targets, ivs, j: int, shown, near: dict, every: dict,
             integer: bool) -> list:
    """Where no cell or pair widens target ``j`` (it rests on several rows at once): withhold every printed
    cell of its group (``near``), or else every one the new output prints (``every``), and if that makes
    it hold, print again one by one those of most ``loss`` first while every protected target that holds
    still holds; returns the cells left withheld, [] if even withholding all of them does not help."""
    held = [k for k, (t, iv) in enumerate(zip(targets, ivs)) if t.protected and holds(iv) and k != j]

    def safe(trial) -> bool:
        return all(holds(prog.interval(k, trial, integer)) for k in [j, *held])

    for pool in (near, every):
        if not pool:
            continue
        trial = shown.copy()
        for ix in pool.values():
            trial[ix] = False
        if not holds(prog.interval(j, trial, integer)):
            continue
        gone = sorted(pool, key=lambda u: (-min(numbers[i].loss for i in pool[u]), u))
        for u in list(gone):
            back = trial.copy()
            back[pool[u]] = True
            if safe(back):
                trial = back
                gone.remove(u)
        return gone
    return []


def protect(numbers: Iterable[Number], targets: Iterable[Target], may_withhold=None, integer: bool = False,
            cap: float | None = None) -> AuditResult:
    """Audit a component and withhold further until every protected target holds the rule.

    ``may_withhold(number)`` says which numbers may still be withheld (default: every one with a key);
    a number is withheld with every number of its output that has the same key (one printed cell).
    For the first failing target, of the printed cells of its group (in any answer, in any edition) the
    one of least ``loss`` that lowers its shortfall is withheld (screened on the linear relaxation, and
    only among the cells whose rows bind its relaxed optimum: removing a row of zero dual value leaves the
    optimum where it is); when none lowers it, a pair that does (:func:`_pair`); when no pair does
    either, the target is left failing (``passes`` false, reported), since withholding more would lose
    numbers and protect nothing. A failing target is solved again when it comes next (withholding only
    widens), every target once more at the end.

    ``integer=False`` (the build's): the intervals of the linear relaxation, rounded inward to whole
    counts, as τ-ARGUS audits linked tables; ``True``: of whole-count tables (exact, and on the twin's
    components up to minutes of branch and bound per cell, see the module docstring).
    """
    numbers, targets = list(numbers), list(targets)
    allowed = may_withhold or (lambda n: True)
    if not targets:
        return AuditResult(targets, [], [], len(numbers))
    prog = _Program(numbers, targets, cap)
    shown = np.ones(len(numbers), bool)
    ivs = [prog.interval(j, shown, integer) for j in range(len(targets))]
    withheld = _withhold_until_held(prog, numbers, targets, ivs, shown, allowed, integer)
    if withheld:
        ivs = [prog.interval(k, shown, integer) for k in range(len(targets))]
    return AuditResult(targets, ivs, withheld, len(numbers))


# ------------------------------------------------------------------------------------------ from records


def grouping(item: Number | Target) -> tuple:
    """The dimensions an item groups its question by, other than the edition's sector (``()``: none)."""
    dims = set(item.where or {}) | set(getattr(item, "base", None) or {})
    return tuple(sorted(dims - {item.variable, "sector"}))


def components(numbers: Iterable[Number], targets: Iterable[Target]) -> dict[tuple, tuple[list, list]]:
    """(variable, grouping) -> (numbers, targets): the linked components of a release.

    A question's outputs by one grouping (its figure by age, the share of the 55 and over) form one
    component with its outputs by none (its distribution, an overall share), which are margins of every
    grouping. Two groupings of one question (by age, by gender) are audited apart: they meet only in those
    margins, which are in both components (see the module docstring).
    """
    by_var: dict[str, dict[tuple, tuple[list, list]]] = {}
    for kind, items in ((0, numbers), (1, targets)):
        for x in items:
            by_var.setdefault(x.variable, {}).setdefault(grouping(x), ([], []))[kind].append(x)
    out: dict[tuple, tuple[list, list]] = {}
    for variable, groups in by_var.items():
        none_n, none_t = groups.get((), ([], []))
        named = [g for g in groups if g]
        if not named or none_t:
            out[(variable, ())] = (list(none_n), list(none_t))
        for g in named:
            out[(variable, g)] = (groups[g][0] + none_n, groups[g][1] + none_t)
    return out


def _solve_components(numbers, targets, cap=None) -> tuple[dict, dict]:
    """Every target's interval, intersected over the components it is in; per component, its summary."""
    best: dict[tuple, tuple[Target, list]] = {}
    per_component = {}
    for (variable, group), (nums, tgts) in sorted(components(numbers, targets).items()):
        ivs = intervals(nums, tgts, integer=False, cap=cap)
        res = AuditResult(tgts, ivs, [], len(nums))
        per_component[" by ".join([variable, *group])] = {
            "numbers_audited": len(nums), "cells_audited": len(tgts), "passes": res.passes,
            "narrowest": res.narrowest()}
        for t, iv in zip(tgts, ivs):
            k = (t.edition, t.output, t.label)
            if k in best:
                lo, hi = best[k][1]
                iv = (max(lo, iv[0]), min(hi, iv[1]))
            best[k] = (t, iv)
    return best, per_component


def audit_records(records_by_edition: Mapping[str, Mapping[str, dict]], cap: int | None = None) -> dict:
    """Audit a release from its records: edition -> (page -> record, as the records files hold them).

    The numbers and withheld cells each page recorded (its checks' ``published`` and ``withheld_cells``)
    of every edition go into one set of components (a sector edition's are of its sector), across pages.
    Nothing is withheld here: a failing interval is reported (``passes`` false), the pages' own audits
    having withheld what they had to before they printed.
    """
    numbers, targets = [], []
    for _edition, records in records_by_edition.items():
        for rec in records.values():
            for d in rec["checks"]:
                numbers += [Number.from_dict(x) for x in d.get("published", [])]
                targets += [Target.from_dict(x) for x in d.get("withheld_cells", [])]
    best, per_component = _solve_components(numbers, targets, cap)
    merged = AuditResult([t for t, _ in best.values()], [iv for _, iv in best.values()], [], len(numbers))
    out = merged.summary()
    out["withheld_further"] = [
        {"edition": edition, "page": rec["page"], "output": d["output"], "cell": x["cell"]}
        for edition, records in records_by_edition.items() for rec in records.values()
        for d in rec["checks"] for x in d.get("suppressed", []) if x["rule"] == "linked"]
    out["rule"] = RULE_TEXT
    out["editions"] = sorted(records_by_edition)
    out["components"] = per_component
    return out


def release_report(records: Mapping[str, dict], edition: str = "all", respondents: int | None = None) -> dict:
    """The audit's part of an edition's output-check report, from its pages' records.

    ``release``: what the pages' own audits found over the release of every edition built together (each
    output's audit with what every edition printed before it on its page, merged): cells audited, the
    narrowest interval, what was withheld further. ``edition``: this edition's records audited again on
    their own (:func:`audit_records`), across its pages; no cell holds more than ``respondents``.
    """
    found = [d["release"] for rec in records.values() for d in rec["checks"] if d.get("release")]
    return {"rule": RULE_TEXT, "below": RULE_BELOW, "up_to": RULE_UP_TO,
            "release": _over_outputs(found) if found else None,
            "edition": audit_records({edition: records}, respondents)}


def _width(row: dict) -> float:
    return (math.inf if row["high"] is None else row["high"]) - row["low"]


def _over_outputs(summaries: list[dict]) -> dict:
    """Several outputs' audit summaries as one: a cell audited again with a later output keeps the
    narrower interval (the later audit had more numbers), so each withheld cell counts once."""
    cells: dict[tuple, dict] = {}
    for s in summaries:
        for iv in s["intervals"]:
            k = (iv["edition"], iv["output"], iv["cell"])
            old = cells.get(k)
            if old is not None:
                highs = [h for h in (old["high"], iv["high"]) if h is not None]
                iv = {**iv, "low": max(old["low"], iv["low"]), "high": min(highs) if highs else None}
            cells[k] = iv
    ivs = sorted(cells.values(), key=lambda r: (r["edition"], r["output"], r["cell"]))
    prot = [r for r in ivs if r["why"] == "threshold"]
    narrow = min(prot, key=lambda r: (_width(r), r["edition"], r["output"], r["cell"])) if prot else None
    return {"outputs_audited": len(summaries), "cells_audited": len(ivs), "protected_cells": len(prot),
            "passes": all(holds((r["low"], math.inf if r["high"] is None else r["high"])) for r in prot),
            "narrowest": None if narrow is None else {k: narrow[k] for k in ("edition", "output", "cell",
                                                                              "low", "high")},
            "withheld_further": [w for s in summaries for w in s["withheld_further"]],
            "intervals": ivs}


# ------------------------------------------------------------------------------------------ outputs


@dataclass
class Table:
    """What one audited output prints of one question, to make its :class:`Number` objects.

    Rows are ``groups`` of ``by`` (a key is a value or a tuple of values drawn as one; ``by=None``: one
    row of everyone), columns the ``answers`` (a code or a tuple of codes). Every shown cell prints its
    share of the row to ``decimals`` decimals and, with ``counts`` (the figure's download), its count;
    ``total`` prints the number of respondents of all rows. ``kind="share"`` is one number of the prose:
    the share of ``answers[0]`` in the one group (its check's key ``"value"``). The cells' keys are those
    of :func:`werk.disclosure.rules.check_counts` on the same table, so the audit withholds what a
    figure or table draws. ``df`` is the frame the page drew it from.
    """

    output: str
    variable: str
    answers: list
    by: str | None = None
    groups: list = field(default_factory=lambda: [None])
    counts: bool = True
    total: bool = True
    margins: bool = True
    weighted: bool = False
    kind: str = "table"
    #: ``kind="extremum"``: "min" or "max", the lowest or highest share of ``answers[0]`` over ``groups``.
    extreme: str = "min"
    group_labels: list | None = None
    answer_labels: list | None = None
    df: object = field(default=None, repr=False)
    #: The groups another edition draws, from its frame (a figure draws only the age groups present);
    #: None: the same ``groups`` in every edition.
    groups_of: object = field(default=None, repr=False, compare=False)

    def in_frame(self, df) -> Table:
        """This output as an edition of frame ``df`` draws it."""
        if self.groups_of is None:
            return self
        return dataclasses.replace(self, groups=list(self.groups_of(df)))

    @property
    def codes(self) -> list:
        out = []
        for a in self.answers:
            out += list(a) if isinstance(a, tuple) else [a]
        if self.kind in ("share", "extremum"):
            out = list(category_labels(self.variable, "en"))
        return [_plain(c) for c in out]

    def _rows(self, df) -> np.ndarray:
        answers = frame.values(df, self.variable)
        one = self.kind in ("share", "extremum")  # a share of answers[0]: its count and the rest's
        if one:
            answers = answers.where(answers.isin(self.codes))
        counts = []
        for g in self.groups:
            if self.by is None or g is None:
                part = answers
            else:
                byv = frame.values(df, self.by)
                part = answers[(byv.isin(list(g)) if isinstance(g, tuple) else byv == g).to_numpy()]
            part = part.dropna()
            if one:
                k = int(part.isin(list(self.answers[0])).sum())
                counts.append([k, len(part) - k])
            else:
                counts.append([int((part.isin(list(a)) if isinstance(a, tuple) else part == a).sum())
                               for a in self.answers])
        return np.array(counts, dtype=float)

    def check(self, df):
        """The output check of this table on ``df``, as the page makes it (cell keys alike)."""
        counts = self._rows(df)
        if self.kind == "extremum":
            return rules.check_by_group(df, self.variable, list(self.answers[0]), self.by, self.output)
        if self.kind == "share":
            return rules._as_number(rules.check_counts(counts[0], self.output, "prose",
                                                       col_keys=["in", "out"], group_rule=False))
        return rules.check_counts(counts, self.output, row_keys=self.groups, col_keys=self.answers,
                                  margins=self.margins)

    def _where(self, i, j, edition_where) -> dict:
        w = dict(edition_where)
        g = self.groups[i]
        if self.by is not None and g is not None:
            w[self.by] = list(g) if isinstance(g, tuple) else [g]
        if self.kind in ("share", "extremum"):
            w[self.variable] = list(self.answers[0]) if j == 0 else [c for c in self.codes
                                                                      if c not in self.answers[0]]
        else:
            a = self.answers[j]
            w[self.variable] = list(a) if isinstance(a, tuple) else [a]
        return _where(w)

    def _key(self, i, j):
        if self.kind in ("share", "extremum"):
            return "value"
        return self.answers[j] if len(self.groups) == 1 else (self.groups[i], self.answers[j])

    def _label(self, i, j) -> str:
        g = (self.group_labels or [str(x) for x in self.groups])[i]
        a = (self.answer_labels or [str(x) for x in self.answers])[j] if self.kind == "table" else "share"
        return a if len(self.groups) == 1 and self.by is None else f"{g} × {a}"

    def numbers(self, df, chk, edition: str = "all", sector=None) -> tuple[list[Number], list[Target]]:
        """The numbers this table prints on ``df`` when ``chk`` withholds what it does, and its targets."""
        counts = self._rows(df)
        ew = {"sector": [sector]} if sector is not None else {}
        nums, tgts = [], []
        hidden = chk.hidden
        if self.kind == "extremum":
            return self._extremum(counts, ew, edition, "value" in hidden), []
        for i in range(counts.shape[0]):
            total = counts[i].sum()
            base = self._where(i, 0, ew)
            base[self.variable] = self.codes
            if self.kind == "share":  # the prose states the share alone; withheld, its small cells are kept
                if "value" in hidden:
                    tgts += [Target(self.output, f"{self._label(i, 0)} ({part})", self.variable,
                                    self._where(i, j, ew), chk.why.get(part, "threshold"), edition)
                             for j, part in enumerate(("in", "out")) if part in hidden]
                elif total > 0:
                    nums.append(Number(self.output, self._label(i, 0), self.variable, self._where(i, 0, ew),
                                       round(100.0 * counts[i, 0] / total, 1), base, 1, edition, "value",
                                       float(counts[i, 0])))
                continue
            many = len(self.groups) > 1
            row_hidden = ("row", self.groups[i]) in hidden if many else "total" in hidden
            for j in range(counts.shape[1]):
                key = self._key(i, j)
                where = self._where(i, j, ew)
                if key in hidden or row_hidden:
                    why = chk.why.get(key, "threshold")
                    tgts.append(Target(self.output, self._label(i, j), self.variable, where, why, edition))
                    continue
                if total <= 0:
                    continue
                c = float(counts[i, j])
                if not self.weighted:
                    nums.append(Number(self.output, self._label(i, j), self.variable, where,
                                       round(100.0 * c / total, 1), base, 1, edition, key, c))
                if self.counts:
                    nums.append(Number(self.output, self._label(i, j) + " (n)", self.variable, where, c,
                                       None, 0, edition, key, c))
            if row_hidden and len(self.groups) > 1:
                # A whole bar withheld: held to the rule when it is a group of fewer than 10, a complement
                # (as a secondary cell is) when it holds more.
                tgts.append(Target(self.output, self._label(i, 0).split(" × ")[0] + " (all)", self.variable,
                                   base, "threshold" if total < rules.THRESHOLD else "secondary", edition))
        if self.total and self.kind != "share":
            w = dict(ew)
            if self.by is not None and None not in self.groups:
                w[self.by] = sorted({v for g in self.groups for v in (g if isinstance(g, tuple) else (g,))},
                                    key=str)
            w[self.variable] = self.codes
            nums.append(Number(self.output, "total (n)", self.variable, _where(w), float(counts.sum()), None,
                               0, edition, None, float(counts.sum())))
        return nums, tgts

    def _extremum(self, counts, ew, edition, withheld: bool) -> list[Number]:
        """The lowest (highest) share over the groups, as a reader can use it: every group's share is at
        least (at most) it, and one group's is it. Which group the prose does not say; the audit takes
        the reader to know (more than they do, so its intervals are no wider than theirs). Withheld, it
        prints nothing (its small cells stay with the check that withheld it)."""
        tot = counts.sum(axis=1)
        shares = {i: 100.0 * counts[i, 0] / tot[i] for i in range(counts.shape[0]) if tot[i] > 0}
        if withheld or not shares:
            return []
        low = self.extreme == "min"
        best = (min if low else max)(shares, key=lambda i: (shares[i], i))
        v = round(shares[best], 1)
        half = _half(1)
        nums = []
        for i in shares:
            where, base = self._where(i, 0, ew), self._where(i, 0, ew)
            base[self.variable] = self.codes
            label = self._label(i, 0)
            nums.append(Number(self.output, f"{label} ({'at least' if low else 'at most'})", self.variable,
                               where, v, base, 1, edition, "value", float(counts[i, 0]),
                               v - half if low else -1.0, 101.0 if low else v + half))
            if i == best:
                nums.append(Number(self.output, f"{label} ({self.extreme})", self.variable, where, v, base, 1,
                                   edition, "value", float(counts[i, 0])))
        return nums


#: This module's own code, in every cached decision's key: a changed audit decides afresh.
_CODE = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


def _table_fields(table: Table) -> dict:
    """A table as one edition draws it (its groups resolved), without its frame and callable."""
    return {f.name: getattr(table, f.name) for f in dataclasses.fields(table)
            if f.name not in ("df", "groups_of")}


def _output_columns(df, editions, tables) -> list[str]:
    """The columns of ``df`` that :func:`_edition_outputs` reads (age groups come from ``age``)."""
    cols = ["sector"] + [c for t in tables for c in (t["variable"], t["by"]) if c is not None]
    return cols + ["age", "age_group"] if "age_group" in cols else cols


def _edition_frame(df, sector):
    """The rows of ``df`` one edition is drawn from: all (``sector`` None) or one sector's, renumbered."""
    return df if sector is None else df[df["sector"] == sector].reset_index(drop=True)


@memo.kept(reads=_output_columns)
def _edition_outputs(df, editions: list, tables: list[dict]) -> tuple[list[Number], list[Target]]:
    """What the table ``tables[i]`` (:func:`_table_fields`) prints and withholds in edition ``editions[i]``
    (name, sector code or None), from that edition's rows of ``df`` and their output check, for every i."""
    nums, tgts = [], []
    for (name, sector), fields in zip(editions, tables):
        d = _edition_frame(df, sector)
        t = Table(**fields)
        n, g = t.numbers(d, t.check(d), name, sector)
        nums += n
        tgts += g
    return nums, tgts


class Release:
    """The editions released together, for the audit across them: the whole data file and its sectors.

    ``editions``: (edition name, sector code or None for the full book) of every edition built by
    ``--all-editions``; ``own``: the edition of this notebook run; ``cache``: a folder where the decision
    for each output is kept, so that the editions and languages of one build (which all come to the same
    one) solve it once; None: no cache.
    """

    def __init__(self, df, editions: list[tuple[str, object]], own: str = "all", cache=None):
        self.df = df
        self.editions = editions
        self.own = own
        self.cache = cache
        self._frames = {}
        #: question -> the numbers printed and the cells withheld so far on this page, in every edition.
        self._shown: dict[str, list[Number]] = {}
        self._held: dict[str, list[Target]] = {}
        #: output -> the summary of its audit across the editions (:meth:`AuditResult.summary`).
        self.results: dict[str, dict] = {}

    @property
    def sector(self):
        """The sector code of this run's edition (None: the full book)."""
        return dict(self.editions).get(self.own)

    def frame(self, sector):
        if sector not in self._frames:
            self._frames[sector] = _edition_frame(self.df, sector)
        return self._frames[sector]

    def outputs(self, table: Table) -> tuple[list[Number], list[Target]]:
        """What ``table`` prints and withholds in every edition, each from its own frame and output check.

        It does not depend on the edition this run builds: every edition's run of the page asks it of the
        same frame, so it is kept (:func:`_edition_outputs`) and computed once per build.
        """
        fields = [_table_fields(table.in_frame(self.frame(sector))) for _, sector in self.editions]
        return _edition_outputs(self.df, [list(e) for e in self.editions], fields)

    def protect(self, table: Table) -> list[Number]:
        """The cells of ``table`` this edition withholds further, so that no edition's withheld cell can be
        narrowed below the rule by what every edition prints of the same question on this page.

        Each edition's output is computed from its own frame with its own output check; the output is
        audited with what the page printed before of its question in the same grouping and in none (see
        :func:`components`), and only the new output can give way (what was printed before is printed).
        """
        nums, tgts = self.outputs(table)
        prior_n = self._shown.setdefault(table.variable, [])
        prior_t = self._held.setdefault(table.variable, [])
        mine = {grouping(x) for x in nums + tgts} or {()}
        if mine == {()}:  # a margin of every grouping: audited with each grouping printed before
            groups = sorted({grouping(x) for x in prior_n + prior_t} | {()})
        else:
            groups = sorted(mine)
        gone: set[int] = set()
        summaries = []
        for g in groups:
            keep = {g, ()}
            pn = [x for x in prior_n if grouping(x) in keep]
            pt = [x for x in prior_t if grouping(x) in keep]
            new_n = [(i, x) for i, x in enumerate(nums) if i not in gone and grouping(x) in keep]
            new_t = [x for x in tgts if grouping(x) in keep]
            if not (pt or new_t):
                continue
            all_n = pn + [x for _, x in new_n]
            found = self._cached(all_n, pt + new_t, [i for i, _ in new_n])
            if found is None:
                ids = {id(x): i for i, x in new_n}
                res = protect(all_n, pt + new_t, may_withhold=lambda x, ids=ids: id(x) in ids,
                              cap=len(self.df))
                found = {"withheld": sorted(ids[id(x)] for x in res.withheld), "summary": res.summary()}
                # As the cache gives it back (keys sorted), so a page's record has the same bytes either way.
                found = json.loads(json.dumps(found, sort_keys=True))
                self._store(all_n, pt + new_t, found, [i for i, _ in new_n])
            gone |= set(found["withheld"])
            summaries.append(found["summary"])
        if summaries:
            self.results[table.output] = _merge_summaries(summaries)
        prior_n += [x for i, x in enumerate(nums) if i not in gone]
        prior_t += tgts
        return [nums[i] for i in sorted(gone) if nums[i].edition == self.own]

    def _path(self, nums, tgts, new):
        text = json.dumps([_CODE, RULE_BELOW, RULE_UP_TO, [n.to_dict() for n in nums],
                           [t.to_dict() for t in tgts], new], sort_keys=True, default=str)
        return Path(self.cache) / f"{hashlib.sha256(text.encode()).hexdigest()}.json"

    def _cached(self, nums, tgts, new):
        if self.cache is None:
            return None
        try:
            return json.loads(self._path(nums, tgts, new).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def _store(self, nums, tgts, found, new) -> None:
        if self.cache is None:
            return
        path = self._path(nums, tgts, new)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(found, sort_keys=True)
        write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
