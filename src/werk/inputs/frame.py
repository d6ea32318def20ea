"""The analysis frame: the data of one edition with its derived variables, and its category counts.

Every page, check and model reads the data through here, so an edition's subset and its derived
variables are made in one place:

* :func:`edition_frame`: one sector kept for a sector edition, ``age_group`` derived from ``age``;
* :func:`with_derived`: ``hrm_leadership``, the mean of HRM quality and leadership (the article
  correlates the two together; see the methods appendix);
* :func:`values`, :func:`category_labels` and :func:`category_shares`: a coded variable's answers, its
  labels in codebook order, and its counts and percentages.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from werk.core import codebook, fmt, paths
from werk.core.errors import WerkError
from werk.core.files import read_yaml

__all__ = [
    "MIN_EDITION_N",
    "SOURCE_ATTR",
    "source_line",
    "twin_seed",
    "edition_info",
    "check_edition_size",
    "edition_frame",
    "age_groups",
    "with_derived",
    "values",
    "category_labels",
    "category_shares",
]


#: Below this many respondents an edition is refused: with CBS's threshold of 10 per cell
#: almost every table would be suppressed (see werk.disclosure.rules).
MIN_EDITION_N = 50


def edition_info(df: pd.DataFrame, edition: str, data_path) -> dict:
    """Who an edition covers: its label, the number of respondents, whether it is the twin.

    ``footer`` is the sentence as text; ``footer_html`` is the same sentence escaped for HTML, which is
    what the theme's footer prints as it is: the data file's name comes from outside, and a file named
    ``t<img src=x onerror=...>.csv`` must show as that name, not run on every page.
    """
    data_path = Path(data_path).resolve()
    is_twin = data_path == paths.TWIN.resolve()
    if edition in (None, "", "all"):
        label_en, label_nl, code, n = "all sectors", "alle overheidsorganen", None, len(df)
    else:
        code = codebook.sector_code(edition)
        nl, en = codebook.SECTORS[code]
        label_en, label_nl, n = en, nl, int((df["sector"] == code).sum())
    source = "the synthetic twin" if is_twin else f"the data file {data_path.name}"
    footer = f"Edition: {label_en} ({fmt.format_count(n)} respondents), computed from {source}."
    return {
        "edition": edition or "all",
        "sector": code,
        "edition_label": label_en,
        "edition_label_nl": label_nl,
        "n": n,
        "is_twin": is_twin,
        "source": source,
        "footer": footer,
        "footer_html": html.escape(footer),
    }


#: The attribute of a loaded frame that holds its source line (:func:`source_line`), read by the figures.
SOURCE_ATTR = "werk_source"


def twin_seed() -> int | None:
    """The seed the default twin was drawn with (``data/twin_params.yml``), or None when not stated."""
    try:
        return int(read_yaml(paths.DATA / "twin_params.yml")["seed"])
    except (OSError, KeyError, TypeError, ValueError):
        return None


def source_line(info: dict, lang: str = "en") -> str:
    """Where a figure's or table's numbers come from, to print on it (STYLE.md rule 14).

    On the twin: synthetic, not CBS microdata, with its seed. On a real file: the wording CBS prescribes
    for results from its non-public microdata (the "Bronvermelding" of its microdata documentation). The
    institution is not known to the book; "own calculations" stands for it (an assumption: an analyst
    publishing from Remote Access names the institution).
    """
    if info.get("is_twin"):
        seed = twin_seed()
        seed_text = "" if seed is None else (f", seed {seed}" if lang == "en" else f", seed {seed}")
        if lang == "nl":
            return (f"Synthetische data (werk-tweeling{seed_text}), geen CBS-microdata: "
                    "alle getallen zijn verzonnen.")
        return f"Synthetic data (werk twin{seed_text}), not CBS microdata: every number is invented."
    if lang == "nl":
        return ("Bron: eigen berekeningen op basis van niet-openbare microdata van het CBS "
                "(WERKonderzoek 2019).")
    return ("Source: own calculations, based on non-public microdata from Statistics Netherlands "
            "(CBS, WERKonderzoek 2019).")


def check_edition_size(info: dict) -> None:
    """Refuse an edition too small to publish anything under CBS's output rules."""
    if info["n"] < MIN_EDITION_N:
        raise WerkError(
            f"edition {info['edition']!r} has {info['n']} respondents; at least {MIN_EDITION_N} are needed "
            "to publish a book under CBS's output rules (10 respondents behind every number). "
            "Choose a larger group or the whole sample."
        )


def age_groups(age: pd.Series) -> np.ndarray:
    """The Table 1 age group key ("25-34", ...) of every age, as an object array (missing stays missing)."""
    return codebook.age_group(age).astype(object).to_numpy()


def edition_frame(df: pd.DataFrame, edition: str | None = "all") -> pd.DataFrame:
    """The frame of an edition: one sector kept (unless the data hold one sector only), ``age_group`` added.

    A frame that already has ``age_group`` keeps it; the input is never changed.
    """
    out = df
    if edition not in (None, "", "all"):
        code = codebook.sector_code(edition)
        if "sector" in out and out["sector"].dropna().nunique() > 1:
            out = out[out["sector"] == code].reset_index(drop=True)
    if "age_group" not in out.columns and "age" in out.columns:
        out = out.assign(age_group=age_groups(out["age"]))
    return out


def with_derived(df: pd.DataFrame) -> pd.DataFrame:
    """Add derived columns: ``hrm_leadership`` (mean of HRM quality and leadership)."""
    out = df.copy()
    if "hrm_quality" in out and "leadership" in out:
        out["hrm_leadership"] = out[["hrm_quality", "leadership"]].mean(axis=1, skipna=False)
    return out




def category_labels(variable: str, lang: str = "en", present: Iterable | None = None) -> dict:
    """Code -> label in codebook order, for a coded variable or ``"age_group"``.

    For ``"age_group"`` the keys are the Table 1 group keys ("25-34", ...); with
    ``present`` only the groups that occur are kept.
    """
    if variable == "age_group":
        i = 3 if lang == "nl" else 4
        labels = {g[0]: g[i] for g in codebook.AGE_GROUPS}
        if present is not None:
            keep = set(present)
            labels = {k: v for k, v in labels.items() if k in keep}
        return labels
    return codebook.value_labels(variable, lang)


def values(df: pd.DataFrame, variable: str) -> pd.Series:
    if variable == "age_group":
        if "age_group" in df.columns:
            return df["age_group"].astype("object")
        return codebook.age_group(df["age"]).astype("object").set_axis(df.index)
    return df[variable]


def category_shares(
    df: pd.DataFrame, variable: str, weighted: bool = False, codes: Iterable | None = None
) -> pd.DataFrame:
    """Counts and percentages of valid (non-missing) answers, in codebook order.

    Parameters
    ----------
    df : DataFrame
        Canonical analysis file.
    variable : str
        A coded variable of the codebook, or ``"age_group"`` (derived from ``age``).
    weighted : bool
        Percentages from the ``weight`` column; ``n`` stays the unweighted count.
    codes : iterable, optional
        Codes to report (default: every codebook code; for age groups, those present).

    Returns
    -------
    DataFrame
        Index: codes; columns ``n`` (int) and ``percent`` (float, sums to 100).
    """
    answers = values(df, variable)
    valid = answers.notna()
    if codes is None:
        present = answers[valid].unique() if variable == "age_group" else None
        codes = list(category_labels(variable, "en", present))
    codes = list(codes)
    n = answers[valid].value_counts().reindex(codes, fill_value=0).astype(int)
    if weighted:
        w = df.loc[valid, "weight"].astype(float)
        mass = w.groupby(answers[valid]).sum().reindex(codes, fill_value=0.0)
    else:
        mass = n.astype(float)
    total = mass.sum()
    pct = 100 * mass / total if total > 0 else mass * np.nan
    return pd.DataFrame({"n": n, "percent": pct.astype(float)}, index=pd.Index(codes, name=variable))
