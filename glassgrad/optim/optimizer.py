"""Optimizer: the base every update rule shares (``torch.optim.Optimizer``).

An optimizer holds ``param_groups`` (a list of dicts: ``'params'`` plus that group's
hyper-parameters, filled from ``defaults``) and ``state`` (a dict keyed by parameter, holding each
parameter's running buffers as Tensors). ``state_dict()`` replaces parameters by their integer
index, in group order, exactly as PyTorch does, so a run can be saved and resumed.
"""

import copy
import functools
import warnings
from collections import defaultdict
from itertools import chain

import numpy as np

from .._dtype import scalar_type_name as _scalar_type_name
from ..autograd.grad_mode import enable_grad
from ..tensor import Tensor
from ..utils.hooks import RemovableHandle

__all__ = ["Optimizer", "required", "with_step_hooks"]


class _RequiredParameter:
    """Singleton marking a hyper-parameter with no default."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def _typename(obj):
    if isinstance(obj, Tensor):
        return f"glassgrad.{_scalar_type_name(obj)}Tensor"
    module = type(obj).__module__
    name = type(obj).__qualname__
    return name if module in ("builtins", None) else f"{module}.{name}"


def _step_tensor():
    """The ``'step'`` counter PyTorch keeps: a float32 0-d tensor."""
    return Tensor._make(np.zeros((), dtype=np.float32))


def _zeros_like(p):
    return Tensor._make(np.zeros_like(p._data))


def with_step_hooks(step):
    """Decorator for an optimizer's ``step``: run the registered pre-hooks, the step, then the
    post-hooks (PyTorch's ``register_step_pre_hook`` / ``register_step_post_hook`` semantics).

    Every optimizer here writes ``@with_step_hooks`` above its ``step``; the base class does not
    rewrite subclasses behind their back (PyTorch patches the class's ``step`` once in
    ``Optimizer.__init__``): the decorator shows, where ``step`` is defined, that hooks run around
    it. A subclass of your own decorates its ``step`` the same way; ``register_step_*_hook``
    refuses an optimizer whose ``step`` is not decorated rather than never calling the hook.

    Example:
        >>> class Plain(Optimizer):
        ...     @with_step_hooks
        ...     def step(self, closure=None): ...
    """

    @functools.wraps(step)
    def step_with_hooks(self, *args, **kwargs):
        for hook in list(self._optimizer_step_pre_hooks.values()):
            result = hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(f"{hook} must return None or a tuple of (new_args, "
                                       f"new_kwargs), but got {result}.")
                args, kwargs = result
        out = step(self, *args, **kwargs)
        for hook in list(self._optimizer_step_post_hooks.values()):
            hook(self, args, kwargs)
        return out

    step_with_hooks.runs_step_hooks = True
    return step_with_hooks


def _count_step(step):
    """``step += 1`` on PyTorch's float32 0-d counter (a Tensor) without a ufunc call: the sum in
    float64, rounded to float32 on storing, is the float32 sum. Returns the new count."""
    counter = step._data
    count = float(counter) + 1.0
    counter[()] = count
    return count


def _grads_of(group, decoupled=False):
    r"""The start every update rule shares: the group's parameters that have a gradient (a frozen
    one, with ``grad`` None, is skipped) and their gradients as arrays, ready for the rule.

    .. math::
        g = \pm\nabla f(\theta) \;(-\text{ if maximize}),\quad
        g \leftarrow g + \lambda\theta \text{ (L2)} \quad\text{or}\quad
        \theta \leftarrow \theta (1 - \gamma\lambda) \text{ (decoupled)}

    ``group["weight_decay"]`` is :math:`\lambda`; ``decoupled`` shrinks the weights in place
    (AdamW) instead of adding to the gradient. Nothing to refuse: glassgrad has no complex dtype
    (``tensor()`` refuses one) and no sparse layout. Returns ``(params, grads)``, two lists.
    """
    params, grads = [], []
    for p in group["params"]:
        if p._grad is None:
            continue
        params.append(p)
        grads.append(p._grad._data)
    if group.get("maximize", False):
        grads = [np.negative(g) for g in grads]
    weight_decay = group.get("weight_decay", 0)
    if weight_decay != 0 and decoupled:
        for p in params:
            p._data *= 1 - group["lr"] * weight_decay
    elif weight_decay != 0:
        grads = [g + weight_decay * p._data for g, p in zip(grads, params)]
    return params, grads


def _use_foreach(group, default):
    """PyTorch's ``foreach`` option: True or False pick the multi- or single-tensor update;
    None picks ``default``, the one each optimizer found faster on CPU here."""
    foreach = group.get("foreach")
    return default if foreach is None else bool(foreach)


def _state_lists(states, *keys):
    """``[[state[key]._data for each state] for each key]``: the lists a functional update takes
    (a missing key gives None entries)."""
    return [[state[key]._data if key in state else None for state in states] for key in keys]


def _bump(p):
    """Record an in-place change of ``p`` (autograd's version counter)."""
    p._version_counter[0] += 1


def _lerp_(start, end, weight, scratch=None):
    """``start.lerp_(end, weight)`` with PyTorch's formula (exact at both ends); the weight is
    rounded to the array's dtype first, as PyTorch's kernel does. ``scratch`` (an array like
    ``start``) holds the intermediate instead of a new allocation; the rounding is the same."""
    weight = start.dtype.type(weight)
    difference = np.subtract(end, start, out=scratch)
    if abs(weight) < 0.5:
        difference *= weight
        start += difference
    else:
        difference *= 1 - weight
        np.subtract(end, difference, out=start)


def _scratch(optimizer, p, count=2):
    """``count`` reusable arrays shaped like ``p`` for an update's intermediates (kept out of
    ``state``, so ``state_dict`` is PyTorch's): in-place updates without fresh allocations."""
    buffers = optimizer.__dict__.get("_scratch_buffers")
    if buffers is None:
        buffers = optimizer.__dict__["_scratch_buffers"] = {}
    data = p._data
    key = (data.shape, data.dtype.num)
    arrays = buffers.get(key)
    if arrays is None or len(arrays) < count:
        arrays = buffers[key] = [np.empty_like(p._data) for _ in range(count)]
    return arrays


def _take_params(param_group):
    """``param_group["params"]`` as a list of Tensors (``param_names`` beside it when the
    parameters came as ``(name, Tensor)`` pairs); a set is refused (its order changes)."""
    params = param_group["params"]
    if isinstance(params, Tensor):
        params = [params]
    elif isinstance(params, set):
        raise TypeError("optimizer parameters need to be organized in ordered collections, "
                        "but the ordering of tensors in sets will change between runs. Please "
                        "use a list instead.")
    else:
        params = list(params)
    names = [p[0] for p in params if isinstance(p, tuple)]
    param_group["params"] = [p[1] if isinstance(p, tuple) else p for p in params]
    if names:
        if len(names) != len(params):
            raise ValueError("all optimizer params should be with/without names. Some param "
                             "names are missing")
        param_group["param_names"] = names


class Optimizer:
    """Base class of all optimizers.

    Args:
        params (iterable): Tensors to optimize, or dicts defining parameter groups.
        defaults (dict): default hyper-parameters, used by groups that do not set them.
    """

    def __init__(self, params, defaults):
        self.defaults = defaults
        self._optimizer_step_pre_hooks = {}
        self._optimizer_step_post_hooks = {}
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {_typename(params)}")
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state,
                "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.__dict__.setdefault("_optimizer_step_pre_hooks", {})
        self.__dict__.setdefault("_optimizer_step_post_hooks", {})

    def register_step_pre_hook(self, hook):
        """Call ``hook(optimizer, args, kwargs)`` before each ``step``; it may return new
        ``(args, kwargs)``. Returns a handle whose ``remove()`` unregisters it."""
        self._check_step_runs_hooks()
        return RemovableHandle(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        """Call ``hook(optimizer, args, kwargs)`` after each ``step``. Returns a handle."""
        self._check_step_runs_hooks()
        return RemovableHandle(self._optimizer_step_post_hooks, hook)

    def _check_step_runs_hooks(self):
        if not getattr(type(self).step, "runs_step_hooks", False):
            raise RuntimeError(f"{type(self).__name__}.step does not run step hooks: decorate it "
                               "with glassgrad.optim.optimizer.with_step_hooks")

    def __repr__(self):
        text = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += "\n"
            text += f"Parameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        text += ")"
        return text

    def add_param_group(self, param_group):
        """Add a group of parameters with its own hyper-parameters (e.g. a different ``lr``).

        The group's ``params`` (Tensors, or ``(name, Tensor)`` pairs as from
        ``named_parameters()``) become a list; every hyper-parameter the group does not set takes
        the optimizer's default; PyTorch's checks apply, in its order."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {_typename(param_group)}")
        _take_params(param_group)
        for param in param_group["params"]:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + _typename(param))
            if not self.defaults.get("differentiable", None) and not (
                    param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)
        self._check_new_group(param_group)
        self.param_groups.append(param_group)

    def _check_new_group(self, param_group):
        """A group's parameters appear once, in no other group, and every group has names or
        none has."""
        params = param_group["params"]
        if len(params) != len({id(p) for p in params}):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error; see "
                          "github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=4)
        for group in self.param_groups:
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        existing = {id(p) for group in self.param_groups for p in group["params"]}
        if existing & {id(p) for p in params}:
            raise ValueError("some parameters appear in more than one parameter group")

    def zero_grad(self, set_to_none=True):
        """Reset the gradients: drop them (``set_to_none=True``) or fill them with zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if p._grad is None:
                    continue
                if set_to_none:
                    p._grad = None
                else:
                    grad = p._grad
                    if grad.grad_fn is not None:
                        grad.detach_()
                    else:
                        grad._requires_grad = False
                    grad._data[...] = 0
                    _bump(grad)

    def step(self, closure=None):
        """Update the parameters once; subclasses implement the rule."""
        raise NotImplementedError(f"{type(self).__name__} must implement step(): the base "
                                  "Optimizer holds parameters and state, each subclass its rule")

    def _closure_loss(self, closure):
        """Re-evaluate the model with gradients on, if a closure is given."""
        if closure is None:
            return None
        with enable_grad():
            return closure()

    def state_dict(self):
        """The state as ``{'state': {index: {...}}, 'param_groups': [{..., 'params': [index]}]}``.

        Parameters are replaced by their position across all groups; the state tensors are
        returned by reference, as PyTorch does (deep-copy the result to keep a snapshot).
        """
        index_of = {}
        start = 0
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                if id(p) not in index_of:
                    index_of[id(p)] = start
                    start += 1
            packed["params"] = [index_of[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {index_of[id(p)]: v for p, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Load a ``state_dict()``: hyper-parameters per group and each parameter's buffers."""
        state_dict = state_dict.copy()
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        state = defaultdict(dict)
        for index, values in state_dict["state"].items():
            if index in id_map:
                param = id_map[index]
                state[param] = {key: _cast(param, key, value) for key, value in values.items()}
            else:
                state[index] = values
        new_groups = []
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
            new_groups.append(saved)
        self.__setstate__({"state": state, "param_groups": new_groups})


def _cast(param, key, value):
    """A copy of one saved state value, in the parameter's float dtype (``'step'`` kept as is)."""
    if isinstance(value, Tensor):
        data = value._data
        if key != "step" and param._data.dtype.kind == "f" and data.dtype.kind == "f":
            data = data.astype(param._data.dtype)
        return Tensor._make(np.array(data, copy=True))
    if isinstance(value, dict):
        return {k: _cast(param, k, v) for k, v in value.items()}
    return copy.deepcopy(value)
