"""Project paths: the project is found from where the command runs, the package from where it is installed.

The project root (:func:`root`) is, in order:

1. the folder in the environment variable ``WERK_ROOT`` (``werk --root DIR`` sets it, and a build
   passes it on to its kernels);
2. the nearest folder at or above the working directory with a ``_config.yml`` next to a ``_toc.yml``
   (as Sphinx and Jupyter Book look for their configuration);
3. the checkout the package is installed from, if it is such a folder;
4. the working directory.

``ROOT``, ``DATA``, ``NOTEBOOKS``, ``BUILD``, ``TWIN`` and ``PUBLISHED`` are computed on every access
(a module ``__getattr__``): ``paths.ROOT`` follows the working directory and ``WERK_ROOT``. Use them as
``paths.ROOT``, never ``from werk.core.paths import ROOT``, and never as a default argument value.
Only :data:`PACKAGE` is fixed: the installed package, whose source the execution cache hashes.
"""

from __future__ import annotations

import contextlib
import os
import sys
import types
from collections.abc import Iterator
from pathlib import Path

# ROOT, DATA, NOTEBOOKS, BUILD, TWIN and PUBLISHED are computed on access (__getattr__ below).
__all__ = ["PACKAGE", "ENV", "root", "is_project", "rooted"]

#: The installed ``werk`` package (``src/werk``): what the execution cache hashes.
PACKAGE = Path(__file__).resolve().parents[1]
#: The environment variable that names the project root, above every other way of finding it.
ENV = "WERK_ROOT"


def is_project(folder: Path) -> bool:
    """True for a folder that holds a book: a ``_config.yml`` next to a ``_toc.yml``."""
    return (folder / "_config.yml").is_file() and (folder / "_toc.yml").is_file()


def root() -> Path:
    """The project root (absolute): ``WERK_ROOT``; else the nearest book folder at or above the working
    directory; else the checkout the package is installed from, if it holds a book; else the working
    directory."""
    given = os.environ.get(ENV, "").strip()
    if given:
        return Path(given).expanduser().resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if is_project(folder):
            return folder
    checkout = PACKAGE.parents[1]
    return checkout if is_project(checkout) else here


@contextlib.contextmanager
def rooted(folder: str | Path) -> Iterator[Path]:
    """Within the block, :func:`root` is ``folder`` (``WERK_ROOT`` is set, and restored afterwards)."""
    before = os.environ.get(ENV)
    folder = Path(folder).expanduser().resolve()
    os.environ[ENV] = str(folder)
    try:
        yield folder
    finally:
        if before is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = before


#: The paths below the root, by name (``paths.DATA`` is ``root() / "data"``).
_BELOW_ROOT = {
    "ROOT": (),
    "DATA": ("data",),
    "NOTEBOOKS": ("notebooks",),
    "BUILD": ("_build",),
    # The default data: the synthetic twin, as `werk synth` writes it.
    "TWIN": ("data", "twin.csv"),
    "PUBLISHED": ("data", "published.yml"),
}


#: Values assigned to those names (a test's ``monkeypatch.setattr(paths, "ROOT", ...)``), which win.
_assigned: dict[str, Path] = {}
#: The value last computed for each name: assigning it back (monkeypatch undoing) makes it lazy again.
_computed: dict[str, Path] = {}


def __getattr__(name: str) -> Path:
    if name in _assigned:
        return _assigned[name]
    if name in _BELOW_ROOT:
        value = _computed[name] = root().joinpath(*_BELOW_ROOT[name])
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_BELOW_ROOT))


class _Paths(types.ModuleType):
    """This module's type: an assignment to ``ROOT`` (and the rest) is kept aside, not frozen into a global,
    so that assigning back the value it replaced (as ``monkeypatch`` undoes) makes the name lazy again."""

    def __setattr__(self, name: str, value) -> None:
        if name not in _BELOW_ROOT:
            super().__setattr__(name, value)
        elif value is _computed.get(name):
            _assigned.pop(name, None)
        else:
            _assigned[name] = value

    def __delattr__(self, name: str) -> None:
        if name in _BELOW_ROOT:
            _assigned.pop(name, None)
        else:
            super().__delattr__(name)


sys.modules[__name__].__class__ = _Paths
