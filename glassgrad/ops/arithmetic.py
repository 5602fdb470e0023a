"""Binary arithmetic: add, sub, mul, div (true or rounded), floor_divide, remainder, fmod, pow,
maximum, minimum, and ``square`` (``pow(x, 2)``).

Each primitive keeps its backward next to its forward, with the derivative as math. For
out = f(a, b), ``g`` is the upstream gradient dL/d(out) and a backward returns
dL/da = g * df/da and dL/db = g * df/db (the chain rule), each summed back over the axes that
broadcasting added or stretched by ``unbroadcast``. Either operand may be a Python number; both go
through PyTorch's type promotion first (``_binary``). Backward formulas use operators and NumPy
functions only, so they run on arrays in a plain backward pass and on Tensors in a differentiable
one (``create_graph=True``).
"""

import builtins

import numpy as np

from ..autograd.function import _NO_CTX, _NO_EDGE, Primitive, _next_sequence_nr
from ..autograd.grad_mode import GradMode
from ..tensor import Tensor
from ._util import binary_operands, check_broadcast, shape_of, unbroadcast, write_out
from .unary import reciprocal

_new = object.__new__
_ndarray = np.ndarray

__all__ = [
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "pow",
    "maximum", "minimum", "rsub", "floor_divide", "remainder", "fmod", "square",
]


def _is_number(value):
    return isinstance(value, (builtins.bool, builtins.int, builtins.float))


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


class _WithScalar(Primitive):
    """Base of ``tensor (op) number``: PyTorch's ``add.Scalar``-style overloads, which the
    operators ``x + 1.0``, ``x * 0.5``, ``x - 1``, ``x / 2`` take. The number (a 0-d array of
    the tensor's dtype) is a constant of the node: no shapes to sum back over (a number never
    broadcasts the tensor), no tensor to check for in-place changes, so recording and backward
    cost the least an operation can. The node carries the name of the tensor-tensor operation,
    as in PyTorch (``MulBackward0``), and its two edges (``next_functions``); its backward
    returns the tensor's gradient alone, and the number's (None) is implied: the engine walks
    the edges that have a gradient, and gives hooks one gradient per edge."""

    _name = ""
    _keeps_number = False  # True if backward needs the number (then saved, and released)

    def name(self):
        return self._name

    @classmethod
    def apply(cls, a, c):
        """``a (op) c`` for a Tensor ``a`` and a 0-d array ``c`` of its dtype: ``Primitive.apply``
        with what it would find out already known (one Tensor input, a float result)."""
        if not (a._requires_grad and GradMode.enabled):
            return Tensor._make(cls.forward(_NO_CTX, a._data, c))
        node = cls()
        node._seq = _next_sequence_nr()
        node.needs_input_grad = _NEEDS_FIRST
        node.next_functions = ((a.grad_fn or a._grad_node(), a._output_nr), _NO_EDGE)
        out = cls.forward(node, a._data, c)
        if type(out) is not _ndarray:  # NumPy gives scalars for 0-d results
            out = np.asarray(out)
        result = _new(Tensor)  # Tensor._make(out, True, node), written out: the hot path
        result._data = out
        result._requires_grad = True
        result._grad = None
        result.grad_fn = node
        result._version_counter = [0]
        if cls._keeps_number:
            node.saved_tensors = (c,)
            node._saved_checks = ()  # a constant: nothing to check
        return result


_NEEDS_FIRST = (True, False)


class _SavesScalar(_WithScalar):
    """``x * c`` and ``x / c`` keep the number for backward (PyTorch saves it as a tensor), so
    like any saved value it is dropped after a backward pass without ``retain_graph``, and a
    second pass through the node raises."""

    _keeps_number = True


class _ShiftsByScalar(_WithScalar):
    """``x + c`` and ``x - c``: out = a +/- c, so d/da = 1 and the gradient passes unchanged
    (nothing is saved: a second backward pass works, as in PyTorch)."""

    @staticmethod
    def backward(ctx, g):
        return g  # (the number's gradient, None, is implied: see _WithScalar)


class AddScalar(_ShiftsByScalar):
    """out = a + c;  d/da = 1."""

    _name = "AddBackward0"

    @staticmethod
    def forward(ctx, a, c):
        return a + c


class SubScalar(_ShiftsByScalar):
    """out = a - c;  d/da = 1."""

    _name = "SubBackward0"

    @staticmethod
    def forward(ctx, a, c):
        return a - c


class MulScalar(_SavesScalar):
    """out = a * c;  d/da = c."""

    _name = "MulBackward0"

    @staticmethod
    def forward(ctx, a, c):
        return a * c

    @staticmethod
    def backward(ctx, g):
        (c,) = ctx.saved_tensors
        return g * c


class DivScalar(_SavesScalar):
    """out = a / c;  d/da = 1 / c."""

    _name = "DivBackward0"

    @staticmethod
    def forward(ctx, a, c):
        return a / c

    @staticmethod
    def backward(ctx, g):
        (c,) = ctx.saved_tensors
        return g / c


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


def square(input, *, out=None):
    """input ** 2 (integers stay integers; bool becomes int64, as in PyTorch)."""
    return _binary(Pow, "square", input, 2, out)
