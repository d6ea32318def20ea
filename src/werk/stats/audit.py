"""Audit of the article's own numbers: can everything it prints be true at once?

Arithmetic on ``data/published.yml`` and the sample size; data are optional. Each finding is
a question about the printed numbers with its worked arithmetic, a verdict (``"consistent"``:
the numbers can all hold; ``"question"``: only under conditions a reader would want to see,
or not at all) and ``can_fail`` (False for a check that nothing unprinted could fail at this
N; those are shown apart and not counted).

Checks
------
* **Betas with a p-threshold, collinearity included.** For a standardized OLS coefficient
  ``se_j = sqrt((1 - R²) / ((N - k - 1)(1 - R²_j)))`` with ``k`` predictors and ``R²_j`` the
  R² of predictor ``j`` on the others, i.e. ``se_j = sqrt((1 - R²) VIF_j / (N - k - 1))``.
  ``p < p_max`` needs ``|β| / se_j > t_crit`` (two-sided, ``N - k - 1`` df), hence
  ``VIF_j < β² (N - k - 1) / (t_crit² (1 - R²))`` (:func:`max_vif`) and, for a given VIF,
  ``R² > 1 - β² (N - k - 1) / (t_crit² VIF_j)`` (:func:`min_r2`). Both are given at the
  printed value and at the most favourable rounding edge (``.04`` may be ``.045``). The VIF
  is the data's when a frame is given (:func:`data_vif`), otherwise the least the article's
  own correlations allow (:func:`vif_floor`); a pair that then needs R² above
  :data:`R2_PLAUSIBLE` is a question. :func:`beta_reason` is the ledger's reason when a
  fitted beta matches its printed value but misses the printed p.
* **Mediation** (:func:`mediation`): the article's "older workers keep up less well because
  they rate their employability lower", in its own numbers.
* **Correlations.** The smallest ``|r|`` significant at ``p_max``:
  ``t_crit / sqrt(N - 2 + t_crit²)``.
* **Percentages against N.** The step ``1/N``, and the counts ``c`` with ``c/N`` rounding
  to the printed percent (GRIM-style).
* **Tables summing to 100 %** (Table 1, Table 2, threat and keep-up answers).
* **Mean and SD against the range** (Bhatia–Davis): ``SD² ≤ (max - mean)(mean - min)``.

Every function that writes a question, an arithmetic or a reason takes ``lang`` (``"en"``, ``"nl"``): the
texts and their numbers in that language's style (:func:`werk.core.fmt.format_spec`); ids and verdicts are
codes in both.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
from scipy import stats

from werk.core import codebook
from werk.core.fmt import format_alpha, format_coef, format_spec, localize
from werk.inputs.claims import claims as load_claims
from werk.inputs.claims import term_name
from werk.stats import models, robust
from werk.stats.robust import VIF_CONCERN

__all__ = [
    "N",
    "R2_PLAUSIBLE",
    "RANGES",
    "MEDIATION_DIRECT",
    "MEDIATION_PATHS",
    "MEDIATION_MAJOR",
    "n_predictors",
    "t_critical",
    "max_vif",
    "min_r2",
    "min_beta",
    "rounding_edges",
    "vif_floor",
    "data_vif",
    "data_vifs",
    "collinearity",
    "collinearity_table",
    "beta_finding",
    "beta_reason",
    "mediation",
    "mediation_finding",
    "tallies",
    "r_finding",
    "share_finding",
    "table_findings",
    "spread_finding",
    "audit",
]

#: The article's sample size ("In totaal hebben 5.391 respondenten").
N = 5391
#: A model of one five-point attitude item that explains more than half its variance would be
#: remarkable in a staff survey; above this the required R² is flagged as a question.
R2_PLAUSIBLE = 0.5
#: Plausible ranges for the mean/SD checks: (low, high, why).
RANGES: dict[str, tuple[float, float, str]] = {
    "contract_hours": (0, 40, "a contract week in Dutch government runs to 36-40 hours"),
    "years_in_government": (0, 52, "a working life from 15 to 67"),
    "years_in_function": (0, 52, "a working life from 15 to 67"),
}
_RANGES_NL = {
    "contract_hours": "een contractweek bij de Nederlandse overheid telt 36 tot 40 uur",
    "years_in_government": "een werkzaam leven van 15 tot 67 jaar",
    "years_in_function": "een werkzaam leven van 15 tot 67 jaar",
}
#: Printed correlations' variables that are combinations of model predictors (see :func:`vif_floor`).
_PARTS = {"hrm_leadership": ("hrm_quality", "leadership")}
_COLUMNS = ["id", "question", "arithmetic", "verdict", "can_fail"]


def n_predictors(model: str) -> int:
    """Number of predictors ``k`` of a model in :data:`werk.stats.models.MODELS`, sector dummies included."""
    _, predictors, sectors = models.MODELS[model]
    return len(predictors) + (len(codebook.SECTORS) - 1 if sectors else 0)


def _half_up(x: float, decimals: int) -> float:
    q = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(float(x))).quantize(q, rounding=ROUND_HALF_UP))


def t_critical(p_max: float, n: int, k: int) -> float:
    """Two-sided critical t of ``p < p_max`` on ``n - k - 1`` degrees of freedom."""
    return float(stats.t.ppf(1 - p_max / 2, n - k - 1))


def max_vif(beta: float, p_max: float, n: int, k: int, r2: float = 0.0) -> float:
    """The largest VIF of its predictor at which a standardized ``beta`` still reaches ``p < p_max``.

    From ``|β| / se_j > t_crit`` with ``se_j = sqrt((1 - R²) VIF_j / (n - k - 1))``:
    ``VIF_j < β² (n - k - 1) / (t_crit² (1 - R²))``. The model R² enters as ``1 / (1 - R²)``: at
    ``r2 = 0`` (the default, the least favourable R²) the bound holds whatever R² the model has.
    """
    return beta**2 * (n - k - 1) / (t_critical(p_max, n, k) ** 2 * (1 - r2))


def min_r2(beta: float, p_max: float, n: int, k: int, vif: float = 1.0) -> float:
    """The smallest model R² at which ``beta`` reaches ``p < p_max`` when its predictor has VIF ``vif``.

    ``1 - β² (n - k - 1) / (t_crit² VIF)``; zero or below means any R² will do.
    """
    return 1 - beta**2 * (n - k - 1) / (t_critical(p_max, n, k) ** 2 * vif)


def min_beta(p_max: float, n: int, k: int, r2: float = 0.0, vif: float = 1.0) -> float:
    """The smallest |β| that reaches ``p < p_max`` at model R² ``r2`` and VIF ``vif``."""
    return t_critical(p_max, n, k) * math.sqrt((1 - r2) * vif / (n - k - 1))


def rounding_edges(value: float, precision: int) -> tuple[float, float]:
    """(smallest, largest) |β| that print as ``value``: ``|value|`` ∓ half a unit of the last digit.

    The larger is the most favourable reading for reaching a p threshold; the smaller the least.
    """
    h = 0.5 * 10 ** (-precision)
    return max(abs(value) - h, 0.0), abs(value) + h


def required_r2(beta: float, p_max: float, n: int, k: int) -> tuple[float, float, float]:
    """(t_crit, se needed, R² needed) for a standardized beta to reach p < p_max with R²_j = 0."""
    t_crit = t_critical(p_max, n, k)
    return t_crit, abs(beta) / t_crit, min_r2(beta, p_max, n, k)


def vif_floor(claim: dict, claims: list[dict]) -> tuple[float, str | None]:
    """The smallest VIF of a beta's predictor that the article's own printed correlations allow.

    ``R²_j`` (predictor j on the model's other predictors) is at least the squared correlation of j with
    any other predictor or any linear combination of them; ``hrm_leadership``, the mean of
    ``hrm_quality`` and ``leadership``, is one. The largest printed ``|r|`` of j with such a variable,
    read at its rounding edge nearest zero, gives ``VIF_j ≥ 1 / (1 - r²)``.

    Returns
    -------
    tuple
        (floor, id of the correlation it comes from); ``(1.0, None)`` when the article prints none.
    """
    spec = claim["spec"]
    term = spec["term"]
    predictors = models.MODELS[spec["model"]][1]
    best: tuple[float, str | None] = (1.0, None)
    for c in claims:
        if c["kind"] != "r" or c.get("value") is None or term not in (c["spec"]["x"], c["spec"]["y"]):
            continue
        other = c["spec"]["y"] if c["spec"]["x"] == term else c["spec"]["x"]
        parts = _PARTS.get(other, (other,))
        if other == term or not all(p in predictors and p != term for p in parts):
            continue
        r_low = rounding_edges(c["value"], c.get("precision", 2))[0]
        if 1 / (1 - r_low**2) > best[0]:
            best = (1 / (1 - r_low**2), c["id"])
    return best


def data_vif(df: pd.DataFrame, model: str) -> pd.DataFrame:
    """The VIF of every term of one of the article's models in ``df``, on the cases :func:`models.fit` uses.

    :func:`werk.stats.robust.design_vif` computes it; the weight column is left out first, because
    that function keeps only weighted cases when a frame has one and :func:`models.fit` (unweighted)
    does not.
    """
    outcome, predictors, sectors = models.MODELS[model]
    return robust.design_vif(df.drop(columns=["weight"], errors="ignore"), outcome, predictors, sectors)


def data_vifs(df: pd.DataFrame, names=None) -> dict[str, pd.DataFrame]:
    """:func:`data_vif` of each model in ``names`` (all of :data:`werk.stats.models.MODELS` by default) that
    ``df`` can fit; a model whose columns the data lack is left out."""
    out = {}
    for name in names or models.MODELS:
        try:
            out[name] = data_vif(df, name)
        except (KeyError, ValueError):
            continue
    return out


def _needs(r2: float, lang: str = "en") -> str:
    if lang == "nl":
        return "volstaat elke R²" if r2 <= 0 else f"is R² > {format_spec(r2, '.3f', lang)} nodig"
    return "any R² will do" if r2 <= 0 else f"it needs R² > {r2:.3f}"


def _vif_text(v: float, lang: str = "en") -> str:
    return "∞" if math.isinf(v) else format_spec(v, ".2f", lang)


def collinearity(
    claim: dict, n: int = N, k: int | None = None, vif: float | None = None, r2: float | None = None,
    floor: tuple[float, str | None] = (1.0, None),
) -> dict:
    """The collinearity-aware bounds of one printed (β, p) pair, as numbers.

    Parameters
    ----------
    claim : dict
        A ``beta`` claim with a ``p_max``.
    n, k : int
        Cases and predictors (``k`` from the claim's model, sector dummies included, by default).
    vif, r2 : float, optional
        The VIF of the claim's predictor and the model R² that some data show.
    floor : tuple
        :func:`vif_floor` of the claim: the VIF the article's own correlations imply.

    Returns
    -------
    dict
        ``beta``, ``p_max``, ``k``, ``df``, ``edge`` (the most favourable |β|) and ``low`` (the least);
        ``vif_max`` and ``vif_max_edge`` (the largest VIF at R² = 0, printed and at the edge);
        ``r2_min`` and ``r2_min_edge`` (the smallest R² at VIF = 1); ``vif_floor``, ``floor_id``;
        ``vif`` and ``r2`` (the data's, or NaN); ``vif_max_data_r2`` (the largest VIF at the data's
        R², at the edge) and ``r2_min_data_vif`` (the smallest R² at the data's VIF, at the edge);
        ``vif_used`` (the data's VIF, else the floor) and ``r2_needed`` (the smallest R² at the edge
        and ``vif_used``); ``verdict`` ("question" when ``r2_needed`` > :data:`R2_PLAUSIBLE`) and
        ``can_fail`` (False when even the smallest |β| that prints so reaches p at R² = 0 with a VIF
        of :data:`werk.stats.robust.VIF_CONCERN`).
    """
    beta, p_max, prec = claim["value"], claim["p_max"], claim.get("precision", 2)
    k = n_predictors(claim["spec"]["model"]) if k is None else k
    low, edge = rounding_edges(beta, prec)
    nan = math.nan
    has_data = vif is not None and r2 is not None
    vif_used = float(vif) if vif is not None else floor[0]
    out = {
        "id": claim["id"], "beta": beta, "precision": prec, "p_max": p_max, "n": n, "k": k,
        "df": n - k - 1, "low": low, "edge": edge,
        "vif_max": max_vif(beta, p_max, n, k), "vif_max_edge": max_vif(edge, p_max, n, k),
        "r2_min": min_r2(beta, p_max, n, k), "r2_min_edge": min_r2(edge, p_max, n, k),
        "vif_floor": floor[0], "floor_id": floor[1],
        "vif": float(vif) if vif is not None else nan, "r2": float(r2) if r2 is not None else nan,
        "vif_max_data_r2": max_vif(edge, p_max, n, k, r2) if has_data else nan,
        "r2_min_data_vif": min_r2(edge, p_max, n, k, vif) if vif is not None else nan,
        "vif_used": vif_used, "r2_needed": min_r2(edge, p_max, n, k, vif_used),
    }
    out["verdict"] = "question" if out["r2_needed"] > R2_PLAUSIBLE else "consistent"
    out["can_fail"] = max_vif(low, p_max, n, k) < VIF_CONCERN
    return out


def _numbers(lang: str):
    """(number, coefficient, threshold) formatters in the style of ``lang``: ``format(x, spec)``, APA
    coefficients (".04"; Dutch "0,04") and thresholds (".001"; Dutch "0,001")."""
    return (lambda x, spec: format_spec(x, spec, lang), lambda x, d: localize(format_coef(x, d), lang),
            lambda a: localize(format_alpha(a), lang))


#: The texts of the beta, r, share, table and spread checks, per language (str.format templates).
_TEXT = {
    "en": {
        "floor": ("N = {n}, k = {k}, df = {df}; with R² = 0 and R²_j = 0, se ≥ sqrt(1/{df}) = {se}, "
                  "so |t| ≤ {b}/{se} = {t} (p ≥ {p})"),
        "needs_t": "p < {alpha} needs |t| > {t}, i.e. se < {se}, i.e. 1 - R² < {b}² × {df} / {t}² = {x}",
        "any_r2": "any R² will do with uncorrelated predictors (VIF = 1)",
        "r2_even": "R² > {r2} even with uncorrelated predictors (R² > {r2e} at the rounding edge |β| = "
                   "{edge})",
        "vif": ("a correlated predictor multiplies se by sqrt(VIF): at R² = 0 the pair allows VIF ≤ {v} "
                "({ve} at "
                "|β| = {edge}), and a model R² multiplies that by 1/(1 - R²)"),
        "floor_id": "the article's own {fid} makes this predictor's VIF at least {v}, at which {needs} at "
                    "|β| = {edge}",
        "data": ("these data: VIF {vif}, model R² = {r2}; at that R² the pair allows VIF ≤ {v}, and at that "
                 "VIF "
                 "{needs} (both at |β| = {edge})"),
        "fit_r2": "this fit has R² = {r2}",
        "cannot_fail": ("even |β| = {low} reaches p < {alpha} at R² = 0 with VIF {c}: the check cannot fail "
                        "at this "
                        "N short of a collinearity problem"),
        "where_data": "these data's", "where_article": "the article's", "where_none": "no",
        "need": ", which needs a model R² above {r2} at {where} collinearity and the most favourable "
                "rounding?",
        "question": "Can a standardized beta of {b} reach p < {alpha} at N = {n} with {k} predictors{need}",
        "reason": ("p < {alpha} at β {b} and N = {n} needs VIF ≤ {v} (R² = 0; ≤ {vd} at this fit's R² = "
                   "{r2} and the "
                   "rounding edge |β| = {edge}); these data have VIF {vif}"),
        "reason_no": ": no β that prints as {b} reaches p < {alpha} with this collinearity and R²{below}",
        "reason_below": " (and no predictor's VIF is below 1)",
        "reason_fitted": "the fitted |β| = {b} is", "reason_fitted_any": "the fitted |β| is",
        "reason_within": ", within that bound: {fitted} below the {need} that p < {alpha} needs at this "
                         "VIF and R²",
        "r": "N = {n}, df = {df}: p < {alpha} needs |t| > {t}, i.e. |r| > {t}/sqrt({df} + {t}²) = {r}; "
             "printed |r| = {c}",
        "r_question": "Is r = {c} significant at p < {alpha} with N = {n}?",
        "share_note": ("; the step is smaller than the printed resolution {res}, so at N = {n} every "
                       "printed percent "
                       "has a matching count: the check cannot fail here"),
        "share": "step 100/{n} = {step} points; counts {c0}–{c1} of {n} ({m} values) print as {v}%{note}",
        "share_none": "step 100/{n} = {step} points; no count of {n} prints as {v}%",
        "share_question": "Is {v}% a possible share of {n} respondents?",
        "total": "{terms} = {s}; with each share rounded, the true total lies within ±{slack} of that",
        "total_question": "Do the shares of {what} add up to 100%?",
        "table1": "Table 1 (age groups)", "table2": "Table 2 (sectors)",
        "table1_note": "the table has no group under 25, so at most 2.5% of respondents can be younger",
        "fig1_question": "Do the threat answers ({t1}%, {t2}%, 'bijna 20%') add up to 100%?",
        "fig1": ("100 - {t1} - {t2} = {i} (between {lo} and {hi} given rounding) for answers 3-5, which fits "
                 "'bijna 20%' read as {above} to {below}%"),
        "fig3": "100 - {k4} - {k5} = {rest}% for answers 1-3",
        "fig3_old": ("; with {old}% of respondents 55 or over and more than {floor}% of them at answers "
                     "2-3, the "
                     "under-55s can have at most {younger}% at answers 1-3"),
        "fig3_question": "Do the keep-up shares leave room for the rest of the answers and for Figure 4?",
        "spread": ("in [{lo}, {hi}] ({why}) the SD can be at most √(({hi} − {mean}) × ({mean} − {lo})) = {m} "
                   "(Bhatia–Davis; {mb} at the most favourable rounding); printed SD {sd}"),
        "spread_no": "; mean {mean} with SD {sd} needs values up to at least {h}",
        "spread_question": "Can a mean of {mean} have an SD of {sd} when {var} lies in [{lo}, {hi}]?",
    },
    "nl": {
        "floor": ("N = {n}, k = {k}, df = {df}; bij R² = 0 en R²_j = 0 is se ≥ √(1/{df}) = {se}, "
                  "dus |t| ≤ {b}/{se} = {t} (p ≥ {p})"),
        "needs_t": "p < {alpha} vraagt |t| > {t}, dus se < {se}, dus 1 − R² < {b}² × {df} / {t}² = {x}",
        "any_r2": "met ongecorreleerde voorspellers (VIF = 1) volstaat elke R²",
        "r2_even": ("R² > {r2}, zelfs met ongecorreleerde voorspellers (R² > {r2e} bij de afrondingsgrens "
                    "|β| = {edge})"),
        "vif": ("een gecorreleerde voorspeller vermenigvuldigt se met √VIF: bij R² = 0 laat het paar VIF ≤ "
                "{v} toe "
                "({ve} bij |β| = {edge}), en een R² van het model vermenigvuldigt die grens met 1/(1 − R²)"),
        "floor_id": ("de eigen `{fid}` van het artikel maakt de VIF van deze voorspeller minstens {v}; "
                     "daarbij "
                     "{needs} bij |β| = {edge}"),
        "data": ("deze data: VIF {vif}, R² van het model = {r2}; bij die R² laat het paar VIF ≤ {v} toe, en "
                 "bij die "
                 "VIF {needs} (beide bij |β| = {edge})"),
        "fit_r2": "deze schatting heeft R² = {r2}",
        "cannot_fail": ("zelfs |β| = {low} haalt p < {alpha} bij R² = 0 en VIF {c}: bij deze N kan de "
                        "controle "
                        "alleen mislukken door een collineariteitsprobleem"),
        "where_data": "de collineariteit van deze data", "where_article": "de collineariteit die het "
                                                                          "artikel zelf "
        "aangeeft", "where_none": "geen collineariteit",
        "need": ", waarvoor bij {where} en de gunstigste afronding een R² van het model boven {r2} nodig is?",
        "question": "Kan een gestandaardiseerde bèta van {b} bij N = {n} en {k} voorspellers p < {alpha} "
                    "halen{need}",
        "reason": ("p < {alpha} bij β {b} en N = {n} vraagt VIF ≤ {v} (R² = 0; ≤ {vd} bij de R² = {r2} van "
                   "deze "
                   "schatting en de afrondingsgrens |β| = {edge}); deze data hebben VIF {vif}"),
        "reason_no": ": geen β die als {b} gedrukt wordt, haalt p < {alpha} bij deze collineariteit en "
                     "R²{below}",
        "reason_below": " (en de VIF van een voorspeller is nooit kleiner dan 1)",
        "reason_fitted": "de geschatte |β| = {b} ligt", "reason_fitted_any": "de geschatte |β| ligt",
        "reason_within": ", binnen die grens: {fitted} onder de {need} die p < {alpha} bij deze VIF en R² "
                         "vraagt",
        "r": ("N = {n}, df = {df}: p < {alpha} vraagt |t| > {t}, dus |r| > {t}/√({df} + {t}²) = {r}; "
              "gedrukt is "
              "|r| = {c}"),
        "r_question": "Is r = {c} significant bij p < {alpha} met N = {n}?",
        "share_note": ("; de stap is kleiner dan de gedrukte precisie {res}, dus bij N = {n} hoort bij elk "
                       "gedrukt "
                       "percentage een aantal: de controle kan hier niet mislukken"),
        "share": "stap 100/{n} = {step} procentpunt; de aantallen {c0}–{c1} van {n} ({m} waarden) geven "
                 "afgerond {v}%{note}",
        "share_none": "stap 100/{n} = {step} procentpunt; geen aantal van {n} geeft afgerond {v}%",
        "share_question": "Is {v}% een mogelijk aandeel van {n} respondenten?",
        "total": "{terms} = {s}; omdat elk aandeel is afgerond, ligt het ware totaal binnen ±{slack} daarvan",
        "total_question": "Tellen de aandelen van {what} op tot 100%?",
        "table1": "tabel 1 (leeftijdsgroepen)", "table2": "tabel 2 (sectoren)",
        "table1_note": "de tabel heeft geen groep onder de 25, dus hooguit 2,5% van de respondenten kan "
                       "jonger zijn",
        "fig1_question": "Tellen de antwoorden op de bedreigingsvraag ({t1}%, {t2}%, ‘bijna 20%’) op tot "
                         "100%?",
        "fig1": ("100 − {t1} − {t2} = {i} (door de afronding tussen {lo} en {hi}) voor de antwoorden 3-5, "
                 "wat past "
                 "bij ‘bijna 20%’ gelezen als {above} tot {below}%"),
        "fig3": "100 − {k4} − {k5} = {rest}% voor de antwoorden 1-3",
        "fig3_old": ("; met {old}% van de respondenten 55 of ouder en meer dan {floor}% van hen bij de "
                     "antwoorden "
                     "2-3 kunnen de respondenten onder de 55 hooguit {younger}% bij de antwoorden 1-3 "
                     "hebben"),
        "fig3_question": "Laten de aandelen voor bijbenen ruimte voor de overige antwoorden en voor figuur "
                         "4?",
        "spread": ("in [{lo}; {hi}] ({why}) kan de SD hooguit √(({hi} − {mean}) × ({mean} − {lo})) = {m} "
                   "zijn "
                   "(Bhatia–Davis; {mb} bij de gunstigste afronding); gedrukt is SD {sd}"),
        "spread_no": "; een gemiddelde van {mean} met SD {sd} vraagt waarden tot minstens {h}",
        "spread_question": ("Kan een gemiddelde van {mean} een SD van {sd} hebben als de waarden ({var}) in "
                            "[{lo}; {hi}] liggen?"),
    },
}


def beta_finding(
    claim: dict, n: int = N, k: int | None = None, r2: float | None = None, vif: float | None = None,
    floor: tuple[float, str | None] = (1.0, None), lang: str = "en",
) -> dict:
    """The beta/p arithmetic for one ``beta`` claim with a ``p_max``, collinearity included.

    Parameters
    ----------
    claim : dict
        A claim from :func:`werk.stats.ledger.claims` (kind ``beta``).
    n : int
        Number of cases (the article's N by default).
    k : int, optional
        Number of predictors; by default from the claim's model, sector dummies included.
    r2, vif : float, optional
        The model R² and the predictor's VIF that some data show; with both, the verdict reads the
        pair at the data's VIF (see :func:`collinearity`).
    floor : tuple
        :func:`vif_floor`: the VIF the article's own correlations imply, used when no data are given.
    lang : {"en", "nl"}
        The language of the question and the arithmetic (numbers in its style).

    Returns
    -------
    dict
        id, question, arithmetic, verdict, can_fail, and ``r2_needed`` (the R² the printed value needs
        at VIF = 1, the uncorrelated case).
    """
    T, (num, coef, thr) = _TEXT[lang], _numbers(lang)
    beta, p_max, prec = claim["value"], claim["p_max"], claim.get("precision", 2)
    b = collinearity(claim, n, k, vif=vif, r2=r2, floor=floor)
    k, df = b["k"], b["df"]
    se_floor = math.sqrt(1 / df)
    t_max = abs(beta) / se_floor
    p_at_floor = float(2 * stats.t.sf(t_max, df))
    t_crit, se_needed, r2_needed = required_r2(beta, p_max, n, k)
    edge, alpha = num(b["edge"], ".3f"), thr(p_max)
    se, t = num(se_floor, ".4f"), num(t_crit, ".3f")
    parts = [
        T["floor"].format(n=num(n, ","), k=k, df=df, se=se, b=coef(abs(beta), prec), t=num(t_max, ".2f"),
                          p=num(p_at_floor, ".2g")),
        T["needs_t"].format(alpha=alpha, t=t, se=num(se_needed, ".5f"), b=coef(beta, prec), df=df,
                            x=num(1 - r2_needed, ".3f")),
    ]
    if r2_needed <= 0:
        parts.append(T["any_r2"])
    else:
        parts.append(T["r2_even"].format(r2=num(r2_needed, ".3f"), r2e=num(b["r2_min_edge"], ".3f"),
                                         edge=edge))
    parts.append(T["vif"].format(v=num(b["vif_max"], ".2f"), ve=num(b["vif_max_edge"], ".2f"), edge=edge))
    if b["floor_id"] is not None:
        parts.append(T["floor_id"].format(fid=b["floor_id"], v=num(b["vif_floor"], ".2f"), edge=edge,
                                          needs=_needs(min_r2(b["edge"], p_max, n, k, b["vif_floor"]), lang)))
    if vif is not None and r2 is not None:
        parts.append(T["data"].format(vif=_vif_text(vif, lang), r2=num(r2, ".3f"),
                                      v=num(b["vif_max_data_r2"], ".2f"),
                                      needs=_needs(b["r2_min_data_vif"], lang),
                                      edge=edge))
    elif r2 is not None:
        parts.append(T["fit_r2"].format(r2=num(r2, ".3f")))
    if not b["can_fail"]:
        parts.append(T["cannot_fail"].format(low=num(b["low"], ".3f"), alpha=alpha, c=num(VIF_CONCERN, "g")))
    where = T["where_data"] if vif is not None and r2 is not None else (
        T["where_article"] if b["floor_id"] is not None else T["where_none"])
    need = T["need"].format(r2=coef(b["r2_needed"], 2), where=where) if b["r2_needed"] > 0 else "?"
    question = T["question"].format(b=coef(beta, prec), alpha=alpha, n=num(n, ","), k=k, need=need)
    return {"id": claim["id"], "question": question, "arithmetic": "; ".join(parts), "verdict": b["verdict"],
            "can_fail": b["can_fail"], "r2_needed": r2_needed}


def beta_reason(
    claim: dict, n: int, k: int, r2: float, vif: float, beta: float | None = None, lang: str = "en"
) -> str:
    """Why a beta that prints as the article's can miss its p threshold in a fit: the collinearity arithmetic.

    This is what the ledger calls when a fitted beta rounds to the printed value but its p is not below
    the printed threshold. The fitted p is exactly ``2 t_sf(|β| / sqrt((1 - R²) VIF / (n - k - 1)))``,
    so the reason names the largest VIF the printed pair allows (at R² = 0 and at the fit's R², at the
    most favourable rounding edge) beside the fit's VIF.

    Parameters
    ----------
    claim : dict
        The ``beta`` claim (value, precision, p_max).
    n, k : int
        The fit's cases and predictors.
    r2 : float
        The fit's model R².
    vif : float
        The VIF of the claim's predictor in the fit (:func:`data_vif`).
    beta : float, optional
        The fitted beta; named in the reason when the VIF alone does not rule the printed p out.
    lang : {"en", "nl"}
        The language of the reason.

    Returns
    -------
    str
        E.g. "p < .001 at β −.06 and N = 4,912 needs VIF ≤ 1.78 (R² = 0; ≤ 2.61 at this fit's R² = .32 and the
        rounding edge |β| = .065); these data have VIF 2.31: no β that prints as −.06 reaches p < .001
        with this collinearity".
    """
    T, (num, coef, thr) = _TEXT[lang], _numbers(lang)
    b = collinearity(claim, n, k, vif=vif, r2=r2)
    prec, alpha = b["precision"], thr(b["p_max"])
    printed = coef(b["beta"], prec)
    text = T["reason"].format(alpha=alpha, b=printed, n=num(n, ","), v=num(b["vif_max"], ".2f"),
                              vd=num(b["vif_max_data_r2"], ".2f"), r2=coef(r2, 2),
                              edge=coef(b["edge"], prec + 1),
                              vif=_vif_text(vif, lang))
    if vif >= b["vif_max_data_r2"]:
        below = T["reason_below"] if b["vif_max_data_r2"] < 1 else ""
        return text + T["reason_no"].format(b=printed, alpha=alpha, below=below)
    need = min_beta(b["p_max"], n, k, r2, vif)
    fitted = (T["reason_fitted"].format(b=num(abs(beta), ".4f")) if beta is not None
              else T["reason_fitted_any"])
    return text + T["reason_within"].format(fitted=fitted, need=num(need, ".4f"), alpha=alpha)


def r_finding(claim: dict, n: int = N, lang: str = "en") -> dict:
    """The smallest |r| significant at the claim's p_max for ``n`` cases (texts in ``lang``)."""
    T, (num, coef, thr) = _TEXT[lang], _numbers(lang)
    r, p_max, prec = claim["value"], claim["p_max"], claim.get("precision", 2)
    df = n - 2
    t_crit = float(stats.t.ppf(1 - p_max / 2, df))
    r_min = t_crit / math.sqrt(df + t_crit**2)
    ok = abs(r) + 0.5 * 10 ** (-prec) > r_min
    arithmetic = T["r"].format(n=num(n, ","), df=df, alpha=thr(p_max), t=num(t_crit, ".3f"),
                               r=num(r_min, ".4f"),
                               c=coef(abs(r), prec))
    return {"id": claim["id"],
            "question": T["r_question"].format(c=coef(r, prec), alpha=thr(p_max), n=num(n, ",")),
            "arithmetic": arithmetic, "verdict": "consistent" if ok else "question", "can_fail": True}


def share_finding(claim: dict, n: int = N, lang: str = "en") -> dict:
    """GRIM-style: which whole counts out of ``n`` print as the claimed percent? (texts in ``lang``)"""
    T, (num, _, _) = _TEXT[lang], _numbers(lang)
    v, prec = claim["value"], claim.get("precision", 0)
    half = 0.5 * 10 ** (-prec)
    lo = math.ceil((v - half) * n / 100 - 1e-9)
    hi = math.floor((v + half) * n / 100 - 1e-9)
    counts = [c for c in range(max(lo - 1, 0), hi + 2) if _half_up(100 * c / n, prec) == v]
    step = 100 / n
    resolution = 10 ** (-prec)
    nn, vv, step_text = num(n, ","), num(v, "g"), num(step, ".4f")
    if counts and step < resolution:
        arithmetic_note = T["share_note"].format(res=num(resolution, "g"), n=nn)
    else:
        arithmetic_note = ""
    if counts:
        arithmetic = T["share"].format(n=nn, step=step_text, c0=counts[0], c1=counts[-1], m=len(counts), v=vv,
                                       note=arithmetic_note)
    else:
        arithmetic = T["share_none"].format(n=nn, step=step_text, v=vv)
    return {"id": claim["id"], "question": T["share_question"].format(v=vv, n=nn),
            "arithmetic": arithmetic, "verdict": "consistent" if counts else "question",
            "can_fail": step >= resolution}


def _by_id(claims: list[dict]) -> dict[str, dict]:
    return {c["id"]: c for c in claims}


def table_findings(claims: list[dict], lang: str = "en") -> list[dict]:
    """Do the printed tables and answer distributions sum to 100 % within rounding? (texts in ``lang``)"""
    T, (num, _, _) = _TEXT[lang], _numbers(lang)
    by = _by_id(claims)
    out = []

    def total(table_id: str, ids: list[str], what: str, note: str = "") -> None:
        present = [by[i] for i in ids if i in by]
        if not present:
            return
        s = sum(c["value"] for c in present)
        slack = sum(0.5 * 10 ** (-c.get("precision", 0)) for c in present)
        terms = " + ".join(num(c["value"], "g") for c in present)
        ok = abs(s - 100) <= slack + 1e-9
        arithmetic = (T["total"].format(terms=terms, s=num(s, "g"), slack=num(slack, "g"))
                      + (f"; {note}" if note else ""))
        out.append({"id": table_id, "question": T["total_question"].format(what=what),
                    "arithmetic": arithmetic, "verdict": "consistent" if ok else "question",
                    "can_fail": True})

    total("table:1", [f"share:age_group={g[0]}" for g in codebook.AGE_GROUPS], T["table1"], T["table1_note"])
    total("table:2", [f"share:sector={c}" for c in codebook.SECTORS], T["table2"])

    # Threat (figure 1): only answers 1 and 2 have a number; the rest is 'bijna 20%'.
    t1, t2, rest = by.get("share:threat=1"), by.get("share:threat=2"), by.get("bound:threat=3-5")
    if t1 and t2 and rest:
        implied = 100 - t1["value"] - t2["value"]
        h = 0.05 * 2
        below, above = rest["spec"].get("below", 100), rest["spec"].get("above", 0)
        ok = above <= implied + h and implied - h < below
        out.append({
            "id": "figure:1",
            "question": T["fig1_question"].format(t1=num(t1["value"], "g"), t2=num(t2["value"], "g")),
            "arithmetic": T["fig1"].format(t1=num(t1["value"], "g"), t2=num(t2["value"], "g"),
                                           i=num(implied, ".1f"), lo=num(implied - h, ".1f"),
                                           hi=num(implied + h, ".1f"), above=num(above, "g"),
                                           below=num(below, "g")),
            "verdict": "consistent" if ok else "question", "can_fail": True,
        })
    k4, k5, low55 = by.get("share:keep_up=4"), by.get("share:keep_up=5"), by.get("bound:keep_up=2-3|age>=55")
    if k4 and k5:
        rest_share = 100 - k4["value"] - k5["value"]
        arithmetic = T["fig3"].format(k4=num(k4["value"], "g"), k5=num(k5["value"], "g"),
                                      rest=num(rest_share, ".1f"))
        ok = rest_share >= 0
        if low55:
            old = sum(
                by[f"share:age_group={g}"]["value"] for g in ("55-64", "65+") if f"share:age_group={g}" in by
            )
            floor = low55["spec"]["above"]
            younger = (rest_share - old / 100 * floor) / (1 - old / 100)
            arithmetic += T["fig3_old"].format(old=num(old, "g"), floor=num(floor, ".1f"),
                                               younger=num(younger, ".1f"))
            ok = ok and younger >= 0
        out.append({"id": "figure:3", "question": T["fig3_question"],
                    "arithmetic": arithmetic, "verdict": "consistent" if ok else "question",
                    "can_fail": True})
    return out


def spread_finding(
    variable: str, mean: float, sd: float, mean_prec: int = 0, sd_prec: int = 0, lang: str = "en"
) -> dict | None:
    """Bhatia–Davis: is an SD possible for this mean within :data:`RANGES`? (texts in ``lang``)"""
    if variable not in RANGES:
        return None
    T, (num, _, _) = _TEXT[lang], _numbers(lang)
    lo, hi, why = RANGES[variable]
    if lang == "nl":
        why = _RANGES_NL[variable]
    sd_max = math.sqrt(max(0.0, (hi - mean) * (mean - lo)))
    # Most favourable reading of the rounding: the smallest SD, the mean nearest the middle.
    sd_low = sd - 0.5 * 10 ** (-sd_prec)
    m_half = 0.5 * 10 ** (-mean_prec)
    m_best = min(max((lo + hi) / 2, mean - m_half), mean + m_half)
    sd_max_best = math.sqrt(max(0.0, (hi - m_best) * (m_best - lo)))
    ok = sd_low <= sd_max_best
    # Upper bound a range would need for the printed mean and SD (with the lower bound fixed).
    hi_needed = mean + sd**2 / (mean - lo) if mean > lo else math.inf
    g = {"lo": num(lo, "g"), "hi": num(hi, "g"), "mean": num(mean, "g"), "sd": num(sd, "g")}
    arithmetic = (
        T["spread"].format(**g, why=why, m=num(sd_max, ".1f"), mb=num(sd_max_best, ".1f"))
        + ("" if ok else T["spread_no"].format(**g, h=num(hi_needed, ".1f")))
    )
    name = term_name(variable, "nl") if lang == "nl" else variable.replace("_", " ")
    return {"id": f"sd:{variable}", "question": T["spread_question"].format(**g, var=name),
            "arithmetic": arithmetic, "verdict": "consistent" if ok else "question"}


# ----------------------------------------------------------------------------- mediation

#: The article's explanation of why older workers keep up less well (section "Bijbenen"): age goes with
#: lower expertise, adaptability and development motivation (its printed r), "in other words: older workers
#: keep up less well because they rate their employability lower". (mediator, age→mediator r id,
#: mediator→keep-up β id); None where the article prints no number.
MEDIATION_DIRECT = "beta:keep_up~age"
MEDIATION_PATHS: tuple[tuple[str, str | None, str | None], ...] = (
    ("expertise", "r:age~expertise", "beta:keep_up~expertise"),
    ("adaptability", "r:age~adaptability", "beta:keep_up~adaptability"),
    ("development_motivation", "r:age~development_motivation", None),
    ("employability", None, "beta:keep_up~employability"),
)
#: A "because" that explains less than half of the association leaves most of it unexplained.
MEDIATION_MAJOR = 0.5


def _printed(by: dict, cid: str | None) -> tuple[float, float, float]:
    """(value, smallest |value|, largest |value|) of a printed number; NaNs when it is not printed."""
    if cid is None or cid not in by:
        return math.nan, math.nan, math.nan
    c = by[cid]
    return (c["value"], *rounding_edges(c["value"], c.get("precision", 2)))


def _share(indirect: float, direct: float) -> float:
    total = indirect + direct
    return indirect / total if total else math.nan


def mediation(claims: list[dict] | None = None, df: pd.DataFrame | None = None) -> pd.DataFrame:
    """The article's mediation claim in its own numbers: age → mediator → keeping up.

    Each path's indirect part is the product ``a × b`` of the printed correlation of age with the
    mediator (a standardized simple slope) and the mediator's printed beta in the keep-up model,
    which holds age. With the direct age beta, the share mediated is ``Σ ab / (Σ ab + direct)``. The
    product is the usual approximation (exact only with ``a`` from regressions on the same
    controls); with the article's numbers there is nothing better. Where the article prints no ``a``
    (employability) the bound ``|a| ≤ 1`` gives the largest indirect part: ``|b|`` itself.

    Parameters
    ----------
    claims : list of dict, optional
        From :func:`werk.stats.ledger.claims`; ``data/published.yml`` when omitted.
    df : DataFrame, optional
        A canonical frame; the same products from its correlations and its keep-up fit are added.

    Returns
    -------
    DataFrame
        One row per mediator: mediator, a, b (printed; NaN if not printed), ab, ab_low, ab_high
        (smallest and largest |ab| the rounding allows; for a missing ``a``, 0 to ``|b|``), data_a,
        data_b, data_ab. ``attrs``: direct (printed), direct_low, direct_high, indirect (Σ ab over
        printed pairs), share, share_low, share_high, share_max_all (every named path at its largest,
        employability with ``|a| = 1``), share_max_employability (employability alone), and with
        ``df`` data_direct, data_indirect, data_share, data_n.
    """
    by = _by_id(load_claims() if claims is None else claims)
    direct, d_low, d_high = _printed(by, MEDIATION_DIRECT)
    sign = math.copysign(1.0, direct)
    fit = None
    if df is not None:
        try:
            fit = models.fit(df, "keep_up").set_index("term")
        except (KeyError, ValueError):
            fit = None
    rows = []
    for mediator, a_id, b_id in MEDIATION_PATHS:
        a, a_low, a_high = _printed(by, a_id)
        b, b_low, b_high = _printed(by, b_id)
        if a_id is None and b_id in by:
            ab, ab_low, ab_high = math.nan, 0.0, b_high
        else:
            ab, ab_low, ab_high = a * b, a_low * b_low, a_high * b_high
        data_a = data_b = math.nan
        if fit is not None and mediator in fit.index:
            data_b = float(fit.loc[mediator, "beta"])
            try:
                data_a = float(models.correlation(df, "age", mediator)["r"])
            except (KeyError, ValueError):
                data_a = math.nan
        rows.append({"mediator": mediator, "a": a, "b": b, "ab": ab, "ab_low": ab_low, "ab_high": ab_high,
                     "data_a": data_a, "data_b": data_b, "data_ab": data_a * data_b})
    out = pd.DataFrame(rows)
    both = out["a"].notna() & out["b"].notna()
    indirect = float(out.loc[both, "ab"].sum())
    # Magnitudes: the article's paths and its direct beta all point the same way (older, lower).
    i_low, i_high = float(out.loc[both, "ab_low"].sum()), float(out.loc[both, "ab_high"].sum())
    emp = out.loc[out["a"].isna() & out["b"].notna(), "ab_high"]
    emp_high = float(emp.sum())
    out.attrs.update(
        direct=direct, direct_low=d_low, direct_high=d_high, indirect=indirect,
        share=_share(indirect, direct), share_low=_share(i_low, d_high), share_high=_share(i_high, d_low),
        share_max_all=_share(i_high + emp_high, d_low), share_max_employability=_share(emp_high, d_low),
        sign=sign,
    )
    if fit is not None and "age" in fit.index:
        data_direct = float(fit.loc["age", "beta"])
        data_indirect = float(out["data_ab"].sum(min_count=1))
        out.attrs.update(data_direct=data_direct, data_indirect=data_indirect,
                         data_share=_share(data_indirect, data_direct), data_n=int(fit["n"].iloc[0]))
    return out


_MEDIATION_TEXT = {
    "en": {
        "indirect": ("indirect through {names}: {terms} = {ind} beside the direct age β {direct}, so "
                     "{share}% of the "
                     "association runs through them ({low}–{high}% over the rounding)"),
        "emp": ("{m}: the article prints no age → {m} path; even |a| = 1 (age and {m} the same variable) "
                "gives at "
                "most |b| = {b}, {share}% of the association"),
        "unprinted": "{names}: the article prints no keep-up β, so no path",
        "all": "every named path at its largest: at most {share}%",
        "data": "these data: indirect {ind} through all four beside the direct {direct}, {share}%",
        "because": ("and a product of cross-sectional betas cannot show 'because' in any case: it shows how "
                    "associations add up, not what causes what"),
        "question": ("Do the article's own numbers carry its claim that older workers keep up less well "
                     "because "
                     "they rate their employability lower?"),
    },
    "nl": {
        "indirect": ("indirect via {names}: {terms} = {ind} naast de directe β van leeftijd {direct}, dus "
                     "{share}% "
                     "van de samenhang loopt via hen ({low}–{high}% over de afronding)"),
        "emp": ("{m}: het artikel drukt geen pad leeftijd → {m}; zelfs |a| = 1 (leeftijd en {m} dezelfde "
                "variabele) "
                "geeft hooguit |b| = {b}, {share}% van de samenhang"),
        "unprinted": "{names}: het artikel drukt geen β voor bijbenen, dus geen pad",
        "all": "alle genoemde paden op hun grootst: hooguit {share}%",
        "data": "deze data: indirect {ind} via alle vier naast de directe {direct}, {share}%",
        "because": ("en een product van bèta’s uit één meting kan hoe dan ook geen ‘doordat’ aantonen: het "
                    "laat "
                    "zien hoe samenhangen optellen, niet wat wat veroorzaakt"),
        "question": ("Dragen de eigen getallen van het artikel zijn bewering dat oudere werkenden minder "
                     "goed "
                     "bijbenen doordat zij hun inzetbaarheid lager inschatten?"),
    },
}


def mediation_finding(claims: list[dict] | None = None, df: pd.DataFrame | None = None, lang: str = "en"
                      ) -> dict:
    """The audit row of :func:`mediation`: can the printed numbers carry the article's "because"?

    The verdict is "question" when even every named path at its most favourable rounding, employability
    with ``|a| = 1``, carries less than :data:`MEDIATION_MAJOR` of the age association. A product of
    cross-sectional betas cannot show "because" in any case; the arithmetic says so. ``lang``: the
    language of the texts.
    """
    T, (num, coef, _) = _MEDIATION_TEXT[lang], _numbers(lang)

    def name(mediator: str) -> str:
        return term_name(mediator, "nl") if lang == "nl" else mediator.replace("_", " ")

    def pct(x: float) -> str:
        return num(100 * x, ".1f")

    by = _by_id(load_claims() if claims is None else claims)
    m = mediation(list(by.values()), df)
    at = m.attrs
    named = m[m["a"].notna() & m["b"].notna()]
    terms = " + ".join(f"{coef(r.a, 2)} × {coef(r.b, 2)}" for r in named.itertuples())
    unprinted_b = [name(r.mediator) for r in m.itertuples() if pd.notna(r.a) and pd.isna(r.b)]
    emp = m[m["a"].isna() & m["b"].notna()]
    parts = [T["indirect"].format(names=", ".join(name(x) for x in named["mediator"]), terms=terms,
                                  ind=coef(at["indirect"], 3), direct=coef(at["direct"], 2),
                                  share=pct(at["share"]),
                                  low=pct(at["share_low"]), high=pct(at["share_high"]))]
    for r in emp.itertuples():
        # English names the mediator by its variable name here, as it always has.
        parts.append(T["emp"].format(m=term_name(r.mediator, "nl") if lang == "nl" else r.mediator,
                                     b=coef(r.ab_high, 3), share=pct(at["share_max_employability"])))
    if unprinted_b:
        parts.append(T["unprinted"].format(names=", ".join(unprinted_b)))
    parts.append(T["all"].format(share=pct(at["share_max_all"])))
    if "data_share" in at:
        parts.append(T["data"].format(ind=coef(at["data_indirect"], 3), direct=coef(at["data_direct"], 2),
                                      share=pct(at["data_share"])))
    parts.append(T["because"])
    return {
        "id": "mediation:keep_up~age",
        "question": T["question"],
        "arithmetic": "; ".join(parts),
        "verdict": "question" if at["share_max_all"] < MEDIATION_MAJOR else "consistent",
        "can_fail": True,
    }


class _DataModels:
    """The data's VIFs and model R² per model, computed once; None for a model the data cannot fit."""

    def __init__(self, df: pd.DataFrame | None):
        self.df = df
        self._cache: dict[str, tuple[pd.Series, float] | None] = {}

    def get(self, model: str, term: str) -> tuple[float | None, float | None]:
        if self.df is None:
            return None, None
        if model not in self._cache:
            try:
                vifs = data_vif(self.df, model).set_index("term")["vif"]
                self._cache[model] = (vifs, float(models.fit(self.df, model).attrs["r2"]))
            except (KeyError, ValueError):
                self._cache[model] = None
        hit = self._cache[model]
        if hit is None or term not in hit[0].index:
            return None, None
        return float(hit[0][term]), hit[1]


def collinearity_table(claims: list[dict] | None = None, n: int = N, df: pd.DataFrame | None = None
                       ) -> pd.DataFrame:
    """:func:`collinearity` of every printed (β, p) pair, one row each, beside the data's VIF and R².

    The bounds are at the article's ``n``; ``df`` (optional) gives the VIF of each pair's predictor and
    its model's R² on the cases :func:`werk.stats.models.fit` uses. Columns as :func:`collinearity`
    returns them.
    """
    claims = load_claims() if claims is None else claims
    fits = _DataModels(df)
    rows = []
    for c in claims:
        if c["kind"] == "beta" and c.get("p_max") is not None:
            vif, r2 = fits.get(c["spec"]["model"], c["spec"]["term"])
            rows.append(collinearity(c, n, vif=vif, r2=r2, floor=vif_floor(c, claims)))
    return pd.DataFrame(rows)


def audit(claims: list[dict] | None = None, n: int = N, df: pd.DataFrame | None = None, lang: str = "en"
          ) -> pd.DataFrame:
    """Every finding of the audit, one row each: id, question, arithmetic, verdict, can_fail.

    Parameters
    ----------
    claims : list of dict, optional
        From :func:`werk.stats.ledger.claims`; read from ``data/published.yml`` when omitted.
    n : int
        Sample size (the article's 5,391).
    df : DataFrame, optional
        The frame the book runs on. When given, each beta is read at the VIF of its predictor and the
        R² of its model in these data (same cases as :func:`werk.stats.models.fit`), and the mediation
        check adds the data's paths; without it, at the VIF the article's own correlations imply.
    lang : {"en", "nl"}
        The language of the questions and the arithmetic; ids and verdicts are codes in both.

    Returns
    -------
    DataFrame
        ``can_fail`` is False for a check that no value of what the article does not print could fail
        at this N (a GRIM step finer than the printed resolution; a beta that reaches its p even at
        R² = 0 with a VIF of :data:`werk.stats.robust.VIF_CONCERN`). Such checks are shown apart and
        left out of the tallies.
    """
    if claims is None:
        claims = load_claims()
    by = _by_id(claims)
    fits = _DataModels(df)
    rows: list[dict] = []
    for c in claims:
        if c["kind"] == "beta" and c.get("p_max") is not None:
            vif, r2 = fits.get(c["spec"]["model"], c["spec"]["term"])
            f = beta_finding(c, n, r2=r2 if vif is not None else None, vif=vif, floor=vif_floor(c, claims),
                             lang=lang)
            f.pop("r2_needed")
            rows.append(f)
        elif c["kind"] == "r" and c.get("p_max") is not None:
            rows.append(r_finding(c, n, lang))
        elif c["kind"] == "share":
            rows.append(share_finding(c, n, lang))
    if MEDIATION_DIRECT in by:
        rows.append(mediation_finding(claims, df, lang))
    rows.extend(table_findings(claims, lang))
    for var in RANGES:
        m, s = by.get(f"mean:{var}"), by.get(f"sd:{var}")
        if m and s:
            f = spread_finding(var, m["value"], s["value"], m.get("precision", 0), s.get("precision", 0),
                               lang)
            if f:
                rows.append(f)
    out = pd.DataFrame(rows, columns=_COLUMNS)
    out["can_fail"] = out["can_fail"].astype(bool)
    return out


def tallies(findings: pd.DataFrame) -> dict[str, int]:
    """The audit's counts: checks that can fail (``checks``), their ``questions``, and ``cannot_fail``.

    A check that cannot fail at this N (``can_fail`` False) is counted only in ``cannot_fail``: it is
    shown apart, never as a check passed.
    """
    counted = findings[findings["can_fail"]]
    return {"checks": int(len(counted)), "questions": int((counted["verdict"] == "question").sum()),
            "cannot_fail": int((~findings["can_fail"]).sum())}
