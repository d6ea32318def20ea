"""The Dutch book: one source, Sphinx's gettext catalogues, a second build executed with ``lang="nl"``.

The English notebooks and pages are the only source. Their prose is extracted by Sphinx's gettext
builder (one ``.pot`` per page) from the staged English book, and ``sphinx-intl update`` brings the
catalogues ``locales/nl/LC_MESSAGES/<page>.po`` up to date: a changed English paragraph comes back as
a *fuzzy* entry (its old Dutch kept as a hint), a new one as *untranslated*. :func:`update` does both
and :func:`status` names every entry still to translate (``werk translations``, ``make translations``).

The Dutch book is compiled with ``language: nl`` from the catalogues, from notebooks executed with
``lang="nl"`` (so glued numbers, figures and tables come out Dutch). Cell outputs are not in the
catalogues (:mod:`werk.build.sphinx_ext`), and glue roles keep working inside translated paragraphs.
"""

from __future__ import annotations

import html
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from werk.core import paths
from werk.core.errors import WerkError

__all__ = ["configure", "status", "update", "Entry", "CONFIG"]

#: Sphinx settings of every book (both languages): one catalogue per page, no source locations (their
#: paths are the staging folder's and would change every catalogue on every update).
CONFIG = {"gettext_compact": False, "gettext_location": False, "gettext_uuid": False,
          "werk_language_switch": True}

#: What the configuration says in English, in Dutch (the catalogues hold the pages' prose only).
CONFIG_NL = {
    "search_bar_text": "Zoeken in het boek",
    "bibname": "Literatuur",
    "edition": "editie",
    "author": "het werk-project, naar Bondarouk & Meijerink (Universiteit Twente)",
}


class TranslationError(WerkError):
    """Extracting the messages or updating the catalogues failed."""


def log(msg: str) -> None:
    print(f"werk translations: {msg}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Entry:
    """One catalogue entry still to translate: its file (relative to the project), its msgid, why."""

    file: str
    msgid: str
    state: str  # "untranslated" or "fuzzy"

    def __str__(self) -> str:
        text = self.msgid if len(self.msgid) <= 100 else self.msgid[:97] + "..."
        return f"{self.file}: {self.state}: {text!r}"


def catalogues(locales: Path, lang: str = "nl") -> list[Path]:
    """Every ``.po`` file of ``lang`` below ``locales``, in name order."""
    return sorted((Path(locales) / lang / "LC_MESSAGES").rglob("*.po"))


def status(locales: Path | None = None, lang: str = "nl", root: Path | None = None) -> list[Entry]:
    """Every untranslated or fuzzy entry of ``lang``'s catalogues, named by file and msgid."""
    from babel.messages.pofile import read_po

    root = Path(root or paths.ROOT)
    locales = Path(locales or root / "locales")
    out = []
    for po in catalogues(locales, lang):
        with po.open("rb") as f:
            cat = read_po(f, locale=lang)
        rel = po.relative_to(root) if po.is_relative_to(root) else po
        for msg in cat:
            if not msg.id:
                continue
            if msg.fuzzy:
                out.append(Entry(str(rel), str(msg.id), "fuzzy"))
            elif not msg.string:
                out.append(Entry(str(rel), str(msg.id), "untranslated"))
    return out


def translate(text: str, locales: Path, lang: str = "nl") -> str:
    """``text`` as some catalogue of ``lang`` translates it (a page title, a heading), else ``text``."""
    from babel.messages.pofile import read_po

    for po in catalogues(locales, lang):
        with po.open("rb") as f:
            msg = read_po(f, locale=lang).get(text)
        if msg is not None and msg.string and not msg.fuzzy:
            return str(msg.string)
    return text


def configure(cfg: dict, lang: str, locales: Path, info: dict) -> None:
    """Make a staged ``_config.yml`` (``cfg``, changed in place) that of the ``lang`` book."""
    conf = cfg.setdefault("sphinx", {}).setdefault("config", {})
    conf["language"] = lang
    conf["locale_dirs"] = ["locales"]  # staged beside the pages (the stage's own copy)
    # "Bondarouk en Meijerink (2019)": the Dutch styles of citations and bibliography, which
    # werk.build.sphinx_ext registers (its DUTCH_STYLES; named here without importing Sphinx)
    conf["bibtex_reference_style"] = "author_year_nl"
    conf["bibtex_default_style"] = "plain_nl"
    cfg["title"] = translate(cfg["title"], locales, lang)
    cfg["author"] = CONFIG_NL["author"]
    if info.get("sector") is not None:
        cfg["title"] = f"{cfg['title']}: {CONFIG_NL['edition']} {info['edition_label_nl']}"
    theme = conf.setdefault("html_theme_options", {})
    theme["search_bar_text"] = CONFIG_NL["search_bar_text"]
    source = "de synthetische tweeling"
    if not info.get("is_twin"):
        source = "het databestand " + str(info.get("source", "")).removeprefix("the data file ")
    n = format(info["n"], ",").replace(",", ".")
    footer = f"Editie: {info['edition_label_nl']} ({n} respondenten), berekend uit {source}."
    cfg["html"]["extra_footer"] = html.escape(footer)
    cfg["werk_footer_nl"] = True
    elements = conf.setdefault("latex_elements", {})
    elements["preamble"] = elements.get("preamble", "").replace(
        r"\addto\captionsenglish{\renewcommand{\bibname}{References}}",
        r"\addto\captionsdutch{\renewcommand{\bibname}{" + CONFIG_NL["bibname"] + "}}")


def compile_catalogues(locales: Path) -> list[Path]:
    """Write each ``.po`` below ``locales`` as the ``.mo`` beside it when its content changed; return them.

    An unchanged ``.mo`` keeps its time stamp, so Sphinx reads no page again for it.
    """
    import io

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    out = []
    for po in sorted(Path(locales).rglob("*.po")):
        with po.open("rb") as f:
            cat = read_po(f)
        buf = io.BytesIO()
        write_mo(buf, cat, use_fuzzy=False)
        mo = po.with_suffix(".mo")
        if not mo.is_file() or mo.read_bytes() != buf.getvalue():
            mo.write_bytes(buf.getvalue())
        out.append(mo)
    return out


def _run(cmd: list[str], what: str) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True,
                          env=dict(os.environ, PYDEVD_DISABLE_FILE_VALIDATION="1"))
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr).splitlines()[-20:]
        raise TranslationError(f"{what} failed:\n  " + "\n  ".join(tail))


def update(root: Path | None = None, lang: str = "nl") -> list[Entry]:
    """Extract the English book's messages and update ``locales/<lang>``; return what is left to translate.

    Needs the English book staged (``werk build --lang en`` or ``all`` did that): the gettext builder
    reads the staged, executed notebooks, as the HTML builder does.
    """
    root = Path(root or paths.ROOT)
    st = root / "_build" / "stage" / "all"
    if not (st / "_config.yml").is_file():
        raise TranslationError(f"{st} is missing: build the English book first (werk build --lang en)")
    out = root / "_build" / "gettext"
    shutil.rmtree(out, ignore_errors=True)
    bindir = Path(sys.executable).parent
    log("extracting the English messages (Sphinx's gettext builder)")
    _run([str(bindir / "jupyter-book"), "build", str(st), "--path-output", str(out), "--builder", "custom",
          "--custom-builder", "gettext"], "the gettext builder")
    pot = out / "_build" / "gettext"
    log(f"updating {root / 'locales' / lang} (sphinx-intl update)")
    _run([str(bindir / "sphinx-intl"), "update", "-p", str(pot), "-l", lang, "-d", str(root / "locales"),
          "-w", "0"], "sphinx-intl update")
    _drop_stale(pot, root / "locales" / lang / "LC_MESSAGES")
    return status(root / "locales", lang, root)


def _drop_stale(pot: Path, messages: Path) -> None:
    """Remove the catalogue of a page that is gone (sphinx-intl keeps it), and compiled ``.mo`` files."""
    for po in sorted(messages.rglob("*.po")):
        if not (pot / po.relative_to(messages)).with_suffix(".pot").is_file():
            po.unlink()
    for mo in messages.rglob("*.mo"):
        mo.unlink()
