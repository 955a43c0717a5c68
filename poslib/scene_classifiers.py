"""Classifiers that must ignore place: one small CNN per padding mode and seed, trained from random weights to
name the object of :func:`poslib.scenes.scenes` wherever it lies on its canvas.

The network is a small VGG-style classifier: four [3x3 conv, BN, ReLU] stages with 2x2 max-pooling between,
global average pooling and a linear layer (Chapter 3's grid networks with a narrower first stage, which halves
the training time on a CPU). :func:`network` trains it the first time it is asked for and
keeps it in the content-keyed cache; this module holds only what decides the weights, so that changing how the
networks are measured (:mod:`poslib.semantics`) does not retrain them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch.nn as nn

from . import config, glyphs, models, networks, padding, scenes, train

#: Channels of the four single-convolution stages (three 2x2 max-pools: total stride 8, which divides the
#: lattice step, so moving an object by one place is a shift every stage can follow exactly).
WIDTHS: tuple[int, ...] = (16, 32, 64, 64)


@dataclass(frozen=True)
class SceneSizes:
    """One profile's training budget: the scene layout, the padding modes trained, training scenes, epochs,
    batch and peak learning rate (AdamW, one-cycle)."""

    layout: scenes.Layout = scenes.Layout()
    modes: tuple[str, ...] = ("zeros", "reflect", "circular", "valid", "partial")
    train: int = 6000
    epochs: int = 6
    batch: int = 64
    lr: float = 3e-3


#: The sizes of every profile. At smaller budgets the valid network does not learn the objects well enough to
#: show its loss at the frame, so ``smoke`` trains the three modes the binding findings compare at the book's
#: sizes, on its one seed.
SIZES: dict[str, SceneSizes] = {
    "smoke": SceneSizes(modes=("zeros", "circular", "valid")),
    "book": SceneSizes(),
    "paper": SceneSizes(layout=scenes.Layout(96, 32, 16), train=50000, epochs=20, batch=48, lr=1e-3),
}


def sizes(profile: Optional[config.Profile] = None) -> SceneSizes:
    """The :class:`SceneSizes` of ``profile`` (default: the active one)."""
    return SIZES[(profile or config.get_profile()).name]


def build(mode: str) -> nn.Module:
    """A fresh (random) scene classifier with padding ``mode``."""
    padding.check_mode(mode)
    return models.VGGStyle(WIDTHS, (1,) * len(WIDTHS), mode, len(glyphs.PATCH_CLASSES))


def network(mode: str, seed: int = 0, profile: Optional[config.Profile] = None) -> nn.Module:
    """The frozen scene classifier with padding ``mode`` of ``seed``: trained from random weights on
    :func:`scenes.scenes` (a stream of ``seed``) the first time it is asked for, then loaded from the cache.
    Its ``info`` holds the training losses and seconds, and whether it came from the cache."""
    profile = profile or config.get_profile()
    padding.check_mode(mode)
    s = sizes(profile)
    spec = {"mode": mode, "seed": seed, "layout": vars(s.layout), "train": s.train, "epochs": s.epochs,
            "batch": s.batch, "lr": s.lr, "widths": WIDTHS, "precision": config.precision()}

    def fit(net: nn.Module) -> dict:
        data = scenes.scenes(s.train, 1000 + seed, "train", s.layout)
        losses = train.fit_classifier(net, data.images, data.labels, s.epochs, s.batch, s.lr, seed,
                                      desc=f"scenes/{mode}")
        return {"info": {"losses": losses}}

    return networks.cached_network("scene-classifier", spec, lambda: build(mode), fit, seed, __name__)
