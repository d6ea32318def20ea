"""The execution cache (werk.build.cache): what invalidates a cached run, what a prose edit reuses, the book
stamp.

Unit tests use the real notebooks of notebooks/, copied to a temporary folder. A cached run is made
the way papermill makes one (its own ``parameterize_notebook`` injects the parameters cell) with a
marker output in every code cell, so no kernel is started. One slow test builds a project copy.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import nbformat
import pytest

from werk.build import cache
from werk.core import imports, paths

NOTEBOOK = "02_threat.ipynb"  # has parameters, markdown, and figure captions in code-cell metadata


# ----------------------------------------------------------------------------------------------- helpers
def params(data_path, **kw) -> dict:
    return {"data_path": str(data_path), "mapping_path": None, "edition": "all", "weighted": False,
            "lang": "en", **kw}


def fake_run(src: Path, tmp: Path, parameters: dict) -> None:
    """What papermill writes, without a kernel: the injected cell, run metadata, an output per code cell."""
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    nb = parameterize_notebook(load_notebook_node(str(src)), parameters, kernel_name="python3")
    nb.metadata["papermill"] = {"parameters": parameters, "duration": 1.0}
    nb.metadata["language_info"] = {"name": "python", "version": "3.11.7"}
    for i, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        cell.execution_count = i + 1
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"output of code cell {i}\n")]
        cell.metadata["execution"] = {"iopub.status.idle": "2026-01-01T00:00:00"}
    for cell in nb.cells:
        cell.metadata["papermill"] = {"duration": 0.1, "status": "completed"}
    nbformat.write(nb, tmp)


@pytest.fixture(autouse=True)
def snapshot(tmp_path_factory, monkeypatch, request):
    """The key reads the live werk sources, published.yml and requirements.txt, which other work may
    edit while the tests run: every test keys on a private copy of them instead."""
    snap = tmp_path_factory.mktemp("snapshot")
    shutil.copytree(paths.PACKAGE, snap / "werk", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(paths.PUBLISHED, snap / "published.yml")
    shutil.copy(paths.ROOT / "requirements.txt", snap / "requirements.txt")
    monkeypatch.setattr(paths, "PACKAGE", snap / "werk")
    monkeypatch.setattr(paths, "PUBLISHED", snap / "published.yml")
    if request.node.get_closest_marker("slow") is None:  # the end-to-end test copies the project from ROOT
        monkeypatch.setattr(paths, "ROOT", snap)
    return snap


@pytest.fixture
def project(tmp_path):
    """A notebook and a data file in a temporary folder, and a cached run of that notebook."""
    src = tmp_path / NOTEBOOK
    shutil.copy(paths.NOTEBOOKS / NOTEBOOK, src)
    data = tmp_path / "twin.csv"
    shutil.copy(paths.TWIN, data)
    out = tmp_path / "executed" / NOTEBOOK
    out.parent.mkdir()
    p = params(data)
    k = cache.key(src, p, [data])
    running = out.with_suffix(".running.ipynb")
    fake_run(src, running, p)
    cache.store(running, out, k)
    return {"src": src, "data": data, "out": out, "params": p, "key": k, "dir": tmp_path}


def edit(nb_path: Path, change) -> None:
    nb = nbformat.read(nb_path, as_version=4)
    change(nb)
    nbformat.write(nb, nb_path)


def first(nb, cell_type="markdown", tag=None):
    return next(c for c in nb.cells
                if c.cell_type == cell_type and (tag is None or tag in c.metadata.get("tags", [])))


def change_one_value(path: Path, column: str = "threat") -> None:
    """Change one answer of the first respondent (1 <-> 2 on a 1-5 scale): still a valid file."""
    lines = path.read_text().splitlines(keepends=True)
    header = lines[0].strip().split(",")
    row = lines[1].rstrip("\n").split(",")
    i = header.index(column)
    row[i] = "2" if row[i] != "2" else "1"
    lines[1] = ",".join(row) + "\n"
    path.write_text("".join(lines))


def outputs(nb) -> list:
    return [c.outputs for c in nb.cells if c.cell_type == "code"]


# ---------------------------------------------------------------------------------------- what the key covers
def test_key_is_deterministic(project):
    assert cache.key(project["src"], project["params"], [project["data"]]) == project["key"]


def test_data_change_invalidates(project):
    change_one_value(project["data"])
    assert cache.key(project["src"], project["params"], [project["data"]]) != project["key"]
    assert cache.reuse(project["src"], project["out"], cache.key(project["src"], project["params"],
                                                                 [project["data"]])) is None


def test_mapping_content_is_covered(project, tmp_path):
    mapping = tmp_path / "mapping.yml"
    shutil.copy(paths.DATA / "mapping.example.yml", mapping)
    p = params(project["data"], mapping_path=str(mapping))
    before = cache.key(project["src"], p, [project["data"], mapping])
    mapping.write_text(mapping.read_text() + "# a comment is a change too\n")
    assert cache.key(project["src"], p, [project["data"], mapping]) != before


def test_parameters_are_covered(project):
    for change in ({"edition": "gemeente"}, {"weighted": True}, {"lang": "nl"}):
        assert cache.key(project["src"], {**project["params"], **change}, [project["data"]]) != project["key"]


@pytest.fixture
def package_copy(tmp_path, monkeypatch):
    """A copy of the werk sources that paths.PACKAGE points at."""
    pkg = tmp_path / "werk_src"
    shutil.copytree(paths.PACKAGE, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(paths, "PACKAGE", pkg)
    return pkg


def test_werk_source_change_invalidates(project, package_copy):
    k = cache.key(project["src"], project["params"], [project["data"]])
    models = package_copy / "stats" / "models.py"
    models.write_text(models.read_text() + "\n# a changed line in werk\n")
    assert cache.key(project["src"], project["params"], [project["data"]]) != k


def test_new_werk_module_invalidates_only_when_reached_and_bytecode_never(project, package_copy):
    k = cache.key(project["src"], project["params"], [project["data"]])
    (package_copy / "stats" / "__pycache__").mkdir()
    (package_copy / "stats" / "__pycache__" / "models.cpython-311.pyc").write_bytes(b"\0bytecode")
    assert cache.key(project["src"], project["params"], [project["data"]]) == k
    (package_copy / "stats" / "newmodule.py").write_text("X = 1\n")  # nothing imports it
    assert cache.key(project["src"], project["params"], [project["data"]]) == k
    # `from werk.stats import newmodule` in a module the notebook reaches now names the new file.
    models = package_copy / "stats" / "models.py"
    models.write_text(models.read_text() + "\n\ndef _uses_new():\n    from werk.stats import newmodule\n")
    k_uses = cache.key(project["src"], project["params"], [project["data"]])
    assert k_uses != k
    (package_copy / "stats" / "newmodule.py").write_text("X = 2\n")
    assert cache.key(project["src"], project["params"], [project["data"]]) != k_uses


# ------------------------------------------------------------------ the werk part of the key: per notebook
def copied(tmp_path, name: str) -> Path:
    src = tmp_path / name
    shutil.copy(paths.NOTEBOOKS / name, src)
    return src


def reached(nb_path: Path) -> set[str]:
    nb = nbformat.read(nb_path, as_version=4)
    files = imports.reachable([c.source for c in nb.cells if c.cell_type == "code"], paths.PACKAGE,
                              cache.KERNEL_MODULES)
    assert files is not None
    return {f.relative_to(paths.PACKAGE).as_posix() for f in files}


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


@pytest.fixture
def two(tmp_path, package_copy):
    """Two notebooks, A (02: draws tables) and B (04: no tables), their keys, and a key function."""
    data = tmp_path / "twin.csv"
    shutil.copy(paths.TWIN, data)
    a, b = copied(tmp_path, "02_threat.ipynb"), copied(tmp_path, "04_conclusion.ipynb")

    def keys():
        return cache.key(a, params(data), [data]), cache.key(b, params(data), [data])

    return {"a": a, "b": b, "keys": keys, "pkg": package_copy}


def test_module_edit_changes_only_the_notebooks_that_reach_it(two):
    assert "display/tables.py" in reached(two["a"]) and "display/tables.py" not in reached(two["b"])
    a, b = two["keys"]()
    append(two["pkg"] / "display" / "tables.py", "\n# an edit only A can see\n")
    a2, b2 = two["keys"]()
    assert a2 != a
    assert b2 == b


def test_module_edit_both_reach_changes_both(two):
    a, b = two["keys"]()
    append(two["pkg"] / "stats" / "models.py", "\n# an edit both can see\n")
    a2, b2 = two["keys"]()
    assert a2 != a and b2 != b


def test_lazy_import_in_a_function_counts(two):
    # B imports werk.display.figures nowhere itself; werk.book imports it inside a function.
    assert "display/figures.py" in reached(two["b"])
    _, b = two["keys"]()
    append(two["pkg"] / "display" / "figures.py", "\n# reached through a lazy import only\n")
    assert two["keys"]()[1] != b
    # The same for a module of our own that only a function body of werk.book imports, relatively.
    (two["pkg"] / "display" / "lazyonly.py").write_text("Y = 1\n")
    append(two["pkg"] / "book.py", "\n\ndef _late():\n    from .display import lazyonly  # noqa\n")
    _, b = two["keys"]()
    (two["pkg"] / "display" / "lazyonly.py").write_text("Y = 2\n")
    assert two["keys"]()[1] != b


def test_the_kernel_reset_is_in_every_key(two):
    a, b = two["keys"]()
    append(two["pkg"] / "build" / "kernels.py", "\n# the reset changed\n")
    a2, b2 = two["keys"]()
    assert a2 != a and b2 != b


def test_an_import_that_cannot_be_followed_keys_on_all_of_werk(two):
    a, b = two["keys"]()
    append(two["pkg"] / "display" / "tables.py", "\n# before the dynamic import\n")
    assert two["keys"]()[1] == b  # B does not reach tables.py
    # A module every notebook reaches imports a module named at run time: B now keys on all of werk.
    append(two["pkg"] / "core" / "fmt.py", "\n\ndef _any(name):\n    import importlib\n"
                                          "    return importlib.import_module(name)\n")
    _, b = two["keys"]()
    append(two["pkg"] / "display" / "tables.py", "\n# after\n")
    assert two["keys"]()[1] != b


def test_a_notebook_naming_a_missing_werk_module_keys_on_all_of_werk(two):
    edit(two["b"], lambda nb: nb.cells.append(nbformat.v4.new_code_cell("import werk.no_such_module")))
    _, b = two["keys"]()
    append(two["pkg"] / "display" / "tables.py", "\n# B cannot tell it does not reach this\n")
    assert two["keys"]()[1] != b


def test_a_non_python_file_of_the_package_is_in_every_key(two):
    a, b = two["keys"]()
    (two["pkg"] / "stats" / "table.yml").write_text("x: 1\n")
    a2, b2 = two["keys"]()
    assert a2 != a and b2 != b


def test_published_numbers_and_requirements_are_covered(project, tmp_path, monkeypatch):
    k = project["key"]
    published = tmp_path / "published.yml"
    published.write_text(paths.PUBLISHED.read_text() + "\n# edited\n")
    monkeypatch.setattr(paths, "PUBLISHED", published)
    k_pub = cache.key(project["src"], project["params"], [project["data"]])
    assert k_pub != k
    root = tmp_path / "root"
    root.mkdir()
    pins = (paths.ROOT / "requirements.txt").read_text()
    (root / "requirements.txt").write_text(pins.replace("==", "==0", 1))
    monkeypatch.setattr(paths, "ROOT", root)
    assert cache.key(project["src"], project["params"], [project["data"]]) not in (k, k_pub)


def test_code_edit_invalidates(project):
    edit(project["src"], lambda nb: setattr(first(nb, "code", "parameters"), "source",
                                            first(nb, "code", "parameters").source + "\nextra = 1"))
    k = cache.key(project["src"], project["params"], [project["data"]])
    assert k != project["key"]
    assert cache.reuse(project["src"], project["out"], k) is None


def test_added_code_cell_invalidates(project):
    edit(project["src"], lambda nb: nb.cells.append(nbformat.v4.new_code_cell("print('new')")))
    assert cache.key(project["src"], project["params"], [project["data"]]) != project["key"]


def test_execution_tags_invalidate_display_tags_do_not(project):
    def tag(name):
        def change(nb):
            cell = first(nb, "code", "remove-input")
            cell.metadata["tags"] = cell.metadata["tags"] + [name]
        return change

    edit(project["src"], tag("hide-output"))
    assert cache.key(project["src"], project["params"], [project["data"]]) == project["key"]
    edit(project["src"], tag("raises-exception"))
    assert cache.key(project["src"], project["params"], [project["data"]]) != project["key"]


# --------------------------------------------------------------------------------------- reuse: prose edits
def test_unchanged_is_reused_untouched(project):
    before = project["out"].read_bytes()
    assert cache.reuse(project["src"], project["out"], project["key"]) == "unchanged"
    assert project["out"].read_bytes() == before


def test_prose_edit_keeps_outputs_and_takes_the_new_markdown(project):
    cached = nbformat.read(project["out"], as_version=4)
    edit(project["src"], lambda nb: setattr(first(nb), "source", first(nb).source + "\n\nA new sentence."))
    k = cache.key(project["src"], project["params"], [project["data"]])
    assert k == project["key"]  # prose is not in the key
    assert cache.reuse(project["src"], project["out"], k) == "prose"
    got = nbformat.read(project["out"], as_version=4)
    assert first(got).source.endswith("A new sentence.")
    assert outputs(got) == outputs(cached)
    assert got.metadata["papermill"] == cached.metadata["papermill"]
    # and once rendered, the next build finds it unchanged
    assert cache.reuse(project["src"], project["out"], k) == "unchanged"


def rendered_matches_source(out: Path, src: Path) -> None:
    """Every source cell in order, with the injected cell right after the parameters cell."""
    got = nbformat.read(out, as_version=4)
    source = nbformat.read(src, as_version=4)
    kinds = [(c.cell_type, c.source) for c in got.cells
             if "injected-parameters" not in c.metadata.get("tags", [])]
    assert kinds == [(c.cell_type, c.source) for c in source.cells]
    tags = [c.metadata.get("tags", []) for c in got.cells]
    i = next(i for i, t in enumerate(tags) if "parameters" in t)
    assert "injected-parameters" in tags[i + 1]
    assert all(c.outputs for c in got.cells if c.cell_type == "code")


def test_inserted_and_removed_markdown_cells(project):
    inserted = nbformat.v4.new_markdown_cell("An inserted paragraph.")
    edit(project["src"], lambda nb: nb.cells.insert(3, inserted))
    assert cache.reuse(project["src"], project["out"], project["key"]) == "prose"
    rendered_matches_source(project["out"], project["src"])

    def remove_last_markdown(nb):
        i = max(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown")
        del nb.cells[i]

    edit(project["src"], remove_last_markdown)
    assert cache.reuse(project["src"], project["out"], project["key"]) == "prose"
    rendered_matches_source(project["out"], project["src"])


def test_all_markdown_removed_is_prose(project):
    edit(project["src"], lambda nb: setattr(nb, "cells", [c for c in nb.cells if c.cell_type == "code"]))
    assert cache.reuse(project["src"], project["out"], project["key"]) == "prose"
    assert not [c for c in nbformat.read(project["out"], as_version=4).cells if c.cell_type == "markdown"]


def test_caption_edit_in_code_cell_metadata_is_prose(project):
    def recaption(nb):
        cell = next(c for c in nb.cells if "mystnb" in c.metadata)
        cell.metadata["mystnb"]["figure"]["caption"] = "A new caption."

    edit(project["src"], recaption)
    assert cache.key(project["src"], project["params"], [project["data"]]) == project["key"]
    assert cache.reuse(project["src"], project["out"], project["key"]) == "prose"
    got = nbformat.read(project["out"], as_version=4)
    cell = next(c for c in got.cells if "mystnb" in c.metadata)
    assert cell.metadata["mystnb"]["figure"]["caption"] == "A new caption."
    assert cell.outputs and cell.metadata["papermill"]["status"] == "completed"


def test_no_parameters_cell_keeps_the_injected_cell_first(tmp_path):
    src = tmp_path / "plain.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# Title"), nbformat.v4.new_code_cell("x = 1")]
    nbformat.write(nb, src)
    out = tmp_path / "out" / "plain.ipynb"
    out.parent.mkdir()
    fake_run(src, out.with_suffix(".running.ipynb"), {"a": 1})
    cache.store(out.with_suffix(".running.ipynb"), out, "k")
    assert cache.reuse(src, out, "k") == "unchanged"
    edit(src, lambda nb: setattr(nb.cells[0], "source", "# Another title"))
    assert cache.reuse(src, out, "k") == "prose"
    got = nbformat.read(out, as_version=4)
    assert "injected-parameters" in got.cells[0].metadata["tags"]
    assert got.cells[1].source == "# Another title"


def test_notebook_metadata_edit_is_prose(project):
    substitutions = {"myst": {"substitutions": {"who": "civil servants"}}}
    edit(project["src"], lambda nb: nb.metadata.update(substitutions))
    assert cache.reuse(project["src"], project["out"], project["key"]) == "prose"
    got = nbformat.read(project["out"], as_version=4)
    assert got.metadata["myst"] == {"substitutions": {"who": "civil servants"}}
    assert "papermill" in got.metadata


# ----------------------------------------------------------------------------------------------- misses
def test_missing_notebook_with_key_left_is_a_miss(project):
    project["out"].unlink()
    assert project["out"].with_suffix(".key").exists()
    assert cache.reuse(project["src"], project["out"], project["key"]) is None


def test_missing_key_file_is_a_miss(project):
    project["out"].with_suffix(".key").unlink()
    assert cache.reuse(project["src"], project["out"], project["key"]) is None


def test_corrupt_cached_notebook_is_caught_by_its_digest(project):
    project["out"].write_text("{ not json")
    assert cache.reuse(project["src"], project["out"], project["key"]) == "corrupt"


def test_truncated_cached_notebook_is_caught_by_its_digest(project):
    raw = project["out"].read_bytes()
    project["out"].write_bytes(raw[: len(raw) // 2])
    assert cache.reuse(project["src"], project["out"], project["key"]) == "corrupt"


def test_cached_output_changed_but_still_valid_is_not_served(project):
    # Valid JSON, same code cells, one printed number changed: only the stored digest can tell.
    def change_a_number(nb):
        for cell in nb.cells:
            for out in cell.get("outputs", []):
                text = out.get("text") or out.get("data", {}).get("text/plain")
                if text and any(ch.isdigit() for ch in text):
                    digit = next(ch for ch in text if ch.isdigit())
                    swapped = text.replace(digit, "9" if digit != "9" else "8", 1)
                    if "text" in out:
                        out["text"] = swapped
                    else:
                        out["data"]["text/plain"] = swapped
                    return
        raise AssertionError("the cached run printed no number")

    edit(project["out"], change_a_number)
    assert cache.reuse(project["src"], project["out"], project["key"]) == "corrupt"


def test_cached_notebook_out_of_line_with_the_source_is_not_served(project):
    # The key matches but the cached run holds other code (a hand-edited or foreign file): run again.
    edit(project["out"], lambda nb: nb.cells.append(nbformat.v4.new_code_cell("print('stray')")))
    assert cache.reuse(project["src"], project["out"], project["key"]) == "corrupt"


def test_a_prose_rewrite_records_the_new_digest(project):
    nb = nbformat.read(project["src"], as_version=4)
    nb.cells.insert(0, nbformat.v4.new_markdown_cell("A new paragraph."))
    nbformat.write(nb, project["src"])
    assert cache.reuse(project["src"], project["out"], project["key"]) == "prose"
    assert cache.entry_state(project["out"], project["key"]) == "hit"
    assert cache.reuse(project["src"], project["out"], project["key"]) == "unchanged"


def test_interrupted_store_leaves_a_miss_not_a_stale_pair(project, monkeypatch):
    """A new run replacing an old one: if the move fails, the old key must be gone already."""
    running = project["out"].with_suffix(".running.ipynb")
    fake_run(project["src"], running, project["params"])

    def boom(*args):
        raise OSError("disk full")

    monkeypatch.setattr(cache.os, "replace", boom)
    with pytest.raises(OSError):
        cache.store(running, project["out"], "newkey")
    monkeypatch.undo()
    assert cache.reuse(project["src"], project["out"], project["key"]) is None


def test_concurrent_reuse_of_two_folders(project):
    """Two editions render their own folders at the same time; each ends up right."""
    other = project["dir"] / "executed-other" / NOTEBOOK
    other.parent.mkdir()
    shutil.copy(project["out"], other)
    shutil.copy(project["out"].with_suffix(".key"), other.with_suffix(".key"))
    edit(project["src"], lambda nb: setattr(first(nb), "source", "# Retitled"))
    results = {}

    def run(out):
        results[out] = cache.reuse(project["src"], out, project["key"])

    threads = [threading.Thread(target=run, args=(o,)) for o in (project["out"], other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(results.values()) == {"prose"}
    for out in (project["out"], other):
        assert first(nbformat.read(out, as_version=4)).source == "# Retitled"
        assert not list(out.parent.glob(".*.tmp"))


# --------------------------------------------------------------------------------------------- --force
def test_force_runs_a_cached_notebook(project):
    """build._execute_one consults the cache unless forced (the kernel replaced by the fake run)."""
    from werk.build import pipeline as build

    calls = []

    class FakeKernel:
        def execute(self, src, out, parameters, cwd):
            calls.append(src)
            fake_run(Path(src), Path(out), parameters)

    job = {"src": str(project["src"]), "out": str(project["out"]), "name": NOTEBOOK, "slug": "all",
           "parameters": project["params"], "key": project["key"], "force": False, "reads_records": False,
           "records": str(project["dir"] / "records")}
    assert build._execute_one(job, FakeKernel())["cached"] is True
    assert calls == []
    assert build._execute_one({**job, "force": True}, FakeKernel())["cached"] is False
    assert len(calls) == 1
    assert cache.reuse(project["src"], project["out"], project["key"]) == "unchanged"


# ---------------------------------------------------------------------------- files computed from the frame
def test_frame_key_follows_the_data_and_the_parameters(canonical_frame):
    k = cache.frame_key(canonical_frame, edition="all")
    assert cache.frame_key(canonical_frame.copy(), edition="all") == k
    assert cache.frame_key(canonical_frame, edition="gemeente") != k
    changed = canonical_frame.copy()
    changed.loc[0, "threat"] = 5.0 if changed.loc[0, "threat"] != 5.0 else 4.0
    assert cache.frame_key(changed, edition="all") != k
    assert cache.frame_key(canonical_frame.iloc[:-1], edition="all") != k
    assert cache.frame_key(canonical_frame.astype({"age": "float32"}), edition="all") != k


def test_frame_key_follows_the_werk_source(canonical_frame, package_copy):
    k = cache.frame_key(canonical_frame)
    rules = package_copy / "disclosure" / "rules.py"
    rules.write_text(rules.read_text() + "\n# a different output check\n")
    assert cache.frame_key(canonical_frame) != k


def test_produce_writes_once_per_key(tmp_path):
    out = tmp_path / "reports" / "output-check.json"
    calls = []

    def write(p):
        calls.append(p)
        Path(p).write_text(f"report {len(calls)}")

    assert cache.produce(out, "k1", write) is True
    assert cache.produce(out, "k1", write) is False
    assert out.read_text() == "report 1"
    assert cache.produce(out, "k2", write) is True
    assert cache.produce(out, "k2", write, force=True) is True
    assert out.read_text() == "report 3"
    out.unlink()  # the file gone, its key left: made again
    assert cache.produce(out, "k2", write) is True
    assert len(calls) == 4
    assert sorted(p.name for p in out.parent.iterdir()) == ["output-check.json", "output-check.key"]


def test_produce_failure_leaves_no_file_under_the_new_key(tmp_path):
    out = tmp_path / "output-check.json"
    cache.produce(out, "k1", lambda p: Path(p).write_text("old"))

    def fail(p):
        Path(p).write_text("half")
        raise RuntimeError("the check crashed")

    with pytest.raises(RuntimeError):
        cache.produce(out, "k2", fail)
    assert out.read_text() == "old"
    assert cache.produce(out, "k2", lambda p: Path(p).write_text("new")) is True
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


# ----------------------------------------------------------------------------------------- the book stamp
@pytest.fixture
def staged(tmp_path):
    st = tmp_path / "stage"
    (st / "notebooks").mkdir(parents=True)
    (st / "_config.yml").write_text("title: t\n")
    (st / "notebooks" / "a.ipynb").write_text("{}")
    html = tmp_path / "html"
    html.mkdir()
    (html / "index.html").write_text("<html></html>")
    return st, html


def test_book_stamp_round_trip(staged):
    st, html = staged
    digest = cache.stage_digest(st)
    assert not cache.book_is_current(html, digest)
    cache.mark_book(html, digest)
    assert cache.book_is_current(html, digest)
    assert cache.stage_digest(st) == digest  # deterministic


def test_any_staged_change_makes_the_book_outdated(staged):
    st, html = staged
    digest = cache.stage_digest(st)
    cache.mark_book(html, digest)
    (st / "notebooks" / "a.ipynb").write_text('{"changed": 1}')
    assert not cache.book_is_current(html, cache.stage_digest(st))
    (st / "notebooks" / "a.ipynb").write_text("{}")
    (st / "notebooks" / "b.ipynb").write_text("{}")  # a new file
    assert not cache.book_is_current(html, cache.stage_digest(st))
    (st / "notebooks" / "b.ipynb").unlink()
    (st / "notebooks" / "a.ipynb").rename(st / "notebooks" / "c.ipynb")  # same bytes, other name
    assert not cache.book_is_current(html, cache.stage_digest(st))


def test_builder_is_part_of_the_digest(staged):
    st, _ = staged
    assert cache.stage_digest(st, "html") != cache.stage_digest(st, "pdflatex")


def test_a_werk_change_makes_the_book_outdated(staged, package_copy):
    """build/pipeline.py stages and compiles the book: a change there must recompile it, even from the same
    stage."""
    st, html = staged
    cache.mark_book(html, cache.stage_digest(st))
    b = package_copy / "build" / "pipeline.py"
    b.write_text(b.read_text() + "\n# compiled differently now\n")
    assert not cache.book_is_current(html, cache.stage_digest(st))


def test_a_book_without_index_or_missing_is_not_current(staged, tmp_path):
    st, html = staged
    digest = cache.stage_digest(st)
    cache.mark_book(html, digest)
    (html / "index.html").unlink()
    assert not cache.book_is_current(html, digest)
    assert not cache.book_is_current(tmp_path / "nowhere", digest)


def test_pdf_stamp_sits_beside_the_pdf(staged, tmp_path):
    st, _ = staged
    pdf = tmp_path / "book.pdf"
    pdf.write_bytes(b"%PDF")
    digest = cache.stage_digest(st, "pdflatex")
    cache.mark_book(pdf, digest)
    assert cache.book_is_current(pdf, digest)
    pdf.unlink()
    assert not cache.book_is_current(pdf, digest)


def test_the_stamp_covers_the_books_outputs(staged):
    st, html = staged
    (html / "page.html").write_text("<html><body>" + "x" * 1000 + "</body></html>")
    digest = cache.stage_digest(st)
    cache.mark_book(html, digest)
    assert cache.book_state(html, digest) == "current"
    page = html / "page.html"
    page.write_bytes(page.read_bytes()[:100])  # cut short after the build
    assert cache.book_state(html, digest) == "corrupt"
    assert not cache.book_is_current(html, digest)
    cache.mark_book(html, digest)
    (html / "stray.html").write_text("added by hand")
    assert cache.book_state(html, digest) == "corrupt"
    (html / "stray.html").unlink()
    assert cache.book_state(html, digest) == "current"
    (html / "page.html").unlink()
    assert cache.book_state(html, digest) == "corrupt"


def test_an_old_stamp_without_outputs_is_not_trusted(staged):
    st, html = staged
    digest = cache.stage_digest(st)
    (html / cache.BOOK_STAMP).write_text(digest + "\n")  # the sources only, as werk-cache-2 wrote
    assert cache.book_state(html, digest) == "corrupt"


def test_a_changed_pdf_is_not_current(staged, tmp_path):
    st, _ = staged
    pdf = tmp_path / "book.pdf"
    pdf.write_bytes(b"%PDF-1.5 whole")
    digest = cache.stage_digest(st, "pdflatex")
    cache.mark_book(pdf, digest)
    pdf.write_bytes(b"%PDF-1.5 wh")
    assert cache.book_state(pdf, digest) == "corrupt"


# ------------------------------------------------------------------------------------- validated frames
@pytest.fixture
def counted_loads(monkeypatch):
    """werk.inputs.data.load, counting its calls."""
    from werk.inputs import data

    calls = []
    real = data.load

    def load(path, mapping=None):
        calls.append(Path(path).name)
        return real(path, mapping)

    monkeypatch.setattr(data, "load", load)
    return calls


def test_validated_frame_is_validated_once_per_content(tmp_path, counted_loads):
    import pandas as pd

    src = tmp_path / "twin.csv"
    shutil.copy(paths.TWIN, src)
    frames = tmp_path / "frames"
    first_ = cache.validated_frame(src, None, frames)
    again = cache.validated_frame(src, None, frames)
    assert counted_loads == ["twin.csv"], "the second read comes from the kept frame"
    pd.testing.assert_frame_equal(again, first_)
    assert again is not first_
    change_one_value(src)
    changed = cache.validated_frame(src, None, frames)
    assert counted_loads == ["twin.csv", "twin.csv"], "changed bytes are validated again"
    assert not changed.equals(first_)
    assert cache.validated_frame(src, None, None) is not None
    assert len(counted_loads) == 3, "no folder: no keeping"


def test_validated_frame_follows_the_werk_source(tmp_path, counted_loads, package_copy):
    src = tmp_path / "twin.csv"
    shutil.copy(paths.TWIN, src)
    cache.validated_frame(src, None, tmp_path / "frames")
    rules = package_copy / "inputs" / "data.py"
    rules.write_text(rules.read_text() + "\n# a changed rule\n")
    cache.validated_frame(src, None, tmp_path / "frames")
    assert len(counted_loads) == 2


def test_an_invalid_file_raises_and_keeps_nothing(tmp_path):
    from werk.inputs.data import DataError

    bad = tmp_path / "bad.csv"
    lines = paths.TWIN.read_text().splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    row[header.index("threat")] = "7"
    bad.write_text("\n".join([lines[0], ",".join(row)] + lines[2:]) + "\n")
    with pytest.raises(DataError, match="threat"):
        cache.validated_frame(bad, None, tmp_path / "frames")
    assert not (tmp_path / "frames").exists() or not any((tmp_path / "frames").iterdir())


def test_validated_frames_keep_only_the_newest(tmp_path):
    src = tmp_path / "twin.csv"
    shutil.copy(paths.TWIN, src)
    lines = src.read_text().splitlines(keepends=True)
    for i in range(1, cache.FRAMES_KEPT + 3):  # a different file each time: one more respondent dropped
        src.write_text("".join(lines[:-i]))
        cache.validated_frame(src, None, tmp_path / "frames")
    assert len(list((tmp_path / "frames").glob("*.pkl"))) == cache.FRAMES_KEPT


# ------------------------------------------------------------------------------------------------ end to end
@pytest.mark.slow
def test_build_twice_then_prose_then_data(tmp_path, monkeypatch):
    """Cold build; unchanged rebuild executes nothing; a prose edit executes nothing and shows up;
    a one-value data change executes every notebook again."""
    import papermill
    from conftest import copy_project

    from werk.build import pipeline as build

    root = copy_project(tmp_path / "project")
    data = tmp_path / "twin.csv"
    shutil.copy(paths.TWIN, data)
    runs = []
    real = papermill.execute_notebook

    def counting(src, *args, **kw):
        runs.append(Path(src).name)
        return real(src, *args, **kw)

    monkeypatch.setattr(papermill, "execute_notebook", counting)
    n = len(build.notebooks_in_toc(root))

    build.build(data=data, root=root)
    assert len(runs) == n
    runs.clear()
    build.build(data=data, root=root)
    assert runs == []

    edit(root / "notebooks" / NOTEBOOK,
         lambda nb: setattr(first(nb), "source", first(nb).source + "\n\nA sentence only the new book has."))
    index = build.build(data=data, root=root)
    assert runs == []
    page = (index.parent / "notebooks" / NOTEBOOK.replace(".ipynb", ".html")).read_text()
    assert "A sentence only the new book has." in page

    change_one_value(data)
    build.build(data=data, root=root)
    assert sorted(runs) == sorted(p.name for p in build.notebooks_in_toc(root))


@pytest.mark.parametrize("damage", ["truncate", "flip", "no-digest", "garbage"])
def test_a_corrupt_kept_frame_is_replaced(tmp_path, counted_loads, damage):
    import pandas as pd

    src = tmp_path / "twin.csv"
    shutil.copy(paths.TWIN, src)
    frames = tmp_path / "frames"
    good = cache.validated_frame(src, None, frames)
    (kept,) = frames.glob("*.pkl")
    raw = kept.read_bytes()
    if damage == "truncate":
        kept.write_bytes(raw[: len(raw) // 2])
    elif damage == "flip":  # still unpickles, to other values: only the digest tells
        i = len(raw) // 2
        kept.write_bytes(raw[:i] + bytes([raw[i] ^ 1]) + raw[i + 1:])
    elif damage == "no-digest":
        kept.with_suffix(".sha256").unlink()
    else:
        kept.write_bytes(b"not a pickle")
    told = []
    again = cache.validated_frame(src, None, frames, on_corrupt=told.append)
    pd.testing.assert_frame_equal(again, good)
    assert counted_loads == ["twin.csv", "twin.csv"], "the damaged frame is not used"
    assert len(told) == 1 and str(kept) in told[0]
    assert kept.read_bytes() == raw, "the kept frame is replaced, whole"
    cache.validated_frame(src, None, frames, on_corrupt=told.append)
    assert counted_loads == ["twin.csv", "twin.csv"] and len(told) == 1, "and used from then on"
