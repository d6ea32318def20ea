"""Child processes that die with the build, and hold its lock until they have.

A build starts children that write into ``_build``: Jupyter Book (a subprocess, or the
:class:`~werk.build.pipeline.CompilePool`'s workers) and the kernels. A build killed with
``SIGKILL`` runs no clean-up code, and its children used to go on writing into
``_build/sphinx/<slug>`` while the next build had already taken the lock, freed by the kill.
Two things close that window, both done by the operating system, whatever kills the build:

* every child holds the build's lock files open (the same open file description, so the same
  ``flock``): the lock is free only when the build *and* all its children are gone;
* every child ends when the build does: ``PR_SET_PDEATHSIG`` (Linux) for a subprocess, and a
  watching thread in each pool worker (a death signal follows the *thread* that started the
  process, and the pool starts its workers from whichever thread submits first).

The lock files this process holds are registered here by :func:`werk.build.pipeline.locked`;
the state is process-wide because a lock is.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

__all__ = ["hold", "release", "held", "child_kwargs", "die_with_parent", "inherit", "worker_init"]

_HELD: list[int] = []
_LOCK = threading.Lock()

#: prctl(2) option: the signal a process gets when the thread that started it exits.
PR_SET_PDEATHSIG = 1


def hold(fd: int) -> None:
    """Register a lock file descriptor this process holds: every child started from now on inherits it."""
    with _LOCK:
        _HELD.append(fd)


def release(fd: int) -> None:
    with _LOCK:
        if fd in _HELD:
            _HELD.remove(fd)


def held() -> tuple[int, ...]:
    """The lock file descriptors this process holds."""
    with _LOCK:
        return tuple(_HELD)


def die_with_parent() -> None:
    """``preexec_fn`` of a child process: it gets ``SIGKILL`` when its parent (thread) ends.

    If the parent is gone already (it died between fork and here), the child ends at once.
    A no-op where ``prctl`` is missing (not Linux): there the children outlive a killed build.
    """
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:
        os._exit(1)


def child_kwargs() -> dict:
    """``subprocess.Popen`` arguments for a child of the build: it dies with it and holds its locks."""
    kwargs = {"pass_fds": held()}
    if sys.platform.startswith("linux"):
        kwargs["preexec_fn"] = die_with_parent
    return kwargs


class inherit:  # noqa: N801 - used like a function: inherit(fd)
    """A file descriptor to hand to a spawned ``multiprocessing`` worker (in its initializer's arguments).

    Pickled while the worker is spawned, it passes the descriptor itself
    (``multiprocessing.reduction.DupFd``), so the worker shares this process's open file, and with
    it the ``flock``.
    """

    def __init__(self, fd: int):
        self.fd = fd

    def __reduce__(self):
        from multiprocessing import reduction

        return (_detach, (reduction.DupFd(self.fd),))


def _detach(dup) -> int:
    return dup.detach()


def _watch(parent: int, interval: float) -> None:
    while os.getppid() == parent:
        time.sleep(interval)
    os._exit(1)


def worker_init(parent: int, fds=(), interval: float = 0.2) -> None:
    """Initializer of a pool worker: keep the inherited lock descriptors open, and end with ``parent``.

    ``parent`` is the pid of the process that made the pool (it may have died while the worker was
    starting: then the worker ends here); ``fds`` are the descriptors :class:`inherit` passed, which
    the worker only keeps open (they close when it ends). A daemon thread ends the worker within
    ``interval`` seconds of its parent.
    """
    if os.getppid() != parent:
        os._exit(1)
    for fd in fds:
        hold(fd)
    watch = threading.Thread(target=_watch, args=(parent, interval), daemon=True, name="werk-parent-watch")
    watch.start()
