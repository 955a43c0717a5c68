"""A chapter's run as one record: every claim with its verdict, and how, where and when the chapter ran.

:func:`record` turns a chapter's :class:`~poslib.claims.Claims` into plain data; the chapter glues it into its
page (key :data:`GLUE_KEY`), and the book's scorecard, front page and status page are generated from those
records when the book is built (``_ext/book_pages.py``), so no verdict or run time is ever typed by hand.
"""
from __future__ import annotations

import datetime
import platform
from typing import Any

import torch

from . import cache, claims, config

#: The glue key under which every chapter stores its record, and the record's MIME type (a ``+json`` type, so
#: that notebook files may hold it as JSON under glue's prefix).
GLUE_KEY = "poslib_scorecard"
MIME = "application/vnd.poslib.scorecard+json"
#: A finding's verdict, as the scorecard shows it; sanity checks are listed apart, as holding or failing.
VERDICTS: tuple[str, ...] = ("reproduced", "not reproduced", "not robust", "departure")


def verdict(outcome: claims.Outcome) -> str:
    """The scorecard's word for a recorded claim: ``reproduced`` / ``not reproduced`` for findings,
    ``not robust`` for findings declared so (whatever this run measured), ``departure`` for departures, and
    ``holds`` / ``fails`` for sanity checks."""
    f = outcome.finding
    if f.kind == "sanity":
        return "holds" if outcome.holds else "fails"
    if f.kind == "departure":
        return "departure"
    if f.note.startswith("not robust"):
        return "not robust"
    return "reproduced" if outcome.holds else "not reproduced"


def claim_rows(checked: claims.Claims) -> list[dict[str, Any]]:
    """One plain dict per recorded claim: key, kind, binding, headline, statement, rule, ours, paper, note,
    whether it held in this run, the scorecard verdict and the anchor of the cell that measured it."""
    rows = []
    for o in checked.ordered():
        f = o.finding
        rows.append({"key": f.key, "kind": f.kind, "binding": f.binding, "headline": f.headline,
                     "statement": f.statement, "rule": f.rule_text, "ours": o.ours, "paper": f.paper,
                     "note": f.note, "holds": o.holds, "verdict": verdict(o), "anchor": claims.anchor(f.key)})
    return rows


def counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    """How many findings have each verdict, how many departures held, how many sanity checks hold."""
    findings = [r for r in rows if r["kind"] == "finding"]
    out = {v: sum(r["verdict"] == v for r in findings) for v in VERDICTS if v != "departure"}
    departures = [r for r in rows if r["kind"] == "departure"]
    sanity = [r for r in rows if r["kind"] == "sanity"]
    out.update({"findings": len(findings), "binding": sum(r["binding"] for r in findings),
                "departures": len(departures), "departures held": sum(r["holds"] for r in departures),
                "sanity checks": len(sanity), "sanity checks hold": sum(r["holds"] for r in sanity)})
    return out


def run_info(seconds: float) -> dict[str, Any]:
    """How the chapter ran: profile, seeds, numeric path, device, CPU features, versions, run time, when it
    finished (UTC) and how many trained results came from the cache or were made afresh."""
    p = config.get_profile()
    return {"profile": p.name, "seeds": list(p.seeds), "precision": config.precision(),
            "device": str(config.device()), "cpu": config.cpu_features(), "python": platform.python_version(),
            "torch": torch.__version__, "poslib": config.VERSION, "seconds": round(float(seconds), 1),
            "finished": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "cache_hits": cache.COUNTS["hits"], "cache_made": cache.COUNTS["made"]}


def record(checked: claims.Claims, seconds: float) -> dict[str, Any]:
    """A chapter's scorecard record: its name, every claim (:func:`claim_rows`), the counts and the run."""
    rows = claim_rows(checked)
    return {"chapter": checked.chapter, "claims": rows, "counts": counts(rows), "run": run_info(seconds)}


class Record:
    """A record that displays as JSON data (:data:`MIME`, so glue stores it as data) and as a one-line summary."""

    def __init__(self, data: dict[str, Any]):
        self.data = data

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, Any]:
        return {MIME: self.data, "text/plain": repr(self)}

    def __repr__(self) -> str:
        c = self.data["counts"]
        return (f"{self.data['chapter']}: {c['findings']} findings ({c['reproduced']} reproduced), "
                f"{c['sanity checks']} sanity checks, {c['departures']} departures")


def glue(checked: claims.Claims, seconds: float) -> dict[str, Any]:
    """Store the chapter's record in its page for the book's generated pages (hidden); returns the record."""
    from myst_nb import glue as _glue

    data = record(checked, seconds)
    _glue(GLUE_KEY, Record(data), display=False)
    return data
