"""A Sphinx extension for the PDF: tables that fit the page.

Sphinx typesets a table of more than 30 rows as a ``longtable`` with ``l`` columns, which never
wrap: the claims ledger and the audit ran thousands of points off the page. Shorter tables go to
``tabulary``, which wraps but may squeeze a column below its longest word (the codebook's variable
names). This post-transform, run by the LaTeX builder only, measures every table whose natural
width (its longest cell per column) is more than the line holds, and gives it column widths: each
column at least its longest unbreakable word, the rest of the line shared in proportion to what
each column would need. Sphinx then sets those columns as ``p`` columns, which wrap.

`werk build --pdf` loads it (see :func:`werk.build.stage_pdf`); the HTML book never does.
"""

from __future__ import annotations

import math
import re

from docutils import nodes

__all__ = ["column_widths", "setup"]

#: Characters of table text a line holds: A4 with Sphinx's 1-inch margins is 451 pt; the preamble in
#: _config.yml sets tables in \small (9 pt Times, about 4.3 pt a character) and inline code in txtt.
LINE_CHARS = 100
#: What a column costs beyond its text: the space between columns (2 \tabcolsep = 12 pt).
COLUMN_PAD = 3
#: Where a word may break: spaces, and inside code after _ and : (the preamble allows those breaks).
_BREAKS = re.compile(r"[\s_:/,;]+")


def column_widths(rows: list[list[str]], line: int = LINE_CHARS) -> list[int] | None:
    """Column widths (in characters) for a table of cell texts, or ``None`` when it fits as it is.

    Parameters
    ----------
    rows : list of list of str
        The text of every cell, header rows included, one list per row.
    line : int
        The characters a line holds.

    Returns
    -------
    list of int or None
        One width per column, summing to about ``line``; ``None`` if the table's natural width
        (the longest cell of each column) already fits.
    """
    ncols = max((len(r) for r in rows), default=0)
    if ncols == 0:
        return None
    natural, floor = [], []
    for j in range(ncols):
        cells = [r[j] for r in rows if j < len(r)]
        longest = max((len(c) for c in cells), default=0)
        word = max((len(w) for c in cells for w in _BREAKS.split(c)), default=0)
        natural.append(max(longest, 1) + COLUMN_PAD)
        # a word of n characters may be wider than n average characters (capitals, italics, m and w)
        floor.append(min(math.ceil(1.15 * max(word, 4)), longest) + COLUMN_PAD)
    if sum(natural) <= line:
        return None
    spare = line - sum(floor)
    want = [n - f for n, f in zip(natural, floor)]
    if spare <= 0 or sum(want) == 0:
        return floor
    return [f + round(spare * w / sum(want)) for f, w in zip(floor, want)]


def _has_spans(table: nodes.table) -> bool:
    return any(e.get("morecols") or e.get("morerows") for e in table.findall(nodes.entry))


def _alignments(tgroup: nodes.tgroup, ncols: int) -> list[str]:
    """Each column's alignment (``l``, ``r`` or ``c``) from MyST's ``text-right``/``text-center`` classes."""
    body = [row for tb in tgroup.findall(nodes.tbody) for row in tb.findall(nodes.row)]
    out = []
    for j in range(ncols):
        classes = [set(row.children[j]["classes"]) for row in body if j < len(row.children)]
        if classes and all("text-right" in c for c in classes):
            out.append("r")
        elif classes and all("text-center" in c for c in classes):
            out.append("c")
        else:
            out.append("l")
    return out


def fit_tables(doctree: nodes.Node, line: int = LINE_CHARS) -> int:
    """Give every too-wide table of ``doctree`` column widths; return how many were changed.

    A table that fits keeps LaTeX's natural widths but gets its columns' alignment (numbers to the
    right, as in the HTML), which Sphinx would otherwise drop.
    """
    from sphinx import addnodes

    changed = 0
    for table in list(doctree.findall(nodes.table)):
        if "colwidths-given" in table["classes"] or _has_spans(table):
            continue
        tgroup = next(iter(table.findall(nodes.tgroup)), None)
        if tgroup is None or isinstance(table.parent, nodes.entry):
            continue
        specs = [c for c in tgroup.children if isinstance(c, nodes.colspec)]
        rows = [[e.astext() for e in row.children] for row in tgroup.findall(nodes.row)]
        widths = column_widths(rows, line)
        if widths is None:
            align = "".join(_alignments(tgroup, len(specs)))
            # Sphinx sets a table of more than 30 rows as a longtable, which knows l/r/c; others go to
            # tabulary, whose wrapping columns are L/R/C.
            spec = align if len(rows) > 30 or "longtable" in table["classes"] else align.upper()
            table.parent.insert(table.parent.index(table), addnodes.tabular_col_spec(spec=spec))
            continue
        if len(widths) != len(specs):
            continue
        for spec, width in zip(specs, widths):
            spec["colwidth"] = width
        table["classes"].append("colwidths-given")
        changed += 1
    return changed


def setup(app):
    from sphinx.transforms.post_transforms import SphinxPostTransform

    class FitTables(SphinxPostTransform):
        default_priority = 400
        builders = ("latex",)

        def run(self, **kwargs) -> None:
            fit_tables(self.document)

    app.add_post_transform(FitTables)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
