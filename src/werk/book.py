"""Helpers the notebooks call: load an edition, glue numbers, show figures and tables.

Notebooks stay thin (parameters, calls into ``werk``, narrative); everything they
would otherwise repeat lives here. Nothing here prints at import time.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

from werk import codebook, paths
from werk.errors import WerkError

__all__ = [
    "load",
    "edition_info",
    "check_edition_size",
    "glue",
    "glue_key",
    "glue_claim",
    "glue_published",
    "glue_outputcheck",
    "checked_ledger",
    "setup",
    "MIN_EDITION_N",
]

#: Below this many respondents an edition is refused: with CBS's threshold of 10 per cell
#: almost every table would be suppressed (see werk.outputcheck).
MIN_EDITION_N = 50


def setup() -> None:
    """Matplotlib and pandas settings shared by every notebook (quiet, deterministic)."""
    import matplotlib as mpl
    import matplotlib.pyplot as plt

    # Resolve the backend now (the kernel's inline backend): werk.figures draws inside rc_context, and
    # leaving an rc_context in which the backend was first resolved resets it, so later figures would
    # silently go to a non-displaying backend.
    plt.switch_backend(mpl.get_backend())
    mpl.rcParams.update(
        {
            "figure.dpi": 110,
            "savefig.dpi": 110,
            "font.size": 10,
            "axes.titlesize": 10,
            "axes.labelsize": 10,
            "figure.figsize": (7.0, 3.4),
            "svg.hashsalt": "werk",
            "figure.max_open_warning": 0,
        }
    )
    pd.set_option("display.precision", 3)


def edition_info(df: pd.DataFrame, edition: str, data_path) -> dict:
    """Who an edition covers: its label, the number of respondents, whether it is the twin."""
    data_path = Path(data_path).resolve()
    is_twin = data_path == paths.TWIN.resolve()
    if edition in (None, "", "all"):
        label_en, label_nl, code, n = "all sectors", "alle overheidsorganen", None, len(df)
    else:
        code = codebook.sector_code(edition)
        nl, en = codebook.SECTORS[code]
        label_en, label_nl, n = en, nl, int((df["sector"] == code).sum())
    source = "the synthetic twin" if is_twin else f"the data file {data_path.name}"
    return {
        "edition": edition or "all",
        "sector": code,
        "edition_label": label_en,
        "edition_label_nl": label_nl,
        "n": n,
        "is_twin": is_twin,
        "source": source,
        "footer": f"Edition: {label_en} ({n} respondents), computed from {source}.",
    }


def check_edition_size(info: dict) -> None:
    """Refuse an edition too small to publish anything under CBS's output rules."""
    if info["n"] < MIN_EDITION_N:
        raise WerkError(
            f"edition {info['edition']!r} has {info['n']} respondents; at least {MIN_EDITION_N} are needed "
            "to publish a book under CBS's output rules (10 respondents behind every number). "
            "Choose a larger group or the whole sample."
        )


def load(data_path=None, mapping_path=None, edition: str = "all") -> tuple[pd.DataFrame, dict]:
    """Load and validate the data, keep one sector for an edition; return (frame, info)."""
    from werk import cache

    data_path = data_path or paths.TWIN
    # In a build, the frames the build validated (werk.cache.validated_frame); elsewhere, validate here.
    folder = os.environ.get("WERK_FRAME_CACHE")
    df = cache.validated_frame(data_path, mapping_path, Path(folder) if folder else None)
    info = edition_info(df, edition, data_path)
    if info["sector"] is not None:
        df = df[df["sector"] == info["sector"]].reset_index(drop=True)
    df["age_group"] = codebook.age_group(df["age"]).astype(object).to_numpy()
    return df, info


def glue_key(name: str) -> str:
    """A glue key from a claim id or name: ``beta:threat~age`` -> ``beta_threat_age``."""
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_")


def glue(name: str, value, check=None) -> None:
    """Glue a value without showing it; numpy scalars become Python numbers first.

    With ``check`` (a :class:`werk.outputcheck.Check` of what the number rests on) the check is
    recorded under the glue key, and a number that fails CBS's output rules is glued as "suppressed".
    """
    from myst_nb import glue as _glue

    if check is not None:
        from werk import outputcheck

        check = outputcheck.record(outputcheck.as_prose(check, glue_key(name)))
        if check.withheld:
            value = outputcheck.MARK
    if hasattr(value, "item"):
        value = value.item()
    _glue(glue_key(name), value, display=False)


def glue_claim(claim_id: str, value: float, p: float | None = None, df: pd.DataFrame | None = None) -> str:
    """Glue a reproduced number of a published claim, formatted as the ledger formats it.

    With ``p``, the p-value is glued too, under ``<key>_p`` (e.g. "< .001"). With ``df`` (the
    edition's data) the claim is output-checked first (:func:`werk.outputcheck.check_claim`): a number
    resting on fewer than 10 respondents, or on a model with fewer than 10 residual degrees of
    freedom, is glued as "suppressed", and so is its p-value.
    """
    from werk import ledger, tables

    claim = _claims()[claim_id]
    text = ledger.format_value(claim, value)
    p_text = tables.format_p(p) if p is not None else None
    if df is not None:
        from werk import outputcheck

        chk = outputcheck.record(outputcheck.check_claim(df, claim))
        if chk.withheld:
            text = outputcheck.MARK
            p_text = outputcheck.MARK if p is not None else None
    glue(claim_id, text)
    if p_text is not None:
        glue(claim_id + ":p", p_text)
    return text


def glue_outputcheck(page: str) -> str:
    """Glue the checks this notebook recorded (JSON, key ``outputcheck``) for the appendix and the build."""
    from werk import outputcheck

    text = outputcheck.report_json(page)
    glue("outputcheck", text)
    return text


def glue_published(claim_id: str) -> str:
    """Glue the article's printed value of a claim (key ``pub_<id>``), to quote it as printed.

    A printed threshold is glued under ``pub_<id>_p`` ("< .001").
    """
    from werk import ledger

    claim = _claims()[claim_id]
    text = ledger.format_value(claim, claim["value"]) if claim.get("value") is not None else ""
    glue("pub:" + claim_id, text)
    if claim.get("p_max") is not None:
        glue("pub:" + claim_id + ":p", "< " + f"{claim['p_max']:.3f}".rstrip("0").lstrip("0"))
    return text


def share(df: pd.DataFrame, variable: str, codes) -> float:
    """Percentage of the valid (non-missing) answers that fall in ``codes``."""
    col = df[variable].dropna()
    if len(col) == 0:
        return float("nan")
    return float(100 * col.isin(list(codes)).mean())


_CLAIMS: dict | None = None


def _claims() -> dict:
    global _CLAIMS
    if _CLAIMS is None:
        from werk import ledger

        _CLAIMS = {c["id"]: c for c in ledger.claims()}
    return _CLAIMS


def markdown_table(frame: pd.DataFrame, caption: str | None = None, name: str | None = None, align=None):
    """Show a formatted table as MyST markdown, so HTML and PDF both get a real table.

    ``frame`` holds display strings (see :mod:`werk.tables`); ``caption`` and ``name`` make it a
    numbered table that the prose can reference with ``{numref}``.

    Output checking: a column or row label naming a minimum or maximum is refused (its values read
    "suppressed"); a frame that carries a check (``attrs["outputcheck"]``, from a table function called
    with ``check=``) has it recorded under ``name``. When anything is suppressed or flagged, a note under
    the table says what the marks mean.
    """
    from IPython.display import Markdown

    from werk import outputcheck

    chk = frame.attrs.get("outputcheck")
    minmax = outputcheck.check_columns(frame, name or "", "table")
    if minmax.hidden:
        frame = frame.copy()
        for what, label in minmax.hidden:
            if what == "column":
                frame[label] = outputcheck.MARK
            else:
                frame.loc[label, :] = outputcheck.MARK
        if chk is None:
            chk = minmax
        else:
            chk.merge(minmax)
    elif chk is not None and "minmax" not in chk.rules:
        chk.rules.append("minmax")
    if chk is not None and (name or chk.output):
        outputcheck.record(chk, chk.output or name)

    def cell(x) -> str:
        s = "" if x is None or (isinstance(x, float) and pd.isna(x)) else str(x)
        return s.replace("|", "\\|").replace("\n", " ")

    cols = [str(c) for c in frame.columns]
    align = align or ["---" if i == 0 else "--:" for i in range(len(cols))]
    lines = ["| " + " | ".join(cell(c) for c in cols) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    body = "\n".join(lines)
    if caption:
        opts = f":name: {name}\n" if name else ""
        body = f":::{{table}} {caption}\n{opts}:align: center\n\n{body}\n:::"
    if chk is not None and (chk.status != outputcheck.PASS):
        body += "\n\n" + _check_note(chk)
    return Markdown(body)


def _check_note(chk) -> str:
    """The note under a table with suppressed, refused or flagged cells."""
    from werk import outputcheck

    parts = []
    if chk.suppressed or chk.status == outputcheck.REFUSED:
        parts.append(
            f"*{outputcheck.MARK}*: withheld by output checking — fewer than {outputcheck.THRESHOLD} "
            f"respondents (or {outputcheck.DOF_THRESHOLD} degrees of freedom) behind the number, or withheld "
            "so that such a number cannot be derived from the others (CBS's rules for microdata output)."
        )
    if chk.flagged:
        parts.append(
            f"{outputcheck.FLAG} flagged for the output checker: one category holds more than "
            f"{outputcheck.GROUP_SHARE:g}% of the group, or a binary predictor has fewer than "
            f"{outputcheck.THRESHOLD} respondents in its smaller group."
        )
    return " ".join(parts) + " See the [output check](sec-output-check)."


#: The page where each section's claims are shown, for links from the ledger.
SECTION_PAGES = {
    "design": ("sec-design", "Design and population"),
    "threat": ("sec-threat", "Technology as a threat"),
    "keep_up": ("sec-keep-up", "Keeping up"),
    "conclusion": ("sec-conclusion", "Conclusion"),
}

_STATUS_CLASS = {"match": "status-match", "deviates": "status-deviates", "not reproducible": "status-na",
                 "suppressed": "status-na"}


def checked_ledger(df: pd.DataFrame, edition: str = "all", section: str | None = None, output: str = ""):
    """The ledger with every number that fails CBS's output rules suppressed; returns (ledger, check).

    A suppressed claim reads "suppressed", with status ``suppressed`` (see
    :func:`werk.outputcheck.suppress_ledger`).
    """
    from werk import ledger, outputcheck

    led = ledger.ledger(df, edition=None if edition in (None, "", "all") else edition)
    if section:
        led = led[led["section"] == section]
    return outputcheck.suppress_ledger(led, df, output)


def ledger_table(df: pd.DataFrame, edition: str = "all", section: str | None = None, links: bool = True,
                 check: bool = False):
    """The claims ledger as a display table: claim, article, here, status (colour-coded), where.

    With ``check``, numbers that fail CBS's output rules read "suppressed" (:func:`checked_ledger`),
    and :func:`markdown_table` records the check under the table's name.
    """
    from werk import ledger

    chk = None
    if check:
        led, chk = checked_ledger(df, edition, section)
    else:
        led = ledger.ledger(df, edition=None if edition in (None, "", "all") else edition)
        if section:
            led = led[led["section"] == section]
    rows = []
    for r in led.itertuples(index=False):
        status = f"[{r.status}]{{.{_STATUS_CLASS.get(r.status, 'status-na')}}}"
        where = ""
        if links and r.section in SECTION_PAGES:
            target, title = SECTION_PAGES[r.section]
            where = f"[{title}]({target})"
        row = {"claim": f"`{r.id}`", "article": r.published, "here": r.reproduced, "status": status}
        if links:
            row["shown in"] = where
        if not section:
            row["note"] = r.reason or ""
        rows.append(row)
    out = pd.DataFrame(rows)
    if chk is not None:
        out.attrs["outputcheck"] = chk
    return out


def codebook_table(lang: str = "en") -> pd.DataFrame:
    """The codebook as a display table: variable, Dutch wording, English label, codes, range."""
    rows = []
    for v in codebook.VARIABLES.values():
        if v.codes:
            codes = "; ".join(f"{k} {nl} ({en})" if nl != en else f"{k} {nl}" for k, (nl, en) in v.codes.items())
        else:
            codes = ""
        span = "" if v.low is None else f"{v.low:g} to {v.high:g}" if v.high is not None else f"≥ {v.low:g}"
        rows.append({"variable": f"`{v.name}`", "Dutch": v.nl, "English": v.en, "codes": codes, "range": span})
    return pd.DataFrame(rows)
