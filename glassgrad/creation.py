"""Creating tensors: from data (tensor, as_tensor, from_numpy), filled (zeros, ones, full, eye,
arange, linspace) and random (rand, randn, randint, randperm, normal), and their ``*_like`` forms.

As in PyTorch: Python floats give the default dtype (float32), Python ints give int64, bools give
bool; NumPy arrays keep their dtype. Every function accepts ``dtype=``, ``device=`` ('cpu') and,
for floating results, ``requires_grad=``.
"""

import builtins
import math

import numpy as np

from . import _dtype
from .device import check_device
from .random import numpy_generator
from .tensor import Tensor

__all__ = ["tensor", "as_tensor", "asarray", "from_numpy", "zeros", "ones", "full", "empty",
           "zeros_like", "ones_like", "full_like", "empty_like", "rand_like", "randn_like",
           "randint_like", "arange", "range", "linspace", "logspace", "eye", "rand", "randn",
           "randint", "randperm", "normal", "bernoulli", "multinomial", "scalar_tensor"]


def _finish(data, requires_grad, device=None, out=None):
    """Wrap a freshly made array, checking device and requires_grad."""
    check_device(device)
    t = Tensor._make(data)
    if requires_grad:
        if data.dtype.kind != "f":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        t._requires_grad = True
    if out is not None:
        out._data = t._data
        out._version_counter[0] += 1
        return out
    return t


def _infer_numpy(data, target=None):
    """The array for Python/NumPy data: of NumPy dtype ``target`` if given (converted straight
    from the data, as PyTorch does: ``tensor([1.7], dtype=float64)`` holds the double 1.7), else
    with PyTorch's dtype inference. NumPy arrays are returned as they are when no cast is needed.
    """
    if isinstance(data, (np.ndarray, np.generic)):
        array = np.asarray(data)
        _dtype.from_numpy_dtype(array.dtype)
        return array if target is None else array.astype(target, copy=False)
    typed = []  # dtypes of NumPy scalars and tensors met inside a sequence
    if isinstance(data, (list, tuple)):
        data = [_item(x, typed) for x in data]
    try:
        array = np.asarray(data)
    except ValueError:
        _check_rectangular(data)
        raise
    if array.dtype.kind not in "fiub":
        if array.dtype == object:
            raise TypeError("tensor(): could not infer dtype from the nested data; rows of "
                            "different lengths or non-numbers are not allowed")
        raise TypeError(f"tensor(): can't make a tensor from {type(data).__name__}")
    if target is not None:
        return array.astype(target)
    if array.dtype.kind == "f":
        floats = [d for d in typed if d.kind == "f"]
        target = np.result_type(_dtype.get_default_dtype().numpy, *floats)
        return array.astype(target)
    if array.dtype.kind in "iu":
        return array.astype(np.int64)
    return array  # bool


def _item(x, typed=None):
    """Unwrap tensors inside nested Python data (recursively), noting in ``typed`` the dtypes of
    tensors and NumPy scalars met: as in PyTorch they take part in the dtype inference
    (``tensor([np.float64(1.0), 2.0])`` is float64, ``tensor([1.0, 2.0])`` is float32)."""
    if isinstance(x, Tensor):
        if typed is not None:
            typed.append(x._data.dtype)
        return x._data if x._data.ndim else x._data[()]
    if isinstance(x, np.generic) and typed is not None:
        typed.append(x.dtype)
    if isinstance(x, (list, tuple)):
        return [_item(v, typed) for v in x]
    return x


def _check_rectangular(data, dim=0):
    """Raise PyTorch's ValueError for ragged nested sequences (called only once NumPy failed)."""
    if not isinstance(data, (list, tuple)) or not data:
        return
    first = data[0]
    length = len(first) if isinstance(first, (list, tuple)) else None
    for row in data:
        row_length = len(row) if isinstance(row, (list, tuple)) else None
        if row_length != length:
            if length is None:
                raise TypeError(f"not a sequence at dim {dim + 1}")
            if row_length is None:
                raise TypeError(f"expected a sequence at dim {dim + 1}")
            raise ValueError(f"expected sequence of length {length} at dim {dim + 1} "
                             f"(got {row_length})")
        _check_rectangular(row, dim + 1)


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of ``data`` (numbers, nested lists, arrays or tensors).

    Example:
        >>> glassgrad.tensor([[1., 2.], [3., 4.]], requires_grad=True)
    """
    target = None if dtype is None else _dtype.to_dtype(dtype).numpy
    if isinstance(data, Tensor):
        array = data._data if target is None else data._data.astype(target, copy=False)
    else:
        array = _infer_numpy(data, target)
    return _finish(np.array(array, copy=True), requires_grad, device)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False):
    """A 0-d tensor (floating by default, as in PyTorch)."""
    return tensor(float(s) if dtype is None else s, dtype=dtype, device=device,
                  requires_grad=requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Like ``tensor`` but shares memory with a NumPy array or tensor when no cast is needed."""
    check_device(device)
    if isinstance(data, Tensor):
        return data if dtype is None or data.dtype == _dtype.to_dtype(dtype) else data.to(dtype)
    array = _infer_numpy(data, None if dtype is None else _dtype.to_dtype(dtype).numpy)
    return Tensor._make(array)


asarray = as_tensor


def from_numpy(ndarray):
    """A tensor sharing memory with ``ndarray`` (changes to one show in the other)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dtype.from_numpy_dtype(ndarray.dtype)
    return Tensor._make(ndarray)


def _size(size, op):
    """The shape from ``*size`` arguments: ``f(2, 3)``, ``f((2, 3))`` or ``f([2, 3])``."""
    if not size:
        raise TypeError(f'{op}() missing 1 required positional arguments: "size"')
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"{op}(): argument 'size' must be tuple of ints, but found element of "
                            f"type {type(s).__name__}")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: "
                               f"{list(size)}")
    return tuple(int(s) for s in size)


def _shape_argument(size, op):
    """A ``size`` given as one argument: a tuple, list or Size (a bare int is refused, as by
    PyTorch's ``full`` and ``randint``)."""
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"{op}(): argument 'size' must be tuple of ints, not "
                        f"{type(size).__name__}")
    return _size((size,), op)


def _float_dtype(dtype):
    return (_dtype.to_dtype(dtype) or _dtype.get_default_dtype()).numpy


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """A tensor of zeros of the given size."""
    return _finish(np.zeros(_size(size, "zeros"), _float_dtype(dtype)), requires_grad, device,
                   out)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """A tensor of ones of the given size."""
    return _finish(np.ones(_size(size, "ones"), _float_dtype(dtype)), requires_grad, device, out)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          memory_format=None):
    """An uninitialised tensor (glassgrad fills it with zeros)."""
    return zeros(*size, out=out, dtype=dtype, device=device, requires_grad=requires_grad)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None,
         requires_grad=False):
    """A tensor of the given size filled with ``fill_value`` (dtype inferred from it)."""
    if dtype is None:
        dtype = _infer_numpy(fill_value).dtype
    else:
        dtype = _dtype.to_dtype(dtype).numpy
    return _finish(np.full(_shape_argument(size, "full"), fill_value, dtype), requires_grad,
                   device, out)


def _like(input, dtype):
    return (_dtype.to_dtype(dtype) or input.dtype).numpy


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    """Zeros with ``input``'s shape and dtype."""
    return _finish(np.zeros(input.shape, _like(input, dtype)), requires_grad, device)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    """Ones with ``input``'s shape and dtype."""
    return _finish(np.ones(input.shape, _like(input, dtype)), requires_grad, device)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    """``fill_value`` everywhere, with ``input``'s shape and dtype."""
    return _finish(np.full(input.shape, fill_value, _like(input, dtype)), requires_grad, device)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    """An uninitialised tensor like ``input`` (zeros in glassgrad)."""
    return zeros_like(input, dtype=dtype, device=device, requires_grad=requires_grad)


def rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    """Uniform [0, 1) samples with ``input``'s shape and dtype."""
    return rand(input.shape, dtype=dtype or input.dtype, device=device,
                requires_grad=requires_grad)


def randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    """Standard normal samples with ``input``'s shape and dtype."""
    return randn(input.shape, dtype=dtype or input.dtype, device=device,
                 requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, layout=None, device=None,
                 requires_grad=False, memory_format=None):
    """Random integers in [low, high) with ``input``'s shape."""
    if high is None:
        low, high = 0, low
    return randint(low, high, input.shape, dtype=dtype or input.dtype, device=device)


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False):
    """Values from ``start`` up to (not including) ``end`` every ``step``.

    Integer arguments give int64, any float argument gives the default float dtype.
    """
    if end is None:
        start, end = 0, start
    values = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = values
    if dtype is None:
        is_int = builtins.all(isinstance(v, (int, np.integer)) for v in values)
        dtype = np.int64 if is_int else _dtype.get_default_dtype().numpy
    else:
        dtype = _dtype.to_dtype(dtype).numpy
    if np.dtype(dtype).kind == "b":
        raise NotImplementedError('"arange_cpu" not implemented for \'Bool\'')
    _check_range(start, end, step)
    if np.dtype(dtype).kind == "f":
        count = math.ceil((end - start) / step)
        data = start + np.arange(count, dtype=np.float64) * step
    else:
        # As PyTorch: the values are computed from the bounds and step cast (truncated) to
        # integers; the length too for int64, from the original values for other integer types.
        first, last, stride = (builtins.int(v) for v in values)
        if dtype == np.int64:
            if stride == 0:
                raise ValueError("step must be nonzero")
            count = -(-(last - first) // stride)  # exact ceil((last - first) / stride)
        else:
            count = math.ceil((end - start) / step)
        data = first + np.arange(count, dtype=np.int64) * stride
    return _finish(data.astype(dtype, copy=False), requires_grad, device, out)


def _check_range(start, end, step):
    """PyTorch's checks of arange's arguments (made on the values as given)."""
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {float(start):g} -> {float(end):g}")
    if not ((step > 0 and end >= start) or (step < 0 and end <= start)):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")


def range(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """Deprecated in PyTorch: values from start to end *inclusive* (floating by default)."""
    if end is None:
        start, end = 0, start
    count = int(math.floor((end - start) / step)) + 1
    data = (start + np.arange(count, dtype=np.float64) * step).astype(_float_dtype(dtype))
    return _finish(data, requires_grad, device)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False):
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive.

    Computed as PyTorch does: the first half counts up from ``start`` and the second half counts
    down from ``end``, so both ends are exact. The step is computed in the result's precision
    (double for integer results); each value ``start + step * i`` is then rounded once, as the
    fused multiply-add of PyTorch's compiled kernel does (emulated here in wider precision).
    """
    start, end = [v.item() if isinstance(v, Tensor) else v for v in (start, end)]
    if not isinstance(steps, (int, np.integer)) or steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dtype = _float_dtype(dtype)
    work = np.dtype(np.float64 if np.dtype(dtype).kind != "f" else dtype)
    wide = np.longdouble if work == np.float64 else np.float64
    if np.dtype(dtype).kind != "f":  # integer results: the ends are truncated first
        start, end = builtins.int(start), builtins.int(end)
    first, last = np.asarray(start, work), np.asarray(end, work)
    if steps == 1:
        data = first.reshape(1)
    else:
        step = (last - first) / work.type(builtins.max(steps - 1, 1))
        index = np.arange(steps)
        up = first.astype(wide) + step.astype(wide) * index
        down = last.astype(wide) - step.astype(wide) * (steps - 1 - index)
        data = np.where(index < steps // 2, up, down).astype(work)
    return _finish(data.astype(dtype), requires_grad, device, out)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    """``base ** linspace(start, end, steps)``."""
    exponents = linspace(start, end, steps, dtype=_dtype.float64)._data
    return _finish((base ** exponents).astype(_float_dtype(dtype)), requires_grad, device)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """The identity matrix (n x m)."""
    for name, value in (("n", n), ("m", m)):
        if value is not None and value < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {value}")
    return _finish(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad, device, out)


def _random_float_dtype(dtype, kernel):
    """The NumPy dtype for ``rand``/``randn``: floating only, as in PyTorch."""
    dtype = _float_dtype(dtype)
    if np.dtype(dtype).kind != "f":
        name = _dtype.scalar_type_name(dtype)
        raise NotImplementedError(f'"{kernel}" not implemented for \'{name}\'')
    return dtype


def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad=False):
    """Samples from the uniform distribution on [0, 1)."""
    dtype = _random_float_dtype(dtype, "check_uniform_bounds")
    data = numpy_generator(generator).random(_size(size, "rand"), dtype=np.float64)
    return _finish(data.astype(dtype), requires_grad, device, out)


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False):
    """Samples from the standard normal distribution N(0, 1)."""
    dtype = _random_float_dtype(dtype, "normal_kernel_cpu")
    gen = numpy_generator(generator)
    work = dtype if dtype in (np.float32, np.float64) else np.float64
    data = gen.standard_normal(_size(size, "randn"), dtype=work)
    return _finish(data.astype(dtype, copy=False), requires_grad, device, out)


def randint(low=0, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None,
            device=None, requires_grad=False):
    """Random integers in [low, high) of the given size (int64 by default)."""
    if size is None:
        if high is None:
            raise TypeError("randint() missing required argument 'size'")
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= "
                           f"to={high}")
    dtype = (_dtype.to_dtype(dtype) or _dtype.int64).numpy
    data = numpy_generator(generator).integers(low, high, _shape_argument(size, "randint"))
    return _finish(data.astype(dtype), requires_grad, device, out)


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad=False):
    """A random permutation of 0 .. n-1."""
    dtype = (_dtype.to_dtype(dtype) or _dtype.int64).numpy
    return _finish(numpy_generator(generator).permutation(n).astype(dtype), requires_grad,
                   device, out)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None,
           device=None, requires_grad=False):
    """Samples from N(mean, std^2); ``mean`` and ``std`` may be tensors (broadcast)."""
    gen = numpy_generator(generator)
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    if isinstance(m, np.ndarray) or isinstance(s, np.ndarray):
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
        work = np.result_type(*[x for x in (m, s) if isinstance(x, np.ndarray)])
    else:
        if size is None:
            raise TypeError("normal() missing required argument 'size' for float mean and std")
        shape = _shape_argument(size, "normal")
        work = _float_dtype(dtype)
    if isinstance(s, np.ndarray) and np.any(s < 0):
        raise RuntimeError("normal expects all elements of std >= 0.0")
    if not isinstance(s, np.ndarray) and s < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {s:g}")
    data = (m + s * gen.standard_normal(shape)).astype(work)
    return _finish(data, requires_grad, device, out)


def bernoulli(input, p=None, *, generator=None, out=None):
    """0/1 samples with probability ``input`` (or ``p``) of a 1."""
    probs = input._data if p is None else np.full(input.shape, p)
    data = (numpy_generator(generator).random(probs.shape) < probs).astype(input._data.dtype)
    return _finish(data, False, None, out)


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """Indices sampled from the rows of ``input`` (non-negative weights)."""
    gen = numpy_generator(generator)
    weights = np.atleast_2d(input._data).astype(np.float64)
    rows = [gen.choice(len(w), num_samples, replace=replacement, p=w / w.sum()) for w in weights]
    data = np.stack(rows).astype(np.int64)
    return Tensor._make(data if input.ndim == 2 else data[0])


def _legacy_constructor(args, dtype):
    """``Tensor(...)``: sizes give an uninitialised (zero) tensor, data gives float32 values."""
    target = (_dtype.to_dtype(dtype) or _dtype.get_default_dtype()).numpy
    if not args:
        return np.zeros((0,), dtype=target)
    if builtins.all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args):
        return np.zeros(tuple(args), dtype=target)
    if len(args) == 1 and isinstance(args[0], Tensor):
        return args[0]._data
    if len(args) == 1:
        if isinstance(args[0], tuple) and builtins.all(isinstance(a, int) for a in args[0]) \
                and type(args[0]).__name__ == "Size":
            return np.zeros(args[0], dtype=target)
        return np.array(_item(args[0]), dtype=target)
    raise TypeError(f"Tensor(): could not make a tensor from arguments {args!r}")
