"""Classifiers that must ignore place, and what their latent vectors know: class and place, stage by stage.

Each network is a small VGG-style classifier (the shape of Chapter 3's grid networks) trained from random
weights, one per padding mode and seed, to name the object of :func:`poslib.scenes.scenes` wherever it lies.
:func:`run` trains it once (then loads it from the content-keyed cache) and reads, for every image of a held-out
set that shows each object at every place, its prediction and per stage two latent vectors: the stage's
features averaged over the object's square (*local*) and over the whole canvas (*pooled*). The functions below
turn those into accuracy by place, probe accuracy by stage and ring, separability and factor dimensions.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import config, infer, metrics, models, padding, probes, scenes, train

#: Channels of the four single-convolution stages (three 2x2 max-pools: total stride 8, which divides the
#: lattice step, so moving an object by one place is a shift every stage can follow exactly).
WIDTHS: tuple[int, ...] = (32, 32, 64, 64)
#: Stream (of the run's first seed) of the held-out scenes, and of the probes' training scenes.
TEST_STREAM, PROBE_STREAM = 17, 18


@dataclass(frozen=True)
class SemanticSizes:
    """One profile's sizes: the scene layout, the padding modes trained, training scenes, epochs, batch and
    peak learning rate (AdamW, one-cycle), held-out objects (each shown at every place), the probes' training
    objects, labelled samples per class of the few-shot probe and its draws, pairs per factor and bootstrap
    resamplings of the dimension estimate."""

    layout: scenes.Layout = scenes.Layout()
    modes: tuple[str, ...] = ("zeros", "reflect", "circular", "valid", "partial")
    train: int = 6000
    epochs: int = 6
    batch: int = 64
    lr: float = 3e-3
    test_objects: int = 200
    probe_objects: int = 120
    shots: int = 10
    draws: int = 5
    pairs: int = 2000
    bootstrap: int = 200


#: The sizes of every profile; ``smoke`` trains the three modes the binding findings compare, smaller.
SIZES: dict[str, SemanticSizes] = {
    "smoke": SemanticSizes(modes=("zeros", "circular", "valid"), train=3000, epochs=4, test_objects=80,
                           probe_objects=60, pairs=1000, bootstrap=50),
    "book": SemanticSizes(),
    "paper": SemanticSizes(layout=scenes.Layout(96, 32, 16), train=50000, epochs=20, batch=48, lr=1e-3,
                           test_objects=1000, probe_objects=400, pairs=20000),
}


def sizes(profile: Optional[config.Profile] = None) -> SemanticSizes:
    """The :class:`SemanticSizes` of ``profile`` (default: the active one)."""
    return SIZES[(profile or config.get_profile()).name]


def network(mode: str, seed: int = 0, profile: Optional[config.Profile] = None) -> nn.Module:
    """The frozen scene classifier with padding ``mode`` of ``seed``: trained from random weights on
    :func:`scenes.scenes` the first time it is asked for, then loaded from the cache."""
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

    return train.cached_network("semantic", spec, lambda: models.VGGStyle(WIDTHS, (1,) * len(WIDTHS), mode, 10),
                                fit, seed, __name__)


def held_out(profile: Optional[config.Profile] = None) -> tuple[scenes.Scenes, scenes.Scenes]:
    """The held-out scenes (test photos and glyphs, each object at every place) and the probes' training
    scenes (training photos and glyphs, new draws), both from streams of the run's first seed."""
    profile = profile or config.get_profile()
    s, first = sizes(profile), profile.seeds[0]
    return (scenes.every_place(s.test_objects, config.stream(first, TEST_STREAM), "test", s.layout),
            scenes.every_place(s.probe_objects, config.stream(first, PROBE_STREAM), "train", s.layout))


@dataclass
class Latents:
    """A network's reading of a set of scenes: predicted class, and per stage the local and pooled vectors."""

    pred: torch.Tensor  #: (n,) predicted class
    local: list  #: per stage (n, channels): the stage averaged over the object's square
    pooled: list  #: per stage (n, channels): the stage averaged over the canvas
    scenes: scenes.Scenes = field(repr=False)


def latents(net: nn.Module, data: scenes.Scenes, batch: int = 250) -> Latents:
    """Read ``data`` through ``net``: predictions, and each stage's features averaged over the object's square
    (after bilinear resizing to the canvas, so that valid networks' smaller maps line up) and over the whole map."""
    lay = data.layout
    widths = [b[0].out_channels for b in net.blocks]

    def read(x: torch.Tensor) -> torch.Tensor:
        maps = net.stages(x)
        logits = net.head(maps[-1].mean((2, 3)))
        pooled = [m.mean((2, 3)) for m in maps]
        local = [F.avg_pool2d(F.interpolate(m, size=(lay.canvas, lay.canvas), mode="bilinear", align_corners=True),
                              lay.obj, lay.step).flatten(2) for m in maps]  # (b, c, places)
        return torch.cat([logits, *pooled, *[v.flatten(1) for v in local]], 1)

    out = infer.batched(read, data.images, batch)
    pred, rest = out[:, :10].argmax(1), out[:, 10:]
    pooled, rest = list(rest[:, : sum(widths)].split(widths, 1)), rest[:, sum(widths):]
    rows = torch.arange(len(out))
    local = [m.view(len(out), c, lay.n_places)[rows, :, data.place]
             for m, c in zip(rest.split([c * lay.n_places for c in widths], 1), widths)]
    return Latents(pred, local, pooled, data)


def accuracy_by_place(lat: Latents) -> np.ndarray:
    """The share of objects named correctly at each place, as a (side, side) array."""
    ok = (lat.pred == lat.scenes.labels).float()
    lay = lat.scenes.layout
    return torch.zeros(lay.n_places).index_add_(0, lat.scenes.place, ok).div_(
        torch.bincount(lat.scenes.place, minlength=lay.n_places)).view(lay.side, lay.side).numpy()


def by_ring(values: np.ndarray) -> np.ndarray:
    """Means of a (side, side) per-place array over each ring of places (ring 0: at the frame), place-weighted."""
    return metrics.ring_means(values)


def inner_minus_frame(values: np.ndarray) -> float:
    """Place-weighted mean of a (side, side) per-place array away from the frame (rings >= 1) minus its mean at the frame."""
    v = np.asarray(values)
    d = metrics.border_distance(v.shape[0])
    return float(v[d > 0].mean() - v[d == 0].mean())


def per_place(ok: np.ndarray, place: np.ndarray, layout: scenes.Layout) -> np.ndarray:
    """Mean of the per-sample values ``ok`` at each place, as a (side, side) array."""
    sums = np.bincount(place, weights=ok, minlength=layout.n_places)
    return (sums / np.bincount(place, minlength=layout.n_places)).reshape(layout.side, layout.side)


def probe_scores(test: Latents, probe: Latents) -> pd.DataFrame:
    """Linear probes per stage, trained on ``probe`` and scored on ``test``: the object's class from its local
    vector, and its place (one of the lattice's) from the pooled vector. One row per (stage, read, ring)."""
    rows = []
    lay = test.scenes.layout
    place = test.scenes.place.numpy()
    for stage in range(len(test.local)):
        for read, vec, labels, truth in (
                ("class, from the object's square", "local", probe.scenes.labels, test.scenes.labels),
                ("place, from the pooled vector", "pooled", probe.scenes.place, test.scenes.place)):
            pred = probes.linear_probe(getattr(probe, vec)[stage], labels, getattr(test, vec)[stage])
            acc = per_place((pred == truth.numpy()).astype(float), place, lay)
            rows += [{"stage": stage + 1, "read": read, "ring": r, "accuracy": a} for r, a in enumerate(by_ring(acc))]
            rows.append({"stage": stage + 1, "read": read, "ring": "all", "accuracy": float(acc.mean()),
                         "inner minus frame": inner_minus_frame(acc)})
    return pd.DataFrame(rows)


def separability(test: Latents, probe: Latents, profile: Optional[config.Profile] = None, seed: int = 0) -> dict:
    """Class separability of the last stage's pooled vectors: few-shot linear-probe accuracy on ``test``
    (``shots`` labelled probe samples per class, mean of ``draws``) and the Fisher ratio of ``test``."""
    s = sizes(profile)
    return {"few-shot accuracy": probes.few_shot_accuracy(probe.pooled[-1], probe.scenes.labels, test.pooled[-1],
                                                          test.scenes.labels, s.shots, s.draws, seed),
            "Fisher ratio": probes.fisher_ratio(test.pooled[-1], test.scenes.labels)}


def factor_pairs(data: scenes.Scenes, n: int, seed: int) -> list[np.ndarray]:
    """Pairs of held-out images that share the class (different objects) and that share the place
    (different objects), ``n`` of each."""
    return [probes.pairs(data.labels, n, seed, differ=data.obj), probes.pairs(data.place, n, seed + 1, differ=data.obj)]


def dimensions(test: Latents, profile: Optional[config.Profile] = None, seed: int = 0) -> dict:
    """Esser et al.'s factor scores of the last stage's pooled vectors (class, place, residual), a 90 %
    bootstrap interval of each, and the dimensions each factor takes."""
    s = sizes(profile)
    z = test.pooled[-1]
    sets = factor_pairs(test.scenes, s.pairs, seed)
    score = probes.factor_scores(z, sets)
    boot = probes.bootstrap_scores(z, sets, s.bootstrap, seed)
    low, high = np.quantile(boot, [0.05, 0.95], axis=0)
    dims = probes.factor_dimensions(score, z.shape[1])
    return {"class score": score[0], "place score": score[1], "class 90% interval": (low[0], high[0]),
            "place 90% interval": (low[1], high[1]), "class dims": int(dims[0]), "place dims": int(dims[1]),
            "residual dims": int(dims[2])}


def same_everywhere(net: nn.Module, data: scenes.Scenes) -> tuple[float, float]:
    """For scenes showing each object at every place: the share of objects ``net`` names the same at every place,
    and the largest spread of a logit of one object over its places."""
    logits = infer.batched(net, data.images).view(-1, data.layout.n_places, 10)
    pred = logits.argmax(-1)
    return float((pred == pred[:, :1]).all(1).float().mean()), float((logits.amax(1) - logits.amin(1)).max())
