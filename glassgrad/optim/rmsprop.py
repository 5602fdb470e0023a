"""RMSprop: divide the gradient by a running root mean square (``torch.optim.RMSprop``)."""

import numpy as np

from .optimizer import (
    Optimizer,
    _bump,
    _grads_of,
    _lerp_,
    _state_lists,
    _step_tensor,
    _zeros_like,
    with_step_hooks,
)

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop, optionally centered and with momentum.

    .. math::
        g_t = \pm\nabla f(\theta_{t-1}) + \lambda \theta_{t-1}
        v_t = \alpha v_{t-1} + (1 - \alpha) g_t^2
        \bar g_t = \alpha \bar g_{t-1} + (1 - \alpha) g_t,
            \quad d_t = \sqrt{v_t - \bar g_t^2} + \epsilon \text{ (centered)}
            \text{ else } d_t = \sqrt{v_t} + \epsilon
        b_t = \mu b_{t-1} + g_t / d_t, \quad \theta_t = \theta_{t-1} - \gamma b_t
            \text{ (if } \mu > 0 \text{) else } \theta_t = \theta_{t-1} - \gamma g_t / d_t

    Args:
        params (iterable): parameters or parameter groups.
        lr (float): learning rate :math:`\gamma`. Default: 1e-2.
        alpha (float): smoothing constant :math:`\alpha`. Default: 0.99.
        eps (float): added to the denominator. Default: 1e-8.
        weight_decay (float): L2 penalty :math:`\lambda`. Default: 0.
        momentum (float): momentum factor :math:`\mu`. Default: 0.
        centered (bool): normalise by the estimated variance instead. Default: False.
        maximize (bool): maximize the objective. Default: False.

    Example:
        >>> opt = glassgrad.optim.RMSprop(model.parameters(), lr=1e-3)
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def _init_group(self, group, params):
        """Each parameter's state (made on its first step), as the lists the update takes."""
        states = [self.state[p] for p in params]
        for p, state in zip(params, states):
            if len(state) == 0:
                state["step"] = _step_tensor()
                state["square_avg"] = _zeros_like(p)
                if group["momentum"] > 0:
                    state["momentum_buffer"] = _zeros_like(p)
                if group["centered"]:
                    state["grad_avg"] = _zeros_like(p)
        steps = [state["step"] for state in states]
        return [steps] + _state_lists(states, "square_avg", "grad_avg", "momentum_buffer")

    @with_step_hooks
    def step(self, closure=None):
        """Perform one update; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            params, grads = _grads_of(group)
            steps, square_avgs, grad_avgs, buffers = self._init_group(group, params)
            _single_tensor_rmsprop(params, grads, square_avgs, grad_avgs, buffers, steps,
                                   lr=group["lr"], alpha=group["alpha"], eps=group["eps"],
                                   momentum=group["momentum"], centered=group["centered"])
        return loss


def _single_tensor_rmsprop(params, grads, square_avgs, grad_avgs, momentum_buffers, steps, *,
                           lr, alpha, eps, momentum, centered):
    """RMSprop, one parameter at a time (the rule in :class:`RMSprop`'s docstring, after the
    shared maximize / weight-decay start); ``foreach`` is accepted and this form always runs."""
    for i, p in enumerate(params):
        grad, square_avg = grads[i], square_avgs[i]
        steps[i]._data += 1
        square_avg *= alpha
        square_avg += (1 - alpha) * grad * grad
        if centered:
            grad_avg = grad_avgs[i]
            _lerp_(grad_avg, grad, 1 - alpha)
            avg = np.sqrt(square_avg + -1 * grad_avg * grad_avg)
        else:
            avg = np.sqrt(square_avg)
        avg += eps
        if momentum > 0:
            buf = momentum_buffers[i]
            buf *= momentum
            buf += grad / avg
            p._data += -lr * buf
        else:
            p._data += -lr * grad / avg
        _bump(p)
