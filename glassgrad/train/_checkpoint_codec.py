"""The JSON side of a checkpoint: nested values in, JSON and a dict of tensors out, and back.

``encode`` turns a nested dict of tensors, arrays, numbers, strings, lists, tuples and dicts
into JSON-ready values, moving every tensor into a dict by its path in the checkpoint
(``model.0.weight``) and leaving ``{"__tensor__": path}`` in its place. Values JSON lacks are
one-key objects (markers): ``{"__tuple__": [...]}``, ``{"__items__": [[key, value], ...]}`` (a
dict whose keys are not all strings, or look like markers) and ``{"__float__": "inf" | "-inf" |
"nan"}``. ``decode`` gives back exactly what was saved, and treats what it reads as untrusted:
a marker must be one of the four, alone in its object, and a tensor reference must name a
tensor of the file; anything else is a ``CheckpointError`` naming the field.
"""

import math

import numpy as np

from ..tensor import Tensor

__all__ = ["CheckpointError", "encode", "decode", "shown"]


class CheckpointError(RuntimeError):
    """A checkpoint that is missing, incomplete or unreadable."""


_NON_FINITE = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}


def encode(value, where, tensors):
    """A JSON-ready copy of ``value``; tensors are moved into ``tensors`` by their path."""
    if isinstance(value, (Tensor, np.ndarray)):
        tensors[where] = value if isinstance(value, Tensor) else Tensor._make(value)
        return {"__tensor__": where}
    if isinstance(value, (dict, tuple, list)):
        return _encode_container(value, where, tensors)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return {"__float__": repr(value)}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot save {type(value).__name__} at {where or 'the top level'} in a "
                    "checkpoint: only tensors, arrays, numbers, strings, None, lists, tuples "
                    "and dicts are stored")


def _encode_container(value, where, tensors):
    """A dict (plain, or as ``__items__`` pairs), a tuple (``__tuple__``) or a list."""
    if isinstance(value, dict):
        if all(isinstance(key, str) and not _is_marker(key) for key in value):
            return {key: encode(item, _join(where, key), tensors) for key, item in value.items()}
        return {"__items__": [[encode(key, "", {}), encode(item, _join(where, str(key)), tensors)]
                              for key, item in value.items()]}
    items = [encode(item, _join(where, str(i)), tensors) for i, item in enumerate(value)]
    return {"__tuple__": items} if isinstance(value, tuple) else items


def _is_marker(key):
    return isinstance(key, str) and len(key) > 4 and key.startswith("__") and key.endswith("__")


def decode(value, tensors, where):
    """The value saved as ``value``; a bad marker raises CheckpointError naming the field."""
    if isinstance(value, list):
        return [decode(item, tensors, _join(where, str(i))) for i, item in enumerate(value)]
    if not isinstance(value, dict):
        return value
    markers = [key for key in value if _is_marker(key)]
    if not markers:
        return {key: decode(item, tensors, _join(where, key)) for key, item in value.items()}
    if len(value) != 1 or markers[0] not in _DECODERS:
        raise _field_error(where, f"holds an unknown marker {markers[0]!r} (known: "
                           f"{', '.join(_DECODERS)}, each alone in its object)")
    return _DECODERS[markers[0]](value[markers[0]], tensors, where)


def _decode_tensor(reference, tensors, where):
    if not isinstance(reference, str) or reference not in tensors:
        raise _field_error(where, f"refers to tensor {shown(reference)}, which is not in the "
                           "checkpoint's tensors file")
    return tensors[reference]


def _decode_tuple(items, tensors, where):
    if not isinstance(items, list):
        raise _field_error(where, f"must hold a list in __tuple__, got {shown(items)}")
    return tuple(decode(item, tensors, _join(where, str(i))) for i, item in enumerate(items))


def _decode_items(pairs, tensors, where):
    if not isinstance(pairs, list) or not all(isinstance(pair, list) and len(pair) == 2
                                              for pair in pairs):
        raise _field_error(where, "must hold a list of [key, value] pairs in __items__")
    decoded = {}
    for key, item in pairs:
        key = decode(key, tensors, where)
        try:
            hash(key)
        except TypeError:
            raise _field_error(where, f"has a key that is {shown(key)}") from None
        decoded[key] = decode(item, tensors, _join(where, str(key)))
    return decoded


def _decode_float(text, tensors, where):
    if not isinstance(text, str) or text not in _NON_FINITE:
        raise _field_error(where, f"must be 'inf', '-inf' or 'nan', got {shown(text)}")
    return _NON_FINITE[text]


_DECODERS = {"__tensor__": _decode_tensor, "__tuple__": _decode_tuple,
             "__items__": _decode_items, "__float__": _decode_float}


def _field_error(where, problem):
    return CheckpointError(f"field '{where or '(top level)'}' {problem}")


def _join(where, key):
    return f"{where}.{key}" if where else key


def shown(value):
    """A short, one-line account of ``value`` for a message."""
    if isinstance(value, Tensor):
        return f"a tensor of shape {tuple(value.shape)}"
    if isinstance(value, (dict, list, tuple)):
        return f"a {type(value).__name__}"
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."
