"""The output-check report of one edition, from what its pages recorded.

The report (``output-check.json`` beside the HTML, for CBS's output checker) and the output-check
appendix are summaries of the pages' records (:mod:`werk.disclosure.record`): they recompute nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from werk.core.files import write_atomic
from werk.disclosure.audit import release_report
from werk.disclosure.record import checks_of
from werk.disclosure.rules import (
    DOF_THRESHOLD,
    GROUP_SHARE,
    NK_K,
    NK_N,
    PRATIO_P,
    RULES,
    SOURCES,
    STATUSES,
    THRESHOLD,
    Check,
    public_n,
)

__all__ = ["summary", "report", "report_text", "write_report"]


def summary(checks: Iterable[Check]) -> dict:
    """Counts of a list of checks: outputs by status, suppressed and flagged cells."""
    checks = list(checks)
    out = {"outputs": len(checks)}
    for s in STATUSES:
        out[s] = sum(c.status == s for c in checks)
    out["suppressed_cells"] = sum(len(c.suppressed) for c in checks)
    out["flagged_cells"] = sum(len(c.flagged) for c in checks)
    return out


def report(records: dict[str, dict], edition: str | None = "all", respondents: int | None = None) -> dict:
    """The machine-readable report of an edition: rules, sources, every recorded check, a summary.

    ``records``: page -> record, as :func:`werk.disclosure.record.read_records` returns them.
    """
    return {
        "tool": "werk.disclosure",
        "edition": edition or "all",
        "respondents": public_n(respondents),
        "thresholds": {"respondents": THRESHOLD, "degrees_of_freedom": DOF_THRESHOLD,
                       "group_share_percent": GROUP_SHARE, "nk": [NK_N, NK_K], "p_ratio": PRATIO_P},
        "rules": dict(RULES),
        "sources": list(SOURCES),
        "summary": summary(checks_of(records)),
        "disclosure_audit": release_report(records, edition or "all", respondents),
        "pages": {page: [dict(c) for c in rec["checks"]] for page, rec in records.items()},
    }


def report_text(records: dict[str, dict], edition: str | None = "all", respondents: int | None = None) -> str:
    """:func:`report` as the JSON text of ``output-check.json`` (same records, same text)."""
    return json.dumps(report(records, edition, respondents), ensure_ascii=False, indent=1) + "\n"


def write_report(records: dict[str, dict], path, edition: str | None = "all",
                 respondents: int | None = None) -> Path:
    """Write :func:`report` as JSON to ``path`` (same records, same bytes), replacing it whole."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = report_text(records, edition, respondents)
    write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return path
