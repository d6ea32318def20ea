"""Writing files so that a reader, or a build killed half-way, never meets half of one; reading YAML."""

from __future__ import annotations

import os
import pickle
import threading
from collections.abc import Callable
from pathlib import Path

__all__ = ["write_atomic", "load_yaml", "read_yaml", "stamp"]


def write_atomic(path, write: Callable[[Path], object]) -> None:
    """Write ``path`` through ``write(tmp)``, a temporary file in the same folder, then rename it.

    Readers see the old file or the new one, never half; the temporary name carries the process and
    thread, so writers in parallel do not meet either.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def load_yaml(stream):
    """``yaml.safe_load`` through libyaml's parser where PyYAML has it (the same safe constructor and
    resolver, about ten times faster: the claims and the twin's parameters are read on every page of
    every edition); raises ``yaml.YAMLError`` as ``safe_load`` does."""
    import yaml

    return yaml.load(stream, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - safe


def stamp(path) -> tuple:
    """What tells a file's versions apart without reading it: its inode, size and modification and change
    times (a copy that keeps the modification time, ``cp -p``, still changes the change time)."""
    st = Path(path).stat()
    return (str(Path(path).resolve()), st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


#: Parsed YAML files by :func:`stamp`, pickled: see :func:`read_yaml`.
_PARSED: dict[tuple, bytes] = {}


def read_yaml(path) -> object:
    """The YAML file ``path`` as :func:`load_yaml` reads it, parsed once while the file stays as it is.

    Every page of every edition and language reads the published claims several times; a kernel kept warm
    between notebooks parses them once, and again only when the file's :func:`stamp` changes.
    Each call gets its own copy. Raises ``OSError`` and ``yaml.YAMLError`` as reading and parsing do.
    """
    path = Path(path)
    now = stamp(path)
    blob = _PARSED.get(now)
    if blob is None:
        blob = pickle.dumps(load_yaml(path.read_text(encoding="utf-8")), protocol=pickle.HIGHEST_PROTOCOL)
        if len(_PARSED) > 32:
            _PARSED.clear()
        _PARSED[now] = blob
    return pickle.loads(blob)
