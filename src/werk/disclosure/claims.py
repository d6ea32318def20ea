"""Output checks of the article's claims: what each number of ``data/published.yml`` rests on.

:func:`check_claim` checks a claim as the ledger computes it (the respondents behind a share, the
model behind a beta); :func:`suppress_ledger` withholds every number of a ledger that fails, or that a
page withheld when it showed it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from werk.core import memo
from werk.core.codebook import term_label
from werk.disclosure.rules import (
    DOF_THRESHOLD,
    MARK,
    REFUSED,
    REVIEW,
    SUPPRESSED,
    THRESHOLD,
    Check,
    _isin,
    check_by_group,
    check_groups,
    check_mean,
    check_model,
    check_share,
)
from werk.inputs import frame
from werk.inputs.claims import by_id, glue_key
from werk.stats import models
from werk.stats.ledger import NOT_REPRODUCIBLE

__all__ = ["Fits", "check_claim", "claim_checks", "suppress_ledger"]


class Fits:
    """The models of one frame, each fitted once (several claims rest on the same model)."""

    def __init__(self, df: pd.DataFrame):
        self.df = df
        self._fits: dict[str, object] = {}

    def get(self, name: str):
        """The tidy fit of model ``name``, or the exception that fitting it raised."""
        if name not in self._fits:
            try:
                self._fits[name] = models.fit(self.df, name)
            except (KeyError, ValueError) as exc:
                self._fits[name] = exc
        return self._fits[name]


def _claim_frame(df: pd.DataFrame, claim: dict) -> pd.DataFrame:
    out = frame.edition_frame(df, None)
    spec = claim.get("spec") or {}
    if "hrm_leadership" in (spec.get("x"), spec.get("y")):
        out = frame.with_derived(out)
    for var, values in (spec.get("filter") or {}).items():
        out = out[_isin(out[var], values if isinstance(values, list) else [values])]
    return out


def check_claim(df: pd.DataFrame, claim: dict, output: str | None = None, fits: Fits | None = None) -> Check:
    """Check what a claim of ``data/published.yml`` rests on, computed as the ledger computes it.

    A claim that cannot be computed on these data (a missing column, a constant term) passes with a note:
    nothing is shown for it.
    """
    output = output or glue_key(claim["id"])
    kind, spec = claim["kind"], claim.get("spec") or {}
    try:
        d = _claim_frame(df, claim)
        if kind == "n":
            chk = Check(output, "prose", rules=["threshold"], n=len(d))
            if len(d) < THRESHOLD:
                chk.suppress("value", "respondents", "threshold")
            return chk
        if kind in ("mean", "sd"):
            return _named(check_mean(d[spec["variable"]], stat=kind), output)
        if kind == "share":
            return _named(check_share(d[spec["variable"]], spec["codes"]), output)
        if kind == "bound":
            var = spec["variable"]
            if "largest" in spec:
                s = d[var].dropna()
                top = s.astype(str).str.replace(r"\.0$", "", regex=True).value_counts().index[0]
                return _named(check_share(s.astype(str).str.replace(r"\.0$", "", regex=True), [top]), output)
            if "by" in spec:
                return _named(check_by_group(d, var, spec["codes"], spec["by"]), output)
            return _named(check_share(d[var], spec["codes"]), output)
        if kind in ("beta", "ns"):
            res = (fits if fits is not None and fits.df is df else Fits(df)).get(spec["model"])
            if isinstance(res, Exception):
                return Check(output, "prose", rules=["dof"], note=f"not computed: {res}")
            m = check_model(res, df=df)
            chk = Check(output, "prose", rules=list(m.rules), n=m.n)
            terms = [spec["term"]] if kind == "beta" else list(spec["terms"])
            if m.status == REFUSED:
                chk.suppress("value", f"model of {spec['model']}", "dof")
                chk.note = m.note
            for t in terms:
                if t in m.marked:
                    chk.flag(t, term_label(t), "dummy")
            return chk
        if kind == "r":
            n = len(d[[spec["x"], spec["y"]]].dropna())
            return _dof(output, n, 2, f"r of {spec['x']} with {spec['y']}")
        if kind == "trend":
            x = d[spec["x"]]
            n = len(pd.DataFrame({"x": x, "y": d[spec["y"]]}).dropna())
            return _dof(output, n, 2, f"trend of {spec['y']} over {spec['x']}")
        if kind == "diff":
            return _named(check_groups(d, spec["variable"], spec["by"], codes=spec.get("codes")), output)
    except (KeyError, IndexError) as exc:
        return Check(output, "prose", note=f"not computed on these data ({exc})")
    raise ValueError(f"no output check for claims of kind {kind!r}")


def _named(chk: Check, output: str) -> Check:
    chk.output = output
    return chk


def _dof(output: str, n: int, k: int, what: str) -> Check:
    chk = Check(output, "prose", rules=["dof"], n=n)
    if n - k < DOF_THRESHOLD:
        chk.suppress("value", what, "dof")
    return chk


@memo.kept()
def claim_checks(df: pd.DataFrame, ids: list[str]) -> dict[str, Check]:
    """:func:`check_claim` on ``df`` of the claims of ``data/published.yml`` named by ``ids``, by id.

    Kept (werk.core.memo): every page that shows the ledger checks its claims, up to four times an
    edition, and the Dutch run the same again; once per build for each frame.
    """
    claims = by_id()
    fits = Fits(df)
    return {cid: check_claim(df, claims[cid], fits=fits) for cid in ids if cid in claims}


def suppress_ledger(led: pd.DataFrame, df: pd.DataFrame, output: str = "", kind: str = "table",
                    withheld: dict[str, str] | None = None) -> tuple[pd.DataFrame, Check]:
    """The ledger with every reproduced number that fails a rule suppressed; and the check.

    A suppressed claim shows :data:`MARK` as its number, status ``suppressed`` and why in its reason
    (a "match" would reveal the number to the printed precision, so the status goes too).
    ``withheld`` (glue key -> page, :func:`werk.disclosure.record.withheld_outputs`) are the numbers
    the pages withheld when they showed them: the ledger withholds those claims too.
    """
    shown = [cid for cid, status in zip(led["id"], led["status"]) if status != NOT_REPRODUCIBLE]
    checks = claim_checks(df, shown)
    out = led.copy()
    chk = Check(output, kind, rules=["threshold", "secondary", "dof"], n=len(df))
    for i, row in out.iterrows():
        if row["status"] == NOT_REPRODUCIBLE or row["id"] not in checks:
            continue
        c = checks[row["id"]]
        for r in c.rules:
            if r not in chk.rules:
                chk.rules.append(r)
        page = (withheld or {}).get(glue_key(row["id"]))
        if page and not c.withheld:
            chk.suppress(row["id"], row["id"], "secondary")
            out.at[i, "reproduced"] = MARK
            out.at[i, "value"] = np.nan
            out.at[i, "p"] = np.nan
            out.at[i, "status"] = SUPPRESSED
            out.at[i, "reason"] = f"suppressed: withheld where it is shown ({page}), by CBS output rules"
            _clear_tests(out, i)
        elif c.withheld:
            rule = c.suppressed[0]["rule"] if c.suppressed else "dof"
            chk.suppress(row["id"], row["id"], rule)
            out.at[i, "reproduced"] = MARK
            out.at[i, "value"] = np.nan
            out.at[i, "p"] = np.nan
            out.at[i, "status"] = SUPPRESSED
            out.at[i, "reason"] = _why(rule)
            _clear_tests(out, i)
        elif c.status == REVIEW:
            chk.flag(row["id"], row["id"], c.flagged[0]["rule"])
    return out, chk


def _clear_tests(out: pd.DataFrame, i) -> None:
    """A withheld claim's tests go too: its Holm-adjusted p and its equivalence verdict rest on its number."""
    for col, empty in (("p_holm", np.nan), ("p_equivalence", np.nan), ("equivalence", "")):
        if col in out.columns:
            out.at[i, col] = empty


def _why(rule: str) -> str:
    return {
        "threshold": f"suppressed: rests on fewer than {THRESHOLD} respondents (CBS output rules)",
        "secondary": "suppressed so that a number of fewer than "
                     f"{THRESHOLD} respondents cannot be derived (CBS output rules)",
        "dominance": "suppressed: dominated by one or two respondents (CBS output rules)",
        "dof": f"suppressed: fewer than {DOF_THRESHOLD} degrees of freedom (CBS output rules)",
    }.get(rule, "suppressed (CBS output rules)")

