"""Loading tables: bundled data sets and CSV files, the target column, the task, the split.

Every bad input raises ``DataError`` with a one-line message the CLI prints as is.
"""


import codecs
import collections
import csv
import difflib
import math
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["BUNDLED", "TASKS", "DataError", "infer_task", "load_frame", "prepare",
           "resolve_target", "split"]

BUNDLED = ("digits", "iris", "wine", "breast-cancer", "diabetes")
TASKS = ("classification", "regression")


class DataError(ValueError):
    """A bad input table or option; the message is one line of plain English.

    Args:
        message: what is wrong and what would be accepted; runs of whitespace (including
            newlines from a wrapped library message) are collapsed to single spaces.

    Example:
        >>> str(DataError("no such file\\n'x.csv'"))
        "no such file 'x.csv'"
    """

    def __init__(self, message):
        super().__init__(" ".join(str(message).split()))


def _listing(names, limit=20):
    """``'a', 'b', 'c'``, truncated after ``limit`` names with ``... and N more``."""
    names = list(names)
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f", ... and {len(names) - limit} more" if len(names) > limit else "")


def _label(value):
    """A class label as a JSON-friendly Python value: numpy scalars unwrapped, others as str."""
    if isinstance(value, np.generic):
        value = value.item()
    return value if isinstance(value, (bool, int, float, str)) else str(value)


def _text(value):
    """A categorical cell as text; ``2.0`` and ``2`` both become ``'2'``."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _class_order(label):
    """Sort key for class labels: numbers by value first, then other labels by type and text."""
    if isinstance(label, (int, float)) and not isinstance(label, bool):
        return (0, "", label)
    return (1, type(label).__name__, str(label))


def _is_numeric(series):
    """True for pandas numeric dtypes other than bool (bool columns are categories)."""
    return (pd.api.types.is_numeric_dtype(series.dtype)
            and not pd.api.types.is_bool_dtype(series.dtype))


# the first bytes of files often given by mistake, and what to call them
_SIGNATURES = ((b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
               (b"\x1f\x8b", "gzip-compressed (decompress it first)"),
               (b"PK\x03\x04", "a zip archive"), (b"%PDF", "a PDF document"))
_SNIFF_BYTES = 64 * 1024


def _check_text(path):
    """DataError unless the first 64 KB of ``path`` are UTF-8 text without NUL bytes.

    A binary file (an image, an archive, a model's weights) is named as such before pandas
    sees it: pandas reports a codec error, or reads a safetensors file as a header without
    rows. (Compressed CSVs are refused too, rather than decompressed by file name.)
    """
    try:
        with open(path, "rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError as err:
        raise DataError(f"cannot read data file '{path}': {err.strerror or err}") from None
    kind = next((name for magic, name in _SIGNATURES if head.startswith(magic)), None)
    nul = head.find(b"\x00")
    if kind is None and nul >= 0:
        kind = f"binary: NUL byte at offset {nul}"
    if kind is None:
        try:   # an incremental decoder accepts a character cut at the end of the sample
            codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        except UnicodeDecodeError as err:
            kind = f"byte 0x{head[err.start]:02x} at offset {err.start} is not UTF-8"
    if kind is not None:
        raise DataError(f"data file '{path}' is not a text CSV file ({kind}); expected UTF-8 "
                        "text, comma-separated, with a header row")


def _check_header(path):
    """DataError naming the column names that the header row of ``path`` repeats.

    pandas renames a second ``label`` to ``label.1``, which would then be a feature: a copy
    of the target among the inputs. The header is read here with the csv module (the first
    non-blank row, with pandas' quoting rules; ``utf-8-sig`` drops a byte order mark).
    """
    try:
        with open(path, encoding="utf-8-sig", errors="replace", newline="") as handle:
            header = next((row for row in csv.reader(handle) if row), [])
    except csv.Error:   # e.g. a field longer than csv's limit: pandas reports it
        return
    counts = collections.Counter(name for name in header if name)
    repeated = [name for name, count in counts.items() if count > 1]
    if repeated:
        raise DataError(f"data file '{path}' repeats the column name(s) {_listing(repeated)} in "
                        "its header row; give every column a different name")


def load_frame(data):
    """Load a bundled scikit-learn data set or a CSV file as a DataFrame.

    Args:
        data: a bundled name (case-insensitive, ``_`` or ``-``: one of ``BUNDLED``), which wins
            over a file of the same name, or the path of a CSV file with a header row.

    Returns:
        ``(frame, default_target)``: for a bundled set the features plus an int (float for
        diabetes) ``"target"`` column, and ``"target"``; for a CSV the table and ``None``.

    Example:
        >>> frame, target = load_frame("iris")
        >>> frame.shape, target
        ((150, 5), 'target')
    """
    name = str(data).strip().lower().replace("_", "-")
    if name in BUNDLED:
        from sklearn import datasets
        loader = getattr(datasets, "load_" + name.replace("-", "_"))
        return loader(as_frame=True).frame, "target"
    path = Path(data)
    if not path.exists():
        raise DataError(f"data file '{path}' does not exist; give the path of a CSV file or "
                        f"a bundled data set name: {', '.join(BUNDLED)}")
    if path.is_dir():
        raise DataError(f"'{path}' is a directory; give the path of a CSV file")
    if path.stat().st_size == 0:
        raise DataError(f"data file '{path}' is empty; expected a CSV file with a header row "
                        "and at least one row of data")
    _check_text(path)
    _check_header(path)
    try:
        frame = pd.read_csv(path, compression=None)
    except pd.errors.EmptyDataError:
        raise DataError(f"data file '{path}' has no columns; expected a CSV file with a header "
                        "row and at least one row of data") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise DataError(f"cannot read '{path}' as a CSV file ({str(err).strip()}); expected "
                        "UTF-8 text, comma-separated, with a header row") from None
    except OSError as err:
        raise DataError(f"cannot read data file '{path}': {err.strerror or err}") from None
    if len(frame) == 0:
        raise DataError(f"data file '{path}' has a header but no rows of data")
    if frame.shape[1] < 2:
        raise DataError(f"data file '{path}' has only 1 column ({_listing(frame.columns)}); "
                        "need at least one feature column and a target column, comma-separated")
    return frame, None


def resolve_target(frame, target, default_target):
    """The name of the target column: ``target`` if given, else ``default_target``.

    Args:
        frame: the loaded table.
        target: the ``--target`` option, or ``None``.
        default_target: the data set's own target column (``"target"``), or ``None`` for a CSV.

    Example:
        >>> resolve_target(pd.DataFrame({"x": [1], "price": [2]}), "price", None)
        'price'
    """
    columns = [str(c) for c in frame.columns]
    if target is None:
        if default_target is None:
            raise DataError(f"no target column given; pass --target with one of the columns: "
                            f"{_listing(columns)}")
        target = default_target
    if target not in columns:
        close = difflib.get_close_matches(str(target), columns, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise DataError(f"target column {target!r} not found{hint}; available columns: "
                        f"{_listing(columns)}")
    return target


def infer_task(y, task="auto"):
    """Decide between ``"classification"`` and ``"regression"`` for the target ``y``.

    ``auto``: a non-numeric target (text, bool, category) is classification; a numeric target
    with only whole values, at most 20 distinct values and fewer distinct values than half the
    rows is classification; anything else is regression. Missing values are ignored. A
    classification target needs two classes and a class seen twice: a column whose values
    are all different (an id) cannot be learnt, and is refused.

    Args:
        y: the target column (``pandas.Series``).
        task: ``"auto"``, ``"classification"`` or ``"regression"``.

    Example:
        >>> infer_task(pd.Series([0, 1, 0, 1, 1, 0]))
        'classification'
    """
    if task not in ("auto",) + TASKS:
        raise DataError(f"unknown task {task!r}; choose auto, classification or regression")
    values = y.dropna()
    if len(values) == 0:
        raise DataError(f"target column {y.name!r} has no values (every row is missing)")
    numeric = _is_numeric(values)
    if task == "regression" and not numeric:
        raise DataError(f"target column {y.name!r} is not numeric (e.g. {values.iloc[0]!r}), "
                        "so it cannot be a regression target; use --task classification")
    if task == "auto":
        task = "classification"
        if numeric:
            array = values.to_numpy(dtype=np.float64)
            whole = bool(np.all(np.isfinite(array)) and np.all(array == np.round(array)))
            n_distinct = len(np.unique(array))
            if not (whole and n_distinct <= 20 and n_distinct < len(array) / 2):
                task = "regression"
    if task == "classification":
        _check_classes(values, numeric)
    return task


def _check_classes(values, numeric):
    """DataError for a classification target with one class, or with no class seen twice."""
    n_distinct = values.nunique()
    first = _label(values.iloc[0])
    if n_distinct < 2:
        raise DataError(f"target column {values.name!r} has only one class ({first!r}); "
                        "classification needs at least two")
    if n_distinct == len(values):
        regression = " (or --task regression)" if numeric else ""
        raise DataError(f"target column {values.name!r} looks like an identifier column: all "
                        f"{len(values)} of its values are different (e.g. {first!r}, "
                        f"{_label(values.iloc[1])!r}), so no class has a second example to "
                        f"learn from; choose another --target{regression}")


def prepare(data, target=None, task="auto"):
    """Load ``data``, pick the target column, drop rows without a target and decide the task.

    Args:
        data: a bundled data set name or a CSV path (see ``load_frame``).
        target: the target column name, or ``None`` for the data set's default.
        task: ``"auto"``, ``"classification"`` or ``"regression"`` (see ``infer_task``).

    Returns:
        ``(frame, target_name, task)``.

    Example:
        >>> frame, target, task = prepare("diabetes")
        >>> target, task
        ('target', 'regression')
    """
    frame, default_target = load_frame(data)
    target = resolve_target(frame, target, default_target)
    task = infer_task(frame[target], task)
    present = frame[target].notna()
    if not present.all():   # (no copy of a table whose every row has a target)
        frame = frame[present].reset_index(drop=True)
    return frame, target, task


def _split_once(X, y, n_test, stratify, seed):
    """One ``train_test_split`` of ``n_test`` rows, stratified when every class fits both sides."""
    from sklearn.model_selection import train_test_split

    if stratify:
        _, counts = np.unique(y, return_counts=True)
        fits = min(n_test, len(y) - n_test) >= len(counts)
        stratify = counts.min() >= 2 and fits
    return train_test_split(X, y, test_size=n_test, random_state=seed,
                            stratify=y if stratify else None)


def split(X, y, task, seed=0, val_fraction=0.15, test_fraction=0.15):
    """Split rows into train, validation and test parts (stratified for classification).

    The test and validation parts get ``round(fraction * n)`` rows each (at least one); the
    training part gets the rest.

    Args:
        X: features ``(n, F)``.  y: targets ``(n,)``.
        task: ``"classification"`` (stratify when every class has enough rows) or
            ``"regression"``.
        seed: the ``random_state`` of both ``train_test_split`` calls.
        val_fraction, test_fraction: shares of all rows; each in (0, 1), sum below 1.

    Returns:
        ``(X_train, y_train, X_val, y_val, X_test, y_test)``.

    Example:
        >>> parts = split(np.zeros((100, 2)), np.arange(100) % 2, "classification")
        >>> [len(p) for p in parts]
        [70, 70, 15, 15, 15, 15]
    """
    if not (0 < val_fraction < 1 and 0 < test_fraction < 1 and val_fraction + test_fraction < 1):
        raise DataError(f"val_fraction ({val_fraction}) and test_fraction ({test_fraction}) "
                        "must each be between 0 and 1 and add up to less than 1")
    n = len(X)
    n_test = max(1, math.floor(test_fraction * n + 0.5))
    n_val = max(1, math.floor(val_fraction * n + 0.5))
    if n - n_val - n_test < 1:
        raise DataError(f"too few rows to split: the table has {n} row(s), and the training, "
                        f"validation (val_fraction={val_fraction}) and test "
                        f"(test_fraction={test_fraction}) sets each need at least one row")
    stratify = task == "classification"
    X_rest, X_test, y_rest, y_test = _split_once(X, y, n_test, stratify, seed)
    X_train, X_val, y_train, y_val = _split_once(X_rest, y_rest, n_val, stratify, seed)
    return X_train, y_train, X_val, y_val, X_test, y_test
