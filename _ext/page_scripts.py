"""Sphinx extension: each page loads each script once.

With Jupyter Book 1 (sphinx-thebe 0.3), the inline script that declares ``const THEBE_JS_URL`` is added to
every page twice (with two priorities), and the browser reports "Identifier 'THEBE_JS_URL' has already been
declared" on every page. This drops duplicates (same file and attributes, inline body included, whatever the
priority) from each page's script list, keeping the first.
"""
from __future__ import annotations


def dedupe(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if scripts:
        seen, kept = set(), []
        for js in scripts:
            key = (str(getattr(js, "filename", js) or ""), tuple(sorted(getattr(js, "attributes", {}).items())))
            if key not in seen:
                seen.add(key)
                kept.append(js)
        context["script_files"] = kept


def setup(app):
    app.connect("html-page-context", dedupe, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
