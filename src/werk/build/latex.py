"""A Sphinx extension for the PDF: tables that fit the page.

Sphinx typesets a table of more than 30 rows as a ``longtable`` with ``l`` columns, which never
wrap: the claims ledger and the audit ran thousands of points off the page. Shorter tables go to
``tabulary``, which wraps but may squeeze a column below its longest word (the codebook's variable
names). This post-transform, run by the LaTeX builder only, measures every table whose natural
width (its longest cell per column) is more than the line holds, and gives it column widths: each
column at least its longest unbreakable word, the rest of the line where it saves the most lines
(:func:`column_widths`). Sphinx then sets those columns as ``p`` columns, which wrap.

`werk build --pdf` loads it (see :func:`werk.build.pipeline.stage_pdf`); the HTML book never does.
"""

from __future__ import annotations

import math
import re

from docutils import nodes

__all__ = ["column_widths", "setup"]

#: Characters of table text a line holds: A4 with Sphinx's 1-inch margins is 451 pt; the preamble in
#: _config.yml sets tables in \small (9 pt Times, about 4.3 pt a character; inline code in txtt is wider).
LINE_CHARS = 100
#: A table too wide for that is set in \footnotesize (8 pt), whose line holds this many characters.
WIDE_LINE_CHARS = 115
#: LaTeX around a wide table: \WerkTableSize is what the preamble's table start hooks set.
WIDE_BEGIN, WIDE_END = r"\begingroup\let\WerkTableSize\footnotesize", r"\endgroup"
#: What a column costs beyond its text: the space between columns (2 \tabcolsep = 12 pt).
COLUMN_PAD = 3
#: Where a word may break: spaces, and inside code after _ : ~ (the preamble in _config.yml allows those).
#: Where LaTeX may break a cell's text: spaces (not the no-break spaces that keep a number whole,
#: werk.book.keep_whole) and after these characters (a comma only before a breakable space).
_BREAKS = re.compile(r"(?:[^\S\u00a0\u202f]|[_:~/;]|,(?![\u00a0\u202f]))+")


def _longest_piece(text: str) -> int:
    return max((len(w) for w in _BREAKS.split(text)), default=0)


#: Wrapped text fills a line only so far (words do not split anywhere): the share of a column's
#: characters a wrapped line holds on average.
FILL = 0.85


def _lines(length: int, width: float) -> int:
    """Lines a cell of ``length`` characters takes in a column ``width`` characters wide
    (padding included)."""
    return max(1, math.ceil(length / max(1.0, (width - COLUMN_PAD) * FILL))) if length else 1


def column_widths(rows: list[list[str]], line: int = LINE_CHARS,
                  words: list[list[int]] | None = None) -> list[int] | None:
    """Column widths (in characters) for a table of cell texts, or ``None`` when it fits as it is.

    Every column gets at least its longest unbreakable word; the rest of the line is handed out a
    few characters at a time to the column where they save the most lines of table (the height
    of a row is that of its tallest cell), and no column gets more than its longest cell needs.

    Parameters
    ----------
    rows : list of list of str
        The text of every cell, header rows included, one list per row.
    line : int
        The characters a line holds.
    words : list of list of int, optional
        For every cell, the length of its longest piece that cannot be broken; by default the
        longest piece between spaces and the break points of :data:`_BREAKS`.

    Returns
    -------
    list of int or None
        One width per column, summing to about ``line``; ``None`` if the table's natural width
        (the longest cell of each column) already fits.
    """
    ncols = max((len(r) for r in rows), default=0)
    if ncols == 0:
        return None
    if words is None:
        words = [[_longest_piece(c) for c in r] for r in rows]
    lengths = [[len(r[j]) if j < len(r) else 0 for j in range(ncols)] for r in rows]
    natural, floor = [], []
    for j in range(ncols):
        longest = max(row[j] for row in lengths)
        word = max((w[j] for w in words if j < len(w)), default=0)
        # a word of n characters may be wider than n average characters (capitals, italics, code)
        floor.append(math.ceil(1.15 * min(max(word, 4), max(longest, 1))) + COLUMN_PAD)
        natural.append(max(longest + COLUMN_PAD, floor[-1]))
    if sum(natural) <= line:
        return None
    width = list(floor)
    spare = line - sum(floor)
    lines = [[_lines(row[j], width[j]) for j in range(ncols)] for row in lengths]

    def height_with(j: int, w: int) -> int:
        return sum(
            max(max(ln[:j] + ln[j + 1:], default=1), _lines(row[j], w)) for ln, row in zip(lines, lengths)
        )

    while spare > 0:
        now = sum(max(ln) for ln in lines)
        best = None  # (lines saved per character, characters, column)
        for j in range(ncols):
            for d in range(1, min(spare, natural[j] - width[j]) + 1):
                saved = now - height_with(j, width[j] + d)
                if saved > 0 and (best is None or saved / d > best[0]):
                    best = (saved / d, d, j)
        if best is None:  # no more lines to save: share what is left by the text each column holds
            text = [sum(row[j] for row in lengths) if width[j] < natural[j] else 0 for j in range(ncols)]
            if not sum(text):
                break
            for j in range(ncols):
                width[j] += spare * text[j] // sum(text)
            break
        _, d, j = best
        width[j] += d
        spare -= d
        for ln, row in zip(lines, lengths):
            ln[j] = _lines(row[j], width[j])
    return width


#: Prose hyphenates (the tables are set ragged right with ragged2e, which allows it): a word of
#: prose needs at most this many characters of a column; code does not hyphenate.
HYPHENATED = 8


def _unbreakable(entry: nodes.entry) -> int:
    """The longest piece of a cell that LaTeX cannot break: code between break points, or prose words."""
    code = [n.astext() for n in entry.findall(nodes.literal)]
    prose = entry.astext()
    for c in code:
        prose = prose.replace(c, " ")
    # A number (held together by no-break spaces, werk.book.keep_whole) is not hyphenated either.
    numbers = [len(w) for w in _BREAKS.split(prose) if any(ch.isdigit() for ch in w)]
    return max([_longest_piece(c) for c in code] + numbers + [min(_longest_piece(prose), HYPHENATED)])


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
    """Give every too-wide table of ``doctree`` column widths and a smaller font; return how many.

    A table that fits keeps LaTeX's natural widths but gets its columns' alignment (numbers to the
    right, as in the HTML), which Sphinx would otherwise drop.
    """
    from sphinx import addnodes

    changed = 0
    for table in list(doctree.findall(nodes.table)):
        # An empty cell arrives as an empty paragraph, which LaTeX sets as a blank line: rows with an
        # empty cell (a model term without stars) stood twice as tall as the others.
        for para in list(table.findall(nodes.paragraph)):
            if isinstance(para.parent, nodes.entry) and not para.astext().strip():
                para.parent.remove(para)
        if "colwidths-given" in table["classes"] or _has_spans(table):
            continue
        tgroup = next(iter(table.findall(nodes.tgroup)), None)
        if tgroup is None or isinstance(table.parent, nodes.entry):
            continue
        specs = [c for c in tgroup.children if isinstance(c, nodes.colspec)]
        table_rows = list(tgroup.findall(nodes.row))
        rows = [[e.astext() for e in row.children] for row in table_rows]
        words = [[_unbreakable(e) for e in row.children] for row in table_rows]
        if column_widths(rows, line, words) is None:
            widths = None
        else:
            widths = column_widths(rows, round(line * WIDE_LINE_CHARS / LINE_CHARS), words)
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
        parent = table.parent
        parent.insert(parent.index(table), nodes.raw("", WIDE_BEGIN, format="latex"))
        parent.insert(parent.index(table) + 1, nodes.raw("", WIDE_END, format="latex"))
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
