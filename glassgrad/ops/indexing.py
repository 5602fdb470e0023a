"""Indexing: ``x[index]``, ``x[index] = v``, ``index_select``, ``masked_fill``, ``where``,
``nonzero``, ``masked_select``. ``gather``, ``scatter_add`` and ``take_along_dim`` live in
``gather.py`` and are re-exported here.

Reading ``y = x[index]`` picks elements, so the gradient is the reverse: start from zeros of x's
shape and *add* g at the picked positions (scatter-add). Adding, not assigning, matters when an
integer index picks the same element twice: both uses contribute to its gradient.

PyTorch and NumPy agree on indexing except for one rule: PyTorch applies integers (and ``None``)
first, as plain selections, and only then the advanced (tensor, list, mask) indices. So
``x[0, :, [0, 1]]`` has shape (4, 2) in PyTorch and (2, 4) in NumPy. ``split_index`` turns an
index into the two NumPy steps that give PyTorch's answer: ``x[basic][advanced]``.
"""

import builtins

import numpy as np

from ..autograd.function import Primitive
from ..autograd.grad_mode import GradMode
from ..tensor import Tensor, _wrap_dim
from ._util import as_tensor_operand, binary_operands, shape_of, unbroadcast, write_out
from .gather import Gather as Gather
from .gather import ScatterAdd as ScatterAdd
from .gather import ScatterAddZeros as ScatterAddZeros
from .gather import _check_index_tensor, gather, scatter_add, take_along_dim
from .gather import scatter_add_into_zeros as scatter_add_into_zeros

__all__ = ["getitem", "setitem", "gather", "scatter_add", "masked_fill", "where",
           "index_select", "take_along_dim", "nonzero", "masked_select"]

_ALL = slice(None)


def _index_item(item):
    """One index entry as NumPy understands it (Tensors and lists become arrays)."""
    if isinstance(item, Tensor):
        item = item._data
        if item.ndim == 0 and item.dtype.kind in "iub":
            return item.item()  # a 0-d integer (or bool) tensor indexes like a Python number
    elif isinstance(item, (list, np.ndarray)):
        item = np.asarray(item)
    if isinstance(item, np.ndarray):
        if item.dtype.kind not in "iub":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return item.astype(bool) if item.dtype == np.uint8 else item
    if isinstance(item, np.integer):
        return int(item)
    if isinstance(item, slice):
        if item.step is not None and item.step == 0:
            raise ValueError("slice step cannot be zero")
        if item.step is not None and item.step < 0:
            raise ValueError("step must be greater than zero")
        return item
    if item is None or item is Ellipsis or isinstance(item, (builtins.int, builtins.bool)):
        return item
    raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                     f"Variables are valid indices (got {type(item).__name__})")


def _dims_used(item):
    """How many dims of the indexed tensor an index entry consumes."""
    if item is None or item is Ellipsis or isinstance(item, builtins.bool):
        return 0
    if isinstance(item, np.ndarray) and item.dtype == np.bool_:
        return item.ndim
    return 1


def split_index(index, shape):
    """Check ``index`` against ``shape`` and split it into (basic, advanced).

    ``basic`` holds ints, slices, None and ... (advanced entries replaced by full slices);
    ``advanced`` (None when there is none) holds the arrays at the dims they index in
    ``x[basic]``. Then ``x[basic][advanced]`` is PyTorch's ``x[index]``.
    """
    items = [_index_item(i) for i in (index if isinstance(index, tuple) else (index,))]
    ndim = len(shape)
    used = builtins.sum(_dims_used(i) for i in items)
    if used > ndim:
        if ndim == 0 and builtins.any(isinstance(i, (builtins.int, slice)) and
                                      not isinstance(i, builtins.bool) for i in items):
            raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                             "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    basic, advanced = [], {}
    dim_in = dim_out = 0
    for item in items:
        if item is None:
            basic.append(None)
            dim_out += 1
        elif item is Ellipsis:
            basic.append(Ellipsis)
            span = ndim - used
            used = ndim  # a second ... spans nothing
            dim_in += span
            dim_out += span
        elif isinstance(item, builtins.bool):
            basic.append(None)  # x[True] is x[None][[True]]
            advanced[dim_out] = np.array([item])
            dim_out += 1
        elif isinstance(item, builtins.int):
            size = shape[dim_in]
            if item >= size or item < -size:
                raise IndexError(f"index {item} is out of bounds for dimension {dim_in} with "
                                 f"size {size}")
            basic.append(item)
            dim_in += 1
        elif isinstance(item, slice):
            basic.append(item)
            dim_in += 1
            dim_out += 1
        elif item.dtype == np.bool_:
            k = item.ndim
            expected = tuple(shape[dim_in:dim_in + k])
            for j in range(k):
                if item.shape[j] != expected[j]:
                    raise IndexError(f"The shape of the mask {list(item.shape)} at index {j} "
                                     f"does not match the shape of the indexed tensor "
                                     f"{list(expected)} at index {j}")
            basic.extend([_ALL] * k)
            advanced[dim_out] = item
            dim_in += k
            dim_out += k
        else:
            size = shape[dim_in]
            if item.size and (item.max() >= size or item.min() < -size):
                bad = item.max() if item.max() >= size else item.min()
                raise IndexError(f"index {bad} is out of bounds for dimension {dim_in} with "
                                 f"size {size}")
            basic.append(_ALL)
            advanced[dim_out] = item
            dim_in += 1
            dim_out += 1
    if not builtins.any(i is Ellipsis for i in basic):
        basic.append(Ellipsis)  # so that x[basic] is a view even when every entry is an int
    if not advanced:
        return tuple(basic), None
    last = builtins.max(advanced)
    return tuple(basic), tuple(advanced.get(d, _ALL) for d in range(last + 1))


def take(x, basic, advanced):
    """``x[basic][advanced]`` for an array or a Tensor."""
    x = x[basic]
    return x if advanced is None else x[advanced]


class Slice(Primitive):
    """out = x[index] for ints, slices, None and ... (a view);  grad: g placed back at index."""

    _holds_arrays = True  # masks or indices on ctx, dropped after backward

    _view = True

    @staticmethod
    def forward(ctx, x, index):
        ctx.in_shape, ctx.index = x.shape, index
        return x[index]

    @staticmethod
    def backward(ctx, g):
        return scatter_into_zeros(g, ctx.in_shape, ctx.index, None)

    def name(self):
        if all(isinstance(i, (int, np.integer)) or i is Ellipsis for i in self.index):
            return "SelectBackward0"
        return "SliceBackward0"


class Index(Primitive):
    """out = x[basic][advanced] with integer or boolean arrays (a copy);
    grad: g scatter-added back (repeated positions add up)."""

    _holds_arrays = True  # masks or indices on ctx, dropped after backward

    @staticmethod
    def forward(ctx, x, basic, advanced):
        ctx.in_shape, ctx.basic, ctx.advanced = x.shape, basic, advanced
        return take(x, basic, advanced)

    @staticmethod
    def backward(ctx, g):
        return scatter_into_zeros(g, ctx.in_shape, ctx.basic, ctx.advanced)


def _scatter(g, shape, basic, advanced):
    """zeros(shape) with g added at ``x[basic][advanced]``'s positions."""
    out = np.zeros(shape, dtype=g.dtype)
    if advanced is None or builtins.all(a is _ALL or a.dtype == np.bool_ for a in advanced):
        _assign(out, basic, advanced, g)  # slices and masks never pick an element twice
        return out
    positions = take(np.arange(out.size).reshape(shape), basic, advanced)
    np.add.at(out.reshape(-1), positions.reshape(-1), np.broadcast_to(g, positions.shape)
              .reshape(-1))
    return out


class IndexScatter(Primitive):
    """out = zeros(shape) with g added at ``x[basic][advanced]``'s positions (the backward of
    indexing); its own gradient reads the same positions back: d/dg = grad[basic][advanced]."""

    _holds_arrays = True  # masks or indices on ctx, dropped after backward

    @staticmethod
    def forward(ctx, g, shape, basic, advanced):
        ctx.basic, ctx.advanced = basic, advanced
        return _scatter(g, shape, basic, advanced)

    @staticmethod
    def backward(ctx, grad):
        return take(grad, ctx.basic, ctx.advanced)


def scatter_into_zeros(g, shape, basic, advanced):
    """zeros(shape) with g added at the indexed positions; differentiable when g is a Tensor."""
    if isinstance(g, Tensor):
        return IndexScatter.apply(g, shape=shape, basic=basic, advanced=advanced)
    return _scatter(g, shape, basic, advanced)


def getitem(input, index):
    """``x[index]``: ints, slices, None, ..., boolean masks and integer arrays, as in PyTorch."""
    basic, advanced = split_index(index, input._data.shape)
    if advanced is None:
        return Slice.apply(input, index=basic)
    return Index.apply(input, basic=basic, advanced=advanced)


def _sum_to(grad, shape):
    """``unbroadcast`` that also drops the leading 1s a value may have beyond the target."""
    extra = len(shape) - len(grad.shape)
    if extra > 0:
        grad = grad.reshape((1,) * extra + tuple(grad.shape))
    return unbroadcast(grad, tuple(shape))


class IndexPut(Primitive):
    """out = x with out[index] = v;  d/dx = g with zeros at index,  d/dv = g[index] summed
    back to v's shape."""

    _holds_arrays = True  # masks or indices on ctx, dropped after backward

    @staticmethod
    def forward(ctx, x, v, basic, advanced):
        ctx.basic, ctx.advanced = basic, advanced
        ctx.in_shape, ctx.v_shape = x.shape, shape_of(v)
        out = x.copy()
        _assign(out, basic, advanced, v)
        return out

    @staticmethod
    def backward(ctx, g):
        grad_x = grad_v = None
        if ctx.needs_input_grad[0]:
            keep = np.ones(ctx.in_shape, dtype=bool)
            _assign(keep, ctx.basic, ctx.advanced, False)
            grad_x = g * keep
        if ctx.needs_input_grad[1]:
            grad_v = _sum_to(take(g, ctx.basic, ctx.advanced), ctx.v_shape)
        return grad_x, grad_v


def _assign(array, basic, advanced, value):
    """``array[basic][advanced] = value`` in place (``array[basic]`` is a view); the value
    broadcasts to the indexed shape, after dropping leading 1s as PyTorch does."""
    value_shape = shape_of(value)
    # the indexed shape, read off a zero-stride array (nothing of array's size is allocated)
    target = take(np.broadcast_to(np.empty((), np.bool_), array.shape), basic, advanced).shape \
        if value_shape else ()
    extra = len(value_shape) - len(target)
    if extra > 0 and builtins.all(s == 1 for s in value_shape[:extra]):
        value = value.reshape(value_shape[extra:])
    try:
        if advanced is None:
            array[basic] = value
        else:
            array[basic][advanced] = value
    except ValueError:
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(value_shape)} cannot be "
                           f"broadcast to indexing result of shape {list(target)}") from None


def setitem(input, index, value):
    """``x[index] = value`` in place; recorded in the graph when value or x requires grad."""
    from .inplace import apply_inplace

    basic, advanced = split_index(index, input._data.shape)
    value = as_tensor_operand(value)
    if isinstance(value, Tensor) and value._data.dtype != input._data.dtype:
        value = value.to(input.dtype)
    tracked = GradMode.enabled and (input._requires_grad or (
        isinstance(value, Tensor) and value._requires_grad))
    if not tracked:
        _assign(input._data, basic, advanced,
                value._data if isinstance(value, Tensor) else value)
        input._version_counter[0] += 1
        return
    apply_inplace(input, lambda old: IndexPut.apply(old, value, basic=basic, advanced=advanced),
                  (value,), "setitem")


def index_select(input, dim, index, *, out=None):
    """The slices of ``input`` along ``dim`` at the positions in the 1-D ``index``."""
    data = _check_index_tensor(index, "index_select")
    if data.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    dim = _wrap_dim(dim, input.ndim, "index_select")
    size = input.shape[dim] if input.ndim else 1
    bad = data.reshape(-1)[(data.reshape(-1) < 0) | (data.reshape(-1) >= size)]
    if bad.size:  # PyTorch's two messages: one for dim 0, one for the other dims
        if dim == 0:
            raise IndexError("index out of range in self")
        raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad[0]} axis_dim={size}")
    if input.ndim == 0:
        return write_out(input.reshape(data.shape), out)
    return write_out(getitem(input, (_ALL,) * dim + (data.reshape(-1),)), out)


class MaskedFill(Primitive):
    """out = x with ``value`` where mask is True;  d/dx = g where mask is False, else 0."""

    _holds_arrays = True  # masks or indices on ctx, dropped after backward

    @staticmethod
    def forward(ctx, x, mask, value):
        ctx.keep, ctx.in_shape = ~mask, x.shape
        return np.where(mask, np.asarray(value, dtype=x.dtype), x)

    @staticmethod
    def backward(ctx, g):
        return unbroadcast(g * ctx.keep, ctx.in_shape), None, None


def masked_fill(input, mask, value):
    """Set the elements where ``mask`` (bool, broadcast) is True to ``value`` (out of place).

    ``value`` is a number or a 0-d tensor; a 0-d tensor that requires grad receives the sum of
    the gradient at the filled positions.
    """
    if not isinstance(mask, Tensor) or mask._data.dtype != np.bool_:
        raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{getattr(mask, 'dtype', type(mask).__name__)}")
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value.ndim} dimension(s).")
        if value._requires_grad and GradMode.enabled:
            return where(mask, value.to(input.dtype), input)
        value = value.item()
    return MaskedFill.apply(input, mask._data, value)


class Where(Primitive):
    """out = a where cond else b;  d/da = g * cond, d/db = g * (not cond)."""

    _holds_arrays = True  # masks or indices on ctx, dropped after backward

    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.cond, ctx.shapes = cond, (shape_of(a), shape_of(b))
        return np.where(cond, a, b)

    @staticmethod
    def backward(ctx, g):
        grad_a = grad_b = None
        if ctx.needs_input_grad[1]:
            grad_a = unbroadcast(g * ctx.cond, ctx.shapes[0])
        if ctx.needs_input_grad[2]:
            grad_b = unbroadcast(g * ~ctx.cond, ctx.shapes[1])
        return None, grad_a, grad_b


def where(condition, input=None, other=None, *, out=None):
    """Choose from ``input`` where ``condition`` holds, else from ``other`` (broadcasting);
    with one argument, the indices of the non-zero elements."""
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    cond = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {condition.dtype}")
    a, b = binary_operands(input, other)
    return write_out(Where.apply(cond, a, b), out)


def nonzero(input, *, out=None, as_tuple=False):
    """Indices of the non-zero elements: an (n, ndim) int64 tensor, or a tuple of 1-D ones."""
    data = input._data
    if as_tuple:
        found = np.nonzero(data if data.ndim else data.reshape(1))
        return tuple(Tensor._make(i.astype(np.int64)) for i in found)
    if data.ndim == 0:
        return write_out(Tensor._make(np.zeros((int(data != 0), 0), dtype=np.int64)), out)
    return write_out(Tensor._make(np.argwhere(data).astype(np.int64)), out)


def masked_select(input, mask, *, out=None):
    """The elements where ``mask`` (bool, broadcast with input) is True, as a 1-D tensor."""
    if not isinstance(mask, Tensor) or mask._data.dtype != np.bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    shape = np.broadcast_shapes(mask.shape, input.shape)
    mask_data = np.broadcast_to(mask._data, shape)
    if tuple(input.shape) != shape:
        input = input.expand(shape)
    return write_out(getitem(input, Tensor._make(mask_data)), out)
