"""The package is layered: every import of a werk module runs down (or sideways), and none runs in a circle.

Layers from bottom to top; a module may import modules of its own layer or of a lower one only:

    0 foundation         werk (the package __init__), werk.core.*
    1 inputs             werk.inputs.*
    2 statistics         werk.stats.*
    3 disclosure control werk.disclosure.*
    4 display            werk.display.*
    5 notebook façade    werk.book
    6 build              werk.build.*
    7 CLI                werk.cli, werk.cli.*

The checks read the source with :mod:`ast` and never import werk, so that a broken or half-moved tree
is still checked and nothing in it runs. Each check is a function of the package folder, used both on
the real tree and, in the self-tests at the bottom, on small fake trees that must fail.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = "werk"
ROOT = Path(__file__).resolve().parents[1] / "src" / PACKAGE

# (prefix, layer). A module's layer is that of the longest prefix that equals its name or is followed in
# it by a dot. The bare package name is matched exactly: as a prefix it would match every module, and a
# module left behind at the top of the package (werk.ledger) would pass as foundation.
LAYERS: tuple[tuple[str, int], ...] = (
    ("werk.core", 0),
    ("werk.inputs", 1),
    ("werk.stats", 2),
    ("werk.disclosure", 3),
    ("werk.display", 4),
    ("werk.book", 5),
    ("werk.build", 6),
    ("werk.cli", 7),
)
EXACT_LAYERS: dict[str, int] = {PACKAGE: 0}
ALL_LAYERS = range(8)

# A comment that states why an import waits for the function: "# lazy: <reason>", with a reason.
LAZY_REASON = re.compile(r"#.*\blazy:\s*\S")


@dataclass(frozen=True)
class Import:
    """One werk module named by one import statement.

    Attributes
    ----------
    importer : str
        Dotted name of the module that holds the statement.
    target : str
        Dotted name of the werk module imported (see :func:`collect_imports` for how it is resolved).
    line : int
        Line of the statement in the importer.
    in_function : bool
        The statement sits in a function or method body, so runs only when that is called.
    explained : bool
        A ``# lazy: <reason>`` comment is on the statement's lines or on the line directly above.
    """

    importer: str
    target: str
    line: int
    in_function: bool
    explained: bool


# ----------------------------------------------------------------------------------------------- helpers
def find_modules(root: Path) -> dict[str, Path]:
    """Every module of the package in `root`, by dotted name.

    Parameters
    ----------
    root : Path
        The package folder (``.../src/werk``); its name is the top of every dotted name.

    Returns
    -------
    dict[str, Path]
        ``werk.stats.models`` for ``stats/models.py``; a package's ``__init__.py`` under the package's name.
    """
    modules = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if not all(part.isidentifier() for part in parts):
            continue  # not importable under any name (an editor's backup folder, a dashed file name)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def layer_of(module: str) -> int | None:
    """The layer of a dotted module name, or None when no prefix of :data:`LAYERS` matches it.

    Parameters
    ----------
    module : str
        Dotted module name, such as ``werk.stats.models``.

    Returns
    -------
    int or None
    """
    if module in EXACT_LAYERS:
        return EXACT_LAYERS[module]
    matches = [(len(prefix), layer) for prefix, layer in LAYERS
               if module == prefix or module.startswith(prefix + ".")]
    return max(matches)[1] if matches else None


def _is_type_checking(test: ast.expr) -> bool:
    """Whether an ``if`` tests ``TYPE_CHECKING`` or ``typing.TYPE_CHECKING``."""
    return ((isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
            or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"))


class _Statements(ast.NodeVisitor):
    """The import statements of a module that run, each with whether it sits in a function body.

    The body of ``if TYPE_CHECKING:`` is skipped (its ``else`` is not): those imports never run. Module-level
    ``try:`` and ``if`` blocks, and class bodies, run at import time, so count as the top.
    """

    def __init__(self) -> None:
        self.found: list[tuple[ast.Import | ast.ImportFrom, bool]] = []
        self._depth = 0

    def _function(self, node: ast.AST) -> None:
        self._depth += 1
        self.generic_visit(node)
        self._depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_If(self, node: ast.If) -> None:
        if not _is_type_checking(node.test):
            self.generic_visit(node)
            return
        for statement in node.orelse:
            self.visit(statement)

    def _import(self, node: ast.Import | ast.ImportFrom) -> None:
        self.found.append((node, self._depth > 0))

    visit_Import = visit_ImportFrom = _import


def _targets(node: ast.Import | ast.ImportFrom, importer: str, is_package: bool,
             modules: dict[str, Path]) -> list[str]:
    """The werk modules one import statement names (see :func:`collect_imports`), in order, once each."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
        return list(dict.fromkeys(n for n in names if n == PACKAGE or n.startswith(PACKAGE + ".")))
    if node.level:  # relative: the importer's own package for one dot, one package up for each further dot
        package = importer.split(".") if is_package else importer.split(".")[:-1]
        keep = len(package) - (node.level - 1)
        if keep < 1:
            return []  # above the top of the package: an ImportError when run, and not a werk module
        base = ".".join(package[:keep] + ([node.module] if node.module else []))
    elif node.module == PACKAGE or (node.module or "").startswith(PACKAGE + "."):
        base = node.module
    else:
        return []
    # "from base import name" imports the module base.name if there is one; otherwise name is an attribute
    # of base (a function, a class, a name re-exported by a package __init__), and base is what is imported.
    targets = [base if alias.name == "*" or f"{base}.{alias.name}" not in modules else f"{base}.{alias.name}"
               for alias in node.names]
    return list(dict.fromkeys(targets))


def _explained(lines: list[str], node: ast.stmt) -> bool:
    """Whether a ``# lazy: <reason>`` comment is on the statement's own lines or is the line just above."""
    own = lines[node.lineno - 1:node.end_lineno]
    above = lines[node.lineno - 2].strip() if node.lineno > 1 else ""
    # A trailing comment on the line above belongs to the statement there, so only a comment line counts.
    return any(LAZY_REASON.search(line) for line in own) or (above.startswith("#")
                                                            and bool(LAZY_REASON.search(above)))


def collect_imports(root: Path) -> list[Import]:
    """Every import of a werk module in the package in `root`.

    An import names the module it imports, not the parent packages that Python also runs on the way
    (``import werk.stats.models`` runs ``werk/stats/__init__.py`` first, but names ``werk.stats.models``):

    - ``import werk.x.y``: ``werk.x.y``;
    - ``from werk.x import y``: ``werk.x.y`` if that is a module of the tree, else ``werk.x``
      (``from werk import x`` is the same rule: ``werk.x`` or ``werk``);
    - relative imports are resolved against the importer's package first, then as above;
    - imports under ``if TYPE_CHECKING:`` are left out.

    Parameters
    ----------
    root : Path
        The package folder.

    Returns
    -------
    list[Import]
        In the order of modules and lines; one entry per module named per statement.
    """
    modules = find_modules(root)
    found = []
    for importer, path in modules.items():
        source = path.read_text(encoding="utf-8")
        statements = _Statements()
        statements.visit(ast.parse(source, filename=str(path)))
        lines = source.splitlines()
        for node, in_function in statements.found:
            for target in _targets(node, importer, path.name == "__init__.py", modules):
                found.append(Import(importer, target, node.lineno, in_function, _explained(lines, node)))
    return found


def unmapped_modules(root: Path) -> list[str]:
    """Modules of the tree, and werk modules imported but not in it, that no layer holds.

    Parameters
    ----------
    root : Path
        The package folder.

    Returns
    -------
    list[str]
        The dotted names of the tree's modules; an imported name that is not in the tree (an import left
        pointing at the old place) as ``name (imported by importer:line, no such module)``.
    """
    modules = find_modules(root)
    unmapped = [m for m in modules if layer_of(m) is None]
    unmapped += [f"{i.target} (imported by {i.importer}:{i.line}, no such module)"
                 for i in collect_imports(root) if i.target not in modules and layer_of(i.target) is None]
    return unmapped


def missing_layers(root: Path) -> list[int]:
    """The layers that no module of the tree is in.

    Parameters
    ----------
    root : Path
        The package folder.

    Returns
    -------
    list[int]
        In order; empty when every layer 0-7 has a module.
    """
    present = {layer_of(m) for m in find_modules(root)}
    return [layer for layer in ALL_LAYERS if layer not in present]


def upward_imports(root: Path) -> list[str]:
    """Every import of a module in a higher layer than the importer's.

    Imports in function bodies count too: a lazy import is a dependency all the same. A module without a
    layer is left to :func:`unmapped_modules`.

    Parameters
    ----------
    root : Path
        The package folder.

    Returns
    -------
    list[str]
        ``importer -> imported (layer a -> layer b) [lines ...]``, one per pair of modules.
    """
    lines: dict[tuple[str, str], list[int]] = {}
    for i in collect_imports(root):
        low, high = layer_of(i.importer), layer_of(i.target)
        if low is not None and high is not None and high > low:
            lines.setdefault((i.importer, i.target), []).append(i.line)
    return [f"{importer} -> {target} (layer {layer_of(importer)} -> layer {layer_of(target)}) "
            f"[lines {', '.join(map(str, numbers))}]" for (importer, target), numbers in lines.items()]


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components of a directed graph, each sorted, in a stable order.

    Recursive: the depth is at most the number of modules, far below Python's recursion limit.
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:  # v is the root of a component: everything above it on the stack
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            components.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(components)


def import_cycles(root: Path) -> list[list[str]]:
    """The groups of modules that import one another in a circle, directly or through others.

    Every import counts, in function bodies too, and an import of a package's ``__init__`` by a module of
    that package as well; only a module importing itself (``from . import name`` in an ``__init__``) does not.

    Parameters
    ----------
    root : Path
        The package folder.

    Returns
    -------
    list[list[str]]
        The strongly connected components of more than one module, each sorted by name.
    """
    modules = find_modules(root)
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for i in collect_imports(root):
        if i.target in modules and i.target != i.importer:
            graph[i.importer].add(i.target)
    return [component for component in _strongly_connected(graph) if len(component) > 1]


def describe_cycle(root: Path, component: list[str]) -> str:
    """One cycle for a failure message: its modules and the imports between them, with lines.

    Parameters
    ----------
    root : Path
        The package folder.
    component : list[str]
        Modules of one strongly connected component, as :func:`import_cycles` gives them.

    Returns
    -------
    str
    """
    members = set(component)
    edges = [f"  {i.importer}:{i.line} -> {i.target}" for i in collect_imports(root)
             if i.importer in members and i.target in members and i.importer != i.target]
    return "\n".join([" <-> ".join(component), *edges])


def unexplained_function_imports(root: Path) -> list[str]:
    """Imports of werk modules in function bodies without a ``# lazy: <reason>`` comment.

    Parameters
    ----------
    root : Path
        The package folder.

    Returns
    -------
    list[str]
        ``module:line``, once per statement.
    """
    return list(dict.fromkeys(f"{i.importer}:{i.line}" for i in collect_imports(root)
                              if i.in_function and not i.explained))


# ---------------------------------------------------------------------------------------- the real tree
def test_every_module_has_a_layer():
    unmapped = unmapped_modules(ROOT)
    assert not unmapped, "modules in no layer:\n" + "\n".join(unmapped)


def test_every_layer_has_modules():
    # Without this the tests below would pass on an empty tree, or on one under the wrong names.
    missing = missing_layers(ROOT)
    assert not missing, f"no module in layer(s) {missing} under {ROOT}"


def test_imports_run_one_way():
    upward = upward_imports(ROOT)
    assert not upward, "imports of a higher layer:\n" + "\n".join(upward)


def test_no_import_cycles():
    cycles = import_cycles(ROOT)
    assert not cycles, "import cycles:\n" + "\n".join(describe_cycle(ROOT, c) for c in cycles)


def test_imports_at_module_top():
    unexplained = unexplained_function_imports(ROOT)
    assert not unexplained, ("werk imports in a function body without a '# lazy: <reason>' comment:\n"
                             + "\n".join(unexplained))


# --------------------------------------------------------------------------------- the checker can fail
FAKE_TREE = {
    "__init__.py": "",
    "core/__init__.py": "",
    "core/errors.py": "class WerkError(Exception):\n    pass\n",
    "core/paths.py": "from werk.display import fmt\n",  # foundation importing display
    "display/__init__.py": "",
    "display/fmt.py": "from ..core.errors import WerkError\n",
    "stats/__init__.py": "",
    "stats/a.py": "from . import b\n",
    "stats/b.py": (
        "from typing import TYPE_CHECKING\n"
        "\n"
        "if TYPE_CHECKING:\n"
        "    from werk.cli import main  # never runs: neither upward nor a cycle\n"
        "else:\n"
        "    import werk.core.errors\n"
        "try:\n"
        "    from ..core import paths  # module level, though in try\n"
        "except ImportError:\n"
        "    paths = None\n"
        "\n"
        "\n"
        "def fit():\n"
        "    from .a import helper\n"  # line 14: in a function, no reason; closes the cycle a -> b -> a
        "    return helper\n"
        "\n"
        "\n"
        "def explained():\n"
        "    from werk.core import errors  # lazy: only when a fit fails\n"
        "    # lazy: the codebook is read on first use\n"
        "    from werk.core.errors import WerkError\n"
        "    x = 1  # lazy: a trailing comment above explains the line it is on, not the next\n"
        "    from werk.core import paths\n"  # line 23
        "    return errors, WerkError, paths\n"
    ),
    "cli/__init__.py": "from werk import core, __version__\nfrom werk.ledger import claims\n",
    "stray.py": "",
}


@pytest.fixture
def fake(tmp_path):
    root = tmp_path / PACKAGE
    for name, text in FAKE_TREE.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    (root / ".ipynb_checkpoints").mkdir()
    (root / ".ipynb_checkpoints" / "a-checkpoint.py").write_text("import werk.cli\n", encoding="utf-8")
    return root


def test_checker_finds_modules(fake):
    assert sorted(find_modules(fake)) == [
        "werk", "werk.cli", "werk.core", "werk.core.errors", "werk.core.paths", "werk.display",
        "werk.display.fmt", "werk.stats", "werk.stats.a", "werk.stats.b", "werk.stray",
    ]


def test_checker_resolves_imports(fake):
    assert {(i.importer, i.target, i.line, i.in_function) for i in collect_imports(fake)} == {
        ("werk.core.paths", "werk.display.fmt", 1, False),
        ("werk.display.fmt", "werk.core.errors", 1, False),
        ("werk.stats.a", "werk.stats.b", 1, False),
        ("werk.stats.b", "werk.core.errors", 6, False),
        ("werk.stats.b", "werk.core.paths", 8, False),
        ("werk.stats.b", "werk.stats.a", 14, True),
        ("werk.stats.b", "werk.core.errors", 19, True),
        ("werk.stats.b", "werk.core.errors", 21, True),
        ("werk.stats.b", "werk.core.paths", 23, True),
        ("werk.cli", "werk.core", 1, False),
        ("werk.cli", "werk", 1, False),
        ("werk.cli", "werk.ledger", 2, False),
    }


def test_checker_layers():
    assert [layer_of(m) for m in ("werk", "werk.core", "werk.core.paths", "werk.inputs.claims",
                                  "werk.stats.models", "werk.disclosure.rules", "werk.display.fmt",
                                  "werk.book", "werk.build.pipeline", "werk.cli", "werk.cli.bless")] == [
        0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 7]
    assert layer_of("werk.ledger") is None
    assert layer_of("werk.corex") is None  # a prefix ends at a dot


def test_checker_reports_unmapped_modules(fake):
    assert unmapped_modules(fake) == ["werk.stray", "werk.ledger (imported by werk.cli:2, no such module)"]


def test_checker_reports_missing_layers(fake):
    assert missing_layers(fake) == [1, 3, 5, 6]
    assert missing_layers(fake.parent / "nothing") == list(ALL_LAYERS)


def test_checker_reports_upward_imports(fake):
    assert upward_imports(fake) == ["werk.core.paths -> werk.display.fmt (layer 0 -> layer 4) [lines 1]"]


def test_checker_reports_cycles(fake):
    assert import_cycles(fake) == [["werk.stats.a", "werk.stats.b"]]
    assert describe_cycle(fake, ["werk.stats.a", "werk.stats.b"]) == (
        "werk.stats.a <-> werk.stats.b\n  werk.stats.a:1 -> werk.stats.b\n  werk.stats.b:14 -> werk.stats.a")


def test_checker_reports_a_cycle_through_a_package_init(fake):
    (fake / "stats" / "__init__.py").write_text("from .a import fit\n", encoding="utf-8")
    (fake / "stats" / "c.py").write_text("from werk.stats import fit\n", encoding="utf-8")
    (fake / "stats" / "a.py").write_text("from werk.stats import c\n", encoding="utf-8")
    assert import_cycles(fake) == [["werk.stats", "werk.stats.a", "werk.stats.c"]]


def test_checker_reports_unexplained_function_imports(fake):
    assert unexplained_function_imports(fake) == ["werk.stats.b:14", "werk.stats.b:23"]
