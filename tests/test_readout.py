"""poslib.readout, poslib.features and poslib.posenet: from frozen features to scored position maps."""
from __future__ import annotations

import pandas as pd
import pytest
import torch
import torch.nn.functional as F

from poslib import config, features, infer, metrics, models, posenet, readout, targets

# ----------------------------------------------------------------------------- readout


@pytest.mark.parametrize("n_maps, depth, kernel, padding, size, out", [
    (1, 1, 3, 0, 12, 10),
    (5, 1, 3, 0, 12, 10),
    (2, 2, 3, 0, 12, 8),
    (3, 3, 3, 0, 12, 6),
    (2, 2, 5, 0, 12, 4),
    (2, 2, 1, 0, 12, 12),
    (2, 3, 3, 1, 12, 12),
    (1, 2, 7, 3, 9, 9),
])
def test_readout_output_shapes(n_maps, depth, kernel, padding, size, out):
    torch.manual_seed(0)
    r = readout.Readout(4, n_maps, depth, kernel, padding, hidden=3).eval()
    with torch.no_grad():
        y = r(torch.rand(2, 4, size, size))
        assert y.shape == (2, n_maps, out, out)
        assert float(y.min()) >= 0 and float(y.max()) <= 1  # sigmoid
        assert r(torch.rand(2, 4, size, size), out_size=16).shape == (2, n_maps, 16, 16)


def test_readout_maps_are_independent():
    torch.manual_seed(0)
    hidden = 4
    r = readout.Readout(3, n_maps=2, depth=2, kernel=3, hidden=hidden).train()
    first, bn1, _, last, bn2, _ = r.net
    y = r(torch.rand(4, 3, 10, 10))
    assert y.shape == (4, 2, 6, 6)
    loss = F.mse_loss(y[:, 0], targets.make("H", 6).expand(4, 6, 6))
    loss.backward()
    map1 = slice(hidden, 2 * hidden)
    # everything that only feeds map 1 gets no gradient at all
    for grad in (first.weight.grad[map1], first.bias.grad[map1], bn1.weight.grad[map1], bn1.bias.grad[map1],
                 last.weight.grad[1], last.bias.grad[1], bn2.weight.grad[1], bn2.bias.grad[1]):
        assert torch.count_nonzero(grad) == 0
    # while map 0's parameters learn
    for grad in (first.weight.grad[:hidden], last.weight.grad[0], bn2.weight.grad[0]):
        assert torch.count_nonzero(grad) > 0
    assert last.groups == 2 and last.weight.shape[1] == hidden


def test_readout_deeper_layers_are_grouped():
    r = readout.Readout(5, n_maps=3, depth=3, kernel=3, hidden=2)
    convs = [m for m in r.net if isinstance(m, torch.nn.Conv2d)]
    assert [c.groups for c in convs] == [1, 3, 3]
    assert [c.out_channels for c in convs] == [6, 6, 3]


@pytest.mark.parametrize("kwargs", [dict(depth=0), dict(kernel=0), dict(padding=-1), dict(n_maps=0)])
def test_readout_bad_args(kwargs):
    with pytest.raises(ValueError, match="need depth >= 1, kernel >= 1, padding >= 0, n_maps >= 1"):
        readout.Readout(4, **kwargs)


@pytest.mark.parametrize("shape", [(2, 3, 10, 10), (4, 10, 10), (1, 1, 4, 10, 10)])
def test_readout_wrong_feature_shape(shape):
    r = readout.Readout(4)
    with pytest.raises(ValueError, match=r"\(N, 4, H, W\)"):
        r(torch.rand(*shape))


@pytest.fixture(scope="module")
def h_features():
    g = torch.Generator().manual_seed(0)
    h = targets.make("H", 20)
    feats = h.expand(32, 4, 20, 20) + 0.1 * torch.randn(32, 4, 20, 20, generator=g)
    return feats, h


def test_fit_learns_h_from_features_that_contain_it(h_features):
    feats, h = h_features
    model = readout.fit(feats, h[None], epochs=4, batch=8, seed=0)
    assert isinstance(model, readout.Readout) and not model.training
    pred = readout.predict(model, feats, 20)
    assert pred.shape == (32, 1, 20, 20)
    assert float(pred.min()) >= 0 and float(pred.max()) <= 1
    assert metrics.spc(pred[:, 0], h) > 0.9
    assert metrics.mae(pred[:, 0], h) < metrics.mae(torch.full_like(h, 0.5), h)


def test_fit_is_seeded_and_predict_batches(h_features):
    feats, h = h_features
    maps = targets.stack(["H", "V"], 20)
    a = readout.fit(feats[:8], maps, epochs=1, batch=4, seed=1)
    b = readout.fit(feats[:8], maps, epochs=1, batch=4, seed=1)
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)
    whole = readout.predict(a, feats[:8], 24)
    assert whole.shape == (8, 2, 24, 24)
    assert torch.allclose(readout.predict(a, feats[:8], 24, batch=3), whole, atol=1e-6)


@pytest.mark.parametrize("maps, match", [(torch.rand(20, 20), r"\(T, H, W\)"), (torch.rand(1, 20, 18), "square")])
def test_fit_bad_maps(h_features, maps, match):
    with pytest.raises(ValueError, match=match):
        readout.fit(h_features[0], maps, epochs=1)


# ----------------------------------------------------------------------------- features


@pytest.fixture(scope="module")
def vgg():
    torch.manual_seed(0)
    return models.build("vgg").eval()


@pytest.fixture(scope="module")
def images():
    return torch.rand(3, 3, 32, 32, generator=torch.Generator().manual_seed(1))


def test_multilevel_without_backbone_is_the_resized_image(images):
    out = features.multilevel(None, images, 12)
    assert out.shape == (3, 3, 12, 12)
    assert torch.equal(out, F.interpolate(images, size=(12, 12), mode="bilinear", align_corners=True))


@torch.no_grad()
def test_multilevel_concatenates_stages(vgg, images):
    out = features.multilevel(vgg, images, 8)
    assert out.shape == (3, 16 + 32 + 64 + 128, 8, 8) and out.shape[1] == 240
    maps = vgg.stages(images)
    first = F.interpolate(maps[0], size=(8, 8), mode="bilinear", align_corners=True)
    assert torch.allclose(out[:, :16], first, atol=1e-6)
    picked = features.multilevel(vgg, images, 8, stages=[3, 1])
    assert picked.shape[1] == 128 + 32
    assert torch.allclose(picked[:, :128], out[:, -128:], atol=1e-6)
    assert torch.allclose(features.multilevel(vgg, images, 8, stages=[-1]), out[:, -128:], atol=1e-6)


@pytest.mark.parametrize("stage", [4, -5, 10])
@torch.no_grad()
def test_multilevel_stage_out_of_range(vgg, images, stage):
    with pytest.raises(ValueError, match=r"stage .* does not exist.*stages 0\.\.3"):
        features.multilevel(vgg, images, 8, stages=[0, stage])


@pytest.mark.parametrize("backbone", [None, "vgg"])
@pytest.mark.parametrize("shape", [(3, 32, 32), (2, 1, 32, 32), (2, 4, 32, 32)])
def test_multilevel_rejects_non_rgb_batches(vgg, backbone, shape):
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\)"):
        features.multilevel(vgg if backbone else None, torch.rand(*shape), 8)


@pytest.mark.parametrize("backbone", [None, "vgg"])
def test_extract_equals_multilevel_on_whole_batch(vgg, images, backbone):
    net = vgg if backbone else None
    # the whole batch at once, on the same numeric path (autocast, snapped flat maps): only batching differs
    expected = infer.batched(lambda x: features.multilevel(net, x, 8, snap_eps=config.eps()), images, len(images))
    out = features.extract(net, images, 8, batch=2)
    assert out.dtype == torch.float32 and out.device.type == "cpu" and not out.requires_grad
    assert out.shape == expected.shape
    assert torch.allclose(out, expected, atol=1e-5)
    assert torch.allclose(features.extract(net, images, 8, stages=[0], batch=2), expected[:, :16 if net else 3],
                          atol=1e-5)


# ----------------------------------------------------------------------------- posenet.Bench


@pytest.fixture(scope="module")
def bench():
    sizes = posenet.ReadoutSizes(feat_size=8, train=8, test=2, epochs=1, batch=4, hidden=4)
    g = torch.Generator().manual_seed(2)
    train = torch.rand(8, 3, 24, 24, generator=g)
    tests = {"natural": torch.rand(2, 3, 24, 24, generator=g), "black": torch.zeros(1, 3, 24, 24)}
    return posenet.Bench(train, tests, targets.NAMES, sizes=sizes)


def test_bench_holds_maps_and_sets(bench):
    assert bench.size == 24 and bench.names == targets.NAMES
    assert bench.maps.shape == (5, 24, 24)
    assert torch.equal(bench.maps[2], targets.make("G", 24))
    assert list(bench.test_sets) == ["natural", "black"]


def test_bench_default_sizes_are_the_active_profile_s():
    b = posenet.Bench(torch.rand(2, 3, 16, 16), {}, ["H"])
    assert b.sizes == posenet.sizes(config.get_profile()) and b.feat_size == b.sizes.feat_size


def test_bench_run_scores_every_target_and_test_set(bench, vgg):
    res = bench.run(vgg, depth=1, kernel=3)
    assert isinstance(res, posenet.Result)
    assert list(res.scores.columns) == ["target", "input", "spc", "mae"]
    assert len(res.scores) == 5 * 2
    assert set(zip(res.scores.target, res.scores.input)) == {(t, i) for t in targets.NAMES
                                                             for i in ("natural", "black")}
    assert res.scores.spc.between(-1, 1).all() and res.scores.mae.between(0, 1).all()
    assert set(res.preds) == {"natural", "black"}
    assert res.preds["natural"].shape == (2, 5, 24, 24) and res.preds["black"].shape == (1, 5, 24, 24)
    pred = res.preds["natural"][:, 1]
    assert res.get("V", "natural") == pytest.approx(metrics.spc(pred, targets.make("V", 24)))
    assert res.get("V", "natural", "mae") == pytest.approx(metrics.mae(pred, targets.make("V", 24)))

    table = res.table()
    assert isinstance(table, pd.DataFrame)
    assert list(table.index) == list(targets.NAMES)
    assert set(table.columns) == {"natural", "black"}
    assert table.loc["HS", "black"] == pytest.approx(res.get("HS", "black"))
    assert res.table("mae").loc["G", "natural"] == pytest.approx(res.get("G", metric="mae"))


def test_bench_run_subset_of_names_without_backbone(bench):
    res = bench.run(None, names=["G", "H"])
    assert list(dict.fromkeys(res.scores.target)) == ["G", "H"]
    assert res.preds["natural"].shape == (2, 2, 24, 24)
    assert list(res.table().index) == ["G", "H"]


def test_result_get_missing_pair_is_key_error():
    res = posenet.Result(pd.DataFrame([{"target": "H", "input": "natural", "spc": 0.5, "mae": 0.1}]), {})
    assert res.get("H") == 0.5
    with pytest.raises(KeyError, match="'V'.*'natural'"):
        res.get("V")
    with pytest.raises(KeyError, match="'noise'"):
        res.get("H", "noise")


def test_bench_features_of_one_stage_are_a_channel_slice(bench, vgg):
    all_stages = bench.features(vgg)
    assert set(all_stages) == {"train", "natural", "black"}
    assert all_stages["train"].shape == (8, 240, 8, 8)
    first = bench.features(vgg, stages=[0])
    assert first["train"].shape == (8, 16, 8, 8)
    for k in all_stages:
        assert torch.equal(first[k], all_stages[k][:, :16])
    last_two = bench.features(vgg, stages=[2, 3])
    assert torch.equal(last_two["natural"], all_stages["natural"][:, 48:])
    assert bench.features(vgg) is all_stages  # memoised per backbone
    # the same features as extracting the stage directly
    direct = features.extract(vgg, bench.train_images, 8, stages=[0])
    assert torch.allclose(first["train"], direct, atol=1e-5)


def test_bench_features_without_backbone_are_images(bench):
    f = bench.features(None)
    assert f["train"].shape == (8, 3, 8, 8)
    assert bench.features(None, stages=[0]) is f


@pytest.mark.parametrize("stage", [4, 9])
def test_bench_features_stage_out_of_range(bench, vgg, stage):
    with pytest.raises(ValueError, match=r"stages 0\.\.3"):
        bench.features(vgg, stages=[stage])


def test_bench_run_unknown_target_lists_targets(bench):
    with pytest.raises(ValueError, match="H, V, G"):
        bench.run(None, names=["D"])


def test_bench_memo_follows_the_backbone_s_content(bench, vgg):
    """Features and readouts are kept by what a backbone computes, not by which object it is: the same network
    changed in place is read anew, an identical copy is not."""
    import copy

    from poslib import padding

    net = copy.deepcopy(vgg)
    first = bench.run(net, names=["H"])
    assert bench.run(copy.deepcopy(net), names=["H"]) is first  # the same content: the kept result
    padding.convert(net, "circular")
    converted = bench.run(net, names=["H"])
    assert converted is not first
    assert not torch.equal(bench.features(net)["train"], bench.features(vgg)["train"])
    bench.release(net)
    assert bench.run(net, names=["H"]) is not converted  # released: trained again
