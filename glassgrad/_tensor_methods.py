"""Tensor's operation methods and operators, bound in one table to the functions in ``ops``.

``x.exp()`` is ``glassgrad.exp(x)``, ``x + y`` is ``glassgrad.add(x, y)``, ``x.add_(y)`` is the
in-place form made by ``inplace_op``. Keeping the binding here leaves ``tensor.py`` small and makes
the full list of methods easy to read.

Tensors also speak NumPy's protocols: ``np.exp(t)`` returns a Tensor (``__array_ufunc__``) and a few
NumPy functions (``np.where``, ``np.broadcast_to``, ``np.transpose``, ``np.sum``...) dispatch to
glassgrad (``__array_function__``). Backward formulas rely on this: the same NumPy-style code runs
on arrays in a plain backward pass and on Tensors when ``create_graph=True``.
"""

import numpy as np

from . import _dtype
from .device import check_device
from .ops import activation, comparison, elementwise, indexing, linalg, reduction, shape
from .ops.arithmetic import AddScalar, DivScalar, MulScalar, SubScalar
from .ops.inplace import apply_inplace, inplace_op
from .random import numpy_generator
from .tensor import Tensor

# ----------------------------------------------------------------------------- plain methods
_METHODS = {
    # element-wise
    "add": elementwise.add, "sub": elementwise.sub, "subtract": elementwise.sub,
    "mul": elementwise.mul, "multiply": elementwise.mul, "div": elementwise.div,
    "divide": elementwise.div, "true_divide": elementwise.div, "pow": elementwise.pow,
    "neg": elementwise.neg, "negative": elementwise.neg, "abs": elementwise.abs,
    "absolute": elementwise.abs, "exp": elementwise.exp, "expm1": elementwise.expm1,
    "log": elementwise.log, "log1p": elementwise.log1p, "log2": elementwise.log2,
    "log10": elementwise.log10, "sqrt": elementwise.sqrt, "rsqrt": elementwise.rsqrt,
    "square": elementwise.square, "reciprocal": elementwise.reciprocal, "sin": elementwise.sin,
    "cos": elementwise.cos, "tan": elementwise.tan, "tanh": elementwise.tanh,
    "sigmoid": elementwise.sigmoid, "sign": elementwise.sign, "floor": elementwise.floor,
    "ceil": elementwise.ceil, "round": elementwise.round, "trunc": elementwise.trunc,
    "clamp": elementwise.clamp, "clip": elementwise.clamp, "maximum": elementwise.maximum,
    "minimum": elementwise.minimum, "floor_divide": elementwise.floor_divide,
    "remainder": elementwise.remainder, "fmod": elementwise.fmod, "clone": elementwise.clone,
    "relu": activation.relu, "softmax": activation.softmax, "log_softmax": activation.log_softmax,
    # reductions
    "sum": reduction.sum, "mean": reduction.mean, "var": reduction.var, "std": reduction.std,
    "prod": reduction.prod, "max": reduction.max, "min": reduction.min, "amax": reduction.amax,
    "amin": reduction.amin, "argmax": reduction.argmax, "argmin": reduction.argmin,
    "logsumexp": reduction.logsumexp, "all": reduction.all, "any": reduction.any,
    "count_nonzero": reduction.count_nonzero, "cumsum": reduction.cumsum,
    # shape
    "reshape": shape.reshape, "view": shape.view, "view_as": shape.view_as,
    "reshape_as": shape.reshape_as, "flatten": shape.flatten, "unflatten": shape.unflatten,
    "squeeze": shape.squeeze, "unsqueeze": shape.unsqueeze, "permute": shape.permute,
    "transpose": shape.transpose, "swapaxes": shape.transpose, "swapdims": shape.transpose,
    "t": shape.t, "movedim": shape.movedim, "expand": shape.expand, "expand_as": shape.expand_as,
    "broadcast_to": shape.broadcast_to, "repeat": shape.repeat, "tile": shape.tile,
    "split": shape.split, "chunk": shape.chunk, "unbind": shape.unbind, "narrow": shape.narrow,
    "flip": shape.flip, "contiguous": shape.contiguous,
    # indexing
    "gather": indexing.gather, "scatter_add": indexing.scatter_add,
    "masked_fill": indexing.masked_fill, "index_select": indexing.index_select,
    "nonzero": indexing.nonzero, "masked_select": indexing.masked_select,
    "take_along_dim": indexing.take_along_dim,
    # linear algebra
    "matmul": linalg.matmul, "mm": linalg.mm, "bmm": linalg.bmm, "mv": linalg.mv,
    "dot": linalg.dot, "inner": linalg.inner, "outer": linalg.outer, "norm": linalg.norm,
    # comparisons
    "eq": comparison.eq, "ne": comparison.ne, "lt": comparison.lt, "le": comparison.le,
    "gt": comparison.gt, "ge": comparison.ge, "greater": comparison.gt, "less": comparison.lt,
    "greater_equal": comparison.ge, "less_equal": comparison.le, "not_equal": comparison.ne,
    "equal": comparison.equal, "isnan": comparison.isnan, "isinf": comparison.isinf,
    "isfinite": comparison.isfinite, "isclose": comparison.isclose,
    "allclose": comparison.allclose, "logical_and": comparison.logical_and,
    "logical_or": comparison.logical_or, "logical_xor": comparison.logical_xor,
    "logical_not": comparison.logical_not, "bitwise_not": comparison.bitwise_not,
    "bitwise_and": comparison.bitwise_and, "bitwise_or": comparison.bitwise_or,
    "bitwise_xor": comparison.bitwise_xor,
}

# In-place methods ``name_`` made from the out-of-place function of the same name.
_INPLACE = ["add", "sub", "mul", "div", "pow", "neg", "abs", "exp", "log", "sqrt", "sin", "cos",
            "tanh", "sigmoid", "relu", "clamp", "floor", "ceil", "round", "sign", "masked_fill",
            "reciprocal", "square", "trunc", "clip", "log1p", "expm1", "rsqrt", "remainder",
            "fmod", "maximum", "minimum", "tan", "log2", "log10", "floor_divide", "negative",
            "absolute", "subtract", "multiply", "divide", "true_divide"]


def _where(self, condition, other):
    """``x.where(cond, y)``: x where cond holds, else y."""
    return indexing.where(condition, self, other)


def _type_as(self, other):
    """Cast to ``other``'s dtype."""
    return self.to(other.dtype)


def _cast(np_dtype):
    def method(self, memory_format=None):
        return elementwise.to_dtype(self, np.dtype(np_dtype))

    return method


def _to(self, *args, dtype=None, device=None, non_blocking=False, copy=False,
        memory_format=None):
    """Change dtype and/or device: ``to(dtype)``, ``to('cpu')``, ``to(device, dtype)``,
    ``to(other_tensor)``; only the CPU exists, so a device change is a check."""
    for arg in args:
        if isinstance(arg, Tensor):
            dtype = arg.dtype
        elif isinstance(arg, _dtype.dtype) or (isinstance(arg, type) and dtype is None and
                                               arg in (float, int, bool)):
            dtype = arg
        else:
            device = arg
    check_device(device)
    if dtype is None:
        return self.clone() if copy else self
    result = elementwise.to_dtype(self, _dtype.to_dtype(dtype).numpy)
    return result.clone() if copy and result is self else result


def _type(self, dtype=None, non_blocking=False):
    """Without arguments, the type name (``'glassgrad.FloatTensor'``); else cast to ``dtype``."""
    if dtype is None:
        return f"glassgrad.{_dtype.scalar_type_name(self)}Tensor"
    return self.to(dtype)


def _new_tensor(self, data, dtype=None, device=None, requires_grad=False):
    from .creation import tensor

    return tensor(data, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)


def _new_factory(function_name):
    def method(self, *size, dtype=None, device=None, requires_grad=False, **kwargs):
        from . import creation

        factory = getattr(creation, function_name)
        return factory(*size, **kwargs, dtype=dtype or self.dtype, device=device,
                       requires_grad=requires_grad)

    return method


# ----------------------------------------------------------------------------- in-place fills
_NEVER = np.zeros((), dtype=np.bool_)  # a condition that selects the replacement everywhere


def _replaced(t, values):
    """``t``'s new content ``values`` (a Tensor of t's dtype, broadcast to t's shape).

    When ``t`` is part of a graph the replacement is recorded as ``where(False, t, values)``:
    exactly ``values``, with a zero gradient for t's old value and the gradient flowing to
    ``values`` (``copy_`` from a tensor that requires grad)."""
    if t._requires_grad or values._requires_grad:
        return indexing.where(_NEVER, t, values)
    return values


def _fill_(self, value):
    """Set every element to ``value``."""
    value = value.item() if isinstance(value, Tensor) else value
    return apply_inplace(
        self, lambda t: _replaced(t, Tensor._make(np.full(t.shape, value, t._data.dtype))),
        (), "fill_")


def _zero_(self):
    """Set every element to 0."""
    return _fill_(self, 0)


def _copy_(self, src, non_blocking=False):
    """Copy ``src``'s values (broadcast) into self; the gradient flows to ``src``."""
    src = src if isinstance(src, Tensor) else Tensor._make(np.asarray(src))
    return apply_inplace(self, lambda t: _replaced(t, src.to(t.dtype)), (src,), "copy_")


def _random_fill(draw, name):
    """An in-place sampler such as ``uniform_``: like ``fill_`` with random values (so a leaf that
    requires grad refuses it outside ``no_grad`` and no gradient flows to the old values)."""
    def method(self, *args, generator=None, **kwargs):
        values = draw(numpy_generator(generator), self.shape, *args, **kwargs)
        values = Tensor._make(np.asarray(values).astype(self._data.dtype, copy=False))
        return apply_inplace(self, lambda t: _replaced(t, values), (), name)

    method.__name__ = name
    return method


def _uniform(gen, shape, a=0.0, b=1.0):
    return a + (b - a) * gen.random(shape)


def _normal(gen, shape, mean=0.0, std=1.0):
    return mean + std * gen.standard_normal(shape)


def _exponential(gen, shape, lambd=1.0):
    return gen.exponential(1.0 / lambd, shape)


def _bernoulli(gen, shape, p=0.5):
    return gen.random(shape) < p


def _random_(gen, shape, low=0, high=None):
    if high is None:
        low, high = 0, low
    return gen.integers(low, high, shape)


# ----------------------------------------------------------------------------- NumPy protocols
_UFUNCS = {
    np.add: elementwise.add, np.subtract: elementwise.sub, np.multiply: elementwise.mul,
    np.true_divide: elementwise.div, np.power: elementwise.pow, np.negative: elementwise.neg,
    np.exp: elementwise.exp, np.log: elementwise.log, np.log1p: elementwise.log1p,
    np.expm1: elementwise.expm1, np.sqrt: elementwise.sqrt, np.sin: elementwise.sin,
    np.cos: elementwise.cos, np.tan: elementwise.tan, np.tanh: elementwise.tanh,
    np.absolute: elementwise.abs, np.sign: elementwise.sign, np.floor: elementwise.floor,
    np.ceil: elementwise.ceil, np.maximum: elementwise.maximum, np.minimum: elementwise.minimum,
    np.square: elementwise.square, np.reciprocal: elementwise.reciprocal,
    np.matmul: linalg.matmul, np.greater: comparison.gt, np.greater_equal: comparison.ge,
    np.less: comparison.lt, np.less_equal: comparison.le, np.equal: comparison.eq,
    np.not_equal: comparison.ne, np.logical_and: comparison.logical_and,
    np.logical_or: comparison.logical_or, np.logical_not: comparison.logical_not,
    np.bitwise_and: comparison.bitwise_and, np.bitwise_or: comparison.bitwise_or,
    np.invert: comparison.bitwise_not, np.isnan: comparison.isnan,
    np.isfinite: comparison.isfinite, np.isinf: comparison.isinf,
}


def _plain(value):
    return value._data if isinstance(value, Tensor) else value


def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
    """``np.exp(t)`` and friends return Tensors (differentiable where glassgrad has the op)."""
    function = _UFUNCS.get(ufunc)
    if method == "__call__" and function is not None and not kwargs:
        return function(*inputs)
    if any(isinstance(x, Tensor) and x._requires_grad for x in inputs):
        raise TypeError(f"numpy.{ufunc.__name__} ({method}) has no glassgrad equivalent that "
                        "records gradients; use glassgrad's own functions")
    if "out" in kwargs:
        kwargs["out"] = tuple(_plain(o) for o in kwargs["out"])
    result = getattr(ufunc, method)(*[_plain(x) for x in inputs], **kwargs)
    return Tensor._make(result) if isinstance(result, np.ndarray) else result


def _np_transpose(a, axes=None):
    return a.permute(*(axes if axes is not None else range(a.ndim - 1, -1, -1)))


def _np_sum(a, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
    return reduction.sum(a, axis, keepdims)


def _np_where(condition, x=None, y=None):
    cond = condition if isinstance(condition, Tensor) else Tensor._make(np.asarray(condition))
    return indexing.where(cond, x, y)


def _np_reshape(a, shape, *args, **kwargs):
    return shape_reshape(a, shape)


shape_reshape = shape.reshape
_expand = shape.expand

_ARRAY_FUNCTIONS = {
    np.broadcast_to: lambda array, size, subok=False: _expand(array, size),
    np.transpose: _np_transpose,
    np.sum: _np_sum,
    np.where: _np_where,
    np.reshape: _np_reshape,
    np.swapaxes: lambda a, axis1, axis2: shape.transpose(a, axis1, axis2),
    np.concatenate: lambda arrays, axis=0, **kw: shape.cat(
        [x if isinstance(x, Tensor) else Tensor._make(np.asarray(x)) for x in arrays], axis),
    np.stack: lambda arrays, axis=0, **kw: shape.stack(
        [x if isinstance(x, Tensor) else Tensor._make(np.asarray(x)) for x in arrays], axis),
    np.expand_dims: lambda a, axis: shape.unsqueeze(a, axis),
    np.squeeze: lambda a, axis=None: shape.squeeze(a, axis),
    np.abs: elementwise.abs,
}


def __array_function__(self, func, types, args, kwargs):
    """NumPy functions used by backward formulas dispatch to glassgrad on Tensors."""
    function = _ARRAY_FUNCTIONS.get(func)
    if function is not None:
        return function(*args, **kwargs)
    if any(isinstance(x, Tensor) and x._requires_grad for x in args):
        raise TypeError(f"numpy.{func.__name__} is not supported on Tensors that require grad; "
                        "use glassgrad's own functions")
    plain_args = [_plain(x) if not isinstance(x, (list, tuple)) else type(x)(_plain(v) for v in x)
                  for x in args]
    result = func(*plain_args, **kwargs)
    return Tensor._make(result) if isinstance(result, np.ndarray) else result


# ----------------------------------------------------------------------------- operators
def _reflected(function):
    def method(self, other):
        return function(other, self)

    return method


def _augmented(function, name):
    def method(self, other):
        return apply_inplace(self, lambda t: function(t, other), (other,), name)

    method.__name__ = name
    return method


def _getitem(self, index):
    return indexing.getitem(self, index)


def _setitem(self, index, value):
    indexing.setitem(self, index, value)


def _fast_operator(op, slow, reflected=False, with_number=None):
    """``x + y``, ``x * 2.0``, ...: when nothing needs promoting (a float tensor with a Python
    number or a tensor of its own dtype) go straight to the primitive; otherwise, and to raise
    a broadcast error that names both shapes, take the full path of ``slow``.

    A Python number meets a float tensor in the tensor's own dtype (as in PyTorch), so it is
    made a 0-d array of that dtype and given to ``with_number``, the primitive of ``tensor (op)
    number`` (``MulScalar``...): the result is the same as NumPy's own conversion of the number,
    and NumPy's ufuncs take an array operand several times faster than a Python scalar, whose
    type they must resolve on every call (NEP 50). The arrays of float32 and float64 numbers
    are kept (``_kept_number``), since a program uses the same few constants again and again.
    """
    def operator(self, other):
        dtype = self._data.dtype
        other_type = type(other)
        if other_type is float or other_type is int:
            if with_number is not None:
                # dtypes compared by identity: hashing a dtype costs more than the lookup
                if dtype is _FLOAT32:
                    c = _KEPT_FLOAT32.get(other)
                elif dtype is _FLOAT64:
                    c = _KEPT_FLOAT64.get(other)
                elif dtype.kind == "f":
                    c = None
                else:
                    return slow(other, self) if reflected else slow(self, other)
                if c is None:
                    try:
                        c = _kept_number(other, dtype)
                    except OverflowError:
                        return slow(other, self) if reflected else slow(self, other)
                return with_number.apply(self, c)
        elif other_type is Tensor and other._data.dtype is dtype and dtype.kind == "f":
            try:
                return op.apply(other, self) if reflected else op.apply(self, other)
            except ValueError:
                pass
        return slow(other, self) if reflected else slow(self, other)

    return operator


_FLOAT32, _FLOAT64 = np.dtype(np.float32), np.dtype(np.float64)
_KEPT_FLOAT32 = {}  # number -> the number as a read-only 0-d float32 array
_KEPT_FLOAT64 = {}
_KEPT_AT_MOST = 1024  # numbers kept per dtype


def _kept_number(number, dtype):
    """A Python number as a 0-d array of a float tensor's dtype: exactly NumPy's own conversion
    of the number inside a ufunc (a value beyond the dtype's range becomes inf, with the same
    overflow warning, or raises OverflowError for an int beyond any float).

    Finite non-zero float32 and float64 values are kept (up to ``_KEPT_AT_MOST`` of each),
    read-only so that no operation can change a shared constant. Zero is not kept: 0.0 and
    -0.0 are equal keys, and their signs matter (``x * -0.0``); neither are infinities and
    NaN, so that their conversion warns every time, as NumPy's does."""
    c = np.array(number, dtype)
    kept = _KEPT_FLOAT32 if dtype is _FLOAT32 else _KEPT_FLOAT64 if dtype is _FLOAT64 else None
    if kept is not None and number and np.isfinite(c) and len(kept) < _KEPT_AT_MOST:
        c.flags.writeable = False
        kept[number] = c
    return c


def _comparison_operator(function):
    """``==``/``!=``: like PyTorch, a comparison with a non-number (None, a str) is not an
    element-wise comparison; Python then falls back to identity (``t == None`` is False)."""
    def method(self, other):
        if other is None or isinstance(other, (str, bytes)):
            return NotImplemented
        return function(self, other)

    return method


_OPERATORS = {
    "__add__": _fast_operator(elementwise.Add, elementwise.add, with_number=AddScalar),
    "__radd__": _fast_operator(elementwise.Add, elementwise.add, reflected=True,
                               with_number=AddScalar),
    "__sub__": _fast_operator(elementwise.Sub, elementwise.sub, with_number=SubScalar),
    "__rsub__": _fast_operator(elementwise.Sub, elementwise.sub, reflected=True),
    "__mul__": _fast_operator(elementwise.Mul, elementwise.mul, with_number=MulScalar),
    "__rmul__": _fast_operator(elementwise.Mul, elementwise.mul, reflected=True,
                               with_number=MulScalar),
    "__truediv__": _fast_operator(elementwise.Div, elementwise.div, with_number=DivScalar),
    "__rtruediv__": _reflected(elementwise.div),
    "__floordiv__": elementwise.floor_divide,
    "__rfloordiv__": _reflected(elementwise.floor_divide),
    "__mod__": elementwise.remainder, "__rmod__": _reflected(elementwise.remainder),
    "__pow__": elementwise.pow, "__rpow__": _reflected(elementwise.pow),
    "__matmul__": linalg.matmul, "__rmatmul__": _reflected(linalg.matmul),
    "__neg__": elementwise.neg, "__pos__": lambda self: self, "__abs__": elementwise.abs,
    "__eq__": _comparison_operator(comparison.eq), "__ne__": _comparison_operator(comparison.ne),
    "__lt__": comparison.lt,
    "__le__": comparison.le, "__gt__": comparison.gt, "__ge__": comparison.ge,
    "__and__": comparison.bitwise_and, "__rand__": _reflected(comparison.bitwise_and),
    "__or__": comparison.bitwise_or, "__ror__": _reflected(comparison.bitwise_or),
    "__xor__": comparison.bitwise_xor, "__rxor__": _reflected(comparison.bitwise_xor),
    "__invert__": comparison.bitwise_not,
    "__iadd__": _augmented(elementwise.add, "__iadd__"),
    "__isub__": _augmented(elementwise.sub, "__isub__"),
    "__imul__": _augmented(elementwise.mul, "__imul__"),
    "__itruediv__": _augmented(elementwise.div, "__itruediv__"),
    "__ifloordiv__": _augmented(elementwise.floor_divide, "__ifloordiv__"),
    "__imod__": _augmented(elementwise.remainder, "__imod__"),
    "__ipow__": _augmented(elementwise.pow, "__ipow__"),
    "__iand__": _augmented(comparison.bitwise_and, "__iand__"),
    "__ior__": _augmented(comparison.bitwise_or, "__ior__"),
    "__ixor__": _augmented(comparison.bitwise_xor, "__ixor__"),
    "__getitem__": _getitem, "__setitem__": _setitem,
    "__array_ufunc__": __array_ufunc__, "__array_function__": __array_function__,
}

_EXTRA = {
    "where": _where, "type_as": _type_as, "to": _to, "type": _type, "new_tensor": _new_tensor,
    "new_zeros": _new_factory("zeros"), "new_ones": _new_factory("ones"),
    "new_empty": _new_factory("empty"),
    "new_full": lambda self, size, fill_value, **kw: _new_factory("full")(self, size, fill_value,
                                                                          **kw),
    "float": _cast(np.float32), "double": _cast(np.float64), "half": _cast(np.float16),
    "long": _cast(np.int64), "int": _cast(np.int32), "short": _cast(np.int16),
    "bool": _cast(np.bool_), "byte": _cast(np.uint8), "char": _cast(np.int8),
    "fill_": _fill_, "zero_": _zero_, "copy_": _copy_,
    "uniform_": _random_fill(_uniform, "uniform_"), "normal_": _random_fill(_normal, "normal_"),
    "exponential_": _random_fill(_exponential, "exponential_"),
    "bernoulli_": _random_fill(_bernoulli, "bernoulli_"),
    "random_": _random_fill(_random_, "random_"),
}


def bind():
    """Attach every method and operator to ``Tensor`` (called once, from ``glassgrad/__init__``)."""
    for name, function in {**_METHODS, **_OPERATORS, **_EXTRA}.items():
        setattr(Tensor, name, function)
    for name in _INPLACE:
        setattr(Tensor, name + "_", inplace_op(_METHODS[name], name + "_"))
