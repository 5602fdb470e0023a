"""Regression losses and the KL divergence: mse_loss, l1_loss, huber_loss, smooth_l1_loss, kl_div;
and the reduction helpers every loss shares.

A loss compares a prediction with a target element by element and reduces the result to one
number. These are composed of existing primitives (tinygrad's spirit): the mean squared error is
``((x - y) ** 2).mean()``, so its gradient, 2 (x - y) / n for the input and its negative for the
target, comes from the chain rule through ``sub``, ``pow`` and ``mean``. Only ``kl_div`` has a
small primitive of its own, for ``t log t`` at t = 0 (see ``XLogX``). The classification losses
live in ``cross_entropy.py`` (fused for speed and stability) and ``focal.py``.

``reduction`` is 'none' (one loss per element), 'sum' or 'mean' everywhere; the deprecated
``size_average`` and ``reduce`` flags are translated to it as PyTorch does.
"""

import warnings

import numpy as np

from .._dtype import scalar_type_name
from ..autograd.function import Primitive
from ..tensor import Tensor
from . import reduction as _reduction
from .indexing import where
from .unary import abs as _abs

__all__ = ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "kl_div"]

REDUCTIONS = ("none", "mean", "sum")


# ----------------------------------------------------------------------------- shared helpers
def legacy_reduction(size_average, reduce, emit_warning=True):
    """The ``reduction`` the deprecated flags stand for: both true (their default) is 'mean',
    ``size_average=False`` is 'sum', ``reduce=False`` is 'none'."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if size_average and reduce:
        result = "mean"
    elif reduce:
        result = "sum"
    else:
        result = "none"
    if emit_warning:
        warnings.warn("size_average and reduce args will be deprecated, please use "
                      f"reduction='{result}' instead.", stacklevel=3)
    return result


def resolve_reduction(size_average, reduce, reduction):
    """``reduction``, or what the legacy flags say when either is given; checked."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    return check_reduction(reduction)


def check_reduction(reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def reduce_loss(loss, reduction):
    """'none': the losses as they are; 'sum': their sum; 'mean': their mean."""
    check_reduction(reduction)
    if reduction == "mean":
        return _reduction.mean(loss)
    if reduction == "sum":
        return _reduction.sum(loss)
    return loss


def check_tensor(value, name, op):
    if not isinstance(value, Tensor):
        raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(value).__name__}")


def warn_if_broadcast(input, target):
    """PyTorch's warning when a regression target's shape differs from the input's, and its
    error when the two do not broadcast at all."""
    if target.shape == input.shape:
        return
    warnings.warn(f"Using a target size ({target.size()}) that is different to the input size "
                  f"({input.size()}). This will likely lead to incorrect results due to "
                  "broadcasting. Please ensure they have the same size.", stacklevel=3)
    a, b = input.shape, target.shape
    for i in range(1, min(len(a), len(b)) + 1):
        if a[-i] != b[-i] and a[-i] != 1 and b[-i] != 1:
            raise RuntimeError(f"The size of tensor a ({a[-i]}) must match the size of tensor b "
                               f"({b[-i]}) at non-singleton dimension {max(len(a), len(b)) - i}")


def _weighted(loss, weight, input, reduction, mean_over_weights=True):
    """PyTorch's optional element weights of mse/l1/huber: loss * weight, and for 'mean' the
    weighted sum divided by sum(weight) (mse, l1) or by the element count (huber)."""
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction not in REDUCTIONS:
        raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', "
                         "'mean', 'sum'.")
    if reduction == "mean" and mean_over_weights:
        return _reduction.sum(loss) / _reduction.sum(weight)
    return reduce_loss(loss, reduction)


def _not_implemented_for_integers(input, target, kernel):
    if input._data.dtype.kind != "f" and target._data.dtype.kind != "f":
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{scalar_type_name(input)}'")


# ----------------------------------------------------------------------------- regression
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error between prediction and target.

    loss_i = (x_i - y_i)^2, then reduced;  dloss_i/dx_i = 2 (x_i - y_i) = -dloss_i/dy_i.
    With ``weight``: loss_i = w_i (x_i - y_i)^2 and 'mean' is sum(w_i (x_i - y_i)^2) / sum(w_i).

    Args:
        input (Tensor): predictions.
        target (Tensor): targets, of input's shape (a broadcastable shape warns, as in PyTorch).
        size_average, reduce (bool, optional): deprecated; use ``reduction``.
        reduction (str): 'none' | 'mean' | 'sum' (default 'mean').
        weight (Tensor, optional): one weight per element, of input's shape.

    Shape:
        input (*), target (*); the result is a scalar, or (*) for 'none'.

    Example:
        >>> F.mse_loss(glassgrad.tensor([1.0, 2.0]), glassgrad.tensor([0.0, 0.0]))
        tensor(2.5000)
    """
    check_tensor(input, "input", "mse_loss")
    warn_if_broadcast(input, target)
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    _not_implemented_for_integers(input, target, "mse_cpu")
    diff = input - target
    loss = diff * diff
    if weight is not None:
        return _weighted(loss, weight, input, reduction)
    return reduce_loss(loss, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean absolute error between prediction and target.

    loss_i = |x_i - y_i|;  dloss_i/dx_i = sign(x_i - y_i) (0 where they are equal, as PyTorch).
    With ``weight``: 'mean' is sum(w_i |x_i - y_i|) / sum(w_i).

    Args:
        input (Tensor): predictions.
        target (Tensor): targets, of input's shape.
        size_average, reduce (bool, optional): deprecated; use ``reduction``.
        reduction (str): 'none' | 'mean' | 'sum' (default 'mean').
        weight (Tensor, optional): one weight per element, of input's shape.

    Shape:
        input (*), target (*); the result is a scalar, or (*) for 'none'.

    Example:
        >>> F.l1_loss(glassgrad.tensor([1.0, -2.0]), glassgrad.tensor([0.0, 0.0]))
        tensor(1.5000)
    """
    check_tensor(input, "input", "l1_loss")
    warn_if_broadcast(input, target)
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    loss = _abs(input - target)
    if weight is not None:
        return _weighted(loss, weight, input, reduction)
    return reduce_loss(loss, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """Huber loss: squared error for small errors, absolute error beyond ``delta``.

    With d = x - y:  loss = d^2 / 2 if |d| < delta, else delta (|d| - delta / 2);
    dloss/dx = d inside, delta sign(d) outside: the gradient's size never exceeds delta, so an
    outlier cannot dominate a step (the seeds' "bounded gradient"). With ``weight``, 'mean' is
    the plain mean of w_i loss_i (PyTorch's choice, unlike mse and l1).

    Args:
        input (Tensor): predictions.
        target (Tensor): targets, of input's shape.
        reduction (str): 'none' | 'mean' | 'sum' (default 'mean').
        delta (float): where the loss turns from quadratic to linear; positive (default 1).
        weight (Tensor, optional): one weight per element, of input's shape.

    Shape:
        input (*), target (*); the result is a scalar, or (*) for 'none'.

    Example:
        >>> F.huber_loss(glassgrad.tensor([0.5, 3.0]), glassgrad.tensor([0.0, 0.0]))
        tensor(1.3125)
    """
    check_tensor(input, "input", "huber_loss")
    warn_if_broadcast(input, target)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    _not_implemented_for_integers(input, target, "huber_cpu")
    diff = input - target
    size = _abs(diff)
    loss = where(size < delta, 0.5 * diff * diff, delta * (size - 0.5 * delta))
    if weight is not None:
        return _weighted(loss, weight, input, reduction, mean_over_weights=False)
    return reduce_loss(loss, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """Smooth L1 loss: the Huber loss divided by ``beta`` (``l1_loss`` when beta is 0).

    With d = x - y:  loss = d^2 / (2 beta) if |d| < beta, else |d| - beta / 2;
    dloss/dx = d / beta inside, sign(d) outside.

    Args:
        input (Tensor): predictions.
        target (Tensor): targets, of input's shape.
        size_average, reduce (bool, optional): deprecated; use ``reduction``.
        reduction (str): 'none' | 'mean' | 'sum' (default 'mean').
        beta (float): where the loss turns from quadratic to linear; >= 0 (default 1).

    Shape:
        input (*), target (*); the result is a scalar, or (*) for 'none'.

    Example:
        >>> F.smooth_l1_loss(glassgrad.tensor([0.5, 3.0]), glassgrad.tensor([0.0, 0.0]))
        tensor(1.3125)
    """
    check_tensor(input, "input", "smooth_l1_loss")
    warn_if_broadcast(input, target)
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0:
        return l1_loss(input, target, reduction=reduction)
    _not_implemented_for_integers(input, target, "smooth_l1_cpu")
    diff = input - target
    size = _abs(diff)
    loss = where(size < beta, 0.5 * diff * diff / beta, size - 0.5 * beta)
    return reduce_loss(loss, reduction)


# ----------------------------------------------------------------------------- KL divergence
class XLogX(Primitive):
    """out = t log t, with 0 at t = 0 (the limit);  d/dt = log t + 1.

    A primitive rather than ``t * log(t)`` so that no log(0) is taken on the way. At t = 0 the
    gradient is NaN, exactly as PyTorch's ``xlogy(t, t)`` gives (its rule t / t there is 0 / 0).
    """

    @staticmethod
    def forward(ctx, t):
        ctx.save_for_backward(t)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(t == 0, 0, t * np.log(np.where(t == 0, 1, t))).astype(t.dtype)

    @staticmethod
    def backward(ctx, g):
        (t,) = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            return g * (np.log(t) + t / t)

    def name(self):
        return "XlogyBackward0"


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Kullback-Leibler divergence of ``target`` from the distribution whose log is ``input``.

    With x = log q (the input is a log-probability, e.g. from ``log_softmax``) and p the target:
        loss_i = p_i (log p_i - x_i)         (0 where p_i = 0)
        loss_i = e^(l_i) (l_i - x_i)         with ``log_target=True`` and target l = log p;
    dloss/dx = -p, dloss/dp = log p + 1 - x. Summed and divided by the batch size
    ('batchmean') it is KL(p || q); 'mean' divides by every element and warns, as PyTorch.

    Args:
        input (Tensor): log-probabilities.
        target (Tensor): probabilities (log-probabilities with ``log_target``).
        size_average, reduce (bool, optional): deprecated; use ``reduction``.
        reduction (str): 'none' | 'batchmean' | 'sum' | 'mean' (default 'mean').
        log_target (bool): whether ``target`` is given as log-probabilities (default False).

    Shape:
        input (*), target (*) (broadcast); the result is a scalar, or (*) for 'none'.

    Example:
        >>> p = glassgrad.tensor([[0.5, 0.5]])
        >>> F.kl_div(glassgrad.tensor([[0.9, 0.1]]).log(), p, reduction="batchmean")
        tensor(0.5108)
    """
    check_tensor(input, "input", "kl_div")
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", stacklevel=2)
    if input._data.dtype.kind != "f" or target._data.dtype.kind != "f":
        raise RuntimeError("kl_div: Integral inputs not supported.")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = XLogX.apply(target) - target * input
    if reduction == "batchmean":
        total = _reduction.sum(loss)
        return total / input.shape[0] if input.ndim else total
    return reduce_loss(loss, reduction)
