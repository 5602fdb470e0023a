"""Convolution layers: ``Conv2d`` (as ``torch.nn.Conv2d``)."""

import math

import numpy as np

from ...creation import empty
from ...ops.conv import conv2d
from .. import init
from ..module import Module
from ..parameter import Parameter

__all__ = ["Conv2d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _pair(value):
    if isinstance(value, (list, tuple)):
        return tuple(value) if len(value) == 2 else (value[0], value[0])
    return (value, value)


class Conv2d(Module):
    """A 2-D convolution layer with learnable kernels and bias.

    out[n, o] = bias[o] + sum_c weight[o, c] (*) input[n, c], where (*) is the 2-D
    cross-correlation of ``glassgrad.nn.functional.conv2d`` (stride, padding, dilation, groups).
    Initialised like PyTorch: weight ~ kaiming_uniform(a=sqrt(5)) = U(-1/sqrt(fan_in),
    1/sqrt(fan_in)) and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = C_in/groups*kh*kw,
    drawn from glassgrad's global generator.

    Args:
        in_channels (int): channels of the input image.
        out_channels (int): channels produced (the number of kernels).
        kernel_size (int or tuple): size of each kernel.
        stride (int or tuple): step between windows (default 1).
        padding (int, tuple, 'valid' or 'same'): padding on each side (default 0).
        dilation (int or tuple): spacing between kernel elements (default 1).
        groups (int): channel groups convolved independently (default 1).
        bias (bool): learn an additive bias per output channel (default True).
        padding_mode (str): 'zeros', 'reflect', 'replicate' or 'circular'.

    Shape:
        (N, C_in, H, W) or (C_in, H, W) -> (N, C_out, H_out, W_out) or (C_out, H_out, W_out),
        H_out = floor((H + 2p - d (k - 1) - 1) / s) + 1.

    Example:
        >>> conv = glassgrad.nn.Conv2d(1, 8, 3)
        >>> conv(glassgrad.randn(64, 1, 28, 28)).shape
        glassgrad.Size([64, 8, 26, 26])
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        kernel_size, stride, dilation = _pair(kernel_size), _pair(stride), _pair(dilation)
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                                 "{'valid', 'same'}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        else:
            padding = _pair(padding)
        if padding_mode not in _PADDING_MODES:
            raise ValueError("padding_mode must be one of {'zeros', 'reflect', 'replicate', "
                             f"'circular'}}, but got padding_mode='{padding_mode}'")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.dilation, self.groups, self.padding_mode = dilation, groups, padding_mode
        self.transposed, self.output_padding = False, (0, 0)
        self._reversed_padding_repeated_twice = _reversed_padding(padding, kernel_size,
                                                                  dilation)
        self.weight = Parameter(empty(out_channels, in_channels // groups, *kernel_size,
                                      device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Redraw weight and bias as PyTorch does: kaiming_uniform(a = sqrt(5)), which is
        U(-1/sqrt(fan_in), 1/sqrt(fan_in)), then the bias from the same range."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def _conv_forward(self, input, weight, bias):
        if self.padding_mode != "zeros":
            input = _pad(input, self._reversed_padding_repeated_twice, self.padding_mode)
            return conv2d(input, weight, bias, self.stride, 0, self.dilation, self.groups)
        return conv2d(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)

    def extra_repr(self):
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0,) * len(self.padding):
            text += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            text += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


def _reversed_padding(padding, kernel_size, dilation):
    """[left, right, top, bottom]: PyTorch's ``_reversed_padding_repeated_twice`` (F.pad order)."""
    if isinstance(padding, str):
        if padding == "valid":
            return [0, 0, 0, 0]
        result = []
        for d, k in zip(reversed(dilation), reversed(kernel_size)):
            total = d * (k - 1)
            result += [total // 2, total - total // 2]
        return result
    return (padding[1], padding[1], padding[0], padding[0])


def _source_rows(size, before, after, mode):
    """For each padded position along one axis, the input position it copies."""
    positions = np.arange(-before, size + after)
    if mode == "replicate":
        return np.clip(positions, 0, size - 1)
    if mode == "circular":
        if before > size or after > size:
            raise RuntimeError("Padding value causes wrapping around more than once.")
        return positions % size
    if before >= size or after >= size:  # reflect
        raise RuntimeError(f"Padding size should be less than the corresponding input dimension, "
                           f"but got: padding ({before}, {after}) for an input of size {size}")
    positions = np.abs(positions)
    return np.where(positions >= size, 2 * (size - 1) - positions, positions)


def _pad(input, pad, mode):
    """Pad the last two dims by copying input values (reflect, replicate or circular): an
    indexing, so its gradient adds each copy's gradient back to its source."""
    left, right, top, bottom = pad
    rows = _source_rows(input.shape[-2], top, bottom, mode)
    columns = _source_rows(input.shape[-1], left, right, mode)
    return input[..., rows, :][..., columns]
