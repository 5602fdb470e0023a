"""Focal loss (Lin et al., 2017): cross-entropy that turns down the loss of easy examples.

The seeds introduce it as "modified cross-entropy that handles class imbalance":

    FL(p_t) = -(1 - p_t)^gamma log(p_t)

where p_t is the probability the model gives the true class. A well-classified example
(p_t near 1) has its loss multiplied by nearly 0, so the many easy negatives of a detector no
longer drown out the few hard examples; gamma = 0 gives back the cross-entropy. An extra factor
alpha_t balances the classes. Not part of ``torch.nn``; the binary form is exactly torchvision's
``sigmoid_focal_loss``. Composed of existing primitives: the stable binary cross-entropy on
logits and log_softmax, so large logits stay finite.
"""

from ..tensor import Tensor
from .activation import log_softmax
from .binary_cross_entropy import binary_cross_entropy_with_logits
from .cross_entropy import check_class_targets
from .loss import check_reduction, check_tensor, reduce_loss
from .unary import sigmoid

__all__ = ["focal_loss"]

TASKS = ("binary", "multiclass")


def focal_loss(input, target, alpha=0.25, gamma=2.0, reduction="mean", task="binary",
               weight=None):
    """Focal loss on logits: FL(p_t) = -alpha_t (1 - p_t)^gamma log(p_t).

    binary (one logit z per element, target t in [0, 1]), torchvision's definition:
        p = sigmoid(z),  p_t = p t + (1 - p)(1 - t),  alpha_t = alpha t + (1 - alpha)(1 - t)
        loss = alpha_t (1 - p_t)^gamma BCEWithLogits(z, t)
    where BCEWithLogits(z, t) = -log(p_t) for t in {0, 1}; alpha < 0 (or None) drops alpha_t.
    ``weight`` multiplies each element's loss as in ``binary_cross_entropy_with_logits``.

    multiclass (logits over C classes along dim 1, class-index target y):
        p_t = softmax(x)_y,  loss = -alpha_y w_y (1 - p_t)^gamma log(p_t)
    with alpha None (1), a float (the same for every class) or a per-class tensor (C,), and w the
    optional class weights; with ``weight``, 'mean' divides by sum w_y, as ``cross_entropy``.

    With gamma = 0 and no alpha, the binary form is ``binary_cross_entropy_with_logits`` and
    the multi-class form is ``cross_entropy`` (both with ``weight``).

    Args:
        input (Tensor): logits.
        target (Tensor): binary: targets in [0, 1] of input's shape; multiclass: int64 class
            indices.
        alpha (float or Tensor, optional): class balance (default 0.25); see above.
        gamma (float): focusing exponent >= 0 (default 2).
        reduction (str): 'none' | 'mean' | 'sum' (default 'mean').
        task (str): 'binary' (default) or 'multiclass'.
        weight (Tensor, optional): binary: element weights (broadcast); multiclass: (C,).

    Shape:
        binary: input (*), target (*); multiclass: input (C), (N, C) or (N, C, d1, ...),
        target () / (N) / (N, d1, ...). The result is a scalar, or per element / per sample
        for 'none'.

    Example:
        >>> F.focal_loss(glassgrad.tensor([3.0, -1.0]), glassgrad.tensor([1.0, 1.0]))
        tensor(0.0877)
    """
    check_tensor(input, "input", "focal_loss")
    check_tensor(target, "target", "focal_loss")
    check_reduction(reduction)
    if task not in TASKS:
        raise ValueError(f"focal_loss: task must be 'binary' or 'multiclass', got {task!r}")
    if gamma < 0:
        raise ValueError(f"focal_loss: gamma must be >= 0, got {gamma}")
    if task == "binary":
        return _binary(input, target, alpha, gamma, reduction, weight)
    return _multiclass(input, target, alpha, gamma, reduction, weight)


def _binary(input, target, alpha, gamma, reduction, weight):
    if isinstance(alpha, Tensor):
        raise TypeError("focal_loss: alpha of the binary task is a float (the weight of the "
                        "positive class), not a tensor")
    loss = binary_cross_entropy_with_logits(input, target, weight=weight, reduction="none")
    if gamma != 0:
        p = sigmoid(input)
        p_t = p * target + (1 - p) * (1 - target)
        loss = loss * (1 - p_t) ** gamma
    if alpha is not None and alpha >= 0:
        alpha_t = alpha * target + (1 - alpha) * (1 - target)
        loss = alpha_t * loss
    return reduce_loss(loss, reduction)


def _multiclass(input, target, alpha, gamma, reduction, weight):
    labels, weights = check_class_targets(input, target, weight, None, "focal_loss")
    axis = 0 if input.ndim == 1 else 1
    classes = input.shape[axis]
    index = Tensor._make(labels.reshape(labels.shape[:axis] + (1,) + labels.shape[axis:]))
    log_p_t = log_softmax(input, axis).gather(axis, index).squeeze(axis)
    loss = -log_p_t
    if gamma != 0:
        loss = loss * (1 - log_p_t.exp()) ** gamma
    if isinstance(alpha, Tensor):
        if alpha.ndim != 1 or alpha.numel() != classes:
            raise ValueError(f"focal_loss: alpha should hold one value per class ({classes}), "
                             f"got shape {list(alpha.shape)}")
        loss = loss * alpha.index_select(0, Tensor._make(labels.reshape(-1))).reshape(
            labels.shape)
    elif alpha is not None:
        loss = loss * alpha
    if weights is None:
        return reduce_loss(loss, reduction)
    picked = weights[labels]
    loss = loss * picked
    if reduction == "mean":
        return loss.sum() / float(picked.sum())
    return reduce_loss(loss, reduction)
