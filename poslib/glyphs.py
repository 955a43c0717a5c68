"""Chapter 3's stand-in for CIFAR-10: class-labelled patches, digit glyphs drawn over crops of the shipped photos.

CIFAR-10 is not shipped, so :func:`patches` draws the ten scikit-learn digits in a random colour, scale, place and
angle over crops of the shipped photos, with train and test splits that share no glyph sample and no photo. The
module also holds the checks and the seeded streams that the grid tasks of :mod:`poslib.grids` share with it.
"""
from __future__ import annotations

import math
import operator
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from . import data

#: The ten patch classes: the digits of ``sklearn.datasets.load_digits``.
PATCH_CLASSES: tuple[str, ...] = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
)
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


# ------------------------------------------------------------------------------- checks and seeded streams

def is_int(x: object) -> bool:
    """True for Python, NumPy and 0-d torch integers (not bools)."""
    if isinstance(x, bool):
        return False
    try:
        operator.index(x)
    except TypeError:
        return False
    return True


def check_split(split: str) -> None:
    """A ValueError unless ``split`` is ``train`` or ``test``."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")


def check_n(n: int) -> None:
    """A ValueError unless ``n`` (a number of samples) is a whole number >= 1."""
    if not is_int(n) or n < 1:
        raise ValueError(f"n must be an integer >= 1 (the number of samples), got {n!r}")


def check_size(size: int) -> None:
    """A ValueError unless ``size`` (a patch side in pixels) is a whole number >= 8."""
    if not is_int(size) or size < 8:
        raise ValueError(f"size must be an integer >= 8 (the patch side in pixels, e.g. 16 or 32), got {size!r}")


def generator(seed: int, salt: int, split: str = "train") -> torch.Generator:
    """An independent stream per (seed, purpose, split), so that e.g. class and cell orders are not correlated."""
    return torch.Generator().manual_seed((int(seed) * 1_000_003 + 2 * salt + (split == "test")) % (2**63))


def balanced(n: int, classes: int, g: torch.Generator) -> Tensor:
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


def backgrounds(n: int, size: int, split: str, g: torch.Generator) -> Tensor:
    """``n`` random square crops (random photo, place, scale, left-right flip) of the split's photos, their
    texture shrunk towards its mean by :data:`BACKGROUND_CONTRAST`: (n, 3, size, size) in [0, 1]."""
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


def render(labels: Tensor, size: int, split: str, g: torch.Generator) -> Tensor:
    """One patch per label: a glyph of that digit in a random colour, scale, place and angle on a photo crop."""
    n = len(labels)
    images = backgrounds(n, size, split, g)
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
    check_n(n)
    check_size(size)
    check_split(split)
    g = generator(seed, 1, split)
    labels = balanced(n, len(PATCH_CLASSES), g)
    return render(labels, size, split, g), labels


