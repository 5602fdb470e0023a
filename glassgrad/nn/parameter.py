"""Parameter and Buffer: the two kinds of tensors a Module registers by attribute assignment.

Assigning a ``Parameter`` to a Module attribute (``self.weight = nn.Parameter(...)``) adds it to
``module.parameters()``, which is what an optimizer updates. A Parameter is always a leaf and
requires grad unless told otherwise. Assigning a ``Buffer`` (``self.mean = nn.Buffer(...)``)
registers state that is saved in ``state_dict`` but not learned.
"""

import numpy as np

from ..tensor import Tensor

__all__ = ["Parameter", "Buffer"]


class Parameter(Tensor):
    """A learnable tensor of a Module (``torch.nn.Parameter``).

    It shares storage (and the version counter) with the tensor it is made from, is always a
    leaf, and prints as ``Parameter containing:``. ``no_grad()`` does not change its default
    ``requires_grad=True``.

    Args:
        data (Tensor): the initial values (an empty float tensor if None).
        requires_grad (bool): whether the optimizer should get its gradient. Default: True.

    Example:
        >>> w = glassgrad.nn.Parameter(glassgrad.randn(3, 2))
        >>> w.requires_grad, w.is_leaf
        (True, True)
    """

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            array = np.zeros((0,), dtype=np.float32)
            counter = [0]
        elif isinstance(data, Tensor):
            array = data._data
            counter = data._version_counter
        else:
            raise TypeError("_make_subclass(): argument 'data' (position 2) must be Tensor, not "
                            f"{type(data).__name__}")
        if requires_grad and array.dtype.kind != "f":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        param = object.__new__(cls)
        param._data = array
        param._requires_grad = bool(requires_grad)
        param._grad = None
        param.grad_fn = None
        param._version_counter = counter
        return param

    def __init__(self, data=None, requires_grad=True):
        pass  # everything happens in __new__

    def __repr__(self):
        plain = Tensor._make(self._data, self._requires_grad)  # printed as a plain tensor
        return "Parameter containing:\n" + repr(plain)

    __str__ = __repr__

    def __format__(self, spec):
        return object.__format__(self, spec)  # str(self), even for one element, as PyTorch

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self._data, self._requires_grad))

    def __deepcopy__(self, memo):
        # As in PyTorch: the values are copied, the gradient is not.
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(Tensor._make(self._data.copy()), self._requires_grad)
        memo[id(self)] = result
        return result


def _rebuild_parameter(data, requires_grad):
    return Parameter(Tensor._make(data), requires_grad)


class _BufferMeta(type):
    """Makes ``isinstance(t, Buffer)`` true for the tensors ``Buffer(...)`` returns."""

    def __instancecheck__(cls, instance):
        return isinstance(instance, Tensor) and getattr(instance, "_is_buffer", False)


class Buffer(metaclass=_BufferMeta):
    """Marks a tensor to be registered as a buffer when assigned to a Module attribute
    (``torch.nn.Buffer``): saved in ``state_dict`` (unless ``persistent=False``), moved and cast by
    ``to()``, but not a parameter.

    Args:
        data (Tensor): the buffer's values (an empty float tensor if None); shared, not copied.
        persistent (bool): whether the buffer is part of ``state_dict``. Default: True.

    Example:
        >>> m = glassgrad.nn.Module()
        >>> m.steps = glassgrad.nn.Buffer(glassgrad.zeros(()))
        >>> list(m.state_dict())
        ['steps']
    """

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            data = Tensor._make(np.zeros((0,), dtype=np.float32))
        if not isinstance(data, Tensor):
            raise TypeError(f"Buffer(): expected a Tensor as data, got {type(data).__name__}")
        buffer = data.detach()
        buffer._requires_grad = data._requires_grad
        buffer.persistent = persistent
        buffer._is_buffer = True
        return buffer
