"""The article's figures, one function per figure, each drawing on ``ax`` or on a new figure.

Every function takes the canonical analysis file, an optional ``ax`` and ``lang``
("en" or "nl") and draws percentages of valid (non-missing) answers, answer
categories in codebook order with the codebook's labels. No titles: captions are
MyST figure metadata in the book. The figure functions (and :func:`savefig`) return None, so a
notebook cell that draws a figure shows the figure and nothing else, no trailing ``;`` needed; a
caller that needs the axes passes its own ``ax``, or takes the new figure with
:func:`matplotlib.pyplot.gcf`. Nothing here selects a backend or changes global
matplotlib state; styling is applied with :func:`matplotlib.pyplot.rc_context`
around each drawing, so a notebook's own settings survive.

One palette serves the whole book: :data:`ANSWER_PALETTE`, a sequential,
perceptually uniform seaborn palette ("crest", colour-blind safe because it varies
in lightness) for the five-point answers, so an answer has the same colour in
every figure; :data:`VARIANT_PALETTE` (seaborn "colorblind") tells model variants
apart in the coefficient plot.

Use :func:`savefig` to write files: it fixes the metadata (and the SVG hash salt)
so that the same figure saved twice gives the same bytes.
"""

from __future__ import annotations

import textwrap
import warnings
from collections.abc import Iterable, Mapping

import matplotlib.pyplot as plt
import matplotlib.transforms as mtransforms
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from werk.core import codebook
from werk.core.codebook import term_label
from werk.core.fmt import format_alpha, format_coef, format_count, format_percent, localize
from werk.disclosure import audit, record
from werk.disclosure import rules as outputcheck
from werk.inputs import claims as published_claims
from werk.inputs import frame
from werk.inputs.frame import SOURCE_ATTR, category_labels, category_shares

__all__ = [
    "ANSWER_PALETTE",
    "VARIANT_PALETTE",
    "SUPPRESSED_COLOR",
    "MIN_LABEL_SHARE",
    "FIGSIZE",
    "RC",
    "axis_label",
    "printed_terms",
    "source_text",
    "threat_distribution",
    "threat_by_manager",
    "keep_up_distribution",
    "keep_up_by_age_group",
    "age_groups_55",
    "ANSWER_GROUPS",
    "keep_up_by_gender",
    "distribution",
    "stacked_shares",
    "coefficient_plot",
    "savefig",
]

#: Five-point answers, lowest to highest: light to dark. Sampled over the whole
#: colormap (``color_palette("crest", 5)`` leaves out the ends) for more contrast.
ANSWER_PALETTE = [tuple(float(v) for v in c[:3])
                  for c in sns.color_palette("crest", as_cmap=True)(np.linspace(0.0, 1.0, 5))]
#: Model variants side by side in the coefficient plot.
VARIANT_PALETTE = sns.color_palette("colorblind")
#: Colour of the single series of the coefficient plot (the darkest answer colour).
MAIN_COLOR = ANSWER_PALETTE[-1]
#: Betas the article does not print (the twin invents them): a grey that reads on light and dark.
UNPRINTED_COLOR = (0.62, 0.62, 0.62)
SUPPRESSED_COLOR = "0.85"
#: How a withheld segment is drawn, by the rule that withheld it: fewer than 10 respondents
#: ("threshold"), or withheld so that such a number cannot be derived from the others ("secondary").
_SUPPRESSED_STYLE = {
    "threshold": dict(facecolor="0.80", hatch="///", edgecolor="0.35", linewidth=0.0),
    "secondary": dict(facecolor="0.93", hatch="...", edgecolor="0.45", linewidth=0.0),
}
_FLAG = "†"  # werk.disclosure.rules.FLAG: a group or term flagged for the output checker
#: Segments narrower than this (percent) get no label; wider ones only if the text fits.
MIN_LABEL_SHARE = 4.0
FIGSIZE = (7.0, 3.2)

#: Style applied while drawing: seaborn's "ticks" style, fonts of at least 9 pt.
RC = {
    **sns.axes_style("ticks"),
    "font.size": 10,
    "axes.labelsize": 10,
    "xtick.labelsize": 9.5,
    "ytick.labelsize": 9.5,
    "legend.fontsize": 9.5,
    "legend.title_fontsize": 9.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "werk",
}

_TEXT = {
    "en": {
        "percent": "percent of valid answers",
        "manager": "position",
        "managers": "managers",
        "employees": "employees",
        "age_group": "age group",
        "suppressed": "suppressed (n < 10)",
        "suppressed_short": "suppressed",
        "withheld_threshold": "withheld: fewer than 10 respondents",
        "withheld_secondary": "withheld so that another number cannot be derived",
        "flagged": "† one answer holds over 90% (flagged)",
        "refused": "model not shown: fewer than 10 residual\ndegrees of freedom (CBS output rules)",
        "beta": "standardized beta (95% confidence interval)",
        "beta_binary": ("standardized beta; two-valued predictors (▪): group difference in standard "
                        "deviations of the answer (95% confidence interval)"),
        "term": "predictor",
        "sig": "p < {a}",
        "nonsig": "p ≥ {a}",
        "printed": "β printed in the article",
        "unprinted": "β only these data give",
        "invented": " (on the twin: invented)",
        # alt text (written from the data, :func:`_describe`)
        "alt_bar": "Bar chart, {var} ({percent}, n = {n}): ",
        "alt_stacked": "Stacked bars, {var} by {by} ({percent}, n = {n}): ",
        "alt_variants": ("Dot-and-whisker plot of {terms} predictors in {k} variants ({names}) with 95% "
                         "confidence intervals (n = {n}); in {first}: "),
        "alt_betas": ("Dot-and-whisker plot of {terms} standardized betas with 95% confidence intervals "
                      "(n = {n}); "),
        "alt_sig": "{sig} significant at p < {a}; largest {hi} {hi_b}, smallest {lo} {lo_b}.",
    },
    "nl": {
        "percent": "procent van geldige antwoorden",
        "manager": "functie",
        "managers": "leidinggevenden",
        "employees": "medewerkers",
        "age_group": "leeftijdscategorie",
        "suppressed": "onderdrukt (n < 10)",
        "suppressed_short": "onderdrukt",
        "withheld_threshold": "weggelaten: minder dan 10 respondenten",
        "withheld_secondary": "weggelaten zodat een ander getal niet af te leiden is",
        "flagged": "† één antwoord heeft meer dan 90% (gemarkeerd)",
        "refused": "model niet getoond: minder dan 10 residuele\nvrijheidsgraden (outputregels CBS)",
        "beta": "gestandaardiseerde bèta (95%-BI)",
        "beta_binary": ("gestandaardiseerde bèta; voorspellers met twee waarden (▪): groepsverschil in "
                        "standaardafwijkingen van het antwoord (95%-BI)"),
        "term": "voorspeller",
        "sig": "p < {a}",
        "nonsig": "p ≥ {a}",
        "printed": "β gedrukt in het artikel",
        "unprinted": "β alleen uit deze data",
        "invented": " (bij de tweeling: verzonnen)",
        "alt_bar": "Staafdiagram, {var} ({percent}, n = {n}): ",
        "alt_stacked": "Gestapelde staven, {var} naar {by} ({percent}, n = {n}): ",
        "alt_variants": ("Puntdiagram met foutbalken van {terms} voorspellers in {k} varianten ({names}), "
                         "met 95%-betrouwbaarheidsintervallen (n = {n}); in {first}: "),
        "alt_betas": ("Puntdiagram met foutbalken van {terms} gestandaardiseerde bèta's, met "
                      "95%-betrouwbaarheidsintervallen (n = {n}); "),
        "alt_sig": "{sig} significant bij p < {a}; grootste {hi} {hi_b}, kleinste {lo} {lo_b}.",
    },
}

# The codebook's Dutch label of the two survey questions is the full question, too
# long for an axis; it then falls back to the column name. These short Dutch labels
# follow the article's figure captions.
_SHORT_NL = {
    "threat": "technologie als bedreiging voor behoud van werk",
    "keep_up": "bijbenen van technologische veranderingen",
}


def _text(lang: str) -> dict[str, str]:
    if lang not in _TEXT:
        raise ValueError(f"lang must be 'en' or 'nl', not {lang!r}")
    return _TEXT[lang]


def axis_label(name: str, lang: str = "en") -> str:
    """Lowercase axis label of a codebook variable in ``lang``."""
    text = codebook.label(name, lang)
    if lang == "nl" and text == name.replace("_", " ") and name in _SHORT_NL:
        text = _SHORT_NL[name]
    return text


# ---------------------------------------------------------------------------
# layout helpers


def _new_axes(ax, figsize):
    if ax is not None:
        return ax, False
    fig, ax = plt.subplots(figsize=figsize)
    return ax, True


def _renderer(fig):
    try:
        return fig.canvas.get_renderer()
    except AttributeError:  # a backend without an Agg renderer: skip measuring
        return None


def _legend_below(ax, handles, labels, title=None, created=True):
    """A legend centred under the x axis label (on the figure), as many columns as fit inside it.

    Lays the figure out (when ``created``) and checks the legend against the figure's
    edges; with too many columns to fit it retries with fewer. Matplotlib's warning that a layout
    could not be applied is shown only for the layout the figure keeps: an attempt with a legend too
    wide for the figure warns, and is then replaced (the page showed those warnings, with the build's
    file path in them, for a figure laid out well in the end).
    """
    fig = ax.figure
    renderer = _renderer(fig)
    ncol = len(handles)
    while True:
        if created:
            with warnings.catch_warnings():  # laid out again below, with this attempt's legend
                warnings.filterwarnings("ignore", message="Tight layout not applied", category=UserWarning)
                fig.tight_layout()
        gap = 36.0
        if renderer is not None:
            # Points between the axes' bottom and the bottom of the tick labels and x label.
            xbox = ax.xaxis.get_tightbbox(renderer)
            abox = ax.get_window_extent(renderer)
            if xbox is not None:
                gap = (abox.y0 - xbox.y0) * 72.0 / fig.dpi + 4.0
        below = mtransforms.offset_copy(ax.transAxes, fig=fig, y=-gap, units="points")
        # Centred on the figure, not the axes: the y tick labels push the axes right.
        anchor = mtransforms.blended_transform_factory(fig.transFigure, below)
        leg = ax.legend(
            handles, labels, title=title, loc="upper center", bbox_to_anchor=(0.5, 0.0),
            bbox_transform=anchor, ncol=ncol, frameon=False, handlelength=1.2, columnspacing=1.0,
            borderaxespad=0.0,
        )
        with warnings.catch_warnings(record=True) as laid_out:
            warnings.simplefilter("always")
            if created:
                fig.tight_layout()
        if renderer is None or ncol == 1:
            fits = True
        else:
            box, page = leg.get_window_extent(renderer), fig.bbox
            fits = box.x0 >= page.x0 - 0.5 and box.x1 <= page.x1 + 0.5
        if fits:
            for w in laid_out:  # the layout the figure keeps: its warnings show as they were
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)
            return leg
        ncol = (ncol + 1) // 2 if ncol > 3 else ncol - 1


def _finish(ax, created):
    if created:
        ax.figure.tight_layout()


def source_text(df: pd.DataFrame | None, lang: str = "en") -> str | None:
    """The source line a loaded frame carries (:func:`werk.book.load`), in ``lang``; None without one."""
    if df is None:
        return None
    lines = df.attrs.get(frame.SOURCE_ATTR)
    return lines.get(lang) if isinstance(lines, Mapping) else None


def _source_line(ax, df, lang: str, created: bool) -> None:
    """Print the data's source line in the image itself, under everything else, left-aligned.

    A screenshot of a figure circulates on its own: it must say whether its numbers are synthetic. The
    text (gid ``"source"``) lies below the drawing; the saved and shown image (``bbox_inches="tight"``)
    takes it in.
    """
    text = source_text(df, lang)
    if not text or not created:
        return
    fig = ax.figure
    renderer = _renderer(fig)
    bottom, left = 0.0, 0.0
    if renderer is not None:
        box = fig.get_tightbbox(renderer)  # inches
        bottom, left = box.y0 / fig.get_figheight(), max(0.0, box.x0 / fig.get_figwidth())
    note = fig.text(left, bottom - 0.02, textwrap.fill(text, 110), ha="left", va="top", fontsize=7.5,
                    color="0.35", style="italic")
    note.set_gid("source")


def printed_terms(outcome: str | None) -> set[str]:
    """The terms of the model of ``outcome`` whose beta the article prints (``beta:<outcome>~<term>``)."""
    if not outcome:
        return set()
    prefix = f"beta:{outcome}~"
    return {c["id"][len(prefix):] for c in published_claims.claims() if c["id"].startswith(prefix)}


#: The attribute of a drawn figure that holds its alt text (written from its data), which
#: :func:`werk.book.setup`'s PNG formatter puts into the image and the book's Sphinx extension into ``alt``.
ALT_ATTR = "werk_alt"


def _describe(ax, created: bool, text: str, df=None, lang: str = "en") -> None:
    """Give a new figure its alt text: what it shows and its main numbers, then its source."""
    if not created:
        return
    source = source_text(df, lang)
    # The numbers the text formats (β ".09", "p < .05") in the style of the language; the source line is
    # the frame's own, in its language already.
    setattr(ax.figure, ALT_ATTR, " ".join(x for x in (localize(text, lang), source) if x))


_CSV_WHY = {"threshold": "fewer than 10 respondents", "secondary": "so that another cell cannot be derived"}
#: The attribute of a drawn figure that holds its numbers as CSV (``{"name", "text"}``), for the download
#: beside it: only what passed the output check, a withheld cell empty and flagged.
CSV_ATTR = "werk_csv"


def _attach_csv(ax, created: bool, check, rows: list[dict]) -> None:
    if not created or not isinstance(check, str) or not check:
        return
    text = pd.DataFrame(rows).to_csv(index=False, lineterminator="\n")
    setattr(ax.figure, CSV_ATTR, {"name": f"{check}.csv", "text": text})


def _pct(x: float, lang: str) -> str:
    return f"{format_percent(x, lang)}%"


def _luminance(color) -> float:
    r, g, b = (np.asarray(color[:3], dtype=float) ** 2.2)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _text_color(color) -> str:
    return "black" if _luminance(color) > 0.18 else "white"


def _drop_labels_that_do_not_fit(ax, pairs):
    """Remove segment labels wider than their bar segment (after layout)."""
    renderer = _renderer(ax.figure)
    if renderer is None:
        return
    for text, patch in pairs:
        if text.get_window_extent(renderer).width > patch.get_window_extent(renderer).width - 2:
            text.remove()


# ---------------------------------------------------------------------------
# distributions


def _check_arg(check) -> str:
    return check if isinstance(check, str) else ""


def distribution(df: pd.DataFrame, variable: str, ax=None, lang: str = "en", weighted: bool = False,
                 suppress: Iterable | None = None, check: bool | str = False) -> None:
    """Horizontal bars of the answer shares of one five-point question.

    Parameters
    ----------
    df : DataFrame
        Canonical analysis file.
    variable : str
        A coded variable (``"threat"``, ``"keep_up"``).
    ax : matplotlib Axes, optional
        Draw here; by default a new figure of :data:`FIGSIZE`.
    lang : {"en", "nl"}
        Language of labels.
    weighted : bool
        Percentages from the ``weight`` column.
    suppress : iterable, optional
        Answer codes whose bars are replaced by a hatched band reading "suppressed" (no length: the
        band spans the axis, so it reveals nothing).
    check : bool or str
        Decide ``suppress`` by CBS's output rules (:func:`werk.disclosure.rules.check_distribution`); a
        string also records the check under that output name.

    Returns
    -------
    None
        The figure is drawn on ``ax``, or on a new figure. It has one bar per answer in codebook
        order (first on top); bar widths are percentages. Suppressed answers have a zero-width bar
        and a hatched patch with gid ``"suppressed"``.
    """
    t = _text(lang)
    shares = category_shares(df, variable, weighted=weighted)
    labels = category_labels(variable, lang)
    hidden = set(suppress or ())
    if check:
        chk = outputcheck.check_distribution(df, variable, _check_arg(check), "figure")
        if isinstance(check, str):
            # What the figure prints with the rest of the release: every bar's share, its count in the
            # download, the n of the caption.
            record.current().audit(audit.Table(check, variable, list(shares.index), weighted=weighted), chk)
            record.record(chk)
        hidden |= {c for c in chk.hidden if c in set(shares.index)}
    with plt.rc_context(RC):
        ax, created = _new_axes(ax, FIGSIZE)
        y = np.arange(len(shares))
        pct = shares["percent"].fillna(0).to_numpy()
        shown = np.array([0.0 if c in hidden else v for c, v in zip(shares.index, pct)])
        colors = ANSWER_PALETTE[: len(shares)] if len(shares) <= len(ANSWER_PALETTE) else None
        bars = ax.barh(y, shown, height=0.65, color=colors, edgecolor="none")
        xmax = max(10.0, float(np.nanmax(shown)) * 1.15 + 3)
        for code, bar, value in zip(shares.index, bars, shown):
            if code in hidden:
                band = ax.barh(bar.get_y() + bar.get_height() / 2, xmax, height=0.65, color=SUPPRESSED_COLOR,
                               hatch="///", edgecolor="0.55", linewidth=0.0)[0]
                band.set_gid("suppressed")
                ax.text(xmax / 2, bar.get_y() + bar.get_height() / 2, t["suppressed"], ha="center",
                        va="center", fontsize=9.5,
                        bbox=dict(boxstyle="round,pad=0.25", facecolor="white", edgecolor="none"))
                continue
            ax.annotate(
                f"{format_percent(value, lang)}%", (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                xytext=(3, 0), textcoords="offset points", va="center", ha="left", fontsize=9.5,
            )
        ax.set_yticks(y, [labels[c] for c in shares.index])
        ax.invert_yaxis()
        ax.set_xlim(0, xmax)
        ax.set_xlabel(t["percent"])
        ax.set_ylabel(textwrap.fill(axis_label(variable, lang), 28))
        ax.tick_params(axis="y", length=0)
        _finish(ax, created)
        _source_line(ax, df, lang, created)
        parts = [f"{labels[c]} {t['suppressed_short'] if c in hidden else _pct(v, lang)}"
                 for c, v in zip(shares.index, pct)]
        _attach_csv(ax, created, check, [
            {"answer": labels[c], "n": "" if c in hidden else int(nv),
             "percent": "" if c in hidden else round(float(v), 1),
             "withheld": "withheld" if c in hidden else ""}
            for c, v, nv in zip(shares.index, pct, shares["n"].to_numpy())])
        _describe(ax, created, t["alt_bar"].format(var=axis_label(variable, lang), percent=t["percent"],
                                                   n=format_count(int(shares["n"].sum()), lang))
                  + "; ".join(parts) + ".", df, lang)


def threat_distribution(df: pd.DataFrame, ax=None, lang: str = "en", weighted: bool = False,
                        check: bool | str = False) -> None:
    """Figure 1: how far technology is seen as a threat to keeping one's job.

    :func:`distribution` of ``"threat"``, drawn on ``ax`` or on a new figure; returns None.
    """
    distribution(df, "threat", ax=ax, lang=lang, weighted=weighted, check=check)


def keep_up_distribution(df: pd.DataFrame, ax=None, lang: str = "en", weighted: bool = False,
                         check: bool | str = False) -> None:
    """Figure 3: how well respondents keep up with technological change at work.

    :func:`distribution` of ``"keep_up"``, drawn on ``ax`` or on a new figure; returns None.
    """
    distribution(df, "keep_up", ax=ax, lang=lang, weighted=weighted, check=check)


# ---------------------------------------------------------------------------
# stacked bars


def _members(values: pd.Series, key) -> pd.Series:
    """Rows of a group: ``key`` is one value of the grouping column, or a tuple of values (merged)."""
    return values.isin(list(key)) if isinstance(key, tuple) else values == key


def _colour_index(answer, position: int) -> int:
    """An answer's colour: that of its (highest) code on the five-point scale, as in every other figure."""
    code = max(answer) if isinstance(answer, tuple) else answer
    if isinstance(code, (int, np.integer)) and 1 <= code <= len(ANSWER_PALETTE):
        return int(code) - 1
    return position % len(ANSWER_PALETTE)


def stacked_shares(
    df: pd.DataFrame,
    variable: str,
    by: str,
    groups: Iterable[tuple] | None = None,
    ax=None,
    lang: str = "en",
    suppress: Iterable | None = None,
    weighted: bool = False,
    ylabel: str | None = None,
    suppress_cells: Iterable[tuple] | None = None,
    flagged: Iterable | None = None,
    check: bool | str = False,
    answers: Iterable[tuple] | None = None,
    groups_of=None,
) -> None:
    """100 % stacked horizontal bars of ``variable``'s answers per group of ``by``.

    Parameters
    ----------
    df : DataFrame
        Canonical analysis file.
    variable : str
        The answered question (a coded variable).
    by : str
        Grouping column, or ``"age_group"`` (derived from ``age``).
    groups : iterable of (key, label), optional
        Groups in drawing order, top first; by default the codebook's codes of ``by``. A key may be a
        tuple of values, which are drawn as one group (the article's "55 and over").
    ax : matplotlib Axes, optional
        Draw here; by default a new figure.
    lang : {"en", "nl"}
        Language of labels.
    suppress : iterable, optional
        Group keys or labels whose bars are replaced by a hatched bar (output checking decides which,
        elsewhere).
    weighted : bool
        Percentages from the ``weight`` column.
    ylabel : str, optional
        Label of the group axis; by default the codebook label of ``by``.
    suppress_cells : iterable of (group key, answer key), optional
        Single segments to suppress. Each is drawn hatched in its own answer's place; the withheld
        segments of a bar share their combined width equally, so that their single widths do not show.
    flagged : iterable, optional
        Group keys whose label gets a dagger (group disclosure, flagged for the output checker).
    check : bool or str
        Decide ``suppress``, ``suppress_cells`` and ``flagged`` by CBS's output rules
        (:func:`werk.disclosure.rules.check_counts` on the drawn counts, the column totals counted as
        published); a string also records the check under that name. A segment of fewer than 10
        respondents and a segment withheld so that such a one cannot be derived are hatched apart.
    answers : iterable of (codes, label), optional
        Answer categories as drawn: each a tuple of codes of ``variable`` drawn as one segment, with its
        label; by default every code on its own with its codebook label. The answer key of
        ``suppress_cells`` is then the tuple.
    groups_of : callable, optional
        ``groups_of(frame)``: the (key, label) groups another edition draws from its frame, where they
        depend on the data (for the disclosure audit across editions); by default ``groups`` everywhere.

    Returns
    -------
    None
        The figure is drawn on ``ax``, or on a new figure. Its ``ax.containers`` holds one
        BarContainer per answer (label = answer label), with one patch per group; suppressed groups and
        segments have zero width there, and patches with gid ``"suppressed:threshold"`` (fewer than 10)
        or ``"suppressed:secondary"`` (withheld so that another cell cannot be derived) mark them in
        their place. Segments of at least :data:`MIN_LABEL_SHARE` percent are labelled with their
        percentage when the text fits. The legend lists only the answers and marks that are drawn.
    """
    t = _text(lang)

    if groups is None:
        groups = list(category_labels(by, lang).items())
    groups = list(groups)
    suppress = set(suppress or ())
    cells = set(suppress_cells or ())
    flagged = set(flagged or ())
    why: dict = {}
    if answers is None:
        answers = [(code, label) for code, label in category_labels(variable, lang).items()]
    answers = [(a, label) for a, label in answers]
    keys = [a for a, _ in answers]
    by_values = frame.values(df, by)
    counts, table = [], {}
    for key, _glabel in groups:
        part = frame.values(df[_members(by_values, key).to_numpy()], variable).dropna()
        n_a = [int(_members(part, a).sum()) for a in keys]
        counts.append(n_a)
        total = sum(n_a)
        table[key] = {a: (100.0 * n / total if total else 0.0) for a, n in zip(keys, n_a)}
        if weighted and total:
            w = df.loc[_members(by_values, key).to_numpy() & frame.values(df, variable).notna().to_numpy(),
                       ["weight", variable]]
            wsum = float(w["weight"].sum())
            table[key] = {a: 100.0 * float(w.loc[_members(w[variable], a), "weight"].sum()) / wsum
                          for a in keys}
    if check:
        en_rows = category_labels(by, "en")
        row_labels = [("managers" if k == 1 else "employees") if by == "manager"
                      else str(en_rows.get(k, lab)) for k, lab in groups]
        en_answers = category_labels(variable, "en")
        col_labels = [" or ".join(str(en_answers.get(c, c)) for c in a) if isinstance(a, tuple)
                      else str(en_answers.get(a, a)) for a in keys]
        chk = outputcheck.check_counts(np.array(counts, dtype=float).reshape(len(groups), len(keys)),
                                       _check_arg(check), "figure", row_keys=[k for k, _ in groups],
                                       row_labels=row_labels, col_keys=keys, col_labels=col_labels,
                                       margins=True)
        if isinstance(check, str):
            record.current().audit(audit.Table(
                check, variable, keys, by=by, groups=[k for k, _ in groups], weighted=weighted,
                groups_of=None if groups_of is None else (lambda d: [k for k, _ in groups_of(d)])), chk)
            record.record(chk)
        suppress |= {k[1] for k in chk.hidden if isinstance(k, tuple) and k[0] == "row"}
        cells |= {k for k in chk.hidden if isinstance(k, tuple) and k[0] != "row"}
        flagged |= {k[0] for k in chk.marked}
        # A cell withheld further by the audit of the release protects another, as a secondary one does.
        why = {k: ("secondary" if r == "linked" else r) for k, r in chk.why.items()}
    answer_labels = dict(answers)
    hidden = [key for key, glabel in groups if key in suppress or glabel in suppress]
    cut = {key: [a for a in keys if (key, a) in cells] for key, _ in groups if key not in hidden}

    def reason(key, a=None) -> str:
        if a is None:  # a whole bar: a group of fewer than 10 is primary
            rules_ = {why.get((key, b)) for b in keys} - {None}
            return "threshold" if "threshold" in rules_ or not rules_ else "secondary"
        return why.get((key, a), "threshold")

    height = max(2.4, 1.5 + 0.42 * len(groups))
    drawn_answers, drawn_marks = set(), set()
    with plt.rc_context(RC):
        ax, created = _new_axes(ax, (FIGSIZE[0], height))
        y = np.arange(len(groups))
        left = np.zeros(len(groups))
        segment_labels = []
        for i, a in enumerate(keys):
            color = ANSWER_PALETTE[_colour_index(a, i)]
            widths = np.array([0.0 if key in hidden or a in cut[key] else table[key][a] for key, _ in groups])
            # A withheld segment keeps its answer's place; those of one bar share their combined width.
            shares_ = np.array([0.0 if key in hidden or a not in cut[key]
                                else sum(table[key][b] for b in cut[key]) / len(cut[key])
                                for key, _ in groups])
            bars = ax.barh(y, widths, left=left, height=0.62, color=color, edgecolor="white",
                           linewidth=0.6, label=answer_labels[a])
            if (widths > 0).any():
                drawn_answers.add(a)
            for j, (bar, w) in enumerate(zip(bars, widths)):
                if w >= MIN_LABEL_SHARE:
                    txt = ax.text(
                        bar.get_x() + w / 2, bar.get_y() + bar.get_height() / 2, format_percent(w, lang),
                        ha="center", va="center", fontsize=9, color=_text_color(color),
                    )
                    segment_labels.append((txt, bar))
                if shares_[j] > 0:
                    rule = reason(groups[j][0], a)
                    mark = ax.barh(j, shares_[j], left=left[j] + w, height=0.62, **_SUPPRESSED_STYLE[rule])[0]
                    mark.set_gid(f"suppressed:{rule}")
                    drawn_marks.add(rule)
            left = left + widths + shares_
        for j, (key, _) in enumerate(groups):
            if key in hidden:
                rule = reason(key)
                bar = ax.barh(j, 100.0, height=0.62, **_SUPPRESSED_STYLE[rule])[0]
                bar.set_gid(f"suppressed:{rule}")
                drawn_marks.add(rule)
                ax.text(50.0, j, t["suppressed_short"], ha="center", va="center", fontsize=9.5,
                        bbox=dict(boxstyle="round,pad=0.25", facecolor="white", edgecolor="none"))
        ax.set_yticks(y, [f"{g[1]} {_FLAG}" if g[0] in flagged else g[1] for g in groups])
        ax.set_ylim(len(groups) - 0.5, -0.5)
        ax.set_xlim(0, 100)
        ax.set_xlabel(t["percent"])
        ax.set_ylabel(ylabel if ylabel is not None else axis_label(by, lang))
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
        handles, legend_labels = [], []
        for i, a in enumerate(keys):
            if a in drawn_answers:
                handles.append(Patch(facecolor=ANSWER_PALETTE[_colour_index(a, i)], edgecolor="none"))
                legend_labels.append(answer_labels[a])
        for rule in ("threshold", "secondary"):
            if rule in drawn_marks:
                handles.append(Patch(**_SUPPRESSED_STYLE[rule]))
                legend_labels.append(t["withheld_" + rule])
        if flagged & {g[0] for g in groups}:
            handles.append(Patch(facecolor="none", edgecolor="none"))
            legend_labels.append(t["flagged"])
        _legend_below(ax, handles, legend_labels, title=axis_label(variable, lang), created=created)
        _drop_labels_that_do_not_fit(ax, segment_labels)
        _source_line(ax, df, lang, created)
        bars_text = []
        for key, glabel in groups:
            if key in hidden:
                bars_text.append(f"{glabel}: {t['suppressed_short']}")
                continue
            cells_ = [answer_labels[a] + " "
                      + (t["suppressed_short"] if a in cut[key] else _pct(table[key][a], lang)) for a in keys]
            bars_text.append(f"{glabel}: " + ", ".join(cells_))
        n_all = int(sum(sum(row) for row in counts))
        csv_rows = []
        for (key, glabel), row_n in zip(groups, counts):
            for a, nv in zip(keys, row_n):
                gone = key in hidden or a in cut[key]
                rule = (reason(key) if key in hidden else reason(key, a)) if gone else ""
                csv_rows.append({"group": glabel, "answer": answer_labels[a], "n": "" if gone else int(nv),
                                 "percent": "" if gone else round(float(table[key][a]), 1),
                                 "withheld": _CSV_WHY.get(rule, "")})
        _attach_csv(ax, created, check, csv_rows)
        _describe(ax, created, t["alt_stacked"].format(var=axis_label(variable, lang),
                                                       by=ylabel or axis_label(by, lang),
                                                       percent=t["percent"], n=format_count(n_all, lang))
                  + "; ".join(bars_text) + ".", df, lang)


#: The answers as the article groups them in its text: the threat answers "in redelijke, grote of zeer
#: grote mate" together (the article's "bijna 20%"), keeping up "zeer slecht" to "redelijk" together (its
#: "slecht tot redelijk" of those over 55). Merged, no large group's answers are withheld to protect a
#: small cell (issue 13): managers' "zeer grote mate" alone is a handful of respondents.
ANSWER_GROUPS = {
    "threat": {"en": [(1, "not at all"), (2, "hardly"), ((3, 4, 5), "to a fair extent or more")],
               "nl": [(1, "helemaal niet"), (2, "nauwelijks"),
                      ((3, 4, 5), "in redelijke, grote of zeer grote mate")]},
    "keep_up": {"en": [((1, 2, 3), "reasonably or worse"), (4, "well"), (5, "very well")],
                "nl": [((1, 2, 3), "zeer slecht tot redelijk"), (4, "goed"), (5, "zeer goed")]},
}
#: Age groups from 55 up drawn as one, as the article's text reads its Figure 4 ("boven de 55 jaar").
OLDEST = {"en": "55 and over", "nl": "55 jaar en ouder"}


def threat_by_manager(df: pd.DataFrame, ax=None, lang: str = "en", suppress=None, weighted: bool = False,
                      check: bool | str = False) -> None:
    """Figure 2: technology as a threat, managers versus employees (stacked bars).

    :func:`stacked_shares` of ``"threat"`` by ``"manager"``, the answers grouped as in
    :data:`ANSWER_GROUPS`, drawn on ``ax`` or on a new figure; returns None.
    """
    t = _text(lang)
    groups = [(1, t["managers"]), (0, t["employees"])]
    stacked_shares(df, "threat", "manager", groups, ax=ax, lang=lang, suppress=suppress,
                   weighted=weighted, ylabel=t["manager"], check=check,
                   answers=ANSWER_GROUPS["threat"][lang])


def age_groups_55(df: pd.DataFrame, lang: str = "en") -> list[tuple]:
    """The age groups of Table 1 present in the data, those from 55 up merged: (key, label) pairs."""
    present = set(frame.values(df, "age_group").dropna())
    labels = category_labels("age_group", lang, present)
    old = tuple(k for k in ("55-64", "65+") if k in labels)
    groups = [(k, v) for k, v in labels.items() if k not in old]
    if old:
        groups.append((old, OLDEST[lang]))
    return groups


def keep_up_by_age_group(df: pd.DataFrame, ax=None, lang: str = "en", suppress=None, weighted: bool = False,
                         check: bool | str = False) -> None:
    """Figure 4: keeping up with technological change by age group, 55 and over as one group.

    :func:`stacked_shares` of ``"keep_up"`` by ``"age_group"`` (:func:`age_groups_55`), the answers
    grouped as in :data:`ANSWER_GROUPS`, drawn on ``ax`` or on a new figure; returns None.
    """
    stacked_shares(df, "keep_up", "age_group", age_groups_55(df, lang), ax=ax, lang=lang, suppress=suppress,
                   weighted=weighted, ylabel=_text(lang)["age_group"], check=check,
                   answers=ANSWER_GROUPS["keep_up"][lang], groups_of=lambda d: age_groups_55(d, lang))


def keep_up_by_gender(df: pd.DataFrame, ax=None, lang: str = "en", suppress=None, weighted: bool = False,
                      check: bool | str = False) -> None:
    """Figure 5: keeping up with technological change by gender.

    :func:`stacked_shares` of ``"keep_up"`` by ``"gender"``, drawn on ``ax`` or on a new figure; returns None.
    """
    stacked_shares(df, "keep_up", "gender", ax=ax, lang=lang, suppress=suppress, weighted=weighted,
                          check=check)


# ---------------------------------------------------------------------------
# coefficients


def coefficient_plot(
    results: pd.DataFrame | Mapping[str, pd.DataFrame],
    ax=None,
    lang: str = "en",
    alpha: float = 0.05,
    wrap: int = 38,
    check: bool | str = False,
    df: pd.DataFrame | None = None,
    xlabel: str | None = None,
    download: str | None = None,
) -> None:
    """Dot-and-whisker plot of standardized betas with their confidence intervals.

    Parameters
    ----------
    results : DataFrame or mapping of name -> DataFrame
        Output of :func:`werk.stats.models.fit`; several variants are drawn side by side
        (dodged within each term's row) in :data:`VARIANT_PALETTE` colours.
    ax : matplotlib Axes, optional
        Draw here; by default a new figure whose height grows with the number of terms.
    lang : {"en", "nl"}
        Language of labels.
    alpha : float
        Terms with p < alpha get a filled marker, the others an open one.
    wrap : int
        Wrap term labels longer than this many characters.
    check : bool or str
        Apply CBS's output rules to each model (:func:`werk.disclosure.rules.check_model`): a model with
        fewer than 10 residual degrees of freedom is not drawn — the axes say why instead; with ``df``
        a flagged binary predictor gets a dagger. A string also records the check under that name.
    df : DataFrame, optional
        The data the model was fitted on (for the check of binary predictors).
    xlabel : str, optional
        Label of the x axis; by default "standardized beta (95% confidence interval)" in ``lang``.
        A refused model's axes have no label (there are no numbers).
    download : str, optional
        Name of the CSV beside the figure (``<download>.csv``) when ``check`` is not that name: a caller
        that records its own check (:func:`werk.display.robust.plot`) passes ``check=True`` and this.

    Returns
    -------
    None
        The figure is drawn on ``ax``, or on a new figure. Markers are PathCollections with
        gid ``"significant"`` or ``"not significant"`` (suffixed ``":<variant>"`` when several
        variants are drawn). A refused model leaves a text with gid ``"suppressed"`` and no
        markers.
    """
    t = _text(lang)
    variants = {"": results} if isinstance(results, pd.DataFrame) else dict(results)
    flagged_terms: set = set()
    if check:
        kept = {}
        for name, frame in variants.items():
            output = _check_arg(check) + (f":{name}" if name else "")
            chk = outputcheck.check_model(frame, output, "figure", df=df)
            if isinstance(check, str):
                record.record(chk)
            if chk.status != outputcheck.REFUSED:
                kept[name] = frame
                flagged_terms |= chk.marked
        if not kept:
            with plt.rc_context(RC):
                ax, created = _new_axes(ax, FIGSIZE)
                note = ax.text(0.5, 0.5, t["refused"], ha="center", va="center", transform=ax.transAxes,
                               fontsize=10, bbox=dict(boxstyle="round,pad=0.6", facecolor=SUPPRESSED_COLOR,
                                                      hatch="///", edgecolor="0.55"))
                note.set_gid("suppressed")
                ax.set_xticks([])
                ax.set_yticks([])
                for side in ("left", "bottom"):
                    ax.spines[side].set_visible(False)
                _finish(ax, created)
                _source_line(ax, df, lang, created)
            return
        variants = kept
    k = len(variants)
    # A per-SD beta of a two-valued predictor (gender, manager, a sector) reads as nothing; one model's plot
    # draws its group difference in SD of the answer instead (b / SD(y), same axis), its label marked ▪.
    two_valued: set = set()
    if k == 1:
        name, frame = next(iter(variants.items()))
        if {"binary", "b", "b_sd", "b_ci_low", "b_ci_high"} <= set(frame.columns):
            frame = frame.copy()
            two = frame["binary"].astype(bool).to_numpy() & (frame["b"].to_numpy(dtype=float) != 0)
            per_sd = frame.loc[two, "b_sd"] / frame.loc[two, "b"]  # 1 / SD of the answer
            frame.loc[two, "beta"] = frame.loc[two, "b_sd"]
            frame.loc[two, "ci_low"] = frame.loc[two, "b_ci_low"] * per_sd
            frame.loc[two, "ci_high"] = frame.loc[two, "b_ci_high"] * per_sd
            two_valued = set(frame.loc[two, "term"])
            variants = {name: frame}
    terms: list[str] = []
    for frame in variants.values():
        terms += [term for term in frame["term"] if term not in terms]
    row = {term: i for i, term in enumerate(terms)}
    offsets = np.linspace(-0.22, 0.22, k) if k > 1 else np.zeros(1)

    ticklabels = [textwrap.fill(term_label(term, lang) + (" ▪" if term in two_valued else "")
                                + (f" {_FLAG}" if term in flagged_terms else ""), wrap) for term in terms]
    # Rows grow with the number of variants and with labels wrapped onto two lines.
    row_height = 0.3 * (1 + 0.15 * (k - 1)) + (0.09 if any("\n" in s for s in ticklabels) else 0.0)
    with plt.rc_context(RC):
        ax, created = _new_axes(ax, (FIGSIZE[0], max(FIGSIZE[1], 1.3 + row_height * len(terms))))
        ax.axvline(0, color="0.35", linewidth=0.9, linestyle="--", zorder=1)
        handles, labels = [], []
        printed = printed_terms(next(iter(variants.values())).attrs.get("outcome")) if k == 1 else set()
        for j, (name, frame) in enumerate(variants.items()):
            color = MAIN_COLOR if k == 1 else VARIANT_PALETTE[j % len(VARIANT_PALETTE)]
            if printed:
                # What the article printed is told apart from what only these data give (issue 13).
                color = [MAIN_COLOR if term in printed else UNPRINTED_COLOR for term in frame["term"]]
            y = np.array([row[term] for term in frame["term"]], dtype=float) + offsets[j]
            beta = frame["beta"].to_numpy(dtype=float)
            lo, hi = frame["ci_low"].to_numpy(dtype=float), frame["ci_high"].to_numpy(dtype=float)
            colors = np.array([color] * len(beta) if not isinstance(color, list) else color, dtype=object)
            for c in dict.fromkeys(map(tuple, colors)) if isinstance(color, list) else [None]:
                pick = np.ones(len(beta), bool) if c is None else np.array([tuple(x) == c for x in colors])
                ax.errorbar(beta[pick], y[pick], xerr=[(beta - lo)[pick], (hi - beta)[pick]], fmt="none",
                            ecolor=color if c is None else c, elinewidth=1.4, capsize=0, zorder=2)
            sig = frame["p"].to_numpy(dtype=float) < alpha
            suffix = f":{name}" if k > 1 else ""
            col = list(colors) if isinstance(color, list) else [color]
            on = [c for c, s_ in zip(col, sig) if s_] if isinstance(color, list) else col
            filled = ax.scatter(beta[sig], y[sig], s=34, marker="o", facecolors=on, edgecolors=on,
                                linewidths=1.3, zorder=3)
            hollow = ax.scatter(beta[~sig], y[~sig], s=34, marker="o", facecolors="white",
                                edgecolors=[c for c, s_ in zip(col, sig) if not s_] if isinstance(color, list)
                                else col, linewidths=1.3, zorder=3)
            filled.set_gid("significant" + suffix)
            hollow.set_gid("not significant" + suffix)
            if k > 1:
                handles.append(Line2D([], [], color=color, marker="o", linewidth=1.4, markersize=5.5))
                labels.append(str(name))
        a = format_alpha(alpha)
        for face, text in (("0.2", t["sig"].format(a=a)), ("white", t["nonsig"].format(a=a))):
            handles.append(Line2D([], [], linestyle="none", marker="o", markersize=6, markerfacecolor=face,
                                  markeredgecolor="0.2", markeredgewidth=1.3))
            labels.append(text)
        if printed:
            twin = df is not None and bool(df.attrs.get(SOURCE_ATTR, {}).get("is_twin"))
            unprinted = t["unprinted"] + (t["invented"] if twin else "")
            for face, text in ((MAIN_COLOR, t["printed"]), (UNPRINTED_COLOR, unprinted)):
                handles.append(Line2D([], [], color=face, marker="o", linewidth=1.4, markersize=5.5))
                labels.append(text)
        ax.set_yticks(np.arange(len(terms)), ticklabels)
        if printed:
            for tick, term in zip(ax.get_yticklabels(), terms):
                if term not in printed:
                    tick.set_color("0.4")
        ax.set_ylim(len(terms) - 0.5, -0.5)
        ax.set_xlabel((t["beta_binary"] if two_valued else t["beta"]) if xlabel is None else xlabel)
        ax.set_ylabel(t["term"])
        ax.tick_params(axis="y", length=0)
        ax.grid(axis="y", color="0.92", linewidth=0.8, zorder=0)
        ax.set_axisbelow(True)
        _legend_below(ax, handles, labels, created=created)
        _source_line(ax, df, lang, created)
        first = next(iter(variants.values()))
        _attach_csv(ax, created, download or check, [
            {"variant": name, "term": term_label(r.term, lang),
             "scale": "difference in SD of the answer" if r.term in two_valued else "standardized beta",
             "beta": round(float(r.beta), 4),
             "ci_low": round(float(r.ci_low), 4), "ci_high": round(float(r.ci_high), 4),
             "p": float(f"{float(r.p):.4g}"), "printed_in_article": "yes" if r.term in printed else "no"}
            for name, fr in variants.items() for r in fr.itertuples(index=False)])
        order = first.sort_values("beta")
        lo_t, hi_t = order.iloc[0], order.iloc[-1]
        n_sig = int((first["p"] < alpha).sum())
        n_text = format_count(int(first.attrs.get('n', 0)), lang)
        if k > 1:  # the variants of one model: say what is compared, then the first variant's numbers
            what = t["alt_variants"].format(terms=len(terms), k=k, names=", ".join(map(str, variants)),
                                            n=n_text, first=next(iter(variants)))
        else:
            what = t["alt_betas"].format(terms=len(terms), n=n_text)
        _describe(ax, created, what + t["alt_sig"].format(
            sig=n_sig, a=format_alpha(alpha), hi=term_label(hi_t["term"], lang),
            hi_b=format_coef(hi_t["beta"]), lo=term_label(lo_t["term"], lang),
            lo_b=format_coef(lo_t["beta"])), df, lang)


# ---------------------------------------------------------------------------
# saving


def savefig(fig_or_ax, path, dpi: int = 150, **kwargs) -> None:
    """Save a figure so that the same figure gives the same bytes every time.

    PNG and PDF metadata that vary (software version, creation date) are
    dropped and the SVG hash salt is fixed.

    Parameters
    ----------
    fig_or_ax : Figure or Axes
    path : str or Path
        File name; the extension selects the format.
    dpi : int
        Resolution of raster formats.
    **kwargs
        Passed to :meth:`matplotlib.figure.Figure.savefig`.

    Returns
    -------
    None
        The file is written to ``path``.
    """
    is_axes = hasattr(fig_or_ax, "get_figure") and not hasattr(fig_or_ax, "savefig")
    fig = fig_or_ax.figure if is_axes else fig_or_ax
    suffix = str(path).rsplit(".", 1)[-1].lower()
    metadata = {
        "png": {"Software": None},
        "svg": {"Date": None, "Creator": None},
        "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
    }.get(suffix)
    if metadata is not None:
        kwargs.setdefault("metadata", metadata)
    with plt.rc_context({"svg.hashsalt": "werk"}):
        fig.savefig(path, dpi=dpi, **kwargs)
