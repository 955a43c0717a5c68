"""What a scene classifier (:mod:`poslib.scene_classifiers`) knows about class and place, stage by stage.

:func:`latents` reads, for every image of a held-out set that shows each object at every place, the network's
prediction and per stage two latent vectors: the stage's features averaged over the object's square (*local*)
and over the whole canvas (*pooled*). The functions below turn those into accuracy by place, probe accuracy by
stage and ring, class separability and factor dimensions; :func:`collect` does all of it over modes and seeds.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Optional

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm import tqdm

from . import config, infer, metrics, probes, scene_classifiers, scenes

#: Stream (of the run's first seed) of the held-out scenes, and of the probes' training scenes.
TEST_STREAM, PROBE_STREAM = 17, 18


@dataclass(frozen=True)
class ProbeSizes:
    """One profile's measuring sizes: held-out objects (each shown at every place), the probes' training
    objects, labelled samples per class of the few-shot probe and its draws, pairs per factor and bootstrap
    resamplings of the dimension estimate."""

    test_objects: int = 200
    probe_objects: int = 120
    shots: int = 10
    draws: int = 5
    pairs: int = 2000
    bootstrap: int = 200


#: The measuring sizes of every profile.
SIZES: dict[str, ProbeSizes] = {
    "smoke": ProbeSizes(test_objects=80, probe_objects=60, pairs=1000, bootstrap=50),
    "book": ProbeSizes(),
    "paper": ProbeSizes(test_objects=1000, probe_objects=400, pairs=20000),
}


def sizes(profile: Optional[config.Profile] = None) -> ProbeSizes:
    """The :class:`ProbeSizes` of ``profile`` (default: the active one)."""
    return SIZES[(profile or config.get_profile()).name]


def held_out(profile: Optional[config.Profile] = None) -> tuple[scenes.Scenes, scenes.Scenes]:
    """The held-out scenes (test photos and glyphs, each object at every place) and the probes' training
    scenes (training photos and glyphs, new draws), both from streams of the run's first seed."""
    profile = profile or config.get_profile()
    s, first, layout = sizes(profile), profile.seeds[0], scene_classifiers.sizes(profile).layout
    return (scenes.every_place(s.test_objects, config.stream(first, TEST_STREAM), "test", layout),
            scenes.every_place(s.probe_objects, config.stream(first, PROBE_STREAM), "train", layout))


@dataclass
class Latents:
    """A network's reading of a set of scenes: predicted class, and per stage the local and pooled vectors."""

    pred: torch.Tensor  #: (n,) predicted class
    local: list  #: per stage (n, channels): the stage averaged over the object's square
    pooled: list  #: per stage (n, channels): the stage averaged over the canvas
    scenes: scenes.Scenes = field(repr=False)


@lru_cache(maxsize=32)
def place_weights(height: int, width: int, layout: scenes.Layout) -> torch.Tensor:
    """The linear map (height * width, places) from a stage's map to the mean of its features over each place's
    object square: the map resized bilinearly to the canvas (so that a valid network's smaller maps line up),
    then averaged over the square."""
    basis = torch.eye(height * width).view(-1, 1, height, width)
    canvas = F.interpolate(basis, size=(layout.canvas, layout.canvas), mode="bilinear", align_corners=True)
    return F.avg_pool2d(canvas, layout.obj, layout.step).flatten(1)


def latents(net: nn.Module, data: scenes.Scenes, batch: int = 250) -> Latents:
    """Read ``data`` through ``net``: predictions, and each stage's features averaged over the object's square
    (:func:`place_weights`) and over the whole map."""
    lay = data.layout
    widths = list(net.widths)

    def read(x: torch.Tensor) -> torch.Tensor:
        maps = net.stages(x)
        logits = net.head(maps[-1].mean((2, 3)))
        pooled = [m.mean((2, 3)) for m in maps]
        local = [m.float().flatten(2) @ place_weights(*m.shape[-2:], lay).to(m.device) for m in maps]  # (b, c, places)
        return torch.cat([logits, *pooled, *[v.flatten(1) for v in local]], 1)

    out = infer.batched(read, data.images, batch)
    k = net.head.out_features
    pred, rest = out[:, :k].argmax(1), out[:, k:]
    pooled, rest = list(rest[:, : sum(widths)].split(widths, 1)), rest[:, sum(widths):]
    rows = torch.arange(len(out))
    local = [m.view(len(out), c, lay.n_places)[rows, :, data.place]
             for m, c in zip(rest.split([c * lay.n_places for c in widths], 1), widths)]
    return Latents(pred, local, pooled, data)


def accuracy_by_place(lat: Latents) -> np.ndarray:
    """The share of objects named correctly at each place, as a (side, side) array."""
    ok = (lat.pred == lat.scenes.labels).numpy().astype(float)
    return per_place(ok, lat.scenes.place.numpy(), lat.scenes.layout)


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
            rows += [{"stage": stage + 1, "read": read, "ring": r, "accuracy": a} for r, a in enumerate(metrics.ring_means(acc))]
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
    and the largest spread of a logit of one object over its places, relative to the largest logit."""
    logits = infer.batched(net, data.images)
    logits = logits.view(-1, data.layout.n_places, logits.shape[-1])
    pred = logits.argmax(-1)
    spread = float((logits.amax(1) - logits.amin(1)).max() / logits.abs().max().clamp_min(1e-12))
    return float((pred == pred[:, :1]).all(1).float().mean()), spread


def collect(modes: Optional[tuple] = None, seeds: Optional[tuple] = None,
            profile: Optional[config.Profile] = None) -> dict:
    """Every measurement of the scene classifiers over ``modes`` and ``seeds`` (default: the profile's) as tidy
    tables: ``rings`` (class accuracy per ring, and "all" with the inner-minus-frame gap), ``places`` (per mode,
    the (side, side) accuracy averaged over seeds), ``probes``, ``separability``, ``dimensions``, ``blank``
    (circular networks on blank canvases), ``networks`` (training seconds, cached or not) and ``first`` (the
    first seed's held-out latents per mode)."""
    profile = profile or config.get_profile()
    modes = tuple(modes or scene_classifiers.sizes(profile).modes)
    seeds = tuple(seeds or profile.seeds)
    test, probe_set = held_out(profile)
    out = {k: [] for k in ("rings", "probes", "separability", "dimensions", "blank", "networks")}
    places, first = {}, {}
    for mode in tqdm(modes, desc="scene classifiers"):
        for seed in seeds:
            net = scene_classifiers.network(mode, seed, profile)
            out["networks"].append({"mode": mode, "seed": seed, "train seconds": net.info["train_seconds"],
                                    "loaded from cache": net.info["cached"]})
            lat, plat = latents(net, test), latents(net, probe_set)
            acc = accuracy_by_place(lat)
            places.setdefault(mode, []).append(acc)
            tag = {"mode": mode, "seed": seed}
            out["rings"] += [dict(tag, ring=r, accuracy=a) for r, a in enumerate(metrics.ring_means(acc))]
            out["rings"].append(dict(tag, ring="all", accuracy=float(acc.mean()), **{"inner minus frame": inner_minus_frame(acc)}))
            out["probes"].append(probe_scores(lat, plat).assign(**tag))
            out["separability"].append(dict(tag, **separability(lat, plat, profile, seed)))
            out["dimensions"].append(dict(tag, **dimensions(lat, profile, seed)))
            if mode == "circular":
                same, spread = same_everywhere(net, scenes.blank_canvas(test))
                out["blank"].append(dict(tag, **{"objects answered the same everywhere": same, "largest logit spread": spread}))
            if seed == seeds[0]:
                first[mode] = lat
    return {"rings": pd.DataFrame(out["rings"]), "probes": pd.concat(out["probes"], ignore_index=True),
            "separability": pd.DataFrame(out["separability"]), "dimensions": pd.DataFrame(out["dimensions"]),
            "blank": pd.DataFrame(out["blank"]), "places": {m: np.mean(v, 0) for m, v in places.items()},
            "networks": pd.DataFrame(out["networks"]), "first": first}
