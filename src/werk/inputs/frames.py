"""Validated frames kept between builds: a data file is read and validated once per content.

Reading and validating the twin takes a few tenths of a second; a build did it once, and then once
more in each of its notebooks. The validated frame is kept under a key of the files' bytes, the werk
source and the environment (:mod:`werk.core.digest`).
"""

from __future__ import annotations

import hashlib
import json
import pickle
from pathlib import Path

import pandas as pd

from werk.core.digest import environment_digest, file_digest, package_digest
from werk.core.files import write_atomic
from werk.inputs import data

__all__ = ["FRAMES_KEPT", "validated_frame", "keep_frame"]


#: How many validated frames :func:`validated_frame` keeps in its folder (the newest).
FRAMES_KEPT = 4


def _frame_file(path, mapping, folder: Path) -> Path:
    """Where the validated frame of these files' bytes is kept."""
    files = [Path(f) for f in (path, mapping) if f is not None]
    parts = {
        "files": [[f.suffix.lower(), file_digest(f)] for f in files],
        "package": package_digest(),
        "environment": environment_digest("werk-frames-1"),
    }
    return Path(folder) / (hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest() + ".pkl")


def validated_frame(path, mapping=None, folder: Path | None = None, keep: bool = True):
    """``werk.inputs.data.load(path, mapping)``, kept in ``folder`` for the next build that reads the
    same bytes.

    Reading and validating the twin takes a few tenths of a second, and a build did it once, and
    then once more in each of its notebooks. The validated frame is pickled under a key of the data
    and mapping files' bytes and suffixes, the ``werk`` source (the validation rules) and the
    environment (pandas writes the pickle), so a changed file or rule validates again. A file that
    fails validation raises :class:`werk.inputs.data.DataError` as ever and leaves nothing behind. With
    ``keep=False`` a frame validated here is not written (:func:`keep_frame` does that later);
    without ``folder`` (or with a mapping given as a dict) this is :func:`werk.inputs.data.load`.
    """
    if folder is None or isinstance(mapping, dict):
        return data.load(path, mapping)
    saved = _frame_file(path, mapping, folder)
    try:
        return pd.read_pickle(saved)
    except (OSError, EOFError, ValueError, pickle.UnpicklingError):
        pass  # not there yet, or unreadable: validate again
    frame = data.load(path, mapping)
    if keep:
        keep_frame(frame, path, mapping, folder)
    return frame


def keep_frame(frame, path, mapping, folder: Path) -> None:
    """Write the validated ``frame`` of these files to ``folder`` (if not there), keeping the newest few."""
    saved = _frame_file(path, mapping, folder)
    if saved.is_file():
        return
    saved.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(saved, frame.to_pickle)
    kept = []
    for f in saved.parent.glob("*.pkl"):
        try:
            kept.append((f.stat().st_mtime, f))
        except OSError:
            continue
    for _, old in sorted(kept, reverse=True)[FRAMES_KEPT:]:
        old.unlink(missing_ok=True)
