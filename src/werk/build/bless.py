"""``python -m werk.build.bless`` (``make bless``): store the default run's reviewed outputs in notebooks/.

nbval compares a fresh run of each notebook in ``notebooks/`` with the outputs stored in it, so
the stored outputs are the reference: every code cell must have run, and the outputs must be
deterministic. This module re-executes each notebook with its default parameters (papermill,
into a temporary file, working directory ``notebooks/``; no parameters are passed, so papermill
injects no cell) and writes back into the source notebook *only* the outputs and execution
counts of its code cells. Everything else stays as the author wrote it: cells, ids, tags and
metadata, so ``git diff`` shows outputs only. Papermill's metadata and timestamps never
reach the file.

It refuses to store outputs that would make nbval flaky or leak the machine: anything written
to stderr (a warning), absolute paths, memory addresses, timestamps and random ids. Fix the
notebook or the package (STYLE.md rule 7), don't sanitize.

The pages that summarize others (the ledger, the output-check appendix: notebook metadata
``werk.reads_records``) read the page records a build writes, so when one of them is blessed the
default edition is built first (:func:`werk.build.pipeline.build`, cached: fast when nothing
changed); ``--no-build`` uses the records of the last build as they are.

It records a digest of the notebook's code cells in ``metadata.werk.code_sha256``; the test
suite fails, with the advice to run ``make bless``, when the code no longer matches it.

A notebook edited by someone else while it ran is left alone (and reported), so a rerun is always
safe.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from werk.core import paths
from werk.core.errors import WerkError

__all__ = ["code_digest", "problems", "stale", "bless", "main"]

#: What varies from run to run or from machine to machine; none of it may be stored.
_VOLATILE = [
    (re.compile(r"(?<![\w.])/(?:tmp|home|root|work|Users|var/folders|private)/[^\s'\"<>]*"),
     "an absolute path"),
    (re.compile(r"\b0x[0-9a-fA-F]{6,}\b"), "a memory address"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2})?"), "a timestamp"),
    (re.compile(r"\b(?:Date|Time):\s+\S"), "a statsmodels Date/Time line (print summary().tables[1])"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "a random id (uuid)"),
    (re.compile(r"\bT_[0-9a-f]{5}_"), "a random id (pandas Styler)"),
]
#: Binary payloads are not scanned (base64 can contain anything) and nbval skips them anyway.
_BINARY = ("image/png", "image/jpeg", "image/gif")


def log(msg: str) -> None:
    print(f"werk bless: {msg}", file=sys.stderr, flush=True)


def code_digest(nb) -> str:
    """SHA-256 of a notebook's code: the source of every code cell, in order."""
    sources = [c.source for c in nb.cells if c.cell_type == "code"]
    return hashlib.sha256(json.dumps(sources, ensure_ascii=False).encode("utf-8")).hexdigest()


def _texts(output) -> list[tuple[str, str]]:
    """(mime type or stream name, text) of one output, binary payloads left out."""
    if output.get("output_type") == "stream":
        return [(output.get("name", "stream"), output.get("text", ""))]
    if output.get("output_type") == "error":
        return [("error", f"{output.get('ename')}: {output.get('evalue')}")]
    out = []
    for mime, value in output.get("data", {}).items():
        if mime in _BINARY:
            continue
        out.append((mime, value if isinstance(value, str) else json.dumps(value)))
    return out


def problems(nb, name: str = "notebook") -> list[str]:
    """What makes a notebook a poor nbval reference: unrun cells, warnings, volatile outputs."""
    found = []
    code_cells = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    for i, cell in code_cells:
        where = f"{name}, cell {i}"
        if cell.get("execution_count") is None:
            found.append(f"{where} has not run (a cell without stored outputs is compared with nothing)")
        tags = cell.get("metadata", {}).get("tags", [])
        if "injected-parameters" in tags:
            found.append(f"{where} is papermill's injected-parameters cell")
        if "papermill" in cell.get("metadata", {}) or "execution" in cell.get("metadata", {}):
            found.append(f"{where} carries papermill metadata or timestamps")
        for output in cell.get("outputs", []):
            for kind, text in _texts(output):
                if kind == "stderr":
                    found.append(f"{where} writes to stderr (a warning?): {text.strip()[:200]!r}")
                elif kind == "error":
                    found.append(f"{where} raised {text[:200]}")
                for pattern, what in _VOLATILE:
                    m = pattern.search(text)
                    if m:
                        found.append(f"{where} shows {what} in its {kind} output: {m.group(0)[:80]!r}")
    if "papermill" in nb.metadata:
        found.append(f"{name} carries papermill metadata")
    return found


def stale(nb, name: str = "notebook") -> str | None:
    """Why a notebook's stored outputs no longer match its code, or None when they do."""
    stored = nb.metadata.get("werk", {}).get("code_sha256")
    if stored is None:
        return f"{name} has no blessed outputs (metadata.werk.code_sha256 is missing)"
    if stored != code_digest(nb):
        return f"{name}: the code changed since its outputs were stored"
    return None


def _execute(path: Path, timeout: int):
    """Run a notebook as it stands (default parameters) in its folder; return the executed notebook."""
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    with tempfile.TemporaryDirectory(prefix="werk-bless-") as tmp:
        out = Path(tmp) / path.name
        try:
            pm.execute_notebook(str(path), str(out), parameters=None, kernel_name="python3",
                                progress_bar=False, log_output=False, cwd=str(path.parent),
                                execution_timeout=timeout)
        except PapermillExecutionError as exc:
            cell = exc.exec_count or exc.cell_index
            raise WerkError(f"{path.name}, cell {cell}: {exc.ename}: {exc.evalue}") from None
        return nbformat.read(out, as_version=4)


def _outputs_text(cell) -> str:
    return json.dumps([_texts(o) for o in cell.get("outputs", [])], ensure_ascii=False)


def bless_one(path: Path, timeout: int = 600) -> dict:
    """Execute one notebook and store its outputs in it; return a summary (or the problems)."""
    import nbformat

    name = str(path.relative_to(paths.ROOT)) if path.is_relative_to(paths.ROOT) else str(path)
    before = path.read_bytes()
    source = nbformat.reads(before.decode("utf-8"), as_version=4)
    t0 = time.perf_counter()
    try:
        ran = _execute(path, timeout)
    except WerkError as exc:
        return {"nb": name, "problems": [str(exc)]}
    ran_code = [c for c in ran.cells if c.cell_type == "code"
                and "injected-parameters" not in c.get("metadata", {}).get("tags", [])]
    src_code = [c for c in source.cells if c.cell_type == "code"]
    if [c.source for c in ran_code] != [c.source for c in src_code]:
        return {"nb": name, "problems": [f"{name}: the executed notebook's code differs from the source"]}
    changed = []
    for count, (cell, done) in enumerate(zip(src_code, ran_code), start=1):
        if _outputs_text(cell) != _outputs_text(done):
            changed.append(source.cells.index(cell))
        outputs = []
        for o in done.get("outputs", []):
            if o.get("output_type") == "execute_result":
                o["execution_count"] = count
            outputs.append(o)
        cell["outputs"] = outputs
        cell["execution_count"] = count
    source.metadata.setdefault("werk", {})["code_sha256"] = code_digest(source)
    found = problems(source, name)
    if found:
        return {"nb": name, "problems": found}
    if path.read_bytes() != before:
        return {"nb": name,
                "problems": [f"{name} was edited while it ran; left alone, run `make bless` again"]}
    nbformat.validate(source)
    nbformat.write(source, path)
    return {"nb": name, "seconds": time.perf_counter() - t0, "changed": changed,
            "outputs": sum(len(c.get("outputs", [])) for c in src_code)}


def _build_records(notebooks: list[Path]) -> None:
    """Build the default edition when a notebook to bless reads the page records a build writes."""
    # lazy: the pipeline loads the build machinery, needed only to bless a page that reads records
    from werk.build import pipeline

    readers = [p.name for p in notebooks if pipeline.reads_records(p)]
    if readers:
        log(f"{', '.join(readers)} read the pages' records: building the default edition first")
        pipeline.build()


def bless(notebooks: list[Path] | None = None, jobs: int | None = None, timeout: int = 600,
          build: bool = True) -> list[dict]:
    """Bless the given notebooks (default: every ``notebooks/*.ipynb``); raise if any was refused.

    With ``build`` (the default) the default edition is built first when one of them reads the
    page records a build writes (see the module's description).
    """
    import os

    notebooks = [Path(p).resolve() for p in (notebooks or sorted(paths.NOTEBOOKS.glob("*.ipynb")))]
    if not notebooks:
        raise WerkError(f"no notebooks in {paths.NOTEBOOKS}")
    if build:
        _build_records(notebooks)
    jobs = max(1, min(jobs or min(2, os.cpu_count() or 1), len(notebooks)))
    results, refused = [], []
    # Threads are enough: each papermill run drives its own kernel process.
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for done, res in enumerate(pool.map(lambda p: bless_one(p, timeout), notebooks), start=1):
            results.append(res)
            head = f"[{done}/{len(notebooks)}] {res['nb']}"
            if "problems" in res:
                refused += res["problems"]
                log(f"{head}: NOT stored")
            else:
                what = (f"outputs changed in cells {', '.join(map(str, res['changed']))}" if res["changed"]
                        else "outputs unchanged")
                log(f"{head}: {res['outputs']} outputs in {res['seconds']:.1f} s; {what}")
    if refused:
        raise WerkError("outputs not stored (fix the notebook or the package, then run `make bless` "
                        "again):\n  " + "\n  ".join(refused))
    return results


def check(notebooks: list[Path] | None = None) -> list[str]:
    """Why the stored outputs cannot serve as nbval's reference (empty when they can)."""
    import nbformat

    found = []
    for path in notebooks or sorted(paths.NOTEBOOKS.glob("*.ipynb")):
        path = Path(path)
        nb = nbformat.read(path, as_version=4)
        name = f"notebooks/{path.name}"
        reason = stale(nb, name)
        found += [reason] if reason else problems(nb, name)
    return found


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m werk.build.bless", description=__doc__.splitlines()[0])
    p.add_argument("notebooks", nargs="*", type=Path, help="notebooks to bless (default: notebooks/*.ipynb)")
    p.add_argument("--jobs", type=int, default=None, help="notebooks run at once (default: 2)")
    p.add_argument("--timeout", type=int, default=600, help="seconds a cell may take")
    p.add_argument("--check", action="store_true", help="only check that the stored outputs are current")
    p.add_argument("--no-build", action="store_true",
                   help="do not build first; pages that read the page records use the last build's")
    args = p.parse_args(argv)
    try:
        if args.check:
            found = check(args.notebooks or None)
            if found:
                print("\n".join(found + ["run `make bless`"]), file=sys.stderr)
                return 1
            return 0
        bless(args.notebooks or None, jobs=args.jobs, timeout=args.timeout, build=not args.no_build)
    except WerkError as exc:
        print(f"werk bless: error: {exc}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
