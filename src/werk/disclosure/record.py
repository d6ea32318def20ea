"""The record of what a page checked: a recorder per notebook run, and one records file per page.

Every output a page shows is checked where the page makes it (:mod:`werk.disclosure.rules`), and the
check is added to the page's :class:`Recorder`, as ACRO keeps its log in a ``Records`` object held by
its session. :func:`start` sets up a new recorder for a notebook run (:func:`werk.book.load` calls it),
so nothing recorded by one notebook reaches the next, in a fresh kernel or a warm one.

At the end of its run a page glues its recorder as JSON (key ``outputcheck``). The build copies that
into a records file per page and edition, ``_build/records/<edition>/<page>.json``
(:func:`write_page_record`), and the pages that summarize others (the ledger, the output-check
appendix, the build's ``output-check.json``) read those files (:func:`read_records`): each number is
checked once, where its page shows it, never again in a copy of the page.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from pathlib import Path

import nbformat

from werk.core.files import write_atomic
from werk.disclosure.rules import Check

__all__ = [
    "Recorder",
    "start",
    "current",
    "record",
    "page_record",
    "write_page_record",
    "read_records",
    "records_digest",
    "checks_of",
    "withheld_outputs",
]

#: The glue key under which a page stores its checks.
GLUE_KEY = "outputcheck"


class Recorder:
    """The output checks of one notebook run, in the order they were made.

    Parameters
    ----------
    page : str, optional
        The page (notebook stem) the checks belong to; each record is stamped with it.
    """

    def __init__(self, page: str | None = None, release=None):
        self.page = page
        self._checks: list[Check] = []
        #: The editions released with this run's (:class:`werk.disclosure.audit.Release`), for the audit
        #: of every count and share the page prints; None: each output is checked on its own only.
        self.release = release

    def audit(self, table, chk: Check) -> Check:
        """Audit what ``table`` (a :class:`werk.disclosure.audit.Table`) prints, checked by ``chk``,
        with everything printed before it in this release; withhold further in it where a withheld cell
        could otherwise be narrowed below the rule (rule ``linked``), and keep what it prints and
        withholds on ``chk`` for the audit from the records. Returns ``chk``.
        """
        if self.release is None:
            return chk
        for n in self.release.protect(table):
            chk.suppress(n.key, n.label.removesuffix(" (n)"), "linked")
        if "linked" in {s["rule"] for s in chk.suppressed} and "linked" not in chk.rules:
            chk.rules.append("linked")
        own = self.release.frame(self.release.sector)
        nums, tgts = table.in_frame(own).numbers(own, chk, self.release.own, self.release.sector)
        chk.published = [n.to_dict() for n in nums]
        chk.withheld_cells = [t.to_dict() for t in tgts]
        chk.release = self.release.results.get(table.output, {})
        return chk

    def add(self, chk: Check, output: str | None = None) -> Check:
        """Record ``chk`` (once, however often it is added); ``output`` renames it. Returns it."""
        if output:
            chk.output = output
        if not any(c is chk for c in self._checks):
            self._checks.append(chk)
        return chk

    @property
    def checks(self) -> list[Check]:
        """The checks recorded so far."""
        return list(self._checks)

    def to_json(self, page: str | None = None) -> str:
        """The checks as a JSON list, each stamped with ``page`` (default: the recorder's)."""
        page = page or self.page
        out = []
        for c in self._checks:
            c.page = page
            out.append(c.to_dict())
        return json.dumps(out, ensure_ascii=False)


_current = Recorder()


def start(page: str | None = None, release=None) -> Recorder:
    """Set up the recorder of a new notebook run and return it."""
    global _current
    _current = Recorder(page, release)
    return _current


def current() -> Recorder:
    """The recorder of this notebook run."""
    return _current


def record(chk: Check, output: str | None = None) -> Check:
    """Add a check to this notebook run's recorder; ``output`` renames it."""
    return _current.add(chk, output)


# ------------------------------------------------------------------------------------------ records files

_LABEL = re.compile(r"^\(([A-Za-z0-9_.:-]+)\)=\s*$", re.M)
_TITLE = re.compile(r"^#\s+(.+?)\s*$", re.M)


def page_record(nb_path) -> dict | None:
    """The record of an executed notebook: page, its label and title, and the checks it glued.

    Returns None for a notebook that glued no checks (a page that shows nothing from the data).
    """
    nb_path = Path(nb_path)
    nb = nbformat.read(str(nb_path), as_version=4)
    checks = None
    label = title = None
    for cell in nb.cells:
        if cell.cell_type == "markdown" and title is None:
            m = _TITLE.search(cell.source)
            if m:
                title = m.group(1)
                lab = _LABEL.search(cell.source)
                label = lab.group(1) if lab else None
        for o in cell.get("outputs", []):
            meta = o.get("metadata", {}).get("scrapbook", {})
            if meta.get("name") == GLUE_KEY:
                prefix = meta.get("mime_prefix", "")
                text = o["data"].get(prefix + "text/plain", o["data"].get("text/plain"))
                if isinstance(text, list):
                    text = "".join(text)
                checks = json.loads(ast.literal_eval(text))
    if checks is None:
        return None
    summarizes = bool(nb.metadata.get("werk", {}).get("reads_records"))
    return {"page": nb_path.stem, "label": label, "title": title or nb_path.stem, "summarizes": summarizes,
            "checks": checks}


def write_page_record(nb_path, folder) -> Path | None:
    """Write the record of an executed notebook to ``folder/<page>.json``; remove a stale one if none.

    The file is replaced whole (written beside it, then renamed), so a reader never sees half of it.
    """
    folder = Path(folder)
    target = folder / f"{Path(nb_path).stem}.json"
    rec = page_record(nb_path)
    if rec is None:
        target.unlink(missing_ok=True)
        return None
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(rec, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    if target.exists() and target.read_text(encoding="utf-8") == text:
        return target  # unchanged: keep its time stamp
    write_atomic(target, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return target


def read_records(folder, pages=None, summaries: bool = True, but=()) -> dict[str, dict]:
    """page -> record, from the records files in ``folder`` (in ``pages`` order, else by name).

    ``summaries=False`` leaves out the records of pages that summarize others; ``but`` names pages
    to leave out (a summarizing page leaves out its own).

    Raises
    ------
    FileNotFoundError
        When ``folder`` holds no records, or a page of ``pages`` has none.
    """
    folder = Path(folder)
    files = {p.stem: p for p in sorted(folder.glob("*.json"))} if folder.is_dir() else {}
    if not files:
        raise FileNotFoundError(f"no page records in {folder}")
    order = list(pages) if pages is not None else list(files)
    missing = [p for p in order if p not in files]
    if missing:
        raise FileNotFoundError(f"no records of {', '.join(missing)} in {folder}")
    out = {}
    for p in order:
        if p in but:
            continue
        rec = json.loads(files[p].read_text(encoding="utf-8"))
        if summaries or not rec.get("summarizes"):
            out[p] = rec
    return out


def records_digest(folder, pages) -> str:
    """A digest of the records files of ``pages`` in ``folder`` (a missing one counts as missing)."""
    h = hashlib.sha256()
    folder = Path(folder)
    for page in sorted(pages):
        f = folder / f"{page}.json"
        h.update(page.encode() + b"\0" + (f.read_bytes() if f.is_file() else b"missing") + b"\0")
    return h.hexdigest()


def checks_of(records: dict[str, dict]) -> list[Check]:
    """Every check of the records, in page order, as :class:`Check` objects."""
    return [Check.from_dict(d) for rec in records.values() for d in rec["checks"]]


def withheld_outputs(records: dict[str, dict]) -> dict[str, str]:
    """output -> page, for every output the pages withheld (suppressed or refused)."""
    return {d["output"]: rec["page"] for rec in records.values() for d in rec["checks"]
            if d["status"] in ("suppressed", "refused")}
