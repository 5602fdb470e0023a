"""The affine map of a Linear layer as one fused primitive: out = x W^T + b.

Composed from primitives it would be three graph nodes (a transpose, a matmul, a broadcast add),
and its backward would build W^T as a view, run a batched matmul for dL/dW on inputs with batch
dims and then sum over them, and sum dL/db in ``unbroadcast``. Fused (for speed, like PyTorch's
``addmm``) it is a single node whose backward is two matrix products and one sum, whatever the
number of batch dims:

    x2 = x reshaped to (N, in),   g2 = dL/d(out) reshaped to (N, out)
    dL/dx = g W                      (..., out) @ (out, in) -> (..., in)
    dL/dW = g2^T x2                  (out, N) @ (N, in)     -> (out, in)
    dL/db = sum of g over the broadcast dims of b   (all batch rows, for a bias of shape (out,))
"""

import numpy as np

from .._dtype import cpp_type_name, scalar_type_name
from ..autograd.function import Primitive
from ._util import unbroadcast

__all__ = ["linear", "bilinear"]


class Linear(Primitive):
    """out = x W^T + b;  dL/dx = g W,  dL/dW = g2^T x2,  dL/db = sum of g over batch rows."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        out = x @ weight.T  # a fresh array: the bias can be added in place
        if bias is not None:
            out += bias
        need_x, need_w = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        ctx.save_for_backward(x if need_w else None, weight if need_x else None)
        ctx.shapes = (x.shape, None if bias is None else bias.shape)
        return out

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        x_shape, bias_shape = ctx.shapes
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_x = g @ weight
        if ctx.needs_input_grad[1]:
            if len(x_shape) == 2:  # a batch of rows (the usual case): g and x are already 2-D
                grad_w = g.T @ x
            else:
                grad_w = g.reshape(-1, g.shape[-1]).T @ x.reshape(-1, x_shape[-1])
        if ctx.needs_input_grad[2]:
            if g.ndim == 2 and bias_shape == g.shape[1:]:
                # a batch of rows: the bias gradient is the column sum (on an array by
                # ``np.add.reduce``: ``g.sum`` is the same reduction behind a Python wrapper)
                grad_b = (np.add.reduce(g, axis=0) if type(g) is np.ndarray
                          else g.sum(axis=0))
            else:
                grad_b = unbroadcast(g, bias_shape)
        return grad_x, grad_w, grad_b

    def name(self):
        # PyTorch's name for the node its F.linear leaves, which depends on the input's dims
        x_shape, bias_shape = self.shapes
        if len(x_shape) == 2:
            return "MmBackward0" if bias_shape is None else "AddmmBackward0"
        if len(x_shape) == 1:
            return "SqueezeBackward4" if bias_shape is None else "ViewBackward0"
        return "UnsafeViewBackward0" if bias_shape is None else "ViewBackward0"


def _check(input, weight, bias):
    """Raise PyTorch's errors, in its order, for operands that do not fit (dims, dtypes, shapes;
    with a bias PyTorch calls addmm and checks dtypes first, without it mm and shapes first)."""
    x, w = input._data, weight._data
    if (x.ndim == 2 and w.ndim == 2 and x.shape[1] == w.shape[1] and x.dtype is w.dtype
            and (bias is None or (bias._data.dtype is w.dtype
                                  and bias._data.shape == (w.shape[0],)))):
        return  # the usual case (a batch of rows, matching dtypes, a bias of shape (out,)): fits
    if input.ndim == 0:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are 0D "
                           f"and {weight.ndim}D")
    if bias is not None:
        if bias._data.dtype != weight._data.dtype:
            raise RuntimeError(f"self and mat2 must have the same dtype, but got "
                               f"{scalar_type_name(bias)} and {scalar_type_name(weight)}")
        if input._data.dtype != weight._data.dtype:
            raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                               f"{scalar_type_name(input)} and {scalar_type_name(weight)}")
    in_features = input.shape[-1]
    if in_features != weight.shape[1]:
        rows = int(np.prod(input.shape[:-1], dtype=np.int64)) if input.ndim > 1 else 1
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{in_features} "
                           f"and {weight.shape[1]}x{weight.shape[0]})")
    if input._data.dtype != weight._data.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{cpp_type_name(input)} != {cpp_type_name(weight)}")
    if bias is not None:
        out_shape = tuple(input.shape[:-1]) + (weight.shape[0],)
        try:
            fits = np.broadcast_shapes(out_shape, tuple(bias.shape)) == out_shape
        except ValueError:
            fits = False
        if not fits:
            _raise_expand(tuple(bias.shape), out_shape)


def _raise_expand(shape, target):
    """PyTorch's message for a bias that cannot be expanded to the output's shape."""
    padded = (1,) * (len(target) - len(shape)) + shape
    dim = next((i for i in range(len(target) - 1, -1, -1)
                if padded[i] != target[i] and padded[i] != 1), len(target) - 1)
    if len(shape) > len(target):
        raise RuntimeError(f"expand: the number of sizes provided ({len(target)}) must be "
                           f"greater or equal to the number of dimensions in the tensor "
                           f"({len(shape)})")
    raise RuntimeError(f"The expanded size of the tensor ({target[dim]}) must match the existing "
                       f"size ({padded[dim]}) at non-singleton dimension {dim}.  Target sizes: "
                       f"{list(target)}.  Tensor sizes: {list(shape)}")


def linear(input, weight, bias=None):
    """The affine map y = x W^T + b applied to the last dim of ``input`` (``F.linear``).

    Computed by one fused primitive (see this module's docstring) when ``weight`` is a matrix.

    Args:
        input (Tensor): the input, ``(*, in_features)``.
        weight (Tensor): the weight, ``(out_features, in_features)``.
        bias (Tensor, optional): added to every output row, ``(out_features,)`` (or any shape
            that broadcasts to the output).

    Shape:
        (*, in_features) -> (*, out_features)

    Example:
        >>> x = glassgrad.ones(4, 3)
        >>> glassgrad.nn.functional.linear(x, glassgrad.ones(2, 3), glassgrad.zeros(2))
        tensor([[3., 3.],
                [3., 3.],
                [3., 3.],
                [3., 3.]])
    """
    if weight._data.ndim == 2:  # the usual case first: a matrix of weights
        _check(input, weight, bias)
        return Linear.apply(input, weight, bias)
    if weight.ndim == 1:  # a vector weight: the composite, with matmul's checks
        out = input.matmul(weight)
        return out if bias is None else out + bias
    if weight.ndim == 0:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are "
                           f"{input.ndim}D and 0D")
    raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {weight.ndim}D")


def bilinear(input1, input2, weight, bias=None):
    """The bilinear map y_k = x1^T A_k x2 + b_k (``F.bilinear``), composed from primitives.

    y[n, k] = sum_ij x1[n, i] A[k, i, j] x2[n, j] is computed as one matrix product
    t = x1 @ A' (A' = A with dims (i, k, j), flattened to (in1, out * in2)) and a sum of
    t * x2 over j; the gradients follow from those primitives.

    Args:
        input1 (Tensor): ``(*, in1_features)``.
        input2 (Tensor): ``(*, in2_features)``, the same leading dims as ``input1``.
        weight (Tensor): ``(out_features, in1_features, in2_features)``.
        bias (Tensor, optional): ``(out_features,)``.

    Shape:
        (*, in1), (*, in2) -> (*, out)

    Example:
        >>> F = glassgrad.nn.functional
        >>> F.bilinear(glassgrad.ones(2, 3), glassgrad.ones(2, 4), glassgrad.ones(5, 3, 4)).shape
        glassgrad.Size([2, 5])
    """
    out_features, in1, in2 = weight.shape
    if input1.shape[-1] != in1:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got "
                           f"{input1.shape[-1]} but expected {in1}")
    if input2.shape[-1] != in2:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got "
                           f"{input2.shape[-1]} but expected {in2}")
    if input1.ndim != input2.ndim:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.ndim} and "
                           f"{input2.ndim}")
    for dim, (a, b) in enumerate(zip(input1.shape[:-1], input2.shape[:-1])):
        if a != b:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {dim}: "
                               f"got {a} and {b}")
    flat = weight.permute(1, 0, 2).reshape(in1, out_features * in2)
    t = input1.matmul(flat).reshape(tuple(input1.shape[:-1]) + (out_features, in2))
    out = (t * input2.unsqueeze(-2)).sum(-1)
    return out if bias is None else out + bias
