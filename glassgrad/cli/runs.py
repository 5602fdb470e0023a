"""Run folders from the command's side: making one (claimed, locked, cleared), writing its
JSON, and loading a finished run for predict and evaluate. What the folder holds, and how its
files are read back safely, is ``glassgrad.train.run_folder``."""

import contextlib
import json
import os
import shutil

from .._atomic import atomic_write
from ..train.run_folder import (
    CONFIG,
    LOCK,
    MODEL,
    PREPROCESSING,
    RUN_FILES,
    inside_run,
    read_config,
)
from . import UsageError

__all__ = ["build_mlp", "claim_run_dir", "check_output_folder", "run_folder_lock", "clear_run",
           "write_json", "load_run"]


def build_mlp(n_inputs, hidden, n_outputs, activation="relu", dropout=0.0):
    from ..models import mlp

    return mlp(n_inputs, hidden, n_outputs, activation, dropout)


def default_run_dir(data):
    """``runs/<data name>-<n>``: the first number not yet taken (see ``claim_run_dir``)."""
    stem = _run_stem(data)
    n = 1
    while os.path.exists(os.path.join("runs", f"{stem}-{n}")):
        n += 1
    return os.path.join("runs", f"{stem}-{n}")


def claim_run_dir(data):
    """Create and return ``runs/<data name>-<n>`` for the first free ``n``. The folder is made
    with ``os.mkdir``, which fails if it exists, so two runs started at once never share one."""
    stem = _run_stem(data)
    os.makedirs("runs", exist_ok=True)
    n = 1
    while True:
        folder = os.path.join("runs", f"{stem}-{n}")
        try:
            os.mkdir(folder)
            return folder
        except FileExistsError:
            n += 1


def _run_stem(data):
    return os.path.splitext(os.path.basename(data))[0] or "run"


def check_output_folder(folder, overwrite):
    """Refuse a folder that already holds a run (unless ``overwrite``), that is not a folder, or
    that lies under a file."""
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise UsageError(f"--out {folder} exists and is not a folder")
    parent = os.path.dirname(os.path.abspath(folder))
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        raise UsageError(f"--out {folder}: {parent} is a file, so no folder can be made under "
                         "it; choose another --out")
    if os.path.isdir(folder) and os.path.exists(os.path.join(folder, CONFIG)) and not overwrite:
        raise UsageError(f"{folder} already holds a run; choose another --out, or pass "
                         "--overwrite to replace it")


@contextlib.contextmanager
def run_folder_lock(folder):
    """Hold the run folder for one process: an exclusive ``flock`` on ``folder/.glassgrad.lock``
    for the ``with`` block (made and released by the kernel, so a killed process holds nothing).

    A second ``glassgrad train`` (or ``--resume``, or ``report``) on the same folder is refused
    at once, with the first one's process id. The lock file is opened without following a
    symlink, so a crafted run folder cannot make it truncate a file elsewhere.
    """
    import fcntl

    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, LOCK)
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError as error:
        raise UsageError(f"cannot lock run folder {folder}: {path}: {error.strerror}") from None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        other = os.read(descriptor, 32).decode("ascii", "replace").strip() or "unknown"
        os.close(descriptor)
        raise UsageError(f"run folder {folder} is in use by another glassgrad process (pid "
                         f"{other}); wait for it to finish, or choose another --out") from None
    try:
        os.ftruncate(descriptor, 0)
        os.write(descriptor, f"{os.getpid()}\n".encode())
        yield folder
    finally:
        os.close(descriptor)   # releases the lock


def clear_run(folder):
    """Remove the files of an earlier run from ``folder`` (only the files glassgrad writes; a
    symlink among them is removed itself, never followed)."""
    for name in RUN_FILES:
        path = os.path.join(folder, name)
        if os.path.islink(path) or os.path.isfile(path):
            os.remove(path)
        elif os.path.isdir(path):
            shutil.rmtree(path)


def write_json(path, value):
    """Write ``value`` as indented JSON, whole or not at all (``atomic_write``)."""
    with atomic_write(path) as handle:
        json.dump(value, handle, indent=2)
        handle.write("\n")


def load_run(folder):
    """``(config, model, preprocessor)`` of a finished run, the model in eval mode."""
    from ..serialization import load
    from ..tabular import TabularPreprocessor

    config = read_config(folder)
    for name in PREPROCESSING:
        inside_run(folder, name)
    preprocessor = TabularPreprocessor.load(folder)
    expected = (config["n_features"], config["n_outputs"], config["task"], config["target"])
    found = (preprocessor.n_features_out_, preprocessor.n_outputs_, preprocessor.task,
             preprocessor.target)
    if found != expected:
        raise UsageError(f"run folder {folder}: config.json (features, outputs, task, target "
                         f"= {expected}) and preprocessing.json ({found}) do not belong together")
    model = build_mlp(config["n_features"], config["hidden"], config["n_outputs"],
                      config["activation"], config["dropout"])
    weights = inside_run(folder, MODEL)
    if not os.path.isfile(weights):
        raise UsageError(f"{folder} has no {MODEL}: the run did not finish; resume it with "
                         f"`glassgrad train --resume {folder}`")
    try:
        model.load_state_dict(load(weights))
    except (RuntimeError, KeyError) as error:
        raise UsageError(f"run folder {folder}: cannot load {MODEL}: {error}") from None
    model.eval()
    return config, model, preprocessor
