"""Parameter: a Tensor that a Module registers as one of its learnable weights.

Assigning a ``Parameter`` to a Module attribute (``self.weight = nn.Parameter(...)``) adds it to
``module.parameters()``, which is what an optimizer updates. A Parameter is always a leaf and
requires grad unless told otherwise.
"""

import numpy as np

from ..tensor import Tensor

__all__ = ["Parameter", "Buffer"]


class Parameter(Tensor):
    """A learnable tensor of a Module (``torch.nn.Parameter``).

    It shares storage with the tensor it is made from and prints as ``Parameter containing:``.

    Args:
        data (Tensor): the initial values (an empty float tensor if None).
        requires_grad (bool): whether the optimizer should get its gradient (default True).

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
            raise TypeError(f"Parameter(): expected a Tensor as data, got {type(data).__name__}")
        param = object.__new__(cls)
        param._data = array
        param._requires_grad = False
        param._grad = None
        param.grad_fn = None
        param._version_counter = counter
        if requires_grad:
            param.requires_grad_(True)
        return param

    def __init__(self, data=None, requires_grad=True):
        pass  # everything happens in __new__

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self._data, self._requires_grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = Parameter(Tensor._make(self._data.copy()), self._requires_grad)
        if self._grad is not None:
            result._grad = Tensor._make(self._grad._data.copy())
        memo[id(self)] = result
        return result


def _rebuild_parameter(data, requires_grad):
    return Parameter(Tensor._make(data), requires_grad)


class Buffer(Tensor):
    """Marks a tensor to be registered as a buffer when assigned to a Module attribute
    (``torch.nn.Buffer``): saved in ``state_dict`` but not a parameter."""

    def __new__(cls, data=None, *, persistent=True):
        array = np.zeros((0,), dtype=np.float32) if data is None else data._data
        buffer = Tensor._make(array)
        buffer.persistent = persistent
        return buffer
