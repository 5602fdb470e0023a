"""Element-wise operations: arithmetic, powers, exponentials, trigonometry, rounding, clamping.

Each primitive keeps its backward next to its forward, with the derivative as math. ``g`` is the
upstream gradient dL/d(out); a backward returns dL/d(input) for each input, i.e.
``g * d(out)/d(input)`` (the chain rule), summed back over broadcast axes by ``unbroadcast``.
Backward formulas use operators and NumPy functions only, so they run on arrays in a plain
backward pass and on Tensors in a differentiable one (``create_graph=True``).
"""

import builtins

import numpy as np

from ..autograd.function import Primitive
from ..tensor import Tensor
from ._util import (
    binary_operands,
    cast,
    check_broadcast,
    float_operand,
    shape_of,
    unbroadcast,
    write_out,
)

__all__ = [
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "pow", "neg",
    "negative", "abs", "absolute", "exp", "log", "log1p", "log2", "log10", "expm1", "sqrt",
    "rsqrt", "square", "reciprocal", "sin", "cos", "tan", "tanh", "sigmoid", "sign", "floor",
    "ceil", "round", "trunc", "clamp", "clip", "maximum", "minimum", "rsub", "floor_divide",
    "remainder", "fmod", "to_dtype", "clone",
]


def _is_number(value):
    return isinstance(value, (builtins.bool, builtins.int, builtins.float))


# ---------------------------------------------------------------------------- binary
class Add(Primitive):
    """out = a + b;  d/da = 1, d/db = 1."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (getattr(a, "shape", ()), getattr(b, "shape", ()))
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
        ctx.shapes = (getattr(a, "shape", ()), getattr(b, "shape", ()))
        ctx.scalar_first = _is_number(a)
        return a - b

    @staticmethod
    def backward(ctx, g):
        need_a, need_b = ctx.needs_input_grad
        return (unbroadcast(g, ctx.shapes[0]) if need_a else None,
                unbroadcast(-g, ctx.shapes[1]) if need_b else None)

    def name(self):
        return "RsubBackward1" if self.scalar_first else "SubBackward0"  # 2 - x is rsub(x, 2)


class Mul(Primitive):
    """out = a * b;  d/da = b, d/db = a."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (getattr(a, "shape", ()), getattr(b, "shape", ()))
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
        ctx.shapes = (getattr(a, "shape", ()), getattr(b, "shape", ()))
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b)
        return a / b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (unbroadcast(g / b, ctx.shapes[0]) if need_a else None,
                unbroadcast(-g * a / (b * b), ctx.shapes[1]) if need_b else None)


class RoundedDiv(Primitive):
    """out = trunc(a / b) or floor(a / b);  a step function: d/da = d/db = 0 (PyTorch's
    ``DivBackward2``)."""

    @staticmethod
    def forward(ctx, a, b, mode):
        ctx.shapes = (getattr(a, "shape", ()), getattr(b, "shape", ()))
        return _rounded_quotient(a, b, mode)

    @staticmethod
    def backward(ctx, g):
        need_a, need_b = ctx.needs_input_grad
        return (unbroadcast(g * 0, ctx.shapes[0]) if need_a else None,
                unbroadcast(g * 0, ctx.shapes[1]) if need_b else None)

    def name(self):
        return "DivBackward2"


class FloorDivide(RoundedDiv):
    """out = floor(a / b) (``//``).  PyTorch defines no derivative for it: the result requires
    grad, but backward through it raises."""

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("derivative for aten::floor_divide is not implemented")

    def name(self):
        return "torch::autograd::NotImplemented"


def _rounded_quotient(a, b, mode):
    """floor(a / b) or trunc(a / b) of arrays, in their (already promoted) dtype. Integer
    division by zero raises, as in PyTorch."""
    kind = np.result_type(a, b).kind
    if kind in "iub" and np.any(np.asarray(b) == 0):
        raise RuntimeError("ZeroDivisionError")
    with np.errstate(divide="ignore", invalid="ignore"):
        if mode == "floor":
            return np.asarray(np.floor_divide(a, b))
        if kind in "iub":  # C division truncates: a = q * b + fmod(a, b)
            return np.asarray((a - np.fmod(a, b)) // b)
        return np.asarray(np.trunc(np.true_divide(a, b)))


def _quotient(a, b, mode):
    """The rounded quotient inside a backward formula: arrays or (differentiable) Tensors."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        return div(a, b, rounding_mode=mode)
    return _rounded_quotient(a, b, mode)


class Remainder(Primitive):
    """out = a - floor(a / b) * b, the sign of the divisor (Python's ``%``);
    d/da = 1,  d/db = -floor(a / b).

    Computed as PyTorch does: r = fmod(a, b), then r + b where r and b differ in sign; exact even
    when a / b is not representable.
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (getattr(a, "shape", ()), getattr(b, "shape", ()))
        ctx.scalar_other = _is_number(b)
        need_b = ctx.needs_input_grad[1]  # d/da = 1 needs nothing saved
        ctx.save_for_backward(a if need_b else None, b if need_b else None)
        if np.result_type(a, b).kind in "iub":
            if np.any(np.asarray(b) == 0):
                raise RuntimeError("ZeroDivisionError")
            return np.asarray(np.remainder(a, b))
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.fmod(a, b)
            return np.asarray(np.where((r != 0) & ((r < 0) != (np.asarray(b) < 0)), r + b, r))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        if need_b and _is_number(a):
            raise RuntimeError("derivative for aten::remainder is not implemented")
        return (unbroadcast(g, ctx.shapes[0]) if need_a else None,
                unbroadcast(-g * _quotient(a, b, "floor"), ctx.shapes[1]) if need_b else None)

    def name(self):
        return "RemainderBackward0" if self.scalar_other else "RemainderBackward1"


class Fmod(Primitive):
    """out = a - trunc(a / b) * b, the sign of the dividend (C's fmod);
    d/da = 1,  d/db = -trunc(a / b)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (getattr(a, "shape", ()), getattr(b, "shape", ()))
        ctx.scalar_other = _is_number(b)
        need_b = ctx.needs_input_grad[1]  # d/da = 1 needs nothing saved
        ctx.save_for_backward(a if need_b else None, b if need_b else None)
        if np.result_type(a, b).kind in "iub" and np.any(np.asarray(b) == 0):
            raise RuntimeError("ZeroDivisionError")
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray(np.fmod(a, b))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (unbroadcast(g, ctx.shapes[0]) if need_a else None,
                unbroadcast(-g * _quotient(a, b, "trunc"), ctx.shapes[1]) if need_b else None)

    def name(self):
        return "FmodBackward0" if self.scalar_other else "FmodBackward1"


class Pow(Primitive):
    """out = a ** b;  d/da = b * a^(b-1)  (0 where b = 0),
    d/db = a^b * ln(a)  (0 where a = 0 and b >= 0), PyTorch's conventions at those points."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (getattr(a, "shape", ()), getattr(b, "shape", ()))
        ctx.kind = 2 if _is_number(a) else (0 if _is_number(b) else 1)
        out = np.power(a, b)
        ctx.save_for_backward(a, b, out if ctx.needs_input_grad[1] else None)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad_b = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if need_a and _is_number(b):
                grad_a = g * 0 if b == 0 else g * b * a ** (b - 1)
            elif need_a:
                grad_a = unbroadcast(np.where(b == 0, 0, g * b * a ** (b - 1)), ctx.shapes[0])
            if need_b and _is_number(a):  # number ** tensor (keeps the tensor's dtype)
                factor = out * float(np.log(a)) if a != 0 else np.where(b >= 0, 0, out * -np.inf)
                grad_b = g * factor
            elif need_b:
                log_a = np.log(np.where((a == 0) & (b >= 0), 1, a))
                grad_b = unbroadcast(g * out * log_a, ctx.shapes[1])
        return grad_a, grad_b

    def name(self):
        return f"PowBackward{self.kind}"  # 0: tensor ** number, 1: tensor ** tensor, 2: number


class Maximum(Primitive):
    """out = max(a, b);  the gradient goes to the larger input, half to each on a tie."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (getattr(a, "shape", ()), getattr(b, "shape", ()))
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
        ctx.shapes = (getattr(a, "shape", ()), getattr(b, "shape", ()))
        ctx.save_for_backward(a, b)
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        grad_a = g * (a < b) + g * (a == b) * 0.5
        return unbroadcast(grad_a, ctx.shapes[0]), unbroadcast(g - grad_a, ctx.shapes[1])


def _binary(op, name, a, b, out=None, true_divide=False, **kwargs):
    """Apply a binary primitive after PyTorch's type promotion, with a clear broadcast error."""
    a, b = binary_operands(a, b, true_divide)
    try:
        result = op.apply(a, b, **kwargs)
    except ValueError as error:
        check_broadcast(name, shape_of(getattr(a, "_data", a)), shape_of(getattr(b, "_data", b)))
        raise RuntimeError(str(error)) from error
    return result if out is None else write_out(result, out)


def _scaled(other, alpha, input):
    """``alpha * other`` for add/sub; a float alpha is refused for integer tensors (PyTorch)."""
    tensors = [t for t in (input, other) if isinstance(t, Tensor)]
    if isinstance(alpha, float) and tensors and builtins.all(
            t._data.dtype.kind in "iub" for t in tensors):
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating "
                           "point number.")
    return other * alpha if _is_number(other) else mul(other, alpha)


def add(input, other, *, alpha=1, out=None):
    """input + alpha * other, broadcasting (``torch.add``)."""
    if alpha != 1:
        other = _scaled(other, alpha, input)
    return _binary(Add, "add", input, other, out)


def sub(input, other, *, alpha=1, out=None):
    """input - alpha * other, broadcasting (``torch.sub``); not defined for two bool tensors."""
    if alpha != 1:
        other = _scaled(other, alpha, input)
    try:
        return _binary(Sub, "sub", input, other, out)
    except TypeError:  # NumPy refuses bool - bool
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.") from None


def rsub(input, other, *, alpha=1):
    """other - alpha * input (``torch.rsub``; what ``2 - x`` calls)."""
    return sub(other, input, alpha=alpha)


def mul(input, other, *, out=None):
    """input * other, element-wise with broadcasting (``torch.mul``)."""
    return _binary(Mul, "mul", input, other, out)


def div(input, other, *, rounding_mode=None, out=None):
    """input / other (true division: integers give floats); ``rounding_mode`` 'trunc' or 'floor'
    rounds the quotient and keeps the promoted dtype, with zero gradient."""
    if rounding_mode is None:
        if _is_number(input) and isinstance(other, Tensor):  # 2 / x is reciprocal(x) * 2,
            return mul(reciprocal(other), input, out=out)     # as in PyTorch
        return _binary(Div, "div", input, other, out, true_divide=True)
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError("div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                         f"found '{rounding_mode}'")
    return _binary(RoundedDiv, "div", input, other, out, mode=rounding_mode)


def floor_divide(input, other, *, out=None):
    """floor(input / other) (``torch.floor_divide``; ``//``). Like PyTorch it has no
    derivative: backward through it raises."""
    return _binary(FloorDivide, "floor_divide", input, other, out, mode="floor")


def remainder(input, other, *, out=None):
    """input - floor(input / other) * other: Python's ``%``, the sign of ``other``."""
    return _binary(Remainder, "remainder", input, other, out)


def fmod(input, other, *, out=None):
    """input - trunc(input / other) * other: C's fmod, the sign of ``input``."""
    return _binary(Fmod, "fmod", input, other, out)


def pow(input, exponent, *, out=None):
    """input ** exponent, element-wise (``torch.pow``); either may be a number."""
    return _binary(Pow, "pow", input, exponent, out)


def maximum(input, other, *, out=None):
    """Element-wise maximum of two tensors (``torch.maximum``); on a tie each gets half the
    gradient."""
    return _binary(Maximum, "maximum", input, other, out)


def minimum(input, other, *, out=None):
    """Element-wise minimum of two tensors (``torch.minimum``); on a tie each gets half the
    gradient."""
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
    """Piecewise-constant functions (sign, floor, ceil, round, trunc): d/dx = 0 almost
    everywhere."""

    function = None

    @classmethod
    def forward(cls, ctx, x, **kwargs):
        ctx.kwargs = kwargs
        return cls.function(x, **kwargs)

    @staticmethod
    def backward(ctx, g):
        return g * 0


class Sign(ZeroGradient):
    @staticmethod
    def function(x):
        return x.copy() if x.dtype == np.bool_ else np.sign(x)  # sign(True) is True


class Floor(ZeroGradient):
    function = staticmethod(np.floor)


class Ceil(ZeroGradient):
    function = staticmethod(np.ceil)


class Round(ZeroGradient):
    function = staticmethod(np.round)

    def name(self):
        return "RoundBackward1" if self.kwargs.get("decimals") else "RoundBackward0"


class Trunc(ZeroGradient):
    function = staticmethod(np.trunc)


class Clamp(Primitive):
    """out = min(max(x, low), high) for numbers low, high;
    d/dx = 1 where low <= x <= high, else 0."""

    @staticmethod
    def forward(ctx, x, low=None, high=None):
        ctx.save_for_backward(x)
        ctx.bounds = (low, high)
        return np.asarray(np.clip(x, low, high))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        low, high = ctx.bounds
        if low is not None:
            g = g * (x >= low)
        if high is not None:
            g = g * (x <= high)
        return g

    def name(self):
        return "ClampBackward1"


class ClampTensor(Primitive):
    """out = min(max(x, low), high) for tensors low, high (broadcasting; either may be None).

    d/dx    = 1 where low <= x <= high (1 on a tie, unlike ``maximum``),
    d/dlow  = 1 where x < low and low < high,
    d/dhigh = 1 where x > high, or everywhere high < low (then out = high): PyTorch's rules.
    """

    @staticmethod
    def forward(ctx, x, low, high):
        ctx.shapes = (x.shape, shape_of(low), shape_of(high))
        ctx.save_for_backward(x, low, high)
        out = x if low is None else np.maximum(x, low)
        return out if high is None else np.minimum(out, high)

    @staticmethod
    def backward(ctx, g):
        x, low, high = ctx.saved_tensors
        need_x, need_low, need_high = ctx.needs_input_grad
        grad_x = grad_low = grad_high = None
        if need_x:
            grad_x = g if low is None else g * (x >= low)
            grad_x = grad_x if high is None else grad_x * (x <= high)
            grad_x = unbroadcast(grad_x, ctx.shapes[0])
        if need_low:
            picked = (x < low) if high is None else (x < low) & (low < high)
            grad_low = unbroadcast(g * picked, ctx.shapes[1])
        if need_high:
            picked = (x > high) if low is None else (x > high) | (high < low)
            grad_high = unbroadcast(g * picked, ctx.shapes[2])
        return grad_x, grad_low, grad_high

    def name(self):
        return "ClampBackward0"


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


def _unary(op, input, out=None, floating=True, **kwargs):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op.__name__.lower()}(): argument 'input' (position 1) must be Tensor, "
                        f"not {type(input).__name__}")
    if floating:
        input = float_operand(input)
    elif input._data.dtype == np.bool_ and op.__name__ in _NO_BOOL_KERNEL:
        raise NotImplementedError(f'"{_NO_BOOL_KERNEL[op.__name__]}" not implemented for '
                                  "'Bool'")
    result = op.apply(input, **kwargs)
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


def square(input, *, out=None):
    """input ** 2 (integers stay integers; bool becomes int64, as in PyTorch)."""
    return _binary(Pow, "square", input, 2, out)


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
    """Limit every element to [min, max] (``torch.clamp``).

    The bounds are both numbers (or None), or both tensors (or None), which broadcast with
    ``input``. Where min > max the result is max. The gradient flows to ``input`` where
    min <= input <= max, to ``min`` where it is the result and to ``max`` likewise.

    Example:
        >>> glassgrad.tensor([-2.0, 0.5, 3.0]).clamp(-1, 1)
        tensor([-1.0000,  0.5000,  1.0000])
    """
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    tensor_bounds = isinstance(min, Tensor) or isinstance(max, Tensor)
    if tensor_bounds:
        if not builtins.all(b is None or isinstance(b, Tensor) for b in (min, max)):
            raise TypeError("clamp(): min and max must both be Tensors (or None) or both be "
                            "numbers (or None), not a mix")
        present = [t for t in (input, min, max) if t is not None]
        from .._dtype import result_numpy_dtype

        target = result_numpy_dtype([t._data for t in present])
        x, low, high = (None if t is None else cast(t, target) for t in (input, min, max))
        try:
            result = ClampTensor.apply(x, low, high)
        except ValueError as error:
            other = low if low is not None else high
            check_broadcast("clamp", x.shape, other.shape)
            raise RuntimeError(str(error)) from error
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
