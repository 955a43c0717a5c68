"""The trained networks of the downstream tasks: one per task, arm (padding mode or coordinates) and seed,
trained from random weights the first time it is asked for and then loaded from the content-keyed cache.

* :func:`saliency` — a :class:`dense.Net` trained to mark the salient object of :func:`task_scenes.salient`
  (binary cross-entropy at every output pixel);
* :func:`segmentation` — the same network with four output channels, trained on :func:`task_scenes.layout`;
* :func:`classifier` — the same encoder with global pooling, trained on :func:`task_scenes.sided` scenes
  whose class lies on its own side with probability ``own_side``; ``prior=True`` trains it as a product of
  experts with the known side prior (the bias model), and the network alone answers at test time.

This module holds only what decides the weights, so that changing how they are measured
(:mod:`poslib.downstream`) does not retrain them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import config, dense, networks, scenes, task_scenes, train

#: The arms every task is trained with: three border rules and coordinate channels without padding.
ARMS: tuple[str, ...] = ("zeros", "circular", "valid", dense.COORD)
#: Class-on-its-own-side probability of the shortcut's training scenes.
SHORTCUT = 0.9


@dataclass(frozen=True)
class TaskSizes:
    """One profile's budget: the scene layout, training scenes per task, epochs, batch, peak learning rate."""

    layout: scenes.Layout = scenes.Layout()
    salient: int = 2400
    segment: int = 2000
    classify: int = 3000
    epochs: int = 4
    batch: int = 32
    lr: float = 3e-3


#: Every profile's budget. ``smoke`` trains on half the book's scenes: every binding finding held there on seeds
#: 0, 7 and 11, and on bfloat16 autocast.
SIZES: dict[str, TaskSizes] = {
    "smoke": TaskSizes(salient=1200, segment=1000, classify=1500),
    "book": TaskSizes(),
    "paper": TaskSizes(layout=scenes.Layout(96, 32, 16), salient=20000, segment=20000, classify=30000, epochs=20,
                       batch=48, lr=1e-3),
}


def sizes(profile: Optional[config.Profile] = None) -> TaskSizes:
    """The :class:`TaskSizes` of ``profile`` (default: the active one)."""
    return SIZES[(profile or config.get_profile()).name]


def _check_arm(arm: str) -> None:
    if arm not in ARMS:
        raise ValueError(f"unknown arm {arm!r}; choose one of {', '.join(ARMS)}")


def _spec(task: str, arm: str, seed: int, s: TaskSizes, **extra) -> dict:
    return {"task": task, "arm": arm, "seed": seed, "layout": vars(s.layout), "salient": s.salient,
            "segment": s.segment, "classify": s.classify, "epochs": s.epochs, "batch": s.batch, "lr": s.lr,
            "widths": dense.WIDTHS, "convs": dense.CONVS, "precision": config.precision(), **extra}


def _grid_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy of one-channel logits against a mask averaged over each output pixel's block."""
    return F.binary_cross_entropy_with_logits(logits.float(), dense.to_grid(target, logits.shape[-1]))


def _grid_ce(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of per-pixel logits against the class shares of each output pixel's block."""
    onehot = F.one_hot(labels, logits.shape[1]).permute(0, 3, 1, 2).float()
    return F.cross_entropy(logits.float(), dense.to_grid(onehot, logits.shape[-1]))


def _poe(logits: torch.Tensor, labels: torch.Tensor, log_prior: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of the product of experts: the network's and the bias model's log-probabilities added."""
    return F.cross_entropy(F.log_softmax(logits.float(), 1) + log_prior, labels)


def saliency(rule: str, arm: str, seed: int = 0, profile: Optional[config.Profile] = None) -> nn.Module:
    """The frozen saliency network of ``arm`` trained on ``rule`` scenes (``centre`` or ``cue``) of ``seed``."""
    profile = profile or config.get_profile()
    _check_arm(arm)
    s = sizes(profile)
    spec = _spec("saliency", arm, seed, s, rule=rule)

    def fit(net: nn.Module) -> dict:
        data = task_scenes.salient(s.salient, config.stream(seed, 5100), "train", rule, s.layout)
        losses = train.fit(net, data.images, [data.masks], _grid_loss, s.epochs, s.batch, s.lr, seed,
                           desc=f"saliency/{rule}/{arm}")
        return {"info": {"losses": losses}}

    return networks.cached_network("task-net", spec, lambda: dense.build(arm, 1, True), fit, seed, __name__)


def segmentation(arm: str, seed: int = 0, profile: Optional[config.Profile] = None) -> nn.Module:
    """The frozen segmentation network of ``arm`` trained on layout scenes of ``seed``."""
    profile = profile or config.get_profile()
    _check_arm(arm)
    s = sizes(profile)
    spec = _spec("segmentation", arm, seed, s)
    classes = len(task_scenes.LAYOUT_CLASSES)

    def fit(net: nn.Module) -> dict:
        data = task_scenes.layout(s.segment, config.stream(seed, 5200), "train", s.layout.canvas, s.layout.obj)
        losses = train.fit(net, data.images, [data.labels], _grid_ce, s.epochs, s.batch, s.lr, seed,
                           desc=f"segmentation/{arm}")
        return {"info": {"losses": losses}}

    return networks.cached_network("task-net", spec, lambda: dense.build(arm, classes, True), fit, seed, __name__)


def classifier(arm: str, seed: int = 0, own_side: float = SHORTCUT, prior: bool = False,
               profile: Optional[config.Profile] = None) -> nn.Module:
    """The frozen classifier of ``arm`` trained on scenes whose class lies on its own side with probability
    ``own_side`` (0.5: no shortcut), alone or (``prior=True``) as a product of experts with the side prior."""
    profile = profile or config.get_profile()
    _check_arm(arm)
    s = sizes(profile)
    spec = _spec("classifier", arm, seed, s, own_side=own_side, prior=prior)
    classes = len(task_scenes.SIDED_DIGITS)

    def fit(net: nn.Module) -> dict:
        data = task_scenes.sided(s.classify, config.stream(seed, 5300), own_side, "train", s.layout)
        desc = f"classifier/{arm}/{own_side}" + ("/prior" if prior else "")
        if prior:
            log_prior = task_scenes.side_prior(own_side, s.layout).clamp_min(1e-6).log()[data.place]
            losses = train.fit(net, data.images, [data.labels, log_prior], _poe, s.epochs, s.batch, s.lr, seed, desc)
        else:
            losses = train.fit(net, data.images, [data.labels], F.cross_entropy, s.epochs, s.batch, s.lr, seed, desc)
        return {"info": {"losses": losses}}

    return networks.cached_network("task-net", spec, lambda: dense.build(arm, classes, False), fit, seed, __name__)
