"""Loss modules (as ``torch.nn``'s): each keeps its configuration and calls the function of the
same name in ``glassgrad.nn.functional`` (the math and the gradients live in ``glassgrad/ops``).

    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
    loss = criterion(model(x), y)        # one number
    loss.backward()

Class weights (``weight``, ``pos_weight``) are buffers: saved in ``state_dict`` and moved by
``.to()``, never learned. ``FocalLoss`` is not in ``torch.nn``; it is glassgrad's addition.
"""

from ...ops.binary_cross_entropy import binary_cross_entropy, binary_cross_entropy_with_logits
from ...ops.cross_entropy import cross_entropy, nll_loss
from ...ops.focal import TASKS, focal_loss
from ...ops.loss import (
    check_reduction,
    huber_loss,
    kl_div,
    l1_loss,
    legacy_reduction,
    mse_loss,
    smooth_l1_loss,
)
from ...tensor import Tensor
from ..module import Module

__all__ = ["MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "BCELoss", "BCEWithLogitsLoss",
           "CrossEntropyLoss", "NLLLoss", "KLDivLoss", "FocalLoss"]


class _Loss(Module):
    """Base of the losses: holds ``reduction`` (or what the deprecated flags say)."""

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        if size_average is not None or reduce is not None:
            reduction = legacy_reduction(size_average, reduce)
        self.reduction = reduction


class _WeightedLoss(_Loss):
    """A loss with an optional ``weight`` buffer."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class MSELoss(_Loss):
    """Mean squared error: mean((x - y)^2).

    loss_i = (x_i - y_i)^2, reduced by ``reduction``; see ``functional.mse_loss``.

    Args:
        size_average, reduce (bool, optional): deprecated; use ``reduction``.
        reduction (str): 'none' | 'mean' | 'sum' (default 'mean').

    Shape:
        input (*), target (*); a scalar, or (*) for 'none'.

    Example:
        >>> nn.MSELoss()(glassgrad.tensor([1.0, 2.0]), glassgrad.tensor([0.0, 0.0]))
        tensor(2.5000)
    """

    def forward(self, input, target):
        return mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error: mean(|x - y|).

    loss_i = |x_i - y_i|; see ``functional.l1_loss``.

    Args:
        size_average, reduce (bool, optional): deprecated; use ``reduction``.
        reduction (str): 'none' | 'mean' | 'sum' (default 'mean').

    Shape:
        input (*), target (*); a scalar, or (*) for 'none'.

    Example:
        >>> nn.L1Loss()(glassgrad.tensor([1.0, -2.0]), glassgrad.tensor([0.0, 0.0]))
        tensor(1.5000)
    """

    def forward(self, input, target):
        return l1_loss(input, target, reduction=self.reduction)


class HuberLoss(_Loss):
    """Huber loss: quadratic for errors below ``delta``, linear beyond.

    loss = d^2 / 2 if |d| < delta else delta (|d| - delta / 2), d = x - y; see
    ``functional.huber_loss``.

    Args:
        reduction (str): 'none' | 'mean' | 'sum' (default 'mean').
        delta (float): the switch point, > 0 (default 1).

    Shape:
        input (*), target (*); a scalar, or (*) for 'none'.

    Example:
        >>> nn.HuberLoss(delta=1.0)(glassgrad.tensor([0.5, 3.0]), glassgrad.tensor([0.0, 0.0]))
        tensor(1.3125)
    """

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input, target):
        return huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class SmoothL1Loss(_Loss):
    """Smooth L1 loss: the Huber loss divided by ``beta``.

    loss = d^2 / (2 beta) if |d| < beta else |d| - beta / 2, d = x - y; see
    ``functional.smooth_l1_loss``.

    Args:
        size_average, reduce (bool, optional): deprecated; use ``reduction``.
        reduction (str): 'none' | 'mean' | 'sum' (default 'mean').
        beta (float): the switch point, >= 0 (default 1; 0 is the L1 loss).

    Shape:
        input (*), target (*); a scalar, or (*) for 'none'.

    Example:
        >>> nn.SmoothL1Loss()(glassgrad.tensor([0.5, 3.0]), glassgrad.tensor([0.0, 0.0]))
        tensor(1.3125)
    """

    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input, target):
        return smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy on probabilities.

    loss_i = -w_i (t_i log x_i + (1 - t_i) log(1 - x_i)), logs clamped at -100; see
    ``functional.binary_cross_entropy`` (and prefer ``BCEWithLogitsLoss`` on logits).

    Args:
        weight (Tensor, optional): weights broadcast over the elements.
        size_average, reduce (bool, optional): deprecated; use ``reduction``.
        reduction (str): 'none' | 'mean' | 'sum' (default 'mean').

    Shape:
        input (*), target (*); a scalar, or (*) for 'none'.

    Example:
        >>> nn.BCELoss()(glassgrad.tensor([0.9, 0.2]), glassgrad.tensor([1.0, 0.0]))
        tensor(0.1643)
    """

    def forward(self, input, target):
        return binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy on logits, fused with the sigmoid for stability.

    loss_i = -w_i (P t_i log sigmoid(z_i) + (1 - t_i) log(1 - sigmoid(z_i))), P = pos_weight;
    see ``functional.binary_cross_entropy_with_logits``.

    Args:
        weight (Tensor, optional): weights broadcast over the elements.
        size_average, reduce (bool, optional): deprecated; use ``reduction``.
        reduction (str): 'none' | 'mean' | 'sum' (default 'mean').
        pos_weight (Tensor, optional): weight of the positive term, one per class (last dim).

    Shape:
        input (*), target (*); a scalar, or (*) for 'none'.

    Example:
        >>> loss = nn.BCEWithLogitsLoss(pos_weight=glassgrad.tensor([2.0]))
        >>> loss(glassgrad.tensor([[2.0], [-1.0]]), glassgrad.tensor([[1.0], [0.0]]))
        tensor(0.2836)
    """

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean",
                 pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        return binary_cross_entropy_with_logits(input, target, self.weight,
                                                pos_weight=self.pos_weight,
                                                reduction=self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy between softmax(logits) and class indices or class probabilities.

    loss_i = -w_yi log softmax(x_i)_yi, with optional label smoothing; one fused primitive
    whose gradient is softmax(x) - onehot(y); see ``functional.cross_entropy``.

    Args:
        weight (Tensor, optional): a weight per class, shape (C,).
        size_average, reduce (bool, optional): deprecated; use ``reduction``.
        ignore_index (int): a target value that counts for nothing (default -100).
        reduction (str): 'none' | 'mean' | 'sum' (default 'mean').
        label_smoothing (float): in [0, 1] (default 0).

    Shape:
        input (C), (N, C) or (N, C, d1, ...); target () / (N) / (N, d1, ...) indices or
        input's shape for probabilities; a scalar, or per sample for 'none'.

    Example:
        >>> nn.CrossEntropyLoss()(glassgrad.tensor([[2.0, 0.5, -1.0]]), glassgrad.tensor([0]))
        tensor(0.2413)
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean", label_smoothing=0.0):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                             reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of the target classes, given log-probabilities.

    loss_i = -w_yi x_i,yi; see ``functional.nll_loss``. ``NLLLoss()(log_softmax(x, 1), y)``
    equals ``CrossEntropyLoss()(x, y)``.

    Args:
        weight (Tensor, optional): a weight per class, shape (C,).
        size_average, reduce (bool, optional): deprecated; use ``reduction``.
        ignore_index (int): a target value that counts for nothing (default -100).
        reduction (str): 'none' | 'mean' | 'sum' (default 'mean').

    Shape:
        input (C), (N, C) or (N, C, d1, ...); target () / (N) / (N, d1, ...); a scalar, or
        per sample for 'none'.

    Example:
        >>> nn.NLLLoss()(glassgrad.tensor([[0.1, 0.7, 0.2]]).log(), glassgrad.tensor([1]))
        tensor(0.3567)
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                        reduction=self.reduction)


class KLDivLoss(_Loss):
    """Kullback-Leibler divergence; the input holds log-probabilities.

    loss_i = p_i (log p_i - x_i) (or e^l_i (l_i - x_i) with ``log_target``); 'batchmean'
    gives KL(p || q) per sample; see ``functional.kl_div``.

    Args:
        size_average, reduce (bool, optional): deprecated; use ``reduction``.
        reduction (str): 'none' | 'batchmean' | 'sum' | 'mean' (default 'mean').
        log_target (bool): whether the target is given as log-probabilities (default False).

    Shape:
        input (*), target (*); a scalar, or (*) for 'none'.

    Example:
        >>> loss = nn.KLDivLoss(reduction="batchmean")
        >>> loss(glassgrad.tensor([[0.9, 0.1]]).log(), glassgrad.tensor([[0.5, 0.5]]))
        tensor(0.5108)
    """

    def __init__(self, size_average=None, reduce=None, reduction="mean", log_target=False):
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input, target):
        return kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class FocalLoss(_Loss):
    """Focal loss: cross-entropy scaled by (1 - p_t)^gamma to focus on hard examples.

    FL(p_t) = -alpha_t (1 - p_t)^gamma log(p_t); 'binary' is torchvision's
    ``sigmoid_focal_loss`` on logits, 'multiclass' works on logits over classes with class
    indices; see ``functional.focal_loss``. Not part of ``torch.nn``.

    Args:
        alpha (float or Tensor, optional): class balance (default 0.25; binary: weight of
            positives, < 0 or None to disable; multiclass: None, a float, or one per class).
        gamma (float): focusing exponent >= 0 (default 2; 0 is the cross-entropy).
        reduction (str): 'none' | 'mean' | 'sum' (default 'mean').
        task (str): 'binary' (default) or 'multiclass'.
        weight (Tensor, optional): binary: element weights; multiclass: class weights (C,).

    Shape:
        binary: input (*), target (*); multiclass: input (N, C, ...), target (N, ...);
        a scalar, or per element / per sample for 'none'.

    Example:
        >>> FocalLoss(gamma=2.0)(glassgrad.tensor([3.0, -1.0]), glassgrad.tensor([1.0, 1.0]))
        tensor(0.0877)
    """

    def __init__(self, alpha=0.25, gamma=2.0, reduction="mean", task="binary", weight=None):
        super().__init__(reduction=check_reduction(reduction))
        if task not in TASKS:
            raise ValueError(f"FocalLoss: task must be 'binary' or 'multiclass', got {task!r}")
        if isinstance(alpha, Tensor):
            self.register_buffer("alpha", alpha)
        else:
            self.alpha = alpha
        self.gamma = gamma
        self.task = task
        self.register_buffer("weight", weight)

    def forward(self, input, target):
        return focal_loss(input, target, alpha=self.alpha, gamma=self.gamma,
                          reduction=self.reduction, task=self.task, weight=self.weight)

    def extra_repr(self):
        alpha = "tensor" if isinstance(self.alpha, Tensor) else self.alpha
        return (f"alpha={alpha}, gamma={self.gamma}, reduction='{self.reduction}', "
                f"task='{self.task}'")
