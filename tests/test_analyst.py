"""The analyst's test: add a table and a number to one page, rebuild, and find both output-checked.

A copy of the project is changed in one file only, ``notebooks/02_threat.ipynb``, as an analyst would
change it: a new cross-table of the threat answer by sector (some of its cells rest on fewer than 10
respondents) and a new glued number in the prose. After a build, the output-check appendix and
``output-check.json`` must know both, because they read what the page recorded, not a copy of it.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from conftest import copy_project

from werk.build import pipeline

pytestmark = pytest.mark.slow

TABLE_CELL = """book.markdown_table(tables.crosstab_table(df, "threat", "sector", lang=lang, check=True),
                    caption="Technology as a threat, by sector (row percentages)", name="tab-threat-sector")
"""
NUMBER_CELL = """judiciary = df[df["sector"] == 7]
book.glue("threat_high_judiciary", fmt.format_number(book.share(judiciary, "threat", [3, 4, 5]), 1) + "%",
          check=rules.check_share(judiciary["threat"], [3, 4, 5]))
"""
PROSE_CELL = "In the judiciary, {glue:text}`threat_high_judiciary` see a threat to a fair extent or more.\n"


def _cell(kind: str, source: str, n: int) -> dict:
    cell = {"cell_type": kind, "id": f"analyst-{n}", "metadata": {}, "source": source.splitlines(True)}
    if kind == "code":
        cell.update(execution_count=None, outputs=[], metadata={"tags": ["remove-input"]})
    return cell


def _digests(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and "_build" not in p.parts}


@pytest.fixture(scope="module")
def analyst_book(tmp_path_factory):
    root = copy_project(tmp_path_factory.mktemp("analyst"))
    before = _digests(root)
    page = root / "notebooks" / "02_threat.ipynb"
    nb = json.loads(page.read_text(encoding="utf-8"))
    last = max(i for i, c in enumerate(nb["cells"]) if "glue_outputcheck" in "".join(c["source"]))
    nb["cells"][last:last] = [_cell("markdown", PROSE_CELL, 1), _cell("code", NUMBER_CELL, 2),
                              _cell("code", TABLE_CELL, 3)]
    page.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    pipeline.build(root=root)
    after = _digests(root)
    changed = {k for k, v in after.items() if before.get(k) != v} | (set(before) - set(after))
    return root, changed


def test_only_the_page_was_edited(analyst_book):
    _, changed = analyst_book
    assert changed == {"notebooks/02_threat.ipynb"}


def test_the_new_table_is_checked_and_its_small_cells_suppressed(analyst_book):
    root, _ = analyst_book
    report = json.loads((root / "_build" / "html" / "output-check.json").read_text(encoding="utf-8"))
    table = [c for c in report["pages"]["02_threat"] if c["output"] == "tab-threat-sector"]
    assert len(table) == 1, "the page's new table is in output-check.json once"
    table = table[0]
    assert table["kind"] == "table" and table["status"] == "suppressed"
    assert {"threshold", "secondary"} <= set(table["rules"])
    cells = {s["cell"] for s in table["suppressed"]}
    # The twin's judiciary (106 respondents) has fewer than 10 at "to a large extent": suppressed.
    assert "judiciary × to a large extent" in cells
    assert all(s["rule"] in ("threshold", "secondary") for s in table["suppressed"])
    html = (root / "_build" / "html" / "notebooks" / "02_threat.html").read_text(encoding="utf-8")
    assert "Technology as a threat, by sector" in html and "suppressed" in html
    # The counts in the summary count the new output too.
    every = [c for cs in report["pages"].values() for c in cs]
    assert report["summary"]["outputs"] == len(every)


def test_the_new_number_is_checked(analyst_book):
    root, _ = analyst_book
    report = json.loads((root / "_build" / "html" / "output-check.json").read_text(encoding="utf-8"))
    number = [c for c in report["pages"]["02_threat"] if c["output"] == "threat_high_judiciary"]
    assert len(number) == 1
    assert number[0]["kind"] == "prose" and number[0]["n"] == 106
    assert set(number[0]["rules"]) >= {"threshold", "secondary"}


def test_the_appendix_lists_both(analyst_book):
    root, _ = analyst_book
    html = (root / "_build" / "html" / "notebooks" / "08_output_check.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", " ", html)
    assert "threat_high_judiciary" in text, "the new glued number is in the appendix's list of every check"
    assert "judiciary × to a large extent" in text, "the new table's suppressed cell is in the findings"
    # The appendix refers to the table by its number, as it does to every table: find its link target.
    assert 'href="02_threat.html#tab-threat-sector"' in html
