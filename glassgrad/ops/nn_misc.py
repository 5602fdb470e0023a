"""Functions behind a few layers: dropout, one_hot, embedding and pad.

- dropout is a composite, x * noise with noise = Bernoulli(1 - p) / (1 - p) drawn from the global
  generator (so ``manual_seed`` makes it reproducible); its gradient is g * noise (MulBackward0).
- embedding reads rows, out = weight[indices]; the gradient is the reverse, g scatter-added into
  the rows (a row used twice collects both contributions), with nothing for ``padding_idx``.
- pad: constant padding is np.pad plus cropping for negative amounts, and its gradient is the
  opposite crop; reflect, replicate and circular padding read each output position from an
  input position (an index per padded dim), so their gradient is a scatter-add at those indices.
Each backward has a primitive for its own backward, so second derivatives work.
"""

import numpy as np

from .._dtype import scalar_type_name
from ..autograd.function import Primitive
from ..autograd.grad_mode import no_grad
from ..random import numpy_generator
from ..tensor import Tensor

__all__ = ["dropout", "one_hot", "embedding", "pad"]


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability ``p`` and scale the others by 1 / (1 - p).

    out = x * m / (1 - p), m ~ Bernoulli(1 - p) independently per element, so E[out] = x;
    d/dx = m / (1 - p). Outside training (or with p = 0) the input itself is returned.

    Args:
        input (Tensor): a floating-point tensor.
        p (float): the probability of zeroing an element, in [0, 1] (default 0.5).
        training (bool): apply dropout; if False, return ``input`` (default True).
        inplace (bool): overwrite ``input`` and return it.

    Shape:
        any; the output has the input's shape.

    Example:
        >>> glassgrad.manual_seed(0)
        >>> F.dropout(glassgrad.ones(4), p=0.5)
        tensor([2., 0., 0., 0.])
    """
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if p == 0 or not training or input.numel() == 0:
        return input
    dtype = input._data.dtype
    if dtype.kind != "f":
        raise RuntimeError("result type Float can't be cast to the desired output type "
                           f"{scalar_type_name(dtype)}")
    if p == 1:
        noise = np.zeros((), dtype=dtype)
    else:
        keep = numpy_generator().random(input._data.shape) >= p
        noise = keep.astype(dtype) / dtype.type(1 - p)
    noise = Tensor._make(noise)
    return input.mul_(noise) if inplace else input * noise


def one_hot(tensor, num_classes=-1):
    """Class indices as one-hot rows: out[..., c] = 1 where tensor[...] == c, else 0.

    out[i, c] = [tensor[i] == c]; integer output, no gradient.

    Args:
        tensor (Tensor): int64 class indices, each in [0, num_classes).
        num_classes (int): the number of classes; -1 (default) means max(tensor) + 1.

    Shape:
        tensor (*) gives (*, num_classes).

    Example:
        >>> F.one_hot(glassgrad.tensor([0, 2]), 3)
        tensor([[1, 0, 0],
                [0, 0, 1]])
    """
    data = tensor._data
    if data.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if data.size == 0:
        if num_classes == -1:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        return Tensor._make(np.zeros(data.shape + (num_classes,), dtype=np.int64))
    if data.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        num_classes = int(data.max()) + 1
    elif data.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return Tensor._make((data[..., None] == np.arange(num_classes)).astype(np.int64))


# ----------------------------------------------------------------------------- embedding
class Embedding(Primitive):
    """out[...] = weight[indices[...]] (rows);  dL/dweight = g scatter-added into the rows,
    each position's contribution scaled by ``factors`` (0 at padding_idx, 1/count with
    scale_grad_by_freq) when given."""

    _holds_arrays = True  # indices and factors on ctx, dropped after backward

    @staticmethod
    def forward(ctx, weight, indices, factors=None):
        ctx.indices, ctx.factors, ctx.rows = indices, factors, weight.shape[0]
        return weight[indices]

    @staticmethod
    def backward(ctx, g):
        if ctx.factors is not None:
            g = g * ctx.factors[..., None]
        if isinstance(g, Tensor):
            return EmbeddingDenseBackward.apply(g, indices=ctx.indices, rows=ctx.rows)
        return _scatter_rows(g, ctx.indices, ctx.rows)


class EmbeddingDenseBackward(Primitive):
    """out = zeros(rows, d) with g[i] added to row indices[i] (embedding's gradient);
    its own gradient reads the rows back: d/dg = grad[indices]."""

    _holds_arrays = True

    @staticmethod
    def forward(ctx, g, indices, rows):
        ctx.indices, ctx.rows = indices, rows
        return _scatter_rows(g, indices, rows)

    @staticmethod
    def backward(ctx, grad):
        return Embedding.apply(grad, indices=ctx.indices)


def _scatter_rows(g, indices, rows):
    out = np.zeros((rows,) + g.shape[indices.ndim:], dtype=g.dtype)
    np.add.at(out, indices.reshape(-1), g.reshape((indices.size,) + out.shape[1:]))
    return out


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Look up rows of ``weight`` by index: out[...] = weight[input[...]].

    The gradient with respect to weight adds g into the rows that were read (the row at
    ``padding_idx`` gets none); with ``max_norm`` the rows read are first rescaled in place to
    norm at most max_norm.

    Args:
        input (Tensor): int64 or int32 indices into the rows of weight.
        weight (Tensor): (num_embeddings, embedding_dim) table.
        padding_idx (int, optional): a row that receives no gradient.
        max_norm (float, optional): renormalise the rows read to this ``norm_type``-norm.
        norm_type (float): the p of the norm for max_norm (default 2).
        scale_grad_by_freq (bool): divide each row's gradient by the row's count in ``input``.
        sparse (bool): sparse gradients are not supported (must be False).

    Shape:
        input (*), weight (V, D) give (*, D).

    Example:
        >>> w = glassgrad.tensor([[0.0, 0.0], [1.0, 2.0]])
        >>> F.embedding(glassgrad.tensor([1, 1, 0]), w)
        tensor([[1., 2.],
                [1., 2.],
                [0., 0.]])
    """
    indices = input._data
    if indices.dtype not in (np.int64, np.int32):
        kind = scalar_type_name(indices)
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got glassgrad.{kind}Tensor "
                           "instead (while checking arguments for embedding)")
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    rows = weight.shape[0]
    if padding_idx is not None:
        if padding_idx >= rows or padding_idx < -rows:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx = padding_idx % rows
    if indices.size and (indices.min() < 0 or indices.max() >= rows):
        raise IndexError("index out of range in self")
    if sparse:
        raise NotImplementedError("glassgrad has no sparse gradients: use sparse=False")
    if max_norm is not None:
        _renorm_rows(weight, indices, max_norm, norm_type)
    factors = None
    if padding_idx is not None or scale_grad_by_freq:
        factors = np.ones(indices.shape, dtype=weight._data.dtype)
        if scale_grad_by_freq:
            factors /= np.bincount(indices.reshape(-1), minlength=rows)[indices]
        if padding_idx is not None:
            factors[indices == padding_idx] = 0
    return Embedding.apply(weight, indices=indices, factors=factors)


def _renorm_rows(weight, indices, max_norm, norm_type):
    """Rescale, in place and unrecorded, the rows read whose norm exceeds max_norm to
    max_norm / (norm + 1e-7) times themselves (``torch.embedding_renorm_``)."""
    rows = np.unique(indices)
    with no_grad():
        data = weight._data
        norms = np.linalg.norm(data[rows].astype(np.float64), ord=norm_type, axis=1)
        over = norms > max_norm
        scale = max_norm / (norms[over] + 1e-7)
        data[rows[over]] = (data[rows[over]] * scale[:, None]).astype(data.dtype)
        weight._version_counter[0] += 1


# ----------------------------------------------------------------------------- pad
class ConstantPadNd(Primitive):
    """out = x with ``value`` added around it (``widths`` (before, after) per dim; negative
    amounts crop);  d/dx = g cropped back, which is the same padding with the widths negated."""

    @staticmethod
    def forward(ctx, x, widths, value):
        ctx.widths = widths
        return _constant_pad(x, widths, value)

    @staticmethod
    def backward(ctx, g):
        negated = tuple((-before, -after) for before, after in ctx.widths)
        if isinstance(g, Tensor):
            return ConstantPadNd.apply(g, widths=negated, value=0)
        return _constant_pad(g, negated, 0)


def _constant_pad(x, widths, value):
    grown = np.pad(x, [(max(b, 0), max(a, 0)) for b, a in widths], constant_values=value)
    crop = tuple(slice(max(-b, 0), size - max(-a, 0)) for (b, a), size in zip(widths, grown.shape))
    return grown[crop]


class IndexPad(Primitive):
    """out = x[..., i1[:, None], i2[None, :]] with one index array per padded trailing dim
    (reflect, replicate or circular positions);  d/dx = g scatter-added back at them."""

    _holds_arrays = True

    @staticmethod
    def forward(ctx, x, index, label):
        ctx.index, ctx.in_shape, ctx.label = index, x.shape, label
        return x[(Ellipsis,) + np.ix_(*index)]

    @staticmethod
    def backward(ctx, g):
        if isinstance(g, Tensor):
            return IndexPadBackward.apply(g, index=ctx.index, shape=ctx.in_shape, label=ctx.label)
        return _scatter_mesh(g, ctx.index, ctx.in_shape)

    def name(self):
        return self.label + "Backward0"


class IndexPadBackward(Primitive):
    """out = zeros(shape) with g added at the padded positions (IndexPad's gradient); its own
    gradient reads the positions again."""

    _holds_arrays = True

    @staticmethod
    def forward(ctx, g, index, shape, label):
        ctx.index, ctx.label = index, label
        return _scatter_mesh(g, index, shape)

    @staticmethod
    def backward(ctx, grad):
        return IndexPad.apply(grad, index=ctx.index, label=ctx.label)

    def name(self):
        return self.label + "BackwardBackward0"


def _scatter_mesh(g, index, shape):
    out = np.zeros(shape, dtype=g.dtype)
    np.add.at(out, (Ellipsis,) + np.ix_(*index), g)
    return out


_NUMPY_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}
_LABELS = {"reflect": "ReflectionPad", "replicate": "ReplicationPad", "circular": "CircularPad"}


def pad(input, pad, mode="constant", value=None):
    """Pad (or, with negative amounts, crop) the last dims of ``input``.

    ``pad`` lists (left, right) amounts starting from the last dim: (l, r) pads the last dim,
    (l, r, t, b) the last two, and so on. ``'constant'`` fills with ``value`` (default 0) and
    works on any number of dims; ``'reflect'`` mirrors without repeating the edge, ``'replicate'``
    repeats the edge, ``'circular'`` wraps around (last 1-3 dims of a batched input).

    Args:
        input (Tensor): the tensor to pad.
        pad (tuple of int): the amounts, an even number of them, at most 2 * input.ndim.
        mode (str): ``'constant'``, ``'reflect'``, ``'replicate'`` or ``'circular'``.
        value (float, optional): the fill value of constant padding.

    Shape:
        each padded dim grows from n to left + n + right.

    Example:
        >>> F.pad(glassgrad.tensor([[1.0, 2.0, 3.0]]), (2, 1), mode="reflect")
        tensor([[3., 2., 1., 2., 3., 2.]])
    """
    pad = [int(p) for p in pad]
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    dims = len(pad) // 2
    if dims > input.ndim:
        raise RuntimeError("Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of dimension "
                           f"{input.ndim}")
    pairs = [(pad[2 * i], pad[2 * i + 1]) for i in range(dims)]  # last dim first
    if mode == "constant":
        return _pad_with_constant(input, pairs, value)
    _check_index_pad(input, mode, value, dims, len(pad))
    index = [None] * dims
    for i, (before, after) in enumerate(pairs):
        index[dims - 1 - i] = _padded_positions(input, mode, i, before, after)
    return IndexPad.apply(input, index=tuple(index), label=f"{_LABELS[mode]}{dims}D")


def _pad_with_constant(input, pairs, value):
    """Padding with a constant (or cropping): any number of dims."""
    dims = len(pairs)
    widths = ((0, 0),) * (input.ndim - dims) + tuple(reversed(pairs))
    sizes = [s + b + a for s, (b, a) in zip(input.shape, widths)]
    if any(s < 0 for s in sizes):
        raise RuntimeError("narrow(): length must be non-negative.")
    fill = np.asarray(0 if value is None else value).astype(input._data.dtype)
    return ConstantPadNd.apply(input, widths=widths, value=fill)


def _check_index_pad(input, mode, value, dims, length):
    """The modes that copy the input's own values (reflect, replicate, circular): no fill value,
    the last 1-3 dims of a batched or unbatched input."""
    if mode not in _NUMPY_MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if not 1 <= dims <= 3 or input.ndim not in (dims + 1, dims + 2):
        raise NotImplementedError(
            f"Padding size {length} is not supported for {input.ndim}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")


def _padded_positions(input, mode, i, before, after):
    """For the i-th dim from the end: the input position each output position copies."""
    dim = input.ndim - 1 - i
    size = input.shape[dim]
    if mode == "reflect" and (before >= size or after >= size):
        raise RuntimeError(f"Argument #{4 + 2 * i}: Padding size should be less than the "
                           "corresponding input dimension, but got: padding "
                           f"({before}, {after}) at dimension {dim} of input "
                           f"{list(input.shape)}")
    if mode == "circular" and (before > size or after > size):
        raise RuntimeError("Padding value causes wrapping around more than once.")
    kept = np.arange(max(-before, 0), size - max(-after, 0))  # negative amounts crop first
    return np.pad(kept, (max(before, 0), max(after, 0)), mode=_NUMPY_MODES[mode])
