"""Images the book runs on, all available offline (Chapter 1 onwards).

* Natural photographs shipped inside scikit-image, scikit-learn and matplotlib, split into a training
  and a test group **by photo**, and cut into random crops (:func:`natural_crops`).
* The paper's black, white and noise test images (:func:`synthetic_inputs`).
* A position-agnostic classification task for training backbones offline: ten shape classes drawn at
  random places, sizes, angles and colours on photo crops (:func:`shapes`).
* In the ``paper`` profile, the real data sets instead of the photo crops (:mod:`poslib.datasets`).
"""
from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from . import config, datasets

ASSETS = Path(__file__).parent / "assets"

#: Photos used to train readouts and as shape-task backgrounds.
TRAIN_PHOTOS: tuple[str, ...] = (
    "rocket", "coins", "moon", "page", "text", "hubble_deep_field", "immunohistochemistry", "retina",
    "cell", "microaneurysms", "brick", "grass", "gravel", "motorcycle_left", "motorcycle_right",
    "flower", "grace_hopper",
)
#: Photos kept apart for testing readouts: everyday scenes, as PASCAL-S is.
TEST_PHOTOS: tuple[str, ...] = ("astronaut", "chelsea", "coffee", "china", "camera", "clock")

SHAPE_CLASSES: tuple[str, ...] = (
    "disk", "ring", "square", "diamond", "triangle", "plus", "frame", "bar", "star", "half-disk",
)
MAX_PHOTO_SIDE = 256


def _load_photo(name: str) -> np.ndarray:
    import skimage.data as skd

    if name in ("china", "flower"):
        from sklearn.datasets import load_sample_image

        return load_sample_image(f"{name}.jpg")
    if name == "grace_hopper":
        from matplotlib import cbook
        from PIL import Image

        with cbook.get_sample_data("grace_hopper.jpg") as f:
            return np.asarray(Image.open(f).convert("RGB"))
    if name.startswith("motorcycle_"):
        left, right, _ = skd.stereo_motorcycle()
        return left if name.endswith("left") else right
    return getattr(skd, name)()


@lru_cache(maxsize=None)
def photo(name: str) -> torch.Tensor:
    """One shipped photo as a float (3, H, W) tensor in [0, 1], short side at most 256 px (Chapter 1)."""
    if name not in TRAIN_PHOTOS + TEST_PHOTOS:
        raise ValueError(f"unknown photo {name!r}; the shipped photos are {', '.join(TRAIN_PHOTOS + TEST_PHOTOS)}")
    a = _load_photo(name)
    if a.ndim == 2:
        a = np.repeat(a[..., None], 3, axis=2)
    t = torch.from_numpy(np.array(a[..., :3], copy=True)).permute(2, 0, 1).float() / 255.0
    short = min(t.shape[-2:])
    if short > MAX_PHOTO_SIDE:
        scale = MAX_PHOTO_SIDE / short
        size = (round(t.shape[-2] * scale), round(t.shape[-1] * scale))
        t = F.interpolate(t[None], size=size, mode="bilinear", antialias=True, align_corners=False)[0]
    return t.clamp(0, 1).contiguous()


def photos(split: str) -> list[torch.Tensor]:
    """The shipped photos of the ``train`` or ``test`` group (Chapter 1)."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    return [photo(n) for n in (TRAIN_PHOTOS if split == "train" else TEST_PHOTOS)]


def random_crops(images: Sequence[torch.Tensor], n: int, size: int, seed: int, augment: bool = True,
                 min_scale: float = 0.35) -> torch.Tensor:
    """``n`` square crops of random images, places and scales, resized to ``size`` (Chapter 1).

    A crop's side is a random fraction in [min_scale, 1] of the photo's short side; with ``augment``
    crops are also flipped left-right at random. Returns a float (n, 3, size, size) tensor.
    """
    if n < 0 or size < 8:
        raise ValueError(f"need n >= 0 crops of size >= 8, got n={n}, size={size}")
    g = torch.Generator().manual_seed(seed)
    out = torch.empty(n, 3, size, size)
    for i in range(n):
        img = images[int(torch.randint(len(images), (1,), generator=g))]
        h, w = img.shape[-2:]
        side = max(8, int(min(h, w) * (min_scale + (1 - min_scale) * float(torch.rand(1, generator=g)))))
        y = int(torch.randint(h - side + 1, (1,), generator=g))
        x = int(torch.randint(w - side + 1, (1,), generator=g))
        crop = img[:, y: y + side, x: x + side]
        if augment and float(torch.rand(1, generator=g)) < 0.5:
            crop = crop.flip(-1)
        out[i] = F.interpolate(crop[None], size=(size, size), mode="bilinear", antialias=True,
                               align_corners=False)[0]
    return out.clamp_(0, 1)


def natural_crops(split: str, n: int, size: int, seed: int = 0) -> torch.Tensor:
    """Crops of the ``train`` photos (augmented) or the ``test`` photos (not flipped) (Chapter 1)."""
    return random_crops(photos(split), n, size, seed=seed, augment=(split == "train"),
                        min_scale=0.35 if split == "train" else 0.5)


def readout_sets(seed: int, n_train: int, n_test: int, size: int) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """One seed's readout data: ``n_train`` training crops, and test sets of ``n_test`` held-out photo crops
    (``natural``) plus the black, white and noise images; crops drawn from streams 0 and 1 of ``seed``.
    In the ``paper`` profile the training and natural test images are DUTS-TR and PASCAL-S instead
    (:func:`datasets.saliency_sets`), the same for every seed."""
    if not config.get_profile().offline:
        train, natural = datasets.saliency_sets(n_train, n_test, size)
    else:
        train = natural_crops("train", n_train, size, seed=config.stream(seed, 0))
        natural = natural_crops("test", n_test, size, seed=config.stream(seed, 1))
    return train, {"natural": natural, **synthetic_inputs(size)}


def synthetic_inputs(size: int) -> dict[str, torch.Tensor]:
    """The paper's featureless test inputs: ``black``, ``white`` and its dark ``noise`` image (Chapter 1).

    Each is a (1, 3, size, size) tensor; the noise image is the authors' own, resized.
    """
    from PIL import Image

    noise = np.asarray(Image.open(ASSETS / "official" / "noise.jpg").convert("RGB"), dtype=np.float32) / 255
    noise_t = torch.from_numpy(noise).permute(2, 0, 1)[None]
    noise_t = F.interpolate(noise_t, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
    return {
        "black": torch.zeros(1, 3, size, size),
        "white": torch.ones(1, 3, size, size),
        "noise": noise_t.clamp(0, 1),
    }


CANVAS_COLOURS: tuple[str, ...] = ("black", "white", "mean", "noise")


@lru_cache(maxsize=None)
def mean_colour() -> tuple[float, float, float]:
    """The mean RGB colour of the training photos (Chapter 2's "mean" canvas)."""
    return tuple(float(v) for v in torch.stack([p.mean(dim=(1, 2)) for p in photos("train")]).mean(0))


def on_canvas(images: torch.Tensor, canvas_size: int, colour: str, seed: int) -> torch.Tensor:
    """Paste each image at a random place on a larger square canvas of ``colour`` (Chapter 2).

    ``colour`` is one of :data:`CANVAS_COLOURS`: black, white, the photos' mean colour, or uniform noise
    (new noise for every canvas). Returns (N, 3, canvas_size, canvas_size).
    """
    if colour not in CANVAS_COLOURS:
        raise ValueError(f"unknown canvas colour {colour!r}; choose one of {', '.join(CANVAS_COLOURS)}")
    n, _, h, w = images.shape
    if canvas_size < max(h, w):
        raise ValueError(f"a {canvas_size} px canvas cannot hold {h}x{w} images")
    g = torch.Generator().manual_seed(seed)
    if colour == "noise":
        out = torch.rand(n, 3, canvas_size, canvas_size, generator=g)
    else:
        value = {"black": (0.0,) * 3, "white": (1.0,) * 3, "mean": mean_colour()}[colour]
        out = torch.tensor(value).view(1, 3, 1, 1).repeat(n, 1, canvas_size, canvas_size)
    ys = torch.randint(canvas_size - h + 1, (n,), generator=g)
    xs = torch.randint(canvas_size - w + 1, (n,), generator=g)
    for i in range(n):
        out[i, :, ys[i]: ys[i] + h, xs[i]: xs[i] + w] = images[i]
    return out


def _shape_masks(cls: torch.Tensor, u: torch.Tensor, v: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
    """Boolean masks (N, S, S) of each sample's shape, in coordinates (u, v) relative to its centre."""
    rho = torch.sqrt(u**2 + v**2)
    phi = torch.atan2(v, u)
    au, av = u.abs(), v.abs()
    masks = torch.zeros_like(u, dtype=torch.bool)
    tri = (v <= 0.5 * r) & (math.sqrt(3) * u - v <= r) & (-math.sqrt(3) * u - v <= r)
    table = {
        0: rho <= r,
        1: (rho <= r) & (rho >= 0.55 * r),
        2: torch.maximum(au, av) <= 0.8 * r,
        3: au + av <= r,
        4: tri,
        5: ((au <= 0.3 * r) & (av <= r)) | ((av <= 0.3 * r) & (au <= r)),
        6: (torch.maximum(au, av) <= 0.85 * r) & (torch.maximum(au, av) >= 0.5 * r),
        7: (au <= r) & (av <= 0.35 * r),
        8: rho <= r * (0.6 + 0.4 * torch.cos(5 * phi)),
        9: (rho <= r) & (v <= 0),
    }
    for k, m in table.items():
        sel = (cls == k).view(-1, 1, 1)
        masks |= sel & m
    return masks


def shapes(n: int, size: int, seed: int, min_radius: float = 0.1, max_radius: float = 0.22,
           backgrounds: str = "train") -> tuple[torch.Tensor, torch.Tensor]:
    """The offline backbone-training task: one of ten shapes on a photo crop; label = shape (Chapter 1).

    Shapes have a random centre (anywhere the whole shape fits), radius (``min_radius`` to
    ``max_radius`` of the image side), angle and colour, so the label says nothing about position.
    Returns images (n, 3, size, size) in [0, 1] and labels (n,) with balanced classes.
    """
    g = torch.Generator().manual_seed(seed)
    images = random_crops(photos(backgrounds), n, size, seed=seed + 7919)
    labels = torch.arange(n) % len(SHAPE_CLASSES)
    labels = labels[torch.randperm(n, generator=g)]
    r = size * (min_radius + (max_radius - min_radius) * torch.rand(n, generator=g))
    cx = r + (size - 1 - 2 * r) * torch.rand(n, generator=g)
    cy = r + (size - 1 - 2 * r) * torch.rand(n, generator=g)
    theta = 2 * math.pi * torch.rand(n, generator=g)
    colour = torch.rand(n, 3, generator=g)
    ys, xs = torch.meshgrid(torch.arange(size, dtype=torch.float32), torch.arange(size, dtype=torch.float32),
                            indexing="ij")
    chunk = 512
    for s in range(0, n, chunk):
        e = min(n, s + chunk)
        dx = xs[None] - cx[s:e, None, None]
        dy = ys[None] - cy[s:e, None, None]
        c, si = torch.cos(theta[s:e]).view(-1, 1, 1), torch.sin(theta[s:e]).view(-1, 1, 1)
        u, v = c * dx + si * dy, -si * dx + c * dy
        m = _shape_masks(labels[s:e], u, v, r[s:e].view(-1, 1, 1))
        bg_mean = images[s:e].mean(dim=(2, 3))
        col = colour[s:e]
        dull = (col - bg_mean).abs().mean(1) < 0.3
        col[dull] = (bg_mean[dull].mean(1, keepdim=True) < 0.5).float().expand(-1, 3)  # white on dark
        images[s:e] = torch.where(m[:, None], col[:, :, None, None], images[s:e])
    return images, labels
