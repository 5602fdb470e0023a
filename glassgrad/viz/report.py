"""The run report: one HTML page that shows what a `glassgrad train` run did.

``build_report(run_dir)`` reads the run folder (config.json, results.json, metrics.csv,
weights.safetensors, test_predictions.csv, model.safetensors) and writes ``report.html`` beside
them, with plotly.js in the same folder so that the page opens offline:

- the run: data, task, model, optimizer, how training ended, and the test metrics;
- the curves: loss and metrics for training and validation, learning rate, gradient norms;
- the final metrics: a confusion matrix (classification) or predicted against true (regression);
- training health: per-layer gradient norms and update-to-weight ratios over the steps;
- weight and gradient histograms per layer over the epochs;
- for small MLPs, the network itself, its edges changing with the weights epoch by epoch.

``glassgrad train`` writes it at the end of every run; ``glassgrad report RUN`` rebuilds it.
"""

import html
import os

import numpy as np

from ..train.run_folder import (
    MODEL,
    PREDICTIONS,
    REPORT,
    RunFolderError,
    inside_run,
    read_config,
    read_results,
)
from ._io import write_page

__all__ = ["build_report", "confusion_figure", "prediction_figure"]

NETWORK_LIMIT = 24   # the widest layer drawn neuron by neuron in the network picture


def build_report(run_dir, path=None):
    """Write the report of the run in ``run_dir`` (to ``run_dir/report.html``); returns the path."""
    from ..train.history import History

    config = read_config(run_dir)
    results = read_results(run_dir) or {}
    try:
        history = History.from_run(run_dir)
    except ValueError as error:
        raise RunFolderError(f"run folder {run_dir}: {error}") from None
    sections = [("The run", _summary_html(config, results))]
    sections += _figures(run_dir, config, history)
    name = os.path.basename(os.path.abspath(run_dir))
    intro = (f"<code>{html.escape(name)}</code>: {html.escape(config['task'])} of "
             f"<code>{html.escape(str(config['target']))}</code> from "
             f"<code>{html.escape(str(config['settings']['data']))}</code>, "
             f"created {html.escape(config.get('created', ''))}.")
    return write_page(path or os.path.join(run_dir, REPORT), f"glassgrad run {name}",
                      sections, intro=intro)


def _figures(run_dir, config, history):
    from . import plot_health, plot_history, plot_network, plot_weights

    sections = []
    if history.epochs:
        sections.append(("Learning curves", plot_history(history)))
    predictions = inside_run(run_dir, PREDICTIONS)
    if os.path.exists(predictions):
        frame = _read_predictions(run_dir, predictions, config)
        figure = (confusion_figure(frame, config) if config["task"] == "classification"
                  else prediction_figure(frame, config))
        sections.append(("Test set", figure))
    if history.steps and any(key.startswith("grad_norm/") for key in history.steps[0]):
        sections.append(("Training health", plot_health(history)))
    if history.snapshots:
        sections.append(("Weights and gradients over the epochs", plot_weights(history)))
        widths = [config["n_features"], *config["hidden"], config["n_outputs"]]
        if max(widths) <= NETWORK_LIMIT:
            model = _load_model(run_dir, config)
            sections.append(("The network, epoch by epoch", plot_network(model, history)))
        else:
            sections.append(("The network", f"<p class='note'>The network picture is drawn for "
                             f"MLPs of at most {NETWORK_LIMIT} units per layer; this one has "
                             f"{' → '.join(map(str, widths))}. Try <code>glassgrad train "
                             "--data iris --hidden 8</code>.</p>"))
    return sections


def confusion_figure(frame, config):
    """A heat map of the test set's confusion matrix (rows: true class, columns: predicted)."""
    import plotly.graph_objects as go

    classes = [str(c) for c in config["preprocessing"]["classes"]]
    index = {label: i for i, label in enumerate(classes)}
    matrix = np.zeros((len(classes), len(classes)), dtype=int)
    for true, predicted in zip(frame["true"].astype(str), frame["predicted"].astype(str)):
        matrix[index[true], index[predicted]] += 1
    accuracy = np.trace(matrix) / max(matrix.sum(), 1)
    figure = go.Figure(go.Heatmap(z=matrix, x=classes, y=classes, colorscale="Blues",
                                  text=matrix, texttemplate="%{text}",
                                  hovertemplate="true %{y}, predicted %{x}: %{z}<extra></extra>"))
    figure.update_layout(title=f"Confusion matrix on the test set (accuracy {accuracy:.3f})",
                         xaxis_title="predicted class", yaxis_title="true class",
                         yaxis_autorange="reversed", height=520, width=620)
    return figure


def prediction_figure(frame, config):
    """Predicted against true values on the test set, with the line of perfect predictions."""
    import plotly.graph_objects as go

    true, predicted = frame["true"].to_numpy(float), frame["predicted"].to_numpy(float)
    low, high = float(min(true.min(), predicted.min())), float(max(true.max(), predicted.max()))
    r2 = 1 - np.sum((predicted - true) ** 2) / max(np.sum((true - true.mean()) ** 2), 1e-12)
    figure = go.Figure([
        go.Scatter(x=true, y=predicted, mode="markers", name="test rows",
                   marker={"size": 7, "opacity": 0.7}),
        go.Scatter(x=[low, high], y=[low, high], mode="lines", name="perfect",
                   line={"dash": "dash", "color": "gray"}),
    ])
    figure.update_layout(title=f"Predicted against true {config['target']} (R² {r2:.3f})",
                         xaxis_title=f"true {config['target']}",
                         yaxis_title=f"predicted {config['target']}", height=520, width=620)
    return figure


def _summary_html(config, results):
    settings = config["settings"]
    layers = " → ".join(str(n) for n in [config["n_features"], *config["hidden"],
                                         config["n_outputs"]])
    rows = [("data", settings["data"]), ("task", f"{config['task']} of '{config['target']}'"),
            ("rows (train / validation / test)",
             " / ".join(str(config["rows"][k]) for k in ("train", "val", "test"))),
            ("model", f"MLP {layers}, {config['activation']}"
                      + (f", dropout {config['dropout']}" if config.get("dropout") else "")),
            ("optimizer", f"{settings['optimizer']}, lr {config['lr_used']:.3g}"
                          + (" (found by the lr range test)" if settings["lr"] == "auto" else "")
                          + f", weight decay {settings['weight_decay']}"),
            ("schedule", settings["scheduler"]), ("batch size", settings["batch_size"]),
            ("epochs", f"{results.get('epochs_run', '?')} of at most {settings['epochs']}"),
            ("stopped because", results.get("stopped_because", "the run did not finish")),
            ("seed", settings["seed"])]
    if results.get("best_epoch") is not None:
        rows.append(("best epoch", f"{results['best_epoch']} (validation loss "
                                   f"{results['best_val_loss']:.4f}; its weights were kept)"))
    table = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
                    for k, v in rows)
    test = results.get("test", {})
    metrics = "".join(f"<tr><th>{html.escape(k)}</th><td>{v:.4f}</td></tr>"
                      for k, v in test.items())
    return (f"<table>{table}</table>"
            + (f"<h3>Test metrics</h3><table>{metrics}</table>" if metrics else ""))


def _load_model(run_dir, config):
    from ..models import mlp
    from ..serialization import load

    model = mlp(config["n_features"], config["hidden"], config["n_outputs"],
                config["activation"], config["dropout"])
    try:
        model.load_state_dict(load(inside_run(run_dir, MODEL)))
    except (OSError, RuntimeError, KeyError) as error:
        raise RunFolderError(f"run folder {run_dir}: cannot load {MODEL}: {error}") from None
    return model


def _read_predictions(run_dir, path, config):
    """``test_predictions.csv``: a ``true`` and a ``predicted`` column, numbers for a regression
    and the run's own classes for a classification."""
    import pandas as pd

    try:
        frame = pd.read_csv(path)
    except (ValueError, UnicodeDecodeError) as error:
        raise RunFolderError(f"run folder {run_dir}: cannot read test_predictions.csv: "
                             f"{error}") from None
    if not {"true", "predicted"} <= set(frame.columns):
        raise RunFolderError(f"run folder {run_dir}: test_predictions.csv must have the columns "
                             "'true' and 'predicted'")
    if config["task"] == "classification":
        classes = {str(c) for c in config["preprocessing"].get("classes") or []}
        found = set(frame["true"].astype(str)) | set(frame["predicted"].astype(str))
        if not found <= classes:
            raise RunFolderError(f"run folder {run_dir}: test_predictions.csv holds labels that "
                                 "are not among the run's classes")
    elif not all(pd.api.types.is_numeric_dtype(frame[c]) for c in ("true", "predicted")):
        raise RunFolderError(f"run folder {run_dir}: test_predictions.csv must hold numbers")
    return frame
