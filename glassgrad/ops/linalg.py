"""Linear algebra: matmul (1-D, 2-D, batched), mm, bmm, mv, dot, outer, norm.

For C = A @ B the chain rule gives dL/dA = dL/dC @ B^T and dL/dB = A^T @ dL/dC. Vectors are
treated as a row (left operand) or a column (right operand) and the extra axis removed again;
batch dims broadcast like any other operation and are summed back by ``unbroadcast``.
"""

import numpy as np

from ..autograd.function import Primitive
from ..tensor import Tensor, _wrap_dim
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


def _check_matmul(op, a, b):
    sa, sb = a.shape, b.shape
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


def matmul(input, other, *, out=None):
    """Matrix product with NumPy/PyTorch rules: 1-D x 1-D is a dot product, 2-D x 2-D a matrix
    product, more dims a batched product with broadcast batch dims.

    Shape:
        (..., n, k) @ (..., k, m) -> (..., n, m)
    """
    a, b = binary_operands(input, other)
    _check_matmul("matmul", a, b)
    try:
        return write_out(MatMul.apply(a, b), out)
    except ValueError:
        raise RuntimeError(f"matmul: batch dims of shapes {list(a.shape)} and {list(b.shape)} do "
                           "not broadcast") from None


def mm(input, mat2, *, out=None):
    """Product of two matrices (both exactly 2-D)."""
    if input.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(f"mm: self must be a matrix and mat2 must be a matrix, got "
                           f"{input.ndim}D and {mat2.ndim}D")
    return matmul(input, mat2, out=out)


def bmm(input, mat2, *, out=None):
    """Batched product of (b, n, k) and (b, k, m) tensors."""
    if input.ndim != 3 or mat2.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor" if input.ndim != 3 else
                           "batch2 must be a 3D tensor")
    if input.shape[0] != mat2.shape[0]:
        raise RuntimeError(f"bmm: batch sizes differ: {list(input.shape)} and "
                           f"{list(mat2.shape)}")
    return matmul(input, mat2, out=out)


def mv(input, vec, *, out=None):
    """Matrix (n, m) times vector (m,)."""
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input.ndim}, {vec.ndim}")
    return matmul(input, vec, out=out)


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
    if input.dtype != other.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{input.dtype.name.capitalize()} and {other.dtype.name.capitalize()}")
    return matmul(input, other, out=out)


def inner(input, other):
    """Sum of products over the last dims."""
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    return matmul(input, other.mT if other.ndim > 1 else other)


def outer(input, vec2):
    """Outer product of two vectors: out[i, j] = a[i] * b[j]."""
    return input.reshape(-1, 1) * vec2.reshape(1, -1)


class Norm(Primitive):
    """out = (sum |x|^p)^(1/p) over axes;  d/dx = sign(x) |x|^(p-1) / out^(p-1)  (0 where out = 0).

    p = inf: out = max |x|, gradient shared among the elements that reach it.
    """

    @staticmethod
    def forward(ctx, x, p, axes, keepdim):
        ax = np.abs(x)
        if p == np.inf:
            out = ax.max(axis=axes, keepdims=True)
            hits = ax == out
            ctx.share = (hits / hits.sum(axis=axes, keepdims=True)).astype(x.dtype)
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
        out = out.reshape(shape)
        safe = np.where(out == 0, 1, out)
        if ctx.p == np.inf:
            return g * np.sign(x) * ctx.share
        if ctx.p == 2:
            return g * x / safe * (out != 0)
        return g * np.sign(x) * np.abs(x) ** (ctx.p - 1) / safe ** (ctx.p - 1) * (out != 0)

    def name(self):
        return "NormBackward1" if len(self.axes) != self.in_ndim else "NormBackward0"


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """The p-norm of all elements, or along ``dim`` (``torch.norm``); p 'fro' is 2."""
    if dtype is not None:
        input = input.to(dtype)
    if p == "fro" or p is None:
        p = 2
    if p == "nuc":
        raise ValueError("norm(): p='nuc' (the nuclear norm) is not supported by glassgrad; "
                         "use p='fro', a number, inf or -inf")
    p = float(p)
    if p == 0:
        return (input != 0).sum(dim=dim, keepdim=keepdim).to(input.dtype)
    if p == -np.inf:
        return input.abs().amin(dim if dim is not None else (), keepdim)
    axes = wrap_dims(dim, input.ndim, "norm")
    return Norm.apply(input, p=p, axes=axes, keepdim=keepdim)
