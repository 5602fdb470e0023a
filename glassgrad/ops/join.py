"""Joining and splitting: cat (concat, concatenate), stack, hstack, vstack, and repeat/tile (a
tensor joined to copies of itself); split, chunk, unbind, narrow.

None of these changes a value, so each backward routes the gradient back to where each value came
from: a concatenation slices g into the pieces (input i gets g[..., start_i:start_i + n_i, ...]),
a stack indexes it (input i gets g[..., i, ...]), a repeat sums the tiles. Splitting is the
reverse: every piece is a view of the input, made by indexing's ``Slice``, whose backward puts g
back at the slice and zeros elsewhere.
"""

import builtins

import numpy as np

from .._dtype import result_numpy_dtype
from ..autograd.function import Primitive
from ..tensor import Tensor, _wrap_dim
from ._util import cast, shape_args, write_out

__all__ = ["repeat", "tile", "cat", "concat", "concatenate", "stack", "hstack", "vstack", "split",
           "chunk", "unbind", "narrow"]


class Repeat(Primitive):
    """out = x tiled ``repeats`` times along each dim;  the gradient sums the tiles."""

    @staticmethod
    def forward(ctx, x, repeats):
        extra = len(repeats) - x.ndim
        ctx.padded_shape = (1,) * extra + x.shape
        ctx.in_shape, ctx.repeats = x.shape, repeats
        return np.tile(x, repeats)

    @staticmethod
    def backward(ctx, g):
        split = []
        for r, s in zip(ctx.repeats, ctx.padded_shape):
            split += [r, s]
        summed = g.reshape(split).sum(axis=tuple(range(0, len(split), 2)))
        return summed.reshape(ctx.in_shape)


def repeat(input, *repeats):
    """Tile the tensor (``Tensor.repeat``, like ``np.tile``)."""
    repeats = shape_args(repeats, "repeat")
    if len(repeats) < input.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of "
                           "dimensions of tensor")
    return Repeat.apply(input, repeats=repeats)


def tile(input, dims):
    """``np.tile`` semantics: missing leading repeats count as 1."""
    dims = shape_args((dims,) if isinstance(dims, (int, np.integer)) else dims, "tile")
    if len(dims) < input.ndim:
        dims = (1,) * (input.ndim - len(dims)) + dims
    return repeat(input, dims)


class Cat(Primitive):
    """out = the inputs joined along ``dim``;  each input's gradient is its slice of g.

    Inputs marked in ``skip`` (PyTorch's legacy empty 1-D tensors, accepted next to tensors of
    any shape) take no part and get an empty gradient.
    """

    @staticmethod
    def forward(ctx, *arrays, dim, skip):
        ctx.dim = dim
        ctx.sizes = [None if s else a.shape[dim] for a, s in zip(arrays, skip)]
        return np.concatenate([a for a, s in zip(arrays, skip) if not s], axis=dim)

    @staticmethod
    def backward(ctx, g):
        grads = []
        start = 0
        lead = (slice(None),) * ctx.dim
        for size in ctx.sizes:
            if size is None:
                grads.append(np.zeros(0, g.dtype) if isinstance(g, np.ndarray) else
                             g.reshape(-1)[:0])
                continue
            grads.append(g[lead + (slice(start, start + size),)])
            start += size
        return tuple(grads)


def _same_dtype(tensors):
    """The tensors cast to their common dtype (``torch.result_type`` of all of them)."""
    tensors = list(tensors)
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
    if builtins.any(t._data.dtype != tensors[0]._data.dtype for t in tensors):
        target = result_numpy_dtype([t._data.reshape(-1) for t in tensors])
        tensors = [cast(t, target) for t in tensors]
    return tensors


def cat(tensors, dim=0, *, out=None):
    """Join tensors along an existing dim (their other dims must match).

    Example:
        >>> glassgrad.cat([glassgrad.zeros(2, 3), glassgrad.ones(1, 3)]).shape
        glassgrad.Size([3, 3])
    """
    tensors = _same_dtype(tensors)
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be "
                               "concatenated")
    skip = [t.ndim == 1 and t.shape[0] == 0 for t in tensors]
    if builtins.all(skip):
        skip = [False] * len(tensors)
    ref = tensors[skip.index(False)]
    ndim = ref.ndim
    dim = _wrap_dim(dim, ndim, "cat")
    for i, t in enumerate(tensors):
        if skip[i]:
            continue
        if t.ndim != ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ndim} and "
                               f"{t.ndim}")
        for d in range(ndim):
            if d != dim and t.shape[d] != ref.shape[d]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {dim}. "
                                   f"Expected size {ref.shape[d]} but got size {t.shape[d]} "
                                   f"for tensor number {i} in the list.")
    return write_out(Cat.apply(*tensors, dim=dim, skip=tuple(skip)), out)


concat = concatenate = cat


class Stack(Primitive):
    """out = the inputs stacked along a new ``dim``;  input i's gradient is g[..., i, ...]."""

    @staticmethod
    def forward(ctx, *arrays, dim):
        ctx.dim, ctx.count = dim, len(arrays)
        return np.stack(arrays, axis=dim)

    @staticmethod
    def backward(ctx, g):
        lead = (slice(None),) * ctx.dim
        return tuple(g[lead + (i,)] for i in range(ctx.count))


def stack(tensors, dim=0, *, out=None):
    """Stack same-shaped tensors along a new dim."""
    tensors = _same_dtype(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(tensors[0].shape)} at entry 0 and {list(t.shape)} at "
                               f"entry {i}")
    dim = _wrap_dim(dim, tensors[0].ndim + 1, "stack")
    return write_out(Stack.apply(*tensors, dim=dim), out)


def hstack(tensors, *, out=None):
    """Join along dim 1 (dim 0 for 1-D tensors; 0-d tensors count as 1-D)."""
    tensors = [t.reshape(1) if t.ndim == 0 else t for t in tensors]
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1, out=out)


def vstack(tensors, *, out=None):
    """Join along dim 0 (1-D and 0-d tensors become rows)."""
    return cat([t.reshape(1, -1) if t.ndim < 2 else t for t in tensors], 0, out=out)


def narrow(input, dim, start, length):
    """The slice ``start:start+length`` along ``dim`` (a view)."""
    if input.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    dim = _wrap_dim(dim, input.ndim, "narrow")
    start, length = int(start), int(length)
    size = input.shape[dim]
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start < -size or start > size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but "
                         f"got {start})")
    start = start + size if start < 0 else start
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size "
                           f"({size}).")
    return _slice_dim(input, dim, start, start + length)


def _slice_dim(input, dim, start, stop):
    """``input[..., start:stop, ...]`` along ``dim`` (a view)."""
    from .indexing import Slice

    return Slice.apply(input, index=(slice(None),) * dim + (slice(start, stop),))


def split(tensor, split_size_or_sections, dim=0):
    """Split into chunks of ``split_size`` (the last may be smaller) or of the given sizes."""
    dim = _wrap_dim(dim, tensor.ndim, "split")
    length = tensor.shape[dim]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size <= 0 and length:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {length}")
        sizes = [builtins.min(size, length - s) for s in range(0, length, size)] if size \
            else []
        sizes = sizes or [0]
    else:
        sizes = list(split_size_or_sections)
        if builtins.sum(sizes) != length:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {length} "
                               f"(input tensor's size at dimension {dim}), but got "
                               f"split_sizes={sizes}")
    pieces, start = [], 0
    for size in sizes:
        pieces.append(_slice_dim(tensor, dim, start, start + size))
        start += size
    return tuple(pieces)


def chunk(input, chunks, dim=0):
    """Split into ``chunks`` nearly equal pieces (fewer if the dim is short)."""
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    dim = _wrap_dim(dim, input.ndim, "chunk")
    length = input.shape[dim]
    if length == 0:
        return tuple(_slice_dim(input, dim, 0, 0) for _ in range(chunks))
    return split(input, -(-length // chunks), dim)


def unbind(input, dim=0):
    """The slices along ``dim`` as a tuple (that dim removed)."""
    from .indexing import Slice

    dim = _wrap_dim(dim, input.ndim, "unbind")
    lead = (slice(None),) * dim
    return tuple(Slice.apply(input, index=lead + (i,)) for i in range(input.shape[dim]))
