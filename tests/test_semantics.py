"""Unit tests for Chapter 4's scenes and scene classifiers (poslib.scenes, poslib.semantics)."""

import numpy as np
import pytest
import torch

from poslib import config, infer, metrics, models, scene_classifiers, scenes, semantics

TINY = scene_classifiers.SceneSizes(modes=("zeros", "circular"), train=40, epochs=1, batch=20)
TINY_PROBES = semantics.ProbeSizes(test_objects=12, probe_objects=6, shots=1, draws=1, pairs=20, bootstrap=5)


@pytest.fixture
def scene_profile(monkeypatch, tiny_profile):
    """The tiny profile, with scene sizes that train a network in a second and measure it in another."""
    monkeypatch.setitem(scene_classifiers.SIZES, tiny_profile.name, TINY)
    monkeypatch.setitem(semantics.SIZES, tiny_profile.name, TINY_PROBES)
    return tiny_profile


def test_layout_places_and_rings():
    lay = scenes.Layout(48, 16, 8)
    assert lay.side == 5 and lay.n_places == 25
    assert lay.origins()[[0, 4, 24]].tolist() == [[0, 0], [0, 32], [32, 32]]
    rings = lay.rings().view(5, 5)
    assert rings[0].tolist() == [0] * 5 and rings[2, 2] == 2 and rings[1, 1:4].tolist() == [1, 1, 1]


@pytest.mark.parametrize("kwargs, message", [
    ({"canvas": 50}, "whole steps"), ({"obj": 4}, "size"), ({"step": 0}, "positive"), ({"canvas": 8}, "fit"),
    ({"step": 2.5}, "positive integer")])
def test_layout_rejects_what_does_not_fit(kwargs, message):
    with pytest.raises(ValueError, match=message):
        scenes.Layout(**kwargs)


def test_every_place_shows_each_object_everywhere_on_one_canvas():
    lay = scenes.Layout()
    s = scenes.every_place(3, 0, "test", lay)
    assert s.images.shape == (75, 3, 48, 48) and s.place.tolist() == list(range(25)) * 3
    assert torch.equal(s.obj, torch.arange(3).repeat_interleave(25)) and len(set(s.labels[:25].tolist())) == 1
    a, b = s.images[0], s.images[24]  # object 0 at the top-left and at the bottom-right place
    assert torch.equal(a[:, :16, :16], b[:, 32:, 32:])
    assert torch.equal(a[:, 32:, 32:], s.images[1][:, 32:, 32:])  # the canvas stays where the object is not


def test_scenes_balance_places_and_classes():
    s = scenes.scenes(100, 1)
    assert s.images.shape == (100, 3, 48, 48)
    assert torch.bincount(s.place, minlength=25).tolist() == [4] * 25
    assert torch.bincount(s.labels, minlength=10).tolist() == [10] * 10
    assert s.images.min() >= 0 and s.images.max() <= 1


def test_paste_and_blank_canvas_check_shapes():
    lay = scenes.Layout()
    with pytest.raises(ValueError, match="canvases"):
        scenes.paste(torch.zeros(2, 3, 40, 40), torch.zeros(2, 3, 16, 16), torch.zeros(2), lay)
    with pytest.raises(ValueError, match="one place"):
        scenes.paste(torch.zeros(2, 3, 48, 48), torch.zeros(2, 3, 16, 16), torch.tensor([0, 25]), lay)
    s = scenes.blank_canvas(scenes.every_place(1, 0, "test", lay))
    assert torch.all(s.images[3][:, 16:, :] == 0) and not torch.all(s.images[3][:, :16, 24:40] == 0)


def test_latents_line_up_with_places(path_tol):
    torch.manual_seed(0)
    data = scenes.every_place(2, 0, "test")
    for mode in ("zeros", "valid"):
        net = models.VGGStyle(scene_classifiers.WIDTHS, (1,) * 4, mode, 10).eval()
        lat = semantics.latents(net, data)
        assert lat.pred.shape == (50,) and [v.shape[1] for v in lat.local] == list(scene_classifiers.WIDTHS)
        # the first image's first stage on the same numeric path; latents runs a larger batch, and under
        # bfloat16 the batch size may change a feature's rounding
        first = infer.batched(lambda x: net.stages(x)[0], data.images[:1])[0]
        atol = path_tol(1e-5, scale=first.abs().max())
        assert torch.allclose(lat.pooled[0][0], first.mean((1, 2)), atol=atol)
        if mode == "zeros":  # place 0 is the top-left 16 x 16 square of the full-size first stage
            assert torch.allclose(lat.local[0][0], first[:, :16, :16].mean((1, 2)), atol=atol)


def test_circular_network_answers_the_same_everywhere_on_a_blank_canvas():
    torch.manual_seed(0)
    data = scenes.blank_canvas(scenes.every_place(3, 0, "test"))
    same, spread = semantics.same_everywhere(models.VGGStyle(scene_classifiers.WIDTHS, (1,) * 4, "circular", 10).eval(), data)
    assert same == 1.0 and spread < 1e-4
    torch.manual_seed(0)
    _, spread = semantics.same_everywhere(models.VGGStyle(scene_classifiers.WIDTHS, (1,) * 4, "zeros", 10).eval(), data)
    assert spread > 1e-4


def test_ring_helpers():
    acc = np.zeros((5, 5))
    acc[1:4, 1:4] = 1.0
    assert metrics.ring_means(acc).tolist() == [0.0, 1.0, 1.0]
    assert semantics.inner_minus_frame(acc) == 1.0


def test_collect_trains_and_caches_then_reads_every_table(scene_profile, tmp_path, monkeypatch, restore_determinism):
    monkeypatch.setenv("POSLIB_CACHE", str(tmp_path))
    out = semantics.collect(seeds=(0,), profile=scene_profile)
    assert set(out["rings"]["mode"]) == {"zeros", "circular"}
    assert set(out["probes"]["stage"]) == {1, 2, 3, 4}
    assert list(out["blank"]["objects answered the same everywhere"]) == [1.0]
    assert out["places"]["zeros"].shape == (5, 5)
    assert {"class score", "place score", "class dims"} <= set(out["dimensions"].columns)
    assert list(out["networks"]["loaded from cache"]) == [False, False]
    again = scene_classifiers.network("zeros", 0, scene_profile)
    assert again.info["cached"]


def test_network_rejects_an_unknown_padding():
    with pytest.raises(ValueError, match="padding"):
        scene_classifiers.network("mirror", 0, config.Profile(name="smoke"))


def test_accuracy_by_place_counts_each_place():
    data = scenes.every_place(2, 0, "test")
    pred = data.labels.clone()
    pred[data.place == 0] = (pred[data.place == 0] + 1) % 10  # wrong at place 0 only
    pred[(data.place == 6) & (data.obj == 0)] += 1  # wrong for one of the two objects at place 6
    lat = semantics.Latents(pred % 10, [], [], data)
    acc = semantics.accuracy_by_place(lat)
    assert acc.shape == (5, 5) and acc[0, 0] == 0.0 and acc[1, 1] == 0.5 and acc.sum() == 23.5
