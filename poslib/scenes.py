"""Objects on photo canvases at a lattice of places: the data of Chapter 4's semantic experiments.

An *object* is one of :mod:`poslib.glyphs`' class-labelled patches (a digit on a photo tile). A *scene*
pastes one object on a larger canvas cut from the same split's photos, with its top-left corner on a
lattice of places ``step`` pixels apart, so that the class says nothing about the place. A place's *ring*
is its distance to the canvas border in lattice steps (0: the object touches the frame).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from . import glyphs


@dataclass(frozen=True)
class Layout:
    """Canvas side, object side and lattice step, in pixels."""

    canvas: int = 48
    obj: int = 16
    step: int = 8

    def __post_init__(self):
        for name in ("canvas", "obj", "step"):
            v = getattr(self, name)
            if not glyphs.is_int(v) or v < 1:
                raise ValueError(f"{name} must be a positive integer number of pixels, got {v!r}")
        glyphs.check_size(self.obj)
        if self.canvas < self.obj or (self.canvas - self.obj) % self.step:
            raise ValueError(f"a {self.obj} px object must fit a {self.canvas} px canvas in whole steps of "
                             f"{self.step} px: choose canvas = obj + a multiple of step")

    @property
    def side(self) -> int:
        """Places per row (and per column) of the lattice."""
        return (self.canvas - self.obj) // self.step + 1

    @property
    def n_places(self) -> int:
        """Number of places on the lattice (row-major indices 0 .. n_places - 1)."""
        return self.side ** 2

    def origins(self) -> Tensor:
        """The top-left pixel (y, x) of every place, (n_places, 2) int64, row-major."""
        i = torch.arange(self.side) * self.step
        return torch.stack(torch.meshgrid(i, i, indexing="ij"), -1).reshape(-1, 2)

    def rings(self) -> Tensor:
        """Distance of every place to the canvas border, in lattice steps, (n_places,) int64."""
        r, c = torch.div(torch.arange(self.n_places), self.side, rounding_mode="floor"), torch.arange(self.n_places) % self.side
        last = self.side - 1
        return torch.minimum(torch.minimum(r, c), torch.minimum(last - r, last - c))


@dataclass(frozen=True)
class Scenes:
    """Images of objects on canvases, with each image's class, place and object index."""

    images: Tensor  #: (n, 3, canvas, canvas) in [0, 1]
    labels: Tensor  #: (n,) int64 class of the object (:data:`glyphs.PATCH_CLASSES`)
    place: Tensor  #: (n,) int64 row-major place of the object's top-left corner
    obj: Tensor  #: (n,) int64 which object (the same object may appear at several places)
    layout: Layout

    @property
    def ring(self) -> Tensor:
        """(n,) the ring of each image's place."""
        return self.layout.rings()[self.place]


def paste(canvases: Tensor, objects: Tensor, place: Tensor, layout: Layout) -> Tensor:
    """A copy of ``canvases`` (n, 3, C, C) with ``objects[i]`` (n, 3, s, s) pasted at ``place[i]``."""
    if canvases.dim() != 4 or canvases.shape[1:] != (3, layout.canvas, layout.canvas):
        raise ValueError(f"canvases must be (n, 3, {layout.canvas}, {layout.canvas}), got {tuple(canvases.shape)}")
    if objects.dim() != 4 or objects.shape[1:] != (3, layout.obj, layout.obj) or len(objects) != len(canvases):
        raise ValueError(f"objects must be ({len(canvases)}, 3, {layout.obj}, {layout.obj}), got {tuple(objects.shape)}")
    place = torch.as_tensor(place).long().flatten()
    if len(place) != len(canvases) or (len(place) and (int(place.min()) < 0 or int(place.max()) >= layout.n_places)):
        raise ValueError(f"need one place in 0..{layout.n_places - 1} per canvas")
    out = canvases.clone()
    s = layout.obj
    for i, (y, x) in enumerate(layout.origins()[place].tolist()):
        out[i, :, y: y + s, x: x + s] = objects[i]
    return out


def scenes(n: int, seed: int, split: str = "train", layout: Layout = Layout()) -> Scenes:
    """``n`` scenes, each a new object at a random place on its own photo canvas; places and classes are
    balanced (counts differ by at most one) and drawn independently."""
    objects, labels = glyphs.patches(n, layout.obj, seed=seed, split=split)
    g = glyphs.generator(seed, 11, split)
    place = glyphs.balanced(n, layout.n_places, g)
    canvases = glyphs.backgrounds(n, layout.canvas, split, g)
    return Scenes(paste(canvases, objects, place, layout), labels, place, torch.arange(n), layout)


def every_place(n: int, seed: int, split: str = "test", layout: Layout = Layout()) -> Scenes:
    """``n`` objects, each shown at every place of the lattice on its own (fixed) photo canvas:
    ``n * n_places`` images, object-major (the place changes fastest)."""
    objects, labels = glyphs.patches(n, layout.obj, seed=seed, split=split)
    canvases = glyphs.backgrounds(n, layout.canvas, split, glyphs.generator(seed, 12, split))
    k = layout.n_places
    place = torch.arange(k).repeat(n)
    images = paste(canvases.repeat_interleave(k, 0), objects.repeat_interleave(k, 0), place, layout)
    return Scenes(images, labels.repeat_interleave(k), place, torch.arange(n).repeat_interleave(k), layout)


def blank_canvas(scenes_: Scenes, value: float = 0.0) -> Scenes:
    """The same objects at the same places on a uniform canvas of ``value`` instead of photos."""
    s = scenes_.layout.obj
    out = torch.full_like(scenes_.images, float(value))
    for i, (y, x) in enumerate(scenes_.layout.origins()[scenes_.place].tolist()):
        out[i, :, y: y + s, x: x + s] = scenes_.images[i, :, y: y + s, x: x + s]
    return Scenes(out, scenes_.labels, scenes_.place, scenes_.obj, scenes_.layout)
