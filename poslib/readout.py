"""The position-encoding module (PEM): a small convolutional readout trained to draw a position map (Ch. 1).

Following the authors' code, a readout is ``depth`` convolutions of ``kernel`` x ``kernel`` (zero padding
``padding``, 0 by default), the hidden ones followed by BN + ReLU and the last by BN + sigmoid; its
output is up-sampled bilinearly to the image size and trained with a mean squared error.

One :class:`Readout` can hold several independent readouts, one per target map, side by side: the
hidden layers are grouped convolutions, so no weight is shared between targets and training them
together gives the same result as training each alone, for one pass over the features.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm import tqdm

from . import config, infer


class Readout(nn.Module):
    """``n_maps`` independent k x k readouts of ``depth`` layers over ``in_ch`` feature channels (Chapter 1)."""

    def __init__(self, in_ch: int, n_maps: int = 1, depth: int = 1, kernel: int = 3, padding: int = 0,
                 hidden: int = 16):
        super().__init__()
        if depth < 1 or kernel < 1 or padding < 0 or n_maps < 1:
            raise ValueError(f"need depth >= 1, kernel >= 1, padding >= 0, n_maps >= 1; got depth={depth}, "
                             f"kernel={kernel}, padding={padding}, n_maps={n_maps}")
        layers: list[nn.Module] = []
        ch, groups = in_ch, 1
        for _ in range(depth - 1):
            layers += [nn.Conv2d(ch, n_maps * hidden, kernel, padding=padding, groups=groups),
                       nn.BatchNorm2d(n_maps * hidden), nn.ReLU(inplace=True)]
            ch, groups = n_maps * hidden, n_maps
        layers += [nn.Conv2d(ch, n_maps, kernel, padding=padding, groups=groups), nn.BatchNorm2d(n_maps),
                   nn.Sigmoid()]
        self.net = nn.Sequential(*layers)
        for m in self.net:
            if isinstance(m, nn.Conv2d):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)
        self.in_ch, self.n_maps = in_ch, n_maps

    def forward(self, feats: torch.Tensor, out_size: int | None = None) -> torch.Tensor:  # noqa: D102
        if feats.dim() != 4 or feats.shape[1] != self.in_ch:
            raise ValueError(f"readout expects (N, {self.in_ch}, H, W) features, got {tuple(feats.shape)}")
        y = self.net(feats)
        if out_size is not None:
            y = F.interpolate(y, size=(out_size, out_size), mode="bilinear", align_corners=False)
        return y


def fit(feats: torch.Tensor, maps: torch.Tensor, depth: int = 1, kernel: int = 3, padding: int = 0,
        epochs: int = 12, batch: int = 32, lr: float = 5e-3, hidden: int = 16, seed: int = 0,
        desc: str = "readout") -> Readout:
    """Train a readout from frozen features (N, C, h, w) to target maps (T, H, W), shared by all images (Ch. 1)."""
    if maps.dim() != 3:
        raise ValueError(f"target maps must be (T, H, W), got {tuple(maps.shape)}")
    if maps.shape[-1] != maps.shape[-2]:
        raise ValueError("target maps must be square")
    torch.manual_seed(seed)
    dev = config.device()
    model = Readout(feats.shape[1], maps.shape[0], depth, kernel, padding, hidden).to(dev)
    target = maps.to(dev)[None]
    size = maps.shape[-1]
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    g = torch.Generator().manual_seed(seed)
    n = len(feats)
    steps = epochs * ((n + batch - 1) // batch)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(steps, 1))
    model.train()
    for _ in tqdm(range(epochs), desc=desc, leave=False):
        order = torch.randperm(n, generator=g)
        for s in range(0, n, batch):
            x = feats[order[s: s + batch]].to(dev)
            loss = F.mse_loss(model(x, size), target.expand(len(x), -1, -1, -1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    return model.eval()


def predict(model: Readout, feats: torch.Tensor, size: int, batch: int = 128) -> torch.Tensor:
    """Predicted maps (N, T, size, size) in [0, 1] for features (N, C, h, w), in float32."""
    model.eval().to(config.device())
    return infer.batched(lambda f: model(f, size), feats, batch, channels_last=False, numeric_path=False)
