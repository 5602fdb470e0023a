"""Reductions: sum, mean, var, std, prod, max/min (with indices), amax/amin, argmax, logsumexp.

A reduction's backward spreads the gradient back over the reduced axes: first re-insert them
(``keep_dims``), then broadcast to the input's shape (``expand_back``). ``mean`` is ``sum / n`` and
``var`` is composed of primitives, in tinygrad's spirit.
"""

import builtins
from collections import namedtuple

import numpy as np

from ..autograd.function import Primitive
from ..tensor import Tensor
from ._util import float_operand, wrap_dims, write_out

__all__ = ["sum", "mean", "var", "std", "var_mean", "std_mean", "prod", "max", "min", "amax",
           "amin", "argmax", "argmin", "logsumexp", "all", "any", "count_nonzero", "cumsum"]

values_indices = namedtuple("return_types", ["values", "indices"])


def _resolve_dims(dim, axis, ndim, op):
    if axis is not None:
        dim = axis
    return wrap_dims(dim, ndim, op)


def keep_dims(g, in_shape, axes):
    """Re-insert the reduced ``axes`` (as size 1) into the gradient of a keepdim=False result."""
    shape = tuple(1 if i in axes else s for i, s in enumerate(in_shape))
    return g.reshape(shape)


def expand_back(g, in_shape, axes):
    """Broadcast the gradient of a reduction over ``axes`` back to the input's shape."""
    return np.broadcast_to(keep_dims(g, in_shape, axes), in_shape)


class Sum(Primitive):
    """out = sum of x over axes;  d/dx_i = 1 for every reduced element."""

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.in_shape, ctx.axes = x.shape, axes
        return x.sum(axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        return expand_back(g, ctx.in_shape, ctx.axes)

    def name(self):
        return "SumBackward1" if len(self.axes) != len(self.in_shape) else "SumBackward0"


def sum(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None, out=None):
    """Sum of the elements, over all of them or over ``dim`` (an int or a tuple).

    Integer and bool inputs sum to int64, as in PyTorch.

    Example:
        >>> glassgrad.ones(2, 3).sum(dim=1)
        tensor([3., 3.])
    """
    keepdim = keepdim if keepdims is None else keepdims
    axes = _resolve_dims(dim, axis, input.ndim, "sum")
    if dtype is not None:
        input = input.to(dtype)
    elif input._data.dtype.kind in "biu":
        input = input.long()
    return write_out(Sum.apply(input, axes=axes, keepdim=keepdim), out)


def _count(input, axes):
    n = 1
    for a in axes:
        n *= input.shape[a]
    return n


def mean(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None, out=None):
    """Arithmetic mean: ``sum(x, dim) / n`` (floating-point inputs only, as in PyTorch)."""
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind != "f":
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {input.dtype.name.capitalize()}")
    keepdim = keepdim if keepdims is None else keepdims
    axes = _resolve_dims(dim, axis, input.ndim, "mean")
    total = sum(input, axes, keepdim)
    return write_out(total / _count(input, axes) if input.numel() else total * np.nan, out)


def var(input, dim=None, *, correction=None, keepdim=False, unbiased=None, out=None):
    """Variance: sum((x - mean)^2) / (n - correction); correction 1 (Bessel) by default."""
    if unbiased is not None:
        correction = 1 if unbiased else 0
    correction = 1 if correction is None else correction
    axes = wrap_dims(dim, input.ndim, "var")
    centered = input - mean(input, axes, keepdim=True)
    n = _count(input, axes)
    return write_out(sum(centered * centered, axes, keepdim) / builtins.max(n - correction, 0),
                     out)


def std(input, dim=None, *, correction=None, keepdim=False, unbiased=None, out=None):
    """Standard deviation: sqrt(var)."""
    return write_out(var(input, dim, correction=correction, keepdim=keepdim,
                         unbiased=unbiased).sqrt(), out)


def var_mean(input, dim=None, *, correction=None, keepdim=False, unbiased=None):
    """(var, mean) in one call."""
    return (var(input, dim, correction=correction, keepdim=keepdim, unbiased=unbiased),
            mean(input, dim, keepdim))


def std_mean(input, dim=None, *, correction=None, keepdim=False, unbiased=None):
    """(std, mean) in one call."""
    return (std(input, dim, correction=correction, keepdim=keepdim, unbiased=unbiased),
            mean(input, dim, keepdim))


class Prod(Primitive):
    """out = product of x over axes;  d/dx_i = product of all the other elements."""

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        out = x.prod(axis=axes, keepdims=keepdim)
        ctx.save_for_backward(x, out)
        ctx.axes = axes
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        g = keep_dims(g, x.shape, ctx.axes)
        out = keep_dims(out, x.shape, ctx.axes)
        if isinstance(x, np.ndarray) and (x == 0).any():
            return g * _product_of_others(x, ctx.axes)
        return g * out / x


def _product_of_others(x, axes):
    """For each element, the product of the other elements on its reduced slice (zeros allowed):
    exclusive cumulative products from the left and from the right."""
    moved = np.moveaxis(x, axes, range(len(axes)))
    flat = moved.reshape((-1,) + moved.shape[len(axes):])
    ones = np.ones_like(flat[:1])
    left = np.cumprod(np.concatenate([ones, flat[:-1]]), axis=0)
    right = np.cumprod(np.concatenate([ones, flat[::-1][:-1]]), axis=0)[::-1]
    others = (left * right).reshape(moved.shape)
    return np.moveaxis(others, range(len(axes)), axes)


def prod(input, dim=None, keepdim=False, *, dtype=None):
    """Product of the elements (over all, or over one ``dim``)."""
    if dtype is not None:
        input = input.to(dtype)
    elif input._data.dtype.kind in "biu":
        input = input.long()
    return Prod.apply(input, axes=wrap_dims(dim, input.ndim, "prod"), keepdim=keepdim)


class Amax(Primitive):
    """out = max over axes;  the gradient is shared evenly among the elements equal to the max."""

    @staticmethod
    def forward(ctx, x, axes, keepdim, largest=True):
        if x.size == 0:
            raise IndexError("amax(): Expected reduction dim to be specified for input.numel() "
                             "== 0. Specify the reduction dim with the 'dim' argument.")
        out = x.max(axis=axes, keepdims=True) if largest else x.min(axis=axes, keepdims=True)
        hits = x == out
        ctx.share = (hits / hits.sum(axis=axes, keepdims=True)).astype(x.dtype)
        ctx.axes, ctx.in_shape = axes, x.shape
        return out if keepdim else out.reshape([s for i, s in enumerate(x.shape)
                                                if i not in axes])

    @staticmethod
    def backward(ctx, g):
        return keep_dims(g, ctx.in_shape, ctx.axes) * ctx.share

    def name(self):
        return "AmaxBackward0"


class Amin(Amax):
    def name(self):
        return "AminBackward0"


class MaxDim(Primitive):
    """out = max along one dim (with its index);  the gradient goes to that index only."""

    @staticmethod
    def forward(ctx, x, dim, keepdim, indices, largest=True):
        ctx.in_shape, ctx.dim, ctx.indices = x.shape, dim, indices
        values = np.take_along_axis(x, np.expand_dims(indices, dim), axis=dim)
        return values if keepdim else values.squeeze(dim)

    @staticmethod
    def backward(ctx, g):
        g = keep_dims(g, ctx.in_shape, (ctx.dim,))
        position_shape = [1] * len(ctx.in_shape)
        position_shape[ctx.dim] = ctx.in_shape[ctx.dim]
        positions = np.arange(ctx.in_shape[ctx.dim]).reshape(position_shape)
        return g * (positions == np.expand_dims(ctx.indices, ctx.dim))

    def name(self):
        return "MaxBackward0"


def _max_or_min(input, dim, keepdim, other, largest, out):
    name = "max" if largest else "min"
    if isinstance(dim, Tensor) and other is None:
        dim, other = None, dim
    if other is not None:
        from .elementwise import maximum, minimum

        return (maximum if largest else minimum)(input, other, out=out)
    if dim is None:
        return Amax.apply(input, axes=tuple(range(input.ndim)), keepdim=False, largest=largest) \
            if largest else Amin.apply(input, axes=tuple(range(input.ndim)), keepdim=False,
                                       largest=False)
    axis = wrap_dims(dim, input.ndim, name)[0]
    if input._data.ndim and input._data.shape[axis] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {dim} to have non-zero size.")
    data = input._data if input._data.ndim else input._data.reshape(1)
    indices = (np.argmax if largest else np.argmin)(data, axis=axis).reshape(
        [s for i, s in enumerate(input._data.shape) if i != axis])
    values = MaxDim.apply(input, dim=axis, keepdim=keepdim, indices=indices, largest=largest)
    index_tensor = Tensor._make(np.expand_dims(indices, axis) if keepdim else indices)
    return values_indices(values, index_tensor)


def max(input, dim=None, keepdim=False, *, out=None):
    """The largest element; ``max(x, dim)`` gives (values, indices); ``max(x, other)`` is
    ``maximum``."""
    return _max_or_min(input, dim, keepdim, None, True, out)


def min(input, dim=None, keepdim=False, *, out=None):
    """The smallest element; ``min(x, dim)`` gives (values, indices); ``min(x, other)`` is
    ``minimum``."""
    return _max_or_min(input, dim, keepdim, None, False, out)


def amax(input, dim=(), keepdim=False, *, out=None):
    """Maximum over ``dim`` (int or tuple; all dims when empty); gradient shared among ties."""
    axes = wrap_dims(dim if dim != () else None, input.ndim, "amax")
    return write_out(Amax.apply(input, axes=axes, keepdim=keepdim), out)


def amin(input, dim=(), keepdim=False, *, out=None):
    """Minimum over ``dim`` (int or tuple; all dims when empty); gradient shared among ties."""
    axes = wrap_dims(dim if dim != () else None, input.ndim, "amin")
    return write_out(Amin.apply(input, axes=axes, keepdim=keepdim, largest=False), out)


def _arg(function, input, dim, keepdim, name):
    if dim is None:
        result = function(input._data.reshape(-1))
        return Tensor._make(np.asarray(result, dtype=np.int64).reshape(
            (1,) * input.ndim if keepdim else ()))
    axis = wrap_dims(dim, input.ndim, name)[0]
    data = input._data if input._data.ndim else input._data.reshape(1)
    result = function(data, axis=axis, keepdims=keepdim).astype(np.int64)
    return Tensor._make(result.reshape(()) if input._data.ndim == 0 else result)


def argmax(input, dim=None, keepdim=False):
    """Index of the largest element (of the flattened tensor, or along ``dim``)."""
    return _arg(np.argmax, input, dim, keepdim, "argmax")


def argmin(input, dim=None, keepdim=False):
    """Index of the smallest element (of the flattened tensor, or along ``dim``)."""
    return _arg(np.argmin, input, dim, keepdim, "argmin")


class LogSumExp(Primitive):
    """out = log(sum(exp(x))) over axes, computed as m + log(sum(exp(x - m))) with m = max(x);
    d/dx = exp(x - out) = softmax(x).  Fused for numerical stability."""

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        m = x.max(axis=axes, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)
        out = np.log(np.exp(x - m).sum(axis=axes, keepdims=True)) + m
        if not keepdim:
            out = out.reshape([s for i, s in enumerate(x.shape) if i not in axes])
        ctx.save_for_backward(x, out)
        ctx.axes = axes
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        out = keep_dims(out, x.shape, ctx.axes)
        return keep_dims(g, x.shape, ctx.axes) * np.exp(x - out)


def logsumexp(input, dim, keepdim=False, *, out=None):
    """log(sum(exp(input), dim)), without overflow."""
    input = float_operand(input)
    axes = wrap_dims(dim, input.ndim, "logsumexp")
    return write_out(LogSumExp.apply(input, axes=axes, keepdim=keepdim), out)


def _logical(function, input, dim, keepdim):
    if dim is None:
        return Tensor._make(np.asarray(function(input._data)))
    axes = wrap_dims(dim, input.ndim, function.__name__)
    return Tensor._make(np.asarray(function(input._data, axis=axes, keepdims=keepdim)))


def all(input, dim=None, keepdim=False):
    """True if every element is non-zero (over all, or along ``dim``); no gradient."""
    return _logical(np.all, input, dim, keepdim)


def any(input, dim=None, keepdim=False):
    """True if some element is non-zero (over all, or along ``dim``); no gradient."""
    return _logical(np.any, input, dim, keepdim)


def count_nonzero(input, dim=None):
    """The number of non-zero elements (over all, or along ``dim``)."""
    axes = None if dim is None else wrap_dims(dim, input.ndim, "count_nonzero")
    return Tensor._make(np.asarray(np.count_nonzero(input._data, axis=axes), dtype=np.int64))


class CumSum(Primitive):
    """out_i = x_1 + ... + x_i along dim;  d/dx_j = sum of g_i for i >= j (a reversed cumsum)."""

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        return np.cumsum(x, axis=dim)

    @staticmethod
    def backward(ctx, g):
        reversed_index = (slice(None),) * ctx.dim + (slice(None, None, -1),)
        return cumsum(g[reversed_index], ctx.dim)[reversed_index] if isinstance(g, Tensor) \
            else np.cumsum(g[reversed_index], axis=ctx.dim)[reversed_index]


def cumsum(input, dim, *, dtype=None):
    """Cumulative sum along ``dim``."""
    if dtype is not None:
        input = input.to(dtype)
    elif input._data.dtype.kind in "biu":
        input = input.long()
    return CumSum.apply(input, dim=wrap_dims(dim, input.ndim, "cumsum")[0])
