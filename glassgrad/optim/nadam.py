"""NAdam: Adam with Nesterov momentum (``torch.optim.NAdam``)."""

import numpy as np

from ..tensor import Tensor
from .adam import _check_adam_args
from .optimizer import (
    Optimizer,
    _bump,
    _count_step,
    _grads_of,
    _lerp_,
    _state_lists,
    _step_tensor,
    _zeros_like,
    with_step_hooks,
)

__all__ = ["NAdam"]


class NAdam(Optimizer):
    r"""NAdam.

    .. math::
        g_t = \pm\nabla f(\theta_{t-1}) \;(+\, \lambda\theta_{t-1}),
            \text{ or } \theta_{t-1} \leftarrow \theta_{t-1}(1 - \gamma\lambda) \text{ (decoupled)}
        \mu_t = \beta_1 (1 - \tfrac12 \, 0.96^{t \psi}), \quad
            \mu_{t+1} = \beta_1 (1 - \tfrac12 \, 0.96^{(t+1) \psi}), \quad
            \Pi_t = \prod_{i \le t} \mu_i
        m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t, \quad v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2
        d_t = \sqrt{v_t / (1 - \beta_2^t)} + \epsilon
        \theta_t = \theta_{t-1} - \gamma \frac{1 - \mu_t}{1 - \Pi_t} \frac{g_t}{d_t}
                   - \gamma \frac{\mu_{t+1}}{1 - \Pi_t \mu_{t+1}} \frac{m_t}{d_t}

    Args:
        params (iterable): parameters or parameter groups.
        lr (float): learning rate :math:`\gamma`. Default: 2e-3.
        betas (tuple of 2 floats): :math:`(\beta_1, \beta_2)`. Default: (0.9, 0.999).
        eps (float): added to the denominator. Default: 1e-8.
        weight_decay (float): :math:`\lambda`. Default: 0.
        momentum_decay (float): :math:`\psi`. Default: 4e-3.
        decoupled_weight_decay (bool): shrink the weights directly (as AdamW). Default: False.
        maximize (bool): maximize the objective. Default: False.

    Example:
        >>> opt = glassgrad.optim.NAdam(model.parameters())
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        _check_adam_args(lr, betas, eps, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def _init_group(self, group, params):
        """Each parameter's state (made on its first step), as the lists the update takes."""
        states = [self.state[p] for p in params]
        for p, state in zip(params, states):
            if len(state) == 0:
                state["step"] = _step_tensor()
                state["mu_product"] = Tensor._make(np.ones((), dtype=np.float32))
                state["exp_avg"] = _zeros_like(p)
                state["exp_avg_sq"] = _zeros_like(p)
        steps = [state["step"] for state in states]
        return [steps] + _state_lists(states, "mu_product", "exp_avg", "exp_avg_sq")

    @with_step_hooks
    def step(self, closure=None):
        """Perform one update; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            params, grads = _grads_of(group, group["decoupled_weight_decay"])
            steps, mu_products, exp_avgs, exp_avg_sqs = self._init_group(group, params)
            _single_tensor_nadam(params, grads, exp_avgs, exp_avg_sqs, mu_products, steps,
                                 lr=group["lr"], betas=group["betas"], eps=group["eps"],
                                 momentum_decay=group["momentum_decay"])
        return loss


def _single_tensor_nadam(params, grads, exp_avgs, exp_avg_sqs, mu_products, steps, *, lr, betas,
                         eps, momentum_decay):
    """NAdam, one parameter at a time (the rule in :class:`NAdam`'s docstring, after the shared
    maximize / weight-decay start); ``foreach`` is accepted and this form always runs."""
    beta1, beta2 = betas
    for i, p in enumerate(params):
        grad, exp_avg, exp_avg_sq, mu_product = grads[i], exp_avgs[i], exp_avg_sqs[i], \
            mu_products[i]
        step = _count_step(steps[i])
        bias_correction2 = 1 - beta2 ** step
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
        mu_product *= mu
        _lerp_(exp_avg, grad, 1 - beta1)
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad
        denom = np.sqrt(exp_avg_sq / bias_correction2)
        product = float(mu_product)
        product_next = product * mu_next
        denom += eps
        p._data += (-lr * (1.0 - mu) / (1.0 - product)) * grad / denom
        p._data += (-lr * mu_next) / (1.0 - product_next) * exp_avg / denom
        _bump(p)
