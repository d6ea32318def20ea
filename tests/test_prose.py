"""Every number the prose states is computed (glued), never typed.

The scanner reads the markdown of every page (the notebooks' markdown cells and the Markdown
pages of the book), blanks out the contexts in which a digit is allowed, and reports any digit
that is left. Allowed:

* glue roles with their keys (``{glue:text}`notebooks/02_threat.ipynb::share_threat_1:s```),
  ``{numref}``/``{ref}``/``{cite}``/``{doc}``/``{eq}`` roles, target labels ``(sec-design)=``;
* years (19xx, 20xx), "Table 1", "Tables 1 and 2", "Figure 4", "Tabel 2", "Figuur 3", "Section 2";
* inline code spans (`data/published.yml`), fenced code blocks, link targets, URLs, file paths;
* the numbers of an ordered list ("1. ...") and directive options (``:width: 80%``);
* single-digit integers inside math (``$(1-R^2)$``): a formula's structure, not a result.
  A decimal or a number of two or more digits inside math is still reported.

Anything else ("30.9%", "β = .04", "p above .05", "95% confidence") is a typed number: glue it.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from werk.core import paths

ALLOWED_ROLES = r"glue(?::(?:text|any|md|figure|math))?|numref|ref|cite(?::[a-z]+)?|doc|eq|download|term|abbr"
_ROLE = re.compile(r"\{(" + ALLOWED_ROLES + r")\}`[^`]*`")
_OTHER_ROLE = re.compile(r"\{[\w:.-]+\}`([^`]*)`")
_CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.S)
_LABEL = re.compile(r"^\s*\([\w.:-]+\)=\s*$", re.M)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_LINK_TARGET = re.compile(r"\]\([^)\s]*\)")
_AUTOLINK = re.compile(r"<[a-z]+://[^>\s]*>")
_URL = re.compile(r"\b(?:https?|ftp)://\S+|\bwww\.\S+")
# data/twin.csv, notebooks/01_design.ipynb
_PATH = re.compile(r"(?<![\w/])(?:\.{0,2}/)?[A-Za-z_][\w.-]*/(?:[\w.-]+/)*[\w.-]+")
_FILE = re.compile(r"\b[\w-]+\.(?:ipynb|md|csv|yml|yaml|py|sav|parquet|bib|txt)\b")
_LIST_MARKER = re.compile(r"^[ \t]*\d+[.)](?=[ \t])", re.M)
_DIRECTIVE_OPTION = re.compile(r"^[ \t]*:[\w-]+:.*$", re.M)
_FENCE = re.compile(r"^([ \t]*)(`{3,}|~{3,}|:{3,})[ \t]*(.*?)$", re.M)
_YEAR = re.compile(r"(?<![\w.,])(?:1[89]|20)\d\d(?![\w.,]\d)")
_NUMBERED = re.compile(
    r"\b(?:Tables?|Figures?|Tabel(?:len)?|Figuur|Figuren|Sections?|Chapters?|Hoofdstuk|Paragraaf)"
    r"\s+\d+(?:\s*(?:,|and|en|&|–|-|to|tot)\s*\d+)*"
)
_MATH = re.compile(r"\$\$.+?\$\$|(?<![\\$])\$(?!\s)[^$\n]+?(?<!\s)\$", re.S)
_MATH_SMALL_INT = re.compile(r"(?<![\d.])\d(?![\d.])")
#: A typed number as a reader would quote it: "30.9%", ".04", "-.13", "5,391".
_NUMBER = re.compile(r"[-−+]?(?:\d[\d,]*)?\.?\d+(?:[.,]\d+)*\s?%?")


def _blank(text: str, pattern: re.Pattern, keep=None) -> str:
    """Replace every match with spaces (newlines kept) so that offsets stay valid."""

    def sub(m: re.Match) -> str:
        return keep(m) if keep else re.sub(r"[^\n]", " ", m.group(0))

    return pattern.sub(sub, text)


def _mask_fences(text: str) -> str:
    """Blank code blocks; keep the prose inside directives (``{admonition}``) but blank their options."""
    lines = text.split("\n")
    out, stack = [], []  # stack of (fence string, is code)
    for line in lines:
        m = _FENCE.match(line)
        if m:
            fence, info = m.group(2), m.group(3).strip()
            if stack and fence[0] == stack[-1][0][0] and len(fence) >= len(stack[-1][0]) and not info:
                stack.pop()  # the closing fence
                out.append(" " * len(line))
                continue
            if not stack or not stack[-1][1]:  # an opening fence (a fence inside code is code)
                is_code = not info.startswith("{") or info.startswith(("{code", "{literalinclude"))
                stack.append((fence, is_code))
                out.append(" " * len(line))  # the directive's name and argument
                continue
        out.append(" " * len(line) if stack and stack[-1][1] else line)
    return "\n".join(out)


def typed_numbers(text: str) -> list[tuple[str, str]]:
    """The typed numbers in a markdown text, as (number, the line it stands on) pairs."""
    t = _blank(text, _COMMENT)
    t = _mask_fences(t)
    t = _blank(t, _DIRECTIVE_OPTION)
    t = _blank(t, _ROLE)
    # An unknown role ({sub}`2`): its name and backticks go, its content is scanned as prose.
    t = _blank(t, _OTHER_ROLE,
               keep=lambda m: " " * (len(m.group(0)) - len(m.group(1)) - 1) + m.group(1) + " ")
    t = _blank(t, _CODE_SPAN)
    t = _blank(t, _LABEL)
    t = _blank(t, _LINK_TARGET, keep=lambda m: "]" + " " * (len(m.group(0)) - 1))
    t = _blank(t, _AUTOLINK)
    t = _blank(t, _URL)
    t = _blank(t, _FILE)
    t = _blank(t, _PATH)
    t = _blank(t, _MATH, keep=lambda m: _MATH_SMALL_INT.sub(" ", m.group(0)))
    t = _blank(t, _LIST_MARKER)
    t = _blank(t, _NUMBERED)
    t = _blank(t, _YEAR)
    found = []
    for m in _NUMBER.finditer(t):
        if not re.search(r"\d", m.group(0)):
            continue
        line_start = text.rfind("\n", 0, m.start()) + 1
        line_end = text.find("\n", m.end())
        line = text[line_start: line_end if line_end >= 0 else None]
        found.append((text[m.start():m.end()].strip(), line.strip()))
    return found


def book_pages(root: Path = paths.ROOT) -> list[Path]:
    """The pages of ``_toc.yml`` (root first), as files relative to ``root``."""
    from werk.build import pipeline as build

    return build.toc_pages(root, strict=False)


def markdown_chunks(root: Path = paths.ROOT):
    """(file, where, markdown) for every markdown cell of every notebook and every Markdown page."""
    files = set(book_pages(root)) | {p.relative_to(root) for p in (root / "notebooks").glob("*.ipynb")}
    files |= {Path("intro.md")}
    for rel in sorted(files):
        path = root / rel
        if path.suffix == ".ipynb":
            nb = nbformat.read(path, as_version=4)
            for i, cell in enumerate(nb.cells):
                if cell.cell_type == "markdown":
                    yield str(rel), f"cell {i}", cell.source
        else:
            yield str(rel), "page", path.read_text(encoding="utf-8")


# ----------------------------------------------------------------------------------------------- the scan


def test_no_typed_numbers_in_the_prose():
    problems = []
    for name, where, text in markdown_chunks():
        for number, line in typed_numbers(text):
            problems.append(f"{name}, {where}: {number!r} in: {line}")
    assert not problems, (
        "numbers typed into the prose (glue them with werk.book.glue / glue_claim and {glue:text}):\n  "
        + "\n  ".join(problems)
    )


def test_the_scan_covers_every_page():
    names = {name for name, _, _ in markdown_chunks()}
    assert "intro.md" in names
    assert {f"notebooks/{p.name}" for p in (paths.ROOT / "notebooks").glob("*.ipynb")} <= names
    assert len(names) >= 8


# ----------------------------------------------------------------------------------------------- the scanner


@pytest.mark.parametrize(
    "text, number",
    [
        ("Most respondents (30.9%) see no threat.", "30.9%"),
        ("Employability goes with less threat (β = .04, p < .001).", ".04"),
        ("the article prints β = -.13 here", "-.13"),
        ("It covers 5,391 respondents.", "5,391"),
        ("We use 95% confidence intervals.", "95%"),
        ("a claimed absence of effect must have p above .05", ".05"),
        ("The largest group (N = 1207) works for municipalities.", "1207"),
        ("three in 10 civil servants", "10"),
        ("A number after a glue role {glue:text}`share_threat_1` and 12.5 typed", "12.5"),
        ("inside math a result is still typed: $\\beta = .04$", ".04"),
        ("::::{admonition} Note\nOnly 40% fear for their job.\n::::", "40%"),
        ("See [the 3 figures](sec-threat).", "3"),
    ],
)
def test_scanner_finds_a_typed_number(text, number):
    found = [n for n, _ in typed_numbers(text)]
    assert number in found, found


@pytest.mark.parametrize(
    "text",
    [
        "It covers {glue:text}`n_total` respondents (the article: {glue:text}`pub_n_total`).",
        "β = {glue:text}`notebooks/03_keep_up.ipynb::beta_keep_up_age:s`",
        "{glue:text}`02_threat.ipynb::r_hrm_leadership_employability:s`",
        "({numref}`fig-threat`, {numref}`tab-age`) and {ref}`sec-design`",
        "debate {cite}`vanest2015`, {cite:p}`frey2017,brynjolfsson2014`",
        "(sec-keep-up)=\n# Keeping up",
        "The WERKonderzoek 2019 and the article of 2020.",
        "as in the article's Tables 1 and 2, Figure 4 and Figuur 5, Tabel 2",
        "The file `data/published.yml` and `werk build --jobs 2`.",
        "See https://www.cbs.nl/2019/werk-123 or [the site](https://example.org/a1).",
        "the notebook notebooks/02_threat.ipynb and data/mapping.example.yml",
        "1. first question\n2. second question",
        "the bound $\\sqrt{(1-R^2)/(N-k-1)}$ holds",
        "```yaml\nthreat: [1, 2, 3]\n```",
        ":::{table} Caption\n:name: tab-x\n:width: 80%\n\n| a |\n:::",
        "<!-- TODO: 30.9% -->",
        "R² and Cohen's d",
    ],
)
def test_scanner_allows(text):
    assert typed_numbers(text) == []


def test_scanner_reports_file_cell_and_text(tmp_path):
    """A typed number in a notebook's markdown is reported with the file, the cell and the line."""
    import shutil

    root = tmp_path
    shutil.copy2(paths.ROOT / "_toc.yml", root / "_toc.yml")
    (root / "intro.md").write_text("# Intro\n\nNothing typed here, {glue:text}`n_total`.\n")
    (root / "notebooks").mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Page"),
                nbformat.v4.new_markdown_cell("Here 30.9% is typed.")]
    nbformat.write(nb, root / "notebooks" / "01_design.ipynb")
    hits = [(name, where, n, line) for name, where, text in markdown_chunks(root)
            for n, line in typed_numbers(text)]
    assert hits == [("notebooks/01_design.ipynb", "cell 1", "30.9%", "Here 30.9% is typed.")]
