"""AdamW: Adam with decoupled weight decay (``torch.optim.AdamW``)."""

from .adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    r"""Adam whose weight decay shrinks the weights directly instead of adding to the gradient.

    .. math::
        \theta_{t-1} \leftarrow \theta_{t-1} (1 - \gamma \lambda)

    then the Adam update of :class:`Adam` (with :math:`g_t` the plain gradient).

    Args:
        params (iterable): parameters or parameter groups.
        lr (float): learning rate :math:`\gamma`. Default: 1e-3.
        betas (tuple of 2 floats): :math:`(\beta_1, \beta_2)`. Default: (0.9, 0.999).
        eps (float): added to the denominator. Default: 1e-8.
        weight_decay (float): decoupled decay :math:`\lambda`. Default: 1e-2.
        amsgrad (bool): use the running maximum of :math:`v_t`. Default: False.
        maximize (bool): maximize the objective. Default: False.

    Example:
        >>> opt = glassgrad.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
