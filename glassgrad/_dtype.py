"""dtypes: PyTorch's names for NumPy's element types, the default dtype, and type promotion.

A glassgrad ``dtype`` is a thin, printable handle on a NumPy dtype (``glassgrad.float32.numpy``).
Tensors store plain ``np.ndarray``s; ``Tensor.dtype`` maps the array's dtype back to the handle.

Type promotion follows ``torch.result_type``: operands fall in the categories bool < integer <
floating. A Python number or a 0-d tensor only decides the result's *category* when it is of a
higher category than every dimensioned tensor; then a Python float gives the default dtype and a
Python int gives int64. So ``float32_tensor * 2.5`` stays float32 and ``int_tensor * 0.5`` is
float32. Across categories the floating type wins as it is: int64 with float32 gives float32.
"""

import builtins

import numpy as np

__all__ = [
    "dtype", "float16", "half", "float32", "float", "float64", "double", "int8", "uint8", "int16",
    "short", "int32", "int", "int64", "long", "bool", "get_default_dtype", "set_default_dtype",
    "promote_types", "result_type",
]


class dtype:
    """A tensor element type, e.g. ``glassgrad.float32`` (wraps ``numpy.dtype('float32')``)."""

    __slots__ = ("name", "numpy", "is_floating_point", "is_signed", "itemsize")

    def __init__(self, name, np_dtype):
        self.name = name
        self.numpy = np.dtype(np_dtype)
        self.is_floating_point = self.numpy.kind == "f"
        self.is_signed = self.numpy.kind in "fi"
        self.itemsize = self.numpy.itemsize

    def __repr__(self):
        return f"glassgrad.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))

    @property
    def is_complex(self):
        return False

    def to_real(self):
        return self


float16 = half = dtype("float16", np.float16)
float32 = float = dtype("float32", np.float32)
float64 = double = dtype("float64", np.float64)
uint8 = dtype("uint8", np.uint8)
int8 = dtype("int8", np.int8)
int16 = short = dtype("int16", np.int16)
int32 = int = dtype("int32", np.int32)
int64 = long = dtype("int64", np.int64)
bool = dtype("bool", np.bool_)

_ALL = (float16, float32, float64, uint8, int8, int16, int32, int64, bool)
_FROM_NUMPY = {d.numpy: d for d in _ALL}
_FROM_NAME = {d.name: d for d in _ALL}


def _by_name(name):
    return _FROM_NAME[name]


# PyTorch's names for an element type in its messages: (ScalarType, C++ type, C type).
_MESSAGE_NAMES = {
    "float16": ("Half", "c10::Half", "half"),
    "float32": ("Float", "float", "float"),
    "float64": ("Double", "double", "double"),
    "int64": ("Long", "long int", "long"),
    "int32": ("Int", "int", "int"),
    "int16": ("Short", "short int", "short"),
    "int8": ("Char", "signed char", "signed char"),
    "uint8": ("Byte", "unsigned char", "unsigned char"),
    "bool": ("Bool", "bool", "bool"),
}


def _message_name(x, which):
    """The name at position ``which`` of ``_MESSAGE_NAMES`` for a Tensor, array, glassgrad or
    NumPy dtype (a type PyTorch lacks keeps NumPy's name)."""
    data = getattr(x, "_data", x)
    if isinstance(data, dtype):
        name = data.numpy.name
    else:
        name = (data.dtype if isinstance(data, np.ndarray) else np.dtype(data)).name
    return _MESSAGE_NAMES[name][which] if name in _MESSAGE_NAMES else name


def scalar_type_name(x):
    """PyTorch's ScalarType name of ``x``'s element type: ``Float``, ``Long``, ``Bool``..."""
    return _message_name(x, 0)


def cpp_type_name(x):
    """PyTorch's C++ type name of ``x``'s element type: ``float``, ``long int``, ``c10::Half``..."""
    return _message_name(x, 1)


def c_type_name(x):
    """The C type name PyTorch's casting messages use: ``float``, ``long``, ``half``..."""
    return _message_name(x, 2)


class _Defaults:
    """The default floating dtype (mutable, like ``torch.set_default_dtype``)."""

    float_dtype = float32


def get_default_dtype():
    """Return the dtype of new floating tensors (``glassgrad.float32`` unless changed)."""
    return _Defaults.float_dtype


def set_default_dtype(d):
    """Set the dtype of new floating tensors (float32, float64 or float16, as PyTorch allows)."""
    d = to_dtype(d)
    if d not in (float32, float64, float16):
        raise TypeError("only floating-point types are supported as the default type")
    _Defaults.float_dtype = d


def to_dtype(d):
    """Turn a glassgrad dtype, NumPy dtype, Python type or name into a glassgrad ``dtype``."""
    if d is None or isinstance(d, dtype):
        return d
    try:
        return _FROM_NUMPY[np.dtype(d)]
    except (TypeError, KeyError):
        raise TypeError(f"dtype {d!r} is not supported; use one of "
                        f"{', '.join(repr(x) for x in _ALL)}") from None


def from_numpy_dtype(np_dtype):
    """The glassgrad dtype of a NumPy dtype (raises TypeError for unsupported ones)."""
    try:
        return _FROM_NUMPY[np_dtype]
    except KeyError:
        raise TypeError(f"can't convert np.ndarray of type numpy.{np_dtype}. The only supported "
                        "types are: float64, float32, float16, int64, int32, int16, int8, uint8, "
                        "and bool.") from None


def _scalar_kind(x):
    """The NumPy dtype a Python number stands for: bool, int64 or the default float."""
    if isinstance(x, (builtins.bool, np.bool_)):
        return np.dtype(np.bool_)
    if isinstance(x, (builtins.int, np.integer)):
        return np.dtype(np.int64)
    return _Defaults.float_dtype.numpy


def _category(np_dtype):
    """0 for bool, 1 for integers, 2 for floating point."""
    kind = np_dtype.kind
    return 2 if kind == "f" else (0 if kind == "b" else 1)


def _promote(a, b):
    """PyTorch's promotion of two NumPy dtypes: within a category, NumPy's rule (the smallest
    type holding both); across categories, the higher category's type as it is, so
    int64 with float32 gives float32 (NumPy would say float64)."""
    category_a, category_b = _category(a), _category(b)
    if category_a == category_b:
        return np.promote_types(a, b)
    return a if category_a > category_b else b


def promote_types(a, b):
    """The dtype an operation on ``a`` and ``b`` computes in (``torch.promote_types``)."""
    return _FROM_NUMPY[_promote(to_dtype(a).numpy, to_dtype(b).numpy)]


def result_numpy_dtype(operands):
    """The NumPy dtype of an operation on ``operands`` (np.ndarrays, 0-d arrays or Python numbers).

    Implements ``torch.result_type``: dimensioned arrays first, then 0-d arrays, then Python
    numbers, each of which decides only when it is of a higher category than all before it.
    """
    dims = zero_dim = scalars = None
    for x in operands:
        if isinstance(x, np.ndarray):
            if x.ndim:
                dims = x.dtype if dims is None else _promote(dims, x.dtype)
            else:
                zero_dim = x.dtype if zero_dim is None else _promote(zero_dim, x.dtype)
        else:
            kind = _scalar_kind(x)
            scalars = kind if scalars is None else (
                kind if _category(kind) > _category(scalars) else scalars)
    result = dims
    for candidate, is_scalar in ((zero_dim, False), (scalars, True)):
        if candidate is None:
            continue
        if result is None or _category(candidate) > _category(result):
            if is_scalar and result is not None:
                cat = _category(candidate)
                candidate = (_Defaults.float_dtype.numpy if cat == 2
                             else np.dtype(np.int64) if cat == 1 else candidate)
            result = candidate
    return result


def result_type(a, b):
    """``torch.result_type``: the dtype of an arithmetic operation between ``a`` and ``b``."""
    arrays = [x._data if hasattr(x, "_data") else x for x in (a, b)]
    return _FROM_NUMPY[result_numpy_dtype(arrays)]
