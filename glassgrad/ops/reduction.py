"""Reductions: sum, mean, var, std, prod, max/min (with indices), amax/amin, argmax, logsumexp.

A reduction's backward spreads the gradient back over the reduced axes: first re-insert them
(``keep_dims``), then broadcast to the input's shape (``expand_back``). ``mean`` is ``sum / n`` and
``var`` is composed of primitives, in tinygrad's spirit.
"""

import builtins
import warnings
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
    return write_out(Mean.apply(input, axes=axes, keepdim=keepdim), out)


class Mean(Primitive):
    """out = (1/n) * sum of x over axes;  d/dx_i = 1/n for every reduced element.

    The composite ``sum(x) / n`` gives the same numbers; one primitive records one node (PyTorch's
    MeanBackward) and keeps no saved values, so the graph can be walked twice.
    """

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        count = 1
        for a in axes:
            count *= x.shape[a]
        ctx.in_shape, ctx.axes, ctx.count = x.shape, axes, count
        total = x.sum(axis=axes, keepdims=keepdim)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(total / count if count else total * np.nan, dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        return expand_back(g / ctx.count, ctx.in_shape, ctx.axes)

    def name(self):
        return "MeanBackward1" if len(self.axes) != len(self.in_shape) else "MeanBackward0"


def _variance_args(op, input, dim, legacy, correction, keepdim, unbiased):
    """Sort out PyTorch's var/std overloads: ``(dim, *, correction, keepdim)``, the legacy
    ``(dim, unbiased, keepdim)`` and ``(unbiased)``. Returns (axes, correction, keepdim)."""
    if input._data.dtype.kind != "f":
        raise RuntimeError("std and var only support floating point and complex dtypes")
    if isinstance(dim, bool):  # var(x, unbiased)
        dim, legacy = None, (dim,) + tuple(legacy)
    if len(legacy) > 2 or not builtins.all(isinstance(v, bool) for v in legacy):
        raise TypeError(f"{op}() received an invalid combination of arguments: after dim, only "
                        "the legacy positional (unbiased: bool, keepdim: bool) are accepted")
    if legacy:
        unbiased = legacy[0]
        keepdim = legacy[1] if len(legacy) > 1 else keepdim
    if unbiased is not None:
        correction = 1 if unbiased else 0
    correction = 1 if correction is None else correction
    return wrap_dims(dim, input.ndim, op), correction, keepdim


class Var(Primitive):
    """out = sum((x - mean)^2) / (n - correction) over axes;
    d/dx_i = 2 (x_i - mean) / (n - correction)  (the mean's own dependence on x cancels out)."""

    @staticmethod
    def forward(ctx, x, axes, correction, keepdim):
        n = 1
        for a in axes:
            n *= x.shape[a]
        ctx.save_for_backward(x)
        ctx.axes, ctx.factor = axes, (2.0 / (n - correction) if n != correction else np.inf)
        # accumulate in float64 (as PyTorch's two-pass kernel is exact enough to give exactly 0
        # for a constant input, where std's gradient is defined as 0)
        centered = x - x.mean(axis=axes, keepdims=True, dtype=np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            total = (centered * centered).sum(axis=axes, keepdims=keepdim)
            return np.asarray(total / builtins.max(n - correction, 0)).astype(x.dtype)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        centered = x - x.mean(axis=ctx.axes, keepdims=True)
        return keep_dims(g, x.shape, ctx.axes) * centered * ctx.factor


def _var(input, axes, correction, keepdim, op="var"):
    """The variance primitive, with PyTorch's warning when n - correction <= 0."""
    n = _count(input, axes)
    if n - correction <= 0:
        warnings.warn(f"{op}(): degrees of freedom is <= 0. Correction should be strictly less "
                      "than the reduction factor (input numel divided by output numel).",
                      UserWarning, stacklevel=3)
    return Var.apply(input, axes=axes, correction=correction, keepdim=keepdim)


def var(input, dim=None, *legacy, correction=None, keepdim=False, unbiased=None, out=None):
    """Variance: sum((x - mean)^2) / (n - correction) over ``dim``; correction 1 (Bessel's)
    by default, 0 for the population variance.

    Also accepts PyTorch's legacy forms ``var(x, unbiased)`` and ``var(x, dim, unbiased,
    keepdim)``.

    Example:
        >>> glassgrad.tensor([1.0, 2.0, 3.0, 4.0]).var()
        tensor(1.6667)
    """
    axes, correction, keepdim = _variance_args("var", input, dim, legacy, correction, keepdim,
                                               unbiased)
    return write_out(_var(input, axes, correction, keepdim), out)


class SqrtOfVar(Primitive):
    """out = sqrt(v) for v = var(x) >= 0;  d/dv = 1 / (2 out), taken as 0 where out = 0
    (a constant input), which is PyTorch's convention for std."""

    @staticmethod
    def forward(ctx, v):
        out = np.sqrt(v)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        nonzero = out != 0
        return g * nonzero / (np.where(nonzero, out, 1) * 2)

    def name(self):
        return "StdBackward0"


def std(input, dim=None, *legacy, correction=None, keepdim=False, unbiased=None, out=None):
    """Standard deviation: sqrt(var), with the same arguments as ``var``; its gradient is 0 for
    a constant input (where sqrt has an infinite slope), as in PyTorch."""
    axes, correction, keepdim = _variance_args("std", input, dim, legacy, correction, keepdim,
                                               unbiased)
    return write_out(SqrtOfVar.apply(_var(input, axes, correction, keepdim, "std")), out)


def var_mean(input, dim=None, *legacy, correction=None, keepdim=False, unbiased=None):
    """(var, mean) in one call."""
    axes, correction, keepdim = _variance_args("var_mean", input, dim, legacy, correction,
                                               keepdim, unbiased)
    return _var(input, axes, correction, keepdim, "var_mean"), mean(input, axes, keepdim)


def std_mean(input, dim=None, *legacy, correction=None, keepdim=False, unbiased=None):
    """(std, mean) in one call."""
    axes, correction, keepdim = _variance_args("std_mean", input, dim, legacy, correction,
                                               keepdim, unbiased)
    return (SqrtOfVar.apply(_var(input, axes, correction, keepdim, "std_mean")),
            mean(input, axes, keepdim))


class Prod(Primitive):
    """out = product of x over axes;  d/dx_i = product of all the other elements of its slice,
    which is out / x_i when no element is zero."""

    @staticmethod
    def forward(ctx, x, axes, keepdim, full=True):
        out = x.prod(axis=axes, keepdims=keepdim)
        ctx.save_for_backward(x, out)
        ctx.axes, ctx.full = axes, full
        return out

    @staticmethod
    def backward(ctx, g):
        if not ctx.axes:  # a 0-d input: the product of nothing else is 1
            return g
        x, out = ctx.saved_tensors
        g = keep_dims(g, x.shape, ctx.axes)
        out = keep_dims(out, x.shape, ctx.axes)
        if isinstance(x, np.ndarray):
            if (x == 0).any():
                return g * _product_of_others(x, ctx.axes)
        elif (x._data == 0).any():
            return g * _product_of_others_differentiable(x, ctx.axes)
        return g * out / x

    def name(self):
        return "ProdBackward0" if self.full else "ProdBackward1"


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


def _product_of_others_differentiable(x, axes):
    """``_product_of_others`` for a Tensor, recorded in the graph (a differentiable backward
    with zeros in x): with the n reduced elements as rows, product j of the other rows is the
    product of the rows of x with row j replaced by ones. Costs n times the memory of x."""
    rest = [i for i in range(x.ndim) if i not in axes]
    order = list(axes) + rest
    moved_shape = [x.shape[i] for i in order]
    n = _count(x, axes)
    rows = x.permute(*order).reshape(1, n, -1).expand(n, n, -1)  # rows[j, i] = x_i
    others = np.where(np.eye(n, dtype=bool)[:, :, None], 1, rows).prod(1)
    return others.reshape(moved_shape).permute(*np.argsort(order).tolist())


def prod(input, dim=None, keepdim=False, *, dtype=None):
    """Product of the elements, over all of them or over one ``dim`` (an int).

    Integer and bool inputs multiply in int64, as in PyTorch.
    """
    if dim is not None and not isinstance(dim, (int, np.integer)):
        raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__}")
    if dtype is not None:
        input = input.to(dtype)
    elif input._data.dtype.kind in "biu":
        input = input.long()
    return Prod.apply(input, axes=wrap_dims(dim, input.ndim, "prod"), keepdim=keepdim,
                      full=dim is None)


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


def _single_dim(dim, op):
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{op}(): argument 'dim' must be int, not {type(dim).__name__}")


def _max_or_min(input, dim, keepdim, other, largest, out):
    name = "max" if largest else "min"
    if isinstance(dim, Tensor) and other is None:
        dim, other = None, dim
    if other is not None:
        from .elementwise import maximum, minimum

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


class LogSumExp(Primitive):
    """out = log(sum(exp(x))) over axes, computed as m + log(sum(exp(x - m))) with m = max(x);
    d/dx = exp(x - out) = softmax(x).  Fused for numerical stability: exp never overflows."""

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        m = x.max(axis=axes, keepdims=True, initial=-np.inf)  # -inf for an empty reduction
        m = np.where(np.isfinite(m), m, 0)
        with np.errstate(divide="ignore"):
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

    def name(self):
        return "LogsumexpBackward0"


def logsumexp(input, dim, keepdim=False, *, out=None):
    """log(sum(exp(input))) over ``dim`` (an int or a tuple), without overflow.

    Example:
        >>> glassgrad.tensor([1000.0, 1000.0]).logsumexp(0)
        tensor(1000.6931)
    """
    input = float_operand(input)
    axes = wrap_dims(dim, input.ndim, "logsumexp")
    return write_out(LogSumExp.apply(input, axes=axes, keepdim=keepdim), out)


def _logical(function, input, dim, keepdim):
    """all/any: bool results (uint8 for a uint8 input, as in PyTorch); no gradient."""
    data = input._data
    if dim is None:
        result = np.asarray(function(data))
    else:
        axes = wrap_dims(dim, input.ndim, function.__name__)
        result = np.asarray(function(data, axis=axes, keepdims=keepdim))
    return Tensor._make(result.astype(np.uint8) if data.dtype == np.uint8 else result)


def all(input, dim=None, keepdim=False):
    """True if every element is non-zero (over all, or along ``dim``); no gradient."""
    return _logical(np.all, input, dim, keepdim)


def any(input, dim=None, keepdim=False):
    """True if some element is non-zero (over all, or along ``dim``); no gradient."""
    return _logical(np.any, input, dim, keepdim)


def count_nonzero(input, dim=None):
    """The number of non-zero elements (over all, or along ``dim``), as int64."""
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
        if isinstance(g, Tensor):  # a differentiable backward pass
            from .shape import flip

            return flip(cumsum(flip(g, ctx.dim), ctx.dim), ctx.dim)
        return np.flip(np.cumsum(np.flip(g, ctx.dim), axis=ctx.dim), ctx.dim)

    def name(self):
        return "CumsumBackward0"


def cumsum(input, dim, *, dtype=None):
    """Cumulative sum along ``dim``; integer and bool inputs accumulate in int64."""
    if dtype is not None:
        input = input.to(dtype)
    elif input._data.dtype.kind in "biu":
        input = input.long()
    _single_dim(dim, "cumsum")
    if input.ndim == 0:  # the cumulative sum of one element
        wrap_dims(dim, 0, "cumsum")
        return CumSum.apply(input.reshape(1), dim=0).reshape(())
    return CumSum.apply(input, dim=wrap_dims(dim, input.ndim, "cumsum")[0])
