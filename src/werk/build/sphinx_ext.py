"""A small Sphinx extension for the book: scripts loaded once, and incremental builds that are never stale.

Scripts. sphinx-thebe (which Jupyter Book always loads) registers its inline configuration script
once per environment read, and a rebuild in the same process read twice, so pages declared
``const THEBE_JS_URL`` twice and the browser raised a SyntaxError on every page. We drop exact
duplicates from each page's script list.

Incremental builds. ``werk build`` keeps Sphinx's environment between builds in which no notebook
ran (a prose edit), so Sphinx reads only the pages whose sources changed and writes only those.
That is safe only while nothing other pages show of a changed page has changed: its title and
table of contents (every page's navigation shows them), the targets it defines (labels, figures,
tables, equations, citations: other pages' references show their numbers and titles), and the
book's figure and section numbering. Before Sphinx reads the changed pages we note that face of
each; after reading, if any of it changed, or a page came or went, every page is written again.
The pages then have the bytes a first build would give them, and so has the search index once
the words no page uses any more are gone.
"""

from __future__ import annotations

import re
import weakref

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms import SphinxTransform
from sphinx.util import logging

logger = logging.getLogger(__name__)


class _OutputsStayAsRun(SphinxTransform):
    """Cell outputs are not prose to translate: they come from the run in the book's language.

    The Dutch book is executed with ``lang="nl"``, so its tables and glued numbers are Dutch already;
    in the catalogue they would be msgids full of numbers that change with the data. Every text node
    inside a cell output, but for captions and titles, is marked untranslatable before the gettext
    builder extracts it and before Sphinx's Locale transform (priority 20) would look it up.
    """

    default_priority = 5

    def apply(self, **kwargs) -> None:
        # Only where a translation happens: the English HTML book is left as myst-nb made it (marking its
        # references untranslatable made Sphinx render a link's target instead of its text).
        if (self.config.language or "en") == "en" and self.app.builder.name != "gettext":
            return
        for container in self.document.findall(nodes.container):
            if "cell_output" not in container.get("classes", []):
                continue
            titled = container.findall(lambda n: isinstance(n, (nodes.caption, nodes.title)))
            captions = {id(t) for c in titled for t in c.findall(nodes.TextElement)}
            for node in container.findall(nodes.TextElement):
                # A caption is the notebook's own words (a figure's cell metadata, a table's caption in
                # the code), the same in every run: it is translated like the prose. A link's own text is
                # left alone: marked, Sphinx shows the link's target instead of it. An inline span
                # ("[klopt]{.status-match}", a quotation's "{.nl}") is left alone too: Sphinx's
                # RemoveTranslatableInline removes every inline that carries the mark and appends its text
                # to the end of its paragraph (the ledger lost its status colours and its quotations moved
                # behind the reasons); the paragraph around it is marked, which is all the Locale reads.
                if isinstance(node, nodes.inline) or id(node) in captions or _in_reference(node):
                    continue
                node["translatable"] = False


def _in_reference(node) -> bool:
    while node is not None:
        if isinstance(node, (addnodes.pending_xref, nodes.reference)):
            return True
        node = node.parent
    return False


def _glue_in_msgstr() -> None:
    """Same-page glue roles keep working inside a translated paragraph.

    Sphinx's Locale transform parses each msgstr as a new, separate document (``publish_msgstr``),
    after myst-nb's parser has finished the notebook and dropped its ``nb_renderer`` (which holds the
    glue data): ``{glue:text}`key``` then finds nothing and warns. Cross-page references
    (``path::key``) are pending nodes resolved later and work as they are. So the notebook client of
    the page being read is kept here when myst-nb opens it, and a lookup in a document without
    ``nb_renderer`` (a translated fragment) reads that page's glue data: the number the run glued.
    """
    from myst_nb import sphinx_
    from myst_nb.core.variables import RetrievalError, VariableOutput
    from myst_nb.ext.glue import directives, roles

    original = roles.retrieve_glue_data
    if getattr(original, "werk_wrapped", False):
        return
    opened = sphinx_.create_client

    def create_client(notebook, path, *args, **kwargs):
        client = opened(notebook, path, *args, **kwargs)
        _READING.update(path=str(path), client=client)
        return client

    def retrieve(document, key):
        if "nb_renderer" in document:
            return original(document, key)
        env = getattr(document.settings, "env", None)
        client = _READING.get("client")
        if env is None or client is None or _READING.get("path") != str(env.doc2path(env.docname)):
            return original(document, key)
        glue = client.glue_data
        if key not in glue:
            raise RetrievalError(f"No key {key!r} found in glue data for this document.")
        return VariableOutput(data=glue[key]["data"], metadata=glue[key].get("metadata", {}),
                              nb_renderer=None, vtype="glue")

    retrieve.werk_wrapped = True
    sphinx_.create_client = create_client
    roles.retrieve_glue_data = retrieve
    directives.retrieve_glue_data = retrieve

    from myst_nb.ext.glue import crossref

    plain = roles.format_plain_text

    def formatted(text, fmt_spec):
        # A number the page formats itself ({glue:text}`key:.2f`), in the number style of the book.
        from werk.core.fmt import localize  # lazy: Sphinx loads this extension; werk.core only when pasting

        return localize(plain(text, fmt_spec), _BOOK_LANG["lang"])

    roles.format_plain_text = formatted
    crossref.format_plain_text = formatted


#: The notebook myst-nb is reading: its path and its client (which holds its glue data).
_READING: dict = {}

#: The language of the book being compiled (one compile at a time per process: werk's CompilePool).
_BOOK_LANG = {"lang": "en"}


def _translate_toc_captions(app, doctree) -> None:
    """The parts' captions of ``_toc.yml`` (sidebar and contents) from the catalogue of the root page.

    sphinx-external-toc adds its toctrees after Sphinx's Locale transform has run, so their captions
    would stay English; they are extracted with the root page's messages and translated here, before
    the toctree collector reads them (this handler runs first).
    """
    if _BOOK_LANG["lang"] == "en":
        return
    from os import path

    from sphinx import addnodes
    from sphinx.locale import init as init_locale
    from sphinx.util.i18n import docname_to_domain

    dirs = [path.join(app.srcdir, d) for d in app.config.locale_dirs]
    domain = docname_to_domain(app.env.docname, app.config.gettext_compact)
    catalog, _ = init_locale(dirs, app.config.language, domain)
    for node in doctree.findall(addnodes.toctree):
        if node.get("caption"):
            node["caption"] = catalog.gettext(node["caption"])


def _note_language(app) -> None:
    _BOOK_LANG["lang"] = "nl" if (app.config.language or "").startswith("nl") else "en"


def _dedupe_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for js in scripts:
        attributes = tuple(sorted(getattr(js, "attributes", {}).items()))
        key = (str(getattr(js, "filename", js) or ""), attributes)  # an inline script: None or ""
        if key not in seen:
            seen.add(key)
            unique.append(js)
    scripts[:] = unique


def _drop_vanished_words(app, pagename, templatename, context, doctree) -> None:
    """Before any page is written: forget search words that no page has any more.

    Sphinx's search index keeps a word that a rewritten page no longer uses, with an empty list
    of pages (``IndexBuilder.prune`` empties it, nothing deletes it). Harmless, but then an
    incremental build's ``searchindex.js`` differs from a first build's; without those words the
    two are the same bytes.
    """
    indexer = getattr(app.builder, "indexer", None)
    if indexer is None or getattr(app, "werk_words_pruned", False):
        return
    for mapping in (indexer._mapping, indexer._title_mapping):  # Sphinx 7.4's IndexBuilder
        for word in [w for w, docs in mapping.items() if not docs]:
            del mapping[word]
    app.werk_words_pruned = True


def _alt_from_png(app, doctree, docname) -> None:
    """An image without alt text takes it from its PNG's ``Description`` (what the figure shows, from data).

    werk's figures carry their alt text in the image (:func:`werk.book.setup`); myst-nb takes an
    image's alt only from static cell metadata, and Sphinx's fallback is the file path, which tells a
    screen-reader user nothing.
    """
    from pathlib import Path

    from docutils import nodes

    for node in doctree.findall(nodes.image):
        if node.get("alt"):
            continue
        uri = node.get("candidates", {}).get("*") or node.get("uri", "")
        if not str(uri).endswith(".png"):
            continue
        for base in (Path(app.srcdir), Path(app.srcdir) / Path(docname).parent, Path("/")):
            path = (base / str(uri).lstrip("/")).resolve()
            if path.is_file():
                break
        else:
            continue
        try:
            from PIL import Image

            with Image.open(path) as im:
                alt = im.text.get("Description") if hasattr(im, "text") else None
        except OSError:
            alt = None
        if alt:
            node["alt"] = alt


def _bibliography_roles(app, pagename, templatename, context, doctree) -> None:
    """The reference list as a list screen readers (and axe-core) accept.

    docutils writes the bibliography as ``<div role="list">`` holding ``role="doc-biblioentry"`` entries;
    ARIA 1.2 deprecates that role, and a list needs ``listitem`` children (axe: aria-required-children,
    critical). The entries become list items; their ids and classes stay.
    """
    body = context.get("body")
    if body and 'class="citation-list"' in body:
        context["body"] = body.replace('role="doc-biblioentry"', 'role="listitem"')


#: The other edition of each language: its language code, its folder beside this one, its own name.
LANGUAGES = {
    "en": {"lang": "nl", "dir": "html-nl", "label": "Nederlands", "hint": "Deze pagina in het Nederlands"},
    "nl": {"lang": "en", "dir": "html", "label": "English", "hint": "This page in English"},
}


def _language_switch(app, pagename, templatename, context, doctree) -> None:
    """A link on every page to the same page in the other language (the book's sibling folder).

    The English book is ``_build/html``, the Dutch one ``_build/html-nl`` beside it (an edition:
    ``_build/editions/<slug>/html`` and ``html-nl``), so the link is relative and works offline and
    served alike. It sits in the theme's announcement bar, at the top of every page.
    """
    if not app.config.werk_language_switch:
        return
    other = LANGUAGES[_BOOK_LANG["lang"]]
    up = "../" * (pagename.count("/") + 1)
    href = f"{up}{other['dir']}/{pagename}.html"
    context["theme_announcement"] = (
        f'<a class="werk-lang-switch" href="{href}" hreflang="{other["lang"]}" lang="{other["lang"]}">'
        f'{other["hint"]}</a>')


#: A span of Dutch text: MyST's ``[woorden]{.nl}`` (attrs_inline passes only ids and classes on).
_DUTCH_SPAN = re.compile(r'<span class="((?:[^"]* )?nl(?: [^"]*)?)">')


def _dutch_lang(app, pagename, templatename, context, doctree) -> None:
    """Mark Dutch passages with ``lang="nl"`` (WCAG 2.1 SC 3.1.2, language of parts).

    The book is in English and quotes the article in Dutch. A screen reader reads a passage in the
    language its ``lang`` names; without it, *helemaal niet* is read with English sounds. The pages
    mark a Dutch passage as a span of class ``nl``; here it gets its ``lang``.
    """
    body = context.get("body")
    if body and 'class="' in body:
        context["body"] = _DUTCH_SPAN.sub(r'<span class="\1" lang="nl">', body)


def _pdf_button(app, pagename, templatename, context, doctree) -> None:
    """A link to the book's PDF in every page's header, when the build put one beside the HTML.

    ``werk build --pdf`` builds the PDF first and copies it into the HTML tree; the staged
    ``_config.yml`` then names it (``html_context.werk_pdf``). Without a PDF there is no link, so
    none is broken. Runs after sphinx-book-theme's own buttons (priority 501).
    """
    name = context.get("werk_pdf")
    buttons = context.get("header_buttons")
    if not name or buttons is None:
        return
    buttons.append({
        "type": "link",
        "url": context["pathto"](str(name), 1),
        "text": "PDF",
        "tooltip": ("Het hele boek als pdf" if _BOOK_LANG["lang"] == "nl"
                    else "Download the whole book as PDF"),
        "icon": "fas fa-file-pdf",
        "label": "download-book-pdf-button",
    })


def face(env, docname: str) -> tuple:
    """What other pages show of ``docname``: title, table of contents, and the targets it defines."""
    title = env.titles.get(docname)
    toc = env.tocs.get(docname)
    targets = []
    for domain in env.domains.values():
        for name, dispname, kind, doc, anchor, _prio in domain.get_objects():
            if doc == docname:
                targets.append((domain.name, str(name), str(dispname), str(kind), str(anchor)))
    std = env.domaindata.get("std", {})
    for store in ("labels", "anonlabels"):
        for name, value in std.get(store, {}).items():
            if value and value[0] == docname:
                targets.append((store, str(name), repr(value)))
    return (
        title.astext() if title is not None else None,
        toc.pformat() if toc is not None else None,
        tuple(sorted(targets)),
    )


def _outdated(app, env, added, changed, removed) -> list[str]:
    """Note pages that came or went (the navigation of every page changes)."""
    app.werk_came_or_went = sorted(set(added) | set(removed)) if env.all_docs else []
    return []


def _before_read(app, env, docnames) -> None:
    """Note the face of every page about to be read again, and the book's numbering."""
    if not env.all_docs:  # a first build writes every page anyway
        app.werk_faces = None
        return
    app.werk_faces = {d: face(env, d) for d in docnames if d in env.all_docs}
    app.werk_numbers = (dict(env.toc_secnumbers), dict(env.toc_fignumbers))


def _changed_faces(app, env) -> list[str]:
    """After reading (and numbering): every page, when a page's face or the numbering changed."""
    before = getattr(app, "werk_faces", None)
    if before is None:  # nothing was read
        return []
    numbers = (dict(env.toc_secnumbers), dict(env.toc_fignumbers))
    changed = [d for d, old in before.items() if face(env, d) != old]
    why = ""
    came_or_went = getattr(app, "werk_came_or_went", [])
    if came_or_went:
        why = f"pages came or went ({', '.join(came_or_went)})"
    elif changed:
        why = f"what other pages show of {', '.join(changed)} changed"
    elif numbers != app.werk_numbers:
        why = "the numbering of sections or figures changed"
    app.werk_faces = None
    if not why:
        return []
    logger.info(f"werk: {why}: writing every page")
    return sorted(env.found_docs)


class _CompiledTemplates:
    """Jinja's compiled HTML templates, kept for the next book this process compiles.

    Each compile is a new Sphinx application with a new Jinja environment, which compiles the
    theme's templates again (a third of a second of a prose edit's rebuild in ``werk serve``, whose
    compiler stays warm, and of every book after the first in a :class:`werk.build.pipeline.CompilePool`
    worker). Jinja's bytecode cache stores each template's code with the checksum of its source and
    uses it only while the source is unchanged, so a page renders to the same bytes.
    """

    def __init__(self) -> None:
        import jinja2

        class Cache(jinja2.BytecodeCache):
            def __init__(self) -> None:
                self.code: dict[str, bytes] = {}

            def load_bytecode(self, bucket) -> None:
                if bucket.key in self.code:
                    bucket.bytecode_from_string(self.code[bucket.key])

            def dump_bytecode(self, bucket) -> None:
                self.code[bucket.key] = bucket.bytecode_to_string()

        self.cache = Cache()

    def __call__(self, app) -> None:
        environment = getattr(getattr(app.builder, "templates", None), "environment", None)
        if environment is not None and environment.bytecode_cache is None:
            environment.bytecode_cache = self.cache


#: One per process: the templates' code outlives the Sphinx application that compiled it.
_TEMPLATES: _CompiledTemplates | None = None


def _reuse_templates(app) -> None:
    global _TEMPLATES
    if _TEMPLATES is None:
        _TEMPLATES = _CompiledTemplates()
    _TEMPLATES(app)


#: The Dutch book's sphinxcontrib-bibtex styles (``translations.configure`` names them): author-year citations
#: and the bibliography's entries with "en" between two authors ("Bondarouk en Meijerink (2019)"), "(red.)"
#: for editors and "Rapport" for a report.
DUTCH_STYLES = {"reference": "author_year_nl", "bibliography": "plain_nl"}


def _register_dutch_styles() -> None:
    from pybtex.plugin import register_plugin
    from pybtex.style.formatting import toplevel
    from pybtex.style.formatting.plain import Style as Plain
    from pybtex.style.formatting.unsrt import date
    from pybtex.style.template import field, first_of, join, names, optional_field, sentence, words
    from sphinxcontrib.bibtex.plugin import register_plugin as register_referencing
    from sphinxcontrib.bibtex.style.referencing import PersonStyle
    from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle

    def dutch_person():
        return PersonStyle(sep2=" en ", last_sep=" en ")

    class AuthorYearNl(AuthorYearReferenceStyle):
        def __init__(self, **kwargs):
            kwargs.setdefault("person", dutch_person())
            super().__init__(**kwargs)

    class PlainNl(Plain):
        """pybtex's plain style with its own words in Dutch: "en", "(red.)", "Rapport"."""

        def format_names(self, role, as_sentence=True):
            formatted = names(role, sep=", ", sep2=" en ", last_sep=" en ")
            return sentence[formatted] if as_sentence else formatted

        def format_editor(self, e, as_sentence=True):
            editors = self.format_names("editor", as_sentence=False)
            if "editor" not in e.persons:
                return editors  # the template raises FieldIsMissing, as the plain style's does
            result = join(sep=" ")[editors, "(red.)"]
            return sentence[result] if as_sentence else result

        def get_techreport_template(self, e):
            return toplevel[
                sentence[self.format_names("author")],
                self.format_title(e, "title"),
                sentence[words[first_of[optional_field("type"), "Rapport"], optional_field("number")],
                         field("institution"), optional_field("address"), date],
                sentence[optional_field("note")],
                self.format_web_refs(e),
            ]

    # sphinxcontrib-bibtex keeps its referencing styles apart from pybtex's plugins
    register_referencing("sphinxcontrib.bibtex.style.referencing", DUTCH_STYLES["reference"], AuthorYearNl)
    register_plugin("pybtex.style.formatting", DUTCH_STYLES["bibliography"], PlainNl)


#: env -> docname -> its doctree as read, for :func:`_doctrees_read_once` (not in the pickled env).
_READ_DOCTREES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _reading_once(orig):
    """``orig`` (a method taking the env second) with ``env.get_doctree`` answering from one copy per page."""

    def method(self, env, *args, **kwargs):
        read = env.get_doctree
        seen = _READ_DOCTREES.setdefault(env, {})

        def once(docname):
            if docname not in seen:
                seen[docname] = read(docname)
            return seen[docname]

        env.get_doctree = once
        try:
            return orig(self, env, *args, **kwargs)
        finally:
            del env.get_doctree  # the class's method again

    method._werk = True
    return method


def _doctrees_read_once() -> None:
    """Let Sphinx unpickle each page's doctree once for numbering figures and resolving ``{numref}``.

    The standard domain (Sphinx 7.4) looks up a numbered target with ``env.get_doctree(docname).ids``,
    which unpickles the whole page every time: the book's 57 references cost about 2 s of a 10 s compile,
    for every edition and language. Numbering the figures (the toctree collector's
    ``assign_figure_numbers``) unpickles every page once more. Both only read the pages, so one copy per
    page serves them all; the pages Sphinx writes still get their own copy.
    """
    from sphinx.domains.std import StandardDomain
    from sphinx.environment.collectors.toctree import TocTreeCollector

    for cls, name in ((StandardDomain, "_resolve_numref_xref"), (TocTreeCollector, "assign_figure_numbers")):
        if not getattr(getattr(cls, name), "_werk", False):
            setattr(cls, name, _reading_once(getattr(cls, name)))


def _settings_once() -> None:
    """Let MyST make the default settings of a new document once per parser, not once per paragraph.

    MyST-Parser 3's renderer evaluates ``make_document()`` as the default of ``options.get("document", …)``
    whenever it renders a piece of Markdown, even when it is given the document: docutils then builds its
    option parser anew each time (``get_default_settings``). A translated book parses every message again
    (Sphinx's i18n transform), about 370 times for the Dutch book: 0.8 s of a compile, for every edition.
    The settings made are the same every time, so each document gets a copy of one made once.
    """
    import copy

    from docutils.utils import new_document
    from myst_parser.mdit_to_docutils import base

    orig = base.make_document
    if getattr(orig, "_werk", False):
        return
    made: dict = {}

    def make_document(source_path="notset", parser_cls=base.RSTParser):
        if parser_cls not in made:
            made[parser_cls] = orig(source_path, parser_cls).settings
        return new_document(source_path, settings=copy.copy(made[parser_cls]))

    make_document._werk = True
    base.make_document = make_document


class _DomXml:
    """:func:`sphinx.util.nodes.repr_domxml`, computed only when a debug message is written."""

    __slots__ = ("args",)

    def __init__(self, *args) -> None:
        self.args = args

    def __str__(self) -> str:
        return _REPR_DOMXML(*self.args)

    __repr__ = __str__


_REPR_DOMXML = None


def _lazy_domxml() -> None:
    """Let Sphinx's i18n skip the XML of nodes it only names in debug messages that nobody reads.

    ``sphinx.util.nodes.is_translatable`` (Sphinx 7.4) passes ``repr_domxml(node)`` to ``logger.debug`` for
    every node it skips, so the XML is made before the logger drops the message: about 8,000 times in a
    Dutch compile. The argument now makes it when the message is formatted, which is never at our
    verbosity; a debug log (``-vv``) reads the same.
    """
    global _REPR_DOMXML
    from sphinx.util import nodes

    if isinstance(nodes.repr_domxml, type):
        return
    _REPR_DOMXML = nodes.repr_domxml
    nodes.repr_domxml = _DomXml


def setup(app):
    _doctrees_read_once()
    _settings_once()
    _lazy_domxml()
    app.connect("builder-inited", _reuse_templates)
    _register_dutch_styles()
    app.add_transform(_OutputsStayAsRun)
    _glue_in_msgstr()
    app.connect("builder-inited", _note_language)
    app.connect("doctree-read", _translate_toc_captions, priority=100)
    app.add_config_value("werk_language_switch", False, "html")
    app.connect("html-page-context", _language_switch)
    app.connect("html-page-context", _dedupe_scripts)
    app.connect("doctree-resolved", _alt_from_png)
    app.connect("html-page-context", _drop_vanished_words)
    app.connect("html-page-context", _bibliography_roles)
    app.connect("html-page-context", _dutch_lang)
    app.connect("html-page-context", _pdf_button, priority=600)
    app.connect("env-get-outdated", _outdated)
    app.connect("env-before-read-docs", _before_read)
    # After Sphinx's own numbering (the toctree collector's handler of the same event runs first).
    app.connect("env-get-updated", _changed_faces, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
