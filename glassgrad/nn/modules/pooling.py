"""Pooling layers: ``MaxPool2d``, ``AvgPool2d``, ``AdaptiveAvgPool2d`` (as ``torch.nn``).

They hold no parameters: each stores its settings (shown in ``repr``) and calls the function of
the same name in ``glassgrad.nn.functional``.
"""

from ...ops.pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from ..module import Module

__all__ = ["MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d"]


class MaxPool2d(Module):
    """2-D max pooling: the largest value of each window.

    out[n, c, y, x] = max_{i, j} input[n, c, s*y + d*i - p, s*x + d*j - p].

    Args:
        kernel_size (int or tuple): window size.
        stride (int or tuple, optional): step between windows (default: kernel_size).
        padding (int or tuple): implicit -inf on each side, at most half the kernel.
        dilation (int or tuple): spacing between window elements.
        return_indices (bool): also return the position of each maximum (for MaxUnpool2d).
        ceil_mode (bool): round the output size up instead of down.

    Shape:
        (N, C, H, W) or (C, H, W) -> (N, C, H_out, W_out) or (C, H_out, W_out),
        H_out = floor((H + 2p - d (k - 1) - 1) / s) + 1.

    Example:
        >>> pool = glassgrad.nn.MaxPool2d(2)
        >>> pool(glassgrad.randn(64, 8, 26, 26)).shape
        glassgrad.Size([64, 8, 13, 13])
    """

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input):
        return max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                          ceil_mode=self.ceil_mode, return_indices=self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """2-D average pooling: the mean of each window.

    out[n, c, y, x] = (1 / count) sum_{i, j} input[n, c, s*y + i - p, s*x + j - p], count
    being the window size (padding included if ``count_include_pad``) or ``divisor_override``.

    Args:
        kernel_size (int or tuple): window size.
        stride (int or tuple, optional): step between windows (default: kernel_size).
        padding (int or tuple): implicit zeros on each side, at most half the kernel.
        ceil_mode (bool): round the output size up instead of down.
        count_include_pad (bool): count the padded zeros in the divisor (default True).
        divisor_override (int, optional): divide every window sum by this number.

    Shape:
        (N, C, H, W) or (C, H, W) -> (N, C, H_out, W_out) or (C, H_out, W_out),
        H_out = floor((H + 2p - k) / s) + 1.

    Example:
        >>> pool = glassgrad.nn.AvgPool2d(2)
        >>> pool(glassgrad.ones(1, 1, 4, 4))
        tensor([[[[1., 1.],
                  [1., 1.]]]])
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input):
        return avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """2-D average pooling to a fixed output size, whatever the input size.

    out[n, c, y, x] = mean of input[n, c, floor(y H / H_out) : ceil((y + 1) H / H_out),
    floor(x W / W_out) : ceil((x + 1) W / W_out)].

    Args:
        output_size (int or tuple): (H_out, W_out); None in the tuple keeps that input size.

    Shape:
        (N, C, H, W) or (C, H, W) -> (N, C, H_out, W_out) or (C, H_out, W_out).

    Example:
        >>> pool = glassgrad.nn.AdaptiveAvgPool2d((1, 1))
        >>> pool(glassgrad.randn(8, 16, 5, 7)).shape
        glassgrad.Size([8, 16, 1, 1])
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"
