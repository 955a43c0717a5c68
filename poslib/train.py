"""Training loops, and the cached backbones every chapter reads position from (Chapter 1 onwards).

No ImageNet weights can be downloaded here, so the default backbones are trained by ``poslib`` itself
on the offline shapes task (:func:`poslib.data.shapes`): a position-agnostic ten-way classification, as
ImageNet classification is. :func:`backbone` trains one the first time it is asked for and keeps it in
the content-keyed cache, so every later request, from any chapter, loads it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm import tqdm

from . import config, data, infer, models, networks, padding

#: Blocks (ResNet) or convolutions (VGG) per stage of the default backbones.
DEPTHS = {"vgg": (2, 2, 2, 2), "resnet": (1, 1, 2, 2)}
WIDTHS = (16, 32, 64, 128)
#: Peak learning rate when fine-tuning a trained backbone under another padding rule.
FINETUNE_LR = 1e-3


@dataclass(frozen=True)
class BackboneSizes:
    """The offline backbone's training budget in one profile: shape images, epochs, batch, held-out images."""

    images: int = 2500
    epochs: int = 2
    batch: int = 64
    test: int = 1000


#: The backbone budget of every profile (the paper profile loads ImageNet weights instead of training). The
#: book's backbones see 5,000 images (2,500 shapes, twice): position comes from the padding, not from how well
#: the shapes are learnt. Every binding finding of Chapters 1 and 2 and the appendix held at this budget on a
#: seed the book does not use, then on seeds 0-2 and 11-13, before it replaced 15,000 (5,000 three times).
SIZES: dict[str, BackboneSizes] = {
    "smoke": BackboneSizes(images=1000, epochs=1, test=200),
    "book": BackboneSizes(),
    "paper": BackboneSizes(images=0, epochs=0),
}


def sizes(profile: Optional[config.Profile] = None) -> BackboneSizes:
    """The :class:`BackboneSizes` of ``profile`` (default: the active one)."""
    return SIZES[(profile or config.get_profile()).name]


def fit(model: nn.Module, inputs: torch.Tensor, targets: Sequence[torch.Tensor],
        loss: Callable[..., torch.Tensor], epochs: int, batch: int = 64, lr: float = 3e-3, seed: int = 0,
        desc: str = "train") -> list[float]:
    """Train ``model`` with AdamW and a one-cycle schedule: each step takes a batch of ``inputs`` and the same
    rows of every tensor in ``targets``, and minimises ``loss(model(x), *rows)``. Returns the epoch losses."""
    dev = config.device()
    model.to(dev).to(memory_format=torch.channels_last).train()
    g = torch.Generator().manual_seed(seed)
    steps = epochs * ((len(inputs) + batch - 1) // batch)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=max(steps, 1))
    losses = []
    bar = tqdm(total=steps, desc=desc, leave=False)
    for _ in range(epochs):
        order = torch.randperm(len(inputs), generator=g)
        total = 0.0
        for s in range(0, len(inputs), batch):
            idx = order[s: s + batch]
            x = inputs[idx].to(dev).contiguous(memory_format=torch.channels_last)
            rows = [t[idx].to(dev) for t in targets]
            with config.autocast():
                value = loss(model(x), *rows)
            opt.zero_grad(set_to_none=True)
            value.backward()
            opt.step()
            sched.step()
            total += float(value.detach()) * len(idx)
            bar.update(1)
        losses.append(total / len(inputs))
    bar.close()
    return losses


def fit_classifier(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, epochs: int,
                   batch: int = 64, lr: float = 3e-3, seed: int = 0, desc: str = "train") -> list[float]:
    """Train ``model`` on (images, labels) with cross-entropy (:func:`fit`); returns the epoch losses."""
    return fit(model, images, [labels], F.cross_entropy, epochs, batch, lr, seed, desc)


def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch: int = 256) -> float:
    """Classification accuracy of ``model`` on (images, labels)."""
    model.to(config.device()).eval()
    return int((infer.batched(lambda x: model(x).argmax(1), images, batch) == labels).sum()) / len(images)


@dataclass(frozen=True)
class BackboneSpec:
    """Everything that determines an offline backbone: architecture, padding, data and training budget, seed,
    numeric path, and the cache key of the backbone it is fine-tuned from (``start``; None: random weights)."""

    arch: str
    mode: str
    seed: int
    trained: bool
    widths: tuple
    depth: tuple
    image_size: int
    images: int
    epochs: int
    batch: int
    lr: float
    test_images: int
    precision: str
    pad_width: Optional[int] = None
    pad_first_only: bool = False
    start: Optional[str] = None


def backbone_spec(arch: str, mode: str, seed: int, profile: config.Profile, trained: bool = True,
                  images: Optional[int] = None, epochs: Optional[int] = None, pad_width: Optional[int] = None,
                  pad_first_only: bool = False, start: Optional[str] = None,
                  test_images: Optional[int] = None) -> BackboneSpec:
    """The :class:`BackboneSpec` of a backbone in ``profile``; ``images``, ``epochs`` and ``test_images``
    override the profile's budget, ``start`` is the cache key of the backbone training starts from."""
    budget = sizes(profile)
    return BackboneSpec(
        arch=arch, mode=mode, seed=seed, trained=trained, widths=WIDTHS, depth=DEPTHS[arch],
        image_size=profile.image_size, images=budget.images if images is None else images,
        epochs=budget.epochs if epochs is None else epochs, batch=budget.batch,
        lr=3e-3 if start is None else FINETUNE_LR,
        test_images=budget.test if test_images is None else test_images, precision=config.precision(),
        pad_width=pad_width, pad_first_only=pad_first_only if pad_width is not None else False, start=start)


def _imagenet(arch: str, mode: str) -> nn.Module:
    """The ``paper`` profile's backbone: torchvision's ImageNet network, its convolutions switched to ``mode``."""
    if arch == "resnet" and mode != "zeros":
        raise ValueError("the paper only removes padding from VGG16: ResNet skip connections would not fit")
    net = models.imagenet_backbone(arch)
    if mode != "zeros":
        padding.convert(net, mode)
    net.info = {"source": f"torchvision ImageNet {arch}", "cached": True}
    return networks.freeze(net)


def backbone(arch: str = "vgg", mode: str = "zeros", seed: int = 0, profile: Optional[config.Profile] = None,
             trained: bool = True, images: Optional[int] = None, epochs: Optional[int] = None,
             pad_width: Optional[int] = None, pad_first_only: bool = False,
             finetune: bool = False, test_images: Optional[int] = None) -> nn.Module:
    """A frozen backbone, ready for reading features.

    In the offline profiles (``smoke``, ``book``) it is a ``poslib`` VGG- or ResNet-style network with
    padding ``mode``, trained on the shapes task (or left at its random initialisation when
    ``trained=False``) through :func:`poslib.networks.cached_network`, so it is made once and then loaded. In
    the ``paper`` profile it is torchvision's ImageNet VGG16 or ResNet-152, with its convolutions switched to
    ``mode``. The model's
    ``info`` dict holds its shape-task test accuracy (None for a random network), training time, cache key,
    whether it came from the cache.
    ``images`` and ``epochs`` override the profile's training budget; ``pad_width`` pads that many pixels in
    every 3x3 convolution, or only in the first, all others valid (``pad_first_only``). ``finetune=True``
    starts training from the profile's own zero-padded backbone of the same architecture (the run's first
    seed) instead of a random start, with a lower learning rate. ``test_images`` overrides how many held-out
    shape images measure its accuracy.
    """
    profile = profile or config.get_profile()
    if arch not in models.ARCHS:
        raise ValueError(f"unknown architecture {arch!r}; choose one of {', '.join(models.ARCHS)}")
    if not profile.offline and trained and images is None and pad_width is None:
        return _imagenet(arch, mode)

    base = None
    if finetune:
        if not trained:
            raise ValueError("finetune=True needs trained=True: a random backbone has nothing to fine-tune")
        base = backbone(arch, "zeros", profile.seeds[0], profile)
    spec = backbone_spec(arch, mode, seed, profile, trained, images, epochs, pad_width, pad_first_only,
                         None if base is None else base.info["key"], test_images)

    def build() -> nn.Module:
        net = models.build(arch, mode, WIDTHS, DEPTHS[arch])
        if pad_width is not None:
            if pad_first_only:  # pad the first convolution only; every other one is valid
                padding.set_width(net, 0)
            padding.set_width(net, pad_width, pad_first_only)
        return net

    def fit(net: nn.Module) -> dict:
        info = {"train_seconds": 0.0, "epochs": 0, "start": spec.start}
        if base is not None:
            net.load_state_dict(networks.state_dict(base))
            for p in net.parameters():
                p.requires_grad_(True)
        if trained:
            x, y = _shapes_train_set(spec.images, profile.image_size, seed)
            t0 = time.perf_counter()
            losses = fit_classifier(net, x, y, spec.epochs, spec.batch, spec.lr, seed,
                                    desc=f"{arch}/{mode}")
            info.update(train_seconds=time.perf_counter() - t0, epochs=spec.epochs, losses=losses)
        # a random network's accuracy is chance by construction: not worth the time of measuring it
        info["test_accuracy"] = (accuracy(net, *_shapes_test_set(spec.test_images, profile.image_size, seed))
                                 if trained else None)
        return {"info": info}

    return networks.cached_network("backbone", spec, build, fit, seed, __name__)


def describe(name: str, net: nn.Module) -> dict:
    """A trained backbone in one row: parameters, receptive field per stage, shape-task accuracy, training
    time and whether it came from the cache."""
    acc = net.info.get("test_accuracy")
    return {"backbone": name, "seed": net.info.get("spec", {}).get("seed"),
            "parameters": sum(p.numel() for p in net.parameters()),
            "receptive field of each stage (px)": models.receptive_field(net),
            "shape-task test accuracy": None if acc is None else round(acc, 3),
            "training time (s)": round(net.info.get("train_seconds", 0.0), 1),
            "loaded from cache": net.info.get("cached")}


#: Training sets up to this many bytes are kept in memory between backbones (3 of them at most).
_KEEP_BYTES = 2**29


def _shapes_train_set(n: int, size: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The training shapes of one seed; Chapter 2's padding modes of a seed share them, made once."""
    if n * 3 * size * size * 4 > _KEEP_BYTES:  # paper-sized sets are made afresh rather than held
        return data.shapes(n, size, seed=1000 + seed)
    return _kept_shapes(n, size, seed)


@lru_cache(maxsize=3)
def _kept_shapes(n: int, size: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    return data.shapes(n, size, seed=1000 + seed)


@lru_cache(maxsize=4)
def _shapes_test_set(n: int, size: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Held-out shapes on the test photos, drawn from a stream of the run seed, made once per session."""
    return data.shapes(n, size, seed=config.stream(seed, 424242), backgrounds="test")
