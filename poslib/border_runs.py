"""Which border-task networks a profile trains, and their scores as tidy tables.

:func:`plan` names the padding modes of every experiment in a profile (the ``paper`` profile runs them
all); the ``*_scores`` functions train (or load) the networks of one experiment over seeds through
:func:`poslib.border_tasks.run` and return one row per network and seed, ready for ``tables.mean_sd``,
``tables.per_seed`` and the claims.
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from . import border_tasks, config, glyphs, grids, metrics, padding

#: The padding modes the border tasks compare: all of :data:`padding.MODES` but the resize emulation, which
#: stretches the input instead of giving a convolution a border, and extrapolating padding, which joined the
#: book after Chapter 3 was measured (Chapter 2 ranks it).
ALL_MODES: tuple[str, ...] = tuple(m for m in padding.MODES if m not in ("resize", "extrapolate"))


def full(profile: Optional[config.Profile] = None) -> bool:
    """Whether ``profile`` runs every mode at every target cell and grid size (the ``paper`` profile)."""
    return (profile or config.get_profile()).name == "paper"


def plan(profile: Optional[config.Profile] = None) -> dict[str, tuple[str, ...]]:
    """The padding modes each experiment trains in ``profile``: task 1 at k=3 always runs every mode; the
    other experiments run the modes their findings compare, unless the profile is :func:`full`."""
    every = full(profile)
    return {
        "task 1, k=3, black canvas": ALL_MODES,
        "task 1, k=5, black canvas": ALL_MODES if every else ("zeros", "reflect", "valid"),
        "task 1, k=5, white and mean canvases": ALL_MODES if every else ("zeros",),
        "task 2, k=3": ALL_MODES if every else ("zeros", "circular"),
        "task 3, k=3": ALL_MODES if every else ("zeros", "circular"),
    }


def what_where_sizes(profile: Optional[config.Profile] = None) -> tuple[int, ...]:
    """The grid sizes k of task 2: 3, 5 and 7 in a :func:`full` profile, else 3."""
    return (3, 5, 7) if full(profile) else (3,)


def target_cells(k: int, mode: str, edge: bool = True, profile: Optional[config.Profile] = None) -> list[int]:
    """The target cells of tasks 2 and 3: the corner cell of every ring (ring 0 .. centre), plus a mid-edge
    cell of ring 0 when ``edge``. Circular padding cannot tell cells apart (task 1 shows it), so every target
    cell poses it the same problem up to a circular shift: outside a full profile it runs at the corner only."""
    cells = grids.ring_cells(k) + (grids.ring_cells(k, edge=True)[:1] if edge else [])
    return cells[:1] if mode == "circular" and not full(profile) else cells


def cell_kind(k: int, cell: int) -> str:
    """``corner``, ``mid-edge``, ``centre`` or ``ring r``: what a cell of a k x k grid is, in words."""
    if cell == 0:
        return "corner"
    if cell == k * k // 2:
        return "centre"
    r = grids.ring(k, cell)
    return "mid-edge" if r == 0 else f"ring {r}"


def _accuracy(run: dict) -> float:
    return float((run["pred"] == run["labels"]).float().mean())


def where_scores(k: int, modes: Sequence[str], seeds: Sequence[int], canvas: str = "black",
                 profile: Optional[config.Profile] = None) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Task 1 on a k x k grid over ``modes`` and ``seeds``: the accuracy of every ring (the mean of its cells:
    the distance curve), the accuracy over all test canvases, and per mode the (k, k) accuracy of every cell
    averaged over seeds."""
    rings, overall, cells = [], [], {}
    for mode in tqdm(modes, desc=f"where k={k} {canvas}"):
        for seed in seeds:
            r = border_tasks.run("where", mode, k, seed, canvas=canvas, profile=profile)
            acc = metrics.cell_accuracy(r["pred"], r["labels"], k)
            cells.setdefault(mode, []).append(acc)
            rings += [{"mode": mode, "k": k, "canvas": canvas, "seed": seed, "ring": ring, "accuracy": a}
                      for ring, a in enumerate(metrics.ring_means(acc))]
            overall.append({"mode": mode, "k": k, "canvas": canvas, "seed": seed, "accuracy": _accuracy(r)})
    return pd.DataFrame(rings), pd.DataFrame(overall), {m: np.mean(v, axis=0) for m, v in cells.items()}


def what_where_scores(modes: Sequence[str], seeds: Sequence[int],
                      profile: Optional[config.Profile] = None) -> pd.DataFrame:
    """Task 2 at every grid size of :func:`what_where_sizes` and every :func:`target_cells`: one row per
    mode, k, target cell and seed, with the cell's kind and ring and the accuracy."""
    rows = []
    for k in what_where_sizes(profile):
        for mode in tqdm(modes, desc=f"what-at-where k={k}"):
            for target in target_cells(k, mode, profile=profile):
                for seed in seeds:
                    r = border_tasks.run("what_where", mode, k, seed, target=target, profile=profile)
                    rows.append({"mode": mode, "k": k, "target": target, "ring": grids.ring(k, target),
                                 "cell": cell_kind(k, target), "seed": seed, "accuracy": _accuracy(r)})
    return pd.DataFrame(rows)


def segmentation_scores(modes: Sequence[str], seeds: Sequence[int],
                        profile: Optional[config.Profile] = None) -> tuple[pd.DataFrame, dict, float]:
    """Task 3 at k=3 over every :func:`target_cells` (no mid-edge): one row per mode, target and seed with
    mIoU and the class-blind foreground IoU; the first seed's first test canvas, truth and prediction per
    (mode, target); and the mIoU of predicting background everywhere."""
    rows, examples, labels = [], {}, None
    for mode in tqdm(modes, desc="segmentation"):
        for target in target_cells(3, mode, edge=False, profile=profile):
            for seed in seeds:
                r = border_tasks.run("segment", mode, 3, seed, target=target, profile=profile)
                rows.append({"mode": mode, "target": target, "ring": grids.ring(3, target), "seed": seed,
                             "mIoU": metrics.miou(r["pred"], r["labels"]),
                             "foreground IoU": metrics.foreground_iou(r["pred"], r["labels"])})
                if seed == seeds[0]:
                    examples[(mode, target)] = (r["task"].images[0], r["labels"][0], r["pred"][0])
                labels = r["labels"]
    return pd.DataFrame(rows), examples, metrics.miou(torch.zeros_like(labels), labels)


def placements(k: int, n: int = 60, profile: Optional[config.Profile] = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` held-out patches, each placed in every cell of a black k x k canvas: images (n*k*k, 3, H, W)
    and the cell of each (row-major, cycling fastest)."""
    x, _ = glyphs.patches(n, border_tasks.sizes(profile).patch, seed=border_tasks.test_seed(profile), split="test")
    cells = torch.arange(k * k).repeat(n)
    return grids.place(x.repeat_interleave(k * k, 0), cells, k, "black"), cells


def invariance(modes: Sequence[str], seed: int, k: int = 3, profile: Optional[config.Profile] = None) -> pd.DataFrame:
    """For each mode's task-1 network: the share of patches it answers the same in every cell of
    :func:`placements`, and its accuracy over all of them, beside chance."""
    rows = []
    for mode in modes:
        net = border_tasks.run("where", mode, k, seed, profile=profile)["net"]
        x, cells = placements(k, profile=profile)
        pred = border_tasks.predict(net, x).view(-1, k * k)
        rows.append({"mode": mode, "k": k,
                     "patches answered the same in every cell": float((pred == pred[:, :1]).all(1).float().mean()),
                     "accuracy over all placements": float((pred.flatten() == cells).float().mean()),
                     "chance": 1 / (k * k)})
    return pd.DataFrame(rows).set_index(["mode", "k"])


def blind_ceiling(k: int, profile: Optional[config.Profile] = None) -> float:
    """The best task-2 accuracy without knowing where the target is: name the class seen most often in the
    grid, on the held-out canvases."""
    g = border_tasks.sizes(profile)
    t = border_tasks.dataset("what_where", g.test, k, g.patch, border_tasks.test_seed(profile), "test", target=0)[2]
    counts = torch.nn.functional.one_hot(t.classes, len(glyphs.PATCH_CLASSES)).sum(1)
    return float((counts.max(1).values.float() / k ** 2).mean())
