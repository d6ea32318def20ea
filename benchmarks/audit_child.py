"""One row of ``make bench``: the disclosure audit of all editions, every decision solved afresh.

Run as a child process (``python audit_child.py ROOT DATA``) in a project copy whose ``_build`` holds an
``--all-editions`` build of DATA. It runs the code of every page that audits what it prints (the full
book's run, whose :class:`werk.disclosure.audit.Release` decides for all eight editions at once, as
every edition's run does) with no decision cached and ``Release.protect`` timed, then the audit of all
editions' records across pages (:func:`werk.build.pipeline.release_audit`). Prints one JSON line.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import matplotlib
import nbformat

matplotlib.use("Agg")


def main(root: Path, data: Path) -> dict:
    os.environ["WERK_AUDIT_CACHE"] = tempfile.mkdtemp(prefix="werk-audit-")  # nothing decided yet
    from werk.build import pipeline
    from werk.core import paths
    from werk.disclosure import audit

    spent = {"seconds": 0.0, "outputs": 0}
    protect = audit.Release.protect

    def timed(self, table):
        t0 = time.perf_counter()
        try:
            return protect(self, table)
        finally:
            spent["seconds"] += time.perf_counter() - t0
            spent["outputs"] += 1

    audit.Release.protect = timed
    pages = 0
    with paths.rooted(root):
        for nb_path in pipeline.notebooks_in_toc(root):
            if pipeline.reads_records(root / nb_path):
                continue
            before = spent["outputs"]
            scope = {}
            os.chdir(root / nb_path.parent)
            for cell in nbformat.read(root / nb_path, as_version=4).cells:
                if cell.cell_type != "code":
                    continue
                with contextlib.redirect_stdout(io.StringIO()):
                    exec(cell.source, scope)  # noqa: S102 - the project's own notebook
                if "parameters" in cell.metadata.get("tags", []):
                    scope["data_path"] = str(data)
            pages += spent["outputs"] > before
        t0 = time.perf_counter()
        rel = pipeline.release_audit(pipeline.editions(), root, sum(1 for _ in open(data)) - 1)
        records = time.perf_counter() - t0
    return {"pages_seconds": spent["seconds"], "outputs": spent["outputs"], "pages": pages,
            "records_seconds": records, "cells": rel["cells_audited"], "passes": rel["passes"]}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve())))
