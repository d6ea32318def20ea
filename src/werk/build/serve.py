"""``werk serve``: the analyst's loop. Edit a notebook, save, and the open page updates by itself.

A change under the project (notebooks, the ``werk`` source, data, ``_config.yml``, ``_toc.yml``,
static files, pages) runs what ``werk build`` would run, and no more: the execution cache decides
which notebooks execute (a prose edit executes none), and Sphinx recompiles the changed pages.
Unlike ``werk build``, the kernels and the Jupyter Book compiler stay warm between rebuilds
(:class:`werk.build.kernels.KernelPool`, :class:`werk.build.pipeline.CompilePool`), so a rebuild pays
neither a kernel start nor Sphinx's imports.

The book is served on 127.0.0.1 by the standard library's HTTP server. Only in this mode, each HTML
page is served with one extra script (``/_werk/reload.js``, served from here, no network) that
polls the server's state: it reloads the page after a good rebuild and shows the error of a failed
one (naming the notebook and the cell) over the last good page, which stays. The files in
``_build/html`` never hold the script.

Files are watched with ``watchfiles`` (Rust's notify), not by polling of our own.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from werk.build import kernels, pipeline
from werk.core import paths
from werk.core.errors import WerkError

__all__ = ["RELOAD_PATH", "RELOAD_JS", "Server", "watched", "ignored", "serve"]

#: Where the reload script and the state are served; no page of the book lives below it.
RELOAD_PATH = "/_werk"

RELOAD_JS = """\
// werk serve: reload after a rebuild, show a failed one. Served only by `werk serve`.
(function () {
  var seen = null;
  function banner(text) {
    var box = document.getElementById("werk-serve-error");
    if (!text) { if (box) box.remove(); return; }
    if (!box) {
      box = document.createElement("pre");
      box.id = "werk-serve-error";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;left:0;right:0;bottom:0;z-index:9999;margin:0;" +
        "max-height:45vh;overflow:auto;padding:1em;background:#7a0010;color:#fff;" +
        "font:14px/1.4 monospace;white-space:pre-wrap";
      document.body.appendChild(box);
    }
    box.textContent = "werk serve: the last rebuild failed; this is the last good page.\\n\\n" + text;
  }
  function poll() {
    fetch("@PATH@/state", {cache: "no-store"}).then(function (r) { return r.json(); }).then(function (s) {
      if (seen === null) seen = s.generation;
      else if (s.generation !== seen && !s.error) { location.reload(); return; }
      banner(s.error);
      seen = s.generation;
    }).catch(function () {}).then(function () { setTimeout(poll, 150); });
  }
  poll();
})();
""".replace("@PATH@", RELOAD_PATH)

_SCRIPT_TAG = f'<script src="{RELOAD_PATH}/reload.js"></script>'.encode()

#: Folders and files below the project that are never sources of the book.
IGNORED_PARTS = frozenset({"_build", ".venv", ".git", "__pycache__", ".ipynb_checkpoints", ".pytest_cache",
                           ".ruff_cache", "benchmarks", "tests"})


def watched(root: Path) -> list[Path]:
    """What a rebuild depends on: the project folder (less :func:`ignored` parts) and the ``werk`` source."""
    werk_src = Path(__file__).resolve().parents[1]
    folders = [Path(root).resolve()]
    if not werk_src.is_relative_to(folders[0]):
        folders.append(werk_src)
    return folders


def ignored(path: str | Path) -> bool:
    """True for a path whose change cannot change the book (the build's output, caches, editors' files)."""
    p = Path(path)
    name = p.name
    return (bool(IGNORED_PARTS & set(p.parts)) or name.startswith(".#")
            or name.endswith(("~", ".swp", ".pyc", ".running.ipynb")))


class Server:
    """One book, served and rebuilt on change, with warm kernels and compiler.

    Parameters are those of :func:`werk.build.pipeline.build`; ``port`` 0 takes a free port.
    """

    def __init__(self, root: Path, data=None, mapping=None, edition: str = "all", lang: str = "en",
                 port: int = 8000, jobs: int | None = None, out=sys.stderr):
        self.root = Path(root).resolve()
        self.data, self.mapping, self.edition, self.lang = data, mapping, edition, lang
        self.jobs = jobs or max(1, os.cpu_count() or 1)
        self.out = out
        self.generation = 0
        self.error: str | None = None
        self.building = False
        self._lock = threading.Lock()
        self.pool: kernels.KernelPool | None = None
        self.compiler: pipeline.CompilePool | None = None
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.httpd.daemon_threads = True

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/"

    def say(self, msg: str) -> None:
        print(f"werk serve: {msg}", file=self.out, flush=True)

    def state(self) -> dict:
        with self._lock:
            return {"generation": self.generation, "error": self.error, "building": self.building}

    def html(self) -> Path:
        return pipeline.html_dir(self.edition, self.root, self.lang)

    # ------------------------------------------------------------------------------------------ rebuilds
    def start(self) -> None:
        """Start the warm kernels and compiler, and the HTTP server (in a thread)."""
        with paths.rooted(self.root):
            self.pool = kernels.KernelPool(self.jobs, roots=[self.root / "notebooks"],
                                           env=pipeline.kernel_env(self.root))
            self.compiler = pipeline.CompilePool(1, keep_locks=False)
        threading.Thread(target=self.httpd.serve_forever, name="werk-serve-http", daemon=True).start()

    def rebuild(self, why: str = "start") -> bool:
        """Build the book as ``werk build`` would, on the warm kernels; True when it succeeded."""
        with self._lock:
            self.building = True
        self.say(f"{why}: rebuilding")
        t0 = time.perf_counter()
        try:
            pipeline.build(self.data, self.mapping, self.edition, lang=self.lang, jobs=self.jobs,
                           root=self.root, pool=self.pool, runner=self.compiler.run)
        except WerkError as exc:
            with self._lock:
                self.error, self.building = str(exc), False
                self.generation += 1
            self.say(f"rebuild failed, the last good book is still served:\n{exc}")
            return False
        with self._lock:
            self.error, self.building = None, False
            self.generation += 1
        self.say(f"rebuilt in {time.perf_counter() - t0:.1f} s: {self.url}")
        return True

    def watch(self, stop: threading.Event | None = None) -> None:
        """Rebuild on every change until ``stop`` is set (or Ctrl-C)."""
        import watchfiles

        stop = stop or threading.Event()
        for changes in watchfiles.watch(*watched(self.root), watch_filter=lambda _c, p: not ignored(p),
                                        stop_event=stop, debounce=100, step=30, raise_interrupt=True):
            names = sorted({os.path.relpath(p, self.root) for _c, p in changes})
            self.rebuild("changed: " + ", ".join(names[:5]) + (" ..." if len(names) > 5 else ""))

    def close(self) -> None:
        """Stop serving; shut the kernels and the compiler down (nothing is left running)."""
        self.httpd.shutdown()
        self.httpd.server_close()
        if self.pool is not None:
            self.pool.close()
        if self.compiler is not None:
            self.compiler.__exit__(None, None, None)

    # ---------------------------------------------------------------------------------------- HTTP side
    def _handler(self):
        server = self

        class Handler(SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=str(server.html()), **kwargs)

            def log_message(self, *args):  # the analyst's terminal shows rebuilds, not every request
                pass

            def _send(self, body: bytes, ctype: str) -> None:
                self.send_response(HTTPStatus.OK)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                path = self.path.split("?", 1)[0]
                if path == f"{RELOAD_PATH}/reload.js":
                    return self._send(RELOAD_JS.encode(), "text/javascript; charset=utf-8")
                if path == f"{RELOAD_PATH}/state":
                    return self._send(json.dumps(server.state()).encode(), "application/json")
                file = Path(self.translate_path(path))
                if file.is_dir():
                    file = file / "index.html"
                if file.suffix == ".html" and file.is_file():
                    body = file.read_bytes()
                    at = body.rfind(b"</body>")
                    body = body[:at] + _SCRIPT_TAG + body[at:] if at >= 0 else body + _SCRIPT_TAG
                    return self._send(body, "text/html; charset=utf-8")
                return super().do_GET()

        return Handler


def serve(root: Path | None = None, data=None, mapping=None, edition: str = "all", lang: str = "en",
          port: int = 8000, jobs: int | None = None) -> int:
    """Run ``werk serve`` until Ctrl-C: build, serve, watch and rebuild. Returns the exit status."""
    root = Path(root).resolve() if root else paths.ROOT
    server = Server(root, data, mapping, edition, lang, port, jobs)
    try:
        server.start()
        if not server.rebuild("first build") and not (server.html() / "index.html").is_file():
            server.say("there is no good book to serve yet: fix the error and save")
        server.say(f"serving {server.html()} at {server.url} (Ctrl-C stops)")
        server.watch()
    except KeyboardInterrupt:
        server.say("stopping")
    finally:
        server.close()
    return 0
