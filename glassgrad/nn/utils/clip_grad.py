"""Gradient clipping: ``clip_grad_norm_`` and ``clip_grad_value_`` (as ``torch.nn.utils``).

Both change the ``.grad`` of the given parameters in place, between ``loss.backward()`` and
``optimizer.step()``, to keep one unusually large gradient from throwing the weights far away
(exploding gradients in deep or recurrent networks).
"""

import math
import types
import warnings

import numpy as np

from ...tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm",
           "clip_grads_with_norm_"]


def _vector_norm(array, p):
    """||array||_p over all elements, in the array's dtype (PyTorch's ``vector_norm``)."""
    a = np.abs(array)
    if p == math.inf:
        return a.max() if a.size else np.zeros((), a.dtype)
    if p == -math.inf:
        return a.min() if a.size else np.array(np.inf, a.dtype)
    if p == 0:
        return np.asarray(np.count_nonzero(a), dtype=a.dtype)
    if p == 1:
        return a.sum()
    if p == 2:
        return np.sqrt((a * a).sum())
    return (a ** p).sum() ** (1.0 / p)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The p-norm of all the given tensors together: the norm of the vector of their norms.

    ||(g_1, ..., g_n)||_p = || (||g_1||_p, ..., ||g_n||_p) ||_p

    Args:
        tensors (Tensor or iterable of Tensor): usually the gradients.
        norm_type (float or 'inf'): p. Default: 2.
        error_if_nonfinite (bool): raise if the norm is nan or inf. Default: False.
        foreach (bool, optional): accepted for compatibility (NumPy has one code path).

    Example:
        >>> glassgrad.nn.utils.get_total_norm([glassgrad.tensor([3.0]), glassgrad.tensor([4.0])])
        tensor(5.)
    """
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        from ...creation import tensor

        return tensor(0.0)
    norms = [_vector_norm(t._data, norm_type) for t in tensors]
    dtype = np.result_type(*[n.dtype for n in norms])
    total = _vector_norm(np.array(norms, dtype=dtype), norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` "
                           "is non-finite, so it cannot be clipped. To disable this error and "
                           "scale the gradients by the non-finite norm anyway, set "
                           "`error_if_nonfinite=False`")
    return Tensor._make(np.asarray(total, dtype=dtype))


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale the parameters' gradients in place by min(1, max_norm / (total_norm + 1e-6)).

    Args:
        parameters (Tensor or iterable of Tensor): the parameters whose ``.grad`` is scaled.
        max_norm (float): the largest total norm allowed.
        total_norm (Tensor): the gradients' total norm (``get_total_norm``).
        foreach (bool, optional): accepted for compatibility.

    Example:
        >>> params = list(model.parameters())
        >>> norm = glassgrad.nn.utils.get_total_norm([p.grad for p in params])
        >>> glassgrad.nn.utils.clip_grads_with_norm_(params, 1.0, norm)
    """
    parameters = [parameters] if isinstance(parameters, Tensor) else parameters
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return
    total = total_norm._data
    # PyTorch computes max_norm / (total + 1e-6) as (total + 1e-6).reciprocal() * max_norm
    coef = np.reciprocal(total + total.dtype.type(1e-6)) * total.dtype.type(float(max_norm))
    coef = np.minimum(coef, total.dtype.type(1.0))
    for g in grads:
        np.multiply(g._data, coef.astype(g._data.dtype), out=g._data)
        g._version_counter[0] += 1


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    """Rescale the gradients in place so that their total norm is at most ``max_norm``;
    returns the total norm before clipping (a 0-d tensor).

    total = ||(g_1, ..., g_n)||_p;   g_i <- g_i * min(1, max_norm / (total + 1e-6))

    Args:
        parameters (Tensor or iterable of Tensor): the parameters (``model.parameters()``);
            those without a gradient are skipped.
        max_norm (float): the largest total norm allowed.
        norm_type (float or 'inf'): p of the p-norm. Default: 2.
        error_if_nonfinite (bool): raise instead of clipping when the norm is nan or inf.
        foreach (bool, optional): accepted for compatibility (NumPy has one code path).

    Example:
        >>> loss.backward()
        >>> total = glassgrad.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        >>> optimizer.step()
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)
        if is_generator and not parameters:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.",
                          stacklevel=2)
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated name of ``clip_grad_norm_``."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element in place to [-clip_value, clip_value].

    g <- min(max(g, -clip_value), clip_value)

    Args:
        parameters (Tensor or iterable of Tensor): the parameters whose ``.grad`` is clamped.
        clip_value (float): the largest absolute value allowed.
        foreach (bool, optional): accepted for compatibility.

    Example:
        >>> glassgrad.nn.utils.clip_grad_value_(model.parameters(), clip_value=0.5)
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    clip_value = float(clip_value)
    for p in parameters:
        g = p.grad
        if g is None:
            continue
        np.clip(g._data, -clip_value, clip_value, out=g._data)
        g._version_counter[0] += 1
