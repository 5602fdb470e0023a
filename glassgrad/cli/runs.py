"""Run folders: what ``glassgrad train`` writes, and how predict/evaluate read it back.

    runs/<name>/
        config.json                      the command's settings, the data and the model's shape
        model.safetensors                the final weights (the best epoch's, with early stopping)
        preprocessing.skops / .json      the fitted scikit-learn ColumnTransformer and targets
        metrics.csv                      every step and epoch (History)
        results.json                     the test metrics and how training ended
        test_predictions.csv             true and predicted target of every test row
        weights.safetensors              weight and gradient snapshots per epoch (WeightMonitor)
        report.html, plotly.min.js       the report (glassgrad report rebuilds it)
        checkpoints/last.*, best.*       training state to resume from
"""

import json
import os
import shutil

from . import UsageError

CONFIG = "config.json"
MODEL = "model.safetensors"
RESULTS = "results.json"
_RUN_FILES = (CONFIG, MODEL, RESULTS, "metrics.csv", "preprocessing.skops", "preprocessing.json",
              "report.html", "plotly.min.js", "weights.safetensors", "test_predictions.csv",
              "checkpoints")

def build_mlp(n_inputs, hidden, n_outputs, activation="relu", dropout=0.0):
    from ..models import mlp

    return mlp(n_inputs, hidden, n_outputs, activation, dropout)


def default_run_dir(data):
    """``runs/<data name>-<n>``: the first number not yet taken."""
    stem = os.path.splitext(os.path.basename(data))[0] or "run"
    n = 1
    while os.path.exists(os.path.join("runs", f"{stem}-{n}")):
        n += 1
    return os.path.join("runs", f"{stem}-{n}")


def check_output_folder(folder, overwrite):
    """Refuse a folder that already holds a run (unless ``overwrite``) or is not a folder."""
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise UsageError(f"--out {folder} exists and is not a folder")
    if os.path.isdir(folder) and os.path.exists(os.path.join(folder, CONFIG)) and not overwrite:
        raise UsageError(f"{folder} already holds a run; choose another --out, or pass "
                         "--overwrite to replace it")


def clear_run(folder):
    """Remove the files of an earlier run from ``folder`` (only the files glassgrad writes)."""
    for name in _RUN_FILES:
        path = os.path.join(folder, name)
        if os.path.isdir(path):
            shutil.rmtree(path)
        elif os.path.exists(path):
            os.remove(path)


def write_json(path, value):
    temporary = f"{path}.tmp"
    with open(temporary, "w") as handle:
        json.dump(value, handle, indent=2)
        handle.write("\n")
    os.replace(temporary, path)


def read_config(folder):
    path = os.path.join(folder, CONFIG)
    if not os.path.isdir(folder):
        raise UsageError(f"run folder {folder} does not exist")
    if not os.path.isfile(path):
        raise UsageError(f"{folder} is not a glassgrad run folder (no {CONFIG}); runs are "
                         "created by `glassgrad train`")
    try:
        with open(path) as handle:
            return json.load(handle)
    except (OSError, ValueError) as error:
        raise UsageError(f"cannot read {path}: {error}") from error


def load_run(folder):
    """``(config, model, preprocessor)`` of a finished run, the model in eval mode."""
    from ..serialization import load
    from ..tabular import TabularPreprocessor

    config = read_config(folder)
    preprocessor = TabularPreprocessor.load(folder)
    model = build_mlp(config["n_features"], config["hidden"], config["n_outputs"],
                      config["activation"], config.get("dropout", 0.0))
    weights = os.path.join(folder, MODEL)
    if not os.path.isfile(weights):
        raise UsageError(f"{folder} has no {MODEL}: the run did not finish; resume it with "
                         f"`glassgrad train --resume {folder}`")
    try:
        model.load_state_dict(load(weights))
    except (RuntimeError, KeyError) as error:
        raise UsageError(f"cannot load {weights}: {error}") from error
    model.eval()
    return config, model, preprocessor
