"""Saving and loading state dicts as safetensors files (``glassgrad.save`` / ``glassgrad.load``).

A checkpoint is a flat mapping from names to tensors, ``model.state_dict()``, written in the
safetensors format by the ``safetensors`` library's NumPy API. The format holds raw array bytes
and a JSON header, nothing else, so loading a file never executes code (unlike ``torch.save``'s
pickles), and the files are read by PyTorch with ``safetensors.torch.load_file`` and vice versa.

``safetensors`` is imported inside the functions, so ``import glassgrad`` stays NumPy-only.
"""

import io
import os
from collections import OrderedDict
from collections.abc import Mapping

from ._atomic import atomic_write
from ._dtype import from_numpy_dtype
from .device import check_device
from .device import device as _device
from .tensor import Tensor

__all__ = ["save", "load"]

_WHAT_IS_SAVED = ("glassgrad.save stores a state dict: a mapping from str names to Tensors (e.g. "
                  "model.state_dict()), plus optional metadata={str: str}. It writes tensors "
                  "only (safetensors format) and never pickles other Python objects")


def save(obj, f, *, metadata=None):
    """Save a state dict (names -> tensors) to ``f`` in the safetensors format.

    Each tensor is stored as its own dense, row-major copy of the values: a transposed or sliced
    tensor is made contiguous first, and two entries that share memory become two separate
    entries. Saving to a path is atomic: the bytes go to a temporary file in the same folder,
    which is flushed, fsync'ed and then renamed over ``f`` (``os.replace``), so an interrupted
    save leaves the previous checkpoint intact and no temporary file behind. Writing to a file
    object writes the bytes at its current position, with no such guarantee.

    Args:
        obj: a mapping from str to Tensor, such as ``model.state_dict()``. Anything else (an
            optimizer state dict, nested dicts, numbers, strings) raises a TypeError.
        f: a path (str or os.PathLike) or a binary file object opened for writing.
        metadata: optional dict of str to str stored in the file header (for example a
            description or the training step); read it with ``safetensors.safe_open``.

    Example:
        >>> model = glassgrad.nn.Linear(4, 2)
        >>> glassgrad.save(model.state_dict(), "model.safetensors")
        >>> model.load_state_dict(glassgrad.load("model.safetensors"))
    """
    arrays = _to_arrays(obj)
    metadata = _check_metadata(metadata)
    if isinstance(f, (str, os.PathLike)):
        _atomic_save_file(arrays, os.fspath(f), metadata)
    elif hasattr(f, "write"):
        from safetensors.numpy import save as save_bytes

        data = save_bytes(arrays, metadata=metadata)
        try:
            f.write(data)
        except TypeError as error:
            raise TypeError("glassgrad.save writes bytes: open the file in binary mode "
                            f"('wb'), got {error}") from error
    else:
        raise TypeError("glassgrad.save: f must be a path (str or os.PathLike) or a binary file "
                        f"object, not {type(f).__name__}")


def load(f, map_location=None, weights_only=True):
    """Load a state dict saved by ``glassgrad.save`` or by ``safetensors.torch.save_file``.

    Loading never executes code: the safetensors format holds only array bytes and a JSON
    header, and glassgrad never unpickles. A ``torch.save`` pickle file, a truncated or corrupt
    file, or a tensor whose dtype glassgrad lacks (e.g. bfloat16) raises a RuntimeError saying
    which file and why. Values, shapes and dtypes (float16/32/64, int8/16/32/64, uint8, bool) are
    kept. The keys come back sorted by name, not in the order they were saved: safetensors does
    not record insertion order. ``load_state_dict`` matches by name, so this does not matter.

    Args:
        f: a path (str or os.PathLike) or a binary file object opened for reading (read from
            its current position to the end).
        map_location: None, ``'cpu'`` or ``glassgrad.device('cpu')``; glassgrad has no other
            device, so anything else raises a RuntimeError.
        weights_only: accepted for compatibility with ``torch.load``; loading is always
            weights-only here, whatever its value.

    Returns:
        An OrderedDict from str to Tensor (each owning its own writable memory).

    Example:
        >>> glassgrad.save({"w": glassgrad.ones(2, 3)}, "w.safetensors")
        >>> glassgrad.load("w.safetensors")["w"].shape
        glassgrad.Size([2, 3])
    """
    _check_map_location(map_location)
    if not isinstance(weights_only, bool):
        raise TypeError(f"weights_only must be a bool, not {type(weights_only).__name__}")
    name, data = _read(f)
    arrays = _parse(name, data)
    state = OrderedDict()
    for key in sorted(arrays):
        array = arrays[key]
        try:
            from_numpy_dtype(array.dtype)
        except TypeError:
            raise RuntimeError(f"{name} is not a valid glassgrad/safetensors checkpoint: tensor "
                               f"{key!r} has dtype {array.dtype}, which glassgrad does not "
                               "support") from None
        if not array.flags.writeable:
            array = array.copy()
        state[key] = Tensor._make(array)
    return state


def _to_arrays(obj):
    """The NumPy arrays to write: a C-contiguous array per name (a copy when it is a view)."""
    if not isinstance(obj, Mapping):
        raise TypeError(f"{_WHAT_IS_SAVED}; got {type(obj).__name__}.")
    arrays = {}
    for name, value in obj.items():
        if not isinstance(name, str):
            raise TypeError(f"{_WHAT_IS_SAVED}; got a key of type {type(name).__name__} "
                            f"({name!r}).")
        if not isinstance(value, Tensor):
            raise TypeError(f"{_WHAT_IS_SAVED}; got {type(value).__name__} for key {name!r}.")
        array = value._data
        # Not np.ascontiguousarray: it turns a 0-d array into shape (1,).
        arrays[name] = array if array.flags.c_contiguous else array.copy(order="C")
    return arrays


def _check_metadata(metadata):
    if metadata is None:
        return None
    if not isinstance(metadata, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise TypeError("metadata must be a dict of str to str (the safetensors header holds "
                        f"text only), got {metadata!r}")
    return dict(metadata)


def _atomic_save_file(arrays, path, metadata):
    """Write to a temporary file next to ``path``, fsync it, then rename it over ``path``."""
    from safetensors.numpy import save as save_bytes

    data = save_bytes(arrays, metadata=metadata)
    with atomic_write(path, "wb") as handle:
        handle.write(data)


def _check_map_location(map_location):
    if map_location is None:
        return
    if not isinstance(map_location, (str, int, _device)) and not hasattr(map_location, "type"):
        raise TypeError("glassgrad.load: map_location must be None, 'cpu' or "
                        f"glassgrad.device('cpu'), not {type(map_location).__name__}")
    check_device(map_location)


def _read(f):
    """A name for messages and the raw bytes of ``f``."""
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        with open(path, "rb") as handle:
            return f"'{path}'", handle.read()
    if not hasattr(f, "read"):
        raise TypeError("glassgrad.load: f must be a path (str or os.PathLike) or a binary file "
                        f"object, not {type(f).__name__}")
    if isinstance(f, io.TextIOBase):
        raise TypeError("glassgrad.load reads bytes: open the file in binary mode ('rb')")
    data = f.read()
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("glassgrad.load reads bytes: open the file in binary mode ('rb'), got "
                        f"{type(data).__name__} from read()")
    name = getattr(f, "name", None)
    return (f"'{name}'" if isinstance(name, str) else f"the {type(f).__name__}"), bytes(data)


def _parse(name, data):
    """The arrays of a safetensors file's bytes, or a RuntimeError that says what is wrong."""
    from safetensors.numpy import load as load_bytes

    try:
        return load_bytes(data)
    except KeyError as error:  # a dtype NumPy has no type for, such as BF16 or F8
        reason = f"tensor dtype {error.args[0]} is not supported by glassgrad (NumPy)"
        cause = error
    except Exception as error:  # SafetensorError and friends: header too small, incomplete, ...
        reason = str(error)
        cause = error
    if not data:
        reason = "the file is empty"
    elif data[:4] == b"PK\x03\x04" or data[:1] == b"\x80":
        reason = ("it is a torch.save (zip/pickle) file, and glassgrad never unpickles, since "
                  "unpickling can run arbitrary code. Convert it once in PyTorch with "
                  "safetensors.torch.save_file(state_dict, 'model.safetensors')")
    raise RuntimeError(f"{name} is not a valid glassgrad/safetensors checkpoint: "
                       f"{reason}") from cause
