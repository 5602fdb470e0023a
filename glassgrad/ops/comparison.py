"""Comparisons and logic: eq, ne, lt, le, gt, ge, logical_*, isnan, isclose, ...

They return bool tensors and have no gradient (a step function's derivative is zero almost
everywhere, and PyTorch records nothing for them either).
"""

import numpy as np

from .._dtype import scalar_type_name
from ..tensor import Tensor
from ._util import binary_operands, check_broadcast, shape_of

__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "greater", "less", "greater_equal", "less_equal",
           "not_equal", "equal", "logical_and", "logical_or", "logical_xor", "logical_not",
           "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "isnan", "isinf",
           "isfinite", "isclose", "allclose"]


def _data(x):
    return x._data if isinstance(x, Tensor) else x


def _compare(function, name, input, other, out=None):
    a, b = binary_operands(input, other)
    try:
        result = Tensor._make(np.asarray(function(_data(a), _data(b))))
    except ValueError:
        check_broadcast(name, shape_of(_data(a)), shape_of(_data(b)))
        raise
    if out is not None:
        out._data = result._data
        return out
    return result


def eq(input, other, *, out=None):
    """input == other, element-wise (bool tensor)."""
    return _compare(np.equal, "eq", input, other, out)


def ne(input, other, *, out=None):
    """input != other, element-wise (bool tensor)."""
    return _compare(np.not_equal, "ne", input, other, out)


def lt(input, other, *, out=None):
    """input < other, element-wise (bool tensor)."""
    return _compare(np.less, "lt", input, other, out)


def le(input, other, *, out=None):
    """input <= other, element-wise (bool tensor)."""
    return _compare(np.less_equal, "le", input, other, out)


def gt(input, other, *, out=None):
    """input > other, element-wise (bool tensor)."""
    return _compare(np.greater, "gt", input, other, out)


def ge(input, other, *, out=None):
    """input >= other, element-wise (bool tensor)."""
    return _compare(np.greater_equal, "ge", input, other, out)


greater, less, greater_equal, less_equal, not_equal = gt, lt, ge, le, ne


def equal(input, other):
    """True if both tensors have the same shape and values (a Python bool)."""
    return input.shape == other.shape and bool(np.array_equal(input._data, other._data))


def logical_and(input, other, *, out=None):
    """Element-wise AND of the truth values."""
    return _compare(np.logical_and, "logical_and", input, other, out)


def logical_or(input, other, *, out=None):
    """Element-wise OR of the truth values."""
    return _compare(np.logical_or, "logical_or", input, other, out)


def logical_xor(input, other, *, out=None):
    """Element-wise XOR of the truth values."""
    return _compare(np.logical_xor, "logical_xor", input, other, out)


def logical_not(input, *, out=None):
    """Element-wise NOT of the truth values."""
    result = Tensor._make(np.logical_not(input._data))
    if out is not None:
        out._data = result._data
        return out
    return result


def _refuse_floating(name, *operands):
    """Bitwise operations exist for integer and bool tensors only (PyTorch's error)."""
    for x in operands:
        if isinstance(x, Tensor) and x._data.dtype.kind == "f":
            raise NotImplementedError(f'"{name}_cpu" not implemented for '
                                      f"'{scalar_type_name(x)}'")


def _bitwise(function, name, input, other):
    _refuse_floating(name, input, other)
    return _compare(function, name, input, other)


def bitwise_and(input, other):
    """Bitwise AND of integer or bool tensors (``&``)."""
    return _bitwise(np.bitwise_and, "bitwise_and", input, other)


def bitwise_or(input, other):
    """Bitwise OR of integer or bool tensors (``|``)."""
    return _bitwise(np.bitwise_or, "bitwise_or", input, other)


def bitwise_xor(input, other):
    """Bitwise XOR of integer or bool tensors (``^``)."""
    return _bitwise(np.bitwise_xor, "bitwise_xor", input, other)


def bitwise_not(input):
    """Bitwise NOT of an integer or bool tensor (``~``): logical NOT for bool."""
    _refuse_floating("bitwise_not", input)
    return Tensor._make(np.invert(input._data))


def isnan(input):
    """True where the value is NaN."""
    return Tensor._make(np.isnan(input._data))


def isinf(input):
    """True where the value is +inf or -inf."""
    return Tensor._make(np.isinf(input._data))


def isfinite(input):
    """True where the value is neither inf nor NaN."""
    return Tensor._make(np.isfinite(input._data))


def _close_operands(input, other, name):
    """The arrays isclose/allclose compare: same dtype (PyTorch refuses a mix), shapes that
    broadcast."""
    if isinstance(other, Tensor) and other._data.dtype != input._data.dtype:
        raise RuntimeError(f"{scalar_type_name(input)} did not match {scalar_type_name(other)}")
    b = _data(other)
    check_broadcast(name, input._data.shape, shape_of(b))
    return input._data, b


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|input - other| <= atol + rtol * |other|, element-wise (inf equals inf of its sign; NaN
    equals NaN only with ``equal_nan``)."""
    a, b = _close_operands(input, other, "isclose")
    return Tensor._make(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True if ``isclose`` holds everywhere (a Python bool)."""
    a, b = _close_operands(input, other, "allclose")
    return bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))
