"""Writing files so that a reader, or a build killed half-way, never meets half of one; reading YAML."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

__all__ = ["write_atomic", "load_yaml"]


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
