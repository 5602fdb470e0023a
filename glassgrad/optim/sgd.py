"""SGD: stochastic gradient descent with optional momentum (``torch.optim.SGD``)."""

from ..tensor import Tensor
from .optimizer import Optimizer, _bump, _grads_of, with_step_hooks

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with (Nesterov) momentum.

    .. math::
        g_t = \pm\nabla f(\theta_{t-1}) + \lambda \theta_{t-1}          (minus if maximize)
        b_1 = g_1, \quad b_t = \mu b_{t-1} + (1 - \tau) g_t          (if \mu \ne 0)
        g_t = g_t + \mu b_t \text{ (nesterov)} \quad\text{or}\quad g_t = b_t
        \theta_t = \theta_{t-1} - \gamma g_t

    Args:
        params (iterable): parameters or parameter groups.
        lr (float): learning rate :math:`\gamma`. Default: 1e-3.
        momentum (float): momentum factor :math:`\mu`. Default: 0.
        dampening (float): dampening :math:`\tau` of the momentum. Default: 0.
        weight_decay (float): L2 penalty :math:`\lambda`. Default: 0.
        nesterov (bool): Nesterov momentum. Default: False.
        maximize (bool): maximize the objective instead of minimizing. Default: False.

    Example:
        >>> opt = glassgrad.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 *, maximize=False, foreach=None, differentiable=False, fused=None):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                        foreach=foreach, differentiable=differentiable, fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    @with_step_hooks
    def step(self, closure=None):
        """Perform one update; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            params, grads = _grads_of(group)
            buffers = [self.state.get(p, {}).get("momentum_buffer") for p in params]
            _single_tensor_sgd(params, grads, buffers, lr=group["lr"],
                               momentum=group["momentum"], dampening=group["dampening"],
                               nesterov=group["nesterov"])
            if group["momentum"] != 0:
                for p, buf in zip(params, buffers):
                    self.state[p]["momentum_buffer"] = buf
        return loss


def _single_tensor_sgd(params, grads, momentum_buffers, *, lr, momentum, dampening, nesterov):
    """SGD, one parameter at a time (the rule in :class:`SGD`'s docstring, after the shared
    maximize / weight-decay start). ``momentum_buffers`` holds each parameter's buffer Tensor or
    None; a new one is put in the list (the caller stores it in the state). One form only: the
    update is two or three NumPy calls a parameter, too few for a multi-tensor form to save any,
    so ``foreach`` is accepted and this form always runs."""
    for i, p in enumerate(params):
        grad = grads[i]
        if momentum != 0:
            buf = momentum_buffers[i]
            if buf is None:
                buf = momentum_buffers[i] = Tensor._make(grad.copy())  # b_1 = g_1
            else:
                buf._data *= momentum
                buf._data += (1 - dampening) * grad
            grad = grad + momentum * buf._data if nesterov else buf._data
        p._data -= lr * grad
        _bump(p)
