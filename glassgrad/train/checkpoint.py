"""Training checkpoints: a manifest that names one complete generation of tensors and state.

A checkpoint is a nested dict: the model's state dict, the optimizer's and scheduler's state
dicts, the random generator's state, the epoch and step, the callbacks' states and the History.
``save_checkpoint`` splits it in two: every tensor (and NumPy array) goes into a safetensors
file under its path in the dict (``model.0.weight``, ``optimizer.state.0.exp_avg``), and the
rest, with each tensor replaced by a reference to its entry, into a JSON file. The checkpoint
named ``runs/a/checkpoints/last`` is three files in that folder::

    last.json               the manifest: {"format": "glassgrad-checkpoint-2", "generation": 7,
                            "tensors": "last.gen7.safetensors", "state": "last.gen7.json"}
    last.gen7.safetensors   the tensors
    last.gen7.json          {"format": "glassgrad-checkpoint-state-2", "generation": 7,
                            "state": {"epoch": 3, "model": {"0.weight": {"__tensor__":
                            "model.0.weight"}, ...}, ...}}

The two data files change as one. A save writes generation 8 beside 7 under new names, each file
flushed and fsync'ed, then the new manifest as ``last.gen8.tmp``, and switches it over
``last.json`` with one ``os.replace``; only then are generation 7's files removed. If the save
fails (a full disk, Ctrl-C), generation 8's files are removed and generation 7 is untouched; a
process killed at any moment leaves a manifest naming a complete generation, and the next save
removes whatever the killed one left. Names ending in ``.gen<number>`` are therefore reserved.

In the JSON, values that JSON lacks are one-key objects (markers, ``_checkpoint_codec``):
``{"__tensor__": name}``, ``{"__tuple__": [...]}``, ``{"__items__": [[key, value], ...]}`` and
``{"__float__": "inf"}``, so that ``load_checkpoint`` gives back exactly what was saved: a
resumed run continues bit for bit.

Everything read is untrusted. Nothing is unpickled; the manifest may name only plain file names
that resolve inside its own folder; each marker must be one of the four above, and each tensor
reference must name a tensor of the file. What the fields mean is checked by their owners (the
Trainer's ``_trainer_state``, ``ModelCheckpoint``) with ``glassgrad._schema``. A bad checkpoint
raises one ``CheckpointError`` line, such as
``checkpoint runs/a/checkpoints/last: field 'epoch' must be an integer >= 0, got 'three'``.

Checkpoints of the first format (``last.json`` holding the state, beside ``last.safetensors``)
still load; saving over one replaces it.

Example:
    >>> save_checkpoint("runs/a/checkpoints/last", {"model": model.state_dict(), "epoch": 3})
    >>> load_checkpoint("runs/a/checkpoints/last")["epoch"]
    3
"""

import json
import os
import re

from .._atomic import fsync_folder, remove_quietly
from .._schema import POSITIVE_INT, TEXT, check_document
from ..serialization import load as load_tensors
from ..serialization import save as save_tensors
from ._checkpoint_codec import CheckpointError, decode, encode, shown

__all__ = ["save_checkpoint", "load_checkpoint", "checkpoint_paths", "remove_checkpoint",
           "checkpoint_name", "is_plain_name", "CheckpointError", "CheckpointState"]

MANIFEST_FORMAT = "glassgrad-checkpoint-2"
STATE_FORMAT = "glassgrad-checkpoint-state-2"
FIRST_FORMAT = "glassgrad-checkpoint-1"
_MANIFEST = {"format": TEXT, "generation": POSITIVE_INT, "tensors": TEXT, "state": TEXT}
_RESERVED = re.compile(r".*\.gen\d+")
_READ_ERRORS = (ValueError, OSError, RecursionError)


class CheckpointState(dict):
    """The dict ``load_checkpoint`` returns; ``source`` names the checkpoint, for messages."""

    source = None


# ---------------------------------------------------------------------- files and names
def _split(path):
    """(folder, name) of the checkpoint named ``path`` (suffix .json / .safetensors optional)."""
    path = os.fspath(path)
    for suffix in (".safetensors", ".json"):
        if path.endswith(suffix):
            path = path[:-len(suffix)]
            break
    folder, name = os.path.split(path)
    if not name or _RESERVED.fullmatch(name):
        raise ValueError(f"{path!r} cannot name a checkpoint: a checkpoint needs a file name, "
                         "and names ending in .gen<number> are kept for its generations' files")
    return folder or ".", name


def _source(folder, name):
    """The checkpoint as messages name it."""
    return name if folder == "." else os.path.join(folder, name)


def _generation_names(name, generation):
    """The files of one generation: (tensors, state, the manifest before its switch)."""
    stem = f"{name}.gen{generation}"
    return f"{stem}.safetensors", f"{stem}.json", f"{stem}.tmp"


def _generations(folder, name):
    """{generation: [file names]} for every generation file of ``name`` in ``folder``."""
    pattern = re.compile(re.escape(name) + r"\.gen(\d{1,18})\.(safetensors|json|tmp)")
    found = {}
    for entry in os.listdir(folder) if os.path.isdir(folder) else ():
        match = pattern.fullmatch(entry)
        if match:
            found.setdefault(int(match[1]), []).append(entry)
    return found


def is_plain_name(name):
    """Whether ``name`` is a file name with no folder part: no ``/``, ``\\``, ``..`` or NUL."""
    return (isinstance(name, str) and name not in ("", ".") and ".." not in name
            and not any(character in name for character in "/\\\0")
            and not os.path.isabs(name))


def _resolves_inside(folder, name):
    """Whether ``folder/name`` is, after following every symlink, directly inside ``folder``."""
    real = os.path.realpath(os.path.join(folder, name))
    return os.path.dirname(real) == os.path.realpath(folder)


def _inside(folder, name, field):
    """``folder/name`` for a plain ``name`` that resolves inside ``folder``, else the error."""
    if not is_plain_name(name):
        raise CheckpointError(f"field '{field}' must be a plain file name in the checkpoint's "
                              f"folder (no folder part, '..' or NUL), got {shown(name)}")
    if not _resolves_inside(folder, name):
        raise CheckpointError(f"field '{field}' names {name!r}, which leads out of {folder} "
                              "(a symlink); a checkpoint only uses files of its folder")
    return os.path.join(folder, name)


def checkpoint_name(folder, name, field):
    """The path of checkpoint ``name`` in ``folder``, for a name read from a checkpoint: a plain
    file name (no folder part, ``..`` or NUL) whose files do not lead out of ``folder``; else a
    CheckpointError that names ``field``."""
    _inside(folder, name, field)
    if _RESERVED.fullmatch(name):
        raise CheckpointError(f"field '{field}' must name a checkpoint, got the file {name!r}")
    for file in (f"{name}.json", f"{name}.safetensors"):
        if not _resolves_inside(folder, file):
            raise CheckpointError(f"field '{field}' names {name!r}, whose {file} leads out of "
                                  f"{folder} (a symlink)")
    return os.path.join(folder, name)


def checkpoint_paths(path):
    """The files that make up the checkpoint named ``path``: its manifest ``<name>.json``
    first, then the tensors and state files the manifest names (a first-format checkpoint:
    ``<name>.safetensors``). A checkpoint not saved yet is only its manifest's path, so
    ``all(os.path.isfile(p) for p in checkpoint_paths(path))`` says whether it is complete.
    Raises CheckpointError when the manifest exists but is unreadable or names a file outside
    its folder."""
    folder, name = _split(path)
    manifest = os.path.join(folder, f"{name}.json")
    if not os.path.isfile(manifest):
        return (manifest,)
    source = _source(folder, name)
    files = _data_files(folder, name, _read_manifest(folder, name, source), source)
    return (manifest, *(file for file in files if file is not None))


def _read_manifest(folder, name, source):
    """The manifest's JSON document (the manifest must not lead out of its folder)."""
    if not _resolves_inside(folder, f"{name}.json"):
        raise CheckpointError(f"checkpoint {source}: {name}.json leads out of {folder} (a "
                              "symlink); a checkpoint only uses files of its folder")
    return _read_json(os.path.join(folder, f"{name}.json"), source)


def _data_files(folder, name, document, source):
    """(tensors, state) paths named by a manifest; for the first format (tensors, None)."""
    if not isinstance(document, dict) or document.get("format") not in (MANIFEST_FORMAT,
                                                                         FIRST_FORMAT):
        raise CheckpointError(f"checkpoint {source}: {name}.json is not a glassgrad checkpoint")
    where = f"checkpoint {source}: manifest {name}.json"
    if document["format"] == FIRST_FORMAT:
        files = {"tensors": f"{name}.safetensors"}
    else:
        check_document(document, _MANIFEST, where, CheckpointError)
        files = {"tensors": document["tensors"], "state": document["state"]}
    try:
        paths = [_inside(folder, file, field) for field, file in files.items()]
    except CheckpointError as error:
        raise CheckpointError(f"{where}: {error}") from None
    return paths[0], paths[1] if len(paths) > 1 else None


def _read_json(path, source):
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except _READ_ERRORS as error:
        raise CheckpointError(f"cannot read checkpoint {source}: {os.path.basename(path)}: "
                              f"{error}") from error


# ---------------------------------------------------------------------- saving
def save_checkpoint(path, checkpoint):
    """Save a dict of tensors, numbers, strings, None, lists, tuples and dicts as a checkpoint.

    Returns the paths of its files (manifest, tensors, state). Either the whole new checkpoint
    is saved, or (an exception) the previous one is left as it was.
    """
    if not isinstance(checkpoint, dict):
        raise TypeError(f"a checkpoint is a dict, not {type(checkpoint).__name__}")
    tensors = {}
    document = encode(checkpoint, "", tensors)
    folder, name = _split(path)
    os.makedirs(folder, exist_ok=True)
    generation = 1 + max(_generations(folder, name), default=0)
    tensors_file, state_file, _ = _generation_names(name, generation)
    created = []
    try:
        _write_tensors(os.path.join(folder, tensors_file), tensors, created)
        _write_state(os.path.join(folder, state_file),
                     {"format": STATE_FORMAT, "generation": generation, "state": document},
                     created)
        _switch_manifest(folder, name, generation, created)
    except BaseException:
        if _live_generation(folder, name) != generation:   # (else the switch happened)
            for path in created:
                remove_quietly(path)
        raise
    _remove_other_generations(folder, name, keep=generation)
    return tuple(os.path.join(folder, file)
                 for file in (f"{name}.json", tensors_file, state_file))


def _write_new(path, write, created):
    """Create ``path`` (never over an existing file; noted in ``created``), fill it with
    ``write(handle)`` and fsync it."""
    with open(path, "xb") as handle:
        created.append(path)
        write(handle)
        handle.flush()
        os.fsync(handle.fileno())


def _write_tensors(path, tensors, created):
    _write_new(path, lambda handle: save_tensors(tensors, handle), created)


def _write_state(path, document, created):
    _write_new(path, lambda handle: handle.write(json.dumps(document).encode()), created)


def _switch_manifest(folder, name, generation, created):
    """Write the manifest naming ``generation`` and put it in place with one rename."""
    tensors_file, state_file, temporary = _generation_names(name, generation)
    manifest = {"format": MANIFEST_FORMAT, "generation": generation, "tensors": tensors_file,
                "state": state_file}
    temporary = os.path.join(folder, temporary)
    _write_new(temporary, lambda handle: handle.write(json.dumps(manifest).encode()), created)
    fsync_folder(folder)   # the new files' names are on disk before the manifest names them
    os.replace(temporary, os.path.join(folder, f"{name}.json"))
    fsync_folder(folder)


def _live_generation(folder, name):
    """The generation the manifest names now (None: none, or not readable)."""
    try:
        with open(os.path.join(folder, f"{name}.json"), encoding="utf-8") as handle:
            document = json.load(handle)
        return document.get("generation") if isinstance(document, dict) else None
    except _READ_ERRORS:
        return None


def _remove_other_generations(folder, name, keep):
    """After the switch: every other generation's files (and first-format tensors) go."""
    stale = [file for generation, files in _generations(folder, name).items()
             if generation != keep for file in files]
    for file in [*stale, f"{name}.safetensors"]:
        try:
            _remove_inside(folder, file)
        except OSError:
            pass   # the new checkpoint is saved; the next save tries again


def _remove_inside(folder, file):
    """Remove ``folder/file`` if it exists and (symlinks followed) lies inside ``folder``."""
    if is_plain_name(file) and _resolves_inside(folder, file):
        remove_quietly(os.path.join(folder, file))


def remove_checkpoint(path):
    """Remove every file of the checkpoint named ``path``: the manifest first (from then on the
    checkpoint no longer exists), then its generations. Only files of that checkpoint directly
    inside its folder, resolving there, are ever touched."""
    folder, name = _split(path)
    _remove_inside(folder, f"{name}.json")
    _remove_other_generations(folder, name, keep=None)


# ---------------------------------------------------------------------- loading
def load_checkpoint(path):
    """Load a checkpoint written by ``save_checkpoint``: a ``CheckpointState`` (a dict) whose
    tensors are Tensors. Raises CheckpointError for a missing, incomplete or bad checkpoint."""
    folder, name = _split(path)
    source = _source(folder, name)
    if not os.path.isfile(os.path.join(folder, f"{name}.json")):
        raise CheckpointError(f"checkpoint {source} does not exist: no {name}.json in {folder}")
    document = _read_manifest(folder, name, source)
    tensors_path, state_path = _data_files(folder, name, document, source)
    if state_path is not None:
        document = _read_state(state_path, document["generation"], source)
    if not os.path.isfile(tensors_path):
        raise CheckpointError(f"checkpoint {source} is incomplete: "
                              f"{os.path.basename(tensors_path)} does not exist")
    try:
        tensors = load_tensors(tensors_path)
    except (RuntimeError, OSError) as error:
        raise CheckpointError(f"cannot read checkpoint {source}: {error}") from error
    state = document.get("state")
    if not isinstance(state, dict):
        raise CheckpointError(f"checkpoint {source}: the state must be an object, got "
                              f"{shown(state)}")
    try:
        state = CheckpointState(decode(state, tensors, ""))
    except CheckpointError as error:
        raise CheckpointError(f"checkpoint {source}: {error}") from None
    except RecursionError as error:
        raise CheckpointError(f"checkpoint {source}: the state is nested too deeply") from error
    state.source = source
    return state


def _read_state(path, generation, source):
    """The state file's document, which must belong to the manifest's generation."""
    document = _read_json(path, source)
    if (not isinstance(document, dict) or document.get("format") != STATE_FORMAT
            or document.get("generation") != generation):
        raise CheckpointError(f"checkpoint {source}: {os.path.basename(path)} is not the state "
                              f"of generation {generation}")
    return document
