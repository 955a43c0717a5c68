"""Position channels of a segmentation network: rank its last stage's channels, zero them, and see what the
answer loses, over the whole image or one half of it.

* :func:`mirrored_objects` — the same object at a place and at its mirror image across the canvas, on the
  same scene: pairs that move position without mirroring the object;
* :func:`rankings` — channel scores from image flips and from moved objects (absolute and signed);
* :func:`zeroing_drops` — the mIoU lost when the top-N ranked channels, or random sets of N, are zeroed;
* :func:`attack` — the region-specific attack: zero the channels that prefer one half, score both halves;
* :func:`hook_matches` — the check that zeroing through a hook equals zeroing the features the tables use.
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from scipy.stats import spearmanr

from . import channels, config, dense, glyphs, infer, metrics, scenes, task_scenes

#: The axes a ranking can mirror along: ``horizontal`` (left-right, the paper's flip) and ``vertical``.
AXES: dict[str, int] = {"horizontal": -1, "vertical": -2}
#: Stream (of each seed) of the objects moved between mirrored places, and of the random channel draws.
MOVED_STREAM, DRAW_STREAM = 6200, 6201


def mirror_place(place: torch.Tensor, layout: scenes.Layout, axis: str) -> torch.Tensor:
    """The lattice place mirrored across the canvas along ``axis`` (columns for horizontal, rows for vertical)."""
    row, col = place // layout.side, place % layout.side
    last = layout.side - 1
    return (row * layout.side + last - col) if axis == "horizontal" else ((last - row) * layout.side + col)


def mirrored_objects(backgrounds: torch.Tensor, seed: int, axis: str, layout: scenes.Layout = scenes.Layout()
                     ) -> tuple[torch.Tensor, torch.Tensor]:
    """One held-out object per background, at a random place in the first half along ``axis`` (left or top)
    and, in the partner image, at the mirrored place: (first-half images, mirrored images)."""
    if axis not in AXES:
        raise ValueError(f"unknown axis {axis!r}; choose one of {', '.join(AXES)}")
    n = len(backgrounds)
    g = torch.Generator().manual_seed(config.stream(seed, MOVED_STREAM))
    objects, _ = glyphs.patches(n, layout.obj, seed=config.stream(seed, MOVED_STREAM), split="test")
    half = layout.side // 2
    line, other = torch.randint(half, (n,), generator=g), torch.randint(layout.side, (n,), generator=g)
    place = other * layout.side + line if axis == "horizontal" else line * layout.side + other
    return (scenes.paste(backgrounds, objects, place, layout),
            scenes.paste(backgrounds, objects, mirror_place(place, layout, axis), layout))


def rankings(net: nn.Module, images: torch.Tensor, seed: int) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Channel scores and orders of ``net``'s last stage: ``flip <axis>`` (mean |change| under a mirror of
    the image), ``moved <axis>`` (the same, for an object moved to the mirrored place) and ``signed moved
    <axis>`` (mean change, first half minus mirrored: positive channels prefer the left, or the top)."""
    out = {}
    for axis, dim in AXES.items():
        out[f"flip {axis}"] = channels.rank_by_pairs(net, images, images.flip(dim))
        a, b = mirrored_objects(images, seed, axis)
        out[f"moved {axis}"] = channels.rank_by_pairs(net, a, b)
        out[f"signed moved {axis}"] = channels.rank_by_pairs(net, a, b, signed=True)
    return out


def concentration(scores: torch.Tensor, top: int) -> float:
    """Share of the total score held by the ``top`` highest-scoring channels."""
    s = scores.clamp_min(0).sort(descending=True).values
    return float(s[:top].sum() / s.sum())


def agreement(a: torch.Tensor, b: torch.Tensor) -> float:
    """Spearman correlation of two channel-score vectors."""
    return float(spearmanr(a.numpy(), b.numpy()).statistic)


def _last_stage(net: dense.Net, images: torch.Tensor) -> torch.Tensor:
    return infer.batched(lambda x: net.stages(x)[-1], images)


def _zeroed_logits(net: dense.Net, features: torch.Tensor, drop: Sequence[int]) -> torch.Tensor:
    """The dense head on ``features`` with channels ``drop`` set to 0, on the numeric path (what
    :func:`channels.zeroed` on the last stage gives, without running the encoder again); float32 logits."""
    idx = torch.as_tensor(list(drop), dtype=torch.long)
    with torch.no_grad(), config.autocast():
        return net.head(features.index_fill(1, idx, 0.0) if len(idx) else features).float()


#: The halves of an answer :func:`half_scores` scores, by the mirror axis that separates them.
HALVES: dict[str, tuple[str, str]] = {"horizontal": ("left", "right"), "vertical": ("top", "bottom")}


def dense_miou(logits: torch.Tensor, labels: torch.Tensor, half: Optional[str] = None) -> float:
    """mIoU of dense ``logits`` against ``labels`` on the pixels the network answers for (or on one half of
    them: ``left``, ``right``, ``top``, ``bottom``)."""
    pred = _classes(logits, labels.shape[-1])
    first = (labels.shape[-1] - pred.shape[-1]) // 2
    side = pred.shape[-1]
    truth = labels[:, first: first + side, first: first + side]
    if half is not None:
        first_half = half in ("left", "top")
        cut = slice(0, side // 2) if first_half else slice(side // 2, side)
        if half in ("left", "right"):
            pred, truth = pred[..., cut], truth[..., cut]
        else:
            pred, truth = pred[..., cut, :], truth[..., cut, :]
    return float(np.nanmean(metrics.iou_per_class(pred, truth, len(task_scenes.LAYOUT_CLASSES))))


def zeroing_drops(net: dense.Net, test: task_scenes.Layouts, order: torch.Tensor, counts: Sequence[int],
                  draws: int, seed: int) -> pd.DataFrame:
    """mIoU lost when the top-``n`` channels of ``order`` are zeroed, and when ``draws`` random sets of ``n``
    are, for each ``n`` in ``counts``: one row per (n, which, draw)."""
    features = _last_stage(net, test.images)
    clean = dense_miou(_zeroed_logits(net, features, []), test.labels)
    rows = []
    for n in counts:
        rows.append({"n": n, "which": "ranked", "draw": -1,
                     "lost": clean - dense_miou(_zeroed_logits(net, features, order[:n].tolist()), test.labels)})
        for d, pick in enumerate(channels.random_channels(features.shape[1], n, draws,
                                                          config.stream(seed, DRAW_STREAM + n))):
            rows.append({"n": n, "which": "random", "draw": d,
                         "lost": clean - dense_miou(_zeroed_logits(net, features, pick.tolist()), test.labels)})
    return pd.DataFrame(rows).assign(clean=clean)


def half_scores(net: dense.Net, test: task_scenes.Layouts, drop: Sequence[int], axis: str = "horizontal"
                ) -> dict[str, float]:
    """mIoU on each half of the answer along ``axis`` (left and right, or top and bottom), clean and with
    channels ``drop`` of the last stage zeroed: keys like ``left clean``, ``left zeroed``."""
    features = _last_stage(net, test.images)
    out = {}
    for state, chosen in (("clean", []), ("zeroed", drop)):
        logits = _zeroed_logits(net, features, chosen)
        for half in HALVES[axis]:
            out[f"{half} {state}"] = dense_miou(logits, test.labels, half)
    return out


def attack(net: dense.Net, test: task_scenes.Layouts, signed_order: torch.Tensor, n: int, axis: str) -> dict:
    """The region-specific attack along ``axis``: zero the ``n`` channels that most prefer the first half (left,
    top) by the signed ranking; the mIoU lost on the first and on the second half."""
    first, second = HALVES[axis]
    h = half_scores(net, test, signed_order[:n].tolist(), axis)
    return {"axis": axis, "n": n, "first half": first, "second half": second,
            "first half lost": h[f"{first} clean"] - h[f"{first} zeroed"],
            "second half lost": h[f"{second} clean"] - h[f"{second} zeroed"]}


def hook_matches(net: dense.Net, images: torch.Tensor, drop: Sequence[int]) -> float:
    """Check :func:`channels.zeroed` against the zeroing tables' shortcut: the largest difference, relative to
    the logits' largest magnitude, between the network run with the hook on its last stage and the head on the
    zeroed features, and between the network's answers before the hook and after it is gone."""
    before = infer.batched(net, images)
    with channels.zeroed(net.encoder.blocks[-1], drop):
        hooked = infer.batched(net, images)
    after = infer.batched(net, images)
    shortcut = _zeroed_logits(net, _last_stage(net, images), drop)
    scale = float(before.abs().max())
    return max(float((hooked - shortcut).abs().max()), float((after - before).abs().max())) / scale


def zeroed_prediction(net: dense.Net, images: torch.Tensor, drop: Sequence[int]) -> torch.Tensor:
    """``net``'s predicted class at every pixel it answers for (the whole image, or an unpadded network's
    window), with channels ``drop`` of its last stage zeroed: (n, side, side) int64."""
    return _classes(_zeroed_logits(net, _last_stage(net, images), drop), images.shape[-1])


def _classes(logits: torch.Tensor, size: int) -> torch.Tensor:
    """Dense logits up-sampled in place on a ``size`` px image, cut to the pixels they cover, as classes."""
    first, side = (size - logits.shape[-1] * dense.STRIDE) // 2, logits.shape[-1] * dense.STRIDE
    window = slice(first, first + side)
    # argmax over a last, contiguous axis: the same answer, several times faster than over dimension 1
    return dense.to_pixels(logits, size, "crop")[:, :, window, window].movedim(1, -1).contiguous().argmax(-1)
