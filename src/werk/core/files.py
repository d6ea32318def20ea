"""Writing files so that a reader, or a build killed half-way, never meets half of one."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

__all__ = ["write_atomic"]


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
