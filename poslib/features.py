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
               stages: Optional[Sequence[int]] = None, snap_eps: Optional[float] = None) -> torch.Tensor:
    """Features of one batch: the chosen stages, each resized bilinearly to ``feat_size``, concatenated.

    ``backbone=None`` gives the raw image resized to ``feat_size`` (the readout alone, "PosENet" in the
    paper). ``stages`` picks stages by index (0 = shallowest); ``None`` takes them all (Chapter 1).
    With ``snap_eps`` (a machine epsilon), each stage's maps that are constant up to rounding at that stage's
    scale are made exactly constant (:func:`flatten_constant`), in float32.
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
    out = [_resized(maps[i], feat_size) for i in picked]
    if snap_eps is not None:
        out = [flatten_constant(f.float(), snap_eps) for f in out]
    return torch.cat(out, dim=1)


def _resized(stage: torch.Tensor, feat_size: int) -> torch.Tensor:
    """One stage's maps resized bilinearly (corners aligned) to ``feat_size`` x ``feat_size``, as PosENet reads them."""
    return F.interpolate(stage, size=(feat_size, feat_size), mode="bilinear", align_corners=True)


def _flat_mask(feats: torch.Tensor, eps: float) -> torch.Tensor:
    """(N, C) True where a map of one stage's ``feats`` (N, C, h, w) is constant up to rounding: its spread is
    within :data:`metrics.FLAT_ULPS` units of machine epsilon ``eps`` of the stage's largest magnitude in that
    image. The stage's scale, not the map's, is what rounding scales with: a map that is the small
    difference of large sums carries the rounding of those sums."""
    flat = feats.flatten(2)
    scale = feats.abs().flatten(1).amax(1)[:, None]
    return flat.amax(2) - flat.amin(2) <= metrics.FLAT_ULPS * eps * scale


@torch.no_grad()
def flat_share(backbone: nn.Module, images: torch.Tensor, feat_size: int) -> float:
    """The share of ``backbone``'s multi-level feature maps of ``images`` that are constant up to the numeric
    path's rounding (before :func:`extract` snaps them): 1.0 when no map carries any spatial signal."""
    x = images.to(config.device())
    with config.autocast():
        maps = backbone.stages(x)
    masks = [_flat_mask(_resized(m, feat_size).float().cpu(), config.eps()) for m in maps]
    return float(torch.cat(masks, dim=1).float().mean())


def flatten_constant(feats: torch.Tensor, eps: float) -> torch.Tensor:
    """One stage's ``feats`` (N, C, h, w) with every map that is constant up to rounding at the stage's scale
    (see :func:`_flat_mask`; machine epsilon ``eps``) set exactly to its mean, in place; returns it.

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
    maps constant up to that path's rounding are made exactly constant, stage by stage
    (:func:`flatten_constant`). Returns a float32 CPU tensor (N, C, s, s)."""
    return infer.batched(lambda x: multilevel(backbone, x, feat_size, stages, snap_eps=config.eps()), images, batch)
