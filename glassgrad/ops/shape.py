"""Shape operations: reshape/view, flatten, squeeze/unsqueeze, permute/transpose/movedim, expand,
flip. Joining and splitting (cat, stack, split, chunk, unbind, narrow, repeat, tile) live in
``join.py`` and are re-exported here.

None of these changes a value, so each backward only moves the gradient back into the input's
layout: a reshape reshapes it back, a permutation applies the inverse permutation, an expand sums
over the stretched axes, a flip flips it back.
"""

import numpy as np

from ..autograd.function import Primitive
from ..tensor import Tensor, _wrap_dim
from ._util import shape_args, unbroadcast
from .join import Cat as Cat
from .join import Repeat as Repeat
from .join import Stack as Stack
from .join import (
    cat,
    chunk,
    concat,
    concatenate,
    hstack,
    narrow,
    repeat,
    split,
    stack,
    tile,
    unbind,
    vstack,
)

__all__ = ["reshape", "view", "view_as", "reshape_as", "flatten", "unflatten", "squeeze",
           "unsqueeze", "permute", "transpose", "swapaxes", "swapdims", "t", "movedim",
           "expand", "expand_as", "broadcast_to", "repeat", "tile", "cat", "concat",
           "concatenate", "stack", "hstack", "vstack", "split", "chunk", "unbind", "narrow",
           "flip", "contiguous"]


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
    from .unary import clone

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
