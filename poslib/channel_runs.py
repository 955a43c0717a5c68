"""Measuring position in the order of the channels, experiment by experiment: GAPNet and PermuteNet
accuracies, a probe of channel identity, the channel rankings and zeroing of :mod:`poslib.channel_attacks` on
Chapter 5's segmentation networks, and AugShift's translation consistency.

* :func:`cell_spread` — how far a network's answer moves when one object visits every cell (0 for an exactly
  shift-blind network);
* :func:`identity_probe` — a linear probe on pooled vectors in their channel order and sorted (the same values,
  no longer tied to a channel);
* :func:`collect` — all of it over seeds, as tables.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import pandas as pd
import torch
import torch.nn as nn
from tqdm import tqdm

from . import (channel_attacks, channel_nets, channels, config, dense, downstream, glyphs, grids, infer, probes,
               tables, task_nets, task_scores, train)

#: Stream (of each seed) of the held-out objects of the circular check.
OBJECT_STREAM = 6202


@dataclass(frozen=True)
class ChannelRunSizes:
    """One profile's choices: GAPNet modes (first seed; zeros on every seed), PermuteNet stage arms (first
    seed), AugShift weights (zeros on every seed: 0 and ``weights[1]``; the others on the first seed), how many
    channels to zero, random draws per count, objects in the circular check, the segmentation arms ranked and
    the arms attacked region by region."""

    gap_modes: tuple[str, ...] = ("zeros", "reflect", "circular", "valid", "partial")
    stages: tuple[int, ...] = (0, 1, 2)
    weights: tuple[float, ...] = (0.0, 1.0, 10.0)
    counts: tuple[int, ...] = (4, 8)
    draws: int = 20
    cell_objects: int = 32
    ranked_arms: tuple[str, ...] = ("zeros", "circular", "valid", dense.COORD)
    attacked_arms: tuple[str, ...] = ("zeros", "circular")


SIZES: dict[str, ChannelRunSizes] = {
    "smoke": ChannelRunSizes(),
    "book": ChannelRunSizes(),
    "paper": ChannelRunSizes(counts=(8, 16, 32), draws=50),
}


def sizes(profile: Optional[config.Profile] = None) -> ChannelRunSizes:
    """The :class:`ChannelRunSizes` of ``profile`` (default: the active one)."""
    return SIZES[(profile or config.get_profile()).name]


def cell_spread(net: nn.Module, patches: torch.Tensor, k: int) -> float:
    """Each of ``patches`` pasted into every cell of a k x k mean-colour canvas: the largest change of ``net``'s
    logits across the cells, relative to their largest magnitude."""
    n = len(patches)
    cells = torch.arange(k * k).repeat(n)
    logits = infer.batched(net, grids.place(patches.repeat_interleave(k * k, 0), cells, k, "mean"))
    logits = logits.view(n, k * k, -1)
    return float((logits - logits[:, :1]).abs().max() / logits.abs().max())


def identity_probe(net: nn.Module, train_data: grids.WhereTask, test_data: grids.WhereTask) -> pd.DataFrame:
    """Accuracy of a linear probe for each task on ``net``'s pooled vectors, in channel order and sorted."""
    z_train, z_test = channels.pooled(net, train_data.images), channels.pooled(net, test_data.images)
    rows = []
    for task in channel_nets.TASKS:
        truth = channel_nets.labels_of(test_data, task).numpy()
        for vector, f in (("ordered", lambda z: z), ("sorted", channels.sort_channels)):
            pred = probes.linear_probe(f(z_train), channel_nets.labels_of(train_data, task), f(z_test))
            rows.append({"task": task, "vector": vector, "accuracy": float((pred == truth).mean())})
    return pd.DataFrame(rows)


def _note(out: dict, net: nn.Module, experiment: str, network: str, seed: int, **extra) -> None:
    out["networks"].append({"experiment": experiment, "network": network, "seed": seed, **extra,
                            **tables.network_row(net)})


def _pooled_nets(out: dict, seed: int, first: bool, test: grids.WhereTask, r: ChannelRunSizes,
                 profile: config.Profile) -> dict:
    """Experiments 1 and 2 on one seed: GAPNet and PermuteNet accuracies, the circular check, the probe."""
    def score(net, task, network, mode, at=""):
        _note(out, net, "pooled", network, seed, task=task, mode=mode, at=at)
        out["accuracy"].append({"network": network, "task": task, "mode": mode, "at": at, "seed": seed,
                                "accuracy": train.accuracy(net, test.images, channel_nets.labels_of(test, task))})
        return net

    nets = {}
    for mode in r.gap_modes if first else ("zeros",):
        net = score(channel_nets.gapnet("location", mode, seed, profile), "location", "GAPNet", mode)
        if mode == "circular":
            out["spread"].append({"seed": seed, "spread": cell_spread(net, _objects(seed, r, profile),
                                                                      channel_nets.sizes(profile).k)})
        nets["GAPNet", mode] = net
    if first:
        score(channel_nets.gapnet("class", "zeros", seed, profile), "class", "GAPNet", "zeros")
    for task in channel_nets.TASKS:
        for at in (None, "pooled") + (r.stages if first and task == "location" else ()):
            network = "plain" if at is None else "PermuteNet"
            nets[network, task, at] = score(channel_nets.permutenet(task, at, seed, profile=profile), task, network,
                                            "zeros", "" if at is None else str(at))
    probe_train = channel_nets.grid_data(seed, "train", channel_nets.sizes(profile).train["class"], profile)
    for task in channel_nets.TASKS:
        out["probe"].append(identity_probe(nets["plain", task, None], probe_train, test).assign(trained=task,
                                                                                               seed=seed))
    return nets


def _objects(seed: int, r: ChannelRunSizes, profile: config.Profile) -> torch.Tensor:
    """Held-out digit patches for the circular check."""
    s = channel_nets.sizes(profile)
    return glyphs.render(torch.tensor(channel_nets.DIGITS).repeat(r.cell_objects)[: r.cell_objects], s.patch,
                         "test", glyphs.generator(config.stream(seed, OBJECT_STREAM), 62, "test"))


def _ranked_nets(out: dict, seed: int, first: bool, r: ChannelRunSizes, profile: config.Profile) -> dict:
    """Experiments 3 to 5 on one seed, on Chapter 5's segmentation networks: rankings, zeroing, the attack."""
    test = downstream.layout_test(seed, profile)
    nets = {}
    for arm in r.ranked_arms:
        net = nets[arm] = task_nets.segmentation(arm, seed, profile)
        _note(out, net, "ranked", "segmentation", seed, mode=arm)
        ranks = channel_attacks.rankings(net, test.images, seed)
        for name, (scores, order) in ranks.items():
            out["rankings"].append({"arm": arm, "seed": seed, "ranking": name, "scores": scores.numpy(),
                                    "top-4 share": channel_attacks.concentration(scores, 4)})
        for axis in channel_attacks.AXES:
            out["agreement"].append({"arm": arm, "seed": seed, "axis": axis,
                                     "spearman": channel_attacks.agreement(ranks[f"flip {axis}"][0], ranks[f"moved {axis}"][0])})
            out["zeroing"].append(channel_attacks.zeroing_drops(net, test, ranks[f"flip {axis}"][1], r.counts, r.draws, seed)
                                  .assign(arm=arm, seed=seed, ranking=f"flip {axis}"))
            if arm in r.attacked_arms:
                for n in r.counts:
                    out["attack"].append(dict(channel_attacks.attack(net, test, ranks[f"signed moved {axis}"][1], n, axis),
                                              arm=arm, seed=seed))
        if first and arm == "zeros":
            out["hooks"].append({"seed": seed, "difference": channel_attacks.hook_matches(net, test.images[:64], ranks[
                "flip horizontal"][1][: r.counts[-1]].tolist())})
    return {"layouts": test, "networks": nets} if first else {}


def _augshift(out: dict, seed: int, first: bool, test: grids.WhereTask, r: ChannelRunSizes,
              profile: config.Profile) -> None:
    """Experiment 6 on one seed: shift consistency and accuracy of the plain and AugShift class networks."""
    s = channel_nets.sizes(profile)
    frame = channel_nets.framed(test.images, s.shift)
    side = frame.shape[-1] - s.shift
    centre = frame[..., s.shift // 2: s.shift // 2 + side, s.shift // 2: s.shift // 2 + side].contiguous()
    runs = [("zeros", None)] + [("zeros", w) for w in (r.weights if first else r.weights[:2])]
    runs += [("circular", None), ("circular", r.weights[0])] if first else []
    for mode, weight in runs:
        net = (channel_nets.permutenet("class", None, seed, mode, profile) if weight is None
               else channel_nets.augshift(mode, weight, seed, profile))
        _note(out, net, "augshift", "plain" if weight is None else "AugShift", seed, mode=mode, weight=weight)
        out["augshift"].append({"mode": mode, "training": "plain" if weight is None else f"AugShift, λ = {weight:g}",
                                "weight": weight, "seed": seed,
                                "consistency": task_scores.shift_consistency(net, frame, s.shift),
                                "accuracy": train.accuracy(net, centre, test.cls)})


def collect(seeds: Sequence[int], profile: Optional[config.Profile] = None) -> dict:
    """Train (or load) every network of the six experiments over ``seeds`` and measure them. Returns tables
    (``networks``, ``accuracy``, ``spread``, ``probe``, ``rankings``, ``agreement``, ``zeroing``, ``attack``,
    ``hooks``, ``augshift``) and ``examples`` (the first seed's layouts and segmentation networks)."""
    profile = profile or config.get_profile()
    r = sizes(profile)
    out = {k: [] for k in ("networks", "accuracy", "spread", "probe", "rankings", "agreement", "zeroing", "attack",
                           "hooks", "augshift")}
    examples = {}
    for seed in tqdm(seeds, desc="Chapter 6 seeds"):
        first = seed == seeds[0]
        test = channel_nets.grid_data(seed, "test", profile=profile)
        pooled = _pooled_nets(out, seed, first, test, r, profile)
        examples.update(_ranked_nets(out, seed, first, r, profile))
        _augshift(out, seed, first, test, r, profile)
        if first:
            examples.update(grid=test, pooled=pooled)
    found = tables.frames(out)
    found["examples"] = examples
    return found


def chance(task: str, profile: Optional[config.Profile] = None) -> float:
    """Accuracy of guessing ``task``'s most frequent answer on balanced data: 1 / its number of answers."""
    return 1.0 / channel_nets.n_classes(task, profile)


def zeroing_summary(zeroing: pd.DataFrame) -> pd.DataFrame:
    """Per arm, ranking, channel count and seed: the mIoU lost by the ranked channels, and the mean and the
    largest loss over the random draws (``margin``: ranked minus the largest random loss)."""
    keys = ["arm", "ranking", "n", "seed"]
    ranked = zeroing[zeroing["which"] == "ranked"].set_index(keys)["lost"].rename("ranked")
    rand = zeroing[zeroing["which"] == "random"].groupby(keys)["lost"].agg(["mean", "max"])
    out = pd.concat([ranked, rand.rename(columns={"mean": "random mean", "max": "random max"})], axis=1)
    return out.assign(margin=out["ranked"] - out["random max"]).reset_index()


def probe_shares(probe: pd.DataFrame, profile: Optional[config.Profile] = None) -> pd.DataFrame:
    """Per trained task, probed task and seed: probe accuracy ordered and sorted, and the share of the ordered
    vector's lead over chance that the sorted one keeps."""
    wide = probe.pivot_table(index=["trained", "task", "seed"], columns="vector", values="accuracy").reset_index()
    base = wide["task"].map(lambda t: chance(t, profile))
    return wide.assign(kept=(wide["sorted"] - base) / (wide["ordered"] - base))
