"""Unary element-wise functions: neg, abs, exp, expm1, log, log1p, log2, log10, sqrt, rsqrt,
reciprocal, sin, cos, tan, tanh, sigmoid; also the dtype cast (``ToCopy``) and ``clone``.

Each out_i = f(x_i) depends on x_i alone, so the Jacobian is diagonal and the chain rule is a
product: dL/dx = g * f'(x), with ``g`` the upstream gradient dL/d(out). Where f' is cheapest in
terms of the output (e^x, sqrt, tanh, sigmoid...), the forward saves ``out`` instead of ``x``.
The floating-point functions first promote integer and bool inputs to the default dtype
(``float_operand``), as PyTorch does. Backward formulas use operators and NumPy functions only, so
they run on arrays and on Tensors (``create_graph=True``) alike.
"""

import numpy as np

from ..autograd.function import Primitive
from ..tensor import Tensor
from ._util import ONE, float_operand, write_out

__all__ = [
    "neg", "negative", "abs", "absolute", "exp", "log", "log1p", "log2", "log10", "expm1", "sqrt",
    "rsqrt", "reciprocal", "sin", "cos", "tan", "tanh", "sigmoid", "to_dtype", "clone",
]


class Neg(Primitive):
    """out = -x;  d/dx = -1."""

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, g):
        return -g


class Abs(Primitive):
    """out = |x|;  d/dx = sign(x)  (0 at 0, as PyTorch)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * np.sign(x)


class Exp(Primitive):
    """out = e^x;  d/dx = e^x = out."""

    @staticmethod
    def forward(ctx, x):
        out = np.exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out


class Expm1(Primitive):
    """out = e^x - 1;  d/dx = e^x = out + 1."""

    @staticmethod
    def forward(ctx, x):
        out = np.expm1(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (out + 1)


class Log(Primitive):
    """out = ln(x);  d/dx = 1 / x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / x


class Log2(Primitive):
    """out = log2(x);  d/dx = 1 / (x ln 2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log2(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (x * float(np.log(2.0)))


class Log10(Primitive):
    """out = log10(x);  d/dx = 1 / (x ln 10)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log10(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (x * float(np.log(10.0)))


class Log1p(Primitive):
    """out = ln(1 + x);  d/dx = 1 / (1 + x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log1p(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (x + 1)

    def name(self):
        return "Log1PBackward0"


class Sqrt(Primitive):
    """out = sqrt(x);  d/dx = 1 / (2 sqrt(x)) = 1 / (2 out)."""

    @staticmethod
    def forward(ctx, x):
        out = np.sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g / (out * 2)


class Rsqrt(Primitive):
    """out = 1 / sqrt(x);  d/dx = -1/2 x^(-3/2) = -out^3 / 2."""

    @staticmethod
    def forward(ctx, x):
        out = 1 / np.sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (out * out * out) * -0.5


class Reciprocal(Primitive):
    """out = 1 / x;  d/dx = -1 / x^2 = -out^2."""

    @staticmethod
    def forward(ctx, x):
        out = np.reciprocal(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return -g * (out * out)


class Sin(Primitive):
    """out = sin(x);  d/dx = cos(x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * np.cos(x)


class Cos(Primitive):
    """out = cos(x);  d/dx = -sin(x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cos(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return -g * np.sin(x)


class Tan(Primitive):
    """out = tan(x);  d/dx = 1 / cos^2(x) = 1 + out^2."""

    @staticmethod
    def forward(ctx, x):
        out = np.tan(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (out * out + 1)


class Tanh(Primitive):
    """out = tanh(x);  d/dx = 1 - tanh(x)^2 = 1 - out^2."""

    @staticmethod
    def forward(ctx, x):
        out = np.tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (ONE.get(out.dtype, 1) - out * out)


class Sigmoid(Primitive):
    """out = 1 / (1 + e^-x);  d/dx = out (1 - out).

    Computed as e^(min(x,0)) / (1 + e^-|x|) so that neither branch overflows.
    """

    @staticmethod
    def forward(ctx, x):
        e = np.exp(-np.abs(x))
        out = np.where(x >= 0, 1, e) / (1 + e)
        out = out.astype(x.dtype, copy=False)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out * (ONE.get(out.dtype, 1) - out)


class ToCopy(Primitive):
    """A change of dtype;  the gradient is cast back to the input's dtype."""

    @staticmethod
    def forward(ctx, x, dtype):
        ctx.input_dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return g.astype(ctx.input_dtype) if isinstance(g, np.ndarray) else g.to(
            _dtype_of(ctx.input_dtype))


def _dtype_of(np_dtype):
    from .._dtype import from_numpy_dtype

    return from_numpy_dtype(np_dtype)


def to_dtype(x, np_dtype):
    """Cast ``x`` to a NumPy dtype, recording the cast in the graph when it changes anything."""
    if x._data.dtype == np_dtype:
        return x
    return ToCopy.apply(x, dtype=np.dtype(np_dtype))


_NO_BOOL_KERNEL = {"Abs": "abs_cpu", "Floor": "floor_vml_cpu", "Ceil": "ceil_vml_cpu",
                   "Round": "round_vml_cpu", "Trunc": "trunc_vml_cpu"}


_FLOAT32, _FLOAT64 = np.dtype(np.float32), np.dtype(np.float64)


def _unary(op, input, out=None, floating=True, params=None):
    """``op`` applied to one tensor (``params``: the operation's keyword parameters), with
    PyTorch's argument checks, integer inputs made float where the operation needs it, and
    ``out=``."""
    if out is None and params is None and type(input) is Tensor:
        # the common case, a float32 or float64 tensor (dtypes compared by identity, the
        # cheapest test): nothing to check or cast
        dtype = input._data.dtype
        if dtype is _FLOAT32 or dtype is _FLOAT64:
            return op.apply(input)
    if not isinstance(input, Tensor):
        raise TypeError(f"{op.__name__.lower()}(): argument 'input' (position 1) must be Tensor, "
                        f"not {type(input).__name__}")
    if floating:
        input = float_operand(input)
    elif input._data.dtype == np.bool_ and op.__name__ in _NO_BOOL_KERNEL:
        raise NotImplementedError(f'"{_NO_BOOL_KERNEL[op.__name__]}" not implemented for '
                                  "'Bool'")
    result = op.apply(input, **(params or {}))
    return result if out is None else write_out(result, out)


def neg(input, *, out=None):
    """-input (``torch.neg``); not defined for bool tensors."""
    if isinstance(input, Tensor) and input._data.dtype == np.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you "
                           "are trying to invert a mask, use the `~` or `logical_not()` operator "
                           "instead.")
    return _unary(Neg, input, out, floating=False)


def abs(input, *, out=None):
    """|input| (``torch.abs``)."""
    return _unary(Abs, input, out, floating=False)


def exp(input, *, out=None):
    """e ** input (``torch.exp``)."""
    return _unary(Exp, input, out)


def expm1(input, *, out=None):
    """e ** input - 1, accurate near 0 (``torch.expm1``)."""
    return _unary(Expm1, input, out)


def log(input, *, out=None):
    """Natural logarithm (``torch.log``)."""
    return _unary(Log, input, out)


def log1p(input, *, out=None):
    """ln(1 + input), accurate near 0 (``torch.log1p``)."""
    return _unary(Log1p, input, out)


def log2(input, *, out=None):
    """Base-2 logarithm (``torch.log2``)."""
    return _unary(Log2, input, out)


def log10(input, *, out=None):
    """Base-10 logarithm (``torch.log10``)."""
    return _unary(Log10, input, out)


def sqrt(input, *, out=None):
    """Square root (``torch.sqrt``)."""
    return _unary(Sqrt, input, out)


def rsqrt(input, *, out=None):
    """1 / sqrt(input) (``torch.rsqrt``)."""
    return _unary(Rsqrt, input, out)


def reciprocal(input, *, out=None):
    """1 / input (``torch.reciprocal``; integers give floats)."""
    return _unary(Reciprocal, input, out)


def sin(input, *, out=None):
    """Sine (``torch.sin``)."""
    return _unary(Sin, input, out)


def cos(input, *, out=None):
    """Cosine (``torch.cos``)."""
    return _unary(Cos, input, out)


def tan(input, *, out=None):
    """Tangent (``torch.tan``)."""
    return _unary(Tan, input, out)


def tanh(input, *, out=None):
    """Hyperbolic tangent (``torch.tanh``)."""
    return _unary(Tanh, input, out)


def sigmoid(input, *, out=None):
    """Logistic sigmoid 1 / (1 + e^-x) (``torch.sigmoid``)."""
    return _unary(Sigmoid, input, out)


negative = neg
absolute = abs


class Clone(Primitive):
    """out = a copy of x;  d/dx = 1."""

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return g


def clone(input, *, memory_format=None):
    """A copy of ``input`` with its own storage, still connected to the graph."""
    return Clone.apply(input)
