"""Heat maps with their values written in, in the book's accuracy colour map: a k x k map per grid or lattice
(:func:`cell_maps`), and small stage-by-step tables in panels (:func:`stage_maps`)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .plots import ACCURACY_CMAP


def _write_values(ax: plt.Axes, values: np.ndarray, vmin: float, vmax: float) -> None:
    """Write each entry of a heat map on its cell, light on the dark end of the colour map, dark on the light end."""
    for (i, j), v in np.ndenumerate(values):
        ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=6,
                color="white" if v < vmin + 0.6 * (vmax - vmin) else "black")


def cell_maps(maps: dict, title: str, vmin: float = 0.0, vmax: float = 1.0, cmap: str = ACCURACY_CMAP,
              cbar_label: str = "accuracy", cell: float = 1.6) -> plt.Figure:
    """k x k heat maps with their values written in, one panel per name, one colour bar (Chapter 3)."""
    names = list(maps)
    fig, axes = plt.subplots(1, len(names), figsize=(cell * len(names) + 1.0, cell + 0.7), squeeze=False)
    im = None
    for ax, name in zip(axes[0], names):
        m = np.asarray(maps[name], dtype=float)
        im = ax.imshow(m, cmap=cmap, vmin=vmin, vmax=vmax)
        if m.shape[0] <= 7:
            _write_values(ax, m, vmin, vmax)
        ax.set_title(name, fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0, 0.9, 1))
    cax = fig.add_axes((0.915, 0.15, 0.015, 0.65))
    fig.colorbar(im, cax=cax, label=cbar_label)
    return fig


def stage_maps(rows: dict, title: str, xlabel: str, ylabel: str, cmap: str = ACCURACY_CMAP, vmin: float = 0.0,
               vmax: float = 1.0, cbar_label: str = "accuracy", cell: float = 1.7) -> plt.Figure:
    """Small heat maps with their values written in: ``rows[row][column]`` is a (levels, steps) table (a
    DataFrame, whose index and columns label the axes), one row of panels per ``row``, one colour bar."""
    names = list(rows)
    cols = list(dict.fromkeys(c for r in names for c in rows[r]))
    fig, axes = plt.subplots(len(names), len(cols), figsize=(cell * len(cols) + 1.4, (cell + 0.35) * len(names) + 0.8),
                             squeeze=False)
    im = None
    for i, r in enumerate(names):
        for j, c in enumerate(cols):
            ax, t = axes[i][j], rows[r].get(c)
            if t is None:
                ax.axis("off")
                continue
            t = pd.DataFrame(t)
            im = ax.imshow(t.to_numpy(dtype=float), cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
            _write_values(ax, t.to_numpy(dtype=float), vmin, vmax)
            ax.set_xticks(range(t.shape[1]), [str(v) for v in t.columns])
            ax.set_yticks(range(t.shape[0]), [str(v) for v in t.index])
            ax.set_title(f"{c}", fontsize=8)
            if i == len(names) - 1:
                ax.set_xlabel(xlabel)
            if j == 0:
                ax.set_ylabel(ylabel)
                ax.annotate(r, xy=(0, 1.2), xycoords="axes fraction", fontsize=9,
                            fontweight="bold").set_in_layout(False)
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0, 0.9, 0.94), h_pad=3.0)
    cax = fig.add_axes((0.915, 0.15, 0.015, 0.65))
    fig.colorbar(im, cax=cax, label=cbar_label)
    return fig
