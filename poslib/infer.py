"""Batched inference: run a frozen network (or any function of a batch) over a whole data set."""
from __future__ import annotations

from typing import Callable

import torch

from . import config


@torch.no_grad()
def batched(fn: Callable[[torch.Tensor], torch.Tensor], inputs: torch.Tensor, batch: int = 256,
            channels_last: bool = True, numeric_path: bool = True) -> torch.Tensor:
    """``fn`` applied to ``inputs`` in batches of ``batch`` on the book's device, without gradients and,
    with ``numeric_path``, under :func:`config.autocast`; ``channels_last`` hands images to ``fn`` in the
    memory layout the networks train in. Returns the outputs concatenated on the CPU, floating outputs as
    float32."""
    if inputs.dim() < 1 or len(inputs) == 0:
        raise ValueError(f"need a non-empty batch of inputs, got shape {tuple(inputs.shape)}")
    dev = config.device()
    out = []
    for s in range(0, len(inputs), batch):
        x = inputs[s: s + batch].to(dev)
        if channels_last and x.dim() == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        if numeric_path:
            with config.autocast():
                y = fn(x)
        else:
            y = fn(x)
        out.append((y.float() if y.is_floating_point() else y).contiguous().cpu())
    return torch.cat(out)
