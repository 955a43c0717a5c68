"""The k x k grid canvases of Chapter 3's border tasks: where each cell lies and how far it is from the border
(:func:`ring`, :func:`rings`, :func:`ring_cells`), laying patches of :mod:`poslib.glyphs` on a canvas
(:func:`place`, :func:`fill`), and the tasks: one patch's cell (:func:`where_task`), the class in a target cell of a
full grid (:func:`what_where_task`) and its segmentation (:func:`segmentation_task`: the same canvases plus a
mask from :func:`mask_for`).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import torch
from torch import Tensor

from . import data, glyphs, metrics

#: Canvas colours of the grid tasks; "mean" is the training photos' mean colour (:func:`data.mean_colour`).
CANVASES: tuple[str, ...] = ("black", "white", "mean")


def check_k(k: int) -> None:
    """A ValueError unless ``k`` (the grid has k x k cells) is a whole number >= 1."""
    if not glyphs.is_int(k) or k < 1:
        raise ValueError(f"k must be an integer >= 1 (the grid has k x k cells), got {k!r}")


def check_cell(k: int, cell: int) -> None:
    """A ValueError unless ``cell`` is a row-major index of a k x k grid."""
    check_k(k)
    if not glyphs.is_int(cell) or not 0 <= cell < k * k:
        raise ValueError(f"cell {cell!r} is outside a {k}x{k} grid; use a row-major integer index 0..{k * k - 1}")


# ------------------------------------------------------------------------------------------ grid geometry

def canvas_value(colour: str) -> Tensor:
    """The RGB value (3,) of a Chapter 3 canvas colour: black, white or the photos' mean colour."""
    if colour not in CANVASES:
        raise ValueError(f"unknown canvas colour {colour!r}; choose one of {', '.join(CANVASES)}")
    value = {"black": (0.0, 0.0, 0.0), "white": (1.0, 1.0, 1.0)}.get(colour, None)
    return torch.tensor(data.mean_colour() if value is None else value)


def ring(k: int, cell: int) -> int:
    """Chapter 3: distance in cells from ``cell`` (row-major in a k x k grid) to the border; 0 = border cell."""
    check_cell(k, cell)
    k = int(k)
    r, c = divmod(int(cell), k)
    return min(r, c, k - 1 - r, k - 1 - c)


def rings(k: int) -> Tensor:
    """Chapter 3: the ring (distance to the border, in cells) of every cell of a k x k grid, as (k, k) int64."""
    check_k(k)
    return torch.from_numpy(metrics.border_distance(int(k))).long()


def cell_origin(k: int, cell: int, size: int) -> tuple[int, int]:
    """Chapter 3: the top-left pixel (y0, x0) of ``cell`` (row-major) on a canvas of k x k cells of ``size`` px."""
    check_cell(k, cell)
    glyphs.check_size(size)
    r, c = divmod(int(cell), int(k))
    return r * int(size), c * int(size)


def ring_cells(k: int, edge: bool = False) -> list[int]:
    """Chapter 3: one target cell per ring, ring 0 first, for k x k grids: ``(k + 1) // 2`` cells.

    By default the cells lie on the main diagonal, from the corner (0, 0) through (1, 1) to the centre;
    with ``edge=True`` they lie on the middle row (k // 2), from the middle of the left edge to the centre,
    so the border cell touches one border instead of two. Cell ``i`` of the list is in ring ``i``.
    """
    check_k(k)
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
    check_k(k)
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
    check_k(k)
    k = int(k)
    _check_patches(images, "fill")
    if images.dim() != 5 or images.shape[1] != k * k:
        raise ValueError(f"fill needs images of shape (n, k*k={k * k}, 3, s, s), got {tuple(images.shape)}")
    n, _, _, s, _ = images.shape
    return images.view(n, k, k, 3, s, s).permute(0, 3, 1, 4, 2, 5).reshape(n, 3, k * s, k * s)


def mask_for(labels: Tensor, k: int, target: int, size: int) -> Tensor:
    """Chapter 3's segmentation target: (n, k * s, k * s) int64, 0 except the ``target`` cell's square = label + 1."""
    check_cell(k, target)
    glyphs.check_size(size)
    labels = torch.as_tensor(labels).long().flatten()
    if len(labels) and (int(labels.min()) < 0 or int(labels.max()) >= len(glyphs.PATCH_CLASSES)):
        raise ValueError(f"labels must be patch classes 0..{len(glyphs.PATCH_CLASSES) - 1}, got "
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
    check_k(k)
    canvas_value(canvas)
    images, cls = glyphs.patches(n, size, seed, split)
    cell = glyphs.balanced(n, k * k, glyphs.generator(seed, 2, split))
    return WhereTask(place(images, cell, k, canvas), cell, cls, k, size, canvas, split)


def what_where_task(n: int, k: int, target: int, size: int = 32, seed: int = 0,
                    split: str = "train") -> WhatWhereTask:
    """Chapter 3's what-where task: ``n`` k x k grids, every cell a random patch; label = class in cell ``target``.

    Every cell's classes are balanced over the ``n`` canvases (counts differ by at most one), independently
    of the other cells, so the label is balanced and its neighbours carry no information about it.
    """
    glyphs.check_n(n)
    glyphs.check_size(size)
    glyphs.check_split(split)
    check_cell(k, target)
    g = glyphs.generator(seed, 3, split)
    classes = torch.stack([glyphs.balanced(n, len(glyphs.PATCH_CLASSES), g) for _ in range(k * k)], dim=1)
    out = torch.empty(n, 3, k * size, k * size)
    grid = out.view(n, 3, k, size, k, size)
    for j in range(k * k):  # one cell at a time keeps the memory to the canvases plus n patches
        grid[:, :, j // k, :, j % k, :] = glyphs.render(classes[:, j], size, split, g)
    return WhatWhereTask(out, classes[:, target].clone(), classes, k, target, size, split)


def segmentation_task(n: int, k: int, target: int, size: int = 32, seed: int = 0,
                      split: str = "train") -> WhatWhereTask:
    """Chapter 3's segmentation task: :func:`what_where_task`'s canvases (same arguments, same images) plus
    ``mask`` (n, k * size, k * size): 0 everywhere except the target cell's square, which holds class + 1.
    """
    task = what_where_task(n, k, target, size, seed, split)
    return replace(task, mask=mask_for(task.label, k, target, size))
