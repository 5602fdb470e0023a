"""Shape operations: reshape/view, squeeze/unsqueeze, permute/transpose, expand, repeat, cat,
stack, split, chunk.

None of these changes a value, so each backward only moves the gradient back into the input's
layout: a reshape reshapes it back, a permutation applies the inverse permutation, an expand sums
over the stretched axes, a concatenation slices the gradient into the pieces.
"""

import builtins

import numpy as np

from ..autograd.function import Primitive
from ..tensor import Tensor, _wrap_dim
from ._util import binary_operands, unbroadcast, write_out

__all__ = ["reshape", "view", "view_as", "reshape_as", "flatten", "unflatten", "squeeze",
           "unsqueeze", "permute", "transpose", "swapaxes", "swapdims", "t", "movedim",
           "expand", "expand_as", "broadcast_to", "repeat", "tile", "cat", "concat",
           "concatenate", "stack", "hstack", "vstack", "split", "chunk", "unbind", "narrow",
           "flip", "contiguous"]


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


def _infer_shape(shape, numel, op):
    """Resolve a single -1 and check the element count, with PyTorch's message."""
    known = 1
    unknown = [i for i, s in enumerate(shape) if s == -1]
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if len(unknown) > 1:
        raise RuntimeError("only one dimension can be inferred")
    if unknown and known and numel % known == 0:
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif unknown or known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


class Reshape(Primitive):
    """out = x with a new shape;  the gradient is reshaped back."""

    _view = True

    @staticmethod
    def forward(ctx, x, shape, copy_allowed=True):
        ctx.in_shape = x.shape
        if copy_allowed:
            return x.reshape(shape)
        try:
            return np.reshape(x, shape, copy=False)
        except ValueError:
            raise RuntimeError("view size is not compatible with input tensor's size and stride "
                               "(at least one dimension spans across two contiguous subspaces). "
                               "Use .reshape(...) instead.") from None

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape)

    def name(self):
        return "ViewBackward0"


class Unsqueeze(Reshape):
    def name(self):
        return "UnsqueezeBackward0"


class Squeeze(Reshape):
    def name(self):
        return "SqueezeBackward0"


def reshape(input, *shape):
    """The same values in a new shape (one size may be -1); a view when possible."""
    shape = _infer_shape(shape_args(shape, "reshape"), input._data.size, "reshape")
    if shape == input._data.shape:
        return Reshape.apply(input, shape=shape)
    return Reshape.apply(input, shape=shape)


def view(input, *shape):
    """The same storage seen with a new shape (``Tensor.view``); raises if a copy is needed."""
    if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list, np.integer)):
        from .._dtype import to_dtype

        return Tensor._make(input._data.view(to_dtype(shape[0]).numpy))
    shape = _infer_shape(shape_args(shape, "view"), input._data.size, "view")
    return Reshape.apply(input, shape=shape, copy_allowed=False)


def view_as(input, other):
    """``view`` with ``other``'s shape."""
    return view(input, other.shape)


def reshape_as(input, other):
    """``reshape`` with ``other``'s shape."""
    return reshape(input, other.shape)


def contiguous(input, memory_format=None):
    """The tensor itself (NumPy arrays made by glassgrad are laid out as needed)."""
    return input


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dims ``start_dim`` .. ``end_dim`` into one."""
    ndim = input.ndim
    if ndim == 0:
        return reshape(input, 1)
    start = _wrap_dim(start_dim, ndim, "flatten")
    end = _wrap_dim(end_dim, ndim, "flatten")
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = input.shape
    merged = 1
    for s in shape[start:end + 1]:
        merged *= s
    return reshape(input, tuple(shape[:start]) + (merged,) + tuple(shape[end + 1:]))


def unflatten(input, dim, sizes):
    """Split dim ``dim`` into ``sizes`` (one may be -1)."""
    dim = _wrap_dim(dim, input.ndim, "unflatten")
    sizes = _infer_shape(tuple(sizes), input.shape[dim], "unflatten")
    return reshape(input, tuple(input.shape[:dim]) + sizes + tuple(input.shape[dim + 1:]))


def squeeze(input, dim=None):
    """Remove dims of size 1 (all of them, or those in ``dim`` that have size 1)."""
    shape = input._data.shape
    if dim is None:
        axes = [i for i, s in enumerate(shape) if s == 1]
    else:
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        axes = [_wrap_dim(d, input.ndim, "squeeze") for d in dims]
        axes = [a for a in axes if input.ndim and shape[a] == 1]
    new_shape = tuple(s for i, s in enumerate(shape) if i not in axes)
    return Squeeze.apply(input, shape=new_shape)


def unsqueeze(input, dim):
    """Insert a dim of size 1 at position ``dim``."""
    dim = _wrap_dim(dim, input.ndim + 1, "unsqueeze")
    shape = input._data.shape
    return Unsqueeze.apply(input, shape=shape[:dim] + (1,) + shape[dim:])


class Permute(Primitive):
    """out = x with its axes reordered by ``dims``;  the gradient gets the inverse order."""

    _view = True

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x.transpose(dims)

    @staticmethod
    def backward(ctx, g):
        return np.transpose(g, np.argsort(ctx.dims))


class Transpose(Permute):
    def name(self):
        return "TransposeBackward0"


def permute(input, *dims):
    """Reorder the dims (``x.permute(2, 0, 1)``)."""
    dims = shape_args(dims, "permute")
    ndim = input.ndim
    if len(dims) != ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {ndim} is not equal to len(dims) = {len(dims)}")
    wrapped = tuple(_wrap_dim(d, ndim, "permute") for d in dims)
    if len(set(wrapped)) != ndim:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return Permute.apply(input, dims=wrapped)


def transpose(input, dim0, dim1):
    """Swap two dims."""
    ndim = input.ndim
    if ndim == 0:
        _wrap_dim(dim0, 0, "transpose")
        _wrap_dim(dim1, 0, "transpose")
        return Transpose.apply(input, dims=())
    dims = list(range(ndim))
    a, b = _wrap_dim(dim0, ndim, "transpose"), _wrap_dim(dim1, ndim, "transpose")
    dims[a], dims[b] = dims[b], dims[a]
    return Transpose.apply(input, dims=tuple(dims))


swapaxes = swapdims = transpose


def t(input):
    """Transpose a tensor of at most 2 dims (``Tensor.t()``)."""
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{input.ndim}D")
    return transpose(input, 0, 1) if input.ndim == 2 else Transpose.apply(
        input, dims=tuple(range(input.ndim)))


def movedim(input, source, destination):
    """Move dim(s) ``source`` to position(s) ``destination``."""
    order = np.moveaxis(np.arange(input.ndim).reshape([1] * input.ndim), source, destination)
    src = source if isinstance(source, (tuple, list)) else [source]
    dst = destination if isinstance(destination, (tuple, list)) else [destination]
    dims = [d for d in range(input.ndim) if d not in [s % input.ndim for s in src]]
    for s, d in sorted(zip([s % input.ndim for s in src], [d % input.ndim for d in dst]),
                       key=lambda pair: pair[1]):
        dims.insert(d, s)
    del order
    return permute(input, dims)


class Expand(Primitive):
    """out = x broadcast to a larger shape (no copy);  the gradient is summed back (unbroadcast)."""

    _view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return unbroadcast(g, ctx.in_shape)


def expand(input, *sizes):
    """Broadcast to ``sizes`` (-1 keeps a dim) without copying."""
    sizes = shape_args(sizes, "expand")
    shape = input._data.shape
    if len(sizes) < len(shape):
        raise RuntimeError(f"expand(glassgrad.FloatTensor{{{list(shape)}}}, size={list(sizes)}): "
                           "the number of sizes provided must be greater or equal to the number "
                           "of dimensions in the tensor")
    offset = len(sizes) - len(shape)
    target = tuple(shape[i - offset] if s == -1 and i >= offset else s
                   for i, s in enumerate(sizes))
    for i, s in enumerate(shape):
        if s != 1 and s != target[i + offset]:
            raise RuntimeError(f"The expanded size of the tensor ({target[i + offset]}) must "
                               f"match the existing size ({s}) at non-singleton dimension "
                               f"{i + offset}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                               f"{list(shape)}")
    if target == shape:
        return input if not input._requires_grad else Expand.apply(input, shape=target)
    return Expand.apply(input, shape=target)


def expand_as(input, other):
    """``expand`` to ``other``'s shape."""
    return expand(input, other.shape)


def broadcast_to(input, size):
    """``expand`` under NumPy's name."""
    return expand(input, size)


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
    dims = tuple(dims)
    if len(dims) < input.ndim:
        dims = (1,) * (input.ndim - len(dims)) + dims
    return repeat(input, dims)


class Cat(Primitive):
    """out = the inputs joined along ``dim``;  each input's gradient is its slice of g."""

    @staticmethod
    def forward(ctx, *arrays, dim):
        ctx.dim = dim
        ctx.sizes = [a.shape[dim] for a in arrays]
        return np.concatenate(arrays, axis=dim)

    @staticmethod
    def backward(ctx, g):
        grads = []
        start = 0
        lead = (slice(None),) * ctx.dim
        for size in ctx.sizes:
            grads.append(g[lead + (slice(start, start + size),)])
            start += size
        return tuple(grads)


def _same_dtype(tensors):
    tensors = list(tensors)
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
    if builtins.any(t._data.dtype != tensors[0]._data.dtype for t in tensors):
        target = tensors[0]
        for t in tensors[1:]:
            target, _ = binary_operands(target, t)
        from ._util import cast

        tensors = [cast(t, np.result_type(*[x._data for x in tensors]) if
                        builtins.all(x._data.ndim for x in tensors) else target._data.dtype)
                   for t in tensors]
    return tensors


def cat(tensors, dim=0, *, out=None):
    """Join tensors along an existing dim (their other dims must match)."""
    tensors = _same_dtype(tensors)
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    tensors = [t for t in tensors if not (t.ndim == 1 and t.numel() == 0)] or tensors[:1]
    ndim = tensors[0].ndim
    if ndim == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    dim = _wrap_dim(dim, ndim, "cat")
    for i, t in enumerate(tensors):
        if t.ndim != ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ndim} and "
                               f"{t.ndim}")
        for d in range(ndim):
            if d != dim and t.shape[d] != tensors[0].shape[d]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {dim}. "
                                   f"Expected size {tensors[0].shape[d]} but got size "
                                   f"{t.shape[d]} for tensor number {i} in the list.")
    return write_out(Cat.apply(*tensors, dim=dim), out)


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


def hstack(tensors):
    """Stack along dim 1 (dim 0 for 1-D tensors)."""
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    """Stack along dim 0 (1-D tensors become rows)."""
    return cat([t.reshape(1, -1) if t.ndim == 1 else t for t in tensors], 0)


def narrow(input, dim, start, length):
    """The slice ``start:start+length`` along ``dim`` (a view)."""
    dim = _wrap_dim(dim, input.ndim, "narrow")
    start = start + input.shape[dim] if start < 0 else start
    return input[(slice(None),) * dim + (slice(start, start + length),)]


def split(tensor, split_size_or_sections, dim=0):
    """Split into chunks of ``split_size`` (the last may be smaller) or of the given sizes."""
    dim = _wrap_dim(dim, tensor.ndim, "split")
    length = tensor.shape[dim]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size <= 0 and length:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {length}")
        sizes = [builtins.min(size, length - s) for s in range(0, length, size)] or [0]
    else:
        sizes = list(split_size_or_sections)
        if builtins.sum(sizes) != length:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {length} "
                               f"(input tensor's size at dimension {dim}), but got "
                               f"split_sizes={sizes}")
    pieces, start = [], 0
    for size in sizes:
        pieces.append(narrow(tensor, dim, start, size))
        start += size
    return tuple(pieces)


def chunk(input, chunks, dim=0):
    """Split into ``chunks`` nearly equal pieces (fewer if the dim is short)."""
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    dim = _wrap_dim(dim, input.ndim, "chunk")
    length = input.shape[dim]
    size = -(-length // chunks) if length else 1
    return split(input, builtins.max(size, 1), dim)


def unbind(input, dim=0):
    """The slices along ``dim`` as a tuple (that dim removed)."""
    dim = _wrap_dim(dim, input.ndim, "unbind")
    return tuple(input[(slice(None),) * dim + (i,)] for i in range(input.shape[dim]))


def flip(input, dims):
    """Reverse the order of elements along ``dims``."""
    dims = dims if isinstance(dims, (tuple, list)) else (dims,)
    index = [slice(None)] * input.ndim
    for d in dims:
        index[_wrap_dim(d, input.ndim, "flip")] = slice(None, None, -1)
    return input[tuple(index)]
