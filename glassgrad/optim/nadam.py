"""NAdam: Adam with Nesterov momentum (``torch.optim.NAdam``)."""

import numpy as np

from ..tensor import Tensor
from .adam import _check_adam_args
from .optimizer import Optimizer, _bump, _count_step, _lerp_, _step_tensor, _zeros_like

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

    def step(self, closure=None):
        """Perform one update; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = group["lr"]
            beta1, beta2 = group["betas"]
            eps = group["eps"]
            weight_decay = group["weight_decay"]
            momentum_decay = group["momentum_decay"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["mu_product"] = Tensor._make(np.ones((), dtype=np.float32))
                    state["exp_avg"] = _zeros_like(p)
                    state["exp_avg_sq"] = _zeros_like(p)
                grad = p._grad._data
                if group["maximize"]:
                    grad = -grad
                exp_avg = state["exp_avg"]._data
                exp_avg_sq = state["exp_avg_sq"]._data
                mu_product = state["mu_product"]._data
                step = _count_step(state)

                bias_correction2 = 1 - beta2 ** step
                if weight_decay != 0:
                    if group["decoupled_weight_decay"]:
                        p._data *= 1 - lr * weight_decay
                    else:
                        grad = grad + weight_decay * p._data
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
        return loss
