"""Multi-level features of a frozen backbone, resized and concatenated, as PosENet reads them (Chapter 1).

Features are computed once per image and kept, so a readout trains for many epochs on them without
running the backbone again (:func:`extract`); the chapter measures what that saves.
"""
from __future__ import annotations

from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import config


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


@torch.no_grad()
def extract(backbone: Optional[nn.Module], images: torch.Tensor, feat_size: int,
            stages: Optional[Sequence[int]] = None, batch: int = 128) -> torch.Tensor:
    """:func:`multilevel` over a whole image set, in batches; a float32 CPU tensor (N, C, s, s) (Chapter 1)."""
    dev = config.device()
    out = []
    for s in range(0, len(images), batch):
        x = images[s: s + batch].to(dev).contiguous(memory_format=torch.channels_last)
        out.append(multilevel(backbone, x, feat_size, stages).float().contiguous().cpu())
    return torch.cat(out)
