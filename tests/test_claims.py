"""poslib.claims and poslib.findings: the rules that judge a chapter's measurements, and that every declared
finding of every chapter can fail the chapter."""
from __future__ import annotations

import numpy as np
import pytest

from poslib import claims, config, findings

# ----------------------------------------------------------------------------- judge(), rule by rule


@pytest.mark.parametrize("a, b, margin, holds", [
    ([0.75, 1.0], [0.25, 0.5], 0.25, True),      # every seed above, mean gap 0.5 > 0.25
    ([0.5, 1.0], [0.25, 0.5], 0.0, False),       # lowest A equals highest B: not strictly above
    ([1.0, 0.25], [0.375, 0.0], 0.0, False),     # mean gap 0.4375, but the seeds overlap
    ([1.0, 1.0], [0.5, 0.5], 0.5, False),        # mean gap exactly the margin: not more
    ([1.0, 1.0], [0.5, 0.5], 0.375, True),
    ([0.9], [0.1], 0.3, True),                   # one seed each
    ([0.1, 0.1, 0.1], [0.9, 0.9, 0.9], 0.0, False),  # the wrong way round
])
def test_judge_separated(a, b, margin, holds):
    ok, text = claims.judge("separated", a, b, margin)
    assert ok is holds
    assert " vs " in text and f"(n={len(a)})" in text


@pytest.mark.parametrize("a, b, margin, holds", [
    ([0.75, 1.0], 0.5, 0.125, True),
    ([0.75, 1.0], 0.5, 0.25, False),  # lowest seed exactly at B + margin: not above
    ([0.25, 1.0], 0.5, 0.0, False),   # one seed below, though the mean is above
    ([0.5], None, 0.25, True),        # B defaults to 0
    ([-1.0, -1.0, -1.0], 0.0, 0.0, False),
])
def test_judge_above(a, b, margin, holds):
    ok, text = claims.judge("above", a, b, margin)
    assert ok is holds
    assert "min" in text


@pytest.mark.parametrize("a, b, margin, holds", [
    ([0.5, 0.75], 0.5, 0.25, True),   # highest seed exactly at B + margin: at most
    ([0.5, 0.75], 0.5, 0.125, False),
    ([0.0, 0.0], 0.0, 0.0, True),
    ([0.0, 0.25], 0.0, 0.0, False),   # one seed above, though the mean is small
    ([2.0, 2.0, 2.0], 0.0, 0.3, False),
])
def test_judge_at_most(a, b, margin, holds):
    ok, text = claims.judge("at_most", a, b, margin)
    assert ok is holds
    assert "max" in text


@pytest.mark.parametrize("a, b, margin, holds", [
    ([0.25, 1.0], 0.5, 0.25, True),   # lowest seed exactly at B - margin: not below
    ([0.25, 1.0], 0.5, 0.125, False),
    ([0.0, 0.0], 0.0, 0.0, True),     # equal is not below
    ([-0.125, 0.5], 0.0, 0.0, False),
    ([-1.0, -1.0, -1.0], 0.0, 0.0, False),
])
def test_judge_not_below(a, b, margin, holds):
    ok, text = claims.judge("not_below", a, b, margin)
    assert ok is holds
    assert "min" in text


@pytest.mark.parametrize("levels, margin, holds", [
    ([[0.0, 0.25], [0.5, 0.75], [1.0, 1.25]], 0.25, True),
    ([[0.0, 0.25], [0.5, 0.75], [1.0, 1.25]], 0.5, False),  # every step exactly the margin: not more
    ([[0.0, 0.0], [0.5, 0.5]], 0.0, True),
    ([[0.0, 0.0, 0.0], [1.0, 1.0, -0.5]], 0.0, False),      # the mean rises, one seed falls
    ([[0.0, 0.0], [0.5, 0.5], [0.5, 0.5]], 0.0, False),      # a flat step does not rise
    ([[2.0] * 3, [1.0] * 3, [0.0] * 3], 0.0, False),
    ([0.0, 1.0, 2.0], 0.0, True),                           # 1-D: one seed
    ([0.0, 2.0, 1.0], 0.0, False),
])
def test_judge_rises(levels, margin, holds):
    ok, text = claims.judge("rises", levels, margin=margin)
    assert ok is holds
    assert text.count("→") == len(levels) - 1


def test_judge_identity_needs_holds_and_empty_seeds_are_refused():
    with pytest.raises(ValueError, match="holds="):
        claims.judge("identity", [1.0])
    with pytest.raises(ValueError, match="one number per seed"):
        claims.judge("above", [], 0.0)


@pytest.mark.parametrize("path, units", [("fp32", 64), ("bf16", 8)])
def test_identity_tolerance_is_units_of_the_paths_epsilon(monkeypatch, path, units):
    monkeypatch.setenv("POSLIB_PRECISION", path)
    assert claims.identity_tolerance() == units * config.eps()
    # float32 keeps room for reordered sums; bfloat16's is a few roundings, far below the values' scale
    assert claims.identity_tolerance() < (1e-5 if path == "fp32" else 0.1)


def test_mean_sd_text():
    assert claims.mean_sd([0.5]) == "0.500 (n=1)"
    assert claims.mean_sd(0.5) == "0.500 (n=1)"
    assert claims.mean_sd([1.0, 2.0, 3.0]) == "2.000 ± 1.000 (n=3)"  # sample SD (n - 1)


def test_rule_text_shows_the_margin():
    f = claims.Finding("k", "s", "q", "separated", 0.05)
    assert f.rule_text == claims.RULES["separated"].format(m="0.05")
    assert set(claims.RULES) == {"separated", "above", "at_most", "rises", "not_below", "identity"}


# ----------------------------------------------------------------------------- every chapter's declarations

MODULES = {"hypothesis": findings.hypothesis, "padding_ablations": findings.padding_ablations,
           "border_tasks": findings.border_tasks, "semantics": findings.semantics, "downstream": findings.downstream,
           "channels": findings.channels, "your_network": findings.your_network}
BOOK = config.get_profile("book")

#: Per rule: arguments of ``record`` on the right side of the claim and on the wrong side (book margins <= 0.3).
RIGHT = {
    "separated": dict(a=[0.9, 0.9, 0.9], b=[0.1, 0.1, 0.1]),
    "above": dict(a=[1.0, 1.0, 1.0], b=0.0),
    "at_most": dict(a=[0.0, 0.0, 0.0], b=0.0),
    "not_below": dict(a=[0.0, 0.0, 0.0], b=0.0),
    "rises": dict(a=[[0.0] * 3, [1.0] * 3, [2.0] * 3]),
    "identity": dict(holds=True, ours="exact"),
}
WRONG = {
    "separated": dict(a=[0.1, 0.1, 0.1], b=[0.9, 0.9, 0.9]),
    "above": dict(a=[-1.0, -1.0, -1.0], b=0.0),
    "at_most": dict(a=[2.0, 2.0, 2.0], b=0.0),
    "not_below": dict(a=[-1.0, -1.0, -1.0], b=0.0),
    "rises": dict(a=[[2.0] * 3, [1.0] * 3, [0.0] * 3]),
    "identity": dict(holds=False, ours="broken"),
}


def _declared(module: str) -> list[claims.Finding]:
    return MODULES[module].declare(BOOK)


def _cases(binding: bool, identity: bool) -> list[tuple[str, str]]:
    return [(m, f.key) for m in MODULES for f in _declared(m)
            if f.binding == binding and (f.rule == "identity") == identity]


def _ids(cases):
    return [f"{m}-{k}" for m, k in cases]


def _record_all(module: str, wrong: str | None = None) -> claims.Claims:
    """The chapter's Claims with every declared claim recorded on its right side, except ``wrong``."""
    c = claims.Claims(module, _declared(module), BOOK)
    for key, f in c.declared.items():
        assert c.record(key, **(WRONG if key == wrong else RIGHT)[f.rule]) is (key != wrong), key
    return c


@pytest.mark.parametrize("module", list(MODULES))
def test_every_claim_on_the_right_side_passes(module):
    c = _record_all(module)
    c.assert_all()
    assert "✘" not in c.verdicts() and "✘" not in c.verdicts(reported=True)
    counts = c.counts()
    assert counts["checked"].sum() == len(c.declared)
    assert (counts["binding, hold"] == counts["binding"]).all()


BINDING = _cases(binding=True, identity=False)


@pytest.mark.parametrize("module, key", BINDING, ids=_ids(BINDING))
def test_a_flipped_finding_fails_the_chapter(module, key):
    c = _record_all(module, wrong=key)
    statement = c.declared[key].statement
    with pytest.raises(claims.ClaimFailed) as err:
        c.assert_all()
    message = str(err.value)
    assert message.startswith(f"1 claim(s) of {module} failed")
    assert f"✘ [{c.declared[key].kind}] {statement}: ours" in message
    assert f"✘ [{c.declared[key].kind}] {statement}" in c.verdicts().splitlines()


BINDING_IDENTITIES = _cases(binding=True, identity=True)


@pytest.mark.parametrize("module, key", BINDING_IDENTITIES, ids=_ids(BINDING_IDENTITIES))
def test_a_broken_sanity_check_fails_the_chapter(module, key):
    c = _record_all(module, wrong=key)
    with pytest.raises(claims.ClaimFailed) as err:
        c.assert_all()
    assert f"{c.declared[key].statement}: ours broken" in str(err.value)


REPORTED = _cases(binding=False, identity=False) + _cases(binding=False, identity=True)


@pytest.mark.parametrize("module, key", REPORTED, ids=_ids(REPORTED))
def test_a_reported_finding_on_the_wrong_side_does_not_fail_the_chapter(module, key):
    c = _record_all(module, wrong=key)
    c.assert_all()
    f = c.declared[key]
    assert not c.outcomes[key].holds
    lines = c.verdicts(reported=True).splitlines()
    mine = [line for line in lines if line.endswith(f"] {f.statement}")]
    assert len(mine) == 1 and mine[0].startswith("✘ (reported: not reproduced")
    assert not any(line.endswith(f"] {f.statement}") for line in c.verdicts().splitlines())


def test_there_are_flips_for_every_chapter():
    assert {m for m, _ in BINDING} == set(MODULES)
    assert len(BINDING) >= 10


@pytest.mark.parametrize("module", list(MODULES))
def test_declarations_are_well_formed(module):
    declared = _declared(module)
    keys = [f.key for f in declared]
    assert len(keys) == len(set(keys))
    for f in declared:
        assert f.statement.strip() and f.quantity.strip(), f.key
        if f.kind == "finding":
            assert f.paper.strip(), f"finding {f.key!r} says nothing of the paper"
        if not f.binding or f.kind == "departure":
            assert f.note.strip(), f"{f.key!r} should say why it is reported, or what it predicts"
        assert f.margin >= 0
    table = claims.Claims(module, declared, BOOK).declarations()
    assert len(table) == len(declared) and list(table.columns) == ["kind", "claim", "quantity", "rule", "paper"]


@pytest.mark.parametrize("module", list(MODULES))
def test_declarations_take_only_the_margins_from_the_profile(module):
    by_profile = {name: MODULES[module].declare(config.get_profile(name)) for name in config.PROFILES}
    keys = {name: [f.key for f in fs] for name, fs in by_profile.items()}
    assert keys["smoke"] == keys["book"] == keys["paper"]
    for name, fs in by_profile.items():
        allowed = {0.0, *claims.margins(config.get_profile(name)).values()}
        assert all(f.margin in allowed for f in fs), name


def test_chapters_declare_disjoint_statements():
    statements = [f.statement for m in MODULES for f in _declared(m)]
    assert len(statements) == len(set(statements))
    assert np.all([s == s.strip() for s in statements])


def test_said_follows_the_verdict():
    from poslib import claims
    c = claims.Claims("T", [claims.Finding("up", "A above B", "x", "separated", 0.0),
                            claims.Finding("down", "B above A", "x", "separated", 0.0)])
    c.record("up", [2, 3], [0, 1])
    c.record("down", [0, 1], [2, 3])
    assert c.said("up") == "holds" and c.said("down", "is reproduced", "is not reproduced") == "is not reproduced"
    with pytest.raises(KeyError, match="not been recorded"):
        claims.Claims("T", [claims.Finding("k", "s", "x", "above")]).said("k")
