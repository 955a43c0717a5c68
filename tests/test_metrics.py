"""poslib.metrics: Spearman correlation (SPC) and mean absolute error (MAE) between position maps."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import stats

from poslib import metrics, targets


@pytest.fixture
def target():
    return targets.make("G", 12)


def test_spc_perfect_prediction_is_one(target):
    assert metrics.spc(target, target) == pytest.approx(1.0)


def test_spc_reversed_prediction_is_minus_one(target):
    assert metrics.spc(1 - target, target) == pytest.approx(-1.0)


def test_spearman_is_not_pearson():
    t = targets.make("H", (4, 16)).double()
    pred = t**5
    assert metrics.spc(pred, t) == pytest.approx(1.0, abs=1e-12)
    pearson = np.corrcoef(pred.numpy().ravel(), t.numpy().ravel())[0, 1]
    assert pearson < 0.99


def test_constant_prediction_scores_zero_not_nan(target):
    pred = torch.full_like(target, 0.5)
    s = metrics.spc(pred, target)
    assert s == 0.0 and not np.isnan(s)
    assert metrics.spc_per_image(pred, target).tolist() == [0.0]


def test_constant_target_scores_zero():
    pred = targets.make("H", 8)
    assert metrics.spc(pred, torch.zeros(8, 8)) == 0.0


def test_batch_is_averaged_per_image():
    rng = np.random.default_rng(0)
    t = targets.make("HS", 10).numpy()
    preds = t[None] + rng.normal(0, 0.5, size=(5, 10, 10))
    expected = [stats.spearmanr(p.ravel(), t.ravel())[0] for p in preds]
    per = metrics.spc_per_image(preds, t)
    assert per.shape == (5,)
    np.testing.assert_allclose(per, expected, atol=1e-12)
    assert metrics.spc(preds, t) == pytest.approx(np.mean(expected))
    # differs from pooling all pixels of all images into one ranking
    pooled = stats.spearmanr(preds.ravel(), np.broadcast_to(t, preds.shape).ravel())[0]
    assert metrics.spc(preds, t) != pytest.approx(pooled, abs=1e-9)


def test_batch_targets_paired_with_predictions():
    h, v = targets.make("H", 8), targets.make("V", 8)
    preds = torch.stack([h, v])
    tgts = torch.stack([h, 1 - v])
    np.testing.assert_allclose(metrics.spc_per_image(preds, tgts), [1.0, -1.0])
    np.testing.assert_allclose(metrics.mae_per_image(preds, tgts), [0.0, float((2 * v - 1).abs().mean())],
                               atol=1e-7)


def test_single_target_broadcast_to_predictions(target):
    preds = torch.stack([target, 1 - target, torch.zeros_like(target)])
    np.testing.assert_allclose(metrics.spc_per_image(preds, target), [1.0, -1.0, 0.0])
    assert metrics.spc(preds, target) == pytest.approx(0.0)


def test_mae_values():
    t = torch.zeros(2, 4, 4)
    p = torch.stack([torch.full((4, 4), 0.25), torch.ones(4, 4)])
    np.testing.assert_allclose(metrics.mae_per_image(p, t), [0.25, 1.0])
    assert metrics.mae(p, t) == pytest.approx(0.625)
    assert metrics.mae(t[0], t[0]) == 0.0
    m = targets.make("H", 8)
    assert metrics.mae(1 - m, m) == pytest.approx(float((1 - 2 * m).abs().mean()))


@pytest.mark.parametrize("fn", [metrics.spc, metrics.mae, metrics.spc_per_image, metrics.mae_per_image])
def test_shape_mismatch_is_explained(fn):
    with pytest.raises(ValueError, match=r"8x8 but the target is 10x10.*resize"):
        fn(torch.zeros(8, 8), torch.zeros(10, 10))


@pytest.mark.parametrize("fn", [metrics.spc, metrics.mae])
def test_count_mismatch_is_explained(fn):
    with pytest.raises(ValueError, match="3 predictions but 2 targets"):
        fn(torch.zeros(3, 6, 6), torch.zeros(2, 6, 6))


@pytest.mark.parametrize("fn", [metrics.spc, metrics.mae])
@pytest.mark.parametrize("pshape, tshape", [((6,), (6, 6)), ((1, 1, 6, 6), (6, 6)), ((6, 6), (36,))])
def test_wrong_ndim_is_explained(fn, pshape, tshape):
    with pytest.raises(ValueError, match=r"\(H, W\) or \(N, H, W\)"):
        fn(np.zeros(pshape), np.zeros(tshape))


@pytest.mark.parametrize("kind", ["torch", "numpy", "mixed", "grad", "float64"])
def test_torch_and_numpy_inputs_agree(kind):
    t = targets.make("V", 9)
    p = t**2 + 0.1 * targets.make("H", 9)
    expected_spc, expected_mae = metrics.spc(p, t), metrics.mae(p, t)
    if kind == "numpy":
        p, t = p.numpy(), t.numpy()
    elif kind == "mixed":
        p = p.numpy()
    elif kind == "grad":
        p = p.clone().requires_grad_(True)
    elif kind == "float64":
        p, t = p.double(), t.double()
    s, m = metrics.spc(p, t), metrics.mae(p, t)
    assert isinstance(s, float) and isinstance(m, float)
    assert 0.9 < s < 1.0
    assert s == pytest.approx(expected_spc)
    assert m == pytest.approx(expected_mae)


def test_numerically_constant_prediction_counts_as_zero():
    # float rounding noise in a flat map must not be ranked into a spurious correlation
    target = np.tile(np.linspace(0, 1, 16), (16, 1))
    pred = 0.5 + 1e-8 * target  # a perfectly correlated, but numerically flat, map
    assert metrics.spc(pred, target) == 0.0
    assert metrics.spc(0.5 + 1e-3 * target, target) == pytest.approx(1.0)


def test_foreground_iou_ignores_the_class():
    mask = torch.zeros(2, 4, 4, dtype=torch.long)
    mask[:, :2, :2] = 3
    pred = torch.zeros_like(mask)
    pred[:, :2, :2] = 5  # right place, wrong class
    assert metrics.foreground_iou(pred, mask) == 1.0
    pred[:, :2, 2:] = 5  # twice the area: half of it right
    assert metrics.foreground_iou(pred, mask) == pytest.approx(0.5)
    assert np.isnan(metrics.foreground_iou(np.zeros((3, 3)), np.zeros((3, 3))))  # nothing anywhere: undefined
    with pytest.raises(ValueError, match="differ in shape"):
        metrics.foreground_iou(torch.zeros(2, 2), torch.zeros(3, 3))


# ----------------------------------------------------------------------------- flat maps


def test_flat_tolerance_scales_with_magnitude_and_eps():
    assert metrics.flat_tolerance(1.0) == metrics.FLAT_ULPS * metrics.FLOAT32_EPS
    assert metrics.flat_tolerance(0.0) == 0.0
    assert metrics.flat_tolerance(4.0) == 4 * metrics.flat_tolerance(1.0)
    bf16 = float(torch.finfo(torch.bfloat16).eps)
    assert metrics.flat_tolerance(1.0, bf16) == metrics.FLAT_ULPS * bf16
    assert metrics.FLOAT32_EPS == 2.0**-23


def test_all_zero_map_is_flat():
    assert metrics.is_flat(np.zeros((8, 8)))
    assert metrics.is_flat(torch.zeros(8, 8))
    assert metrics.is_flat(torch.full((8, 8), 0.5))


def test_rounding_wiggle_is_flat_in_fp32_but_a_real_signal_is_not():
    wiggle = np.tile(np.linspace(0, 1, 8), (8, 1))
    assert metrics.is_flat(0.5 + 1e-7 * wiggle)
    assert metrics.is_flat(torch.tensor(0.5 + 1e-7 * wiggle, dtype=torch.float32))
    assert not metrics.is_flat(0.5 + 0.005 * wiggle)  # 1% of 0.5
    assert not metrics.is_flat(wiggle)
    # the tolerance is relative: the same wiggle on a map a million times larger is flat
    assert metrics.is_flat(5e5 + 0.1 * wiggle)


def test_bf16_eps_tolerates_a_coarser_wiggle():
    bf16 = float(torch.finfo(torch.bfloat16).eps)
    wiggle = 0.5 + 0.5e-3 * np.tile(np.linspace(0, 1, 8), (8, 1))  # 1e-3 of 0.5
    assert not metrics.is_flat(wiggle)
    assert metrics.is_flat(wiggle, bf16)
    # bfloat16 keeps 8 bits: its tolerance is FLAT_ULPS units of 2**-7 of the map's magnitude
    assert metrics.flat_tolerance(1.0, bf16) == metrics.FLAT_ULPS * 2.0**-7
    assert not metrics.is_flat(0.5 + 0.25 * np.eye(8), bf16)


def test_spc_of_a_map_with_a_rounding_wiggle_is_zero():
    target = targets.make("H", 16)
    pred = torch.full((16, 16), 0.5) + 1e-7 * target  # perfectly correlated, but flat in float32
    assert metrics.spc(pred, target) == 0.0
    assert metrics.spc_per_image(torch.stack([pred, target]), target).tolist() == [0.0, pytest.approx(1.0)]


# ----------------------------------------------------------------------------- ring means


def test_ring_means_5x5():
    a = np.arange(25, dtype=float).reshape(5, 5)
    rings = metrics.ring_means(a)
    inner = [6, 7, 8, 11, 13, 16, 17, 18]
    outer = [v for v in range(25) if v not in inner and v != 12]
    np.testing.assert_allclose(rings, [np.mean(outer), np.mean(inner), 12.0])
    np.testing.assert_allclose(metrics.ring_means(torch.from_numpy(a)), rings)


def test_ring_means_3x3():
    a = np.ones((3, 3))
    a[1, 1] = 10.0
    np.testing.assert_allclose(metrics.ring_means(a), [1.0, 10.0])
    np.testing.assert_allclose(metrics.ring_means(np.full((1, 1), 3.0)), [3.0])
    np.testing.assert_allclose(metrics.ring_means(np.arange(4.0).reshape(2, 2)), [1.5])


@pytest.mark.parametrize("shape", [(2, 3), (4,), (2, 2, 2)])
def test_ring_means_needs_a_square(shape):
    with pytest.raises(ValueError, match="square"):
        metrics.ring_means(np.zeros(shape))


def test_cell_accuracy_and_rings():
    cells = torch.tensor([0, 0, 4, 4, 8])
    pred = torch.tensor([0, 1, 4, 4, 8])
    acc = metrics.cell_accuracy(pred, cells, 3)
    assert acc.shape == (3, 3) and acc[0, 0] == 0.5 and acc[1, 1] == 1.0 and acc[2, 2] == 1.0 and acc[0, 1] == 0
    per_cell = np.arange(25, dtype=float).reshape(5, 5)
    rings = metrics.ring_means(per_cell)
    assert rings.shape == (3,) and rings[2] == 12.0 and rings[1] == pytest.approx(np.mean([6, 7, 8, 11, 13, 16, 17, 18]))
    with pytest.raises(ValueError, match="square"):
        metrics.ring_means(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="one prediction"):
        metrics.cell_accuracy(torch.zeros(3), torch.zeros(4, dtype=torch.long), 3)


def test_miou():
    mask = torch.tensor([[0, 0], [1, 1]])
    assert metrics.miou(mask, mask) == 1.0
    pred = torch.tensor([[0, 1], [1, 1]])  # background IoU 1/2, class 1 IoU 2/3
    assert metrics.miou(pred, mask) == pytest.approx((0.5 + 2 / 3) / 2)
    with pytest.raises(ValueError, match="differ"):
        metrics.miou(torch.zeros(3), torch.zeros(4))


def test_miou_needs_no_class_count():
    mask = torch.tensor([0, 0, 3, 3])
    assert metrics.miou(torch.zeros(4, dtype=torch.long), mask) == pytest.approx(0.5 / 2)


def test_adaptive_threshold_is_twice_the_mean_capped_at_one():
    from poslib import metrics
    maps = np.array([[[1.0, 0.0], [0.5, 0.0]], [[0.9, 0.8], [0.7, 0.6]]])
    assert np.allclose(metrics.adaptive_threshold(maps), [0.75, 1.0])


def test_f_measure_by_hand():
    from poslib import metrics
    sal = np.array([[1.0, 0.0], [0.5, 0.0]])  # mean 0.375, threshold 0.75: only the top-left pixel is salient
    mask = np.array([[1, 1], [0, 0]])
    # precision 1, recall 0.5: 1.3 * 0.5 / (0.3 + 0.5) = 0.8125
    assert np.isclose(metrics.f_measure(sal, mask), 0.8125)
    assert metrics.f_measure(sal, np.array([[1, 0], [0, 0]])) == 1.0
    assert metrics.f_measure(sal, np.array([[0, 0], [0, 1]])) == 0.0  # nothing true found
    # a map whose mean exceeds 0.5 is thresholded at 1: only pixels at 1 count as salient
    assert np.isclose(metrics.f_measure(np.array([[1.0, 0.9], [0.9, 0.9]]), np.array([[1, 1], [1, 1]])),
                      1.3 * 0.25 / (0.3 + 0.25))


def test_f_measure_of_empty_masks_and_batches():
    from poslib import metrics
    empty = np.zeros((2, 2))
    # a constant map is salient everywhere (threshold 2 x mean = its value): wrong on an empty mask
    assert metrics.f_measure(np.zeros((2, 2)), empty) == 0.0
    # the threshold is capped at 1, so a map below 1 whose mean exceeds 0.5 calls nothing salient: right on an empty mask
    assert metrics.f_measure(np.full((2, 2), 0.8), empty) == 1.0
    batch = np.stack([np.array([[1.0, 0.0], [0.5, 0.0]]), np.full((2, 2), 0.8)])
    masks = np.stack([np.array([[1, 1], [0, 0]]), empty])
    assert np.allclose(metrics.f_measure_per_image(batch, masks), [0.8125, 1.0])
    assert np.isclose(metrics.f_measure(torch.tensor(batch), torch.tensor(masks)), (0.8125 + 1.0) / 2)


@pytest.mark.parametrize("sal, mask, message", [
    (np.full((2, 2), 1.5), np.zeros((2, 2)), "sigmoid"),
    (np.zeros((2, 2)), np.full((2, 2), 0.5), "binary"),
    (np.zeros((2, 2)), np.zeros((3, 3)), "same shape"),
    (np.zeros(4), np.zeros(4), "shape"),
])
def test_f_measure_rejects_bad_input(sal, mask, message):
    from poslib import metrics
    with pytest.raises(ValueError, match=message):
        metrics.f_measure(sal, mask)
