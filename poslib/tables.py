"""Our measurements set beside the paper's, as tables (every chapter)."""
from __future__ import annotations

from typing import Sequence

import numbers

import numpy as np
import pandas as pd

from . import claims


def beside(ours: pd.DataFrame, paper: pd.DataFrame, index: Sequence[str], columns: Sequence[str] | str,
           values: Sequence[str] = ("spc", "mae"), decimals: int = 3) -> pd.DataFrame:
    """One table: for each value, our number and the paper's side by side (every chapter).

    ``ours`` and ``paper`` are tidy tables sharing the ``index`` and ``columns`` fields; the result has
    a column for each (column, value, source) with source ``ours`` or ``paper``.
    """
    index, cols = list(index), [columns] if isinstance(columns, str) else list(columns)
    parts = []
    for source, df in (("ours", ours), ("paper", paper)):
        t = df.pivot_table(index=index, columns=cols, values=list(values), aggfunc="first", sort=False)
        t = t.reorder_levels(list(range(1, len(cols) + 1)) + [0], axis=1)
        t.columns = pd.MultiIndex.from_tuples([(*c, source) for c in t.columns])
        parts.append(t)
    out = pd.concat(parts, axis=1)
    order = list(dict.fromkeys(c[:-1] for c in out.columns))
    out = out[[(*c, s) for c in order for s in ("ours", "paper") if (*c, s) in out.columns]]
    return out.round(decimals)


def glue(name: str, value) -> None:
    """Glue a measured number into the chapter's text as a plain Python number (every chapter).

    myst-nb formats glued numbers (``{glue:text}`name:.3f```) from their text form, which for NumPy
    scalars is ``np.float64(...)``; this converts them first.
    """
    from myst_nb import glue as _glue

    if isinstance(value, numbers.Integral):
        value = int(value)
    elif isinstance(value, numbers.Real):
        value = float(value)
    _glue(name, value, display=False)


def mean_sd(frame: pd.DataFrame, by: Sequence[str] | str, value: str = "spc") -> pd.DataFrame:
    """Mean, sample standard deviation (n - 1 in the denominator) and n of ``value`` per group (Chapter 2)."""
    g = frame.groupby(by, sort=False)[value]
    return pd.DataFrame({"mean": g.mean(), "sd": g.std(ddof=1), "n": g.count()})


def mean_sd_text(frame: pd.DataFrame, by: Sequence[str] | str, values: Sequence[str] = ("spc", "mae"),
                 decimals: int = 3) -> pd.DataFrame:
    """Per group of ``by``, each of ``values`` as the text ``mean ± SD (n)`` over the group's rows (seeds);
    a tidy table with the ``by`` columns and one text column per value."""
    by = [by] if isinstance(by, str) else list(by)
    g = frame.groupby(by, sort=False)
    return g[list(values)].agg(lambda v: _mean_sd(v.dropna(), decimals)).reset_index()


def _mean_sd(v: pd.Series, decimals: int) -> str:
    return claims.mean_sd(v, decimals) if len(v) else "nan (n=0)"


def seed_means(scores: pd.DataFrame, by: Sequence[str] | str, input: str | Sequence[str] = "natural",
               targets: Sequence[str] | None = None, value: str = "spc") -> pd.DataFrame:
    """One row per group of ``by`` and seed: the mean of ``value`` over the target maps (all, or ``targets``)
    on test input(s) ``input``; a tidy table with the ``by`` columns, ``seed`` and ``value``."""
    by = [by] if isinstance(by, str) else list(by)
    rows = scores[scores["input"].isin([input] if isinstance(input, str) else list(input))]
    if targets is not None:
        rows = rows[rows["target"].isin(list(targets))]
    if rows.empty:
        raise KeyError(f"no scores on input {input!r} for targets {targets}")
    return rows.groupby(by + ["seed"], sort=False)[value].mean().reset_index()


def clearly_above(seeds: pd.DataFrame, key: str, order: Sequence[str], margin: float, value: str = "spc") -> list[str]:
    """For each group of ``key`` in ``order`` (best first), whether it lies clearly above the next one by the
    claims' ``separated`` rule with ``margin`` (every seed above every seed of the next, mean gap > margin)."""
    out = []
    for this, below in zip(order, list(order[1:]) + [None]):
        if below is None:
            out.append("")
            continue
        above, _ = claims.judge("separated", per_seed(seeds, value, **{key: this}),
                                per_seed(seeds, value, **{key: below}), margin)
        out.append("yes" if above else "no (seeds overlap or gap small)")
    return out


def per_seed(frame: pd.DataFrame, value: str = "spc", **where) -> np.ndarray:
    """One number per seed, in seed order: the mean of ``value`` over the rows of ``frame`` that match
    ``where`` (column = value; a list or tuple value matches any of its items)."""
    rows = frame
    for col, want in where.items():
        rows = rows[rows[col].isin(want)] if isinstance(want, (list, tuple)) else rows[rows[col] == want]
    if rows.empty:
        raise KeyError(f"no rows match {where}")
    return np.asarray(rows.groupby("seed")[value].mean().sort_index().values, dtype=float)


def mean_of(frame: pd.DataFrame, value: str, **where) -> float:
    """The mean over seeds of :func:`per_seed` (``value`` on the rows matching ``where``)."""
    return float(np.mean(per_seed(frame, value, **where)))


def network_row(net) -> dict:
    """A trained network's row in a chapter's table of networks: its training time (s) and whether it was
    loaded from the cache."""
    return {"train seconds": round(net.info.get("train_seconds", 0.0), 1), "loaded from cache": net.info.get("cached")}


def frames(rows: dict[str, list]) -> dict[str, pd.DataFrame]:
    """One table per name: the row lists of ``rows`` (dicts, or DataFrames to concatenate) as DataFrames."""
    return {k: (pd.concat(v, ignore_index=True) if v and isinstance(v[0], pd.DataFrame) else pd.DataFrame(v))
            for k, v in rows.items()}
