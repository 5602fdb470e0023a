"""Reductions: sum, mean, var, std, prod, logsumexp, all/any, count_nonzero, cumsum. The extrema
(max/min with indices, amax/amin, argmax/argmin) live in ``extrema.py`` and are re-exported here.

A reduction's backward spreads the gradient back over the reduced axes: first re-insert them
(``keep_dims``), then broadcast to the input's shape (``expand_back``). ``mean`` is ``sum / n`` and
``var`` is composed of primitives, in tinygrad's spirit.
"""

import builtins
import warnings

import numpy as np

from ..autograd.function import Primitive
from ..tensor import Tensor
from ._util import _single_dim, expand_back, float_operand, keep_dims, wrap_dims, write_out
from .extrema import Amax as Amax
from .extrema import MaxDim as MaxDim
from .extrema import amax, amin, argmax, argmin, max, min
from .extrema import values_indices as values_indices

__all__ = ["sum", "mean", "var", "std", "var_mean", "std_mean", "prod", "max", "min", "amax",
           "amin", "argmax", "argmin", "logsumexp", "all", "any", "count_nonzero", "cumsum"]


def _resolve_dims(dim, axis, ndim, op):
    if axis is not None:
        dim = axis
    return wrap_dims(dim, ndim, op)


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
        centered = _centered(x, axes, dtype=np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            total = (centered * centered).sum(axis=axes, keepdims=keepdim)
            return np.asarray(total / builtins.max(n - correction, 0)).astype(x.dtype)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return keep_dims(g, x.shape, ctx.axes) * _centered(x, ctx.axes) * ctx.factor


def _centered(x, axes, dtype=None):
    """x - mean(x) over ``axes``, computed as d - mean(d) with d = x - (first element).

    The shift changes nothing mathematically, but it makes a constant input give exactly 0 (a
    plain mean of equal numbers can be off by an ulp), so var is exactly 0 there and std's
    gradient takes PyTorch's value 0 rather than ulp / ulp. Accumulates in ``dtype`` if given.
    """
    first = x[tuple(slice(0, 1) if a in axes else slice(None) for a in range(x.ndim))]
    shifted = x - first
    mean = (shifted.mean(axis=axes, keepdims=True) if dtype is None
            else shifted.mean(axis=axes, keepdims=True, dtype=dtype))
    return shifted - mean


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
