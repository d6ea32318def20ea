"""Statistics computed once per build: a result kept under a digest of everything it is computed from.

The Dutch run of a page fits the same models on the same data as the English run; pages 01, 02 and 05 fit
the same models for the ledger; the sector editions show the whole twin's plausibility beside their own
numbers. Only the words differ. A function decorated with :func:`kept` is computed once for a given input
and taken from the store afterwards, in every kernel of the build, so both languages' books show the
statistics of one computation, formatted for each.

The key of one call is a sha256 over

* the function's module and name, and the ``werk`` source that module can run, closed over its imports
  (:func:`werk.core.digest.werk_digest`, taken when the module is imported: a kernel drops its werk modules
  when their source changes, see :mod:`werk.build.kernels`);
* the Python version and every installed package's version (:func:`werk.core.digest.installed`);
* the published numbers (``data/published.yml``) as they are on disk at the call, and the files
  ``files`` names (a twin's parameter file): a claim's model may change between two runs of one kernel;
* every argument, positional or named as the call names it: a frame by the exact bytes of its index,
  column names, dtypes, values (all columns, or those ``reads`` names) and ``attrs``; a categorical by its
  categories, order and codes; numpy arrays and scalars by their bytes; plain values by their JSON.

An argument of any other type (a generator, an object), a call that warns, or a result that cannot be
pickled runs uncached: the store never guesses, and a warning shows as it would without the store.
Results are kept as pickles (the exact float bits, a frame's ``attrs`` included) in memory for the
process's life and, when ``WERK_STATS_CACHE`` names a folder (a build sets it for its kernels:
``_build/frames/stats``), on disk, one file per result that starts with the sha256 of the pickle, checked
before it is used; a file that fails the check or does not load is a miss. Every call gets a fresh copy,
so a caller that changes its result cannot change another's. ``tests/test_memo.py`` checks that a kept
call returns what the function returns, that a second call is taken from the store, and that a change of
any input (one value of one row, a column it reads, the published numbers) computes afresh.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import pickle
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from werk.core import paths
from werk.core.digest import file_digest, installed, werk_digest
from werk.core.files import stamp, write_atomic

__all__ = ["ENV", "kept", "digest_of", "prune", "Unkeyable"]

#: The environment variable naming the folder of kept results (none: kept in memory only).
ENV = "WERK_STATS_CACHE"

#: Results kept in memory (pickled), by key: a build's kernels live for one build or one werk serve session.
_MEMORY: dict[str, bytes] = {}
_MEMORY_LIMIT = 2048
_LOCK = threading.Lock()


class Unkeyable(TypeError):
    """An argument the key cannot describe exactly: the call runs uncached."""


def _update(h, value) -> None:
    """Feed ``value`` into the hash ``h``, exactly, or raise :class:`Unkeyable`."""
    if isinstance(value, pd.DataFrame):
        h.update(f"frame\0{len(value.columns)}\0".encode())
        _update(h, dict(value.attrs))
        _update(h, value.index)
        # The columns share the frame's index and attrs, digested once above: each column adds its name,
        # dtype and values. Taken from a shallow copy without attrs, which pandas would copy into every
        # column otherwise (a deep copy each).
        bare = value.copy(deep=False)
        bare.attrs = {}
        for i, name in enumerate(value.columns):
            _update(h, name)
            _values(h, bare.iloc[:, i])
    elif isinstance(value, pd.Series):
        h.update(b"series\0")
        _update(h, value.name)
        _update(h, dict(value.attrs))
        _update(h, value.index)
        _values(h, value)
    elif isinstance(value, pd.Index):
        h.update(f"index\0{value.dtype}\0{value.names}\0".encode())
        _array(h, value.to_numpy())
    elif isinstance(value, np.ndarray):
        _array(h, value)
    elif isinstance(value, np.generic):
        _array(h, np.asarray(value))
    elif isinstance(value, (list, tuple)):
        h.update(f"{type(value).__name__}\0{len(value)}\0".encode())
        for v in value:
            _update(h, v)
    elif isinstance(value, dict):
        h.update(f"dict\0{len(value)}\0".encode())
        for k in sorted(value, key=repr):
            _update(h, k)
            _update(h, value[k])
    elif value is None or isinstance(value, (bool, int, float, str)):
        h.update(json.dumps([type(value).__name__, value]).encode() + b"\0")
    else:
        raise Unkeyable(f"{type(value).__name__} has no exact digest")


def _values(h, s: pd.Series) -> None:
    """A series' dtype and values (a categorical's categories, order and codes), not its index or name."""
    h.update(f"values\0{s.dtype}\0".encode())
    if isinstance(s.dtype, pd.CategoricalDtype):
        _update(h, s.cat.categories)
        _update(h, bool(s.cat.ordered))
        _array(h, s.cat.codes.to_numpy())
    else:
        _array(h, s.to_numpy())


def _array(h, a: np.ndarray) -> None:
    h.update(f"array\0{a.dtype}\0{a.shape}\0".encode())
    if a.dtype == object:
        # Strings, None and NaN among the values (a model's terms, a text column): as JSON in one go when
        # every value is a plain one (JSON keeps 1, 1.0, True and "1" apart), else each by its own digest.
        values = a.ravel().tolist()
        if all(v is None or type(v) in (str, int, float, bool) for v in values):
            h.update(b"json\0" + json.dumps(values).encode())
            return
        for v in values:
            _update(h, None if v is None or (isinstance(v, float) and np.isnan(v)) else v)
    else:
        h.update(np.ascontiguousarray(a).tobytes())


def digest_of(*values) -> str:
    """The sha256 of ``values`` as :func:`kept` keys them; raises :class:`Unkeyable` for other types."""
    h = hashlib.sha256()
    for v in values:
        _update(h, v)
    return h.hexdigest()


_PUBLISHED: dict[tuple, str] = {}


def _published() -> str:
    """The digest of the published numbers as they are now (read again only when the file's stamp changes)."""
    try:
        now = stamp(paths.PUBLISHED)
    except OSError:
        return "missing"
    with _LOCK:
        known = _PUBLISHED.get(now)
    if known is None:
        known = file_digest(paths.PUBLISHED)
        with _LOCK:
            _PUBLISHED.clear()
            _PUBLISHED[now] = known
    return known


def _store() -> Path | None:
    folder = os.environ.get(ENV)
    return Path(folder) if folder else None


def _read(key: str) -> bytes | None:
    with _LOCK:
        blob = _MEMORY.get(key)
    if blob is not None:
        return blob
    folder = _store()
    if folder is None:
        return None
    try:
        stored = (folder / f"{key}.pkl").read_bytes()
    except OSError:
        return None
    want, _, blob = stored.partition(b"\n")
    if hashlib.sha256(blob).hexdigest().encode() != want:  # changed or cut short since it was stored: a miss
        return None
    with contextlib.suppress(OSError):
        os.utime(folder / f"{key}.pkl")  # used now: what :func:`prune` keeps
    _remember(key, blob)
    return blob


def _remember(key: str, blob: bytes) -> None:
    with _LOCK:
        if len(_MEMORY) >= _MEMORY_LIMIT:
            _MEMORY.pop(next(iter(_MEMORY)))
        _MEMORY[key] = blob


def _write(key: str, blob: bytes) -> None:
    _remember(key, blob)
    folder = _store()
    if folder is None:
        return
    stored = hashlib.sha256(blob).hexdigest().encode() + b"\n" + blob  # one file: never half of a pair
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_atomic(folder / f"{key}.pkl", lambda p: p.write_bytes(stored))
    except OSError:
        pass  # a full or read-only disk costs the next run a computation, never a result


def _load(blob: bytes):
    try:
        return True, pickle.loads(blob)
    except Exception:  # noqa: BLE001 - stored by other library versions, say: a miss, computed again
        return False, None


@functools.lru_cache(maxsize=1)
def _environment() -> str:
    import sys

    return hashlib.sha256(f"{sys.version}\n{installed()}".encode()).hexdigest()


def kept(reads: Callable[..., list[str]] | None = None, files: Callable[..., list] | None = None):
    """Keep a pure function's results under a digest of its inputs (the module docstring says which).

    ``reads(*args, **kwargs)``, when given, names the columns of the first argument (a frame) the function
    reads; only those are digested, so that a frame with other columns added shares the result.
    ``files(*args, **kwargs)`` names the files it reads besides the published numbers: their bytes enter
    the key. The function must depend on nothing else: not on a setting, not on the time.
    """

    def wrap(fn):
        code = werk_digest([], (fn.__module__,))
        name = f"{fn.__module__}.{fn.__qualname__}"

        @functools.wraps(fn)
        def call(*args, **kwargs):
            try:
                h = hashlib.sha256(f"{name}\0{code}\0{_environment()}\0{_published()}\0".encode())
                # Every argument but a frame whose columns ``reads`` names is digested first: an argument
                # that cannot be (a generator) leaves before ``reads`` could use it up.
                framed = reads is not None and bool(args) and isinstance(args[0], pd.DataFrame)
                _update(h, list(args[1:] if framed else args))
                _update(h, kwargs)
                if framed:
                    cols = [c for c in dict.fromkeys(reads(*args, **kwargs)) if c in args[0].columns]
                    _update(h, args[0][cols])
                for f in files(*args, **kwargs) if files is not None else ():
                    h.update(f"file\0{f}\0{file_digest(f)}\0".encode())
            except (Unkeyable, OSError):
                return fn(*args, **kwargs)
            key = h.hexdigest()
            blob = _read(key)
            if blob is not None:
                ok, result = _load(blob)
                if ok:
                    return result
            with warnings.catch_warnings(record=True) as caught:
                result = fn(*args, **kwargs)
            for w in caught:  # shown as without the store, and the result is not kept: a later call warns too
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)
            if caught:
                return result
            try:
                blob = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
            except (pickle.PicklingError, TypeError, AttributeError):
                return result
            _write(key, blob)
            return pickle.loads(blob)

        call.uncached = fn
        return call

    return wrap


def prune(folder: Path, keep: int = 10_000) -> int:
    """Keep the ``keep`` results of ``folder`` used last (a build calls this once), and no temporary file
    of a writer that was killed; return how many results went."""
    folder = Path(folder)
    try:
        kept_files = sorted(((f.stat().st_mtime_ns, f) for f in folder.glob("*.pkl")), reverse=True)
        for tmp in folder.glob(".*.tmp"):
            if tmp.stat().st_mtime < time.time() - 3600:  # an hour old: no writer of this build
                tmp.unlink(missing_ok=True)
    except OSError:
        return 0
    for _, f in kept_files[keep:]:
        f.unlink(missing_ok=True)
    return max(0, len(kept_files) - keep)
