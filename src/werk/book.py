"""Helpers the notebooks call: load an edition, glue numbers, show figures and tables.

Notebooks stay thin (parameters, calls into ``werk``, narrative); everything they
would otherwise repeat lives here. Nothing here prints at import time.
"""

from __future__ import annotations

import contextlib
import os
import re
import statistics
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import pandas as pd
from IPython import get_ipython
from IPython.display import Markdown
from myst_nb import glue as _glue

from werk.core import codebook, fmt, paths
from werk.core.errors import WerkError
from werk.disclosure import audit, record
from werk.disclosure import claims as claim_checks
from werk.disclosure import rules as outputcheck
from werk.inputs import claims, frame
from werk.inputs import data as data_files
from werk.inputs.claims import glue_key
from werk.inputs.frame import MIN_EDITION_N, check_edition_size, edition_info  # noqa: F401 - for the notebooks
from werk.inputs.frames import validated_frame
from werk.stats import ledger, synth

__all__ = [
    "load",
    "edition_info",
    "check_edition_size",
    "glue",
    "glue_key",
    "glue_claim",
    "glue_share",
    "glue_extremum",
    "glue_phrase",
    "glue_published",
    "glue_outputcheck",
    "glue_release_audit",
    "checked_ledger",
    "ledger_table",
    "page_records",
    "setup",
    "MIN_EDITION_N",
]

def setup() -> None:
    """Matplotlib and pandas settings shared by every notebook (quiet, deterministic)."""
    # Resolve the backend now (the kernel's inline backend): werk.display.figures draws inside rc_context, and
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
    shell = get_ipython()
    if shell is not None:  # in a notebook
        _figure_formatter(shell)
        _no_redraw_before_display(shell)


def _png(fig):
    """A figure as a 2x PNG (sharp on high-density screens) shown at 1x, its alt text inside it.

    The alt text (:data:`werk.display.figures.ALT_ATTR`, written from the data) goes into the PNG's
    ``Description``; the book's Sphinx extension (:mod:`werk.build.sphinx_ext`) makes it the image's
    ``alt``. No software version or date goes in, so the same figure gives the same bytes.
    """
    from IPython.core.pylabtools import retina_figure

    from werk.display.figures import ALT_ATTR, CSV_ATTR  # lazy: seaborn loads slowly, only to draw

    meta = {"Software": None}
    alt = getattr(fig, ALT_ATTR, None)
    if alt:
        meta["Description"] = alt
    result = retina_figure(fig, base64=True, bbox_inches="tight", metadata=meta)
    csv = getattr(fig, CSV_ATTR, None)
    if result is not None and csv:
        data, size = result
        return data, {**size, DOWNLOAD_KEY: csv}  # the build writes it beside the page
    return result


def _no_redraw_before_display(shell) -> None:
    """Under the inline backend, draw a figure only for the image it shows.

    After every cell pyplot redraws each open figure (a ``post_execute`` hook, for windows that show
    it), and then the inline backend draws it again for the image (``flush_figures``): the first
    drawing shows nowhere, a fifth of a figure's cost. Other backends keep the hook.
    """
    redraw = getattr(plt, "_draw_all_if_interactive", None)
    if redraw is None or "inline" not in mpl.get_backend():
        return
    with contextlib.suppress(ValueError):  # not registered: nothing to take away
        shell.events.unregister("post_execute", redraw)


def _figure_formatter(shell) -> None:
    from matplotlib.figure import Figure

    shell.display_formatter.formatters["image/png"].for_type(Figure, _png)


def load(data_path=None, mapping_path=None, edition: str = "all", page: str | None = None
         ) -> tuple[pd.DataFrame, dict]:
    """Load and validate the data, keep one sector for an edition; return (frame, info).

    This starts the notebook run: a new :class:`werk.disclosure.record.Recorder` takes the output
    checks of the page from here on (``page`` names it; :func:`glue_outputcheck` stores them).
    """
    record.start(page)
    data_path = data_path or paths.TWIN
    # In a build, the frames the build validated (werk.inputs.frames); elsewhere, validate here.
    folder = os.environ.get("WERK_FRAME_CACHE")
    df = validated_frame(data_path, mapping_path, Path(folder) if folder else None)
    info = edition_info(df, edition, data_path)
    audit_cache = os.environ.get("WERK_AUDIT_CACHE") or (Path(folder) / "audit" if folder else None)
    record.current().release = _release(df, info, Path(audit_cache) if audit_cache else None)
    if run_lang() == "nl":  # what the pages quote of the edition, in the language of the run
        info = {**info, "edition_label": info["edition_label_nl"], "edition_label_en": info["edition_label"]}
    if info["sector"] is not None:
        df = df[df["sector"] == info["sector"]].reset_index(drop=True)
    df["age_group"] = frame.age_groups(df["age"])
    # Every figure drawn from this frame prints where its numbers come from (synthetic or CBS).
    df.attrs[frame.SOURCE_ATTR] = {**{lang: frame.source_line(info, lang) for lang in ("en", "nl")},
                                   "is_twin": bool(info["is_twin"])}
    _PAGE.start(info)
    return df, info


def _release(df: pd.DataFrame, info: dict, cache: Path | None) -> audit.Release:
    """The editions ``--all-editions`` releases together with this one, for the disclosure audit: the full
    book and every sector with enough respondents to be built (:data:`MIN_EDITION_N`), each drawn from
    ``df`` (the whole file); the decisions are kept in ``cache``: the build's frame cache, or the folder
    ``WERK_AUDIT_CACHE`` names (``make test`` shares one among its builds and nbval; a decision is keyed by
    its inputs and the audit's code, so sharing it is safe)."""
    full = df.assign(age_group=frame.age_groups(df["age"]))
    editions = [("all", None)] + [(nl, code) for code, (nl, _) in codebook.SECTORS.items()
                                  if int((full["sector"] == code).sum()) >= MIN_EDITION_N]
    own = "all" if info["sector"] is None else codebook.SECTORS[info["sector"]][0]
    return audit.Release(full, editions, own, cache)


def run_lang() -> str:
    """The language of this notebook run: its ``lang`` parameter (papermill sets it), else English.

    The Dutch book is the same notebooks run with ``lang="nl"``; what they glue and the tables they show
    then take Dutch number style here (:func:`werk.core.fmt.localize`), without every call site passing it.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with the kernel
        return "en"
    shell = get_ipython()
    lang = shell.user_ns.get("lang") if shell is not None else None
    return "nl" if lang == "nl" else "en"


#: The words a page glues in place of a number, and how they read in the Dutch book.
NOT_A_NUMBER_NL = {outputcheck.MARK: outputcheck.MARK_NL, "not estimable": "niet te schatten"}


def glue(name: str, value, check=None, table: audit.Table | None = None) -> None:
    """Glue a value without showing it; numpy scalars become Python numbers first.

    In a Dutch run (:func:`run_lang`) a formatted number (a string) is glued in Dutch style; a Python
    number stays one (the page formats it, and the Dutch book's Sphinx extension localizes that).

    With ``check`` (a :class:`werk.disclosure.rules.Check` of what the number rests on) the check is
    recorded under the glue key, and a number that fails CBS's output rules is glued as "suppressed".
    ``table`` (a share, :class:`werk.disclosure.audit.Table` ``kind="share"``) is what the number prints,
    for the disclosure audit over the release: it may withhold the number further (rule ``linked``).
    """
    if check is not None:
        check = outputcheck.as_prose(check, glue_key(name))
        if table is not None:
            record.current().audit(table, check)
        check = record.record(check)
        if check.withheld:
            value = outputcheck.MARK
    if hasattr(value, "item"):
        value = value.item()
    shown = value
    if isinstance(value, str) and value in NOT_A_NUMBER_NL and run_lang() == "nl":
        value = NOT_A_NUMBER_NL[value]  # a withheld number reads as the Dutch tables read it
    if run_lang() == "nl":
        value = fmt.localize(value, "nl")
    _glue(glue_key(name), value, display=False)
    _GLUED.keep(glue_key(name), shown)


class _PageGlue:
    """What this notebook run glued so far (before Dutch number style), for :func:`glue_phrase`. Tied to
    the run's recorder, as :class:`_PageSource` is, so that a value glued in another run is never read."""

    def __init__(self):
        self.values, self.recorder = {}, None

    def keep(self, key: str, value) -> None:
        if self.recorder is not record.current():
            self.values, self.recorder = {}, record.current()
        self.values[key] = value

    def get(self, key: str):
        if self.recorder is not record.current() or key not in self.values:
            raise KeyError(f"{key!r} is not glued on this page before the sentence that names it")
        return self.values[key]


_GLUED = _PageGlue()


def glue_phrase(name: str, shown: str, withheld: str, *names: str) -> None:
    """Glue the clause ``shown`` with the values glued as ``names`` in its ``{0}``, ``{1}``…, or
    ``withheld`` when output checking withheld any of them.

    A sentence that names two glued shares would otherwise read "between suppressed and suppressed" in
    an edition whose small groups withhold them. Both clauses are the page's words in the run's language;
    the values they fill in are glued (and output-checked) on their own, before.
    """
    values = [_GLUED.get(glue_key(n)) for n in names]
    glue(name, withheld if outputcheck.MARK in values else shown.format(*values))


class _PageFits:
    """The models behind the claims a page glues, fitted once per frame and notebook run."""

    def __init__(self):
        self.fits: claim_checks.Fits | None = None
        self.recorder = None

    def get(self, df: pd.DataFrame) -> claim_checks.Fits:
        if self.fits is None or self.fits.df is not df or self.recorder is not record.current():
            self.fits, self.recorder = claim_checks.Fits(df), record.current()
        return self.fits


_FITS = _PageFits()


class _PageSource:
    """The source line of the data a notebook run loaded, for the tables it shows (a figure reads it
    from its frame's attrs). Tied to the run's recorder, so a stale line is never shown."""

    def __init__(self):
        self.info, self.recorder = None, None

    def start(self, info: dict) -> None:
        self.info, self.recorder = info, record.current()

    def line(self, lang: str = "en") -> str | None:
        if self.info is None or self.recorder is not record.current():
            return None
        return frame.source_line(self.info, lang)


_PAGE = _PageSource()


def glue_claim(claim_id: str, value: float, p: float | None = None, df: pd.DataFrame | None = None) -> str:
    """Glue a reproduced number of a published claim, formatted as the ledger formats it.

    With ``p``, the p-value is glued too, under ``<key>_p``, as running text states it ("p = .018",
    "p < .001"). With ``df`` (the
    edition's data) the claim is output-checked first (:func:`werk.disclosure.claims.check_claim`): a
    number resting on fewer than 10 respondents, or on a model with fewer than 10 residual degrees of
    freedom, is glued as "suppressed", and so is its p-value.
    """
    claim = claims.by_id(claim_id)
    text = claims.format_value(claim, value)
    p_text = fmt.format_p_text(p) if p is not None else None  # "p = .018", "p < .001": one style
    if df is not None:
        chk = claim_checks.check_claim(df, claim, fits=_FITS.get(df))
        table = _claim_table(claim)
        if table is not None:
            record.current().audit(table, chk)
        chk = record.record(chk)
        if chk.withheld:
            text = outputcheck.MARK
            p_text = outputcheck.MARK if p is not None else None
    glue(claim_id, text)
    if p_text is not None:
        glue(claim_id + ":p", p_text)
    return text


def _claim_table(claim: dict) -> audit.Table | None:
    """What a share claim prints, for the disclosure audit: the share of its codes among the valid answers,
    of the respondents its filter keeps (one grouping); None for any other claim."""
    spec = claim.get("spec") or {}
    if claim["kind"] not in ("share", "bound") or "largest" in spec or "by" in spec or "codes" not in spec:
        return None
    where = spec.get("filter") or {}
    if len(where) > 1:
        return None
    by, values = next(iter(where.items()), (None, None))
    group = tuple(values if isinstance(values, list) else [values]) if by else None
    return audit.Table(glue_key(claim["id"]), spec["variable"], [tuple(spec["codes"])], by=by, groups=[group],
                       kind="share")


def audit_with_figure(df: pd.DataFrame, output: str, variable: str) -> None:
    """Audit what this page prints next together with the distribution of ``variable`` that another page
    shows as figure ``output`` (a reader has both): the conclusion restates shares of the threat and
    keep-up figures. The figure is the first output of its question on its page, so the audit here decides
    as it did there (the same cells withheld, in every edition); nothing is printed or recorded."""
    here = record.current().release
    if here is not None:
        here.protect(audit.Table(output, variable, list(frame.category_shares(df, variable).index)))


def glue_share(name: str, df: pd.DataFrame, variable: str, codes, by: str | None = None, group=None) -> None:
    """Glue the share of ``codes`` among the valid answers to ``variable`` ("36.7%"), of the respondents
    whose ``by`` is in ``group`` (all, by default); output-checked on its own and audited with the release
    (:func:`glue`)."""
    part = df if by is None else df[df[by].isin(list(group))]
    text = fmt.format_number(share(part, variable, codes), 1) + "%"
    table = audit.Table(glue_key(name), variable, [tuple(codes)], by=by,
                        groups=[tuple(group) if by is not None else None], kind="share")
    glue(name, text, check=outputcheck.check_share(part[variable], list(codes)), table=table)


def glue_extremum(name: str, df: pd.DataFrame, variable: str, codes, by: str, extreme: str = "min") -> None:
    """Glue the lowest (``extreme="min"``) or highest share of ``codes`` among the valid answers to
    ``variable`` over the groups of ``by`` ("55.2%"), output-checked on every group and audited with the
    release as what it tells a reader: every group's share is at least the lowest (at most the highest)."""
    def shares(d):  # every group with an answer, and its share
        return d.dropna(subset=[variable]).groupby(by, observed=True)[variable].apply(
            lambda s: 100 * s.isin(list(codes)).mean())

    here = shares(df)
    value = here.min() if extreme == "min" else here.max()
    table = audit.Table(glue_key(name), variable, [tuple(codes)], by=by, groups=list(here.index),
                        kind="extremum", extreme=extreme, groups_of=lambda d: list(shares(d).index))
    glue(name, fmt.format_number(value, 1) + "%",
         check=outputcheck.check_by_group(df, variable, list(codes), by), table=table)


def glue_release_audit(records: dict, edition: str = "all") -> dict:
    """Glue what the disclosure audit over the release found, for the output-check appendix (keys
    ``oc_audit_*``), from the pages' ``records``; returns :func:`werk.disclosure.audit.release_report`."""
    here = record.current().release
    rep = audit.release_report(records, edition, len(here.frame(here.sector)) if here is not None else None)
    lang = run_lang()
    rel = rep["release"] or {"cells_audited": 0, "protected_cells": 0, "passes": True, "narrowest": None,
                             "withheld_further": []}
    glue("oc_audit_editions", len(here.editions) if here is not None else 1)
    glue("oc_audit_cells", rel["cells_audited"])
    glue("oc_audit_protected", rel["protected_cells"])
    further = rel["withheld_further"]
    glue("oc_audit_further", len(further))
    glue("oc_audit_further_here", sum(w["edition"] == (here.own if here else "all") for w in further))
    low = rel["narrowest"]
    words = {"en": ("{lo} to {hi} respondents ({cell} of {output}, edition {edition})", "no bound",
                    "holds for every withheld cell", "fails"),
             "nl": ("{lo} tot {hi} respondenten ({cell} van {output}, editie {edition})", "geen grens",
                    "geldt de regel voor elke achtergehouden cel", "faalt de regel")}[lang]
    if low is None:
        glue("oc_audit_narrowest", "–")
    else:
        hi = fmt.format_count(low["high"]) if low["high"] is not None else words[1]
        glue("oc_audit_narrowest", words[0].format(lo=fmt.format_count(low["low"]), hi=hi, cell=low["cell"],
                                                   output=low["output"], edition=low["edition"]))
    glue("oc_audit_passes", words[2] if rel["passes"] and rep["edition"]["passes"] else words[3])
    glue("oc_audit_edition_cells", rep["edition"]["cells_audited"])
    glue("oc_audit_edition_numbers", rep["edition"]["numbers_audited"])
    return rep


def glue_outputcheck(page: str) -> str:
    """Glue the checks this notebook recorded (JSON, key ``outputcheck``) for the appendix and the build.

    The build copies them into the page's records file (:mod:`werk.disclosure.record`).
    """
    text = record.current().to_json(page)
    # Data for the build, not a number for a reader: never localized (a Dutch run would turn its decimals
    # into commas and break the JSON).
    _glue(glue_key(record.GLUE_KEY), text, display=False)
    return text


def glue_published(claim_id: str) -> str:
    """Glue the article's printed value of a claim (key ``pub_<id>``), to quote it as printed.

    A printed threshold is glued under ``pub_<id>_p`` ("p < .001").
    """
    claim = claims.by_id(claim_id)
    text = claims.format_value(claim, claim["value"]) if claim.get("value") is not None else ""
    glue("pub:" + claim_id, text)
    if claim.get("p_max") is not None:
        glue("pub:" + claim_id + ":p", "p < " + fmt.format_alpha(claim["p_max"]))
    return text


def share(df: pd.DataFrame, variable: str, codes) -> float:
    """Percentage of the valid (non-missing) answers that fall in ``codes``."""
    col = df[variable].dropna()
    if len(col) == 0:
        return float("nan")
    return float(100 * col.isin(list(codes)).mean())


#: The '<' that opens an HTML tag, comment or declaration; '< .001' and '<25' stay as they are.
_HTML_TAG = re.compile(r"<(?=[A-Za-z/!?])")

# What keeps a number whole in a table cell (the browser may break at an ASCII space or after a hyphen):
# "3-5", "36-40" and "1.1e-05" get a no-break hyphen; "β = .01", "p > .05", "F(6, 4891)" and "0.40 to 0.56"
# get no-break spaces. The words around them still wrap.
# A browser also breaks after "–", "/" and "|" ("2130–2183", ".03/0.0143", "|t|"): a word joiner (U+2060,
# invisible) follows them there.
_NBSP, _NBHY, _WJ = "\u00a0", "\u2011", "\u2060"
_KEEP_WHOLE = [
    (re.compile(r"(?<=\d)-(?=\d)|(?<=\de)-(?=\d)|(?<=[A-Za-z])-(?=\d)"), _NBHY),
    (re.compile(r"(?<=\d)([–/])(?=[^\s\u00a0])"), lambda m: m.group(1) + _WJ),
    (re.compile(r"\\\|([A-Za-zβρχ]{1,2})\\\|"), lambda m: f"\\|{_WJ}{m.group(1)}\\|{_WJ}"),
    (re.compile(r"([ \u00a0]?)([=<>≤≥])[ \u00a0]+(?=[−+-]?\.?\d)"),
     lambda m: f"{_NBSP if m.group(1) else ''}{m.group(2)}{_NBSP}"),
    (re.compile(r"(?<=\d), (?=[−-]?\.?\d)"), "," + _NBSP),
    (re.compile(r"(?<=[\d%]) to (?=[−-]?\.?\d)"), f"{_NBSP}to{_NBSP}"),
]


_LITERAL = re.compile(r"(`[^`]*`|\]\([^)]*\)|\{[^}]*\})")  # code, a link's target, a role or attribute


def keep_whole(s: str) -> str:
    """``s`` with the spaces and hyphens inside its numbers made unbreakable (see ``_KEEP_WHOLE``).

    Code spans, link targets and ``{...}`` roles or attributes are left as they are (a claim id stays
    copyable, a link keeps its address)."""
    parts = _LITERAL.split(s)
    for i in range(0, len(parts), 2):
        for pattern, repl in _KEEP_WHOLE:
            parts[i] = pattern.sub(repl, parts[i])
    return "".join(parts)


def markdown_table(table: pd.DataFrame, caption: str | None = None, name: str | None = None, align=None,
                   dropdown: str | None = None):
    """Show a formatted table as MyST markdown, so HTML and PDF both get a real table.

    ``table`` holds display strings (see :mod:`werk.display.tables`); ``caption`` and ``name`` make it a
    numbered table that the prose can reference with ``{numref}``. A cell's markdown is kept; an HTML
    tag in a cell is shown as text, not passed to the page.

    Output checking: a column or row label naming a minimum or maximum is refused (its values read
    "suppressed"); a table that carries a check (``attrs["outputcheck"]``, from a table function called
    with ``check=``) has it recorded under ``name``. When anything is suppressed or flagged, a note under
    the table says what the marks mean.

    ``dropdown`` (a title) shows the table, its notes and its CSV link collapsed under that title, for an
    appendix that opens with a summary and keeps the details one click away.

    A table whose ``attrs["lang"]`` is the run's language was written in it, numbers included (a function
    called with ``lang="nl"``): its cells are shown as they are. Any other table's numbers are put in the
    run's style here (:func:`werk.core.fmt.localize`).
    """
    chk = table.attrs.get("outputcheck")
    minmax = outputcheck.check_columns(table, name or "", "table")
    if minmax.hidden:
        table = table.copy()
        for what, label in minmax.hidden:
            if what == "column":
                table[label] = outputcheck.MARK
            else:
                table.loc[label, :] = outputcheck.MARK
        if chk is None:
            chk = minmax
        else:
            chk.merge(minmax)
    elif chk is not None and "minmax" not in chk.rules:
        chk.rules.append("minmax")
    if chk is not None and (name or chk.output):
        record.record(chk, chk.output or name)

    lang = run_lang()
    # Localizing text that is Dutch already could misread it: "3,292" would pass for an English thousand.
    written_in = table.attrs.get("lang") == lang

    def cell(x) -> str:
        s = "" if x is None or (isinstance(x, float) and pd.isna(x)) else str(x)
        s = s if written_in else fmt.localize(s, lang)
        # A cell may carry markdown on purpose (code, links, roles), never HTML: a tag's '<' becomes
        # '&lt;', which the page shows as '<' (a file name or label from outside cannot add a tag).
        return _HTML_TAG.sub("&lt;", s.replace("|", "\\|").replace("\n", " "))

    cols = [str(c) for c in table.columns]
    align = align or ["---" if i == 0 else "--:" for i in range(len(cols))]
    lines = ["| " + " | ".join(cell(c) for c in cols) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(keep_whole(cell(v)) for v in row) + " |"
              for row in table.itertuples(index=False)]
    body = "\n".join(lines)
    if caption:
        opts = f":name: {name}\n" if name else ""
        body = f":::{{table}} {caption}\n{opts}:align: center\n\n{body}\n:::"
    notes = []
    if table.attrs.get("note"):
        # The stars legend, the coding of the terms, valid and missing answers; stars are not emphasis.
        notes.append(cell(table.attrs["note"]).replace("*", "\\*"))
    if table.attrs.get("classes"):
        # A layout class for _static/werk.css (the ledger's phone layout), on a container around the table.
        body = f"::::{{container}} {' '.join(table.attrs['classes'])}\n{body}\n::::"
    if chk is not None and (chk.status != outputcheck.PASS):
        notes.append(_check_note(chk, lang))
    source = _PAGE.line(lang)
    if source:
        notes.append(f"*{source}*")  # every table says where its numbers come from (STYLE.md rule 14)
    meta = None
    if name:
        # A CSV beside the table (only what passed the output check; a withheld cell is empty and flagged),
        # carried in the output's metadata; the build writes it beside the page (werk.build.downloads).
        label = "Deze tabel downloaden als CSV" if lang == "nl" else "Download this table as CSV"
        notes.append(f"{{download}}`{label} <{DOWNLOADS}/{name}.csv>`")
        meta = {DOWNLOAD_KEY: {"name": f"{name}.csv", "text": table_csv(table)}}
    if notes:
        body += "\n\n" + "\n\n".join(notes)
    if dropdown:
        # sphinx-design's dropdown (a <details>), fenced with more colons than the table and container inside
        body = f":::::{{dropdown}} {dropdown}\n\n{body}\n:::::"
    return Markdown(body, metadata=meta)


#: Output metadata key of a download, and the folder beside the page the build writes it to.
DOWNLOAD_KEY = "werk_download"
DOWNLOADS = "downloads"


def table_csv(table: pd.DataFrame) -> str:
    """A shown table as CSV: its cells as shown, a withheld cell empty, and a ``withheld`` column naming them.

    Markdown marks (``**``, backticks, a dagger stays) are dropped; numbers keep the book's style.
    """
    rows = []
    for _, row in table.iterrows():
        out, withheld = {}, []
        for col, value in row.items():
            text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
            if text in (outputcheck.MARK, outputcheck.MARK_NL):
                withheld.append(str(col))
                text = ""
            out[str(col)] = re.sub(r"\[([^\]]*)\]\{[^}]*\}|`", lambda m: m.group(1) or "", text)
        out["withheld"] = "; ".join(withheld)
        rows.append(out)
    return pd.DataFrame(rows).to_csv(index=False, lineterminator="\n")


def _check_note(chk, lang: str = "en") -> str:
    """The note under a table with suppressed, refused or flagged cells, in ``lang``."""
    parts = []
    if lang == "nl":
        if chk.suppressed or chk.status == outputcheck.REFUSED:
            parts.append(
                f"*onderdrukt*: achtergehouden door de outputcontrole — minder dan {outputcheck.THRESHOLD} "
                f"respondenten (of {outputcheck.DOF_THRESHOLD} vrijheidsgraden) achter het getal, of "
                "achtergehouden zodat zo’n getal niet uit de andere is af te leiden (de regels van het CBS "
                "voor "
                "output uit microdata)."
            )
        if chk.flagged:
            parts.append(
                f"{outputcheck.FLAG} gemarkeerd voor de outputcontroleur: één categorie bevat meer dan "
                f"{outputcheck.GROUP_SHARE:g}% van de groep, of een binaire voorspeller heeft minder dan "
                f"{outputcheck.THRESHOLD} respondenten in de kleinste groep."
            )
        return " ".join(parts) + " Zie de [outputcontrole](sec-output-check)."
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
#: Their titles in the Dutch book (short, as the English ones: the chapter titles are longer).
SECTION_TITLES_NL = {"design": "Opzet en populatie", "threat": "Technologie als bedreiging",
                     "keep_up": "Bijbenen",
                     "conclusion": "Conclusie"}

_STATUS_CLASS = {"match": "status-match", "deviates": "status-deviates", "not reproducible": "status-na",
                 "suppressed": "status-na"}

#: The ledger table's words per language: its column headings, the statuses, the units, the claim labels.
_LEDGER_TEXT = {
    "en": {
        "claim": "claim", "unit": "unit", "article": "article", "here": "here", "Holm p": "Holm p",
        "status": "status", "shown in": "shown in", "note": "note", "quote": "article: ",
        "statuses": {}, "respondents": "respondents", "percent": "% of respondents", "hours": "hours a week",
        "years": "years", "beta": "standardized β", "r": "Pearson r", "share": "share: {name}",
        "share_of": "share: {name} {cats}", "or": " or ", "largest": "largest {name}", "mean": "mean: {name}",
        "sd": "standard deviation: {name}", "beta_of": "β of {b} on {a}", "r_of": "r of {a} with {b}",
    },
    "nl": {
        "claim": "bewering", "unit": "eenheid", "article": "artikel", "here": "hier", "Holm p": "Holm-p",
        "status": "status", "shown in": "te zien in", "note": "toelichting", "quote": "artikel: ",
        "statuses": {"match": "klopt", "deviates": "wijkt af", "not reproducible": "niet te reproduceren",
                     "suppressed": "onderdrukt"},
        "respondents": "respondenten", "percent": "% van de respondenten", "hours": "uur per week",
        "years": "jaar", "beta": "gestandaardiseerde β", "r": "Pearsons r", "share": "aandeel: {name}",
        "share_of": "aandeel: {name}, {cats}", "or": " of ", "largest": "grootste {name}",
        "mean": "gemiddelde: {name}", "sd": "standaardafwijking: {name}", "beta_of": "β van {b} voor {a}",
        "r_of": "r van {a} met {b}",
    },
}
#: The reasons :func:`werk.disclosure.claims.suppress_ledger` gives a withheld claim (in English), in Dutch.
_SUPPRESSED_NL = [
    (re.compile(r"suppressed: rests on fewer than (\d+) respondents \(CBS output rules\)"),
     r"onderdrukt: steunt op minder dan \1 respondenten (outputregels van het CBS)"),
    (re.compile(r"suppressed so that a number of fewer than (\d+) respondents cannot be derived "
                r"\(CBS output rules\)"),
     r"onderdrukt, zodat een getal van minder dan \1 respondenten niet is af te leiden "
     r"(outputregels van het CBS)"),
    (re.compile(r"suppressed: dominated by one or two respondents \(CBS output rules\)"),
     "onderdrukt: bepaald door een of twee respondenten (outputregels van het CBS)"),
    (re.compile(r"suppressed: fewer than (\d+) degrees of freedom \(CBS output rules\)"),
     r"onderdrukt: minder dan \1 vrijheidsgraden (outputregels van het CBS)"),
    (re.compile(r"suppressed: withheld where it is shown \(([^)]*)\), by CBS output rules"),
     r"onderdrukt: achtergehouden waar het getoond wordt (\1), volgens de outputregels van het CBS"),
    (re.compile(r"suppressed \(CBS output rules\)"), "onderdrukt (outputregels van het CBS)"),
]


def _suppressed_reason(reason: str, lang: str) -> str:
    if lang == "nl":
        for pattern, dutch in _SUPPRESSED_NL:
            reason = pattern.sub(dutch, reason)
    return reason


#: The outcomes of the article's models as a Dutch ledger names them ("β van inzetbaarheid voor bijbenen").
_OUTCOMES_NL = {"threat": "ervaren bedreiging", "keep_up": "bijbenen", "employability": "inzetbaarheid"}


def records_dir(edition: str = "all") -> Path:
    """Where the build keeps the page records of an edition: ``_build/records/<edition>``.

    A build tells its kernels the folder (``WERK_RECORDS``, the records of every edition); elsewhere
    it is the project's own ``_build/records``.
    """
    base = os.environ.get("WERK_RECORDS")
    return (Path(base) if base else paths.BUILD / "records") / codebook.edition_slug(edition)


def page_records(edition: str = "all", pages=None, summaries: bool = True, but=()) -> dict[str, dict]:
    """What the pages of an edition recorded when they were executed: page -> record.

    A page that summarizes others (the ledger, the output-check appendix; notebook metadata
    ``werk.reads_records``) reads them here; the build runs it after the pages that do not
    summarize and after the summarizing pages before it in the book, with their records in its
    cache key. ``summaries=False`` reads only pages that summarize nothing; ``but`` leaves pages out
    (a page leaves out its own record, which is still the previous build's).

    Raises
    ------
    WerkError
        No records: the pages have not been built for this edition (run ``werk build`` first).
    """
    folder = records_dir(edition)
    try:
        return record.read_records(folder, pages, summaries=summaries, but=but)
    except FileNotFoundError as exc:
        raise WerkError(
            f"{exc}: this page summarizes what the other pages recorded when they were executed; "
            "build them first with `werk build"
            f"{'' if edition in (None, '', 'all') else ' --edition ' + edition}`"
        ) from None


def checked_ledger(df: pd.DataFrame, edition: str = "all", section: str | None = None, output: str = "",
                   records: dict | None = None, lang: str = "en"):
    """The ledger with every number that fails CBS's output rules suppressed; returns (ledger, check).

    A suppressed claim reads "suppressed", with status ``suppressed`` (see
    :func:`werk.disclosure.claims.suppress_ledger`). With ``records`` (:func:`page_records`), a claim
    that its page withheld is withheld in the ledger too, and the reason names the page. ``lang``: the
    language of the ledger's texts (:func:`werk.stats.ledger.ledger`).
    """
    led = ledger.ledger(df, edition=None if edition in (None, "", "all") else edition, lang=lang)
    if section:
        led = led[led["section"] == section]
    withheld = record.withheld_outputs(records) if records else {}
    # What this page withheld so far is withheld in its own claims table too (a claim the audit of the
    # release withheld further, rule "linked", passes its own check).
    here = record.current()
    withheld.update({c.output: here.page or "this page" for c in here.checks
                     if c.withheld and c.output not in withheld})
    return claim_checks.suppress_ledger(led, df, output, withheld=withheld or None)


def ledger_table(df: pd.DataFrame, edition: str = "all", section: str | None = None, links: bool = True,
                 check: bool = False, records: dict | None = None, lang: str = "en"):
    """The claims ledger as a display table: claim, article, here, Holm p, status (colour-coded), where, note.

    "Holm p" (whole ledger only) is the Holm-adjusted p of the article's tests
    (:func:`werk.stats.ledger.holm_family`), empty for claims without a test; a page's own claims
    (``section``) carry a unit instead.

    With ``check``, numbers that fail CBS's output rules, or that their page withheld (``records``),
    read "suppressed" (:func:`checked_ledger`), and :func:`markdown_table` records the check under the
    table's name.

    ``lang="nl"``: every word and number in Dutch (``attrs["lang"]`` says so); the article's quotations
    stay as it prints them.
    """
    T = _LEDGER_TEXT[lang]
    chk = None
    if check:
        led, chk = checked_ledger(df, edition, section, records=records, lang=lang)
    else:
        led = ledger.ledger(df, edition=None if edition in (None, "", "all") else edition, lang=lang)
        if section:
            led = led[led["section"] == section]

    def number(claim, value) -> str:
        text = _ledger_number(claim, value)
        if lang != "nl":
            return text
        if isinstance(value, str):  # a text of the ledger, Dutch already ("3,292" must stay a decimal)
            return outputcheck.MARK_NL if value == outputcheck.MARK else value
        return fmt.localize(str(text), lang)

    rows = []
    for r in led.itertuples(index=False):
        label = T["statuses"].get(r.status, r.status)
        status = f"[{label}]{{.{_STATUS_CLASS.get(r.status, 'status-na')}}}"
        where = ""
        if links and r.section in SECTION_PAGES:
            target, title = SECTION_PAGES[r.section]
            where = f"[{SECTION_TITLES_NL[r.section] if lang == 'nl' else title}]({target})"
        claim = claims.by_id(r.id)
        row = {T["claim"]: claim_label(claim, lang)}
        if section:  # one page's claims mix counts, hours, years and shares; the whole ledger keeps narrow
            row[T["unit"]] = claim_unit(claim, lang)
        row.update({T["article"]: number(claim, r.published), T["here"]: number(claim, r.reproduced)})
        if not section:  # the whole ledger is the family of the article's tests that Holm adjusts over
            row[T["Holm p"]] = fmt.localize(fmt.format_p(getattr(r, "p_holm", float("nan"))), lang)
        row[T["status"]] = status
        if links:
            row[T["shown in"]] = where
        if not section:
            # The article's own words first (marked Dutch for screen readers: werk.build.sphinx_ext), then
            # why.
            nl = str(claim.get("nl") or "").strip()
            words = f"{T['quote']}[“{nl}”]{{.nl}}" if nl else ""
            reason = _suppressed_reason(r.reason, lang) if r.status == "suppressed" else r.reason
            row[T["note"]] = "; ".join(x for x in (words, reason or "") if x)
        rows.append(row)
    out = pd.DataFrame(rows)
    if lang == "nl":
        out.attrs["lang"] = "nl"  # written in Dutch: markdown_table must not localize the quotations' numbers
    # The whole ledger carries a fifth cell, Holm p, in its first line; a page's ledger has a unit column
    # there instead (the layout of _static/werk.css).
    out.attrs["classes"] = ["werk-ledger"] + (["werk-ledger-unit"] if section else ["werk-ledger-holm"])
    if chk is not None:
        out.attrs["outputcheck"] = chk
    return out


def claim_label(claim: dict, lang: str = "en") -> str:
    """What a claim is about, in words: "share: municipality", "mean: contract hours per week"; in Dutch
    (``lang="nl"``) "aandeel: gemeente", "gemiddelde: aanstelling in uren per week"."""
    T = _LEDGER_TEXT[lang]
    spec, kind = claim.get("spec", {}), claim["kind"]
    var = spec.get("variable")
    if lang == "nl":
        name = claims.term_name(var, "nl") if var else ""
    else:
        name = codebook.label(var) if var in codebook.VARIABLES else (var or "")
        if var == "age_group":
            name = "age group"
    codes = spec.get("codes")
    if kind == "n":
        return T["respondents"]
    if kind in ("share",) and codes is not None and var:
        labels = frame.category_labels(var, lang)
        cats = [str(labels.get(c, c)) for c in codes]
        if set(labels) == {0, 1} and list(codes) == [1]:
            return T["share"].format(name=name)
        if var == "gender":
            words = ({"man": "men", "woman": "women"} if lang == "en"
                     else {"man": "mannen", "vrouw": "vrouwen"})
            return T["share"].format(name=T["or"].join(words.get(c, c) for c in cats))
        if var in ("sector", "age_group"):
            return T["share"].format(name=T["or"].join(cats))
        return T["share_of"].format(name=name, cats=T["or"].join(cats))
    if kind == "bound" and "largest" in spec:
        return T["largest"].format(name=name)
    if kind in ("mean", "sd") and var:
        return T[kind].format(name=name)
    if kind in ("beta", "r") and "~" in claim["id"]:
        left, right = claim["id"].split(":", 1)[1].split("~", 1)
        if lang == "nl":
            a = _OUTCOMES_NL.get(left, claims.term_name(left, "nl")) if kind == "beta" else \
                claims.term_name(left, "nl")
            b = claims.term_name(right, "nl")
        else:
            a, b = codebook.term_label(left), codebook.term_label(right)
        return T["beta_of" if kind == "beta" else "r_of"].format(a=a, b=b)
    return f"`{claim['id']}`"


def claim_unit(claim: dict, lang: str = "en") -> str:
    """The unit of a claim's number, where units differ within one table (in ``lang``)."""
    T = _LEDGER_TEXT[lang]
    kind, var = claim["kind"], claim.get("spec", {}).get("variable", "")
    if kind == "n":
        return T["respondents"]
    if kind in ("share", "bound"):
        return T["percent"]
    if kind in ("mean", "sd"):
        return T["hours"] if var == "contract_hours" else T["years"] if str(var).startswith("years") else ""
    if kind in ("beta",):
        return T["beta"]
    if kind == "r":
        return T["r"]
    return ""


def _ledger_number(claim: dict, value) -> str:
    """A count in the ledger with its thousands separator ("5,391"), as everywhere in the book."""
    if claim["kind"] == "n" and str(value).isdigit():
        return fmt.format_count(int(value))
    if claim["kind"] in ("beta", "r") and isinstance(value, (int, float)):
        return claims.format_value(claim, value)  # as the article prints it: ".04", "−.13"
    return value


def codebook_table(lang: str = "en") -> pd.DataFrame:
    """The codebook as a display table: variable, Dutch wording, English label, codes, range.

    In Dutch (``lang="nl"``) without the English: variable, Dutch wording, Dutch codes, range.
    """
    if lang == "nl":
        return _codebook_table_nl()
    rows = []
    for v in codebook.VARIABLES.values():
        if v.codes:
            codes = "; ".join(
                f"{k} {nl} ({en})" if nl != en else f"{k} {nl}" for k, (nl, en) in v.codes.items()
            )
        else:
            codes = ""
        span = "" if v.low is None else f"{v.low:g} to {v.high:g}" if v.high is not None else f"≥ {v.low:g}"
        rows.append(
            {"variable": f"`{v.name}`", "Dutch": f"[{v.nl}]{{.nl}}" if v.nl else "", "English": v.en,
             "codes": codes, "range": span}
        )
    return pd.DataFrame(rows)


def _codebook_table_nl() -> pd.DataFrame:
    rows = []
    for v in codebook.VARIABLES.values():
        codes = "; ".join(f"{k} {nl}" for k, (nl, _) in v.codes.items())
        span = "" if v.low is None else f"{v.low:g} tot {v.high:g}" if v.high is not None else f"≥ {v.low:g}"
        rows.append({"variabele": f"`{v.name}`", "vraagtekst of omschrijving": v.nl, "codes": codes,
                     "bereik": span})
    return pd.DataFrame(rows)


def scale_items(data_path=None, mapping_path=None, edition: str = "all") -> dict:
    """The scored items of every scale the loader built from items (the twin's, or the mapping's ``scales``),
    of the edition's respondents: scale -> frame (see :func:`werk.inputs.data.load_items`)."""
    canonical, items = data_files.load_items(data_path or paths.TWIN, mapping_path)
    info = edition_info(canonical, edition, data_path or paths.TWIN)
    if info["sector"] is None:
        return items
    keep = (canonical["sector"] == info["sector"]).to_numpy()
    out = {}
    for scale, x in items.items():
        out[scale] = x[keep].reset_index(drop=True)
        out[scale].attrs.update(x.attrs)
    return out


def plausibility_table(df: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """The twin's plausibility checks (:func:`werk.stats.synth.plausibility`) as a display table."""
    if lang == "nl":
        return pd.DataFrame([{"controle": c, "de tweeling": v, "een echt personeelsbestand": e,
                              "klopt": "ja" if ok else "nee"}
                             for c, v, e, ok in synth.plausibility(df, "nl")])
    return pd.DataFrame([{"check": c, "the twin": v, "a real staff file": e, "holds": "yes" if ok else "no"}
                         for c, v, e, ok in synth.plausibility(df)])


def twin_facts(df: pd.DataFrame, lang: str | None = None) -> dict:
    """Numbers the methods appendix states about the twin, computed from it (glued there).

    ``lang`` words the list of weeks ("36, 40 and 32"; Dutch "36, 40 en 32"); by default the run's.
    """
    lang = lang or run_lang()
    params = synth.load_params()
    hours = df["contract_hours"].dropna()
    modes = {float(h): float(v) for h, v in params["moments"]["contract_hours"]["modes"].items()}
    ps = [p for _, p in synth.null_pvalues(df)]
    return {
        "twin_hours_sd": float(hours.std()), "twin_hours_mean": float(hours.mean()),
        "twin_hours_36": float(100 * (hours == 36).mean()),
        "twin_r_age_gov": _pearson(df["age"], df["years_in_government"]),
        # The p-values come from least squares through LAPACK, whose last digits can differ between runs
        # on the same data (memory alignment); kept to 10 significant digits, far beyond what is printed.
        "twin_null_p_min": float(f"{min(ps):.10g}"), "twin_null_p_max": float(f"{max(ps):.10g}"),
        "twin_null_draws": int(synth.NULL_DRAWS), "twin_seed": int(params.get("seed", synth.DEFAULT_SEED)),
        "twin_weight_min": float(df["weight"].min()), "twin_weight_max": float(df["weight"].max()),
        "twin_full_time": int(max(modes, key=modes.get)),
        "twin_other_weeks": _and_list([f"{h:g}" for h in sorted(modes, key=lambda h: -modes[h])[1:5]], lang),
        "twin_entry_age": int(params.get("entry_age", synth.ENTRY_AGE)),
        "twin_hours_max": int(hours.max()),
    }


def _pearson(x: pd.Series, y: pd.Series) -> float:
    """Pearson's r of the rows where both are known, by :func:`statistics.correlation` (exactly rounded sums).

    ``Series.corr`` goes through BLAS, whose last digit can depend on where the arrays lie in memory;
    this gives the same bits on the same data in every run (nbval compares the glued value exactly).
    """
    both = x.notna() & y.notna()
    return statistics.correlation(x[both].astype(float).tolist(), y[both].astype(float).tolist())


def _and_list(items: list[str], lang: str = "en") -> str:
    """``items`` as a list in words: "a, b and c" (Dutch "a, b en c")."""
    word = " en " if lang == "nl" else " and "
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + word + items[-1]


def assumptions_list(lang: str = "en") -> Markdown:
    """The assumptions (:data:`werk.core.codebook.ASSUMPTIONS`) as a Markdown list: "- **key**: text".

    In Dutch each has its Dutch heading and text (:data:`werk.core.codebook.ASSUMPTIONS_NL`), with its key
    in code, by which the prose and the code name it.
    """
    if lang == "nl":
        lines = [f"- **{title}** (`{key}`): {text}" for key, (title, text) in codebook.ASSUMPTIONS_NL.items()]
    else:
        lines = [f"- **{key.replace('_', ' ')}**: {text}" for key, text in codebook.ASSUMPTIONS.items()]
    return Markdown("\n".join(lines))
