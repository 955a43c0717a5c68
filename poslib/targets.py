"""The five position maps a readout is asked to draw (Chapter 1 onwards).

Definitions follow the maps released with Islam et al. (ICLR 2020), checked against their PNGs:

* ``H``  horizontal gradient: a linear ramp, 0 at the left column to 1 at the right one;
* ``V``  vertical gradient: the transpose, 0 at the top row to 1 at the bottom one;
* ``G``  an isotropic Gaussian at the centre with sigma = half the image width, min-max normalised;
* ``HS`` horizontal stripes: 2.5 cosine periods down the image, brightest at the top row;
* ``VS`` vertical stripes: the transpose of ``HS``.
"""
from __future__ import annotations

import math
import operator
from typing import Sequence, Union

import torch

NAMES: tuple[str, ...] = ("H", "V", "G", "HS", "VS")
LONG_NAMES = {
    "H": "horizontal gradient",
    "V": "vertical gradient",
    "G": "Gaussian",
    "HS": "horizontal stripes",
    "VS": "vertical stripes",
}
STRIPE_PERIODS = 2.5

Size = Union[int, Sequence[int]]


def _hw(size: Size) -> tuple[int, int]:
    try:
        h = w = operator.index(size)  # int, numpy integer, ...
    except TypeError:
        try:
            h, w = (int(s) for s in size)
        except (TypeError, ValueError):
            raise ValueError(f"size must be an int or a (height, width) pair, got {size!r}") from None
    if h < 2 or w < 2:
        raise ValueError(f"a position map needs at least 2x2 pixels, got {h}x{w}")
    return h, w


def _minmax(x: torch.Tensor) -> torch.Tensor:
    span = x.max() - x.min()
    return torch.zeros_like(x) if span == 0 else (x - x.min()) / span


def make(name: str, size: Size) -> torch.Tensor:
    """The position map ``name`` (one of :data:`NAMES`) as a float32 (H, W) tensor in [0, 1] (Chapter 1)."""
    if name not in NAMES:
        raise ValueError(f"unknown target {name!r}; the position maps are {', '.join(NAMES)}")
    h, w = _hw(size)
    y = torch.arange(h, dtype=torch.float64).view(h, 1).expand(h, w)
    x = torch.arange(w, dtype=torch.float64).view(1, w).expand(h, w)
    if name == "H":
        out = x / (w - 1)
    elif name == "V":
        out = y / (h - 1)
    elif name == "G":
        sigma = w / 2
        r2 = (x - (w - 1) / 2) ** 2 + (y - (h - 1) / 2) ** 2
        out = _minmax(torch.exp(-r2 / (2 * sigma**2)))
    elif name == "HS":
        out = _minmax(0.5 * (1 + torch.cos(2 * math.pi * STRIPE_PERIODS * (y + 0.5) / h)))
    else:  # VS
        out = _minmax(0.5 * (1 + torch.cos(2 * math.pi * STRIPE_PERIODS * (x + 0.5) / w)))
    return out.to(torch.float32).contiguous()


def stack(names: Sequence[str], size: Size) -> torch.Tensor:
    """Several maps as one (len(names), H, W) tensor, in the order given (Chapter 1)."""
    return torch.stack([make(n, size) for n in names])
