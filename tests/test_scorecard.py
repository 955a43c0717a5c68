"""poslib.scorecard: a chapter's claims as one record, with the verdict words the book's scorecard shows."""
from __future__ import annotations

import importlib
import json

import pytest

from poslib import cache, chapter, claims, scorecard
from poslib.claims import Finding

F = Finding("good", "A is above B", "x", "above", 0.1, paper="paper says so", headline=True)
DECLARED = [
    F,
    Finding("bad", "C is above D", "x", "above", 0.1, binding=False, note="the paper's statement, compared with"),
    Finding("shaky", "E is above F", "x", "above", 0.1, binding=False, note="not robust: failed on seeds 11-13"),
    Finding("dep", "G differs from the paper", "x", "above", 0.0, kind="departure", note="predicted: ..."),
    Finding("ident", "H is exact", "x", "identity", kind="sanity"),
]


def measured() -> claims.Claims:
    c = claims.Claims("Chapter X", DECLARED)
    c.record("ident", holds=True, ours="max |x| 0")
    c.record("good", [0.5, 0.6], 0.2)
    c.record("bad", [0.0, 0.05], 0.2)
    c.record("shaky", [0.5, 0.6], 0.2)
    c.record("dep", [0.1], 0.5)
    return c


def test_verdict_words():
    c = measured()
    words = {k: scorecard.verdict(o) for k, o in c.outcomes.items()}
    assert words == {"good": "reproduced", "bad": "not reproduced", "shaky": "not robust", "dep": "departure",
                     "ident": "holds"}
    assert set(words.values()) - {"holds", "fails"} <= set(scorecard.VERDICTS)


def test_rows_follow_the_declaration_grouped_by_kind():
    rows = scorecard.claim_rows(measured())
    assert [r["key"] for r in rows] == ["good", "bad", "shaky", "ident", "dep"]
    good = rows[0]
    assert good["headline"] and good["holds"] and good["paper"] == "paper says so"
    assert good["anchor"] == claims.anchor("good") == "claim-good"
    assert rows[3]["kind"] == "sanity" and rows[4]["holds"] is False


def test_counts_keep_sanity_checks_apart_from_findings():
    c = scorecard.counts(scorecard.claim_rows(measured()))
    assert c["findings"] == 3 and c["binding"] == 1
    assert (c["reproduced"], c["not reproduced"], c["not robust"]) == (1, 1, 1)
    assert (c["departures"], c["departures held"]) == (1, 0)
    assert (c["sanity checks"], c["sanity checks hold"]) == (1, 1)


def test_record_is_plain_json_with_the_run():
    rec = scorecard.record(measured(), seconds=12.34)
    again = json.loads(json.dumps(rec))
    assert again == rec
    run = rec["run"]
    assert run["profile"] == "smoke" and run["seconds"] == 12.3 and run["finished"].endswith("UTC")
    assert {"cache_hits", "cache_made", "cpu", "precision", "seeds", "torch", "poslib"} <= set(run)
    assert "Chapter X: 3 findings (1 reproduced)" in repr(scorecard.Record(rec))
    assert scorecard.Record(rec)._repr_mimebundle_()[scorecard.MIME] is rec


def test_finish_logs_every_claim_with_its_verdict_and_run(tmp_path, monkeypatch):
    log = tmp_path / "claims.jsonl"
    monkeypatch.setenv("POSLIB_CLAIMS_LOG", str(log))
    c = measured()
    with pytest.raises(claims.ClaimFailed):  # the departure "dep" fails; the log is written before the verdict
        chapter.finish(c)
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["key"] for r in rows] == [r["key"] for r in scorecard.claim_rows(c)]
    assert all(r["chapter"] == "Chapter X" and r["profile"] == "smoke" and r["precision"] in ("fp32", "bf16")
               for r in rows)
    assert {r["key"]: r["verdict"] for r in rows}["shaky"] == "not robust"


def test_cache_counts_hits_and_made(tmp_path, monkeypatch):
    monkeypatch.setenv("POSLIB_CACHE", str(tmp_path))
    before = dict(cache.COUNTS)
    cache.load_or_make("count-test", {"a": 1}, lambda: {"x": 1}, "poslib.scorecard")
    cache.load_or_make("count-test", {"a": 1}, lambda: {"x": 1}, "poslib.scorecard")
    assert cache.COUNTS["made"] == before["made"] + 1 and cache.COUNTS["hits"] == before["hits"] + 1


@pytest.mark.parametrize("module", ["hypothesis", "padding_ablations", "border_tasks", "semantics", "downstream",
                                    "channels", "your_network"])
def test_every_chapter_names_one_binding_headline_finding(module):
    declared = importlib.import_module(f"poslib.findings.{module}").declare()
    heads = [f for f in declared if f.headline]
    assert len(heads) == 1, f"{module}: {len(heads)} headline findings; mark exactly one (Finding(headline=True))"
    assert heads[0].kind == "finding" and heads[0].binding, f"{module}: the headline must be a binding finding"
