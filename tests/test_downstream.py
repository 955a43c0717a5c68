"""Unit tests for Chapter 5's scenes, networks and measurements (poslib.task_scenes, dense, task_nets,
downstream) and the training loop they share (train.fit)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from poslib import dense, downstream, metrics, scenes, task_nets, task_scenes, task_scores, train

LAYOUT = scenes.Layout()


# ------------------------------------------------------------------------------------------------ scenes

@pytest.mark.parametrize("rule", task_scenes.RULES)
def test_salient_scenes_mark_one_whole_object(rule):
    s = task_scenes.salient(40, 0, "test", rule)
    assert s.images.shape == (40, 3, 48, 48) and s.masks.shape == (40, 1, 48, 48)
    assert (s.masks.sum((1, 2, 3)) == LAYOUT.obj ** 2).all()  # exactly one object square
    origins = LAYOUT.origins()[s.places[torch.arange(40), s.salient]]
    for i, (y, x) in enumerate(origins.tolist()):
        assert s.masks[i, 0, y: y + 16, x: x + 16].min() == 1
    # objects never overlap: every pair of places is at least two lattice steps apart in rows or columns
    rc = torch.stack([s.places // LAYOUT.side, s.places % LAYOUT.side], -1)
    for a in range(task_scenes.OBJECTS):
        for b in range(a + 1, task_scenes.OBJECTS):
            assert ((rc[:, a] - rc[:, b]).abs().amax(-1) >= 2).all()


def test_centre_rule_marks_the_strictly_nearest_object():
    s = task_scenes.salient(60, 1, "train", "centre")
    rc = torch.stack([s.places // LAYOUT.side, s.places % LAYOUT.side], -1).float()
    d = ((rc - (LAYOUT.side - 1) / 2) ** 2).sum(-1)
    nearest = d[torch.arange(60), s.salient]
    others = d.masked_fill(torch.nn.functional.one_hot(s.salient, task_scenes.OBJECTS).bool(), float("inf"))
    assert (nearest < others.amin(1)).all()


def test_cue_rule_frames_the_salient_object_only():
    s = task_scenes.salient(30, 2, "test", "cue")
    colour = torch.tensor(task_scenes.CUE_COLOUR)
    for i in range(30):
        for k in range(task_scenes.OBJECTS):
            y, x = LAYOUT.origins()[s.places[i, k]].tolist()
            corner = s.images[i, :, y, x]
            assert torch.allclose(corner, colour) == (k == int(s.salient[i]))
    assert len(set(s.salient.tolist())) == task_scenes.OBJECTS  # the framed one is any of the three


def test_salient_scenes_are_seeded_and_split():
    a, b = task_scenes.salient(5, 3, "train"), task_scenes.salient(5, 3, "train")
    assert torch.equal(a.images, b.images) and torch.equal(a.masks, b.masks)
    assert not torch.equal(a.images, task_scenes.salient(5, 3, "test").images)
    with pytest.raises(ValueError, match="rule"):
        task_scenes.salient(5, 0, "train", "middle")


def test_layout_labels_bands_objects_and_middle():
    s = task_scenes.layout(20, 0, "test")
    assert s.labels.shape == (20, 48, 48) and set(s.labels.unique().tolist()) <= {0, 1, 2, 3}
    lo, hi = round(task_scenes.BAND[0] * 48), round(task_scenes.BAND[1] * 48)
    assert ((s.bands >= lo) & (s.bands <= hi)).all()
    for i in range(20):
        top, bottom = int(s.bands[i, 0]), int(s.bands[i, 1])
        rows = s.labels[i]
        # away from objects, a row is all top band, all bottom band or all middle
        assert ((rows[:top] == 1) | (rows[:top] == 3)).all()
        assert ((rows[48 - bottom:] == 2) | (rows[48 - bottom:] == 3)).all()
        assert ((rows[top: 48 - bottom] == 0) | (rows[top: 48 - bottom] == 3)).all()
        assert (rows == 3).sum() >= 16 * 16  # at least one whole object


@pytest.mark.parametrize("own, share", [(0.9, 0.9), (0.5, 0.5), (0.1, 0.1)])
def test_sided_scenes_tie_class_to_side(own, share):
    s = task_scenes.sided(2000, 0, own, "test")
    left, right = task_scenes.sides()
    on_left = torch.isin(s.place, left)
    assert (on_left | torch.isin(s.place, right)).all()  # never in the middle column
    own_side = on_left == torch.isin(s.labels, torch.tensor(task_scenes.LEFT_CLASSES))
    assert abs(float(own_side.float().mean()) - share) < 0.03
    assert torch.bincount(s.labels).tolist() == [500] * len(task_scenes.SIDED_DIGITS)
    with pytest.raises(ValueError, match="probability"):
        task_scenes.sided(4, 0, 1.5)


def test_side_prior_is_the_class_share_on_each_side():
    prior = task_scenes.side_prior(0.9)
    left, right = task_scenes.sides()
    assert torch.allclose(prior.sum(1), torch.ones(LAYOUT.n_places))
    assert torch.allclose(prior[left[0]], torch.tensor([0.45, 0.45, 0.05, 0.05]))
    assert torch.allclose(prior[right[0]], torch.tensor([0.05, 0.05, 0.45, 0.45]))
    s = task_scenes.sided(4000, 1, 0.9)
    on_left = torch.isin(s.place, left)
    empirical = torch.bincount(s.labels[on_left], minlength=4).float() / on_left.sum()
    assert torch.allclose(empirical, prior[left[0]], atol=0.03)


# ---------------------------------------------------------------------------------------------- networks

def test_window_of_each_arm():
    assert dense.window(dense.build("zeros", 1, True), 48) == (0, 48)
    assert dense.window(dense.build("circular", 1, True), 48) == (0, 48)
    assert dense.window(dense.build("valid", 1, True), 48) == (14, 20)
    assert dense.window(dense.build(dense.COORD, 1, True), 48) == (14, 20)
    with pytest.raises(ValueError, match="too small"):
        dense.window(dense.build("valid", 1, True), 24)


def test_net_outputs_and_input_checks():
    x = torch.rand(2, 3, 48, 48)
    assert dense.build("zeros", 4, True)(x).shape == (2, 4, 12, 12)
    assert dense.build("valid", 1, True)(x).shape == (2, 1, 5, 5)
    assert dense.build("zeros", 4, False)(x).shape == (2, 4)
    with pytest.raises(ValueError, match="RGB"):
        dense.build("zeros", 1, True)(torch.rand(2, 1, 48, 48))
    with pytest.raises(ValueError, match="padding mode"):
        dense.build("zero", 1, True)


def test_coordinates_span_minus_one_to_one():
    c = dense.coordinates(torch.zeros(2, 3, 5, 7))
    assert c.shape == (2, 2, 5, 7)
    assert c[0, 0, 0].tolist() == pytest.approx(np.linspace(-1, 1, 7).tolist(), abs=1e-6)
    assert c[0, 1, :, 0].tolist() == pytest.approx(np.linspace(-1, 1, 5).tolist(), abs=1e-6)
    net = dense.build(dense.COORD, 1, True)
    assert net.encoder.blocks[0][0].weight.shape[1] == 5  # RGB and the two coordinate channels


def test_to_grid_and_to_pixels_line_up():
    target = torch.zeros(1, 1, 48, 48)
    target[..., 12:16, 12:16] = 1.0  # block (3, 3) of a padded answer (12 x 12, from pixel 0)
    assert dense.to_grid(target, 12)[0, 0, 3, 3] == 1.0 and dense.to_grid(target, 12).sum() == 1.0
    target = torch.zeros(1, 1, 48, 48)
    target[..., 14:18, 14:18] = 1.0  # the first block of an unpadded answer (5 x 5, from pixel 14)
    grid = dense.to_grid(target, 5)
    assert grid.shape == (1, 1, 5, 5) and grid[0, 0, 0, 0] == 1.0 and grid.sum() == 1.0
    up = dense.to_pixels(torch.ones(1, 1, 5, 5), 48, "crop")
    assert torch.isnan(up[..., :14, :]).all() and torch.isnan(up[..., 34:, :]).all()
    assert (up[..., 14:34, 14:34] == 1).all()
    assert dense.to_pixels(torch.ones(1, 1, 5, 5), 48, "resize").shape == (1, 1, 48, 48)
    assert not torch.isnan(dense.to_pixels(torch.ones(1, 1, 12, 12), 48, "crop")).any()
    with pytest.raises(ValueError, match="crop"):
        dense.to_pixels(up, 48, "stretch")


def test_circular_saliency_net_rolls_with_its_input():
    torch.manual_seed(0)
    net = dense.build("circular", 1, True).eval()
    x = torch.rand(3, 3, 48, 48)
    assert task_scores.circular_spread(net, x) < 1e-5
    assert task_scores.circular_spread(dense.build("zeros", 1, True).eval(), x) > 1e-3


def test_fit_trains_with_extra_targets_and_matches_fit_classifier(path_tol):
    torch.manual_seed(0)
    x, y = torch.rand(32, 3, 16, 16), torch.randint(0, 2, (32,))

    def make():
        torch.manual_seed(1)
        return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 16 * 16, 2))

    a, b = make(), make()
    la = train.fit_classifier(a, x, y, 2, 8, 0.01, seed=3)
    lb = train.fit(b, x, [y], F.cross_entropy, 2, 8, 0.01, seed=3)
    assert la == lb
    prior = torch.log(torch.full((32, 2), 0.5))
    c = make()
    lc = train.fit(c, x, [y, prior], lambda out, t, p: F.cross_entropy(F.log_softmax(out, 1) + p, t), 2, 8, 0.01, 3)
    # a flat prior changes nothing but rounding: under bfloat16 the two losses' gradients may round to
    # neighbouring bfloat16 values, so the weights, and the losses, drift apart by less than a unit of its epsilon
    assert lc == pytest.approx(la, rel=path_tol(1e-6))


def test_arms_are_checked():
    with pytest.raises(ValueError, match="arm"):
        task_nets.saliency("centre", "reflect_coord")
    with pytest.raises(ValueError, match="arm"):
        task_nets.classifier("coordconv")


# ------------------------------------------------------------------------------------------- measurements

class Oracle(torch.nn.Module):
    """A 'network' that answers every stride-4 block with the mask's mean there (a dense answer)."""

    def __init__(self, masks, out):
        super().__init__()
        self.masks, self.out = masks, out
        self.weight = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return torch.logit(dense.to_grid(self.masks[: len(x)], self.out).clamp(1e-4, 1 - 1e-4)) + 0 * self.weight


def test_saliency_scores_have_every_scoring_and_ring():
    s = task_scenes.salient(12, 0, "test", "centre")
    padded = task_scores.saliency_scores(Oracle(s.masks, 12), s)
    assert set(padded["scoring"]) == {"whole image", "window"}
    assert set(padded["ring"]) == {-1} | set(s.ring.tolist())
    whole = padded[(padded["scoring"] == "whole image") & (padded["ring"] == -1)]
    assert float(whole["F-measure"].iloc[0]) > 0.9 and float(whole["MAE"].iloc[0]) < 0.05
    unpadded = task_scores.saliency_scores(Oracle(s.masks, 5), s)
    assert set(unpadded["scoring"]) == {"window", "resized"}


def test_truth_scores_are_perfect():
    t = task_scores.truth_scores(task_scenes.salient(10, 0, "test"), task_scenes.layout(5, 0, "test"))
    assert t == {"F-measure": 1.0, "MAE": 0.0, "mIoU": 1.0}


def test_iou_per_class_by_hand():
    pred = torch.tensor([0, 1, 1, 2])
    truth = torch.tensor([0, 1, 2, 2])
    iou = metrics.iou_per_class(pred, truth, 4)
    assert iou[:3].tolist() == [1.0, 0.5, 0.5] and np.isnan(iou[3])
    with pytest.raises(ValueError, match="0..3"):
        metrics.iou_per_class(torch.tensor([4]), torch.tensor([0]), 4)
    with pytest.raises(ValueError, match="size"):
        metrics.iou_per_class(pred, truth[:3], 4)


class Constant(torch.nn.Module):
    def __init__(self, answer: int, classes: int = 4):
        super().__init__()
        self.answer, self.classes = answer, classes

    def forward(self, x):
        return F.one_hot(torch.full((len(x),), self.answer), self.classes).float()


def test_shortcut_scores_and_consistency_of_a_constant_classifier():
    tests = {name: task_scenes.sided(40, 0, own, "test") for name, own in downstream.TESTS.items()}
    acc = task_scores.shortcut_scores(Constant(0), tests)
    assert acc["aligned"] == pytest.approx(0.25) and acc["drop"] == pytest.approx(0.0)
    assert task_scores.shift_consistency(Constant(2), tests["independent"].images, 4) == 1.0


def test_crop_choice_counts_scenes_with_two_objects_inside():
    s = task_scenes.salient(200, 0, "test", "centre")
    out = task_scores.crop_choice(dense.build("circular", 1, True).eval(), s, 8)
    assert 0 < out["scenes"] < 200
    assert 0.0 <= out["choice changes"] <= 1.0 and 0.0 <= out["nearest-to-centre changes"] <= 1.0
