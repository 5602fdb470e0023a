"""Activations with their own primitives: relu, leaky_relu, elu, gelu, silu, softplus, hardtanh
(relu6), softmax, log_softmax.

(``sigmoid`` and ``tanh`` live with the other element-wise functions.) Each element-wise
activation is one primitive whose backward is g * f'(x), written with operators and NumPy
functions so that it also runs on Tensors (``create_graph=True``); where a branch of f' could
overflow (e^x for large x), its argument is clipped so the unused branch stays finite. softmax
and log_softmax subtract the maximum before exponentiating, so large logits never overflow;
log_softmax is fused rather than ``log(softmax(x))`` for that stability, and its backward is the
short g - softmax * sum(g). NumPy has no erf, so the exact GELU uses W. J. Cody's rational
approximation (below), vectorised.
"""

import math

import numpy as np

from .._dtype import scalar_type_name
from ..autograd.function import Primitive
from ..tensor import Tensor, _wrap_dim
from ._util import ZERO
from .inplace import apply_inplace
from .special import erf

_BOOL = np.dtype(np.bool_)

__all__ = ["relu", "softmax", "log_softmax", "leaky_relu", "elu", "gelu", "silu", "softplus",
           "hardtanh", "relu6"]


class Relu(Primitive):
    """out = max(x, 0);  d/dx = 1 where out > 0, else 0."""

    @staticmethod
    def forward(ctx, x):
        out = np.maximum(x, ZERO.get(x.dtype, 0))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (out > ZERO.get(out.dtype, 0))


def relu(input, inplace=False):
    """Rectified linear unit max(x, 0); integer tensors stay integer, bool is refused.

    Example:
        >>> glassgrad.relu(glassgrad.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """
    if input._data.dtype is _BOOL:
        raise RuntimeError("Boolean inputs not supported for relu")
    if inplace:
        return input.relu_()
    return Relu.apply(input)


class LeakyRelu(Primitive):
    """out = x if x > 0 else s x;  d/dx = 1 if x > 0 else s."""

    @staticmethod
    def forward(ctx, x, slope):
        ctx.save_for_backward(x)
        ctx.slope = slope
        return np.where(x > 0, x, x * slope)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return np.where(x > 0, g, g * ctx.slope)


class Elu(Primitive):
    """out = x if x > 0 else a (e^x - 1);  d/dx = 1 if x > 0 else a e^x."""

    @staticmethod
    def forward(ctx, x, alpha):
        ctx.save_for_backward(x)
        ctx.alpha = alpha
        return np.where(x > 0, x, np.expm1(np.minimum(x, 0)) * alpha)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return np.where(x > 0, g, g * (np.exp(np.minimum(x, 0)) * ctx.alpha))


_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)  # 0.7978845608...
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)  # the standard normal density at 0
_KAPPA = 0.044715


class Gelu(Primitive):
    """out = x Phi(x), Phi the standard normal CDF;  d/dx = Phi(x) + x phi(x).
    With approximate='tanh': out = x/2 (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3);
    d/dx = (1 + tanh u)/2 + x/2 (1 - tanh^2 u) sqrt(2/pi) (1 + 3 * 0.044715 x^2)."""

    @staticmethod
    def forward(ctx, x, approximate):
        ctx.save_for_backward(x)
        ctx.approximate = approximate
        if approximate == "tanh":
            inner = (x + x * x * x * _KAPPA) * _SQRT_2_OVER_PI
            return x * 0.5 * (1 + np.tanh(inner))
        return x * _normal_cdf(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if ctx.approximate == "tanh":
            x_sq = x * x
            t = np.tanh((x + x_sq * x * _KAPPA) * _SQRT_2_OVER_PI)
            slope = (1 - t * t) * ((x_sq * (3 * _KAPPA) + 1) * _SQRT_2_OVER_PI)
            return g * ((1 + t) * 0.5 + x * 0.5 * slope)
        density = np.exp(x * x * -0.5) * _INV_SQRT_2PI
        return g * (_normal_cdf(x) + x * density)


class NormalCdf(Primitive):
    """out = Phi(x) = (1 + erf(x / sqrt 2)) / 2;  d/dx = phi(x) = e^(-x^2/2) / sqrt(2 pi).
    Used only by GELU's backward in a ``create_graph=True`` pass (second derivatives)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _normal_cdf(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (np.exp(x * x * -0.5) * _INV_SQRT_2PI)


def _normal_cdf(x):
    """Phi(x) of an array (evaluated in float64, returned in x's dtype) or of a Tensor."""
    if isinstance(x, Tensor):
        return NormalCdf.apply(x)
    return ((1 + erf(x * (1 / math.sqrt(2)))) * 0.5).astype(x.dtype, copy=False)


class Silu(Primitive):
    """out = x sigmoid(x);  d/dx = s (1 + x (1 - s)) with s = sigmoid(x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * _sigmoid(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        s = _sigmoid(x)
        return g * (s * (x * (1 - s) + 1))


class Softplus(Primitive):
    """out = log(1 + e^(b x)) / b, or x where b x > threshold (linear, to avoid overflow);
    d/dx = sigmoid(b x), or 1 beyond the threshold."""

    @staticmethod
    def forward(ctx, x, beta, threshold):
        ctx.save_for_backward(x)
        ctx.beta, ctx.threshold = beta, threshold
        scaled = x * beta
        with np.errstate(over="ignore"):
            smooth = np.log1p(np.exp(np.minimum(scaled, threshold))) / beta
        return np.where(scaled > threshold, x, smooth)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        scaled = x * ctx.beta
        return np.where(scaled > ctx.threshold, g, g * _sigmoid(scaled))


class Hardtanh(Primitive):
    """out = clamp(x, lo, hi);  d/dx = 1 where lo < x < hi, else 0."""

    @staticmethod
    def forward(ctx, x, low, high):
        ctx.save_for_backward(x)
        ctx.low, ctx.high = low, high
        return np.clip(x, low, high).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ((x > ctx.low) & (x < ctx.high))


def _activation(op, input, inplace, kernel, **params):
    """Apply an element-wise activation primitive, out of place or in place."""
    if kernel is not None:
        _floating(input, None, kernel)
    if inplace:
        return apply_inplace(input, lambda t: op.apply(t, **params), (), kernel or "hardtanh_")
    return op.apply(input, **params)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """Leaky ReLU: x where x > 0, negative_slope * x elsewhere.

    out = x if x > 0 else negative_slope * x;  d/dx = 1 or negative_slope.

    Args:
        input (Tensor): a floating-point tensor.
        negative_slope (float): the slope for x <= 0 (default 0.01).
        inplace (bool): overwrite ``input`` and return it.

    Shape:
        any; the output has the input's shape.

    Example:
        >>> F.leaky_relu(glassgrad.tensor([-2.0, 3.0]), 0.1)
        tensor([-0.2000,  3.0000])
    """
    return _activation(LeakyRelu, input, inplace, "leaky_relu_cpu", slope=negative_slope)


def elu(input, alpha=1.0, inplace=False):
    """Exponential linear unit: x for x > 0, alpha (e^x - 1) below.

    out = x if x > 0 else alpha (e^x - 1);  d/dx = 1 or alpha e^x.

    Args:
        input (Tensor): a floating-point tensor.
        alpha (float): the value the negative side approaches (default 1.0).
        inplace (bool): overwrite ``input`` and return it.

    Shape:
        any; the output has the input's shape.

    Example:
        >>> F.elu(glassgrad.tensor([-1.0, 2.0]))
        tensor([-0.6321,  2.0000])
    """
    return _activation(Elu, input, inplace, "elu_cpu", alpha=alpha)


def gelu(input, *, approximate="none"):
    """Gaussian error linear unit: x weighted by the probability that a standard normal is below it.

    out = x Phi(x) = x/2 (1 + erf(x / sqrt 2));  with approximate='tanh',
    out = x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).

    Args:
        input (Tensor): a floating-point tensor.
        approximate (str): ``'none'`` (exact, with erf) or ``'tanh'``.

    Shape:
        any; the output has the input's shape.

    Example:
        >>> F.gelu(glassgrad.tensor([-1.0, 0.0, 1.0]))
        tensor([-0.1587,  0.0000,  0.8413])
    """
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return _activation(Gelu, input, False, "GeluKernelImpl", approximate=approximate)


def silu(input, inplace=False):
    """Sigmoid linear unit (swish): x * sigmoid(x).

    out = x / (1 + e^-x);  d/dx = s (1 + x (1 - s)), s = sigmoid(x).

    Args:
        input (Tensor): a floating-point tensor.
        inplace (bool): overwrite ``input`` and return it.

    Shape:
        any; the output has the input's shape.

    Example:
        >>> F.silu(glassgrad.tensor([-1.0, 1.0]))
        tensor([-0.2689,  0.7311])
    """
    return _activation(Silu, input, inplace, "silu_cpu")


def softplus(input, beta=1.0, threshold=20.0):
    """A smooth ReLU: log(1 + e^(beta x)) / beta, linear where beta x > threshold.

    out = log(1 + e^(beta x)) / beta;  d/dx = sigmoid(beta x).

    Args:
        input (Tensor): a floating-point tensor.
        beta (float): sharpness (default 1).
        threshold (float): above beta x > threshold the output is x itself (default 20).

    Shape:
        any; the output has the input's shape.

    Example:
        >>> F.softplus(glassgrad.tensor([0.0, 30.0]))
        tensor([ 0.6931, 30.0000])
    """
    return _activation(Softplus, input, False, "softplus_cpu", beta=beta, threshold=threshold)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """Clip to [min_val, max_val].

    out = min(max(x, min_val), max_val);  d/dx = 1 strictly inside the interval, else 0.

    Args:
        input (Tensor): a tensor (integer tensors stay integer).
        min_val, max_val (float): the interval (default -1, 1).
        inplace (bool): overwrite ``input`` and return it.

    Shape:
        any; the output has the input's shape.

    Example:
        >>> F.hardtanh(glassgrad.tensor([-3.0, 0.5, 3.0]))
        tensor([-1.0000,  0.5000,  1.0000])
    """
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _activation(Hardtanh, input, inplace, None, low=min_val, high=max_val)


def relu6(input, inplace=False):
    """ReLU capped at 6: hardtanh(x, 0, 6).

    out = min(max(x, 0), 6);  d/dx = 1 for 0 < x < 6, else 0.

    Args:
        input (Tensor): a tensor.
        inplace (bool): overwrite ``input`` and return it.

    Shape:
        any; the output has the input's shape.

    Example:
        >>> F.relu6(glassgrad.tensor([-1.0, 3.0, 9.0]))
        tensor([0., 3., 6.])
    """
    return hardtanh(input, 0.0, 6.0, inplace)


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
        name = scalar_type_name(input)
        raise NotImplementedError(f'"{op}" not implemented for \'{name}\'')
    return input


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


# ----------------------------------------------------------------------------- helpers
def _sigmoid(v):
    """1 / (1 + e^-v) of an array (without overflow) or of a Tensor (differentiable, for the
    backward formulas of a ``create_graph=True`` pass)."""
    if isinstance(v, Tensor):
        return v.sigmoid()
    e = np.exp(-np.abs(v))
    return (np.where(v >= 0, 1, e) / (1 + e)).astype(v.dtype, copy=False)
