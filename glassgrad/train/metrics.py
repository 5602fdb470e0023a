"""Metrics that the Trainer accumulates over an epoch, batch by batch.

A metric sees every batch's model output and target (``update``), keeps a few running sums,
and turns them into one number at the end of the epoch (``compute``). Accumulating sums rather
than averaging per-batch values gives the exact epoch figure, whatever the batch sizes.

Classification metrics take logits or probabilities of shape (N, C) (the class is the argmax),
or scores of shape (N,) / (N, 1) for a binary problem (class 1 when the score is above 0.5 for
probabilities in [0, 1], above 0 otherwise, i.e. logits), and integer targets of shape (N,).
Regression metrics take predictions and targets of the same number of elements.

Names accepted by ``get_metric``: accuracy, precision, recall, f1, mae, rmse, r2.
The functional forms (``accuracy(output, target)`` ...) compute one batch's value.

Example:
    >>> metric = Accuracy()
    >>> metric.update(glassgrad.tensor([[2.0, 1.0], [0.0, 3.0]]), glassgrad.tensor([0, 0]))
    >>> metric.compute()
    0.5
"""

import numpy as np

__all__ = ["Metric", "Accuracy", "Precision", "Recall", "F1Score", "MeanAbsoluteError",
           "RootMeanSquaredError", "R2Score", "get_metric", "METRICS", "accuracy", "precision",
           "recall", "f1_score", "mean_absolute_error", "root_mean_squared_error", "r2_score"]


def _array(value):
    """The NumPy array behind a Tensor, array or list."""
    data = getattr(value, "_data", value)
    return np.asarray(data)


def predicted_classes(output):
    """Class indices from logits/probabilities (N, C) or binary scores (N,) / (N, 1)."""
    output = _array(output)
    if output.ndim == 2 and output.shape[1] > 1:
        return output.argmax(axis=1)
    scores = output.reshape(-1)
    is_probability = scores.size and scores.min() >= 0.0 and scores.max() <= 1.0
    threshold = 0.5 if is_probability else 0.0
    return (scores > threshold).astype(np.int64)


class Metric:
    """A value accumulated over batches: ``reset``, ``update(output, target)``, ``compute``.

    Subclasses keep their running sums in ``self.state`` (a dict of floats and NumPy arrays), so
    a checkpoint can save and restore a half-finished epoch with ``state_dict``.
    """

    name = "metric"
    higher_is_better = True

    def __init__(self):
        self.reset()

    def reset(self):
        self.state = {}

    def update(self, output, target):
        raise NotImplementedError(f"{type(self).__name__} must implement update(output, target)")

    def compute(self):
        raise NotImplementedError(f"{type(self).__name__} must implement compute()")

    def state_dict(self):
        return {key: np.asarray(value).tolist() for key, value in self.state.items()}

    def load_state_dict(self, state):
        self.state = {key: np.asarray(value, dtype=np.float64) for key, value in state.items()}

    def __repr__(self):
        return f"{type(self).__name__}()"


class Accuracy(Metric):
    """Fraction of samples whose predicted class equals the target: (1/N) sum 1[argmax = y]."""

    name = "accuracy"

    def reset(self):
        self.state = {"correct": 0.0, "total": 0.0}

    def update(self, output, target):
        target = _array(target).reshape(-1)
        self.state["correct"] += float(np.count_nonzero(predicted_classes(output) == target))
        self.state["total"] += target.size

    def compute(self):
        return self.state["correct"] / max(self.state["total"], 1.0)


class _ConfusionMetric(Metric):
    """Metrics read off a confusion matrix that grows as new classes appear."""

    def reset(self):
        self.state = {"confusion": np.zeros((0, 0))}

    def update(self, output, target):
        target = _array(target).reshape(-1).astype(np.int64)
        predicted = predicted_classes(output)
        n = max(len(self.state["confusion"]), int(target.max(initial=-1)) + 1,
                int(predicted.max(initial=-1)) + 1, *(_array(output).shape[1:2]))
        confusion = np.zeros((n, n))
        old = self.state["confusion"]
        confusion[:len(old), :len(old)] = old
        np.add.at(confusion, (target, predicted), 1.0)
        self.state["confusion"] = confusion

    def _per_class(self):
        """True positives, predicted counts and actual counts per class."""
        confusion = self.state["confusion"]
        return np.diag(confusion), confusion.sum(axis=0), confusion.sum(axis=1)

    @staticmethod
    def _macro(numerator, denominator, present):
        """Mean over the classes that occur of numerator / denominator (0 where 0 / 0)."""
        ratio = np.divide(numerator, denominator, out=np.zeros_like(numerator),
                          where=denominator > 0)
        return float(ratio[present].mean()) if present.any() else 0.0


class Precision(_ConfusionMetric):
    """Macro precision: the mean over classes of TP / (TP + FP)."""

    name = "precision"

    def compute(self):
        tp, predicted, actual = self._per_class()
        return self._macro(tp, predicted, (predicted + actual) > 0)


class Recall(_ConfusionMetric):
    """Macro recall: the mean over classes of TP / (TP + FN)."""

    name = "recall"

    def compute(self):
        tp, predicted, actual = self._per_class()
        return self._macro(tp, actual, (predicted + actual) > 0)


class F1Score(_ConfusionMetric):
    """Macro F1: the mean over classes of 2 TP / (2 TP + FP + FN), the harmonic mean of P and R."""

    name = "f1"

    def compute(self):
        tp, predicted, actual = self._per_class()
        return self._macro(2 * tp, predicted + actual, (predicted + actual) > 0)


class _RegressionMetric(Metric):
    """Running sums of the errors e = prediction - target, and of the targets."""

    higher_is_better = False

    def reset(self):
        self.state = {"n": 0.0, "abs_error": 0.0, "squared_error": 0.0,
                      "target_sum": 0.0, "target_squared_sum": 0.0}

    def update(self, output, target):
        prediction = _array(output).reshape(-1).astype(np.float64)
        target = _array(target).reshape(-1).astype(np.float64)
        if prediction.size != target.size:
            raise ValueError(f"{type(self).__name__}: output has {prediction.size} values but "
                             f"target has {target.size}; they must match one to one")
        error = prediction - target
        self.state["n"] += target.size
        self.state["abs_error"] += float(np.abs(error).sum())
        self.state["squared_error"] += float(error @ error)
        self.state["target_sum"] += float(target.sum())
        self.state["target_squared_sum"] += float(target @ target)


class MeanAbsoluteError(_RegressionMetric):
    """MAE = (1/N) sum |y_hat - y|."""

    name = "mae"

    def compute(self):
        return self.state["abs_error"] / max(self.state["n"], 1.0)


class RootMeanSquaredError(_RegressionMetric):
    """RMSE = sqrt((1/N) sum (y_hat - y)^2)."""

    name = "rmse"

    def compute(self):
        return float(np.sqrt(self.state["squared_error"] / max(self.state["n"], 1.0)))


class R2Score(_RegressionMetric):
    """R^2 = 1 - sum (y_hat - y)^2 / sum (y - mean(y))^2 (1 for a perfect fit, 0 for the mean)."""

    name = "r2"
    higher_is_better = True

    def compute(self):
        n = max(self.state["n"], 1.0)
        total = self.state["target_squared_sum"] - self.state["target_sum"] ** 2 / n
        if total <= 0.0:
            return 1.0 if self.state["squared_error"] == 0.0 else 0.0
        return 1.0 - self.state["squared_error"] / total


METRICS = {"accuracy": Accuracy, "acc": Accuracy, "precision": Precision, "recall": Recall,
           "f1": F1Score, "mae": MeanAbsoluteError, "rmse": RootMeanSquaredError,
           "r2": R2Score}


def get_metric(metric):
    """A Metric instance from a name (see ``METRICS``), a Metric class, or a Metric instance."""
    if isinstance(metric, Metric):
        return metric
    if isinstance(metric, type) and issubclass(metric, Metric):
        return metric()
    if isinstance(metric, str) and metric.lower() in METRICS:
        return METRICS[metric.lower()]()
    raise ValueError(f"unknown metric {metric!r}: use a Metric or one of "
                     f"{', '.join(sorted(METRICS))}")


def _one_batch(metric_class):
    def compute(output, target):
        metric = metric_class()
        metric.update(output, target)
        return metric.compute()

    compute.__name__ = metric_class.name
    summary = metric_class.__doc__.splitlines()[0]
    compute.__doc__ = f"{summary} (one batch; see {metric_class.__name__})"
    return compute


accuracy = _one_batch(Accuracy)
precision = _one_batch(Precision)
recall = _one_batch(Recall)
f1_score = _one_batch(F1Score)
mean_absolute_error = _one_batch(MeanAbsoluteError)
root_mean_squared_error = _one_batch(RootMeanSquaredError)
r2_score = _one_batch(R2Score)
