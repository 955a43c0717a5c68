"""Spearman correlation (SPC) and mean absolute error (MAE) between position maps (Chapter 1 onwards), and
the class-blind foreground IoU of Chapter 3's segmentations.

Both are computed per image and then averaged over images, as in the authors' evaluation code.
A constant prediction has no ranking, so its Spearman correlation is undefined; we count it as 0
(no position information), where the paper prints ".0". A map whose values span less than
:data:`CONSTANT_TOL` counts as constant: otherwise float rounding noise in a flat map (from resizing a
constant feature map, say) would be ranked and give a meaningless correlation.
"""
from __future__ import annotations

import warnings
from typing import Union

import numpy as np
import torch
from scipy import stats

ArrayLike = Union[np.ndarray, torch.Tensor]
CONSTANT_TOL = 1e-6


def _as_batch(pred: ArrayLike, target: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    p = pred.detach().cpu().numpy() if isinstance(pred, torch.Tensor) else np.asarray(pred)
    t = target.detach().cpu().numpy() if isinstance(target, torch.Tensor) else np.asarray(target)
    if p.ndim not in (2, 3) or t.ndim not in (2, 3):
        raise ValueError(
            f"position maps must have shape (H, W) or (N, H, W); got prediction {p.shape} and target {t.shape}"
        )
    if p.ndim == 2:
        p = p[None]
    if t.ndim == 2:
        t = t[None]
    if p.shape[-2:] != t.shape[-2:]:
        raise ValueError(
            f"prediction is {p.shape[-2]}x{p.shape[-1]} but the target is {t.shape[-2]}x{t.shape[-1]}; "
            "resize the prediction to the target's size first"
        )
    if t.shape[0] == 1 and p.shape[0] > 1:
        t = np.broadcast_to(t, p.shape)
    if p.shape[0] != t.shape[0]:
        raise ValueError(f"{p.shape[0]} predictions but {t.shape[0]} targets")
    return p.reshape(p.shape[0], -1).astype(np.float64), t.reshape(t.shape[0], -1).astype(np.float64)


def spc_per_image(pred: ArrayLike, target: ArrayLike) -> np.ndarray:
    """Spearman's rank correlation of each predicted map with its target; (numerically) constant maps give 0 (Ch. 1)."""
    p, t = _as_batch(pred, target)
    out = np.zeros(len(p))
    for i in range(len(p)):
        if np.ptp(p[i]) < CONSTANT_TOL or np.ptp(t[i]) < CONSTANT_TOL:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = stats.spearmanr(p[i], t[i])[0]
        out[i] = 0.0 if np.isnan(r) else r
    return out


def spc(pred: ArrayLike, target: ArrayLike) -> float:
    """Mean over images of the per-image Spearman correlation, in [-1, 1] (Chapter 1)."""
    return float(spc_per_image(pred, target).mean())


def mae_per_image(pred: ArrayLike, target: ArrayLike) -> np.ndarray:
    """Mean absolute pixel difference of each predicted map from its target (Chapter 1)."""
    p, t = _as_batch(pred, target)
    return np.abs(p - t).mean(axis=1)


def mae(pred: ArrayLike, target: ArrayLike) -> float:
    """Mean over images of the per-image mean absolute error (Chapter 1)."""
    return float(mae_per_image(pred, target).mean())


def border_distance(size: int) -> np.ndarray:
    """Each pixel's distance, in pixels, to the nearest image border of a size x size map (Chapter 2)."""
    i = np.arange(size)
    d = np.minimum(i, size - 1 - i)
    return np.minimum(d[:, None], d[None, :])


def error_by_border_distance(pred: ArrayLike, target: ArrayLike) -> np.ndarray:
    """Mean absolute error at each distance to the border (index = distance in pixels) (Chapter 2)."""
    p, t = _as_batch(pred, target)
    size = int(round(np.sqrt(p.shape[1])))
    if size * size != p.shape[1]:
        raise ValueError("error_by_border_distance needs square maps")
    err = np.abs(p - t).mean(axis=0)
    d = border_distance(size).ravel()
    return np.array([err[d == k].mean() for k in range(d.max() + 1)])


def foreground_iou(pred: ArrayLike, mask: ArrayLike) -> float:
    """IoU of "not background" (label 0) between predicted and true label maps, whatever the class (Chapter 3).

    It scores *where* a segmentation network puts an object, not *what* it calls it; set beside the mIoU it
    separates finding the target cell from naming its class.
    """
    p, m = torch.as_tensor(pred), torch.as_tensor(mask)
    if p.shape != m.shape:
        raise ValueError(f"prediction and mask differ in shape: {tuple(p.shape)} vs {tuple(m.shape)}")
    p, m = p != 0, m != 0
    union = int((p | m).sum())
    return float(int((p & m).sum()) / union) if union else float("nan")
