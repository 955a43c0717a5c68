"""Multi-level features of a frozen backbone, resized and concatenated, as PosENet reads them (Chapter 1).

Features are computed once per image and kept, so a readout trains for many epochs on them without
running the backbone again (:func:`extract`); the chapter measures what that saves.
"""
from __future__ import annotations

from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import config, infer, metrics


def multilevel(backbone: Optional[nn.Module], images: torch.Tensor, feat_size: int,
               stages: Optional[Sequence[int]] = None) -> torch.Tensor:
    """Features of one batch: the chosen stages, each resized bilinearly to ``feat_size``, concatenated.

    ``backbone=None`` gives the raw image resized to ``feat_size`` (the readout alone, "PosENet" in the
    paper). ``stages`` picks stages by index (0 = shallowest); ``None`` takes them all (Chapter 1).
    """
    if images.dim() != 4 or images.shape[1] != 3:
        raise ValueError(f"images must be a (N, 3, H, W) batch, got shape {tuple(images.shape)}")
    if backbone is None:
        return F.interpolate(images, size=(feat_size, feat_size), mode="bilinear", align_corners=True)
    maps = backbone.stages(images)
    picked = range(len(maps)) if stages is None else stages
    for i in picked:
        if not -len(maps) <= i < len(maps):
            raise ValueError(f"stage {i} does not exist; this backbone has stages 0..{len(maps) - 1}")
    return torch.cat([F.interpolate(maps[i], size=(feat_size, feat_size), mode="bilinear", align_corners=True)
                      for i in picked], dim=1)


def _flat_mask(feats: torch.Tensor, eps: float) -> torch.Tensor:
    """(N, C) True where a map of ``feats`` (N, C, h, w) is constant up to rounding at machine epsilon ``eps``."""
    flat = feats.flatten(2)
    return flat.amax(2) - flat.amin(2) <= metrics.FLAT_ULPS * eps * flat.abs().amax(2)


@torch.no_grad()
def flat_share(backbone: nn.Module, images: torch.Tensor, feat_size: int) -> float:
    """The share of ``backbone``'s multi-level feature maps of ``images`` that are constant up to the numeric
    path's rounding (before :func:`extract` snaps them): 1.0 when no map carries any spatial signal."""
    with config.autocast():
        f = multilevel(backbone, images.to(config.device()), feat_size)
    return float(_flat_mask(f.float().cpu(), config.eps()).float().mean())


def flatten_constant(feats: torch.Tensor, eps: float) -> torch.Tensor:
    """``feats`` (N, C, h, w) with every map that is constant up to rounding (:func:`metrics.is_flat` at
    machine epsilon ``eps``) set exactly to its mean, in place; returns it.

    A network without a border signal turns a blank image into constant maps, but the same sum computed
    at different pixels by different kernels can differ in its last bits, and a readout would rank that
    noise. Snapping such maps makes "constant" mean the same on every CPU and numeric path.
    """
    snap = _flat_mask(feats, eps)
    if snap.any():
        mean = feats.flatten(2).mean(2)
        feats[snap] = mean[snap][:, None, None].expand(-1, *feats.shape[-2:]).to(feats.dtype)
    return feats


def extract(backbone: Optional[nn.Module], images: torch.Tensor, feat_size: int,
            stages: Optional[Sequence[int]] = None, batch: int = 128) -> torch.Tensor:
    """:func:`multilevel` over a whole image set, in batches, on the numeric path of :func:`config.autocast`;
    maps constant up to that path's rounding are made exactly constant (:func:`flatten_constant`).
    Returns a float32 CPU tensor (N, C, s, s)."""
    feats = infer.batched(lambda x: multilevel(backbone, x, feat_size, stages), images, batch)
    return flatten_constant(feats, config.eps())
