"""poslib.padding: convolutions with a chosen border behaviour, and converting whole models."""
from __future__ import annotations

import copy

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from poslib import extrapolate
from poslib import padding as P

SIZE = 10


def _conv(mode: str, k: int = 3, stride: int = 1, bias: bool = True, seed: int = 0, in_ch: int = 2,
          out_ch: int = 3) -> P.BorderConv2d:
    torch.manual_seed(seed)
    return P.conv2d(in_ch, out_ch, k, mode, stride=stride, bias=bias)


def _ones_conv(mode: str, stride: int = 1, bias: bool = False) -> P.BorderConv2d:
    conv = _conv(mode, stride=stride, bias=bias, in_ch=1, out_ch=1)
    with torch.no_grad():
        conv.weight.fill_(1.0)
        if bias:
            conv.bias.fill_(0.5)
    return conv.requires_grad_(False)


def _spread(t: torch.Tensor) -> float:
    return float((t.max() - t.min()).detach())


# ----------------------------------------------------------------------------- mode names

def test_modes_listed():
    assert set(P.MODES) == {"zeros", "reflect", "replicate", "circular", "partial", "valid", "full", "resize",
                            "extrapolate"}
    assert set(P.SAME_SIZE_MODES) == set(P.MODES) - {"valid", "full"}


@pytest.mark.parametrize("mode", P.MODES)
def test_check_mode_accepts_modes(mode):
    assert P.check_mode(mode) == mode


def test_check_mode_unknown_lists_modes():
    with pytest.raises(ValueError, match="unknown padding mode 'mirror'") as err:
        P.check_mode("mirror")
    assert all(m in str(err.value) for m in P.MODES)


@pytest.mark.parametrize("spelling", ["zero", "constant"])
def test_check_mode_hints_zeros_spelling(spelling):
    with pytest.raises(ValueError, match="spells zero padding 'zeros'"):
        P.check_mode(spelling)


@pytest.mark.parametrize("make", [lambda: P.conv2d(1, 1, 3, "zero"), lambda: P.BorderConv2d(1, 1, 3, mode="same"),
                                  lambda: P.convert(nn.Conv2d(1, 1, 3), "nope")])
def test_constructors_reject_unknown_mode(make):
    with pytest.raises(ValueError, match="reflect, replicate, circular"):
        make()


# ----------------------------------------------------------------------------- output sizes

def _expected_size(mode: str, n: int, k: int, stride: int) -> int:
    total_pad = {"valid": 0, "full": 2 * (k - 1)}.get(mode, k - 1)
    return (n + total_pad - k) // stride + 1


@pytest.mark.parametrize("mode", P.MODES)
@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("hw", [(SIZE, SIZE), (9, 12)])
def test_output_size(mode, stride, hw):
    conv = _conv(mode, stride=stride)
    out = conv(torch.rand(2, 2, *hw))
    assert out.shape[:2] == (2, 3)
    assert tuple(out.shape[-2:]) == tuple(_expected_size(mode, n, 3, stride) for n in hw)
    if stride == 1:
        delta = {"valid": -2, "full": 2}.get(mode, 0)
        assert tuple(out.shape[-2:]) == (hw[0] + delta, hw[1] + delta)


@pytest.mark.parametrize("mode", P.MODES)
@pytest.mark.parametrize("k", [1, 5])
def test_output_size_other_kernels(mode, k):
    out = _conv(mode, k=k)(torch.rand(1, 2, SIZE, SIZE))
    assert out.shape[-1] == _expected_size(mode, SIZE, k, 1)


# ----------------------------------------------------------------------------- border behaviour

def test_zeros_darkens_the_border_of_a_constant_input():
    out = _ones_conv("zeros")(torch.ones(1, 1, SIZE, SIZE))
    assert _spread(out) > 1
    assert float(out[0, 0, 0, 0]) == 4.0 and float(out[0, 0, 5, 5]) == 9.0


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("stride", [1, 2])
def test_padding_by_image_values_keeps_constant_input_constant(mode, stride):
    conv = _conv(mode, stride=stride)
    out = conv(torch.full((1, 2, SIZE, SIZE), 0.7))
    for ch in out[0]:
        assert _spread(ch) <= 1e-6


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("stride", [1, 2])
def test_partial_reweighting_undoes_zero_padding(bias, stride):
    x = torch.full((1, 1, SIZE, SIZE), 0.3)
    part = _ones_conv("partial", stride=stride, bias=bias)(x)
    zero = _ones_conv("zeros", stride=stride, bias=bias)(x)
    assert _spread(part) <= 1e-6
    assert float(part.flatten()[0]) == pytest.approx(9 * 0.3 + (0.5 if bias else 0.0), abs=1e-5)
    assert _spread(zero) > 0.5


def test_partial_equals_zeros_in_the_interior():
    x = torch.rand(2, 2, SIZE, SIZE)
    zero = _conv("zeros", seed=3)(x)
    part = _conv("partial", seed=3)(x)
    assert torch.allclose(part[..., 1:-1, 1:-1], zero[..., 1:-1, 1:-1], atol=1e-6)
    assert not torch.allclose(part[..., 0, :], zero[..., 0, :], atol=1e-3)


def test_partial_without_padding_needed_is_plain_conv():
    x = torch.rand(1, 2, SIZE, SIZE)
    assert torch.allclose(_conv("partial", k=1, seed=4)(x), _conv("zeros", k=1, seed=4)(x))


def test_partial_mask_follows_input_size():
    conv = _ones_conv("partial")
    for n in (6, 9, 6):
        out = conv(torch.ones(1, 1, n, n))
        assert out.shape[-1] == n and _spread(out) <= 1e-6


@pytest.mark.parametrize("shift", [(1, 0), (0, 3), (-2, 5)])
def test_circular_conv_commutes_with_circular_shift(shift):
    conv = _conv("circular", seed=5)
    x = torch.rand(2, 2, SIZE, SIZE)
    a = conv(torch.roll(x, shifts=shift, dims=(-2, -1)))
    b = torch.roll(conv(x), shifts=shift, dims=(-2, -1))
    assert torch.allclose(a, b, atol=1e-6, rtol=0)


def test_circular_network_with_global_pooling_is_shift_invariant():
    torch.manual_seed(6)
    net = nn.Sequential(P.conv2d(3, 8, 3, "circular"), nn.ReLU(), P.conv2d(8, 8, 3, "circular"), nn.ReLU(),
                        P.conv2d(8, 4, 3, "circular"), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    x = torch.rand(2, 3, 12, 12)
    y = net(x)
    for shift in [(1, 0), (3, 7), (-5, 2)]:
        assert torch.allclose(net(torch.roll(x, shift, dims=(-2, -1))), y, atol=1e-5)
    zeros = P.convert(copy.deepcopy(net), "zeros")
    assert not torch.allclose(zeros(torch.roll(x, (3, 7), dims=(-2, -1))), zeros(x), atol=1e-5)


def test_resize_introduces_no_padded_values():
    conv = _conv("resize", seed=7)
    out = conv(torch.full((1, 2, SIZE, SIZE), 0.4))
    assert out.shape[-2:] == (SIZE, SIZE)
    for ch in out[0]:
        assert _spread(ch) <= 1e-6
    varied = conv(torch.rand(1, 2, SIZE, SIZE))
    assert _spread(varied[0, 0]) > 0


def test_resize_is_upsample_then_valid():
    conv = _conv("resize", seed=8)
    x = torch.rand(1, 2, SIZE, SIZE)
    up = F.interpolate(x, size=(SIZE + 2, SIZE + 2), mode="bilinear", align_corners=False)
    assert torch.allclose(conv(x), F.conv2d(up, conv.weight, conv.bias), atol=1e-6)


def test_valid_is_interior_of_zeros():
    x = torch.rand(2, 2, SIZE, SIZE)
    valid = _conv("valid", seed=9)(x)
    zero = _conv("zeros", seed=9)(x)
    assert torch.allclose(valid, zero[..., 1:-1, 1:-1], atol=1e-6)


def test_full_contains_zeros_output():
    x = torch.rand(1, 2, SIZE, SIZE)
    full = _conv("full", seed=10)(x)
    zero = _conv("zeros", seed=10)(x)
    assert torch.allclose(full[..., 1:-1, 1:-1], zero, atol=1e-6)


@pytest.mark.parametrize("mode, torch_mode, pad", [("zeros", "zeros", 1), ("reflect", "reflect", 1),
                                                   ("replicate", "replicate", 1), ("circular", "circular", 1),
                                                   ("full", "zeros", 2), ("valid", "zeros", 0)])
def test_matches_torch_conv2d(mode, torch_mode, pad):
    ref = nn.Conv2d(2, 3, 3, padding=pad, padding_mode=torch_mode)
    conv = P.conv2d(2, 3, 3, mode)
    conv.load_state_dict(ref.state_dict())
    x = torch.rand(2, 2, SIZE, SIZE)
    assert torch.allclose(conv(x), ref(x), atol=1e-6)


# ----------------------------------------------------------------------------- layer API

def test_conv2d_is_border_conv_loading_conv2d_weights():
    conv = P.conv2d(2, 3, 3, "reflect", stride=2, bias=False)
    assert isinstance(conv, P.BorderConv2d) and isinstance(conv, nn.Conv2d)
    assert conv.mode == "reflect" and conv.stride == (2, 2) and conv.bias is None
    assert conv.padding == (0, 0)
    assert "mode=reflect" in repr(conv)
    src = nn.Conv2d(2, 3, 3, bias=False)
    conv.load_state_dict(src.state_dict())
    assert torch.equal(conv.weight, src.weight)
    assert set(P.conv2d(2, 3, 3).state_dict()) == set(nn.Conv2d(2, 3, 3).state_dict())


def test_mode_can_be_switched_after_construction():
    conv = _conv("zeros")
    x = torch.rand(1, 2, SIZE, SIZE)
    conv.mode = "valid"
    assert conv(x).shape[-1] == SIZE - 2


@pytest.mark.parametrize("shape", [(2, SIZE, SIZE), (SIZE, SIZE), (1, 1, 2, SIZE, SIZE)])
def test_border_conv_rejects_non_batch_input(shape):
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        _conv("zeros", in_ch=2)(torch.rand(*shape))


# ----------------------------------------------------------------------------- whole models

def _n_convs(model: nn.Module) -> int:
    return sum(isinstance(m, nn.Conv2d) for m in model.modules())


@torch.no_grad()
def test_convert_torchvision_vgg11_keeps_weights_and_outputs():
    torchvision = pytest.importorskip("torchvision")
    torch.manual_seed(0)
    net = torchvision.models.vgg11(weights=None).eval()  # one build: its classifier is ~100M weights
    originals = [(m.weight, m.bias) for m in net.modules() if isinstance(m, nn.Conv2d)]
    assert len(originals) == 8 and not any(isinstance(m, P.BorderConv2d) for m in net.modules())
    x = torch.rand(1, 3, 32, 32)
    expected = net(x)

    assert P.convert(net, "zeros") is net
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) == 8 and all(isinstance(m, P.BorderConv2d) for m in convs)
    for conv, (w, b) in zip(convs, originals):
        assert conv.weight is w and conv.bias is b  # the very same parameters
    assert P.modes_of(net) == {"zeros"}
    assert torch.allclose(net(x), expected, atol=1e-5)

    for mode in ("circular", "partial"):
        P.convert(net, mode)
        assert P.modes_of(net) == {mode} and _n_convs(net) == 8
        out = net(x)
        assert out.shape == (1, 1000)
        assert not torch.allclose(out, expected, atol=1e-5)


def test_convert_returns_same_model_in_place():
    net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.Sequential(nn.ReLU(), nn.Conv2d(4, 4, 3, padding=1)))
    out = P.convert(net, "reflect")
    assert out is net
    assert isinstance(net[0], P.BorderConv2d) and isinstance(net[1][1], P.BorderConv2d)
    assert P.modes_of(net) == {"reflect"}


def test_convert_torchvision_resnet_keeps_outputs():
    torchvision = pytest.importorskip("torchvision")
    torch.manual_seed(1)
    net = torchvision.models.resnet18(weights=None, num_classes=5).eval()
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        expected = net(x)
        converted = P.convert(copy.deepcopy(net), "zeros")
        assert _n_convs(converted) == _n_convs(net) == 20
        assert torch.allclose(converted(x), expected, atol=1e-5)


def test_convert_switches_border_convs_again():
    net = nn.Sequential(P.conv2d(3, 4, 3, "zeros"), nn.ReLU(), P.conv2d(4, 4, 3, "reflect"))
    weight = net[0].weight
    assert P.modes_of(net) == {"zeros", "reflect"}
    P.convert(net, "valid")
    assert P.modes_of(net) == {"valid"}
    assert net[0].weight is weight
    assert net(torch.rand(1, 3, SIZE, SIZE)).shape[-1] == SIZE - 4


def test_convert_keeps_dilation_and_groups():
    net = nn.Sequential(nn.Conv2d(4, 4, 3, padding=2, dilation=2, groups=2))
    x = torch.rand(1, 4, SIZE, SIZE)
    with torch.no_grad():
        expected = net(x)
        P.convert(net, "zeros")
        assert net[0].groups == 2 and net[0].dilation == (2, 2)
        assert torch.allclose(net(x), expected, atol=1e-6)


def test_modes_of_plain_model_is_empty():
    assert P.modes_of(nn.Sequential(nn.Conv2d(1, 1, 3))) == set()


def test_convert_a_single_border_conv():
    conv = P.conv2d(1, 1, 3, "zeros")
    P.convert(conv, "circular")
    assert P.modes_of(conv) == {"circular"}


# ----------------------------------------------------------------------------- convert on torchvision models

def test_convert_keeps_a_convs_own_padding_amount():
    net = nn.Sequential(nn.Conv2d(1, 2, 3, padding=0), nn.Conv2d(2, 2, 3, padding=(2, 1)), nn.Conv2d(2, 2, 3, padding=1))
    x = torch.rand(1, 1, SIZE, SIZE)
    with torch.no_grad():
        expected = net(x)
        P.convert(net, "zeros")
        assert net[0].width == 0 and net[1].width == (2, 1) and net[2].width is None
        assert torch.allclose(net(x), expected, atol=1e-6)  # the same sizes and values as before
        P.convert(net, "circular")
        assert net(x).shape == expected.shape  # an unpadded conv stays unpadded under any mode


@pytest.mark.parametrize("mode", ["circular", "reflect", "replicate"])
def test_convert_pads_a_pooling_layer_by_the_mode(mode):
    net = nn.Sequential(nn.MaxPool2d(3, 2, padding=1))
    x = torch.randn(1, 2, 8, 8)
    P.convert(net, mode)
    assert isinstance(net[0], P.BorderPool2d) and P.modes_of(net) == {mode}
    expected = F.max_pool2d(F.pad(x, (1, 1, 1, 1), mode=mode), 3, 2)
    assert torch.equal(net(x), expected)
    P.convert(net, "zeros")  # back to PyTorch's own padding (minus infinity for a max-pool)
    assert torch.equal(net(x), F.max_pool2d(x, 3, 2, 1))
    P.convert(net, "valid")
    assert torch.equal(net(x), F.max_pool2d(x, 3, 2))


def test_border_pool_rejects_other_layers():
    with pytest.raises(TypeError, match="MaxPool2d or nn.AvgPool2d"):
        P.BorderPool2d(nn.ReLU())



def _pooled_features(arch: str) -> tuple[nn.Module, nn.Module]:
    """A random torchvision network and the function from images to its globally pooled last features."""
    torchvision = pytest.importorskip("torchvision")
    torch.manual_seed(0)
    net = getattr(torchvision.models, arch)(weights=None).eval()
    if arch.startswith("vgg"):
        return net, nn.Sequential(net.features, nn.AdaptiveAvgPool2d(1))
    if arch.startswith("resnet"):
        net.fc = nn.Identity()
    else:
        net.classifier = nn.Identity()
    return net, net


@pytest.mark.parametrize("arch", ["resnet18", "vgg11_bn", "mobilenet_v3_small"])
@torch.no_grad()
def test_convert_circular_makes_torchvision_models_shift_invariant(arch):
    """A circular shift by the network's total stride (32) leaves the globally pooled features unchanged
    once every convolution and padded pool wraps around; zero padding does not."""
    net, pooled = _pooled_features(arch)
    x = torch.rand(2, 3, 64, 64)
    shifted = torch.roll(x, shifts=32, dims=-1)
    before = pooled(x).flatten(1)
    change = (pooled(shifted).flatten(1) - before).abs().max() / before.abs().max()
    P.convert(net, "circular")
    assert P.modes_of(net) == {"circular"}
    out = pooled(x).flatten(1)
    assert (pooled(shifted).flatten(1) - out).abs().max() <= 1e-5 * out.abs().max() < change
    P.convert(net, "zeros")
    assert torch.allclose(pooled(x).flatten(1), before, atol=1e-5)  # converting back restores the network


def test_partial_window_without_image_pixels_gives_zero():
    conv = _ones_conv("partial", bias=True)
    conv.width = 3  # the outermost outputs of a 3x3 window see only padding
    out = conv(torch.ones(1, 1, SIZE, SIZE))
    assert out.shape[-1] == SIZE + 4
    assert torch.all(out[0, 0, 0] == 0) and torch.all(out[0, 0, :, -1] == 0)
    assert torch.allclose(out[0, 0, 1:-1, 1:-1], torch.full((SIZE + 2, SIZE + 2), 9.5))


# ----------------------------------------------------------------------------- extrapolating padding

def test_extrapolate_pad_by_hand():
    x = torch.tensor([[1.0, 2.0, 4.0], [3.0, 3.0, 3.0]])[None, None]
    expected = torch.tensor([[-3.0, -1.0, 1.0, 5.0, 9.0],   # 2 x row 0 - row 1 (row 0 extended first)
                             [0.0, 1.0, 2.0, 4.0, 6.0],     # 1 + (1 - 2) = 0 ... 4 + (4 - 2) = 6
                             [3.0, 3.0, 3.0, 3.0, 3.0],
                             [6.0, 5.0, 4.0, 2.0, 0.0]])    # 2 x row 1 - row 0
    assert torch.equal(extrapolate.pad(x, (1, 1, 1, 1))[0, 0], expected)
    assert torch.equal(P.conv2d(1, 1, 3, "extrapolate").border(x)[0, 0], expected)


def test_extrapolate_continues_a_linear_ramp_exactly():
    i, j = torch.meshgrid(torch.arange(-2.0, 8.0), torch.arange(-3.0, 9.0), indexing="ij")
    plane = 0.5 + 2.0 * i - 1.5 * j
    inner = plane[2:-2, 3:-3][None, None]
    assert torch.allclose(extrapolate.pad(inner, (3, 3, 2, 2))[0, 0], plane)


def test_extrapolate_on_a_one_pixel_axis_repeats_it():
    x = torch.tensor([[2.0, 5.0]])[None, None]  # one row
    assert torch.equal(extrapolate.pad(x, (0, 0, 1, 2))[0, 0], x[0, 0].repeat(4, 1))


def test_extrapolate_keeps_a_blank_image_blank():
    out = _ones_conv("extrapolate")(torch.ones(1, 1, SIZE, SIZE))
    assert _spread(out) == 0 and float(out[0, 0, 0, 0]) == 9.0


def test_extrapolate_pools_and_converts():
    net = nn.Sequential(nn.Conv2d(1, 1, 3, padding=1), nn.MaxPool2d(3, 2, padding=1))
    P.convert(net, "extrapolate")
    assert P.modes_of(net) == {"extrapolate"}
    x = torch.rand(1, 1, 8, 8)
    with torch.no_grad():
        y = net[0](x)
        assert torch.equal(net(x), F.max_pool2d(extrapolate.pad(y, (1, 1, 1, 1)), 3, 2))
