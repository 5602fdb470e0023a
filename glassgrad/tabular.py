"""Tables for training: a bundled data set or a CSV -> float32 features and encoded targets.

The data layer of ``glassgrad train --data table.csv --target price``. ``prepare`` loads the
table and picks the target and the task; ``TabularPreprocessor`` learns scikit-learn
preprocessing (median impute + standardise numbers, most-frequent impute + one-hot text) and
saves it with the run as a skops file (never pickle); ``split`` makes train/validation/test
parts. Every bad input raises ``DataError`` with a one-line message the CLI prints as is.

This module is not imported by ``import glassgrad``; scikit-learn and skops are imported inside
the functions that need them.
"""

import difflib
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["BUNDLED", "DataError", "TabularPreprocessor", "infer_task", "load_frame", "prepare",
           "resolve_target", "split"]

BUNDLED = ("digits", "iris", "wine", "breast-cancer", "diabetes")
TASKS = ("classification", "regression")
_FORMAT = "glassgrad.tabular/1"
_RESTORED = ("feature_columns", "numeric_columns", "categorical_columns", "n_features_out",
             "n_outputs", "classes", "target_mean", "target_std")


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
    try:
        frame = pd.read_csv(path)
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
    rows is classification; anything else is regression. Missing values are ignored.

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
    if task == "classification" and values.nunique() < 2:
        raise DataError(f"target column {y.name!r} has only one class ({values.iloc[0]!r}); "
                        "classification needs at least two")
    return task


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
    frame = frame[frame[target].notna()].reset_index(drop=True)
    return frame, target, task


class TabularPreprocessor:
    """Learned preprocessing from a table to float32 features and encoded targets.

    Numeric columns: median imputation, then standardisation ``(x - mean) / std``. Other
    columns (text, bool, category): cast to text, most-frequent imputation, then one-hot
    columns of 0/1. Classification targets become int64 class indices into ``classes_``;
    regression targets become ``(y - target_mean_) / target_std_`` in float32.

    Args:
        task: ``"classification"`` or ``"regression"``.
        target: the name of the target column.
        max_categories: the most distinct values a non-numeric column may have (a guard
            against one-hot encoding an id or free-text column into thousands of features).

    Shape:
        ``transform(frame)``: ``(n, n_features_out_)`` float32.

    Example:
        >>> pre = TabularPreprocessor("classification", "target")
        >>> X, y = pre.fit_transform(load_frame("iris")[0])
        >>> X.shape, y[:3], pre.classes_
        ((150, 4), array([0, 0, 0]), [0, 1, 2])
    """

    def __init__(self, task, target, max_categories=1000):
        if task not in TASKS:
            raise DataError(f"unknown task {task!r}; choose classification or regression")
        self.task = task
        self.target = target
        self.max_categories = max_categories
        self.feature_columns_ = self.numeric_columns_ = self.categorical_columns_ = None
        self.n_features_out_ = self.n_outputs_ = self.classes_ = None
        self.target_mean_ = self.target_std_ = None
        self._transformer = None

    def __repr__(self):
        return (f"TabularPreprocessor(task={self.task!r}, target={self.target!r}, "
                f"max_categories={self.max_categories})")

    def fit(self, frame):
        """Learn the columns, the preprocessing and the target encoding from ``frame``."""
        from sklearn.compose import ColumnTransformer
        from sklearn.impute import SimpleImputer
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import OneHotEncoder, StandardScaler

        resolve_target(frame, self.target, None)
        frame = frame[frame[self.target].notna()]
        if len(frame) == 0:
            raise DataError(f"target column {self.target!r} has no values (every row is missing)")
        self._fit_target(frame[self.target])
        features = [c for c in frame.columns if c != self.target]
        if not features:
            raise DataError(f"no feature columns: the table has only the target column "
                            f"{self.target!r}; add at least one input column")
        if not all(isinstance(c, str) for c in features):
            raise DataError(f"column names must be text; got {_listing(features)}")
        empty = [c for c in features if frame[c].isna().all()]
        if empty:
            raise DataError(f"feature column(s) {_listing(empty)} have no values (every row is "
                            "missing); drop them or fill them in")
        self.feature_columns_ = features
        self.numeric_columns_ = [c for c in features if _is_numeric(frame[c])]
        self.categorical_columns_ = [c for c in features if c not in self.numeric_columns_]
        for column in self.categorical_columns_:
            n_distinct = frame[column].nunique()
            if n_distinct > self.max_categories:
                raise DataError(f"column {column!r} has {n_distinct} distinct non-numeric "
                                f"values (more than {self.max_categories}), too many to one-hot "
                                "encode; drop it or convert it to numbers")
        parts = []
        if self.numeric_columns_:
            numeric = Pipeline([("impute", SimpleImputer(strategy="median")),
                                ("scale", StandardScaler())])
            parts.append(("numeric", numeric, self.numeric_columns_))
        if self.categorical_columns_:
            onehot = OneHotEncoder(handle_unknown="error", sparse_output=False)
            categorical = Pipeline([("impute", SimpleImputer(strategy="most_frequent")),
                                    ("onehot", onehot)])
            parts.append(("categorical", categorical, self.categorical_columns_))
        self._transformer = ColumnTransformer(parts, sparse_threshold=0.0)
        self._transformer.fit(self._features(frame, check_categories=False))
        self.n_features_out_ = len(self._transformer.get_feature_names_out())
        return self

    def _fit_target(self, y):
        """Record ``classes_`` (classification) or ``target_mean_``/``target_std_``."""
        if self.task == "classification":
            self.classes_ = sorted({_label(v) for v in y.tolist()}, key=_class_order)
            self.n_outputs_ = len(self.classes_)
            if self.n_outputs_ < 2:
                raise DataError(f"target column {self.target!r} has only one class "
                                f"({self.classes_[0]!r}); classification needs at least two")
            return
        values = self._numeric(y, self.target)
        if not np.all(np.isfinite(values)):
            raise DataError(f"target column {self.target!r} contains infinite values")
        self.target_mean_ = float(values.mean())
        self.target_std_ = float(values.std()) or 1.0
        self.n_outputs_ = 1

    @staticmethod
    def _numeric(series, name):
        """The column as float64; DataError naming ``name`` if a value is not a number."""
        values = pd.to_numeric(series, errors="coerce")
        bad = values.isna() & series.notna()
        if bad.any():
            raise DataError(f"column {name!r} should hold numbers but has "
                            f"{series[bad].iloc[0]!r}; fix or remove those values")
        return values.to_numpy(dtype=np.float64, na_value=np.nan)

    def _features(self, frame, check_categories=True):
        """The feature columns in the form the fitted ColumnTransformer expects."""
        missing = [c for c in self.feature_columns_ if c not in frame.columns]
        if missing:
            raise DataError(f"the table is missing feature column(s) {_listing(missing)} that "
                            f"the model was trained on; expected {_listing(self.feature_columns_)}")
        out = {}
        for column in self.numeric_columns_:
            values = self._numeric(frame[column], column)
            if np.isinf(values).any():
                raise DataError(f"column {column!r} contains infinite values")
            out[column] = values
        for index, column in enumerate(self.categorical_columns_):
            cells = frame[column].astype(object)
            missing_cells = cells.isna().to_numpy()
            text = np.array([_text(v) for v in cells.tolist()], dtype=object)
            text[missing_cells] = np.nan
            if check_categories:
                self._check_categories(column, index, text[~missing_cells])
            out[column] = pd.Series(text, dtype=object)
        return pd.DataFrame(out, columns=self.feature_columns_)

    def _check_categories(self, column, index, text):
        """DataError naming ``column``'s values that were not seen when fitting."""
        encoder = self._transformer.named_transformers_["categorical"].named_steps["onehot"]
        known = encoder.categories_[index]
        unseen = sorted(set(text) - set(known.tolist()))
        if unseen:
            raise DataError(f"column {column!r} has value(s) not seen in training: "
                            f"{_listing(unseen, 10)}; known values: {_listing(known, 10)}")

    def _check_fitted(self):
        if self._transformer is None:
            raise RuntimeError("this TabularPreprocessor is not fitted; call fit(frame) first")

    def transform(self, frame):
        """Features of ``frame`` (with or without the target column) as float32 ``(n, F)``."""
        self._check_fitted()
        features = self._features(frame)
        if len(features) == 0:
            return np.zeros((0, self.n_features_out_), dtype=np.float32)
        return np.asarray(self._transformer.transform(features), dtype=np.float32)

    def fit_transform(self, frame):
        """``fit(frame)``, then ``(transform(rows), encode_target(target))`` for the rows kept."""
        self.fit(frame)
        frame = frame[frame[self.target].notna()]
        return self.transform(frame), self.encode_target(frame[self.target])

    def encode_target(self, y):
        """Class indices (int64) or standardised values (float32) of shape ``(n,)``."""
        self._check_fitted()
        y = pd.Series(y, name=self.target) if not isinstance(y, pd.Series) else y
        if y.isna().any():
            raise DataError(f"target column {self.target!r} has missing values")
        if self.task == "regression":
            values = self._numeric(y, self.target)
            return ((values - self.target_mean_) / self.target_std_).astype(np.float32)
        index = {label: i for i, label in enumerate(self.classes_)}
        labels = [_label(v) for v in y.tolist()]
        unseen = [v for v in dict.fromkeys(labels) if v not in index]
        if unseen:
            raise DataError(f"target column {self.target!r} has label(s) not seen in training: "
                            f"{_listing(unseen, 10)}; known classes: {_listing(self.classes_)}")
        return np.array([index[v] for v in labels], dtype=np.int64)

    def decode_target(self, values):
        """Class labels from indices ``(n,)`` or scores ``(n, n_classes)`` (argmax), or
        regression values from standardised floats ``(n,)`` or ``(n, 1)``."""
        self._check_fitted()
        values = np.asarray(values)
        if values.ndim == 2 and values.shape[1] == 1:
            values = values[:, 0]
        if self.task == "regression":
            return values.astype(np.float64) * self.target_std_ + self.target_mean_
        if values.ndim == 2:
            values = values.argmax(axis=1)
        if values.size and (values.min() < 0 or values.max() >= self.n_outputs_):
            raise DataError(f"class indices must be in 0..{self.n_outputs_ - 1}")
        kinds = {type(c) for c in self.classes_}
        classes = np.asarray(self.classes_, dtype=None if len(kinds) == 1 else object)
        return classes[values.astype(np.int64)]

    def to_config(self):
        """A JSON-serialisable summary: task, target, columns by kind, classes, target stats."""
        self._check_fitted()
        return {"format": _FORMAT, "task": self.task, "target": self.target,
                "max_categories": self.max_categories,
                "feature_columns": self.feature_columns_,
                "numeric_columns": self.numeric_columns_,
                "categorical_columns": self.categorical_columns_,
                "feature_names_out": self._transformer.get_feature_names_out().tolist(),
                "n_features_out": self.n_features_out_, "n_outputs": self.n_outputs_,
                "classes": self.classes_, "target_mean": self.target_mean_,
                "target_std": self.target_std_}

    def save(self, folder):
        """Write ``preprocessing.skops`` (the ColumnTransformer) and ``preprocessing.json``."""
        import skops.io

        self._check_fitted()
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        skops.io.dump(self._transformer, folder / "preprocessing.skops")
        text = json.dumps(self.to_config(), indent=2)
        (folder / "preprocessing.json").write_text(text + "\n", encoding="utf-8")

    @classmethod
    def load(cls, folder):
        """Restore a preprocessor saved by ``save(folder)``; only scikit-learn and NumPy types
        are trusted in the skops file.

        Example:
            >>> pre = TabularPreprocessor.load("runs/1")  # doctest: +SKIP
        """
        import skops.io

        folder = Path(folder)
        config_path, model_path = folder / "preprocessing.json", folder / "preprocessing.skops"
        try:
            config = json.loads(config_path.read_text(encoding="utf-8"))
            if config.get("format") != _FORMAT:
                raise ValueError(f"unknown format {config.get('format')!r}")
            untrusted = skops.io.get_untrusted_types(file=model_path)
        except Exception as err:  # a missing, unreadable or damaged file
            raise DataError(f"cannot load the preprocessing saved in '{folder}' ({err}); "
                            "expected preprocessing.json and preprocessing.skops from a "
                            "glassgrad run") from None
        for name in untrusted:
            if not (name.startswith("sklearn.") or name.startswith("numpy")):
                raise DataError(f"refusing to load '{model_path}': it contains type {name}, "
                                "which is not a scikit-learn or NumPy type")
        try:
            transformer = skops.io.load(model_path, trusted=untrusted)
            if type(transformer).__name__ != "ColumnTransformer":
                raise TypeError(f"expected a ColumnTransformer, found {type(transformer)}")
            pre = cls(config["task"], config["target"], config["max_categories"])
            for name in _RESTORED:
                setattr(pre, name + "_", config[name])
        except Exception as err:  # skops raises many kinds of error on a damaged file
            raise DataError(f"cannot load the preprocessing saved in '{folder}' "
                            f"({type(err).__name__}: {err})") from None
        pre._transformer = transformer
        return pre


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
