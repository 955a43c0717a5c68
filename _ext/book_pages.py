"""Sphinx extension: the book's generated pages (scorecard, chapter map, run status, a shared figure).

Every chapter ends with ``chapter.finish``, which glues its scorecard record (``poslib.scorecard``) into its
page. When the book is built, myst-nb writes each notebook's glued data to ``<output folder>/<doc>.glue.json``;
the directives below read those records, in table-of-contents order, once every page has been read, and turn
them into HTML. Nothing on these pages is typed by hand, and a chapter that joins the table of contents joins
the scorecard with no edit here.

Directives (no arguments unless stated):

* ``book-chapter-map``: each chapter's title, headline finding, its verdict and the chapter's counts.
* ``book-scorecard``: the counts per chapter and for the book, then every finding of every chapter with the
  paper's statement, ours, the verdict and a link to the cell that measured it; sanity checks apart.
* ``book-scorecard-summary``: the counts alone, per chapter and for the book.
* ``book-run-status``: how each chapter ran (profile, seeds, numeric path, time, cache hits, CPU), and the
  machine and versions that built the book.
* ``book-chapter-times``: each chapter's run time, as run for these pages (profile, seeds, device).
* ``book-figure DOC::KEY``: a figure a chapter glued (``chapter.share_figure``), shown on another page.

A chapter without a record (not executed, or failed) is a warning, so ``jupyter-book build -W`` fails.
"""
from __future__ import annotations

import base64
import datetime
import html
import json
import os
import platform
from importlib import metadata
from pathlib import Path

import torch
from docutils import nodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from poslib import config
from poslib.scorecard import GLUE_KEY, MIME

LOGGER = logging.getLogger(__name__)
VERDICT_CLASS = {"reproduced": "ok", "holds": "ok", "not reproduced": "bad", "fails": "bad",
                 "not robust": "weak", "departure": "departure"}


class book_page_slot(nodes.General, nodes.Element):
    """Where a generated table goes; replaced by HTML once every page has been read."""


def _visit_skip(self, node):
    raise nodes.SkipNode


class _Slot(SphinxDirective):
    kind = ""
    optional_arguments = 1
    final_argument_whitespace = True

    def run(self):
        self.env.book_pages_docs = getattr(self.env, "book_pages_docs", set()) | {self.env.docname}
        slot = book_page_slot(kind=self.kind, argument=(self.arguments or [""])[0])
        self.set_source_info(slot)
        return [slot]


def _directive(kind: str) -> type:
    return type(f"{kind}_directive", (_Slot,), {"kind": kind})


# ----------------------------------------------------------------------------------------------- the records
def _toc_order(env) -> list[str]:
    """Every document in table-of-contents order, depth first from the root."""
    seen, out = set(), []

    def walk(doc):
        if doc in seen:
            return
        seen.add(doc)
        out.append(doc)
        for child in env.toctree_includes.get(doc, []):
            walk(child)

    walk(env.config.root_doc)
    return out


def _glue(env, doc: str) -> dict:
    path = Path(env.mystnb_config.output_folder).joinpath(*doc.split("/")[:-1], doc.split("/")[-1] + ".glue.json")
    return json.loads(path.read_text()) if path.exists() else {}


def _records(env) -> list[tuple[str, dict]]:
    """(doc, record) of every notebook page that glued a scorecard record, in toc order."""
    out = []
    for doc in _toc_order(env):
        entry = _glue(env, doc).get(GLUE_KEY)
        if entry is not None:
            out.append((doc, entry["data"][MIME]))
    return out


def _chapter_docs(env) -> list[str]:
    """Notebook pages in the toc (the chapters), whether or not they glued a record."""
    return [d for d in _toc_order(env) if Path(env.doc2path(d)).suffix == ".ipynb"]


# -------------------------------------------------------------------------------------------------- HTML
def _e(text) -> str:
    return html.escape(str(text))


def _table(head: list[str], rows: list[list[str]], cls: str) -> str:
    th = "".join(f"<th>{h}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f'<table class="table book-pages {cls}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def _verdict(v: str, holds: bool | None = None) -> str:
    extra = ""
    if v in ("not robust", "departure") and holds is not None:
        extra = " (held in this run)" if holds else " (did not hold in this run)"
    return f'<span class="verdict verdict-{VERDICT_CLASS.get(v, "weak")}">{_e(v)}</span>{_e(extra)}'


def _link(builder, from_doc: str, to_doc: str, text: str, anchor: str = "") -> str:
    uri = builder.get_relative_uri(from_doc, to_doc) + (f"#{anchor}" if anchor else "")
    return f'<a class="reference internal" href="{_e(uri)}">{text}</a>'


def _title(env, doc: str) -> str:
    return env.titles[doc].astext() if doc in env.titles else doc


def _counts_cells(c: dict) -> list[str]:
    return [str(c["findings"]), str(c["reproduced"]), str(c["not reproduced"]), str(c["not robust"]),
            f'{c["departures held"]} / {c["departures"]}', f'{c["sanity checks hold"]} / {c["sanity checks"]}']


COUNT_HEAD = ["findings", "reproduced", "not reproduced", "not robust", "departures held",
              "sanity checks hold"]


def chapter_map(app, doc: str, records) -> str:
    rows = []
    for d, rec in records:
        c = rec["counts"]
        head = [r for r in rec["claims"] if r["headline"]] or [r for r in rec["claims"] if r["kind"] == "finding"][:1]
        h = head[0] if head else None
        rows.append([_link(app.builder, doc, d, _e(_title(app.env, d))),
                     _link(app.builder, doc, d, _e(h["statement"]), h["anchor"]) if h else "",
                     _verdict(h["verdict"], h["holds"]) if h else "",
                     f'{c["reproduced"]} of {c["findings"]}'])
    return _table(["chapter", "headline finding", "verdict", "findings reproduced"], rows, "book-chapter-map")


def summary(app, doc: str, records) -> str:
    """The counts of every chapter and, in bold, of the book."""
    total, rows = {}, []
    for d, rec in records:
        c = rec["counts"]
        for k, v in c.items():
            total[k] = total.get(k, 0) + v
        rows.append([_link(app.builder, doc, d, _e(_title(app.env, d)))] + _counts_cells(c))
    if records:
        rows.append(["<strong>the book</strong>"] + [f"<strong>{x}</strong>" for x in _counts_cells(total)])
    return _table(["chapter"] + COUNT_HEAD, rows, "book-scorecard-counts")


def scorecard(app, doc: str, records) -> str:
    parts = [summary(app, doc, records)]
    for d, rec in records:
        title = _e(_title(app.env, d))
        parts.append(f'<h3 class="book-pages-chapter" id="scorecard-{_e(d.replace("/", "-"))}">{title}</h3>')
        found = [r for r in rec["claims"] if r["kind"] != "sanity"]
        parts.append(_table(["finding", "paper", "ours", "verdict", "measured"], [
            [_e(r["statement"]) + ("" if r["binding"] else ' <span class="book-reported">(reported)</span>'),
             _e(r["paper"]), _e(r["ours"]), _verdict(r["verdict"], r["holds"]),
             _link(app.builder, doc, d, "where", r["anchor"])] for r in found], "book-scorecard-findings"))
        sanity = [r for r in rec["claims"] if r["kind"] == "sanity"]
        if sanity:
            parts.append("<p><em>Sanity checks (identities; not counted as findings):</em></p>")
            parts.append(_table(["sanity check", "ours", "verdict", "measured"], [
                [_e(r["statement"]), _e(r["ours"]), _verdict(r["verdict"]),
                 _link(app.builder, doc, d, "where", r["anchor"])] for r in sanity], "book-scorecard-sanity"))
    return "\n".join(parts)


def _build_machine() -> list[list[str]]:
    device = config.device()
    gpu = f"{device} ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else "none"
    rows = [["built", datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")],
            ["machine", f"{os.cpu_count()} CPU cores; {config.cpu_features()}"],
            ["GPU", gpu], ["Python", platform.python_version()]]
    for package in ("poslib", "torch", "torchvision", "numpy", "jupyter-book", "myst-nb", "sphinx"):
        try:
            rows.append([package, metadata.version(package)])
        except metadata.PackageNotFoundError:
            rows.append([package, "not installed"])
    return [[_e(a), _e(b)] for a, b in rows]


def run_status(app, doc: str, records) -> str:
    rows = []
    for d, rec in records:
        r = rec["run"]
        rows.append([_link(app.builder, doc, d, _e(_title(app.env, d))), _e(r["profile"]),
                     _e(", ".join(map(str, r["seeds"]))), _e(r["precision"]), f'{r["seconds"]:.0f} s',
                     _e(r["finished"]), f'{r["cache_hits"]} / {r["cache_made"]}', _e(r["cpu"]),
                     _e(f'torch {r["torch"]}, poslib {r["poslib"]}')])
    runs = _table(["chapter", "profile", "seeds", "numeric path", "run time", "finished", "cache: loaded / made",
                   "CPU", "versions"], rows, "book-run-status")
    return runs + "<p><em>The machine and versions that built these pages:</em></p>" + \
        _table(["", "value"], _build_machine(), "book-build-machine")


def chapter_times(app, doc: str, records) -> str:
    rows = []
    for d, rec in records:
        r = rec["run"]
        rows.append([_link(app.builder, doc, d, _e(_title(app.env, d))), f'{r["seconds"] / 60:.1f} min',
                     _e(f'{r["profile"]} profile, {len(r["seeds"])} seed(s), {r["precision"]}'),
                     _e(f'{r["device"]} ({r["cpu"]})')])
    return _table(["chapter", "run time", "as run", "on"], rows, "book-chapter-times")


def figure(app, doc: str, argument: str) -> str:
    source, _, key = argument.partition("::")
    source_doc = app.env.path2doc(str(Path(app.env.srcdir) / source)) if source else None
    data = _glue(app.env, source_doc).get(key) if source_doc else None
    if not data or "image/png" not in data["data"]:
        LOGGER.warning(f"book-figure: no figure glued as {key!r} in {source!r}", location=doc)
        return ""
    images = Path(app.outdir) / "_images"
    images.mkdir(parents=True, exist_ok=True)
    (images / f"{key}.png").write_bytes(base64.b64decode(data["data"]["image/png"]))
    uri = os.path.relpath(images / f"{key}.png", (Path(app.outdir) / doc).parent)
    caption = _link(app.builder, doc, source_doc, f"measured in {_e(_title(app.env, source_doc))}")
    return (f'<figure class="book-figure"><img src="{_e(uri)}" alt="{_e(key)}" style="max-width:100%">'
            f"<figcaption>{caption}</figcaption></figure>")


MAKERS = {"book-chapter-map": chapter_map, "book-scorecard": scorecard, "book-scorecard-summary": summary,
          "book-run-status": run_status,
          "book-chapter-times": chapter_times}


def fill_slots(app, doctree, docname: str) -> None:
    slots = list(doctree.findall(book_page_slot))
    if not slots:
        return
    records = _records(app.env)
    missing = [d for d in _chapter_docs(app.env) if d not in dict(records)]
    warned = False
    for slot in slots:
        if slot["kind"] == "book-figure":
            text = figure(app, docname, slot["argument"])
        else:
            for d in missing if not warned else ():  # once per page, not once per directive on it
                LOGGER.warning(f"{slot['kind']}: {d} has no scorecard record (was it executed, and did it reach "
                               f"chapter.finish?)", location=slot)
            warned = True
            text = MAKERS[slot["kind"]](app, docname, records)
        slot.replace_self(nodes.raw("", text, format="html"))


def always_outdated(app, env, added, changed, removed) -> list[str]:
    """Pages made from other pages' records are rewritten on every build."""
    return sorted(getattr(env, "book_pages_docs", set()) - set(removed))


def purge(app, env, docname: str) -> None:
    if hasattr(env, "book_pages_docs"):
        env.book_pages_docs.discard(docname)


def merge(app, env, docnames, other) -> None:
    env.book_pages_docs = getattr(env, "book_pages_docs", set()) | getattr(other, "book_pages_docs", set())


def setup(app):
    app.add_node(book_page_slot, html=(_visit_skip, None), latex=(_visit_skip, None), text=(_visit_skip, None))
    for kind in ("book-chapter-map", "book-scorecard", "book-scorecard-summary", "book-run-status", "book-chapter-times",
                 "book-figure"):
        app.add_directive(kind, _directive(kind))
    app.connect("doctree-resolved", fill_slots)
    app.connect("env-get-outdated", always_outdated)
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
