"""The position meter: how much absolute position each layer of any network encodes, in a few lines.

>>> report = meter.measure(torchvision.models.resnet18(weights=None), layers=["layer1", "layer4"])
>>> report.table()          # layer x (target, input): SPC
>>> report.plot()           # SPC per layer and target, predicted maps, error by distance to the border

For every chosen layer a readout (Chapter 1's PEM, with the profile's readout sizes) is trained on that
layer's frozen features to draw each position map, then scored (SPC and MAE) on held-out photos and on
the featureless black, white and noise images. Features are computed once per network, layers and images;
the readouts of all targets of a layer train together.
"""
from __future__ import annotations

import copy
import dataclasses
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence, Union

import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm import tqdm

from . import config, data, datasets, metrics, padding, posenet, targets
from .taps import Taps

Images = Union[torch.Tensor, str, os.PathLike, Sequence]


@dataclass
class Report:
    """What :func:`measure` found: one row per (layer, seed, target, test input) with SPC and MAE, the
    predicted maps of the first seed, and how it was measured (``setup``)."""

    scores: pd.DataFrame
    preds: dict = field(repr=False)  # layer -> posenet.Result of the first seed
    setup: dict = field(default_factory=dict)

    @property
    def layers(self) -> list[str]:
        """The measured layers, shallowest first as given."""
        return list(self.preds)

    def table(self, metric: str = "spc", input: Optional[str] = None) -> pd.DataFrame:
        """``metric`` (mean over seeds) as a layer x (target, input) table, or layer x target for one ``input``."""
        if metric not in ("spc", "mae"):
            raise ValueError(f"metric must be 'spc' or 'mae', got {metric!r}")
        s = self.scores if input is None else self.scores[self.scores.input == input]
        if s.empty:
            raise ValueError(f"no scores for input {input!r}; inputs: {', '.join(self.scores.input.unique())}")
        cols = ["target"] if input is not None else ["target", "input"]
        t = s.pivot_table(index="layer", columns=cols, values=metric, aggfunc="mean", sort=False)
        return t.loc[self.layers]

    def summary(self) -> str:
        """How the numbers were made, in one paragraph: network, layers, inputs, normalisation, readout."""
        return "\n".join(f"{k}: {v}" for k, v in self.setup.items())

    def plot(self, target: str = "H", input: str = "natural"):
        """Three panels: SPC per layer and target on ``input``; ``target``'s predicted map at each layer;
        its mean absolute error by distance to the border, per layer."""
        return _figure(self, target, input)


def _as_images(images: Images, size: int) -> torch.Tensor:
    """The user's images as an (N, 3, size, size) float tensor in [0, 1]: a tensor, a folder or PIL images."""
    if isinstance(images, (str, os.PathLike)):
        return datasets.image_folder(Path(images), size)
    if isinstance(images, torch.Tensor):
        x = images.float()
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(f"images must be an (N, 3, H, W) tensor in [0, 1], got shape {tuple(x.shape)}")
        if x.min() < 0 or x.max() > 1:
            raise ValueError("images must lie in [0, 1] (the meter normalises them itself; see mean/std)")
        return F.interpolate(x, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
    try:
        return datasets.pil_images(images, size)
    except AttributeError as err:
        raise TypeError("images must be a tensor, a folder path, or a list of PIL images") from err


def _bench_data(images: Optional[Images], size: int, sizes: posenet.ReadoutSizes, seed: int):
    """Training images and test sets: the book's photo crops, or the user's images split 2 : 1; with the
    black, white and noise images as further test sets."""
    if images is None:
        return data.readout_sets(seed, sizes.train, sizes.test, size)
    x = _as_images(images, size)
    if len(x) < 3:
        raise ValueError(f"need at least 3 images (2 to train a readout, 1 to test it), got {len(x)}")
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(config.stream(seed, 7)))
    cut = max(2, (2 * len(x)) // 3)
    return x[order[:cut]], {"natural": x[order[cut:]], **data.synthetic_inputs(size)}


def normalisation(weights) -> tuple[Optional[tuple], Optional[tuple]]:
    """The (mean, std) a torchvision ``weights`` entry's own transforms apply, or (None, None) without one."""
    if weights is None:
        return None, None
    tf = weights.transforms() if hasattr(weights, "transforms") else None
    mean, std = getattr(tf, "mean", None), getattr(tf, "std", None)
    if mean is None or std is None:
        raise ValueError(f"could not read a mean and std from {weights!r}'s transforms; pass mean= and std=")
    return tuple(mean), tuple(std)


def _input_size(model: nn.Module, size: Optional[int]) -> int:
    if size is not None:
        return int(size)
    fixed = getattr(model, "image_size", None)  # torchvision's Vision Transformers take one size only
    return int(fixed) if isinstance(fixed, int) else config.get_profile().image_size


def _probe(taps: Taps, size: int, name: str) -> list[tuple]:
    """Run one blank image through ``taps``; returns each layer's map shape, or a clear error."""
    x = torch.zeros(1, 3, size, size, device=config.device())
    try:
        with torch.no_grad():
            maps = taps.stages(x)
    except ValueError:
        raise
    except Exception as err:  # a wrong input size or channel count surfaces here
        raise ValueError(f"{name} could not take a (1, 3, {size}, {size}) image: {err}. Pass size= with an input "
                         "side the network accepts (a torchvision ViT takes its training size, e.g. 224)") from err
    return [tuple(m.shape[1:]) for m in maps]


def measure(model: nn.Module, layers: Optional[Sequence[str]] = None, images: Optional[Images] = None,
            target_names: Sequence[str] = targets.NAMES, size: Optional[int] = None, weights=None,
            mean: Optional[Sequence[float]] = None, std: Optional[Sequence[float]] = None,
            padding_mode: Optional[str] = None, seeds: Optional[Sequence[int]] = None,
            sizes: Optional[posenet.ReadoutSizes] = None, depth: int = 1, kernel: int = 3,
            **readout_overrides) -> Report:
    """Measure how much absolute position each of ``model``'s ``layers`` encodes; returns a :class:`Report`.

    ``layers``: module paths or torchvision feature-extraction node names (None: a ``poslib`` backbone's own
    stages). ``images``: None for the book's photo crops, else a tensor in [0, 1], a folder or PIL images
    (split 2 : 1 into readout training and test images); the black, white and noise images are always
    tested. ``size``: the input side (default: the model's fixed size if it has one, else the profile's).
    ``weights`` (a torchvision weights entry) supplies the ImageNet mean and std of its own transforms;
    ``mean``/``std`` set them directly; neither: no normalisation. ``padding_mode`` measures a copy of the
    model converted to that padding (:func:`padding.convert`). ``seeds``: readout seeds (default: the
    profile's first). ``sizes``, ``depth``, ``kernel`` and any :class:`posenet.ReadoutSizes` field given by
    name (``epochs=4``, say) set the readout.
    """
    t0 = time.perf_counter()
    profile = config.get_profile()
    if mean is None and std is None:
        mean, std = normalisation(weights)
    if padding_mode is not None:
        model = padding.convert(copy.deepcopy(model), padding_mode)
    sizes = dataclasses.replace(sizes or posenet.sizes(profile), **readout_overrides)
    side = _input_size(model, size)
    was_training = model.training
    model.eval().to(config.device())
    taps = Taps(model, layers, mean, std)
    name = type(model).__name__
    shapes = _probe(taps, side, name)
    n_layers = len(shapes)
    layer_ids = taps.layers or [f"stage {i}" for i in range(n_layers)]
    seeds = tuple(seeds or profile.seeds[:1])
    rows, preds, n_train = [], {}, 0
    try:
        bar = tqdm(total=len(seeds) * n_layers, desc=f"meter {name}", leave=False)
        for seed in seeds:
            bench = posenet.Bench(*_bench_data(images, side, sizes, seed), target_names, sizes=sizes)
            n_train = len(bench.train_images)
            for i, layer in enumerate(layer_ids):
                result = bench.run(taps, stages=[i], depth=depth, kernel=kernel, seed=seed)
                rows.append(result.scores.assign(layer=layer, seed=seed))
                preds.setdefault(layer, result)
                bar.update(1)
            bench.release(taps)
        bar.close()
    finally:
        model.train(was_training)
    scores = pd.concat(rows, ignore_index=True)[["layer", "seed", "target", "input", "spc", "mae"]]
    setup = {"network": name, "layers": ", ".join(f"{n} {tuple(s)}" for n, s in zip(layer_ids, shapes)),
             "padding": padding_mode or "as built", "input size": f"{side} x {side}",
             "normalisation": taps.describe_input(),
             "images": "the book's photo crops" if images is None else "yours",
             "readout": f"depth {depth}, kernel {kernel}, {sizes.epochs} epochs, {n_train} training images, "
                        f"features resized to {sizes.feat_size} x {sizes.feat_size}",
             "seeds": ", ".join(map(str, seeds)), "profile": profile.name, "numeric path": config.precision(),
             "seconds": round(time.perf_counter() - t0, 1)}
    return Report(scores, preds, setup)


def error_by_distance(report: Report, target: str = "H", input: str = "natural") -> pd.DataFrame:
    """Mean absolute error of ``target``'s predicted maps on ``input`` at each distance to the image border
    (pixels), one column per layer (first seed)."""
    cols = {}
    for layer, result in report.preds.items():
        pred = result.pred(target, input)
        cols[layer] = metrics.error_by_border_distance(pred, targets.make(target, pred.shape[-1]))
    return pd.DataFrame(cols).rename_axis("distance to border (px)")


def _figure(report: Report, target: str, input: str):
    """The report's figure: SPC by layer per target, error by distance to the border, predicted maps."""
    import matplotlib.pyplot as plt

    from . import plots

    layers = report.layers
    fig = plt.figure(figsize=(max(9.0, 1.9 * (len(layers) + 1)), 6.4), layout="constrained")
    grid = fig.add_gridspec(2, len(layers) + 1, height_ratios=(1.3, 1.0))
    ax = fig.add_subplot(grid[0, : (len(layers) + 1) // 2])
    s = report.scores[report.scores.input == input]
    for t, g in s.groupby("target", sort=False):
        stats = g.groupby("layer", sort=False)["spc"].agg(["mean", "std"]).loc[layers]
        ax.errorbar(range(len(layers)), stats["mean"], yerr=stats["std"].fillna(0.0), marker="o", capsize=3, label=t)
    ax.set_xticks(range(len(layers)), layers, rotation=20, fontsize=7)
    ax.set(ylim=(-0.2, 1.0), xlabel="layer", ylabel="SPC", title=f"SPC per layer ({input} inputs)")
    ax.axhline(0, color="k", lw=0.6)
    ax.legend(fontsize=7, ncol=3)
    ax = fig.add_subplot(grid[0, (len(layers) + 1) // 2:])
    error_by_distance(report, target, input).plot(ax=ax, marker="o", ms=3)
    ax.set(xlabel="distance to the image border (px)", ylabel="mean absolute error",
           title=f"{target} map: error by distance to the border")
    ax.legend(fontsize=7)
    first = report.preds[layers[0]]
    maps = [targets.make(target, first.pred(target, input).shape[-1])] + [
        report.preds[layer].pred(target, input)[0] for layer in layers]
    for j, (m, title) in enumerate(zip(maps, ["target " + target] + layers)):
        ax = fig.add_subplot(grid[1, j])
        im = ax.imshow(m.numpy(), cmap=plots.POSITION_CMAP, vmin=0, vmax=1)
        ax.set_title(title, fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(im, ax=fig.axes[-1], shrink=0.8, label="position value")
    fig.suptitle(f"Position meter: {report.setup.get('network', '')} ({report.setup.get('padding', '')} padding)")
    return fig
