"""poslib.features: snapping feature maps that are constant up to rounding, and the share of such maps."""
from __future__ import annotations

import pytest
import torch

from poslib import features, metrics, models

SMALL = dict(widths=(4, 8), depth=(1, 1))


@pytest.fixture
def fp32(monkeypatch):
    monkeypatch.setenv("POSLIB_PRECISION", "fp32")


def _wiggled(n: int = 2, c: int = 3, side: int = 6) -> torch.Tensor:
    """Maps of 0.5, 1.0, 2.0, ... each with a relative wiggle of 1e-7 (rounding noise, not a signal)."""
    ramp = torch.linspace(0, 1, side * side).view(side, side)
    level = torch.tensor([0.5 * 2**i for i in range(c)]).view(1, c, 1, 1)
    return (level * (1 + 1e-7 * ramp)).expand(n, c, side, side).contiguous()


def test_flatten_constant_snaps_a_rounding_wiggle():
    feats = _wiggled()
    assert not all(bool((m == m.flatten()[0]).all()) for m in feats.flatten(0, 1))  # really wiggled
    means = feats.flatten(2).mean(2)
    out = features.flatten_constant(feats, metrics.FLOAT32_EPS)
    assert out is feats  # in place
    assert out.dtype == torch.float32
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            m = out[i, j]
            assert torch.equal(m, torch.full_like(m, float(m[0, 0]))), (i, j)
            assert float(m[0, 0]) == pytest.approx(float(means[i, j]), rel=1e-6)


def test_flatten_constant_leaves_varying_maps_alone():
    torch.manual_seed(0)
    varying = torch.rand(2, 3, 6, 6)
    varying[:, 1] = 0.5 + 0.01 * varying[:, 1]  # a 2% spread is a signal, not rounding
    before = varying.clone()
    features.flatten_constant(varying, metrics.FLOAT32_EPS)
    assert torch.equal(varying, before)


def test_flatten_constant_touches_only_the_flat_maps():
    torch.manual_seed(0)
    feats = torch.rand(1, 2, 6, 6)
    feats[0, 1] = _wiggled(1, 1)[0, 0]
    signal = feats[0, 0].clone()
    features.flatten_constant(feats, metrics.FLOAT32_EPS)
    assert torch.equal(feats[0, 0], signal)
    assert torch.unique(feats[0, 1]).numel() == 1


def test_flatness_is_judged_at_the_stage_s_scale():
    """A small map beside large ones carries the rounding of the large sums it came from: a wiggle of a few
    units of the stage's largest value is rounding, even where it is large for the small map itself."""
    feats = torch.full((1, 2, 6, 6), 100.0)
    feats[0, 1] = 0.001 + 4 * metrics.FLOAT32_EPS * 100.0 * torch.rand(6, 6, generator=torch.Generator().manual_seed(0))
    features.flatten_constant(feats, metrics.FLOAT32_EPS)
    assert torch.unique(feats[0, 1]).numel() == 1
    real = torch.full((1, 2, 6, 6), 100.0)
    real[0, 1] = torch.linspace(0, 0.01, 36).view(6, 6)  # 1e-4 of the stage's scale: a signal, kept
    before = real.clone()
    features.flatten_constant(real, metrics.FLOAT32_EPS)
    assert torch.equal(real, before)


def test_flatten_constant_keeps_all_zero_maps_zero():
    feats = torch.zeros(1, 2, 4, 4)
    assert torch.equal(features.flatten_constant(feats, metrics.FLOAT32_EPS), torch.zeros(1, 2, 4, 4))


def test_flat_share_of_an_unpadded_network_on_a_blank_image_is_one(fp32):
    torch.manual_seed(0)
    net = models.build("vgg", "valid", **SMALL).eval()
    assert features.flat_share(net, torch.ones(1, 3, 40, 40), 10) == 1.0


def test_flat_share_of_a_zero_padded_network_on_a_blank_image_is_small(fp32):
    torch.manual_seed(0)
    net = models.build("vgg", "zeros", **SMALL).eval()
    assert features.flat_share(net, torch.ones(1, 3, 40, 40), 10) < 0.5


def test_extract_snaps_what_flat_share_counts(fp32):
    torch.manual_seed(0)
    net = models.build("vgg", "valid", **SMALL).eval()
    feats = features.extract(net, torch.ones(2, 3, 40, 40), 10)
    assert feats.shape == (2, 12, 10, 10) and feats.dtype == torch.float32
    flat = feats.flatten(2)
    assert torch.equal(flat.amax(2), flat.amin(2))  # every map exactly constant
