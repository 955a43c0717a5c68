"""poslib.meter and poslib.taps: the position meter on poslib nets, torchvision CNNs, ViTs and user modules."""
from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
import torch.nn as nn
from PIL import Image

from poslib import meter, meter_cli, models, padding, taps

torchvision = pytest.importorskip("torchvision")

#: The smallest readout that still runs every step: the meter's tests check plumbing, not numbers.
FAST = dict(epochs=1, train=8, test=4, batch=4, feat_size=6)


class TwoPaths(nn.Module):
    """A user's own network: two convolutions whose outputs are added (a graph node, not a module)."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 4, 3, padding=1)
        self.b = nn.Conv2d(3, 4, 3, padding=1)
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        y = torch.relu(self.a(x)) + self.b(x)
        return self.head(y.mean((2, 3)))


def _tiny_vit(image_size: int = 32):
    from torchvision.models.vision_transformer import VisionTransformer

    torch.manual_seed(0)
    return VisionTransformer(image_size=image_size, patch_size=8, num_layers=2, num_heads=2, hidden_dim=16,
                             mlp_dim=32)


def _report_is_whole(report: meter.Report, layers: list[str], names=("H",)) -> None:
    assert list(report.scores.columns) == ["layer", "seed", "target", "input", "spc", "mae"]
    assert report.layers == layers
    assert set(report.scores.input) == {"natural", "black", "white", "noise"}
    assert set(report.scores.target) == set(names)
    assert report.scores.spc.between(-1, 1).all() and report.scores.mae.between(0, 1).all()
    table = report.table()
    assert list(table.index) == layers and table.shape[1] == 4 * len(names)


def test_meter_on_a_poslib_backbone_reads_its_stages():
    torch.manual_seed(0)
    report = meter.measure(models.build("vgg"), target_names=["H", "G"], size=24, **FAST)
    _report_is_whole(report, ["stage 0", "stage 1", "stage 2", "stage 3"], ("H", "G"))
    assert "normalisation: none" in report.summary() and "input size: 24 x 24" in report.summary()


def test_meter_on_a_torchvision_cnn_by_module_path():
    net = torchvision.models.resnet18(weights=None).train()
    report = meter.measure(net, ["layer1", "layer4"], target_names=["H"], size=32, **FAST)
    _report_is_whole(report, ["layer1", "layer4"])
    assert "layer4 (512, 1, 1)" in report.setup["layers"]
    assert net.training  # the meter reads in evaluation mode and gives the network back as it was
    assert report.table(input="natural").shape == (2, 1)
    dist = meter.error_by_distance(report, "H")
    assert list(dist.columns) == ["layer1", "layer4"] and len(dist) == 16


def test_meter_on_vision_transformers_lays_tokens_on_the_patch_grid():
    vit = torchvision.models.vit_b_16(weights=None)
    report = meter.measure(vit, ["encoder.layers.encoder_layer_0"], images=torch.rand(6, 3, 40, 40),
                           target_names=["H"], **FAST)
    assert report.setup["input size"] == "224 x 224"  # the ViT's own fixed size
    assert "(768, 14, 14)" in report.setup["layers"]
    _report_is_whole(report, ["encoder.layers.encoder_layer_0"])
    small = meter.measure(_tiny_vit(), ["encoder.layers.encoder_layer_1", "encoder.ln"], target_names=["H"], **FAST)
    assert "(16, 4, 4)" in small.setup["layers"]


def test_meter_on_a_user_module_by_module_path_and_graph_node():
    net = TwoPaths()
    report = meter.measure(net, ["a", "add"], target_names=["H"], size=16, **FAST)
    _report_is_whole(report, ["a", "add"])


def test_as_map_handles_grids_class_tokens_and_rejects_the_rest():
    assert taps.as_map(torch.zeros(2, 4, 3, 3), "x").shape == (2, 4, 3, 3)
    assert taps.as_map(torch.zeros(2, 16, 5), "x").shape == (2, 5, 4, 4)
    assert taps.as_map(torch.arange(17.0).view(1, 17, 1), "x").flatten().tolist() == list(range(1, 17))
    with pytest.raises(ValueError, match="neither a square patch grid"):
        taps.as_map(torch.zeros(1, 7, 3), "x")
    with pytest.raises(ValueError, match="2-D output"):
        taps.as_map(torch.zeros(2, 10), "fc")


def test_unknown_layer_lists_valid_names():
    with pytest.raises(ValueError, match="unknown layer") as err:
        meter.measure(torchvision.models.resnet18(weights=None), ["layer9"], size=32, **FAST)
    assert "layer1" in str(err.value) and "layer4" in str(err.value)


def test_layers_are_needed_for_a_network_without_stages():
    with pytest.raises(ValueError, match="name the layers to read"):
        meter.measure(TwoPaths(), **FAST)


def test_a_layer_that_is_not_a_map_is_a_clear_error():
    with pytest.raises(ValueError, match="not a 4-D feature map"):
        meter.measure(torchvision.models.resnet18(weights=None), ["fc"], size=32, **FAST)


def test_an_input_the_model_cannot_take_is_a_clear_error():
    with pytest.raises(ValueError, match="could not take a .* image.*size="):
        meter.measure(_tiny_vit(), ["encoder.ln"], size=40, **FAST)


@pytest.mark.parametrize("images, match", [
    (torch.rand(4, 1, 8, 8), "images must be an"),
    (torch.rand(4, 3, 8, 8) * 2, "must lie in"),
    (torch.rand(2, 3, 8, 8), "at least 3 images"),
    ([1, 2, 3], "PIL images"),
])
def test_bad_images_are_clear_errors(images, match):
    with pytest.raises((ValueError, TypeError), match=match):
        meter.measure(TwoPaths(), ["a"], images=images, size=16, **FAST)


def test_bad_normalisation_and_model_are_clear_errors():
    with pytest.raises(ValueError, match="both mean and std"):
        meter.measure(TwoPaths(), ["a"], mean=(0.5, 0.5, 0.5), size=16, **FAST)
    with pytest.raises(TypeError, match="nn.Module"):
        taps.Taps("resnet18", ["layer1"])


def test_user_images_as_tensor_folder_and_pil(tmp_path):
    rng = np.random.default_rng(0)
    pils = [Image.fromarray(rng.integers(0, 255, (20, 24, 3), dtype=np.uint8)) for _ in range(4)]
    for i, im in enumerate(pils):
        im.save(tmp_path / f"{i}.png")
    for images in (pils, tmp_path, torch.rand(4, 3, 20, 20)):
        report = meter.measure(TwoPaths(), ["a"], images=images, target_names=["H"], size=16, **FAST)
        assert report.setup["images"] == "yours" and "2 training images" in report.setup["readout"]
        assert report.preds["a"].preds["natural"].shape[0] == 2  # 4 images: 2 train the readout, 2 test it


def test_weights_give_their_own_normalisation():
    weights = torchvision.models.ResNet18_Weights.IMAGENET1K_V1
    mean, std = meter.normalisation(weights)
    assert mean == pytest.approx((0.485, 0.456, 0.406)) and std == pytest.approx((0.229, 0.224, 0.225))
    t = taps.Taps(TwoPaths(), ["a"], mean, std)
    assert "0.485" in t.describe_input()


def test_padding_mode_measures_a_converted_copy():
    net = torchvision.models.resnet18(weights=None)
    before = copy.deepcopy(net.state_dict())
    report = meter.measure(net, ["layer1"], padding_mode="circular", target_names=["H"], size=32, **FAST)
    assert report.setup["padding"] == "circular"
    assert padding.modes_of(net) == set() and all(torch.equal(v, before[k]) for k, v in net.state_dict().items())


def test_report_plot_has_titles_and_labels():
    report = meter.measure(models.build("vgg"), target_names=["H"], size=24, **FAST)
    fig = report.plot("H")
    titles = [ax.get_title() for ax in fig.axes]
    assert any("SPC per layer" in t for t in titles) and any("distance to the border" in t for t in titles)
    assert fig._suptitle is not None
    with pytest.raises(ValueError, match="metric"):
        report.table("auc")


def test_cli_help_explains_every_option(capsys):
    with pytest.raises(SystemExit):
        meter_cli.main(["--help"])
    out = capsys.readouterr().out
    for option in ("--layers", "--padding", "--plot", "--weights", "--targets", "--images", "--size", "--seeds",
                   "--epochs", "--list-layers", "--metric"):
        assert option in out


def test_cli_runs_and_saves_a_figure(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TQDM_DISABLE", "1")
    out_png = tmp_path / "out.png"
    code = meter_cli.main(["resnet18", "--layers", "layer1,layer4", "--padding", "circular", "--targets", "H",
                           "--size", "32", "--epochs", "1", "--plot", str(out_png)])
    text = capsys.readouterr().out
    assert code == 0 and out_png.stat().st_size > 0
    assert "padding: circular" in text and "layer4" in text and "poslib-meter |" in text


def test_cli_lists_layers_and_reports_bad_names(capsys):
    assert meter_cli.main(["resnet18", "--list-layers"]) == 0
    assert "layer3.1.conv2" in capsys.readouterr().out
    assert meter_cli.main(["resnet18", "--layers", "nope", "--size", "32"]) == 2
    assert "unknown layer" in capsys.readouterr().err
    assert meter_cli.main(["not_a_model"]) == 2
