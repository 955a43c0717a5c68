"""Chapter 6's machinery: the pooled networks' data and training wrapper, mirrored pairs, zeroing and scoring."""
from __future__ import annotations

import dataclasses

import pytest
import torch

from poslib import channel_attacks, channel_nets, channel_runs, config, dense, scenes, task_scenes


@pytest.fixture
def small(monkeypatch):
    """Small Chapter 6 budgets, so that a network trains in a second."""
    monkeypatch.setitem(channel_nets.SIZES, "smoke", channel_nets.ChannelSizes(
        train={"location": 36, "class": 36}, epochs={"location": 1, "class": 1}, test=18, augshift_epochs=1))
    return config.Profile(name="smoke")


def test_grid_data_is_balanced_and_labelled(small):
    data = channel_nets.grid_data(0, "test", profile=small)
    assert data.images.shape == (18, 3, 48, 48)
    assert torch.bincount(data.cell, minlength=9).tolist() == [2] * 9
    assert set(data.cls.tolist()) <= set(range(len(channel_nets.DIGITS)))
    assert torch.equal(channel_nets.labels_of(data, "location"), data.cell)
    with pytest.raises(ValueError, match="unknown task"):
        channel_nets.labels_of(data, "colour")


def test_framed_keeps_the_image_in_the_middle():
    x = torch.rand(2, 3, 48, 48)
    out = channel_nets.framed(x, 6)
    assert out.shape == (2, 3, 60, 60)
    assert torch.equal(out[..., 6:54, 6:54], x)
    assert torch.allclose(out[0, :, 0, 0], channel_nets.grids.canvas_value("mean"))


def test_augshift_returns_two_crops_and_its_loss_reduces_to_cross_entropy():
    torch.manual_seed(0)
    net = channel_nets.PermuteNet(channel_nets.body("zeros"), 4, None)
    wrapper = channel_nets.AugShift(net, 6, seed=0)
    y1, z1, y2, z2 = wrapper(torch.rand(5, 3, 60, 60))
    assert y1.shape == y2.shape == (5, 4) and z1.shape == z2.shape == (5, channel_nets.WIDTHS[-1])
    labels = torch.tensor([0, 1, 2, 3, 0])
    base = channel_nets.augshift_loss(0.0)((y1, z1, y2, z2), labels)
    expected = torch.nn.functional.cross_entropy(y1, labels) + torch.nn.functional.cross_entropy(y2, labels)
    assert torch.allclose(base, expected)
    assert channel_nets.augshift_loss(1.0)((y1, z1, z1 + 1, z2 + 1), labels) > 0


def test_trained_networks_are_cached(small, tmp_path, monkeypatch):
    monkeypatch.setenv("POSLIB_CACHE", str(tmp_path))
    first = channel_nets.gapnet("location", "zeros", 0, small)
    again = channel_nets.gapnet("location", "zeros", 0, small)
    assert not first.info["cached"] and again.info["cached"]
    tuned = channel_nets.augshift("zeros", 1.0, 0, small)
    assert tuned.info["spec"]["start"] == channel_nets.permutenet("class", None, 0, "zeros", small).info["key"]


def test_a_circular_gapnet_answers_the_same_in_every_cell():
    torch.manual_seed(0)
    patches = torch.rand(3, 3, 16, 16)
    circular = channel_nets.GAPNet(channel_nets.body("circular"), 9, "circular").eval()
    zeros = channel_nets.GAPNet(channel_nets.body("zeros"), 9, "zeros").eval()
    assert channel_runs.cell_spread(circular, patches, 3) < 1e-5
    assert channel_runs.cell_spread(zeros, patches, 3) > 1e-3


def test_mirror_place_is_an_involution_along_each_axis():
    layout = scenes.Layout()
    places = torch.arange(layout.n_places)
    for axis in channel_attacks.AXES:
        mirrored = channel_attacks.mirror_place(places, layout, axis)
        assert torch.equal(channel_attacks.mirror_place(mirrored, layout, axis), places)
    assert int(channel_attacks.mirror_place(torch.tensor(0), layout, "horizontal")) == layout.side - 1
    assert int(channel_attacks.mirror_place(torch.tensor(0), layout, "vertical")) == layout.side * (layout.side - 1)


def test_mirrored_pairs_differ_only_where_the_object_moved():
    backgrounds = torch.rand(4, 3, 48, 48)
    a, b = channel_attacks.mirrored_objects(backgrounds, 0, "horizontal")
    changed = (a != backgrounds).any(1) | (b != backgrounds).any(1)
    assert changed.any() and (a[~changed.unsqueeze(1).expand_as(a)] == backgrounds[~changed.unsqueeze(1).expand_as(a)]).all()
    assert bool(changed[:, :, :24].any()) and bool(changed[:, :, 24:].any())
    with pytest.raises(ValueError, match="unknown axis"):
        channel_attacks.mirrored_objects(backgrounds, 0, "diagonal")


def _layouts(n: int = 6) -> task_scenes.Layouts:
    return task_scenes.layout(n, 0, "test")


def test_zeroing_and_halves_score_a_perfect_answer_as_one():
    test = _layouts()
    net = dense.build("zeros", len(task_scenes.LAYOUT_CLASSES), True).eval()
    onehot = torch.nn.functional.one_hot(test.labels, 4).permute(0, 3, 1, 2).float()
    perfect = dense.to_grid(onehot, 12) * 10
    assert channel_attacks.dense_miou(perfect, test.labels) == pytest.approx(1.0, abs=0.05)
    drops = channel_attacks.zeroing_drops(net, test, torch.arange(32), (4,), 3, seed=0)
    assert set(drops["which"]) == {"ranked", "random"} and len(drops) == 4
    out = channel_attacks.attack(net, test, torch.arange(32), 4, "vertical")
    assert out["first half"] == "top" and out["second half"] == "bottom"


def test_zeroing_through_a_hook_matches_the_tables_and_restores_the_network():
    torch.manual_seed(0)
    net = dense.build("zeros", 4, True).eval()
    # one computation on the numeric path: the shortcut runs its head on the path too, so the two agree to rounding
    assert channel_attacks.hook_matches(net, torch.rand(4, 3, 48, 48), [0, 5, 9]) < 1e-6


def test_run_sizes_name_known_arms():
    for s in channel_runs.SIZES.values():
        assert set(s.ranked_arms) >= set(s.attacked_arms)
        assert dataclasses.is_dataclass(s) and s.draws >= 20 and s.weights[0] == 0.0
