"""A run folder: the files ``glassgrad train`` writes, and how they are read back safely.

    runs/<name>/
        config.json                      the command's settings, the data and the model's shape
        model.safetensors                the final weights (the best epoch's, with early stopping)
        preprocessing.skops / .json      the fitted scikit-learn ColumnTransformer and targets
        metrics.csv                      every step and epoch (History)
        results.json                     the test metrics and how training ended
        test_predictions.csv             true and predicted target of every test row
        weights.safetensors              weight and gradient snapshots per epoch (WeightMonitor)
        report.html, plotly.min.js       the report (glassgrad report rebuilds it)
        checkpoints/                     training state to resume from (last, best, interrupted)
        .glassgrad.lock                  held by the process that trains in the folder

A run folder may come from someone else, so reading one trusts nothing in it: every file is
looked up by the fixed names above and refused if it resolves outside the folder (a symlink
out), and each JSON file is checked against the fields glassgrad reads (``CONFIG_SCHEMA``,
``RESULTS_SCHEMA``) before a value is used. A problem is a ``RunFolderError`` with one line
naming the folder, the file and the field.

Example:
    >>> config = read_config("runs/digits-1")
    >>> config["hidden"]
    [128, 64]
"""

import json
import os

from ._schema import (
    DICT,
    FINITE_NUMBER,
    NON_NEGATIVE_INT,
    POSITIVE_INT,
    TEXT,
    Kind,
    check_document,
    list_of,
    one_of,
    optional,
)

__all__ = ["RunFolderError", "CONFIG", "MODEL", "RESULTS", "METRICS", "RUN_FILES", "LOCK",
           "CONFIG_SCHEMA", "RESULTS_SCHEMA", "inside_run", "read_config", "read_results",
           "read_run_json"]

CONFIG = "config.json"
MODEL = "model.safetensors"
RESULTS = "results.json"
METRICS = "metrics.csv"
LOCK = ".glassgrad.lock"
RUN_FILES = (CONFIG, MODEL, RESULTS, METRICS, "preprocessing.skops", "preprocessing.json",
             "report.html", "plotly.min.js", "weights.safetensors", "test_predictions.csv",
             "checkpoints")

# the names of glassgrad.models.ACTIVATIONS / OPTIMIZERS (not imported: --help stays fast)
ACTIVATIONS = ("relu", "tanh", "sigmoid", "gelu", "silu", "elu", "leaky_relu", "identity")
OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop", "adagrad")
SCHEDULERS = ("none", "step", "cosine", "plateau", "onecycle")
TASKS = ("classification", "regression")


class RunFolderError(ValueError):
    """A run folder that is missing, incomplete, or holds a file glassgrad did not write."""


_PROBABILITY = Kind("a number in [0, 1)", lambda v: FINITE_NUMBER.test(v) and 0 <= v < 1)
_POSITIVE = Kind("a finite number > 0", lambda v: FINITE_NUMBER.test(v) and v > 0)
_NON_NEGATIVE = Kind("a finite number >= 0", lambda v: FINITE_NUMBER.test(v) and v >= 0)
_LEARNING_RATE = Kind("a finite number > 0 or 'auto'", lambda v: v == "auto" or _POSITIVE.test(v))
_METRICS = Kind("an object of finite numbers", lambda v: isinstance(v, dict) and all(
    isinstance(key, str) and FINITE_NUMBER.test(x) for key, x in v.items()))

# every field of config.json that predict, evaluate, report and --resume read
CONFIG_SCHEMA = {
    "settings": {"data": TEXT, "target": TEXT, "task": one_of(*TASKS),
                 "hidden": list_of(POSITIVE_INT), "activation": one_of(*ACTIVATIONS),
                 "dropout": _PROBABILITY, "epochs": POSITIVE_INT, "batch_size": POSITIVE_INT,
                 "lr": _LEARNING_RATE, "optimizer": one_of(*OPTIMIZERS),
                 "scheduler": one_of(*SCHEDULERS), "weight_decay": _NON_NEGATIVE,
                 "patience": NON_NEGATIVE_INT, "seed": NON_NEGATIVE_INT},
    "lr_used": _POSITIVE, "n_features": POSITIVE_INT, "n_outputs": POSITIVE_INT,
    "hidden": list_of(POSITIVE_INT), "activation": one_of(*ACTIVATIONS),
    "dropout": _PROBABILITY, "task": one_of(*TASKS), "target": TEXT, "created": TEXT,
    "rows": {"train": NON_NEGATIVE_INT, "val": NON_NEGATIVE_INT, "test": NON_NEGATIVE_INT},
    "preprocessing": DICT,
}
# every field of results.json that the report reads
RESULTS_SCHEMA = {
    "test": _METRICS, "epochs_run": NON_NEGATIVE_INT, "steps": NON_NEGATIVE_INT,
    "stopped_because": TEXT, "best_epoch": optional(POSITIVE_INT),
    "best_val_loss": optional(FINITE_NUMBER),
}


def inside_run(folder, name):
    """``folder/name``, refused if it resolves outside ``folder`` (a symlink out of the run)."""
    path = os.path.join(folder, name)
    root = os.path.realpath(folder)
    if os.path.commonpath([root, os.path.realpath(path)]) != root:
        raise RunFolderError(f"run folder {folder}: {name} points outside the run folder; "
                             "refusing to read or write it")
    return path


def read_config(folder):
    """The run's ``config.json``, checked against ``CONFIG_SCHEMA``."""
    if not os.path.isdir(folder):
        raise RunFolderError(f"run folder {folder} does not exist")
    if not os.path.isfile(os.path.join(folder, CONFIG)):
        raise RunFolderError(f"{folder} is not a glassgrad run folder (no {CONFIG}); runs are "
                             "created by `glassgrad train`")
    return read_run_json(folder, CONFIG, CONFIG_SCHEMA)


def read_results(folder):
    """The run's ``results.json`` (checked), or None for a run that has not finished."""
    if not os.path.isfile(os.path.join(folder, RESULTS)):
        return None
    return read_run_json(folder, RESULTS, RESULTS_SCHEMA)


def read_run_json(folder, name, schema):
    """A JSON file of the run folder, parsed and checked against ``schema``."""
    path = inside_run(folder, name)
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except (OSError, ValueError) as error:
        raise RunFolderError(f"run folder {folder}: cannot read {name}: {error}") from None
    return check_document(document, schema, f"run folder {folder}: {name}", RunFolderError)
