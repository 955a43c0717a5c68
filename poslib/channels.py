"""Position in the order of the channels: pooled vectors, channel rankings, and switching channels off.

After global average pooling a feature map is one number per channel: no pixel is left to say where
anything was, yet *which* channels fire can still say it. The tools here find and test such channels:

* :func:`pooled` — a network's stage, averaged over the image: (n, channels);
* :func:`rank_by_pairs` / :func:`rank_by_flip` — score every channel by how much its pooled value changes
  between paired images (an image and its mirror, or an object and the same object at the mirrored place),
  and order the channels by that score (signed, to tell left from right);
* :func:`zeroed` — a context in which chosen channels of a module's output are set to 0; leaving it
  restores the network exactly;
* :func:`random_channels` — random draws of channels of the same number, the baseline a ranking must beat;
* :func:`sort_channels` and :class:`ChannelPermutation` — the pooled values without the channels' identity.
"""
from __future__ import annotations

import contextlib
from typing import Iterator, Sequence

import torch
import torch.nn as nn

from . import infer


def pooled(net: nn.Module, images: torch.Tensor, stage: int = -1) -> torch.Tensor:
    """The global average of stage ``stage`` of ``net`` (a network with ``stages(x)``) for every image:
    (n, channels), float32 on the CPU."""
    if not hasattr(net, "stages"):
        raise TypeError(f"{type(net).__name__} has no stages(x); pass a poslib network, or wrap yours in "
                        "poslib.taps.Taps with the layers to read")
    if images.dim() != 4:
        raise ValueError(f"expected a batch of images (n, c, h, w), got {tuple(images.shape)}")
    return infer.batched(lambda x: net.stages(x)[stage].mean(dim=(2, 3)), images)


def rank_by_pairs(net: nn.Module, a: torch.Tensor, b: torch.Tensor, stage: int = -1,
                  signed: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Score every pooled channel of ``net`` by the mean change from images ``a`` to their partners ``b``:
    mean |pooled(a) − pooled(b)|, or with ``signed`` the mean of pooled(a) − pooled(b). Returns (scores,
    channels ordered by score, highest first)."""
    if a.shape != b.shape:
        raise ValueError(f"paired images must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}")
    diff = pooled(net, a, stage) - pooled(net, b, stage)
    scores = diff.mean(0) if signed else diff.abs().mean(0)
    return scores, torch.argsort(scores, descending=True, stable=True)


def rank_by_flip(net: nn.Module, images: torch.Tensor, stage: int = -1,
                 signed: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`rank_by_pairs` with each image paired with its left-right mirror (the paper's cheap ranking; a
    mirror also mirrors what is in the image, which a ranking against moved objects can check)."""
    return rank_by_pairs(net, images, images.flip(-1), stage, signed)


@contextlib.contextmanager
def zeroed(module: nn.Module, channels: Sequence[int]) -> Iterator[nn.Module]:
    """Within the context, ``module``'s output has ``channels`` (of dimension 1) set to 0; on leaving, the hook is
    removed and the network computes exactly what it did before."""
    idx = torch.as_tensor(list(channels), dtype=torch.long)

    def hook(_module, _inputs, output):
        if not isinstance(output, torch.Tensor) or output.dim() < 2:
            raise TypeError("zeroed() needs a module whose output is a tensor with channels on dimension 1")
        if len(idx) and (int(idx.min()) < 0 or int(idx.max()) >= output.shape[1]):
            raise ValueError(f"channels must lie in 0..{output.shape[1] - 1}")
        out = output.clone()
        out[:, idx.to(out.device)] = 0
        return out

    handle = module.register_forward_hook(hook)
    try:
        yield module
    finally:
        handle.remove()


def random_channels(n_channels: int, n: int, draws: int, seed: int = 0) -> torch.Tensor:
    """``draws`` random sets of ``n`` distinct channels out of ``n_channels``: (draws, n) int64."""
    if not 0 <= n <= n_channels:
        raise ValueError(f"cannot draw {n} distinct channels out of {n_channels}")
    g = torch.Generator().manual_seed(seed)
    return torch.stack([torch.randperm(n_channels, generator=g)[:n] for _ in range(draws)]) if draws else \
        torch.zeros(0, n, dtype=torch.long)


def sort_channels(vectors: torch.Tensor) -> torch.Tensor:
    """Each vector's values in ascending order, (n, channels): the same values, no longer tied to a channel."""
    return torch.sort(vectors, dim=1).values


class ChannelPermutation(nn.Module):
    """Shuffles dimension 1 of its input with a fresh random permutation on every forward pass, in training
    and in evaluation (PermuteNet): what follows can only use functions of the values that ignore their order."""

    def __init__(self, seed: int = 0):
        super().__init__()
        self.generator = torch.Generator().manual_seed(seed)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        perm = torch.randperm(x.shape[1], generator=self.generator).to(x.device)
        return x.index_select(1, perm)
