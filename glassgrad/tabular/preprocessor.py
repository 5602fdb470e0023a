"""TabularPreprocessor: scikit-learn preprocessing learnt on the training rows, saved with a run
as a skops file (never pickle)."""

import json
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from .frames import (
    TASKS,
    DataError,
    _class_order,
    _is_numeric,
    _label,
    _listing,
    _text,
    prepare,
    resolve_target,
    split,
)
from .trust import FORMAT, check_transformer, import_skops, read_config, read_transformer

__all__ = ["TabularPreprocessor", "TrainingData", "training_data"]

_RESTORED = ("feature_columns", "numeric_columns", "categorical_columns", "n_features_out",
             "n_outputs", "classes", "target_mean", "target_std")
# transform works on blocks of rows whose float64 output holds about this many values (16 MB),
# and the median imputer is fitted on groups of columns holding about as many numbers
_BLOCK_VALUES = 1 << 21


def _build_transformer(numeric_columns, categorical_columns):
    """The unfitted ColumnTransformer of a TabularPreprocessor (``load`` compares with it)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    parts = []
    if numeric_columns:
        numeric = Pipeline([("impute", SimpleImputer(strategy="median")),
                            ("scale", StandardScaler())])
        parts.append(("numeric", numeric, list(numeric_columns)))
    if categorical_columns:
        onehot = OneHotEncoder(handle_unknown="error", sparse_output=False)
        categorical = Pipeline([("impute", SimpleImputer(strategy="most_frequent")),
                                ("onehot", onehot)])
        parts.append(("categorical", categorical, list(categorical_columns)))
    return ColumnTransformer(parts, sparse_threshold=0.0)


def _fit_numeric(pipeline, numbers):
    """``pipeline.fit(numbers)`` for the numeric pipeline (median imputer, then scaler) of a
    ColumnTransformer already fitted on the layout rows, in a fraction of the memory.

    The imputer's median (``numpy.ma.median``) sorts through four copies of its whole input at
    once; medians are per column, so here the imputer is fitted on a few columns at a time
    (about 16 MB of numbers each) and keeps the medians of all of them, its other fitted
    attributes being those of the layout fit (the same columns, the same dtype). The scaler is
    then fitted on the imputed numbers, as ``Pipeline.fit`` fits a last step.
    """
    from sklearn.base import clone

    imputer, scaler = pipeline.named_steps["impute"], pipeline.named_steps["scale"]
    width = max(1, _BLOCK_VALUES // max(1, len(numbers)))
    medians = [clone(imputer).fit(numbers.iloc[:, start:start + width]).statistics_
               for start in range(0, numbers.shape[1], width)]
    imputer.statistics_ = np.concatenate(medians)
    scaler.fit(imputer.transform(numbers))


def _layout_rows(features, numeric_columns, categorical_columns):
    """Positions of a few rows of ``features`` that hold a value of every column and every
    value of every categorical column: fitted on them, the ColumnTransformer's output layout
    (the width of each part) is the same as fitted on all rows."""
    rows = set()
    for column in numeric_columns:
        rows.add(int(np.argmax(~np.isnan(features[column].to_numpy()))))
    for column in categorical_columns:
        text = features[column]
        rows.update(np.flatnonzero((text.notna() & ~text.duplicated()).to_numpy()).tolist())
    return sorted(rows)


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
        resolve_target(frame, self.target, None)
        present = frame[self.target].notna()
        if not present.all():
            frame = frame[present]
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
        self._transformer = self._fit_transformer(self._features(frame, check_categories=False))
        self.n_features_out_ = len(self._transformer.get_feature_names_out())
        return self

    def _fit_transformer(self, features):
        """The ColumnTransformer fitted on ``features``, without computing its output.

        ``ColumnTransformer.fit`` transforms every row and drops the result: for a million
        rows of mixed data that is several float64 copies of the table, gigabytes. So it is
        fitted on a few layout rows (see ``_layout_rows``), which settles its columns and
        output layout, and then each pipeline is fitted again on every row, in place (see
        ``_fit_numeric``; ``Pipeline.fit`` does not transform with its last step). The result
        equals ``ColumnTransformer.fit(features)``, attribute for attribute.
        """
        transformer = _build_transformer(self.numeric_columns_, self.categorical_columns_)
        layout = _layout_rows(features, self.numeric_columns_, self.categorical_columns_)
        transformer.fit(features.iloc[layout])
        for name, pipeline, columns in transformer.transformers_:
            if name == "numeric":
                _fit_numeric(pipeline, features[columns])
            else:
                pipeline.fit(features[columns])
        return transformer

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
        """The column as float64; DataError naming ``name`` if a value is not a number.

        A column of numbers is returned without a copy when it is float64 already.
        """
        if _is_numeric(series):
            return series.to_numpy(dtype=np.float64, na_value=np.nan)
        values = pd.to_numeric(series, errors="coerce")
        bad = values.isna() & series.notna()
        if bad.any():
            raise DataError(f"column {name!r} should hold numbers but has "
                            f"{series[bad].iloc[0]!r}; fix or remove those values")
        return values.to_numpy(dtype=np.float64, na_value=np.nan)

    def _features(self, frame, check_categories=True):
        """The feature columns in the form the fitted ColumnTransformer expects: numbers as
        float64 (shared with ``frame`` where they are float64 already), other cells as text."""
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
        # copy=False: the columns stay separate arrays, not copied into one block
        return pd.DataFrame(out, columns=self.feature_columns_, copy=False)

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
        """Features of ``frame`` (with or without the target column) as float32 ``(n, F)``.

        The rows go through the ColumnTransformer a block at a time (its float64 output about
        16 MB) straight into the float32 result: no float64 copy of the whole table is made.
        """
        self._check_fitted()
        features = self._features(frame)
        out = np.empty((len(features), self.n_features_out_), dtype=np.float32)
        step = max(1, _BLOCK_VALUES // self.n_features_out_)
        for start in range(0, len(features), step):
            block = features.iloc[start:start + step]
            out[start:start + len(block)] = self._transformer.transform(block)
        return out

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
        return {"format": FORMAT, "task": self.task, "target": self.target,
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
        self._check_fitted()
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        import_skops().dump(self._transformer, folder / "preprocessing.skops")
        text = json.dumps(self.to_config(), indent=2)
        (folder / "preprocessing.json").write_text(text + "\n", encoding="utf-8")

    @classmethod
    def load(cls, folder):
        """Restore a preprocessor saved by ``save(folder)``, trusting nothing in the folder.

        ``preprocessing.skops`` is loaded only if it holds nothing but the types glassgrad
        writes, and must then be the ColumnTransformer glassgrad builds; ``preprocessing.json``
        must have every field ``to_config`` writes, of the right kind, and agree with the
        transformer (see ``trust``).

        Example:
            >>> pre = TabularPreprocessor.load("runs/1")  # doctest: +SKIP
        """
        folder = Path(folder)
        config = read_config(folder)
        transformer = read_transformer(folder)
        expected = _build_transformer(config["numeric_columns"], config["categorical_columns"])
        check_transformer(folder, transformer, expected, config)
        pre = cls(config["task"], config["target"], config["max_categories"])
        for name in _RESTORED:
            setattr(pre, name + "_", config[name])
        pre._transformer = transformer
        return pre


class TrainingData(NamedTuple):
    """What ``glassgrad train`` needs from a table; see ``training_data``."""

    target: str
    task: str
    preprocessor: TabularPreprocessor
    parts: dict
    test_frame: pd.DataFrame


def training_data(data, target=None, task="auto", seed=0):
    """Load a table, split it, fit the preprocessing on the training rows and encode each part.

    The rows, the split and every number are those of ``prepare``, then ``split`` of the
    table, ``TabularPreprocessor.fit`` on the training rows and ``transform`` /
    ``encode_target`` of each part; the memory is not. The split is made on row numbers and
    each part's rows are copied out of the table once (the table is then dropped); each part
    is transformed a block at a time into its float32 features and dropped in turn, except
    the test rows.

    Args:
        data, target, task: as for ``prepare``.
        seed: the ``random_state`` of the split.

    Returns:
        ``TrainingData(target, task, preprocessor, parts, test_frame)``: ``parts`` maps
        ``"train"``, ``"val"`` and ``"test"`` to ``(features, encoded targets)``;
        ``test_frame`` holds the test rows as read (for the predictions file).

    Shape:
        features ``(n_part, preprocessor.n_features_out_)`` float32; targets ``(n_part,)``.

    Example:
        >>> data = training_data("iris")
        >>> {name: x.shape for name, (x, y) in data.parts.items()}
        {'train': (104, 4), 'val': (23, 4), 'test': (23, 4)}
    """
    frame, target, task = prepare(data, target, task)
    rows = split(np.arange(len(frame)), frame[target], task, seed=seed)[::2]
    frames = {name: frame.take(part) for name, part in zip(("train", "val", "test"), rows)}
    del frame
    preprocessor = TabularPreprocessor(task, target).fit(frames["train"])
    parts = {}
    for name in ("train", "val", "test"):
        part = frames[name] if name == "test" else frames.pop(name)
        parts[name] = (preprocessor.transform(part), preprocessor.encode_target(part[target]))
    return TrainingData(target, task, preprocessor, parts, frames["test"])
