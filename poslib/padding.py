"""Convolutions with a chosen border behaviour (Chapter 1, Chapter 2 and later).

A convolution must decide what lies beyond the image edge. :data:`MODES` lists the choices:

* ``zeros``     pad with zeros (PyTorch's default; the paper's VGG and ResNet);
* ``reflect``   mirror the image without repeating the edge pixel (PyTorch ``reflect``, not SYMMETRIC);
* ``replicate`` repeat the edge pixel;
* ``circular``  wrap around, as if the image tiled the plane;
* ``extrapolate`` continue the image linearly across the border (see :func:`poslib.extrapolate.pad`): an estimate of
  what lies beyond it from the nearest pixels rather than a constant or a mirror, after the idea of
  estimating padded values from neighbouring valid ones against boundary artefacts in deep-learning QSM
  (J. Liu, ISMRM 2022, abstract 3923);
* ``partial``   zero padding, with each output re-weighted by (window size / in-image pixels in the window),
  NVIDIA's partial-convolution formula, so border outputs are not darkened by the zeros;
* ``valid``     no padding at all: every k x k convolution shrinks the map by k - 1;
* ``full``      zero padding of k - 1 on each side: the map grows by k - 1;
* ``resize``    the authors' "no padding" emulation (PermuteNet): bilinearly up-sample the input by
  k - 1 pixels, then a valid convolution, so the map keeps its size without padded values.
"""
from __future__ import annotations

from typing import Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import extrapolate

MODES: tuple[str, ...] = ("zeros", "reflect", "replicate", "circular", "partial", "valid", "full", "resize",
                          "extrapolate")
SAME_SIZE_MODES: tuple[str, ...] = ("zeros", "reflect", "replicate", "circular", "partial", "resize", "extrapolate")
#: Modes that pad a map with its own pixels (copied or estimated), never with a constant.
PIXEL_MODES: tuple[str, ...] = ("reflect", "replicate", "circular", "extrapolate")


def check_mode(mode: str) -> str:
    """Return ``mode`` if it is a padding mode, else raise a ValueError that lists them (Chapter 1)."""
    if mode not in MODES:
        hint = " (PyTorch spells zero padding 'zeros')" if mode in ("zero", "constant") else ""
        raise ValueError(f"unknown padding mode {mode!r}{hint}; choose one of {', '.join(MODES)}")
    return mode


def _pair(v: Union[int, tuple]) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else tuple(v)  # type: ignore[return-value]


class BorderConv2d(nn.Conv2d):
    """A 2-D convolution whose border behaviour is one of :data:`MODES` (Chapter 1).

    It holds the same parameters as :class:`torch.nn.Conv2d`, so weights move freely between the two;
    only the handling of the border differs, and ``mode`` can be switched after construction.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, mode: str = "zeros",
                 stride=1, bias: bool = True, groups: int = 1):
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, padding=0, bias=bias,
                         groups=groups)
        self.mode = check_mode(mode)
        # pad width: None = "same" size ((k - 1) / 2 each side), an int on every side, or (rows, columns)
        self.width: int | tuple[int, int] | None = None
        self._mask_cache: dict = {}

    def extra_repr(self) -> str:
        return super().extra_repr() + f", mode={self.mode}" + ("" if self.width is None else f", width={self.width}")

    def _same_pad(self) -> tuple[int, int, int, int]:
        if self.width is not None:
            h, w = _pair(self.width)
            return (w, w, h, h)
        kh, kw = self.kernel_size
        dh, dw = self.dilation
        th, tw = dh * (kh - 1), dw * (kw - 1)
        return (tw // 2, tw - tw // 2, th // 2, th - th // 2)  # left, right, top, bottom

    def _conv(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)

    def _partial_ratio(self, x: torch.Tensor, pad: tuple[int, int, int, int]) -> torch.Tensor:
        key = (x.shape[-2], x.shape[-1], pad, x.device, x.dtype)
        ratio = self._mask_cache.get(key)
        if ratio is None:
            ones = torch.ones(1, 1, x.shape[-2], x.shape[-1], device=x.device, dtype=x.dtype)
            window = torch.ones(1, 1, *self.kernel_size, device=x.device, dtype=x.dtype)
            count = F.conv2d(F.pad(ones, pad), window, None, self.stride, 0, self.dilation)
            # a window that holds no image pixel at all gives 0, as the partial-convolution reference does
            ratio = torch.where(count > 0, window.numel() / count.clamp(min=1e-8), torch.zeros_like(count))
            self._mask_cache = {key: ratio}
        return ratio

    def border(self, x: torch.Tensor) -> torch.Tensor:
        """The input as the (unpadded) convolution sees it: padded, or stretched for ``resize`` (Ch. 1, 2)."""
        if x.dim() != 4:
            raise ValueError(f"BorderConv2d expects a (N, C, H, W) batch, got shape {tuple(x.shape)}")
        mode = self.mode
        if mode == "valid":
            return x
        kh, kw = self.kernel_size
        dh, dw = self.dilation
        th, tw = dh * (kh - 1), dw * (kw - 1)
        if mode == "full":
            return F.pad(x, (tw, tw, th, th))
        if mode == "resize":
            size = (x.shape[-2] + th, x.shape[-1] + tw)
            if size == tuple(x.shape[-2:]):
                return x
            return F.interpolate(x, size=size, mode="bilinear", align_corners=False)
        pad = self._same_pad()
        if mode == "extrapolate":
            return extrapolate.pad(x, pad)
        return F.pad(x, pad) if mode in ("zeros", "partial") else F.pad(x, pad, mode=mode)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        out = self._conv(self.border(x))
        if self.mode == "partial":
            pad = self._same_pad()
            if any(pad):
                ratio = self._partial_ratio(x, pad)
                if self.bias is None:
                    return out * ratio
                b = self.bias.view(1, -1, 1, 1)
                out = (out - b) * ratio + b * (ratio > 0)
        return out


def conv2d(in_ch: int, out_ch: int, kernel_size: int, mode: str = "zeros", stride: int = 1,
           bias: bool = True) -> BorderConv2d:
    """A k x k convolution layer with the border behaviour ``mode`` (Chapter 1, Chapter 2)."""
    return BorderConv2d(in_ch, out_ch, kernel_size, mode=mode, stride=stride, bias=bias)


class BorderPool2d(nn.Module):
    """A max- or average-pooling layer whose padding follows a padding ``mode`` (made by :func:`convert`).

    ``circular``, ``reflect``, ``replicate`` and ``extrapolate`` pad the pooling input with that rule, then pool without
    padding; ``valid`` pools without padding; every other mode keeps PyTorch's own padding of the pool
    (minus infinity for max-pooling, zeros for average pooling), so converting back to ``zeros`` restores it.
    """

    def __init__(self, pool: nn.Module, mode: str = "zeros"):
        super().__init__()
        if not isinstance(pool, (nn.MaxPool2d, nn.AvgPool2d)):
            raise TypeError(f"BorderPool2d wraps nn.MaxPool2d or nn.AvgPool2d, got {type(pool).__name__}")
        self.pool = pool
        self.padding = _pair(pool.padding)
        self.mode = check_mode(mode)

    def extra_repr(self) -> str:
        return f"mode={self.mode}, padding={self.padding}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        h, w = self.padding
        pad = self.padding
        if self.mode in PIXEL_MODES + ("valid",):
            if self.mode == "extrapolate":
                x = extrapolate.pad(x, (w, w, h, h))
            elif self.mode != "valid":
                x = F.pad(x, (w, w, h, h), mode=self.mode)
            pad = (0, 0)
        p = self.pool
        if isinstance(p, nn.MaxPool2d):
            return F.max_pool2d(x, p.kernel_size, p.stride, pad, p.dilation, p.ceil_mode, p.return_indices)
        return F.avg_pool2d(x, p.kernel_size, p.stride, pad, p.ceil_mode, p.count_include_pad, p.divisor_override)


def _border_conv_like(conv: nn.Conv2d, mode: str) -> BorderConv2d:
    """A :class:`BorderConv2d` sharing ``conv``'s parameters and keeping its own padding amount."""
    new = BorderConv2d(conv.in_channels, conv.out_channels, conv.kernel_size, mode=mode, stride=conv.stride,
                       bias=conv.bias is not None, groups=conv.groups)
    new.dilation = conv.dilation
    if conv.padding == "valid":
        new.width = 0
    elif conv.padding != "same":  # "same" is the BorderConv2d default (width None)
        h, w = _pair(conv.padding)
        new.width = None if (w, w, h, h) == new._same_pad() else (h if h == w else (h, w))
    new.weight = conv.weight
    if conv.bias is not None:
        new.bias = conv.bias
    return new.to(conv.weight.device)


def convert(model: nn.Module, mode: str) -> nn.Module:
    """Switch every convolution and every padded pooling layer of ``model`` to padding ``mode``, in place,
    and return it.

    Plain :class:`torch.nn.Conv2d` layers (a torchvision model, say) become :class:`BorderConv2d` layers that
    share their weights and keep their own padding amount (a ``Conv2d(k=3, padding=0)`` stays unpadded);
    max- and average-pooling layers with padding become :class:`BorderPool2d`, so a converted network is
    shift-invariant under ``circular`` as a whole. ``valid`` and ``full`` change map sizes, which a network
    with skip connections must be built to accept (``poslib.models`` networks are).
    """
    check_mode(mode)
    if isinstance(model, (BorderConv2d, BorderPool2d)):
        model.mode = mode
        return model
    if isinstance(model, nn.Conv2d):
        raise TypeError("convert() switches the convolutions inside a model; for a single nn.Conv2d, build a "
                        "BorderConv2d with poslib.padding.conv2d and load its state_dict")
    for name, child in list(model.named_children()):
        if isinstance(child, (BorderConv2d, BorderPool2d)):
            child.mode = mode
        elif isinstance(child, nn.Conv2d):
            setattr(model, name, _border_conv_like(child, mode))
        elif isinstance(child, (nn.MaxPool2d, nn.AvgPool2d)) and any(_pair(child.padding)):
            setattr(model, name, BorderPool2d(child, mode))
        else:
            convert(child, mode)
    return model


def modes_of(model: nn.Module) -> set[str]:
    """The set of padding modes used by the convolutions of ``model`` (Chapter 2)."""
    return {m.mode for m in model.modules() if isinstance(m, (BorderConv2d, BorderPool2d))}


def set_width(model: nn.Module, width: int, first_only: bool = False) -> nn.Module:
    """Pad ``width`` pixels on each side in every k x k (k > 1) convolution of ``model``, or only the first (Ch. 2).

    Width 0 is a valid convolution, width (k - 1) / 2 keeps the size, larger widths grow the map. Applies to
    the padding modes that add pixels (zeros, reflect, replicate, circular, partial, extrapolate); returns the model.
    """
    if width < 0:
        raise ValueError(f"pad width must be >= 0, got {width}")
    convs = [m for m in model.modules() if isinstance(m, BorderConv2d) and max(m.kernel_size) > 1]
    if not convs:
        raise ValueError("the model has no BorderConv2d with a kernel larger than 1x1; build it with poslib")
    for conv in convs[:1] if first_only else convs:
        conv.width = width
        conv._mask_cache = {}
    return model


def border_view(image: torch.Tensor, mode: str, kernel_size: int = 3) -> torch.Tensor:
    """What a k x k convolution with padding ``mode`` sees of a (1, 1, H, W) image: the padded grid (Ch. 2).

    ``valid`` returns the image itself, ``full`` a (k - 1)-pixel frame of zeros, ``resize`` the stretched
    image, ``partial`` its zero frame (the re-weighting happens after the convolution). Returns (H', W').
    """
    if image.dim() != 4 or image.shape[:2] != (1, 1):
        raise ValueError(f"border_view expects a (1, 1, H, W) image, got {tuple(image.shape)}")
    return conv2d(1, 1, kernel_size, mode, bias=False).border(image)[0, 0].detach()
