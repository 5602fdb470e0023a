"""Binary cross-entropy, on probabilities and on logits, each one primitive.

For a probability x of the positive class and a target t in [0, 1]:

    loss = -(t log x + (1 - t) log(1 - x)),       dloss/dx = (x - t) / (x (1 - x)).

``binary_cross_entropy`` takes x as given and, like PyTorch, clamps each log at -100 so that a
saturated x of exactly 0 or 1 gives a large finite loss instead of infinity (the seeds' epsilon
does the same job less precisely). ``binary_cross_entropy_with_logits`` takes the logit z, with
x = sigmoid(z); fusing sigmoid into the loss is what makes it stable: log sigmoid(z) =
min(z, 0) - log(1 + e^-|z|) never overflows, and the gradient collapses to sigmoid(z) - t.
"""

import numpy as np

from .._dtype import scalar_type_name
from ..autograd.function import Primitive
from ..autograd.grad_mode import GradMode
from ..tensor import Tensor
from ._util import cast
from .loss import check_tensor, resolve_reduction
from .unary import Sigmoid

__all__ = ["binary_cross_entropy", "binary_cross_entropy_with_logits"]

_EPSILON = 1e-12  # PyTorch's floor on x (1 - x) in the gradient


def _reduced(losses, reduction):
    if reduction == "none":
        return losses
    total = losses.sum()
    if reduction == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            total = total / losses.size if losses.size else total * np.nan
    return np.asarray(total, dtype=losses.dtype)


def _per_element(g, ctx):
    """The upstream gradient of each element's loss ('mean' spreads g over all n of them)."""
    if ctx.reduction == "mean":
        return g / ctx.count if ctx.count else g * 0.0
    return g


def _log_sigmoid(z):
    """log sigmoid(z) = min(z, 0) - log(1 + e^-|z|): no overflow for any z (arrays or Tensors)."""
    return np.minimum(z, 0) - np.log1p(np.exp(-np.abs(z)))


def _sigmoid(z):
    if isinstance(z, Tensor):
        return Sigmoid.apply(z)
    e = np.exp(-np.abs(z))
    return (np.where(z >= 0, 1, e) / (1 + e)).astype(z.dtype, copy=False)


class BinaryCrossEntropy(Primitive):
    """loss = -w (t max(log x, -100) + (1 - t) max(log(1 - x), -100));
    dloss/dx = w (x - t) / max(x (1 - x), 1e-12),  dloss/dt = w (log(1 - x) - log x)."""

    _holds_arrays = True  # the weights on ctx

    @staticmethod
    def forward(ctx, x, t, weight, reduction):
        with np.errstate(divide="ignore"):
            log_x = np.maximum(np.log(x), -100)
            log_rest = np.maximum(np.log1p(-x), -100)
        losses = -(t * log_x + (1 - t) * log_rest)
        if weight is not None:
            losses = losses * weight
        ctx.weight, ctx.reduction, ctx.count = weight, reduction, x.size
        ctx.save_for_backward(x, t)
        return _reduced(losses, reduction)

    @staticmethod
    def backward(ctx, g):
        x, t = ctx.saved_tensors
        g = _per_element(g, ctx)
        if ctx.weight is not None:
            g = g * ctx.weight
        grad_x = grad_t = None
        if ctx.needs_input_grad[0]:
            grad_x = g * (x - t) / np.maximum(x * (1 - x), _EPSILON)
        if ctx.needs_input_grad[1]:
            with np.errstate(divide="ignore"):
                grad_t = g * (np.log1p(-x) - np.log(x))
        return grad_x, grad_t


class BinaryCrossEntropyWithLogits(Primitive):
    """loss = w ((1 - t) z - (1 + (P - 1) t) log sigmoid(z))   (P = pos_weight, default 1);
    dloss/dz = w ((1 + (P - 1) t) sigmoid(z) - P t),  dloss/dt = w (log sigmoid(-z) -
    P log sigmoid(z)). Fused with the sigmoid for numerical stability."""

    _holds_arrays = True  # the weights on ctx

    @staticmethod
    def forward(ctx, z, t, weight, pos_weight, reduction):
        log_sigmoid = _log_sigmoid(z)
        if pos_weight is not None:
            log_sigmoid = log_sigmoid * ((pos_weight - 1) * t + 1)
        losses = (1 - t) * z - log_sigmoid
        if weight is not None:
            losses = losses * weight
        ctx.weight, ctx.pos_weight = weight, pos_weight
        ctx.reduction, ctx.count = reduction, z.size
        ctx.save_for_backward(z, t)
        return _reduced(losses, reduction)

    @staticmethod
    def backward(ctx, g):
        z, t = ctx.saved_tensors
        g = _per_element(g, ctx)
        if ctx.weight is not None:
            g = g * ctx.weight
        pos_weight = ctx.pos_weight
        grad_z = grad_t = None
        if ctx.needs_input_grad[0]:
            if pos_weight is None:
                grad_z = g * (_sigmoid(z) - t)
            else:
                grad_z = g * (((pos_weight - 1) * t + 1) * _sigmoid(z) - pos_weight * t)
        if ctx.needs_input_grad[1]:
            if pos_weight is None:
                grad_t = g * -z
            else:
                grad_t = g * (_log_sigmoid(-z) - pos_weight * _log_sigmoid(z))
        return grad_z, grad_t


def _element_weights(weight, shape, dtype, op, argument="weight"):
    """``weight`` as an array that broadcasts to ``shape`` without enlarging it, or None."""
    if weight is None:
        return None
    if weight.requires_grad and GradMode.enabled:
        raise RuntimeError(f"The function '{op}' is not differentiable with respect to argument "
                           f"'{argument}'. This input cannot have requires_grad True.")
    a, b = tuple(shape), tuple(weight.shape)
    for i in range(1, min(len(a), len(b)) + 1):
        if a[-i] != b[-i] and a[-i] != 1 and b[-i] != 1:
            first, second = (a[-i], b[-i]) if argument == "weight" else (b[-i], a[-i])
            raise RuntimeError(f"The size of tensor a ({first}) must match the size of tensor b "
                               f"({second}) at non-singleton dimension {max(len(a), len(b)) - i}")
    broadcast = np.broadcast_shapes(a, b)
    if broadcast != a:
        raise RuntimeError(f"output with shape {list(a)} doesn't match the broadcast shape "
                           f"{list(broadcast)}")
    return weight._data.astype(dtype, copy=False)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """Binary cross-entropy between predicted probabilities and targets in [0, 1].

    loss_i = -w_i (t_i log x_i + (1 - t_i) log(1 - x_i)), each log clamped at >= -100 as in
    PyTorch; dloss_i/dx_i = w_i (x_i - t_i) / (x_i (1 - x_i)). Prefer
    ``binary_cross_entropy_with_logits`` on logits: it is stable where sigmoid saturates.

    Args:
        input (Tensor): probabilities in [0, 1].
        target (Tensor): targets in [0, 1], of input's shape and dtype.
        weight (Tensor, optional): weights broadcast over the elements.
        size_average, reduce (bool, optional): deprecated; use ``reduction``.
        reduction (str): 'none' | 'mean' | 'sum' (default 'mean').

    Shape:
        input (*), target (*); the result is a scalar, or (*) for 'none'.

    Example:
        >>> F.binary_cross_entropy(glassgrad.tensor([0.9, 0.2]), glassgrad.tensor([1.0, 0.0]))
        tensor(0.1643)
    """
    check_tensor(input, "input", "binary_cross_entropy")
    check_tensor(target, "target", "binary_cross_entropy")
    reduction = resolve_reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.size()}) that is different to the input "
                         f"size ({input.size()}) is deprecated. Please ensure they have the same "
                         "size.")
    if target._data.dtype != input._data.dtype:
        raise RuntimeError(f"Found dtype {scalar_type_name(target)} but expected "
                           f"{scalar_type_name(input)}")
    weights = _element_weights(weight, input.shape, input._data.dtype, "binary_cross_entropy")
    x, t = input._data, target._data
    if not np.all((x >= 0) & (x <= 1)):
        raise RuntimeError("all elements of input should be between 0 and 1")
    if not np.all((t >= 0) & (t <= 1)):
        raise RuntimeError("all elements of target should be between 0 and 1")
    return BinaryCrossEntropy.apply(input, target, weight=weights, reduction=reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """Binary cross-entropy on logits: sigmoid and the loss in one stable primitive.

    With P the pos_weight (1 by default), which scales the positive term to trade precision
    for recall:
        loss_i = -w_i (P t_i log sigmoid(z_i) + (1 - t_i) log(1 - sigmoid(z_i)))
    computed through log sigmoid(z) = min(z, 0) - log(1 + e^-|z|), finite for z = +-1e4;
    dloss_i/dz_i = w_i (sigmoid(z_i) - t_i) when P = 1.

    Args:
        input (Tensor): logits.
        target (Tensor): targets in [0, 1], of input's shape.
        weight (Tensor, optional): weights broadcast over the elements.
        size_average, reduce (bool, optional): deprecated; use ``reduction``.
        reduction (str): 'none' | 'mean' | 'sum' (default 'mean').
        pos_weight (Tensor, optional): weight of the positive term, broadcast along the last
            dim (one per class in multi-label problems).

    Shape:
        input (*), target (*); the result is a scalar, or (*) for 'none'.

    Example:
        >>> F.binary_cross_entropy_with_logits(glassgrad.tensor([2.0, -1.0]),
        ...                                    glassgrad.tensor([1.0, 0.0]))
        tensor(0.2201)
    """
    check_tensor(input, "input", "binary_cross_entropy_with_logits")
    check_tensor(target, "target", "binary_cross_entropy_with_logits")
    reduction = resolve_reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.size()}) must be the same as input size "
                         f"({input.size()})")
    if input._data.dtype.kind != "f":
        raise NotImplementedError("\"log_sigmoid_cpu\" not implemented for "
                                  f"'{scalar_type_name(input)}'")
    if target._data.dtype.kind != "f":
        raise RuntimeError(f"result type {scalar_type_name(input)} can't be cast to the desired "
                           f"output type {scalar_type_name(target)}")
    dtype = np.result_type(input._data.dtype, target._data.dtype)
    op = "binary_cross_entropy_with_logits"
    weights = _element_weights(weight, input.shape, dtype, op)
    positive = _element_weights(pos_weight, input.shape, dtype, op, "pos_weight")
    loss = BinaryCrossEntropyWithLogits.apply(cast(input, dtype), cast(target, dtype),
                                              weight=weights, pos_weight=positive,
                                              reduction=reduction)
    return cast(loss, target._data.dtype)  # PyTorch's result takes the target's dtype
