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

import dataclasses
from dataclasses import dataclass, field
from typing import Mapping, Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import channels, config, glyphs, grids, models, networks, padding, train

#: The two questions the pooled networks answer about one object on a k x k grid.
TASKS: tuple[str, ...] = ("location", "class")
#: Channels and convolutions of the bodies' stages (the encoder of Chapter 5's networks).
WIDTHS: tuple[int, ...] = (8, 16, 32)
CONVS: tuple[int, ...] = (2, 2, 2)
#: The digits of the class task (as in Chapter 5's sided scenes): the tiny bodies learn four digit classes in
#: the budget, where all ten stay near chance.
DIGITS: tuple[int, ...] = (0, 1, 4, 7)


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
    ResNet-style one), or None (no permutation: the plain pooled network)."""

    def __init__(self, body: nn.Module, classes: int, at: Union[str, int] = "pooled", seed: int = 0):
        super().__init__()
        stages = stage_modules(body)
        if at not in ("pooled", None) and not (isinstance(at, int) and 0 <= at < len(stages)):
            raise ValueError(f"at must be 'pooled', None or a stage index 0..{len(stages) - 1}, got {at!r}")
        self.body, self.at = body, at
        self.widths = body.widths
        self.head = nn.Linear(body.widths[-1], classes)
        self.permute = channels.ChannelPermutation(seed)
        if isinstance(at, int):
            stages[at].register_forward_pre_hook(lambda _module, inputs: (self.permute(inputs[0]),))

    def stages(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The backbone's stage outputs (permuted at a stage input when ``at`` is a stage)."""
        return self.body.stages(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        v = self.pooled(x)
        return self.head(self.permute(v) if self.at == "pooled" else v)

    def pooled(self, x: torch.Tensor) -> torch.Tensor:
        """The pooled vector the head reads (before any permutation at ``"pooled"``)."""
        return self.body.stages(x)[-1].mean(dim=(2, 3))


def body(mode: str) -> nn.Module:
    """A fresh VGG-style body of :data:`WIDTHS` / :data:`CONVS` with padding ``mode`` (its own head unused)."""
    return models.VGGStyle(WIDTHS, CONVS, mode, 1)


@dataclass(frozen=True)
class ChannelSizes:
    """One profile's budget: grid (k x k cells of ``patch`` px on a mean-colour canvas), training canvases and
    epochs per task (location is learnt fast, class slowly), held-out canvases, batch, peak learning rate, and
    AugShift's shift range (px) and fine-tuning epochs."""

    k: int = 3
    patch: int = 16
    train: Mapping[str, int] = field(default_factory=lambda: {"location": 1000, "class": 2000})
    epochs: Mapping[str, int] = field(default_factory=lambda: {"location": 3, "class": 4})
    test: int = 600
    batch: int = 32
    lr: float = 3e-3
    shift: int = 6
    augshift_epochs: int = 2


#: Every profile's budget. ``smoke`` trains on half the book's canvases: every binding finding held there on
#: seeds 0, 7 and 11, and on bfloat16 autocast.
SIZES: dict[str, ChannelSizes] = {
    "smoke": ChannelSizes(train={"location": 500, "class": 1000}),
    "book": ChannelSizes(),
    "paper": ChannelSizes(patch=32, train=dict.fromkeys(TASKS, 20000), epochs=dict.fromkeys(TASKS, 20), test=2000,
                          batch=48, lr=1e-3, shift=12, augshift_epochs=10),
}


def sizes(profile: Optional[config.Profile] = None) -> ChannelSizes:
    """The :class:`ChannelSizes` of ``profile`` (default: the active one)."""
    return SIZES[(profile or config.get_profile()).name]


def grid_data(seed: int, split: str = "train", n: Optional[int] = None,
              profile: Optional[config.Profile] = None) -> grids.WhereTask:
    """``n`` (default: the held-out size) objects-in-a-cell canvases of ``seed``'s ``split``: one digit of
    :data:`DIGITS` in a random cell of a k x k mean-colour canvas; ``cell`` is the ``location`` label and ``cls``
    (0 .. len(DIGITS) - 1) the ``class`` label. Cells and classes are balanced and independent."""
    s = sizes(profile)
    glyphs.check_split(split)
    n = s.test if n is None else n
    g = glyphs.generator(config.stream(seed, 6100), 61, split)
    cls = glyphs.balanced(n, len(DIGITS), g)
    cell = glyphs.balanced(n, s.k ** 2, g)
    patches = glyphs.render(torch.tensor(DIGITS)[cls], s.patch, split, g)
    return grids.WhereTask(grids.place(patches, cell, s.k, "mean"), cell, cls, s.k, s.patch, "mean", split)


def labels_of(data: grids.WhereTask, task: str) -> torch.Tensor:
    """The labels of ``task`` (``location``: the cell; ``class``: the object's class)."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")
    return data.cell if task == "location" else data.cls


def n_classes(task: str, profile: Optional[config.Profile] = None) -> int:
    """How many answers ``task`` has: k² cells or the patch classes."""
    return sizes(profile).k ** 2 if task == "location" else len(DIGITS)


def _spec(kind: str, task: str, mode: str, seed: int, s: ChannelSizes, **extra) -> dict:
    return {"net": kind, "task": task, "mode": mode, "seed": seed, **dataclasses.asdict(s), "widths": WIDTHS,
            "convs": CONVS, "precision": config.precision(), **extra}


def _trained(kind: str, task: str, mode: str, seed: int, build, profile: Optional[config.Profile],
             **extra) -> nn.Module:
    profile = profile or config.get_profile()
    s = sizes(profile)

    def fit(net: nn.Module) -> dict:
        data = grid_data(seed, "train", s.train[task], profile)
        losses = train.fit_classifier(net, data.images, labels_of(data, task), s.epochs[task], s.batch, s.lr, seed,
                                      desc=f"{kind}/{task}/{mode}")
        return {"info": {"losses": losses}}

    spec = _spec(kind, task, mode, seed, s, **extra)
    return networks.cached_network("channel-net", spec, build, fit, seed, __name__)


def gapnet(task: str, mode: str, seed: int = 0, profile: Optional[config.Profile] = None) -> GAPNet:
    """The frozen :class:`GAPNet` with padding ``mode`` trained on ``task`` (``location`` or ``class``)."""
    return _trained("gapnet", task, mode, seed, lambda: GAPNet(body(mode), n_classes(task, profile), mode),
                    profile)


def permutenet(task: str, at: Union[str, int, None], seed: int = 0, mode: str = "zeros",
               profile: Optional[config.Profile] = None) -> PermuteNet:
    """The frozen :class:`PermuteNet` trained on ``task`` with the permutation at ``at`` (None: no permutation,
    the plain pooled network with a linear head)."""
    return _trained("permutenet", task, mode, seed,
                    lambda: PermuteNet(body(mode), n_classes(task, profile), at, seed), profile, at=at)


class AugShift(nn.Module):
    """Training wrapper: two random crops (side ``size - shift``) of every batch go through ``net``; the
    output is both crops' logits and pooled latents, for :func:`augshift_loss`."""

    def __init__(self, net: PermuteNet, shift: int, seed: int = 0):
        super().__init__()
        self.net, self.shift = net, shift
        self.generator = torch.Generator().manual_seed(seed)

    def _crop(self, x: torch.Tensor) -> torch.Tensor:
        y0, x0 = torch.randint(self.shift + 1, (2,), generator=self.generator).tolist()
        side = x.shape[-1] - self.shift
        return x[..., y0: y0 + side, x0: x0 + side]

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:  # noqa: D102
        out = []
        for crop in (self._crop(x), self._crop(x)):
            z = self.net.body.stages(crop)[-1].mean(dim=(2, 3))
            out += [self.net.head(z), z]
        return tuple(out)


def augshift_loss(weight: float):
    """AugShift's loss: cross-entropy on both crops plus ``weight`` x the mean squared distance of their pooled
    latents."""
    def loss(out: tuple[torch.Tensor, ...], labels: torch.Tensor) -> torch.Tensor:
        y1, z1, y2, z2 = (t.float() for t in out)
        return F.cross_entropy(y1, labels) + F.cross_entropy(y2, labels) + weight * F.mse_loss(z1, z2)
    return loss


def augshift(mode: str, weight: float, seed: int = 0, profile: Optional[config.Profile] = None) -> PermuteNet:
    """The plain class network (:func:`permutenet` with no permutation) of padding ``mode``, fine-tuned with
    AugShift at latent weight ``weight`` (0: the shifted crops alone) on canvases framed by
    :attr:`ChannelSizes.shift` px of canvas colour, so that no crop cuts an object."""
    profile = profile or config.get_profile()
    s = sizes(profile)
    start = permutenet("class", None, seed, mode, profile)

    def fit(net: nn.Module) -> dict:
        net.load_state_dict(networks.state_dict(start))
        for p in net.parameters():
            p.requires_grad_(True)
        data = grid_data(seed, "train", s.train["class"], profile)
        wrapper = AugShift(net, s.shift, seed)
        losses = train.fit(wrapper, framed(data.images, s.shift), [data.cls], augshift_loss(weight),
                           s.augshift_epochs, s.batch, train.FINETUNE_LR, seed, desc=f"augshift/{mode}/{weight}")
        return {"info": {"losses": losses}}

    spec = _spec("augshift", "class", mode, seed, s, weight=float(weight), start=start.info["key"])
    return networks.cached_network("channel-net", spec,
                                   lambda: PermuteNet(body(mode), n_classes("class", profile), None, seed), fit, seed,
                                   __name__)


def framed(images: torch.Tensor, width: int) -> torch.Tensor:
    """``images`` (on the mean-colour canvas) with a frame of ``width`` px of that colour on every side."""
    value = grids.canvas_value("mean").view(1, 3, 1, 1)
    out = value.expand(images.shape[0], 3, images.shape[-2] + 2 * width, images.shape[-1] + 2 * width).clone()
    out[..., width: width + images.shape[-2], width: width + images.shape[-1]] = images
    return out
