"""A small Sphinx extension for the book: every page loads each script once.

sphinx-thebe (which Jupyter Book always loads) registers its inline configuration script
once per environment read, and a rebuild in the same process read twice, so pages declared
``const THEBE_JS_URL`` twice and the browser raised a SyntaxError on every page. We drop
exact duplicates from each page's script list; nothing else changes.
"""

from __future__ import annotations


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


def setup(app):
    app.connect("html-page-context", _dedupe_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
