"""Scoring the downstream tasks' networks (:mod:`poslib.task_nets`) on held-out scenes (:mod:`poslib.task_scenes`).

* :func:`saliency_scores` — F-measure and MAE of a saliency network, scored three ways (:data:`SCORINGS`): on the
  whole image (padded networks), on the central window an unpadded network answers for (every network, the same
  pixels), and with an unpadded answer stretched over the whole image;
* :func:`segmentation_scores` — mIoU and per-class IoU, the same three ways;
* :func:`shortcut_scores` — accuracy on each test placement of the side shortcut, and the drop;
* :func:`shift_consistency`, :func:`crop_choice` — whether an answer survives a small shift or crop;
* :func:`circular_spread`, :func:`truth_scores` — the sanity checks: a circular network's equivariance, and the
  scoring applied to the truth.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch
import torch.nn as nn

from . import dense, infer, metrics, scenes, task_scenes, train

#: How an answer is matched to the image: the whole image, the unpadded networks' window, or stretched.
SCORINGS: tuple[str, ...] = ("whole image", "window", "resized")


def _window(net: nn.Module, size: int) -> slice:
    first, side = dense.window(net, size)
    return slice(first, first + side)


def _same_window(size: int) -> slice:
    """The window every network is scored on: the one an unpadded network of :mod:`poslib.dense` answers for."""
    return _window(dense.build("valid", 1, True), size)


def _saliency(pixels: torch.Tensor) -> torch.Tensor:
    return torch.sigmoid(pixels)[:, 0]


def saliency_maps(net: nn.Module, images: torch.Tensor, how: str = "crop") -> torch.Tensor:
    """Saliency in [0, 1] at every pixel (n, s, s); NaN outside the window of an unpadded net (``how="crop"``),
    or its answer stretched over the image (``how="resize"``)."""
    return _saliency(dense.to_pixels(infer.batched(net, images), images.shape[-1], how))


def _scored(logits: torch.Tensor, truth: torch.Tensor, answer) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """(answer, truth) per scoring that applies (:data:`SCORINGS`): the unpadded networks' window always, the
    whole image when the network answers for all of it, else its answer resized. ``answer`` turns per-pixel
    logits into the prediction."""
    size = truth.shape[-1]
    pixels = dense.to_pixels(logits, size, "crop")
    pred, w = answer(pixels), _same_window(size)
    scored = {"window": (pred[..., w, w], truth[..., w, w])}
    if torch.isnan(pixels).any():
        scored["resized"] = (answer(dense.to_pixels(logits, size, "resize")), truth)
    else:
        scored["whole image"] = (pred, truth)
    return scored


def saliency_scores(net: nn.Module, data: task_scenes.Salient) -> pd.DataFrame:
    """F-measure and MAE of ``net`` on ``data``, one row per scoring (:data:`SCORINGS`) that applies: the whole
    image when the answer covers it, the unpadded networks' window always, resized when it does not cover it.
    Also by ring of the salient object (``ring`` -1: all scenes)."""
    scored = _scored(infer.batched(net, data.images), data.masks[:, 0], _saliency)
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
    scored = _scored(infer.batched(net, data.images), data.labels, lambda pixels: pixels.argmax(1))
    rows = []
    for how, (pred, truth) in scored.items():
        ious = metrics.iou_per_class(pred, truth, len(task_scenes.LAYOUT_CLASSES))
        rows.append({"scoring": how, "mIoU": float(np.nanmean(ious)),
                     **{f"IoU {c}": v for c, v in zip(task_scenes.LAYOUT_CLASSES, ious)}})
    return pd.DataFrame(rows)


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
