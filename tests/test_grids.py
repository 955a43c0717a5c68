"""poslib.grids: Chapter 3's grid geometry, canvases and the three border tasks."""
from __future__ import annotations

import pytest
import torch

from poslib import data, glyphs, grids


# ------------------------------------------------------------------------------------------ geometry

def test_rings_for_k_3_5_7_and_small_grids():
    assert grids.rings(1).tolist() == [[0]]
    assert grids.rings(3).tolist() == [[0, 0, 0], [0, 1, 0], [0, 0, 0]]
    assert grids.rings(4).tolist() == [[0, 0, 0, 0], [0, 1, 1, 0], [0, 1, 1, 0], [0, 0, 0, 0]]
    assert grids.rings(5).tolist() == [[0, 0, 0, 0, 0], [0, 1, 1, 1, 0], [0, 1, 2, 1, 0], [0, 1, 1, 1, 0],
                                       [0, 0, 0, 0, 0]]
    r7 = grids.rings(7)
    assert r7.dtype == torch.int64 and int(r7[3, 3]) == 3 and int(r7.max()) == 3
    assert torch.bincount(r7.flatten()).tolist() == [24, 16, 8, 1]
    for k in (1, 3, 4, 5, 7):
        assert [grids.ring(k, c) for c in range(k * k)] == grids.rings(k).flatten().tolist()
    assert grids.ring(3, 4) == 1 and grids.ring(5, 12) == 2


def test_cell_origin_is_row_major():
    assert grids.cell_origin(3, 0, 16) == (0, 0)
    assert grids.cell_origin(3, 5, 16) == (16, 32)
    assert grids.cell_origin(5, 24, 32) == (128, 128)
    origins = {grids.cell_origin(4, c, 8) for c in range(16)}
    assert origins == {(y, x) for y in range(0, 32, 8) for x in range(0, 32, 8)}


def test_ring_cells_one_per_ring():
    assert grids.ring_cells(1) == [0]
    assert grids.ring_cells(3) == [0, 4]
    assert grids.ring_cells(5) == [0, 6, 12]
    assert grids.ring_cells(7) == [0, 8, 16, 24]
    assert grids.ring_cells(5, edge=True) == [10, 11, 12]
    for k in (2, 3, 4, 5, 6, 7):
        for edge in (False, True):
            cells = grids.ring_cells(k, edge=edge)
            assert [grids.ring(k, c) for c in cells] == list(range(int(grids.rings(k).max()) + 1))


def test_canvas_values():
    assert grids.canvas_value("black").tolist() == [0.0, 0.0, 0.0]
    assert grids.canvas_value("white").tolist() == [1.0, 1.0, 1.0]
    assert torch.allclose(grids.canvas_value("mean"), torch.tensor(data.mean_colour()))
    assert grids.canvas_value("mean").shape == (3,)


@pytest.mark.parametrize("call, match", [
    (lambda: grids.canvas_value("grey"), "unknown canvas colour 'grey'; choose one of black, white, mean"),
    (lambda: grids.rings(0), "k must be an integer >= 1"),
    (lambda: grids.ring(3, 9), r"cell 9 is outside a 3x3 grid; use a row-major integer index 0..8"),
    (lambda: grids.ring(3, -1), "outside a 3x3 grid"),
    (lambda: grids.ring(3, 1.0), "integer index"),
    (lambda: grids.cell_origin(2, 4, 16), "outside a 2x2 grid"),
    (lambda: grids.cell_origin(2, 1, 4), "size must be an integer >= 8"),
    (lambda: grids.ring_cells(0), "k must be an integer >= 1"),
    (lambda: grids.place(torch.zeros(2, 3, 8, 8), torch.tensor([0, 9]), 3), r"indices 0..8 of a 3x3 grid"),
    (lambda: grids.place(torch.zeros(2, 3, 8, 8), torch.tensor([0]), 3), "one cell per image"),
    (lambda: grids.place(torch.zeros(2, 2, 3, 8, 8), torch.tensor([0, 1]), 3), "one cell per image"),
    (lambda: grids.place(torch.zeros(2, 3, 8, 8), torch.tensor([0.0, 1.0]), 3), "integer cell indices"),
    (lambda: grids.place(torch.zeros(2, 3, 8, 6), torch.tensor([0, 1]), 3), "square RGB"),
    (lambda: grids.place(torch.zeros(2, 1, 8, 8), torch.tensor([0, 1]), 3), "square RGB"),
    (lambda: grids.place(torch.zeros(2, 3, 8, 8), torch.tensor([0, 1]), 3, "noise"), "unknown canvas colour"),
    (lambda: grids.fill(torch.zeros(2, 4, 3, 8, 8), 3), r"k\*k=9"),
    (lambda: grids.mask_for(torch.tensor([10]), 3, 0, 8), "patch classes 0..9"),
    (lambda: grids.mask_for(torch.tensor([1]), 3, 9, 8), "outside a 3x3 grid"),
    (lambda: grids.where_task(9, 0, 16), "k must be an integer >= 1"),
    (lambda: grids.where_task(9, 3, 16, canvas="noise"), "unknown canvas colour"),
    (lambda: grids.where_task(0, 3, 16), "n must be an integer >= 1"),
    (lambda: grids.what_where_task(9, 3, 9, 16), "outside a 3x3 grid"),
    (lambda: grids.what_where_task(0, 3, 4, 16), "n must be an integer >= 1"),
    (lambda: grids.segmentation_task(4, 3, 4, 16, split="val"), "'train' or 'test'"),
])
def test_bad_input_errors_say_what_to_do(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# -------------------------------------------------------------------------------------- place and fill

@pytest.mark.parametrize("canvas", grids.CANVASES)
def test_place_puts_each_patch_in_its_cell_and_canvas_elsewhere(canvas):
    k, s = 3, 8
    imgs = torch.rand(6, 3, s, s, generator=torch.Generator().manual_seed(0))
    cells = torch.tensor([0, 4, 8, 2, 4, 7])
    out = grids.place(imgs, cells, k, canvas)
    assert out.shape == (6, 3, k * s, k * s)
    value = grids.canvas_value(canvas).view(3, 1, 1)
    for i, c in enumerate(cells.tolist()):
        y0, x0 = grids.cell_origin(k, c, s)
        assert torch.equal(out[i, :, y0: y0 + s, x0: x0 + s], imgs[i])
        rest = torch.ones(k * s, k * s, dtype=torch.bool)
        rest[y0: y0 + s, x0: x0 + s] = False
        assert torch.equal(out[i][:, rest], value.view(3, 1).expand(3, int(rest.sum())))


def test_place_in_another_cell_is_a_circular_shift_by_whole_cells():
    k, s = 3, 8
    img = torch.rand(1, 3, s, s, generator=torch.Generator().manual_seed(1)).expand(k * k, -1, -1, -1)
    out = grids.place(img, torch.arange(k * k), k, "mean")
    for c in range(k * k):
        assert torch.equal(out[c], out[0].roll(grids.cell_origin(k, c, s), dims=(1, 2)))


def test_fill_puts_cell_j_in_row_major_place():
    k, s = 3, 8
    imgs = torch.rand(2, k * k, 3, s, s, generator=torch.Generator().manual_seed(2))
    out = grids.fill(imgs, k)
    assert out.shape == (2, 3, k * s, k * s)
    for c in range(k * k):
        y0, x0 = grids.cell_origin(k, c, s)
        assert torch.equal(out[:, :, y0: y0 + s, x0: x0 + s], imgs[:, c])


def test_mask_for_marks_only_the_target_square_with_class_plus_one():
    labels = torch.tensor([0, 3, 9])
    m = grids.mask_for(labels, 3, 5, 8)
    assert m.shape == (3, 24, 24) and m.dtype == torch.int64
    assert torch.equal(m[:, 8:16, 16:24], (labels + 1).view(-1, 1, 1).expand(-1, 8, 8))
    assert int(m.ne(0).sum()) == 3 * 64


# --------------------------------------------------------------------------------------------- tasks

def test_where_task_labels_match_what_was_pasted():
    k, s, n = 3, 16, 90
    t = grids.where_task(n, k, s, seed=0, canvas="white")
    x, cls = glyphs.patches(n, s, seed=0)
    assert t.images.shape == (n, 3, k * s, k * s)
    assert torch.equal(t.cls, cls) and t.labels is t.cell
    assert torch.bincount(t.cell, minlength=k * k).tolist() == [10] * 9
    assert torch.equal(t.images, grids.place(x, t.cell, k, "white"))
    assert torch.equal(t.ring, grids.rings(k).flatten()[t.cell])
    assert (t.k, t.size, t.canvas, t.split) == (3, 16, "white", "train")


def test_where_task_cells_are_independent_of_classes_and_deterministic():
    t = grids.where_task(360, 3, 8, seed=5)
    table = torch.zeros(9, 10, dtype=torch.long).index_put_((t.cell, t.cls), torch.ones(360, dtype=torch.long),
                                                           accumulate=True)
    assert int((table > 0).sum(1).min()) >= 8  # every cell sees (nearly) every class
    u = grids.where_task(360, 3, 8, seed=5)
    assert torch.equal(t.images, u.images) and torch.equal(t.cell, u.cell)
    assert not torch.equal(t.cell, grids.where_task(360, 3, 8, seed=6).cell)


def test_what_where_task_labels_balanced_and_shared_canvases():
    k, s, n = 3, 8, 40
    a = grids.what_where_task(n, k, target=4, size=s, seed=0)
    assert a.images.shape == (n, 3, k * s, k * s) and a.classes.shape == (n, k * k)
    assert torch.equal(a.label, a.classes[:, 4]) and a.labels is a.label
    for j in range(k * k):  # every cell's class is balanced over the canvases
        assert torch.bincount(a.classes[:, j], minlength=10).tolist() == [4] * 10
    assert a.ring == 1 and a.mask is None
    b = grids.what_where_task(n, k, target=0, size=s, seed=0)
    assert torch.equal(a.images, b.images) and torch.equal(b.label, a.classes[:, 0])
    c = grids.what_where_task(n, k, target=4, size=s, seed=1)
    assert not torch.equal(a.images, c.images)
    # every cell holds a patch, not a canvas colour
    cells = a.images.view(n, 3, k, s, k, s).permute(0, 2, 4, 1, 3, 5).reshape(n, k * k, -1)
    assert bool((cells.std(-1) > 0.02).all())


def test_segmentation_task_shares_what_where_canvases_and_masks_the_target():
    k, s, n, target = 3, 8, 20, 7
    ww = grids.what_where_task(n, k, target, s, seed=2, split="test")
    seg = grids.segmentation_task(n, k, target, s, seed=2, split="test")
    assert torch.equal(seg.images, ww.images) and torch.equal(seg.label, ww.label)
    assert seg.mask.shape == (n, k * s, k * s) and seg.mask.dtype == torch.int64
    y0, x0 = grids.cell_origin(k, target, s)
    assert torch.equal(seg.mask[:, y0: y0 + s, x0: x0 + s], (seg.label + 1).view(-1, 1, 1).expand(-1, s, s))
    outside = seg.mask.clone()
    outside[:, y0: y0 + s, x0: x0 + s] = 0
    assert int(outside.abs().sum()) == 0
    assert int(seg.mask.max()) <= 10
    assert torch.equal(seg.mask, grids.mask_for(seg.label, k, target, s))


# ------------------------------------------------------------------------------ circular invariance

def _tiny_gap_net(padding_mode: str) -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, stride=2, padding=1, padding_mode=padding_mode), torch.nn.ReLU(),
        torch.nn.Conv2d(8, 8, 3, stride=2, padding=1, padding_mode=padding_mode), torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),
    )


def test_circular_padding_and_gap_cannot_tell_the_cell_but_zero_padding_can():
    k, s = 3, 16  # total stride 4 divides the cell size, so moving a cell is a shift of whole feature pixels
    x, _ = glyphs.patches(1, s, seed=0)
    canvases = grids.place(x.expand(k * k, -1, -1, -1), torch.arange(k * k), k, "black")
    with torch.no_grad():
        circ = _tiny_gap_net("circular")(canvases)
        zero = _tiny_gap_net("zeros")(canvases)
    assert torch.allclose(circ, circ[:1].expand_as(circ), atol=1e-5)
    assert float((zero - zero[:1]).abs().max()) > 1e-3
