"""The one formatter of the book: numbers, percentages, counts, p-values, thresholds and intervals.

It sits in the foundation because every layer prints numbers: the claims print a value as the article
rounds it, the ledger and the audit write them into their reasons, and the tables, figures and the prose
show them. One module keeps every number in one style:

* negatives use the true minus sign "−" (U+2212); a value that rounds to zero is shown unsigned;
* coefficients (β, r, their confidence limits, R²), in tables and prose alike: two decimals without a
  leading zero, as the article prints them (APA: ``".04"``, ``"−.13"``; :func:`format_coef`). One style on
  every page, the article's; quantities that can exceed 1 (Cohen's d, odds ratios, VIFs, F) keep the zero;
* p values: APA style, three decimals without a leading zero (``".023"``), ``"< .001"`` below .001 and
  ``"> .999"`` above .999, with a no-break space so that "< .001" never breaks in a narrow cell;
* a significance threshold as printed (``".05"``, ``".001"``): :func:`format_alpha`;
* counts with a thousands separator (``"1,234"``; Dutch ``"1.234"``); percentages with the decimal
  separator of ``lang``;
* Dutch (``lang="nl"``): :func:`localize` turns any of the above into Dutch style, with a decimal comma,
  a thousands dot and the leading zero Dutch APA style keeps: 5.391; 30,9%; β = −0,15; p < 0,001;
* significance stars: ``*`` p < .05, ``**`` p < .01, ``***`` p < .001 (strictly below the bound).
"""

from __future__ import annotations

import math
import re

__all__ = [
    "MINUS",
    "NBSP",
    "STAR_LEVELS",
    "format_number",
    "format_coef",
    "format_percent",
    "format_count",
    "format_p",
    "format_p_text",
    "format_alpha",
    "format_ci",
    "stars",
    "star_note",
    "localize",
    "format_spec",
]

MINUS = "\u2212"
#: A no-break space keeps "< .001" and a confidence interval on one line in narrow table columns.
NBSP = "\u00a0"

#: (upper bound, stars), checked in order: p < bound gets the stars.
STAR_LEVELS: tuple[tuple[float, str], ...] = ((0.001, "***"), (0.01, "**"), (0.05, "*"))


def _finite(x) -> bool:
    return x is not None and math.isfinite(float(x))




def format_number(x: float, decimals: int = 2, leading_zero: bool = True, decimal: str = ".") -> str:
    """Format a number with a true minus sign; a value rounding to zero is unsigned.

    Parameters
    ----------
    x : float
        The value; NaN gives an empty string.
    decimals : int
        Digits after the decimal separator.
    leading_zero : bool
        ``False`` drops the zero before the separator (APA: ``".04"``).
    decimal : str
        Decimal separator.
    """
    if not _finite(x):
        return ""
    s = f"{abs(float(x)):.{decimals}f}"
    negative = x < 0 and float(s) != 0.0
    if not leading_zero and s.startswith("0."):
        s = s[1:]
    if decimal != ".":
        s = s.replace(".", decimal)
    return (MINUS if negative else "") + s


def format_percent(x: float, lang: str = "en", decimals: int = 1) -> str:
    """A percentage with ``decimals`` decimals and the separator of ``lang`` (no % sign)."""
    return format_number(x, decimals, decimal="," if lang == "nl" else ".")


def format_count(n: int, lang: str = "en") -> str:
    """A whole number with a thousands separator ("," in English, "." in Dutch)."""
    s = f"{int(n):,}"
    return s.replace(",", ".") if lang == "nl" else s


def format_p(p: float) -> str:
    """APA p value: ``"< .001"``, ``".023"``, ``".050"``, ``"> .999"``."""
    if not _finite(p):
        return ""
    if p < 0.001:
        return f"<{NBSP}.001"
    if p > 0.999:
        return f">{NBSP}.999"
    return format_number(p, 3, leading_zero=False)


def format_ci(low: float, high: float, decimals: int = 2, leading_zero: bool = False) -> str:
    """Confidence interval of a coefficient as ``"[−.08, −.03]"`` (APA, as :func:`format_coef`)."""
    lo, hi = format_number(low, decimals, leading_zero), format_number(high, decimals, leading_zero)
    return f"[{lo},{NBSP}{hi}]"


def stars(p: float) -> str:
    """Significance stars: * p < .05, ** p < .01, *** p < .001."""
    if not _finite(p):
        return ""
    for bound, mark in STAR_LEVELS:
        if p < bound:
            return mark
    return ""


def star_note(lang: str = "en") -> str:
    """The note explaining the stars."""
    return "* p < .05, ** p < .01, *** p < .001" + (" (tweezijdig)" if lang == "nl" else " (two-sided)")


def format_coef(x: float, decimals: int = 2) -> str:
    """A coefficient as the article prints it (APA): no leading zero, a true minus (``"−.13"``)."""
    return format_number(x, decimals, leading_zero=False)


def format_p_text(p: float) -> str:
    """A p value in running text: ``"p = .023"``, ``"p < .001"`` (empty for a missing p)."""
    f = format_p(p)
    if not f:
        return ""
    return f"p {f}" if f[0] in "<>" else f"p = {f}"


def format_alpha(alpha: float) -> str:
    """A significance threshold as the article prints it: ``".05"``, ``".001"``, ``"1"``."""
    s = format(float(alpha), "g")
    return s[1:] if s.startswith("0.") else s


# An English-formatted number: thousands groups ("5,391"), decimals (".15", "0.40"), or both; not part of a
# word or a longer number. "[0.1, 0.2]" and "1, 2" keep their list comma (a space follows it).
_EN_NUMBER = re.compile(r"(?<![\w.,\u2011-])([1-9]\d{0,2}(?:,\d{3})+|\d+)?(\.\d+)?(?![\w])")


def localize(text, lang: str = "en"):
    """``text`` (formatted by this module, in English style) in the number style of ``lang``.

    For Dutch, every number gets a decimal comma and a thousands dot, and a bare decimal its leading
    zero (Dutch APA style): ``"5,391"`` -> ``"5.391"``, ``"30.9%"`` -> ``"30,9%"``, ``"−.15"`` ->
    ``"−0,15"``, ``"p < .001"`` -> ``"p < 0,001"``. English text comes back unchanged, and so does
    anything that is not a string.
    """
    if lang != "nl" or not isinstance(text, str):
        return text

    def dutch(m: re.Match) -> str:
        whole, frac = m.group(1), m.group(2)
        if whole is None and frac is None:
            return m.group(0)
        if whole is not None and frac is None and "," not in whole:
            return whole  # a plain integer ("2019", "10"): nothing to change
        if whole is not None and "," not in whole and frac is not None and len(frac) == 4 and whole != "0":
            # "5.391": Dutch already (a count localized once); English prints no such number
            return m.group(0)
        out = (whole or "0").replace(",", ".")
        return out + ("," + frac[1:] if frac else "")

    # A list of two numbers (a confidence interval) is separated by a semicolon once the comma is decimal.
    return _LIST_COMMA.sub(";", _EN_NUMBER.sub(dutch, text))


_LIST_COMMA = re.compile(r"(?<=\d),(?=[ \u00a0][−-]?\d)")


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def format_spec(x: float, spec: str, lang: str = "en") -> str:
    """``format(x, spec)`` in the number style of ``lang``, for a number that :func:`localize` cannot read.

    English is ``format(x, spec)`` itself. Dutch swaps the separators and uses the true minus:
    ``"3.292"`` -> ``"3,292"`` (which :func:`localize` would take for a Dutch thousand), ``"5,391.5"`` ->
    ``"5.391,5"``, ``"1.1e-05"`` -> ``"1,1 × 10⁻⁵"``. Text in Dutch style built from these is complete:
    it must not be localized again (a table says so with ``attrs["lang"]``, see
    :func:`werk.book.markdown_table`).
    """
    s = format(x, spec)
    if lang != "nl":
        return s
    if "e" in s and s.replace("-", "").replace("+", "").replace(".", "").replace("e", "").isdigit():
        mantissa, exp = s.split("e")
        s = f"{mantissa} × 10{str(int(exp)).translate(_SUPERSCRIPT)}"
    return s.translate(str.maketrans({",": ".", ".": ","})).replace("-", MINUS)
