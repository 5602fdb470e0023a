"""In-place operations (``add_``, ``mul_``, ``x[i] = v``, ``+=``, ...) and their bookkeeping.

An in-place change writes into the tensor's own array and bumps its version counter, so a backward
pass that saved the old values refuses to run (PyTorch's "modified by an inplace operation" error).

When the change must be recorded in the graph (grad mode on and something requires grad), the old
value is kept as a stand-in with the same history, the operation is applied to it out of place,
the result is copied into the tensor's storage, and the tensor takes the result's ``grad_fn``.
A leaf that requires grad can only be changed inside ``no_grad()``, as in PyTorch.
"""

import numpy as np

from .._dtype import scalar_type_name
from ..autograd.grad_mode import GradMode
from ..tensor import Tensor

__all__ = ["apply_inplace", "inplace_op"]


def _check_leaf(tensor):
    if tensor.grad_fn is None and tensor._requires_grad:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation.")
    base = tensor.__dict__.get("_base") if hasattr(tensor, "__dict__") else None
    if base is not None and base._requires_grad:
        raise RuntimeError("glassgrad does not record in-place changes to a view of a tensor "
                           "that requires grad; use an out-of-place operation instead "
                           "(for example glassgrad.where or glassgrad.cat)")


def _write(tensor, result, op_name):
    """Copy ``result`` into ``tensor``'s storage with PyTorch's shape and dtype rules."""
    data = result._data
    if data.shape != tensor._data.shape:
        try:
            target = np.broadcast_shapes(data.shape, tensor._data.shape)
        except ValueError:
            target = data.shape
        if target != tensor._data.shape:
            raise RuntimeError(f"output with shape {list(tensor.shape)} doesn't match the "
                               f"broadcast shape {list(target)}")
    if not np.can_cast(data.dtype, tensor._data.dtype, casting="same_kind"):
        raise RuntimeError(f"result type {scalar_type_name(result)} can't be cast to the "
                           f"desired output type {scalar_type_name(tensor)}")
    np.copyto(tensor._data, data, casting="unsafe")


def apply_inplace(tensor, compute, others=(), op_name="inplace"):
    """Change ``tensor`` in place to ``compute(tensor)``; ``compute`` builds the out-of-place
    result (recorded in the graph when needed). Returns ``tensor``."""
    tracked = GradMode.enabled and (tensor._requires_grad or any(
        isinstance(o, Tensor) and o._requires_grad for o in others))
    if not tracked:
        _write(tensor, compute(tensor), op_name)
        tensor._version_counter[0] += 1
        return tensor
    _check_leaf(tensor)
    old = Tensor._make(tensor._data.copy(), tensor._requires_grad, tensor.grad_fn)
    if tensor._output_nr:
        old._output_nr = tensor._output_nr
    result = compute(old)
    _write(tensor, result, op_name)
    tensor._version_counter[0] += 1
    if result._requires_grad and result._data.dtype == tensor._data.dtype:
        tensor.grad_fn = result.grad_fn
        tensor._requires_grad = True
        tensor.__dict__.pop("_output_nr", None)
    elif result._requires_grad:
        cast = result.to(tensor.dtype)
        tensor.grad_fn = cast.grad_fn
        tensor._requires_grad = True
    return tensor


def inplace_op(function, name):
    """Make the in-place method ``x.name_(*args)`` from the out-of-place ``function``."""
    def method(self, *args, **kwargs):
        others = [a for a in args if isinstance(a, Tensor)]
        others += [v for v in kwargs.values() if isinstance(v, Tensor)]
        return apply_inplace(self, lambda t: function(t, *args, **kwargs), others, name)

    method.__name__ = name
    method.__doc__ = f"In-place version of ``{function.__name__}``: changes self and returns it."
    return method
