"""Warm kernels: papermill runs many notebooks in one long-lived kernel each, every run starting fresh.

Starting a Jupyter kernel and importing pandas, scipy, statsmodels, matplotlib and seaborn costs
about three seconds, more than most of our notebooks then spend on their own work. A book is nine
notebooks and the full set of editions seventy-two, so a fresh kernel per run spends most of the
build starting kernels. Here each worker thread keeps one kernel and papermill runs its notebooks
there, one after another, through a papermill engine of our own (``werk-warm``, a subclass of
papermill's nbclient engine).

Before every notebook the engine resets the kernel to the state a new kernel would have after
importing matplotlib (:data:`RESET`):

* IPython's namespace, output cache and history session are cleared, and the execution count
  starts again at 1 (``InteractiveShell.reset(new_session=True)``);
* every module loaded from next to the notebooks (a helper an analyst wrote) is dropped from
  ``sys.modules``, so its source is read again and its state starts empty: we cannot know what it
  keeps. ``werk`` stays loaded like the third-party libraries, which is the point: its modules
  hold constants and read-only tables, and the one thing a notebook run changes, the output-check
  recorder (:mod:`werk.disclosure.record`), is set up anew for each run, by :func:`werk.book.load`
  and, for a notebook that never calls it, by the reset itself. Only when the werk source on disk
  changed since the kernel's last run (``werk serve`` after an edit to a module) are the werk modules
  dropped too, so that the run imports the new source and not what the kernel loaded before;
* matplotlib's settings and figures, pandas' and numpy's display options, the warning filters,
  ``sys.path``, the environment and the working directory return to the snapshot taken when the
  kernel started.

and, last, everything then alive is frozen out of the garbage collector's sight (``gc.freeze``),
so that the next reset's collection, and those during the next notebook, skip the libraries.

``tests/test_kernels.py`` checks that this is enough: every notebook of the book as the build
ran it gives outputs identical to papermill's own run in a fresh kernel. A library's internal
state beyond those listed (a monkeypatched function, say) would carry over; no notebook here
changes one. A notebook that fails retires its kernel; the next notebook gets a new one.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from werk.build import procs
from werk.core.digest import package_digest

__all__ = ["ENGINE", "RESET", "Kernel", "KernelPool", "reset_code", "run_jobs"]

#: The papermill engine name under which :class:`WarmEngine` is registered.
ENGINE = "werk-warm"

#: Defines ``_werk_fresh(cwd, roots, drop_werk)``; :func:`reset_code` runs it silently before every notebook.
RESET = r"""
def _werk_fresh(cwd, roots, drop_werk=False):
    import gc, os, sys, warnings
    ip = get_ipython()
    base = getattr(ip, "_werk_baseline", None)
    if base is None:
        # First notebook in this kernel: settle matplotlib's backend as a notebook's first plot does
        # (the inline backend applies its own settings), then remember what a fresh kernel looks like.
        import matplotlib as mpl
        import matplotlib.pyplot as plt
        import numpy as np
        plt.switch_backend(mpl.get_backend())
        base = ip._werk_baseline = {
            "rc": dict(mpl.rcParams), "filters": list(warnings.filters), "path": list(sys.path),
            "environ": dict(os.environ), "numpy": np.get_printoptions(),
        }
    # IPython's reset ends with a full garbage collection; see gc.freeze below for why it is quick.
    ip.reset(new_session=True)
    here = tuple({p + os.sep for r in roots for p in (r, os.path.realpath(r))})
    for name, mod in list(sys.modules.items()):
        origin = getattr(mod, "__file__", None) or ""
        is_werk = name == "werk" or name.startswith("werk.")
        if (origin.startswith(here) and not is_werk) or (drop_werk and is_werk):
            del sys.modules[name]
    if "werk.disclosure.record" in sys.modules:
        sys.modules["werk.disclosure.record"].start()
    import matplotlib as mpl
    import matplotlib.pyplot as plt
    import numpy as np
    plt.close("all")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mpl.rcParams.clear()
        mpl.rcParams.update(base["rc"])
        if "pandas" in sys.modules:
            sys.modules["pandas"].reset_option("all")
    np.set_printoptions(**base["numpy"])
    warnings.filters[:] = base["filters"]
    warnings._filters_mutated()
    sys.path[:] = base["path"]
    os.environ.clear()
    os.environ.update(base["environ"])
    os.chdir(cwd)
    # Everything alive now (the loaded libraries, mostly) moves out of the collector's sight: the
    # next reset's collection then scans one notebook's objects, not scipy's, a tenth of a second less.
    gc.freeze()
"""


def reset_code(cwd: Path, roots: list[str], drop_werk: bool = False) -> str:
    """The code that resets a kernel for a notebook run in ``cwd`` (its own name goes with the reset);
    with ``drop_werk`` the loaded werk modules go too (their source changed)."""
    return RESET + f"\n_werk_fresh({str(cwd)!r}, {roots!r}, {bool(drop_werk)!r})\n"


def _engine():
    """The ``werk-warm`` papermill engine, registered on first use (papermill imports are slow)."""
    from nbclient.util import ensure_async, run_sync
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.log import logger
    from papermill.utils import merge_kwargs, remove_args

    class WarmClient(PapermillNotebookClient):
        """papermill's notebook client, which first resets the kernel it was given."""

        werk_reset = ""

        async def _async_werk_reset(self):
            msg_id = await ensure_async(
                self.kc.execute(self.werk_reset, silent=True, store_history=False, allow_stdin=False)
            )
            reply = await self.async_wait_for_reply(msg_id)
            content = (reply or {}).get("content", {})
            if content.get("status") != "ok":
                raise RuntimeError(
                    f"could not reset the warm kernel: {content.get('ename')}: {content.get('evalue')}"
                )

        def papermill_execute_cells(self):
            run_sync(self._async_werk_reset)()
            super().papermill_execute_cells()

    class WarmEngine(NBClientEngine):
        """papermill's nbclient engine, run in a kernel that outlives the notebook."""

        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                     stderr_file=None, start_timeout=60, execution_timeout=None, km=None,
                                     kc=None, werk_reset="", **kwargs):
            kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
            final_kwargs = merge_kwargs(
                kwargs, timeout=execution_timeout, startup_timeout=start_timeout, kernel_name=kernel_name,
                log=logger, log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file,
            )
            client = WarmClient(nb_man, km=km, **final_kwargs)
            # The kernel's client is kept too: a new one waits for a quiet moment on the kernel's
            # output channel before its first message, a fifth of a second for every notebook.
            client.kc = kc
            client.werk_reset = werk_reset
            return client.execute()

    papermill_engines.register(ENGINE, WarmEngine)
    return WarmEngine


_REGISTER = threading.Lock()
_REGISTERED = False


class Kernel:
    """One long-lived Python kernel, used by one thread; started on the first notebook it runs.

    Parameters
    ----------
    roots : list of Path
        Folders whose modules are reloaded for every notebook (the project); ``werk`` always is.
    kernel_name : str
        The Jupyter kernel to start.
    env : dict
        Variables set in the kernel's environment, over this process's.
    """

    def __init__(self, roots: Iterable[Path] = (), kernel_name: str = "python3", env: dict | None = None,
                 keep_locks: bool = True):
        self.keep_locks = keep_locks
        self.roots = [str(Path(r).resolve()) for r in roots]
        self.kernel_name = kernel_name
        self.env = dict(env or {})
        self.km = None
        self.kc = None
        self.runs = 0
        self.werk_source: str | None = None  # the werk source the kernel's loaded modules came from

    def _start(self, cwd: Path) -> None:
        from jupyter_client.manager import AsyncKernelManager
        from nbclient.util import run_sync

        global _REGISTERED
        with _REGISTER:
            if not _REGISTERED:
                _engine()
                _REGISTERED = True
        self.km = AsyncKernelManager(kernel_name=self.kernel_name)
        # The kernel dies with the build and holds its lock until it has (werk.build.procs); a kernel
        # kept warm for later builds (KernelPool) must not hold this build's lock.
        spawn = procs.child_kwargs()
        if not self.keep_locks:
            spawn["pass_fds"] = ()
        run_sync(self.km.start_kernel)(cwd=str(cwd), env={**os.environ, **self.env}, **spawn)
        self.kc = self.km.client()
        self.kc.start_channels()
        run_sync(self.kc.wait_for_ready)(timeout=60)

    def execute(self, src: Path, out: Path, parameters: dict, cwd: Path) -> None:
        """Run ``src`` with ``parameters`` into ``out`` (papermill), in ``cwd``, from a fresh kernel state.

        Raises what :func:`papermill.execute_notebook` raises; the kernel is then retired, and the
        next call starts a new one.
        """
        import papermill as pm

        if self.km is None:
            self._start(cwd)
            self.werk_source = None
        source = package_digest()
        reset = reset_code(cwd, self.roots, drop_werk=self.werk_source not in (None, source))
        self.werk_source = source
        try:
            pm.execute_notebook(
                str(src), str(out), parameters=parameters, engine_name=ENGINE, kernel_name=self.kernel_name,
                progress_bar=False, log_output=False, request_save_on_cell_execute=False, km=self.km,
                kc=self.kc, werk_reset=reset,
            )
            self.runs += 1
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Shut the kernel down (from the thread that used it: its sockets belong to that thread's loop)."""
        if self.km is None:
            return
        from nbclient.util import run_sync

        km, kc, self.km, self.kc = self.km, self.kc, None, None
        if kc is not None:
            kc.stop_channels()
        run_sync(km.shutdown_kernel)(now=False)


class KernelPool:
    """Threads that each keep one :class:`Kernel` warm from one build to the next (``werk serve``).

    :func:`run_jobs` given a pool runs its jobs on the pool's threads and kernels instead of starting
    its own, and leaves the kernels running; :meth:`close` shuts them down. Use as a context manager.
    """

    def __init__(self, workers: int, roots: Iterable[Path] = (), env: dict | None = None):
        self.roots = [str(Path(r).resolve()) for r in roots]
        self.env = dict(env or {})
        self._work: list[queue.Queue] = [queue.Queue() for _ in range(max(1, workers))]
        self._threads = [threading.Thread(target=self._serve, args=(q,), name=f"werk-warm-{k}", daemon=True)
                         for k, q in enumerate(self._work)]
        for t in self._threads:
            t.start()

    @property
    def workers(self) -> int:
        return len(self._work)

    def _serve(self, work: queue.Queue) -> None:
        kernel = Kernel(self.roots, env=self.env, keep_locks=False)
        try:
            while True:
                item = work.get()
                if item is None:
                    return
                fn, finished = item
                try:
                    fn(kernel)
                finally:
                    finished.set()
        finally:
            kernel.close()

    def run_on_all(self, fn: Callable, count: int) -> None:
        """Run ``fn(kernel)`` on ``count`` of the pool's threads at once, and wait for all of them."""
        events = []
        for q in self._work[:max(1, count)]:
            ev = threading.Event()
            q.put((fn, ev))
            events.append(ev)
        for ev in events:
            ev.wait()

    def close(self) -> None:
        for q in self._work:
            q.put(None)
        for t in self._threads:
            t.join(timeout=30)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def run_jobs(jobs: list, run: Callable, workers: int, roots: Iterable[Path] = (),
             done: Callable | None = None, env: dict | None = None, pool: KernelPool | None = None) -> list:
    """Run ``run(job, kernel)`` for every job on ``workers`` threads, each with its own warm :class:`Kernel`.

    Jobs are taken in order as threads come free, but a job whose ``after`` (positions in ``jobs``)
    are not all finished waits for them; a job one of whose ``after`` failed (returned a result with
    an ``error``) is not run, and its result says so. A kernel starts only when its thread first
    executes a notebook (a fully cached build starts none). ``done(result)`` is called, in the
    caller's thread, as each job finishes; ``env`` goes to every kernel's environment. Returns the
    results in job order. With a ``pool`` the jobs run on its threads and warm kernels (``workers``,
    ``roots`` and ``env`` are then the pool's), which stay up for the next call.
    """
    pending = list(range(len(jobs)))
    results: list = [None] * len(jobs)
    finished_ok: set[int] = set()
    failed: set[int] = set()
    lock = threading.Condition()
    finished: queue.Queue = queue.Queue()
    roots = list(roots)
    stop = threading.Event()  # set by a job that raised: no new job starts, running ones finish

    def take():
        """The next job that may start (its ``after`` all finished), or None when none is left."""
        with lock:
            while pending and not stop.is_set():
                for pos, i in enumerate(pending):
                    after = jobs[i].get("after", []) if isinstance(jobs[i], dict) else []
                    if all(a in finished_ok or a in failed for a in after):
                        del pending[pos]
                        blocked = [a for a in after if a in failed]
                        return i, blocked
                lock.wait()
            return None

    def settle(i, res):
        with lock:
            (failed if res is None or (isinstance(res, dict) and "error" in res) else finished_ok).add(i)
            lock.notify_all()

    def work(kernel):
        while True:
            got = take()
            if got is None:
                return
            i, blocked = got
            job = jobs[i]
            if blocked:
                names = ", ".join(str(jobs[a].get("name", a)) for a in blocked)
                res = {"nb": job.get("name"), "slug": job.get("slug"),
                       "error": f"{job.get('name')}: not run, since {names} failed"}
                settle(i, res)
                finished.put((i, res, None))
                continue
            try:
                res = run(job, kernel)
            except BaseException as exc:  # handed to the caller, who re-raises it
                stop.set()
                settle(i, None)
                finished.put((i, None, exc))
                continue
            settle(i, res)
            finished.put((i, res, None))

    def worker():
        kernel = Kernel(roots, env=env)
        try:
            work(kernel)
        finally:
            kernel.close()

    if pool is not None:
        count = max(1, min(pool.workers, len(jobs)))
        threads = [threading.Thread(target=pool.run_on_all, args=(work, count), name="werk-warm-jobs",
                                    daemon=True)]
    else:
        threads = [threading.Thread(target=worker, name=f"werk-kernel-{k}", daemon=True)
                   for k in range(max(1, min(workers, len(jobs))))]
    for t in threads:
        t.start()
    for _ in jobs:
        i, res, exc = finished.get()
        if exc is not None:
            with lock:
                lock.notify_all()
            for t in threads:
                t.join()
            raise exc
        results[i] = res
        if done:
            done(res)
    for t in threads:
        t.join()
    return results
