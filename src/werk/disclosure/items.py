"""Output check of scale reliabilities and item statistics (the rules of :mod:`werk.disclosure.rules`).

Every number of a reliability table (alpha, omega, an item's mean, SD, item-rest correlation, alpha if
deleted) rests on the respondents who answered every item of its scale. A scale is shown only when at least
:data:`~werk.disclosure.rules.THRESHOLD` (10) of them did (``threshold``) and its correlations keep
n − 2 ≥ :data:`~werk.disclosure.rules.DOF_THRESHOLD` (``dof``); otherwise each of its numbers reads
"suppressed". No minimum or maximum is shown, so the ``minmax`` rule has nothing to refuse.
"""

from __future__ import annotations

from collections.abc import Mapping

from werk.disclosure.rules import DOF_THRESHOLD, THRESHOLD, Check

__all__ = ["check_scales"]


def check_scales(n_by_scale: Mapping[str, int], output: str = "", kind: str = "table") -> Check:
    """Check the reliability statistics of each scale, given its complete cases; ``hidden`` holds the
    scales whose numbers must be suppressed."""
    chk = Check(output, kind, rules=["threshold", "dof"], n=min(n_by_scale.values(), default=0))
    for scale, n in n_by_scale.items():
        if n < THRESHOLD:
            chk.suppress(scale, scale.replace("_", " "), "threshold")
        elif n - 2 < DOF_THRESHOLD:
            chk.suppress(scale, scale.replace("_", " "), "dof")
    return chk
