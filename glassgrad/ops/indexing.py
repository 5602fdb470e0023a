"""Indexing: ``x[index]``, ``x[index] = v``, ``gather``, ``masked_fill``, ``where``,
``index_select``.

Reading ``y = x[index]`` picks elements, so the gradient is the reverse: start from zeros of x's
shape and *add* g at the picked positions (scatter-add). Adding, not assigning, matters when an
integer index picks the same element twice: both uses contribute to its gradient.
"""

import builtins

import numpy as np

from ..autograd.function import Primitive
from ..autograd.grad_mode import GradMode
from ..tensor import Tensor, _wrap_dim
from ._util import as_tensor_operand, binary_operands, shape_of, unbroadcast

__all__ = ["getitem", "setitem", "gather", "scatter_add", "masked_fill", "where",
           "index_select", "take_along_dim", "nonzero", "masked_select"]


def normalize_index(index):
    """Turn Tensors and lists inside an index into NumPy arrays; report whether it is advanced."""
    if not isinstance(index, tuple):
        index = (index,)
    parts = []
    advanced = False
    for item in index:
        if isinstance(item, Tensor):
            item = item._data
        elif isinstance(item, (list, np.ndarray)):
            item = np.asarray(item)
            if item.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool "
                                 "tensors")
        if isinstance(item, np.ndarray):
            if item.dtype.kind not in "iub":
                raise IndexError("tensors used as indices must be long, int, byte or bool "
                                 "tensors")
            if item.dtype == np.uint8:
                item = item.astype(bool)
            advanced = True
        elif isinstance(item, bool):
            advanced = True
        elif not (item is None or item is Ellipsis or isinstance(item, (int, slice, np.integer))):
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or "
                             f"byte Variables are valid indices (got {type(item).__name__})")
        parts.append(item)
    return tuple(parts), advanced


def _check_bounds(data, index):
    """Raise PyTorch's IndexError for an integer index past the end of its dim."""
    dim = 0
    for item in index:
        if item is None:
            continue
        if item is Ellipsis:
            dim = data.ndim - builtins.sum(1 for i in index if i is not None and i is not Ellipsis
                                           and not (isinstance(i, np.ndarray) and i.dtype == bool))
            continue
        if isinstance(item, (int, np.integer)) and not isinstance(item, bool):
            if dim >= data.ndim:
                raise IndexError(f"too many indices for tensor of dimension {data.ndim}")
            size = data.shape[dim]
            if item >= size or item < -size:
                raise IndexError(f"index {item} is out of bounds for dimension {dim} with size "
                                 f"{size}")
        dim += item.ndim if isinstance(item, np.ndarray) and item.dtype == bool else 1


class Slice(Primitive):
    """out = x[index] for ints, slices, None and ... (a view);  grad: g placed back at index."""

    _view = True

    @staticmethod
    def forward(ctx, x, index):
        ctx.in_shape, ctx.index = x.shape, index
        return x[index]

    @staticmethod
    def backward(ctx, g):
        return scatter_into_zeros(g, ctx.in_shape, ctx.index, accumulate=False)

    def name(self):
        return "SliceBackward0"


class Index(Primitive):
    """out = x[index] with integer or boolean arrays (a copy);  grad: g scatter-added back."""

    @staticmethod
    def forward(ctx, x, index):
        ctx.in_shape, ctx.index = x.shape, index
        return x[index]

    @staticmethod
    def backward(ctx, g):
        return scatter_into_zeros(g, ctx.in_shape, ctx.index, accumulate=True)


class IndexScatter(Primitive):
    """out = zeros(shape) with g added at ``index`` (the backward of indexing);
    its own gradient reads the same positions back: d/dg = g_out[index]."""

    @staticmethod
    def forward(ctx, g, shape, index, accumulate):
        ctx.index = index
        out = np.zeros(shape, dtype=g.dtype)
        if accumulate:
            np.add.at(out, index, g)
        else:
            out[index] = g
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad[ctx.index]


def scatter_into_zeros(g, shape, index, accumulate):
    """zeros(shape) with g put (or added) at ``index``; differentiable when g is a Tensor."""
    if isinstance(g, Tensor):
        return IndexScatter.apply(g, shape=shape, index=index, accumulate=accumulate)
    return IndexScatter.forward(None, g, shape, index, accumulate)


def getitem(input, index):
    """``x[index]``: ints, slices, None, ..., boolean masks and integer arrays, as in PyTorch."""
    index, advanced = normalize_index(index)
    if input._data.ndim == 0 and builtins.any(isinstance(i, (int, slice)) for i in index):
        raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                         "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
    _check_bounds(input._data, index)
    try:
        if advanced:
            return Index.apply(input, index=index)
        return Slice.apply(input, index=index)
    except IndexError as error:
        raise IndexError(f"index error on a tensor of shape {list(input.shape)}: {error}") \
            from None


class IndexPut(Primitive):
    """out = x with out[index] = v;  d/dx = g except at index (0), d/dv = g[index] (summed back
    to v's shape)."""

    @staticmethod
    def forward(ctx, x, v, index):
        ctx.index, ctx.in_shape, ctx.v_shape = index, x.shape, shape_of(v)
        out = x.copy()
        out[index] = v
        return out

    @staticmethod
    def backward(ctx, g):
        grad_x = grad_v = None
        if ctx.needs_input_grad[0]:
            keep = np.ones(ctx.in_shape, dtype=bool)
            keep[ctx.index] = False
            grad_x = g * keep
        if ctx.needs_input_grad[1]:
            grad_v = unbroadcast(g[ctx.index], ctx.v_shape)
        return grad_x, grad_v


def setitem(input, index, value):
    """``x[index] = value`` in place; recorded in the graph when value or x requires grad."""
    from .inplace import apply_inplace

    index, _ = normalize_index(index)
    value = as_tensor_operand(value)
    if isinstance(value, Tensor) and value._data.dtype != input._data.dtype:
        value = value.to(input.dtype)
    _check_bounds(input._data, index)
    tracked = GradMode.enabled and (input._requires_grad or (
        isinstance(value, Tensor) and value._requires_grad))
    if not tracked:
        input._data[index] = value._data if isinstance(value, Tensor) else value
        input._version_counter[0] += 1
        return
    apply_inplace(input, lambda old: IndexPut.apply(old, value, index=index))


class Gather(Primitive):
    """out[i][j] = x[i][index[i][j]] (dim=1);  grad: g scatter-added back at the indices."""

    @staticmethod
    def forward(ctx, x, index, dim):
        ctx.in_shape, ctx.index, ctx.dim = x.shape, index, dim
        return np.take_along_axis(x, index, axis=dim)

    @staticmethod
    def backward(ctx, g):
        return scatter_add_into_zeros(g, ctx.in_shape, ctx.index, ctx.dim)


class ScatterAddZeros(Primitive):
    """out = zeros(shape) with g added along ``dim`` at ``index`` (the backward of gather);
    its gradient is a gather at the same indices."""

    @staticmethod
    def forward(ctx, g, shape, index, dim):
        ctx.index, ctx.dim = index, dim
        out = np.zeros(shape, dtype=g.dtype)
        np.add.at(out, _full_index(index, dim), g)
        return out

    @staticmethod
    def backward(ctx, grad):
        return gather(grad, ctx.dim, Tensor._make(ctx.index))


def _full_index(index, dim):
    """The tuple of index arrays that addresses ``index`` along ``dim`` (open mesh elsewhere)."""
    grids = list(np.ogrid[tuple(slice(s) for s in index.shape)])
    grids[dim] = index
    return tuple(grids)


def scatter_add_into_zeros(g, shape, index, dim):
    if isinstance(g, Tensor):
        return ScatterAddZeros.apply(g, shape=shape, index=index, dim=dim)
    return ScatterAddZeros.forward(None, g, shape, index, dim)


def _check_index_tensor(index, op):
    if not isinstance(index, Tensor) or index._data.dtype.kind not in "iu":
        raise RuntimeError(f"{op}(): Expected dtype int64 for index")
    return index._data


def gather(input, dim, index, *, sparse_grad=False):
    """Pick values along ``dim`` at ``index`` (same number of dims as input)."""
    data = _check_index_tensor(index, "gather")
    dim = _wrap_dim(dim, input.ndim, "gather")
    if data.ndim != input.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    if data.size and (data.max() >= input.shape[dim] or data.min() < 0):
        raise RuntimeError(f"index {int(data.max())} is out of bounds for dimension {dim} with "
                           f"size {input.shape[dim]}")
    return Gather.apply(input, index=data, dim=dim)


def take_along_dim(input, indices, dim=None):
    """``np.take_along_axis`` with PyTorch's name (flattened when dim is None)."""
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    return gather(input, dim, indices)


class ScatterAdd(Primitive):
    """out = x with ``src`` added along dim at ``index``;  d/dx = g, d/dsrc = gather(g, index)."""

    @staticmethod
    def forward(ctx, x, src, index, dim):
        ctx.index, ctx.dim = index, dim
        out = x.copy()
        np.add.at(out, _full_index(index, dim), src[tuple(slice(s) for s in index.shape)])
        return out

    @staticmethod
    def backward(ctx, g):
        grad_src = None
        if ctx.needs_input_grad[1]:
            grad_src = np.take_along_axis(g, ctx.index, axis=ctx.dim) if isinstance(
                g, np.ndarray) else gather(g, ctx.dim, Tensor._make(ctx.index))
        return g, grad_src


def scatter_add(input, dim, index, src):
    """Add ``src`` into a copy of ``input`` along ``dim`` at ``index``."""
    data = _check_index_tensor(index, "scatter_add")
    dim = _wrap_dim(dim, input.ndim, "scatter_add")
    return ScatterAdd.apply(input, src, index=data, dim=dim)


def index_select(input, dim, index):
    """The slices of ``input`` along ``dim`` at the positions in the 1-D ``index``."""
    data = _check_index_tensor(index, "index_select")
    dim = _wrap_dim(dim, input.ndim, "index_select")
    return getitem(input, (slice(None),) * dim + (data.reshape(-1),))


class MaskedFill(Primitive):
    """out = x with ``value`` where mask is True;  d/dx = g where mask is False, else 0."""

    @staticmethod
    def forward(ctx, x, mask, value):
        ctx.keep, ctx.in_shape = ~mask, x.shape
        return np.where(mask, np.asarray(value, dtype=x.dtype), x)

    @staticmethod
    def backward(ctx, g):
        return unbroadcast(g * ctx.keep, ctx.in_shape), None, None


def masked_fill(input, mask, value):
    """Set the elements where ``mask`` is True to ``value`` (out of place)."""
    if not isinstance(mask, Tensor) or mask._data.dtype != np.bool_:
        raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{getattr(mask, 'dtype', type(mask).__name__)}")
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value.ndim} dimension(s).")
        if value._requires_grad:
            return where(mask, value.to(input.dtype), input)
        value = value.item()
    return MaskedFill.apply(input, mask._data, value)


class Where(Primitive):
    """out = a where cond else b;  d/da = g * cond, d/db = g * (not cond)."""

    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.cond, ctx.shapes = cond, (shape_of(a), shape_of(b))
        return np.where(cond, a, b)

    @staticmethod
    def backward(ctx, g):
        return (None, unbroadcast(g * ctx.cond, ctx.shapes[0]),
                unbroadcast(g * ~ctx.cond, ctx.shapes[1]))


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
    from ._util import write_out

    return write_out(Where.apply(cond, a, b), out)


def nonzero(input, *, as_tuple=False):
    """Indices of the non-zero elements: an (n, ndim) int64 tensor, or a tuple of 1-D ones."""
    found = np.nonzero(input._data if input._data.ndim else input._data.reshape(1))
    if as_tuple:
        return tuple(Tensor._make(i.astype(np.int64)) for i in found)
    return Tensor._make(np.stack(found, axis=1).astype(np.int64) if found else
                        np.zeros((0, 0), dtype=np.int64))


def masked_select(input, mask):
    """The elements where ``mask`` is True, as a 1-D tensor."""
    mask_data = np.broadcast_to(mask._data, np.broadcast_shapes(mask.shape, input.shape))
    if mask_data.shape != input.shape:
        input = input.expand(mask_data.shape)
    return getitem(input, Tensor._make(mask_data))
