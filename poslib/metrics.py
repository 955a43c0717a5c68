"""Spearman correlation (SPC) and mean absolute error (MAE) between position maps (Chapter 1 onwards), the
class-blind foreground IoU and mIoU of segmentations, and the saliency F-measure at the adaptive threshold.

Both are computed per image and then averaged over images, as in the authors' evaluation code.
A constant prediction has no ranking, so its Spearman correlation is undefined; we count it as 0
(no position information), where the paper prints ".0". "Constant" is judged against the arithmetic that
made the map (:func:`is_flat`): a map whose values spread by no more than :data:`FLAT_ULPS` units in the
last place of its working type, at its own scale, is flat. Otherwise rounding noise in a flat map (from
resizing a constant feature map, say) would be ranked and give a meaningless correlation, which differs
from one CPU to the next.
"""
from __future__ import annotations

import warnings
from typing import Union

import numpy as np
import torch
from scipy import stats

ArrayLike = Union[np.ndarray, torch.Tensor]
#: How far, in units in the last place of its working type and relative to its largest magnitude, a map
#: may spread and still count as constant. Accumulating the same sums in another order (another CPU's
#: kernels) moves a result by a few units (we measured 2 in float32); 16 leaves room for that and is far
#: below any real signal (a zero-padded network's maps of a blank image spread by most of their magnitude).
FLAT_ULPS = 16
#: Machine epsilon of float32, the type readouts and their predictions are computed in.
FLOAT32_EPS = float(torch.finfo(torch.float32).eps)


def flat_tolerance(scale: float, eps: float = FLOAT32_EPS) -> float:
    """The largest spread a map of magnitude ``scale``, computed with machine epsilon ``eps``, may have and
    still count as constant: ``FLAT_ULPS * eps * scale``."""
    return FLAT_ULPS * eps * float(scale)


def is_flat(values: ArrayLike, eps: float = FLOAT32_EPS) -> bool:
    """Whether ``values`` are constant up to rounding: their spread is within :func:`flat_tolerance` of their
    largest magnitude (all zeros is flat)."""
    v = values.detach().cpu().double().numpy() if isinstance(values, torch.Tensor) else np.asarray(values, float)
    return bool(np.ptp(v) <= flat_tolerance(np.abs(v).max(initial=0.0), eps))


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
    """Spearman's rank correlation of each predicted map with its target; flat maps (:func:`is_flat`) give 0."""
    p, t = _as_batch(pred, target)
    out = np.zeros(len(p))
    for i in range(len(p)):
        if is_flat(p[i]) or is_flat(t[i]):
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


def ring_means(values: ArrayLike) -> np.ndarray:
    """Mean of a square (k, k) array (per pixel or per grid cell) over each ring of entries at the same
    distance to the border (:func:`border_distance`), ring 0 (the border) first."""
    v = values.detach().cpu().numpy() if isinstance(values, torch.Tensor) else np.asarray(values, dtype=float)
    if v.ndim != 2 or v.shape[0] != v.shape[1]:
        raise ValueError(f"need a square (k, k) array, got shape {v.shape}")
    d = border_distance(v.shape[0])
    return np.array([v[d == i].mean() for i in range(d.max() + 1)])


def error_by_border_distance(pred: ArrayLike, target: ArrayLike) -> np.ndarray:
    """Mean absolute error at each distance to the border (index = distance in pixels) (Chapter 2)."""
    p, t = _as_batch(pred, target)
    size = int(round(np.sqrt(p.shape[1])))
    if size * size != p.shape[1]:
        raise ValueError("error_by_border_distance needs square maps")
    return ring_means(np.abs(p - t).mean(axis=0).reshape(size, size))


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


def cell_accuracy(pred: ArrayLike, cells: ArrayLike, k: int) -> np.ndarray:
    """Accuracy per true cell of a k x k grid, as a (k, k) array: predicted vs true cell indices (row-major)."""
    pred, cells = torch.as_tensor(pred).flatten().long(), torch.as_tensor(cells).flatten().long()
    if pred.shape != cells.shape:
        raise ValueError(f"need one prediction per sample: {tuple(pred.shape)} vs {tuple(cells.shape)}")
    hits = torch.zeros(k * k).index_add_(0, cells, (pred == cells).float())
    count = torch.bincount(cells, minlength=k * k).float()
    return (hits / count.clamp(min=1)).view(k, k).numpy()


def _overlaps(pred: ArrayLike, mask: ArrayLike, classes: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Per class, the pixels two label maps of the same shape share (intersection) and cover together (union),
    as float64; ``classes`` None takes 0 .. the largest label, else checks that the labels lie in 0..classes-1."""
    pred, mask = torch.as_tensor(pred).flatten().long(), torch.as_tensor(mask).flatten().long()
    if pred.shape != mask.shape:
        raise ValueError(f"prediction and mask differ in size: {tuple(pred.shape)} vs {tuple(mask.shape)}")
    if classes is None:
        classes = int(max(pred.max(), mask.max())) + 1 if len(pred) else 1
    elif len(pred) and (int(torch.minimum(pred.min(), mask.min())) < 0
                        or int(torch.maximum(pred.max(), mask.max())) >= classes):
        raise ValueError(f"labels must lie in 0..{classes - 1}")
    conf = torch.bincount(mask * classes + pred, minlength=classes ** 2).view(classes, classes).double()
    inter = conf.diag()
    return inter, conf.sum(0) + conf.sum(1) - inter


def miou(pred: ArrayLike, mask: ArrayLike) -> float:
    """Mean intersection over union of class maps, over the classes present in the truth or the prediction."""
    inter, union = _overlaps(pred, mask)
    present = union > 0
    return float((inter[present] / union[present]).mean()) if present.any() else float("nan")


def iou_per_class(pred: ArrayLike, mask: ArrayLike, classes: int) -> np.ndarray:
    """Intersection over union of each class 0 .. classes-1 between two label maps of the same shape; NaN for a
    class absent from both."""
    inter, union = _overlaps(pred, mask, classes)
    return torch.where(union > 0, inter / union.clamp(min=1), torch.tensor(float("nan"), dtype=torch.float64)).numpy()


#: Weight of precision against recall in the saliency F-measure (beta squared), as the saliency literature sets it.
F_BETA2 = 0.3


def adaptive_threshold(saliency: ArrayLike) -> np.ndarray:
    """Per image, the saliency literature's adaptive threshold: twice the map's mean value, at most 1.
    ``saliency`` is (H, W) or (N, H, W) with values in [0, 1]; returns (N,)."""
    s = _saliency(saliency)
    return np.minimum(2.0 * s.mean(axis=(1, 2)), 1.0)


def f_measure_per_image(saliency: ArrayLike, mask: ArrayLike, beta2: float = F_BETA2) -> np.ndarray:
    """The F-measure of each saliency map binarised at its :func:`adaptive_threshold` (a pixel is salient when
    its value is at least the threshold) against a binary mask: (1 + beta2) P R / (beta2 P + R), 0 when
    nothing true is found. An image whose mask is empty scores 1 if no pixel is called salient, else 0."""
    s = _saliency(saliency)
    m = np.asarray(mask.detach().cpu().numpy() if isinstance(mask, torch.Tensor) else mask)
    if m.ndim == 2:
        m = m[None]
    if m.shape != s.shape:
        raise ValueError(f"saliency maps {s.shape} and masks {m.shape} must have the same shape")
    if not np.isin(m, (0, 1)).all():
        raise ValueError("masks must be binary (0/1 or bool); threshold a soft mask first")
    m = m.astype(bool)
    called = s >= adaptive_threshold(s)[:, None, None]
    tp = (called & m).sum(axis=(1, 2)).astype(float)
    n_called, n_true = called.sum(axis=(1, 2)), m.sum(axis=(1, 2))
    precision = np.divide(tp, n_called, out=np.zeros_like(tp), where=n_called > 0)
    recall = np.divide(tp, n_true, out=np.zeros_like(tp), where=n_true > 0)
    denom = beta2 * precision + recall
    f = np.divide((1 + beta2) * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    return np.where(n_true == 0, (n_called == 0).astype(float), f)


def f_measure(saliency: ArrayLike, mask: ArrayLike, beta2: float = F_BETA2) -> float:
    """Mean over images of :func:`f_measure_per_image`."""
    return float(f_measure_per_image(saliency, mask, beta2).mean())


def _saliency(saliency: ArrayLike) -> np.ndarray:
    s = saliency.detach().cpu().double().numpy() if isinstance(saliency, torch.Tensor) else np.asarray(saliency, float)
    if s.ndim == 2:
        s = s[None]
    if s.ndim != 3 or s.size == 0:
        raise ValueError(f"saliency maps must have shape (H, W) or (N, H, W), got {s.shape}")
    if s.min() < 0 or s.max() > 1:
        raise ValueError(f"saliency values must lie in [0, 1] (got {s.min():.3g}..{s.max():.3g}); apply a sigmoid "
                         "to a network's logits first")
    return s
