"""The robustness appendix's tables and figure: conclusions per variant, VIFs, the variant plot.

Each takes ``check=`` as :mod:`werk.display.tables` and :mod:`werk.display.figures` do: the output is
checked by :mod:`werk.disclosure.robust` and, with a name, recorded for its page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from werk.core import fmt
from werk.disclosure import record
from werk.disclosure import rules as outputcheck
from werk.disclosure.robust import check_variants, check_vifs, plot_check
from werk.display import figures
from werk.stats import models, robust
from werk.stats.robust import _SECTOR, FAILS, HOLDS, LABELS, NOT_AVAILABLE, VARIANTS, VIF_CONCERN

__all__ = ["conclusions_table", "failures_text", "highlights", "proportional_odds", "vif_table", "plot"]

#: The verdicts and the claims of :func:`werk.stats.robust.conclusions` (English words), in Dutch.
VERDICT_NL = {HOLDS: "houdt stand", FAILS: "houdt geen stand", NOT_AVAILABLE: "n.v.t."}
_CLAIMED_NL = {"positive": "positief", "negative": "negatief", "no effect": "geen effect"}


def _verdict(verdict: str, lang: str) -> str:
    return VERDICT_NL.get(verdict, verdict) if lang == "nl" else verdict


def _claimed(text: str, lang: str) -> str:
    """A claim as :func:`werk.stats.robust.conclusions` words it ("positive, p < .05"), in ``lang``."""
    if lang != "nl":
        return text
    head, sep, rest = text.partition(", ")
    return _CLAIMED_NL.get(head, head) + sep + rest


def _mark(lang: str) -> str:
    return outputcheck.mark(lang)


def _term_text(terms: str, lang: str) -> str:
    return ", ".join("sector" if t == _SECTOR and lang == "en" else "overheidsorgaan" if t == _SECTOR
                     else models.term_label(t, lang) for t in terms.split(", "))


def conclusions_table(conc: pd.DataFrame, lang: str = "en", check: bool | str = False,
                      fits: Mapping[str, Mapping[str, pd.DataFrame]] | None = None,
                      df: pd.DataFrame | None = None) -> pd.DataFrame:
    """The output of :func:`conclusions` for reading: each verdict with its estimate and stars.

    A cell reads ``holds (−.15***)``: the verdict, then the variant's estimate (the AME for the
    ordered logit) with significance stars, or ``p = .63`` for the joint sector test.

    With ``check`` (CBS's output rules, :func:`check_variants` of ``fits``, the variants the
    conclusions were judged on; ``df`` their data) a variant with fewer than 10 residual degrees of
    freedom reads "suppressed" in its column and in "every variant", and a binary predictor with a
    small group gets a dagger; ``attrs["outputcheck"]`` holds the check, and a string also records it
    under that name.
    """
    chk = None
    if check:
        if fits is None:
            raise ValueError("conclusions_table(check=...) needs the fits the conclusions were judged on")
        terms: dict[str, list[str]] = {}
        for name, term in zip(conc["model"], conc["term"]):
            terms.setdefault(name, []).extend(term.split(", "))
        chk = check_variants({name: fits[name] for name in terms}, check if isinstance(check, str) else "",
                             "table", df=df, terms=terms)
        if isinstance(check, str):
            record.record(chk)
    hidden = chk.hidden if chk is not None else set()
    marked = chk.marked if chk is not None else set()

    details = conc.attrs.get("details")
    labels = LABELS[lang]
    model_names = {"threat": "threat" if lang == "en" else "bedreiging",
                   "keep_up": "keeping up" if lang == "en" else "bijbenen"}
    head = ("outcome", "predictor", "claimed", "every variant") if lang == "en" else (
        "uitkomst", "voorspeller", "bewering", "elke variant")
    flag = [any((m, t) in marked for t in ts.split(", ")) for m, ts in zip(conc["model"], conc["term"])]
    out = pd.DataFrame({
        head[0]: [model_names.get(m, m) for m in conc["model"]],
        head[1]: [_term_text(t, lang) + (f" {outputcheck.FLAG}" if f else "")
                  for t, f in zip(conc["term"], flag)],
        head[2]: [_claimed(c, lang) for c in conc["claimed"]],
    })
    present = conc.attrs.get("variants", [k for k in VARIANTS if k in conc.columns])
    for key in present:
        cells = []
        for cid, model, verdict in zip(conc["id"], conc["model"], conc[key]):
            if (model, key) in hidden:
                cells.append(_mark(lang))
                continue
            d = details[(details["id"] == cid) & (details["variant"] == key)] if details is not None else None
            note = ""
            if d is not None and len(d) == 1 and np.isfinite(d["p"].iloc[0]):
                est, p = d["estimate"].iloc[0], d["p"].iloc[0]
                if np.isfinite(est):
                    note = fmt.format_number(est, 2, leading_zero=False) + fmt.stars(p)
                else:
                    p_text = fmt.format_p(p)
                    note = ("p " if p_text[0] in "<>" else "p = ") + p_text
            verdict = _verdict(verdict, lang)
            cells.append(f"{verdict} ({note})" if note else verdict)
        out[labels[key]] = cells
    # A verdict over every variant would tell what a withheld variant says.
    out[head[3]] = [_mark(lang) if any((m, k) in hidden for k in present) else _verdict(v, lang)
                    for m, v in zip(conc["model"], conc["every_variant"])]
    if chk is not None:
        out.attrs["outputcheck"] = chk
    return out


def failures_text(conc: pd.DataFrame, lang: str = "en") -> str:
    """One sentence naming the claims that do not hold under every variant, and where they fail."""
    if lang == "nl":
        return _failures_text_nl(conc)
    labels = {"ols": "in the article's model", "weighted": "with survey weights",
              "hc3": "with HC3 standard errors", "ologit": "in the ordered logit"}
    outcome = {"threat": "threat", "keep_up": "keep-up"}
    present = conc.attrs.get("variants", [k for k in VARIANTS if k in conc.columns])
    items = []
    for row in conc[conc["every_variant"] != HOLDS].itertuples(index=False):
        row = row._asdict()
        failing = [k for k in present if row[k] == FAILS]
        missing = [k for k in present if row[k] == NOT_AVAILABLE]
        if failing and len(failing) == len(present):
            where = "fails under every variant, the article's own model included"
        elif failing:
            where = "fails " + _join([labels[k] for k in failing])
        else:
            where = "cannot be judged " + _join([labels[k] for k in missing])
        model = outcome.get(row["model"], row["model"])
        items.append(f"{_term_text(row['term'], 'en')} in the {model} model ({row['claimed']}) {where}")
    if not items:
        return "None of them fails under any variant."
    return "The exceptions: " + "; ".join(items) + "."


def _failures_text_nl(conc: pd.DataFrame) -> str:
    labels = {"ols": "in het model van het artikel", "weighted": "met de weegfactoren",
              "hc3": "met HC3-standaardfouten", "ologit": "in de geordende logit"}
    outcome = {"threat": "bedreiging", "keep_up": "bijbenen"}
    present = conc.attrs.get("variants", [k for k in VARIANTS if k in conc.columns])
    items = []
    for row in conc[conc["every_variant"] != HOLDS].itertuples(index=False):
        row = row._asdict()
        failing = [k for k in present if row[k] == FAILS]
        missing = [k for k in present if row[k] == NOT_AVAILABLE]
        if failing and len(failing) == len(present):
            where = "houdt onder geen enkele variant stand, ook niet in het eigen model van het artikel"
        elif failing:
            where = "houdt geen stand " + _join([labels[k] for k in failing], "nl")
        else:
            where = "is niet te beoordelen " + _join([labels[k] for k in missing], "nl")
        model = outcome.get(row["model"], row["model"])
        items.append(f"{_term_text(row['term'], 'nl')} in het model voor {model} "
                     f"({_claimed(row['claimed'], 'nl')}) {where}")
    if not items:
        return "Ze houden allemaal stand, onder elke variant."
    return "De uitzonderingen: " + "; ".join(items) + "."


def highlights(
    df: pd.DataFrame,
    fits: Mapping[str, Mapping[str, pd.DataFrame]],
    vifs: Mapping[str, pd.DataFrame],
    conc: pd.DataFrame,
    lang: str = "en",
) -> dict:
    """The numbers the robustness appendix states, raw (floats, ints and texts), for gluing.

    ``lang`` words the texts among them (the verdict on the VIFs, the note on the ordered logit, a term).

    Parameters
    ----------
    df : DataFrame
        The data the fits were made on (for the correlations of the time variables).
    fits : mapping
        Model name -> :func:`variants` of ``"threat"`` and ``"keep_up"``.
    vifs : mapping
        Model name -> :func:`vif`.
    conc : DataFrame
        :func:`conclusions` of these fits.

    Returns
    -------
    dict
        Sample sizes, employability in the threat model three ways (beta, AME, odds ratio), what
        each variant changes over the predictors (sector dummies left out), the VIFs of the time
        variables and the largest VIF, and the counts of claims that hold.
    """
    out: dict = {}

    def predictors(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[~frame["term"].str.startswith(_SECTOR + "=")].set_index("term")

    for name, f in fits.items():
        out[f"n_{name}"] = int(f["ols"].attrs["n"])
    th = {key: predictors(frame) for key, frame in fits["threat"].items()}
    out["threat_employability_beta"] = float(th["ols"].loc["employability", "estimate"])
    out["threat_employability_ame"] = float(th["ologit"].loc["employability", "estimate"])
    out["threat_employability_or"] = float(th["ologit"].loc["employability", "odds_ratio"])

    shifts = pd.concat([(predictors(f["weighted"])["estimate"] - predictors(f["ols"])["estimate"]).abs()
                        for f in fits.values() if "weighted" in f])
    if len(shifts):
        out["weighted_max_shift"] = float(shifts.max())
        out["weighted_max_shift_term"] = models.term_label(shifts.idxmax(), lang)
    out["hc3_max_se_ratio"] = max(float((predictors(f["hc3"])["se"] / predictors(f["ols"])["se"]).max())
                                  for f in fits.values())
    out["ologit_max_gap"] = max(
        float((predictors(f["ologit"])["estimate"] - predictors(f["ols"])["estimate"]).abs().max())
        for f in fits.values())
    failed = [name.replace("_", "-") for name, f in fits.items() if not f["ologit"].attrs["converged"]]
    if lang == "nl":
        names = {"threat": "bedreiging", "keep-up": "bijbenen"}
        out["ologit_note"] = (
            "De geordende logit convergeerde voor beide modellen." if not failed else
            f"De geordende logit convergeerde op deze data niet voor het model voor "
            f"{_join([names.get(f, f) for f in failed], 'nl')}; in zijn kolom staat n.v.t."
        )
    else:
        out["ologit_note"] = (
            "The ordered logit converged for both models." if not failed else
            f"The ordered logit did not converge for the {_join(failed)} model on these data; "
            "its column reads n/a."
        )

    vt = vifs["threat"].set_index("term")
    for term in ("age", "years_in_government", "years_in_function"):
        out[f"vif_{term}"] = float(vt.loc[term, "vif"])
        out[f"vif_se_{term}"] = float(np.sqrt(vt.loc[term, "vif"]))
    top = max((float(v["vif"].max()), str(v.loc[v["vif"].idxmax(), "term"])) for v in vifs.values())
    out["vif_max"], out["vif_max_term"] = top[0], models.term_label(top[1], lang)
    out["vif_verdict"] = (
        f"onder de gebruikelijke alarmgrens van {VIF_CONCERN:g}: de voorspellers overlappen, maar niet zo "
        "sterk dat hun afzonderlijke bèta's onbetrouwbaar worden"
        if top[0] < VIF_CONCERN else
        f"boven de gebruikelijke alarmgrens van {VIF_CONCERN:g}: de afzonderlijke bèta's van de voorspellers "
        "met de grootste VIF's zijn onbetrouwbaar, wat hun p-waarden ook zijn"
    ) if lang == "nl" else (
        f"below the usual alarm level of {VIF_CONCERN:g}: the predictors overlap, but not so much that their "
        "separate betas become unreliable"
        if top[0] < VIF_CONCERN else
        f"above the usual alarm level of {VIF_CONCERN:g}: the separate betas of the predictors with the "
        "largest VIFs are unreliable, whatever their p-values"
    )
    out["r_tenure_function"] = models.correlation(df, "years_in_government", "years_in_function")["r"]
    out["r_age_tenure"] = models.correlation(df, "age", "years_in_government")["r"]

    out["n_claims"] = len(conc)
    out["n_beta"] = int((conc["kind"] == "beta").sum())
    out["n_ns"] = int((conc["kind"] == "ns").sum())
    out["n_hold"] = int((conc["every_variant"] == HOLDS).sum())
    out["n_hold_ols"] = int((conc["ols"] == HOLDS).sum())
    out["failures"] = failures_text(conc, lang)
    return out


#: Respondents per predictor on the rarer side of a threshold below which a binary logit is read as imprecise
#: (the usual rule of thumb of ten events per variable).
RARE_PER_PREDICTOR = 10


def proportional_odds(tests: Mapping[str, dict], alpha: float = 0.05, lang: str = "en") -> dict[str, str]:
    """The Brant tests of the two ordered logits (:func:`werk.stats.robust.brant`) as the page states them.

    Returns ``brant_<model>``: "χ²(69) = 90.10, p = .045" per model, and ``brant_text``: one sentence
    per model saying whether the assumption is rejected at ``alpha`` and which predictors' slopes
    differ across the thresholds at ``alpha`` (each tested alone, so among many predictors one may do so
    by chance).
    """
    if lang == "nl":
        return _proportional_odds_nl(tests, alpha)
    names = {"threat": "threat", "keep_up": "keeping up"}
    out, sentences = {}, []
    for name, t in tests.items():
        if not np.isfinite(t["p"]):
            out[f"brant_{name}"] = "no result"
            sentences.append(f"For {names.get(name, name)} the test cannot be computed on these data "
                             f"({t.get('error', 'no result')}).")
            continue
        out[f"brant_{name}"] = (f"χ²({t['df']}) = {fmt.format_number(t['chi2'], 2)}, "
                                f"{fmt.format_p_text(t['p'])}")
        odd = t["terms"][t["terms"]["p"] < alpha].sort_values("p")
        terms = _join([f"{models.term_label(r.term)} ({fmt.format_p_text(r.p)})"
                       for r in odd.itertuples()]) if len(odd) else ""
        verdict = ("rejects proportional odds" if t["p"] < alpha
                   else "does not reject proportional odds")
        tail = (f"; tested one by one, the slopes of {terms} differ across thresholds" if len(odd)
                else "; no single predictor's slopes differ across thresholds")
        rare = t.get("rarest")
        if rare and rare["per_predictor"] < RARE_PER_PREDICTOR:
            # No count: on a small edition it could be a handful of respondents (CBS's output rules).
            tail += (f"; but the rarer side of the threshold above answer {rare['threshold']:g} holds "
                     f"fewer than {RARE_PER_PREDICTOR:g} respondents per predictor, so that threshold's "
                     "slopes, and the test, are imprecise")
        sentences.append(f"For {names.get(name, name)} the test {verdict} at the "
                         f"{fmt.format_alpha(alpha)} level{tail}.")
    out["brant_text"] = " ".join(sentences)
    return out


def _proportional_odds_nl(tests: Mapping[str, dict], alpha: float) -> dict[str, str]:
    names = {"threat": "bedreiging", "keep_up": "bijbenen"}
    out, sentences = {}, []
    for name, t in tests.items():
        if not np.isfinite(t["p"]):
            out[f"brant_{name}"] = "geen uitkomst"
            sentences.append(f"Voor {names.get(name, name)} is de toets op deze data niet te berekenen "
                             f"({t.get('error', 'geen uitkomst')}).")
            continue
        out[f"brant_{name}"] = (f"χ²({t['df']}) = {fmt.format_number(t['chi2'], 2)}, "
                                f"{fmt.format_p_text(t['p'])}")
        odd = t["terms"][t["terms"]["p"] < alpha].sort_values("p")
        terms = _join([f"{models.term_label(r.term, 'nl')} ({fmt.format_p_text(r.p)})"
                       for r in odd.itertuples()], "nl") if len(odd) else ""
        verdict = "" if t["p"] < alpha else " niet"
        tail = (f"; elk afzonderlijk getoetst verschillen de hellingen van {terms} tussen de drempels"
                if len(odd) else "; bij geen enkele voorspeller verschillen de hellingen tussen de drempels")
        rare = t.get("rarest")
        if rare and rare["per_predictor"] < RARE_PER_PREDICTOR:
            tail += (f"; maar aan de zeldzamere kant van de drempel boven antwoord {rare['threshold']:g} "
                     f"staan minder dan {RARE_PER_PREDICTOR:g} respondenten per voorspeller, zodat de "
                     "hellingen bij die drempel, en de toets, onnauwkeurig zijn")
        sentences.append(f"Voor {names.get(name, name)} verwerpt de toets proportionele odds{verdict} op het "
                         f"niveau van {fmt.format_alpha(alpha)}{tail}.")
    out["brant_text"] = " ".join(sentences)
    return out


def _join(words: Sequence[str], lang: str = "en") -> str:
    words = list(words)
    word = " en " if lang == "nl" else " and "
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + word + words[-1]


def vif_table(vifs: Mapping[str, pd.DataFrame], lang: str = "en", decimals: int = 2,
              check: bool | str = False) -> pd.DataFrame:
    """VIFs side by side, one column per model (``{"threat": vif(df, "threat"), ...}``).

    With ``check`` (CBS's output rules, :func:`check_vifs`) the column of a model whose auxiliary
    regressions have fewer than 10 residual degrees of freedom reads "suppressed";
    ``attrs["outputcheck"]`` holds the check, and a string also records it under that name.
    """
    chk = None
    if check:
        chk = check_vifs(vifs, check if isinstance(check, str) else "", "table")
        if isinstance(check, str):
            record.record(chk)

    terms: list[str] = []
    for frame in vifs.values():
        terms += [t for t in frame["term"] if t not in terms]
    head = "predictor" if lang == "en" else "voorspeller"
    out = pd.DataFrame({head: [models.term_label(t, lang) for t in terms]})
    names = {"threat": "threat model" if lang == "en" else "model bedreiging",
             "keep_up": "keep-up model" if lang == "en" else "model bijbenen"}
    for name, frame in vifs.items():
        keyed = frame.set_index("term")["vif"]
        if chk is not None and name in chk.hidden:
            out[names.get(name, name)] = outputcheck.MARK
            continue
        out[names.get(name, name)] = [fmt.format_number(keyed.get(t, np.nan), decimals) for t in terms]
    if chk is not None:
        out.attrs["outputcheck"] = chk
    return out


def plot(results: Mapping[str, pd.DataFrame], ax=None, lang: str = "en", sectors: bool = False,
         check: bool | str = False, df: pd.DataFrame | None = None) -> None:
    """Side-by-side coefficient plot of the variants of one model (werk.display.figures.coefficient_plot).

    All variants are on one scale: SDs of the answer per SD of the predictor (the standardized beta
    for the linear variants, the AME for the ordered logit). Sector dummies are left out unless
    ``sectors``.

    With ``check`` (CBS's output rules, :func:`check_variants` of the terms drawn; ``df`` the data of
    the fits) a variant with fewer than 10 residual degrees of freedom is not drawn, a figure whose
    every variant fails says why instead, and a binary predictor with a small group gets a dagger
    (as :func:`werk.display.figures.coefficient_plot` draws them). A string records the check under that name.

    Returns
    -------
    None
        The figure is drawn on ``ax``, or on a new figure (sized and laid out as
        :func:`werk.display.figures.coefficient_plot` does).
    """
    shown = robust.plotted(results, sectors)
    refused = False
    if check:
        chk = plot_check(results, check if isinstance(check, str) else "", df=df, sectors=sectors)
        if isinstance(check, str):
            record.record(chk)
        refused = chk.status == outputcheck.REFUSED
    frames = {LABELS[lang].get(key, key): f.rename(columns={"estimate": "beta"}) for key, f in shown.items()}
    # coefficient_plot runs the same check_model on each variant: it leaves out the refused ones and
    # draws the daggers, or the note when none is left (then no axis label: there are no numbers).
    # The label is passed in, not set afterwards, so that the new figure is laid out with it.
    xlabel = None if refused else (
        "effect in SD of the answer per SD of the predictor (95% CI)" if lang == "en"
        else "effect in SD van het antwoord per SD van de voorspeller (95%-BI)")
    # The CSV beside the figure (only the variants drawn) is named after the figure, as on the other pages.
    figures.coefficient_plot(frames, ax=ax, lang=lang, check=bool(check), df=df, xlabel=xlabel,
                             download=check if isinstance(check, str) and check else None)
