"""Element-wise operations: arithmetic, powers, exponentials, trigonometry, rounding, clamping.

Each primitive keeps its backward next to its forward, with the derivative as math. ``g`` is the
upstream gradient dL/d(out); a backward returns dL/d(input) for each input, i.e.
``g * d(out)/d(input)`` (the chain rule), summed back over broadcast axes by ``unbroadcast``.
Backward formulas use operators and NumPy functions only, so they run on arrays in a plain
backward pass and on Tensors in a differentiable one (``create_graph=True``).
"""

import numpy as np

from ..autograd.function import Primitive
from ..tensor import Tensor
from ._util import (binary_operands, check_broadcast, float_operand, shape_of, unbroadcast,
                    write_out)

__all__ = [
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "pow", "neg",
    "negative", "abs", "absolute", "exp", "log", "log1p", "log2", "log10", "expm1", "sqrt",
    "rsqrt", "square", "reciprocal", "sin", "cos", "tan", "tanh", "sigmoid", "sign", "floor",
    "ceil", "round", "trunc", "clamp", "clip", "maximum", "minimum", "rsub", "floor_divide",
    "remainder", "fmod", "to_dtype", "clone",
]


# ---------------------------------------------------------------------------- binary
class Add(Primitive):
    """out = a + b;  d/da = 1, d/db = 1."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (shape_of(a), shape_of(b))
        return a + b

    @staticmethod
    def backward(ctx, g):
        need_a, need_b = ctx.needs_input_grad
        return (unbroadcast(g, ctx.shapes[0]) if need_a else None,
                unbroadcast(g, ctx.shapes[1]) if need_b else None)


class Sub(Primitive):
    """out = a - b;  d/da = 1, d/db = -1."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (shape_of(a), shape_of(b))
        return a - b

    @staticmethod
    def backward(ctx, g):
        need_a, need_b = ctx.needs_input_grad
        return (unbroadcast(g, ctx.shapes[0]) if need_a else None,
                unbroadcast(-g, ctx.shapes[1]) if need_b else None)


class Mul(Primitive):
    """out = a * b;  d/da = b, d/db = a."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (shape_of(a), shape_of(b))
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None,
                              b if ctx.needs_input_grad[0] else None)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (unbroadcast(g * b, ctx.shapes[0]) if need_a else None,
                unbroadcast(g * a, ctx.shapes[1]) if need_b else None)


class Div(Primitive):
    """out = a / b;  d/da = 1 / b, d/db = -a / b^2."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (shape_of(a), shape_of(b))
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b)
        return a / b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (unbroadcast(g / b, ctx.shapes[0]) if need_a else None,
                unbroadcast(-g * a / (b * b), ctx.shapes[1]) if need_b else None)


class Pow(Primitive):
    """out = a ** b;  d/da = b * a^(b-1),  d/db = a^b * ln(a)  (0 where a = 0 and b >= 0)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (shape_of(a), shape_of(b))
        out = np.power(a, b)
        ctx.save_for_backward(a, b, out if ctx.needs_input_grad[1] else None)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad_b = None
        if need_a:
            grad_a = unbroadcast(g * b * a ** (b - 1), ctx.shapes[0])
        if need_b:
            log_a = np.log(np.where((a == 0) & (b >= 0), 1, a))
            grad_b = unbroadcast(g * out * log_a, ctx.shapes[1])
        return grad_a, grad_b

    def name(self):
        return "PowBackward1" if self.needs_input_grad[1] else "PowBackward0"


class Maximum(Primitive):
    """out = max(a, b);  the gradient goes to the larger input, half to each on a tie."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (shape_of(a), shape_of(b))
        ctx.save_for_backward(a, b)
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        grad_a = g * (a > b) + g * (a == b) * 0.5
        return unbroadcast(grad_a, ctx.shapes[0]), unbroadcast(g - grad_a, ctx.shapes[1])


class Minimum(Primitive):
    """out = min(a, b);  the gradient goes to the smaller input, half to each on a tie."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (shape_of(a), shape_of(b))
        ctx.save_for_backward(a, b)
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        grad_a = g * (a < b) + g * (a == b) * 0.5
        return unbroadcast(grad_a, ctx.shapes[0]), unbroadcast(g - grad_a, ctx.shapes[1])


def _binary(op, name, a, b, out=None, true_divide=False):
    """Apply a binary primitive after PyTorch's type promotion, with a clear broadcast error."""
    a, b = binary_operands(a, b, true_divide)
    try:
        result = op.apply(a, b)
    except ValueError:
        check_broadcast(name, shape_of(getattr(a, "_data", a)), shape_of(getattr(b, "_data", b)))
        raise
    return result if out is None else write_out(result, out)


def add(input, other, *, alpha=1, out=None):
    """input + alpha * other, broadcasting (``torch.add``)."""
    if alpha != 1:
        other = mul(other, alpha)
    return _binary(Add, "add", input, other, out)


def sub(input, other, *, alpha=1, out=None):
    """input - alpha * other, broadcasting (``torch.sub``)."""
    if alpha != 1:
        other = mul(other, alpha)
    return _binary(Sub, "sub", input, other, out)


def rsub(input, other, *, alpha=1):
    """other - alpha * input (``torch.rsub``; what ``2 - x`` calls)."""
    return sub(other, input, alpha=alpha)


def mul(input, other, *, out=None):
    """input * other, element-wise with broadcasting (``torch.mul``)."""
    return _binary(Mul, "mul", input, other, out)


def div(input, other, *, rounding_mode=None, out=None):
    """input / other; ``rounding_mode`` 'trunc' or 'floor' gives an integer-valued result."""
    if rounding_mode is None:
        return _binary(Div, "div", input, other, out, true_divide=True)
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError("div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                         f"found '{rounding_mode}'")
    a, b = binary_operands(input, other)
    a_data = a._data if isinstance(a, Tensor) else a
    b_data = b._data if isinstance(b, Tensor) else b
    rounded = np.floor_divide(a_data, b_data) if rounding_mode == "floor" else np.trunc(
        np.true_divide(a_data, b_data))
    kind = np.result_type(a_data, b_data).kind
    result = Tensor._make(np.asarray(rounded).astype(np.result_type(a_data, b_data))
                          if kind != "f" else np.asarray(rounded, dtype=np.result_type(a_data,
                                                                                       b_data)))
    return write_out(result, out)


def floor_divide(input, other, *, out=None):
    """floor(input / other) (``torch.floor_divide``; ``//``); no gradient."""
    return div(input, other, rounding_mode="floor", out=out)


def remainder(input, other, *, out=None):
    """input - floor(input / other) * other (Python's ``%``); gradient 1 w.r.t. input."""
    return sub(input, mul(floor_divide(input, other), other), out=out)


def fmod(input, other, *, out=None):
    """C-style remainder (sign of the dividend); gradient 1 w.r.t. input."""
    return sub(input, mul(div(input, other, rounding_mode="trunc"), other), out=out)


def pow(input, exponent, *, out=None):
    """input ** exponent, element-wise (``torch.pow``); either may be a number."""
    if not isinstance(input, Tensor):
        a, b = binary_operands(input, exponent)
        return _binary(Pow, "pow", a, b, out)
    return _binary(Pow, "pow", input, exponent, out)


def maximum(input, other, *, out=None):
    """Element-wise maximum of two tensors (``torch.maximum``)."""
    return _binary(Maximum, "maximum", input, other, out)


def minimum(input, other, *, out=None):
    """Element-wise minimum of two tensors (``torch.minimum``)."""
    return _binary(Minimum, "minimum", input, other, out)


subtract = sub
multiply = mul
divide = true_divide = div


# ---------------------------------------------------------------------------- unary
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
        return g * (1 - out * out)


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
        return g * out * (1 - out)


class ZeroGradient(Primitive):
    """Piecewise-constant functions (sign, floor, ceil, round, trunc): d/dx = 0 almost everywhere."""

    function = None

    @classmethod
    def forward(cls, ctx, x, **kwargs):
        return cls.function(x, **kwargs)

    @staticmethod
    def backward(ctx, g):
        return g * 0


class Sign(ZeroGradient):
    function = staticmethod(np.sign)


class Floor(ZeroGradient):
    function = staticmethod(np.floor)


class Ceil(ZeroGradient):
    function = staticmethod(np.ceil)


class Round(ZeroGradient):
    function = staticmethod(np.round)


class Trunc(ZeroGradient):
    function = staticmethod(np.trunc)


class Clamp(Primitive):
    """out = min(max(x, low), high);  d/dx = 1 where low <= x <= high, else 0."""

    @staticmethod
    def forward(ctx, x, low=None, high=None):
        ctx.save_for_backward(x)
        ctx.bounds = (low, high)
        return np.clip(x, low, high)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        low, high = ctx.bounds
        if low is not None:
            g = g * (x >= low)
        if high is not None:
            g = g * (x <= high)
        return g


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


def _unary(op, input, out=None, floating=True, **kwargs):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op.__name__.lower()}(): argument 'input' must be Tensor, not "
                        f"{type(input).__name__}")
    if floating:
        input = float_operand(input)
    result = op.apply(input, **kwargs)
    return result if out is None else write_out(result, out)


def neg(input, *, out=None):
    """-input (``torch.neg``)."""
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
    """Base-2 logarithm: ln(x) / ln(2)."""
    return div(log(input), float(np.log(2.0)), out=out)


def log10(input, *, out=None):
    """Base-10 logarithm: ln(x) / ln(10)."""
    return div(log(input), float(np.log(10.0)), out=out)


def sqrt(input, *, out=None):
    """Square root (``torch.sqrt``)."""
    return _unary(Sqrt, input, out)


def rsqrt(input, *, out=None):
    """1 / sqrt(input)."""
    return _binary(Pow, "rsqrt", float_operand(input), -0.5, out)


def square(input, *, out=None):
    """input ** 2."""
    return _binary(Pow, "square", input, 2, out)


def reciprocal(input, *, out=None):
    """1 / input."""
    return _binary(Div, "reciprocal", 1.0, float_operand(input), out)


def sin(input, *, out=None):
    """Sine (``torch.sin``)."""
    return _unary(Sin, input, out)


def cos(input, *, out=None):
    """Cosine (``torch.cos``)."""
    return _unary(Cos, input, out)


def tan(input, *, out=None):
    """Tangent: sin / cos."""
    return div(sin(input), cos(input), out=out)


def tanh(input, *, out=None):
    """Hyperbolic tangent (``torch.tanh``)."""
    return _unary(Tanh, input, out)


def sigmoid(input, *, out=None):
    """Logistic sigmoid 1 / (1 + e^-x) (``torch.sigmoid``)."""
    return _unary(Sigmoid, input, out)


def sign(input, *, out=None):
    """-1, 0 or 1 by the sign of each element (gradient 0)."""
    return _unary(Sign, input, out, floating=False)


def floor(input, *, out=None):
    """Round down (gradient 0)."""
    return _unary(Floor, input, out, floating=False)


def ceil(input, *, out=None):
    """Round up (gradient 0)."""
    return _unary(Ceil, input, out, floating=False)


def round(input, *, decimals=0, out=None):
    """Round half to even, as PyTorch and NumPy do (gradient 0)."""
    return _unary(Round, input, out, floating=False, decimals=decimals)


def trunc(input, *, out=None):
    """Round towards zero (gradient 0)."""
    return _unary(Trunc, input, out, floating=False)


def clamp(input, min=None, max=None, *, out=None):
    """Limit every element to [min, max] (``torch.clamp``); either bound may be None or a
    tensor."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        result = input
        if min is not None:
            result = maximum(result, min)
        if max is not None:
            result = minimum(result, max)
        return write_out(result, out)
    if isinstance(min, float) or isinstance(max, float):
        input = float_operand(input)
    return _unary(Clamp, input, out, floating=False, low=min, high=max)


clip = clamp
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
