"""Scenes for tasks where position can help or hurt: salient objects, layouts to segment, and classes tied
to a side of the image.

All three reuse :mod:`poslib.scenes`' lattice (digit objects of :mod:`poslib.glyphs` on photo canvases):

* :func:`salient` — three look-alike objects; the mask marks one. With ``rule="centre"`` it is the object
  nearest the canvas centre (appearance says nothing, place is the cue: the centre bias of real saliency
  data); with ``rule="cue"`` it is a random one of the three, marked by a coloured frame (a local cue).
* :func:`layout` — a band of one texture at the top and at the bottom (alike, as sky and water are), a photo
  between them, and objects anywhere: four classes to segment, two of which only their place tells apart.
* :func:`sided` — Chapter 4's scenes with each class placed on its own side (left or right) with a chosen
  probability: a shortcut when it is high during training, a trap when the test reverses it.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import torch
from torch import Tensor

from . import glyphs, scenes

#: How :func:`salient` picks the salient object.
RULES: tuple[str, ...] = ("centre", "cue")
#: Objects per salient scene.
OBJECTS = 3
#: Colour and width (px) of the frame that marks the salient object under ``rule="cue"``.
CUE_COLOUR = (1.0, 0.0, 1.0)
CUE_WIDTH = 2
#: The segmentation classes of :func:`layout`, in label order.
LAYOUT_CLASSES: tuple[str, ...] = ("middle", "top band", "bottom band", "object")
#: Band heights of :func:`layout` as fractions of the canvas (drawn uniformly, in whole pixels).
BAND = (1 / 6, 5 / 12)
#: Tint of the bands' texture (a photo pulled half-way to this colour): the same at the top and bottom.
BAND_TINT = (0.25, 0.45, 0.9)
#: Objects pasted on each layout scene.
LAYOUT_OBJECTS = 2
#: The digits :func:`sided` draws (label i is digit SIDED_DIGITS[i]), and the labels that belong on the left;
#: the others belong on the right.
SIDED_DIGITS: tuple[int, ...] = (0, 1, 4, 7)
LEFT_CLASSES: tuple[int, ...] = (0, 1)


@dataclass(frozen=True)
class Salient:
    """Salient-object scenes: images, binary masks of the salient object, and where every object lies."""

    images: Tensor  #: (n, 3, canvas, canvas) in [0, 1]
    masks: Tensor  #: (n, 1, canvas, canvas) 1 on the salient object's square, else 0
    places: Tensor  #: (n, OBJECTS) int64 lattice place of every object; column ``salient[i]`` is the salient one
    salient: Tensor  #: (n,) int64 which of the objects is salient
    rule: str
    layout: scenes.Layout

    @property
    def ring(self) -> Tensor:
        """(n,) the ring (steps from the frame) of each scene's salient object."""
        return self.layout.rings()[self.places[torch.arange(len(self.places)), self.salient]]


@dataclass(frozen=True)
class Layouts:
    """Scenes to segment: images, per-pixel labels (:data:`LAYOUT_CLASSES`) and the two bands' heights."""

    images: Tensor  #: (n, 3, canvas, canvas) in [0, 1]
    labels: Tensor  #: (n, canvas, canvas) int64
    bands: Tensor  #: (n, 2) int64 heights (px) of the top and bottom bands


def _check_rule(rule: str) -> None:
    if rule not in RULES:
        raise ValueError(f"unknown saliency rule {rule!r}; choose one of {', '.join(RULES)}")


@lru_cache(maxsize=8)
def _triples(layout: scenes.Layout, rule: str) -> Tensor:
    """Every set of :data:`OBJECTS` places whose objects do not overlap, as (m, OBJECTS) rows sorted so that
    the first place is the one nearest the centre; under ``rule="centre"`` only sets where that place is
    strictly nearest."""
    side, need = layout.side, -(-layout.obj // layout.step)  # lattice steps between non-overlapping objects
    rc = torch.stack(torch.meshgrid(torch.arange(side), torch.arange(side), indexing="ij"), -1).reshape(-1, 2)
    centre = (side - 1) / 2
    dist = ((rc.float() - centre) ** 2).sum(1)
    apart = (rc[:, None] - rc[None]).abs().amax(-1) >= need  # (places, places)
    combos = torch.combinations(torch.arange(layout.n_places), OBJECTS)
    ok = torch.ones(len(combos), dtype=torch.bool)
    for a in range(OBJECTS):
        for b in range(a + 1, OBJECTS):
            ok &= apart[combos[:, a], combos[:, b]]
    combos = combos[ok]
    d = dist[combos]
    order = torch.argsort(d, dim=1, stable=True)
    combos = torch.gather(combos, 1, order)
    if rule == "centre":
        d = torch.gather(d, 1, order)
        combos = combos[d[:, 0] < d[:, 1]]
    if not len(combos):
        raise ValueError(f"no {OBJECTS} non-overlapping places on {layout}: use a larger canvas")
    return combos


def salient(n: int, seed: int, split: str = "train", rule: str = "centre",
            layout: scenes.Layout = scenes.Layout()) -> Salient:
    """``n`` salient-object scenes: :data:`OBJECTS` new objects on a photo canvas at random non-overlapping
    places (every allowed set of places equally likely). ``rule="centre"``: the salient object is the one
    nearest the centre, and it looks like the others. ``rule="cue"``: it is a random one of them, framed in
    :data:`CUE_COLOUR`."""
    glyphs.check_n(n)
    glyphs.check_split(split)
    _check_rule(rule)
    triples = _triples(layout, rule)
    g = glyphs.generator(seed, 21, split)
    places = triples[torch.randint(len(triples), (n,), generator=g)]
    # shuffle the columns so that the salient object's index says nothing
    perm = torch.argsort(torch.rand(n, OBJECTS, generator=g), dim=1)
    nearest = torch.argsort(perm, dim=1)[:, 0]  # where column 0 (the nearest) went
    places = torch.gather(places, 1, perm)
    which = nearest if rule == "centre" else torch.randint(OBJECTS, (n,), generator=g)
    objects, _ = glyphs.patches(n * OBJECTS, layout.obj, seed=seed, split=split)
    objects = objects.view(n, OBJECTS, 3, layout.obj, layout.obj)
    if rule == "cue":
        w, colour = CUE_WIDTH, torch.tensor(CUE_COLOUR).view(3, 1, 1)
        framed = objects[torch.arange(n), which]
        for sl in ((slice(None), slice(0, w)), (slice(None), slice(-w, None)),
                   (slice(0, w), slice(None)), (slice(-w, None), slice(None))):
            framed[:, :, sl[0], sl[1]] = colour
        objects[torch.arange(n), which] = framed
    images = glyphs.backgrounds(n, layout.canvas, split, g)
    for k in range(OBJECTS):
        images = scenes.paste(images, objects[:, k], places[:, k], layout)
    masks = scenes.paste(torch.zeros(n, 3, layout.canvas, layout.canvas), torch.ones(n, 3, layout.obj, layout.obj),
                         places[torch.arange(n), which], layout)[:, :1]
    return Salient(images, masks, places, which, rule, layout)


def layout(n: int, seed: int, split: str = "train", canvas: int = 48, obj: int = 16) -> Layouts:
    """``n`` scenes to segment: a top and a bottom band (heights drawn in :data:`BAND` of the canvas) cut from
    one tinted photo, another photo between them, and :data:`LAYOUT_OBJECTS` objects at random places
    (they may overlap each other and the bands). Labels follow :data:`LAYOUT_CLASSES`."""
    glyphs.check_n(n)
    glyphs.check_split(split)
    grid = scenes.Layout(canvas, obj, obj // 2)
    g = glyphs.generator(seed, 22, split)
    lo, hi = round(BAND[0] * canvas), round(BAND[1] * canvas)
    bands = torch.randint(lo, hi + 1, (n, 2), generator=g)
    middle = glyphs.backgrounds(n, canvas, split, g)
    tint = torch.tensor(BAND_TINT).view(1, 3, 1, 1)
    band = glyphs.backgrounds(n, canvas, split, g).lerp_(tint.expand(n, 3, canvas, canvas), 0.5)
    rows = torch.arange(canvas)
    top = rows[None] < bands[:, :1]
    bottom = rows[None] >= canvas - bands[:, 1:]
    labels = torch.zeros(n, canvas, canvas, dtype=torch.long)
    labels[top[:, :, None].expand(-1, -1, canvas)] = 1
    labels[bottom[:, :, None].expand(-1, -1, canvas)] = 2
    is_band = (top | bottom)[:, None, :, None]
    images = torch.where(is_band, band, middle)
    objects, _ = glyphs.patches(n * LAYOUT_OBJECTS, obj, seed=seed, split=split)
    ones = torch.ones(n, 3, obj, obj)
    for k in range(LAYOUT_OBJECTS):
        place = torch.randint(grid.n_places, (n,), generator=g)
        images = scenes.paste(images, objects[k::LAYOUT_OBJECTS], place, grid)
        hit = scenes.paste(torch.zeros(n, 3, canvas, canvas), ones, place, grid)[:, 0] > 0
        labels[hit] = 3
    return Layouts(images, labels, bands)


def sides(layout: scenes.Layout = scenes.Layout()) -> tuple[Tensor, Tensor]:
    """The places of the left columns and of the right columns of the lattice (the middle column, if the side
    is odd, belongs to neither)."""
    col = torch.arange(layout.n_places) % layout.side
    half = layout.side // 2
    return torch.nonzero(col < half).flatten(), torch.nonzero(col >= layout.side - half).flatten()


def sided(n: int, seed: int, own_side: float, split: str = "train", layout: scenes.Layout = scenes.Layout()) -> scenes.Scenes:
    """``n`` scenes like Chapter 4's, of the digits :data:`SIDED_DIGITS` (labels 0, 1, ...), each object on its
    class's own side (:data:`LEFT_CLASSES` left, the others right) with probability ``own_side``, else on the
    other side, at a random place of that side. 0.5: class and side independent; 0.9: a shortcut; 0.1: the
    shortcut reversed."""
    glyphs.check_n(n)
    glyphs.check_split(split)
    if not 0.0 <= own_side <= 1.0:
        raise ValueError(f"own_side is a probability in [0, 1], got {own_side!r}")
    g = glyphs.generator(seed, 23, split)
    labels = glyphs.balanced(n, len(SIDED_DIGITS), g)
    objects = glyphs.render(torch.tensor(SIDED_DIGITS)[labels], layout.obj, split, g)
    left, right = sides(layout)
    own = torch.rand(n, generator=g) < own_side
    go_left = torch.isin(labels, torch.tensor(LEFT_CLASSES)) == own
    pick_l = left[torch.randint(len(left), (n,), generator=g)]
    pick_r = right[torch.randint(len(right), (n,), generator=g)]
    place = torch.where(go_left, pick_l, pick_r)
    canvases = glyphs.backgrounds(n, layout.canvas, split, g)
    return scenes.Scenes(scenes.paste(canvases, objects, place, layout), labels, place, torch.arange(n), layout)


def side_prior(own_side: float, layout: scenes.Layout = scenes.Layout()) -> Tensor:
    """The class prior given the side, as :func:`sided` draws it: (n_places, classes) probabilities of each
    class for an object at each place (uniform at places of neither side)."""
    k = len(SIDED_DIGITS)
    left, right = sides(layout)
    is_left_class = torch.zeros(k, dtype=torch.bool)
    is_left_class[list(LEFT_CLASSES)] = True
    p_left = torch.where(is_left_class, own_side, 1 - own_side)  # p(side = left | class), classes balanced
    prior = torch.full((layout.n_places, k), 1.0 / k)
    prior[left] = p_left / p_left.sum()
    prior[right] = (1 - p_left) / (1 - p_left).sum()
    return prior
