"""Tests for glassgrad.tabular: loading tables, preprocessing, saving it, splitting, and the
one-line DataError messages for every bad input."""

import json

import numpy as np
import pandas as pd
import pytest

from glassgrad.tabular import (
    BUNDLED,
    DataError,
    TabularPreprocessor,
    infer_task,
    load_frame,
    prepare,
    resolve_target,
    split,
)

HOUSES = """\
area,rooms,city,garden,price
50.0,2,paris,yes,300.5
,3,lyon,no,210.0
80.5,,paris,yes,420.25
65.0,3,,no,280.0
120.0,5,nice,yes,700.0
45.0,1,lyon,no,150.75
90.0,4,paris,,510.0
70.0,3,paris,no,
"""


def raises(match, fn, *args, **kwargs):
    """Call ``fn`` expecting a DataError whose one-line message contains every ``match``."""
    with pytest.raises(DataError) as info:
        fn(*args, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    for fact in [match] if isinstance(match, str) else match:
        assert fact in message, (fact, message)
    return message


def write(tmp_path, text, name="table.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def houses(tmp_path):
    return load_frame(write(tmp_path, HOUSES))[0]


def test_data_error_is_one_line_value_error():
    err = DataError("line one\nline   two\n")
    assert isinstance(err, ValueError)
    assert str(err) == "line one line two"


@pytest.mark.parametrize("name, shape, task, n_classes", [
    ("digits", (1797, 65), "classification", 10),
    ("iris", (150, 5), "classification", 3),
    ("wine", (178, 14), "classification", 3),
    ("breast-cancer", (569, 31), "classification", 2),
    ("diabetes", (442, 11), "regression", None),
])
def test_bundled_data_sets(name, shape, task, n_classes):
    frame, target, found = prepare(name)
    assert frame.shape == shape and target == "target" and found == task
    if n_classes is not None:
        assert frame["target"].nunique() == n_classes


def test_bundled_names_are_case_insensitive():
    assert set(BUNDLED) == {"digits", "iris", "wine", "breast-cancer", "diabetes"}
    assert load_frame("Breast_Cancer")[0].shape == (569, 31)
    assert load_frame("IRIS")[1] == "target"


def test_digits_preprocessing():
    frame, target, task = prepare("digits")
    pre = TabularPreprocessor(task, target)
    X, y = pre.fit_transform(frame)
    assert X.shape == (1797, 64) and X.dtype == np.float32
    assert pre.classes_ == list(range(10)) and pre.n_outputs_ == 10
    assert y.dtype == np.int64 and set(y.tolist()) == set(range(10))


def test_csv_with_numbers_text_and_missing_values(houses):
    pre = TabularPreprocessor("regression", "price")
    X, y = pre.fit_transform(houses)
    assert pre.feature_columns_ == ["area", "rooms", "city", "garden"]
    assert pre.numeric_columns_ == ["area", "rooms"]
    assert pre.categorical_columns_ == ["city", "garden"]
    # 7 rows with a price; 2 numeric + 3 cities + 2 garden values
    assert X.shape == (7, 7) and pre.n_features_out_ == 7 and X.dtype == np.float32
    assert not np.isnan(X).any()
    np.testing.assert_allclose(X[:, :2].mean(axis=0), 0, atol=1e-6)
    np.testing.assert_allclose(X[:, :2].std(axis=0), 1, atol=1e-5)
    onehot = X[:, 2:]
    assert set(np.unique(onehot).tolist()) == {0.0, 1.0}
    np.testing.assert_array_equal(onehot[:, :3].sum(axis=1), 1)  # one city per row
    # the missing city (row 3) is imputed with the most frequent city, paris
    city_names = pre.to_config()["feature_names_out"][2:5]
    assert city_names[int(np.argmax(onehot[3, :3]))].endswith("paris")
    json.dumps(pre.to_config())


def test_mixed_types_in_a_text_column(tmp_path):
    frame = pd.DataFrame({"code": ["a", 1, 2.0, None, "b", 1], "x": [1.0, 2, 3, 4, 5, 6],
                          "flag": [True, False, True, True, False, None],
                          "label": ["u", "v", "u", "v", "u", "v"]})
    pre = TabularPreprocessor("classification", "label")
    X, _ = pre.fit_transform(frame)
    assert pre.categorical_columns_ == ["code", "flag"]
    assert X.shape == (6, 1 + 4 + 2)
    # 2.0 and "2" are the same category
    same = pre.transform(frame.assign(code=["a", "1", "2", None, "b", 1.0]))
    np.testing.assert_array_equal(same, X)


def test_classification_string_labels_round_trip(houses):
    pre = TabularPreprocessor("classification", "city")
    frame = houses[houses["city"].notna()]
    _, y = pre.fit_transform(frame)
    assert pre.classes_ == ["lyon", "nice", "paris"] and pre.n_outputs_ == 3
    assert y.dtype == np.int64
    np.testing.assert_array_equal(pre.decode_target(y), frame["city"].to_numpy())
    np.testing.assert_array_equal(pre.encode_target(["nice", "paris"]), [1, 2])
    scores = np.array([[0.1, 0.7, 0.2], [0.9, 0.0, 0.1]])
    assert pre.decode_target(scores).tolist() == ["nice", "lyon"]
    raises(["'rome'", "'lyon'", "city"], pre.encode_target, pd.Series(["rome", "lyon"]))


def test_integer_classes_are_python_ints():
    frame = pd.DataFrame({"x": np.arange(8.0), "y": np.array([3, 1, 3, 1, 3, 1, 3, 1])})
    pre = TabularPreprocessor("classification", "y").fit(frame)
    assert pre.classes_ == [1, 3] and all(type(c) is int for c in pre.classes_)
    assert pre.decode_target(np.array([1, 0])).tolist() == [3, 1]


def test_regression_target_standardisation_round_trips(houses):
    pre = TabularPreprocessor("regression", "price")
    _, y = pre.fit_transform(houses)
    prices = houses["price"].dropna().to_numpy()
    assert y.dtype == np.float32 and y.shape == (7,)
    assert pre.target_mean_ == pytest.approx(prices.mean())
    assert pre.target_std_ == pytest.approx(prices.std())
    assert abs(y.mean()) < 1e-6 and y.std() == pytest.approx(1, abs=1e-5)
    np.testing.assert_allclose(pre.decode_target(y), prices, rtol=1e-5)
    np.testing.assert_allclose(pre.decode_target(y[:, None]), prices, rtol=1e-5)
    assert pre.classes_ is None and pre.n_outputs_ == 1


def test_constant_regression_target_has_unit_std():
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [5.0, 5.0, 5.0]})
    pre = TabularPreprocessor("regression", "y").fit(frame)
    assert pre.target_std_ == 1.0
    np.testing.assert_array_equal(pre.encode_target(frame["y"]), [0, 0, 0])


def test_save_and_load_give_identical_output(tmp_path, houses):
    pre = TabularPreprocessor("classification", "garden")
    frame = houses[houses["garden"].notna()]
    X, y = pre.fit_transform(frame)
    pre.save(tmp_path / "run")
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == [
        "preprocessing.json", "preprocessing.skops"]
    loaded = TabularPreprocessor.load(tmp_path / "run")
    np.testing.assert_array_equal(loaded.transform(frame.drop(columns="garden")), X)
    np.testing.assert_array_equal(loaded.encode_target(frame["garden"]), y)
    assert loaded.to_config() == pre.to_config()
    assert loaded.classes_ == ["no", "yes"]
    raises(["'city'", "'rome'"], loaded.transform, frame.assign(city="rome"))


def test_load_refuses_missing_corrupt_and_untrusted_files(tmp_path, houses):
    import skops.io
    from sklearn.preprocessing import FunctionTransformer

    raises(["cannot load", "nowhere", "preprocessing.json is missing"],
           TabularPreprocessor.load, tmp_path / "nowhere")
    pre = TabularPreprocessor("regression", "price").fit(houses)
    pre.save(tmp_path / "run")
    (tmp_path / "run" / "preprocessing.skops").write_bytes(b"not a zip file")
    raises(["cannot load", "run", "preprocessing.skops is not a skops file"],
           TabularPreprocessor.load, tmp_path / "run")
    (tmp_path / "run" / "preprocessing.json").write_text("{", encoding="utf-8")
    raises(["cannot load", "run", "preprocessing.json is not readable JSON"],
           TabularPreprocessor.load, tmp_path / "run")
    pre.save(tmp_path / "evil")
    skops.io.dump(FunctionTransformer(len), tmp_path / "evil" / "preprocessing.skops")
    raises(["untrusted type builtins.len in preprocessing.skops", "FunctionTransformer"],
           TabularPreprocessor.load, tmp_path / "evil")


def test_transform_errors(houses):
    pre = TabularPreprocessor("regression", "price").fit(houses)
    raises(["missing", "'area'", "'city'"], pre.transform, houses.drop(columns=["area", "city"]))
    raises(["'city'", "'rome'", "not seen"], pre.transform, houses.assign(city="rome"))
    bad = houses.astype({"area": object})
    bad.loc[2, "area"] = "big"
    raises(["'area'", "'big'", "numbers"], pre.transform, bad)
    raises(["'area'", "infinite"], pre.transform, houses.assign(area=np.inf))
    assert pre.transform(houses.iloc[:0]).shape == (0, 7)
    raises(["'price'", "'cheap'"], pre.encode_target, pd.Series(["cheap"]))


def test_fit_errors(houses):
    raises(["task", "'auto'"], TabularPreprocessor, "auto", "price")
    raises(["no feature columns", "'price'"],
           TabularPreprocessor("regression", "price").fit, houses[["price"]])
    raises(["'area'", "'rooms'", "no values"], TabularPreprocessor("regression", "price").fit,
           houses.assign(area=np.nan, rooms=None))
    raises(["'nope'", "'area'"], TabularPreprocessor("regression", "nope").fit, houses)
    raises(["'price'", "no values"], TabularPreprocessor("regression", "price").fit,
           houses.assign(price=np.nan))
    ids = pd.DataFrame({"id": [f"row{i}" for i in range(30)], "y": np.arange(30.0)})
    raises(["'id'", "30 distinct"], TabularPreprocessor("regression", "y", 20).fit, ids)
    raises(["'price'", "'a'", "one class"], TabularPreprocessor("classification", "price").fit,
           houses.assign(price="a"))


def test_load_frame_errors(tmp_path):
    raises(["does not exist", "missing.csv", "digits", "breast-cancer"],
           load_frame, tmp_path / "missing.csv")
    raises("is a directory", load_frame, tmp_path)
    raises("is empty", load_frame, write(tmp_path, ""))
    raises("no columns", load_frame, write(tmp_path, "\n\n"))
    raises("header but no rows", load_frame, write(tmp_path, "a,b,c\n"))
    raises(["only 1 column", "'a;b'"], load_frame, write(tmp_path, "a;b\n1;2\n"))
    raises(["cannot read", "CSV"], load_frame, write(tmp_path, "a,b\n1,2\n3,4,5,6\n"))
    binary = tmp_path / "image.csv"
    binary.write_bytes(b"a,b\n\xff\xfe\xfa,\x81\n")
    raises(["not a text CSV", "byte 0xff at offset 4 is not UTF-8"], load_frame, binary)


def test_resolve_target(houses):
    assert resolve_target(houses, "price", None) == "price"
    assert resolve_target(houses, None, "price") == "price"
    raises(["--target", "'area'", "'price'"], resolve_target, houses, None, None)
    raises(["'Price'", "'garden'", "did you mean 'price'"], resolve_target, houses, "Price", None)
    wide = pd.DataFrame(np.zeros((1, 30)), columns=[f"c{i}" for i in range(30)])
    message = raises(["'zzz'", "'c19'", "... and 10 more"], resolve_target, wide, "zzz", None)
    assert "'c20'" not in message


@pytest.mark.parametrize("values, expected", [
    (["a", "b", "a", "b"], "classification"),
    ([True, False, True, True], "classification"),
    ([0, 1, 2, 0, 1, 2, 0, 1, 2, 0], "classification"),
    ([0.0, 1.0, 0.0, 1.0, None, 1.0, 0.0], "classification"),
    ([0.5, 1.5, 0.5, 1.5, 0.5, 1.5], "regression"),
    (list(range(10)), "regression"),  # as many values as rows
    (list(range(30)) * 3, "regression"),  # more than 20 distinct values
])
def test_infer_task_auto(values, expected):
    assert infer_task(pd.Series(values, name="y")) == expected


def test_infer_task_errors():
    raises(["'guess'", "auto", "regression"], infer_task, pd.Series([1, 2]), "guess")
    raises(["'colour'", "not numeric", "'red'"], infer_task,
           pd.Series(["red", "blue"], name="colour"), "regression")
    raises(["'y'", "one class", "'only'"], infer_task, pd.Series(["only"] * 5, name="y"))
    raises(["'y'", "no values"], infer_task, pd.Series([None, np.nan], name="y"))
    assert infer_task(pd.Series([1, 2, 3, 4, 1]), "classification") == "classification"
    # every value different: no class could be both learnt and tested
    raises(["'n'", "identifier column", "all 4", "(e.g. 1, 2)", "another --target",
            "--task regression"], infer_task, pd.Series([1, 2, 3, 4], name="n"),
           "classification")
    message = raises(["'id'", "identifier column", "'u0'"], infer_task,
                     pd.Series(["u0", "u1", "u2", None], name="id"))
    assert "--task regression" not in message


def test_prepare_csv_drops_missing_targets(tmp_path):
    path = write(tmp_path, HOUSES)
    frame, target, task = prepare(path, "price")
    assert target == "price" and task == "regression" and len(frame) == 7
    frame, target, task = prepare(str(path), "garden", task="classification")
    assert len(frame) == 7 and frame["garden"].notna().all()
    raises(["--target", "'city'"], prepare, path)


def test_split_sizes_and_stratification():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3)).astype(np.float32)
    y = np.array([0] * 140 + [1] * 40 + [2] * 20)
    X_tr, y_tr, X_va, y_va, X_te, y_te = split(X, y, "classification", seed=1)
    assert (len(X_tr), len(X_va), len(X_te)) == (140, 30, 30)
    assert len(y_tr) == 140 and len(y_va) == 30 and len(y_te) == 30
    for part in (y_tr, y_va, y_te):  # each part keeps the 70/20/10 class shares
        np.testing.assert_allclose(np.bincount(part, minlength=3) / len(part),
                                   [0.7, 0.2, 0.1], atol=0.02)
    rows = {tuple(r) for r in np.concatenate([X_tr, X_va, X_te]).tolist()}
    assert len(rows) == 200
    again = split(X, y, "classification", seed=1)
    np.testing.assert_array_equal(again[0], X_tr)


def test_split_falls_back_to_unstratified_and_rejects_tiny_tables():
    y = np.array([0] * 9 + [1])  # one member of class 1: cannot stratify
    parts = split(np.arange(10.0)[:, None], y, "classification")
    assert [len(p) for p in parts] == [6, 6, 2, 2, 2, 2]
    parts = split(np.arange(20.0)[:, None], np.arange(20.0), "regression",
                  val_fraction=0.25, test_fraction=0.25)
    assert [len(p) for p in parts[::2]] == [10, 5, 5]
    raises(["2 row", "at least one row"], split, np.zeros((2, 1)), np.zeros(2), "regression")
    raises(["val_fraction", "less than 1"], split, np.zeros((9, 1)), np.zeros(9), "regression",
           val_fraction=0.5, test_fraction=0.5)


# ------------------------------------------------------------------ less memory, same numbers
def mixed_table(n, seed=0):
    """Numbers with gaps, whole numbers, text with gaps, booleans, a mixed column and a target."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"a": rng.normal(size=n) * 1e3, "b": rng.integers(0, 9, n),
                          "c": rng.choice(["x", "y", "z"], n), "d": rng.choice([True, False], n),
                          "e": rng.lognormal(size=n), "f": rng.choice(["u", 1, 2.0], n),
                          "g": [f"v{i % 40}" for i in range(n)], "y": rng.normal(size=n)})
    frame.loc[rng.choice(n, n // 10, replace=False), "a"] = np.nan
    frame.loc[rng.choice(n, n // 7, replace=False), "c"] = None
    frame["band"] = np.where(frame["y"] > 0.5, "high", np.where(frame["y"] < -0.5, "low", "mid"))
    return frame


def reference_fit(pre, frame):
    """The ColumnTransformer fitted the plain way (``fit`` on every row, as before issue 16),
    and the features it was fitted on."""
    from glassgrad.tabular.preprocessor import _build_transformer

    features = pd.DataFrame(dict(pre._features(frame, check_categories=False)))
    transformer = _build_transformer(pre.numeric_columns_, pre.categorical_columns_)
    return transformer.fit(features), features


def assert_same(a, b, path="transformer"):
    """``a`` and ``b`` have the same types and values throughout (NaN equal to NaN)."""
    from sklearn.base import BaseEstimator

    assert type(a) is type(b), (path, type(a), type(b))
    if isinstance(a, BaseEstimator):
        assert vars(a).keys() == vars(b).keys(), (path, vars(a).keys() ^ vars(b).keys())
        for key in vars(a):
            assert_same(vars(a)[key], vars(b)[key], f"{path}.{key}")
    elif isinstance(a, np.ndarray):
        assert (a.dtype, a.shape) == (b.dtype, b.shape), path
        np.testing.assert_array_equal(a, b, err_msg=path)
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{path}[{i}]")
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for key in a:
            assert_same(a[key], b[key], f"{path}[{key!r}]")
    elif isinstance(a, (float, np.floating)) and np.isnan(a):
        assert np.isnan(b), path
    else:
        assert a == b, (path, a, b)


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of about 4096 values, so that a few thousand rows use several of them."""
    from glassgrad.tabular import preprocessor

    monkeypatch.setattr(preprocessor, "_BLOCK_VALUES", 1 << 12)
    return 1 << 12


@pytest.mark.parametrize("task, target", [("regression", "y"), ("classification", "band")])
def test_fit_equals_column_transformer_fit_attribute_for_attribute(small_blocks, task, target):
    frame = mixed_table(3000).drop(columns="band" if target == "y" else "y")
    pre = TabularPreprocessor(task, target).fit(frame)
    assert pre.numeric_columns_ == ["a", "b", "e"]
    full, features = reference_fit(pre, frame)
    assert_same(pre._transformer, full)
    expected = np.asarray(full.transform(features), dtype=np.float32)
    np.testing.assert_array_equal(pre.transform(frame), expected)


def test_fit_and_transform_work_in_blocks(small_blocks, monkeypatch):
    """The memory behaviour without measuring memory: the ColumnTransformer is fitted on a few
    layout rows only, the median imputer on a few columns at a time, and transform hands the
    ColumnTransformer blocks of rows."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer

    calls = {"fit": [], "transform": [], "median": []}
    fit_transform, transform, impute = (ColumnTransformer.fit_transform,
                                        ColumnTransformer.transform, SimpleImputer.fit)

    def record(kind, method):
        def recorded(self, X, *args, **kwargs):
            if kind != "median" or self.strategy == "median":
                calls[kind].append(X.shape)
            return method(self, X, *args, **kwargs)
        return recorded

    monkeypatch.setattr(ColumnTransformer, "fit_transform", record("fit", fit_transform))
    monkeypatch.setattr(ColumnTransformer, "transform", record("transform", transform))
    monkeypatch.setattr(SimpleImputer, "fit", record("median", impute))
    frame = mixed_table(3000)
    pre = TabularPreprocessor("regression", "y").fit(frame.drop(columns="band"))
    n_categories = frame[["c", "d", "f", "g"]].nunique().sum()
    assert len(calls["fit"]) == 1 and calls["fit"][0][0] <= 3 + n_categories
    width = small_blocks // 3000 or 1
    assert all(columns <= width for _, columns in calls["median"][1:])   # [0]: layout rows
    assert sum(columns for _, columns in calls["median"][1:]) == 3
    calls["transform"].clear()
    X = pre.transform(frame)
    step = small_blocks // pre.n_features_out_
    assert [rows for rows, _ in calls["transform"]] == [step] * (3000 // step) + [3000 % step]
    assert X.shape == (3000, pre.n_features_out_) and X.dtype == np.float32


@pytest.mark.parametrize("target, task", [("y", "auto"), ("band", "auto"), ("b", "classification")])
def test_training_data_gives_the_numbers_of_the_step_by_step_path(tmp_path, small_blocks,
                                                                   target, task):
    from glassgrad.tabular import training_data

    frame = mixed_table(2000, seed=1)
    frame.loc[::13, target] = np.nan if target != "band" else None
    path = tmp_path / "table.csv"
    frame.to_csv(path, index=False)
    data = training_data(path, target, task, seed=3)
    # step by step, as glassgrad train did before issue 16: split the frame, fit on its
    # training rows, transform each part whole
    frame, target, task = prepare(path, target, task)
    train, y_train, val, y_val, test, y_test = split(frame, frame[target], task, seed=3)
    assert (data.target, data.task) == (target, task)
    full, _ = reference_fit(data.preprocessor, train)
    assert_same(data.preprocessor._transformer, full)
    for name, part in (("train", train), ("val", val), ("test", test)):
        features = pd.DataFrame(dict(data.preprocessor._features(part)))
        x, y = data.parts[name]
        np.testing.assert_array_equal(x, np.asarray(full.transform(features), np.float32))
        np.testing.assert_array_equal(y, data.preprocessor.encode_target(part[target]))
    pd.testing.assert_frame_equal(data.test_frame, test)
