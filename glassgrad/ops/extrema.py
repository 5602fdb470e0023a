"""Extrema: max/min (over everything, along a dim with indices, or element-wise against another
tensor), amax/amin, argmax/argmin.

The derivative of a maximum is 1 at the element that attains it and 0 at the others, so the
backward routes g to that element: ``max(x, dim)`` sends it to the returned index (the first one
on a tie), while ``amax``/``amin`` and ``max()`` without a dim share it evenly among the tied
elements, as PyTorch does. argmax/argmin return int64 indices and have no gradient.
"""

from collections import namedtuple

import numpy as np

from ..autograd.function import Primitive
from ..tensor import Tensor
from ._util import _single_dim, keep_dims, wrap_dims, write_out

__all__ = ["max", "min", "amax", "amin", "argmax", "argmin"]

values_indices = namedtuple("return_types", ["values", "indices"])

_EXTREMUM_NAMES = {"amax": "AmaxBackward0", "amin": "AminBackward0", "max": "MaxBackward1",
                   "min": "MinBackward1"}


class Amax(Primitive):
    """out = max (or min) over axes;  the gradient is shared evenly among the elements equal to
    it (PyTorch's rule for amax/amin and for max()/min() without a dim)."""

    _holds_arrays = True  # masks or indices on ctx, dropped after backward

    @staticmethod
    def forward(ctx, x, axes, keepdim, op="amax"):
        _check_reduction_size(x.shape, axes, op, full=len(axes) == x.ndim)
        largest = op in ("amax", "max")
        out = x.max(axis=axes, keepdims=True) if largest else x.min(axis=axes, keepdims=True)
        hits = x == out
        with np.errstate(invalid="ignore"):  # a NaN extremum: NaN gradient, as in PyTorch
            ctx.share = (hits / hits.sum(axis=axes, keepdims=True)).astype(x.dtype)
        ctx.axes, ctx.in_shape, ctx.op = axes, x.shape, op
        return out if keepdim else out.reshape([s for i, s in enumerate(x.shape)
                                                if i not in axes])

    @staticmethod
    def backward(ctx, g):
        return keep_dims(g, ctx.in_shape, ctx.axes) * ctx.share

    def name(self):
        return _EXTREMUM_NAMES[self.op]


def _check_reduction_size(shape, axes, op, full):
    """PyTorch's errors for max/min/argmax-like reductions over nothing."""
    if full and 0 in shape:
        raise RuntimeError(f"{op}(): Expected reduction dim to be specified for input.numel() "
                           "== 0. Specify the reduction dim with the 'dim' argument.")
    for axis in axes:
        if shape[axis] == 0:
            raise IndexError(f"{op}(): Expected reduction dim {axis} to have non-zero size.")


class MaxDim(Primitive):
    """out = max (or min) along one dim, with its index;  the gradient goes to that index only
    (the first one on a tie)."""

    _holds_arrays = True  # masks or indices on ctx, dropped after backward

    @staticmethod
    def forward(ctx, x, dim, keepdim, indices, largest=True):
        ctx.in_shape, ctx.dim, ctx.indices, ctx.largest = x.shape, dim, indices, largest
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
        return "MaxBackward0" if self.largest else "MinBackward0"


def _max_or_min(input, dim, keepdim, other, largest, out):
    name = "max" if largest else "min"
    if isinstance(dim, Tensor) and other is None:
        dim, other = None, dim
    if other is not None:
        from .arithmetic import maximum, minimum

        return (maximum if largest else minimum)(input, other, out=out)
    if dim is None:
        return Amax.apply(input, axes=tuple(range(input.ndim)), keepdim=False, op=name)
    _single_dim(dim, name)
    wrap_dims(dim, input.ndim, name)
    if input.ndim == 0:  # a 0-d tensor: its only element, at index 0
        values = MaxDim.apply(input.reshape(1), dim=0, keepdim=False,
                              indices=np.zeros((), dtype=np.int64), largest=largest)
        return values_indices(values, Tensor._make(np.zeros((), dtype=np.int64)))
    axis = wrap_dims(dim, input.ndim, name)[0]
    _check_reduction_size(input.shape, (axis,), name, full=False)
    indices = (np.argmax if largest else np.argmin)(input._data, axis=axis)
    values = MaxDim.apply(input, dim=axis, keepdim=keepdim, indices=indices, largest=largest)
    index_tensor = Tensor._make(np.expand_dims(indices, axis) if keepdim else indices)
    return values_indices(values, index_tensor)


def max(input, dim=None, keepdim=False, *, other=None, out=None):
    """The largest element (gradient shared among ties); ``max(x, dim)`` gives the namedtuple
    (values, indices) along ``dim`` (gradient to the returned index); ``max(x, other)`` is
    ``maximum``.

    Example:
        >>> glassgrad.tensor([[1.0, 5.0], [7.0, 2.0]]).max(1)
        return_types(values=tensor([5., 7.]), indices=tensor([1, 0]))
    """
    return _max_or_min(input, dim, keepdim, other, True, out)


def min(input, dim=None, keepdim=False, *, other=None, out=None):
    """The smallest element; ``min(x, dim)`` gives (values, indices); ``min(x, other)`` is
    ``minimum`` (see ``max``)."""
    return _max_or_min(input, dim, keepdim, other, False, out)


def amax(input, dim=(), keepdim=False, *, out=None):
    """Maximum over ``dim`` (int or tuple; all dims when empty); gradient shared among ties."""
    axes = wrap_dims(dim if dim != () else None, input.ndim, "amax")
    return write_out(Amax.apply(input, axes=axes, keepdim=keepdim, op="amax"), out)


def amin(input, dim=(), keepdim=False, *, out=None):
    """Minimum over ``dim`` (int or tuple; all dims when empty); gradient shared among ties."""
    axes = wrap_dims(dim if dim != () else None, input.ndim, "amin")
    return write_out(Amax.apply(input, axes=axes, keepdim=keepdim, op="amin"), out)


def _arg(function, input, dim, keepdim, name):
    if dim is None:
        if input.numel() == 0:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for "
                             "input.numel() == 0.")
        result = function(input._data.reshape(-1))
        return Tensor._make(np.asarray(result, dtype=np.int64).reshape(
            (1,) * input.ndim if keepdim else ()))
    _single_dim(dim, name)
    wrap_dims(dim, input.ndim, name)
    if input.ndim == 0:
        return Tensor._make(np.zeros((), dtype=np.int64))
    axis = wrap_dims(dim, input.ndim, name)[0]
    _check_reduction_size(input.shape, (axis,), name, full=False)
    return Tensor._make(function(input._data, axis=axis, keepdims=keepdim).astype(np.int64))


def argmax(input, dim=None, keepdim=False):
    """Index of the largest element (of the flattened tensor, or along ``dim``); the first one
    on a tie."""
    return _arg(np.argmax, input, dim, keepdim, "argmax")


def argmin(input, dim=None, keepdim=False):
    """Index of the smallest element (of the flattened tensor, or along ``dim``); the first one
    on a tie."""
    return _arg(np.argmin, input, dim, keepdim, "argmin")
