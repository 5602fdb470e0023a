"""Normalisation: layer_norm and batch_norm (one fused primitive each), and normalize.

Both norms compute x_hat = (x - mean) / sqrt(var + eps) over some axes, then y = w x_hat + b. As
a composite that is a dozen recorded operations; fused, it is one node whose backward is the
closed form (N = number of elements averaged over, gh = g w):

    dL/dx = rstd * (gh - mean(gh) - x_hat * mean(gh * x_hat))      rstd = 1 / sqrt(var + eps)
    dL/dw = sum(g * x_hat),  dL/db = sum(g)   over the axes w is broadcast along

They are fused for speed and memory (one node, no intermediate tensors kept). layer_norm averages
over the trailing ``normalized_shape``; batch_norm over every axis but the channels (axis 1),
using the batch's statistics in training and the running estimates in evaluation (then the
mean and variance are constants and dL/dx = g w rstd). A plain backward pass reuses the
statistics of the forward; a differentiable one (``create_graph=True``) recomputes them from
the input Tensor so that second derivatives see their dependence on x.
"""

import numpy as np

from .._dtype import scalar_type_name
from ..autograd.function import Primitive
from ..tensor import Tensor
from ._util import unbroadcast
from .elementwise import clamp, div

__all__ = ["layer_norm", "batch_norm", "normalize"]


def _moments(x, axes):
    """Mean and biased variance over ``axes`` (kept as size 1), accumulated in float64."""
    mean = x.mean(axis=axes, dtype=np.float64, keepdims=True)
    centered = x - mean
    return mean, np.mean(centered * centered, axis=axes, keepdims=True)


def _normalized(x, axes, eps):
    """x_hat and rstd recomputed from a Tensor (the differentiable path)."""
    mean = x.mean(axis=axes, keepdims=True)
    centered = x - mean
    rstd = 1 / np.sqrt((centered * centered).mean(axis=axes, keepdims=True) + eps)
    return centered * rstd, rstd


class NativeNorm(Primitive):
    """y = w x_hat + b, x_hat = (x - mean) rstd, statistics over ``axes`` (see the module's
    docstring for the gradients). ``stats`` = (mean, rstd), when given, saves computing them
    again; ``fixed`` says they do not depend on x (evaluation with running estimates), otherwise
    they are x's own. ``view`` is the shape w and b broadcast with."""

    _holds_arrays = True  # x_hat and rstd kept on ctx, dropped after backward

    @staticmethod
    def forward(ctx, x, weight, bias, axes, view, eps, stats=None, fixed=False):
        if stats is None:
            mean, var = _moments(x, axes)
            mean, rstd = mean.astype(x.dtype), (1 / np.sqrt(var + eps)).astype(x.dtype)
        else:
            mean, rstd = stats
        x_hat = (x - mean) * rstd
        ctx.save_for_backward(x, weight)
        ctx.axes, ctx.view, ctx.eps, ctx.fixed = axes, view, eps, fixed
        ctx.bias_shape = None if bias is None else bias.shape
        ctx.mean, ctx.x_hat, ctx.rstd = mean, x_hat, rstd
        out = x_hat if weight is None else x_hat * weight.reshape(view)
        return out if bias is None else out + bias.reshape(view)

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        x_hat, rstd = ctx.x_hat, ctx.rstd
        if isinstance(g, Tensor):  # differentiable pass: x_hat and rstd as functions of x
            x_hat, rstd = (((x - ctx.mean) * rstd, rstd) if ctx.fixed
                           else _normalized(x, ctx.axes, ctx.eps))
        gh = g if weight is None else g * weight.reshape(ctx.view)
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            if ctx.fixed:
                grad_x = gh * rstd
            else:
                mean_gh = _mean(gh, ctx.axes)
                mean_ghx = _mean(gh * x_hat, ctx.axes)
                grad_x = (gh - mean_gh - x_hat * mean_ghx) * rstd
        if ctx.needs_input_grad[1]:
            grad_w = _sum_to(g * x_hat, ctx.view).reshape(weight.shape)
        if ctx.needs_input_grad[2]:
            grad_b = _sum_to(g, ctx.view).reshape(ctx.bias_shape)
        return grad_x, grad_w, grad_b


# The sums of a backward pass cancel (x_hat has mean 0), so on arrays they accumulate in float64,
# as PyTorch's CPU kernels do; on Tensors (create_graph=True) they are ordinary recorded ops.
def _mean(v, axes):
    if isinstance(v, Tensor):
        return v.mean(axis=axes, keepdims=True)
    return v.mean(axis=axes, dtype=np.float64, keepdims=True).astype(v.dtype)


def _sum_to(v, view):
    """``unbroadcast(v, view)``: v summed over the axes that ``view`` broadcasts along."""
    if isinstance(v, Tensor):
        return unbroadcast(v, view)
    lead = v.ndim - len(view)
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(view) if s == 1)
    return v.sum(axis=axes, dtype=np.float64, keepdims=True)[(0,) * lead].astype(v.dtype)


class NativeLayerNorm(NativeNorm):
    """NativeNorm over the trailing dims of each sample (grad_fn NativeLayerNormBackward0)."""


class NativeBatchNorm(NativeNorm):
    """NativeNorm over every dim but the channels (grad_fn NativeBatchNormBackward0)."""


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05):
    """Normalise each sample over its trailing ``normalized_shape`` dims, then scale and shift.

    y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias, with E and the biased Var over the last
    len(normalized_shape) dims of each sample. One fused primitive (NativeLayerNormBackward0).

    Args:
        input (Tensor): a floating-point tensor whose trailing dims equal ``normalized_shape``.
        normalized_shape (tuple of int): the shape of the normalised trailing dims.
        weight, bias (Tensor, optional): per-element scale and shift of shape normalized_shape.
        eps (float): added to the variance (default 1e-5).

    Shape:
        input (*, *normalized_shape); the output has the input's shape.

    Example:
        >>> F.layer_norm(glassgrad.tensor([[1.0, 2.0, 3.0]]), (3,))
        tensor([[-1.2247,  0.0000,  1.2247]])
    """
    if not isinstance(normalized_shape, (tuple, list)):
        raise TypeError("layer_norm(): argument 'normalized_shape' (position 2) must be tuple of "
                        f"ints, not {type(normalized_shape).__name__}")
    shape = tuple(int(s) for s in normalized_shape)
    if not shape:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., "
                           "containing at least one element, but got normalized_shape = []")
    for name, param in (("weight", weight), ("bias", bias)):
        if param is not None and tuple(param.shape) != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got "
                               f"{name} of shape {list(param.shape)} and normalized_shape = "
                               f"{list(shape)}")
    if input.ndim < len(shape) or tuple(input.shape[input.ndim - len(shape):]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(str(s) for s in shape)}], but got input of size"
                           f"{list(input.shape)}")
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f'"LayerNormKernelImpl" not implemented for '
                                  f"'{scalar_type_name(input)}'")
    axes = tuple(range(input.ndim - len(shape), input.ndim))
    return NativeLayerNorm.apply(input, weight, bias, axes=axes, view=shape, eps=eps)


def _check_batch_norm(input, running_mean, running_var, weight, bias, training, eps):
    """PyTorch's checks of batch_norm's arguments, in its order."""
    if training:
        _verify_batch_size(input)
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    if eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    if input.ndim < 2:
        raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but got 1)")
    channels = input.shape[1]
    statistics = (("running_mean", running_mean), ("running_var", running_var))
    for name, value in statistics + (("weight", weight), ("bias", bias)):
        if value is not None and value.numel() != channels:
            raise RuntimeError(f"{name} should contain {channels} elements not {value.numel()}")
    if (running_mean is None) != (running_var is None) and training:
        raise ValueError("running_mean and running_var must either both be None or neither be "
                         "None")
    for name, value in statistics:
        if value is None and not training:
            raise RuntimeError(f"{name} must be defined in evaluation mode")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-05):
    """Normalise each channel over the batch (and spatial dims), then scale and shift.

    y = (x - mean_c) / sqrt(var_c + eps) * weight_c + bias_c for channel c = axis 1. In training
    mean_c and var_c are the batch's (biased) statistics and the running estimates, if given,
    are updated in place: r <- (1 - momentum) r + momentum s, with the unbiased variance
    (n / (n - 1) var) for running_var. In evaluation the running estimates are used.

    Args:
        input (Tensor): (N, C) or (N, C, *) floating-point input.
        running_mean, running_var (Tensor or None): (C,) running estimates.
        weight, bias (Tensor, optional): (C,) per-channel scale and shift.
        training (bool): use (and update) batch statistics (default False).
        momentum (float): weight of the new batch in the running estimates (default 0.1).
        eps (float): added to the variance (default 1e-5).

    Shape:
        input (N, C, *); the output has the input's shape.

    Example:
        >>> x = glassgrad.tensor([[1.0], [3.0]])
        >>> F.batch_norm(x, None, None, training=True)
        tensor([[-1.0000],
                [ 1.0000]])
    """
    _check_batch_norm(input, running_mean, running_var, weight, bias, training, eps)
    channels = input.shape[1]
    axes = (0,) + tuple(range(2, input.ndim))
    view = (1, channels) + (1,) * (input.ndim - 2)
    data = input._data
    if training:
        mean, var = _moments(data, axes)
        if running_mean is not None:
            count = data.size // channels
            _update(running_mean, mean, momentum)
            _update(running_var, var * (count / (count - 1)), momentum)
        rstd = 1 / np.sqrt(var + eps)
    else:
        mean = running_mean._data.reshape(view)
        rstd = 1 / np.sqrt(running_var._data.reshape(view).astype(np.float64) + eps)
    stats = (mean.astype(data.dtype), rstd.astype(data.dtype))
    return NativeBatchNorm.apply(input, weight, bias, axes=axes, view=view, eps=eps, stats=stats,
                                 fixed=not training)


def _update(running, batch_value, momentum):
    """running <- momentum * batch_value + (1 - momentum) * running, in place."""
    new = momentum * batch_value.reshape(-1) + (1 - momentum) * running._data
    running._data[...] = new.astype(running._data.dtype)
    running._version_counter[0] += 1


def _verify_batch_size(input):
    size = input.shape
    values = size[0] if size else 1
    for s in size[2:]:
        values *= s
    if values == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                         f"{size}")


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """Divide by the p-norm along ``dim``, so that each slice has norm 1 (or less, near zero).

    v / max(||v||_p, eps) for each vector v along ``dim``; a composite of norm, clamp and div.

    Args:
        input (Tensor): a floating-point tensor.
        p (float): the norm's exponent (default 2).
        dim (int or tuple of int): the dims reduced by the norm (default 1).
        eps (float): the smallest denominator (default 1e-12).
        out (Tensor, optional): where to write the result (not differentiable).

    Shape:
        any; the output has the input's shape.

    Example:
        >>> F.normalize(glassgrad.tensor([[3.0, 4.0]]))
        tensor([[0.6000, 0.8000]])
    """
    denominator = clamp(input.norm(p, dim, keepdim=True), min=eps).expand_as(input)
    return div(input, denominator, out=out)
