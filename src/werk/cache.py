"""A content-addressed execution cache for the book's notebooks.

Jupyter Book's own cache keys on a notebook's code only and misses a changed data file
(MyST-NB #299, jupyter-book #1633): a stale book that looks fresh. Our key covers
everything an executed notebook depends on:

* the notebook's code cells (source and tags) — markdown is left out on purpose, see below;
* its papermill parameters;
* the bytes of the data file and of the mapping file;
* the source of the ``werk`` package and the data it reads (``data/published.yml``);
* the pinned ``requirements.txt`` and the Python version.

Change any of them and the notebook runs again. A prose-only edit changes no key: the
cached outputs are kept and only the markdown cells are taken afresh from the source.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path

import nbformat

from werk import paths

__all__ = ["key", "reuse", "store"]


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _package_digest() -> str:
    h = hashlib.sha256()
    for f in sorted(paths.PACKAGE.rglob("*")):
        if f.is_file() and f.suffix in (".py", ".yml", ".yaml", ".mplstyle") and "__pycache__" not in f.parts:
            h.update(str(f.relative_to(paths.PACKAGE)).encode())
            h.update(f.read_bytes())
    for extra in (paths.PUBLISHED, paths.ROOT / "requirements.txt"):
        if extra.exists():
            h.update(extra.read_bytes())
    h.update(sys.version.encode())
    return h.hexdigest()


def _code_digest(nb_path: Path) -> str:
    nb = nbformat.read(nb_path, as_version=4)
    code = [
        {"source": c.source, "tags": sorted(c.get("metadata", {}).get("tags", []))}
        for c in nb.cells
        if c.cell_type == "code"
    ]
    return hashlib.sha256(json.dumps(code, sort_keys=True).encode()).hexdigest()


def key(nb_path: Path, parameters: dict, data_files: list) -> str:
    """The cache key of one notebook run."""
    parts = {
        "code": _code_digest(Path(nb_path)),
        "parameters": json.dumps(parameters, sort_keys=True),
        "data": [_file_digest(Path(f)) for f in data_files if f],
        "package": _package_digest(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _key_file(out: Path) -> Path:
    return Path(out).with_suffix(".key")


def reuse(src: Path, out: Path, k: str) -> str | None:
    """Reuse a cached run when its key matches.

    Returns ``"unchanged"`` when nothing changed, ``"prose"`` when only markdown changed
    (the cached notebook's markdown is replaced by the source's), ``None`` on a miss.
    """
    out, kf = Path(out), _key_file(out)
    if not out.exists() or not kf.exists() or kf.read_text().strip() != k:
        return None
    source = nbformat.read(src, as_version=4)
    executed = nbformat.read(out, as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.get("metadata", {}).get("tags", [])]
    ran = [c for c in executed.cells if c.cell_type == "code" and c not in injected]
    cells, changed = [], False
    ran_md = [c.source for c in executed.cells if c.cell_type != "code"]
    src_md = [c.source for c in source.cells if c.cell_type != "code"]
    if ran_md == src_md:
        return "unchanged"
    for cell in source.cells:
        if cell.cell_type == "code":
            cells.append(ran.pop(0))
            if "parameters" in cell.get("metadata", {}).get("tags", []):
                cells.extend(injected)
        else:
            cells.append(cell)
            changed = True
    executed.cells = cells
    nbformat.write(executed, out)
    return "prose" if changed else "unchanged"


def store(tmp: Path, out: Path, k: str) -> None:
    """Move a fresh run into place and record its key."""
    shutil.move(str(tmp), str(out))
    _key_file(out).write_text(k + "\n")
