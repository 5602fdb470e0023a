"""glassgrad.sklearn: scikit-learn's own estimator checks, plus Pipeline, GridSearchCV, clone,
real data sets, reproducibility, early stopping and parameter errors."""

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_diabetes, load_digits, make_blobs, make_regression  # noqa: E402
from sklearn.model_selection import GridSearchCV, train_test_split  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

import glassgrad as gg  # noqa: E402
from glassgrad.sklearn import NeuralNetClassifier, NeuralNetRegressor  # noqa: E402

# Small, quick settings that still learn the checks' easy problems well.
SMALL = dict(hidden_layer_sizes=(16,), max_iter=20, batch_size=32, lr=1e-2, random_state=0)


@parametrize_with_checks([NeuralNetClassifier(**SMALL), NeuralNetRegressor(**SMALL)])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)


@pytest.fixture(scope="module")
def blobs():
    return make_blobs(n_samples=200, centers=3, n_features=4, random_state=0)


def test_classifier_in_pipeline_on_digits(digits):
    X_train, X_test, y_train, y_test = digits
    pipe = Pipeline([("scale", StandardScaler()),
                     ("net", NeuralNetClassifier(hidden_layer_sizes=(64,), max_iter=20,
                                                 random_state=0))])
    pipe.fit(X_train, y_train)
    assert pipe.score(X_test, y_test) > 0.9
    proba = pipe.predict_proba(X_test)
    assert proba.shape == (len(X_test), 10)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    net = pipe.named_steps["net"]
    assert net.n_iter_ == 20 and len(net.loss_curve_) == 20
    assert net.loss_curve_[-1] < net.loss_curve_[0]
    assert isinstance(net.model_, gg.nn.Sequential)


def test_regressor_on_diabetes():
    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
    pipe = Pipeline([("scale", StandardScaler()),
                     ("net", NeuralNetRegressor(hidden_layer_sizes=(32,), max_iter=30,
                                                random_state=0))])
    pipe.fit(X_train, y_train)
    assert pipe.score(X_test, y_test) > 0.3
    net = pipe.named_steps["net"]
    np.testing.assert_allclose(net.y_mean_, [y_train.mean()])
    assert pipe.predict(X_test).shape == y_test.shape


def test_regressor_multi_output_keeps_dimensions():
    X, y = make_regression(n_samples=120, n_features=5, n_targets=3, noise=1.0, random_state=0)
    reg = NeuralNetRegressor(**SMALL).fit(X, y)
    assert reg.n_outputs_ == 3
    assert reg.predict(X).shape == (120, 3)
    assert reg.score(X, y) > 0.8
    column = NeuralNetRegressor(**SMALL).fit(X, y[:, :1])
    assert column.predict(X).shape == (120, 1)


def test_grid_search_picks_best_params(blobs):
    X, y = blobs
    grid = GridSearchCV(NeuralNetClassifier(max_iter=10, batch_size=32, random_state=0),
                        {"hidden_layer_sizes": [(8,), (16,)], "lr": [1e-3, 1e-2]}, cv=2)
    grid.fit(X, y)
    assert set(grid.best_params_) == {"hidden_layer_sizes", "lr"}
    assert grid.best_params_["hidden_layer_sizes"] in [(8,), (16,)]
    assert grid.best_params_["lr"] in [1e-3, 1e-2]
    assert grid.best_estimator_.score(X, y) > 0.9


def test_clone_copies_params_not_fitted_state(blobs):
    X, y = blobs
    net = NeuralNetClassifier(hidden_layer_sizes=(8, 4), activation="tanh", optimizer="sgd",
                              lr=0.05, **{k: SMALL[k] for k in ("max_iter", "random_state")})
    net.fit(X, y)
    twin = clone(net)
    assert twin.get_params() == net.get_params()
    assert not hasattr(twin, "model_")
    np.testing.assert_array_equal(twin.fit(X, y).predict_proba(X), net.predict_proba(X))


def test_string_labels_round_trip(blobs):
    X, y = blobs
    names = np.array(["cat", "dog", "eel"])[y]
    net = NeuralNetClassifier(**SMALL).fit(X, names)
    np.testing.assert_array_equal(net.classes_, ["cat", "dog", "eel"])
    assert set(net.predict(X)) <= {"cat", "dog", "eel"}
    assert net.score(X, names) > 0.9


def test_random_state_makes_fits_reproducible(blobs):
    X, y = blobs
    params = {**SMALL, "random_state": 7}
    first = NeuralNetClassifier(**params).fit(X, y).predict_proba(X)
    second = NeuralNetClassifier(**params).fit(X, y).predict_proba(X)
    other = NeuralNetClassifier(**{**params, "random_state": 8}).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first, other)


def test_fit_leaves_the_global_generator_alone(blobs):
    X, y = blobs
    gg.manual_seed(123)
    expected = gg.rand(3).numpy()
    gg.manual_seed(123)
    NeuralNetClassifier(**SMALL).fit(X, y)
    np.testing.assert_array_equal(gg.rand(3).numpy(), expected)


def test_early_stopping_stops_before_max_iter():
    # pure noise: the validation loss stops improving after a few epochs of memorising
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(200, 10)), rng.normal(size=200)
    reg = NeuralNetRegressor(hidden_layer_sizes=(64,), lr=1e-2, batch_size=32, max_iter=200,
                             early_stopping=True, patience=3, random_state=0).fit(X, y)
    assert reg.n_iter_ < 200
    assert len(reg.loss_curve_) == reg.n_iter_
    val_loss = reg.history_.epoch_values("val_loss")
    assert len(val_loss) == reg.n_iter_
    assert np.argmin(val_loss) == reg.n_iter_ - 1 - 3  # the best epoch, then `patience` more


def test_early_stopping_classifier_is_stratified(blobs):
    X, y = blobs
    net = NeuralNetClassifier(**{**SMALL, "early_stopping": True, "validation_fraction": 0.2})
    net.fit(X, y)
    assert net.score(X, y) > 0.9
    assert "val_loss" in net.history_.keys()


@pytest.mark.parametrize("param, value, message", [
    ("hidden_layer_sizes", (16, 0), "hidden_layer_sizes must be a tuple of positive ints"),
    ("hidden_layer_sizes", "big", "hidden_layer_sizes must be a tuple of positive ints"),
    ("activation", "swish", "activation must be one of 'elu', 'gelu'"),
    ("optimizer", "lbfgs", "optimizer must be one of 'adagrad', 'adam', 'adamw'"),
    ("lr", 0, "lr must be a number > 0"),
    ("weight_decay", -1.0, "weight_decay must be a number >= 0"),
    ("batch_size", 0, "batch_size must be 'auto' or an int >= 1"),
    ("max_iter", 0, "max_iter .* must be an int >= 1"),
    ("early_stopping", "yes", "early_stopping must be True or False"),
    ("validation_fraction", 1.0, r"validation_fraction must be a number in \(0, 1\)"),
    ("validation_fraction", "10%", r"validation_fraction must be a number in \(0, 1\)"),
    ("patience", 0, "patience must be an int >= 1"),
])
@pytest.mark.parametrize("Estimator", [NeuralNetClassifier, NeuralNetRegressor])
def test_bad_parameters_raise_on_fit(Estimator, param, value, message, blobs):
    X, y = blobs
    estimator = Estimator(**{param: value})  # __init__ only stores
    assert estimator.get_params()[param] == value
    with pytest.raises(ValueError, match=message):
        estimator.fit(X, y)


def test_one_class_is_an_error():
    with pytest.raises(ValueError, match="at least 2 classes"):
        NeuralNetClassifier(**SMALL).fit(np.zeros((5, 2)), np.ones(5))


def test_early_stopping_needs_training_samples():
    with pytest.raises(ValueError, match="leaves no training samples"):
        NeuralNetRegressor(early_stopping=True, validation_fraction=0.5).fit([[0.0]], [1.0])


def test_hidden_layer_sizes_int_and_empty(blobs):
    X, y = blobs
    one = NeuralNetClassifier(**{**SMALL, "hidden_layer_sizes": 8}).fit(X, y)
    assert [type(m).__name__ for m in one.model_] == ["Linear", "ReLU", "Linear"]
    linear = NeuralNetClassifier(**{**SMALL, "hidden_layer_sizes": ()}).fit(X, y)
    assert [type(m).__name__ for m in linear.model_] == ["Linear"]
    assert linear.score(X, y) > 0.9
