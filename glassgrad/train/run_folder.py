"""A run folder: the files ``glassgrad train`` writes, their names, and how they are read back.

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

Every one of these names is written here once: ``RunFolder(folder)`` gives the path of each file
(``RunFolder("runs/a").metrics`` is ``runs/a/metrics.csv``), and the CLI, the Trainer's callbacks
(``ModelCheckpoint``, ``CSVLogger``, ``WeightMonitor``) and the report all ask it.

A run folder may come from someone else, so reading one trusts nothing in it: every file is
looked up by the fixed names above and refused if it resolves outside the folder (a symlink
out), and each JSON file is checked against the fields glassgrad reads (``CONFIG_SCHEMA``,
``RESULTS_SCHEMA``) before a value is used. A problem is a ``RunFolderError`` with one line
naming the folder, the file and the field.

Example:
    >>> RunFolder("runs/digits-1").checkpoint("last")
    'runs/digits-1/checkpoints/last'
    >>> config = read_config("runs/digits-1")
    >>> config["hidden"]
    [128, 64]
"""

import json
import os

from .._schema import (
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

__all__ = ["RunFolder", "RunFolderError", "CONFIG", "MODEL", "RESULTS", "METRICS", "WEIGHTS",
           "PREDICTIONS", "REPORT", "PLOTLY", "PREPROCESSING", "CHECKPOINTS", "LOCK",
           "RUN_FILES", "CONFIG_SCHEMA", "RESULTS_SCHEMA", "inside_run", "read_config",
           "read_results", "read_run_json"]

CONFIG = "config.json"
MODEL = "model.safetensors"
RESULTS = "results.json"
METRICS = "metrics.csv"
WEIGHTS = "weights.safetensors"
PREDICTIONS = "test_predictions.csv"
REPORT = "report.html"
PLOTLY = "plotly.min.js"
PREPROCESSING = ("preprocessing.json", "preprocessing.skops")
CHECKPOINTS = "checkpoints"
LOCK = ".glassgrad.lock"
RUN_FILES = (CONFIG, MODEL, RESULTS, METRICS, *PREPROCESSING, REPORT, PLOTLY, WEIGHTS,
             PREDICTIONS, CHECKPOINTS)

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


def _file(name):
    """A RunFolder property: the path of the file ``name`` in the folder."""
    return property(lambda self: self.path(name), doc=f"``root/{name}``")


class RunFolder:
    """The paths of one run folder's files, each under the one name glassgrad gives it.

    Args:
        root: the run folder.

    Example:
        >>> run = RunFolder("runs/digits-1")
        >>> run.metrics, run.checkpoint("interrupted")
        ('runs/digits-1/metrics.csv', 'runs/digits-1/checkpoints/interrupted')
    """

    INTERRUPTED = "interrupted"   # the checkpoint Ctrl-C saves
    LAST = "last"                 # the checkpoint of the last finished epoch

    def __init__(self, root):
        self.root = os.fspath(root)

    def path(self, name):
        """``root/name``, for a file glassgrad writes."""
        return os.path.join(self.root, name)

    def inside(self, name):
        """``root/name``, refused if it resolves outside the folder (for a file to read)."""
        return inside_run(self.root, name)

    config = _file(CONFIG)
    model = _file(MODEL)
    results = _file(RESULTS)
    metrics = _file(METRICS)
    weights = _file(WEIGHTS)
    predictions = _file(PREDICTIONS)
    report = _file(REPORT)
    lock = _file(LOCK)

    @property
    def checkpoints(self):
        """The folder of the checkpoints (``ModelCheckpoint``'s default ``dirpath``)."""
        return self.path(CHECKPOINTS)

    def checkpoint(self, name):
        """The path (without its ``.json`` / ``.safetensors``) of the checkpoint ``name``."""
        return os.path.join(self.checkpoints, name)

    def __fspath__(self):
        return self.root

    def __repr__(self):
        return f"RunFolder({self.root!r})"


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
