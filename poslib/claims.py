"""Claims as checks: each finding a chapter states is tested in code (every chapter).

A chapter records each claim with :meth:`Claims.check`: the statement, whether our measurement
supports it, our numbers and the paper's. At the end it shows :meth:`Claims.table` (numbers beside the
paper's), prints :meth:`Claims.verdicts` (statement and ✔/✘ only, identical in every profile, which the
tests compare) and calls :meth:`Claims.assert_all`, which raises when a claim fails, so a finding that
stops reproducing fails the book build and the tests instead of printing a worse number.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import config


class ClaimFailed(AssertionError):
    """Raised when a chapter's claim does not hold in the current run (every chapter)."""


@dataclass
class Claim:
    """One checked statement with our evidence and the paper's (every chapter)."""

    statement: str
    holds: bool
    ours: str
    paper: str
    binding: bool = True  # False: reported either way, never fails the chapter


class Claims:
    """The claims one chapter checks, in order (every chapter)."""

    def __init__(self, chapter: str, profile: config.Profile | None = None):
        self.chapter = chapter
        self.profile = profile or config.get_profile()
        self.items: list[Claim] = []

    def margin(self, name: str) -> float:
        """The profile's margin ``clear`` or ``large`` for "clearly above" / "far above" (every chapter)."""
        try:
            return float(self.profile.margins[name])
        except KeyError:
            raise ValueError(f"unknown margin {name!r}; this profile has {sorted(self.profile.margins)}") from None

    def check(self, statement: str, holds: bool, ours: str, paper: str) -> bool:
        """Record a claim and whether it holds; returns ``holds`` (every chapter)."""
        self.items.append(Claim(statement, bool(holds), ours, paper))
        return bool(holds)

    def report(self, statement: str, holds: bool, ours: str, paper: str) -> bool:
        """Record a paper statement that is reported either way and never fails the chapter (Chapter 2).

        For statements an issue asks to *report* (e.g. "zero padding is the best mode"), not to enforce:
        the table and verdicts say "reproduced" or "not reproduced", and :meth:`assert_all` ignores it.
        """
        self.items.append(Claim(statement, bool(holds), ours, paper, binding=False))
        return bool(holds)

    def above(self, statement: str, a: float, b: float, margin: str, ours: str, paper: str) -> bool:
        """Record the claim ``a > b + margin`` with the profile's named margin (every chapter)."""
        m = self.margin(margin)
        return self.check(statement, a > b + m, f"{ours} (needs a gap above {m:.2f})", paper)

    def separated(self, statement: str, a, b, margin: str, paper: str) -> bool:
        """Record that seeds ``a`` beat seeds ``b``: every one of them, and on average by the named margin (Ch. 2)."""
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        m = self.margin(margin)
        holds = bool(a.mean() - b.mean() > m and a.min() > b.max())
        sd = lambda v: v.std(ddof=1) if len(v) > 1 else 0.0  # noqa: E731
        ours = (f"{a.mean():.3f} ± {sd(a):.3f} vs {b.mean():.3f} ± {sd(b):.3f} (mean ± SD over {len(a)} seeds; "
                f"needs every seed above and a mean gap above {m:.2f})")
        return self.check(statement, holds, ours, paper)

    def table(self) -> pd.DataFrame:
        """Every claim with our numbers, the paper's, and the verdict (every chapter)."""
        return pd.DataFrame(
            [{"claim": c.statement, "ours": c.ours, "paper": c.paper, "holds": self._mark(c)} for c in self.items]
        )

    @staticmethod
    def _mark(c: Claim) -> str:
        mark = "✔" if c.holds else "✘"
        return mark if c.binding else f"{mark} (reported: {'reproduced' if c.holds else 'not reproduced'})"

    def verdicts(self) -> str:
        """One line per claim, ✔ or ✘ and the statement; no numbers, so every profile prints the same."""
        return "\n".join(f"{self._mark(c)} {c.statement}" for c in self.items)

    def assert_all(self) -> None:
        """Raise :class:`ClaimFailed` listing every claim that does not hold (every chapter)."""
        failed = [c for c in self.items if c.binding and not c.holds]
        if failed:
            lines = "\n".join(f"  ✘ {c.statement}: ours {c.ours}; paper {c.paper}" for c in failed)
            raise ClaimFailed(
                f"{len(failed)} claim(s) of {self.chapter} did not reproduce in the {self.profile.name!r} "
                f"profile:\n{lines}"
            )
