"""Shape operations: reshape/view, squeeze/unsqueeze, permute/transpose, expand, repeat, cat,
stack, split, chunk.

None of these changes a value, so each backward only moves the gradient back into the input's
layout: a reshape reshapes it back, a permutation applies the inverse permutation, an expand sums
over the stretched axes, a concatenation slices the gradient into the pieces.
"""

import builtins

import numpy as np

from .._dtype import result_numpy_dtype
from ..autograd.function import Primitive
from ..tensor import Tensor, _wrap_dim
from ._util import cast, unbroadcast, write_out

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


_VIEW_ERROR = ("view size is not compatible with input tensor's size and stride (at least one "
               "dimension spans across two contiguous subspaces). Use .reshape(...) instead.")


def _can_view(data, shape):
    """True if ``data`` can be seen with ``shape`` without copying (what ``view`` needs)."""
    try:
        np.reshape(data, shape, copy=False)
    except ValueError:
        return False
    return True


class Reshape(Primitive):
    """out = x seen with a new shape (a view: same storage);  the gradient is reshaped back."""

    _view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return np.reshape(x, shape, copy=False)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape)

    def name(self):
        return "ViewBackward0"


class ReshapeCopy(Reshape):
    """out = a copy of x in a new shape, for ``reshape`` of a layout no view can describe
    (e.g. a transposed matrix flattened);  the gradient is reshaped back."""

    _view = False

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return np.reshape(x, shape, copy=True)

    def name(self):
        return "UnsafeViewBackward0"


class Unsqueeze(Reshape):
    def name(self):
        return "UnsqueezeBackward0"


class Squeeze(Reshape):
    def name(self):
        return "SqueezeBackward0"


class SqueezeDim(Reshape):
    def name(self):
        return "SqueezeBackward1"


class SqueezeDims(Reshape):
    def name(self):
        return "SqueezeBackward2"


def reshape(input, *shape):
    """The same values in a new shape (one size may be -1); a view when possible, else a copy.

    Example:
        >>> glassgrad.arange(6).reshape(2, -1).shape
        glassgrad.Size([2, 3])
    """
    shape = _infer_shape(shape_args(shape, "reshape"), input._data.size, "reshape")
    data = input._data
    if data.flags.c_contiguous or _can_view(data, shape):
        return Reshape.apply(input, shape=shape)
    return ReshapeCopy.apply(input, shape=shape)


def view(input, *shape):
    """The same storage seen with a new shape (``Tensor.view``); raises if a copy is needed
    (use ``reshape`` or ``contiguous()`` first). ``view(dtype)`` reinterprets the bytes."""
    if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list, np.integer, Tensor)):
        from .._dtype import to_dtype

        return Tensor._make(input._data.view(to_dtype(shape[0]).numpy))
    shape = _infer_shape(shape_args(shape, "view"), input._data.size, "view")
    if not _can_view(input._data, shape):
        raise RuntimeError(_VIEW_ERROR)
    return Reshape.apply(input, shape=shape)


def view_as(input, other):
    """``view`` with ``other``'s shape."""
    return view(input, other.shape)


def reshape_as(input, other):
    """``reshape`` with ``other``'s shape."""
    return reshape(input, other.shape)


def contiguous(input, memory_format=None):
    """The tensor itself if its elements are in row-major order, else a row-major copy (still
    connected to the graph), so that ``x.t().contiguous().view(-1)`` works as in PyTorch."""
    if input._data.flags.c_contiguous:
        return input
    from .elementwise import clone

    return clone(input)


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
    sizes = shape_args(tuple(sizes), "unflatten")
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    try:
        sizes = _infer_shape(sizes, input.shape[dim], "unflatten")
    except RuntimeError:
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
                           f"size of dim {dim} ({input.shape[dim]}) in the input tensor") from None
    return reshape(input, tuple(input.shape[:dim]) + sizes + tuple(input.shape[dim + 1:]))


def squeeze(input, dim=None):
    """Remove dims of size 1 (all of them, or those in ``dim`` that have size 1)."""
    shape = input._data.shape
    if dim is None:
        axes = [i for i, s in enumerate(shape) if s == 1]
    else:
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        axes = _unique_dims(dims, input.ndim, "squeeze")
        axes = [a for a in axes if input.ndim and shape[a] == 1]
    new_shape = tuple(s for i, s in enumerate(shape) if i not in axes)
    op = Squeeze if dim is None else SqueezeDims if isinstance(dim, (tuple, list)) else SqueezeDim
    return op.apply(input, shape=new_shape)


def _unique_dims(dims, ndim, op):
    """Wrap each dim; PyTorch refuses a dim named twice."""
    axes = [_wrap_dim(d, ndim, op) for d in dims]
    for a in axes:
        if axes.count(a) > 1:
            raise RuntimeError(f"dim {a} appears multiple times in the list of dims")
    return axes


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


class T(Permute):
    def name(self):
        return "TBackward0"


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
    return T.apply(input, dims=tuple(range(input.ndim - 1, -1, -1)))


def movedim(input, source, destination):
    """Move dim(s) ``source`` to position(s) ``destination``; the other dims keep their order.

    Example:
        >>> glassgrad.zeros(2, 3, 4).movedim(0, -1).shape
        glassgrad.Size([3, 4, 2])
    """
    src = list(source) if isinstance(source, (tuple, list)) else [source]
    dst = list(destination) if isinstance(destination, (tuple, list)) else [destination]
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims) "
                           f"should contain the same number of dims as destination ({dst} dims)")
    ndim = input.ndim
    src = [_wrap_dim(d, ndim, "movedim") for d in src]
    dst = [_wrap_dim(d, ndim, "movedim") for d in dst]
    for name, dims in (("source", src), ("destination", dst)):
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({dims})")
    if ndim == 0:
        return Permute.apply(input, dims=())
    rest = iter(d for d in range(ndim) if d not in src)
    placed = dict(zip(dst, src))
    return Permute.apply(input, dims=tuple(placed[i] if i in placed else next(rest)
                                           for i in range(ndim)))


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
        raise RuntimeError(f"expand({input.type()}{{{list(shape)}}}, size={list(sizes)}): the "
                           f"number of sizes provided ({len(sizes)}) must be greater or equal to "
                           f"the number of dimensions in the tensor ({len(shape)})")
    offset = len(sizes) - len(shape)
    for i, s in enumerate(sizes[:offset]):
        if s < 0:
            raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in a "
                               f"leading, non-existing dimension {i}")
    target = tuple(shape[i - offset] if s == -1 and i >= offset else s
                   for i, s in enumerate(sizes))
    for i, s in enumerate(shape):
        if s != 1 and s != target[i + offset]:
            raise RuntimeError(f"The expanded size of the tensor ({target[i + offset]}) must "
                               f"match the existing size ({s}) at non-singleton dimension "
                               f"{i + offset}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                               f"{list(shape)}")
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


class Flip(Primitive):
    """out = x reversed along ``axes`` (a copy, as in PyTorch);  the gradient is reversed the
    same way: out[i] = x[n - 1 - i]  gives  dL/dx[j] = g[n - 1 - j]."""

    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return np.flip(x, axes).copy()

    @staticmethod
    def backward(ctx, g):
        if isinstance(g, np.ndarray):
            return np.flip(g, ctx.axes)
        return Flip.apply(g, axes=ctx.axes)


def flip(input, dims):
    """Reverse the order of elements along ``dims`` (an int or a sequence)."""
    dims = dims if isinstance(dims, (tuple, list)) else (dims,)
    axes = _unique_dims(dims, input.ndim, "flip") if input.ndim else []
    return Flip.apply(input, axes=tuple(axes))
