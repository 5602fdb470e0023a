"""Adam: adaptive moment estimation (``torch.optim.Adam``).

Two forms of the same update, picked once per step by ``foreach`` (PyTorch's shape):
``_single_tensor_adam`` runs the whole rule for one parameter, then the next;
``_multi_tensor_adam`` runs each line of the rule over every parameter of the group, then the
next line. ``foreach=None`` picks the multi-tensor form: with one step count per group it works
the bias corrections out once for all the parameters instead of once each.
"""

import numpy as np

from .optimizer import (
    Optimizer,
    _count_step,
    _grads_of,
    _lerp_,
    _scratch,
    _state_lists,
    _step_tensor,
    _use_foreach,
    _zeros_like,
    with_step_hooks,
)

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
        foreach (bool, optional): the multi-tensor (True) or single-tensor (False) update;
            None picks the multi-tensor one. Both give the same numbers, bit for bit.
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

    def _init_group(self, group, params):
        """Each parameter's state (made on its first step), as the lists the update takes."""
        states = [self.state[p] for p in params]
        for p, state in zip(params, states):
            if len(state) == 0:
                state["step"] = _step_tensor()
                state["exp_avg"] = _zeros_like(p)
                state["exp_avg_sq"] = _zeros_like(p)
            if group["amsgrad"] and "max_exp_avg_sq" not in state:
                state["max_exp_avg_sq"] = _zeros_like(p)
        steps = [state["step"] for state in states]
        return [steps] + _state_lists(states, "exp_avg", "exp_avg_sq", "max_exp_avg_sq")

    @with_step_hooks
    def step(self, closure=None):
        """Perform one update; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            params, grads = _grads_of(group, group["decoupled_weight_decay"])
            if not params:
                continue
            steps, exp_avgs, exp_avg_sqs, max_exp_avg_sqs = self._init_group(group, params)
            if not group["amsgrad"]:
                max_exp_avg_sqs = None
            update = _multi_tensor_adam if _use_foreach(group, True) else _single_tensor_adam
            scratch = [_scratch(self, p, 1)[0] for p in params]
            update(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, scratch,
                   lr=group["lr"], betas=group["betas"], eps=group["eps"])
        return loss


def _single_tensor_adam(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, scratch,
                        *, lr, betas, eps):
    """Adam, one parameter at a time (the rule in :class:`Adam`'s docstring, after the shared
    maximize / weight-decay start). Arrays are updated in place; ``scratch`` holds one array
    shaped like each parameter for the intermediates; ``max_exp_avg_sqs`` is None without
    AMSGrad."""
    beta1, beta2 = betas
    for i, p in enumerate(params):
        grad, exp_avg, exp_avg_sq, tmp = grads[i], exp_avgs[i], exp_avg_sqs[i], scratch[i]
        step = _count_step(steps[i])
        _lerp_(exp_avg, grad, 1 - beta1, tmp)              # m = b1 m + (1 - b1) g
        exp_avg_sq *= beta2                                # v = b2 v + (1 - b2) g g
        np.multiply(grad, 1 - beta2, out=tmp)
        tmp *= grad
        exp_avg_sq += tmp
        second_moment = exp_avg_sq
        if max_exp_avg_sqs is not None:                    # v^ = max(v^, v)
            second_moment = np.maximum(max_exp_avg_sqs[i], exp_avg_sq, out=max_exp_avg_sqs[i])
        # denom = sqrt(v^) / sqrt(1 - b2^t) + eps; p += -(lr / (1 - b1^t)) (m / denom), with
        # m / denom first, then the step size (PyTorch's addcdiv_ order)
        denom = np.sqrt(second_moment, out=tmp)
        denom /= (1 - beta2 ** step) ** 0.5
        denom += eps
        update = np.divide(exp_avg, denom, out=tmp)
        update *= -(lr / (1 - beta1 ** step))
        p._data += update
        p._version_counter[0] += 1                         # an in-place change of p


def _multi_tensor_adam(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, scratch,
                       *, lr, betas, eps):
    r"""Adam over the whole group, one line of the rule at a time (PyTorch's ``foreach`` form).

    .. math::
        m_i \leftarrow \beta_1 m_i + (1 - \beta_1) g_i, \quad
        v_i \leftarrow \beta_2 v_i + (1 - \beta_2) g_i^2, \quad
        \hat v_i = \max(\hat v_i, v_i) \text{ (amsgrad) else } v_i
        \theta_i \leftarrow \theta_i - \frac{\gamma}{1 - \beta_1^{t_i}}
            \frac{m_i}{\sqrt{\hat v_i} / \sqrt{1 - \beta_2^{t_i}} + \epsilon}
            \quad \text{for every parameter } i

    The same operations on the same values as ``_single_tensor_adam``, so the same numbers,
    bit for bit; the bias corrections are worked out once per distinct step count :math:`t_i`.
    Arguments as ``_single_tensor_adam``'s.
    """
    beta1, beta2 = betas
    counts = [_count_step(step) for step in steps]
    corrections = {t: ((1 - beta2 ** t) ** 0.5, -(lr / (1 - beta1 ** t))) for t in set(counts)}
    for exp_avg, grad, tmp in zip(exp_avgs, grads, scratch):
        _lerp_(exp_avg, grad, 1 - beta1, tmp)
    for exp_avg_sq, grad, tmp in zip(exp_avg_sqs, grads, scratch):
        exp_avg_sq *= beta2
        np.multiply(grad, 1 - beta2, out=tmp)
        tmp *= grad
        exp_avg_sq += tmp
    if max_exp_avg_sqs is not None:
        for max_exp_avg_sq, exp_avg_sq in zip(max_exp_avg_sqs, exp_avg_sqs):
            np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        exp_avg_sqs = max_exp_avg_sqs
    for p, exp_avg, second_moment, tmp, t in zip(params, exp_avgs, exp_avg_sqs, scratch, counts):
        bias_correction2_sqrt, step_size = corrections[t]
        np.sqrt(second_moment, out=tmp)
        tmp /= bias_correction2_sqrt
        tmp += eps
        np.divide(exp_avg, tmp, out=tmp)
        tmp *= step_size
        p._data += tmp
        p._version_counter[0] += 1
