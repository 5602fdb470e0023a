"""Training checkpoints: tensors in a safetensors file, everything else in a small JSON beside it.

A checkpoint is a nested dict: the model's state dict, the optimizer's and scheduler's state
dicts, the random generator's state, the epoch and step, the callbacks' states and the History.
``save_checkpoint`` splits it in two: every tensor (and NumPy array) goes into
``<name>.safetensors`` under its path in the dict (``model.0.weight``,
``optimizer.state.0.exp_avg``), and the rest, with each tensor replaced by a reference to its
entry, into ``<name>.json``. Tuples, dicts with int keys and non-finite floats are encoded so
that ``load_checkpoint`` gives back exactly what was saved: a resumed run continues bit for bit.

Both files are written atomically (temporary file, then rename), tensors first; nothing is ever
unpickled on load.

Example:
    >>> save_checkpoint("runs/a/checkpoints/last", {"model": model.state_dict(), "epoch": 3})
    >>> load_checkpoint("runs/a/checkpoints/last")["epoch"]
    3
"""

import json
import math
import os

import numpy as np

from ..serialization import load as load_tensors
from ..serialization import save as save_tensors
from ..tensor import Tensor

__all__ = ["save_checkpoint", "load_checkpoint", "checkpoint_paths", "CheckpointError"]


class CheckpointError(RuntimeError):
    """A checkpoint that is missing, incomplete or unreadable."""


def checkpoint_paths(path):
    """The (tensors, json) file paths of the checkpoint named ``path`` (suffix optional)."""
    path = os.fspath(path)
    for suffix in (".safetensors", ".json"):
        if path.endswith(suffix):
            path = path[:-len(suffix)]
    return f"{path}.safetensors", f"{path}.json"


def save_checkpoint(path, checkpoint):
    """Save a nested dict of tensors, numbers, strings, lists and dicts as a checkpoint."""
    tensors = {}
    document = _encode(checkpoint, "", tensors)
    tensor_path, json_path = checkpoint_paths(path)
    os.makedirs(os.path.dirname(tensor_path) or ".", exist_ok=True)
    save_tensors(tensors, tensor_path)
    temporary = f"{json_path}.tmp"
    with open(temporary, "w") as handle:
        json.dump({"format": "glassgrad-checkpoint-1", "state": document}, handle)
    os.replace(temporary, json_path)
    return tensor_path, json_path


def load_checkpoint(path):
    """Load a checkpoint written by ``save_checkpoint``; tensors come back as Tensors."""
    tensor_path, json_path = checkpoint_paths(path)
    for file in (json_path, tensor_path):
        if not os.path.isfile(file):
            raise CheckpointError(f"checkpoint {os.fspath(path)!r} is incomplete: {file} "
                                  "does not exist")
    try:
        with open(json_path) as handle:
            document = json.load(handle)
        tensors = load_tensors(tensor_path)
    except (ValueError, RuntimeError, OSError) as error:
        raise CheckpointError(f"cannot read checkpoint {os.fspath(path)!r}: {error}") from error
    if not isinstance(document, dict) or document.get("format") != "glassgrad-checkpoint-1":
        raise CheckpointError(f"{json_path} is not a glassgrad checkpoint")
    return _decode(document["state"], tensors)


def _encode(value, where, tensors):
    """A JSON-ready copy of ``value``; tensors are moved into ``tensors`` by their path."""
    if isinstance(value, (Tensor, np.ndarray)):
        tensors[where] = value if isinstance(value, Tensor) else Tensor._make(value)
        return {"__tensor__": where}
    if isinstance(value, dict):
        if all(isinstance(key, str) for key in value):
            return {key: _encode(item, _join(where, key), tensors) for key, item in value.items()}
        return {"__items__": [[_encode(key, "", {}), _encode(item, _join(where, str(key)),
                                                             tensors)]
                              for key, item in value.items()]}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(item, _join(where, str(i)), tensors)
                              for i, item in enumerate(value)]}
    if isinstance(value, list):
        return [_encode(item, _join(where, str(i)), tensors) for i, item in enumerate(value)]
    if isinstance(value, (np.generic,)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return {"__float__": repr(value)}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot save {type(value).__name__} at {where or 'the top level'} in a "
                    "checkpoint: only tensors, arrays, numbers, strings, None, lists, tuples "
                    "and dicts are stored")


def _decode(value, tensors):
    if isinstance(value, list):
        return [_decode(item, tensors) for item in value]
    if not isinstance(value, dict):
        return value
    if "__tensor__" in value:
        return tensors[value["__tensor__"]]
    if "__tuple__" in value:
        return tuple(_decode(item, tensors) for item in value["__tuple__"])
    if "__items__" in value:
        return {_decode(key, tensors): _decode(item, tensors) for key, item in value["__items__"]}
    if "__float__" in value:
        return float(value["__float__"])
    return {key: _decode(item, tensors) for key, item in value.items()}


def _join(where, key):
    return f"{where}.{key}" if where else key
