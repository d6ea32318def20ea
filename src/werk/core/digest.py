"""Digests of what a computed result depends on: a file's bytes, the werk source, the environment.

The execution cache (:mod:`werk.build.cache`) and the kept validated frames
(:mod:`werk.inputs.frames`) key on them: a notebook run on the werk modules it can import
(:func:`werk_digest`), everything else on the whole werk source (:func:`package_digest`).
"""

from __future__ import annotations

import functools
import hashlib
import os
import sys
from pathlib import Path

from werk.core import imports, paths

__all__ = ["file_digest", "package_digest", "werk_digest", "installed", "environment_digest"]


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def package_digest() -> str:
    """The ``werk`` package as it is on disk now (every file but bytecode), and the data it reads."""
    h = hashlib.sha256()
    for f in sorted(paths.PACKAGE.rglob("*")):
        if f.is_file() and "__pycache__" not in f.parts and f.suffix not in (".pyc", ".pyo"):
            h.update(str(f.relative_to(paths.PACKAGE).as_posix()).encode() + b"\0")
            h.update(file_digest(f).encode())
    _published(h)
    return h.hexdigest()


def _published(h) -> None:
    for extra in (paths.PUBLISHED,):
        h.update(file_digest(extra).encode() if extra.exists() else b"missing")


def werk_digest(sources: list[str], also: tuple[str, ...] = ()) -> str:
    """The part of the ``werk`` package that code made of ``sources`` (a notebook's code cells) can run.

    The files of the werk modules it imports, closed over their own imports, lazy ones in functions
    included (:func:`werk.core.imports.reachable`; ``also``: modules that run anyway), plus every file
    of the package that is not Python (data a module may read) and the published numbers. When an
    import cannot be followed statically, the whole package (:func:`package_digest`).
    """
    files = imports.reachable(sources, paths.PACKAGE, also)
    if files is None:
        return "all " + package_digest()
    h = hashlib.sha256()
    others = (f for f in paths.PACKAGE.rglob("*")
              if f.is_file() and "__pycache__" not in f.parts and f.suffix not in (".py", ".pyc", ".pyo"))
    for f in sorted({*files, *others}):
        h.update(str(f.relative_to(paths.PACKAGE).as_posix()).encode() + b"\0")
        h.update(file_digest(f).encode())
    _published(h)
    return "some " + h.hexdigest()


@functools.lru_cache(maxsize=1)
def installed() -> str:
    """Name and version of every installed distribution (a venv that drifted from the pins counts).

    Read from the names of the ``*.dist-info`` and ``*.egg-info`` folders on ``sys.path``
    (``name-version.dist-info``), which is what ``importlib.metadata`` would report, without
    parsing 130 metadata files on every build.
    """
    found = set()
    for entry in sys.path:
        try:
            found.update(n for n in os.listdir(entry or ".") if n.endswith((".dist-info", ".egg-info")))
        except OSError:
            continue
    return hashlib.sha256("\n".join(sorted(found)).encode()).hexdigest()


def environment_digest(version: str = "") -> str:
    """The pinned requirements, the installed packages, and the Python version."""
    req = paths.ROOT / "requirements.txt"
    parts = [version, sys.version, installed(), file_digest(req) if req.exists() else "no requirements.txt"]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()
