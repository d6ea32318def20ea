"""The PDF of the book (`werk build --pdf`): one file, every section, glued numbers, figures, tables that fit.

The slow tests compile the PDF once (module fixture ``book_pdf``) from the sources that the session fixture
``built_book`` already staged, and read it with poppler's tools (pdfinfo, pdftotext, pdftoppm, pdfimages).
The fast tests cover the pieces: the PDF's chapter arrangement, column widths, the LaTeX log parser.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
import yaml

from werk.build import latex as wlatex
from werk.build import pipeline as build
from werk.core import paths
from werk.inputs import data as wdata
from werk.stats import ledger

POPPLER = ["pdfinfo", "pdftotext", "pdftoppm", "pdfimages"]
needs_poppler = pytest.mark.skipif(
    any(shutil.which(t) is None for t in POPPLER), reason="poppler-utils (pdftotext, ...) not installed"
)
needs_latex = pytest.mark.skipif(shutil.which("latexmk") is None or shutil.which("pdflatex") is None,
                                 reason="TeX Live (pdflatex, latexmk) not installed")


# --------------------------------------------------------------------------------------------- helpers


def run(*cmd: str) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def pdf_pages(pdf: Path) -> int:
    return int(re.search(r"^Pages:\s+(\d+)", run("pdfinfo", str(pdf)), re.M).group(1))


def normalize(text: str) -> str:
    """Text as compared: typographic quotes and minus signs as ASCII, whitespace collapsed, lower case."""
    typographic = {"’": "'", "‘": "'", "“": '"', "”": '"', "−": "-", "\u00a0": " ", "ﬁ": "fi", "ﬂ": "fl"}
    for a, b in typographic.items():
        text = text.replace(a, b)
    return re.sub(r"\s+", " ", text).strip().lower()


def page_titles(root: Path) -> list[str]:
    """The ``#`` and ``##`` headings of every page of ``_toc.yml``, as plain text."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    names = [toc["root"]] + [f for f, _ in build._toc_files(toc)]
    titles = []
    for name in names:
        src = next(root / (name + s) for s in (".md", ".ipynb") if (root / (name + s)).exists())
        if src.suffix == ".md":
            texts = [src.read_text()]
        else:
            texts = [c.source for c in nbformat.read(src, as_version=4).cells if c.cell_type == "markdown"]
        for text in texts:
            for m in re.finditer(r"^#{1,2} (.+)$", re.sub(r"```.*?```", "", text, flags=re.S), re.M):
                titles.append(re.sub(r"[*`]", "", m.group(1)).strip())
    return titles


def words_outside(bbox_html: str, tolerance: float = 3.0) -> list[str]:
    """Words of ``pdftotext -bbox`` output that stick out of the text block (left or right margin).

    The text block's left edge is the leftmost word (a table that is too wide starts at the left
    margin and runs off to the right); the margins are equal (the class option ``oneside``), so the
    right edge is the page width minus the left edge.
    """
    pages = re.findall(r'<page width="([\d.]+)" height="[\d.]+">(.*?)</page>', bbox_html, re.S)
    word = re.compile(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">(.*?)</word>')
    words = [(float(w), [(float(a), float(b), t) for a, b, t in word.findall(body)]) for w, body in pages]
    left = min(x0 for _, ws in words for x0, _, _ in ws)
    assert left > 36, f"text starts {left:.0f} pt from the page edge"
    out = []
    for number, (width, ws) in enumerate(words, start=1):
        for x0, x1, text in ws:
            if x0 < left - tolerance or x1 > width - left + tolerance:
                out.append(f"page {number}: {text!r} at x {x0:.0f}-{x1:.0f} "
                           f"(text block {left:.0f}-{width - left:.0f})")
    return out


# ------------------------------------------------------------------------------------------ fast tests


def test_column_widths_leave_a_table_that_fits_alone():
    assert wlatex.column_widths([["term", "β"], ["age", "-0.24"]]) is None


def test_column_widths_share_the_line_and_keep_every_word_whole():
    long = "a claimed absence of effect must have p above .05 " * 4
    rows = [["claim", "article", "note"], ["beta:threat~career_self_management", "0.09", long]]
    widths = wlatex.column_widths(rows, line=100)
    assert widths is not None and len(widths) == 3
    assert abs(sum(widths) - 100) <= 3
    assert widths[0] >= len("self_management")  # the longest piece between break points
    assert widths[2] > widths[1]  # the long text gets the room


def test_column_widths_never_squeeze_below_the_longest_word():
    rows = [["x" * 60, "y" * 60]]
    assert wlatex.column_widths(rows, line=100) == [72, 72]  # 1.15 x 60 + 3: overflows, the log will say so


def test_overfull_boxes_reads_the_log():
    log = ("Overfull \\hbox (1.86308pt too wide) in paragraph at lines 3301--3303\n"
           "Overfull \\hbox (2160.2pt too wide) in alignment at lines 2373--3668\n")
    wide = "Overfull \\hbox (2160.2pt too wide) in alignment at lines 2373--3668"
    assert build.overfull_boxes(log) == [wide]


def test_latex_escape():
    assert build.latex_escape("a_b & 50% {x} ~ $") == r"a\_b \& 50\% \{x\} \textasciitilde{} \$"


def _mini_stage(tmp_path: Path) -> Path:
    st = tmp_path / "stage" / "all"
    (st / "notebooks").mkdir(parents=True)
    (st / "_config.yml").write_text(yaml.safe_dump({
        "title": "T", "html": {"extra_footer": "Edition: judiciary (108 respondents), from x_y.csv."},
        "sphinx": {"config": {"latex_elements": {"preamble": "% base\n"}}}}))
    (st / "_toc.yml").write_text(yaml.safe_dump({
        "format": "jb-book", "root": "intro", "parts": [
            {"caption": "The article", "chapters": [{"file": "notebooks/01_a"}]},
            {"caption": "Appendices", "chapters": [{"file": "notebooks/05_b"}, {"file": "references"}]}]}))
    (st / "intro.md").write_text("# Intro\n\ntext\n")
    (st / "references.md").write_text("# References\n\n```{bibliography}\n:style: plain\n```\n")
    for name in ("01_a", "05_b"):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"# {name}")])
        nbformat.write(nb, st / "notebooks" / f"{name}.ipynb")
    return st


def test_stage_pdf_makes_the_landing_page_chapter_one_and_the_appendices_appendices(tmp_path):
    st = build.stage_pdf(_mini_stage(tmp_path))
    assert st.name == "all-pdf"
    toc = yaml.safe_load((st / "_toc.yml").read_text())
    assert toc["root"] == build.PDF_ROOT
    assert [c["file"] for c in toc["chapters"]] == ["intro", "notebooks/01_a", "notebooks/05_b"]
    root = (st / f"{build.PDF_ROOT}.md").read_text()
    assert root.startswith("# T\n") and "```{bibliography}\n:style: plain\n```" in root
    assert not (st / "references.md").exists()
    first = nbformat.read(st / "notebooks/05_b.ipynb", as_version=4).cells[0].source
    assert "{raw} latex" in first and "\\appendix" in first
    assert "\\appendix" not in nbformat.read(st / "notebooks/01_a.ipynb", as_version=4).cells[0].source
    cfg = yaml.safe_load((st / "_config.yml").read_text())
    assert "werk.build.latex" in cfg["sphinx"]["extra_extensions"]
    preamble = cfg["sphinx"]["config"]["latex_elements"]["preamble"]
    assert preamble.startswith("% base\n")
    assert r"\renewcommand{\WerkEdition}{Edition: judiciary (108 respondents), from x\_y.csv.}" in preamble


# ------------------------------------------------------------------------------------------ slow tests


@pytest.fixture(scope="module")
def book_pdf(built_book) -> Path:
    """The PDF of the default book, compiled from the stage of ``built_book``."""
    if shutil.which("latexmk") is None:
        pytest.skip("TeX Live (latexmk) not installed")
    return build.compile_book(built_book / "_build" / "stage" / "all", "all", "pdflatex", built_book)


@pytest.fixture(scope="module")
def pdf_text(book_pdf) -> str:
    return normalize(run("pdftotext", str(book_pdf), "-"))


@pytest.mark.slow
@needs_poppler
def test_one_pdf_of_the_whole_book(book_pdf, built_book):
    assert book_pdf == built_book / "_build" / "pdf" / "book.pdf" == build.pdf_path("all", built_book)
    assert pdf_pages(book_pdf) >= 20
    info = run("pdfinfo", str(book_pdf))
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info)


@pytest.mark.slow
@needs_poppler
def test_title_page_names_the_book_and_the_edition(book_pdf, built_book):
    title = yaml.safe_load((built_book / "_config.yml").read_text())["title"]
    first = normalize(run("pdftotext", "-f", "1", "-l", "1", str(book_pdf), "-"))
    assert normalize(title) in first
    assert "edition: all sectors (5,391 respondents), computed from the synthetic twin" in first
    second = normalize(run("pdftotext", "-f", "2", "-l", "3", str(book_pdf), "-"))
    assert "contents" in second


@pytest.mark.slow
@needs_poppler
def test_every_section_title_is_in_the_pdf(pdf_text, built_book):
    titles = page_titles(built_book)
    assert len(titles) > 20
    missing = [t for t in titles if normalize(t) not in pdf_text]
    assert not missing, f"section titles not in the PDF: {missing}"
    assert "references" in pdf_text and "bondarouk" in pdf_text  # the bibliography


@pytest.mark.slow
@needs_poppler
def test_glued_numbers_are_in_the_pdf(pdf_text):
    """Key numbers as the notebooks glue them (``ledger.format_value``), computed afresh from the twin."""
    led = ledger.ledger(wdata.load(paths.TWIN)).set_index("id")
    claims = {c["id"]: c for c in ledger.claims()}

    def shown(cid: str) -> str:
        return normalize(ledger.format_value(claims[cid], led.loc[cid, "value"]))

    for cid in ["share:threat=1", "share:threat=2", "share:keep_up=4", "share:keep_up=5"]:
        assert shown(cid) in pdf_text, cid
    for cid in ["beta:threat~employability", "beta:threat~career_self_management", "beta:keep_up~age",
                "beta:keep_up~adaptability"]:
        assert f"β = {shown(cid)}" in pdf_text, cid
    assert f"{shown('n:total')} respondents" in pdf_text


@pytest.mark.slow
@needs_poppler
def test_no_unrendered_markup_or_missing_glue(pdf_text):
    # a glue key that did not resolve, a role printed as text, or LaTeX's "??" for a broken reference
    for bad in ["{glue", "{numref}", "{cite}", "??", "\\"]:
        assert bad not in pdf_text, bad


@pytest.mark.slow
@needs_poppler
def test_every_page_renders(book_pdf, tmp_path):
    pages = pdf_pages(book_pdf)
    proc = subprocess.run(["pdftoppm", "-r", "20", "-png", str(book_pdf), str(tmp_path / "p")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "error" not in proc.stderr.lower(), proc.stderr
    pngs = sorted(tmp_path.glob("p-*.png"))
    assert len(pngs) == pages
    assert all(p.stat().st_size > 100 for p in pngs)


@pytest.mark.slow
@needs_poppler
def test_figures_are_in_the_pdf(book_pdf, built_book):
    """Every figure the executed notebooks show is an image in the PDF (and there are at least 5)."""
    shown = 0
    for nb_path in (built_book / "_build" / "stage" / "all" / "notebooks").glob("*.ipynb"):
        for cell in nbformat.read(nb_path, as_version=4).cells:
            tags = cell.get("metadata", {}).get("tags", [])
            if cell.cell_type != "code" or {"remove-cell", "remove-output"} & set(tags):
                continue
            shown += sum("image/png" in o.get("data", {}) for o in cell.get("outputs", []))
    images = [ln for ln in run("pdfimages", "-list", str(book_pdf)).splitlines()[2:] if ln.strip()]
    assert len(images) >= max(5, shown), (len(images), shown)


@pytest.mark.slow
@needs_poppler
def test_tables_fit_the_page_width(book_pdf, built_book):
    outside = words_outside(run("pdftotext", "-bbox", str(book_pdf), "-"))
    assert not outside, "text outside the text block:\n" + "\n".join(outside[:20])
    log = (built_book / "_build" / "latex" / "all" / "book.log").read_text(errors="replace")
    assert not build.overfull_boxes(log, limit=10), build.overfull_boxes(log, limit=10)


@pytest.mark.slow
@needs_poppler
def test_words_outside_catches_an_overflowing_table(tmp_path):
    """The check above can fail: a longtable of l columns (the ledger before werk.build.latex) runs off the
    page."""
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex not installed")
    cells = " & ".join(["a claimed absence of effect"] * 4)
    row = r"\texttt{beta:threat~career\_self\_management} & " + cells
    tex = ("\\documentclass[a4paper]{report}\\usepackage[hmargin=1in]{geometry}\\usepackage{longtable}"
           "\\begin{document}Some text to set the margin.\n"
           "\\begin{longtable}{lllll}" + (row + "\\\\\n") * 5 + "\\end{longtable}\\end{document}\n")
    (tmp_path / "t.tex").write_text(tex)
    subprocess.run(["pdflatex", "-interaction=nonstopmode", "t.tex"], cwd=tmp_path, capture_output=True)
    assert words_outside(run("pdftotext", "-bbox", str(tmp_path / "t.pdf"), "-"))


@pytest.mark.slow
@needs_latex
def test_a_failed_pdf_leaves_the_previous_one_and_shows_the_latex_error(book_pdf, built_book, tmp_path):
    before = hashlib.sha256(book_pdf.read_bytes()).hexdigest()
    st = tmp_path / "broken"
    st.mkdir()
    good = built_book / "_build" / "stage" / "all"
    for name in ("_config.yml", "references.bib"):
        shutil.copy2(good / name, st / name)
    (st / "_toc.yml").write_text("format: jb-book\nroot: intro\n")
    (st / "intro.md").write_text("# Broken\n\n```{raw} latex\n\\werkNoSuchMacro\n```\n")
    with pytest.raises(build.BuildError) as err:
        build.compile_book(st, "all", "pdflatex", built_book)
    msg = str(err.value)
    assert "previous PDF is left in place" in msg
    assert "Undefined control sequence" in msg and "werkNoSuchMacro" in msg
    assert hashlib.sha256(book_pdf.read_bytes()).hexdigest() == before


def git_repo(path: Path, when: int) -> Path:
    """A git checkout at ``path`` whose one commit is dated ``when`` (seconds since 1970)."""
    path.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "GIT_AUTHOR_DATE": f"@{when} +0000", "GIT_COMMITTER_DATE": f"@{when} +0000",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org"}
    for cmd in (["init", "-q"], ["commit", "-q", "--allow-empty", "-m", "x"]):
        subprocess.run(["git", "-C", str(path), *cmd], check=True, env=env, capture_output=True)
    return path


@pytest.mark.slow
@needs_poppler
def test_the_same_sources_give_the_same_pdf_bytes_dated_by_the_last_commit(built_book, tmp_path, monkeypatch):
    """Two checkouts of the same commit, compiled at different times: the same PDF, byte for byte,
    its title page dated by the commit (13 September 2020 here), not by the day of the build."""
    if shutil.which("latexmk") is None or shutil.which("git") is None:
        pytest.skip("TeX Live (latexmk) or git not installed")
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    pdfs = []
    for name in ("one", "two"):
        root = git_repo(tmp_path / name, 1600000000)
        shutil.copytree(built_book / "_build" / "stage" / "all", root / "_build" / "stage" / "all")
        pdfs.append(build.compile_book(root / "_build" / "stage" / "all", "all", "pdflatex", root))
    assert pdfs[0] != pdfs[1]
    assert pdfs[0].read_bytes() == pdfs[1].read_bytes()
    assert "sep 13, 2020" in normalize(run("pdftotext", "-f", "1", "-l", "1", str(pdfs[0]), "-"))


# ------------------------------------------------------------------------------------------ dates
def test_source_date_epoch_comes_from_the_environment_then_git(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1577836800")
    assert build.source_date_epoch(tmp_path) == "1577836800"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(build.WerkError, match="SOURCE_DATE_EPOCH must be whole seconds"):
        build.source_date_epoch(tmp_path)
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert build.source_date_epoch(tmp_path) is None, "not a git checkout: the day of the build"
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    assert build.source_date_epoch(git_repo(tmp_path / "repo", 1600000000)) == "1600000000"
