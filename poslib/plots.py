"""Figures and tables with one look across the book: the same colour map for every position map (every chapter)."""
from __future__ import annotations

from typing import Optional, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

#: The colour map of every position map in the book (targets and predictions), on [0, 1].
POSITION_CMAP = "viridis"
#: The colour map of error maps.
ERROR_CMAP = "magma"
#: Accuracy and IoU maps of Chapter 3 (per grid cell), kept apart from the position and error maps.
ACCURACY_CMAP = "cividis"


def setup() -> None:
    """Display defaults for the book: PNG figures, readable sizes, and tables that show every cell's full
    text (claims and paper-vs-ours tables hold sentences) (every chapter)."""
    try:
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("png")
    except Exception:  # outside IPython
        pass
    plt.rcParams.update({"figure.dpi": 100, "savefig.dpi": 100, "font.size": 9, "axes.titlesize": 9,
                         "figure.titlesize": 11})
    pd.set_option("display.max_colwidth", None)


def _np(x) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().float().numpy()
    x = np.asarray(x)
    if x.ndim == 4 and x.shape[0] == 1:
        x = x[0]
    if x.ndim == 3 and x.shape[0] in (1, 3):
        x = np.moveaxis(x, 0, -1)
    if x.ndim == 3 and x.shape[-1] == 1:
        x = x[..., 0]
    return x


def map_grid(rows: Sequence[Sequence], row_labels: Sequence[str] = (), col_labels: Sequence[str] = (),
             title: str = "", cmap: str = POSITION_CMAP, vmin: float = 0.0, vmax: float = 1.0,
             cbar_label: str = "position value", cell: float = 1.35,
             cell_titles: Optional[Sequence[Sequence[str]]] = None) -> plt.Figure:
    """A grid of images and maps: RGB images shown as they are, 2-D maps in ``cmap`` with one colour bar.

    ``rows`` is a list of rows, each a list of (3, H, W) images or (H, W) maps; ``None`` leaves a cell
    empty (every chapter).
    """
    nr, nc = len(rows), max(len(r) for r in rows)
    fig, axes = plt.subplots(nr, nc, figsize=(cell * nc + 0.9, cell * nr + 0.5), squeeze=False)
    mappable = None
    for i, row in enumerate(rows):
        for j in range(nc):
            ax = axes[i][j]
            ax.set_xticks([])
            ax.set_yticks([])
            item = row[j] if j < len(row) else None
            if item is None:
                for side in ax.spines.values():
                    side.set_visible(False)
                if j == 0 and i < len(row_labels):
                    ax.set_ylabel(row_labels[i])
                continue
            a = _np(item)
            if a.ndim == 3:
                ax.imshow(np.clip(a, 0, 1))
            else:
                mappable = ax.imshow(a, cmap=cmap, vmin=vmin, vmax=vmax)
            if cell_titles is not None and cell_titles[i][j]:
                ax.set_title(cell_titles[i][j], fontsize=7)
            if i == 0 and j < len(col_labels) and cell_titles is None:
                ax.set_title(col_labels[j])
            if j == 0 and i < len(row_labels):
                ax.set_ylabel(row_labels[i])
    if title:
        fig.suptitle(title)
    fig.tight_layout(rect=(0, 0, 0.9, 1))
    if mappable is not None:
        cax = fig.add_axes((0.915, 0.15, 0.015, 0.7))
        fig.colorbar(mappable, cax=cax, label=cbar_label)
    return fig


def bars(values: dict, errors: Optional[dict] = None, title: str = "", ylabel: str = "SPC",
         xlabel: str = "", ylim: tuple = (-0.1, 1.0), ax: Optional[plt.Axes] = None) -> plt.Figure:
    """Grouped bars: ``values[group][series] = number`` (every chapter)."""
    groups = list(values)
    series = list(dict.fromkeys(s for g in groups for s in values[g]))
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(max(4.0, 0.9 * len(groups) * max(1, len(series)) / 2 + 2), 3.2))
    width = 0.8 / len(series)
    x = np.arange(len(groups))
    for k, s in enumerate(series):
        v = [values[g].get(s, np.nan) for g in groups]
        e = None if errors is None else [errors[g].get(s, 0.0) for g in groups]
        ax.bar(x + (k - (len(series) - 1) / 2) * width, v, width, yerr=e, label=s, capsize=2)
    ax.set_xticks(x, groups)
    ax.set_ylabel(ylabel)
    ax.set_xlabel(xlabel)
    ax.set_ylim(*ylim)
    ax.axhline(0, color="k", lw=0.6)
    ax.set_title(title)
    ax.legend(fontsize=7, ncol=min(len(series), 4))
    if fig is not None:
        fig.tight_layout()
    return ax.figure


def ranked_bars(seeds: pd.DataFrame, key: str, order: Sequence[str], title: str, ylabel: str, xlabel: str = "",
                value: str = "spc", chance: Optional[float] = None, ax: Optional[plt.Axes] = None) -> plt.Figure:
    """Bars of the mean ± SD of ``value`` per group of ``key`` (in ``order``) over a tidy per-seed table, with
    every seed as a dot (every chapter that ranks), and a dashed line at ``chance``."""
    fig, ax = plt.subplots(figsize=(max(5.0, 0.8 * len(order) + 1.5), 3.2)) if ax is None else (None, ax)
    for i, name in enumerate(order):
        v = seeds.loc[seeds[key] == name, value].to_numpy(dtype=float)
        ax.bar(i, v.mean(), yerr=v.std(ddof=1) if len(v) > 1 else 0.0, capsize=3, color="tab:blue")
        ax.scatter([i] * len(v), v, color="k", s=8, zorder=3)
    ax.set_xticks(range(len(order)), order, rotation=20)
    ax.set(ylabel=ylabel, xlabel=xlabel, title=title)
    ax.axhline(0, color="k", lw=0.6)
    if chance is not None:
        ax.axhline(chance, color="k", ls="--", lw=0.8, label="chance")
        ax.legend(fontsize=7)
    if fig is not None:
        fig.tight_layout()
    return ax.figure


def curves(table, x: str, y: str, hue: str, title: str, xlabel: str, ylabel: str, chance: Optional[float] = None,
           ax: Optional[plt.Axes] = None, ylim: Optional[tuple] = None) -> plt.Figure:
    """Mean ± SD of ``y`` against ``x``, one line per ``hue``, over the rows (seeds) of a tidy table;
    a dashed line at ``chance``. The y axis spans 0 to 1 (``ylim`` None), reaching below 0 when a mean does."""
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.2, 3.2))
    for name, g in table.groupby(hue, sort=False):
        stats = g.groupby(x)[y].agg(["mean", "std", "count"]).sort_index()
        err = stats["std"].where(stats["count"] > 1, 0.0).fillna(0.0)
        ax.errorbar(stats.index, stats["mean"], yerr=err, marker="o", ms=3.5, capsize=3, label=str(name))
    if chance is not None:
        ax.axhline(chance, color="k", ls="--", lw=0.8, label="chance")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    lowest = float(table.groupby([hue, x])[y].mean().min())
    ax.set_ylim(*(ylim or (0.0 if lowest >= 0 else lowest - 0.05, 1.02)))
    ticks = sorted(table[x].unique())
    ax.set_xticks(ticks if len(ticks) <= 12 else ticks[:: -(-len(ticks) // 8)])
    ax.legend(fontsize=7, ncol=2)
    if fig is not None:
        fig.tight_layout()
    return ax.figure


def embedding(points: dict, colours: dict, title: str, cmaps: Optional[dict] = None, cell: float = 2.6) -> plt.Figure:
    """2-D scatter plots: one row per entry of ``points`` (name -> (n, 2) coordinates), one column per entry of
    ``colours`` (name -> (n,) values that colour the points), each column with its colour bar."""
    rows, cols = list(points), list(colours)
    fig, axes = plt.subplots(len(rows), len(cols), figsize=(cell * len(cols) + 1.2 * len(cols), cell * len(rows) + 0.6),
                             squeeze=False)
    for j, c in enumerate(cols):
        v = np.asarray(colours[c])
        cmap = (cmaps or {}).get(c, "tab10" if v.dtype.kind in "iu" and v.max() < 10 else POSITION_CMAP)
        for i, r in enumerate(rows):
            ax = axes[i][j]
            xy = _np(points[r])
            sc = ax.scatter(xy[:, 0], xy[:, 1], c=v, cmap=cmap, s=4, alpha=0.7, linewidths=0)
            ax.set(title=f"{r}: coloured by {c}", xlabel="component 1", ylabel="component 2")
            ax.set_xticks([])
            ax.set_yticks([])
            fig.colorbar(sc, ax=ax, label=c, fraction=0.046)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def effects(table: pd.DataFrame, label: str, value: str, title: str, xlabel: str) -> plt.Figure:
    """Horizontal bars of the mean ± SD of ``value`` per ``label`` (in table order) over a tidy per-seed table,
    every seed as a dot: green where the mean is above 0 (helps), red where below (hurts)."""
    order = list(dict.fromkeys(table[label]))
    fig, ax = plt.subplots(figsize=(7.0, 0.45 * len(order) + 1.2))
    for i, name in enumerate(order):
        v = table.loc[table[label] == name, value].to_numpy(dtype=float)
        ax.barh(i, v.mean(), xerr=v.std(ddof=1) if len(v) > 1 else 0.0, capsize=3,
                color="tab:green" if v.mean() >= 0 else "tab:red", alpha=0.8)
        ax.scatter(v, [i] * len(v), color="k", s=8, zorder=3)
    ax.set_yticks(range(len(order)), order)
    ax.invert_yaxis()
    ax.axvline(0, color="k", lw=0.8)
    ax.set(xlabel=xlabel, title=title)
    fig.tight_layout()
    return fig
