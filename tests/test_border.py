"""Unit tests for Chapter 3's border-task networks and measurements (poslib.border)."""
import dataclasses

import numpy as np
import pytest
import torch

from poslib import border, config, grids, metrics, padding


@pytest.fixture
def grid_profile(tiny_profile):
    return dataclasses.replace(tiny_profile, grid_patch=16, grid_pretrain=40, grid_pretrain_epochs=1,
                               grid_train=dict.fromkeys(border.TASKS, 40), grid_test=20,
                               grid_epochs=dict.fromkeys(border.TASKS, 1),
                               grid_batch=16)


@pytest.mark.parametrize("mode", padding.MODES)
@pytest.mark.parametrize("task, shape", [("where", (2, 9)), ("what_where", (2, 10)), ("segment", (2, 11, 48, 48))])
def test_gridnet_output_shapes(task, shape, mode):
    net = border.gridnet(task, mode, border.n_outputs(task, 3)).eval()
    assert net(torch.rand(2, 3, 48, 48)).shape == shape
    assert padding.modes_of(net) == {mode}


def test_circular_gridnet_cannot_tell_cells_apart():
    """Moving a patch by whole cells on a uniform canvas is a circular shift by a multiple of the stride (8)."""
    torch.manual_seed(0)
    patch = torch.rand(1, 3, 16, 16)
    canvases = grids.place(patch.repeat(9, 1, 1, 1), torch.arange(9), 3, "black")
    for mode, same in (("circular", True), ("zeros", False), ("reflect", False)):
        torch.manual_seed(1)
        net = border.gridnet("where", mode, 9).eval()
        with torch.no_grad():
            out = net(canvases)
        assert torch.allclose(out, out[:1].expand_as(out), atol=1e-5) == same, mode


def test_dataset_shares_canvases_between_targets():
    a, ya, _ = border.dataset("what_where", 20, 3, 16, 0, "train", target=0)
    b, yb, t = border.dataset("what_where", 20, 3, 16, 0, "train", target=4)
    assert a is b and torch.equal(ya, t.classes[:, 0]) and torch.equal(yb, t.classes[:, 4])
    s, mask, _ = border.dataset("segment", 20, 3, 16, 0, "train", target=4)
    assert s is a and mask.shape == (20, 48, 48)
    assert torch.equal(mask[:, 16:32, 16:32], (yb + 1).view(-1, 1, 1).expand(-1, 16, 16))
    assert int(mask[:, :16].abs().sum()) == 0


def test_dataset_where_uses_its_canvas():
    x, y, t = border.dataset("where", 18, 3, 16, 0, "train", canvas="white")
    assert x.shape == (18, 3, 48, 48) and torch.equal(y, t.cell)
    for i in range(3):
        r, c = divmod(int(y[i]), 3)
        other = (r + 1) % 3
        assert torch.all(x[i, :, other * 16:(other + 1) * 16] == 1.0)


def test_bad_input():
    with pytest.raises(ValueError, match="unknown border task"):
        border.gridnet("count", "zeros", 3)
    with pytest.raises(ValueError, match="unknown padding"):
        border.gridnet("where", "mirror", 3)
    with pytest.raises(ValueError, match="target cell"):
        border.dataset("what_where", 10, 3, 16, 0, "train")
    with pytest.raises(ValueError):
        border.dataset("what_where", 10, 3, 16, 0, "train", target=9)
    with pytest.raises(ValueError, match="chance"):
        border.chance("segment", 3)


def test_chance_levels():
    assert border.chance("where", 3) == pytest.approx(1 / 9)
    assert border.chance("what_where", 5) == pytest.approx(0.1)


def test_cell_accuracy_and_rings():
    cells = torch.tensor([0, 0, 4, 4, 8])
    pred = torch.tensor([0, 1, 4, 4, 8])
    acc = border.cell_accuracy(pred, cells, 3)
    assert acc.shape == (3, 3) and acc[0, 0] == 0.5 and acc[1, 1] == 1.0 and acc[2, 2] == 1.0 and acc[0, 1] == 0
    per_cell = np.arange(25, dtype=float).reshape(5, 5)
    rings = metrics.ring_means(per_cell)
    assert rings.shape == (3,) and rings[2] == 12.0 and rings[1] == pytest.approx(np.mean([6, 7, 8, 11, 13, 16, 17, 18]))
    with pytest.raises(ValueError, match="square"):
        metrics.ring_means(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="one prediction"):
        border.cell_accuracy(torch.zeros(3), torch.zeros(4, dtype=torch.long), 3)


def test_miou():
    mask = torch.tensor([[0, 0], [1, 1]])
    assert border.miou(mask, mask) == 1.0
    pred = torch.tensor([[0, 1], [1, 1]])  # background IoU 1/2, class 1 IoU 2/3
    assert border.miou(pred, mask) == pytest.approx((0.5 + 2 / 3) / 2)
    with pytest.raises(ValueError, match="differ"):
        border.miou(torch.zeros(3), torch.zeros(4))


@pytest.mark.parametrize("task, target", [("where", None), ("what_where", 4), ("segment", 0)])
def test_run_trains_once_then_loads(monkeypatch, tmp_path, grid_profile, restore_determinism, task, target):
    monkeypatch.setenv("POSLIB_CACHE", str(tmp_path))
    first = border.run(task, "zeros", 3, seed=0, target=target, profile=grid_profile)
    assert first["info"]["cached"] is False and first["info"]["train_seconds"] > 0
    assert first["pred"].shape == first["labels"].shape
    again = border.run(task, "zeros", 3, seed=0, target=target, profile=grid_profile)
    assert again["info"]["cached"] is True and torch.equal(again["pred"], first["pred"])


def test_spec_ignores_canvas_where_none_is_shown(grid_profile):
    a = border.spec("what_where", "zeros", 3, 0, grid_profile, target=1, canvas="white")
    b = border.spec("what_where", "zeros", 3, 0, grid_profile, target=1, canvas="black")
    assert a == b
    c = border.spec("where", "zeros", 3, 0, grid_profile, canvas="white")
    assert c["canvas"] == "white" and c["size"] == 16 and config.get_profile("paper").grid_patch == 32


def test_runs_start_from_the_pretrained_body(monkeypatch, tmp_path, grid_profile, restore_determinism):
    monkeypatch.setenv("POSLIB_CACHE", str(tmp_path))
    body = border.pretrained_body(grid_profile)
    assert body["info"]["cached"] is False and 0 <= body["info"]["test_accuracy"] <= 1
    assert not any(k.startswith("head.") for k in body["state"])
    assert border.pretrained_body(grid_profile)["info"]["cached"] is True
    seg = border.gridnet("segment", "reflect", 11)
    border._load_body(seg, body["state"])
    assert torch.equal(seg.body.blocks[0][0].weight, body["state"]["blocks.0.0.weight"])


def _ring_weights(mode: str, seed: int = 0) -> np.ndarray:
    torch.manual_seed(seed)
    return border.ring_weights(border.gridnet("where", mode, 25), k=5, patch=16)


def test_valid_network_weighs_the_outer_ring_least():
    w = _ring_weights("valid")
    assert w.shape == (3,) and w.sum() == pytest.approx(1.0)
    assert (w > 0).all()
    assert w[0] < w[1] < w[2]  # outer ring < middle ring < centre


def test_zero_padding_gives_the_outer_ring_more_weight_than_valid():
    valid, zeros = _ring_weights("valid"), _ring_weights("zeros")
    assert zeros.sum() == pytest.approx(1.0)
    assert zeros[0] > valid[0]
    # a circular network sees every cell through the same windows
    np.testing.assert_allclose(_ring_weights("circular"), [1 / 3] * 3, atol=1e-5)


def test_ring_weights_count_windows_not_weights():
    net = border.gridnet("where", "valid", 25)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    w = border.ring_weights(net, k=5, patch=16)
    after = net.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # the network itself is untouched
    np.testing.assert_allclose(_ring_weights("valid", seed=1), w, rtol=1e-5)  # independent of the weights
    assert border.ring_weights(border.gridnet("where", "valid", 9), k=3, patch=16).shape == (2,)


def test_test_seed_is_a_stream_of_the_first_seed(monkeypatch):
    monkeypatch.delenv("POSLIB_SEEDS", raising=False)
    book = config.get_profile("book")
    assert border.test_seed(book) == config.stream(0, border.TEST_STREAM) == border.TEST_STREAM
    monkeypatch.setenv("POSLIB_SEEDS", "4,5")
    assert border.test_seed(config.get_profile("book")) == config.stream(4, border.TEST_STREAM)
    assert border.test_seed() == config.stream(4, border.TEST_STREAM)
    assert not hasattr(border, "TEST_SEED") and not hasattr(border, "by_ring")
