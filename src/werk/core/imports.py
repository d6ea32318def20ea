"""Which ``werk`` modules a piece of code can run: a static import graph of the werk source, read with ast.

The execution cache keys a notebook on the werk files it can reach (:func:`werk.core.digest.werk_digest`),
so an edit to one module re-executes only the notebooks that import it, directly or through other
modules. The graph is conservative, never clever:

* every import statement counts, wherever it sits: at the top, in a function (a lazy import), under
  ``if TYPE_CHECKING:``, in a ``try``;
* ``import werk.a.b`` runs ``werk``, ``werk.a`` and ``werk.a.b`` (each package's ``__init__``);
* ``from werk.a import b`` reaches ``werk.a`` and, when there is such a module, ``werk.a.b``;
  ``from werk.a import *`` reaches every module below ``werk.a``;
* relative imports are resolved against the importer's package.

What it cannot follow makes the answer ``None``, and the caller then keys on all of werk: a werk
module named but not in the tree, a relative import above the package, a call of ``__import__``,
``importlib.import_module``, ``exec`` or ``eval`` (a module named at run time), or code that does not parse.
Nothing here imports the modules it reads.
"""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

__all__ = ["PACKAGE_NAME", "package_modules", "imported", "reachable"]

PACKAGE_NAME = "werk"

#: Calls that import a module named at run time, which a static graph cannot follow.
DYNAMIC = frozenset({"__import__", "import_module", "exec", "eval"})

# The werk names each module's source imports, by the sha256 of its bytes: a file is parsed again only
# when its bytes changed. A pure memo of a function of the bytes, so it can never be stale.
_PARSED: dict[tuple[str, str, bool, frozenset], frozenset | None] = {}


def package_modules(package: Path) -> dict[str, Path]:
    """Every module of the package folder ``package``, by dotted name (a package under its own name).

    Folders and files whose names are not identifiers (an editor's backup) are not importable, so left out.
    """
    found = {}
    for path in sorted(Path(package).rglob("*.py")):
        parts = (PACKAGE_NAME, *path.relative_to(package).with_suffix("").parts)
        if not all(part.isidentifier() for part in parts) or "__pycache__" in parts:
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _is_werk(name: str | None) -> bool:
    return bool(name) and (name == PACKAGE_NAME or name.startswith(PACKAGE_NAME + "."))


def _with_parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:k]) for k in range(1, len(parts) + 1)]


def imported(source: str, importer: str = "", is_package: bool = False,
             modules: frozenset = frozenset()) -> frozenset | None:
    """The werk modules that the code ``source`` can import, or None when that cannot be told statically.

    Parameters
    ----------
    source : str
        Python source: a module, or a notebook's code cell.
    importer : str
        The dotted name of the module that holds ``source`` ("" for a notebook: no relative imports).
    is_package : bool
        ``source`` is a package's ``__init__`` (a relative import then starts at the package itself).
    modules : frozenset
        The dotted names of every module of the tree (:func:`package_modules`).
    """
    key = (hashlib.sha256(source.encode()).hexdigest(), importer, is_package, modules)
    if key not in _PARSED:
        _PARSED[key] = _imported(source, importer, is_package, modules)
    return _PARSED[key]


def _imported(source: str, importer: str, is_package: bool, modules: frozenset) -> frozenset | None:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    found: set[str] = set()

    def add(name: str) -> bool:
        if name not in modules:
            return False
        found.update(_with_parents(name))
        return True

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            called = getattr(func, "id", None) or getattr(func, "attr", "")
            if called in DYNAMIC:
                return None
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if _is_werk(alias.name) and not add(alias.name):
                    return None
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                if not importer:
                    continue  # a notebook's relative import cannot reach werk
                package = importer.split(".") if is_package else importer.split(".")[:-1]
                keep = len(package) - (node.level - 1)
                if keep < 1:
                    return None
                base = ".".join(package[:keep] + ([node.module] if node.module else []))
            elif _is_werk(node.module):
                base = node.module
            else:
                continue
            if not add(base):
                return None
            for alias in node.names:
                if alias.name == "*":
                    found.update(m for m in modules if m.startswith(base + "."))
                elif f"{base}.{alias.name}" in modules:
                    found.add(f"{base}.{alias.name}")
    return frozenset(found)


def reachable(sources: list[str], package: Path, also: tuple[str, ...] = ()) -> list[Path] | None:
    """The files of the werk modules that code made of ``sources`` (a notebook's cells) can run.

    Closed over the modules' own imports; ``also`` names modules that run anyway (with their imports).
    Returns the files sorted, or None when any import on the way cannot be followed (see the module's
    docstring): the caller must then assume all of werk.
    """
    files = package_modules(package)
    names = frozenset(files)
    todo: list[str] = []
    for source in sources:
        got = imported(source, modules=names)
        if got is None:
            return None
        todo.extend(got)
    for name in also:
        if name not in names:
            return None
        todo.extend(_with_parents(name))
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        path = files[name]
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        got = imported(source, name, path.name == "__init__.py", names)
        if got is None:
            return None
        todo.extend(got - seen)
    return sorted(files[name] for name in seen)
