"""The claims: the model of ``data/published.yml``, every number the article prints.

A claim has an id (``beta:threat~age``), a kind (:data:`KINDS`), the printed value and its decimals,
where the article prints it, and a spec of how to compute it. This module reads and validates the
file, rounds as the article rounds (:func:`round_printed`, :func:`matches`), formats a number as the
claim is printed (:func:`format_value`), and turns an id into a glue key (:func:`glue_key`).
"""

from __future__ import annotations

import functools
import math
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import yaml

from werk.core import codebook, paths
from werk.core.errors import WerkError
from werk.core.files import read_yaml
from werk.core.fmt import format_coef, localize

__all__ = ["KINDS", "claims", "validate", "by_id", "glue_key", "round_printed", "matches", "format_value",
           "term_name"]

#: kind -> (spec fields required, whether a printed value is required)
KINDS: dict[str, tuple[tuple[str, ...], bool]] = {
    "n": ((), True),
    "mean": (("variable",), True),
    "sd": (("variable",), True),
    "share": (("variable", "codes"), True),
    "bound": (("variable",), False),
    "beta": (("model", "term"), True),
    "r": (("x", "y"), True),
    "ns": (("model", "terms"), False),
    "diff": (("variable", "by", "higher"), False),
    "trend": (("x", "y", "sign"), False),
}



#: The short Dutch names of the claims' variables, in the article's own words (its "beroepsexpertise",
#: "aanpassingsvermogen", "bijbenen"); the codebook's Dutch labels are the survey's longer wordings.
_TERMS_NL = {
    "threat": "technologie als bedreiging voor het behoud van werk",
    "keep_up": "bijbenen van technologische veranderingen",
    "employability": "inzetbaarheid",
    "expertise": "beroepsexpertise",
    "adaptability": "aanpassingsvermogen",
    "continuous_improvement": "continu verbeteren",
    "career_self_management": "loopbaanzelfsturing",
    "development_motivation": "ontwikkelmotivatie",
    "hrm_quality": "kwaliteit van HRM",
    "leadership": "leiderschap",
    "hrm_leadership": "HRM en leiderschap",
    "years_in_government": "jaren in dienst bij de overheid",
    "years_in_function": "jaren in de huidige functie",
    "contract_hours": "aanstelling in uren per week",
    "age": "leeftijd",
    "age_group": "leeftijdsgroep",
    "gender": "geslacht",
    "education": "opleidingsniveau",
    "income": "inkomen",
    "permanent_contract": "vast dienstverband",
    "manager": "leidinggevende functie",
    "multiple_jobs": "twee of meer banen",
    "sector": "sector",
}

def term_name(term: str, lang: str = "en") -> str:
    """A claim's variable or model term in words: the codebook's label in English
    (:func:`werk.core.codebook.term_label`), the article's short Dutch word in Dutch."""
    if lang == "nl" and term in _TERMS_NL:
        return _TERMS_NL[term]
    return codebook.term_label(term, lang)


def claims(path: str | Path | None = None) -> list[dict]:
    """Read and validate the published claims.

    Returns
    -------
    list of dict
        One dict per claim: id, kind, value (or None), precision, p_max (or None), section,
        figure, table, nl, spec.

    Raises
    ------
    WerkError
        Unreadable file, duplicate ids, unknown kinds or missing spec fields.
    """
    path = Path(path or paths.PUBLISHED)
    try:
        doc = read_yaml(path)
    except OSError as exc:
        raise WerkError(f"cannot read the published claims {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise WerkError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("claims"), list):
        raise WerkError(f"{path} has no 'claims' list")
    return validate(doc["claims"], str(path))


def validate(raw: list, where: str = "claims") -> list[dict]:
    out, seen, problems = [], set(), []
    for i, c in enumerate(raw):
        if not isinstance(c, dict) or "id" not in c or "kind" not in c:
            problems.append(f"entry {i + 1} needs an id and a kind")
            continue
        cid, kind = str(c["id"]), c["kind"]
        if cid in seen:
            problems.append(f"{cid}: duplicate id")
        seen.add(cid)
        if kind not in KINDS:
            problems.append(f"{cid}: unknown kind {kind!r} (known: {', '.join(KINDS)})")
            continue
        needed, needs_value = KINDS[kind]
        spec = c.get("spec") or {}
        missing = [f for f in needed if f not in spec]
        if kind == "bound" and not any(k in spec for k in ("largest", "below", "above")):
            missing.append("largest, below or above")
        if missing:
            problems.append(f"{cid}: spec lacks {', '.join(missing)}")
        if needs_value and not isinstance(c.get("value"), (int, float)):
            problems.append(f"{cid}: a {kind} claim needs a numeric value")
        if kind in ("beta", "r") and c.get("p_max") is None:
            problems.append(f"{cid}: a {kind} claim needs p_max")
        # Already-validated claims (from claims()) carry section/figure/table at the top level.
        w = c.get("where") or {k: c.get(k) for k in ("section", "figure", "table")}
        out.append({
            "id": cid, "kind": kind, "value": c.get("value"), "precision": int(c.get("precision", 0) or 0),
            "p_max": c.get("p_max"), "section": w.get("section"), "figure": w.get("figure"),
            "table": w.get("table"), "nl": c.get("nl", ""), "spec": dict(spec),
        })
    if problems:
        raise WerkError(f"{where}: " + "; ".join(problems))
    return out




def round_printed(x: float, decimals: int) -> float:
    """Round half away from zero to ``decimals`` (the rule behind :func:`matches`)."""
    q = Decimal(1).scaleb(-decimals)
    r = float(Decimal(repr(float(x))).quantize(q, rounding=ROUND_HALF_UP))
    return int(r) if decimals == 0 else r


def matches(x: float, printed: float, decimals: int) -> bool:
    """True when ``x`` rounds (half away from zero) to the printed value."""
    if x is None or not np.isfinite(x):
        return False
    return round_printed(x, decimals) == round_printed(printed, decimals)


def format_value(claim: dict, x, lang: str = "en") -> str:
    """Format a number the way the claim is printed, for tables and prose.

    Shares and bounds: percent with the printed decimals ("40%", "30.9%"); betas and
    correlations: APA style as the article prints them, no leading zero and the printed
    decimals (".04", "-.13"); n: thousands separator ("5,391"); means and SDs: the printed
    decimals. Text (qualitative claims) and missing values pass through ("" for NaN).
    ``lang="nl"``: in Dutch style ("30,9%", "−0,13", "5.391").
    """
    if x is None or isinstance(x, str):
        return x or ""
    if isinstance(x, float) and math.isnan(x):
        return ""
    if lang == "nl":
        return localize(format_value(claim, x), "nl")
    kind, dec = claim["kind"], int(claim.get("precision", 0) or 0)
    if kind in ("share", "bound"):
        return f"{x:.{dec}f}%"
    if kind in ("beta", "r"):
        return format_coef(x, dec or 2)
    if kind == "n":
        return f"{int(round(x)):,}"
    return f"{x:.{dec}f}"


@functools.lru_cache(maxsize=4)
def _by_id(path: str) -> dict[str, dict]:
    return {c["id"]: c for c in claims(path)}


def by_id(cid: str | None = None, path: str | Path | None = None):
    """The claims by id (a copy of one claim with ``cid``), read once per file."""
    table = _by_id(str(Path(path or paths.PUBLISHED).resolve()))
    if cid is None:
        return dict(table)
    return dict(table[cid])


def glue_key(name: str) -> str:
    """A glue key from a claim id or name: ``beta:threat~age`` -> ``beta_threat_age``."""
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_")
