"""Linear extrapolation across an image's border: the values of the ``extrapolate`` padding mode of
:mod:`poslib.padding`, each padded pixel continuing the line through the two nearest pixels inside the image."""
from __future__ import annotations

import torch


def _axis(x: torch.Tensor, before: int, after: int, dim: int) -> torch.Tensor:
    """``x`` continued linearly by ``before``/``after`` entries along ``dim`` (constant where it has one entry)."""
    if not before and not after:
        return x
    n = x.shape[dim]
    if n < 2:
        return x.narrow(dim, 0, 1).repeat_interleave(n + before + after, dim) if n else x
    first, second = x.narrow(dim, 0, 1), x.narrow(dim, 1, 1)
    last, penult = x.narrow(dim, n - 1, 1), x.narrow(dim, n - 2, 1)
    shape = [1] * x.dim()
    shape[dim] = -1
    far_to_near = torch.arange(before, 0, -1, dtype=x.dtype, device=x.device).view(shape)
    near_to_far = torch.arange(1, after + 1, dtype=x.dtype, device=x.device).view(shape)
    return torch.cat([first + far_to_near * (first - second), x, last + near_to_far * (last - penult)], dim)


def pad(x: torch.Tensor, pad: tuple[int, int, int, int]) -> torch.Tensor:
    """``x`` (…, H, W) padded by ``pad`` = (left, right, top, bottom) with linear extrapolation along the normal
    to each border: the padded value ``j`` pixels beyond an edge pixel ``e`` whose inward neighbour is ``n``
    is ``e + j (e - n)``. Columns are extended first, then rows, so a corner is the bilinear extrapolation
    of the 2 x 2 pixels in the image's corner; an image that is a linear ramp stays one exactly. A map one
    pixel wide along an axis is repeated along it."""
    left, right, top, bottom = pad
    return _axis(_axis(x, left, right, -1), top, bottom, -2)
