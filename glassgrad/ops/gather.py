"""Gather and scatter along one dim: ``gather``, ``take_along_dim``, ``scatter_add``.

For dim=1, gather reads out[i][j] = x[i][index[i][j]] and scatter_add writes the other way,
out[i][index[i][j]] += src[i][j]. Each is the other's backward: the gradient of a gather is g
scatter-added into zeros of x's shape at the same indices (added, so an element picked twice
collects both contributions), and the gradient of scatter_add is g for x and gather(g, index) for
src. ``take_along_dim`` is a gather after broadcasting input and indices outside ``dim``.
"""

import numpy as np

from ..autograd.function import Primitive
from ..tensor import Tensor, _wrap_dim
from ._util import write_out

__all__ = ["gather", "scatter_add", "take_along_dim"]


def _along(index, dim):
    """The tuple of index arrays that addresses ``index`` along ``dim`` (open mesh elsewhere)."""
    grids = list(np.ogrid[tuple(slice(s) for s in index.shape)])
    grids[dim] = index
    return tuple(grids)


class Gather(Primitive):
    """out[i][j] = x[i][index[i][j]] (dim=1);  grad: g scatter-added back at the indices."""

    _holds_arrays = True  # masks or indices on ctx, dropped after backward

    @staticmethod
    def forward(ctx, x, index, dim):
        ctx.in_shape, ctx.index, ctx.dim = x.shape, index, dim
        return x[_along(index, dim)]

    @staticmethod
    def backward(ctx, g):
        return scatter_add_into_zeros(g, ctx.in_shape, ctx.index, ctx.dim)


class ScatterAddZeros(Primitive):
    """out = zeros(shape) with g added along ``dim`` at ``index`` (the backward of gather);
    its gradient is a gather at the same indices."""

    _holds_arrays = True  # masks or indices on ctx, dropped after backward

    @staticmethod
    def forward(ctx, g, shape, index, dim):
        ctx.index, ctx.dim = index, dim
        return _scatter_add(np.zeros(shape, dtype=g.dtype), g, index, dim)

    @staticmethod
    def backward(ctx, grad):
        return Gather.apply(grad, index=ctx.index, dim=ctx.dim)


def _scatter_add(out, src, index, dim):
    """Add ``src[i][j]`` into ``out[i][index[i][j]]`` (dim=1), in place; returns ``out``."""
    np.add.at(out, _along(index, dim), src[tuple(slice(s) for s in index.shape)])
    return out


def scatter_add_into_zeros(g, shape, index, dim):
    if isinstance(g, Tensor):
        return ScatterAddZeros.apply(g, shape=shape, index=index, dim=dim)
    return _scatter_add(np.zeros(shape, dtype=g.dtype), g, index, dim)


def _check_index_tensor(index, op):
    if not isinstance(index, Tensor) or index._data.dtype.kind not in "iu":
        raise RuntimeError(f"{op}(): Expected dtype int64 for index")
    return index._data


def _check_scatter_index(data, input, dim, op, other=None):
    """PyTorch's checks of a gather/scatter index: same ndim, no larger than input (and src)
    outside ``dim``, values in range."""
    if data.ndim != input.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    for d in range(data.ndim):
        if d != dim and data.shape[d] > input.shape[d]:
            raise RuntimeError(f"Size does not match at dimension {d} expected index "
                               f"{list(data.shape)} to be no larger than self "
                               f"{list(input.shape)} apart from dimension {dim}")
        if other is not None and data.shape[d] > other.shape[d]:
            raise RuntimeError(f"Expected index {list(data.shape)} to be no larger than self "
                               f"{list(input.shape)} apart from dimension {dim} and to be no "
                               f"larger size than src {list(other.shape)}")
    size = input.shape[dim]
    if data.size and (data.max() >= size or data.min() < 0):
        bad = data.max() if data.max() >= size else data.min()
        raise RuntimeError(f"index {bad} is out of bounds for dimension {dim} with size {size}")


def gather(input, dim, index, *, sparse_grad=False, out=None):
    """Pick values along ``dim`` at ``index``: out[i][j] = input[i][index[i][j]] for dim=1.

    ``index`` has input's number of dims and may be smaller than input outside ``dim``.
    """
    data = _check_index_tensor(index, "gather")
    dim = _wrap_dim(dim, input.ndim, "gather")
    _check_scatter_index(data, input, dim, "gather")
    return write_out(Gather.apply(input, index=data, dim=dim), out)


def take_along_dim(input, indices, dim=None, *, out=None):
    """Pick values along ``dim`` at ``indices`` (``np.take_along_axis``); input and indices
    broadcast outside ``dim``; with dim None both are flattened first."""
    if dim is None:
        return write_out(gather(input.reshape(-1), 0, indices.reshape(-1)), out)
    data = _check_index_tensor(indices, "take_along_dim")
    if data.ndim != input.ndim:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {input.ndim} dimensions for input, and "
                           f"{data.ndim} dimensions for indices")
    dim = _wrap_dim(dim, input.ndim, "take_along_dim")
    in_shape, idx_shape = list(input.shape), list(data.shape)
    in_shape[dim] = idx_shape[dim] = 1
    common = list(np.broadcast_shapes(tuple(in_shape), tuple(idx_shape)))
    input_target = common[:dim] + [input.shape[dim]] + common[dim + 1:]
    index_target = common[:dim] + [data.shape[dim]] + common[dim + 1:]
    if tuple(input_target) != input.shape:
        input = input.expand(input_target)
    data = np.broadcast_to(data, index_target)
    return write_out(gather(input, dim, Tensor._make(data)), out)


class ScatterAdd(Primitive):
    """out = x with ``src`` added along dim at ``index``;  d/dx = g, d/dsrc = gather(g, index)."""

    _holds_arrays = True  # masks or indices on ctx, dropped after backward

    @staticmethod
    def forward(ctx, x, src, index, dim):
        ctx.index, ctx.dim = index, dim
        return _scatter_add(x.copy(), src, index, dim)

    @staticmethod
    def backward(ctx, g):
        grad_src = None
        if ctx.needs_input_grad[1]:
            grad_src = g[_along(ctx.index, ctx.dim)] if isinstance(g, np.ndarray) else \
                Gather.apply(g, index=ctx.index, dim=ctx.dim)
        return g, grad_src


def scatter_add(input, dim, index, src):
    """Add ``src`` into a copy of ``input`` along ``dim`` at ``index``:
    out[i][index[i][j]] += src[i][j] for dim=1 (repeated indices add up)."""
    data = _check_index_tensor(index, "scatter_add")
    dim = _wrap_dim(dim, input.ndim, "scatter_add")
    _check_scatter_index(data, input, dim, "scatter_add", src)
    if src.dtype != input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    return ScatterAdd.apply(input, src, index=data, dim=dim)
