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

from sphinx.util import logging

logger = logging.getLogger(__name__)


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
        "tooltip": "Download the whole book as PDF",
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


def setup(app):
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
