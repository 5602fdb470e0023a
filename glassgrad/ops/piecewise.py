"""Piecewise functions: sign, floor, ceil, round, trunc (piecewise constant) and clamp/clip
(piecewise linear).

The rounding functions are steps: d/dx = 0 almost everywhere (PyTorch also takes 0 at the jumps),
so their backward is ``g * 0``. ``clamp`` passes the upstream gradient ``g`` through where
min <= x <= max and stops it outside; with tensor bounds, each of x, min and max receives ``g``
where it is the result (summed back over broadcast axes by ``unbroadcast``). All of them keep an
integer input's dtype, unless a bound of ``clamp`` is a float.
"""

import builtins

import numpy as np

from ..autograd.function import Primitive
from ..tensor import Tensor
from ._util import cast, check_broadcast, float_operand, shape_of, unbroadcast, write_out
from .unary import _unary

__all__ = ["sign", "floor", "ceil", "round", "trunc", "clamp", "clip"]


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
    return _unary(Round, input, out, floating=False, params={"decimals": decimals})


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
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        return write_out(_clamp_by_tensors(input, min, max), out)
    if isinstance(min, float) or isinstance(max, float):
        input = float_operand(input)
    return _unary(Clamp, input, out, floating=False, params={"low": min, "high": max})


def _clamp_by_tensors(input, low, high):
    """``clamp`` with tensor bounds (or None): all three cast to their promoted dtype, then
    broadcast together."""
    if not builtins.all(b is None or isinstance(b, Tensor) for b in (low, high)):
        raise TypeError("clamp(): min and max must both be Tensors (or None) or both be "
                        "numbers (or None), not a mix")
    from .._dtype import result_numpy_dtype

    present = [t for t in (input, low, high) if t is not None]
    target = result_numpy_dtype([t._data for t in present])
    x, low, high = (None if t is None else cast(t, target) for t in (input, low, high))
    try:
        return ClampTensor.apply(x, low, high)
    except ValueError as error:
        other = low if low is not None else high
        check_broadcast("clamp", x.shape, other.shape)
        raise RuntimeError(str(error)) from error


clip = clamp
