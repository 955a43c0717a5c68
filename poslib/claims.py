"""Claims as checks: each chapter declares what it expects before it measures, then fills in numbers.

A chapter builds its list of :class:`Finding` declarations first (statement, the quantity compared, the
rule, the direction, the margin and what the paper says), in :mod:`poslib.findings`; nothing in a
declaration may depend on a measured value. The measuring cells then call :meth:`Claims.record` with
the numbers, one per seed where there are seeds, and the rule decides. Three kinds are kept apart:

* **findings**: the paper's claims and ours. Binding ones fail the chapter when they do not hold;
  reported ones (the paper's statements we only compare with, and findings shown *not robust* across
  seed sets or numeric paths) are printed either way.
* **sanity checks**: identities and exact invariances (a circular network cannot tell cells apart, an
  unpadded one turns a blank image into constant maps). Enforced, but not findings.
* **departures**: where our set-up predicts a different result from the paper's, with the prediction.

:meth:`Claims.assert_all` raises :class:`ClaimFailed` when a binding finding, sanity check or departure
does not hold, or when a declared one was never measured, so a finding that stops reproducing fails the
book build and the tests.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np
import pandas as pd

from . import config

KINDS: tuple[str, ...] = ("finding", "sanity", "departure")
#: Rules a finding can be judged by, with the text the page shows for each.
RULES = {
    "separated": "every seed of A above every seed of B, and mean(A) − mean(B) > {m}",
    "above": "every seed of A above B + {m}",
    "at_most": "every seed of A at most B + {m}",
    "rises": "on every seed, A rises at each step by more than {m}",
    "not_below": "on every seed, A ≥ B − {m}",
    "identity": "holds exactly, up to the numeric path's rounding",
}
#: The "clearly above" and "far above" margins each profile's sizes can support (smoke runs one seed on
#: small budgets, so its margins are smaller; a finding's rule and direction are the same in every profile).
MARGINS: dict[str, dict[str, float]] = {
    "smoke": {"clear": 0.02, "large": 0.1},
    "book": {"clear": 0.05, "large": 0.3},
    "paper": {"clear": 0.05, "large": 0.3},
}
#: How far an exact identity may miss, relative to the values' scale, in units of the path's epsilon. float32:
#: sums added in other orders by other kernels (64: 7.6e-6). bfloat16 autocast rounds each layer's output to 8
#: bits, and another order may move a few of those roundings one step (8: 0.0625; 64 would allow half the scale).
IDENTITY_ULPS: dict[str, int] = {"fp32": 64, "bf16": 8}


def identity_tolerance() -> float:
    """The relative tolerance of a sanity check for an exact identity on the active numeric path:
    :data:`IDENTITY_ULPS` units of its epsilon."""
    return IDENTITY_ULPS[config.precision()] * config.eps()


def margins(profile: Optional[config.Profile] = None) -> dict[str, float]:
    """The ``clear`` and ``large`` margins of ``profile`` (default: the active one)."""
    return MARGINS[(profile or config.get_profile()).name]


class ClaimFailed(AssertionError):
    """Raised when a chapter's binding claim does not hold, or was declared and never measured."""


@dataclass(frozen=True)
class Finding:
    """One declared claim: what is compared, by which rule, with which margin, and what the paper says."""

    key: str
    statement: str
    quantity: str
    rule: str
    margin: float = 0.0
    paper: str = ""
    kind: str = "finding"
    binding: bool = True
    note: str = ""  # why a finding is only reported (e.g. "not robust: ..."), or a departure's prediction
    headline: bool = False  # the chapter's headline finding, shown on the book's front page

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind!r}; use one of {', '.join(KINDS)}")
        if self.rule not in RULES:
            raise ValueError(f"unknown rule {self.rule!r}; use one of {', '.join(RULES)}")
        if self.kind == "sanity" and self.rule != "identity":
            raise ValueError(f"sanity check {self.key!r} must use the 'identity' rule")

    @property
    def rule_text(self) -> str:
        """The rule in words, with its margin."""
        return RULES[self.rule].format(m=f"{self.margin:.2f}")


@dataclass
class Outcome:
    """A declared finding with its measurement and verdict."""

    finding: Finding
    holds: bool
    ours: str


def _seeds(v) -> np.ndarray:
    a = np.atleast_1d(np.asarray(v, dtype=float))
    if a.ndim != 1 or a.size == 0:
        raise ValueError(f"need one number per seed, got {v!r}")
    return a


def mean_sd(v, decimals: int = 3) -> str:
    """``mean ± SD (n)`` of per-seed values (sample SD, n - 1); just the value when n = 1."""
    a = _seeds(v)
    if len(a) == 1:
        return f"{a[0]:.{decimals}f} (n=1)"
    return f"{a.mean():.{decimals}f} ± {a.std(ddof=1):.{decimals}f} (n={len(a)})"


def judge(rule: str, a, b=None, margin: float = 0.0) -> tuple[bool, str]:
    """Apply ``rule`` to per-seed values ``a`` (and ``b``); returns (holds, our numbers as text)."""
    if rule == "rises":
        steps = np.asarray(a, dtype=float)  # (levels, seeds)
        if steps.ndim == 1:
            steps = steps[:, None]
        holds = bool((np.diff(steps, axis=0) > margin).all())
        return holds, " → ".join(mean_sd(level) for level in steps)
    a = _seeds(a)
    if rule == "separated":
        b = _seeds(b)
        holds = bool(a.min() > b.max() and a.mean() - b.mean() > margin)
        return holds, f"{mean_sd(a)} vs {mean_sd(b)}"
    b = float(np.asarray(b, dtype=float)) if b is not None else 0.0
    if rule == "above":
        return bool(a.min() > b + margin), f"{mean_sd(a)}, min {a.min():.3f} vs {b:.3f}"
    if rule == "at_most":
        return bool(a.max() <= b + margin), f"{mean_sd(a)}, max {a.max():.3f} vs {b:.3f}"
    if rule == "not_below":
        return bool(a.min() >= b - margin), f"{mean_sd(a)}, min {a.min():.3f} vs {b:.3f}"
    raise ValueError(f"rule {rule!r} needs record(..., holds=...)")


def anchor(key: str) -> str:
    """The HTML id that marks the cell where claim ``key`` was measured (the scorecard links to it)."""
    return f"claim-{key}"


def _mark_cell(key: str) -> None:
    """In a Jupyter kernel, leave an invisible anchor in the current cell's output; elsewhere do nothing."""
    try:
        from IPython import get_ipython
        from IPython.display import HTML, display
    except ImportError:  # pragma: no cover - IPython comes with every Jupyter install
        return
    shell = get_ipython()
    if shell is not None and hasattr(shell, "kernel"):
        display(HTML(f'<span id="{anchor(key)}"></span>'))


class Claims:
    """The declared claims of one chapter and, once recorded, their verdicts."""

    def __init__(self, chapter: str, declared: Sequence[Finding], profile: Optional[config.Profile] = None):
        self.chapter = chapter
        self.profile = profile or config.get_profile()
        keys = [f.key for f in declared]
        if len(set(keys)) != len(keys):
            raise ValueError(f"{chapter}: duplicate claim keys {sorted(k for k in keys if keys.count(k) > 1)}")
        self.declared = {f.key: f for f in declared}
        self.outcomes: dict[str, Outcome] = {}

    def record(self, key: str, a=None, b=None, holds: Optional[bool] = None, ours: str = "") -> bool:
        """Measure the declared claim ``key``: per-seed values ``a`` (and ``b``) judged by its rule, or, for an
        identity, ``holds`` with ``ours`` describing the evidence. Returns whether it holds."""
        if key not in self.declared:
            raise KeyError(f"{self.chapter} declares no claim {key!r}; declare it before measuring it")
        if key in self.outcomes:
            raise ValueError(f"{self.chapter}: claim {key!r} was already recorded")
        f = self.declared[key]
        if f.rule == "identity":
            if holds is None:
                raise ValueError(f"identity {key!r} needs holds=True/False")
            ok, text = bool(holds), ours
        else:
            ok, text = judge(f.rule, a, b, f.margin)
            text = f"{text}; {ours}" if ours else text
        self.outcomes[key] = Outcome(f, ok, text)
        _mark_cell(key)
        return ok

    def said(self, key: str, yes: str = "holds", no: str = "does not hold") -> str:
        """``yes`` if the recorded claim ``key`` holds, else ``no``: for prose that must follow the verdict."""
        if key not in self.outcomes:
            raise KeyError(f"{self.chapter}: claim {key!r} has not been recorded yet")
        return yes if self.outcomes[key].holds else no

    def declarations(self) -> pd.DataFrame:
        """The declared claims, before any measurement: kind, statement, quantity, rule, paper."""
        return pd.DataFrame([{"kind": f.kind + ("" if f.binding else " (reported)"), "claim": f.statement,
                              "quantity": f.quantity, "rule": f.rule_text, "paper": f.paper}
                             for f in self.declared.values()])

    @staticmethod
    def _mark(o: Outcome) -> str:
        mark = "✔" if o.holds else "✘"
        if o.finding.binding:
            return mark
        why = f"; {o.finding.note}" if o.finding.note else ""
        return f"{mark} (reported: {'reproduced' if o.holds else 'not reproduced'}{why})"

    def table(self) -> pd.DataFrame:
        """Every recorded claim, grouped by kind, with our numbers, the paper's and the verdict."""
        rows = [{"kind": o.finding.kind, "claim": o.finding.statement, "rule": o.finding.rule_text,
                 "ours": o.ours, "paper": o.finding.paper, "verdict": self._mark(o)} for o in self.ordered()]
        return pd.DataFrame(rows)

    def counts(self) -> pd.DataFrame:
        """How many claims of each kind were checked, how many are binding, and how many hold."""
        rows = []
        for kind in KINDS:
            got = [o for o in self.outcomes.values() if o.finding.kind == kind]
            binding = [o for o in got if o.finding.binding]
            rows.append({"kind": kind, "checked": len(got), "binding": len(binding),
                         "binding, hold": sum(o.holds for o in binding),
                         "reported": len(got) - len(binding),
                         "reported, reproduced": sum(o.holds for o in got if not o.finding.binding)})
        return pd.DataFrame(rows).set_index("kind")

    def verdicts(self, reported: bool = False) -> str:
        """One line per claim, ✔ or ✘, kind and statement, no numbers: the binding ones (every profile
        prints the same, and the tests compare them), or with ``reported=True`` the reported ones."""
        lines = [f"{self._mark(o)} [{o.finding.kind}] {o.finding.statement}"
                 for o in self.ordered() if o.finding.binding != reported]
        return "\n".join(lines)

    def ordered(self) -> list[Outcome]:
        """Recorded outcomes grouped by kind, in the order they were declared."""
        return [self.outcomes[k] for kind in KINDS for k, f in self.declared.items()
                if f.kind == kind and k in self.outcomes]

    def assert_all(self) -> None:
        """Raise :class:`ClaimFailed` listing every binding claim that does not hold or was never measured."""
        missing = [k for k in self.declared if k not in self.outcomes]
        failed = [o for o in self.outcomes.values() if o.finding.binding and not o.holds]
        if missing or failed:
            lines = [f"  ✘ [{o.finding.kind}] {o.finding.statement}: ours {o.ours}; rule: {o.finding.rule_text}"
                     for o in failed] + [f"  ? {k}: declared but never measured" for k in missing]
            raise ClaimFailed(f"{len(failed) + len(missing)} claim(s) of {self.chapter} failed in the "
                              f"{self.profile.name!r} profile (seeds {self.profile.seeds}, numeric path "
                              f"{config.precision()}):\n" + "\n".join(lines))
