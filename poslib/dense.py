"""Small fully convolutional networks that answer at every pixel (saliency, segmentation) or for the whole
image (classification), with any border rule, optionally with coordinate channels (CoordConv).

One encoder serves every task: three VGG-style stages ([3x3 conv, BN, ReLU] x 2, 2x2 max-pooling between).
A dense task adds a 1x1 convolution on the last stage: an answer every :data:`STRIDE` pixels, which
:func:`to_pixels` brings back to the image. Without padding (``valid``) the answer covers only a central
window of the image (:func:`window`): an output pixel exists only where its receptive field fits inside.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import models, padding

#: Channels and convolutions of the encoder's stages.
WIDTHS: tuple[int, ...] = (8, 16, 32)
CONVS: tuple[int, ...] = (2, 2, 2)
#: Input pixels per output pixel of the encoder's last stage (two 2x2 max-pools).
STRIDE = 4
#: The arms a network can be built with: a padding mode, or ``coord`` (no padding, with coordinate channels).
COORD = "coord"


def coordinates(x: torch.Tensor) -> torch.Tensor:
    """Two channels for a batch like ``x`` (n, c, h, w): each pixel's column and row, scaled to [-1, 1]."""
    n, _, h, w = x.shape
    ys = torch.linspace(-1, 1, h, device=x.device, dtype=x.dtype).view(1, 1, h, 1).expand(n, 1, h, w)
    xs = torch.linspace(-1, 1, w, device=x.device, dtype=x.dtype).view(1, 1, 1, w).expand(n, 1, h, w)
    return torch.cat([xs, ys], 1)


class Net(nn.Module):
    """The encoder (``stages``), and a head: per-pixel logits (``dense=True``, ``classes`` channels every
    :data:`STRIDE` px) or image logits through global average pooling. ``coord=True`` appends
    :func:`coordinates` to the input (CoordConv)."""

    def __init__(self, mode: str, classes: int, dense: bool, coord: bool = False,
                 widths: Sequence[int] = WIDTHS, convs: Sequence[int] = CONVS):
        super().__init__()
        padding.check_mode(mode)
        self.mode, self.dense, self.coord = mode, dense, coord
        self.encoder = models.VGGStyle(widths, convs, mode, classes, in_ch=3 + 2 * coord)
        self.widths = self.encoder.widths
        self.head = nn.Conv2d(widths[-1], classes, 1) if dense else None

    def stages(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The output of every encoder stage (before its max-pooling)."""
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(f"expected RGB images (n, 3, h, w), got {tuple(x.shape)}")
        if self.coord:
            x = torch.cat([x, coordinates(x)], 1)
        return self.encoder.stages(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        last = self.stages(x)[-1]
        if self.dense:
            return self.head(last)
        return self.encoder.head(last.mean(dim=(2, 3)))


def build(arm: str, classes: int, dense: bool) -> Net:
    """A fresh network of ``arm``: a padding mode (``zeros``, ``circular``, ``valid``, ...) or :data:`COORD`
    (valid convolutions with coordinate channels)."""
    if arm == COORD:
        return Net("valid", classes, dense, coord=True)
    return Net(arm, classes, dense)


def window(net: Net, size: int) -> tuple[int, int]:
    """Where ``net``'s dense answer lies on a ``size`` px image: (first pixel, side) of the square it covers.
    The whole image with padding; a central window without."""
    was = net.training
    try:
        with torch.no_grad():
            net.eval()
            out = net.stages(torch.zeros(1, 3, size, size, device=next(net.parameters()).device))[-1].shape[-1]
    except RuntimeError as err:  # a valid convolution met a map smaller than its kernel
        raise ValueError(f"a {size} px image is too small for this network without padding: use larger images "
                         "or a padded arm") from err
    finally:
        net.train(was)
    side = out * STRIDE
    return (size - side) // 2, side


def to_grid(target: torch.Tensor, out: int, stride: int = STRIDE) -> torch.Tensor:
    """A per-pixel target (n, c, s, s) averaged over the blocks that the ``out`` x ``out`` output pixels stand
    for (the central ``out * stride`` px when the output is smaller than the image)."""
    s = target.shape[-1]
    first = (s - out * stride) // 2
    crop = target[..., first: first + out * stride, first: first + out * stride]
    return F.avg_pool2d(crop, stride)


def to_pixels(logits: torch.Tensor, size: int, how: str = "crop") -> torch.Tensor:
    """Dense logits (n, c, out, out) brought back to an image of ``size`` px: ``crop`` up-samples by
    :data:`STRIDE` in place, so that an answer smaller than the image covers its central window (the rest is
    NaN); ``resize`` stretches the answer over the whole image (what a pipeline that ignores the window does)."""
    if how not in ("crop", "resize"):
        raise ValueError(f"how must be 'crop' or 'resize', got {how!r}")
    out = logits.shape[-1]
    if how == "resize":
        return F.interpolate(logits, size=(size, size), mode="bilinear", align_corners=False)
    up = F.interpolate(logits, scale_factor=STRIDE, mode="bilinear", align_corners=False)
    if out * STRIDE == size:
        return up
    first = (size - out * STRIDE) // 2
    full = torch.full((*logits.shape[:2], size, size), float("nan"), dtype=up.dtype, device=up.device)
    full[..., first: first + out * STRIDE, first: first + out * STRIDE] = up
    return full
