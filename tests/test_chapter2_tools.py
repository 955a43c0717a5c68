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


def _claims(*declared):
    return claims.Claims("t", list(declared), config.get_profile("book"))


def test_separated_claim():
    clear = claims.margins(config.get_profile("book"))["clear"]
    c = _claims(*(claims.Finding(k, f"statement {k}", "q", "separated", clear, "p")
                  for k in ("beats", "overlap", "close")))
    assert c.record("beats", [0.8, 0.9, 0.85], [0.1, 0.2, 0.15])
    assert not c.record("overlap", [0.8, 0.3], [0.5, 0.1])  # means apart, seeds overlap
    assert not c.record("close", [0.50, 0.51], [0.48, 0.49])  # gap below margin
    ours = c.outcomes["beats"].ours
    assert "± " in ours and "(n=3)" in ours and "n - 1" not in ours
    assert c.verdicts().splitlines() == ["✔ [finding] statement beats", "✘ [finding] statement overlap",
                                         "✘ [finding] statement close"]
    with pytest.raises(claims.ClaimFailed, match="2 claim"):
        c.assert_all()


def test_bench_release_and_feat_size():
    net = models.build("vgg", widths=(4, 8), depth=(1, 1)).eval()
    b = posenet.Bench(torch.rand(4, 3, 16, 16), {"natural": torch.rand(2, 3, 16, 16)}, target_names=("H",),
                      sizes=posenet.sizes(config.get_profile("smoke")), feat_size=8)
    feats = b.features(net)
    assert feats["train"].shape == (4, 12, 8, 8)
    b.release(net)
    assert not b._memo


def test_bench_run_is_kept_until_release():
    net = models.build("vgg", widths=(4, 8), depth=(1, 1)).eval()
    b = posenet.Bench(torch.rand(4, 3, 16, 16), {"natural": torch.rand(2, 3, 16, 16)}, target_names=("H", "G"),
                      sizes=posenet.sizes(config.get_profile("smoke")), feat_size=8)
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
    assert light.images == 10 and light.epochs == 3 and base.images == train.sizes(p).images
    wide = train.backbone_spec("vgg", "zeros", 0, p, pad_width=2, pad_first_only=True)
    assert wide.pad_width == 2 and wide.pad_first_only is True and base.pad_width is None


def test_reported_claim_never_fails_the_chapter():
    c = _claims(claims.Finding("true", "binding and true", "q", "above", 0.0, "p"),
                claims.Finding("max", "the paper's maximum", "q", "above", 0.0, "p", binding=False,
                               note="the paper's statement"),
                claims.Finding("false", "binding and false", "q", "above", 0.0, "p"))
    assert c.record("true", [1.0, 2.0], 0.5)
    assert not c.record("max", [0.1, 0.2], 0.5)
    with pytest.raises(claims.ClaimFailed, match=r"\? false: declared but never measured"):
        c.assert_all()  # declared, not yet measured
    assert c.record("false", [0.1], 0.5) is False
    assert c.verdicts() == "✔ [finding] binding and true\n✘ [finding] binding and false"
    assert c.verdicts(reported=True) == \
        "✘ (reported: not reproduced; the paper's statement) [finding] the paper's maximum"
    assert list(c.table()["verdict"]) == ["✔", "✘ (reported: not reproduced; the paper's statement)", "✘"]
    counts = c.counts()
    assert counts.loc["finding", "checked"] == 3 and counts.loc["finding", "binding"] == 2
    assert counts.loc["finding", "binding, hold"] == 1 and counts.loc["finding", "reported"] == 1
    assert counts.loc["finding", "reported, reproduced"] == 0
    assert counts.loc["sanity", "checked"] == 0 and counts.loc["departure", "checked"] == 0
    with pytest.raises(claims.ClaimFailed, match="1 claim") as err:
        c.assert_all()  # only the binding one fails
    assert "binding and false" in str(err.value) and "maximum" not in str(err.value)


def test_reported_claim_alone_passes():
    c = _claims(claims.Finding("true", "binding and true", "q", "at_most", 0.0, "p"),
                claims.Finding("max", "the paper's maximum", "q", "at_most", 0.0, "p", binding=False))
    c.record("true", [0.1, 0.2], 0.5)
    c.record("max", [0.9], 0.5)
    c.assert_all()
    assert "the paper's maximum" not in c.verdicts()
    assert c.verdicts(reported=True) == "✘ (reported: not reproduced) [finding] the paper's maximum"


def test_never_recorded_claim_fails_the_chapter():
    c = _claims(claims.Finding("a", "measured", "q", "above", 0.0, "p"),
                claims.Finding("b", "forgotten", "q", "above", 0.0, "p", binding=False))
    c.record("a", [1.0], 0.0)
    with pytest.raises(claims.ClaimFailed, match="b: declared but never measured"):
        c.assert_all()


def test_record_undeclared_or_twice():
    c = _claims(claims.Finding("a", "s", "q", "above", 0.0, "p"))
    with pytest.raises(KeyError, match="declares no claim 'nope'"):
        c.record("nope", [1.0], 0.0)
    c.record("a", [1.0], 0.0)
    with pytest.raises(ValueError, match="already recorded"):
        c.record("a", [1.0], 0.0)


def test_duplicate_keys_are_refused():
    with pytest.raises(ValueError, match="duplicate claim keys"):
        _claims(claims.Finding("a", "s", "q", "above"), claims.Finding("a", "t", "q", "above"))


def test_sanity_and_identity():
    with pytest.raises(ValueError, match="must use the 'identity' rule"):
        claims.Finding("s", "flat", "q", "above", kind="sanity")
    with pytest.raises(ValueError, match="unknown rule"):
        claims.Finding("s", "flat", "q", "greater")
    with pytest.raises(ValueError, match="unknown kind"):
        claims.Finding("s", "flat", "q", "identity", kind="guess")
    c = _claims(claims.Finding("s", "constant maps", "q", "identity", kind="sanity"),
                claims.Finding("d", "our departure", "q", "separated", 0.0, kind="departure", note="predicted"))
    with pytest.raises(ValueError, match="holds=True/False"):
        c.record("s")
    assert c.record("s", holds=True, ours="all 128 maps flat")
    assert c.outcomes["s"].ours == "all 128 maps flat"
    c.record("d", [0.9, 0.8], [0.1, 0.2], ours="two seeds")
    assert c.outcomes["d"].ours.endswith("; two seeds")
    assert c.verdicts().splitlines() == ["✔ [sanity] constant maps", "✔ [departure] our departure"]
    c.assert_all()
    decl = c.declarations()
    assert list(decl["kind"]) == ["sanity", "departure"] and list(decl["claim"]) == ["constant maps", "our departure"]


def test_failed_sanity_check_fails_the_chapter():
    c = _claims(claims.Finding("s", "constant maps", "q", "identity", kind="sanity"))
    c.record("s", holds=False, ours="3 maps vary")
    with pytest.raises(claims.ClaimFailed, match=r"\[sanity\] constant maps: ours 3 maps vary"):
        c.assert_all()


def test_mean_sd_text_and_per_seed():
    df = pd.DataFrame({"mode": ["zeros"] * 3 + ["valid"] * 3 + ["zeros"],
                       "target": ["H"] * 6 + ["G"],
                       "seed": [0, 1, 2, 0, 1, 2, 0],
                       "spc": [0.5, 0.6, 0.7, 0.1, 0.1, 0.1, 0.9],
                       "mae": [0.2, 0.2, 0.2, 0.3, 0.3, 0.3, 0.0]})
    text = tables.mean_sd_text(df[df.target == "H"], "mode")
    assert list(text.columns) == ["mode", "spc", "mae"] and list(text["mode"]) == ["zeros", "valid"]
    assert text.loc[0, "spc"] == "0.600 ± 0.100 (n=3)"  # sample SD
    assert text.loc[1, "mae"] == "0.300 ± 0.000 (n=3)"
    one = tables.mean_sd_text(df, ["mode", "target"], values=("spc",), decimals=2)
    assert one.set_index(["mode", "target"]).loc[("zeros", "G"), "spc"] == "0.90 (n=1)"
    np.testing.assert_allclose(tables.per_seed(df, mode="valid"), [0.1, 0.1, 0.1])
    np.testing.assert_allclose(tables.per_seed(df, mode="zeros", target="H"), [0.5, 0.6, 0.7])
    # rows of a seed are averaged; list values match any item
    np.testing.assert_allclose(tables.per_seed(df, mode="zeros"), [0.7, 0.6, 0.7])
    np.testing.assert_allclose(tables.per_seed(df, "mae", mode=["zeros", "valid"], target="H"), [0.25] * 3)
    with pytest.raises(KeyError, match="no rows match"):
        tables.per_seed(df, mode="circular")


# ----------------------------------------------------------------------------- poslib.ablations


def test_ablation_budgets_follow_the_profile():
    from poslib import ablations

    smoke, book, paper = (config.get_profile(n) for n in ("smoke", "book", "paper"))
    assert ablations.budget(book) == {"images": 500, "epochs": 1, "finetune": True, "test_images": 300}
    assert ablations.budget(paper)["finetune"] is False  # the paper profile trains every mode afresh
    # smoke trains the book's backbones on its one seed (smaller ones left a finding to the seed)
    assert ablations.budget(smoke) == ablations.budget(book)
    assert ablations.scratch_budget(smoke) == ablations.scratch_budget(book) == {"images": 1000, "epochs": 2,
                                                                                 "test_images": 300}
    assert ablations.probe_sizes(book).epochs == ablations.sizes(book).probe_epochs
    assert ablations.probe_sizes(book).feat_size == posenet.sizes(book).feat_size
    assert not ablations.full_tables(smoke) and ablations.full_tables(book) and ablations.full_tables(paper)


# ----------------------------------------------------------------------------- per-seed tables

def _scores() -> pd.DataFrame:
    rows = []
    for mode, level in (("zeros", 0.8), ("reflect", 0.3), ("circular", 0.28)):
        for seed in (0, 1, 2):
            for target in ("H", "G"):
                for inp, shift in (("natural", 0.0), ("black", -0.5)):
                    rows.append({"mode": mode, "seed": seed, "target": target, "input": inp,
                                 "spc": level + shift + 0.01 * seed + (0.02 if target == "G" else 0.0)})
    return pd.DataFrame(rows)


def test_seed_means_averages_targets_per_group_and_seed():
    means = tables.seed_means(_scores(), "mode")
    assert list(means.columns) == ["mode", "seed", "spc"] and len(means) == 9
    assert means.query("mode == 'zeros' and seed == 1")["spc"].item() == pytest.approx(0.8 + 0.01 + 0.01)
    only_h = tables.seed_means(_scores(), "mode", targets=["H"])
    assert only_h.query("mode == 'zeros' and seed == 0")["spc"].item() == pytest.approx(0.8)
    both = tables.seed_means(_scores(), "mode", ["natural", "black"], targets=["H"])
    assert both.query("mode == 'zeros' and seed == 0")["spc"].item() == pytest.approx(0.55)
    with pytest.raises(KeyError, match="no scores"):
        tables.seed_means(_scores(), "mode", "white")


def test_clearly_above_uses_the_claims_rule():
    means = tables.seed_means(_scores(), "mode")
    column = tables.clearly_above(means, "mode", ["zeros", "reflect", "circular"], margin=0.05)
    assert column == ["yes", "no (seeds overlap or gap small)", ""]
