"""poslib.models: the VGG- and ResNet-style backbones, their stages, and the measured receptive field."""
from __future__ import annotations

import pytest
import torch
import torch.nn as nn

from poslib import models
from poslib import padding as P

WIDTHS = (16, 32, 64, 128)
CASES = [(a, m) for a in models.ARCHS for m in P.MODES if (a, m) != ("resnet", "valid")]


@pytest.mark.parametrize("arch, mode", CASES, ids=[f"{a}-{m}" for a, m in CASES])
@torch.no_grad()
def test_build_stages_and_forward_at_80px(arch, mode):
    torch.manual_seed(0)
    net = models.build(arch, mode).eval()
    assert P.modes_of(net) == {mode}
    # one pass gives both: forward() runs stages() internally, so spy on it
    seen = {}
    stages = net.stages

    def spy(x):
        seen["maps"] = stages(x)
        return seen["maps"]

    net.stages = spy
    logits = net(torch.rand(2, 3, 80, 80))
    assert logits.shape == (2, 10) and torch.isfinite(logits).all()
    maps = seen["maps"]
    assert len(maps) == 4
    assert [m.shape[1] for m in maps] == list(WIDTHS)
    assert all(m.shape[0] == 2 for m in maps)
    sizes = [m.shape[-1] for m in maps]
    if mode in P.SAME_SIZE_MODES:
        assert sizes == [80, 40, 20, 10]
    elif mode == "valid":
        assert sizes[0] == 76 and all(a > b for a, b in zip(sizes, sizes[1:]))
    else:  # full grows every stage
        assert sizes[0] > 80 and sizes[1] > 40 and sizes[2] > 20 and sizes[3] > 10
    assert all((m >= 0).all() for m in maps)  # taken after a ReLU


def test_resnet_valid_runs_out_of_pixels_at_80px():
    net = models.build("resnet", "valid").eval()
    with pytest.raises((RuntimeError, ValueError)):
        with torch.no_grad():
            net(torch.rand(1, 3, 80, 80))


def test_build_custom_widths_and_classes():
    net = models.build("vgg", "zeros", widths=(4, 8), depth=(1, 1), n_classes=3).eval()
    with torch.no_grad():
        maps = net.stages(torch.rand(1, 3, 16, 16))
        assert [m.shape[1:] for m in maps] == [(4, 16, 16), (8, 8, 8)]
        assert net(torch.rand(1, 3, 16, 16)).shape == (1, 3)
    assert isinstance(net, models.VGGStyle) and net.widths == (4, 8)
    assert isinstance(models.build("resnet", widths=(4, 8), depth=(1, 1)), models.ResNetStyle)


def test_build_unknown_arch_lists_archs():
    with pytest.raises(ValueError, match="unknown architecture 'alexnet'.*vgg, resnet"):
        models.build("alexnet")


@pytest.mark.parametrize("arch", models.ARCHS)
def test_build_unknown_mode_lists_modes(arch):
    with pytest.raises(ValueError, match="zeros"):
        models.build(arch, "zero")


@pytest.mark.parametrize("cls", [models.VGGStyle, models.ResNetStyle])
def test_mismatched_widths_and_depths(cls):
    with pytest.raises(ValueError, match="same length"):
        cls((8, 16), (1, 1, 1))


def test_basic_block_shapes_and_shortcut():
    block = models.BasicBlock(4, 8, 2, "zeros").eval()
    assert block.short is not None
    with torch.no_grad():
        assert block(torch.rand(1, 4, 10, 10)).shape == (1, 8, 5, 5)
    assert models.BasicBlock(8, 8, 1, "zeros").short is None


def test_receptive_field_of_vgg():
    assert models.receptive_field(models.build("vgg")) == [5, 14, 32, 68]


def test_receptive_field_does_not_touch_the_model():
    net = models.build("vgg", "circular", widths=(4, 8), depth=(1, 1))
    before = {k: v.clone() for k, v in net.state_dict().items()}
    fields = models.receptive_field(net)
    assert fields == [3, 8]  # 3x3 conv (3); a 2x2 pool (+1); a 3x3 conv at stride 2 (+4)
    assert P.modes_of(net) == {"circular"}
    for k, v in net.state_dict().items():
        assert torch.equal(v, before[k])


def test_imagenet_backbone_unknown_arch():
    pytest.importorskip("torchvision")
    with pytest.raises(ValueError, match="vgg, resnet"):
        models.imagenet_backbone("alexnet")


def test_imagenet_backbone_offline_error_is_helpful(monkeypatch):
    pytest.importorskip("torchvision")
    import torchvision.models._api as api

    def offline(*args, **kwargs):
        raise OSError("no network")

    monkeypatch.setattr(api, "load_state_dict_from_url", offline)  # the download the weights would make
    with pytest.raises(RuntimeError, match="POSLIB_PROFILE=book") as err:
        models.imagenet_backbone("vgg")
    assert "~/.cache/torch/hub/checkpoints" in str(err.value)


@pytest.mark.parametrize("arch, widths", [("vgg", [64, 128, 256, 512, 512]), ("resnet", [256, 512, 1024, 2048])])
def test_imagenet_backbone_reads_the_paper_s_layers_normalised(arch, widths):
    """Random weights, no download: the paper's taps, and ImageNet normalisation from the weights' transforms."""
    pytest.importorskip("torchvision")
    from poslib.taps import Taps

    net = models.imagenet_backbone(arch, pretrained=False).eval()
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        maps = net.stages(x)
        mean, std = (torch.tensor(v).view(1, 3, 1, 1) for v in ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)))
        by_hand = Taps(net.model, models.IMAGENET_TAPS[arch]).stages((x - mean) / std)
    assert [m.shape[1] for m in maps] == widths
    assert maps[0].shape[-1] == (64 if arch == "vgg" else 16)
    assert all(torch.allclose(a, b, atol=1e-5) for a, b in zip(maps, by_hand))
    assert "0.485" in net.describe_input() and "0.229" in net.describe_input()


def test_models_are_nn_modules():
    assert isinstance(models.build("vgg"), nn.Module)
