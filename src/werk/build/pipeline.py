"""``werk build``: validate the data, execute the notebooks with papermill, build the book.

The pipeline, per edition (the whole sample, or one sector):

1. load and validate the data (a bad file stops here, before anything is written);
2. execute every notebook of ``_toc.yml`` with papermill into ``_build/executed/<edition>/``
   (sources are never written), in parallel up to the number of cores, each worker in a warm
   kernel reset between notebooks (see :mod:`werk.build.kernels`), skipping a notebook whose inputs
   are unchanged (see :mod:`werk.build.cache`);
3. stage the book sources with the executed notebooks in ``_build/stage/<edition>/`` and run
   Jupyter Book on them with ``execute_notebooks: "off"``, ``-W -n --keep-going``, in
   ``_build/sphinx/<edition>/``, where Sphinx keeps its environment: after a prose edit it reads
   and writes only the changed pages (see :func:`compile_book`); an unchanged stage is not
   compiled at all;
4. swap the new HTML in only when the build succeeded, so a failure leaves the previous book;
5. with ``--pdf``, arrange a copy of the stage for LaTeX (:func:`stage_pdf`) and build the PDF
   with pdflatex into ``_build/pdf/book.pdf`` (an edition: ``_build/pdf/<slug>.pdf``), again
   swapped in only on success.

An edition is ``all`` or one of the seven sectors of the codebook, by its Dutch or English name
(:func:`edition_name`). Every folder a build writes is named by the edition's slug, so
:func:`build_all` compiles one edition while the next one's notebooks run, without their files meeting.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import yaml

from werk import __version__ as werk_version
from werk.build import cache, downloads, kernels, procs, translations
from werk.core import codebook, fmt, memo, paths
from werk.core.codebook import edition_name, edition_slug
from werk.core.digest import file_digest
from werk.core.errors import WerkError
from werk.core.files import write_atomic
from werk.disclosure import record, report
from werk.inputs import frame as analysis_frame
from werk.inputs.data import check_file

__all__ = ["build", "build_all", "notebooks_in_toc", "editions", "edition_name", "edition_slug", "html_dir",
           "pdf_path", "stage", "stage_pdf", "compile_book"]

BOOK_FILES = ["_config.yml", "_toc.yml", "intro.md", "references.md", "cite.md", "references.bib", "_static"]
#: The translation catalogues (``locales/<lang>/LC_MESSAGES/<page>.po``), staged for the translated books.
LOCALES = "locales"


class BuildError(WerkError):
    """A notebook or the book build failed; the previous book is left in place."""


def log(msg: str) -> None:
    print(f"werk build: {msg}", file=sys.stderr, flush=True)


def editions() -> list[str]:
    """Every edition's name: ``all``, then the seven sectors' Dutch names in code order."""
    return ["all"] + [nl for nl, _ in codebook.SECTORS.values()]


#: The book's languages: English first (the source), then Dutch (the catalogues in locales/nl).
LANGS = ("en", "nl")


def langs(lang: str) -> list[str]:
    """The languages ``--lang`` names: ``en``, ``nl`` or ``all`` (both)."""
    if lang == "all":
        return list(LANGS)
    if lang not in LANGS:
        raise WerkError(f"unknown language {lang!r}: use en, nl or all")
    return [lang]


def variant_slug(edition: str, lang: str = "en") -> str:
    """The folder name of one edition in one language: ``all``, ``gemeente``; ``all-nl``, ``gemeente-nl``.

    Execution, staging, Sphinx's environment and the build lock are kept per language; the page records
    are the edition's, shared (they hold the checks, which do not depend on the language).
    """
    slug = edition_slug(edition)
    return slug if lang == "en" else f"{slug}-{lang}"


def html_dir(edition: str = "all", root: Path | None = None, lang: str = "en") -> Path:
    """Where the HTML of an edition lands: ``_build/html``, the Dutch book beside it in ``_build/html-nl``."""
    build = (root or paths.ROOT) / "_build"
    slug = edition_slug(edition)
    name = "html" if lang == "en" else f"html-{lang}"
    return build / name if slug == "all" else build / "editions" / slug / name


def toc_pages(root: Path | None = None, strict: bool = True) -> list[Path]:
    """Every page of ``_toc.yml`` in book order (root first), as its source file relative to ``root``.

    A TOC entry without an ``.ipynb`` or ``.md`` source raises :class:`BuildError` naming it
    (with ``strict=False`` it is left out).
    """
    root = root or paths.ROOT
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    names = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                names.append(node["file"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(toc.get("parts", toc.get("chapters", [])))
    pages = []
    for name in names:
        hits = [Path(name + s) for s in (".ipynb", ".md") if (root / (name + s)).exists()]
        if not hits and not strict:
            continue
        if not hits:
            raise BuildError(f"_toc.yml names {name}, which has no .ipynb or .md source")
        pages.append(hits[0])
    return pages


def notebooks_in_toc(root: Path | None = None) -> list[Path]:
    """The notebooks of ``_toc.yml``, in book order, relative to the project root."""
    return [p for p in toc_pages(root) if p.suffix == ".ipynb"]


def reads_records(nb_path: Path) -> bool:
    """True for a notebook that summarizes what other pages recorded (metadata ``werk.reads_records``).

    Such a page (the ledger, the output-check appendix) runs after every other page of its edition,
    and their records are part of its cache key, so it is never stale.
    """
    nb = json.loads(Path(nb_path).read_text(encoding="utf-8"))
    return bool(nb.get("metadata", {}).get("werk", {}).get("reads_records"))


def _execute_one(job: dict, kernel) -> dict:
    """Run one notebook with papermill in a worker's warm kernel; return timing or the error.

    Either way (run, or taken from the cache), the page's records file is brought up to date.
    """
    src, out = Path(job["src"]), Path(job["out"])
    key = job["key"]
    if job["reads_records"]:
        # The records of the pages it summarizes ran (or were taken from the cache) before it.
        key = cache.key(src, job["parameters"], job["data_files"],
                        extra=record.records_digest(job["records"], job["reads"]))
    reused = None if job["force"] else cache.reuse(src, out, key)
    if reused == "corrupt":
        log(f"[{job['slug']}] {job['name']}: the cached run was changed or cut short since it was stored: "
            "executing it again")
        reused = None
    if reused:
        record.write_page_record(out, job["records"])
        return {"nb": job["name"], "slug": job["slug"], "seconds": 0.0, "cached": True,
                "prose": reused == "prose"}
    from papermill.exceptions import PapermillExecutionError  # lazy: papermill loads slowly, only to run

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".running.ipynb")
    glued_before = _glue_digest(out)
    t0 = time.perf_counter()
    try:
        kernel.execute(src, tmp, job["parameters"], cwd=src.parent)
    except PapermillExecutionError as exc:
        tmp.unlink(missing_ok=True)
        return {
            "nb": job["name"], "slug": job["slug"],
            "error": f"{job['name']}, cell {exc.exec_count or exc.cell_index}: {exc.ename}: {exc.evalue}",
        }
    except Exception as exc:  # a kernel that died, a notebook that is not JSON: name the notebook
        tmp.unlink(missing_ok=True)
        return {"nb": job["name"], "slug": job["slug"],
                "error": f"{job['name']}: {type(exc).__name__}: {exc}"}
    seconds = time.perf_counter() - t0
    cache.store(tmp, out, key)
    record.write_page_record(out, job["records"])
    return {"nb": job["name"], "slug": job["slug"], "seconds": seconds, "cached": False,
            "summarizes": job["reads_records"], "quoted": job.get("quoted", True),
            "glue_changed": glued_before is None or _glue_digest(out) != glued_before}


def _glue_digest(nb_path: Path) -> str | None:
    """A digest of the values a notebook glues (what other pages can quote); None without a notebook."""
    try:
        nb = json.loads(Path(nb_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    glued = [[o["metadata"]["scrapbook"].get("name"), o.get("data")]
             for c in nb.get("cells", []) for o in c.get("outputs", [])
             if isinstance(o.get("metadata"), dict) and "scrapbook" in o["metadata"]]
    return hashlib.sha256(json.dumps(glued, sort_keys=True).encode()).hexdigest()


def records_root(root: Path | None = None) -> Path:
    """Where the page records of every edition are kept: ``_build/records/<edition>/<page>.json``."""
    return (root or paths.ROOT) / "_build" / "records"


def _jobs(parameters: dict, edition: str, force: bool, root: Path) -> list[dict]:
    """One job per notebook of ``_toc.yml`` for one edition, each with its cache key.

    A page that reads records waits for every page of the edition before it in book order that does
    not (``after``: their positions in the list), and for the summarizing pages before it.
    """
    lang = parameters.get("lang", "en")
    slug = variant_slug(edition, lang)
    out_root = root / "_build" / "executed" / slug
    data_files = [parameters["data_path"]]
    if parameters.get("mapping_path"):
        data_files.append(parameters["mapping_path"])
    jobs = []
    for nb in notebooks_in_toc(root):
        summarizes = reads_records(root / nb)
        jobs.append({
            "src": str(root / nb), "out": str(out_root / nb), "name": str(nb), "parameters": parameters,
            "data_files": data_files, "reads_records": summarizes,
            "records": str(records_root(root) / edition_slug(edition)),
            "key": None if summarizes else cache.key(root / nb, parameters, data_files),
            "force": force, "slug": slug,
        })
    for i, job in enumerate(jobs):
        job["after"] = ([k for k, other in enumerate(jobs)
                         if k != i and (not other["reads_records"] or k < i)]
                        if job["reads_records"] else [])
        job["reads"] = [Path(jobs[k]["src"]).stem for k in job["after"]]
    # Whether another page shows a notebook's outputs: its glue, quoted as `path/to/page.ipynb::key`.
    sources = "\n".join((root / p).read_text(encoding="utf-8") for p in toc_pages(root, strict=False))
    for job in jobs:
        job["quoted"] = f"{Path(job['name']).name}::" in sources
    return jobs


def execute_editions(
    runs: dict[str, dict], force: bool = False, jobs: int | None = None, root: Path | None = None,
    when_done=None, pool: kernels.KernelPool | None = None,
) -> tuple[dict[str, str], dict[str, int]]:
    """Execute every notebook of several editions (``runs``: edition -> parameters) on one set of kernels.

    The notebooks run edition after edition on ``jobs`` threads (default: the number of cores),
    each with a warm kernel (:mod:`werk.build.kernels`). ``when_done(edition, ran)`` is called as soon as
    the last notebook of an edition finished without error, so its book can be compiled while
    the next edition runs. Returns the errors, by edition (empty when all ran), and the number of
    notebooks each edition executed (rather than took from the cache) that make its compile start
    over (:func:`compile_book`'s ``fresh``): a notebook whose glued values no other page quotes, or
    whose quoted values came out the same (a code edit that changes only its own page), does not
    count: Sphinx reads it again as a changed page. A summarizing page runs again when a title the
    records hold changes (a prose edit), and is read again the same way.
    """
    root = root or paths.ROOT
    by_edition = {e: _jobs(p, p.get("edition", e), force, root) for e, p in runs.items()}
    vslug = {e: variant_slug(p.get("edition", e), p.get("lang", "en")) for e, p in runs.items()}
    job_list = []
    for js in by_edition.values():  # ``after`` holds positions within an edition: make them global
        for j in js:
            j["after"] = [len(job_list) + k for k in j["after"]]
        job_list.extend(js)
    total = {vslug[e]: len(js) for e, js in by_edition.items()}
    left = dict(total)
    ran = {e: 0 for e in by_edition}
    edition_of = {vslug[e]: e for e in by_edition}
    errors: dict[str, list[str]] = {}
    # Kernels inherit this process's environment. Several kernels at once, each with a multi-threaded
    # BLAS, oversubscribe the cores and make the small matrix work of the models many times slower;
    # one BLAS thread per kernel, the kernels in parallel, is faster. An analyst's own setting wins.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")

    def report(res: dict) -> None:
        slug = res["slug"]
        left[slug] -= 1
        step = f"[{slug} {total[slug] - left[slug]}/{total[slug]}]"
        if "error" in res:
            errors.setdefault(edition_of[slug], []).append(res["error"])
            log(f"{step} FAILED {res['error']}")
        elif res.get("cached"):
            how = "prose re-rendered from cached outputs" if res.get("prose") else "unchanged, cached"
            log(f"{step} {res['nb']}: {how}")
        else:
            # Sphinx may reuse its environment unless another page quotes what ran, and that changed:
            # the page that ran is read again as a changed page either way.
            if res.get("quoted", True) and res.get("glue_changed", True):
                ran[edition_of[slug]] += 1
            log(f"{step} {res['nb']}: executed in {res['seconds']:.1f} s")
        if left[slug] == 0 and edition_of[slug] not in errors and when_done:
            when_done(edition_of[slug], ran[edition_of[slug]])

    # Threads are enough: each drives its own kernel process, kept warm from one notebook to the next.
    # A module next to the notebooks (a helper an analyst adds) is reloaded for every notebook, as werk is.
    folders = sorted({str(Path(j["src"]).parent) for j in job_list})
    workers = max(1, min(jobs or os.cpu_count() or 1, len(job_list)))
    # The notebooks read the data through the frames the build validated (werk.book.load).
    # and the pages that summarize others read those pages' records (werk.book.page_records).
    # and every path a notebook finds (werk.core.paths: data/published.yml, ...) is below this root.
    env = kernel_env(root)
    kernels.run_jobs(job_list, _execute_one, workers, roots=folders, done=report, env=env, pool=pool)
    failed = {e: "a notebook failed, the previous book is left in place:\n  " + "\n  ".join(errs)
              for e, errs in errors.items()}
    return failed, ran


def kernel_env(root: Path) -> dict[str, str]:
    """What the kernels of a build of ``root`` need in their environment (see :func:`execute_editions`)."""
    # The statistics are computed once per build (werk.core.memo): kept beside the frames they are fitted on.
    return {"WERK_FRAME_CACHE": str(frames_dir(root)), "WERK_RECORDS": str(records_root(root)),
            memo.ENV: str(frames_dir(root) / "stats"), paths.ENV: str(Path(root).resolve())}


def execute(
    parameters: dict, edition: str, force: bool = False, jobs: int | None = None, root: Path | None = None,
    pool: kernels.KernelPool | None = None,
) -> Path:
    """Execute every notebook for one edition (into ``_build/executed/<slug>``); return how many ran."""
    errors, ran = execute_editions({edition: parameters}, force=force, jobs=jobs, root=root, pool=pool)
    if errors:
        raise BuildError(errors[edition])
    return ran[edition]


def _same_file(src: Path, dst: Path) -> bool:
    """True when ``dst`` is a copy (``copy2``) of ``src`` as it is now: same size and time stamp."""
    try:
        a, b = src.stat(), dst.stat()
    except FileNotFoundError:
        return False
    return a.st_mtime_ns == b.st_mtime_ns and a.st_size == b.st_size


def stage(executed: Path, edition: str, info: dict, root: Path | None = None, lang: str = "en",
          pdf: str | None = None) -> Path:
    """Bring the staging folder up to date: the book sources and the executed notebooks.

    Only what changed is copied again (a file's size and time stamp tell), and what is no longer a
    source is removed, so a prose edit stages one notebook, not the whole book (the local MathJax
    alone is hundreds of files). The staged files keep their sources' time stamps: Sphinx reads a
    page again when its source is newer than its last reading.

    The "How to cite" page reads what identifies this book from the staged ``_config.yml``
    (:func:`citation`, as MyST substitutions). ``pdf`` names the PDF the build copies into the HTML,
    for the link on every page (:mod:`werk.build.sphinx_ext`); without it the pages link none.
    """
    root = root or paths.ROOT
    slug = edition_slug(edition)
    st = root / "_build" / "stage" / variant_slug(edition, lang)
    st.mkdir(parents=True, exist_ok=True)
    keep: set[Path] = set()

    def sync(src: Path, dst: Path) -> None:
        keep.add(dst)
        if not _same_file(src, dst):
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)

    for name in BOOK_FILES + ([LOCALES] if lang != "en" else []):
        src = root / name
        if name == "_config.yml":
            continue  # written below, per edition
        if src.is_dir():
            for f in sorted(src.rglob("*")):
                if f.is_file() and ".ipynb_checkpoints" not in f.parts and f.suffix != ".mo":
                    sync(f, st / name / f.relative_to(src))
        else:
            sync(src, st / name)
    for f in sorted(executed.rglob("*")):
        if not f.is_file() or f.name.endswith((".key", ".running.ipynb")):
            continue
        dst = st / f.relative_to(executed)
        keep.add(dst)
        if f.suffix != ".ipynb":
            sync(f, dst)
            continue
        # A staged notebook has the executed one's time stamp (set below), not its bytes.
        try:
            if dst.stat().st_mtime_ns == f.stat().st_mtime_ns:
                continue
        except FileNotFoundError:
            pass
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, dst)
        when = f.stat()
        _hide_injected_parameters(dst)
        os.utime(dst, ns=(when.st_atime_ns, when.st_mtime_ns))
        for f in downloads.write(dst):  # the page's CSV files, written with the page only
            os.utime(f, ns=(when.st_atime_ns, when.st_mtime_ns))
    if lang != "en":
        # Compiled here, not by Sphinx: Sphinx compiles a .po whose time stamp is newer than its .mo, and
        # a catalogue edited within the same second as the last compile would keep a stale .mo.
        keep.update(translations.compile_catalogues(st / LOCALES))
    cfg = yaml.safe_load((root / "_config.yml").read_text())
    if lang != "en":
        translations.configure(cfg, lang, root / LOCALES, info)
    elif slug != "all":
        cfg["title"] = f"{cfg['title']}: {info['edition_label']} edition"
    cfg.setdefault("sphinx", {}).setdefault("config", {}).update(translations.CONFIG)
    if not cfg.pop("werk_footer_nl", False):
        cfg["html"]["extra_footer"] = info.get("footer_html", cfg["html"].get("extra_footer", ""))  # HTML
    # Jupyter Book copies html.extra_footer into html_theme_options, but a html_theme_options under
    # sphinx.config replaces that dict whole, and the footer went missing: set it there as well.
    theme = cfg.get("sphinx", {}).get("config", {}).get("html_theme_options")
    if isinstance(theme, dict):
        theme["extra_footer"] = cfg["html"]["extra_footer"]
    cfg.setdefault("parse", {}).setdefault("myst_substitutions", {}).update(citation(info, root, lang))
    if pdf:
        cfg.setdefault("sphinx", {}).setdefault("config", {}).setdefault("html_context", {})["werk_pdf"] = pdf
    text = yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True)
    conf = st / "_config.yml"
    keep.add(conf)
    if not conf.is_file() or conf.read_text() != text:
        conf.write_text(text)
    for f in sorted(st.rglob("*"), reverse=True):  # deepest first, so emptied folders go too
        # A page's CSV files are written with the page (downloads.write) and kept with it.
        if f.is_file() and f not in keep and f.parent.name != downloads.FOLDER:
            f.unlink()
        elif f.is_dir() and not any(f.iterdir()):
            f.rmdir()
    return st


def _git(root: Path, *args: str) -> str | None:
    try:
        proc = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


#: The words of the "How to cite" values, per language (the rest is numbers, names and digests).
_CITE_WORDS = {
    "en": {"none": "not recorded", "dirty": " (with uncommitted changes)", "nd": "n.d.",
           "respondents": "respondents", "twin": "the synthetic twin", "file": "the data file "},
    "nl": {"none": "niet vastgelegd", "dirty": " (met niet vastgelegde wijzigingen)", "nd": "z.j.",
           "respondents": "respondenten", "twin": "de synthetische tweeling", "file": "het databestand "},
}


def citation(info: dict, root: Path | None = None, lang: str = "en") -> dict[str, str]:
    """What identifies this book, for its "How to cite" page (MyST substitutions ``werk_*``).

    Deterministic for the same inputs: the werk version, the git commit (and whether the sources had
    uncommitted changes), the SHA-256 of the data file, and the date of :func:`source_date_epoch`
    (``SOURCE_DATE_EPOCH``, else the last commit's date), never the clock's. Outside a git checkout,
    as on CBS Remote Access, commit and date read "not recorded".
    """
    root = root or paths.ROOT
    words = _CITE_WORDS.get(lang, _CITE_WORDS["en"])
    commit = _git(root, "rev-parse", "--short=12", "HEAD")
    if commit:
        # Untracked files too: a new notebook changes the book as much as an edited one.
        dirty = _git(root, "status", "--porcelain", "--", *BOOK_FILES, "notebooks", "src", "data")
        commit += words["dirty"] if dirty else ""
    epoch = source_date_epoch(root)
    date = (datetime.datetime.fromtimestamp(int(epoch), datetime.UTC).date().isoformat()
            if epoch else words["none"])
    source = str(info.get("source", ""))
    if lang != "en":
        source = words["twin"] if info.get("is_twin") else source.replace(_CITE_WORDS["en"]["file"],
                                                                             words["file"], 1)
    label = info.get("edition_label_nl" if lang == "nl" else "edition_label") or info.get("edition_label", "")
    return {
        "werk_version": werk_version,
        "werk_commit": commit or words["none"],
        "werk_date": date,
        "werk_year": date[:4] if epoch else words["nd"],
        # A data file's name comes from outside: text, never markup ("t<img src=x onerror=...>.csv").
        "werk_data": re.sub(r"([\\`*_\[\]{}<>&|#!~$])", r"\\\1", source),
        "werk_data_digest": info.get("data_digest", words["none"]),
        "werk_edition": f"{label or 'all sectors'}, "
                        f"{fmt.format_count(info.get('n', 0), lang)} {words['respondents']}",
    }


def _hide_injected_parameters(nb_path: Path) -> None:
    """Papermill's injected cell is plumbing (and shows local paths): keep it out of the book."""
    import nbformat

    nb = nbformat.read(nb_path, as_version=4)
    changed = False
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            cell.metadata["tags"] = tags + ["remove-cell"]
            changed = True
    if changed:
        nbformat.write(nb, nb_path)


def source_date_epoch(root: Path | None = None) -> str | None:
    """The date a PDF carries, as seconds since 1970 (reproducible-builds.org's ``SOURCE_DATE_EPOCH``).

    ``SOURCE_DATE_EPOCH`` from the environment when it is set; else the time of the project's last
    git commit; else ``None`` (outside a git checkout, as on CBS Remote Access: the build's own
    date, and then two builds differ in their dates only).
    """
    given = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if given:
        if not given.isdigit():
            raise WerkError(f"SOURCE_DATE_EPOCH must be whole seconds since 1970, not {given!r}")
        return given
    try:
        proc = subprocess.run(["git", "-C", str(root or paths.ROOT), "log", "-1", "--format=%ct"],
                              capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    out = proc.stdout.strip()
    return out if proc.returncode == 0 and out.isdigit() else None


def _jb_args(stage_dir: Path, out: Path, builder: str) -> list[str]:
    """The arguments of ``jupyter-book build`` for one compile, for the command and the worker alike."""
    return [str(stage_dir), "--path-output", str(out), "--builder", builder, "-W", "-n", "--keep-going"]


def _date_env(epoch: str | None) -> dict[str, str]:
    """The environment that dates a compile by ``epoch`` (none without one).

    Sphinx dates the title page by ``SOURCE_DATE_EPOCH`` and pdfTeX its creation date and file id:
    same sources, same bytes. ``FORCE_SOURCE_DATE`` makes TeX's own \\today agree.
    """
    return {"SOURCE_DATE_EPOCH": epoch, "FORCE_SOURCE_DATE": "1"} if epoch else {}


def _jupyter_book(stage_dir: Path, out: Path, builder: str, epoch: str | None = None
                  ) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).parent / "jupyter-book"
    env = dict(os.environ, PYDEVD_DISABLE_FILE_VALIDATION="1", **_date_env(epoch))
    # It dies with this process and holds its build lock until it has (werk.build.procs).
    return subprocess.run([str(exe), "build", *_jb_args(stage_dir, out, builder)], capture_output=True,
                          text=True, env=env, **procs.child_kwargs())


def _jupyter_book_here(stage_dir: Path, out: Path, builder: str, epoch: str | None = None
                       ) -> subprocess.CompletedProcess:
    """:func:`_jupyter_book` in this process: the same command through Jupyter Book's own CLI function.

    Starting Python and importing Sphinx, Jupyter Book and their extensions costs about a second
    per compile. :func:`build_all` compiles eight books, so it keeps worker processes, one per core
    (:class:`CompilePool`), that import all that once and compile one book after another, each in a
    fresh Sphinx application (Jupyter Book builds inside ``docutils_namespace``, as sphinx-build
    does). The output and the exit status are those of the command.
    """
    import io

    from jupyter_book.cli.main import build as jb_build

    args = _jb_args(stage_dir, out, builder)
    dated = _date_env(epoch)
    saved = {k: os.environ.get(k) for k in dated}
    os.environ.update(dated)
    stdout, stderr = io.StringIO(), io.StringIO()
    code = 0
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            jb_build.main(args=args, prog_name="jupyter-book build", standalone_mode=False)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except Exception as exc:  # noqa: BLE001 - reported as the command would report it
        stderr.write(f"{type(exc).__name__}: {exc}\n")
        code = 1
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return subprocess.CompletedProcess(["jupyter-book", "build", *args], code, stdout.getvalue(),
                                       stderr.getvalue())


class CompilePool:
    """Worker processes that compile books with :func:`_jupyter_book_here`, importing Sphinx once each.

    Use as a context manager; :meth:`run` has the signature of :func:`_jupyter_book` and blocks
    until its book is compiled (call it from several threads to compile several at once).
    """

    def __init__(self, workers: int, keep_locks: bool = True):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # A pool kept for later builds (werk serve) must not hold this build's locks.
        locks = procs.held() if keep_locks else ()
        # Spawned, not forked: this process runs threads (the kernels' clients). Each worker holds
        # this process's build locks and ends with it (werk.build.procs).
        self._pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=procs.worker_init,
            initargs=(os.getpid(), tuple(procs.inherit(fd) for fd in locks)))

    def run(self, stage_dir: Path, out: Path, builder: str, epoch: str | None = None
            ) -> subprocess.CompletedProcess:
        return self._pool.submit(_jupyter_book_here, stage_dir, out, builder, epoch).result()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._pool.shutdown(wait=True)


#: The root document of the PDF (see :func:`stage_pdf`).
PDF_ROOT = "book-pdf"


def _toc_files(toc: dict) -> list[tuple[str, str | None]]:
    """(file, caption of its part) for every file of a _toc.yml below the root, in book order."""
    out: list[tuple[str, str | None]] = []

    def walk(entries, caption):
        for entry in entries:
            if "file" in entry:
                out.append((entry["file"], caption))
            walk(entry.get("sections", []), caption)

    for part in toc.get("parts", [{"chapters": toc.get("chapters", [])}]):
        walk(part.get("chapters", []), part.get("caption"))
    return out


def _source_of(st: Path, docname: str) -> Path:
    for suffix in (".md", ".ipynb"):
        if (st / (docname + suffix)).exists():
            return st / (docname + suffix)
    raise BuildError(f"_toc.yml names {docname!r}, which is neither a .md nor an .ipynb file")


def _prepend_raw_latex(src: Path, latex: str) -> None:
    """Put a raw LaTeX block before everything else in a page (markdown file or notebook)."""
    block = f"```{{raw}} latex\n{latex}\n```\n\n"
    if src.suffix == ".md":
        src.write_text(block + src.read_text())
        return
    import nbformat

    nb = nbformat.read(src, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(block.strip()))
    nbformat.write(nb, src)


_BIBLIOGRAPHY = re.compile(r"^```\{bibliography\}.*?^```\s*$", re.S | re.M)


def stage_pdf(stage_dir: Path) -> Path:
    """Arrange a copy of the staged book for LaTeX; return its folder (``<stage>-pdf``).

    Sphinx's LaTeX writer takes the root page's title as the book's title and turns the root's
    ``##`` sections into chapters, and it sets the bibliography at the very end under its own
    heading, leaving the references page an empty chapter. So the PDF gets its own root page
    holding only the bibliography; the landing page becomes chapter 1 and every page of
    ``_toc.yml`` follows as a chapter; a part whose caption starts with "Appendi" begins LaTeX's
    appendices (chapters A, B, ...); pages that hold only the bibliography are left out.
    """
    st = stage_dir.with_name(stage_dir.name + "-pdf")
    if st.exists():
        shutil.rmtree(st)
    shutil.copytree(stage_dir, st)
    toc = yaml.safe_load((st / "_toc.yml").read_text())
    cfg = yaml.safe_load((st / "_config.yml").read_text())
    entries = [(toc["root"], None)] + _toc_files(toc)
    chapters, bibliography, appendix_done = [], [], False
    for docname, caption in entries:
        src = _source_of(st, docname)
        if src.suffix == ".md":
            text = src.read_text()
            found = _BIBLIOGRAPHY.findall(text)
            if found and not re.sub(r"^#.*$", "", _BIBLIOGRAPHY.sub("", text), flags=re.M).strip():
                bibliography.extend(found)  # a page that is only a heading and the bibliography
                src.unlink()
                continue
        if caption and caption.lower().startswith("appendi") and not appendix_done:
            _prepend_raw_latex(src, r"\appendix")
            appendix_done = True
        chapters.append({"file": docname})
    root = [f"# {cfg['title']}", ""] + (bibliography or [])
    (st / f"{PDF_ROOT}.md").write_text("\n".join(root) + "\n")
    pdf_toc = {"format": "jb-book", "root": PDF_ROOT, "chapters": chapters}
    (st / "_toc.yml").write_text(yaml.safe_dump(pdf_toc, sort_keys=False, allow_unicode=True))
    # The title page names the edition and its source, as the HTML footer does (which is HTML: unescaped).
    elements = cfg.setdefault("sphinx", {}).setdefault("config", {}).setdefault("latex_elements", {})
    edition_line = latex_escape(unescape(cfg.get("html", {}).get("extra_footer", "")))
    edition_cmd = f"\\renewcommand{{\\WerkEdition}}{{{edition_line}}}\n"
    elements["preamble"] = elements.get("preamble", "") + edition_cmd
    cfg["sphinx"].setdefault("extra_extensions", []).append("werk.build.latex")
    (st / "_config.yml").write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True))
    return st


_LATEX_SPECIALS = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
                   "^": r"\textasciicircum{}", "_": r"\_", "%": r"\%", "~": r"\textasciitilde{}"}


def latex_escape(text: str) -> str:
    """Text as LaTeX source that prints it literally."""
    return "".join(_LATEX_SPECIALS.get(ch, ch) for ch in text)


def _latex_log_tail(latex: Path, lines: int = 25) -> str:
    """The LaTeX errors (``!`` lines with the two lines after) and the tail of the log in ``latex``."""
    logs = sorted(latex.glob("*.log"))
    if not logs:
        return ""
    text = logs[0].read_text(errors="replace").splitlines()
    errors = []
    for i, ln in enumerate(text):
        if ln.startswith("!"):
            errors.extend(text[i:i + 3])
    tail = text[-lines:]
    return "\n  ".join(["LaTeX errors (" + str(logs[0]) + "):"] + (errors[:30] or ["(none marked with !)"])
                       + ["last lines of the log:"] + tail)


#: Overfull boxes wider than this (in pt) are reported after a PDF build: text that runs into the margin.
OVERFULL_PT = 5.0


def overfull_boxes(log_text: str, limit: float = OVERFULL_PT) -> list[str]:
    """The ``Overfull \\hbox`` lines of a LaTeX log that stick out more than ``limit`` pt."""
    found = []
    for m in re.finditer(r"^Overfull \\hbox \(([\d.]+)pt too wide\).*$", log_text, re.M):
        if float(m.group(1)) > limit:
            found.append(m.group(0))
    return found


#: The book's page sources; a rebuild in which only these changed may reuse Sphinx's environment.
PAGE_SUFFIXES = (".ipynb", ".md")


def _incremental(old: dict | None, new: dict) -> bool:
    """True when Sphinx may reuse its environment: the same pages, and only page sources changed.

    A page's CSV downloads count as part of the page: they are written from its outputs, so they
    change only with it, and Sphinx copies them again when it reads the page again.
    """
    if not old or set(old) != set(new):
        return False
    return all(new[f] == old[f] or f.endswith(PAGE_SUFFIXES) or f"/{downloads.FOLDER}/" in f"/{f}"
               for f in new)


def compile_book(
    stage_dir: Path, edition: str, builder: str = "html", root: Path | None = None, force: bool = False,
    fresh: bool = True, runner=None, extras: dict[str, bytes] | None = None, lang: str = "en",
) -> Path:
    """Run Jupyter Book on the staged sources; swap the result in on success.

    ``builder`` is ``html`` or ``pdflatex``; the PDF is built from a copy of the stage arranged by
    :func:`stage_pdf`, always from scratch. A failure raises :class:`BuildError` with the Sphinx
    warnings (and for the PDF the LaTeX errors and the log's tail), and leaves the previous HTML or
    PDF in place.

    The HTML is built in ``_build/sphinx/<slug>``, which keeps Sphinx's environment. With
    ``fresh=False`` (no notebook ran: a prose edit) and nothing but page sources changed since the
    last compile, Sphinx reads and writes only the changed pages, or every page when what others
    show of them changed (:mod:`werk.build.sphinx_ext`). Otherwise, or after a failure, it starts over:
    a notebook that ran may have changed numbers other pages quote. ``runner`` runs Jupyter Book
    (default :func:`_jupyter_book`, a subprocess; :func:`build_all` passes a :class:`CompilePool`'s).

    ``extras`` (HTML only): files to add to the book (name -> bytes), such as ``output-check.json``.
    They go into the new tree with its stamp before the swap, so a book is published with them or
    not at all, and they are part of what makes it current.
    """
    root = root or paths.ROOT
    slug = variant_slug(edition, lang)
    extras = dict(extras or {}) if builder == "html" else {}
    # An unchanged book is not compiled at all: the book records the digest of the sources it was
    # compiled from (and of every file it holds), and is kept when both match.
    target = html_dir(edition, root, lang) if builder == "html" else pdf_path(edition, root, lang)
    _recover(target)
    # What a killed build left in its scratch folder (an old book swapped out, a half copy) goes.
    tmp = root / "_build" / "tmp" / f"{slug}-{builder}"
    shutil.rmtree(tmp, ignore_errors=True)
    manifest = cache.tree_manifest(stage_dir)
    digest = cache.stage_digest(stage_dir, builder, manifest)
    # Sphinx's kept environment was made by this werk (its Sphinx extension) and these packages: a
    # change there starts the compile over (:func:`_incremental` compares every non-page entry).
    manifest[" werk and packages"] = cache.stage_digest(stage_dir.parent / ".none", builder, {})
    if extras:
        digest = hashlib.sha256("\n".join(
            [digest, *(f"{name} {hashlib.sha256(data).hexdigest()}" for name, data in sorted(extras.items()))]
        ).encode()).hexdigest()
    state = "stale" if force else cache.book_state(target, digest)
    if state == "current":
        log(f"[{slug}] staged sources unchanged since the last {builder} build: kept {target}")
        return target
    if state == "corrupt":
        log(f"[{slug}] a file of {target} was changed, removed or cut short since it was built: "
            "building it again")
        # From scratch: Sphinx's kept environment would see nothing to write.
        force = True
    tmp.mkdir(parents=True)
    if builder == "html":
        work = root / "_build" / "sphinx" / slug
        try:
            old = json.loads((work / MANIFEST).read_text())
        except (OSError, ValueError):
            old = None
        incremental = not force and not fresh and _incremental(old, manifest)
        if not incremental and work.exists():
            shutil.rmtree(work)
        # Sphinx stamps a link to a static file with ``?v=<checksum>`` when the file is already there
        # as it writes the page; a first build copies them after the pages. Without them, a page
        # written again has the same bytes as from a first build.
        shutil.rmtree(work / "_build" / "html" / "_static", ignore_errors=True)
        (work / MANIFEST).unlink(missing_ok=True)  # back only after a good compile
        out, source = work, stage_dir
    else:
        incremental, out, source = False, tmp, stage_pdf(stage_dir)
    log(f"[{slug}] compiling the book ({builder}{', changed pages only' if incremental else ''})")
    t0 = time.perf_counter()
    epoch = source_date_epoch(root) if builder == "pdflatex" else None
    proc = (runner or _jupyter_book)(source, out, builder, epoch=epoch)
    if proc.returncode != 0:
        lines = [ln for ln in (proc.stdout + proc.stderr).splitlines() if "WARNING" in ln or "ERROR" in ln
                 or "Error" in ln]
        detail = "\n  ".join(lines[-15:]) or (proc.stdout + proc.stderr)[-2000:]
        if builder == "pdflatex":
            detail += "\n  " + _latex_log_tail(tmp / "_build" / "latex")
        else:
            # Sphinx would not read the pages that warned again, and the next build would pass.
            shutil.rmtree(work, ignore_errors=True)
        kept = f"the previous {'PDF' if builder == 'pdflatex' else 'book'} is left in place"
        raise BuildError(f"Jupyter Book ({builder}) failed for edition {slug}; {kept}:\n  {detail}")
    log(f"[{slug}] compiled in {time.perf_counter() - t0:.1f} s")
    if builder == "html":
        final = html_dir(edition, root, lang)
        # A copy goes in, not Sphinx's own folder: the next compile writes there. What the build adds
        # (the output check) and the stamp go into the copy before the swap: published whole or not.
        new = tmp / "html"
        manifest_new = _publish_copy(work / "_build" / "html", new, final)
        for name, data in extras.items():
            (new / name).unlink(missing_ok=True)  # never write through a link into the published book
            (new / name).write_bytes(data)
            manifest_new[name] = hashlib.sha256(data).hexdigest()
        manifest_new.pop(cache.BOOK_STAMP, None)
        # In tree_manifest's order (by path parts), so the stamp has the bytes it always had.
        cache.mark_book(new, digest, dict(sorted(manifest_new.items(), key=lambda kv: Path(kv[0]).parts)))
        _swap(new, final)
        (work / MANIFEST).write_text(json.dumps(manifest, indent=0) + "\n")
    else:
        # The LaTeX sources and log stay in _build/latex/<slug> for inspection; the PDF moves to _build/pdf.
        latex = root / "_build" / "latex" / slug
        if latex.exists():
            shutil.rmtree(latex)
        latex.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(tmp / "_build" / "latex"), str(latex))
        pdfs = sorted(latex.glob("*.pdf"))
        if not pdfs:
            raise BuildError(f"pdflatex produced no PDF for edition {slug}; "
                             "the previous PDF is left in place:\n  " + _latex_log_tail(latex))
        for box in overfull_boxes(pdfs[0].with_suffix(".log").read_text(errors="replace")):
            log(f"[{slug}] PDF: {box} (see {pdfs[0].with_suffix('.log')})")
        final = pdf_path(edition, root, lang)
        # The stamp sits beside a PDF, so it follows the swap: a kill between leaves a stale stamp,
        # and the next build compiles the PDF again.
        _swap(pdfs[0], final)
        cache.mark_book(final, digest)
    shutil.rmtree(tmp, ignore_errors=True)
    return final


def _publish_copy(built: Path, new: Path, published: Path) -> dict[str, str]:
    """Copy Sphinx's output ``built`` to ``new``, the tree to swap in; return its manifest (path -> sha256).

    A file whose bytes are those of the same file in the ``published`` book is hard-linked to it instead
    of copied: a prose edit rewrites a page or two, and the other 300 files (MathJax, fonts, figures)
    are not written again. That is safe because no file of a published book is ever written in place:
    a book is made in a scratch folder and swapped in whole, the old one is removed after the swap
    (unlinking, which leaves a file linked from the new book as it is), and what the build adds to
    ``new`` (the output check, the stamp) replaces its name rather than writing through it. Links are
    never made to Sphinx's own output, which the next compile writes in place. Where a link cannot be
    made (another file system), the file is copied.
    """
    manifest = {}
    for dirpath, dirnames, filenames in os.walk(built):
        dirnames.sort()
        rel_dir = Path(dirpath).relative_to(built)
        (new / rel_dir).mkdir(parents=True, exist_ok=True)
        for name in sorted(filenames):
            rel = rel_dir / name
            src, dst, old = Path(dirpath) / name, new / rel, published / rel
            data = src.read_bytes()
            manifest[rel.as_posix()] = hashlib.sha256(data).hexdigest()
            try:
                same = (not old.is_symlink() and old.stat().st_size == len(data) and old.read_bytes() == data)
            except OSError:
                same = False
            if same:
                try:
                    os.link(old, dst)
                    continue
                except OSError:
                    pass
            dst.write_bytes(data)
            shutil.copystat(src, dst)
    return manifest


def release_path(root: Path | None = None) -> Path:
    """Where ``--all-editions`` writes the disclosure audit of the release of all editions."""
    return (root or paths.ROOT) / "_build" / "output-check-release.json"


def release_audit(edition_names: list[str], root: Path, respondents: int) -> dict:
    """Audit every edition's records as one release, across pages, and write :func:`release_path`.

    Each page's own audit already covered its outputs in every edition (what it printed before, in
    every edition, on that page); this one adds what two pages print of one question (the conclusion's
    share beside the threat page's figure) in different editions. It withholds nothing: a failing
    interval is reported, on the log and in the file (``passes``).
    """
    from werk.disclosure import audit  # lazy: highspy, only for a release of several editions

    t0 = time.perf_counter()
    records = {}
    for e in edition_names:
        folder = records_root(root) / edition_slug(e)
        pages = [nb.stem for nb in notebooks_in_toc(root) if (folder / f"{nb.stem}.json").is_file()]
        records[edition_name(e)] = record.read_records(folder, pages, summaries=False)
    out = audit.audit_records(records, respondents)
    text = json.dumps(out, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    path = release_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    low = out["narrowest"]
    found = (f"the narrowest {low['low']} to {low['high'] if low['high'] is not None else 'no bound'} "
             f"({low['cell']} of {low['output']}, {low['edition']})" if low else "nothing withheld")
    failing = [r for r in out["intervals"] if r["why"] == "threshold"
               and not audit.holds((r["low"], math.inf if r["high"] is None else r["high"]))]
    verdict = "the rule holds" if out["passes"] else (
        f"THE RULE FAILS for {len(failing)} cells: "
        + "; ".join(f"{r['cell']} of {r['output']} ({r['edition']})" for r in failing))
    log(f"release audit of {len(records)} editions across their pages: {out['cells_audited']} withheld "
        f"cells, {found}; {verdict} ({time.perf_counter() - t0:.1f} s): {path}")
    return out


#: The staged files (path -> sha256) that ``_build/sphinx/<slug>`` was last compiled from.
MANIFEST = "werk-stage.json"


def _output_check_report(edition: str, info: dict, root: Path) -> bytes:
    """What CBS's output checker needs, every check of the book: the bytes of ``output-check.json``.

    The report is a summary of what each page recorded when it was executed (its records file), in
    book order: nothing is recomputed, so an output an analyst adds to a page is in it. It is
    published inside the book (:func:`compile_book`'s ``extras``).
    """
    folder = records_root(root) / edition_slug(edition)
    pages = [nb.stem for nb in notebooks_in_toc(root) if (folder / f"{nb.stem}.json").is_file()]
    records = record.read_records(folder, pages)
    return report.report_text(records, edition=edition, respondents=info["n"]).encode("utf-8")


def pdf_path(edition: str = "all", root: Path | None = None, lang: str = "en") -> Path:
    """Where the PDF of an edition lands: ``_build/pdf/book.pdf``, or ``_build/pdf/<slug>.pdf``.

    The Dutch PDF: ``_build/pdf/book-nl.pdf``, ``_build/pdf/<slug>-nl.pdf``."""
    slug = edition_slug(edition)
    name = "book" if slug == "all" else slug
    return (root or paths.ROOT) / "_build" / "pdf" / f"{name}{'' if lang == 'en' else '-' + lang}.pdf"


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2(RENAME_EXCHANGE)``); False where it is not supported."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(a), None, str(b))


def _recover(final: Path) -> None:
    """Put back a book that a build killed between the two renames of :func:`_swap`'s fallback left aside."""
    old = final.with_name(final.name + ".old")
    if old.exists() and not final.exists():
        old.rename(final)
        log(f"a build was stopped while it replaced {final}: put the previous book back")


def _swap(new: Path, final: Path) -> None:
    """Replace ``final`` by ``new`` so that a reader (or a kill) meets the old book or the new one, whole.

    On Linux the two trade places in one ``renameat2`` call, and the old one is then removed from
    where ``new`` was. Elsewhere: two renames, with the old book kept aside as ``<final>.old`` in
    between, which the next build puts back if the second never happened (:func:`_recover`).
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.exists() and _exchange(new, final):
        shutil.rmtree(new) if new.is_dir() else new.unlink()
        return
    old = final.with_name(final.name + ".old")
    if old.exists():
        shutil.rmtree(old) if old.is_dir() else old.unlink()
    if final.exists():
        final.rename(old)
    new.rename(final)
    if old.exists():
        shutil.rmtree(old) if old.is_dir() else old.unlink()


def _prepare(frame, edition: str, data: Path, mapping: Path | None, weighted: bool,
             lang: str) -> tuple[dict, dict]:
    """An edition's info (checked for size) and its papermill parameters."""
    info = analysis_frame.edition_info(frame, edition, data)
    analysis_frame.check_edition_size(info)
    # For the "How to cite" page: which data file, by its bytes (a digest tells nothing of its contents).
    info["data_digest"] = file_digest(data)
    log(f"[{edition_slug(edition)}] {info['edition_label']}: {info['n']} respondents")
    parameters = {
        "data_path": str(data),
        "mapping_path": str(mapping) if mapping else None,
        "edition": edition,
        "weighted": bool(weighted),
        "lang": lang,
    }
    return info, parameters


def _finish(frame, edition: str, info: dict, pdf: bool, force: bool, root: Path, fresh: bool = True,
            runner=None, lang: str = "en") -> Path:
    """Stage an edition's executed notebooks, compile its book (and PDF), write its output check.

    ``fresh``: a notebook ran, so the HTML is compiled from scratch; ``runner`` runs Jupyter Book
    (see :func:`compile_book`).
    """
    executed = root / "_build" / "executed" / variant_slug(edition, lang)
    st = stage(executed, edition, info, root, lang)
    checks = {"output-check.json": _output_check_report(edition, info, root)}
    # The PDF first: the HTML links it from every page, and carries it, when it is there and was
    # compiled from these very sources (a PDF of older sources is not linked). A failed PDF still
    # leaves the HTML built, then fails the build.
    failed, result = None, None
    if pdf:
        try:
            result = compile_book(st, edition, "pdflatex", root, force=force, runner=runner, lang=lang)
        except BuildError as exc:
            failed = exc
    book_pdf = pdf_path(edition, root, lang)
    if failed is None and cache.book_state(book_pdf, cache.stage_digest(st, "pdflatex")) == "current":
        checks[book_pdf.name] = book_pdf.read_bytes()
        st = stage(executed, edition, info, root, lang, pdf=book_pdf.name)
    out = compile_book(st, edition, "html", root, force=force, fresh=fresh, runner=runner, extras=checks,
                       lang=lang)
    if failed is not None:
        raise failed
    return result or out / "index.html"


@contextlib.contextmanager
def locked(root: Path, slugs) -> Iterator[None]:
    """Hold the build lock of each edition in ``slugs`` (``_build/locks/<slug>.lock``), waiting for it.

    Two builds of one edition at once would share its folders, the kept Sphinx environment above
    all; the second waits for the first, and says so. Locks are taken in name order, so two builds
    of several editions cannot wait for each other. The operating system releases a lock when its
    process ends, however it ends.
    """
    import fcntl

    folder = Path(root) / "_build" / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    held = []
    try:
        for slug in sorted(set(slugs)):
            f = open(folder / f"{slug}.lock", "w")
            held.append(f)
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                log(f"[{slug}] another build of this edition is running in {root}: waiting for it to finish")
                fcntl.flock(f, fcntl.LOCK_EX)
            # Children started from here on keep the lock while they live (werk.build.procs).
            procs.hold(f.fileno())
        yield
    finally:
        for f in held:
            procs.release(f.fileno())
            f.close()


def frames_dir(root: Path | None = None) -> Path:
    """Where validated data frames are kept between builds (:func:`werk.build.cache.validated_frame`)."""
    return (root or paths.ROOT) / "_build" / "frames"


def _load(data, mapping, root: Path) -> tuple:
    """The validated frame and the resolved paths of the data file and the mapping."""
    data = Path(data or paths.TWIN).resolve()
    mapping = Path(mapping).resolve() if mapping else None
    # A missing, unreadable or folder path is one clear error here, before the frame cache hashes it.
    check_file(data)
    if mapping:
        check_file(mapping, "mapping file")
    log(f"validating {data}")
    memo.prune(frames_dir(root) / "stats")  # the statistics of earlier data and code, used least lately
    # Kept for the notebooks once the editions passed their checks (nothing is written before).
    return (cache.validated_frame(data, mapping, frames_dir(root), keep=False, on_corrupt=log),
            data, mapping)


def build(
    data: str | Path | None = None,
    mapping: str | Path | None = None,
    edition: str = "all",
    pdf: bool = False,
    force: bool = False,
    jobs: int | None = None,
    weighted: bool = False,
    lang: str = "en",
    root: Path | None = None,
    pool: kernels.KernelPool | None = None,
    runner=None,
) -> Path:
    """Build one edition of the book; return the path of its ``index.html``, or with ``pdf`` of its PDF.

    ``lang`` is ``en``, ``nl`` or ``all`` (see :func:`build_langs`, which returns every language's path;
    this returns the first).

    ``edition`` is ``all`` or a sector by its Dutch or English name; an unknown name, a file that
    fails validation or an edition below :data:`werk.book.MIN_EDITION_N` respondents stops the build
    with a :class:`werk.core.errors.WerkError` before anything is written. ``root`` (default: the project
    found by :func:`werk.core.paths.root`) is the project for the whole build, here and in the kernels:
    its ``data/twin.csv`` is the default data, its ``data/published.yml`` the published numbers.
    ``pool`` (warm kernels) and ``runner`` (a warm compiler, :class:`CompilePool`'s ``run``) are kept
    from one build to the next by ``werk serve``.
    """
    return build_langs(data, mapping, edition, pdf, force, jobs, weighted, lang, root, pool, runner)[0]


def run_name(edition: str, lang: str) -> str:
    """The name of one edition in one language among the runs of :func:`execute_editions`."""
    return edition if lang == "en" else f"{edition}@{lang}"


def build_langs(data=None, mapping=None, edition: str = "all", pdf: bool = False, force: bool = False,
                jobs: int | None = None, weighted: bool = False, lang: str = "en", root: Path | None = None,
                pool: kernels.KernelPool | None = None, runner=None) -> list[Path]:
    """Build one edition in one language or both (``lang="all"``); return each language's result.

    Both languages' notebooks run on one set of warm kernels (the Dutch run with ``lang="nl"``: its
    numbers, figures and tables come out Dutch), and each language's book is compiled as soon as its
    notebooks ran, while the other's run.
    """
    from concurrent.futures import ThreadPoolExecutor

    root = Path(root).resolve() if root else paths.ROOT
    with paths.rooted(root):
        edition = edition_name(edition)
        names = langs(lang)
        t0 = time.perf_counter()
        frame, data, mapping = _load(data, mapping, root)
        infos, runs = {}, {}
        for lg in names:
            infos[lg], runs[run_name(edition, lg)] = _prepare(frame, edition, data, mapping, weighted, lg)
        with (locked(root, [variant_slug(edition, lg) for lg in names]),
              ThreadPoolExecutor(max_workers=len(names)) as finishing):
            cache.keep_frame(frame, data, mapping, frames_dir(root))
            futures = {}

            def when_done(run, ran):
                lg = runs[run]["lang"]
                futures[lg] = finishing.submit(_finish, frame, edition, infos[lg], pdf, force, root, ran > 0,
                                               runner, lg)

            errors, _ = execute_editions(runs, force=force, jobs=jobs, root=root, when_done=when_done,
                                         pool=pool)
            if errors:
                raise BuildError("\n".join(errors.values()))
            results = [futures[lg].result() for lg in names]
        log(f"[{edition_slug(edition)}] done in {time.perf_counter() - t0:.1f} s")
    return results


def build_all(
    data=None, mapping=None, force=False, pdf=False, root=None, workers: int | None = None,
    weighted: bool = False, lang: str = "en",
) -> list[Path]:
    """Build the full book and all seven sector editions; return their paths.

    The data file is validated once (a bad file stops everything, before anything is written).
    Every notebook of every edition then runs on one warm kernel per core, edition after edition,
    and each edition's book is compiled as soon as its last notebook ran, while the next edition's
    notebooks run, by worker processes that load Jupyter Book once (:class:`CompilePool`). Every
    edition writes only below its own slug (``_build/executed/<slug>``, ``_build/stage/<slug>``,
    ``_build/sphinx/<slug>``, ``_build/tmp/<slug>-<builder>``, its HTML and PDF), so two editions
    never touch the same file. Every edition is attempted; if any failed (too few respondents,
    a notebook error, a failed compile), :class:`BuildError` lists them all, with what was built.
    ``root`` is the project for the whole build, as in :func:`build`.
    """
    root = Path(root).resolve() if root else paths.ROOT
    with paths.rooted(root):
        return _build_all(data, mapping, force, pdf, root, workers, weighted, lang)


def _build_all(data, mapping, force, pdf, root: Path, workers, weighted, lang) -> list[Path]:
    from concurrent.futures import ThreadPoolExecutor

    names = [run_name(e, lg) for lg in langs(lang) for e in editions()]
    workers = workers or max(1, os.cpu_count() or 1)
    t0 = time.perf_counter()
    frame, data, mapping = _load(data, mapping, root)
    infos, runs, errors = {}, {}, {}
    for e in names:
        edition, _, lg = e.partition("@")
        try:
            infos[e], runs[e] = _prepare(frame, edition, data, mapping, weighted, lg or "en")
        except WerkError as exc:
            errors[e] = str(exc)
            log(f"[{edition_slug(edition)}] FAILED: {errors[e]}")
    if runs:
        cache.keep_frame(frame, data, mapping, frames_dir(root))
    # Compiling runs Jupyter Book in a subprocess: a thread each is enough, next to the kernels.
    # Jupyter Book runs in worker processes that import it once for all the books (CompilePool).
    futures, results = {}, {}
    with (locked(root, [variant_slug(p["edition"], p["lang"]) for p in runs.values()]),
          CompilePool(workers) as compiler,
          ThreadPoolExecutor(max_workers=workers) as finishing):
        def when_done(e, ran):
            p = runs[e]
            futures[e] = finishing.submit(_finish, frame, p["edition"], infos[e], pdf, force, root, ran > 0,
                                          compiler.run, p["lang"])

        failed, _ = execute_editions(runs, force=force, jobs=workers, root=root, when_done=when_done)
        errors.update(failed)
        for e, fut in futures.items():
            try:
                results[e] = fut.result()
            except Exception as exc:  # noqa: BLE001 - every edition is reported, none hides another
                errors[e] = str(exc) if isinstance(exc, WerkError) else f"{type(exc).__name__}: {exc}"
                log(f"[{e}] FAILED: {errors[e]}")
    if not errors:
        release_audit([e for e in names if "@" not in e], root, max(i["n"] for i in infos.values()))
    log(f"all editions done in {time.perf_counter() - t0:.1f} s")
    if errors:
        built = "\n  ".join(str(results[e]) for e in names if e in results) or "(none)"
        failed = "\n  ".join(f"{e}: {errors[e]}" for e in names if e in errors)
        raise BuildError(f"{len(errors)} of {len(names)} editions failed:\n  {failed}\nbuilt:\n  {built}")
    return [results[e] for e in names]
