"""Linear algebra: matmul (1-D, 2-D, batched), mm, bmm, mv, dot, inner, outer, norm.

For C = A @ B the chain rule gives dL/dA = dL/dC @ B^T and dL/dB = A^T @ dL/dC. Vectors are
treated as a row (left operand) or a column (right operand) and the extra axis removed again;
batch dims broadcast like any other operation and are summed back by ``unbroadcast``.
"""

import numpy as np

from .._dtype import cpp_type_name, scalar_type_name
from ..autograd.function import Primitive
from ..tensor import Tensor
from ._util import binary_operands, unbroadcast, wrap_dims, write_out

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "inner", "outer", "norm"]


class MatMul(Primitive):
    """C = A @ B;  dL/dA = g @ B^T,  dL/dB = A^T @ g  (vectors promoted to matrices)."""

    @staticmethod
    def forward(ctx, a, b):
        need_a, need_b = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        ctx.save_for_backward(a if need_b else None, b if need_a else None)
        ctx.shapes = (a.shape, b.shape)
        return a @ b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        a_shape, b_shape = ctx.shapes
        if len(a_shape) == 1:
            g = g.reshape(g.shape[:-1] + (1,) + g.shape[-1:]) if len(b_shape) > 1 else \
                g.reshape((1,) + tuple(g.shape))
            a = a.reshape((1,) + a_shape) if a is not None else None
        if len(b_shape) == 1:
            g = g.reshape(tuple(g.shape) + (1,))
            b = b.reshape(b_shape + (1,)) if b is not None else None
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_a = g @ b.mT
            grad_a = unbroadcast(grad_a, _promoted(a_shape, True)).reshape(a_shape)
        if ctx.needs_input_grad[1]:
            grad_b = a.mT @ g
            grad_b = unbroadcast(grad_b, _promoted(b_shape, False)).reshape(b_shape)
        return grad_a, grad_b

    def name(self):
        a_shape, b_shape = self.shapes
        if len(a_shape) == 2 and len(b_shape) == 2:
            return "MmBackward0"
        if len(a_shape) == 1 and len(b_shape) == 1:
            return "DotBackward0"
        if len(a_shape) == 2 and len(b_shape) == 1:
            return "MvBackward0"
        if len(a_shape) == 3 and len(b_shape) == 3:
            return "BmmBackward0"
        return "MatmulBackward0"


def _promoted(shape, left):
    """A vector's shape as the matrix matmul used: a row on the left, a column on the right."""
    if len(shape) == 1:
        return (1,) + tuple(shape) if left else tuple(shape) + (1,)
    return tuple(shape)


def _operands(op, input, other):
    """Both operands as Tensors of one dtype. Two Tensors must already agree (PyTorch refuses to
    mix dtypes in a product); an array, list or number is converted and promoted as in ``add``."""
    if isinstance(input, Tensor) and isinstance(other, Tensor):
        if input._data.dtype != other._data.dtype:
            raise RuntimeError(f"{op}: expected m1 and m2 to have the same dtype, but got: "
                               f"{cpp_type_name(input)} != {cpp_type_name(other)}")
        return input, other
    return binary_operands(input, other)


def _check_matmul(op, a, b):
    """Raise PyTorch's RuntimeError, naming ``op`` and both shapes, when a product is undefined."""
    sa, sb = tuple(a.shape), tuple(b.shape)
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"{op}: both arguments to matmul need to be at least 1D, but they are "
                           f"{a.ndim}D and {b.ndim}D")
    inner_a = sa[-1]
    inner_b = sb[0] if b.ndim == 1 else sb[-2]
    if inner_a != inner_b:
        rows = 1 if a.ndim == 1 else int(np.prod(sa[:-1]))
        raise RuntimeError(f"{op}: mat1 and mat2 shapes cannot be multiplied "
                           f"({rows}x{inner_a} and {inner_b}x{sb[-1] if b.ndim > 1 else 1}); "
                           f"shapes are {list(sa)} and {list(sb)}")
    batch_a, batch_b = sa[:-2], sb[:-2]
    try:
        np.broadcast_shapes(batch_a, batch_b)
    except ValueError:
        raise RuntimeError(f"{op}: the batch dims of shapes {list(sa)} and {list(sb)} do not "
                           "broadcast") from None


def _product(op, input, other, out):
    a, b = _operands(op, input, other)
    _check_matmul(op, a, b)
    return write_out(MatMul.apply(a, b), out, strict_dtype=True)


def matmul(input, other, *, out=None):
    """Matrix product with NumPy/PyTorch rules: 1-D x 1-D is a dot product, 2-D x 2-D a matrix
    product, more dims a batched product with broadcast batch dims; a 1-D operand is a row on
    the left, a column on the right, and that dim is removed from the result.

    Shape:
        (..., n, k) @ (..., k, m) -> (..., n, m)

    Example:
        >>> glassgrad.matmul(glassgrad.ones(5, 2, 3), glassgrad.ones(3)).shape
        glassgrad.Size([5, 2])
    """
    return _product("matmul", input, other, out)


def mm(input, mat2, *, out=None):
    """Product of two matrices (both exactly 2-D): (n, k) @ (k, m) -> (n, m)."""
    if input.ndim != 2:
        raise RuntimeError("mm: self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError("mm: mat2 must be a matrix")
    return _product("mm", input, mat2, out)


def bmm(input, mat2, *, out=None):
    """Batched product of (b, n, k) and (b, k, m) tensors (no broadcasting)."""
    if input.ndim != 3:
        raise RuntimeError("bmm: batch1 must be a 3D tensor")
    if mat2.ndim != 3:
        raise RuntimeError("bmm: batch2 must be a 3D tensor")
    expected = [input.shape[0], input.shape[2]]
    if list(mat2.shape[:2]) != expected:
        raise RuntimeError(f"bmm: Expected size for first two dimensions of batch2 tensor to be: "
                           f"{expected} but got: {list(mat2.shape[:2])}; shapes are "
                           f"{list(input.shape)} and {list(mat2.shape)}")
    return _product("bmm", input, mat2, out)


def mv(input, vec, *, out=None):
    """Matrix (n, m) times vector (m,) -> (n,)."""
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"mv: vector + matrix @ vector expected, got 1, {input.ndim}, "
                           f"{vec.ndim}")
    return _product("mv", input, vec, out)


def dot(input, other, *, out=None):
    """Dot product of two 1-D tensors of the same length."""
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D "
                           "tensors")
    if input.shape[0] != other.shape[0]:
        raise RuntimeError("inconsistent tensor size, expected tensor [{}] and src [{}] to have "
                           "the same number of elements, but got {} and {} elements respectively"
                           .format(input.shape[0], other.shape[0], input.shape[0],
                                   other.shape[0]))
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{scalar_type_name(input)} and {scalar_type_name(other)}")
    return _product("dot", input, other, out)


def inner(input, other, *, out=None):
    """Sum of products over the last dims: out[i.., j..] = sum_k a[i.., k] b[j.., k].

    Shape:
        (*a, k) and (*b, k) -> (*a, *b); a 0-d operand multiplies element-wise.
    """
    if input.ndim == 0 or other.ndim == 0:
        return write_out(input * other, out)
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got "
                           f"shapes {list(input.shape)} and {list(other.shape)}")
    k = input.shape[-1]
    flat = _product("inner", input.reshape(-1, k), other.reshape(-1, k).mT, None)
    return write_out(flat.reshape(tuple(input.shape[:-1]) + tuple(other.shape[:-1])), out)


def outer(input, vec2, *, out=None):
    """Outer product of two vectors: out[i, j] = a[i] * b[j]."""
    for name, v in (("self", input), ("vec2", vec2)):
        if v.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {v.ndim}-D")
    return write_out(input.reshape(-1, 1) * vec2.reshape(1, -1), out)


class Norm(Primitive):
    """out = (sum |x|^p)^(1/p) over ``axes``;  d/dx = g * sign(x) |x|^(p-1) / out^(p-1),
    taken as 0 where out = 0 (a zero vector), as PyTorch does.

    p = 2:   d/dx = g * x / out.
    p = inf: out = max |x|;  d/dx = g * sign(x) shared equally among the elements that reach it.
    p = 0:   out = the number of non-zero elements;  d/dx = 0.
    """

    _holds_arrays = True  # masks or indices on ctx, dropped after backward

    @staticmethod
    def forward(ctx, x, p, axes, keepdim):
        ax = np.abs(x)
        if p == np.inf:
            out = ax.max(axis=axes, keepdims=True)
            hits = ax == out
            ctx.share = (hits / hits.sum(axis=axes, keepdims=True)).astype(x.dtype)
        elif p == 0:
            out = (x != 0).sum(axis=axes, keepdims=True).astype(x.dtype)
        elif p == 2:
            out = np.sqrt((x * x).sum(axis=axes, keepdims=True))
        else:
            out = (ax ** p).sum(axis=axes, keepdims=True) ** (1.0 / p)
        if not keepdim:
            out = out.reshape([s for i, s in enumerate(x.shape) if i not in axes])
        ctx.save_for_backward(x, out)
        ctx.p, ctx.axes, ctx.in_ndim = p, axes, x.ndim
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        shape = tuple(1 if i in ctx.axes else s for i, s in enumerate(x.shape))
        g = g.reshape(shape)
        if ctx.p == 0:
            return g * x * 0
        if ctx.p == np.inf:
            return g * np.sign(x) * ctx.share
        out = out.reshape(shape)
        nonzero = out != 0
        safe = np.where(nonzero, out, 1)
        if ctx.p == 2:
            return g * x / safe * nonzero
        return g * np.sign(x) * np.abs(x) ** (ctx.p - 1) / safe ** (ctx.p - 1) * nonzero

    def name(self):
        return "LinalgVectorNormBackward0"


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """The p-norm of all elements, or along ``dim`` (``torch.norm``): (sum |x|^p)^(1/p).

    ``p`` is 'fro' (the same as 2), a number, ``inf`` (max |x|), ``-inf`` (min |x|) or 0 (the
    number of non-zero elements). The gradient at a zero vector is 0.

    Example:
        >>> glassgrad.tensor([3.0, -4.0]).norm()
        tensor(5.)
    """
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind != "f":
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {input.type().split('.')[-1][:-len('Tensor')]}")
    if p == "fro" or p is None:
        p = 2
    if p == "nuc":
        raise ValueError("norm(): p='nuc' (the nuclear norm) is not supported by glassgrad; "
                         "use p='fro', a number, inf or -inf")
    p = float(p)
    if p == -np.inf:
        dims = () if dim is None else dim
        return write_out(input.abs().amin(dims, keepdim), out)
    axes = wrap_dims(dim, input.ndim, "norm")
    return write_out(Norm.apply(input, p=p, axes=axes, keepdim=keepdim), out)
