"""2-D pooling: ``max_pool2d``, ``avg_pool2d``, ``adaptive_avg_pool2d``.

Max pooling picks one input element per window. Which one is found with NumPy (a loop over the
kh*kw kernel offsets keeping the running maximum, no gradient), and picking it is a gather whose
gradient scatters g back to the chosen elements: dL/dx[k] = sum of g over the windows whose
maximum was x[k].

An average is a sum divided by a count: avg_pool2d is a convolution of each channel with a
kernel of ones (``ops/conv.py``, so its gradient is the transposed convolution) divided by how
many elements each window counted. Adaptive average pooling averages rows and columns
separately, out = A_h @ x @ A_w^T, where row o of A_h holds 1/len over rows
[floor(o H / H_out), ceil((o + 1) H / H_out)).
"""

import numpy as np

from .._dtype import scalar_type_name
from ..autograd.function import Primitive
from ..tensor import Tensor
from .conv import Convolution

__all__ = ["max_pool2d", "avg_pool2d", "adaptive_avg_pool2d"]


def _pair(value, name, op, allow_empty=False):
    """An int or a tuple of one or two ints as a pair; PyTorch's message otherwise."""
    if isinstance(value, (list, tuple)):
        items = list(value)
    else:
        items = [value]
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (int, np.integer)):
            raise TypeError(f"{op}(): argument '{name}' must be tuple of ints, not "
                            f"{type(item).__name__}")
    if len(items) not in (1, 2):
        wording = {"kernel_size": "must either be a single int", "dilation": "must be either a "
                   "single int", "padding": "must either be a single int",
                   "stride": "must either be omitted, a single int"}[name]
        raise RuntimeError(f"{op}: {name} {wording}, or a tuple of two ints")
    return (int(items[0]), int(items[-1]))


def _output_length(size, kernel, pad, stride, dilation, ceil_mode):
    """PyTorch's pooling output length; a last window starting in the right padding is dropped."""
    span = size + 2 * pad - dilation * (kernel - 1) - 1 + (stride - 1 if ceil_mode else 0)
    length = span // stride + 1
    if ceil_mode and (length - 1) * stride >= size + pad:
        length -= 1
    return length


def _check_pool(x, kernel, stride, pad, dilation, ceil_mode, op):
    """Validate in the order of PyTorch's pooling_output_shape and pool2d_shape_check;
    returns (H_out, W_out)."""
    _check_pool_settings(kernel, stride, pad, dilation)
    _check_pool_input(x, op)
    if pad[0] > kernel[0] // 2 or pad[1] > kernel[1] // 2:
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got "
                           f"padW = {pad[1]}, padH = {pad[0]}, kW = {kernel[1]}, kH = {kernel[0]}")
    c, h, w = x.shape[-3:]
    out = tuple(_output_length(size, kernel[a], pad[a], stride[a], dilation[a], ceil_mode)
                for a, size in enumerate((h, w)))
    if out[0] < 1 or out[1] < 1:
        raise RuntimeError(f"Given input size: ({c}x{h}x{w}). Calculated output size: "
                           f"({c}x{out[0]}x{out[1]}). Output size is too small")
    return out


def _check_pool_settings(kernel, stride, pad, dilation):
    """Strides, paddings, kernel sizes and dilations that define a pooling window."""
    for a in range(2):
        if stride[a] == 0:
            raise RuntimeError("stride should not be zero")
        if pad[a] < 0:
            raise RuntimeError(f"pad must be non-negative, but got pad: {pad[a]}")
        if pad[a] > ((kernel[a] - 1) * dilation[a] + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={pad[a]}, kernel_size={kernel[a]} and dilation="
                               f"{dilation[a]}")
    if kernel[0] <= 0 or kernel[1] <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {kernel[0]} "
                           f"kW: {kernel[1]}")
    if stride[0] < 0 or stride[1] < 0:
        raise RuntimeError(f"stride should be greater than zero, but got dH: {stride[0]} dW: "
                           f"{stride[1]}")
    if dilation[0] <= 0 or dilation[1] <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: "
                           f"{dilation[0]} dilationW: {dilation[1]}")


def _check_pool_input(x, op):
    """A non-empty (C, H, W) or (N, C, H, W) input."""
    if x.ndim not in (3, 4):
        if op == "max_pool2d":
            raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
        raise IndexError(f"Dimension out of range (expected to be in range of [{-x.ndim}, "
                         f"{x.ndim - 1}], but got -3)")
    if any(size == 0 for size in x.shape[-3:]):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size "
                           f"for input, but got:{list(x.shape)}")


def _pool_args(input, kernel_size, stride, padding, dilation, ceil_mode, op):
    kernel = _pair(kernel_size, "kernel_size", op)
    stride = kernel if stride is None or (isinstance(stride, (list, tuple)) and not stride) \
        else _pair(stride, "stride", op)
    pad = _pair(padding, "padding", op)
    dilation = _pair(dilation, "dilation", op)
    out = _check_pool(input, kernel, stride, pad, dilation, ceil_mode, op)
    return kernel, stride, pad, dilation, out


def _check_dtype(input, op, refused_kinds):
    """PyTorch's NotImplementedError for dtypes it has no kernel for (bool, uint8)."""
    dtype = input._data.dtype
    if dtype.kind in refused_kinds:
        name = scalar_type_name(dtype)
        raise NotImplementedError(f"\"{op}\" not implemented for '{name}'")


def _lowest(dtype):
    """The value padding takes in max pooling: -inf, or an integer dtype's minimum."""
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _batched(input):
    """(C, H, W) -> (1, C, H, W) and whether to squeeze the result again."""
    return (input.unsqueeze(0), True) if input.ndim == 3 else (input, False)


# ----------------------------------------------------------------------------- max pooling
def _tiles_cover(kernel, stride, pad, dilation, out_size, shape):
    """Whether the windows are disjoint kh x kw tiles lying inside the input: stride equal to
    the kernel, no padding, no dilation, and no ceil_mode window overhanging the edge (a
    remainder of rows or columns that no window reads is fine). The case of nearly every
    network (``MaxPool2d(2)``), which ``_tile_argmax`` handles without the general path's
    padded copy."""
    return (stride == kernel and pad == (0, 0) and dilation == (1, 1)
            and out_size[0] * kernel[0] <= shape[2] and out_size[1] * kernel[1] <= shape[3])


def _tile_argmax(x, kernel, out_size, local_too=True):
    """``_window_argmax`` for disjoint tiles (see ``_tiles_cover``): the input cut into
    (N, C, H_out, kh, W_out, kw) is a view, and window element (i, j) of every window is the
    strided view ``tiles[:, :, :, i, :, j]``, so the work is a few whole-array operations per
    kernel offset, no copy of the input and no loop over windows.

    Same choice as PyTorch: the first maximum in row-major window order, except that a window
    holding NaN reports its last NaN (PyTorch replaces the running maximum by anything larger
    or NaN). The maximum comes from ``np.maximum`` (NaN propagates), then the offset of the first
    element equal to it as off = u0 (1 + u1 (1 + ... u_{K-2})), u_k = (element k != maximum),
    built from the inside out; NaN windows (nothing equals NaN) are fixed up afterwards.
    """
    n, c, h, w = x.shape
    (kh, kw), (h_out, w_out) = kernel, out_size
    tiles = x[:, :, :h_out * kh, :w_out * kw].reshape(n, c, h_out, kh, w_out, kw)
    elements = [tiles[:, :, :, i, :, j] for i in range(kh) for j in range(kw)]
    best = elements[0].copy()
    for value in elements[1:]:
        np.maximum(best, value, out=best)
    offset = np.zeros(best.shape, dtype=np.min_scalar_type(kh * kw))
    for value in reversed(elements[:-1]):
        offset += 1
        offset *= value != best
    if best.dtype.kind == "f":
        nan_windows = np.isnan(best)
        if nan_windows.any():
            for k, value in enumerate(elements):  # ascending: the last NaN wins
                np.copyto(offset, k, where=nan_windows & np.isnan(value))
    within = (np.arange(kh)[:, None] * w + np.arange(kw)).reshape(-1)  # offset -> plane index
    index = within[offset]
    index += (np.arange(h_out) * (kh * w))[:, None] + np.arange(w_out) * kw  # window corners
    local = index.copy() if local_too else None
    index += np.arange(n * c).reshape(n, c, 1, 1) * (h * w)  # the planes' starts
    return local, index, False


def _window_argmax(x, kernel, stride, pad, dilation, out_size, local_too=True):
    """For each window of x (N, C, H, W), where its maximum is: the index into its H*W plane
    (as PyTorch reports it), the flat index into x (one past the end for a dilated window that
    holds no input element) and whether there is any such empty window.

    A loop over the kernel offsets (i, j) keeps the running maximum: like PyTorch, a later
    element replaces it only if strictly larger or NaN; padding (-inf) is never chosen.
    Disjoint tiles (``_tiles_cover``) take the faster ``_tile_argmax``, which skips the plane
    index (None) unless ``local_too``.
    """
    if _tiles_cover(kernel, stride, pad, dilation, out_size, x.shape):
        return _tile_argmax(x, kernel, out_size, local_too)
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, pad, dilation
    h_out, w_out = out_size
    rows = max(h + 2 * ph, dh * (kh - 1) + sh * (h_out - 1) + 1)  # ceil_mode may need more
    columns = max(w + 2 * pw, dw * (kw - 1) + sw * (w_out - 1) + 1)
    fill = _lowest(x.dtype)
    xp = np.full((n, c, rows, columns), fill, dtype=x.dtype)
    xp[:, :, ph:ph + h, pw:pw + w] = x
    top = np.arange(h_out) * sh - ph
    left = np.arange(w_out) * sw - pw
    first_row = np.where(top < 0, top + (-top + dh - 1) // dh * dh, top)  # first row inside
    first_col = np.where(left < 0, left + (-left + dw - 1) // dw * dw, left)
    best_pos = np.broadcast_to(first_row[:, None] * w + first_col, (n, c, h_out, w_out)).copy()
    best = np.full((n, c, h_out, w_out), fill, dtype=x.dtype)
    has_nan = x.dtype.kind == "f" and bool(np.isnan(x).any())
    for i in range(kh):
        for j in range(kw):
            value = xp[:, :, i * dh:i * dh + sh * (h_out - 1) + 1:sh,
                       j * dw:j * dw + sw * (w_out - 1) + 1:sw]
            better = value > best
            if has_nan:
                better |= np.isnan(value)
            np.copyto(best, value, where=better)
            position = (top + i * dh)[:, None] * w + (left + j * dw)
            np.copyto(best_pos, position, where=better)
    planes = np.arange(n * c).reshape(n, c, 1, 1) * (h * w)
    empty = (first_row[:, None] >= h) | (first_col >= w)  # dilated windows that miss the input
    return best_pos, np.where(empty, n * c * h * w, best_pos + planes), bool(empty.any())


class MaxPool2d(Primitive):
    """out = x.flat[index] (the maximum of each window, found beforehand);
    dL/dx = g scatter-added at index (an element that is the maximum of several windows
    collects the gradient of each). With ``fill``, index may also point one past the end of
    x, at a ``fill`` value: the result of a window that holds no input element."""

    _holds_arrays = True  # the indices, dropped after backward

    @staticmethod
    def forward(ctx, x, index, unique=False, fill=None):
        ctx.index, ctx.in_shape, ctx.unique = index, x.shape, unique
        ctx.past_end = fill is not None
        flat = x.reshape(-1)
        if fill is not None:
            flat = np.append(flat, np.array(fill, dtype=x.dtype))
        return flat[index]

    @staticmethod
    def backward(ctx, g):
        return scatter_at(g, ctx.index, ctx.in_shape, ctx.unique, ctx.past_end)

    def name(self):
        return "MaxPool2DWithIndicesBackward0"


class ScatterAt(Primitive):
    """out = zeros(shape) with g added at the flat positions ``index`` (max pooling's
    backward; a position past the end is dropped); its own gradient reads those positions
    back: d/dg = G.flat[index] (0 past the end)."""

    _holds_arrays = True

    @staticmethod
    def forward(ctx, g, index, shape, unique=False, past_end=False):
        ctx.index, ctx.unique, ctx.past_end = index, unique, past_end
        return _scatter(g, index, shape, unique, past_end)

    @staticmethod
    def backward(ctx, grad):
        return MaxPool2d.apply(grad, index=ctx.index, unique=ctx.unique,
                               fill=0 if ctx.past_end else None)

    def name(self):
        return "MaxPool2DWithIndicesBackwardBackward0"


def _scatter(g, index, shape, unique, past_end):
    """zeros(shape) with g added at ``index``; a plain assignment when no index repeats
    (windows that do not overlap), else a sum per position (bincount)."""
    size = int(np.prod(shape))
    if unique:
        out = np.zeros(size + past_end, dtype=g.dtype)
        out[index] = g
    else:
        out = np.bincount(index.reshape(-1), weights=g.reshape(-1), minlength=size + past_end)
        out = out.astype(g.dtype, copy=False)
    return out[:size].reshape(shape)


def scatter_at(g, index, shape, unique, past_end):
    if isinstance(g, Tensor):
        return ScatterAt.apply(g, index=index, shape=shape, unique=unique, past_end=past_end)
    return _scatter(g, index, shape, unique, past_end)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """2-D max pooling: the largest value of each (dilated) window.

    out[n, c, y, x] = max_{i, j} in[n, c, s*y + d*i - p, s*x + d*j - p] (padding never wins).

    Args:
        input (Tensor): (N, C, H, W) or unbatched (C, H, W).
        kernel_size (int or tuple): window size.
        stride (int or tuple, optional): step between windows (default: kernel_size).
        padding (int or tuple): implicit -inf added on each side, at most half the kernel.
        dilation (int or tuple): spacing between window elements.
        ceil_mode (bool): round the output size up (a last partial window is kept).
        return_indices (bool): also return, per output, the flat index into its H*W plane.

    Shape:
        (N, C, H, W) -> (N, C, H_out, W_out),
        H_out = floor((H + 2p - d (k - 1) - 1) / s) + 1 (ceil with ``ceil_mode``).

    Example:
        >>> x = glassgrad.arange(16.0).reshape(1, 1, 4, 4)
        >>> glassgrad.nn.functional.max_pool2d(x, 2)
        tensor([[[[ 5.,  7.],
                  [13., 15.]]]])
    """
    _check_dtype(input, "max_pool2d", "b")
    kernel, stride, pad, dilation, out_size = _pool_args(input, kernel_size, stride, padding,
                                                         dilation, ceil_mode, "max_pool2d")
    x, unbatched = _batched(input)
    local, index, any_empty = _window_argmax(x._data, kernel, stride, pad, dilation, out_size,
                                             local_too=return_indices)
    unique = all(s >= d * (k - 1) + 1 for s, d, k in zip(stride, dilation, kernel))
    fill = _lowest(x._data.dtype) if any_empty else None  # an empty window gives -inf
    out = MaxPool2d.apply(x, index=index, unique=unique, fill=fill)  # unique: no overlap
    if not return_indices:
        return out.squeeze(0) if unbatched else out
    indices = Tensor._make(local.astype(np.int64, copy=False))
    if unbatched:
        out, indices = out.squeeze(0), indices.squeeze(0)
    return out, indices


# ----------------------------------------------------------------------------- average pooling
def _window_counts(size, kernel, pad, stride, length, include_pad):
    """How many elements each window counts along one axis (PyTorch's divisor, factorised):
    clipped to the padded input with ``include_pad``, else to the input itself."""
    start = np.arange(length) * stride - pad
    end = np.minimum(start + kernel, size + pad)
    if include_pad:
        return end - start
    return np.minimum(end, size) - np.maximum(start, 0)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """2-D average pooling: the mean of each window.

    out[n, c, y, x] = (1 / count) sum_{i, j} in[n, c, s*y + i - p, s*x + j - p], with count
    the window's size within the padded input (``count_include_pad``), within the input
    (otherwise) or ``divisor_override``. Computed as a convolution with a kernel of ones.

    Args:
        input (Tensor): (N, C, H, W) or unbatched (C, H, W).
        kernel_size (int or tuple): window size.
        stride (int or tuple, optional): step between windows (default: kernel_size).
        padding (int or tuple): implicit zeros on each side, at most half the kernel.
        ceil_mode (bool): round the output size up.
        count_include_pad (bool): count padded zeros in the divisor.
        divisor_override (int, optional): divide every sum by this instead.

    Shape:
        (N, C, H, W) -> (N, C, H_out, W_out), H_out = floor((H + 2p - k) / s) + 1.

    Example:
        >>> x = glassgrad.arange(16.0).reshape(1, 1, 4, 4)
        >>> glassgrad.nn.functional.avg_pool2d(x, 2)
        tensor([[[[ 2.5000,  4.5000],
                  [10.5000, 12.5000]]]])
    """
    _check_dtype(input, "avg_pool2d", "bu")
    kernel, stride, pad, _, (h_out, w_out) = _pool_args(input, kernel_size, stride, padding, 1,
                                                        ceil_mode, "avg_pool2d")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    x, unbatched = _batched(input)
    n, c, h, w = x.shape
    extra = [max(0, k + s * (o - 1) - size - 2 * p)
             for k, s, o, size, p in zip(kernel, stride, (h_out, w_out), (h, w), pad)]
    padding = ((pad[0], pad[0] + extra[0]), (pad[1], pad[1] + extra[1]))
    ones = Tensor._make(np.ones((1, 1) + kernel, dtype=x._data.dtype))
    sums = Convolution.apply(x.reshape(n * c, 1, h, w), ones, None, stride=stride,
                             padding=padding, dilation=(1, 1), groups=1)
    if divisor_override is not None:
        count = np.array(divisor_override)
    else:
        rows = _window_counts(h, kernel[0], pad[0], stride[0], h_out, count_include_pad)
        cols = _window_counts(w, kernel[1], pad[1], stride[1], w_out, count_include_pad)
        count = np.outer(rows, cols)
    sums = sums.reshape(n, c, h_out, w_out)
    if x._data.dtype.kind == "f":
        out = sums / Tensor._make(count.astype(x._data.dtype))
    else:  # integers: C's truncating division, as PyTorch
        total = sums._data
        out = Tensor._make((np.sign(total) * (np.abs(total) // count)).astype(total.dtype))
    return out.squeeze(0) if unbatched else out


def _averaging_matrix(size, length, dtype):
    """(length, size): row o averages input positions [floor(o*size/length),
    ceil((o+1)*size/length))."""
    o = np.arange(length)
    start = (o * size) // length
    end = -((-(o + 1) * size) // length)
    positions = np.arange(size)
    inside = (positions >= start[:, None]) & (positions < end[:, None])
    return Tensor._make((inside / (end - start)[:, None]).astype(dtype))


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed output size, whatever the input size.

    out[n, c, y, x] = mean of in[n, c, rows(y), cols(x)], rows(y) = [floor(y H / H_out),
    ceil((y + 1) H / H_out)); computed as A_h @ in @ A_w^T with averaging matrices.

    Args:
        input (Tensor): (N, C, H, W) or unbatched (C, H, W).
        output_size (int or tuple): (H_out, W_out); None in the tuple keeps that input size.

    Shape:
        (N, C, H, W) -> (N, C, H_out, W_out).

    Example:
        >>> x = glassgrad.arange(16.0).reshape(1, 1, 4, 4)
        >>> glassgrad.nn.functional.adaptive_avg_pool2d(x, 1)
        tensor([[[[7.5000]]]])
    """
    if isinstance(output_size, (list, tuple)):
        if len(output_size) != 2:
            raise RuntimeError("adaptive_avg_pool2d: output_size must be 2")
        size = list(output_size)
    else:
        size = [output_size, output_size]
    if input.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got "
                           f"{list(input.shape)}")
    size = [input.shape[-2 + a] if s is None else int(s) for a, s in enumerate(size)]
    if size[0] < 0 or size[1] < 0:
        raise RuntimeError("adaptive_avg_pool2d: elements of output_size must be greater than "
                           f"or equal to 0 but received {{{size[0]}, {size[1]}}}")
    for dim in range(1, input.ndim):
        if input.shape[dim] == 0:
            raise RuntimeError("adaptive_avg_pool2d(): Expected input to have non-zero size for "
                               f"non-batch dimensions, but input has sizes {list(input.shape)} "
                               f"with dimension {dim} being empty")
    _check_dtype(input, "adaptive_avg_pool2d", "biu")
    dtype = input._data.dtype
    rows = _averaging_matrix(input.shape[-2], size[0], dtype)
    cols = _averaging_matrix(input.shape[-1], size[1], dtype)
    return rows @ input @ cols.mT
