"""Reliability tables of the scales built from items: one row per scale, and one per item.

Numbers come from :mod:`werk.stats.reliability`; what may be shown is decided by
:func:`werk.disclosure.items.check_scales` (at least 10 respondents behind every statistic), and a scale that
fails reads "suppressed" in every number cell.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from werk.core import codebook
from werk.core.fmt import format_count, format_number
from werk.disclosure import items as item_check
from werk.disclosure import record
from werk.disclosure import rules as outputcheck
from werk.stats import reliability

__all__ = ["reliability_tables"]

_TEXT = {
    "en": {"scale": "scale", "items": "items", "reverse": "reverse-keyed", "n": "n", "alpha": "α",
           "omega": "ω", "mean_r": "mean inter-item r", "item": "item", "wording": "wording (Dutch)",
           "mean": "mean", "sd": "SD", "rest": "item-rest r", "deleted": "α if deleted", "yes": "yes",
           "none": "none"},
    "nl": {"scale": "schaal", "items": "items", "reverse": "omgepoold", "n": "n", "alpha": "α",
           "omega": "ω", "mean_r": "gem. inter-item r", "item": "item", "wording": "formulering",
           "mean": "gemiddelde", "sd": "SD", "rest": "item-rest r", "deleted": "α zonder item", "yes": "ja",
           "none": "geen"},
}


def reliability_tables(items: Mapping[str, pd.DataFrame], lang: str = "en", check: bool | str = False,
                       reverse: Mapping[str, list] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The scales' reliabilities and their items' statistics, as two tables of strings.

    Parameters
    ----------
    items : mapping
        scale -> its scored items (:func:`werk.inputs.data.load_items`).
    lang : {"en", "nl"}
    check : bool or str
        Apply the output rules; a string records the check under that name.
    reverse : mapping, optional
        scale -> its reverse-keyed items (default: the codebook's, for the twin's item names).
    """
    t = _TEXT[lang]
    dec = "," if lang == "nl" else "."
    if not items:  # a file that maps ready-made scores: say so where the tables would be
        none = {"en": "none: the data file maps ready-made scale scores",
                "nl": "geen: het bestand levert kant-en-klare schaalscores"}[lang]
        heads = [[t["scale"], t["items"], t["reverse"], t["n"], t["alpha"], t["omega"], t["mean_r"]],
                 [t["scale"], t["item"], t["wording"], t["mean"], t["sd"], t["rest"], t["deleted"]]]
        return tuple(pd.DataFrame([[none] + [""] * 6], columns=h) for h in heads)
    stats = {scale: reliability.scale_statistics(x) for scale, x in items.items()}
    chk = item_check.check_scales({s: v["n"] for s, v in stats.items()},
                                  check if isinstance(check, str) else "")
    if isinstance(check, str):
        record.record(chk)
    hidden = chk.hidden if check else set()

    # Dutch APA keeps the leading zero of a coefficient ("0,82", as werk.core.fmt.localize writes it).
    mark = outputcheck.mark(lang)

    def num(x, scale, decimals=2, lz=True):
        return mark if scale in hidden else format_number(x, decimals, leading_zero=lz or lang == "nl",
                                                          decimal=dec)

    scales, rows = [], []
    for scale, x in items.items():
        label = codebook.term_label(scale, lang)
        rev = list((reverse or {}).get(scale, x.attrs.get(
            "reverse", [c for c in x.columns if c in codebook.reverse_items(scale)])))
        s = stats[scale]
        scales.append({t["scale"]: label, t["items"]: str(s["items"]),
                       t["reverse"]: ", ".join(f"`{r}`" for r in rev) or t["none"],
                       t["n"]: mark if scale in hidden else format_count(s["n"], lang),
                       t["alpha"]: num(s["alpha"], scale, lz=False),
                       t["omega"]: num(s["omega"], scale, lz=False),
                       t["mean_r"]: num(s["mean_inter_item_r"], scale, lz=False)})
        for _, r in reliability.item_statistics(x).iterrows():
            item = codebook.ITEMS.get(r["item"])
            first = not rows or rows[-1]["_scale"] != scale
            rows.append({t["scale"]: label if first else "", "_scale": scale,
                         t["item"]: f"`{r['item']}`" + (f" ({t['reverse']})" if r["item"] in rev else ""),
                         t["wording"]: item.nl if item else "",
                         t["mean"]: num(r["mean"], scale), t["sd"]: num(r["sd"], scale),
                         t["rest"]: num(r["item_rest_r"], scale, lz=False),
                         t["deleted"]: num(r["alpha_if_deleted"], scale, lz=False)})
    item_table = pd.DataFrame(rows).drop(columns="_scale") if rows else pd.DataFrame()
    scale_table = pd.DataFrame(scales)
    for table in (scale_table, item_table):
        table.attrs["outputcheck"] = chk
    return scale_table, item_table
