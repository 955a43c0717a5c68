"""PosENet experiments: frozen features in, position maps out, SPC and MAE per target and input (Ch. 1, 2).

A :class:`Bench` holds one set of training images and named test sets (natural crops, black, white,
noise). ``bench.run(backbone, ...)`` trains a readout per target map on the backbone's cached features
and scores it on every test set, returning a tidy table and the predicted maps.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np
import pandas as pd
import torch
import torch.nn as nn

from . import cache, config, features, metrics, readout, targets


@dataclass(frozen=True)
class ReadoutSizes:
    """The readouts' data and optimisation in one profile: feature-map side, training and test crops per
    seed, epochs, batch, learning rate (Adam, cosine) and hidden channels of deeper readouts."""

    feat_size: int = 20
    train: int = 384
    test: int = 192
    epochs: int = 8
    batch: int = 32
    lr: float = 5e-3
    hidden: int = 16


#: The readout sizes of every profile (Chapter 1 trains each readout on every seed, so a readout is small).
SIZES: dict[str, ReadoutSizes] = {
    "smoke": ReadoutSizes(train=128, test=32, batch=16),
    "book": ReadoutSizes(),
    "paper": ReadoutSizes(feat_size=28, train=10553, test=850, epochs=15, hidden=256),
}


def sizes(profile: Optional[config.Profile] = None) -> ReadoutSizes:
    """The :class:`ReadoutSizes` of ``profile`` (default: the active one)."""
    return SIZES[(profile or config.get_profile()).name]


@dataclass
class Result:
    """Scores (one row per target map and test set) and predicted maps of one readout (Chapter 1)."""

    scores: pd.DataFrame
    preds: dict = field(repr=False)  # test-set name -> (N, T, H, W) predictions
    names: tuple = ()  # the target maps, in the order of the predictions' second axis

    def pred(self, target: str, input: str = "natural") -> torch.Tensor:
        """Predicted maps (N, H, W) of one target on one test set (Chapter 1)."""
        if target not in self.names or input not in self.preds:
            raise KeyError(f"no prediction for target {target!r} on input {input!r}")
        return self.preds[input][:, self.names.index(target)]

    def table(self, metric: str = "spc") -> pd.DataFrame:
        """``metric`` as a target x test-set table (Chapter 1)."""
        return self.scores.pivot(index="target", columns="input", values=metric).loc[
            list(dict.fromkeys(self.scores["target"]))]

    def get(self, target: str, input: str = "natural", metric: str = "spc") -> float:
        """One score (Chapter 1)."""
        row = self.scores[(self.scores.target == target) & (self.scores.input == input)]
        if row.empty:
            raise KeyError(f"no score for target {target!r} on input {input!r}")
        return float(row[metric].iloc[0])


class Bench:
    """Training images, test sets and target maps shared by every readout of a chapter; its readouts train
    with ``sizes`` (default: the active profile's :class:`ReadoutSizes`), on features of side ``feat_size``
    (default: the sizes')."""

    def __init__(self, train_images: torch.Tensor, test_sets: dict, target_names: Sequence[str] = targets.NAMES,
                 sizes: Optional[ReadoutSizes] = None, feat_size: Optional[int] = None):
        self.sizes = sizes or SIZES[config.get_profile().name]
        self.feat_size = feat_size or self.sizes.feat_size
        self.train_images = train_images
        self.test_sets = dict(test_sets)
        self.names = tuple(target_names)
        self.size = train_images.shape[-1]
        self.maps = targets.stack(self.names, self.size)
        self._memo: dict = {}
        self._runs: dict = {}  # finished readouts, so asking for the same one twice trains it once

    def features(self, backbone: Optional[nn.Module], stages: Optional[Sequence[int]] = None) -> dict:
        """Features of the training and test images, computed once per backbone (Chapter 1).

        All stages are extracted once; a subset of ``stages`` is a slice of their channels. Features are kept
        under the backbone's content (:func:`cache.network_key`), so a backbone changed in place is read anew.
        """
        return self._features(backbone, _memo_key(backbone), stages)

    def _features(self, backbone: Optional[nn.Module], key: str, stages: Optional[Sequence[int]]) -> dict:
        if key not in self._memo:
            fs = self.feat_size
            out = {"train": features.extract(backbone, self.train_images, fs)}
            for name, imgs in self.test_sets.items():
                out[name] = features.extract(backbone, imgs, fs)
            widths = [] if backbone is None else [
                f.shape[1] for f in backbone.stages(self.train_images[:1].to(config.device()))]
            self._memo[key] = (out, widths)
        out, widths = self._memo[key]
        if stages is None or backbone is None:
            return out
        bounds = [0]
        for w in widths:
            bounds.append(bounds[-1] + w)
        for i in stages:
            if not 0 <= i < len(widths):
                raise ValueError(f"stage {i} does not exist; this backbone has stages 0..{len(widths) - 1}")
        idx = torch.cat([torch.arange(bounds[i], bounds[i + 1]) for i in stages])
        return {k: v[:, idx] for k, v in out.items()}

    def release(self, backbone: Optional[nn.Module]) -> None:
        """Drop the stored features and readouts of ``backbone`` to free memory (Chapter 2)."""
        key = _memo_key(backbone)
        self._memo.pop(key, None)
        self._runs = {k: v for k, v in self._runs.items() if k[0] != key}

    def run(self, backbone: Optional[nn.Module] = None, stages: Optional[Sequence[int]] = None, depth: int = 1,
            kernel: int = 3, padding: int = 0, seed: int = 0, names: Optional[Sequence[str]] = None) -> Result:
        """Train readouts for ``names`` (default: all targets) and score them on every test set (Chapter 1).

        The result is kept while the backbone's features are: the same request again returns it untrained
        (Chapter 2 reads some backbones in more than one experiment).
        """
        names = tuple(names or self.names)
        unknown = [n for n in names if n not in self.names]
        if unknown:
            raise ValueError(f"unknown target(s) {unknown}; this bench has {', '.join(self.names)}")
        idx = [self.names.index(n) for n in names]
        key = _memo_key(backbone)
        feats = self._features(backbone, key, stages)
        run_key = (key, None if stages is None else tuple(stages), depth, kernel, padding, seed, names)
        if run_key in self._runs:
            return self._runs[run_key]
        z = self.sizes
        model = readout.fit(feats["train"], self.maps[idx], depth, kernel, padding, z.epochs, z.batch, z.lr, z.hidden,
                            seed,
                            desc=f"readout d{depth} k{kernel} p{padding}")
        rows, preds = [], {}
        for name in self.test_sets:
            pred = readout.predict(model, feats[name], self.size)
            preds[name] = pred
            for j, t in enumerate(names):
                rows.append({"target": t, "input": name, "spc": metrics.spc(pred[:, j], self.maps[idx[j]]),
                             "mae": metrics.mae(pred[:, j], self.maps[idx[j]])})
        self._runs[run_key] = Result(pd.DataFrame(rows), preds, names)
        return self._runs[run_key]


def _memo_key(backbone: Optional[nn.Module]) -> str:
    """What a bench keeps a backbone's features and readouts under: its content, or "image" for none."""
    return "image" if backbone is None else cache.network_key(backbone)


@dataclass
class SeedRuns:
    """The readouts of one backbone (and readout set-up) over several seeds: scores with a ``seed`` column."""

    results: dict  # seed -> Result

    @property
    def scores(self) -> pd.DataFrame:
        """Every seed's scores, one row per (seed, target, test set)."""
        return pd.concat([r.scores.assign(seed=s) for s, r in self.results.items()], ignore_index=True)

    @property
    def first(self) -> Result:
        """The first seed's result (its predicted maps, for figures)."""
        return next(iter(self.results.values()))

    def per_seed(self, targets: Sequence[str] | str, input: str = "natural", metric: str = "spc") -> np.ndarray:
        """One number per seed: ``metric`` on ``input``, averaged over ``targets``."""
        names = [targets] if isinstance(targets, str) else list(targets)
        return np.array([np.mean([r.get(t, input, metric) for t in names]) for r in self.results.values()])


class Benches:
    """One :class:`Bench` per seed, each with its own training and test images (from ``make_data(seed)``,
    returning ``(train_images, test_sets)``) and readouts initialised and shuffled by that seed."""

    def __init__(self, seeds: Sequence[int], make_data, **bench_kwargs):
        self.benches = {s: Bench(*make_data(s), **bench_kwargs) for s in seeds}

    def run(self, backbone: Optional[nn.Module] = None, **kwargs) -> SeedRuns:
        """:meth:`Bench.run` on every seed's bench, with that seed; see :class:`SeedRuns`."""
        return SeedRuns({s: b.run(backbone, seed=s, **kwargs) for s, b in self.benches.items()})

    def release(self, backbone: Optional[nn.Module]) -> None:
        """Drop ``backbone``'s stored features and readouts from every bench."""
        for b in self.benches.values():
            b.release(backbone)
