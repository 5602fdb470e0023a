"""Collation: a list of samples becomes one batch, structure preserved (as torch).

``default_collate`` stacks tensors and NumPy arrays along a new first dimension, turns Python ints
into an int64 tensor, floats into a float64 tensor, bools into a bool tensor, keeps strings as a
list, and recurses into dicts, namedtuples, tuples and lists (tuples and lists become lists).
"""

import collections.abc
import re

import numpy as np

from ...tensor import Tensor

__all__ = ["default_collate", "default_convert"]

_np_str_obj = re.compile(r"[SaUO]")
_ERR = ("default_collate: batch must contain tensors, numpy arrays, numbers, "
        "dicts or lists; found {}")


def _stack(tensors):
    """``stack`` of tensors; plain NumPy unless some sample tracks gradients."""
    if any(t.requires_grad for t in tensors):
        from ...ops.shape import stack
        return stack(list(tensors), 0)
    return Tensor._make(np.stack([t._data for t in tensors]))


def default_collate(batch):
    """Merge a list of samples into a batch, keeping the samples' structure.

    Args:
        batch: a list of samples, all of the same structure.

    Shape:
        ``B`` samples of shape ``(*)`` become a tensor ``(B, *)``.

    Example:
        >>> default_collate([(glassgrad.zeros(2), 0), (glassgrad.ones(2), 1)])
        [tensor([[0., 0.], [1., 1.]]), tensor([0, 1])]
    """
    elem = batch[0]
    elem_type = type(elem)
    if isinstance(elem, Tensor):
        return _stack(batch)
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "string_"):
        if elem_type.__name__ in ("ndarray", "memmap"):
            if _np_str_obj.search(elem.dtype.str) is not None:
                raise TypeError(_ERR.format(elem.dtype))
            return _stack([Tensor._make(np.asarray(b)) for b in batch])
        if elem.shape == ():
            return Tensor._make(np.asarray(batch))
    if isinstance(elem, bool):
        return Tensor._make(np.asarray(batch, dtype=np.bool_))
    if isinstance(elem, float):
        return Tensor._make(np.asarray(batch, dtype=np.float64))
    if isinstance(elem, int):
        return Tensor._make(np.asarray(batch, dtype=np.int64))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        collated = {key: default_collate([d[key] for d in batch]) for key in elem}
        try:
            return elem_type(collated)
        except TypeError:
            return collated
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return elem_type(*(default_collate(s) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        it = iter(batch)
        elem_size = len(next(it))
        if not all(len(e) == elem_size for e in it):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch))
        collated = [default_collate(s) for s in transposed]
        if isinstance(elem, tuple):
            return collated
        try:
            return elem_type(collated)
        except TypeError:
            return collated
    raise TypeError(_ERR.format(elem_type))


def default_convert(data):
    """Turn NumPy arrays (and NumPy scalars) inside ``data`` into tensors; keep the rest.

    Used instead of ``default_collate`` when automatic batching is off (``batch_size=None``).

    Args:
        data: one sample.

    Example:
        >>> default_convert(np.zeros(3))
        tensor([0., 0., 0.], dtype=glassgrad.float64)
    """
    elem_type = type(data)
    if isinstance(data, Tensor):
        return data
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "string_"):
        if elem_type.__name__ == "ndarray" and _np_str_obj.search(data.dtype.str) is not None:
            return data
        return Tensor._make(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        converted = {key: default_convert(data[key]) for key in data}
        try:
            return elem_type(converted)
        except TypeError:
            return converted
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            return elem_type([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data
