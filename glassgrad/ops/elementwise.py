"""Element-wise operations: arithmetic, powers, exponentials, trigonometry, rounding, clamping.

The family lives in three files, re-exported here so that ``elementwise.add``,
``elementwise.Mul`` or ``glassgrad.ops.elementwise.ToCopy`` keep working:

- ``arithmetic.py``: binary add, sub, mul, div, floor_divide, remainder, fmod, pow, maximum,
  minimum (and ``square``, which is ``pow(x, 2)``); gradients are summed back over broadcast axes.
- ``unary.py``: neg, abs, exp, the logarithms, sqrt, rsqrt, reciprocal, trigonometry, tanh,
  sigmoid; the dtype cast ``to_dtype`` (``ToCopy``) and ``clone``.
- ``piecewise.py``: sign, floor, ceil, round, trunc (zero gradient) and clamp.

Each primitive keeps its backward next to its forward, with the derivative as math. ``g`` is the
upstream gradient dL/d(out); a backward returns dL/d(input) for each input, i.e.
``g * d(out)/d(input)`` (the chain rule), summed back over broadcast axes by ``unbroadcast``.
Backward formulas use operators and NumPy functions only, so they run on arrays in a plain
backward pass and on Tensors in a differentiable one (``create_graph=True``).
"""

# A re-export module: F401 and I001 are off for it in pyproject.toml, so the names stay compact.
from .arithmetic import (Add, Div, FloorDivide, Fmod, Maximum, Minimum, Mul, Pow, Remainder,
                         RoundedDiv, Sub, add, div, divide, floor_divide, fmod, maximum, minimum,
                         mul, multiply, pow, remainder, rsub, square, sub, subtract, true_divide)
from .piecewise import (Ceil, Clamp, ClampTensor, Floor, Round, Sign, Trunc, ZeroGradient, ceil,
                        clamp, clip, floor, round, sign, trunc)
from .unary import (Abs, Clone, Cos, Exp, Expm1, Log, Log1p, Log2, Log10, Neg, Reciprocal, Rsqrt,
                    Sigmoid, Sin, Sqrt, Tan, Tanh, ToCopy, abs, absolute, clone, cos, exp, expm1,
                    log, log1p, log2, log10, neg, negative, reciprocal, rsqrt, sigmoid, sin, sqrt,
                    tan, tanh, to_dtype)

__all__ = [
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "pow", "neg",
    "negative", "abs", "absolute", "exp", "log", "log1p", "log2", "log10", "expm1", "sqrt",
    "rsqrt", "square", "reciprocal", "sin", "cos", "tan", "tanh", "sigmoid", "sign", "floor",
    "ceil", "round", "trunc", "clamp", "clip", "maximum", "minimum", "rsub", "floor_divide",
    "remainder", "fmod", "to_dtype", "clone",
]
