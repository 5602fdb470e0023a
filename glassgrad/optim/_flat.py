"""Multi-tensor Adam: a group's small parameters updated by a dozen NumPy calls, however many.

Adam's update is element-wise, so the same arithmetic can run over every parameter of a group at
once if their moments live side by side in memory. ``FlatMoments`` keeps a group's first and
second moments (m, v) in two contiguous 1-D arrays; each parameter's ``state["exp_avg"]`` and
``state["exp_avg_sq"]`` is a view of its own slice, so ``state_dict``, ``load_state_dict`` and
reading the state work exactly as with separate arrays. A step then copies the gradients into
one array and makes each update call once for the whole group (PyTorch's ``foreach`` idea):
with six parameters, 6 copies + 11 calls + 6 in-place additions instead of 6 x 13 calls. The
numbers are the same, element by element, as the per-parameter loop's: the same operations
in the same order on the same values.

The flat path takes a group's small parameters that have a gradient (up to 65,536 elements
each: beyond that, copying a gradient costs more than the calls it saves) when they share one
dtype and one step count, and the group uses no AMSGrad, no coupled weight decay (AdamW's
decoupled decay is fine) and not ``foreach=False``; the per-parameter loop takes the large
parameters, frozen ones (it skips them), and everything else. Moments replaced from outside
(``load_state_dict``, by hand: the views' identity reveals it) are moved into new flat arrays.
"""

from operator import is_

import numpy as np

from ..tensor import Tensor
from .optimizer import _lerp_, _step_tensor

__all__ = ["FlatMoments", "flat_adam_step"]

# The flat path saves about a dozen NumPy calls per parameter (a microsecond or more each) and
# pays one copy of its gradient; past some 65,000 elements (a 256 x 256 layer) the copy costs
# more than the calls (a 1024 x 1024 layer: 4 MB a step), so larger parameters keep the loop.
_MAX_FLAT_SIZE = 65536


class FlatMoments:
    """m and v of a group's parameters in two contiguous arrays, each parameter's a view; plus
    one array for the gradients and one for intermediates, viewed the same way."""

    def __init__(self, group_params, params, state_of):
        dtype = params[0]._data.dtype
        total = sum(p._data.size for p in params)
        self.group_params = tuple(group_params)  # the group as it was: a change rebuilds
        self.params = tuple(params)  # the flat ones
        self.rest = [p for p in group_params if not any(p is q for q in params)]  # the loop's
        self.m = np.zeros(total, dtype)
        self.v = np.zeros(total, dtype)
        self.grads = np.empty(total, dtype)
        self.scratch = np.empty(total, dtype)
        self.m_views, self.v_views, self.grad_views, self.scratch_views = [], [], [], []
        self.counters = []  # each parameter's step counter, listed by ``ready``
        start = 0
        for p in params:
            shape, end = p._data.shape, start + p._data.size
            m, v = self.m[start:end].reshape(shape), self.v[start:end].reshape(shape)
            state = state_of[p]
            if state:  # moments made elsewhere (earlier steps, load_state_dict): moved in
                m[...] = state["exp_avg"]._data
                v[...] = state["exp_avg_sq"]._data
                state["exp_avg"]._data = m
                state["exp_avg_sq"]._data = v
            else:
                state["step"] = _step_tensor()
                state["exp_avg"] = Tensor._make(m)
                state["exp_avg_sq"] = Tensor._make(v)
            self.m_views.append(m)
            self.v_views.append(v)
            self.grad_views.append(self.grads[start:end].reshape(shape))
            self.scratch_views.append(self.scratch[start:end].reshape(shape))
            start = end

    def ready(self, params, state_of):
        """The parameters' common step count if the group can take a flat step now (the same
        parameters, every gradient present, the moments still these views, one step count),
        with the gradients copied side by side into ``grads`` and the step counters listed in
        ``counters``; None otherwise. One pass: this runs every step."""
        if len(params) != len(self.group_params) or not all(map(is_, params,
                                                                 self.group_params)):
            return None
        params = self.params
        step = None
        counters = self.counters = []
        for p, m, v, view in zip(params, self.m_views, self.v_views, self.grad_views):
            grad = p._grad
            state = state_of.get(p)
            if (grad is None or not state or state["exp_avg"]._data is not m
                    or state["exp_avg_sq"]._data is not v):
                return None
            counter = state["step"]._data
            count = float(counter)
            if step is None:
                step = count
            elif count != step:
                return None
            view[...] = grad._data
            counters.append(counter)
        return step


def _flat_params(params, state_of):
    """The parameters the flat path can take: the small ones with a gradient (a frozen one,
    never given a gradient, is left to the loop, which skips it); None if there are none or
    they differ in dtype or step count (a parameter that missed a step has its own bias
    corrections)."""
    small = [p for p in params if p._data.size <= _MAX_FLAT_SIZE and p._grad is not None]
    if not small or small[0]._data.dtype.kind != "f":
        return None
    dtype = small[0]._data.dtype
    step = None
    for p in small:
        if p._data.dtype is not dtype or p._grad._data.dtype is not dtype:
            return None
        state = state_of.get(p)
        count = float(state["step"]._data) if state else 0.0
        if step is None:
            step = count
        elif count != step:
            return None
    return small


def flat_adam_step(optimizer, group):
    """Adam's update of the group's small parameters in one pass of whole-array NumPy calls;
    returns the parameters left for the per-parameter loop (the large ones), or None if the
    flat path took nothing (then the loop takes them all; see the module's docstring)."""
    if group["amsgrad"] or group["foreach"] is False or (
            group["weight_decay"] != 0 and not group["decoupled_weight_decay"]):
        return None  # (coupled decay adds wd * p to each gradient: the per-parameter loop)
    group_params = group["params"]
    state_of = optimizer.state
    cache = optimizer.__dict__.setdefault("_flat_moments", {})
    flat = cache.get(id(group))
    step = None if flat is None else flat.ready(group_params, state_of)
    if step is None:
        params = _flat_params(group_params, state_of)
        if params is None:
            return None
        flat = cache[id(group)] = FlatMoments(group_params, params, state_of)
        step = flat.ready(group_params, state_of)
        if step is None:
            return None
    params = flat.params
    lr = group["lr"]
    beta1, beta2 = group["betas"]
    step += 1.0
    weight_decay = group["weight_decay"]
    if weight_decay != 0:  # decoupled (AdamW): p *= 1 - lr wd, before the update
        for p in params:
            p._data *= 1 - lr * weight_decay
    grad, m, v, scratch = flat.grads, flat.m, flat.v, flat.scratch
    if group["maximize"]:
        np.negative(grad, out=grad)
    _lerp_(m, grad, 1 - beta1, scratch)              # m = b1 m + (1 - b1) g
    v *= beta2                                       # v = b2 v + (1 - b2) g g
    np.multiply(grad, 1 - beta2, out=scratch)
    scratch *= grad
    v += scratch
    step_size = lr / (1 - beta1 ** step)
    denom = np.sqrt(v, out=scratch)                  # sqrt(v) / sqrt(1 - b2^t) + eps
    denom /= (1 - beta2 ** step) ** 0.5
    denom += group["eps"]
    update = np.divide(m, denom, out=scratch)        # -lr / (1 - b1^t) * (m / denom)
    update *= -step_size
    for p, view, counter in zip(params, flat.scratch_views, flat.counters):
        p._data += view
        p._version_counter[0] += 1
        counter[()] = step
    return flat.rest
