"""Adam: adaptive moment estimation (``torch.optim.Adam``)."""

import numpy as np

from ._flat import flat_adam_step
from .optimizer import Optimizer, _count_step, _lerp_, _scratch, _step_tensor, _zeros_like

__all__ = ["Adam"]


def _check_adam_args(lr, betas, eps, weight_decay):
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


class Adam(Optimizer):
    r"""Adam, with optional AMSGrad and (coupled or decoupled) weight decay.

    .. math::
        g_t = \pm\nabla f(\theta_{t-1}) \;(+\, \lambda\theta_{t-1} \text{ if coupled})
        \theta_{t-1} \leftarrow \theta_{t-1}(1 - \gamma\lambda) \text{ (if decoupled, AdamW)}
        m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t
        v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2
        \hat v_t = \max(\hat v_{t-1}, v_t) \text{ (amsgrad)}, \text{ else } v_t
        \theta_t = \theta_{t-1} - \frac{\gamma}{1 - \beta_1^t}
                   \frac{m_t}{\sqrt{\hat v_t} / \sqrt{1 - \beta_2^t} + \epsilon}

    Args:
        params (iterable): parameters or parameter groups.
        lr (float): learning rate :math:`\gamma`. Default: 1e-3.
        betas (tuple of 2 floats): :math:`(\beta_1, \beta_2)`. Default: (0.9, 0.999).
        eps (float): added to the denominator. Default: 1e-8.
        weight_decay (float): :math:`\lambda`. Default: 0.
        amsgrad (bool): use the running maximum of :math:`v_t`. Default: False.
        maximize (bool): maximize the objective. Default: False.
        decoupled_weight_decay (bool): shrink the weights directly (AdamW). Default: False.

    Example:
        >>> opt = glassgrad.optim.Adam(model.parameters(), lr=1e-3)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        _check_adam_args(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one update; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            # the small parameters all at once (see ``_flat``); the loop takes the others
            rest = flat_adam_step(self, group)
            lr = group["lr"]
            beta1, beta2 = group["betas"]
            eps = group["eps"]
            weight_decay = group["weight_decay"]
            amsgrad = group["amsgrad"]
            maximize = group["maximize"]
            decoupled = group["decoupled_weight_decay"]
            for p in group["params"] if rest is None else rest:
                if p._grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["exp_avg"] = _zeros_like(p)
                    state["exp_avg_sq"] = _zeros_like(p)
                    if amsgrad:
                        state["max_exp_avg_sq"] = _zeros_like(p)
                grad = p._grad._data
                if maximize:
                    grad = -grad
                exp_avg = state["exp_avg"]._data
                exp_avg_sq = state["exp_avg_sq"]._data
                step = _count_step(state)

                if weight_decay != 0:
                    if decoupled:
                        p._data *= 1 - lr * weight_decay
                    else:
                        grad = grad + weight_decay * p._data
                scratch = _scratch(self, p, 1)[0]  # one array for every intermediate
                _lerp_(exp_avg, grad, 1 - beta1, scratch)
                exp_avg_sq *= beta2
                np.multiply(grad, 1 - beta2, out=scratch)   # (1 - beta2) * g * g, in that order
                scratch *= grad
                exp_avg_sq += scratch

                step_size = lr / (1 - beta1 ** step)
                bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
                second_moment = exp_avg_sq
                if amsgrad:
                    second_moment = state["max_exp_avg_sq"]._data
                    np.maximum(second_moment, exp_avg_sq, out=second_moment)
                # denom = sqrt(v) / sqrt(1 - beta2^t) + eps;  p += -(lr / (1 - beta1^t)) (m / denom)
                # (in PyTorch's order: m / denom first, then the step size, as its addcdiv_)
                denom = np.sqrt(second_moment, out=scratch)
                denom /= bias_correction2_sqrt
                denom += eps
                update = np.divide(exp_avg, denom, out=scratch)
                update *= -step_size
                p._data += update
                p._version_counter[0] += 1  # an in-place change of p (``_bump``)
        return loss
