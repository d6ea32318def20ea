"""Output checking by CBS's rules for microdata output: every number the book shows is checked first.

Nothing computed from CBS microdata may leave Remote Access before it passes CBS's output rules. This
module states those rules as code, applies them to every table, figure, model and glued number of the
book, suppresses (and visibly marks) what fails, and records every check for the *Output check*
appendix and for the machine-readable report written beside the HTML.

The rules
---------
Thresholds are module constants; each rule has an id used in the records (:data:`RULES` words them).

``threshold``
    Every count, percentage or mean rests on at least :data:`THRESHOLD` (10) respondents, counted
    unweighted (weighted percentages rest on the same respondents). A percentage rests on its numerator,
    its complement and its denominator: "3 of 108 have a temporary contract" is a count of 3, whether it is
    printed as 3, as 2.8 % or as "97.2 % have a permanent contract". A group (a bar, a row) of fewer than 10
    respondents is suppressed as a whole. A zero is not a small count and is shown.
``secondary``
    A suppressed number must not be derivable from a total or from the numbers shown beside it. In every
    row, and in every column of a cross-table whose margin the book also shows, the suppressed cells are
    either none, or at least two that together hold at least 10 respondents; further cells, smallest first,
    are suppressed until that holds. This is a heuristic (τ-ARGUS solves the general problem as an
    optimisation); for the one- and two-way tables of this book it leaves no cell derivable.
``dominance``
    A mean of a magnitude (hours, years) is suppressed when its two largest contributions hold more than
    90 % of the total (the (2, 90) n-k rule) or when the rest is less than 10 % of the largest (p-ratio),
    ACRO's default dominance rules.
``dof``
    Every model has at least :data:`DOF_THRESHOLD` (10) residual degrees of freedom; a model that has fewer
    is not shown, with a note (its table, its figure and the numbers the prose takes from it). A
    correlation needs n − 2 ≥ 10, a standard deviation n − 1 ≥ 10, a two-group test n − 2 ≥ 10.
``group``
    A group (a row, a bar, the whole edition) in which one category holds more than :data:`GROUP_SHARE`
    (90 %) of the respondents is *flagged* for the output checker (group disclosure), not suppressed.
    Flagged cells carry a dagger (†) in tables and figures and status ``review`` in the report.
``dummy``
    A regression coefficient of a binary predictor whose smaller group has fewer than 10 of the model's
    respondents is flagged for review (it comes close to that small group's mean).
``minmax``
    No minimum or maximum of a continuous variable is shown: a table column (or row label) named min, max,
    minimum, maximum, minima or maxima is refused — its values are replaced by the mark.

What fails is never dropped silently: a suppressed cell reads :data:`MARK` ("suppressed") in a table, a
suppressed bar or segment is drawn hatched and labelled in a figure, a glued number in the prose reads
"suppressed", and a refused model keeps its table and figure slot with a note instead of numbers.

Decisions where the rules leave room
------------------------------------
* **Group disclosure is flagged, not suppressed.** In CBS's output checking, as in the ESSnet guidelines it
  co-wrote, group (class) disclosure is principles-based: the checker judges whether the shared attribute is
  sensitive. The book's attributes are opinions about technology and ordinary job characteristics, so a
  dominant category is flagged for that judgement (status ``review``, as ACRO marks outputs that need a
  person) rather than hidden. The counts behind a flagged group still pass the threshold rules, or they are
  suppressed by those.
* **The published report never contains a count below 10.** ``n`` is given where it is 10 or more; a
  suppressed cell is listed by name and rule, never with its count (the report is published beside the
  HTML, so a count in it would be the very disclosure the suppression prevents).
* **Zeros are shown.** A zero is not a count of one to nine (ACRO's ``zeros_are_disclosive`` concerns the
  p-ratio of magnitude tables); what a zero says about a group ("no one here answered X") is the group rule's
  business.
* The rules apply per edition: an edition is the data of one sector, so its cells are smaller and more of
  them are suppressed. An edition under :data:`werk.book.MIN_EDITION_N` respondents is refused outright.

Sources followed
----------------
* ACRO, the SACRO project's tool for CBS-style and other TRE output checking (github.com/AI-SDC/ACRO):
  ``acro/default.yaml`` (``safe_threshold: 10``, ``safe_dof_threshold: 10``, ``safe_nk_n: 2``,
  ``safe_nk_k: 0.90``, ``safe_pratio_p: 0.10``); ``acro/acro_regression.py``
  (``__check_model_dof``: "fail; dof=… < 10"); ``acro/acro_tables.py`` (``agg_threshold``, ``agg_nk``,
  ``agg_p_percent``; ``AGGFUNC`` offers no min or max, so they are refused).
* Eurostat's Stata predecessor of ACRO, ``safe_table.ado`` (Ritchie & Green 2020, github.com/eurostat/ACRO):
  "below threshold", "too few DoFs" (sd and se need n − 1 ≥ 10), "max/min not allowed".
* ESSnet SDC, Brandt, Franconi, Guerke, Hundepool (CBS), Lucarelli, Mol (CBS), Ritchie, Seri & Welpton (2010),
  *Guidelines for the checking of output based on microdata research* — the rule-of-thumb model of which the
  rules above are the common core (10 units, 10 degrees of freedom, group disclosure, no extremes).
* The rule set of the project's issue 6 ("10 respondents behind every number; 10 residual degrees of
  freedom; flag a group in which one category holds more than 90 %; no minimum or maximum").

Why not ACRO itself
-------------------
ACRO implements most of these checks for pandas tables and statsmodels models, but in the project's trial
(issue 6) ACRO 1.0.2 pinned ``pandas<=2.3.3`` (the book runs pandas 3), crashed on a NaN category in
``crosstab``, logged at INFO into every notebook output, and ``crosstab(..., suppress=True)`` returned cells
under 10 unchanged while recording them as failing — the one thing it must not do. It also checks each table
on its own, while the book shows the same respondents in several linked outputs (a distribution and its
cross-table), which the ``secondary`` rule protects. The checks are small; this module implements them
on the book's own tables and is tested cell by cell (``tests/test_outputcheck.py``). Nothing here logs or
prints, at import or later.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from werk.core import memo
from werk.core.codebook import term_label
from werk.inputs import frame
from werk.inputs.frame import category_labels, category_shares

THRESHOLD = 10
#: Residual degrees of freedom of every model (and n − 1 of a standard deviation, n − 2 of a correlation).
DOF_THRESHOLD = 10
#: Percent of a group in one category above which the group is flagged (group disclosure).
GROUP_SHARE = 90.0
#: The (n, k) dominance rule of a mean of magnitudes: the NK_N largest hold more than NK_K of the total.
NK_N, NK_K = 2, 0.90
#: The p-ratio rule: the total less the two largest is less than PRATIO_P of the largest.
PRATIO_P = 0.10
#: What a suppressed number reads in a table cell and in the prose ...
MARK = "suppressed"
#: ... and in the Dutch book.
MARK_NL = "onderdrukt"


def mark(lang: str = "en") -> str:
    """What a suppressed number reads in ``lang``."""
    return MARK_NL if lang == "nl" else MARK

#: What marks a flagged (group-disclosure) cell.
FLAG = "†"

PASS, REVIEW, SUPPRESSED, REFUSED = "pass", "review", "suppressed", "refused"
STATUSES = (PASS, REVIEW, SUPPRESSED, REFUSED)

RULES = {
    "threshold": (
        f"Every count, percentage or mean rests on at least {THRESHOLD} respondents (unweighted): a "
        f"percentage on at least {THRESHOLD} in its numerator, in its complement and in its denominator. "
        "Zeros are shown."
    ),
    "secondary": (
        "A suppressed number must not be derivable from a total or from the numbers beside it: in every row "
        "(and column, where the margin is shown) the suppressed cells are none, or at least two holding at "
        f"least {THRESHOLD} respondents together; further cells, smallest first, are suppressed until they "
        "are."
    ),
    "dominance": (
        f"A mean of magnitudes is suppressed when its {NK_N} largest contributions hold more than "
        f"{NK_K:.0%} of the total, or the rest is less than {PRATIO_P:.0%} of the largest (n-k and p-ratio)."
    ),
    "dof": (
        f"Every model has at least {DOF_THRESHOLD} residual degrees of freedom; a correlation n − 2, a "
        f"standard deviation n − 1 and a two-group test n − 2 at least {DOF_THRESHOLD}. A model that fails "
        "is not shown."
    ),
    "group": (
        f"A group in which one category holds more than {GROUP_SHARE:g}% of the respondents is flagged for "
        "the output checker (group disclosure), not suppressed: the attributes are not sensitive."
    ),
    "dummy": (
        f"A coefficient of a binary predictor whose smaller group has fewer than {THRESHOLD} of the model's "
        "respondents is flagged for the output checker."
    ),
    "minmax": "No minimum or maximum of a continuous variable is shown: such a column or row is refused.",
    "linked": (
        f"A withheld count cannot be narrowed by combining the numbers released with it (on its page, in "
        f"every edition built together, printed shares read as the intervals their rounding allows): a count "
        f"withheld because it holds 1 to {THRESHOLD - 1} respondents keeps a feasible interval that reaches "
        f"below 1 and up to at least {THRESHOLD}. Where it would not, further cells of the new output are "
        "withheld, those resting on the fewest respondents first."
    ),
}

#: :data:`RULES` in Dutch, for the Dutch book (same keys: a rule added to RULES gets its Dutch text here;
#: tests/test_dutch_generated.py fails until it has one).
RULES_NL = {
    "threshold": (
        f"Elk aantal, percentage of gemiddelde steunt op ten minste {THRESHOLD} respondenten (ongewogen): "
        f"een percentage op ten minste {THRESHOLD} in zijn teller, in zijn complement en in zijn noemer. "
        "Nullen worden getoond."
    ),
    "secondary": (
        "Een onderdrukt getal mag niet af te leiden zijn uit een totaal of uit de getallen ernaast: in elke "
        "rij (en kolom, waar de marge wordt getoond) zijn de onderdrukte cellen er geen, of ten minste "
        f"twee die samen ten minste {THRESHOLD} respondenten bevatten; verdere cellen, de kleinste eerst, "
        "worden onderdrukt tot dat zo is."
    ),
    "dominance": (
        f"Een gemiddelde van grootheden wordt onderdrukt als de {NK_N} grootste bijdragen samen meer dan "
        f"{NK_K:.0%} van het totaal uitmaken, of als de rest minder is dan {PRATIO_P:.0%} van de grootste "
        "(n-k- en p-ratioregel)."
    ),
    "dof": (
        f"Elk model heeft ten minste {DOF_THRESHOLD} residuele vrijheidsgraden; bij een correlatie n − 2, "
        f"bij een standaardafwijking n − 1 en bij een toets tussen twee groepen n − 2 ten minste "
        f"{DOF_THRESHOLD}. Een model dat hier niet aan voldoet, wordt niet getoond."
    ),
    "group": (
        f"Een groep waarin één categorie meer dan {GROUP_SHARE:g}% van de respondenten omvat, wordt "
        "gemarkeerd voor de outputcontroleur (groepsonthulling), niet onderdrukt: de kenmerken zijn "
        "niet gevoelig."
    ),
    "dummy": (
        f"Een coëfficiënt van een binaire voorspeller waarvan de kleinste groep minder dan {THRESHOLD} "
        "van de respondenten van het model telt, wordt gemarkeerd voor de outputcontroleur."
    ),
    "minmax": ("Er wordt geen minimum of maximum van een continue variabele getoond: zo'n kolom of rij wordt "
               "geweigerd."),
    # The rule another branch adds to RULES (the disclosure audit over the release), ready for it.
    "linked": (
        "Een achtergehouden aantal mag niet nauwkeuriger te bepalen zijn door de getallen te combineren die "
        "ermee zijn vrijgegeven (op zijn pagina, in elke editie die samen wordt gebouwd; een gedrukt aandeel "
        "geldt als het interval dat zijn afronding toelaat): een aantal dat is achtergehouden omdat het 1 "
        f"tot {THRESHOLD - 1} respondenten telt, houdt een mogelijk interval dat onder 1 begint en tot ten "
        f"minste {THRESHOLD} reikt. Waar dat niet zo zou zijn, worden verdere cellen van de nieuwe output "
        "achtergehouden, die met de minste respondenten eerst."
    ),
}

SOURCES = [
    "ACRO (SACRO project, github.com/AI-SDC/ACRO): acro/default.yaml (safe_threshold 10, "
    "safe_dof_threshold 10, safe_nk_n 2, safe_nk_k 0.90, safe_pratio_p 0.10); acro/acro_regression.py "
    "(model degrees of freedom); acro/acro_tables.py (threshold, n-k and p-ratio checks; no min or max).",
    "Eurostat's safe_table.ado (Ritchie & Green 2020, github.com/eurostat/ACRO): below threshold, too few "
    "DoFs, max/min not allowed.",
    "ESSnet SDC, Brandt et al. (2010), Guidelines for the checking of output based on microdata research "
    "(with CBS's Hundepool and Mol): the rule-of-thumb model.",
    "Project issue 6: the rule set of CBS's microdata output rules as this book applies them.",
]

_RANK = {PASS: 0, REVIEW: 1, SUPPRESSED: 2, REFUSED: 3}


# ------------------------------------------------------------------------------------------------ the record


@dataclass
class Check:
    """The outcome of checking one output (a table, a figure, a model, a glued number).

    ``hidden`` and ``marked`` hold the keys of the suppressed and flagged cells for the code that draws
    the output (category codes, ``(group, code)`` pairs, term names, row positions); ``suppressed`` and
    ``flagged`` describe them for people (English labels and the rule), never with a count below 10.
    """

    output: str
    kind: str
    rules: list[str] = field(default_factory=list)
    n: int | None = None
    status: str = PASS
    suppressed: list[dict] = field(default_factory=list)
    flagged: list[dict] = field(default_factory=list)
    note: str = ""
    page: str | None = None
    hidden: set = field(default_factory=set, repr=False, compare=False)
    marked: set = field(default_factory=set, repr=False, compare=False)
    #: The rule that hid each key of ``hidden`` ("threshold", "secondary", ...), so that a figure can tell
    #: a cell of fewer than 10 respondents from one withheld so that such a cell cannot be derived.
    why: dict = field(default_factory=dict, repr=False, compare=False)
    #: What the output prints of counts and shares, and the cells it withholds, for the disclosure audit
    #: over the release (:mod:`werk.disclosure.audit`): its ``Number`` and ``Target`` objects as dicts.
    published: list[dict] = field(default_factory=list, repr=False, compare=False)
    withheld_cells: list[dict] = field(default_factory=list, repr=False, compare=False)
    #: The audit of this output with what every edition printed before it on its page
    #: (:meth:`werk.disclosure.audit.AuditResult.summary`, over the release); empty when not audited.
    release: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def withheld(self) -> bool:
        """True when the output, or a number in it, must not be shown as computed."""
        return self.status in (SUPPRESSED, REFUSED)

    def suppress(self, key, label: str, rule: str) -> None:
        if key in self.hidden:
            return
        self.hidden.add(key)
        self.why[key] = rule
        self.suppressed.append({"cell": label, "rule": rule})
        self._raise(SUPPRESSED)

    def flag(self, key, label: str, rule: str) -> None:
        if key in self.marked:
            return
        self.marked.add(key)
        self.flagged.append({"cell": label, "rule": rule})
        self._raise(REVIEW)

    def refuse(self, note: str, rule: str = "dof") -> None:
        self.note = note
        self._raise(REFUSED)
        if rule not in self.rules:
            self.rules.append(rule)

    def _raise(self, status: str) -> None:
        if _RANK[status] > _RANK[self.status]:
            self.status = status

    def merge(self, other: Check, prefix: str = "") -> None:
        """Take over another check's findings (cells prefixed with ``prefix``)."""
        for r in other.rules:
            if r not in self.rules:
                self.rules.append(r)
        for s in other.suppressed:
            self.suppress((prefix, s["cell"]), f"{prefix}{s['cell']}", s["rule"])
        for f in other.flagged:
            self.flag((prefix, f["cell"]), f"{prefix}{f['cell']}", f["rule"])
        if other.status == REFUSED:
            self.refuse(other.note)
        elif other.note and not self.note:
            self.note = other.note

    @classmethod
    def from_dict(cls, d: Mapping) -> Check:
        """A check read back from its record (:meth:`to_dict`); the cell keys are not kept."""
        return cls(output=d["output"], kind=d["kind"], rules=list(d.get("rules", [])), n=d.get("n"),
                   status=d.get("status", PASS), suppressed=[dict(s) for s in d.get("suppressed", [])],
                   flagged=[dict(f) for f in d.get("flagged", [])], note=d.get("note", ""),
                   page=d.get("page"), published=list(d.get("published", [])),
                   withheld_cells=list(d.get("withheld_cells", [])), release=dict(d.get("release", {})))

    def to_dict(self) -> dict:
        """The record as it goes into the report (JSON-ready, no count below 10)."""
        return {
            "page": self.page,
            "output": self.output,
            "kind": self.kind,
            "rules": list(self.rules),
            "n": public_n(self.n),
            "status": self.status,
            "suppressed": [dict(s) for s in self.suppressed],
            "flagged": [dict(f) for f in self.flagged],
            "note": self.note,
            **({"published": list(self.published), "withheld_cells": list(self.withheld_cells)}
               if self.published or self.withheld_cells else {}),
            **({"release": dict(self.release)} if self.release else {}),
        }


def public_n(n) -> int | None:
    """A count as it may be published: itself when at least :data:`THRESHOLD`, else None."""
    if n is None or (isinstance(n, float) and math.isnan(n)):
        return None
    n = int(n)
    return n if n >= THRESHOLD else None


# ------------------------------------------------------------------------------------------------ tables


def protect(counts, margins: bool = False) -> tuple[set, set]:
    """Primary and secondary suppression of a table of counts.

    Parameters
    ----------
    counts : array-like (rows x columns)
        Unweighted counts; a row is a group (a bar), a column a category. A one-way table is one row.
    margins : bool
        The column totals are published elsewhere (the overall distribution beside a cross-table), so the
        columns must be protected too.

    Returns
    -------
    (primary, secondary) : sets of (row, column) positions
        ``primary``: cells of 1 to 9 respondents, and every cell of a row of fewer than 10;
        ``secondary``: cells suppressed so that no primary cell can be derived (see the module docstring).
    """
    a = np.asarray(counts, dtype=float)
    if a.ndim == 1:
        a = a[None, :]
    a = np.nan_to_num(a)
    nr, nc = a.shape
    primary = {(i, j) for i in range(nr) for j in range(nc) if 0 < a[i, j] < THRESHOLD}
    for i in range(nr):
        if 0 < a[i].sum() < THRESHOLD:
            primary |= {(i, j) for j in range(nc)}
    hidden = set(primary)
    lines = [[(i, j) for j in range(nc)] for i in range(nr)]
    if margins and nr > 1:
        lines += [[(i, j) for i in range(nr)] for j in range(nc)]
    changed = True
    while changed:
        changed = False
        for line in lines:
            nonzero = [c for c in line if c in hidden and a[c] > 0]
            if not nonzero or (len(nonzero) >= 2 and sum(a[c] for c in nonzero) >= THRESHOLD):
                continue
            # Prefer a cell whose other line (its column, for a row) already has suppressed cells: it
            # protects both lines at once, instead of starting a cascade in a line that had none.
            crossed = {c: any(d in hidden and a[d] > 0 for other in lines if c in other and other is not line
                              for d in other) for c in line}
            candidates = sorted((c for c in line if c not in hidden and a[c] > 0),
                                key=lambda c: (not crossed[c], a[c], c))
            if candidates:
                hidden.add(candidates[0])
                changed = True
    return primary, hidden - primary


def check_counts(
    counts,
    output: str,
    kind: str = "table",
    row_labels: list[str] | None = None,
    col_labels: list[str] | None = None,
    row_keys: list | None = None,
    col_keys: list | None = None,
    margins: bool = False,
    group_rule: bool = True,
) -> Check:
    """Check a table of counts (rows: groups; columns: categories) and decide what to suppress.

    ``hidden`` holds ``col_key`` for a one-row table and ``(row_key, col_key)`` otherwise; a row whose
    every respondent is hidden also adds ``("row", row_key)``; a one-row table of fewer than 10 adds
    ``"total"``. ``marked`` holds the dominant cell of a flagged group.
    """
    a = np.nan_to_num(np.asarray(counts, dtype=float))
    if a.ndim == 1:
        a = a[None, :]
    nr, nc = a.shape
    row_keys = list(row_keys) if row_keys is not None else list(range(nr))
    col_keys = list(col_keys) if col_keys is not None else list(range(nc))
    row_labels = [str(x) for x in (row_labels if row_labels is not None else row_keys)]
    col_labels = [str(x) for x in (col_labels if col_labels is not None else col_keys)]
    one_way = nr == 1

    def key(i, j):
        return col_keys[j] if one_way else (row_keys[i], col_keys[j])

    def label(i, j):
        return col_labels[j] if one_way else f"{row_labels[i]} × {col_labels[j]}"

    rules = ["threshold", "secondary"] + (["group"] if group_rule else [])
    chk = Check(output, kind, rules=rules, n=int(a.sum()))
    primary, secondary = protect(a, margins=margins)
    for i, j in sorted(primary):
        small_row = a[i].sum() < THRESHOLD
        if a[i, j] > 0 or small_row:
            chk.suppress(key(i, j), label(i, j), "threshold")
    for i, j in sorted(secondary):
        chk.suppress(key(i, j), label(i, j), "secondary")
    for i in range(nr):
        total = a[i].sum()
        if total <= 0:
            continue
        if all(key(i, j) in chk.hidden for j in range(nc) if a[i, j] > 0):
            chk.hidden.add(("row", row_keys[i]))
        if total < THRESHOLD:
            if one_way:
                chk.suppress("total", "total", "threshold")
            continue
        j = int(np.argmax(a[i]))
        if group_rule and 100 * a[i, j] / total > GROUP_SHARE and key(i, j) not in chk.hidden:
            chk.flag(key(i, j), label(i, j), "group")
    return chk


def _labels(variable: str) -> dict:
    return category_labels(variable, "en")


def check_distribution(df: pd.DataFrame, variable: str, output: str = "", kind: str = "table",
                       group_rule: bool = True) -> Check:
    """Check the answer distribution of one variable (a shares table, a bar chart).

    Cells are keyed by category code (``hidden``: the codes to suppress, and ``"total"``).
    """
    shares = category_shares(df, variable)
    codes = list(shares.index)
    labels = category_labels(variable, "en", codes if variable == "age_group" else None)
    return check_counts(shares["n"].to_numpy(), output, kind, col_keys=codes,
                        col_labels=[labels.get(c, str(c)) for c in codes], group_rule=group_rule)


def check_crosstab(df: pd.DataFrame, variable: str, by: str, groups: Iterable[tuple] | None = None,
                   output: str = "", kind: str = "figure", margins: bool = True) -> Check:
    """Check the answers of ``variable`` per group of ``by`` (a stacked-bar figure).

    ``groups`` are (key, label) pairs as :func:`werk.display.figures.stacked_shares` takes them;
    ``hidden`` holds ``(group key, code)`` pairs and ``("row", group key)`` for a group hidden as a
    whole.
    """
    if groups is None:
        groups = list(category_labels(by, "en").items())
    groups = list(groups)
    codes = list(category_labels(variable, "en"))
    by_values = frame.values(df, by)
    counts = [category_shares(df[by_values == k], variable, codes=codes)["n"].to_numpy() for k, _ in groups]
    en = category_labels(by, "en")
    row_labels = [str(en.get(k, lab)) if by != "manager" else ("managers" if k == 1 else "employees")
                  for k, lab in groups]
    answer = _labels(variable)
    return check_counts(np.array(counts).reshape(len(groups), len(codes)), output, kind,
                        row_keys=[k for k, _ in groups], row_labels=row_labels, col_keys=codes,
                        col_labels=[answer[c] for c in codes], margins=margins)


def _isin(s: pd.Series, codes) -> pd.Series:
    if s.dtype == object:
        return s.astype(str).isin([str(c) for c in codes])
    return s.isin(list(codes))


def check_share(values: pd.Series, codes, output: str = "", kind: str = "prose") -> Check:
    """Check a percentage of the valid answers that fall in ``codes`` (a number in the prose).

    It rests on its numerator and on its complement: both are cells of a two-cell table.
    """
    s = values.dropna()
    k = int(_isin(s, codes).sum())
    chk = check_counts([k, len(s) - k], output, kind, col_keys=["in", "out"],
                       col_labels=["answering " + "/".join(map(str, codes)), "other answers"],
                       group_rule=False)
    chk.rules.append("group")
    # Group disclosure is about one *category* holding the group, not about the complement of a share
    # (which lumps several categories): "9% work for a province" does not say 91% share anything.
    if len(s) >= THRESHOLD and not chk.hidden:
        counts = s.astype(str).value_counts()
        if 100 * counts.iloc[0] / len(s) > GROUP_SHARE:
            top = counts.index[0].removesuffix(".0")
            chk.flag("group", f"{s.name}={top} holds over {GROUP_SHARE:g}%" if s.name else top, "group")
    return _as_number(chk)


def _as_number(chk: Check) -> Check:
    """A single number: any suppressed cell behind it suppresses the number."""
    if chk.hidden:
        chk.hidden.add("value")
    return chk


def check_by_group(df: pd.DataFrame, variable: str, codes, by: str, output: str = "",
                   kind: str = "prose") -> Check:
    """Check a share computed in every group of ``by`` (e.g. the lowest and highest over age groups)."""
    chk = Check(output, kind, rules=["threshold", "secondary", "group"])
    groups = frame.values(df, by)
    n = 0
    for g in sorted(groups.dropna().unique(), key=str):
        part = df.loc[groups == g, variable]
        if part.notna().any():
            n += int(part.notna().sum())
            chk.merge(check_share(part, codes, kind=kind), prefix=f"{by} {g}: ")
    chk.n = n
    return _as_number(chk)


def check_mean(values, output: str = "", kind: str = "prose", stat: str = "mean") -> Check:
    """Check a mean (threshold and dominance) or a standard deviation (n − 1 degrees of freedom)."""
    s = pd.to_numeric(pd.Series(values), errors="coerce").dropna()
    n = len(s)
    if stat == "sd":
        chk = Check(output, kind, rules=["dof"], n=n)
        if n - 1 < DOF_THRESHOLD:
            chk.suppress("value", "standard deviation", "dof")
        return chk
    chk = Check(output, kind, rules=["threshold", "dominance"], n=n)
    if n < THRESHOLD:
        chk.suppress("value", "mean", "threshold")
        return chk
    v = np.sort(np.abs(s.to_numpy(dtype=float)))[::-1]
    total = v.sum()
    if total > 0:
        if v[:NK_N].sum() / total > NK_K:
            chk.suppress("value", "mean", "dominance")
        elif (total - v[0] - v[1]) / v[0] < PRATIO_P:
            chk.suppress("value", "mean", "dominance")
    return chk


def check_groups(df: pd.DataFrame, variable: str, by: str, output: str = "", kind: str = "prose",
                 codes=None) -> Check:
    """Check a comparison of two or more groups (their means, shares at ``codes``, a test between them)."""
    d = df[[variable, by]].dropna()
    chk = Check(output, kind, rules=["threshold", "dof"], n=len(d))
    for g, part in d.groupby(by, sort=True):
        name = f"{by} {g:g}" if isinstance(g, (int, float, np.number)) else f"{by} {g}"
        if len(part) < THRESHOLD:
            chk.suppress(("group", g), name, "threshold")
        elif codes is not None:
            chk.merge(check_share(part[variable], codes, kind=kind), prefix=f"{name}: ")
        else:
            chk.merge(check_mean(part[variable], kind=kind), prefix=f"{name}: ")
    if len(d) - 2 < DOF_THRESHOLD:
        chk.suppress("test", "test between the groups", "dof")
    return _as_number(chk)


# ------------------------------------------------------------------------------------------------ models


def _model_case_columns(results: pd.DataFrame, df: pd.DataFrame) -> list[str] | None:
    """The columns of ``df`` that hold a fitted model's cases: outcome, terms, dropped terms, sector."""
    outcome = results.attrs.get("outcome")
    if outcome is None or outcome not in df:
        return None
    terms = [t for t in results["term"] if not str(t).startswith("sector=")]
    cols = [outcome, *terms, *results.attrs.get("dropped", [])]
    sector_terms = any(str(t).startswith("sector=") for t in results["term"])
    if sector_terms or "sector" in results.attrs.get("dropped", []):
        cols.append("sector")
    return [c for c in dict.fromkeys(cols) if c in df.columns]


def _model_cases(results: pd.DataFrame, df: pd.DataFrame) -> pd.DataFrame | None:
    cols = _model_case_columns(results, df)
    return None if cols is None else df[cols].dropna()


# The ledger checks each of its models on every page and in both languages: counted once per build.
@memo.kept(reads=lambda df, results: _model_case_columns(results, df) or [])
def _small_dummies(df: pd.DataFrame, results: pd.DataFrame) -> list[str]:
    """The binary terms of a fitted model whose smaller group has fewer than :data:`THRESHOLD` cases."""
    cases = _model_cases(results, df)
    if cases is None:
        return []
    small_terms = []
    for term in results["term"]:
        if str(term).startswith("sector="):
            code = int(str(term).split("=")[1])
            small = int((cases["sector"] == code).sum()) if "sector" in cases else 0
            small = min(small, len(cases) - small)
        elif term in cases and cases[term].nunique() == 2:
            small = int(cases[term].value_counts().min())
        else:
            continue
        if small < THRESHOLD:
            small_terms.append(term)
    return small_terms


def check_model(results: pd.DataFrame, output: str = "", kind: str = "model", df: pd.DataFrame | None = None
                ) -> Check:
    """Check a fitted model (a tidy frame of :func:`werk.stats.models.fit`): residual degrees of freedom.

    With ``df``, binary predictors whose smaller group has fewer than 10 of the model's respondents are
    flagged (``marked`` holds their terms). A refused model has status ``refused`` and a note.
    """
    dof = results.attrs.get("df_resid")
    n = results.attrs.get("n", int(results["n"].iloc[0]) if len(results) else 0)
    chk = Check(output, kind, rules=["dof"], n=n)
    if dof is None or dof < DOF_THRESHOLD:
        chk.refuse(f"not shown: fewer than {DOF_THRESHOLD} residual degrees of freedom (CBS output rules)")
        chk.hidden |= set(results["term"])
        return chk
    if df is not None:
        chk.rules.append("dummy")
        for term in _small_dummies(df, results):
            chk.flag(term, term_label(term), "dummy")
    return chk


def check_correlations(rows: Iterable[Mapping], output: str = "", kind: str = "table") -> Check:
    """Check correlations (dicts of :func:`werk.stats.models.correlation`): n − 2 ≥ 10 each.

    ``hidden`` holds the positions of the rows to suppress.
    """
    rows = list(rows)
    chk = Check(output, kind, rules=["dof"], n=min((int(r["n"]) for r in rows), default=0))
    for i, r in enumerate(rows):
        if int(r["n"]) - 2 < DOF_THRESHOLD:
            chk.suppress(i, f"{term_label(r['x'])} with {term_label(r['y'])}", "dof")
    return chk


_MINMAX = re.compile(r"(?<![a-z])(min|max|minimum|maximum|minima|maxima|min\.|max\.)(?![a-z])", re.I)


def check_columns(frame: pd.DataFrame, output: str = "", kind: str = "table") -> Check:
    """Refuse minima and maxima: columns (or index labels) named min, max, minimum, maximum, minima, maxima.

    ``hidden`` holds ``("column", name)`` and ``("index", label)`` keys of what must be replaced.
    """
    chk = Check(output, kind, rules=["minmax"])
    for col in frame.columns:
        if _MINMAX.search(str(col)):
            chk.suppress(("column", col), f"column {col}", "minmax")
    if not isinstance(frame.index, pd.RangeIndex):
        for lab in frame.index:
            if _MINMAX.search(str(lab)):
                chk.suppress(("index", lab), f"row {lab}", "minmax")
    return chk



def as_prose(chk: Check, output: str) -> Check:
    """The check of a number the prose states, named ``output`` (a glue key): withheld when ``chk`` is.

    A check that is already of a prose number is renamed; one of a table, figure or model (say a model
    whose R² the prose quotes) gives a new prose check that is suppressed when the output is withheld.
    """
    if chk.kind == "prose":
        chk.output = output
        return chk
    out = Check(output, "prose", rules=list(chk.rules), n=chk.n, note=chk.note)
    if chk.withheld:
        what = "model" if chk.kind == "model" else chk.output or chk.kind
        out.suppress("value", what, chk.suppressed[0]["rule"] if chk.suppressed else "dof")
    return out

