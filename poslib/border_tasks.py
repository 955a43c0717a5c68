"""Networks and measurements of Chapter 3's border tasks: where is the patch, what is at a place, and its mask.

Each task trains a small GAP-headed CNN (or, for segmentation, a 1x1-conv head up-sampled to the input)
with one padding rule on the canvases of :mod:`poslib.grids`, and scores it on held-out canvases built
from other photos and glyphs. :func:`run` trains a network once per (task, mode, grid, target, canvas,
seed) and keeps its test predictions in the content-keyed cache; the rest of the module turns predictions
into the ring weights of a network and chance levels; scores are in :mod:`poslib.metrics`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Mapping, Optional, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import config, glyphs, grids, infer, metrics, models, networks, padding, train

#: The three tasks: location of one patch, class of the patch in a target cell, its segmentation.
TASKS: tuple[str, ...] = ("where", "what_where", "segment")
#: Channels of the four single-convolution stages per task; three 2x2 max-pools make a total stride of 8, which
#: divides the patch side, so moving a patch by whole cells is a shift the network can follow exactly. At half
#: the width, finding one patch (``where``) keeps every finding of its own and trains in about a third of the
#: time, if a little less accurate than at full width; naming the patch in a target cell, and
#: segmenting it, stay near the position-blind ceiling at half width, so they keep the full width.
WIDTHS: dict[str, tuple[int, ...]] = {"where": (16, 16, 32, 32), "what_where": (32, 32, 64, 64),
                                      "segment": (32, 32, 64, 64)}
#: Stream (of the run's first seed) of the held-out canvases (test split: other glyph samples, other photos).
TEST_STREAM = 7


@dataclass(frozen=True)
class GridSizes:
    """The sizes of the border tasks in one profile: patch (cell) side in pixels, the patch classifier every
    task network starts from (patches, epochs), canvases and epochs per task network, held-out canvases,
    batch and peak learning rate (AdamW, one-cycle)."""

    patch: int = 16
    pretrain: int = 5000
    pretrain_epochs: int = 8
    train: Mapping[str, int] = field(default_factory=lambda: {"where": 1200, "what_where": 4000, "segment": 2000})
    epochs: Mapping[str, int] = field(default_factory=lambda: {"where": 3, "what_where": 3, "segment": 4})
    test: int = 500
    batch: int = 64
    lr: float = 3e-3


#: The sizes of every profile. The tasks stay near chance at smaller budgets (the patch classifier too),
#: so ``smoke`` uses the book's sizes on its one seed (on one CPU thread, so these are not the book's networks).
SIZES: dict[str, GridSizes] = {
    "smoke": GridSizes(),
    "book": GridSizes(),
    "paper": GridSizes(patch=32, pretrain=50000, pretrain_epochs=20, train=dict.fromkeys(TASKS, 20000),
                       epochs=dict.fromkeys(TASKS, 20), test=5000, batch=48, lr=1e-3),
}


def sizes(profile: Optional[config.Profile] = None) -> GridSizes:
    """The :class:`GridSizes` of ``profile`` (default: the active one)."""
    return SIZES[(profile or config.get_profile()).name]


class SegNet(nn.Module):
    """A VGG-style body, a 1x1 convolution to class scores and bilinear up-sampling to the input (Chapter 3)."""

    def __init__(self, mode: str, n_classes: int, widths: Sequence[int] = WIDTHS["segment"]):
        super().__init__()
        self.body = models.VGGStyle(widths, (1,) * len(widths), mode, n_classes)
        self.body.head = nn.Identity()
        self.score = nn.Conv2d(widths[-1], n_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        y = self.score(self.body.stages(x)[-1])
        return F.interpolate(y, size=x.shape[-2:], mode="bilinear", align_corners=True)


def gridnet(task: str, mode: str, n_out: int, widths: Optional[Sequence[int]] = None) -> nn.Module:
    """A fresh network for a Chapter 3 ``task`` with padding ``mode`` and ``n_out`` outputs, of the task's
    :data:`WIDTHS` unless ``widths`` are given.

    ``where`` and ``what_where``: four [3x3 conv, BN, ReLU] stages, global average pooling, a linear
    layer. ``segment``: the same body with a 1x1 convolution to ``n_out`` classes, up-sampled to the input.
    """
    check_task(task)
    padding.check_mode(mode)
    widths = WIDTHS[task] if widths is None else tuple(widths)
    if task == "segment":
        return SegNet(mode, n_out, widths)
    return models.VGGStyle(widths, (1,) * len(widths), mode, n_out)


def check_task(task: str) -> str:
    """``task`` if it is one of :data:`TASKS`, else a ValueError naming them (Chapter 3)."""
    if task not in TASKS:
        raise ValueError(f"unknown border task {task!r}; choose one of {', '.join(TASKS)}")
    return task


def n_outputs(task: str, k: int) -> int:
    """How many classes a Chapter 3 task predicts: k*k cells, 10 patch classes, or 10 classes + background."""
    check_task(task)
    return {"where": k * k, "what_where": len(glyphs.PATCH_CLASSES),
            "segment": len(glyphs.PATCH_CLASSES) + 1}[task]


def pretrained_body(profile: Optional[config.Profile] = None, widths: Sequence[int] = WIDTHS["what_where"]
                    ) -> nn.Module:
    """A zero-padded :func:`gridnet` of ``widths`` trained to classify single patches, frozen; its ``info``
    holds its test accuracy on held-out patches.

    Every border-task network starts from its body, as the paper's networks start from ImageNet weights:
    recognising a glyph on a texture is the slow part of the tasks, and learning it once lets each task
    network spend its budget on *where*. Trained once per profile and first seed, then loaded from the cache.
    """
    profile = profile or config.get_profile()
    g = sizes(profile)
    seed = profile.seeds[0]
    s = {"what": "patch classifier", "size": g.patch, "images": g.pretrain, "epochs": g.pretrain_epochs,
         "batch": g.batch, "lr": g.lr, "widths": tuple(widths), "seed": seed, "test_seed": test_seed(profile),
         "precision": config.precision()}

    def fit(net: nn.Module) -> dict:
        x, y = glyphs.patches(g.pretrain, g.patch, seed=config.stream(seed, 99), split="train")
        losses = train.fit_classifier(net, x, y, g.pretrain_epochs, g.batch, g.lr, seed, desc="patch classifier")
        xt, yt = glyphs.patches(min(1000, g.test * 2), g.patch, seed=test_seed(profile), split="test")
        return {"info": {"losses": losses, "test_accuracy": train.accuracy(net, xt, yt)}}

    return networks.cached_network("border-body", s,
                                   lambda: gridnet("what_where", "zeros", len(glyphs.PATCH_CLASSES), widths),
                                   fit, seed, __name__)


def test_seed(profile: Optional[config.Profile] = None) -> int:
    """Seed of the held-out canvases and patches: a stream of the run's first seed."""
    profile = profile or config.get_profile()
    return config.stream(profile.seeds[0], TEST_STREAM)


def _load_body(net: nn.Module, body: nn.Module) -> None:
    """Copy the pretrained patch classifier's convolutions and batch norms (not its head) into ``net``."""
    target = net.body if isinstance(net, SegNet) else net
    state = {k: v for k, v in networks.state_dict(body).items() if not k.startswith("head.")}
    missing, unexpected = target.load_state_dict(state, strict=False)
    if unexpected or any(not k.startswith("head.") for k in missing):
        raise RuntimeError(f"pretrained body does not fit: missing {missing}, unexpected {unexpected}")


@lru_cache(maxsize=8)
def _canvases(task: str, n: int, k: int, size: int, canvas: str, seed: int, split: str):
    """Canvases shared by every target cell and mode (what-where and segmentation share theirs)."""
    if task == "where":
        return grids.where_task(n, k, size, seed, canvas, split)
    return grids.what_where_task(n, k, 0, size, seed, split)


def dataset(task: str, n: int, k: int, size: int, seed: int, split: str, target: Optional[int] = None,
            canvas: str = "black") -> tuple[torch.Tensor, torch.Tensor, object]:
    """Images, training labels and the :mod:`grids` task object of one Chapter 3 data set.

    ``where`` uses ``canvas``; the full grids of ``what_where`` and ``segment`` show no canvas, and their
    images are the same for every ``target`` (only the labels change), so they are built once.
    """
    check_task(task)
    if task == "where":
        t = _canvases(task, n, k, size, canvas, seed, split)
        return t.images, t.cell, t
    if target is None:
        raise ValueError(f"the {task!r} task needs a target cell (0..{k * k - 1})")
    grids.ring(k, target)  # checks the cell
    t = _canvases("what_where", n, k, size, "black", seed, split)
    label = t.classes[:, target].clone()
    if task == "segment":
        return t.images, grids.mask_for(label, k, target, size), t
    return t.images, label, t


def predict(net: nn.Module, images: torch.Tensor, batch: int = 256) -> torch.Tensor:
    """Predicted class per image (or per pixel, for segmentation) as int64 on the CPU."""
    net.eval().to(config.device())
    return infer.batched(lambda x: net(x).argmax(1), images, batch)


def spec(task: str, mode: str, k: int, seed: int, profile: config.Profile, target: Optional[int] = None,
         canvas: str = "black") -> dict:
    """Everything that determines one cached Chapter 3 run."""
    check_task(task)
    padding.check_mode(mode)
    g = sizes(profile)
    return {"task": task, "mode": mode, "k": k, "seed": seed, "target": target,
            "canvas": canvas if task == "where" else None, "size": g.patch,
            "train": g.train[task], "test": g.test, "epochs": g.epochs[task],
            "batch": g.batch, "lr": g.lr, "widths": WIDTHS[task],
            "pretrained": {"images": g.pretrain, "epochs": g.pretrain_epochs, "seed": profile.seeds[0]},
            "test_seed": test_seed(profile), "precision": config.precision()}


def run(task: str, mode: str, k: int, seed: int = 0, target: Optional[int] = None, canvas: str = "black",
        profile: Optional[config.Profile] = None) -> dict:
    """Train (once; then from the cache) a network on a Chapter 3 task and predict the held-out canvases.

    Returns ``pred`` (test predictions), ``labels`` (test truth), ``task`` (the test :mod:`grids` object),
    ``net`` (the trained network, frozen) and ``info`` (training seconds, losses, whether it was cached).
    """
    profile = profile or config.get_profile()
    s = spec(task, mode, k, seed, profile, target, canvas)
    g = sizes(profile)
    body = pretrained_body(profile, WIDTHS[task])

    def fit(net: nn.Module) -> dict:
        x, y, _ = dataset(task, g.train[task], k, g.patch, 1000 + seed, "train", target, canvas)
        _load_body(net, body)
        t0 = time.perf_counter()
        losses = train.fit_classifier(net, x, y, g.epochs[task], g.batch, g.lr, seed, desc=f"{task}/{mode}/k{k}")
        seconds = time.perf_counter() - t0
        xt, _, _ = dataset(task, g.test, k, g.patch, test_seed(profile), "test", target, canvas)
        return {"pred": predict(net, xt).to(torch.uint8), "info": {"train_seconds": seconds, "losses": losses}}

    net = networks.cached_network("border", s, lambda: gridnet(task, mode, n_outputs(task, k)), fit, seed, __name__)
    _, yt, t = dataset(task, g.test, k, g.patch, test_seed(profile), "test", target, canvas)
    return {"pred": net.results["pred"].long(), "labels": yt, "task": t, "net": net, "info": net.info}


def ring_weights(net: nn.Module, k: int, patch: int) -> np.ndarray:
    """How much each ring of a k x k canvas of ``patch``-px cells weighs in ``net``'s pooled output: the
    input-gradient mass of the global average of its last stage per cell, averaged over each ring's cells
    (ring 0 first), on a :func:`models.window_probe` copy with ``net``'s own padding. Normalised to sum 1."""
    probe = models.window_probe(net)
    x = torch.ones(1, 3, k * patch, k * patch, requires_grad=True)
    probe.stages(x)[-1].mean().backward()
    per_cell = x.grad[0].abs().sum(0).view(k, patch, k, patch).sum((1, 3)).numpy()
    rings = metrics.ring_means(per_cell)
    return rings / rings.sum()


def chance(task: str, k: int) -> float:
    """Chance accuracy of a Chapter 3 classification task: 1/k² for ``where``, 1/10 for ``what_where``."""
    check_task(task)
    if task == "segment":
        raise ValueError("segmentation has no single chance level; compare with the always-background mIoU")
    return 1.0 / n_outputs(task, k)
