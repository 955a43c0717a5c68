"""Networks that can read position only through global pooling: GAPNet and PermuteNet, the ICCV 2021 paper's
designs rebuilt on ``poslib``'s small backbones.

* :class:`GAPNet` — a backbone's stages, a 3x3 convolution to one map per class, then global average pooling
  straight to the logits (no linear layer). If it names the cell an object lies in, position survived pooling.
* :class:`PermuteNet` — a backbone's stages, global average pooling and a linear layer, with the channels
  shuffled by a fresh random permutation on every forward pass (in training and at test) at one point: the
  pooled vector, or the input of a stage. A head that never sees the same channel order twice can only use
  what does not depend on which channel holds which value.
"""
from __future__ import annotations

from typing import Union

import torch
import torch.nn as nn

from . import channels, padding


def stage_modules(body: nn.Module) -> nn.ModuleList:
    """The stage modules of a ``poslib`` backbone, in order (VGG-style ``blocks`` or ResNet-style ``layers``)."""
    for name in ("blocks", "layers"):
        if isinstance(getattr(body, name, None), nn.ModuleList):
            return getattr(body, name)
    raise TypeError(f"{type(body).__name__} is not a poslib backbone: it has no stage list (blocks or layers)")


class GAPNet(nn.Module):
    """``body``'s stages, a 3x3 convolution with padding ``mode`` to ``classes`` maps, and their global averages
    as the logits."""

    def __init__(self, body: nn.Module, classes: int, mode: str):
        super().__init__()
        padding.check_mode(mode)
        stage_modules(body)
        self.body = body
        self.widths = body.widths
        self.pre_classifier = padding.conv2d(body.widths[-1], classes, 3, mode, bias=True)

    def stages(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The backbone's stage outputs."""
        return self.body.stages(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return self.pre_classifier(self.body.stages(x)[-1]).mean(dim=(2, 3))


class PermuteNet(nn.Module):
    """``body``'s stages, global average pooling and a linear layer to ``classes``, with a fresh random channel
    permutation on every forward pass at ``at``: ``"pooled"`` (the pooled vector, before the linear layer) or a
    stage index k (the input of stage k: the image itself for a VGG-style stage 0, the stem's output for a
    ResNet-style one)."""

    def __init__(self, body: nn.Module, classes: int, at: Union[str, int] = "pooled", seed: int = 0):
        super().__init__()
        stages = stage_modules(body)
        if at != "pooled" and not (isinstance(at, int) and 0 <= at < len(stages)):
            raise ValueError(f"at must be 'pooled' or a stage index 0..{len(stages) - 1}, got {at!r}")
        self.body, self.at = body, at
        self.widths = body.widths
        self.head = nn.Linear(body.widths[-1], classes)
        self.permute = channels.ChannelPermutation(seed)
        if at != "pooled":
            stages[at].register_forward_pre_hook(lambda _module, inputs: (self.permute(inputs[0]),))

    def stages(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The backbone's stage outputs (permuted at a stage input when ``at`` is a stage)."""
        return self.body.stages(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        v = self.body.stages(x)[-1].mean(dim=(2, 3))
        return self.head(self.permute(v) if self.at == "pooled" else v)
