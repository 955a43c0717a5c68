"""Offline data of Chapter 3 ("Border tasks"): how well a CNN tells *where* a patch is, and *what* is in a given
place, as a function of the distance to the border. CIFAR-10 is not shipped, so :func:`patches` stands in for it:
the ten scikit-learn digits in a random colour, scale, place and angle over crops of the shipped photos, with train
and test splits that share no glyph sample and no photo. The grid helpers lay patches on a canvas of k x k cells
(:func:`place`, :func:`fill`), give each cell's distance to the border (:func:`ring`, :func:`rings`,
:func:`ring_cells`) and build the chapter's tasks: one patch's cell (:func:`where_task`), the class in a target
cell of a full grid (:func:`what_where_task`) and its segmentation (:func:`segmentation_task`: the same canvases
plus a mask from :func:`mask_for`).
"""
from __future__ import annotations

import math
import operator
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from . import data, metrics

#: The ten patch classes: the digits of ``sklearn.datasets.load_digits``.
PATCH_CLASSES: tuple[str, ...] = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
)
#: Canvas colours of the grid tasks; "mean" is the training photos' mean colour (:func:`data.mean_colour`).
CANVASES: tuple[str, ...] = ("black", "white", "mean")
#: Share of each digit's samples (in data-set order) kept for the ``train`` split; the rest is ``test``.
TRAIN_FRACTION = 0.7
#: Side of the glyph's 8 x 8 box as a fraction of the patch side: drawn uniformly in this range.
GLYPH_SPAN = (0.55, 0.9)
#: Largest rotation of a glyph, in degrees (either way).
MAX_ANGLE = 15.0
#: Glyph colour: the first of COLOUR_TRIES random colours whose largest RGB difference from the mean background
#: under the glyph is at least MIN_CONTRAST (if none is, white on dark or black on light backgrounds).
MIN_CONTRAST = 0.5
COLOUR_TRIES = 4
#: Background crops: side as a fraction of the (reduced) photo's short side.
CROP_SCALE = (0.15, 0.5)
#: Background texture is shrunk towards its mean by this factor, so that the glyph stands out (1 = as photographed).
BACKGROUND_CONTRAST = 0.5
#: Photos are first reduced to a short side of this many patch sides.
TEXTURE_SIDE = 4
#: Glyph opacity = clamp(ALPHA_GAIN * ink - (ALPHA_GAIN - 1) / 2, 0, 1): sharper edges than the soft 8 x 8 glyphs.
ALPHA_GAIN = 2.0


# ----------------------------------------------------------------------------------------------- checks

def _is_int(x: object) -> bool:
    """True for Python, NumPy and 0-d torch integers (not bools)."""
    if isinstance(x, bool):
        return False
    try:
        operator.index(x)
    except TypeError:
        return False
    return True


def _check_split(split: str) -> None:
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")


def _check_n(n: int) -> None:
    if not _is_int(n) or n < 1:
        raise ValueError(f"n must be an integer >= 1 (the number of samples), got {n!r}")


def _check_size(size: int) -> None:
    if not _is_int(size) or size < 8:
        raise ValueError(f"size must be an integer >= 8 (the patch side in pixels, e.g. 16 or 32), got {size!r}")


def _check_k(k: int) -> None:
    if not _is_int(k) or k < 1:
        raise ValueError(f"k must be an integer >= 1 (the grid has k x k cells), got {k!r}")


def _check_cell(k: int, cell: int) -> None:
    _check_k(k)
    if not _is_int(cell) or not 0 <= cell < k * k:
        raise ValueError(f"cell {cell!r} is outside a {k}x{k} grid; use a row-major integer index 0..{k * k - 1}")


def _generator(seed: int, salt: int, split: str = "train") -> torch.Generator:
    """An independent stream per (seed, purpose, split), so that e.g. class and cell orders are not correlated."""
    return torch.Generator().manual_seed((int(seed) * 1_000_003 + 2 * salt + (split == "test")) % (2**63))


def _balanced(n: int, classes: int, g: torch.Generator) -> Tensor:
    """``n`` labels in 0..classes-1, counts differing by at most one (the first classes get the extras), shuffled."""
    return (torch.arange(n) % classes)[torch.randperm(n, generator=g)]


# ---------------------------------------------------------------------------------------------- patches

@lru_cache(maxsize=None)
def _glyph_bank(split: str) -> tuple[Tensor, Tensor, Tensor]:
    """The split's digit glyphs (G, 1, 8, 8) in [0, 1], and per class a row of glyph indices and its count."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    glyphs = torch.from_numpy(digits.images.astype(np.float32) / 16.0)[:, None]
    rows = []
    for c in range(len(PATCH_CLASSES)):
        idx = np.flatnonzero(digits.target == c)
        cut = int(round(TRAIN_FRACTION * len(idx)))
        rows.append(idx[:cut] if split == "train" else idx[cut:])
    counts = torch.tensor([len(r) for r in rows])
    pool = torch.zeros(len(rows), int(counts.max()), dtype=torch.long)
    for c, r in enumerate(rows):
        pool[c, : len(r)] = torch.from_numpy(r)
    return glyphs, pool, counts


@lru_cache(maxsize=None)
def _texture_bank(split: str, size: int) -> tuple[Tensor, ...]:
    """The split's photos, reduced (anti-aliased) to a short side of max(64, TEXTURE_SIDE * size)."""
    side = max(64, TEXTURE_SIDE * size)
    out = []
    for p in data.photos(split):
        scale = side / min(p.shape[-2:])
        if scale < 1:
            hw = (max(side, round(p.shape[-2] * scale)), max(side, round(p.shape[-1] * scale)))
            p = F.interpolate(p[None], size=hw, mode="bilinear", antialias=True, align_corners=False)[0]
        out.append(p.clamp(0, 1).contiguous())
    return tuple(out)


def _backgrounds(n: int, size: int, split: str, g: torch.Generator) -> Tensor:
    """``n`` random square crops (random photo, place, scale, left-right flip) of the split's photos."""
    bank = _texture_bank(split, size)
    which = torch.randint(len(bank), (n,), generator=g)
    frac = CROP_SCALE[0] + (CROP_SCALE[1] - CROP_SCALE[0]) * torch.rand(n, generator=g)
    u, v = torch.rand(n, generator=g), torch.rand(n, generator=g)
    flip = torch.rand(n, generator=g) < 0.5
    t = (torch.arange(size, dtype=torch.float32) + 0.5) / size  # output pixel centres in the crop, in (0, 1)
    order = torch.argsort(which, stable=True)  # samples grouped by photo
    blocks, start = [], 0
    for i, m in enumerate(torch.bincount(which, minlength=len(bank)).tolist()):
        if m == 0:
            continue
        sel, start = order[start: start + m], start + m
        h, w = bank[i].shape[-2:]
        side = frac[sel] * min(h, w)
        y0, x0 = v[sel] * (h - side), u[sel] * (w - side)
        tx = torch.where(flip[sel, None], t.flip(0)[None], t[None])
        grid = torch.empty(m, size, size, 2)  # align_corners=False coordinates of every output pixel
        grid[..., 0] = (2 * (x0[:, None] + tx * side[:, None]) / w - 1)[:, None, :]
        grid[..., 1] = (2 * (y0[:, None] + t[None] * side[:, None]) / h - 1)[:, :, None]
        # One tall grid over the single photo: no copy of the photo per crop.
        crops = F.grid_sample(bank[i][None], grid.view(1, m * size, size, 2), mode="bilinear", align_corners=False)
        blocks.append(crops.view(3, m, size, size))
    out = torch.cat(blocks, dim=1).transpose(0, 1)[torch.argsort(order)]  # back to sample order, (n, 3, s, s)
    if BACKGROUND_CONTRAST != 1:
        mean = out.mean((2, 3), keepdim=True)
        out.sub_(mean).mul_(BACKGROUND_CONTRAST).add_(mean)
    return out.clamp_(0, 1)


def _render(labels: Tensor, size: int, split: str, g: torch.Generator) -> Tensor:
    """One patch per label: a glyph of that digit in a random colour, scale, place and angle on a photo crop."""
    n = len(labels)
    images = _backgrounds(n, size, split, g)
    glyphs, pool, counts = _glyph_bank(split)
    pick = (torch.rand(n, generator=g) * counts[labels]).long().clamp_max_(counts[labels] - 1)
    glyph = glyphs[pool[labels, pick]]  # (n, 1, 8, 8)
    span = GLYPH_SPAN[0] + (GLYPH_SPAN[1] - GLYPH_SPAN[0]) * torch.rand(n, generator=g)
    angle = math.radians(MAX_ANGLE) * (2 * torch.rand(n, generator=g) - 1)
    centre = (2 * torch.rand(n, 2, generator=g) - 1) * (1 - span)[:, None]  # the unrotated box stays inside
    colours = torch.rand(n, COLOUR_TRIES, 3, generator=g)
    # affine_grid maps output coordinates to glyph coordinates: glyph = R(-angle) (out - centre) / span.
    c, s = torch.cos(angle) / span, torch.sin(angle) / span
    a = torch.stack([torch.stack([c, s], 1), torch.stack([-s, c], 1)], 1)  # (n, 2, 2)
    theta = torch.cat([a, -(a @ centre[:, :, None])], dim=2)
    grid = F.affine_grid(theta, [n, 1, size, size], align_corners=False)
    ink = F.grid_sample(glyph, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    alpha = (ALPHA_GAIN * ink - (ALPHA_GAIN - 1) / 2).clamp_(0, 1)
    # The first of the random colours that stands out from the background under the glyph; else white or black.
    under = (images * alpha).sum((2, 3)) / alpha.sum((2, 3)).clamp_min(1e-6)  # (n, 3)
    vivid = (colours - under[:, None]).abs().amax(-1) >= MIN_CONTRAST  # (n, tries)
    colour = colours[torch.arange(n), vivid.int().argmax(1)]
    dull = ~vivid.any(1)
    colour[dull] = (under[dull].mean(1, keepdim=True) < 0.5).float().expand(-1, 3)  # white on dark, black on light
    return images.lerp_(colour[:, :, None, None].expand_as(images), alpha).clamp_(0, 1)


def patches(n: int, size: int = 32, seed: int = 0, split: str = "train") -> tuple[Tensor, Tensor]:
    """Chapter 3's stand-in for CIFAR-10: ``n`` class-labelled patches of ``size`` x ``size`` pixels.

    Each patch is a digit glyph (:data:`PATCH_CLASSES`) in a random colour, scale (its 8 x 8 box spans
    :data:`GLYPH_SPAN` of the side), place and angle over a random crop of the split's photos; the label says
    nothing about position. ``train`` and ``test`` share no glyph sample and no photo. Classes are balanced
    (counts differ by at most one) and shuffled. Returns images (n, 3, size, size) in [0, 1] and labels (n,).
    """
    _check_n(n)
    _check_size(size)
    _check_split(split)
    g = _generator(seed, 1, split)
    labels = _balanced(n, len(PATCH_CLASSES), g)
    return _render(labels, size, split, g), labels


# ------------------------------------------------------------------------------------------ grid geometry

def canvas_value(colour: str) -> Tensor:
    """The RGB value (3,) of a Chapter 3 canvas colour: black, white or the photos' mean colour."""
    if colour not in CANVASES:
        raise ValueError(f"unknown canvas colour {colour!r}; choose one of {', '.join(CANVASES)}")
    value = {"black": (0.0, 0.0, 0.0), "white": (1.0, 1.0, 1.0)}.get(colour, None)
    return torch.tensor(data.mean_colour() if value is None else value)


def ring(k: int, cell: int) -> int:
    """Chapter 3: distance in cells from ``cell`` (row-major in a k x k grid) to the border; 0 = border cell."""
    _check_cell(k, cell)
    k = int(k)
    r, c = divmod(int(cell), k)
    return min(r, c, k - 1 - r, k - 1 - c)


def rings(k: int) -> Tensor:
    """Chapter 3: the ring (distance to the border, in cells) of every cell of a k x k grid, as (k, k) int64."""
    _check_k(k)
    return torch.from_numpy(metrics.border_distance(int(k))).long()


def cell_origin(k: int, cell: int, size: int) -> tuple[int, int]:
    """Chapter 3: the top-left pixel (y0, x0) of ``cell`` (row-major) on a canvas of k x k cells of ``size`` px."""
    _check_cell(k, cell)
    _check_size(size)
    r, c = divmod(int(cell), int(k))
    return r * int(size), c * int(size)


def ring_cells(k: int, edge: bool = False) -> list[int]:
    """Chapter 3: one target cell per ring, ring 0 first, for k x k grids: ``(k + 1) // 2`` cells.

    By default the cells lie on the main diagonal, from the corner (0, 0) through (1, 1) to the centre;
    with ``edge=True`` they lie on the middle row (k // 2), from the middle of the left edge to the centre,
    so the border cell touches one border instead of two. Cell ``i`` of the list is in ring ``i``.
    """
    _check_k(k)
    k = int(k)
    m = (k + 1) // 2
    return [(k // 2) * k + i for i in range(m)] if edge else [i * (k + 1) for i in range(m)]


def _check_patches(images: Tensor, what: str) -> None:
    if images.dim() < 3 or images.shape[-3] != 3 or images.shape[-1] != images.shape[-2]:
        raise ValueError(f"{what}: patches must be square RGB (..., 3, s, s) tensors, got shape {tuple(images.shape)}")


def place(images: Tensor, cells: Tensor, k: int, canvas: str = "black") -> Tensor:
    """Chapter 3: paste image i into cell ``cells[i]`` of a k x k grid; every other cell is the canvas colour.

    ``images`` is (n, 3, s, s), ``cells`` (n,) row-major indices. Returns (n, 3, k * s, k * s).
    """
    _check_k(k)
    k = int(k)
    _check_patches(images, "place")
    cells = torch.as_tensor(cells)
    if cells.is_floating_point() or cells.is_complex() or cells.dtype == torch.bool:
        raise ValueError(f"cells must be integer cell indices, got dtype {cells.dtype}; pass a LongTensor")
    cells = cells.long().flatten()
    if images.dim() != 4 or len(cells) != len(images):
        raise ValueError(f"place needs images (n, 3, s, s) and one cell per image, got {tuple(images.shape)} "
                         f"and {len(cells)} cells")
    n, _, s, _ = images.shape
    if n and (int(cells.min()) < 0 or int(cells.max()) >= k * k):
        raise ValueError(f"cells must be row-major indices 0..{k * k - 1} of a {k}x{k} grid, got "
                         f"{int(cells.min())}..{int(cells.max())}")
    value = canvas_value(canvas).to(images.dtype)
    out = value.view(1, 3, 1, 1).repeat(n, 1, k * s, k * s)
    grid = out.view(n, 3, k, s, k, s)
    grid[torch.arange(n), :, cells // k, :, cells % k, :] = images  # advanced indices first: (n, 3, s, s)
    return out


def fill(images: Tensor, k: int) -> Tensor:
    """Chapter 3: a full k x k grid from ``images`` (n, k * k, 3, s, s), cell j (row-major) holding images[:, j]."""
    _check_k(k)
    k = int(k)
    _check_patches(images, "fill")
    if images.dim() != 5 or images.shape[1] != k * k:
        raise ValueError(f"fill needs images of shape (n, k*k={k * k}, 3, s, s), got {tuple(images.shape)}")
    n, _, _, s, _ = images.shape
    return images.view(n, k, k, 3, s, s).permute(0, 3, 1, 4, 2, 5).reshape(n, 3, k * s, k * s)


def mask_for(labels: Tensor, k: int, target: int, size: int) -> Tensor:
    """Chapter 3's segmentation target: (n, k * s, k * s) int64, 0 except the ``target`` cell's square = label + 1."""
    _check_cell(k, target)
    _check_size(size)
    labels = torch.as_tensor(labels).long().flatten()
    if len(labels) and (int(labels.min()) < 0 or int(labels.max()) >= len(PATCH_CLASSES)):
        raise ValueError(f"labels must be patch classes 0..{len(PATCH_CLASSES) - 1}, got "
                         f"{int(labels.min())}..{int(labels.max())}")
    mask = torch.zeros(len(labels), k * size, k * size, dtype=torch.long)
    y0, x0 = cell_origin(k, target, size)
    mask[:, y0: y0 + size, x0: x0 + size] = (labels + 1).view(-1, 1, 1)
    return mask


# ----------------------------------------------------------------------------------------------- tasks

@dataclass(frozen=True)
class WhereTask:
    """Chapter 3's location task: one patch per canvas; predict its cell (k * k classes)."""

    images: Tensor  #: (n, 3, k * size, k * size)
    cell: Tensor  #: (n,) int64, the cell holding the patch: the label
    cls: Tensor  #: (n,) int64, the patch's class (for analysis)
    k: int
    size: int
    canvas: str
    split: str

    @property
    def labels(self) -> Tensor:
        """The training target: the cell index."""
        return self.cell

    @property
    def ring(self) -> Tensor:
        """(n,) the ring (distance to the border, in cells) of each sample's cell."""
        return rings(self.k).flatten()[self.cell]


@dataclass(frozen=True)
class WhatWhereTask:
    """Chapter 3's what-where task (and, with ``mask``, its segmentation): full grids; the target cell's class."""

    images: Tensor  #: (n, 3, k * size, k * size), every cell holding a patch
    label: Tensor  #: (n,) int64, class of the patch in cell ``target``: the label
    classes: Tensor  #: (n, k * k) int64, the class of every cell's patch
    k: int
    target: int
    size: int
    split: str
    mask: Tensor | None = None  #: (n, k * size, k * size) int64 for segmentation: label + 1 on the target square

    @property
    def labels(self) -> Tensor:
        """The training target: the class in the target cell."""
        return self.label

    @property
    def ring(self) -> int:
        """The ring (distance to the border, in cells) of the target cell."""
        return ring(self.k, self.target)


def where_task(n: int, k: int, size: int = 32, seed: int = 0, canvas: str = "black",
               split: str = "train") -> WhereTask:
    """Chapter 3's location task: ``n`` patches, each pasted into a random cell of a k x k canvas of ``canvas``.

    Cells are balanced (counts differ by at most one) and drawn independently of the patch classes.
    """
    _check_k(k)
    canvas_value(canvas)
    images, cls = patches(n, size, seed, split)
    cell = _balanced(n, k * k, _generator(seed, 2, split))
    return WhereTask(place(images, cell, k, canvas), cell, cls, k, size, canvas, split)


def what_where_task(n: int, k: int, target: int, size: int = 32, seed: int = 0,
                    split: str = "train") -> WhatWhereTask:
    """Chapter 3's what-where task: ``n`` k x k grids, every cell a random patch; label = class in cell ``target``.

    Every cell's classes are balanced over the ``n`` canvases (counts differ by at most one), independently
    of the other cells, so the label is balanced and its neighbours carry no information about it.
    """
    _check_n(n)
    _check_size(size)
    _check_split(split)
    _check_cell(k, target)
    g = _generator(seed, 3, split)
    classes = torch.stack([_balanced(n, len(PATCH_CLASSES), g) for _ in range(k * k)], dim=1)
    out = torch.empty(n, 3, k * size, k * size)
    grid = out.view(n, 3, k, size, k, size)
    for j in range(k * k):  # one cell at a time keeps the memory to the canvases plus n patches
        grid[:, :, j // k, :, j % k, :] = _render(classes[:, j], size, split, g)
    return WhatWhereTask(out, classes[:, target].clone(), classes, k, target, size, split)


def segmentation_task(n: int, k: int, target: int, size: int = 32, seed: int = 0,
                      split: str = "train") -> WhatWhereTask:
    """Chapter 3's segmentation task: :func:`what_where_task`'s canvases (same arguments, same images) plus
    ``mask`` (n, k * size, k * size): 0 everywhere except the target cell's square, which holds class + 1.
    """
    task = what_where_task(n, k, target, size, seed, split)
    return replace(task, mask=mask_for(task.label, k, target, size))
