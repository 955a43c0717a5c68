"""Unit tests for the poslib pieces Chapter 2 adds: pad widths, border views, canvases, seeds, border error."""
import numpy as np
import pandas as pd
import pytest
import torch

from poslib import claims, config, data, metrics, models, padding, posenet, tables, train


@pytest.mark.parametrize("width, out", [(0, 6), (1, 8), (2, 10), (3, 12)])
def test_set_width_sets_the_pad_of_every_conv(width, out):
    conv = padding.conv2d(1, 1, 3, "zeros")
    padding.set_width(conv_model := torch.nn.Sequential(conv), width)
    assert conv_model(torch.ones(1, 1, 8, 8)).shape[-1] == out


def test_set_width_zero_equals_valid():
    torch.manual_seed(0)
    a = models.build("vgg", "zeros", widths=(4, 8), depth=(1, 1)).eval()
    b = models.build("vgg", "valid", widths=(4, 8), depth=(1, 1)).eval()
    b.load_state_dict(a.state_dict())
    padding.set_width(a, 0)
    x = torch.randn(2, 3, 20, 20)
    assert torch.allclose(a.stages(x)[-1], b.stages(x)[-1], atol=1e-6)


def test_set_width_first_only_touches_one_conv():
    net = models.build("vgg", "zeros", widths=(4, 8), depth=(2, 1))
    padding.set_width(net, 3, first_only=True)
    widths = [m.width for m in net.modules() if isinstance(m, padding.BorderConv2d)]
    assert widths == [3, None, None]


def test_set_width_bad_input():
    with pytest.raises(ValueError, match=">= 0"):
        padding.set_width(torch.nn.Sequential(padding.conv2d(1, 1, 3)), -1)
    with pytest.raises(ValueError, match="BorderConv2d"):
        padding.set_width(torch.nn.Sequential(torch.nn.Conv2d(1, 1, 3)), 1)


def test_partial_with_wider_pad_keeps_constant_input_constant():
    conv = padding.conv2d(1, 1, 3, "partial", bias=False)
    torch.nn.init.constant_(conv.weight, 1.0)
    conv.width = 1
    y = conv(torch.ones(1, 1, 6, 6))
    assert torch.allclose(y, torch.full_like(y, 9.0))


@pytest.mark.parametrize("mode, side", [("zeros", 8), ("reflect", 8), ("replicate", 8), ("circular", 8),
                                        ("partial", 8), ("valid", 6), ("full", 10), ("resize", 8)])
def test_border_view_shapes(mode, side):
    img = torch.arange(36, dtype=torch.float32).view(1, 1, 6, 6)
    view = padding.border_view(img, mode)
    assert view.shape == (side, side)
    if mode in ("zeros", "partial"):
        assert view[0].abs().sum() == 0 and torch.equal(view[1:-1, 1:-1], img[0, 0])
    if mode == "circular":
        assert torch.equal(view[0, 1:-1], img[0, 0, -1])


def test_border_view_bad_input():
    with pytest.raises(ValueError, match="zeros"):
        padding.border_view(torch.zeros(1, 1, 4, 4), "mirror")
    with pytest.raises(ValueError, match=r"\(1, 1, H, W\)"):
        padding.border_view(torch.zeros(1, 3, 4, 4), "zeros")


@pytest.mark.parametrize("colour", data.CANVAS_COLOURS)
def test_on_canvas_places_each_image_once(colour):
    imgs = torch.full((4, 3, 5, 5), 0.123)
    out = data.on_canvas(imgs, 12, colour, seed=0)
    assert out.shape == (4, 3, 12, 12)
    for i in range(4):
        assert int((out[i, 0] == 0.123).sum()) == 25
    assert torch.equal(out, data.on_canvas(imgs, 12, colour, seed=0))


def test_on_canvas_colours():
    imgs = torch.full((1, 3, 2, 2), 0.5)
    assert data.on_canvas(imgs, 6, "black", 0).min() == 0
    assert data.on_canvas(imgs, 6, "white", 0).max() == 1
    mean = torch.tensor(data.mean_colour())
    corner = data.on_canvas(torch.zeros(1, 3, 1, 1), 6, "mean", 3)[0, :, :, :]
    assert any(torch.allclose(corner[:, y, x], mean) for y in range(6) for x in range(6))


def test_on_canvas_bad_input():
    with pytest.raises(ValueError, match="black, white, mean, noise"):
        data.on_canvas(torch.zeros(1, 3, 2, 2), 6, "purple", 0)
    with pytest.raises(ValueError, match="cannot hold"):
        data.on_canvas(torch.zeros(1, 3, 8, 8), 6, "black", 0)


def test_border_distance_and_error_profile():
    d = metrics.border_distance(5)
    assert d[0, 0] == 0 and d[2, 2] == 2 and d[1, 3] == 1
    target = np.zeros((6, 6))
    pred = np.zeros((6, 6))
    pred[0, :] = 1.0  # error only on the top row: all at distance 0
    err = metrics.error_by_border_distance(pred, target)
    assert len(err) == 3 and err[1] == 0 and err[2] == 0 and err[0] == pytest.approx(6 / 20)
    with pytest.raises(ValueError, match="square"):
        metrics.error_by_border_distance(np.zeros((1, 4, 6)), np.zeros((4, 6)))


def test_mean_sd_uses_sample_sd():
    df = pd.DataFrame({"g": ["a", "a", "a", "b"], "spc": [1.0, 2.0, 3.0, 5.0]})
    out = tables.mean_sd(df, "g")
    assert out.loc["a", "mean"] == 2.0 and out.loc["a", "sd"] == pytest.approx(1.0) and out.loc["a", "n"] == 3


def test_separated_claim():
    c = claims.Claims("t", config.get_profile("book"))
    assert c.separated("a beats b", [0.8, 0.9, 0.85], [0.1, 0.2, 0.15], "clear", "p")
    assert not c.separated("overlap", [0.8, 0.3], [0.5, 0.1], "clear", "p")  # means apart, seeds overlap
    assert not c.separated("too close", [0.50, 0.51], [0.48, 0.49], "clear", "p")  # gap below margin
    assert "± " in c.items[0].ours and "n - 1" not in c.items[0].ours


def test_bench_release_and_feat_size():
    net = models.build("vgg", widths=(4, 8), depth=(1, 1)).eval()
    b = posenet.Bench(torch.rand(4, 3, 16, 16), {"natural": torch.rand(2, 3, 16, 16)}, target_names=("H",),
                      profile=config.get_profile("smoke"), feat_size=8)
    feats = b.features(net)
    assert feats["train"].shape == (4, 12, 8, 8)
    b.release(net)
    assert not b._memo


def test_bench_run_is_kept_until_release():
    net = models.build("vgg", widths=(4, 8), depth=(1, 1)).eval()
    b = posenet.Bench(torch.rand(4, 3, 16, 16), {"natural": torch.rand(2, 3, 16, 16)}, target_names=("H", "G"),
                      profile=config.get_profile("smoke"), feat_size=8)
    first = b.run(net, names=("H",))
    assert b.run(net, names=("H",)) is first  # the same readout is not trained twice
    assert b.run(net, names=("G",)) is not first and b.run(net, stages=[0], names=("H",)) is not first
    b.release(net)
    assert not b._runs
    again = b.run(net, names=("H",))
    assert again is not first
    pd.testing.assert_frame_equal(again.scores, first.scores)  # trained afresh, same numbers


def test_random_backbone_is_not_scored(monkeypatch, tmp_path, tiny_profile):
    monkeypatch.setenv("POSLIB_CACHE", str(tmp_path))
    net = train.backbone("vgg", "reflect", seed=0, profile=tiny_profile, trained=False)
    assert net.info["test_accuracy"] is None and net.info["epochs"] == 0


def test_backbone_spec_overrides():
    p = config.get_profile("smoke")
    base = train.backbone_spec("vgg", "zeros", 0, p)
    light = train.backbone_spec("vgg", "zeros", 0, p, images=10, epochs=3)
    assert light["images"] == 10 and light["epochs"] == 3 and base["images"] == p.backbone_images
    wide = train.backbone_spec("vgg", "zeros", 0, p, pad_width=2, pad_first_only=True)
    assert wide["pad_width"] == 2 and wide["pad_first_only"] is True and "pad_width" not in base


def test_reported_claim_never_fails_the_chapter():
    c = claims.Claims("t", config.get_profile("book"))
    c.check("binding and true", True, "1", "p")
    c.report("the paper's maximum", False, "2", "p")
    c.assert_all()  # the reported one does not raise
    assert "✘ (reported: not reproduced) the paper's maximum" in c.verdicts()
    assert list(c.table()["holds"]) == ["✔", "✘ (reported: not reproduced)"]
    c.check("binding and false", False, "3", "p")
    with pytest.raises(claims.ClaimFailed, match="1 claim"):
        c.assert_all()
