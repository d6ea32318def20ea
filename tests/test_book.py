"""The built book: every page there, every glued number equal to `werk ledger`, offline, robust to failure.

The default book is built once per session by the ``built_book`` fixture (tests/conftest.py), into a
copy of the project. The tests that build again (another dataset, a failing notebook) build other copies.

How "the glued numbers equal the ledger" is checked, honestly:

1. For each page, read the ``{glue:text}`` roles of its markdown *in order* (for a notebook, the markdown
   cells of the executed notebook; for a Markdown page, the page).
2. Work out what each role must show, independently of the notebook that glued it:
   * a key that is a claim id (``werk.book.glue_key``: ``beta:threat~age`` -> ``beta_threat_age``):
     the ledger's reproduced value, formatted as `werk ledger` formats it (``ledger.format_value``);
   * ``pub_<claim>``: the ledger's published value, formatted the same way;
   * ``<claim>_p``: the ledger's p-value, formatted as the book formats p-values (``tables.format_p``);
   * ``pub_<claim>_p``: "< " and the printed threshold of ``data/published.yml``;
   * any other key (``threat_n``, ``edition_label``): no ledger counterpart, so the value the executed
     notebook stored, formatted as MyST-NB formats it (this checks the rendering, not the number).
   The ledger is `werk ledger --format json` run on the same data file.
3. The ``pasted-text`` spans of the page's HTML, in order, must equal that list.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup

from werk import book
from werk.build import cache
from werk.build import pipeline as build
from werk.core import fmt, paths
from werk.stats import ledger

pytestmark = pytest.mark.slow

WERK = Path(sys.executable).parent / "werk"
_GLUE_ROLE = re.compile(r"\{glue(?::text)?\}`([^`]+)`")


# ------------------------------------------------------------------------------------------------ helpers


def toc_pages(root: Path) -> list[Path]:
    """Every page of ``_toc.yml`` (root first) as a source file relative to ``root``."""
    return build.toc_pages(root)


def html_page(root: Path, page: Path) -> Path:
    """The HTML file of a source page in the built book."""
    return root / "_build" / "html" / page.with_suffix(".html")


@functools.cache
def ledger_records(data: str) -> dict[str, dict]:
    """`werk ledger --format json` on a data file, by claim id (cached per file)."""
    proc = subprocess.run([str(WERK), "ledger", "--data", data, "--format", "json"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return {r["id"]: r for r in json.loads(proc.stdout)}


@functools.cache
def _claims_by_key() -> dict[str, dict]:
    by_key = {}
    for c in ledger.claims():
        k = book.glue_key(c["id"])
        assert k not in by_key, f"two claims share the glue key {k}: {by_key[k]['id']} and {c['id']}"
        by_key[k] = c
    return by_key


def _stored_glue(nb_path: Path) -> dict[str, dict]:
    """The glue records (mime bundles) an executed notebook stored, by key."""
    nb = nbformat.read(nb_path, as_version=4)
    out = {}
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            name = o.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                prefix = o["metadata"]["scrapbook"]["mime_prefix"]
                out[name] = {k[len(prefix):]: v for k, v in o["data"].items() if k.startswith(prefix)}
    return out


#: Glue keys that are not claims but counts over the ledger: checked against `werk ledger` too.
LEDGER_COUNTS = {
    "ledger_n": len,
    "n_claims": len,
    "ledger_match": lambda r: sum(x["status"] == "match" for x in r.values()),
    "n_match": lambda r: sum(x["status"] == "match" for x in r.values()),
    "ledger_deviates": lambda r: sum(x["status"] == "deviates" for x in r.values()),
    "ledger_na": lambda r: sum(x["status"] == "not reproducible" for x in r.values()),
}


@dataclass
class Expected:
    key: str
    text: str
    source: str  # "ledger", "published" or "notebook"


def glue_roles(root: Path, page: Path) -> list[tuple[Path, str, str]]:
    """The glue roles of a page in order, as (notebook the key lives in, key, format spec)."""
    if page.suffix == ".ipynb":
        nb = nbformat.read(root / "_build" / "executed" / "all" / page, as_version=4)
        # The prose and, where a figure stands, its caption (which glues the figure's n), in page order.
        text = "\n".join(c.source if c.cell_type == "markdown"
                         else c.metadata.get("mystnb", {}).get("figure", {}).get("caption", "")
                         for c in nb.cells)
    else:
        text = (root / page).read_text(encoding="utf-8")
    roles = []
    for content in _GLUE_ROLE.findall(text):
        parts = content.rsplit(":", 1)  # as MyST-NB reads it: key[:format]
        key, spec = (parts[0], parts[1]) if len(parts) == 2 else (parts[0], "s")
        if "::" in key:
            doc, key = key.split("::", 1)
            where = (page.parent / doc)
        else:
            where = page
        roles.append((Path(*[p for p in where.parts if p != "."]), key, spec))
    return roles


def expected_glue(root: Path, page: Path, data: str | Path = paths.TWIN) -> list[Expected]:
    """What each glue role of a page must show, from the ledger on ``data`` where the key is a claim."""
    from myst_nb.core.variables import format_plain_text

    records = ledger_records(str(Path(data).resolve()))
    claims = _claims_by_key()
    stored: dict[Path, dict] = {}
    out = []
    for nb_page, key, spec in glue_roles(root, page):
        if key in claims:
            c = claims[key]
            out.append(Expected(key, ledger.format_value(c, records[c["id"]]["reproduced"]), "ledger"))
        elif key.startswith("pub_") and key[4:] in claims:
            c = claims[key[4:]]
            published = records[c["id"]]["published"]
            if isinstance(published, str) and c["value"] is not None:
                # A bound ("bijna 20%"): the ledger's published column states the bound it tests
                # ("over 18% and under 20%"); the prose quotes the printed number of data/published.yml.
                published = c["value"]
            out.append(Expected(key, ledger.format_value(c, published), "published"))
        elif key.endswith("_p") and key[:-2] in claims:
            c = claims[key[:-2]]
            p = records[c["id"]]["p"]
            # Glued as running text states it: "p = .018", "p < .001".
            out.append(Expected(key, fmt.format_p_text(np.nan if p is None else p), "ledger"))
        elif key.startswith("pub_") and key.endswith("_p") and key[4:-2] in claims:
            c = claims[key[4:-2]]
            out.append(Expected(key, f"< {c['p_max']}", "published"))  # compared by value, see below
        elif key in LEDGER_COUNTS:
            out.append(Expected(key, str(LEDGER_COUNTS[key](records)), "ledger"))
        else:
            if nb_page not in stored:
                stored[nb_page] = _stored_glue(root / "_build" / "executed" / "all" / nb_page)
            assert key in stored[nb_page], f"{page}: glue key {key} is not stored by {nb_page}"
            out.append(Expected(key, format_plain_text(stored[nb_page][key]["text/plain"], spec), "notebook"))
    return out


def pasted_texts(html: str) -> list[str]:
    """The texts of the glued spans of an HTML page, in order."""
    soup = BeautifulSoup(html, "html.parser")
    return [s.get_text() for s in soup.select("span.pasted-text")]


def _unsmart(text: str) -> str:
    for fancy, plain in (("‘", "'"), ("’", "'"), ("“", '"'), ("”", '"'), ("—", "---"), ("–", "--"),
                         ("…", "...")):
        text = text.replace(fancy, plain)
    return text


def glue_mismatches(page: Path, expected: list[Expected], shown: list[str]) -> list[str]:
    """Differences between what a page shows and what it must show (empty when they agree)."""
    problems = []
    if len(shown) != len(expected):
        problems.append(f"{page}: {len(shown)} glued spans in the HTML, "
                        f"{len(expected)} glue roles in the source")
    for i, (e, s) in enumerate(zip(expected, shown)):
        if e.source == "published" and e.key.endswith("_p"):
            ok = s.startswith("p < ") and float(s[4:]) == float(e.text[2:])
        elif e.source == "notebook":  # glued prose: Sphinx's smartquotes turn ' into ’ and -- into –
            ok = _unsmart(s) == _unsmart(e.text)
        else:
            ok = s == e.text
        if not ok:
            problems.append(f"{page}: glue #{i + 1} {e.key}: the page shows {s!r}, "
                            f"the {e.source} says {e.text!r}")
    return problems


def check_glue_against_ledger(root: Path, data: str | Path = paths.TWIN) -> dict[str, int]:
    """Assert every page's glued numbers equal the ledger; return how many came from each source."""
    counts: dict[str, int] = {"ledger": 0, "published": 0, "notebook": 0}
    problems = []
    for page in toc_pages(root):
        expected = expected_glue(root, page, data)
        shown = pasted_texts(html_page(root, page).read_text(encoding="utf-8"))
        problems += glue_mismatches(page, expected, shown)
        for e in expected:
            counts[e.source] += 1
    assert not problems, "glued numbers differ from `werk ledger`:\n  " + "\n  ".join(problems)
    return counts


def shown_values(root: Path) -> dict[str, str]:
    """Key -> text shown, over all pages (the first occurrence of a key)."""
    out = {}
    for page in toc_pages(root):
        roles = glue_roles(root, page)
        shown = pasted_texts(html_page(root, page).read_text(encoding="utf-8"))
        for (_, key, _), text in zip(roles, shown):
            out.setdefault(key, text)
    return out


# ------------------------------------------------------------------------------------------------ the book


def test_every_toc_page_is_built(built_book):
    html = built_book / "_build" / "html"
    assert (html / "index.html").is_file()
    pages = toc_pages(built_book)
    assert len(pages) >= 9
    for page in pages:
        f = html_page(built_book, page)
        assert f.is_file(), f"{page} is in _toc.yml but {f} was not built"
        soup = BeautifulSoup(f.read_text(encoding="utf-8"), "html.parser")
        assert soup.select_one("article h1"), f"{f} has no title"


def test_glued_numbers_equal_the_ledger(built_book):
    counts = check_glue_against_ledger(built_book)
    # Not vacuous: most of what the prose states is a claim of the article, checked against the ledger.
    assert counts["ledger"] >= 40, counts
    assert counts["published"] >= 30, counts


def test_a_changed_number_in_the_html_is_caught(built_book):
    """The comparison can fail: one glued number altered in a copy of a page is reported."""
    page = Path("notebooks/02_threat.ipynb")
    html = html_page(built_book, page).read_text(encoding="utf-8")
    expected = expected_glue(built_book, page)
    shown = pasted_texts(html)
    i = next(i for i, e in enumerate(expected) if e.source == "ledger")
    altered = html.replace(f'<span class="pasted-text">{shown[i]}</span>',
                           '<span class="pasted-text">99.9%</span>', 1)
    problems = glue_mismatches(page, expected, pasted_texts(altered))
    assert problems and expected[i].key in problems[0]


def _other_effects(twin: Path, out: Path) -> Path:
    """The twin with other effects: threat rises steeply with employability, so its shares shift too."""
    df = pd.read_csv(twin)
    rng = np.random.default_rng(7)
    z = (df["employability"] - df["employability"].mean()) / df["employability"].std()
    threat = np.clip(np.round(3 + 1.2 * z + rng.normal(0, 0.6, len(df))), 1, 5)
    df["threat"] = np.where(df["threat"].isna(), np.nan, threat)
    df.to_csv(out, index=False)
    return out


@pytest.fixture(scope="module")
def other_book(tmp_path_factory):
    """The book built on a second dataset with other effects: (root, data file)."""
    import conftest

    tmp = tmp_path_factory.mktemp("other")
    data = _other_effects(paths.TWIN, tmp / "other_effects.csv")
    root = conftest.copy_project(tmp / "book")
    build.build(data=data, root=root)
    return root, data


def test_a_second_dataset_shows_other_numbers(built_book, other_book):
    root, data = other_book
    check_glue_against_ledger(root, data)
    twin, other = shown_values(built_book), shown_values(root)
    for key in ["share_threat_1", "share_threat_2", "bound_threat_3_5", "beta_threat_employability"]:
        assert other[key] != twin[key], f"{key} shows {twin[key]} on both datasets"
    assert not other["beta_threat_employability"].startswith("-"), other["beta_threat_employability"]
    # The published numbers stay what the article printed.
    assert other["pub_share_threat_1"] == twin["pub_share_threat_1"]


def test_the_footer_names_the_data(built_book, other_book):
    """The landing page tells readers to look at the footer to learn which data the book was built on."""
    def footer(root):
        intro = root / "_build" / "html" / "intro.html"
        soup = BeautifulSoup(intro.read_text(encoding="utf-8"), "html.parser")
        return " ".join(f.get_text(" ", strip=True) for f in soup.select("footer"))

    assert "synthetic twin" in footer(built_book), footer(built_book)
    assert "other_effects.csv" in footer(other_book[0]), footer(other_book[0])


def test_a_failing_notebook_fails_the_build_and_keeps_the_previous_book(built_book, tmp_path):
    root = tmp_path / "book"
    shutil.copytree(built_book, root)  # with its _build: the other notebooks come from the cache
    before = cache.tree_manifest(root / "_build" / "html")
    nb_path = root / "notebooks" / "03_keep_up.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    setup = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "book.setup()" in c.source)
    failing = nbformat.v4.new_code_cell('raise RuntimeError("injected failure for the test")')
    nb.cells.insert(setup + 1, failing)
    nbformat.write(nb, nb_path)

    with pytest.raises(build.BuildError) as err:
        build.build(root=root)
    message = str(err.value)
    assert re.search(r"notebooks/03_keep_up\.ipynb, cell \d+: RuntimeError: injected failure for the test",
                     message), message
    assert "previous book is left in place" in message
    assert cache.tree_manifest(root / "_build" / "html") == before


_EXTERNAL = re.compile(r"^\s*(?:https?:)?//", re.I)
_CSS_URL = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])\s*((?:https?:)?//[^'")\s]+)""", re.I)
#: <link rel=...> kinds that make the browser fetch the target (unlike "next", "prev", "canonical").
_FETCHING_RELS = {"stylesheet", "preload", "modulepreload", "prefetch", "icon", "shortcut",
                  "apple-touch-icon", "manifest", "preconnect", "dns-prefetch"}


def external_loads(html_root: Path) -> list[str]:
    """Everything a built page would load from outside: src= of any tag, fetched <link>s, CSS url()s."""
    found = []
    for f in sorted(html_root.rglob("*.html")):
        soup = BeautifulSoup(f.read_text(encoding="utf-8"), "html.parser")
        rel = f.relative_to(html_root)
        for tag in soup.find_all(src=True):
            if _EXTERNAL.match(tag["src"]):
                found.append(f"{rel}: <{tag.name} src={tag['src']}>")
        for tag in soup.find_all("link", href=True):
            if _FETCHING_RELS & set(tag.get("rel", [])) and _EXTERNAL.match(tag["href"]):
                found.append(f"{rel}: <link rel={' '.join(tag['rel'])} href={tag['href']}>")
        for tag in soup.find_all("style"):
            found += [f"{rel}: <style> {u}" for u in _CSS_URL.findall(tag.get_text())]
        for tag in soup.find_all(style=True):
            found += [f"{rel}: style= {u}" for u in _CSS_URL.findall(tag["style"])]
    for f in sorted(html_root.rglob("*.css")):
        found += [f"{f.relative_to(html_root)}: {u}" for u in _CSS_URL.findall(f.read_text(errors="replace"))]
    return found


def test_the_book_loads_nothing_from_outside(built_book):
    found = external_loads(built_book / "_build" / "html")
    assert not found, "the built book loads from outside (it must work offline):\n  " + "\n  ".join(found)


def test_the_offline_check_can_fail(tmp_path):
    (tmp_path / "a.html").write_text('<html><head><script src="https://cdn.example.org/x.js"></script>'
                                     '<link rel="stylesheet" href="//fonts.example.org/f.css">'
                                     '<link rel="next" href="https://example.org/">'
                                     '</head><body><img src="local.png"></body></html>')
    (tmp_path / "s.css").write_text("@font-face { src: url('https://fonts.example.org/a.woff2') }")
    found = external_loads(tmp_path)
    assert len(found) == 3, found


def test_bad_data_exits_2_with_the_message_and_no_traceback(tmp_path):
    df = pd.read_csv(paths.TWIN)
    df.loc[[4, 9, 17], "threat"] = 9
    bad = tmp_path / "bad.csv"
    df.to_csv(bad, index=False)
    # Validation comes before anything is written, so this cannot touch the project's _build.
    proc = subprocess.run([str(WERK), "build", "--data", str(bad)], capture_output=True, text=True,
                          cwd=tmp_path, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "werk build: error:" in proc.stderr
    assert "column 'threat'" in proc.stderr and "rows 5, 10, 18" in proc.stderr, proc.stderr
    assert proc.stdout == ""
