"""Page records (werk.disclosure.record) and the build's order: summaries run after what they summarize.

Fast tests: the recorder, the records files, ``run_jobs``' ``after``. The slow test rebuilds a copy of
the project after a page changed, and sees the summarizing pages run again and report the change.
"""

from __future__ import annotations

import json
import threading
import time

import nbformat
import numpy as np
import pytest
from conftest import copy_project

from werk.build import kernels, pipeline
from werk.disclosure import record, report
from werk.disclosure.rules import Check


# ------------------------------------------------------------------------------------------- recorder
def test_a_recorder_keeps_each_check_once_in_order_and_start_gives_a_new_one():
    rec = record.start("02_threat")
    a, b = Check("a", "prose"), Check("b", "table")
    record.record(a)
    record.record(b, output="tab-b")
    record.record(a)
    assert [c.output for c in rec.checks] == ["a", "tab-b"]
    assert [d["page"] for d in json.loads(rec.to_json())] == ["02_threat", "02_threat"]
    fresh = record.start("03_keep_up")
    assert fresh is record.current() and fresh.checks == [] and rec.checks, "the old recorder is left alone"


def _executed(tmp_path, name, checks, summarizes=False):
    """An executed notebook as the build keeps it: a heading, and the checks glued as scrapbook does."""
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell(f"(sec-{name})=\n# Page {name}\n\ntext"))
    text = repr(json.dumps([c.to_dict() for c in checks]))
    cell = nbformat.v4.new_code_cell("book.glue_outputcheck(...)")
    cell.outputs = [nbformat.v4.new_output(
        "display_data", data={"application/papermill.record/text/plain": text},
        metadata={"scrapbook": {"name": "outputcheck", "mime_prefix": "application/papermill.record/"}})]
    nb.cells.append(cell)
    if summarizes:
        nb.metadata["werk"] = {"reads_records": True}
    path = tmp_path / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def test_records_files_round_trip_and_summaries_can_be_left_out(tmp_path):
    small = Check("tab-x", "table", n=40)
    small.suppress(("a", 1), "a × 1", "threshold")
    page = _executed(tmp_path, "02_threat", [small, Check("n_total", "prose", n=500)])
    summary = _executed(tmp_path, "05_ledger", [Check("tab-ledger", "table")], summarizes=True)
    folder = tmp_path / "records"
    record.write_page_record(page, folder)
    record.write_page_record(summary, folder)
    recs = record.read_records(folder)
    assert list(recs) == ["02_threat", "05_ledger"]
    assert recs["02_threat"]["title"] == "Page 02_threat" and recs["02_threat"]["label"] == "sec-02_threat"
    assert list(record.read_records(folder, summaries=False)) == ["02_threat"]
    assert list(record.read_records(folder, but=["05_ledger"])) == ["02_threat"]
    assert record.withheld_outputs(recs) == {"tab-x": "02_threat"}
    rep = report.report(recs, "all", respondents=500)
    assert rep["summary"]["outputs"] == 3 and rep["summary"]["suppressed"] == 1
    assert rep["pages"]["02_threat"][0]["suppressed"] == [{"cell": "a × 1", "rule": "threshold"}]
    # A page that glues no checks any more loses its stale record.
    nbformat.write(nbformat.v4.new_notebook(), page)
    record.write_page_record(page, folder)
    assert not (folder / "02_threat.json").exists()
    with pytest.raises(FileNotFoundError, match="02_threat"):
        record.read_records(folder, pages=["02_threat"])


def test_the_records_digest_follows_the_pages_read(tmp_path):
    folder = tmp_path / "records"
    record.write_page_record(_executed(tmp_path, "01_design", [Check("a", "prose")]), folder)
    record.write_page_record(_executed(tmp_path, "08_output_check", [Check("b", "table")]), folder)
    first = record.records_digest(folder, ["01_design"])
    assert record.records_digest(folder, ["01_design"]) == first
    record.write_page_record(_executed(tmp_path, "08_output_check", [Check("c", "table")]), folder)
    assert record.records_digest(folder, ["01_design"]) == first, "a page not read is not in the digest"
    record.write_page_record(_executed(tmp_path, "01_design", [Check("a2", "prose")]), folder)
    assert record.records_digest(folder, ["01_design"]) != first


# ------------------------------------------------------------------------------------------- run_jobs
def test_a_job_waits_for_its_after_and_is_not_run_when_one_failed():
    finished, lock = [], threading.Lock()

    def run(job, kernel):
        time.sleep(job.get("sleep", 0))
        with lock:
            finished.append(job["name"])
        return {"error": "broke"} if job.get("fail") else {"name": job["name"]}

    jobs = [{"name": "summary", "after": [1, 2]}, {"name": "slow", "sleep": 0.2}, {"name": "fast"}]
    results = kernels.run_jobs(jobs, run, workers=3)
    assert finished.index("summary") > finished.index("slow") and finished.index("summary") > 0
    assert [r["name"] for r in results] == ["summary", "slow", "fast"]
    finished.clear()
    jobs = [{"name": "a", "fail": True}, {"name": "summary", "after": [0]}]
    results = kernels.run_jobs(jobs, run, workers=2)
    assert finished == ["a"], "a summary whose page failed is not run"
    assert "not run, since a failed" in results[1]["error"]


def test_summarizing_notebooks_come_after_the_pages_in_the_jobs():
    jobs = pipeline._jobs({"data_path": __file__, "mapping_path": None}, "all", False, pipeline.paths.ROOT)
    names = [j["name"].split("/")[-1] for j in jobs]
    ledger, appendix = names.index("05_ledger.ipynb"), names.index("08_output_check.ipynb")
    assert jobs[ledger]["reads_records"] and jobs[appendix]["reads_records"]
    assert set(jobs[ledger]["reads"]) == {n.removesuffix(".ipynb") for n in names} - {"05_ledger",
                                                                                       "08_output_check"}
    assert "05_ledger" in jobs[appendix]["reads"] and "08_output_check" not in jobs[appendix]["reads"]
    assert all(not jobs[i]["after"] for i in range(len(jobs)) if i not in (ledger, appendix))


# ------------------------------------------------------------------------------------------- rebuild
@pytest.mark.slow
def test_a_changed_page_reruns_the_pages_that_summarize_it(tmp_path, capsys):
    root = copy_project(tmp_path / "book")
    pipeline.build(root=root)
    capsys.readouterr()
    page = root / "notebooks" / "04_conclusion.ipynb"
    nb = json.loads(page.read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if "glue_outputcheck" in "".join(c["source"]))
    # The analyst's new check imports what it uses (the page itself needs no werk.disclosure.rules).
    extra = ['from werk.disclosure import rules\n',
             'book.glue("extra_check", 1, check=rules.check_share(df["threat"], [1]))\n']
    cell["source"] = extra + cell["source"]
    page.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    pipeline.build(root=root)
    log = capsys.readouterr().err
    assert "04_conclusion.ipynb: executed" in log
    assert "05_ledger.ipynb: executed" in log and "08_output_check.ipynb: executed" in log
    assert "02_threat.ipynb: unchanged, cached" in log
    rep = json.loads((root / "_build" / "html" / "output-check.json").read_text(encoding="utf-8"))
    assert "extra_check" in [c["output"] for c in rep["pages"]["04_conclusion"]]
    appendix = (root / "_build" / "html" / "notebooks" / "08_output_check.html").read_text(encoding="utf-8")
    assert "extra_check" in appendix
    # Nothing changed: nothing runs, the summaries included.
    pipeline.build(root=root)
    log = capsys.readouterr().err
    assert "executed" not in log


# ------------------------------------------------------------------------------------------- werk ledger
def test_werk_ledger_withholds_what_a_page_withheld_and_what_fails_its_own_checks(tmp_path, monkeypatch):
    from werk.cli import ledger as cli_ledger
    from werk.inputs import data
    from werk.stats import ledger

    df = data.load(pipeline.paths.TWIN)
    table = ledger.ledger(df)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "published.yml").write_bytes(pipeline.paths.PUBLISHED.read_bytes())
    monkeypatch.setenv("WERK_ROOT", str(tmp_path))
    # No build here: the ledger's own checks alone, and the full twin fails none.
    assert "suppressed" not in set(cli_ledger._checked(table, df, None)["status"])
    # A build whose page withheld the share of men: the ledger withholds it too, and says where.
    chk = Check("share_male", "prose", n=5391)
    chk.suppress("value", "share", "secondary")
    page = _executed(tmp_path, "01_design", [chk, Check("n_total", "prose", n=5391)])
    record.write_page_record(page, tmp_path / "_build" / "records" / "all")
    out = cli_ledger._checked(table, df, None).set_index("id")
    assert out.loc["share:male", "status"] == out.loc["share:male", "reproduced"] == "suppressed"
    assert "01_design" in out.loc["share:male", "reason"]
    assert (out["status"] == "suppressed").sum() == 1
    # A withheld claim of no effect takes its Holm p and its equivalence verdict with it.
    from werk.inputs.claims import glue_key

    assert table.set_index("id").loc["ns:threat~age", "equivalence"] != ""
    ns = Check(glue_key("ns:threat~age"), "prose", n=5391)
    ns.suppress("value", "beta", "secondary")
    page = _executed(tmp_path, "02_threat", [ns])
    record.write_page_record(page, tmp_path / "_build" / "records" / "all")
    gone = cli_ledger._checked(table, df, None).set_index("id").loc["ns:threat~age"]
    assert gone["status"] == "suppressed" and gone["equivalence"] == ""
    assert np.isnan(gone["p_holm"]) and np.isnan(gone["p_equivalence"])
    # A small edition fails the ledger's own checks, build or not.
    judiciary = df[df["sector"] == 7]
    small = cli_ledger._checked(ledger.ledger(judiciary, edition=7), judiciary, 7)
    assert (small["status"] == "suppressed").sum() >= 1
