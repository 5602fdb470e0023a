"""2-D convolution (``conv2d``) as im2col and one matrix product, with its two adjoints.

A convolution slides a (C_in/groups, kh, kw) kernel over the input. Laid out as columns, every
window becomes one column of a matrix ``cols`` of shape (C_in*kh*kw, N*H_out*W_out) (im2col,
here a strided view of the padded input copied once), and the whole layer is one product:

    out = W @ cols        W: (C_out, C_in*kh*kw)

The chain rule then gives two more products, each with its own primitive so that a
differentiable backward (``create_graph=True``) works to any order:

    dL/dW    = g @ cols^T                          (ConvWeightGrad: linear in x and in g)
    dL/dcols = W^T @ g,  dL/dx = col2im(dL/dcols)   (ConvInputGrad: the transposed convolution)

col2im adds each window's gradient back where the window was read, one kernel offset (i, j) at a
time: a loop over the kh*kw offsets, never over pixels or channels; with stride 1 each of those
additions is one contiguous slice (``_shifted_input_grad``). Groups split the channels into
independent convolutions; they become the batch axis of the same matrix product.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..autograd.function import Primitive
from ..tensor import Tensor
from ._conv_checks import check_conv, conv_padding, int_tuple

__all__ = ["conv2d"]


# ----------------------------------------------------------------------------- array helpers
def _padded(x, padding):
    """``x`` (N, C, H, W) with ((top, bottom), (left, right)) rows/columns of zeros added."""
    (top, bottom), (left, right) = padding
    if not (top or bottom or left or right):
        return x
    n, c, h, w = x.shape
    out = np.zeros((n, c, h + top + bottom, w + left + right), dtype=x.dtype)
    out[:, :, top:top + h, left:left + w] = x
    return out


def _windows(xp, kernel, stride, dilation):
    """Every window of the padded input as a view (N, C, H_out, W_out, kh, kw)."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    spread = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)  # the kernel's reach with dilation
    view = sliding_window_view(xp, spread, axis=(2, 3))
    return view[:, :, ::sh, ::sw, ::dh, ::dw]


def _im2col(x, kernel, stride, padding, dilation, groups):
    """The windows as columns: (G, C_in/G*kh*kw, N*H_out*W_out), one copy of the input."""
    win = _windows(_padded(x, padding), kernel, stride, dilation)
    n, c, h_out, w_out, kh, kw = win.shape
    win = win.reshape(n, groups, c // groups, h_out, w_out, kh, kw)
    return win.transpose(1, 2, 5, 6, 0, 3, 4).reshape(groups, c // groups * kh * kw,
                                                      n * h_out * w_out)


def _grouped_weight(w, groups):
    """The kernel as a stack of matrices (G, C_out/G, C_in/G*kh*kw)."""
    return w.reshape(groups, w.shape[0] // groups, int(np.prod(w.shape[1:])))


def _grouped_output(g, groups):
    """The output (or its gradient) (N, C_out, Ho, Wo) as matrices (G, C_out/G, N*Ho*Wo),
    contiguous (a broadcast gradient, such as that of ``sum()``, would keep BLAS away)."""
    n, c, h, w = g.shape
    matrices = g.reshape(n, groups, c // groups, h * w).transpose(1, 2, 0, 3)
    return np.ascontiguousarray(matrices).reshape(groups, c // groups, n * h * w)


def _conv(x, w, stride, padding, dilation, groups, cols=None, bias=None):
    """out[n, o] = sum_{c, i, j} w[o, c, i, j] x_padded[n, c, s*y + d*i, s*x + d*j] (+ bias[o]:
    added by the copy that puts the product in (N, C_out, ...) order, not in a pass of its own)."""
    if cols is None:
        cols = _im2col(x, w.shape[2:], stride, padding, dilation, groups)
    n = x.shape[0]
    h_out, w_out = _output_size(x.shape[2:], w.shape[2:], stride, padding, dilation)
    out = np.matmul(_grouped_weight(w, groups), cols)  # (G, C_out/G, N*Ho*Wo): the one product
    out = out.reshape(w.shape[0], n, h_out, w_out).transpose(1, 0, 2, 3)
    if bias is None:
        return np.ascontiguousarray(out)
    result = np.empty(out.shape, dtype=np.result_type(out, bias))
    np.add(out, bias.reshape(1, -1, 1, 1), out=result)
    return result


def _output_size(size, kernel, stride, padding, dilation):
    return tuple((size[a] + sum(padding[a]) - dilation[a] * (kernel[a] - 1) - 1) // stride[a] + 1
                 for a in range(2))


def _col2im(gcols, shape, stride, padding, dilation):
    """The adjoint of im2col: gcols (C, kh, kw, N, Ho, Wo) summed back into shape (N, C, H, W),
    each window's gradient added where the window read the input."""
    c, kh, kw, n, h_out, w_out = gcols.shape
    (sh, sw), (dh, dw), ((top, bottom), (left, right)) = stride, dilation, padding
    h, w = shape[2:]
    grad = np.zeros((c, n, h + top + bottom, w + left + right), dtype=gcols.dtype)
    for i in range(kh):  # one strided add per kernel offset
        for j in range(kw):
            rows = slice(i * dh, i * dh + sh * (h_out - 1) + 1, sh)
            columns = slice(j * dw, j * dw + sw * (w_out - 1) + 1, sw)
            grad[:, :, rows, columns] += gcols[:, i, j]
    return np.ascontiguousarray(grad[:, :, top:top + h, left:left + w].transpose(1, 0, 2, 3))


def _conv_input_grad(g, w, x_shape, stride, padding, dilation, groups):
    """dL/dx of a convolution: dL/dcols = W^T @ g, then col2im (a transposed convolution).
    Stride 1 takes ``_shifted_input_grad`` (if W is finite, as that needs)."""
    if tuple(stride) == (1, 1) and (w.dtype.kind != "f" or np.isfinite(w).all()):
        return _shifted_input_grad(g, w, x_shape, padding, dilation, groups)
    n, _, h_out, w_out = g.shape
    kh, kw = w.shape[2:]
    gcols = np.matmul(_grouped_weight(w, groups).transpose(0, 2, 1), _grouped_output(g, groups))
    gcols = gcols.reshape(x_shape[1], kh, kw, n, h_out, w_out)
    return _col2im(gcols, x_shape, stride, padding, dilation)


def _shifted_input_grad(g, w, x_shape, padding, dilation, groups):
    """dL/dx for stride 1, with col2im's additions along whole rows of dL/dcols.

    ``_col2im`` adds W_out elements at a time, and for small images that loop over rows costs
    more than the product. With stride 1, window element (i, j) of the output pixel at
    position q = y*Wp + x of the flattened padded input (Hp x Wp) is the input at q + s,
    s = i*dh*Wp + j*dw. So with g laid out in zero padded Hp x Wp planes, (C_out, N*Hp*Wp),
    row (c, i, j) of dL/dcols = W^T @ g is laid out like input channel c, and adding it back is
    one contiguous slice addition, shifted by s. The price: a product over N*Hp*Wp columns
    instead of N*H_out*W_out. The extra ones (g zero there) give zero, as long as W is
    finite (0 * inf is NaN), and land wherever they land.
    """
    n, c, h, w_in = x_shape
    c_out, h_out, w_out = g.shape[1:]
    (top, bottom), (left, right) = padding
    hp, wp = h + top + bottom, w_in + left + right
    size = n * hp * wp
    spread = np.zeros((c_out, n, hp, wp), dtype=g.dtype)
    spread[:, :, :h_out, :w_out] = g.transpose(1, 0, 2, 3)
    weight = _grouped_weight(w, groups).transpose(0, 2, 1)  # (G, C_in/G*kh*kw, C_out/G)
    gcols = np.matmul(weight, spread.reshape(groups, c_out // groups, size))
    (kh, kw), (dh, dw) = w.shape[2:], dilation
    gcols = gcols.reshape(c, kh * kw, size)
    grad = np.zeros((c, size), dtype=gcols.dtype)
    for k in range(kh * kw):  # one contiguous add per kernel offset
        shift = k // kw * dh * wp + k % kw * dw
        grad[:, shift:] += gcols[:, k, :size - shift]
    grad = grad.reshape(c, n, hp, wp)[:, :, top:top + h, left:left + w_in]
    return np.ascontiguousarray(grad.transpose(1, 0, 2, 3))


def _conv_weight_grad(x, g, w_shape, stride, padding, dilation, groups, cols=None):
    """dL/dW of a convolution: g @ cols^T, one product batched over the groups."""
    if cols is None:
        cols = _im2col(x, w_shape[2:], stride, padding, dilation, groups)
    grad = np.matmul(_grouped_output(g, groups), cols.transpose(0, 2, 1))
    return grad.reshape(w_shape)


# ----------------------------------------------------------------------------- primitives
def _params(ctx):
    return dict(stride=ctx.stride, padding=ctx.padding, dilation=ctx.dilation, groups=ctx.groups)


def _keep_params(ctx, stride, padding, dilation, groups):
    ctx.stride, ctx.padding, ctx.dilation, ctx.groups = stride, padding, dilation, groups


def _tensor_io(*values):
    return any(isinstance(v, Tensor) for v in values)


def conv_input_grad(g, w, x_shape, **params):
    """dL/dx for output gradient g; differentiable when given Tensors."""
    if _tensor_io(g, w):
        return ConvInputGrad.apply(g, w, x_shape=x_shape, **params)
    return _conv_input_grad(g, w, x_shape, **params)


def conv_weight_grad(x, g, w_shape, **params):
    """dL/dW for input x and output gradient g; differentiable when given Tensors."""
    if _tensor_io(x, g):
        return ConvWeightGrad.apply(x, g, w_shape=w_shape, **params)
    return _conv_weight_grad(x, g, w_shape, **params)


def _convolve(x, w, **params):
    """The convolution without bias; differentiable when given Tensors."""
    if _tensor_io(x, w):
        return Convolution.apply(x, w, None, **params)
    return _conv(x, w, **params)


class Convolution(Primitive):
    """out = W (*) x + b;  dL/dx = W^T (*) g (transposed conv),  dL/dW = g (*) x,
    dL/db = sum of g over batch and pixels."""

    _holds_arrays = True  # the im2col matrix, reused by the weight gradient

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation, groups):
        need_x, need_w = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        cols = _im2col(x, w.shape[2:], stride, padding, dilation, groups)
        out = _conv(x, w, stride, padding, dilation, groups, cols=cols, bias=b)
        ctx.save_for_backward(x if need_w else None, w if need_x else None)
        ctx.cols = cols if need_w else None
        ctx.x_shape, ctx.w_shape = x.shape, w.shape
        _keep_params(ctx, stride, padding, dilation, groups)
        return out

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        params = _params(ctx)
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_x = conv_input_grad(g, w, ctx.x_shape, **params)
        if ctx.needs_input_grad[1]:
            if isinstance(g, Tensor):
                grad_w = conv_weight_grad(x, g, ctx.w_shape, **params)
            else:
                grad_w = _conv_weight_grad(x, g, ctx.w_shape, cols=ctx.cols, **params)
        if ctx.needs_input_grad[2]:
            grad_b = g.sum((0, 2, 3))
        return grad_x, grad_w, grad_b

    def name(self):
        return "ConvolutionBackward0"


class ConvInputGrad(Primitive):
    """gx = W^T (*) g (a transposed convolution), linear in g and in W:
    dL/dg = W (*) G (the forward convolution),  dL/dW = g (*) G (a weight gradient)."""

    @staticmethod
    def forward(ctx, g, w, x_shape, stride, padding, dilation, groups):
        ctx.save_for_backward(g, w)
        _keep_params(ctx, stride, padding, dilation, groups)
        return _conv_input_grad(g, w, x_shape, stride, padding, dilation, groups)

    @staticmethod
    def backward(ctx, grad):
        g, w = ctx.saved_tensors
        params = _params(ctx)
        grad_g = _convolve(grad, w, **params) if ctx.needs_input_grad[0] else None
        grad_w = conv_weight_grad(grad, g, w.shape, **params) if ctx.needs_input_grad[1] \
            else None
        return grad_g, grad_w

    def name(self):
        return "ConvolutionBackwardBackward0"


class ConvWeightGrad(Primitive):
    """gW = g (*) x, linear in x and in g:
    dL/dx = G^T (*) g (a transposed convolution),  dL/dg = G (*) x (the forward convolution)."""

    @staticmethod
    def forward(ctx, x, g, w_shape, stride, padding, dilation, groups):
        ctx.save_for_backward(x, g)
        _keep_params(ctx, stride, padding, dilation, groups)
        return _conv_weight_grad(x, g, w_shape, stride, padding, dilation, groups)

    @staticmethod
    def backward(ctx, grad):
        x, g = ctx.saved_tensors
        params = _params(ctx)
        grad_x = conv_input_grad(g, grad, x.shape, **params) if ctx.needs_input_grad[0] \
            else None
        grad_g = _convolve(x, grad, **params) if ctx.needs_input_grad[1] else None
        return grad_x, grad_g

    def name(self):
        return "ConvolutionBackwardBackward0"


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation, as in PyTorch) over a batch of images.

    out[n, o, y, x] = b[o] + sum_{c, i, j} W[o, c, i, j] * in[n, g*C/G + c, s*y + d*i - p,
    s*x + d*j - p], where g is the group of output channel o; computed as im2col and one
    matrix product.

    Args:
        input (Tensor): (N, C_in, H, W) or unbatched (C_in, H, W).
        weight (Tensor): the kernels, (C_out, C_in / groups, kh, kw).
        bias (Tensor, optional): (C_out,), added to every pixel of each output channel.
        stride (int or tuple): step between windows.
        padding (int, tuple, 'valid' or 'same'): zeros added on each side; 'same' keeps the
            size (stride 1 only; an odd total goes to the bottom/right).
        dilation (int or tuple): spacing between kernel elements.
        groups (int): split channels into this many independent convolutions.

    Shape:
        (N, C_in, H, W) -> (N, C_out, H_out, W_out) with
        H_out = floor((H + 2p - d (kh - 1) - 1) / s) + 1 (likewise W_out).

    Example:
        >>> x = glassgrad.randn(1, 3, 8, 8)
        >>> glassgrad.nn.functional.conv2d(x, glassgrad.randn(4, 3, 3, 3), padding=1).shape
        glassgrad.Size([1, 4, 8, 8])
    """
    unbatched = input.ndim == 3
    if unbatched:
        input = input.unsqueeze(0)
    stride = int_tuple(stride, "stride", 2)
    if weight.ndim != 4:  # PyTorch reads the number of spatial dims from the weight
        raise RuntimeError(f"expected stride to be a single integer value or a list of "
                           f"{weight.ndim - 2} values to match the convolution dimensions, but "
                           f"got stride={list(stride)}")
    dilation = int_tuple(dilation, "dilation", 2)
    pad = conv_padding(padding, weight.shape[2:], stride, dilation)
    check_conv(input, weight, bias, stride, pad, dilation, groups)
    out = Convolution.apply(input, weight, bias, stride=stride, padding=pad, dilation=dilation,
                            groups=groups)
    return out.squeeze(0) if unbatched else out
