"""The one way a trained network is made: built, trained once, kept in the content-keyed cache, frozen and
described (every chapter's networks: backbones, border-task, scene, task and channel networks).

:func:`cached_network` takes a spec (everything that determines the network), a builder and a training
function; the first request trains and stores, every later one, from any chapter, loads.
"""
from __future__ import annotations

import dataclasses
import time
from typing import Callable, Optional

import torch.nn as nn

from . import cache, config


def state_dict(net: nn.Module) -> dict:
    """``net``'s parameters and buffers as CPU tensors, ready to store."""
    return {k: v.detach().cpu() for k, v in net.state_dict().items()}


def cached_network(kind: str, spec, build: Callable[[], nn.Module], fit: Callable[[nn.Module], Optional[dict]],
                   seed: int, module: str) -> nn.Module:
    """The one way a trained network is made: ``build()`` a fresh network (seeded with ``seed``), train it with
    ``fit(net)`` and keep it in the content-keyed cache under ``kind``; every later request loads it.

    ``spec`` (a dataclass or a JSON-able dict) is everything that determines the network; the key also covers
    the source of ``module`` and of every ``poslib`` module it imports (:func:`cache.fingerprint`). ``fit``
    returns an optional dict: its ``info`` entry is kept as the network's description, any other entry (test
    predictions, say) is stored beside the weights. Returns the network frozen (:func:`freeze`), with
    ``net.info`` (``fit``'s info, ``train_seconds``, ``cached``, ``key``, ``spec`` as a dict) and
    ``net.results`` (the other entries).
    """
    spec = dataclasses.asdict(spec) if dataclasses.is_dataclass(spec) else dict(spec)

    def make() -> dict:
        config.seed_everything(seed)
        net = build()
        t0 = time.perf_counter()
        out = dict(fit(net) or {})
        info = dict(out.pop("info", {}))
        info.setdefault("train_seconds", time.perf_counter() - t0)
        return {"state": state_dict(net), "info": info, **out}

    stored, was_cached = cache.load_or_make(kind, spec, make, module)
    net = build()
    net.load_state_dict(stored["state"])
    net.info = dict(stored["info"], cached=was_cached, key=cache.key(kind, spec, module), spec=spec)
    net.results = {k: v for k, v in stored.items() if k not in ("state", "info")}
    return freeze(net)


def freeze(net: nn.Module) -> nn.Module:
    """``net`` in evaluation mode on the book's device, every parameter frozen; returns it."""
    net.eval().to(config.device())
    for p in net.parameters():
        p.requires_grad_(False)
    return net
