"""Unit tests for Chapter 3's border-task networks and runs (poslib.border_tasks, poslib.border_runs)."""

import numpy as np
import pytest
import torch

from poslib import border_runs, border_tasks, config, grids, padding


TINY = border_tasks.GridSizes(patch=16, pretrain=40, pretrain_epochs=1, train=dict.fromkeys(border_tasks.TASKS, 40),
                              epochs=dict.fromkeys(border_tasks.TASKS, 1), test=20, batch=16)


@pytest.fixture
def grid_profile(monkeypatch, tiny_profile):
    """The tiny profile, with border-task sizes that train a network in a second."""
    monkeypatch.setitem(border_tasks.SIZES, tiny_profile.name, TINY)
    return tiny_profile


@pytest.mark.parametrize("mode", padding.MODES)
@pytest.mark.parametrize("task, shape", [("where", (2, 9)), ("what_where", (2, 10)), ("segment", (2, 11, 48, 48))])
def test_gridnet_output_shapes(task, shape, mode):
    net = border_tasks.gridnet(task, mode, border_tasks.n_outputs(task, 3)).eval()
    assert net(torch.rand(2, 3, 48, 48)).shape == shape
    assert padding.modes_of(net) == {mode}


@pytest.mark.parametrize("task", border_tasks.TASKS)
def test_gridnet_has_its_tasks_widths(task):
    net = border_tasks.gridnet(task, "zeros", border_tasks.n_outputs(task, 3))
    body = net.body if task == "segment" else net
    assert tuple(body.widths) == border_tasks.WIDTHS[task]
    given = border_tasks.gridnet(task, "zeros", 9, (8, 8, 16, 16))
    assert tuple((given.body if task == "segment" else given).widths) == (8, 8, 16, 16)


def test_circular_gridnet_cannot_tell_cells_apart():
    """Moving a patch by whole cells on a uniform canvas is a circular shift by a multiple of the stride (8)."""
    torch.manual_seed(0)
    patch = torch.rand(1, 3, 16, 16)
    canvases = grids.place(patch.repeat(9, 1, 1, 1), torch.arange(9), 3, "black")
    for mode, same in (("circular", True), ("zeros", False), ("reflect", False)):
        torch.manual_seed(1)
        net = border_tasks.gridnet("where", mode, 9).eval()
        with torch.no_grad():
            out = net(canvases)
        assert torch.allclose(out, out[:1].expand_as(out), atol=1e-5) == same, mode


def test_dataset_shares_canvases_between_targets():
    a, ya, _ = border_tasks.dataset("what_where", 20, 3, 16, 0, "train", target=0)
    b, yb, t = border_tasks.dataset("what_where", 20, 3, 16, 0, "train", target=4)
    assert a is b and torch.equal(ya, t.classes[:, 0]) and torch.equal(yb, t.classes[:, 4])
    s, mask, _ = border_tasks.dataset("segment", 20, 3, 16, 0, "train", target=4)
    assert s is a and mask.shape == (20, 48, 48)
    assert torch.equal(mask[:, 16:32, 16:32], (yb + 1).view(-1, 1, 1).expand(-1, 16, 16))
    assert int(mask[:, :16].abs().sum()) == 0


def test_dataset_where_uses_its_canvas():
    x, y, t = border_tasks.dataset("where", 18, 3, 16, 0, "train", canvas="white")
    assert x.shape == (18, 3, 48, 48) and torch.equal(y, t.cell)
    for i in range(3):
        r, c = divmod(int(y[i]), 3)
        other = (r + 1) % 3
        assert torch.all(x[i, :, other * 16:(other + 1) * 16] == 1.0)


def test_bad_input():
    with pytest.raises(ValueError, match="unknown border task"):
        border_tasks.gridnet("count", "zeros", 3)
    with pytest.raises(ValueError, match="unknown padding"):
        border_tasks.gridnet("where", "mirror", 3)
    with pytest.raises(ValueError, match="target cell"):
        border_tasks.dataset("what_where", 10, 3, 16, 0, "train")
    with pytest.raises(ValueError):
        border_tasks.dataset("what_where", 10, 3, 16, 0, "train", target=9)
    with pytest.raises(ValueError, match="chance"):
        border_tasks.chance("segment", 3)


def test_chance_levels():
    assert border_tasks.chance("where", 3) == pytest.approx(1 / 9)
    assert border_tasks.chance("what_where", 5) == pytest.approx(0.1)


@pytest.mark.parametrize("task, target", [("where", None), ("what_where", 4), ("segment", 0)])
def test_run_trains_once_then_loads(monkeypatch, tmp_path, grid_profile, restore_determinism, task, target):
    monkeypatch.setenv("POSLIB_CACHE", str(tmp_path))
    first = border_tasks.run(task, "zeros", 3, seed=0, target=target, profile=grid_profile)
    assert first["info"]["cached"] is False and first["info"]["train_seconds"] > 0
    assert first["pred"].shape == first["labels"].shape
    again = border_tasks.run(task, "zeros", 3, seed=0, target=target, profile=grid_profile)
    assert again["info"]["cached"] is True and torch.equal(again["pred"], first["pred"])


def test_spec_ignores_canvas_where_none_is_shown(grid_profile):
    a = border_tasks.spec("what_where", "zeros", 3, 0, grid_profile, target=1, canvas="white")
    b = border_tasks.spec("what_where", "zeros", 3, 0, grid_profile, target=1, canvas="black")
    assert a == b
    c = border_tasks.spec("where", "zeros", 3, 0, grid_profile, canvas="white")
    assert c["canvas"] == "white" and c["size"] == 16 and border_tasks.sizes(config.get_profile("paper")).patch == 32


def test_runs_start_from_the_pretrained_body(monkeypatch, tmp_path, grid_profile, restore_determinism):
    monkeypatch.setenv("POSLIB_CACHE", str(tmp_path))
    body = border_tasks.pretrained_body(grid_profile, border_tasks.WIDTHS["where"])
    assert body.info["cached"] is False and 0 <= body.info["test_accuracy"] <= 1
    assert not any(p.requires_grad for p in body.parameters())
    assert border_tasks.pretrained_body(grid_profile, border_tasks.WIDTHS["where"]).info["cached"] is True
    run = border_tasks.run("where", "reflect", 3, seed=0, profile=grid_profile)
    assert run["info"]["spec"]["pretrained"]["images"] == TINY.pretrain
    # a task network is built from the body's convolutions, then trained: its first layer moved away from them
    assert run["net"].blocks[0][0].weight.shape == body.blocks[0][0].weight.shape


def _ring_weights(mode: str, seed: int = 0) -> np.ndarray:
    torch.manual_seed(seed)
    return border_tasks.ring_weights(border_tasks.gridnet("where", mode, 25), k=5, patch=16)


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
    net = border_tasks.gridnet("where", "valid", 25)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    w = border_tasks.ring_weights(net, k=5, patch=16)
    after = net.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # the network itself is untouched
    np.testing.assert_allclose(_ring_weights("valid", seed=1), w, rtol=1e-5)  # independent of the weights
    assert border_tasks.ring_weights(border_tasks.gridnet("where", "valid", 9), k=3, patch=16).shape == (2,)


def test_test_seed_is_a_stream_of_the_first_seed(monkeypatch):
    monkeypatch.delenv("POSLIB_SEEDS", raising=False)
    book = config.get_profile("book")
    assert border_tasks.test_seed(book) == config.stream(0, border_tasks.TEST_STREAM) == border_tasks.TEST_STREAM
    monkeypatch.setenv("POSLIB_SEEDS", "4,5")
    assert border_tasks.test_seed(config.get_profile("book")) == config.stream(4, border_tasks.TEST_STREAM)
    assert border_tasks.test_seed() == config.stream(4, border_tasks.TEST_STREAM)
    assert not hasattr(border_tasks, "TEST_SEED") and not hasattr(border_tasks, "miou")


def test_cache_key_covers_every_module_a_run_imports():
    deps = border_tasks.__name__.rsplit(".", 1)[-1]
    from poslib import cache
    assert {"border_tasks", "grids", "data", "models", "padding", "train", "metrics"} <= set(cache.dependencies(deps))


def test_plan_runs_every_mode_only_in_the_paper_profile():
    book, paper = config.get_profile("book"), config.get_profile("paper")
    assert border_runs.ALL_MODES == ("zeros", "reflect", "replicate", "circular", "partial", "valid", "full")
    assert border_runs.plan(book)["task 1, k=3, black canvas"] == border_runs.ALL_MODES
    assert border_runs.plan(book)["task 2, k=3"] == ("zeros", "circular")
    assert all(modes == border_runs.ALL_MODES for modes in border_runs.plan(paper).values())
    assert border_runs.what_where_sizes(book) == (3,) and border_runs.what_where_sizes(paper) == (3, 5, 7)


def test_target_cells_and_their_names():
    book = config.get_profile("book")
    assert border_runs.target_cells(3, "zeros", True, book) == [0, 4, 3]
    assert border_runs.target_cells(3, "zeros", False, book) == [0, 4]
    assert border_runs.target_cells(3, "circular", True, book) == [0]
    assert len(border_runs.target_cells(5, "circular", True, config.get_profile("paper"))) > 1
    assert [border_runs.cell_kind(3, c) for c in (0, 3, 4)] == ["corner", "mid-edge", "centre"]
    assert border_runs.cell_kind(5, 6) == "ring 1"


def test_placements_put_every_patch_in_every_cell(grid_profile):
    x, cells = border_runs.placements(3, n=2, profile=grid_profile)
    assert x.shape == (18, 3, 48, 48) and cells.tolist() == list(range(9)) * 2


def test_blind_ceiling_lies_between_chance_and_one(grid_profile):
    c = border_runs.blind_ceiling(3, grid_profile)
    assert 0.1 <= c <= 1.0


def test_scores_are_tidy_tables(monkeypatch, tmp_path, grid_profile, restore_determinism):
    monkeypatch.setenv("POSLIB_CACHE", str(tmp_path))
    rings, overall, cells = border_runs.where_scores(3, ("zeros",), (0,), profile=grid_profile)
    assert list(rings.ring) == [0, 1] and len(overall) == 1 and cells["zeros"].shape == (3, 3)
    assert overall.accuracy.iloc[0] == pytest.approx(float(np.mean(cells["zeros"])), abs=0.2)
    seg, examples, floor = border_runs.segmentation_scores(("circular",), (0,), profile=grid_profile)
    assert list(seg.columns) == ["mode", "target", "ring", "seed", "mIoU", "foreground IoU"]
    assert set(examples) == {("circular", 0)} and 0 < floor < 1


def test_every_profile_has_border_task_sizes():
    assert set(border_tasks.SIZES) == set(config.PROFILES)
    assert border_tasks.sizes(config.get_profile("smoke")) == border_tasks.sizes(config.get_profile("book"))
    assert all(set(g.train) == set(g.epochs) == set(border_tasks.TASKS) for g in border_tasks.SIZES.values())
    assert all(g.patch % 8 == 0 for g in border_tasks.SIZES.values())  # whole cells are whole strides
