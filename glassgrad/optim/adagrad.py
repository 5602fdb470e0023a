"""Adagrad: per-coordinate learning rates from the sum of squared gradients
(``torch.optim.Adagrad``)."""

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, _bump, _count_step, _grads_of, _step_tensor, with_step_hooks

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad.

    .. math::
        g_t = \pm\nabla f(\theta_{t-1}) + \lambda \theta_{t-1}
        \tilde\gamma = \gamma / (1 + (t - 1) \eta)
        s_t = s_{t-1} + g_t^2
        \theta_t = \theta_{t-1} - \tilde\gamma \, g_t / (\sqrt{s_t} + \epsilon)

    Args:
        params (iterable): parameters or parameter groups.
        lr (float): learning rate :math:`\gamma`. Default: 1e-2.
        lr_decay (float): learning-rate decay :math:`\eta`. Default: 0.
        weight_decay (float): L2 penalty :math:`\lambda`. Default: 0.
        initial_accumulator_value (float): starting value of :math:`s`. Default: 0.
        eps (float): added to the denominator. Default: 1e-10.
        maximize (bool): maximize the objective. Default: False.

    Example:
        >>> opt = glassgrad.optim.Adagrad(model.parameters(), lr=0.1)
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError("Invalid initial_accumulator_value value: "
                             f"{initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:  # as PyTorch: the state exists before the first step
            for p in group["params"]:
                self._init_state(p, group)

    def _init_state(self, p, group):
        state = self.state[p]
        state["step"] = _step_tensor()
        value = group["initial_accumulator_value"]
        state["sum"] = Tensor._make(np.full_like(p._data, value))

    @with_step_hooks
    def step(self, closure=None):
        """Perform one update; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            params, grads = _grads_of(group)
            for p in params:
                if "sum" not in self.state[p]:
                    self._init_state(p, group)
            states = [self.state[p] for p in params]
            _single_tensor_adagrad(params, grads, [s["sum"]._data for s in states],
                                   [s["step"] for s in states], lr=group["lr"],
                                   lr_decay=group["lr_decay"], eps=group["eps"])
        return loss


def _single_tensor_adagrad(params, grads, state_sums, steps, *, lr, lr_decay, eps):
    """Adagrad, one parameter at a time (the rule in :class:`Adagrad`'s docstring, after the
    shared maximize / weight-decay start); ``foreach`` is accepted and this form always runs (a
    multi-tensor form would save a few NumPy calls a parameter, not measured worth a second
    copy of the rule)."""
    for p, grad, state_sum, step in zip(params, grads, state_sums, steps):
        count = _count_step(step)
        clr = lr / (1 + (count - 1) * lr_decay)
        state_sum += grad * grad
        std = np.sqrt(state_sum) + eps
        p._data += -clr * grad / std
        _bump(p)
