"""Adagrad: per-coordinate learning rates from the sum of squared gradients
(``torch.optim.Adagrad``)."""

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, _bump, _count_step, _step_tensor

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

    def step(self, closure=None):
        """Perform one update; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = group["lr"]
            lr_decay = group["lr_decay"]
            weight_decay = group["weight_decay"]
            eps = group["eps"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                if "sum" not in self.state[p]:
                    self._init_state(p, group)
                state = self.state[p]
                step = _count_step(state)
                grad = p._grad._data
                if group["maximize"]:
                    grad = -grad
                if weight_decay != 0:
                    grad = grad + weight_decay * p._data
                clr = lr / (1 + (step - 1) * lr_decay)
                state_sum = state["sum"]._data
                state_sum += grad * grad
                std = np.sqrt(state_sum) + eps
                p._data += -clr * grad / std
                _bump(p)
        return loss
