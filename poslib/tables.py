"""Our measurements set beside the paper's, as tables (every chapter)."""
from __future__ import annotations

from typing import Sequence

import numbers

import pandas as pd


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
