"""Helpers shared by every operation: broadcasting gradients back, operands, dtypes, ``out=``.

``unbroadcast`` is the one place where a gradient is summed back to the shape of a broadcast
operand (DESIGN.md). It works on arrays and on Tensors alike, so backward formulas that call it
also work in a differentiable backward pass.
"""

import builtins

import numpy as np

from .. import _dtype
from ..tensor import Tensor, _wrap_dim

__all__ = ["unbroadcast", "keep_dims", "expand_back", "as_tensor_operand", "binary_operands",
           "float_operand", "write_out", "wrap_dims", "shape_args", "check_broadcast"]


# The numbers 1 and 0 as read-only 0-d arrays of each float dtype, for formulas such as
# 1 - out^2 or max(x, 0): NumPy's ufuncs take a 0-d array of the operand's dtype about twice as
# fast as a Python number, whose type they resolve on every call (NEP 50). ``ONE.get(dtype, 1)``
# falls back to the number for anything else (an integer array, a Tensor's dtype in a
# differentiable backward pass).
ONE = {}
ZERO = {}
for _type in (np.float16, np.float32, np.float64):
    ONE[np.dtype(_type)] = np.ones((), _type)
    ONE[np.dtype(_type)].flags.writeable = False
    ZERO[np.dtype(_type)] = np.zeros((), _type)
    ZERO[np.dtype(_type)].flags.writeable = False


def unbroadcast(grad, shape):
    """Sum ``grad`` over the axes that broadcasting added or stretched, giving ``shape``.

    If ``y = a + b`` broadcast ``a`` of shape (3, 1) to (2, 3, 4), then
    dL/da = sum of dL/dy over axis 0 (added) and axis 2 (stretched from 1).
    """
    if grad.shape == shape:
        return grad
    extra = len(grad.shape) - len(shape)
    axes = tuple(range(extra)) + tuple(
        i + extra for i, size in enumerate(shape) if size == 1 and grad.shape[i + extra] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


def keep_dims(g, in_shape, axes):
    """Re-insert the reduced ``axes`` (as size 1) into the gradient of a keepdim=False result."""
    shape = tuple(1 if i in axes else s for i, s in enumerate(in_shape))
    return g.reshape(shape)


def expand_back(g, in_shape, axes):
    """Broadcast the gradient of a reduction over ``axes`` back to the input's shape."""
    return np.broadcast_to(keep_dims(g, in_shape, axes), in_shape)


def shape_of(value):
    """The shape of an operand (an array, or () for a Python number)."""
    return value.shape if isinstance(value, np.ndarray) else ()


def as_tensor_operand(value):
    """Turn a non-Tensor operand into a Tensor (arrays, lists) or a Python number (scalars)."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (builtins.bool, builtins.int, builtins.float)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (np.ndarray, list, tuple)):
        from ..creation import tensor

        return tensor(value)
    raise TypeError(f"unsupported operand type: {type(value).__name__} (expected a Tensor or a "
                    "number)")


def binary_operands(a, b, true_divide=False):
    """Bring two operands to PyTorch's result dtype (``torch.result_type``) before a binary op.

    Tensors of different dtypes are cast (a differentiable cast); a Python float with an integer
    tensor makes it the default float dtype, as PyTorch does. With ``true_divide`` integer inputs
    become floating point.
    """
    if type(a) is Tensor and not true_divide:  # fast path: no promotion needed
        kind = a._data.dtype.kind
        type_b = type(b)
        if kind == "f" and (type_b is float or type_b is int):
            return a, b
        if type_b is Tensor and a._data.dtype is b._data.dtype:
            return a, b
    a = as_tensor_operand(a)
    b = as_tensor_operand(b)
    a_is_tensor = isinstance(a, Tensor)
    b_is_tensor = isinstance(b, Tensor)
    if a_is_tensor and b_is_tensor:
        if a._data.dtype is not b._data.dtype and a._data.dtype != b._data.dtype:
            target = _dtype.result_numpy_dtype((a._data, b._data))
            a, b = cast(a, target), cast(b, target)
    elif a_is_tensor or b_is_tensor:
        t, s = (a, b) if a_is_tensor else (b, a)
        kind = t._data.dtype.kind
        if kind != "f" and (isinstance(s, float) or (kind == "b" and not isinstance(s, bool))):
            target = _dtype.result_numpy_dtype((t._data, s))
            t = cast(t, target)
            a, b = (t, s) if a_is_tensor else (s, t)
    else:
        from ..creation import tensor

        a = tensor(a)
    if true_divide:
        a, b = float_operand(a), float_operand(b)
    return a, b


def float_operand(x):
    """Cast an integer or bool tensor to the default float dtype (for exp, log, division...)."""
    if isinstance(x, Tensor) and x._data.dtype.kind != "f":
        return cast(x, _dtype.get_default_dtype().numpy)
    return x


def cast(x, np_dtype):
    """A differentiable change of dtype (identity when the dtype already matches)."""
    if x._data.dtype == np_dtype:
        return x
    from .unary import ToCopy

    return ToCopy.apply(x, dtype=np.dtype(np_dtype))


def write_out(result, out, strict_dtype=False):
    """Support ``out=``: copy ``result`` into ``out`` (resizing it) and return ``out``.

    As in PyTorch, a result that would need a gradient cannot be written to ``out``; with
    ``strict_dtype`` (matrix products) ``out`` must already have the result's dtype.
    """
    if out is None:
        return result
    if result._requires_grad:
        raise RuntimeError(f"{result.grad_fn.name()}: functions with out=... arguments don't "
                           "support automatic differentiation, but one of the arguments "
                           "requires grad.")
    if strict_dtype and out._data.dtype != result._data.dtype:
        raise RuntimeError(f"Expected out tensor to have dtype "
                           f"{_dtype.c_type_name(result)}, "
                           f"but got {_dtype.c_type_name(out)}"
                           " instead")
    if out._data.shape == result._data.shape:
        np.copyto(out._data, result._data, casting="same_kind")
    else:
        out._data = result._data.astype(out._data.dtype, copy=True)
    out._version_counter[0] += 1
    return out


def wrap_dims(dim, ndim, op):
    """Normalise ``dim`` (None, int or sequence) to a sorted tuple of non-negative axes."""
    if dim is None:
        return tuple(range(ndim))
    if ndim == 0:  # a 0-d tensor accepts dim 0 or -1, and there is nothing to reduce
        for d in dim if isinstance(dim, (list, tuple)) else (dim,):
            _wrap_dim(d, 0, op)
        return ()
    if isinstance(dim, (list, tuple)):
        axes = tuple(sorted({_wrap_dim(d, ndim, op) for d in dim}))
        if len(axes) != len(dim):
            raise RuntimeError(f"{op}(): dim appears multiple times in the list of dims")
        return axes if axes or ndim == 0 else tuple(range(ndim))
    return (_wrap_dim(dim, ndim, op),)


def _single_dim(dim, op):
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{op}(): argument 'dim' must be int, not {type(dim).__name__}")


def shape_args(args, op):
    """Accept sizes as ``f(2, 3)``, ``f((2, 3))`` or ``f([2, 3])`` (also a ``Size``)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    sizes = []
    for s in args:
        if isinstance(s, Tensor):
            s = s.item()
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"{op}(): argument 'size' must be tuple of ints, but found element "
                            f"of type {type(s).__name__}")
        sizes.append(int(s))
    return tuple(sizes)


def check_broadcast(op, a_shape, b_shape):
    """Raise PyTorch's error, naming the op and both shapes, if the shapes do not broadcast."""
    n = max(len(a_shape), len(b_shape))
    pa = (1,) * (n - len(a_shape)) + tuple(a_shape)
    pb = (1,) * (n - len(b_shape)) + tuple(b_shape)
    for i in range(n - 1, -1, -1):
        if pa[i] != pb[i] and pa[i] != 1 and pb[i] != 1:
            raise RuntimeError(
                f"{op}(): the size of tensor a ({pa[i]}) must match the size of tensor b "
                f"({pb[i]}) at non-singleton dimension {i}; shapes {list(a_shape)} and "
                f"{list(b_shape)} do not broadcast")
