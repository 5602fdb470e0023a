"""Adadelta: step sizes from running averages of squared gradients and squared updates
(``torch.optim.Adadelta``)."""

import numpy as np

from .optimizer import (
    Optimizer,
    _bump,
    _grads_of,
    _state_lists,
    _step_tensor,
    _zeros_like,
    with_step_hooks,
)

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta.

    .. math::
        g_t = \pm\nabla f(\theta_{t-1}) + \lambda \theta_{t-1}
        v_t = \rho v_{t-1} + (1 - \rho) g_t^2
        \Delta x_t = \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}} g_t
        u_t = \rho u_{t-1} + (1 - \rho) \Delta x_t^2
        \theta_t = \theta_{t-1} - \gamma \Delta x_t

    Args:
        params (iterable): parameters or parameter groups.
        lr (float): scale :math:`\gamma` of the update. Default: 1.0.
        rho (float): decay :math:`\rho` of the running averages. Default: 0.9.
        eps (float): added inside the square roots. Default: 1e-6.
        weight_decay (float): L2 penalty :math:`\lambda`. Default: 0.
        maximize (bool): maximize the objective. Default: False.

    Example:
        >>> opt = glassgrad.optim.Adadelta(model.parameters())
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    @with_step_hooks
    def step(self, closure=None):
        """Perform one update; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            params, grads = _grads_of(group)
            states = [self.state[p] for p in params]
            for p, state in zip(params, states):
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["square_avg"] = _zeros_like(p)
                    state["acc_delta"] = _zeros_like(p)
            square_avgs, acc_deltas = _state_lists(states, "square_avg", "acc_delta")
            _single_tensor_adadelta(params, grads, square_avgs, acc_deltas,
                                    [state["step"] for state in states], lr=group["lr"],
                                    rho=group["rho"], eps=group["eps"])
        return loss


def _single_tensor_adadelta(params, grads, square_avgs, acc_deltas, steps, *, lr, rho, eps):
    """Adadelta, one parameter at a time (the rule in :class:`Adadelta`'s docstring, after the
    shared maximize / weight-decay start); ``foreach`` is accepted and this form always runs."""
    for p, grad, square_avg, acc_delta, step in zip(params, grads, square_avgs, acc_deltas,
                                                    steps):
        step._data += 1
        square_avg *= rho
        square_avg += (1 - rho) * grad * grad
        std = np.sqrt(square_avg + eps)
        delta = np.sqrt(acc_delta + eps)
        delta /= std
        delta *= grad
        acc_delta *= rho
        acc_delta += (1 - rho) * delta * delta
        p._data += -lr * delta
        _bump(p)
