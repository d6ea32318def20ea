"""A content-addressed execution cache for the book's notebooks, and a stamp for the compiled book.

Jupyter Book's own cache keys on a notebook's code only and misses a changed data file
(MyST-NB #299, jupyter-book #1633): a stale book that looks fresh. Our key covers
everything an executed notebook depends on:

* the notebook's code cells: their source, and the tags that change how a cell runs
  (``parameters``, ``raises-exception``, ``skip-execution``);
* its papermill parameters;
* the bytes of the data file and of the mapping file;
* the source of the ``werk`` modules the notebook can run: those its code cells import, closed over
  their own imports (lazy ones inside functions count), and the kernel reset of
  :mod:`werk.build.kernels`, read statically with :mod:`ast` (:func:`werk.core.digest.werk_digest`);
  where an import cannot be followed (a module named at run time), the whole ``werk`` source. Also every
  non-Python file of the package, and the data it reads (``data/published.yml``);
* the pinned ``requirements.txt``, the packages actually installed, and the Python version.

Change any of them and the notebook runs again; an edit to a ``werk`` module re-executes only the
notebooks that can import it. Everything else in a notebook only changes
how the page looks: markdown and raw cells, the metadata of code cells (display tags such as
``remove-input``, MyST-NB figure captions) and of the notebook. An edit there changes no key:
:func:`reuse` rebuilds the executed notebook from the source, taking each code cell's outputs
from the cached run, so a prose edit re-executes nothing and the book is never stale.

The second half stamps a compiled book with a digest of the sources it was compiled from
(:func:`stage_digest`, :func:`book_is_current`, :func:`mark_book`), so that a rebuild in which
nothing changed can skip Jupyter Book altogether.

Nothing is served unverified. Every cached file is stored with the sha256 of its own bytes (in its
key file, or in the book's stamp for every file of a compiled book) and checked before it is used:
a file changed or cut short after it was written is a miss, and is made again
(:func:`entry_state`, :func:`book_state` say which).
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import threading
from pathlib import Path

import nbformat

from werk.core.digest import environment_digest
from werk.core.digest import file_digest as _file_digest
from werk.core.digest import package_digest as _package_digest
from werk.core.digest import werk_digest as _werk_digest
from werk.core.files import write_atomic as _write_atomic
from werk.inputs.frames import FRAMES_KEPT, keep_frame, validated_frame  # noqa: F401 - the build's frames

__all__ = ["key", "reuse", "store", "frame_key", "produce", "validated_frame", "keep_frame", "tree_manifest",
           "tree_digest", "stage_digest", "book_is_current", "book_state", "entry_state", "mark_book"]

#: Bump when the key's recipe or the cache layout changes: every old entry becomes a miss.
VERSION = "werk-cache-4"

#: Cell tags that change what papermill/nbclient execute; all other tags only change the page.
EXECUTION_TAGS = frozenset({"parameters", "injected-parameters", "raises-exception", "skip-execution"})

#: Metadata an execution writes (papermill's record, nbclient's timings, the kernel's language):
#: taken from the cached run; all other metadata is taken from the source.
RUN_METADATA = frozenset({"papermill", "execution", "language_info", "kernelspec", "widgets"})

#: The stamp a compiled book carries: the digest of the staged sources it was compiled from.
BOOK_STAMP = ".werk-sources.sha256"


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _code_digest(nb) -> str:
    code = [
        {"source": c.source, "tags": sorted(set(_tags(c)) & EXECUTION_TAGS)}
        for c in nb.cells
        if c.cell_type == "code"
    ]
    return hashlib.sha256(json.dumps(code, sort_keys=True).encode()).hexdigest()


#: What runs in the kernel besides the notebook's own imports: the reset before every notebook.
KERNEL_MODULES = ("werk.build.kernels",)


def _werk_part(nb) -> str:
    """The digest of the werk source that a run of ``nb`` can execute (see the module docstring)."""
    return _werk_digest([c.source for c in nb.cells if c.cell_type == "code"], KERNEL_MODULES)


def _environment_digest() -> str:
    return environment_digest(VERSION)


def key(nb_path: Path, parameters: dict, data_files: list, extra: str = "") -> str:
    """The cache key of one notebook run: a sha256 over everything the run's outputs depend on.

    Of the ``werk`` source, only the modules the notebook can import (the module docstring says how).

    Parameters
    ----------
    nb_path : Path
        The source notebook.
    parameters : dict
        The papermill parameters of the run.
    data_files : list
        The files the run reads (the data file, the mapping); ``None`` entries are skipped.
    extra : str
        A digest of anything else the run reads: for a page that summarizes others, their records.
    """
    nb = nbformat.read(Path(nb_path), as_version=4)
    parts = {
        "code": _code_digest(nb),
        "parameters": json.dumps(parameters, sort_keys=True, default=str),
        "data": [_file_digest(Path(f)) for f in data_files if f],
        "package": _werk_part(nb),
        "environment": _environment_digest(),
    }
    if extra:
        parts["reads"] = extra
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


# ------------------------------------------------------------------------------------- executed notebooks
def _key_file(out: Path) -> Path:
    return Path(out).with_suffix(".key")


def _write_key(out: Path, k: str) -> None:
    """Record that ``out`` (already in place) was made under key ``k``, with the digest of its bytes."""
    digest = _file_digest(out)
    _write_atomic(_key_file(out), lambda p: p.write_text(f"{k}\nsha256 {digest}\n"))


def entry_state(out: Path, k: str) -> str:
    """What the cache holds at ``out`` for key ``k``: ``"hit"``, ``"miss"`` (nothing, or another key)
    or ``"corrupt"`` (the key matches, the file's bytes do not match the digest stored with it)."""
    out = Path(out)
    if not out.is_file():
        return "miss"
    state = _verified(_key_file(out), k, "sha256 ", lambda: _file_digest(out))
    return {"current": "hit", "stale": "miss"}.get(state, state)


def _verified(stamp: Path, key: str, label: str, actual) -> str:
    """Read a stamp (``key`` on its first line, ``<label><digest>`` of the outputs on its second) and
    compare: ``"stale"`` (no stamp, another key), ``"corrupt"`` (the outputs' digest ``actual()`` differs
    or cannot be taken) or ``"current"``."""
    try:
        lines = stamp.read_text().split("\n")
    except OSError:
        return "stale"
    if lines[0].strip() != key:
        return "stale"
    stored = lines[1].removeprefix(label).strip() if len(lines) > 1 else ""
    try:
        return "current" if stored and actual() == stored else "corrupt"
    except OSError:
        return "corrupt"


def _render(source, executed):
    """The source notebook with the cached run's code outputs, or ``None`` if they do not line up.

    Markdown, raw cells and all display metadata come from the source; each code cell's outputs,
    execution count and run metadata from the cached run; papermill's injected cell goes where
    papermill put it (in place of an injected cell of the source, else after the ``parameters``
    cell, else first).
    """
    def injected_cell(c):
        return "injected-parameters" in _tags(c)

    injected = [c for c in executed.cells if injected_cell(c)]
    ran = [c for c in executed.cells if c.cell_type == "code" and not injected_cell(c)]
    src_code = [c for c in source.cells if c.cell_type == "code" and not injected_cell(c)]
    if len(ran) != len(src_code) or any(r.source != s.source for r, s in zip(ran, src_code)):
        return None
    anchor = "injected-parameters" if any(map(injected_cell, source.cells)) else "parameters"
    anchored = any(anchor in _tags(c) for c in source.cells)
    cells = [] if anchored else list(injected)
    ran_iter = iter(ran)
    for cell in source.cells:
        if injected_cell(cell):
            cells.extend(injected)
            continue
        if cell.cell_type != "code":
            cells.append(copy.deepcopy(cell))
            continue
        done = copy.copy(next(ran_iter))
        meta = copy.deepcopy(dict(cell.get("metadata", {})))
        meta.update({k: v for k, v in done.get("metadata", {}).items() if k in RUN_METADATA})
        done["metadata"] = nbformat.from_dict(meta)
        cells.append(done)
        if anchor == "parameters" and "parameters" in _tags(cell):
            cells.extend(injected)
    rendered = copy.copy(executed)
    meta = {k: v for k, v in source.metadata.items() if k not in RUN_METADATA}
    meta.update({k: v for k, v in executed.metadata.items() if k in RUN_METADATA})
    rendered["metadata"] = nbformat.from_dict(copy.deepcopy(meta))
    rendered["cells"] = cells
    return rendered


def _page(nb) -> tuple:
    """What a notebook shows, less what a run records: papermill gives every cell ``tags: []`` and
    run metadata, which must not make an untouched notebook look edited."""

    def meta(m):
        return {k: v for k, v in m.items() if k not in RUN_METADATA and not (k == "tags" and not v)}

    cells = [(c.cell_type, c.source, meta(c.get("metadata", {})), c.get("attachments"), c.get("outputs"))
             for c in nb.cells]
    return cells, meta(nb.metadata)


def reuse(src: Path, out: Path, k: str) -> str | None:
    """Reuse a cached run when its key matches.

    Returns ``"unchanged"`` when nothing changed, ``"prose"`` when only the page changed (markdown,
    raw cells, display metadata: the cached notebook is rebuilt from the source around its cached
    outputs, and rewritten atomically), ``"corrupt"`` when the cached notebook's bytes are not the
    ones stored (changed or cut short since: run it again), ``None`` on a miss: no cached run, a key
    file without its notebook or the reverse, a different key, or a cached notebook that does not
    match the source's code cells.
    """
    out = Path(out)
    state = entry_state(out, k)
    if state != "hit":
        return "corrupt" if state == "corrupt" else None
    try:
        source = nbformat.read(src, as_version=4)
        executed = nbformat.read(out, as_version=4)
    except (OSError, ValueError, nbformat.reader.NotJSONError):
        return None
    rendered = _render(source, executed)
    if rendered is None:
        return None
    if _page(rendered) == _page(executed):
        return "unchanged"
    # The notebook first, then its digest: an interruption between leaves a mismatch, a miss.
    _write_atomic(out, lambda tmp: nbformat.write(rendered, tmp))
    _write_key(out, k)
    return "prose"


def store(tmp: Path, out: Path, k: str) -> None:
    """Move a fresh run into place and record its key.

    The old key goes first and the new one (with the digest of the file's bytes) is written last,
    so a build interrupted in between leaves a miss, never a notebook paired with the key of other
    inputs.
    """
    out = Path(out)
    _key_file(out).unlink(missing_ok=True)
    os.replace(tmp, out)
    _write_key(out, k)


# ------------------------------------------------------------------------------- other derived files
def frame_key(frame, **parameters) -> str:
    """The cache key of a file computed in-process from a loaded data frame (e.g. the output check).

    Covers the frame's content (values, index, column names and dtypes), the parameters, the
    ``werk`` source and the environment, as :func:`key` does for a notebook run.
    """
    import pandas as pd

    h = hashlib.sha256()
    h.update(pd.util.hash_pandas_object(frame, index=True).values.tobytes())
    h.update(json.dumps([[str(c), str(t)] for c, t in frame.dtypes.items()]).encode())
    parts = {
        "frame": h.hexdigest(),
        "parameters": json.dumps(parameters, sort_keys=True, default=str),
        "package": _package_digest(),
        "environment": _environment_digest(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def produce(out: Path, k: str, write, force: bool = False) -> bool:
    """Make ``out`` with ``write(tmp_path)`` unless it is there with key ``k``; True when it was made.

    The file is written beside ``out`` and moved into place with its key (:func:`store`), so an
    interrupted or failed ``write`` leaves the previous file, or none, never a half-written one.
    """
    out = Path(out)
    if not force and entry_state(out, k) == "hit":
        return False
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}-{threading.get_ident()}.running{out.suffix}")
    try:
        write(tmp)
        store(tmp, out, k)
    finally:
        tmp.unlink(missing_ok=True)
    return True


# ---------------------------------------------------------------------------------------- compiled books
def tree_manifest(folder: Path) -> dict[str, str]:
    """Every file below ``folder``: its relative path (POSIX) and the sha256 of its bytes, sorted by path."""
    folder = Path(folder)
    return {f.relative_to(folder).as_posix(): _file_digest(f)
            for f in sorted(p for p in folder.rglob("*") if p.is_file())}


def tree_digest(folder: Path, manifest: dict[str, str] | None = None) -> str:
    """A sha256 over every file below ``folder``: its relative path and its bytes (or over ``manifest``,
    the folder's :func:`tree_manifest` when the caller has it already)."""
    h = hashlib.sha256()
    for rel, digest in (manifest if manifest is not None else tree_manifest(folder)).items():
        h.update(rel.encode() + b"\0")
        h.update(digest.encode())
    return h.hexdigest()


def stage_digest(stage_dir: Path, builder: str = "html", manifest: dict[str, str] | None = None) -> str:
    """What a compiled book depends on: the staged sources, the builder, the ``werk`` source (which
    stages and compiles it: build.py, the LaTeX extension) and the installed packages."""
    parts = [tree_digest(stage_dir, manifest), builder, _package_digest(), _environment_digest()]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _stamp(product: Path) -> Path:
    """An HTML book carries its stamp inside (it is swapped in with the book); a PDF beside it."""
    product = Path(product)
    return product / BOOK_STAMP if product.is_dir() else product.with_name(product.name + BOOK_STAMP)


def _outputs_digest(product: Path) -> str:
    """The digest of what a compiled book is: every file of an HTML folder but its stamp, or a PDF's bytes."""
    product = Path(product)
    if product.is_dir():
        manifest = tree_manifest(product)
        manifest.pop(BOOK_STAMP, None)
        return tree_digest(product, manifest)
    return _file_digest(product)


def book_state(product: Path, digest: str) -> str:
    """Whether ``product`` (an HTML folder or a PDF) is the book of sources with this ``digest``.

    ``"current"``: compiled from those sources, and every file is as it was written;
    ``"stale"``: missing, or compiled from other sources; ``"corrupt"``: from those sources, but a
    file was changed, removed or cut short since (the stamp holds the digest of the outputs too).
    """
    product = Path(product)
    if not product.exists() or (product.is_dir() and not (product / "index.html").is_file()):
        return "stale"
    return _verified(_stamp(product), digest, "outputs ", lambda: _outputs_digest(product))


def book_is_current(product: Path, digest: str) -> bool:
    """True when ``product`` (an HTML folder or a PDF) was compiled from sources with this digest and
    is whole (:func:`book_state`)."""
    return book_state(product, digest) == "current"


def mark_book(product: Path, digest: str, manifest: dict[str, str] | None = None) -> None:
    """Record that ``product`` was compiled from sources with this digest, and what it holds now.

    Call it on the finished book: for an HTML folder before it is swapped in, so that the stamp
    arrives with the book. ``manifest``: the folder's :func:`tree_manifest` without the stamp, sorted,
    when the caller has it already (it has just written the files).
    """
    outputs = tree_digest(product, manifest) if manifest is not None else _outputs_digest(product)
    _write_atomic(_stamp(product), lambda p: p.write_text(f"{digest}\noutputs {outputs}\n"))
