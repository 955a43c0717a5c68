"""Any network seen through some of its layers: the feature maps a position readout reads.

:class:`Taps` wraps an ``nn.Module`` (a ``poslib`` backbone, a torchvision CNN or Vision Transformer, or a
user's own network) and gives it the ``stages(x)`` method every ``poslib`` backbone has: the outputs of the
chosen layers, each as an (N, C, H, W) map. Layers are named by module path (``"layer3"``,
``"features.7"``, ``"encoder.layers.encoder_layer_5"``) and caught with forward hooks, or by torchvision's
feature-extraction node names (``torchvision.models.feature_extraction``) when they are not modules. A
Transformer's token sequence (N, T, D) is laid back on its patch grid, its class token dropped.
"""
from __future__ import annotations

import math
from typing import Optional, Sequence

import torch
import torch.nn as nn


class _Stop(Exception):
    """Raised by the last hook: the rest of the network is not needed."""


def layer_names(model: nn.Module) -> list[str]:
    """Every layer of ``model`` a :class:`Taps` can read by module path, in the order they were defined."""
    return [name for name, _ in model.named_modules() if name]


def _listing(names: Sequence[str], limit: int = 40) -> str:
    """The shallowest ``limit`` names (top-level layers first, then their blocks), and how many more there are."""
    names = sorted(names, key=lambda n: n.count("."))
    shown = ", ".join(names[:limit])
    return shown + (f", ... and {len(names) - limit} more (poslib.taps.layer_names(model) lists them all)"
                    if len(names) > limit else "")


def as_map(out, name: str) -> torch.Tensor:
    """A layer's output as an (N, C, H, W) feature map: a 4-D map as it is, a token sequence (N, T, D) laid
    on its square patch grid (a leading class token dropped when T - 1 is square and T is not)."""
    if isinstance(out, (tuple, list)) and out and isinstance(out[0], torch.Tensor):
        out = out[0]
    if not isinstance(out, torch.Tensor):
        raise ValueError(f"layer {name!r} returns a {type(out).__name__}, not a tensor; pick a layer that "
                         "returns a feature map")
    if out.dim() == 4:
        return out
    if out.dim() == 3:
        n, t, d = out.shape
        side = math.isqrt(t)
        if side * side != t:
            side = math.isqrt(t - 1)
            if side * side != t - 1:
                raise ValueError(f"layer {name!r} returns {t} tokens, which is neither a square patch grid nor "
                                 "one class token plus a square grid; pick another layer")
            out = out[:, 1:]
        return out.transpose(1, 2).reshape(n, d, side, side)
    raise ValueError(f"layer {name!r} returns a {out.dim()}-D output of shape {tuple(out.shape)}, not a 4-D "
                     "feature map (N, C, H, W) or a token sequence (N, T, D); pick an earlier layer")


class Taps(nn.Module):
    """``model`` read at ``layers``: ``stages(x)`` returns their outputs as (N, C, H, W) maps, in the order
    given. ``mean`` and ``std`` (per RGB channel) normalise the [0, 1] images first; ``layers=None`` takes
    a ``poslib`` backbone's own stages."""

    def __init__(self, model: nn.Module, layers: Optional[Sequence[str]] = None,
                 mean: Optional[Sequence[float]] = None, std: Optional[Sequence[float]] = None):
        super().__init__()
        if not isinstance(model, nn.Module):
            raise TypeError(f"the position meter reads an nn.Module, got {type(model).__name__}")
        self.model = model
        if layers is None and not hasattr(model, "stages"):
            raise ValueError("name the layers to read, e.g. layers=['layer1', 'layer4']; valid names: "
                             + _listing(layer_names(model)))
        self.layers = None if layers is None else [str(n) for n in layers]
        if self.layers is not None and not self.layers:
            raise ValueError("layers is empty: name at least one layer")
        self._extractor = None
        if self.layers is not None:
            modules = dict(model.named_modules())
            missing = [n for n in self.layers if n not in modules]
            if missing:
                self._extractor = _node_extractor(model, self.layers, missing)
        norm = None
        if (mean is None) != (std is None):
            raise ValueError("give both mean and std for normalisation, or neither")
        if mean is not None:
            norm = (torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1),
                    torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))
        self.norm = norm

    def describe_input(self) -> str:
        """How images are normalised before the network sees them, in words."""
        if self.norm is None:
            return "none (images in [0, 1])"
        m, s = (", ".join(f"{v:.3f}" for v in t.flatten().tolist()) for t in self.norm)
        return f"mean ({m}), std ({s})"

    def stages(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The chosen layers' outputs for a batch of [0, 1] images, as (N, C, H, W) maps."""
        if self.norm is not None:
            x = (x - self.norm[0].to(x.device)) / self.norm[1].to(x.device)
        if self.layers is None:
            return list(self.model.stages(x))
        if self._extractor is not None:
            out = self._extractor(x)
            return [as_map(out[n], n) for n in self.layers]
        return self._hooked(x)

    def _hooked(self, x: torch.Tensor) -> list[torch.Tensor]:
        modules = dict(self.model.named_modules())
        caught: dict[str, torch.Tensor] = {}
        wanted = set(self.layers)

        def hook(name):
            def grab(_module, _inputs, output):
                caught.setdefault(name, output)
                if wanted <= caught.keys():
                    raise _Stop
            return grab

        handles = [modules[n].register_forward_hook(hook(n)) for n in dict.fromkeys(self.layers)]
        try:
            self.model(x)
        except _Stop:
            pass
        finally:
            for h in handles:
                h.remove()
        never = [n for n in self.layers if n not in caught]
        if never:
            raise ValueError(f"layer(s) {never} never ran in the forward pass; pick layers the model calls")
        return [as_map(caught[n], n) for n in self.layers]

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:  # noqa: D102
        return self.stages(x)


def _node_extractor(model: nn.Module, layers: Sequence[str], missing: Sequence[str]) -> nn.Module:
    """torchvision's feature extractor for ``layers`` when some are graph nodes rather than module paths."""
    try:
        from torchvision.models.feature_extraction import create_feature_extractor, get_graph_node_names
        nodes = set(get_graph_node_names(model)[1])
    except Exception:  # torchvision missing, or the model cannot be traced
        nodes = set()
    unknown = [n for n in missing if n not in nodes]
    if unknown:
        raise ValueError(f"unknown layer(s) {unknown}; name layers by module path: "
                         + _listing(layer_names(model))
                         + (" (torchvision's feature-extraction node names work too)" if nodes else ""))
    return create_feature_extractor(model, return_nodes={n: n for n in layers})
