"""``glassgrad predict RUN new.csv`` and ``glassgrad evaluate RUN labelled.csv``."""

import os

import numpy as np

from .._atomic import atomic_write
from . import UsageError
from .runs import load_run


def add_parsers(commands):
    predict = commands.add_parser(
        "predict", help="predict the target for the rows of a CSV file with a trained run",
        description="Write the input rows with a 'prediction' column (and, for "
                    "classification, one probability column per class).")
    predict.add_argument("run_dir", metavar="RUN", help="a run folder made by glassgrad train")
    predict.add_argument("csv", metavar="CSV", help="rows with the training's feature columns")
    predict.add_argument("--output", "-o",
                         help="where to write (default: <CSV name>.predictions.csv)")
    predict.add_argument("--overwrite", action="store_true", help="replace an existing output")
    predict.set_defaults(run=run_predict)

    evaluate = commands.add_parser(
        "evaluate", help="compute a trained run's metrics on a labelled CSV file",
        description="Print accuracy / precision / recall / F1 (classification) or MAE / RMSE / "
                    "R^2 (regression) on rows that include the target column.")
    evaluate.add_argument("run_dir", metavar="RUN")
    evaluate.add_argument("csv", metavar="CSV")
    evaluate.set_defaults(run=run_evaluate)


def _read_rows(path):
    """The CSV as a DataFrame, with the same checks as training data."""
    from ..tabular import DataError, load_frame

    if not os.path.isfile(path):
        raise DataError(f"{path} does not exist (expected a CSV file)")
    frame, _ = load_frame(path)
    return frame


def model_outputs(model, preprocessor, frame, rows_per_batch=8192):
    """The model's raw outputs (logits, or standardised values) for the rows of ``frame``,
    computed ``rows_per_batch`` rows at a time into one float32 array (a large table's hidden
    activations never all exist at once)."""
    import glassgrad as gg

    inputs = preprocessor.transform(frame)
    outputs = np.empty((len(inputs), preprocessor.n_outputs_), dtype=np.float32)
    with gg.no_grad():
        for start in range(0, len(inputs), rows_per_batch):
            batch = gg.from_numpy(inputs[start:start + rows_per_batch])
            outputs[start:start + rows_per_batch] = model(batch).numpy()
    return outputs


def predictions(model, preprocessor, frame):
    """``(labels or values, class probabilities or None)`` for the rows of ``frame``."""
    outputs = model_outputs(model, preprocessor, frame)
    if preprocessor.task == "classification":
        shifted = np.exp(outputs - outputs.max(axis=1, keepdims=True))
        probabilities = shifted / shifted.sum(axis=1, keepdims=True)
        return preprocessor.decode_target(outputs.argmax(axis=1)), probabilities
    return preprocessor.decode_target(outputs), None


def evaluate_model(model, preprocessor, frame):
    """The metrics on labelled rows, in the target's own units (scikit-learn computes them)."""
    from sklearn import metrics

    target = preprocessor.target
    if target not in frame.columns:
        from ..tabular import DataError

        raise DataError(f"the rows have no '{target}' column, which evaluate needs to compare "
                        "predictions with")
    frame = frame[frame[target].notna()]
    if preprocessor.task == "classification":
        truth = preprocessor.encode_target(frame[target])
        predicted = model_outputs(model, preprocessor, frame).argmax(axis=1)
        options = {"average": "macro", "zero_division": 0}
        return {"accuracy": metrics.accuracy_score(truth, predicted),
                "precision": metrics.precision_score(truth, predicted, **options),
                "recall": metrics.recall_score(truth, predicted, **options),
                "f1": metrics.f1_score(truth, predicted, **options)}
    truth = frame[target].to_numpy(dtype=np.float64)
    predicted, _ = predictions(model, preprocessor, frame)
    return {"mae": metrics.mean_absolute_error(truth, predicted),
            "rmse": float(np.sqrt(metrics.mean_squared_error(truth, predicted))),
            "r2": metrics.r2_score(truth, predicted)}


def run_predict(args):
    output = args.output or f"{os.path.splitext(args.csv)[0]}.predictions.csv"
    _check_output_file(output, args.overwrite)
    _, model, preprocessor = load_run(args.run_dir)
    frame = _read_rows(args.csv)
    values, probabilities = predictions(model, preprocessor, frame)
    result = frame.copy()
    result["prediction"] = values
    if probabilities is not None:
        for i, label in enumerate(preprocessor.classes_):
            result[f"probability_{label}"] = probabilities[:, i]
    with atomic_write(output, newline="") as handle:
        result.to_csv(handle, index=False)
    print(f"wrote {len(result)} predictions to {output}")
    return 0


def _check_output_file(output, overwrite):
    """Refuse, before any work, an output that cannot or must not be written."""
    folder = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(folder):
        raise UsageError(f"cannot write {output}: the folder {folder} does not exist; create it "
                         "or choose another --output")
    if os.path.isdir(output):
        raise UsageError(f"--output {output} is a folder; give the path of a CSV file to write")
    if os.path.exists(output) and not overwrite:
        raise UsageError(f"{output} already exists; choose another --output, or pass "
                         "--overwrite to replace it")


def run_evaluate(args):
    _, model, preprocessor = load_run(args.run_dir)
    frame = _read_rows(args.csv)
    results = evaluate_model(model, preprocessor, frame)
    rows = int(frame[preprocessor.target].notna().sum())
    print(f"{args.csv}: {rows} labelled rows, {preprocessor.task} of '{preprocessor.target}'")
    for name, value in results.items():
        print(f"  {name:<10} {value:.4f}")
    return 0
