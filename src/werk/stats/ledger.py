"""The claims ledger: every number the article prints beside the one computed from the data.

:func:`claims` reads and validates ``data/published.yml``; :func:`ledger` computes each
claim from a canonical frame (the twin, the real file, one sector) and says whether it
matches. The ledger follows the data: nothing here knows the twin's targets.

Rules (what "match" means)
--------------------------
* **Numbers match when they round to the printed value**: rounded half away from zero to
  the printed decimals, the computed number equals the printed one. For a positive value
  that is the interval ``[v - h, v + h)`` with ``h`` half a unit of the last printed digit:
  share 40 → [39.5, 40.5); 30.9 → [30.85, 30.95); β .04 → [.035, .045); β -.13 →
  (-.135, -.125]. Shares are valid percents: respondents with an answer are the denominator.
* **beta / r**: the value rounds to the printed one (so the sign agrees) *and* p < p_max.
  When the value matches but p does not, the reason gives the collinearity arithmetic of
  :func:`werk.stats.audit.beta_reason`: the largest VIF the printed pair allows beside the
  VIF of the predictor in these data.
* **ns** (a claimed absence of effect): p > .05; for ``sector`` the joint F test of all
  sector dummies (full model against the model without them, same cases). p > .05 alone is
  absence of evidence, so each such claim also gets an equivalence test, in column
  ``equivalence`` with its p in ``p_equivalence``: **negligible** when the two one-sided t tests
  (TOST, :func:`werk.stats.models.tost`) put β within ±:data:`EQUIVALENCE_BOUND` (the 90% CI
  inside the bound), for ``sector`` when the sector block adds less than the bound squared to R²
  (:func:`werk.stats.models.block_equivalence`); otherwise **not shown negligible**. The status
  stays "match" for both (the article's test result, n.s., is reproduced; the data do not
  contradict "geen rol"); the reproduced text and the reason say which of the two it is. p ≤ .05
  is "deviates".
* **Holm** (column ``p_holm``): the Holm-adjusted p over the article's tests, the claims that carry
  a p the article states or implies (a printed threshold ``p_max``, or a claimed absence of effect).
  It does not change a status (the article did not adjust); it shows which effects survive the
  multiplicity of the article's tests.
* **diff**: the direction as claimed (the ``higher`` group has the higher share at
  ``codes`` and the higher mean rank; without codes the higher mean); where ``p_max`` is
  given, the two-sided Mann-Whitney U test (the answers are ordinal) has p < p_max; with
  ``small``, |Cohen's d| (pooled SD) is below it.
* **trend**: Spearman's rho of the ordered age group and the outcome has the claimed sign
  and p < .05.
* **bound**: ``largest`` — that category is the modal one; ``below``/``above`` — the share
  (of ``codes``, among the ``filter`` cases) lies strictly between them; with ``by`` the
  share exceeds ``above`` in every group present.

Language
--------
``lang="nl"`` gives every text of the ledger (published, reproduced, reason) in Dutch, numbers in Dutch
style; ids, statuses and the equivalence column stay as above: they are codes, not prose.

Edition
-------
With ``edition`` set to a sector (the data filtered to one sector) every comparison is
still with the article's whole-sample numbers, and the reason says so; claims about sectors
become "not reproducible". A frame with a single sector is treated the same way.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from werk.core import codebook, memo
from werk.core.errors import WerkError
from werk.core.fmt import format_alpha, format_coef, format_p, format_p_text, format_spec, localize
from werk.inputs import frame
from werk.inputs.claims import KINDS, claims, format_value, matches, round_printed, term_name, validate
from werk.stats import audit as _audit
from werk.stats import models

__all__ = [
    "KINDS",
    "STATUSES",
    "COLUMNS",
    "claims",
    "ledger",
    "format_value",
    "round_printed",
    "matches",
    "summary",
    "to_text",
    "NEGLIGIBLE",
    "NOT_SHOWN",
    "EQUIVALENCE_BOUND",
    "EQUIVALENCE_LEVEL",
    "holm_family",
    "tests_summary",
]

MATCH, DEVIATES, NOT_REPRODUCIBLE = "match", "deviates", "not reproducible"
STATUSES = (MATCH, DEVIATES, NOT_REPRODUCIBLE)
COLUMNS = ["id", "kind", "published", "reproduced", "value", "p", "n", "status", "reason",
           "section", "figure", "table", "p_holm", "equivalence", "p_equivalence"]
NEGLIGIBLE, NOT_SHOWN = "negligible", "not shown negligible"

NS_ALPHA = 0.05
EQUIVALENCE_BOUND = models.EQUIVALENCE_BOUND
#: The level (percent) of the interval that an equivalence at EQUIVALENCE_ALPHA puts inside the bound.
EQUIVALENCE_LEVEL = 100 * (1 - 2 * models.EQUIVALENCE_ALPHA)
_TREND_ALPHA = 0.05
_GROUP_NAMES = {
    "en": {("gender", 1): "men", ("gender", 2): "women", ("manager", 0): "employees",
           ("manager", 1): "managers"},
    "nl": {("gender", 1): "mannen", ("gender", 2): "vrouwen", ("manager", 0): "medewerkers",
           ("manager", 1): "leidinggevenden"},
}

#: Every text the ledger writes, per language: str.format templates, numbers formatted before they go in.
_TEXT = {
    "en": {
        "largest": "largest: {cat}", "over": "over {x}%", "under": "under {x}%", "and": " and ",
        "in_every": " in every {by}", "ns": "n.s. (p > {alpha})", "higher": "{group} higher",
        "small": ", small (|d| < {d})", "falls": "falls with age group", "rises": "rises with age group",
        "columns": "columns {cols} missing", "column": "column {cols} missing",
        "no_answers": "no answers to {var}", "unknown_model": "unknown model {name!r}",
        "of_model": "{exc} (model of {outcome})", "not_fitted": "model of {outcome} cannot be fitted: {exc}",
        "sector_edition": "sector constant in this edition (sector = {name})",
        "sector_data": "sector constant in these data",
        "no_round": "{v} (unrounded {x}) does not round to the printed {printed}: needs {lo} to {hi}",
        "p_missed": "value rounds to {v} but {p} is not < {alpha}; {extra}", "audit": "audit: {reason}",
        "few_values": "fewer than two values of {var}",
        "spread": "; the audit: {arithmetic}, so no data can show both",
        "no_values": "no values of {var}", "largest_is": "the largest group is {top} ({share}%), not {cat}",
        "tie": " (a tie)", "no_groups": "no {by} groups with answers to {var}",
        "lowest": "lowest {x}% ({by} {group})", "not_in": "not {published} in {failing}",
        "is_not": "{x}% is not {published}",
        "dropped": "{term} constant in these data (dropped from the model of {name})",
        "no_term": "no term {term} in the model of {name}",
        "sector_equiv": "F({q}, {dfr}) = {f}: the sector dummies add ΔR² = {d}, {below} {b} (= {bound}²)",
        "below": "below", "not_below": "not shown below",
        "beta_equiv": "{level}% CI of β ({lo}, {hi}) {inside} ±{bound}", "within": "within",
        "not_within": "not within", "ns_effect": "{p} ≤ {alpha}: the data show an effect where the article "
        "says 'geen rol'", "negligible": "negligible", "not_shown": "not shown negligible",
        "why_negligible": "negligible: {how}",
        "why_not_shown": "not significant, but not shown negligible: {how}",
        "no_group": "{by} has no group {group} in these data", "vs": "{hi}% vs {lo}% at {codes}",
        "no_higher_share": "{name} do not have the higher share ({text})",
        "no_higher_rank": "{name} do not have the higher mean rank",
        "no_higher_score": "{name} do not score higher (d = {d})", "not_small": "|d| = {d} is not below "
                                                                                "{small}",
        "mw": "Mann-Whitney {p} is not < {alpha}", "diff_higher": "{name} higher: {text}",
        "diff_lower": "{name} lower: {text}", "constant": "{x} or {y} is constant in these data",
        "trend": "Spearman rho = {rho} ({p}); the article implies {sign} trend at p < {alpha}",
        "negative": "a negative", "positive": "a positive",
        "edition": "{name} only, compared with the article's whole-sample number", "message": "{exc}",
    },
    "nl": {
        "largest": "grootste: {cat}", "over": "meer dan {x}%", "under": "minder dan {x}%", "and": " en ",
        "in_every": " in elke {by}", "ns": "n.s. (p > {alpha})", "higher": "{group} hoger",
        "small": ", klein (|d| < {d})", "falls": "daalt met de leeftijdsgroep",
        "rises": "stijgt met de leeftijdsgroep",
        "columns": "de kolommen {cols} ontbreken", "column": "de kolom {cols} ontbreekt",
        "no_answers": "geen antwoorden op {var}", "unknown_model": "onbekend model {name!r}",
        "of_model": "{exc} (model van {outcome})", "not_fitted": "het model van {outcome} is niet te "
                                                                 "schatten: {exc}",
        "sector_edition": "de sector is constant in deze editie (sector = {name})",
        "sector_data": "de sector is constant in deze data",
        "no_round": "{v} (onafgerond {x}) rondt niet af op de gedrukte {printed}: daarvoor is {lo} tot "
                    "{hi} nodig",
        "p_missed": "de waarde rondt af op {v}, maar {p} is niet < {alpha}; {extra}",
        "audit": "controle: {reason}", "few_values": "minder dan twee waarden van {var}",
        "spread": "; de controle: {arithmetic}, dus geen enkel databestand kan beide laten zien",
        "no_values": "geen waarden van {var}", "largest_is": "de grootste groep is {top} ({share}%), niet "
                                                             "{cat}",
        "tie": " (gedeelde eerste plaats)", "no_groups": "geen groepen van {by} met antwoorden op {var}",
        "lowest": "laagste {x}% ({by} {group})", "not_in": "niet {published} bij {failing}",
        "is_not": "{x}% is niet {published}",
        "dropped": "{term} is constant in deze data (uit het model van {name} gelaten)",
        "no_term": "geen term {term} in het model van {name}",
        "sector_equiv": "F({q}; {dfr}) = {f}: de sectordummy’s voegen ΔR² = {d} toe, {below} {b} (= "
                        "{bound}²)",
        "below": "onder", "not_below": "niet aantoonbaar onder",
        "beta_equiv": "{level}%-BI van β ({lo}; {hi}) {inside} ±{bound}", "within": "binnen",
        "not_within": "niet binnen", "ns_effect": "{p} ≤ {alpha}: de data tonen een effect waar het artikel "
        "‘geen rol’ zegt", "negligible": "verwaarloosbaar", "not_shown": "niet aantoonbaar verwaarloosbaar",
        "why_negligible": "verwaarloosbaar: {how}",
        "why_not_shown": "niet significant, maar niet aantoonbaar verwaarloosbaar: {how}",
        "no_group": "{by} heeft in deze data geen groep {group}", "vs": "{hi}% tegenover {lo}% bij {codes}",
        "no_higher_share": "{name} hebben niet het hogere aandeel ({text})",
        "no_higher_rank": "{name} hebben niet de hogere gemiddelde rang",
        "no_higher_score": "{name} scoren niet hoger (d = {d})", "not_small": "|d| = {d} ligt niet onder "
                                                                              "{small}",
        "mw": "Mann-Whitney {p} is niet < {alpha}", "diff_higher": "{name} hoger: {text}",
        "diff_lower": "{name} lager: {text}", "constant": "{x} of {y} is constant in deze data",
        "trend": "Spearmans rho = {rho} ({p}); het artikel veronderstelt {sign} trend bij p < {alpha}",
        "negative": "een negatieve", "positive": "een positieve",
        "edition": "alleen {name}, vergeleken met het getal van het artikel voor de hele steekproef",
        "message": "{exc}",
    },
}


def _t(lang: str, key: str, **fields) -> str:
    return _TEXT[lang][key].format(**fields)


class _NotReproducible(Exception):
    """A claim that cannot be computed from these data: its reason is ``key`` of :data:`_TEXT`."""

    def __init__(self, key: str, **fields):
        super().__init__(key)
        self.key, self.fields = key, fields

    def reason(self, lang: str) -> str:
        return _t(lang, self.key, **{k: v.reason(lang) if isinstance(v, _NotReproducible) else v
                                     for k, v in self.fields.items()})


def _category(variable, code, lang: str = "en") -> str:
    """A category as a reader knows it: the codebook's label ("municipality"), not its code ("1")."""
    try:
        labels = frame.category_labels(variable, lang) if variable else {}
    except (KeyError, ValueError):
        return str(code)
    for key, label in labels.items():
        if str(key) == str(code).removesuffix(".0"):
            return str(label)
    return str(code)


def _by_name(by: str, lang: str) -> str:
    return term_name(by, "nl") if lang == "nl" else by.replace("_", " ")


def _published_text(c: dict, lang: str = "en"):
    spec, kind = c["spec"], c["kind"]
    if c["value"] is not None and kind not in ("bound",):
        return c["value"]
    if kind == "bound":
        if "largest" in spec:
            return _t(lang, "largest", cat=_category(spec.get("variable"), spec["largest"], lang))
        parts = []
        if "above" in spec:
            parts.append(_t(lang, "over", x=format_spec(round(spec["above"], 1), "g", lang)))
        if "below" in spec:
            parts.append(_t(lang, "under", x=format_spec(round(spec["below"], 1), "g", lang)))
        text = _TEXT[lang]["and"].join(parts)
        return text + (_t(lang, "in_every", by=_by_name(spec["by"], lang)) if "by" in spec else "")
    if kind == "ns":
        return _t(lang, "ns", alpha=localize(".05", lang))
    if kind == "diff":
        text = _t(lang, "higher", group=_group_name(spec["by"], spec["higher"], lang))
        if "small" in spec:
            text += _t(lang, "small", d=format_spec(spec["small"], "g", lang))
        if c.get("p_max") is not None:
            text += f", p < {localize(format_alpha(c['p_max']), lang)}"
        return text
    if kind == "trend":
        return _t(lang, "falls" if spec["sign"] < 0 else "rises")
    return ""


def _group_name(by: str, code, lang: str = "en") -> str:
    return _GROUP_NAMES[lang].get((by, code), f"{by} = {code}")


# ----------------------------------------------------------------------------- computing


def _need(df: pd.DataFrame, cols) -> None:
    missing = [c for c in dict.fromkeys(cols) if c not in df.columns]
    if missing:
        raise _NotReproducible("columns" if len(missing) > 1 else "column", cols=", ".join(missing))


def _prepare(df: pd.DataFrame) -> pd.DataFrame:
    out = frame.with_derived(df)
    if "age_group" not in out.columns and "age" in out.columns:
        out["age_group"] = frame.age_groups(out["age"])
    if "age_group" in out.columns:
        out["age_group"] = out["age_group"].astype(object).where(out["age_group"].notna(), None)
    return out


def _source_cols(var: str) -> list[str]:
    if var == "age_group":
        return ["age"]
    if var == "hrm_leadership":
        return ["hrm_quality", "leadership"]
    return [var]


def _need_var(df, *variables) -> None:
    for v in variables:
        if v not in df.columns:
            _need(df, _source_cols(v))


def _isin(s: pd.Series, codes) -> pd.Series:
    if s.dtype == object:
        return s.astype(str).isin([str(c) for c in codes])
    return s.isin(codes)


def _share(s: pd.Series, codes) -> tuple[float, int]:
    s = s.dropna()
    if len(s) == 0:
        raise _NotReproducible("no_answers", var=s.name)
    return 100 * float(_isin(s, codes).mean()), int(len(s))


class _Context:
    """Models and tests fitted once per ledger call."""

    def __init__(self, df: pd.DataFrame, sector_edition: int | None, lang: str = "en"):
        self.df = df
        self.lang = lang
        self.sector_edition = sector_edition
        self.single_sector = "sector" in df and df["sector"].dropna().nunique() == 1
        self._models: dict[str, object] = {}
        self._joint: dict[str, object] = {}

    def model(self, name: str) -> pd.DataFrame:
        if name not in self._models:
            try:
                outcome, predictors, sectors = models.MODELS[name]
            except KeyError:
                self._models[name] = _NotReproducible("unknown_model", name=name)
            else:
                try:
                    _need(self.df, [outcome, *predictors, *(["sector"] if sectors else [])])
                    self._models[name] = models.fit(self.df, name)
                except _NotReproducible as exc:
                    self._models[name] = _NotReproducible("of_model", exc=exc, outcome=outcome)
                except (KeyError, ValueError) as exc:
                    self._models[name] = _NotReproducible("not_fitted", outcome=outcome, exc=str(exc))
        res = self._models[name]
        if isinstance(res, Exception):
            raise res
        return res

    def sector_test(self, name: str) -> dict:
        """Joint F test of the sector dummies of model ``name`` (:func:`werk.stats.models.sector_test`)."""
        if name not in self._joint:
            try:
                self._joint[name] = self._sector_test(name)
            except _NotReproducible as exc:
                self._joint[name] = exc
        res = self._joint[name]
        if isinstance(res, Exception):
            raise res
        return res

    def _sector_test(self, name: str):
        self.model(name)  # raises "not reproducible" with the reason when the model cannot be fitted
        test = models.sector_test(self.df, name)
        if test is None:
            raise self.sector_reason()
        return test

    def sector_reason(self) -> _NotReproducible:
        if self.sector_edition is not None:
            name = codebook.SECTORS.get(self.sector_edition, (str(self.sector_edition),))[0]
            return _NotReproducible("sector_edition", name=name)
        return _NotReproducible("sector_data")


def _row(c: dict, lang: str = "en") -> dict:
    return {"id": c["id"], "kind": c["kind"], "published": _published_text(c, lang), "reproduced": "",
            "value": math.nan, "p": math.nan, "n": math.nan, "status": NOT_REPRODUCIBLE, "reason": "",
            "section": c.get("section"), "figure": c.get("figure"), "table": c.get("table"),
            "p_holm": math.nan, "equivalence": "", "p_equivalence": math.nan}


def _numeric(row: dict, c: dict, x: float, n: int, p: float | None = None, lang: str = "en") -> None:
    row.update(value=float(x), n=int(n), reproduced=round_printed(x, c["precision"]))
    if p is not None:
        row["p"] = float(p)
    if matches(x, c["value"], c["precision"]):
        row["status"] = MATCH
        return
    row["status"] = DEVIATES
    h = 0.5 * 10 ** (-c["precision"])
    lo, hi = c["value"] - h, c["value"] + h
    dec = f".{c['precision'] + 1}f"
    row["reason"] = _t(lang, "no_round", v=format_value(c, x, lang), x=format_spec(x, ".4g", lang),
                       printed=format_value(c, c["value"], lang), lo=format_spec(lo, dec, lang),
                       hi=format_spec(hi, dec, lang))


def _check_p(row: dict, c: dict, extra: str, lang: str = "en") -> None:
    """Downgrade a value match to deviates when p does not reach the printed threshold."""
    if row["status"] == MATCH and not row["p"] < c["p_max"]:
        row["status"] = DEVIATES
        row["reason"] = _t(lang, "p_missed", v=format_value(c, c["value"], lang),
                           p=localize(format_p_text(row["p"]), lang),
                           alpha=localize(format_alpha(c["p_max"]), lang), extra=extra)


def _do_n(row, c, ctx):
    _numeric(row, c, len(ctx.df), len(ctx.df), lang=ctx.lang)


def _do_moment(row, c, ctx):
    var = c["spec"]["variable"]
    _need_var(ctx.df, var)
    s = pd.to_numeric(ctx.df[var], errors="coerce").dropna()
    if len(s) < 2:
        raise _NotReproducible("few_values", var=var)
    x = s.mean() if c["kind"] == "mean" else s.std(ddof=1)
    _numeric(row, c, float(x), len(s), lang=ctx.lang)
    if row["status"] == DEVIATES and c["kind"] == "sd":
        # Where the printed mean and SD cannot both hold on the variable's range, say so: the data are
        # not at fault.
        mean = next((m for m in claims() if m["kind"] == "mean" and m["spec"].get("variable") == var), None)
        found = mean and _audit.spread_finding(var, mean["value"], c["value"], mean["precision"],
                                               c["precision"], lang=ctx.lang)
        if found and found["verdict"] == "question":
            row["reason"] += _t(ctx.lang, "spread", arithmetic=found["arithmetic"])


def _sector_guard(c, ctx, *variables):
    if "sector" in variables and (ctx.sector_edition is not None or ctx.single_sector):
        raise ctx.sector_reason()


def _filtered(c, ctx) -> pd.DataFrame:
    df = ctx.df
    for var, values in (c["spec"].get("filter") or {}).items():
        _need_var(df, var)
        df = df[_isin(df[var], values if isinstance(values, list) else [values])]
    return df


def _do_share(row, c, ctx):
    spec = c["spec"]
    _sector_guard(c, ctx, spec["variable"])
    _need_var(ctx.df, spec["variable"])
    x, n = _share(_filtered(c, ctx)[spec["variable"]], spec["codes"])
    _numeric(row, c, x, n, lang=ctx.lang)


def _do_bound(row, c, ctx):
    spec, var, lang = c["spec"], c["spec"]["variable"], ctx.lang
    _sector_guard(c, ctx, var, spec.get("by"))
    _need_var(ctx.df, var, *([spec["by"]] if "by" in spec else []))
    df = _filtered(c, ctx)
    dec = c["precision"] if c["value"] is not None else 1
    if "largest" in spec:
        s = df[var].dropna()
        if s.empty:
            raise _NotReproducible("no_values", var=var)
        counts = s.astype(str).str.replace(r"\.0$", "", regex=True).value_counts()
        top = counts.index[0]
        share = 100 * counts.iloc[0] / len(s)
        tie = len(counts) > 1 and counts.iloc[1] == counts.iloc[0]
        largest = _t(lang, "largest", cat=_category(var, top, lang))
        row.update(reproduced=f"{largest} ({share:.0f}%)", value=float(share), n=int(len(s)))
        ok = top == str(spec["largest"]) and not tie
        row["status"] = MATCH if ok else DEVIATES
        if not ok:
            row["reason"] = (_t(lang, "largest_is", top=_category(var, top, lang),
                                share=format_spec(share, ".1f", lang),
                                cat=_category(var, spec["largest"], lang))
                             + (_TEXT[lang]["tie"] if tie else ""))
        return
    below, above = spec.get("below", math.inf), spec.get("above", -math.inf)
    if "by" in spec:
        by = spec["by"]
        shares = {}
        for g, part in df.dropna(subset=[by]).groupby(by, sort=True):
            if part[var].notna().any():
                shares[str(g)] = _share(part[var], spec["codes"])
        if not shares:
            raise _NotReproducible("no_groups", by=by, var=var)
        gmin = min(shares, key=lambda g: shares[g][0])
        x, _ = shares[gmin]
        n = sum(v[1] for v in shares.values())
        row.update(value=float(x), n=int(n),
                   reproduced=_t(lang, "lowest", x=format_spec(x, f".{dec}f", lang), by=_by_name(by, lang),
                                 group=gmin))
        failing = [f"{g}: {format_spec(v[0], '.1f', lang)}%" for g, v in shares.items()
                   if not (above < v[0] < below)]
        row["status"] = DEVIATES if failing else MATCH
        if failing:
            row["reason"] = _t(lang, "not_in", published=_published_text(c, lang), failing=", ".join(failing))
        return
    x, n = _share(df[var], spec["codes"])
    row.update(value=float(x), n=int(n), reproduced=round_printed(x, dec))
    ok = above < x < below
    row["status"] = MATCH if ok else DEVIATES
    if not ok:
        row["reason"] = _t(lang, "is_not", x=format_spec(x, f".{dec + 1}f", lang),
                           published=_published_text(c, lang))


def _model_row(c, ctx, name, term):
    if term == "sector" or term.startswith("sector="):
        _sector_guard(c, ctx, "sector")
    tidy = ctx.model(name)
    hit = tidy[tidy["term"] == term]
    if hit.empty:
        if term in tidy.attrs.get("dropped", []):
            raise _NotReproducible("dropped", term=term, name=name)
        raise _NotReproducible("no_term", term=term, name=name)
    return hit.iloc[0], tidy


def _do_beta(row, c, ctx):
    spec = c["spec"]
    hit, tidy = _model_row(c, ctx, spec["model"], spec["term"])
    _numeric(row, c, float(hit["beta"]), int(hit["n"]), float(hit["p"]), lang=ctx.lang)
    if row["status"] == MATCH and not row["p"] < c["p_max"]:
        # The fitted p follows from β, the fit's R² and the predictor's VIF; the audit says which one
        # rules the printed p out. k: the predictors actually in this fit (dropped constant terms excluded).
        vifs = _audit.data_vif(ctx.df, spec["model"]).set_index("term")["vif"]
        reason = _audit.beta_reason(c, n=int(hit["n"]), k=len(tidy), r2=float(tidy.attrs["r2"]),
                                    vif=float(vifs[spec["term"]]), beta=float(hit["beta"]), lang=ctx.lang)
        _check_p(row, c, _t(ctx.lang, "audit", reason=reason), ctx.lang)


def _do_r(row, c, ctx):
    spec = c["spec"]
    _need_var(ctx.df, spec["x"], spec["y"])
    try:
        res = models.correlation(ctx.df, spec["x"], spec["y"])
    except ValueError as exc:
        raise _NotReproducible("message", exc=str(exc)) from None
    _numeric(row, c, res["r"], res["n"], res["p"], lang=ctx.lang)
    f = _audit.r_finding(c, n=res["n"], lang=ctx.lang)
    _check_p(row, c, _t(ctx.lang, "audit", reason=f["arithmetic"]), ctx.lang)


def _do_ns(row, c, ctx):
    spec, lang = c["spec"], ctx.lang
    ps, texts, equiv, n = [], [], [], math.nan
    bound = localize(format_coef(EQUIVALENCE_BOUND, 2), lang)

    def coef(x, decimals):
        return localize(format_coef(x, decimals), lang)

    for term in spec["terms"]:
        if term == "sector":
            _sector_guard(c, ctx, "sector")
            test = ctx.sector_test(spec["model"])
            f, p, q = test["F"], test["p"], test["df_num"]
            n = ctx.model(spec["model"])["n"].iloc[0]
            # The degrees of freedom go to the reason: "F(6, 4891)" is one unbreakable token on a phone.
            texts.append(f"F = {format_spec(f, '.2f', lang)}")
            row["value"] = f
            e = models.block_equivalence(f, q, test["df_den"], test["r2_full"])
            # The bound of the block is what one uncorrelated predictor at the β bound adds to R².
            dfr = int(ctx.model(spec["model"]).attrs["df_resid"])
            equiv.append((e, _t(lang, "sector_equiv", q=q, dfr=dfr, f=format_spec(f, ".2f", lang),
                                d=coef(e["delta_r2"], 4),
                                below=_TEXT[lang]["below" if e["equivalent"] else "not_below"],
                                b=coef(e["bound_r2"], 4), bound=bound)))
        else:
            hit, tidy = _model_row(c, ctx, spec["model"], term)
            p, n = float(hit["p"]), int(hit["n"])
            texts.append(f"β = {coef(hit['beta'], 2)}")
            row["value"] = float(hit["beta"])
            e = models.tost(float(hit["beta"]), float(hit["se"]), tidy.attrs["df_resid"])
            equiv.append((e, _t(lang, "beta_equiv", level=format_spec(EQUIVALENCE_LEVEL, "g", lang),
                                lo=coef(e["ci_low"], 3), hi=coef(e["ci_high"], 3),
                                inside=_TEXT[lang]["within" if e["equivalent"] else "not_within"],
                                bound=bound)))
        ps.append(p)
    p = max(ps) if len(ps) == 1 else min(ps)
    ok = all(q > NS_ALPHA for q in ps)
    negligible = all(e["equivalent"] for e, _ in equiv)
    p_eq = max(e["p"] for e, _ in equiv)
    row.update(p=float(p), n=int(n), status=MATCH if ok else DEVIATES, p_equivalence=float(p_eq),
               equivalence=NEGLIGIBLE if negligible else NOT_SHOWN)
    p_text = localize(format_p_text(p), lang)
    how = "; ".join(text for _, text in equiv) + f" (TOST {localize(format_p_text(p_eq), lang)})"
    if not ok:
        row["reproduced"] = ", ".join(texts) + f", {p_text}"
        row["reason"] = _t(lang, "ns_effect", p=p_text, alpha=localize(".05", lang))
    elif negligible:
        row["reproduced"] = ", ".join(texts) + f", n.s., {_TEXT[lang]['negligible']}"
        row["reason"] = _t(lang, "why_negligible", how=how)
    else:
        row["reproduced"] = ", ".join(texts) + f", n.s., {_TEXT[lang]['not_shown']}"
        row["reason"] = _t(lang, "why_not_shown", how=how)


def _do_diff(row, c, ctx):
    spec, lang = c["spec"], ctx.lang
    var, by, higher = spec["variable"], spec["by"], spec["higher"]
    _need_var(ctx.df, var, by)
    try:
        g = models.group_difference(ctx.df, var, by, codes=spec.get("codes"))
    except ValueError as exc:
        raise _NotReproducible("message", exc=str(exc)) from None
    if higher not in g["groups"]:
        raise _NotReproducible("no_group", by=by, group=higher)
    first, second = g["groups"]
    lower = second if higher == first else first
    # U counts the first group's wins: the claimed group has the higher mean rank when its side of U is
    # larger.
    half = g["n"][first] * g["n"][second] / 2
    mean_rank_higher = g["U"] > half if higher == first else g["U"] < half
    d = g["d"] if higher == second else -g["d"]
    p = g["p"]
    hi_n, lo_n = g["n"][higher], g["n"][lower]
    problems = []
    name = _group_name(by, higher, lang)
    d_text = format_spec(d, ".2f", lang)
    if "codes" in spec:
        s_hi, s_lo = g["share"][higher], g["share"][lower]
        text = _t(lang, "vs", hi=format_spec(s_hi, ".1f", lang), lo=format_spec(s_lo, ".1f", lang),
                  codes="-".join(map(str, [spec["codes"][0], spec["codes"][-1]])))
        value = s_hi - s_lo
        if not s_hi > s_lo:
            problems.append(_t(lang, "no_higher_share", name=name, text=text))
    else:
        text, value = f"d = {d_text}", d
    if not mean_rank_higher:
        problems.append(_t(lang, "no_higher_rank", name=name))
    if "small" in spec:
        if "codes" in spec:
            text += f", d = {d_text}"
        if not d > 0:
            problems.append(_t(lang, "no_higher_score", name=name, d=d_text))
        if not abs(d) < spec["small"]:
            problems.append(_t(lang, "not_small", d=format_spec(abs(d), ".2f", lang),
                               small=format_spec(spec["small"], "g", lang)))
    if c.get("p_max") is not None:
        p_text = localize(format_p_text(p), lang)
        text += f", {p_text}"
        if not p < c["p_max"]:
            problems.append(_t(lang, "mw", p=p_text, alpha=localize(format_alpha(c["p_max"]), lang)))
    row.update(value=float(value), p=float(p), n=int(hi_n + lo_n),
               reproduced=_t(lang, "diff_higher" if d > 0 else "diff_lower", name=name, text=text),
               status=DEVIATES if problems else MATCH, reason="; ".join(problems))


def _do_trend(row, c, ctx):
    spec = c["spec"]
    _need_var(ctx.df, spec["x"], spec["y"])
    x = ctx.df[spec["x"]]
    if spec["x"] == "age_group":
        order = {g[0]: i for i, g in enumerate(codebook.AGE_GROUPS)}
        x = x.map(lambda v: order.get(str(v), np.nan) if v is not None else np.nan)
    d = pd.DataFrame(
        {"x": pd.to_numeric(x, errors="coerce"), "y": pd.to_numeric(ctx.df[spec["y"]], errors="coerce")}
    )
    d = d.dropna()
    if d["x"].nunique() < 2 or d["y"].nunique() < 2:
        raise _NotReproducible("constant", x=spec["x"], y=spec["y"])
    rho, p = stats.spearmanr(d["x"], d["y"])
    ok = np.sign(rho) == np.sign(spec["sign"]) and p < _TREND_ALPHA
    lang = ctx.lang
    p_text = localize(format_p_text(p), lang)
    row.update(value=float(rho), p=float(p), n=int(len(d)), status=MATCH if ok else DEVIATES,
               reproduced=f"rho = {localize(format_coef(rho, 2), lang)}, {p_text}")
    if not ok:
        row["reason"] = _t(lang, "trend", rho=localize(format_coef(rho, 3), lang), p=p_text,
                           sign=_TEXT[lang]["negative" if spec["sign"] < 0 else "positive"],
                           alpha=localize(".05", lang))


_HANDLERS = {"n": _do_n, "mean": _do_moment, "sd": _do_moment, "share": _do_share, "bound": _do_bound,
             "beta": _do_beta, "r": _do_r, "ns": _do_ns, "diff": _do_diff, "trend": _do_trend}


def holm_family(items: list[dict]) -> set[str]:
    """The ids of the article's tests, which the Holm adjustment covers.

    A claim is one of the article's tests when the article prints a significance threshold for it
    (``p_max``: the betas, the correlations, a difference with "p < ...") or when it claims an absence of
    effect (``ns``: a test the article reports as not significant). Directions and bounds without a p are
    not; a trend or a difference whose p only this ledger computes is not either.
    """
    return {c["id"] for c in items if c.get("p_max") is not None or c["kind"] == "ns"}


def sector_of(edition) -> int | None:
    if edition is None:
        return None
    if isinstance(edition, (int, np.integer)):
        if int(edition) not in codebook.SECTORS:
            raise WerkError(f"edition {edition!r} is not a sector code (1-{len(codebook.SECTORS)})")
        return int(edition)
    text = str(edition).strip()
    if text.lower() in ("", "all", "full", "whole", "twin", "none"):
        return None
    if text.isdigit():
        return sector_of(int(text))
    try:
        return codebook.sector_code(text)
    except ValueError as exc:
        raise WerkError(str(exc)) from None


def ledger(df: pd.DataFrame, claims: list[dict] | None = None, edition=None, lang: str = "en"
           ) -> pd.DataFrame:
    """Compute every published claim from ``df``: one row per claim.

    Parameters
    ----------
    df : DataFrame
        Canonical analysis frame (as :func:`werk.inputs.data.load` returns it).
    claims : list of dict, optional
        From :func:`claims`; ``data/published.yml`` when omitted.
    edition : str or int, optional
        A sector (name or code) when ``df`` holds one sector only; None for the whole sample.
    lang : {"en", "nl"}
        The language of the texts (published, reproduced, reason); ids and statuses are codes in both.

    Returns
    -------
    DataFrame
        Columns id, kind, published, reproduced, value, p, n, status, reason, section,
        figure, table, p_holm (Holm-adjusted p over :func:`holm_family`, NaN elsewhere), equivalence
        (``"negligible"`` or ``"not shown negligible"`` for an ns claim, else empty) and
        p_equivalence. ``reproduced`` is the number rounded to the printed precision (shares
        in percent) or a short text; ``value`` the unrounded number or NaN. See the module
        docstring for the match rules.
    """
    if lang not in _TEXT:
        raise ValueError(f"lang must be 'en' or 'nl', not {lang!r}")
    # Kept (werk.core.memo): a page shows the ledger, or its own claims of it, up to four times, and the
    # Dutch run of the page computes the same; once per build for each frame, edition and language.
    return _ledger(df, None if claims is None else list(claims), sector_of(edition), lang)


@memo.kept()
def _ledger(df: pd.DataFrame, claims: list[dict] | None, sector, lang: str) -> pd.DataFrame:
    items = globals()["claims"]() if claims is None else validate(list(claims))
    ctx = _Context(_prepare(df), sector, lang)
    rows = []
    for c in items:
        row = _row(c, lang)
        try:
            _HANDLERS[c["kind"]](row, c, ctx)
        except _NotReproducible as exc:
            row.update(status=NOT_REPRODUCIBLE, reason=exc.reason(lang), reproduced="")
        if sector is not None and row["status"] != NOT_REPRODUCIBLE:
            name = codebook.SECTORS[sector][0]
            note = _t(lang, "edition", name=name)
            row["reason"] = f"{row['reason']}; {note}" if row["reason"] else note
        rows.append(row)
    family = holm_family(items)
    in_family = [i for i, r in enumerate(rows) if r["id"] in family and r["status"] != NOT_REPRODUCIBLE]
    adjusted = models.holm([rows[i]["p"] for i in in_family])
    for i, q in zip(in_family, adjusted):
        rows[i]["p_holm"] = float(q)
    out = pd.DataFrame(rows, columns=COLUMNS)
    for col in ("value", "p", "n", "p_holm", "p_equivalence"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
    out["n"] = out["n"].astype("Int64")
    return out


def tests_summary(table: pd.DataFrame, claims_list: list[dict] | None = None) -> dict[str, int]:
    """Counts over the article's tests in a (checked) ledger, for the ledger page's prose.

    ``ns``: claims of no effect computed here (suppressed and not reproducible ones left out), of them
    ``negligible``, ``not_shown`` (n.s. but not shown negligible) and ``ns_deviates`` (significant here);
    ``effects``: claims with a printed threshold computed here, of them ``effects_holm`` whose
    Holm-adjusted p is still below the printed threshold.
    """
    by = {c["id"]: c for c in (claims_list or claims())}
    shown = table[table["status"].isin(STATUSES) & (table["status"] != NOT_REPRODUCIBLE)]
    ns = shown[shown["kind"] == "ns"]
    effects = shown[[by.get(i, {}).get("p_max") is not None for i in shown["id"]]]
    holm_ok = [bool(q < by[i]["p_max"]) for i, q in zip(effects["id"], effects["p_holm"]) if pd.notna(q)]
    return {
        "ns": int(len(ns)),
        "negligible": int(((ns["status"] == MATCH) & (ns["equivalence"] == NEGLIGIBLE)).sum()),
        "not_shown": int(((ns["status"] == MATCH) & (ns["equivalence"] == NOT_SHOWN)).sum()),
        "ns_deviates": int((ns["status"] == DEVIATES).sum()),
        "effects": int(len(effects)),
        "effects_holm": int(sum(holm_ok)),
    }


def summary(table: pd.DataFrame) -> str:
    """One line: "62 match, 4 deviate, 2 not reproducible" (and ", 3 suppressed" when any are)."""
    counts = table["status"].value_counts()
    line = (f"{counts.get(MATCH, 0)} match, {counts.get(DEVIATES, 0)} deviate, "
            f"{counts.get(NOT_REPRODUCIBLE, 0)} not reproducible")
    return line + (f", {counts['suppressed']} suppressed" if counts.get("suppressed", 0) else "")


def to_text(table: pd.DataFrame, claims_list: list[dict] | None = None, width: int = 70) -> str:
    """An aligned plain-text table of the ledger with the summary line under it."""
    by = {c["id"]: c for c in (claims_list or claims())}
    header = ["id", "kind", "published", "reproduced", "p", "n", "status", "reason"]
    lines = []
    for r in table.itertuples(index=False):
        c = by.get(r.id, {"kind": r.kind, "precision": 0})
        reason = r.reason if len(r.reason) <= width else r.reason[: width - 1] + "…"
        lines.append([r.id, r.kind, format_value(c, r.published), format_value(c, r.reproduced),
                      format_p(r.p), "" if pd.isna(r.n) else str(int(r.n)), r.status, reason])
    widths = [max(len(h), *(len(x[i]) for x in lines)) if lines else len(h) for i, h in enumerate(header)]
    right = {"published", "reproduced", "p", "n"}

    def fmt(cells):
        return "  ".join(cell.rjust(w) if h in right else cell.ljust(w)
                         for h, cell, w in zip(header, cells, widths)).rstrip()

    body = [fmt(header), fmt(["-" * w for w in widths])] + [fmt(x) for x in lines]
    return "\n".join(body + ["", summary(table)])
