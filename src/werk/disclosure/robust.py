"""Output checks of the robustness appendix: every variant fit, VIF and highlighted number.

The fits are :mod:`werk.stats.robust`'s; each check applies CBS's rules (:mod:`werk.disclosure.rules`)
to what an output of the appendix shows, as its page records it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from werk.disclosure import rules as outputcheck
from werk.disclosure.rules import Check
from werk.stats import models, robust
from werk.stats.robust import LABELS

__all__ = ["check_variants", "check_vifs", "highlight_checks", "plot_check"]

_MODEL_NAMES = {"threat": "threat", "keep_up": "keep-up"}


def _check_fits(frames: Mapping, output: str, kind: str, df: pd.DataFrame | None = None,
                terms: Mapping[object, Sequence[str]] | None = None) -> Check:
    """One check of an output that shows several fits: :func:`werk.disclosure.rules.check_model` of each.

    ``frames`` maps a key to ``(model, label, fit)``. A refused fit is suppressed under its key (the
    output shows the others); when every fit is refused the output is refused. With ``df``, binary
    predictors with a small group are flagged under ``(model, term)``, only those in ``terms[model]``
    when ``terms`` is given (the terms the output shows).
    """
    chk = Check(output, kind, rules=["dof"] + (["dummy"] if df is not None else []))
    several = len({model for model, _, _ in frames.values()}) > 1
    refused, ns = [], []
    for key, (model, label, frame) in frames.items():
        m = outputcheck.check_model(frame, df=df)
        ns.append(m.n)
        if m.status == outputcheck.REFUSED:
            chk.suppress(key, label, "dof")
            refused.append(m.note)
            continue
        prefix = f"{_MODEL_NAMES.get(model, model)} model: " if several else ""
        for term in frame["term"]:
            if term in m.marked and (terms is None or term in terms.get(model, ())):
                chk.flag((model, term), prefix + models.term_label(term), "dummy")
    if refused and len(refused) == len(frames):
        chk.refuse(refused[0])
    chk.n = min(ns, default=None)
    return chk


def check_variants(fits: Mapping[str, Mapping[str, pd.DataFrame]], output: str = "", kind: str = "model",
                   df: pd.DataFrame | None = None, terms: Mapping[str, Sequence[str]] | None = None
                   ) -> Check:
    """CBS's output rules for an output that shows variants of one or more models.

    Parameters
    ----------
    fits : mapping
        Model name -> the output of :func:`variants` (or a subset of its variants).
    output, kind : str
        The output's name and kind (``"figure"``, ``"table"``, ``"model"`` for a number of the prose).
    df : DataFrame, optional
        The data of the fits: binary predictors whose smaller group has fewer than 10 of the model's
        respondents are flagged (``marked`` holds ``(model, term)``).
    terms : mapping, optional
        Model name -> the terms the output shows (by default every term is checked for the flag).

    Returns
    -------
    werk.disclosure.rules.Check
        ``hidden`` holds ``(model, variant)`` of each fit with fewer than 10 residual degrees of
        freedom; the check is refused when every fit is.
    """
    frames = {}
    for name, results in fits.items():
        for key, frame in results.items():
            model = f"{_MODEL_NAMES.get(name, name)} model, " if len(fits) > 1 else ""
            frames[(name, key)] = (name, model + LABELS["en"].get(key, key), frame)
    return _check_fits(frames, output, kind, df, terms)


def check_vifs(vifs: Mapping[str, pd.DataFrame], output: str = "", kind: str = "table") -> Check:
    """CBS's output rules for VIFs (:func:`vif` per model): each is the R² of an auxiliary regression.

    A model whose auxiliary regressions have fewer than 10 residual degrees of freedom is suppressed
    (``hidden`` holds its name); the check is refused when every model is.
    """
    frames = {name: (name, f"{_MODEL_NAMES.get(name, name)} model", frame) for name, frame in vifs.items()}
    return _check_fits(frames, output, kind)


def highlight_checks(df: pd.DataFrame, fits: Mapping[str, Mapping[str, pd.DataFrame]],
                     vifs: Mapping[str, pd.DataFrame]) -> dict[str, Check]:
    """The output check of each number of :func:`highlights` that rests on the data, by its key.

    A number rests on the fits it is computed from (all of them for the counts of claims that hold and
    the failures), a VIF on the auxiliary regressions, a correlation on n − 2 degrees of freedom. The
    counts of claims (the article's, not the data's) and the convergence note are not checked. Glue each
    with ``book.glue(..., check=...)``: a withheld one reads "suppressed".
    """
    def only(*keys):
        return {name: {k: f[k] for k in keys if k in f} for name, f in fits.items()}

    every = check_variants(fits)
    out = {f"n_{name}": check_variants({name: {"ols": f["ols"]}}) for name, f in fits.items()}
    threat = fits["threat"]
    out["threat_employability_beta"] = check_variants({"threat": {"ols": threat["ols"]}})
    for key in ("threat_employability_ame", "threat_employability_or"):
        out[key] = check_variants({"threat": {"ologit": threat["ologit"]}})
    if any("weighted" in f for f in fits.values()):
        out["weighted_max_shift"] = out["weighted_max_shift_term"] = check_variants(only("ols", "weighted"))
    out["hc3_max_se_ratio"] = check_variants(only("ols", "hc3"))
    out["ologit_max_gap"] = check_variants(only("ols", "ologit"))
    threat_vif = check_vifs({"threat": vifs["threat"]}, kind="model")
    for term in ("age", "years_in_government", "years_in_function"):
        out[f"vif_{term}"] = out[f"vif_se_{term}"] = threat_vif
    out["vif_max"] = out["vif_max_term"] = out["vif_verdict"] = check_vifs(vifs, kind="model")
    for key, (x, y) in {"r_tenure_function": ("years_in_government", "years_in_function"),
                        "r_age_tenure": ("age", "years_in_government")}.items():
        # Named as werk.disclosure.rules.check_claim names a correlation, for the cell of a withheld one.
        out[key] = outputcheck.check_correlations([models.correlation(df, x, y)], f"r of {x} with {y}")
    out["n_hold"] = out["failures"] = every
    out["n_hold_ols"] = check_variants(only("ols"))
    return out


def plot_check(results: Mapping[str, pd.DataFrame], output: str = "", df: pd.DataFrame | None = None,
               sectors: bool = False) -> Check:
    """The output check of :func:`plot`'s figure: :func:`check_variants` of the terms it draws."""
    return check_variants({"": robust.plotted(results, sectors)}, output, "figure", df=df)
