"""Measuring where position helps and where it hurts: every arm and seed of the trained networks of
:mod:`poslib.task_nets`, scored (:mod:`poslib.task_scores`) on held-out scenes of :mod:`poslib.task_scenes`.

* :class:`MeasureSizes` — each profile's held-out sizes and the arms each task trains;
* :func:`shortcut_tests`, :func:`layout_test` — the held-out sets of a seed (the shortcut's three placements
  with class-on-its-own-side probability 0.9, 0.5 and 0.1);
* :func:`position_scores` — how much position the encoders hold (the position meter);
* :func:`collect` — all of it over arms and seeds, as tables.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pandas as pd
import torch.nn as nn
from tqdm import tqdm

from . import config, dense, meter, scenes, tables, task_nets, task_scenes, task_scores

#: Streams (of each seed) of the held-out scenes of each task.
SALIENT_TEST, LAYOUT_TEST, SIDED_TEST = 5101, 5201, 5301
#: Class-on-its-own-side probabilities of the shortcut's three test sets.
TESTS: dict[str, float] = {"aligned": task_nets.SHORTCUT, "independent": 0.5, "reversed": 1 - task_nets.SHORTCUT}
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


#: The held-out sizes of every profile. ``smoke`` measures its networks on the book's test sets: at smaller ones
#: the shortcut's control (a drop of at most the margin) would be decided by sampling noise even more than it is
#: at these (it is reported as not robust).
SIZES: dict[str, MeasureSizes] = {
    "smoke": MeasureSizes(),
    "book": MeasureSizes(),
    "paper": MeasureSizes(salient_test=2000, layout_test=1000, sided_test=4000, shift=8, crop=16),
}


def sizes(profile: Optional[config.Profile] = None) -> MeasureSizes:
    """The :class:`MeasureSizes` of ``profile`` (default: the active one)."""
    return SIZES[(profile or config.get_profile()).name]


def shortcut_tests(seed: int, profile: Optional[config.Profile] = None) -> dict[str, scenes.Scenes]:
    """The shortcut's three held-out sets of ``seed`` (:data:`TESTS`): the same objects, placed by each rule."""
    profile = profile or config.get_profile()
    s, layout = sizes(profile), task_nets.sizes(profile).layout
    return {name: task_scenes.sided(s.sided_test, config.stream(seed, SIDED_TEST), own, "test", layout)
            for name, own in TESTS.items()}


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


#: The tables :func:`collect` returns, besides ``examples``.
TABLES: tuple[str, ...] = ("networks", "saliency", "segmentation", "shortcut", "shifts", "crops", "position",
                           "circular")


class _Collected:
    """The rows :func:`collect` gathers per table, the first seed's networks and scenes, and the progress bar."""

    def __init__(self, jobs: int) -> None:
        self.rows: dict[str, list] = {k: [] for k in TABLES}
        self.examples: dict = {}
        self.bar = tqdm(total=jobs, desc="Chapter 5 networks")

    def network(self, net: nn.Module, task: str, arm: str, seed: int, **extra) -> None:
        """Note one trained (or loaded) network in the ``networks`` table."""
        self.rows["networks"].append({"task": task, "arm": arm, "seed": seed, **extra, **tables.network_row(net)})

    def finish(self) -> dict:
        """Close the progress bar; every table as a DataFrame, and the examples."""
        self.bar.close()
        out = tables.frames(self.rows)
        out["examples"] = self.examples
        return out


def _saliency(c: _Collected, seed: int, first: bool, profile: config.Profile) -> None:
    """Both saliency rules: scores, crops, the zero-padded encoder's position and the circular sanity check."""
    s, layout = sizes(profile), task_nets.sizes(profile).layout
    for rule, arms in (("centre", s.saliency_arms), ("cue", s.cue_arms)):
        test = task_scenes.salient(s.salient_test, config.stream(seed, SALIENT_TEST), "test", rule, layout)
        for arm in arms:
            net = task_nets.saliency(rule, arm, seed, profile)
            c.network(net, f"saliency ({rule})", arm, seed)
            c.rows["saliency"].append(task_scores.saliency_scores(net, test).assign(rule=rule, arm=arm, seed=seed))
            if rule == "centre":
                c.rows["crops"].append(dict(task_scores.crop_choice(net, test, s.crop), arm=arm, seed=seed))
                if arm == "zeros":
                    c.rows["position"].append(position_scores(net, seed, layout.canvas).assign(
                        network="saliency", seed=seed))
                if arm == "circular":
                    c.rows["circular"].append({"seed": seed,
                                               "spread": task_scores.circular_spread(net, test.images[:64])})
            if first:
                c.examples[("saliency", rule, arm)] = net
            c.bar.update(1)
        if first:
            c.examples[("salient scenes", rule)] = test


def _segmentation(c: _Collected, seed: int, first: bool, profile: config.Profile) -> None:
    """Segmentation scores of every arm, and the zero-padded encoder's position."""
    test = layout_test(seed, profile)
    for arm in sizes(profile).segmentation_arms:
        net = task_nets.segmentation(arm, seed, profile)
        c.network(net, "segmentation", arm, seed)
        c.rows["segmentation"].append(task_scores.segmentation_scores(net, test).assign(arm=arm, seed=seed))
        if arm == "zeros":
            c.rows["position"].append(position_scores(net, seed, task_nets.sizes(profile).layout.canvas).assign(
                network="segmentation", seed=seed))
        if first:
            c.examples[("segmentation", arm)] = net
        c.bar.update(1)
    if first:
        c.examples["layout scenes"] = test


def _shortcut(c: _Collected, seed: int, profile: config.Profile) -> None:
    """The side shortcut: every arm, the control and the side prior, with shift consistency; the control's
    encoder's position."""
    s, tests = sizes(profile), shortcut_tests(seed, profile)
    variants = [(arm, task_nets.SHORTCUT, False) for arm in s.shortcut_arms]
    variants += [("zeros", 0.5, False), ("zeros", task_nets.SHORTCUT, True)]
    for arm, own, prior in variants:
        net = task_nets.classifier(arm, seed, own, prior, profile)
        variant = "with the side prior" if prior else ("shortcut" if own != 0.5 else "control")
        c.network(net, "classification", arm, seed, variant=variant)
        c.rows["shortcut"].append(dict(task_scores.shortcut_scores(net, tests), arm=arm, variant=variant, seed=seed))
        c.rows["shifts"].append({"arm": arm, "variant": variant, "seed": seed, "consistency":
                                 task_scores.shift_consistency(net, tests["independent"].images, s.shift)})
        if variant == "control":
            c.rows["position"].append(position_scores(net, seed, task_nets.sizes(profile).layout.canvas).assign(
                network="classification", seed=seed))
        c.bar.update(1)


def collect(seeds, profile: Optional[config.Profile] = None) -> dict:
    """Train (or load) every network of every arm and seed and measure it. Returns tables (:data:`TABLES`):
    ``networks``, ``saliency``, ``segmentation``, ``shortcut``, ``shifts``, ``crops``, ``position``, ``circular``,
    and ``examples`` (the first seed's test scenes and networks, for figures)."""
    profile = profile or config.get_profile()
    s = sizes(profile)
    c = _Collected(len(seeds) * (len(s.saliency_arms) + len(s.cue_arms) + len(s.segmentation_arms)
                                 + len(s.shortcut_arms) + 2))
    for seed in seeds:
        _saliency(c, seed, seed == seeds[0], profile)
        _segmentation(c, seed, seed == seeds[0], profile)
        _shortcut(c, seed, profile)
    return c.finish()
