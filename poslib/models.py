"""Backbone architectures: small VGG- and ResNet-style networks, and the paper's ImageNet ones (Chapter 1 on).

Every backbone exposes ``stages(x)``: the list of its multi-level feature maps, one per stage, taken
after the stage's last ReLU and before any down-sampling, as PosENet reads them. ``forward(x)`` gives
class logits through global average pooling, for training on a classification task.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import padding as P

ARCHS: tuple[str, ...] = ("vgg", "resnet")


def _bn_relu(ch: int) -> list[nn.Module]:
    return [nn.BatchNorm2d(ch), nn.ReLU(inplace=True)]


class VGGStyle(nn.Module):
    """A VGG-style network: stages of [3x3 conv, BN, ReLU] x n with 2x2 max-pooling between (Chapter 1)."""

    def __init__(self, widths: Sequence[int] = (16, 32, 64, 128), convs: Sequence[int] = (2, 2, 2, 2),
                 mode: str = "zeros", n_classes: int = 10, in_ch: int = 3):
        super().__init__()
        if len(widths) != len(convs):
            raise ValueError(f"widths {tuple(widths)} and convs {tuple(convs)} must have the same length")
        P.check_mode(mode)
        self.widths = tuple(widths)
        blocks = []
        ch = in_ch
        for w, n in zip(widths, convs):
            layers: list[nn.Module] = []
            for _ in range(n):
                layers += [P.conv2d(ch, w, 3, mode, bias=False), *_bn_relu(w)]
                ch = w
            blocks.append(nn.Sequential(*layers))
        self.blocks = nn.ModuleList(blocks)
        self.pool = nn.MaxPool2d(2)
        self.head = nn.Linear(ch, n_classes)

    def stages(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The output of every stage, before its max-pooling (Chapter 1)."""
        out = []
        for i, block in enumerate(self.blocks):
            if i:
                x = self.pool(x)
            x = block(x)
            out.append(x)
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return self.head(self.stages(x)[-1].mean(dim=(2, 3)))


def _match(identity: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Centre-crop or zero-pad ``identity`` to the spatial size of ``like`` (valid/full skip connections)."""
    dh = identity.shape[-2] - like.shape[-2]
    dw = identity.shape[-1] - like.shape[-1]
    if dh == 0 and dw == 0:
        return identity
    if dh >= 0 and dw >= 0:
        return identity[..., dh // 2: dh // 2 + like.shape[-2], dw // 2: dw // 2 + like.shape[-1]]
    return F.pad(identity, (-dw // 2, -dw - (-dw // 2), -dh // 2, -dh - (-dh // 2)))


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with a residual connection (ResNet's basic block) (Chapter 1)."""

    def __init__(self, in_ch: int, out_ch: int, stride: int, mode: str):
        super().__init__()
        self.conv1 = P.conv2d(in_ch, out_ch, 3, mode, stride=stride, bias=False)
        self.bn1 = nn.BatchNorm2d(out_ch)
        self.conv2 = P.conv2d(out_ch, out_ch, 3, mode, bias=False)
        self.bn2 = nn.BatchNorm2d(out_ch)
        self.short = None
        if stride != 1 or in_ch != out_ch:
            self.short = nn.Sequential(P.conv2d(in_ch, out_ch, 1, mode, stride=stride, bias=False),
                                       nn.BatchNorm2d(out_ch))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        out = F.relu(self.bn1(self.conv1(x)), inplace=True)
        out = self.bn2(self.conv2(out))
        identity = x if self.short is None else self.short(x)
        return F.relu(out + _match(identity, out), inplace=True)


class ResNetStyle(nn.Module):
    """A ResNet-style network: a 3x3 stem, then stages of basic blocks, the first stride 1, then 2 (Chapter 1)."""

    def __init__(self, widths: Sequence[int] = (16, 32, 64, 128), blocks: Sequence[int] = (2, 2, 2, 2),
                 mode: str = "zeros", n_classes: int = 10, in_ch: int = 3):
        super().__init__()
        if len(widths) != len(blocks):
            raise ValueError(f"widths {tuple(widths)} and blocks {tuple(blocks)} must have the same length")
        P.check_mode(mode)
        self.widths = tuple(widths)
        self.stem = nn.Sequential(P.conv2d(in_ch, widths[0], 3, mode, bias=False), *_bn_relu(widths[0]))
        layers = []
        ch = widths[0]
        for i, (w, n) in enumerate(zip(widths, blocks)):
            seq = []
            for j in range(n):
                seq.append(BasicBlock(ch, w, 2 if (i and not j) else 1, mode))
                ch = w
            layers.append(nn.Sequential(*seq))
        self.layers = nn.ModuleList(layers)
        self.head = nn.Linear(ch, n_classes)

    def stages(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The output of every stage of blocks (Chapter 1)."""
        x = self.stem(x)
        out = []
        for layer in self.layers:
            x = layer(x)
            out.append(x)
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return self.head(self.stages(x)[-1].mean(dim=(2, 3)))


def build(arch: str, mode: str = "zeros", widths: Sequence[int] = (16, 32, 64, 128),
          depth: Sequence[int] = (2, 2, 2, 2), n_classes: int = 10) -> nn.Module:
    """A fresh, randomly initialised ``vgg`` or ``resnet`` backbone with padding ``mode`` (Chapter 1, 2)."""
    if arch == "vgg":
        return VGGStyle(widths, depth, mode, n_classes)
    if arch == "resnet":
        return ResNetStyle(widths, depth, mode, n_classes)
    raise ValueError(f"unknown architecture {arch!r}; choose one of {', '.join(ARCHS)}")


def window_probe(model: nn.Module, mode: str | None = None) -> nn.Module:
    """A copy of ``model`` that counts windows: every convolution averages its window with equal positive
    weights, batch norms are identities, max-pools become average pools (a max-pool passes gradient to
    one pixel only), padding switched to ``mode`` unless it is None. Gradients through it measure how
    many paths join an input pixel to an output."""
    import copy

    m = copy.deepcopy(model).eval()
    if mode is not None:
        P.convert(m, mode)
    for name, mod in list(m.named_modules()):
        if isinstance(mod, nn.MaxPool2d):
            parent = m.get_submodule(name.rsplit(".", 1)[0]) if "." in name else m
            setattr(parent, name.rsplit(".", 1)[-1], nn.AvgPool2d(mod.kernel_size, mod.stride, mod.padding))
    for mod in m.modules():
        if isinstance(mod, nn.Conv2d):
            nn.init.constant_(mod.weight, 1.0 / mod.weight[0].numel())
        elif isinstance(mod, nn.BatchNorm2d):
            mod.reset_parameters()
            mod.reset_running_stats()
    for p in m.parameters():
        p.requires_grad_(False)
    return m


def receptive_field(model: nn.Module) -> list[int]:
    """The receptive field, in input pixels, of each stage of a ``poslib`` backbone (Chapter 1, 2).

    Measured, not computed from a formula: the size of the input region whose gradient reaches the
    centre pixel of each stage's output, on a mode-``zeros`` :func:`window_probe`.
    """
    m = window_probe(model, "zeros")
    size = 257
    x = torch.ones(1, 3, size, size, requires_grad=True)
    fields = []
    for feat in m.stages(x):
        x.grad = None
        c = feat.shape[-1] // 2
        feat[0, :, c, c].sum().backward(retain_graph=True)
        g = x.grad[0].abs().sum(0)
        cols = torch.nonzero(g.sum(0) > 0).flatten()
        fields.append(int(cols.max() - cols.min() + 1))
    return fields


#: The layers PosENet reads in the paper's ImageNet networks: VGG16's ReLUs after conv1_2, conv2_2, conv3_3,
#: conv4_3 and conv5_3, and ResNet-152's four stages.
IMAGENET_TAPS = {"vgg": ("features.3", "features.8", "features.15", "features.22", "features.29"),
                 "resnet": ("layer1", "layer2", "layer3", "layer4")}


def imagenet_backbone(arch: str, pretrained: bool = True) -> nn.Module:
    """The paper's ImageNet VGG16 or ResNet-152 from torchvision, read at :data:`IMAGENET_TAPS` through
    :class:`poslib.taps.Taps`, with the ImageNet mean and std of the weights' own transforms (paper profile).

    ``pretrained=False`` builds the same network with random weights (and the same normalisation), which
    needs no download. The weights come from the local torch cache; when they are not there and cannot be
    downloaded, the error says what to do.
    """
    import torchvision

    from .taps import Taps

    if arch not in IMAGENET_TAPS:
        raise ValueError(f"unknown architecture {arch!r}; choose one of {', '.join(ARCHS)}")
    name, weights = {"vgg": ("vgg16", torchvision.models.VGG16_Weights.IMAGENET1K_V1),
                     "resnet": ("resnet152", torchvision.models.ResNet152_Weights.IMAGENET1K_V1)}[arch]
    try:
        net = torchvision.models.get_model(name, weights=weights if pretrained else None)
    except (OSError, RuntimeError) as err:  # URLError is an OSError
        raise RuntimeError(
            f"could not load torchvision's ImageNet weights for {arch!r} ({err}). The 'paper' profile "
            "needs them: run once on a machine with internet access (they are cached under "
            "~/.cache/torch/hub/checkpoints), or copy the .pth file there, or use POSLIB_PROFILE=book, "
            "which trains its own backbones offline."
        ) from err
    tf = weights.transforms()
    return Taps(net, IMAGENET_TAPS[arch], tf.mean, tf.std)


def small_vit(image_size: int = 80, patch_size: int = 8, layers: int = 4, width: int = 64, heads: int = 4,
              n_classes: int = 10) -> nn.Module:
    """A small torchvision Vision Transformer that runs on a CPU: ``layers`` encoder blocks of ``width``
    channels over (image_size / patch_size)^2 patches, a class token and a learned position embedding."""
    from torchvision.models.vision_transformer import VisionTransformer

    return VisionTransformer(image_size=image_size, patch_size=patch_size, num_layers=layers, num_heads=heads,
                             hidden_dim=width, mlp_dim=2 * width, num_classes=n_classes)


def without_position_embedding(model: nn.Module) -> nn.Module:
    """A copy of a Transformer with every learned position embedding (a parameter whose name contains
    ``pos_embed`` or ``position_embed``) set to zero: its tokens then carry no position of their own."""
    import copy

    out = copy.deepcopy(model)
    found = [name for name, _ in out.named_parameters() if "pos_embed" in name or "position_embed" in name]
    if not found:
        raise ValueError("the model has no parameter named like a position embedding (pos_embed..., "
                         "position_embed...); nothing to remove")
    with torch.no_grad():
        for name, p in out.named_parameters():
            if name in found:
                p.zero_()
    return out
