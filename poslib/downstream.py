"""Measuring where position helps and where it hurts: the trained networks of :mod:`poslib.task_nets` on
held-out scenes of :mod:`poslib.task_scenes`.

* :func:`saliency_scores` — F-measure and MAE of a saliency network, scored three ways: on the whole image
  (padded networks), on the central window an unpadded network answers for (every network, the same pixels),
  and with an unpadded answer stretched over the whole image;
* :func:`segmentation_scores` — mIoU and per-class IoU, the same three ways;
* :func:`shortcut_scores` — accuracy on scenes whose class sits on its own side with probability 0.9, 0.5
  and 0.1;
* :func:`shift_consistency`, :func:`crop_choice` — whether an answer survives a small shift or crop;
* :func:`position_scores` — how much position the encoders hold (the position meter);
* :func:`collect` — all of it over arms and seeds, as tables.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from tqdm import tqdm

from . import config, dense, infer, meter, metrics, scenes, task_nets, task_scenes, train

#: Streams (of each seed) of the held-out scenes of each task.
SALIENT_TEST, LAYOUT_TEST, SIDED_TEST = 5101, 5201, 5301
#: Class-on-its-own-side probabilities of the shortcut's three test sets.
TESTS: dict[str, float] = {"aligned": task_nets.SHORTCUT, "independent": 0.5, "reversed": 1 - task_nets.SHORTCUT}
#: How an answer is matched to the image: the whole image, the unpadded networks' window, or stretched.
SCORINGS: tuple[str, ...] = ("whole image", "window", "resized")
#: Position maps and inputs of the task-trained encoders' readout (the paper's Table 6).
POSITION_TARGETS: tuple[str, ...] = ("H", "G", "HS")


@dataclass(frozen=True)
class MeasureSizes:
    """One profile's held-out sizes and arms: test scenes per task, the shift (px) of the consistency test and
    the crop (px) of the saliency crops, and which arms each task trains."""

    salient_test: int = 600
    layout_test: int = 400
    sided_test: int = 1000
    shift: int = 4
    crop: int = 8
    saliency_arms: tuple[str, ...] = task_nets.ARMS
    cue_arms: tuple[str, ...] = ("zeros", "circular", "valid")
    segmentation_arms: tuple[str, ...] = ("zeros", "valid", dense.COORD)
    shortcut_arms: tuple[str, ...] = task_nets.ARMS


#: The held-out sizes of every profile. ``smoke`` measures the book's first-seed networks on the book's test sets:
#: at smaller budgets the shortcut's control (a drop of at most the margin) would be decided by sampling noise.
SIZES: dict[str, MeasureSizes] = {
    "smoke": MeasureSizes(),
    "book": MeasureSizes(),
    "paper": MeasureSizes(salient_test=2000, layout_test=1000, sided_test=4000, shift=8, crop=16),
}


def sizes(profile: Optional[config.Profile] = None) -> MeasureSizes:
    """The :class:`MeasureSizes` of ``profile`` (default: the active one)."""
    return SIZES[(profile or config.get_profile()).name]


def _window(net: nn.Module, size: int) -> slice:
    first, side = dense.window(net, size)
    return slice(first, first + side)


def _same_window(size: int) -> slice:
    """The window every network is scored on: the one an unpadded network of :mod:`poslib.dense` answers for."""
    return _window(dense.build("valid", 1, True), size)


def saliency_maps(net: nn.Module, images: torch.Tensor, how: str = "crop") -> torch.Tensor:
    """Saliency in [0, 1] at every pixel (n, s, s); NaN outside the window of an unpadded net (``how="crop"``),
    or its answer stretched over the image (``how="resize"``)."""
    logits = infer.batched(net, images)
    return torch.sigmoid(dense.to_pixels(logits, images.shape[-1], how))[:, 0]


def saliency_scores(net: nn.Module, data: task_scenes.Salient) -> pd.DataFrame:
    """F-measure and MAE of ``net`` on ``data``, one row per scoring (:data:`SCORINGS`) that applies: the whole
    image when the answer covers it, the unpadded networks' window always, resized when it does not cover it.
    Also by ring of the salient object (``ring`` -1: all scenes)."""
    size = data.images.shape[-1]
    logits, masks = infer.batched(net, data.images), data.masks[:, 0]
    maps = torch.sigmoid(dense.to_pixels(logits, size, "crop"))[:, 0]
    w = _same_window(size)
    scored = {"window": (maps[:, w, w], masks[:, w, w])}
    if not torch.isnan(maps).any():
        scored["whole image"] = (maps, masks)
    else:
        scored["resized"] = (torch.sigmoid(dense.to_pixels(logits, size, "resize"))[:, 0], masks)
    rows = []
    ring = data.ring.numpy()
    for how, (m, t) in scored.items():
        f = metrics.f_measure_per_image(m, t)
        err = metrics.mae_per_image(m, t)
        rows.append({"scoring": how, "ring": -1, "F-measure": f.mean(), "MAE": err.mean()})
        for r in np.unique(ring):
            rows.append({"scoring": how, "ring": int(r), "F-measure": f[ring == r].mean(), "MAE": err[ring == r].mean()})
    return pd.DataFrame(rows)


def segmentation_scores(net: nn.Module, data: task_scenes.Layouts) -> pd.DataFrame:
    """mIoU and each class's IoU of ``net`` on ``data``, one row per scoring that applies (as
    :func:`saliency_scores`)."""
    size = data.images.shape[-1]
    logits = infer.batched(net, data.images)
    crop = dense.to_pixels(logits, size, "crop")
    w = _same_window(size)
    scored = {"window": (crop[:, :, w, w].argmax(1), data.labels[:, w, w])}
    if not torch.isnan(crop).any():
        scored["whole image"] = (crop.argmax(1), data.labels)
    else:
        scored["resized"] = (dense.to_pixels(logits, size, "resize").argmax(1), data.labels)
    rows = []
    for how, (pred, truth) in scored.items():
        ious = metrics.iou_per_class(pred, truth, len(task_scenes.LAYOUT_CLASSES))
        rows.append({"scoring": how, "mIoU": float(np.nanmean(ious)),
                     **{f"IoU {c}": v for c, v in zip(task_scenes.LAYOUT_CLASSES, ious)}})
    return pd.DataFrame(rows)


def shortcut_tests(seed: int, profile: Optional[config.Profile] = None) -> dict[str, scenes.Scenes]:
    """The shortcut's three held-out sets of ``seed`` (:data:`TESTS`): the same objects, placed by each rule."""
    profile = profile or config.get_profile()
    s, layout = sizes(profile), task_nets.sizes(profile).layout
    return {name: task_scenes.sided(s.sided_test, config.stream(seed, SIDED_TEST), own, "test", layout)
            for name, own in TESTS.items()}


def shortcut_scores(net: nn.Module, tests: dict[str, scenes.Scenes]) -> dict[str, float]:
    """Accuracy of ``net`` on each test set, and ``drop``: aligned minus reversed."""
    acc = {name: train.accuracy(net, data.images, data.labels) for name, data in tests.items()}
    acc["drop"] = acc["aligned"] - acc["reversed"]
    return acc


def shift_consistency(net: nn.Module, images: torch.Tensor, shift: int) -> float:
    """Share of ``images`` whose predicted class is the same in all four corner crops of side ``s - shift``
    (the content moved by up to ``shift`` px each way, nothing wrapped)."""
    size = images.shape[-1] - shift
    answers = [infer.batched(lambda x: net(x).argmax(1), images[..., y: y + size, x: x + size].contiguous())
               for y in (0, shift) for x in (0, shift)]
    answers = torch.stack(answers)
    return float((answers == answers[0]).all(0).float().mean())


def crop_choice(net: nn.Module, data: task_scenes.Salient, crop: int) -> dict[str, float]:
    """Crop ``crop`` px off the top-left, then off the bottom-right (the content moves by ``crop`` px each way
    between the two). Over scenes with at least two objects wholly inside both crops, and among those objects:
    the share of scenes where the object with the highest mean predicted saliency changes between the crops,
    and the share where the object nearest the crop's centre changes."""
    layout = data.layout
    s = layout.canvas - crop
    origins = layout.origins()[data.places]  # (n, objects, 2) top-left pixels
    inside = ((origins >= crop) & (origins + layout.obj <= s)).all(-1)  # (n, objects)
    keep = inside.sum(1) >= 2
    chosen, nearest = [], []
    for off in (0, crop):
        maps = saliency_maps(net, data.images[keep][..., off: off + s, off: off + s].contiguous(), "resize")
        o = origins[keep] - off
        means = torch.stack([torch.stack([maps[i, y: y + layout.obj, x: x + layout.obj].mean() for y, x in o[i].tolist()])
                             for i in range(len(o))]) if len(o) else torch.zeros(0, origins.shape[1])
        centre = (s - layout.obj) / 2
        far = ((o.float() - centre) ** 2).sum(-1)
        chosen.append(means.masked_fill(~inside[keep], -1.0).argmax(1))
        nearest.append(far.masked_fill(~inside[keep], float("inf")).argmin(1))
    n = int(keep.sum())
    return {"scenes": n, "choice changes": float((chosen[0] != chosen[1]).float().mean()) if n else float("nan"),
            "nearest-to-centre changes": float((nearest[0] != nearest[1]).float().mean()) if n else float("nan")}


def circular_spread(net: nn.Module, images: torch.Tensor) -> float:
    """The largest difference between ``net``'s answer to images rolled by one output pixel (:data:`dense.STRIDE`
    px, both ways) and its answer rolled by one pixel, relative to the answer's largest magnitude."""
    out = infer.batched(net, images)
    rolled = infer.batched(net, torch.roll(images, (dense.STRIDE, dense.STRIDE), (2, 3)))
    return float((rolled - torch.roll(out, (1, 1), (2, 3))).abs().max() / out.abs().max())


def truth_scores(salient: task_scenes.Salient, layouts: task_scenes.Layouts) -> dict[str, float]:
    """The scoring applied to the truth itself: the lowest F-measure and mIoU and the largest MAE of the true
    masks and labels scored as predictions, on the whole image and on the window (1, 1 and 0 when the scoring
    is right)."""
    w = _same_window(salient.images.shape[-1])
    masks, labels = salient.masks[:, 0], layouts.labels
    classes = len(task_scenes.LAYOUT_CLASSES)
    f = [metrics.f_measure(m, m) for m in (masks, masks[:, w, w])]
    iou = [float(np.nanmean(metrics.iou_per_class(t, t, classes))) for t in (labels, labels[:, w, w])]
    return {"F-measure": min(f), "MAE": max(metrics.mae(m, m) for m in (masks, masks[:, w, w])), "mIoU": min(iou)}


def position_scores(net: nn.Module, seed: int, size: int) -> pd.DataFrame:
    """SPC and MAE of position readouts (:data:`POSITION_TARGETS`) on ``net``'s frozen last stage, on held-out
    photos and black, white and noise images (the position meter, readout seed ``seed``)."""
    last = f"encoder.blocks.{len(net.widths) - 1}"
    report = meter.measure(net, layers=[last], target_names=POSITION_TARGETS, size=size, seeds=[seed])
    return report.scores.drop(columns=["layer"])


def layout_test(seed: int, profile: Optional[config.Profile] = None) -> task_scenes.Layouts:
    """The held-out layouts of ``seed`` that the segmentation networks are scored on."""
    profile = profile or config.get_profile()
    layout = task_nets.sizes(profile).layout
    return task_scenes.layout(sizes(profile).layout_test, config.stream(seed, LAYOUT_TEST), "test", layout.canvas,
                              layout.obj)


def collect(seeds, profile: Optional[config.Profile] = None) -> dict:
    """Train (or load) every network of every arm and seed and measure it. Returns tables: ``networks``,
    ``saliency``, ``segmentation``, ``shortcut``, ``shifts``, ``crops``, ``position``, ``circular``, and
    ``examples`` (the first seed's test scenes and networks, for figures)."""
    profile = profile or config.get_profile()
    s, layout = sizes(profile), task_nets.sizes(profile).layout
    out = {k: [] for k in ("networks", "saliency", "segmentation", "shortcut", "shifts", "crops", "position",
                           "circular")}
    examples = {}

    def note(net: nn.Module, task: str, arm: str, seed: int, **extra) -> None:
        out["networks"].append({"task": task, "arm": arm, "seed": seed, **extra,
                                "train seconds": round(net.info.get("train_seconds", 0.0), 1),
                                "loaded from cache": net.info.get("cached")})

    jobs = len(seeds) * (len(s.saliency_arms) + len(s.cue_arms) + len(s.segmentation_arms)
                         + len(s.shortcut_arms) + 2)
    bar = tqdm(total=jobs, desc="Chapter 5 networks")
    for seed in seeds:
        first = seed == seeds[0]
        for rule, arms in (("centre", s.saliency_arms), ("cue", s.cue_arms)):
            test = task_scenes.salient(s.salient_test, config.stream(seed, SALIENT_TEST), "test", rule, layout)
            for arm in arms:
                net = task_nets.saliency(rule, arm, seed, profile)
                note(net, f"saliency ({rule})", arm, seed)
                out["saliency"].append(saliency_scores(net, test).assign(rule=rule, arm=arm, seed=seed))
                if rule == "centre":
                    out["crops"].append(dict(crop_choice(net, test, s.crop), arm=arm, seed=seed))
                    if arm == "zeros":
                        out["position"].append(position_scores(net, seed, layout.canvas).assign(
                            network="saliency", seed=seed))
                    if arm == "circular":
                        out["circular"].append({"seed": seed, "spread": circular_spread(net, test.images[:64])})
                if first:
                    examples[("saliency", rule, arm)] = net
                bar.update(1)
            if first:
                examples[("salient scenes", rule)] = test
        test = layout_test(seed, profile)
        for arm in s.segmentation_arms:
            net = task_nets.segmentation(arm, seed, profile)
            note(net, "segmentation", arm, seed)
            out["segmentation"].append(segmentation_scores(net, test).assign(arm=arm, seed=seed))
            if arm == "zeros":
                out["position"].append(position_scores(net, seed, layout.canvas).assign(network="segmentation",
                                                                                        seed=seed))
            if first:
                examples[("segmentation", arm)] = net
            bar.update(1)
        if first:
            examples["layout scenes"] = test
        tests = shortcut_tests(seed, profile)
        variants = [(arm, task_nets.SHORTCUT, False) for arm in s.shortcut_arms]
        variants += [("zeros", 0.5, False), ("zeros", task_nets.SHORTCUT, True)]
        for arm, own, prior in variants:
            net = task_nets.classifier(arm, seed, own, prior, profile)
            variant = "with the side prior" if prior else ("shortcut" if own != 0.5 else "control")
            note(net, "classification", arm, seed, variant=variant)
            out["shortcut"].append(dict(shortcut_scores(net, tests), arm=arm, variant=variant, seed=seed))
            out["shifts"].append({"arm": arm, "variant": variant, "seed": seed,
                                  "consistency": shift_consistency(net, tests["independent"].images, s.shift)})
            if variant == "control":
                out["position"].append(position_scores(net, seed, layout.canvas).assign(network="classification",
                                                                                        seed=seed))
            bar.update(1)
    bar.close()
    tables = {k: (pd.concat(v, ignore_index=True) if v and isinstance(v[0], pd.DataFrame) else pd.DataFrame(v))
              for k, v in out.items()}
    tables["examples"] = examples
    return tables
