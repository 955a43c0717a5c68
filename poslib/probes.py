"""Read a factor (class, place) out of frozen latent vectors: linear probes, few-shot probes, class
separability, and how many latent dimensions each factor takes (Esser et al.'s pair-based estimate, as
the group's released code computes it).
"""
from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np
from numpy.typing import ArrayLike

#: Regularisation strength (sklearn's C, inverse) and iteration limit of every linear probe.
PROBE_C = 1.0
PROBE_ITER = 500


def _matrix(x: ArrayLike, what: str) -> np.ndarray:
    a = x.detach().cpu().numpy() if hasattr(x, "detach") else np.asarray(x)
    if a.ndim != 2 or len(a) == 0:
        raise ValueError(f"{what} must be a non-empty (samples, dims) matrix, got shape {a.shape}")
    return a.astype(np.float64)


def _labels(y: ArrayLike, n: int, what: str) -> np.ndarray:
    a = y.detach().cpu().numpy() if hasattr(y, "detach") else np.asarray(y)
    if a.ndim != 1 or len(a) != n:
        raise ValueError(f"{what} must hold one integer label per sample ({n}), got shape {a.shape}")
    return a.astype(np.int64)


def linear_probe(train_x: ArrayLike, train_y: ArrayLike, test_x: ArrayLike) -> np.ndarray:
    """Fit a multinomial logistic regression on standardised ``train_x`` (samples, dims) and return its
    predicted label for every row of ``test_x``. Deterministic (L-BFGS, no random start)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    x, t = _matrix(train_x, "train_x"), _matrix(test_x, "test_x")
    if x.shape[1] != t.shape[1]:
        raise ValueError(f"train_x has {x.shape[1]} dims but test_x has {t.shape[1]}")
    y = _labels(train_y, len(x), "train_y")
    if len(np.unique(y)) < 2:
        raise ValueError("a probe needs at least two classes in its training labels")
    scale = StandardScaler().fit(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a probe stopped at PROBE_ITER is still a probe; its score says how good
        clf = LogisticRegression(C=PROBE_C, max_iter=PROBE_ITER).fit(scale.transform(x), y)
    return clf.predict(scale.transform(t))


def few_shot_accuracy(train_x: ArrayLike, train_y: ArrayLike, test_x: ArrayLike, test_y: ArrayLike,
                      shots: int, draws: int = 5, seed: int = 0) -> float:
    """Mean accuracy on (test_x, test_y) of linear probes that each see ``shots`` random labelled samples per
    class of (train_x, train_y), over ``draws`` draws of those samples."""
    x = _matrix(train_x, "train_x")
    y = _labels(train_y, len(x), "train_y")
    t = _matrix(test_x, "test_x")
    ty = _labels(test_y, len(t), "test_y")
    classes, counts = np.unique(y, return_counts=True)
    if shots < 1 or counts.min() < shots:
        raise ValueError(f"shots must be between 1 and the rarest class's count ({counts.min()}), got {shots}")
    rng = np.random.default_rng(seed)
    scores = []
    for _ in range(draws):
        pick = np.concatenate([rng.choice(np.flatnonzero(y == c), shots, replace=False) for c in classes])
        scores.append(float((linear_probe(x[pick], y[pick], t) == ty).mean()))
    return float(np.mean(scores))


def fisher_ratio(x: ArrayLike, y: ArrayLike) -> float:
    """Class separability of the rows of ``x``: the spread of the class means (between-class variance, summed
    over standardised dimensions) over the spread within classes (within-class variance, summed). 0: the
    class means coincide; larger: classes lie further apart than they are wide."""
    a = _matrix(x, "x")
    labels = _labels(y, len(a), "y")
    a = (a - a.mean(0)) / np.maximum(a.std(0), 1e-12)
    classes = np.unique(labels)
    if len(classes) < 2:
        raise ValueError("separability needs at least two classes")
    means = np.stack([a[labels == c].mean(0) for c in classes])
    weights = np.array([(labels == c).mean() for c in classes])
    between = float((weights[:, None] * means ** 2).sum())  # the overall mean is 0 after standardising
    within = float(sum(((a[labels == c] - m) ** 2).sum() for c, m in zip(classes, means)) / len(a))
    return between / max(within, 1e-12)


def pairs(factor: ArrayLike, n: int, seed: int, differ: ArrayLike | None = None) -> np.ndarray:
    """``n`` random pairs of sample indices (n, 2) that share the value of ``factor``; with ``differ``, the two
    samples of a pair also differ in it (e.g. share a place, but show different objects)."""
    f = np.asarray(factor).ravel()
    d = None if differ is None else np.asarray(differ).ravel()
    rng = np.random.default_rng(seed)
    groups = [np.flatnonzero(f == v) for v in np.unique(f)]
    groups = [g for g in groups if len(g) >= 2 and (d is None or len(np.unique(d[g])) >= 2)]
    if not groups:
        raise ValueError("no value of the factor is shared by two samples" + ("" if d is None else " that differ in "
                         "`differ`") + ": no pairs to draw")
    out = np.empty((n, 2), dtype=np.int64)
    which = rng.integers(len(groups), size=n)
    for i, gi in enumerate(which):
        g = groups[gi]
        for _ in range(100):
            a, b = rng.choice(g, 2, replace=False)
            if d is None or d[a] != d[b]:
                break
        else:
            raise ValueError("could not draw a pair that shares the factor and differs in `differ`")
        out[i] = a, b
    return out


def factor_scores(latents: ArrayLike, pair_sets: Sequence[np.ndarray]) -> np.ndarray:
    """Esser et al.'s score of each factor: for the pairs (n, 2) that share it, the covariance of the two
    latents about the pairs' mean, summed over dimensions, as a share of the latents' total variance; the
    residual factor (everything else) is appended with score 1. A factor that fixes a share q of the
    variance and leaves the rest independent scores q."""
    z = _matrix(latents, "latents")
    total = float(((z - z.mean(0)) ** 2).mean(0).sum())
    if total <= 0:
        raise ValueError("the latents do not vary: no factor can be scored")
    scores = []
    for p in pair_sets:
        p = np.asarray(p)
        if p.ndim != 2 or p.shape[1] != 2 or len(p) == 0:
            raise ValueError(f"each pair set must be a non-empty (n, 2) index array, got shape {p.shape}")
        za, zb = z[p[:, 0]], z[p[:, 1]]
        m = 0.5 * (za.mean(0) + zb.mean(0))
        scores.append(float(((za - m) * (zb - m)).mean(0).sum()) / total)
    return np.array(scores + [1.0])


def factor_dimensions(scores: ArrayLike, dims: int) -> np.ndarray:
    """How many of ``dims`` latent dimensions each factor takes: the softmax of the scores (residual last)
    times ``dims``, rounded down, with the residual taking what is left."""
    s = np.asarray(scores, dtype=float)
    e = np.exp(s - s.max())
    share = e / e.sum()
    out = np.floor(share * dims).astype(int)
    out[-1] = dims - out[:-1].sum()
    return out


def bootstrap_scores(latents: ArrayLike, pair_sets: Sequence[np.ndarray], draws: int = 200,
                     seed: int = 0) -> np.ndarray:
    """:func:`factor_scores` on ``draws`` resamplings (with replacement) of every pair set: (draws, factors + 1)."""
    rng = np.random.default_rng(seed)
    z = _matrix(latents, "latents")
    return np.stack([factor_scores(z, [p[rng.integers(len(p), size=len(p))] for p in map(np.asarray, pair_sets)])
                     for _ in range(draws)])


def synthetic_latents(n: int = 4000, blocks: Sequence[int] = (16, 16, 32), levels: Sequence[int] = (10, 25),
                      seed: int = 0) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """Latents with a known answer: block ``i`` of ``blocks`` (dims) is fixed by factor ``i`` (``levels[i]``
    random values, each a random normal vector), the last block is independent noise. Returns the latents
    (n, sum(blocks)), each factor's label per sample, and the share of the sample's variance each factor fixes."""
    if len(blocks) != len(levels) + 1:
        raise ValueError("give one block per factor plus one block of noise")
    rng = np.random.default_rng(seed)
    labels = [rng.integers(k, size=n) for k in levels]
    parts = [rng.normal(size=(k, b))[f] for k, b, f in zip(levels, blocks, labels)] + [rng.normal(size=(n, blocks[-1]))]
    z = np.concatenate(parts, 1)
    total = z.var(0).sum()
    return z, labels, np.array([p.var(0).sum() / total for p in parts[:-1]])
