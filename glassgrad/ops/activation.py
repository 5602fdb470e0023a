"""Activations with their own primitives: relu, softmax, log_softmax.

(``sigmoid`` and ``tanh`` live with the other element-wise functions.) softmax and log_softmax
subtract the maximum before exponentiating, so large logits never overflow; log_softmax is fused
rather than ``log(softmax(x))`` for that stability, and its backward is the short
g - softmax * sum(g).
"""

import numpy as np

from ..autograd.function import Primitive
from ..tensor import _wrap_dim

__all__ = ["relu", "softmax", "log_softmax"]


class Relu(Primitive):
    """out = max(x, 0);  d/dx = 1 where out > 0, else 0."""

    @staticmethod
    def forward(ctx, x):
        out = np.maximum(x, 0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (out > 0)


def relu(input, inplace=False):
    """Rectified linear unit max(x, 0); integer tensors stay integer, bool is refused."""
    if input._data.dtype == np.bool_:
        raise RuntimeError("Boolean inputs not supported for relu")
    if inplace:
        return input.relu_()
    return Relu.apply(input)


class Softmax(Primitive):
    """y_i = e^(x_i - m) / sum_j e^(x_j - m)  (m = max x, for stability) along ``dim``;
    dL/dx = y * (g - sum(g * y)), the Jacobian-vector product of diag(y) - y y^T."""

    @staticmethod
    def forward(ctx, x, dim):
        e = np.exp(x - x.max(axis=dim, keepdims=True))
        out = e / e.sum(axis=dim, keepdims=True)
        ctx.save_for_backward(out)
        ctx.dim = dim
        return out

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return y * (g - (g * y).sum(axis=ctx.dim, keepdims=True))


class LogSoftmax(Primitive):
    """y = x - m - log(sum e^(x - m)) along ``dim``;  dL/dx = g - e^y * sum(g).  Fused for
    numerical stability (no log of a tiny probability)."""

    @staticmethod
    def forward(ctx, x, dim):
        shifted = x - x.max(axis=dim, keepdims=True)
        out = shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))
        ctx.save_for_backward(out)
        ctx.dim = dim
        return out

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g - np.exp(y) * g.sum(axis=ctx.dim, keepdims=True)


def _softmax_dim(input, dim, op):
    if dim is None:
        dim = 0 if input.ndim in (0, 1, 3) else 1  # PyTorch's legacy implicit choice
    return _wrap_dim(dim, input.ndim, op) if input.ndim else None


def _floating(input, dtype, op):
    """Cast to ``dtype`` if given; integer inputs are refused otherwise, as in PyTorch."""
    if dtype is not None:
        return input.to(dtype)
    if input._data.dtype.kind != "f":
        name = _TYPE_NAMES.get(input._data.dtype.name, input._data.dtype.name)
        raise NotImplementedError(f'"{op}" not implemented for \'{name}\'')
    return input


_TYPE_NAMES = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
               "bool": "Bool"}


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """Normalised exponentials along ``dim``: non-negative, summing to 1.

    Example:
        >>> glassgrad.tensor([1.0, 2.0, 3.0]).softmax(0)
        tensor([0.0900, 0.2447, 0.6652])
    """
    input = _floating(input, dtype, "softmax")
    axis = _softmax_dim(input, dim, "softmax")
    return Softmax.apply(input, dim=axis)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """log(softmax(x)) along ``dim``, computed stably."""
    input = _floating(input, dtype, "log_softmax")
    axis = _softmax_dim(input, dim, "log_softmax")
    return LogSoftmax.apply(input, dim=axis)

