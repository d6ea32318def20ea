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


def _digest_file(saved: Path) -> Path:
    return saved.with_suffix(".sha256")


def _read_kept(saved: Path):
    """The frame kept at ``saved``, or ``None`` if there is none; ValueError if it is not what was stored."""
    try:
        stored = _digest_file(saved).read_text().strip()
        raw = saved.read_bytes()
    except FileNotFoundError:
        if saved.exists() or _digest_file(saved).exists():
            raise ValueError("half of it is missing") from None
        return None
    if hashlib.sha256(raw).hexdigest() != stored:
        raise ValueError("its bytes do not match the digest stored with it")
    try:
        return pickle.loads(raw)
    except (EOFError, ValueError, pickle.UnpicklingError, AttributeError, ImportError) as exc:
        raise ValueError(f"it does not unpickle ({type(exc).__name__})") from None


def validated_frame(path, mapping=None, folder: Path | None = None, keep: bool = True, on_corrupt=None):
    """``werk.inputs.data.load(path, mapping)``, kept in ``folder`` for the next build that reads the
    same bytes.

    Reading and validating the twin takes a few tenths of a second, and a build did it once, and
    then once more in each of its notebooks. The validated frame is pickled under a key of the data
    and mapping files' bytes and suffixes, the ``werk`` source (the validation rules) and the
    environment (pandas writes the pickle), so a changed file or rule validates again. A file that
    fails validation raises :class:`werk.inputs.data.DataError` as ever and leaves nothing behind. With
    ``keep=False`` a frame validated here is not written (:func:`keep_frame` does that later);
    without ``folder`` (or with a mapping given as a dict) this is :func:`werk.inputs.data.load`.

    A kept frame is read only if its bytes match the sha256 stored beside it (``<key>.sha256``): one
    changed or cut short since is removed, ``on_corrupt(message)`` is told, and the file validates
    again (and is kept anew).
    """
    if folder is None or isinstance(mapping, dict):
        return data.load(path, mapping)
    saved = _frame_file(path, mapping, folder)
    try:
        frame = _read_kept(saved)
    except ValueError as exc:
        saved.unlink(missing_ok=True)
        _digest_file(saved).unlink(missing_ok=True)
        if on_corrupt:
            on_corrupt(f"the validated frame kept in {saved} was unusable ({exc}): validating {path} again")
        frame = None
    except OSError:
        frame = None  # unreadable: validate again
    if frame is not None:
        return frame
    frame = data.load(path, mapping)
    if keep:
        keep_frame(frame, path, mapping, folder)
    return frame


def keep_frame(frame, path, mapping, folder: Path) -> None:
    """Write the validated ``frame`` of these files to ``folder`` (unless it is there, whole), keeping
    the newest few. The pickle goes first, its digest last: an interruption leaves no digest, a miss."""
    saved = _frame_file(path, mapping, folder)
    try:
        if _read_kept(saved) is not None:
            return
    except (ValueError, OSError):
        pass
    saved.parent.mkdir(parents=True, exist_ok=True)
    _digest_file(saved).unlink(missing_ok=True)
    raw = pickle.dumps(frame, protocol=pickle.HIGHEST_PROTOCOL)
    write_atomic(saved, lambda tmp: tmp.write_bytes(raw))
    digest = hashlib.sha256(raw).hexdigest()
    write_atomic(_digest_file(saved), lambda tmp: tmp.write_text(digest + "\n"))
    kept = []
    for f in saved.parent.glob("*.pkl"):
        try:
            kept.append((f.stat().st_mtime, f))
        except OSError:
            continue
    for _, old in sorted(kept, reverse=True)[FRAMES_KEPT:]:
        old.unlink(missing_ok=True)
        _digest_file(old).unlink(missing_ok=True)
