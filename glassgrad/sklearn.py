"""scikit-learn estimators backed by a glassgrad MLP: NeuralNetClassifier and NeuralNetRegressor.

Each is a scikit-learn estimator (``fit`` / ``predict`` / ``score`` / ``get_params``), so it works
in a ``Pipeline``, ``GridSearchCV``, ``cross_val_score`` and ``clone``, and passes scikit-learn's
own estimator checks. Inside, ``fit`` builds a fresh ``nn.Sequential`` of Linear layers and
activations and trains it with ``glassgrad.train.Trainer`` (the project's one training loop):

    X (n_samples, n_features) -> Linear -> act -> ... -> Linear -> logits or values
    classifier: CrossEntropyLoss(logits, class index);  predict_proba = softmax(logits)
    regressor:  MSELoss(values, (y - mean) / std);     predict = values * std + mean

The parameter names follow ``sklearn.neural_network.MLPClassifier`` where it has the same idea
(``hidden_layer_sizes``, ``activation``, ``batch_size``, ``max_iter`` = the number of epochs,
``early_stopping``, ``validation_fraction``, ``random_state``, ``verbose``) and PyTorch's for
the optimiser (``optimizer``, ``lr``, ``weight_decay``) and for early stopping (``patience``).

This module is not imported by ``import glassgrad``; it needs scikit-learn.

Example:
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from glassgrad.sklearn import NeuralNetClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> model = make_pipeline(StandardScaler(),
    ...                       NeuralNetClassifier(hidden_layer_sizes=(64,), max_iter=20,
    ...                                           random_state=0))
    >>> model.fit(X, y).score(X, y)
    0.971...
    >>> [round(loss, 2) for loss in model[-1].loss_curve_[:3]]
    [2.19, 1.97, 1.75]
"""

import contextlib
import copy
import math
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MultiOutputMixin, RegressorMixin
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from . import nn
from .creation import from_numpy
from .models import ACTIVATIONS, OPTIMIZERS, mlp
from .random import Generator, get_rng_state, manual_seed, set_rng_state
from .train import EarlyStopping, Trainer
from .utils.data import DataLoader, TensorDataset

__all__ = ["NeuralNetClassifier", "NeuralNetRegressor"]

_AUTO_BATCH = 200  # batch_size="auto" means min(200, n_samples), as in MLPClassifier
_PREDICT_BATCH = 4096


@contextlib.contextmanager
def _seeded(seed):
    """Seed glassgrad's global generator for the block, then put the caller's state back.

    Parameter initialisation draws from the global generator; restoring it afterwards means a
    ``fit`` neither depends on nor disturbs the random numbers of the code around it. (Fits in
    parallel threads of one process would share the generator; joblib's default backend,
    used by GridSearchCV's ``n_jobs``, runs them in separate processes.)
    """
    state = get_rng_state()
    manual_seed(seed)
    try:
        yield
    finally:
        set_rng_state(state)


def _is_int(value):
    return isinstance(value, Integral) and not isinstance(value, bool)


def _is_real(value):
    return isinstance(value, Real) and not isinstance(value, bool)


def _options(names):
    return ", ".join(repr(name) for name in sorted(names))


class _NeuralNetBase(BaseEstimator):
    """What the classifier and the regressor share: parameters, the MLP, the training run.

    The parameters are documented on NeuralNetClassifier and NeuralNetRegressor. As scikit-learn
    asks, ``__init__`` only stores them; ``fit`` checks them.
    """

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", optimizer="adam", lr=1e-3,
                 weight_decay=0.0, batch_size="auto", max_iter=200, early_stopping=False,
                 validation_fraction=0.1, patience=10, random_state=None, verbose=False):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.lr = lr
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ parameters
    def _checked_hidden_layer_sizes(self):
        """``hidden_layer_sizes`` as a tuple of positive ints (an int means one layer)."""
        sizes = self.hidden_layer_sizes
        if _is_int(sizes):
            sizes = (sizes,)
        try:
            sizes = tuple(sizes)
        except TypeError:
            sizes = None
        if sizes is None or not all(_is_int(size) and size >= 1 for size in sizes):
            raise ValueError("hidden_layer_sizes must be a tuple of positive ints, one per "
                             f"hidden layer (e.g. (100,) or (64, 32)), got "
                             f"{self.hidden_layer_sizes!r}")
        return sizes

    def _check_params(self):
        """Raise a ValueError naming the first parameter whose value is not allowed."""
        self._checked_hidden_layer_sizes()
        choices = {"activation": ACTIVATIONS, "optimizer": OPTIMIZERS}
        for name, allowed in choices.items():
            value = getattr(self, name)
            if not isinstance(value, str) or value not in allowed:
                raise ValueError(f"{name} must be one of {_options(allowed)}, got {value!r}")
        if not _is_real(self.lr) or not self.lr > 0:
            raise ValueError(f"lr must be a number > 0, got {self.lr!r}")
        if not _is_real(self.weight_decay) or not self.weight_decay >= 0:
            raise ValueError(f"weight_decay must be a number >= 0, got {self.weight_decay!r}")
        batch_size = self.batch_size
        if not (isinstance(batch_size, str) and batch_size == "auto"
                or _is_int(batch_size) and batch_size >= 1):
            raise ValueError(f"batch_size must be 'auto' or an int >= 1, got {batch_size!r}")
        if not _is_int(self.max_iter) or self.max_iter < 1:
            raise ValueError(f"max_iter (the number of epochs) must be an int >= 1, got "
                             f"{self.max_iter!r}")
        if not isinstance(self.early_stopping, (bool, np.bool_)):
            raise ValueError(f"early_stopping must be True or False, got {self.early_stopping!r}")
        fraction = self.validation_fraction
        if not _is_real(fraction) or not 0 < fraction < 1:
            raise ValueError(f"validation_fraction must be a number in (0, 1), got {fraction!r}")
        if not _is_int(self.patience) or self.patience < 1:
            raise ValueError(f"patience must be an int >= 1, got {self.patience!r}")

    # ------------------------------------------------------------------ the network
    def _build_model(self, n_inputs, n_outputs):
        """``Sequential(Linear, act, ..., Linear)`` with ``hidden_layer_sizes`` hidden units."""
        return mlp(n_inputs, self._checked_hidden_layer_sizes(), n_outputs, self.activation)

    def _loader(self, X, y, shuffle, generator=None):
        n_samples = X.shape[0]
        batch_size = min(_AUTO_BATCH, n_samples) if self.batch_size == "auto" else self.batch_size
        dataset = TensorDataset(from_numpy(X), from_numpy(y))
        return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=generator)

    def _split(self, X, y, stratify, seed):
        """Hold out ``validation_fraction`` of the samples for early stopping."""
        n_samples = X.shape[0]
        n_val = math.ceil(self.validation_fraction * n_samples)
        if n_samples - n_val < 1:
            raise ValueError(f"early_stopping holds out validation_fraction="
                             f"{self.validation_fraction} of the samples, which leaves no "
                             f"training samples out of n_samples={n_samples}")
        return train_test_split(X, y, test_size=n_val, random_state=seed, stratify=stratify)

    def _train(self, X, y, n_outputs, loss_fn, stratify=None):
        """Build the MLP and train it on float32 ``X`` and the encoded targets ``y``.

        ``stratify`` (class indices or None) is passed to the early-stopping split.
        """
        rng = check_random_state(self.random_state)
        init_seed, shuffle_seed, split_seed = (int(s) for s in rng.randint(2 ** 31 - 1, size=3))
        X = np.array(X, dtype=np.float32)  # a private, writable, float32 copy
        callbacks = []
        X_val = y_val = None
        if self.early_stopping:
            X, X_val, y, y_val = self._split(X, y, stratify, split_seed)
            callbacks.append(EarlyStopping(monitor="val_loss", patience=self.patience,
                                           restore_best_weights=True))
        with _seeded(init_seed):
            model = self._build_model(X.shape[1], n_outputs)
            optimizer = OPTIMIZERS[self.optimizer](model.parameters(), lr=self.lr,
                                                   weight_decay=self.weight_decay)
            generator = Generator().manual_seed(shuffle_seed)
            train_loader = self._loader(X, y, shuffle=True, generator=generator)
            val_loader = None if X_val is None else self._loader(X_val, y_val, shuffle=False)
            trainer = Trainer(max_epochs=self.max_iter, callbacks=callbacks,
                              progress=bool(self.verbose))
            history = trainer.fit(model, train_loader, val_loader, loss_fn=loss_fn,
                                  optimizer=optimizer)
        self.model_ = model
        self.history_ = history
        self.n_iter_ = len(history.epochs)
        self.loss_curve_ = history.epoch_values("train_loss")
        return self

    def _forward(self, X):
        """The network's outputs for ``X``, computed in float64.

        The trained float32 weights are copied to float64 first. In float32 a row's output
        depends (by a few rounding errors) on which BLAS kernel ran, and so on how many rows
        came with it; in float64 these differences are far below scikit-learn's tolerance for
        ``predict(X[i:i+1]) == predict(X)[i]``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        model = copy.deepcopy(self.model_).double()
        dataset = TensorDataset(from_numpy(np.array(X, dtype=np.float64)))
        loader = DataLoader(dataset, batch_size=_PREDICT_BATCH)
        return Trainer(progress=False).predict(model, loader).numpy()


class NeuralNetClassifier(ClassifierMixin, _NeuralNetBase):
    """A multi-layer perceptron classifier trained by glassgrad (softmax + cross-entropy).

    p(class k | x) = softmax(f(x))_k, with f the MLP; ``fit`` minimises the mean cross-entropy
    -log p(y_i | x_i) over mini-batches. Labels may be any values ``np.unique`` can sort
    (ints, strings, ...); ``classes_`` holds them in order, and the network has one output per
    class (two for a binary problem).

    Args:
        hidden_layer_sizes: the width of each hidden layer, e.g. ``(100,)`` or ``(64, 32)``;
            an int means one hidden layer; ``()`` gives a linear (softmax regression) model.
        activation: the nonlinearity after each hidden layer: 'relu', 'tanh', 'sigmoid' (or
            'logistic'), 'gelu', 'elu', 'leaky_relu', 'silu' or 'identity'.
        optimizer: 'adam', 'adamw', 'sgd' (with momentum 0.9), 'rmsprop' or 'adagrad'.
        lr: the optimiser's learning rate.
        weight_decay: L2 penalty passed to the optimiser (decoupled for 'adamw').
        batch_size: samples per mini-batch; 'auto' means ``min(200, n_samples)``.
        max_iter: the number of epochs (passes over the training data), as MLPClassifier's
            ``max_iter`` for its stochastic solvers; fewer run when early stopping stops.
        early_stopping: hold out ``validation_fraction`` of the training data (stratified when
            every class has enough samples), stop when the validation loss has not improved
            for ``patience`` epochs, and keep the weights of the best epoch. Without it, all
            ``max_iter`` epochs run.
        validation_fraction: the share of samples held out when ``early_stopping``.
        patience: epochs without improvement of the validation loss before stopping.
        random_state: None, an int or a ``np.random.RandomState``; it seeds the initial
            weights, the batch order and the validation split, so an int gives the same
            model (and predictions) on every fit.
        verbose: print a table row (losses, time) after every epoch.

    Attributes:
        classes_: the class labels, sorted.
        n_features_in_, feature_names_in_: the number (and names, for a DataFrame) of features.
        model_: the trained ``nn.Sequential``.
        history_: the Trainer's ``History`` (every step's and epoch's losses, grad norms, ...).
        n_iter_: the number of epochs run (with early stopping, including the ``patience``
            epochs after the best one, whose weights are kept).
        loss_curve_: the mean training loss of each epoch.

    Example:
        >>> clf = NeuralNetClassifier(hidden_layer_sizes=(32,), max_iter=50, random_state=0)
        >>> clf.fit([[0, 0], [0, 1], [1, 0], [1, 1]], ["no", "yes", "yes", "no"]).classes_
        array(['no', 'yes'], dtype='<U3')
    """

    def fit(self, X, y):
        """Train a fresh network on ``X`` (n_samples, n_features) and labels ``y`` (n_samples,).

        Returns:
            self
        """
        self._check_params()
        X, y = validate_data(self, X, y, dtype=[np.float32, np.float64])
        check_classification_targets(y)
        encoder = LabelEncoder().fit(y)
        classes = encoder.classes_
        if len(classes) < 2:
            raise ValueError(f"{type(self).__name__} needs samples of at least 2 classes in y, "
                             f"but the data contains only 1 class: {classes[0]!r}")
        self.classes_ = classes
        targets = encoder.transform(y).astype(np.int64)
        stratify = targets if self._can_stratify(targets) else None
        return self._train(X, targets, len(classes), nn.CrossEntropyLoss(), stratify)

    def _can_stratify(self, targets):
        """Whether the early-stopping split can keep every class on both of its sides."""
        counts = np.bincount(targets)
        n_val = math.ceil(self.validation_fraction * len(targets))
        return counts.min() >= 2 and min(n_val, len(targets) - n_val) >= len(counts)

    def predict_proba(self, X):
        """p(class | x) for each row of ``X``: shape (n_samples, n_classes), rows sum to 1."""
        logits = self._forward(X)
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)

    def predict(self, X):
        """The most probable class of each row of ``X``: shape (n_samples,)."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]


class NeuralNetRegressor(MultiOutputMixin, RegressorMixin, _NeuralNetBase):
    """A multi-layer perceptron regressor trained by glassgrad (mean squared error).

    The targets are standardised for training, z = (y - y_mean_) / y_scale_ per output, the
    network minimises mean((f(x) - z)^2), and ``predict`` returns f(x) * y_scale_ + y_mean_.
    ``y`` may be 1-D (one output) or 2-D (n_samples, n_outputs); ``predict`` returns the same
    number of dimensions as the ``y`` given to ``fit``.

    Args:
        hidden_layer_sizes: the width of each hidden layer, e.g. ``(100,)`` or ``(64, 32)``;
            an int means one hidden layer; ``()`` gives a linear regression model.
        activation: the nonlinearity after each hidden layer: 'relu', 'tanh', 'sigmoid' (or
            'logistic'), 'gelu', 'elu', 'leaky_relu', 'silu' or 'identity'.
        optimizer: 'adam', 'adamw', 'sgd' (with momentum 0.9), 'rmsprop' or 'adagrad'.
        lr: the optimiser's learning rate.
        weight_decay: L2 penalty passed to the optimiser (decoupled for 'adamw').
        batch_size: samples per mini-batch; 'auto' means ``min(200, n_samples)``.
        max_iter: the number of epochs (passes over the training data), as MLPRegressor's
            ``max_iter`` for its stochastic solvers; fewer run when early stopping stops.
        early_stopping: hold out ``validation_fraction`` of the training data, stop when the
            validation loss has not improved for ``patience`` epochs, and keep the weights of
            the best epoch. Without it, all ``max_iter`` epochs run.
        validation_fraction: the share of samples held out when ``early_stopping``.
        patience: epochs without improvement of the validation loss before stopping.
        random_state: None, an int or a ``np.random.RandomState``; it seeds the initial
            weights, the batch order and the validation split, so an int gives the same
            model (and predictions) on every fit.
        verbose: print a table row (losses, time) after every epoch.

    Attributes:
        n_outputs_: the number of targets.
        y_mean_, y_scale_: per-output mean and standard deviation of the training targets
            (a constant target gets scale 1).
        n_features_in_, feature_names_in_: the number (and names, for a DataFrame) of features.
        model_: the trained ``nn.Sequential``.
        history_: the Trainer's ``History`` (every step's and epoch's losses, grad norms, ...).
        n_iter_: the number of epochs run (with early stopping, including the ``patience``
            epochs after the best one, whose weights are kept).
        loss_curve_: the mean training loss (on standardised targets) of each epoch.

    Example:
        >>> reg = NeuralNetRegressor(hidden_layer_sizes=(), lr=0.05, max_iter=300, random_state=0)
        >>> reg.fit([[0.0], [1.0], [2.0], [3.0]], [1.0, 3.0, 5.0, 7.0]).predict([[1.5]]).round(3)
        array([4.])
    """

    def fit(self, X, y):
        """Train a fresh network on ``X`` (n_samples, n_features) and ``y`` (n_samples,) or
        (n_samples, n_outputs).

        Returns:
            self
        """
        self._check_params()
        X, y = validate_data(self, X, y, dtype=[np.float32, np.float64], multi_output=True,
                             y_numeric=True)
        self._y_was_1d = y.ndim == 1
        y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        self.n_outputs_ = y.shape[1]
        self.y_mean_ = y.mean(axis=0)
        scale = y.std(axis=0)
        self.y_scale_ = np.where(scale > 0, scale, 1.0)
        targets = ((y - self.y_mean_) / self.y_scale_).astype(np.float32)
        return self._train(X, targets, self.n_outputs_, nn.MSELoss())

    def predict(self, X):
        """Predicted targets: shape (n_samples,) if ``fit`` got a 1-D y, else (n_samples,
        n_outputs)."""
        y = self._forward(X) * self.y_scale_ + self.y_mean_
        return y.ravel() if self._y_was_1d else y
